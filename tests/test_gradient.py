"""Analytic gradients and Hessians of compiled NLLs: against closed forms (Gaussian), against central
differences of an independent NumPy/SciPy implementation (Gauss+Exp), and on every corpus model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import firmc
from conftest import CORPUS_DIR
from firmc.check import sample_points
from firmc.errors import UnsupportedFeature

EXAMPLE = Path(__file__).parents[1] / "examples" / "gauss_exp.hs3.json"
GAUSS = {"metadata": {"hs3_version": "0.2"},
         "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "s"}],
         "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -1e3, "max": 1e3}]}],
         "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.3},
                                                            {"name": "s", "value": 1.7}]}]}


@pytest.mark.parametrize("optimize", [0, 1, 2])
def test_gaussian_nll_gradient_and_hessian_equal_their_closed_forms(optimize):
    """On a domain wide enough that Z = s sqrt(2 pi) exactly, the NLL's derivatives are textbook formulas."""
    f = firmc.compile(firmc.load(GAUSS), optimize=optimize, derivatives=2)
    x = np.random.default_rng(3).normal(0.5, 2.0, 500)
    mu, s, n = 0.3, 1.7, len(x)
    r = x - mu
    value, grad = f.nll_grad({"x": x})
    assert value == pytest.approx(float(np.sum(r**2) / (2 * s**2) + n * math.log(s * math.sqrt(2 * math.pi))),
                                  rel=1e-12)
    assert grad["mu"] == pytest.approx(-np.sum(r) / s**2, rel=1e-11)
    assert grad["s"] == pytest.approx(-np.sum(r**2) / s**3 + n / s, rel=1e-11)
    assert f.free_parameters == ("mu", "s")
    h = f.nll_hessian({"x": x})
    want = np.array([[n / s**2, 2 * np.sum(r) / s**3],
                     [2 * np.sum(r) / s**3, 3 * np.sum(r**2) / s**4 - n / s**2]])
    np.testing.assert_allclose(h, want, rtol=1e-10)


def _hand_nll(x, mu, sigma, c, f):
    g = stats.norm(mu, sigma)
    zg = g.cdf(10) - g.cdf(-10)
    ze = (math.exp(10 * c) - math.exp(-10 * c)) / c
    return -float(np.sum(np.log(f * g.pdf(x) / zg + (1 - f) * np.exp(-c * x) / ze)))


def _central(fun, p, h, floor=1.0):
    """Fourth-order central difference of fun at p, per coordinate, step h (|p| + floor)."""
    out = np.zeros(len(p))
    for i in range(len(p)):
        e = np.zeros(len(p))
        e[i] = h * (floor + abs(p[i]))
        out[i] = (8 * (fun(p + e) - fun(p - e)) - (fun(p + 2 * e) - fun(p - 2 * e))) / (12 * e[i])
    return out


def test_gauss_exp_gradient_and_hessian_against_an_independent_implementation():
    m = firmc.load(EXAMPLE)
    f = firmc.compile(m, entry="model", observables=["x"], derivatives=2)
    data = np.array([e[0] for e in json.loads(EXAMPLE.read_text())["data"][0]["entries"]])
    names = f.free_parameters
    p0 = np.array([0.2, 0.45, 1.1, 1.4])
    assert names == ("c", "f", "mu", "sigma")
    params = dict(zip(names, p0, strict=True))
    hand = lambda p: _hand_nll(data, p[2], p[3], p[0], p[1])  # noqa: E731
    value, grad = f.nll_grad({"x": data}, params)
    assert value == pytest.approx(hand(p0), rel=1e-12)
    np.testing.assert_allclose([grad[k] for k in names], _central(hand, p0, 1e-3), rtol=1e-7)
    h = f.nll_hessian({"x": data}, params)
    hand_grad = lambda p: np.array([f.nll_grad({"x": data}, dict(zip(names, p, strict=True)))[1][k]  # noqa: E731
                                    for k in names])
    fd = np.array([_central(lambda p, i=i: hand_grad(p)[i], p0, 1e-3) for i in range(4)])
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-6 * np.abs(h).max())
    np.testing.assert_array_equal(h, h.T)


def test_weights_and_the_likelihood_entry_agree_with_the_distribution():
    m = firmc.load(EXAMPLE)
    f = firmc.compile(m, entry="model", observables=["x"])
    data = np.array([e[0] for e in json.loads(EXAMPLE.read_text())["data"][0]["entries"]])
    lik = firmc.compile(m)  # the model's likelihood over its own data set
    v1, g1 = f.nll_grad({"x": data})
    v2, g2 = lik.nll_grad({})
    assert v2 == pytest.approx(v1, rel=1e-12)
    assert g2 == pytest.approx(g1, rel=1e-11)
    # integer weights are repeated events
    w = np.arange(len(data)) % 3
    vw, gw = f.nll_grad({"x": data}, weights=w.astype(float))
    vr, gr = f.nll_grad({"x": np.repeat(data, w)})
    assert vw == pytest.approx(vr, rel=1e-12)
    assert gw == pytest.approx(gr, rel=1e-11)


def test_an_op_without_derivative_rule_compiles_and_says_so():
    m = firmc.load(CORPUS_DIR / "roofit" / "landau.json")
    entry = next(e.name for e in m.entries.values() if e.kind == "distribution")
    f = firmc.compile(m, entry=entry)
    pts = sample_points(f, 8)
    assert np.all(np.isfinite(f.nll(pts)))
    with pytest.raises(UnsupportedFeature, match=r"no analytic gradient.*landau"):
        f.nll_grad(pts)


CORPUS_FILES = sorted((CORPUS_DIR / "roofit").glob("*.json")) + sorted((CORPUS_DIR / "hs3").glob("*.json"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_corpus_distribution_gradient_matches_central_differences(path):
    m = firmc.load(path)
    checked = 0
    for e in m.entries.values():
        if e.kind != "distribution" or e.name in m.unsupported:
            continue
        try:
            f = firmc.compile(m, entry=e.name)
        except firmc.FirmError:
            continue
        if "nll" not in f.program.outputs or f.derivatives == 0 or not f.free_parameters:
            continue
        data = sample_points(f, 16, seed=5)
        p0 = np.array([f.parameters[k].value for k in f.free_parameters])
        base = dict(zip(f.free_parameters, p0, strict=True))

        def nll(p, f=f, data=data, base=base):
            return f.nll(data, {**base, **dict(zip(f.free_parameters, p, strict=True))})

        if not math.isfinite(nll(p0)):
            continue
        _, grad = f.nll_grad(data)
        got = np.array([grad[k] for k in f.free_parameters])
        fd = _central(nll, p0, 1e-5, floor=1e-2)
        scale = max(1.0, float(np.abs(fd).max()))
        np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6 * scale, err_msg=f"{path.name}:{e.name}")
        checked += 1
    if checked == 0:
        pytest.skip(f"{path.name}: no differentiable distribution entry")


def test_log_sum_exp_written_with_min_and_max_has_its_true_gradient_at_a_tie():
    """max takes the first argument at a tie and min the second, so m + log1p(exp(min - m)) = log(e^a + e^b)
    gets d/da = d/db = 1/2 at a == b (the two-component mixture with equal components of rf501)."""
    from firmc.interp import evaluate
    from firmc.ir import apply, param
    from firmc.passes.gradient import gradient

    a, b = param("a"), param("b")
    m = apply("max", a, b)
    lse = m + apply("log1p", apply("exp", apply("min", a, b) - m))
    g = gradient(lse, ["a", "b"])
    for va, vb in ((0.7, 0.7), (0.7, -0.2), (-3.0, 1.5)):
        got = [float(v) for v in evaluate([g["a"], g["b"]], {"a": va, "b": vb})]
        want = [math.exp(va) / (math.exp(va) + math.exp(vb)), math.exp(vb) / (math.exp(va) + math.exp(vb))]
        assert got == pytest.approx(want, rel=1e-15)
