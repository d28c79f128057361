"""The roofit target: every corpus model and every random RooFit model, built into a RooWorkspace by the
generated script (pip ``root``) and evaluated by RooFit, equals the interpreter to 1e-9 relative (value,
logpdf, expected events, NLL unweighted and weighted); the generated macro runs under ``root -l -b -q``.

What RooFit lacks (here: ``lgamma`` in a formula, a complex lineshape) goes through generated C++ classes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import firmc
from backends import corpus_entries
from firmc.testing import Case, assert_agrees, compare, every_op_module

pytestmark = pytest.mark.live
ROOT = pytest.importorskip("ROOT")


def assert_roofit_agrees(case: Case) -> None:
    """The agreement harness on the roofit target: every output RooFit evaluates within 1e-9 relative (the
    target's stated bound, :attr:`firmc.backends.roofit.RoofitBackend.rtol`) of the interpreter. No global
    RooFit settings: the generated workspace sets its own integrators' precision."""
    assert compare(case, "roofit"), case.label
    assert_agrees(case, "roofit")


@pytest.mark.parametrize(("path", "entry"), corpus_entries(), ids=lambda v: Path(v).name if "/" in str(v) else v)
def test_corpus_entry(path: str, entry: str) -> None:
    assert_roofit_agrees(Case(firmc.load(path), entry, points=8, name=Path(path).name))


@pytest.mark.parametrize("seed", range(40))
def test_random_roofit_model(seed: int) -> None:
    from test_roofit_live import model_for

    m = model_for(seed)
    assert_roofit_agrees(Case(firmc.load(m.doc), m.top, tuple(m.obs), points=8, name=f"seed {seed} ({m.kind})"))


def _foreign_model() -> firmc.Module:
    """A Breit-Wigner density written through complex arithmetic (which neither TFormula nor any RooFit class
    holds) mixed with one RooFit has (a Gaussian)."""
    from firmc.ir import Entry, Observable, Parameter, apply, const, obs, param
    from firmc.library.shapes import gaussian, normalized

    x, m0, width, f = obs("x", 0.5, 3.0), param("m0"), param("width"), param("f")
    amp = 1.0 / apply("complex", m0 * m0 - x * x, -(m0 * width))
    bw = normalized(apply("abs2", amp))
    g = gaussian(x, param("mu"), const(0.4))
    model = f * g + (1.0 - f) * bw
    params = {"m0": Parameter("m0", 1.8, 1.0, 2.5), "width": Parameter("width", 0.3, 0.05, 1.0),
              "mu": Parameter("mu", 1.2, 0.5, 3.0), "f": Parameter("f", 0.3, 0.0, 1.0)}
    entries = {"bw": Entry("bw", "distribution", bw, ("x",)), "model": Entry("model", "distribution", model, ("x",))}
    return firmc.Module(observables={"x": Observable("x", 0.5, 3.0)}, parameters=params, entries=entries)


def test_foreign_class_mixture() -> None:
    m = _foreign_model()
    c = firmc.compile(m, "roofit", "model")
    assert any(name.endswith("_roofit.h") for name in c.artifact.files)
    assert_roofit_agrees(Case(m, "model", points=8))


def test_written_files_and_macro(tmp_path: Path) -> None:
    """The macro builds the same workspace with ROOT's own interpreter and saves it."""
    root = str(Path(sys.executable).parent / "root")  # pip root's executable, beside the venv's python
    if not Path(root).exists():
        pytest.skip("no root executable beside pip root")
    c = firmc.compile(_foreign_model(), "roofit", "model")
    names = sorted(p.name for p in c.write(tmp_path))
    assert names == ["model_hs3.json", "model_roofit.C", "model_roofit.h", "model_roofit.py"]
    run = subprocess.run([root, "-l", "-b", "-q", str(tmp_path / "model_roofit.C")], capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "RooAddPdf::model" in run.stdout
    assert (tmp_path / "model_workspace.root").exists()


def test_no_gradient_on_roofit() -> None:
    m = firmc.load(Path(__file__).resolve().parents[1] / "examples" / "gauss_exp.hs3.json")
    c = firmc.compile(m, "roofit", "model")
    assert not [k for k in c.program.outputs if k.startswith("grad:")]
    with pytest.raises(firmc.errors.UnsupportedFeature, match="roofit"):
        c.nll_grad({"x": np.array([0.1, 0.2])})


EVERY_OP = every_op_module()


@pytest.mark.parametrize("entry", sorted(EVERY_OP.entries))
def test_every_op(entry: str) -> None:
    """Every op of the table through RooFit: TFormula where it has the op, generated classes where not
    (complex entries as two real functions)."""
    assert_roofit_agrees(Case(EVERY_OP, entry, optimize=0, points=8))
