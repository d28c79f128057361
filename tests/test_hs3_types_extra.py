"""HS3 types of ``firmc.frontends.hs3.types_extra``: each evaluated through load + compile and compared with an
independent computation written here (closed forms, scipy), and, where ROOT 6.40 imports the type, with a
live RooFit (``@pytest.mark.live``) at 1e-9 relative."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from scipy import integrate, special, stats

import firmc.frontends as fe
from conftest import precise_root
from firmc.compiler import compile
from firmc.errors import FirmError

RTOL = 1e-9
META = {"hs3_version": "0.2"}


def doc(dists: Sequence[dict[str, Any]] = (), funcs: Sequence[dict[str, Any]] = (),
        axes: dict[str, tuple[float, float]] | None = None, pars: dict[str, float] | None = None) -> dict[str, Any]:
    """An HS3 document; ``axes`` go to the domain, ``pars`` to the parameter point."""
    d: dict[str, Any] = {"metadata": dict(META), "distributions": list(dists), "functions": list(funcs)}
    if axes:
        d["domains"] = [{"name": "default_domain", "type": "product_domain",
                         "axes": [{"name": k, "min": lo, "max": hi} for k, (lo, hi) in axes.items()]}]
    if pars:
        d["parameter_points"] = [{"name": "default_values",
                                  "parameters": [{"name": k, "value": v} for k, v in pars.items()]}]
    return d


def run(d: dict[str, Any], entry: str, obs: Sequence[str], values: dict[str, Any]) -> np.ndarray:
    m = fe.load(d)
    return np.atleast_1d(compile(m, entry=entry, observables=list(obs))(values))


# --------------------------------------------------------------------------------- ROOT (live) helpers
@pytest.fixture(scope="module")
def root() -> Any:
    return precise_root()


def root_values(ROOT: Any, d: dict[str, Any], name: str, obs: Sequence[str],
                points: Sequence[dict[str, float]]) -> list[float]:
    """Import ``d`` into a fresh workspace; getVal(normSet of obs) of ``name`` at each point (getVal() for
    functions)."""
    ws = ROOT.RooWorkspace("w")
    assert ROOT.RooJSONFactoryWSTool(ws).importJSONfromString(json.dumps(d))
    arg = ws.pdf(name) or ws.function(name)
    assert arg, f"ROOT did not import {name}"
    ns = ROOT.RooArgSet()
    for o in obs:
        ns.add(ws.var(o))
    out = []
    for p in points:
        for k, v in p.items():
            ws.var(k).setVal(v)
        out.append(arg.getVal(ns) if ws.pdf(name) else arg.getVal())
    return out


def firmc_values(d: dict[str, Any], name: str, obs: Sequence[str], points: Sequence[dict[str, float]]) -> list[float]:
    f = compile(fe.load(d), entry=name, observables=list(obs))
    return [float(np.ravel(f(p))[0]) for p in points]


# ------------------------------------------------------------------------------- relativistic Breit-Wigner
def _bw_ref(m: float, mbw: float, chans: list[tuple[float, float, float, int, float]]) -> float:
    """Independent: complex arithmetic, Blatt-Weisskopf from spherical Hankel functions."""

    def width(g: float, m1: float, m2: float, ell: int, r: float) -> complex:
        q = np.sqrt(complex((m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2))) / (2 * m)
        z2 = (q * r) ** 2
        n2 = 1.0 if ell == 0 else z2**ell / _bw_poly(ell, z2)
        return g * n2 * 2 * q / m

    gs = [width(*c) for c in chans]
    g1 = gs[0].real if gs[0].imag == 0 else 0.0
    return m * g1 / abs(mbw**2 - m**2 - 1j * mbw * sum(gs)) ** 2


def _bw_poly(ell: int, z2: complex) -> complex:
    """z^(2l+2) |h_l^(1)(z)|^2 as a polynomial in z^2, from scipy's spherical Bessel functions at z = 1..5."""
    zs = np.arange(1.0, ell + 2.0)
    vals = zs ** (2 * ell + 2) * (special.spherical_jn(ell, zs) ** 2 + special.spherical_yn(ell, zs) ** 2)
    coefs = np.linalg.solve(np.vander(zs**2, ell + 1, increasing=True), vals)
    return sum(c * z2**k for k, c in enumerate(np.round(coefs)))


@pytest.mark.parametrize("ell", range(5))
def test_blatt_weisskopf_matches_spherical_hankel(ell: int) -> None:
    from firmc.interp import evaluate
    from firmc.ir import const
    from firmc.library.lineshapes import blatt_weisskopf_sq

    for z in (0.3, 1.0, 2.7):
        want = 1.0 / (z ** (2 * ell + 2) * (special.spherical_jn(ell, z) ** 2 + special.spherical_yn(ell, z) ** 2))
        got = float(evaluate([blatt_weisskopf_sq(ell, const(z * z))], {})[0])
        assert got == pytest.approx(want, rel=1e-12)


def test_relativistic_breit_wigner_two_channels() -> None:
    chans = [{"Gamma": "G", "m1": 0.14, "m2": 0.14, "l": 1, "R": 5.0}, {"Gamma": 0.08, "m1": 0.49, "m2": 0.5, "l": 2}]
    d = doc([{"name": "bw", "type": "relativistic_breit_wigner_dist", "mass": "m", "resonance": "M",
              "channels": chans}], axes={"m": (0.3, 2.0)}, pars={"M": 0.9, "G": 0.15})
    ref = [(0.15, 0.14, 0.14, 1, 5.0), (0.08, 0.49, 0.5, 2, 3.0)]
    norm = integrate.quad(lambda m: _bw_ref(m, 0.9, ref), 0.3, 2.0, points=[0.99], epsabs=0, epsrel=1e-13,
                          limit=200)[0]
    ms = np.array([0.35, 0.8, 0.95, 0.99, 1.2, 1.9])  # below and above the second threshold (0.99)
    want = [_bw_ref(m, 0.9, ref) / norm for m in ms]
    np.testing.assert_allclose(run(d, "bw", ["m"], {"m": ms}), want, rtol=RTOL)


def test_relativistic_breit_wigner_constant_width_special_case() -> None:
    d = doc([{"name": "bw", "type": "relativistic_breit_wigner_dist", "mass": "m", "resonance": 3.1,
              "channels": [{"Gamma": "G"}]}], axes={"m": (2.5, 3.5)}, pars={"G": 0.2})

    def shape(m: float) -> float:
        return m * 0.2 / ((3.1**2 - m * m) ** 2 + 3.1**2 * 0.2**2)

    norm = integrate.quad(shape, 2.5, 3.5, epsabs=0, epsrel=1e-13)[0]
    ms = np.array([2.6, 3.0, 3.1, 3.45])
    np.testing.assert_allclose(run(d, "bw", ["m"], {"m": ms}), [shape(m) / norm for m in ms], rtol=RTOL)


def test_relativistic_breit_wigner_needs_resonance_and_known_l() -> None:
    base = {"name": "bw", "type": "relativistic_breit_wigner_dist", "mass": "m", "channels": [{"Gamma": 0.1}]}
    with pytest.raises(FirmError, match="resonance"):
        fe.load(doc([base], axes={"m": (0.0, 1.0)}))
    bad = {**base, "resonance": 0.5, "channels": [{"Gamma": 0.1, "l": 5}]}
    with pytest.raises(FirmError, match=r"channels\[0\]\.l"):
        fe.load(doc([bad], axes={"m": (0.0, 1.0)}))


# ------------------------------------------------------------------------------------------ mixture model
MM = doc([{"name": "mm", "type": "mixture_model", "summands": ["g1", "g2"], "coefficients": ["c1"]}],
         [{"name": "g1", "type": "gauss_model_function", "x": "x", "mean": "m1", "sigma": "s1"},
          {"name": "g2", "type": "gauss_model_function", "x": "x", "mean": "m2", "sigma": "s2"}],
         axes={"x": (-2.0, 3.0)}, pars={"c1": 0.3, "m1": 0.1, "m2": -0.2, "s1": 0.5, "s2": 1.5, "x": 0.0})


def _mm_ref(x: float) -> float:
    def g(m: float, s: float) -> float:
        return stats.norm.pdf(x, m, s) / (stats.norm.cdf(3.0, m, s) - stats.norm.cdf(-2.0, m, s))

    return 0.3 * g(0.1, 0.5) + 0.7 * g(-0.2, 1.5)


def test_mixture_model() -> None:
    xs = np.array([-1.9, -0.3, 0.7, 2.9])
    np.testing.assert_allclose(run(MM, "mm", ["x"], {"x": xs}), [_mm_ref(x) for x in xs], rtol=RTOL)


def test_mixture_model_extended_yield() -> None:
    d = json.loads(json.dumps(MM))
    d["distributions"][0].update(coefficients=[30.0, 70.0], extended=True)
    f = compile(fe.load(d), entry="mm", observables=["x"])
    assert f.expected() == pytest.approx(100.0)
    np.testing.assert_allclose(f({"x": np.array([0.7])}), [_mm_ref(0.7)], rtol=RTOL)


@pytest.mark.live
def test_mixture_model_vs_root(root: Any) -> None:
    pts = [{"x": v} for v in (-1.9, -0.3, 0.7, 2.9)]
    np.testing.assert_allclose(firmc_values(MM, "mm", ["x"], pts), root_values(root, MM, "mm", ["x"], pts), rtol=RTOL)


# -------------------------------------------------------------------------------- Barlow-Beeston lite
def test_barlow_beeston_lite_constraint() -> None:
    d = doc([{"name": "bb", "type": "barlow_beeston_lite_poisson_constraint_dist", "x": ["g1", "g2"],
              "expected": [25.0, "tau2"]}], axes={"g1": (0.0, 3.0), "g2": (0.0, 3.0)}, pars={"tau2": 9.0})

    def factor(g: float, tau: float) -> float:
        def f(u: float) -> float:
            return math.exp(u * tau * math.log(tau) - tau - math.lgamma(u * tau + 1))

        return f(g) / integrate.quad(f, 0.0, 3.0, epsabs=0, epsrel=1e-13, limit=200)[0]

    g1, g2 = np.array([0.8, 1.0, 1.3]), np.array([1.1, 0.6, 2.0])
    want = [factor(a, 25.0) * factor(b, 9.0) for a, b in zip(g1, g2, strict=True)]
    np.testing.assert_allclose(run(d, "bb", ["g1", "g2"], {"g1": g1, "g2": g2}), want, rtol=RTOL)


# ------------------------------------------------------------------------- rate density and bin counts
RATE = {"name": "f", "type": "generic_function", "expression": "a*exp(-x/2) + 3"}


def test_rate_density_dist() -> None:
    d = doc([{"name": "r", "type": "rate_density_dist", "x": "x", "density": "f"}], [RATE],
            axes={"x": (0.0, 4.0)}, pars={"a": 20.0})
    lam = 2 * 20.0 * (1 - math.exp(-2.0)) + 12.0
    f = compile(fe.load(d), entry="r", observables=["x"])
    assert f.expected() == pytest.approx(lam, rel=RTOL)
    xs = np.array([0.1, 2.0, 3.9])
    np.testing.assert_allclose(f({"x": xs}), (20 * np.exp(-xs / 2) + 3) / lam, rtol=RTOL)


def test_bincounts_density_dist_is_product_of_poissons() -> None:
    edges = [0.0, 0.5, 1.5, 4.0]
    d = doc([{"name": "b", "type": "bincounts_density_dist", "x": "x", "density": "f",
              "axes": [{"name": "x", "edges": edges}]}], [RATE], axes={"x": (0.0, 4.0)}, pars={"a": 20.0})
    f = compile(fe.load(d), entry="b", observables=["x"])
    counts, centres = np.array([9.0, 14.0, 11.0]), np.array([0.25, 1.0, 2.75])

    def poisson_nll(a: float) -> float:
        nus = [2 * a * (math.exp(-lo / 2) - math.exp(-hi / 2)) + 3 * (hi - lo) for lo, hi in itertools.pairwise(edges)]
        return -float(np.sum(stats.poisson.logpmf(counts, nus)))

    assert f.expected({"a": 20.0}) == pytest.approx(2 * 20 * (1 - math.exp(-2)) + 12, rel=RTOL)
    got = [f.nll({"x": centres}, {"a": a}, weights=counts) for a in (20.0, 12.0)]
    assert got[0] - got[1] == pytest.approx(poisson_nll(20.0) - poisson_nll(12.0), rel=1e-9)


def test_bincounts_extended_dist_gaussian() -> None:
    edges = [-3.0, -1.0, 0.0, 0.5, 3.0]
    d = doc([{"name": "b", "type": "bincounts_extended_dist", "rate": "nu", "dist": "g",
              "axes": [{"name": "x", "edges": edges}]},
             {"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
            axes={"x": (-3.0, 3.0)}, pars={"nu": 50.0, "mu": 0.2})
    f = compile(fe.load(d), entry="b", observables=["x"])

    def nus(nu: float, mu: float) -> list[float]:
        z = stats.norm.cdf(3.0, mu) - stats.norm.cdf(-3.0, mu)
        return [nu * (stats.norm.cdf(hi, mu) - stats.norm.cdf(lo, mu)) / z for lo, hi in itertools.pairwise(edges)]

    assert f.expected() == pytest.approx(50.0, rel=1e-12)
    centres = np.array([-2.0, -0.5, 0.25, 1.75])
    want = np.array(nus(50.0, 0.2)) / (50.0 * np.diff(edges))
    np.testing.assert_allclose(f({"x": centres}), want, rtol=1e-12)
    counts = np.array([3.0, 12.0, 9.0, 20.0])
    got = [f.nll({"x": centres}, {"nu": n, "mu": m}, weights=counts) for n, m in ((50.0, 0.2), (40.0, -0.1))]
    want_nll = [-float(np.sum(stats.poisson.logpmf(counts, nus(n, m)))) for n, m in ((50.0, 0.2), (40.0, -0.1))]
    assert got[0] - got[1] == pytest.approx(want_nll[0] - want_nll[1], rel=1e-9)


def test_bincounts_in_an_hs3_likelihood_with_binned_data() -> None:
    edges = [0.0, 1.0, 2.5, 4.0]
    counts = [7.0, 15.0, 4.0]
    d = doc([{"name": "b", "type": "bincounts_extended_dist", "rate": "nu", "dist": "e",
              "axes": [{"name": "x", "edges": edges}]},
             {"name": "e", "type": "exponential_dist", "x": "x", "c": "c"}], pars={"nu": 25.0, "c": 0.6})
    d["data"] = [{"name": "obs", "type": "binned", "contents": counts,
                  "axes": [{"name": "x", "min": 0.0, "max": 4.0, "edges": edges}]}]
    d["likelihoods"] = [{"name": "L", "distributions": ["b"], "data": ["obs"]}]
    f = compile(fe.load(d), entry="L")

    def poisson_nll(nu: float, c: float) -> float:
        cdf = [1 - math.exp(-c * e) for e in edges]
        nus = [nu * (b - a) / cdf[-1] for a, b in itertools.pairwise(cdf)]
        return -float(np.sum(stats.poisson.logpmf(counts, nus)))

    got = [f.nll({}, {"nu": nu, "c": c}) for nu, c in ((25.0, 0.6), (31.0, 0.3))]
    assert got[0] - got[1] == pytest.approx(poisson_nll(25.0, 0.6) - poisson_nll(31.0, 0.3), rel=1e-9)


def test_bincounts_extended_dist_takes_histogram_binning() -> None:
    hist = {"contents": [2.0, 6.0, 4.0], "axes": [{"name": "x", "edges": [0.0, 1.0, 3.0, 4.0]}]}
    d = doc([{"name": "b", "type": "bincounts_extended_dist", "rate": "nu", "dist": "h"},
             {"name": "h", "type": "histogram_dist", "data": hist}], axes={"x": (0.0, 4.0)}, pars={"nu": 24.0})
    f = compile(fe.load(d), entry="b", observables=["x"])
    assert f.expected() == pytest.approx(24.0)
    np.testing.assert_allclose(f({"x": np.array([0.5, 2.0, 3.5])}), np.array([2, 6, 4]) / 12 / np.array([1, 2, 1]),
                               rtol=1e-12)


# -------------------------------------------------------------------------------------------- histograms
HIST = doc([{"name": "hp", "type": "histogram_dist",
             "data": {"contents": [1.0, 5.0, 3.0], "axes": [{"name": "z", "edges": [0.0, 1.0, 3.0, 6.0]}]}},
            {"name": "hp2", "type": "histogram_dist",
             "data": {"contents": [1, 2, 3, 4, 5, 6], "axes": [{"name": "x", "edges": [0.0, 0.5, 2.0]},
                                                              {"name": "y", "min": 0, "max": 3, "nbins": 3}]}}],
           [{"name": "h1", "type": "histogram",
             "data": {"contents": [1.0, 5.0, 3.0], "axes": [{"name": "z", "edges": [0.0, 1.0, 3.0, 6.0]}]}},
            {"name": "h2", "type": "histogram",
             "data": {"contents": [1, 2, 3, 4, 5, 6], "axes": [{"name": "x", "min": 0, "max": 2, "nbins": 2},
                                                              {"name": "y", "min": 0, "max": 3, "nbins": 3}]}}],
           axes={"x": (0.0, 2.0), "y": (0.0, 3.0), "z": (0.0, 6.0)}, pars={"x": 0.5, "y": 0.5, "z": 0.5})
Z_POINTS = [0.5, 1.0, 2.0, 3.0, 4.0, 5.99]


def test_histogram_function_and_density() -> None:
    zs = np.array(Z_POINTS)
    idx = np.searchsorted([1.0, 3.0], zs, side="right")
    contents, widths = np.array([1.0, 5.0, 3.0]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(run(HIST, "h1", ["z"], {"z": zs}), contents[idx], rtol=1e-15)
    np.testing.assert_allclose(run(HIST, "hp", ["z"], {"z": zs}), contents[idx] / (widths[idx] * 9.0), rtol=1e-15)
    xs, ys = np.array([0.5, 0.5, 1.5, 1.5]), np.array([0.5, 2.5, 0.5, 1.5])
    want = np.arange(1, 7).reshape(2, 3)[(xs > 1).astype(int), ys.astype(int)]  # first axis slowest
    np.testing.assert_allclose(run(HIST, "h2", ["x", "y"], {"x": xs, "y": ys}), want, rtol=1e-15)
    xs = np.array([0.25, 0.5, 1.5, 0.1])
    ix = (xs >= 0.5).astype(int)
    want = np.arange(1, 7).reshape(2, 3)[ix, ys.astype(int)] / (21 * np.array([0.5, 1.5])[ix])
    np.testing.assert_allclose(run(HIST, "hp2", ["x", "y"], {"x": xs, "y": ys}), want, rtol=1e-15)


def test_histogram_density_normalised_over_a_narrower_domain() -> None:
    d = json.loads(json.dumps(HIST))
    d["domains"][0]["axes"][2].update(min=0.5, max=4.5)  # cuts bins 0 and 2 in half
    total = 1.0 * 0.5 + 5.0 + 3.0 * 0.5
    np.testing.assert_allclose(run(d, "hp", ["z"], {"z": np.array([0.7, 2.0])}), [1 / total, 5 / (2 * total)],
                               rtol=1e-15)


@pytest.mark.live
@pytest.mark.parametrize("name,obs", [("h1", ["z"]), ("hp", ["z"])])
def test_histograms_vs_root(root: Any, name: str, obs: list[str]) -> None:
    pts = [{"z": v} for v in Z_POINTS]
    np.testing.assert_allclose(firmc_values(HIST, name, obs, pts), root_values(root, HIST, name, obs, pts), rtol=RTOL)


@pytest.mark.live
def test_histogram_2d_vs_root(root: Any) -> None:
    pts = [{"x": x, "y": y} for x in (0.5, 1.5) for y in (0.5, 1.5, 2.5)]
    for name in ("h2", "hp2"):
        np.testing.assert_allclose(firmc_values(HIST, name, ["x", "y"], pts),
                                   root_values(root, HIST, name, ["x", "y"], pts), rtol=RTOL)


# ------------------------------------------------------------------------------------------------ step
STEP_PARS = {f"p{i}": 10.0 + i for i in range(100)}
STEP = doc(funcs=[
    {"name": "s1", "type": "step", "variables": ["z"], "parameters": ["p0", "p1", "p2"],
     "axes": [{"name": "z", "edges": [0.0, 1.0, 3.0, 6.0]}]},
    {"name": "s0", "type": "step", "variables": ["z"], "parameters": [f"p{i}" for i in range(100)]},
    {"name": "s2", "type": "step", "variables": ["x", "y"], "parameters": [f"p{i}" for i in range(6)],
     "axes": [{"name": "x", "min": 0, "max": 2, "nbins": 2}, {"name": "y", "min": 0, "max": 3, "nbins": 3}]}],
    axes={"x": (0.0, 2.0), "y": (0.0, 3.0), "z": (0.0, 6.0)}, pars={"x": 0.5, "y": 0.5, "z": 0.5, **STEP_PARS})


def test_step() -> None:
    zs = np.array(Z_POINTS)
    np.testing.assert_allclose(run(STEP, "s1", ["z"], {"z": zs}), 10.0 + np.searchsorted([1.0, 3.0], zs, "right"))
    np.testing.assert_allclose(run(STEP, "s0", ["z"], {"z": zs}), 10.0 + np.minimum(np.floor(zs / 0.06), 99))
    xs, ys = np.array([0.5, 1.5, 0.5, 1.5]), np.array([0.5, 0.5, 2.5, 1.5])
    want = 10.0 + np.floor(xs) + 2 * np.floor(ys)  # first variable fastest (ParamHistFunc)
    np.testing.assert_allclose(run(STEP, "s2", ["x", "y"], {"x": xs, "y": ys}), want)


@pytest.mark.live
@pytest.mark.parametrize("name", ["s1", "s0"])
def test_step_vs_root(root: Any, name: str) -> None:
    pts = [{"z": v} for v in (0.5, 1.0, 2.0, 4.0, 5.99, 0.07)]
    np.testing.assert_allclose(firmc_values(STEP, name, ["z"], pts), root_values(root, STEP, name, ["z"], pts),
                               rtol=RTOL)


@pytest.mark.live
def test_step_2d_bin_order_vs_root_paramhistfunc(root: Any) -> None:
    """ROOT 6.40's JSON import of a 2-D step returns the first parameter everywhere (the imported
    ParamHistFunc ignores its variables), so the bin order is checked against a ParamHistFunc built directly."""
    x = root.RooRealVar("x", "x", 0.5, 0, 2)
    y = root.RooRealVar("y", "y", 0.5, 0, 3)
    x.setBins(2)
    y.setBins(3)
    ps = [root.RooRealVar(f"p{i}", "", 10.0 + i) for i in range(6)]
    plist = root.RooArgList()
    for p in ps:
        plist.add(p)
    phf = root.ParamHistFunc("s2", "s2", root.RooArgList(x, y), plist)
    pts = [{"x": a, "y": b} for a in (0.5, 1.5) for b in (0.5, 1.5, 2.5)]
    want = []
    for p in pts:
        x.setVal(p["x"])
        y.setVal(p["y"])
        want.append(phf.getVal())
    np.testing.assert_allclose(firmc_values(STEP, "s2", ["x", "y"], pts), want, rtol=RTOL)


# ------------------------------------------------------------------------------------------ interpolation
def _poly6(at_plus: Sequence[float], at_minus: Sequence[float], c0: float) -> np.ndarray:
    """Coefficients c1..c6 of c0 + sum c_k x^k with (value, slope, curvature) given at x = +1 and -1."""
    rows, rhs = [], []
    for x, targets in ((1.0, at_plus), (-1.0, at_minus)):
        rows.append([x**k for k in range(1, 7)])
        rows.append([k * x ** (k - 1) for k in range(1, 7)])
        rows.append([k * (k - 1) * x ** (k - 2) for k in range(1, 7)])
        rhs += [targets[0] - c0, targets[1], targets[2]]
    return np.linalg.solve(np.array(rows), np.array(rhs))


def _interp_ref(code: int, lo: float, hi: float, nom: float, x: float, total: float) -> float:
    """Increment of one parameter (RooFit's definitions), written independently of firmc."""
    code = 2 if code == 3 else code
    if code == 0:
        return x * (hi - nom) if x > 0 else x * (nom - lo)
    if code == 1:
        return total * (((hi / nom) ** x if x >= 0 else (lo / nom) ** -x) - 1)
    if code == 2:
        a, b = (hi + lo) / 2 - nom, (hi - lo) / 2
        if x > 1:
            return (2 * a + b) * (x - 1) + hi - nom
        if x < -1:
            return -(2 * a - b) * (x + 1) + lo - nom
        return a * x * x + b * x
    if code in (4, 6):
        scale = total if code == 6 else 1.0
        up, down, n = (hi / nom, lo / nom, 1.0) if code == 6 else (hi, lo, nom)
        if abs(x) >= 1:
            return scale * x * ((up - n) if x > 0 else (n - down))
        c = _poly6((up - n, up - n, 0.0), (-(n - down), n - down, 0.0), 0.0)
        return scale * sum(ck * x ** (k + 1) for k, ck in enumerate(c))
    up, down = hi / nom, lo / nom
    if abs(x) >= 1:
        return total * ((up**x if x > 0 else down**-x) - 1)
    lu, ld = math.log(up), math.log(down)
    c = _poly6((up, up * lu, up * lu**2), (down, -down * ld, down * ld**2), 1.0)
    return total * (1 + sum(ck * x ** (k + 1) for k, ck in enumerate(c)) - 1)


INTERP_PARS = {"n": 2.0, "l1": 1.6, "l2": 1.9, "h1": 2.5, "h2": 2.2, "a": 0.0, "b": 0.0}
INTERP_POINTS = [(0.3, -0.7), (1.7, -1.3), (-2.5, 0.2), (1.0, -1.0), (-0.05, 0.9)]


def interp_doc(code: int, with_0d: bool = True) -> dict[str, Any]:
    """interpolation (f1) and, unless code 6 (undefined there), interpolation0d (f0) with the same numbers."""
    f0 = {"name": "f0", "type": "interpolation0d", "vars": ["a", "b"], "nom": 2.0, "low": [1.6, 1.9],
          "high": [2.5, 2.2], "interpolationCodes": [code, code]}
    f1 = {"name": "f1", "type": "interpolation", "vars": ["a", "b"], "nom": "n", "low": ["l1", "l2"],
          "high": ["h1", "h2"], "interpolationCodes": [code, code], "positiveDefinite": True}
    return doc(funcs=[f0, f1] if with_0d and code != 6 else [f1], pars=INTERP_PARS)


def _total(codes: Sequence[int], a: float, b: float) -> float:
    total = 2.0
    for code, x, lo, hi in zip(codes, (a, b), (1.6, 1.9), (2.5, 2.2), strict=True):
        total += _interp_ref(code, lo, hi, 2.0, x, total)
    return total


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4, 5, 6])
def test_interpolation_codes(code: int) -> None:
    d = interp_doc(code)
    pts = [{"a": a, "b": b} for a, b in INTERP_POINTS]
    want = [max(_total([code, code], a, b), 0.0) for a, b in INTERP_POINTS]
    np.testing.assert_allclose(firmc_values(d, "f1", [], pts), want, rtol=1e-12)
    if code != 6:
        fiv = [_total([5 if code == 4 else code] * 2, a, b) for a, b in INTERP_POINTS]
        np.testing.assert_allclose(firmc_values(d, "f0", [], pts), fiv, rtol=1e-12)


def test_interpolation_positive_definite_and_floor() -> None:
    d = doc(funcs=[{"name": "f1", "type": "interpolation", "vars": ["a"], "nom": 1.0, "low": [0.2], "high": [1.5],
                    "interpolationCodes": [0], "positiveDefinite": True},
                   {"name": "f0", "type": "interpolation0d", "vars": ["a"], "nom": 1.0, "low": [0.2], "high": [1.5]}],
            pars={"a": -3.0})
    assert firmc_values(d, "f1", [], [{"a": -3.0}]) == [0.0]
    assert firmc_values(d, "f0", [], [{"a": -3.0}]) == [2.2250738585072014e-308]


def test_interpolation_rejects_bad_codes_and_lengths() -> None:
    with pytest.raises(FirmError, match="code 6 is not defined for interpolation0d"):
        fe.load(doc(funcs=[{**interp_doc(0)["functions"][0], "interpolationCodes": [6, 0]}], pars=INTERP_PARS))
    d = interp_doc(0)
    d["functions"][1]["low"] = ["l1"]
    with pytest.raises(FirmError, match="'low'"):
        fe.load(d)
    d = interp_doc(0)
    d["functions"][1]["interpolationCodes"] = [0, 7]
    with pytest.raises(FirmError, match=r"interpolationCodes\[1\]"):
        fe.load(d)


@pytest.mark.live
@pytest.mark.parametrize("code", [0, 1, 2, 4, 5, 6])
def test_interpolation_vs_root(root: Any, code: int) -> None:
    d = interp_doc(code)
    pts = [{"a": a, "b": b} for a, b in INTERP_POINTS]
    names = ["f1"] if code == 6 else ["f0", "f1"]
    for name in names:
        np.testing.assert_allclose(firmc_values(d, name, [], pts), root_values(root, d, name, [], pts), rtol=RTOL)


# ------------------------------------------------------------------------------------------- derivative
DERIV = doc([{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "s"}],
            [{"name": "f2", "type": "generic_function", "expression": "exp(-x*x/2)*sin(mu*x)"},
             {"name": "d1", "type": "derivative", "function": "f2", "x": "x", "order": 1, "eps": 0.001},
             {"name": "d2", "type": "derivative", "function": "f2", "x": "x", "order": 2, "eps": 0.001},
             {"name": "d3", "type": "derivative", "function": "f2", "x": "x", "order": 3, "eps": 0.001},
             {"name": "gx", "type": "derivative", "function": "g", "x": "x", "order": 1, "eps": 0.001},
             {"name": "gxn", "type": "derivative", "function": "g", "x": "x", "order": 1, "eps": 0.001,
              "normalization": ["x"]},
             {"name": "gmu", "type": "derivative", "function": "g", "x": "mu", "order": 1, "eps": 0.001,
              "normalization": ["x"]}],
            axes={"x": (-2.0, 3.0)}, pars={"mu": 0.4, "s": 0.8, "x": 0.0})
XS = np.array([-1.3, 0.2, 0.7, 2.5])


def test_derivative_of_function_orders() -> None:
    import sympy as sp

    x = sp.Symbol("x")
    f = sp.exp(-x * x / 2) * sp.sin(sp.Rational(2, 5) * x)
    for order, name in ((1, "d1"), (2, "d2"), (3, "d3")):
        want = [float(sp.diff(f, x, order).subs(x, v)) for v in XS]
        np.testing.assert_allclose(run(DERIV, name, ["x"], {"x": XS}), want, rtol=1e-12)


def test_derivative_of_distribution() -> None:
    def pdf(x: float, mu: float) -> float:
        return stats.norm.pdf(x, mu, 0.8) / (stats.norm.cdf(3.0, mu, 0.8) - stats.norm.cdf(-2.0, mu, 0.8))

    raw = -(XS - 0.4) / 0.64 * np.exp(-0.5 * ((XS - 0.4) / 0.8) ** 2)  # unnormalised, as RooDerivative
    np.testing.assert_allclose(run(DERIV, "gx", ["x"], {"x": XS}), raw, rtol=1e-12)
    np.testing.assert_allclose(run(DERIV, "gxn", ["x"], {"x": XS}), -(XS - 0.4) / 0.64 * [pdf(v, 0.4) for v in XS],
                               rtol=1e-12)
    h = 1e-5
    dmu = [(pdf(v, 0.4 + h) - pdf(v, 0.4 - h)) / (2 * h) for v in XS]
    np.testing.assert_allclose(run(DERIV, "gmu", ["x"], {"x": XS}), dmu, rtol=1e-8)


def test_derivative_of_generic_dist_normalised_over_a_declared_variable() -> None:
    """x is declared only in the domain (a parameter to the loader); ``normalization`` makes it the variable
    the density is normalised over before differentiating with respect to a."""
    d = doc([{"name": "g", "type": "generic_dist", "expression": "exp(-a*x)*(1+x*x)"}],
            [{"name": "dg", "type": "derivative", "function": "g", "x": "a", "order": 1, "eps": 1e-3,
              "normalization": ["x"]}], axes={"x": (0.0, 2.0)}, pars={"a": 0.7})

    def pdf(x: float, a: float) -> float:
        def f(t: float) -> float:
            return math.exp(-a * t) * (1 + t * t)

        return f(x) / integrate.quad(f, 0.0, 2.0, epsabs=0, epsrel=1e-13)[0]

    xs, h = np.array([0.1, 1.0, 1.9]), 1e-5
    want = [(pdf(v, 0.7 + h) - pdf(v, 0.7 - h)) / (2 * h) for v in xs]
    np.testing.assert_allclose(run(d, "dg", ["x"], {"x": xs}), want, rtol=1e-8)


@pytest.mark.live
def test_derivative_of_normalised_pdf_vs_root(root: Any) -> None:
    """d pdf/dx and d pdf/dmu of a normalised Gaussian. ROOT 6.40's RooDerivative with respect to a parameter
    of a normalised pdf is right only on its first evaluation (later ones reuse a stale normalisation: the
    values depend on the order of the points), so d/dmu is compared point by point in fresh workspaces."""
    d = json.loads(json.dumps(DERIV))
    d["functions"] = [f for f in d["functions"] if f["name"] in ("gxn", "gmu")]
    pts = [{"x": float(v)} for v in XS]
    np.testing.assert_allclose(firmc_values(d, "gxn", ["x"], pts), root_values(root, d, "gxn", ["x"], pts),
                               rtol=RTOL)
    want = [root_values(root, d, "gmu", ["x"], [p])[0] for p in pts]
    np.testing.assert_allclose(firmc_values(d, "gmu", ["x"], pts), want, rtol=RTOL)


@pytest.mark.live
def test_derivative_vs_root(root: Any) -> None:
    """RooDerivative differentiates numerically (Richardson extrapolation with step eps): its first
    derivative agrees to 1e-9; its second, at eps = 1e-3, is off by ~1e-3 relative (checked loosely)."""
    d = json.loads(json.dumps(DERIV))
    d["distributions"] = []
    d["functions"] = d["functions"][:4]  # f2 and its derivatives
    d["functions"][0]["expression"] = "exp(-x*x/2)*sin(0.4*x)"
    pts = [{"x": float(v)} for v in XS]
    np.testing.assert_allclose(firmc_values(d, "d1", ["x"], pts), root_values(root, d, "d1", ["x"], pts), rtol=RTOL)
    np.testing.assert_allclose(firmc_values(d, "d2", ["x"], pts), root_values(root, d, "d2", ["x"], pts), rtol=1e-2)


# ------------------------------------------------------------------------ small functions and legacy pdf
SMALL = doc([{"name": "ep", "type": "legacy_exp_poly_dist", "x": "x", "coefficients": ["1.0", "a1", "a2"]}],
            [{"name": "f1", "type": "generic_function", "expression": "x*x"},
             {"name": "f2", "type": "generic_function", "expression": "exp(-x*x/2)"},
             {"name": "w2", "type": "weighted_sum", "samples": ["f1", "f2"], "coefficients": ["c1", "c2"]},
             {"name": "w1", "type": "weighted_sum", "samples": ["f1", "f2"], "coefficients": ["c1"]}],
            axes={"x": (-2.0, 3.0)}, pars={"x": 0.0, "c1": 0.3, "c2": 0.5, "a1": -0.5, "a2": 0.1})


def test_weighted_sum_and_legacy_exp_poly() -> None:
    f2 = np.exp(-XS * XS / 2)
    np.testing.assert_allclose(run(SMALL, "w2", ["x"], {"x": XS}), 0.3 * XS**2 + 0.5 * f2, rtol=1e-14)
    np.testing.assert_allclose(run(SMALL, "w1", ["x"], {"x": XS}), 0.3 * XS**2 + 0.7 * f2, rtol=1e-14)

    def shape(x: float) -> float:
        return math.exp(1.0 - 0.5 * x + 0.1 * x * x)

    norm = integrate.quad(shape, -2.0, 3.0, epsabs=0, epsrel=1e-13)[0]
    np.testing.assert_allclose(run(SMALL, "ep", ["x"], {"x": XS}), [shape(v) / norm for v in XS], rtol=RTOL)


@pytest.mark.live
@pytest.mark.parametrize("name,obs", [("w2", []), ("w1", []), ("ep", ["x"])])
def test_small_types_vs_root(root: Any, name: str, obs: list[str]) -> None:
    pts = [{"x": float(v)} for v in XS]
    np.testing.assert_allclose(firmc_values(SMALL, name, ["x"], pts), root_values(root, SMALL, name, obs, pts),
                               rtol=RTOL)


@pytest.mark.parametrize("items,recursive,want", [
    ([0.2, 0.5, 0.5], None, 0.05), ([0.3], None, 0.3), (["a", 0.25], True, 0.75 * 0.6), ([1.0, 3.0], False, 0.25)])
def test_recursive_fraction(items: list[Any], recursive: bool | None, want: float) -> None:
    obj: dict[str, Any] = {"name": "r", "type": "roorecursivefraction_dist", "list": items}
    if recursive is not None:
        obj["recursive"] = recursive
    assert firmc_values(doc(funcs=[obj], pars={"a": 0.6}), "r", [], [{}]) == [pytest.approx(want, rel=1e-15)]


