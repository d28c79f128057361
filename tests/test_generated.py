"""The generated modules as their users see them: the public surface, gradients (analytic against finite
differences and against the framework's autodiff), JAX's jit and vmap, torch in float32 and under
torch.compile, determinism, the header, and the command line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import firmc
from backends import EXAMPLES, PYTHON_TARGETS, corpus_entries, target_param
from firmc.backends.pysource import import_text
from firmc.testing import every_op_module

TARGETS = [target_param(t) for t in PYTHON_TARGETS]
GAUSS_EXP = EXAMPLES / "gauss_exp.hs3.json"
REPO = Path(__file__).resolve().parents[1]


def generated(path: str | Path, target: str, entry: str, **kw: Any) -> ModuleType:
    c = firmc.compile(firmc.load(path), target, entry, **kw)
    ((name, text),) = c.artifact.files.items()
    return import_text(text, name.removesuffix(".py"))


def with_gradient(path: str | Path, target: str, entry: str) -> ModuleType:
    """The generated module, or a skip naming why the model has no analytic gradient."""
    c = firmc.compile(firmc.load(path), target, entry)
    if c.derivatives == 0:
        why = [d.what for d in c.context.decisions if d.pass_name == "gradient"]
        pytest.skip(why[0] if why else "no analytic gradient")
    ((name, text),) = c.artifact.files.items()
    return import_text(text, name.removesuffix(".py"))


def as_float(x: Any) -> float:
    return float(x.detach()) if hasattr(x, "detach") else float(x)


@pytest.fixture(autouse=True, scope="module")
def _x64() -> Any:
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        yield


def events(path: str | Path, entry: str, n: int = 200, seed: int = 3) -> dict[str, np.ndarray]:
    from firmc.check import sample_points

    return sample_points(firmc.compile(firmc.load(path), "interp", entry), n, seed)


DENSITIES = [(f, e) for f, e in corpus_entries() if firmc.load(f).entries[e].kind == "distribution"]


# ----------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("path", "entry"), DENSITIES, ids=lambda v: Path(v).name if "/" in v else v)
def test_analytic_gradient_matches_finite_differences(path: str, entry: str, target: str) -> None:
    m = with_gradient(path, target, entry)
    data = events(path, entry)
    value, grad = m.nll_grad(data)
    p0 = {k: v["value"] for k, v in m.PARAMETERS.items()}
    assert as_float(value) == pytest.approx(as_float(m.nll(data)), rel=1e-13)
    for name in m.FREE:  # central differences (the NLL is defined beyond the parameters' bounds too)

        def central(h: float, name: str = name) -> float:
            up, down = m.nll(data, {name: p0[name] + h}), m.nll(data, {name: p0[name] - h})
            return (as_float(up) - as_float(down)) / (2 * h)

        spec = m.PARAMETERS[name]
        h = 1e-4 * min(max(1.0, abs(p0[name])), spec["max"] - spec["min"])
        fd = (4 * central(h / 2) - central(h)) / 3  # Richardson: O(h^4)
        scale = max(abs(fd), 1e-3 * abs(as_float(value)) / max(abs(p0[name]), 1.0), 1e-8)
        assert abs(as_float(grad[name]) - fd) <= 1e-5 * scale, (name, as_float(grad[name]), fd)


# autodiff through select: where an unselected branch is not finite (the Crystal Ball's power-law tail
# evaluated in the core), JAX and torch give NaN gradients -- the where-gradient pitfall; the analytic
# gradient (nll_grad) masks outside the products and is finite there.
WHERE_NAN = {"cbshape.json", "crystalball_2sided.json"}


@pytest.mark.parametrize("target", [target_param("jax"), target_param("torch")])
@pytest.mark.parametrize(("path", "entry"), DENSITIES, ids=lambda v: Path(v).name if "/" in v else v)
def test_autodiff_gradient_matches_analytic(path: str, entry: str, target: str) -> None:
    if Path(path).name in WHERE_NAN:
        pytest.xfail("autodiff through select gives NaN where the unselected branch is not finite")
    m = with_gradient(path, target, entry)
    data = events(path, entry)
    v1, g1 = m.nll_grad(data)
    v2, g2 = m.nll_grad_autodiff(data)
    assert as_float(v1) == pytest.approx(as_float(v2), rel=1e-13)
    # Landau: the autodiff derivative is the slope of CERNLIB's DISLAN fit, the analytic one DENLAN (1e-5 apart)
    rtol = 1e-4 if "landau" in path else 1e-9
    for k in m.FREE:
        assert as_float(g2[k]) == pytest.approx(as_float(g1[k]), rel=rtol, abs=1e-9 * abs(as_float(v1))), k


# ------------------------------------------------------------------------------------------- jax
def test_jax_functions_jit_and_vmap() -> None:
    jax = pytest.importorskip("jax")
    m = generated(GAUSS_EXP, "jax", "model")
    data = events(GAUSS_EXP, "model", 1000)
    params = {"mu": 0.9, "sigma": 1.6}
    assert float(jax.jit(m.nll)(data, params)) == pytest.approx(float(m.nll(data, params)), rel=1e-14)
    v, g = jax.jit(m.nll_grad)(data, params)
    va, ga = jax.jit(m.nll_grad_autodiff)(data, params)
    assert float(v) == pytest.approx(float(va), rel=1e-14)
    assert {k: pytest.approx(float(ga[k]), rel=1e-9) for k in m.FREE} == {k: float(g[k]) for k in m.FREE}
    mus = np.linspace(0.5, 1.5, 5)
    batched = jax.vmap(lambda mu: m.nll(data, {"mu": mu}))(mus)
    assert np.allclose(batched, [float(m.nll(data, {"mu": mu})) for mu in mus], rtol=1e-13, atol=0)
    per_event = jax.vmap(lambda x: m.pdf({"x": x}))(data["x"])
    assert np.allclose(per_event, m.pdf(data), rtol=1e-14, atol=0)


def test_jax_module_leaves_the_global_precision_alone() -> None:
    """Generated modules never change JAX's configuration (outside this test's 64-bit context: float32)."""
    text = (REPO / "src/firmc/backends/jax/prelude.py").read_text()
    assert "jax_enable_x64" not in text.split("--- firmc: generated modules start here ---")[1]


# ------------------------------------------------------------------------------------------- torch
def test_torch_float32_and_float64() -> None:
    torch = pytest.importorskip("torch")
    m = generated(GAUSS_EXP, "torch", "model")
    data = events(GAUSS_EXP, "model", 1000)
    v64 = m.nll({"x": torch.tensor(data["x"])})
    v32 = m.nll({"x": torch.tensor(data["x"], dtype=torch.float32)})
    assert v64.dtype == torch.float64 and v32.dtype == torch.float32
    assert float(v32) == pytest.approx(float(v64), rel=1e-5)
    g32 = m.nll_grad({"x": torch.tensor(data["x"], dtype=torch.float32)})[1]
    g64 = m.nll_grad({"x": torch.tensor(data["x"])})[1]
    for k in m.FREE:
        assert g32[k].dtype == torch.float32
        assert float(g32[k]) == pytest.approx(float(g64[k]), rel=1e-3, abs=1e-3)


def test_torch_compile() -> None:
    torch = pytest.importorskip("torch")
    m = generated(GAUSS_EXP, "torch", "model")
    x = torch.tensor(events(GAUSS_EXP, "model", 500)["x"])
    params = {"mu": torch.tensor(0.9, dtype=torch.float64)}
    compiled = torch.compile(m.nll, backend="eager" if sys.platform != "linux" else "inductor")
    assert float(compiled({"x": x}, params)) == pytest.approx(float(m.nll({"x": x}, params)), rel=1e-12)


# ------------------------------------------------------------------------------- surface and output
@pytest.mark.parametrize("target", TARGETS)
def test_surface(target: str) -> None:
    m = generated(GAUSS_EXP, target, "model")
    assert m.ENTRY == "model" and m.KIND == "distribution" and m.OBSERVABLES == {"x": (-10.0, 10.0)}
    assert set(m.FREE) == {"c", "f", "mu", "sigma"} and m.PARAMETERS["sigma"]["min"] == 0.1
    x = np.linspace(-10, 10, 11)
    assert np.allclose(np.log(np.asarray(m.pdf({"x": x}))), np.asarray(m.logpdf({"x": x})), rtol=1e-13)
    with pytest.raises(KeyError, match="unknown parameter 'nu'"):
        m.pdf({"x": x}, {"nu": 1.0})
    with pytest.raises(KeyError, match="observable 'x'"):
        m.pdf({"y": x})


@pytest.mark.parametrize("target", [*TARGETS, target_param("cpp")])
def test_output_is_deterministic_across_processes(target: str) -> None:
    """Same input, same bytes: emitted in two fresh interpreters with different hash seeds."""
    script = ("import firmc, sys, hashlib; from firmc.testing import every_op_module; "
              f"c = firmc.compile(every_op_module(), {target!r}, 'every_op', optimize=0); "
              "print(hashlib.sha256(next(iter(c.artifact.files.values())).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": os.environ.get("PATH", "")}).stdout
               for seed in ("1", "2")}
    assert len(digests) == 1
    here = firmc.compile(every_op_module(), target, "every_op", optimize=0)
    assert hashlib.sha256(next(iter(here.artifact.files.values())).encode()).hexdigest() + "\n" in digests


def test_cli_writes_module_with_header(tmp_path: Path) -> None:
    out = tmp_path / "out"
    firmc_cli = str(Path(sys.executable).with_name("firmc"))
    cmd = [firmc_cli, str(GAUSS_EXP), "--target", "jax", "-o", str(out), "--entry", "model"]
    subprocess.run(cmd, check=True, capture_output=True)
    text = (out / "model_jax.py").read_text()
    digest = hashlib.sha256(GAUSS_EXP.read_bytes()).hexdigest()
    lines = text.splitlines()
    assert lines[0] == f"# generated by firmc {firmc.__version__} -- do not edit"
    assert digest in lines[1] and lines[3].startswith("# command: firmc ") and "--target jax" in lines[3]
    first = text
    subprocess.run(cmd, check=True, capture_output=True)
    assert (out / "model_jax.py").read_text() == first


def test_likelihood_entry_embeds_its_data() -> None:
    m = generated(GAUSS_EXP, "numpy", "nll")
    ref = firmc.compile(firmc.load(GAUSS_EXP), "interp", "nll")
    assert float(m.nll({})) == pytest.approx(ref.nll({}), rel=1e-13)
    assert json.dumps(m.NAMES)  # plain data
    assert set(m.nll_grad({})[1]) == set(m.FREE)


def test_every_op_complex_entry_is_complex() -> None:
    m = firmc.compile(every_op_module(), "numpy", "op:faddeeva", optimize=0)
    ((name, text),) = m.artifact.files.items()
    mod = import_text(text, name.removesuffix(".py"))
    z = mod.value({"x": np.array([0.3]), "y": np.array([0.4])})
    assert np.iscomplexobj(z)


@pytest.mark.parametrize("target", TARGETS)
def test_analytic_hessian(target: str) -> None:
    """``derivatives=2`` adds ``nll_hessian`` (the FREE x FREE matrix) to the module; it equals the interpreter's."""
    mod = firmc.load(GAUSS_EXP)
    data = events(GAUSS_EXP, "model", 300)
    want = firmc.compile(mod, "interp", "model", derivatives=2).nll_hessian(data)
    c = firmc.compile(mod, target, "model", derivatives=2)
    got = c.nll_hessian(data)
    assert np.allclose(got, want, rtol=1e-11, atol=1e-11 * np.abs(want).max())
    assert np.allclose(got, got.T, rtol=0, atol=0)
    ((name, text),) = c.artifact.files.items()
    h = import_text(text, name.removesuffix(".py")).nll_hessian(data)
    assert np.allclose(np.asarray(h.detach() if hasattr(h, "detach") else h), want, rtol=1e-11,
                       atol=1e-11 * np.abs(want).max())
