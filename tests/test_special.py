"""Tests for firmc.numerics.special (Landau density and distribution function, CERNLIB G110)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy import integrate

from firmc.numerics.special import landau, landau_cdf, landau_pdf

# Breakpoints of the piecewise approximations (DENLAN uses 5, DISLAN uses 4 between 1 and 12).
PDF_EDGES = (-5.5, -1.0, 1.0, 5.0, 12.0, 50.0, 300.0)
CDF_EDGES = (-5.5, -1.0, 1.0, 4.0, 12.0, 50.0, 300.0)

# (v, ROOT::Math::landau_pdf(v), ROOT::Math::landau_cdf(v)) printed with repr() from ROOT 6.40.00.
ROOT_TABLE = (
    (-30.0, 0.0, 0.0),
    (-24.0, 0.0, 0.0),
    (-10.0, 0.0, 0.0),
    (-7.0, 4.9766770113902236e-175, 1.2320713461360091e-177),
    (-6.0, 1.705107444566063e-64, 1.1450581172601467e-66),
    (-5.5, 3.050206023135767e-39, 3.3699399413278805e-41),
    (-3.0, 0.0006737286156950518, 8.592126349294642e-05),
    (-2.0, 0.04398547840678685, 0.014094357346648075),
    (-1.0, 0.1513919113594072, 0.11361461881873715),
    (-0.5, 0.17733354727436876, 0.1969422059296003),
    (0.0, 0.1788541609, 0.2868328584),
    (0.7, 0.15761010234618592, 0.40557747216475665),
    (1.0, 0.145206637130862, 0.45101809166026235),
    (2.5, 0.08822420091614812, 0.6236970393274611),
    (4.0, 0.05326865720512383, 0.7272718487007263),
    (5.0, 0.03916341957924748, 0.7730267771603743),
    (8.0, 0.018090283936233322, 0.8534599564985834),
    (12.0, 0.008421789054153419, 0.9030406925800436),
    (20.0, 0.0030049793941023563, 0.9434626465567623),
    (30.0, 0.0012986714062997668, 0.9632501726241881),
    (50.0, 0.00044964946739746024, 0.9785569910984427),
    (120.0, 7.405512290669659e-05, 0.9913565371493188),
    (300.0, 1.1471525661173316e-05, 0.996607242779201),
    (2500.0, 1.6088645176488147e-07, 0.9995988129289606),
    (10000.0, 1.0016593207054192e-08, 0.9998999120586045),
)


TINY = float(np.finfo(np.float64).tiny)  # smallest normal double


def _max_rel(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative difference over normal reference values.

    Where the reference is 0 or subnormal (deep in the left tail, e.g. 2e-323 at v = -7.614),
    libm implementations of ``exp`` round differently, so only ``|ours| < tiny`` is required.
    """
    small = np.abs(ref) < TINY
    assert np.all(np.abs(ours[small]) < TINY)
    if np.all(small):
        return 0.0
    return float(np.max(np.abs(ours[~small] - ref[~small]) / np.abs(ref[~small])))


def _grid() -> np.ndarray:
    """About 2000 points on [-10, 1e4] covering every interval, each breakpoint and its neighbours."""
    parts = [
        np.linspace(-10.0, -5.5, 150),
        np.linspace(-24.5, -23.5, 21),  # around DENLAN's cut u = exp(v + 1) < 1e-10
        np.linspace(-5.5, 5.0, 600),
        np.linspace(5.0, 50.0, 400),
        np.linspace(50.0, 300.0, 300),
        np.geomspace(300.0, 1e4, 450),
    ]
    for edge in sorted(set(PDF_EDGES) | set(CDF_EDGES)):
        parts.append(np.array([np.nextafter(edge, -np.inf), edge, np.nextafter(edge, np.inf)]))
    return np.unique(np.concatenate(parts))


def test_matches_recorded_root_values() -> None:
    v = np.array([row[0] for row in ROOT_TABLE])
    assert _max_rel(landau_pdf(v), np.array([row[1] for row in ROOT_TABLE])) < 1e-12
    assert _max_rel(landau_cdf(v), np.array([row[2] for row in ROOT_TABLE])) < 1e-12


def test_shapes_scalars_and_nan() -> None:
    assert landau_pdf(0.3).shape == ()
    assert landau_cdf(0.3).shape == ()
    grid = np.linspace(-8.0, 400.0, 24).reshape(2, 3, 4)
    assert landau_pdf(grid).shape == (2, 3, 4)
    assert np.array_equal(landau_pdf(grid).ravel(), landau_pdf(grid.ravel()))
    assert np.array_equal(landau_cdf(grid).ravel(), landau_cdf(grid.ravel()))
    assert landau_pdf(np.array([])).shape == (0,)
    assert np.isnan(landau_pdf(np.nan)) and np.isnan(landau_cdf(np.nan))


def test_tails() -> None:
    # DENLAN returns exactly 0 once exp(v + 1) < 1e-10; DISLAN underflows to 0 smoothly.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no spurious overflow / divide warnings
        assert np.all(landau_pdf(np.array([-25.0, -1e3, -1e300, -np.inf])) == 0.0)
        assert np.all(landau_cdf(np.array([-25.0, -1e3, -1e300])) == 0.0)
        big = np.array([1e6, 1e12, 1e300])
        assert np.all(landau_pdf(big[:2]) > 0.0)
        assert landau_pdf(big[2]) == 0.0  # u*u underflows, as in the reference
        assert np.all(np.diff(landau_cdf(big)) >= 0.0)
        assert np.all(landau_cdf(big) <= 1.0)


def test_landau_location_scale() -> None:
    x = np.linspace(-5.0, 60.0, 301)
    np.testing.assert_array_equal(landau(x, 1.5, 2.0), landau_pdf((x - 1.5) / 2.0))
    np.testing.assert_array_equal(landau(x), landau_pdf(x))
    # broadcasting and ROOT's "sigma <= 0 gives 0"
    sig = np.array([[-1.0], [0.0], [0.5]])
    out = landau(x, 0.0, sig)
    assert out.shape == (3, x.size)
    assert np.all(out[:2] == 0.0)
    np.testing.assert_array_equal(out[2], landau_pdf(x / 0.5))


def _integrate_pdf(a: float, b: float) -> float:
    """Integral of landau_pdf over [a, b] with scipy quad, split at the approximation breakpoints."""

    def f(t: float) -> float:
        return float(landau_pdf(t))

    knots = [a, *(e for e in PDF_EDGES if a < e < b), b]
    total = 0.0
    for lo, hi in itertools.pairwise(knots):
        total += integrate.quad(f, lo, hi, epsabs=0.0, epsrel=1e-13, limit=500)[0]
    return total


def test_density_is_normalised() -> None:
    # The density is exactly 0 below v = ln(1e-10) - 1 (about -24.03).
    total = _integrate_pdf(-30.0, 300.0)
    total += integrate.quad(lambda t: float(landau_pdf(t)), 300.0, np.inf, epsabs=0.0, epsrel=1e-12)[0]
    assert abs(total - 1.0) < 1e-6  # measured: 1.9e-10


@pytest.mark.parametrize("x", [-5.5, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0, 5.0, 8.0, 12.0, 30.0, 50.0, 300.0, 1e4])
def test_cdf_is_integral_of_pdf(x: float) -> None:
    # DENLAN and DISLAN are *independent* rational approximations of the density and of the
    # distribution function, each good to a few 1e-8 absolute, so the integral of the first
    # reproduces the second only to that level (largest difference 2.2e-8, at v = -1).
    integral = _integrate_pdf(-30.0, x)
    assert abs(integral - float(landau_cdf(x))) < 5e-8


def test_cdf_increments_match_pdf_integral_on_pieces() -> None:
    # Where both approximations are smooth and accurate, the agreement is much better.
    for a, b in [(1.0, 4.0), (12.0, 50.0), (50.0, 300.0), (300.0, 1e4)]:
        diff = float(landau_cdf(b) - landau_cdf(a)) - _integrate_pdf(a, b)
        assert abs(diff) < 5e-9


@pytest.mark.live
def test_against_root() -> None:
    root = pytest.importorskip("ROOT")
    v = _grid()
    assert v.size >= 1900
    pdf_root = np.array([root.TMath.Landau(float(t), 0.0, 1.0, False) for t in v])
    pdf_math = np.array([root.Math.landau_pdf(float(t)) for t in v])
    cdf_root = np.array([root.Math.landau_cdf(float(t)) for t in v])
    assert _max_rel(landau_pdf(v), pdf_root) < 1e-12  # measured: 6.6e-14
    assert _max_rel(landau_pdf(v), pdf_math) < 1e-12
    assert _max_rel(landau_cdf(v), cdf_root) < 1e-12  # measured: 5.7e-14

    rng = np.random.default_rng(20240607)
    x = rng.uniform(-20.0, 200.0, 400)
    mean = rng.uniform(-5.0, 5.0, 400)
    sigma = rng.uniform(0.05, 10.0, 400)
    sigma[:10] = [0.0, -1.0, -0.5, 0.0, -3.0, 1e-3, 1e-3, 50.0, 50.0, 1.0]
    ref = np.array(
        [
            root.TMath.Landau(float(a), float(m), float(s), False)
            for a, m, s in zip(x, mean, sigma, strict=True)
        ]
    )
    assert _max_rel(landau(x, mean, sigma), ref) < 1e-12
