"""The public API and the CLI, on the shipped example (the Gauss+Exp model of PERFORMANCE.md)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import firmc
from firmc.cli import main

EXAMPLE = Path(__file__).parents[1] / "examples" / "gauss_exp.hs3.json"


def hand_pdf(x, mu=0.9, sigma=1.6, c=0.25, f=0.35):
    g = stats.norm(mu, sigma)
    zg = g.cdf(10) - g.cdf(-10)
    ze = (math.exp(10 * c) - math.exp(-10 * c)) / c
    return f * g.pdf(x) / zg + (1 - f) * np.exp(-c * x) / ze


def test_public_api_surface():
    assert {"load", "compile", "check", "FirmError", "Module"} <= set(firmc.__all__)
    m = firmc.load(EXAMPLE)
    assert set(m.entries) == {"signal", "background", "model", "nll"}
    assert m.parameters["mu"].value == 0.9 and m.parameters["f"].max == 1.0


def test_values_nll_and_gradient_against_hand_computation():
    m = firmc.load(EXAMPLE)
    f = firmc.compile(m, entry="model", observables=["x"])
    xs = np.linspace(-9.5, 9.5, 11)
    np.testing.assert_allclose(f({"x": xs}), hand_pdf(xs), rtol=1e-13)
    np.testing.assert_allclose(f({"x": xs, "mu": 1.2}), hand_pdf(xs, mu=1.2), rtol=1e-13)
    data = np.array([e[0] for e in json.loads(EXAMPLE.read_text())["data"][0]["entries"]])
    want = -np.sum(np.log(hand_pdf(data)))
    assert f.nll({"x": data}) == pytest.approx(want, rel=1e-12)
    assert float(firmc.compile(m)({})) == pytest.approx(want, rel=1e-12)  # the model's likelihood
    _, grad = f.nll_grad({"x": data}, {"mu": 1.0})
    h = 1e-5
    dmu = (-np.sum(np.log(hand_pdf(data, mu=1.0 + h))) + np.sum(np.log(hand_pdf(data, mu=1.0 - h)))) / (2 * h)
    assert grad["mu"] == pytest.approx(dmu, rel=1e-6)


def test_write_is_deterministic_and_has_a_header(tmp_path):
    m = firmc.load(EXAMPLE)
    a = firmc.compile(m, entry="model").write(tmp_path / "a")
    b = firmc.compile(firmc.load(EXAMPLE), entry="model").write(tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    text = a[0].read_text()
    assert f"firmc {firmc.__version__}" in text and m.source_hash in text and "command:" in text
    again = firmc.load(a[0])
    assert float(firmc.compile(again, entry="value")({"x": np.array([0.5])})[0]) == pytest.approx(
        float(hand_pdf(0.5)), rel=1e-13)


def test_cli_compile_check_info(tmp_path, capsys):
    assert main([str(EXAMPLE), "--target", "interp", "--entry", "model", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "model.firmir").exists()
    assert main(["check", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 checks passed" in out
    assert main(["info", str(EXAMPLE)]) == 0
    assert "closed form gaussian" in capsys.readouterr().out


def test_cli_errors_have_no_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"metadata": {"hs3_version": "0.2"}, "distributions": [{"name": "g", "type": "gausian_dist"}]}')
    proc = subprocess.run([sys.executable, "-m", "firmc.cli", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "distributions[0].type: unknown type 'gausian_dist'; did you mean 'gaussian_dist'?" in proc.stderr
    assert main(["--target", "nonsense", str(EXAMPLE)]) == 2


def test_cli_check_exit_code_on_failure(tmp_path, capsys):
    doc = json.loads(EXAMPLE.read_text())
    doc["distributions"].append({"name": "broken", "type": "gaussian_dist", "x": "x", "mean": "mu",
                                 "sigma": "nosuchsigma_as_number_string"})
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps(doc))
    assert main(["check", str(bad)]) == 2  # a dangling reference is bad input
