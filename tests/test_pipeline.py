"""The pipeline as a whole: levels, the info report, generated docs, and the 1000-component mixture."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import firmc
from firmc.cli import main
from firmc.passes.cost import op_counts
from firmc.passes.pipeline import markdown_pipeline

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from models import gaussian_mixture  # noqa: E402

EXAMPLE = ROOT / "examples" / "gauss_exp.hs3.json"
N = 200  # components (the benchmark runs 1000)


def test_generated_pipeline_doc_is_current():
    text = (ROOT / "docs" / "passes-generated.md").read_text(encoding="utf-8")
    assert text == markdown_pipeline(), "run: .venv/bin/python scripts/gen_docs.py"


def test_optimize_levels_are_checked():
    with pytest.raises(firmc.FirmError, match="optimize must be 0, 1 or 2"):
        firmc.compile(firmc.load(EXAMPLE), optimize=3)


def test_info_ir_reports_op_counts_before_and_after(capsys):
    assert main(["info", str(EXAMPLE), "--ir", "-O", "1"]) == 0
    out = capsys.readouterr().out
    assert "value, optimize 0: per event 6" in out  # the Gaussian as read: sub, div, mul, mul, exp, normalize
    assert "value, optimize 1: per event 5" in out  # hoisted: sub, mul, mul, exp, mul
    assert "nll + gradient, optimize 1:" in out and "passes (" in out
    assert main(["info", str(EXAMPLE), "--ir", "-O", "2"]) == 0
    out = capsys.readouterr().out
    assert "value, optimize 2: per event 5 (mul 3, exp 1, sub 1)" in out


@pytest.mark.parametrize("optimize", [0, 1, 2])
def test_many_component_mixture_values_and_gradient(optimize):
    """An N-component Gaussian mixture against SciPy, component by component; the analytic gradient of one
    fraction, one mean and one width against central differences of the NLL."""
    m = firmc.load(gaussian_mixture(N))
    f = firmc.compile(m, entry="mix", optimize=optimize)
    p = m.parameters
    x = np.linspace(-9.5, 9.5, 9)
    fr = [p[f"f{i}"].value for i in range(N - 1)]
    fr.append(1.0 - sum(fr))
    want = np.zeros_like(x)
    for i in range(N):
        g = stats.norm(p[f"m{i}"].value, p[f"s{i}"].value)
        want += fr[i] * g.pdf(x) / (g.cdf(10) - g.cdf(-10))
    np.testing.assert_allclose(f({"x": x}), want, rtol=1e-12)
    _, grad = f.nll_grad({"x": x})
    for name in ("f17", "m100", "s3"):
        v, h = p[name].value, 1e-6
        fd = (f.nll({"x": x}, {name: v + h}) - f.nll({"x": x}, {name: v - h})) / (2 * h)
        assert grad[name] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    if optimize:
        counts = op_counts([f.program.outputs["value"]])
        assert counts.event["exp"] == N and "erf" not in counts.event  # normalisation hoisted
