"""Log-space rewrites: values kept, underflow removed, the NaN/inf policy, and which splits are done."""

from __future__ import annotations

import itertools
from collections import Counter

import mpmath  # type: ignore[import-untyped]
import numpy as np
import pytest
import scipy.special as sps

from firmc.interp import evaluate
from firmc.ir import Node, Parameter, apply, const, obs, param, verify_node, walk
from firmc.library import composite, integrals, shapes
from firmc.passes.context import Context
from firmc.passes.hoist import hoist, schedule
from firmc.passes.logspace import POS, Signs, log_density, logspace, logsumexp
from firmc.passes.normalise import lower_normalisation

X = obs("x", -5.0, 5.0)
MU, SIGMA, C = param("mu"), param("sigma"), param("c")
F, F1, F2, N1, N2 = param("f"), param("f1"), param("f2"), param("n1"), param("n2")
BOUNDS = {"f": (0.0, 1.0), "f1": (0.0, 0.5), "f2": (0.0, 0.5), "n1": (0.0, 1e6), "n2": (0.0, 1e6)}
CTX = Context(parameters={k: Parameter(k, 0.3, lo, hi) for k, (lo, hi) in BOUNDS.items()})
POINTS = [
    {"mu": 0.3, "sigma": 1.3, "c": 0.4, "f": 0.35, "f1": 0.2, "f2": 0.3, "n1": 120.0, "n2": 80.0},
    {"mu": -1.1, "sigma": 0.4, "c": -0.7, "f": 0.9, "f1": 0.45, "f2": 0.05, "n1": 3.0, "n2": 900.0},
]


def lowered(pdf: Node) -> Node:
    return lower_normalisation([pdf])[0]


def models() -> dict[str, Node]:
    g = shapes.gaussian(X, MU, SIGMA)
    g2 = shapes.gaussian(X, MU * 0.5, SIGMA * 2.0)
    e = shapes.exponential(X, C)
    return {
        "gauss": g,
        "gauss+exp": composite.mixture([g, e], [F]),
        "three": composite.mixture([g, e, g2], [F1, F2]),
        "nested": composite.mixture([composite.mixture([g, g2], [F1]), e], [F]),
        "extended": composite.mixture([g, e], [N1, N2]),
        "normalised sum": apply("normalize", composite.mixture([g, e], [F])),
        "lognormal-ish": shapes.normalized(apply("exp", -(X - MU) * (X - MU)) * apply("exp", X * C) / (X * X + 1.0)),
    }


def per_event(root: Node) -> Counter[str]:
    """Operations per event (not counting the integrand of a quadrature normalisation)."""
    return Counter(n.op for n in schedule([root]).per_event if n.op not in ("obs", "const", "param"))


@pytest.mark.parametrize("name", list(models()))
def test_values_kept(name: str) -> None:
    pdf = lowered(models()[name])
    direct = apply("log", pdf)
    out = hoist(logspace(hoist([direct]), CTX))[0]
    assert out is not direct
    for n in walk([out]):
        verify_node(n)
    xs = np.linspace(-4.9, 4.9, 97)
    for point in POINTS:
        a, b = evaluate([direct, out], {**point, "x": xs})
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["gauss+exp", "three", "nested", "extended", "normalised sum"])
def test_mixtures_take_the_log_sum_exp(name: str) -> None:
    direct = apply("log", lowered(models()[name]))
    out = hoist(logspace([direct], CTX))[0]
    n_exp = per_event(direct)["exp"]
    if n_exp == 2:  # two components: one logaddexp (one exp and one log1p inside), no exp of its own
        assert per_event(out)["exp"] == 0 and per_event(out)["logaddexp"] == 1
    else:
        assert per_event(out)["exp"] == n_exp and per_event(out)["log"] == 1


def test_gaussian_log_density_has_no_transcendental_per_event() -> None:
    out = hoist([log_density(lowered(models()["gauss"]))])[0]
    assert per_event(out) == Counter(sub=1, mul=2, add=1)  # (x-mu)**2 * (-0.5/sigma**2) + (-log Z)


# ---------------------------------------------------------------------------------------- underflow
def test_far_tail_of_a_mixture_is_finite() -> None:
    x = obs("x", 0.0, 60.0)
    pdf = lowered(composite.mixture([shapes.gaussian(x, MU, SIGMA), shapes.exponential(x, C)], [F]))
    env = {"x": np.array([45.0, 50.0]), "mu": 2.0, "sigma": 1.0, "c": 17.0, "f": 0.3}
    direct = apply("log", pdf)
    out = hoist(logspace(hoist([direct]), CTX))[0]
    a, b = evaluate([direct, out], env)
    assert np.all(a == -np.inf)  # both terms underflow: exp(-924.5) and exp(-765)

    mpmath.mp.dps = 40
    mu, s, c, f = (mpmath.mpf(v) for v in (2, 1, 17, "0.3"))
    zg = mpmath.sqrt(mpmath.pi / 2) * s * (mpmath.erf((60 - mu) / (s * mpmath.sqrt(2))) -
                                           mpmath.erf((0 - mu) / (s * mpmath.sqrt(2))))
    ze = (1 - mpmath.exp(-c * 60)) / c

    def exact(xv: float) -> float:
        t = mpmath.mpf(xv)
        return float(mpmath.log(f * mpmath.exp(-((t - mu) / s) ** 2 / 2) / zg + (1 - f) * mpmath.exp(-c * t) / ze))

    np.testing.assert_allclose(b, [exact(45.0), exact(50.0)], rtol=1e-13)


def test_far_tail_of_a_gaussian_is_finite() -> None:
    x = obs("x", -100.0, 100.0)
    out = log_density(lowered(shapes.gaussian(x, MU, SIGMA)))
    v = evaluate([out], {"x": np.array([60.0]), "mu": 0.0, "sigma": 1.0})[0]
    np.testing.assert_allclose(v, [-1800.0 - 0.5 * np.log(2 * np.pi)], rtol=1e-14)


# ------------------------------------------------------------------------------------------- NaN and inf
SPECIAL = [-np.inf, -1000.0, -3.0, 0.0, 2.5, 800.0, np.inf, np.nan]


def test_two_terms_follow_ieee_semantics() -> None:
    u, v = obs("u"), obs("v")
    direct = apply("log", 0.3 * apply("exp", u) + 0.7 * apply("exp", v))
    out = log_density(0.3 * apply("exp", u) + 0.7 * apply("exp", v))
    assert "logaddexp" in {n.op for n in walk([out])}
    us, vs = (np.array(t) for t in zip(*itertools.product(SPECIAL, SPECIAL), strict=True))
    a, b = evaluate([direct, out], {"u": us, "v": vs})
    with np.errstate(invalid="ignore"):
        ref = np.logaddexp(us + np.log(0.3), vs + np.log(0.7))
    np.testing.assert_allclose(b, ref, rtol=1e-14, atol=1e-15)  # log(0.3 + 0.7) is 0 or -1.1e-16
    # the same as the direct form wherever that neither underflows nor overflows
    fine = np.isin(us, [-np.inf, -3.0, 0.0, 2.5, np.inf]) | np.isnan(us)
    fine &= np.isin(vs, [-np.inf, -3.0, 0.0, 2.5, np.inf]) | np.isnan(vs)
    np.testing.assert_allclose(b[fine], a[fine], rtol=1e-14, atol=1e-15)
    assert np.sum(np.isnan(b)) == np.sum(np.isnan(us) | np.isnan(vs))


def test_all_terms_zero_gives_minus_infinity() -> None:
    bs = [obs("u"), obs("v"), obs("w")]
    inf = np.inf
    for k in (2, 3):
        r = evaluate([logsumexp(bs[:k])], {"u": -inf, "v": -inf, "w": -inf})[0]
        assert r == -inf
    r = evaluate([logsumexp(bs)], {"u": inf, "v": inf, "w": inf})[0]
    assert r == inf
    r = evaluate([logsumexp(bs[:2])], {"u": inf, "v": inf})[0]
    assert r == inf  # logaddexp: no exception for two infinite terms


def test_three_terms_follow_ieee_semantics() -> None:
    names = ["u", "v", "w"]
    grid = np.array(list(itertools.product(SPECIAL, repeat=3))).T
    r = evaluate([logsumexp([obs(n) for n in names])], dict(zip(names, grid, strict=True)))[0]
    with np.errstate(invalid="ignore"):
        ref = sps.logsumexp(grid, axis=0)
    ref[np.isnan(grid).any(axis=0)] = np.nan
    np.testing.assert_allclose(r, ref, rtol=1e-14)


def test_max_terms() -> None:
    direct = apply("log", lowered(models()["three"]))
    assert "log1p" not in {n.op for n in walk(logspace([direct], CTX, max_terms=2))}
    assert per_event(logspace([direct], CTX, max_terms=2)[0])["max"] == 0
    assert per_event(logspace([apply("log", lowered(models()["gauss+exp"]))], CTX, max_terms=2)[0])["logaddexp"] == 1


def test_zero_fraction() -> None:
    direct = apply("log", lowered(models()["gauss+exp"]))
    out = logspace([direct], CTX)[0]
    for f in (0.0, 1.0):
        a, b = evaluate([direct, out], {**POINTS[0], "f": f, "x": np.linspace(-4.0, 4.0, 9)})
        np.testing.assert_allclose(b, a, rtol=1e-12)


# ------------------------------------------------------------------------------------------ the sign policy
def test_unknown_coefficient_sign_leaves_the_sum() -> None:
    direct = apply("log", lowered(models()["gauss+exp"]))
    out = hoist(logspace(hoist([direct])))[0]  # no bounds: f may be negative
    assert per_event(out)["exp"] == 2 and "log1p" not in per_event(out)
    a, b = evaluate([direct, out], {**POINTS[0], "f": -0.2, "x": np.linspace(-4.9, 4.9, 11)})
    np.testing.assert_allclose(b, a, rtol=1e-12)


def test_bounds_are_trusted() -> None:
    direct = apply("log", lowered(models()["gauss+exp"]))
    out = logspace([direct], CTX)[0]
    a, b = evaluate([direct, out], {**POINTS[0], "f": 1.2, "x": np.array([0.3])})  # outside [0, 1]
    assert np.isfinite(a).all() and np.isnan(b).all()


def test_signs_of_normalisation_integrals() -> None:
    signs = Signs()
    lo, hi = -5.0, 5.0
    assert signs.sign(integrals.gaussian(lo, hi, X, MU, SIGMA)) == POS
    assert signs.sign(integrals.exponential(lo, hi, X, C)) == POS
    assert signs.sign(integrals.lognormal(0.5, 5.0, X, MU, SIGMA)) == POS
    assert signs.sign(SIGMA * (apply("erf", MU) - apply("erf", MU + 1.0))) != POS
    assert signs.sign(1.0 - F) != POS and Signs(CTX.parameters).sign(1.0 - F) == POS


# ---------------------------------------------------------------------------------------- the other splits
def test_log_of_exp_and_of_a_quotient() -> None:
    a = X * C
    assert log_density(apply("exp", a)) is a
    assert log_density(apply("exp", a) / MU) is a + apply("log", 1.0 / MU)
    assert log_density(X * MU) is apply("log", X * MU)  # nothing to split: unchanged


def test_log_of_powers() -> None:
    y = obs("y", 0.5, 2.0)
    assert log_density(y ** 2.5) is apply("log", y) * const(2.5)  # fractional: NaN on both sides for y < 0
    assert log_density(apply("sqrt", y)) is apply("log", y) * const(0.5)
    assert log_density(y ** MU) is apply("log", y ** MU)  # y may be negative and MU an integer
    assert log_density(apply("exp", y) ** MU) is y * MU  # exp(y) > 0


def test_one_log_for_the_remaining_factors() -> None:
    y = obs("y", 0.5, 2.0)
    e = apply("exp", -X * X) * y * (X + 3.0) / MU
    out = hoist([log_density(e)])[0]
    assert per_event(out)["log"] == 1
    xs = np.linspace(-2.0, 2.0, 5)
    a, b = evaluate([apply("log", e), out], {"x": xs, "y": xs + 2.5, "mu": 0.7})
    np.testing.assert_allclose(b, a, rtol=1e-13)


def test_context_records_the_decision() -> None:
    ctx = Context()
    logspace([apply("log", lowered(models()["gauss"]))], ctx)
    assert [d.pass_name for d in ctx.decisions] == ["logspace"]
