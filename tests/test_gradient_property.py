"""Property tests of :mod:`firmc.passes.gradient`: analytic gradients and Hessians against finite differences.

Cases (tests/strategies.py): random smooth expression DAGs (guarded logs, roots, powers and denominators,
complex intermediates, min/max/select/abs away from their kinks), normalised mixtures of library densities
(the gradient goes through the lowered normalisation), Breit-Wigner amplitudes |sum c_k e^(i phi_k) BW_k|^2,
and a catalogue of every differentiable op of the op table on arguments within its domain. Reverse mode is
also compared with forward mode (:mod:`firmc.passes.derivative`).

Finite differences: central differences with steps h and h/2, h = 1e-5 (1 + |p|), combined by Richardson
extrapolation (error O(h^4)); the difference of the two estimates bounds the truncation error, and the
rounding of the function (its spread under a few-ulp perturbation of every operation, see
strategies.reference, or a few ulps of its values on the stencil) divided by h bounds the rounding error. The
analytic value must agree to 1e-6 relative plus those bounds. Events where the function is not finite at every
stencil point, or where a kink (min, max, a comparison, abs, a complex branch cut) lies within 1e-3 (relative)
of the point or between stencil points, are left out. The Hessian is checked against central differences of
the analytic gradient (itself checked against differences of the value), and for symmetry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import special

from firmc.errors import UnsupportedFeature
from firmc.interp import evaluate
from firmc.ir import OPS, DType, Node, apply, const, obs, param, verify_node, walk
from firmc.library import composite, shapes
from firmc.passes.derivative import derivative
from firmc.passes.gradient import gradient, hessian
from firmc.passes.normalise import lower_normalisation
from strategies import (
    EPS_OP,
    REAL_OPS,
    SAFETY,
    Case,
    amplitudes,
    expressions,
    kinks,
    models,
    point_sets,
    random_point,
    reference,
    smooth_catalogue,
)

GRAD_RTOL = 1e-6
STEP = 1e-5
KINK_GAP = 1e-3
HUGE = 1e250  # values beyond this are left out: their differences overflow

CASES = {
    "expression": expressions(smooth=True, max_ops=9, max_roots=1),
    # the Hessian of lgamma needs trigamma, which the op table lacks (test_hessian_through_lgamma)
    "expression without lgamma": expressions(smooth=True, max_ops=9, max_roots=1,
                                             ops=tuple(k for k in REAL_OPS if k != "lgamma")),
    "model": models(quadrature=False),
    "amplitude": amplitudes(),
}


@dataclass
class FiniteDifference:
    """d(node)/d(p) by Richardson-extrapolated central differences for a list of nodes, per event."""

    value: list[np.ndarray]  # the extrapolated derivative
    error: list[np.ndarray]  # |extrapolated - central difference with step h/2|: bounds the truncation error
    size: list[np.ndarray]  # the largest |value| on the stencil: rounding there is about EPS_OP times this
    h: float
    ok: list[np.ndarray]  # per node, events where it is finite on the stencil and none of its kinks is near


def _events(env: dict[str, Any]) -> int:
    return max((np.size(v) for v in env.values()), default=1)


def _column(v: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(v, dtype=float), (n,))


def finite_difference(nodes: Sequence[Node], env: dict[str, Any], p: str,
                      node_kinks: Sequence[Sequence[tuple[Node, Node]]]) -> FiniteDifference:
    """Differences of ``nodes`` in the parameter p; node i is trusted where it is finite on the stencil and no
    kink of ``node_kinks[i]`` lies within KINK_GAP (relative) of the point or between stencil points."""
    n, k = _events(env), len(nodes)
    pairs = list(dict.fromkeys(pair for ks in node_kinks for pair in ks))
    diffs = [a - b for a, b in pairs]
    scales = [1.0 + apply("abs", a) + apply("abs", b) for a, b in pairs]
    h = STEP * (1.0 + abs(env[p]))
    center = [_column(v, n) for v in evaluate([*diffs, *scales], env)]
    rows = []
    for s in (h, -h, 0.5 * h, -0.5 * h):
        rows.append([_column(v, n) for v in evaluate([*nodes, *diffs], {**env, p: env[p] + s})])
    with np.errstate(all="ignore"):
        near = {}  # per kink: events where it is near the point or crossed on the stencil
        for j, pair in enumerate(pairs):
            gap = center[j]
            bad = ~(np.abs(gap) >= KINK_GAP * center[len(pairs) + j])
            for r in rows:
                bad |= np.sign(r[k + j]) != np.sign(gap)
            near[pair] = bad
        d1 = [(rows[0][i] - rows[1][i]) / (2.0 * h) for i in range(k)]
        d2 = [(rows[2][i] - rows[3][i]) / h for i in range(k)]
        value = [(4.0 * b - a) / 3.0 for a, b in zip(d1, d2, strict=True)]
        error = [np.abs(r - b) for r, b in zip(value, d2, strict=True)]
        size = [np.max([np.abs(r[i]) for r in rows], axis=0) for i in range(k)]
        ok = []
        for i in range(k):
            good = np.isfinite(value[i])
            for r in rows:
                good &= np.isfinite(r[i]) & (np.abs(r[i]) < HUGE)
            for pair in node_kinks[i]:
                good &= ~near[pair]
            ok.append(good)
    return FiniteDifference(value, error, size, h, ok)


def assert_agree(analytic: Any, fd: FiniteDifference, i: int, spread_f: np.ndarray, spread_a: np.ndarray,
                 what: str, rtol: float = GRAD_RTOL) -> None:
    """analytic == fd.value[i] within rtol (1e-6) + truncation + rounding bounds, where fd.ok."""
    n = fd.ok[i].shape[0]
    got = _column(analytic, n)
    want = fd.value[i]
    with np.errstate(all="ignore"):
        # rounding: of the function on the stencil (its spread at the point, or a few ulps of its values on the
        # stencil, whichever is larger) divided by the step h/2, and of the analytic derivative itself
        spread_fd = np.maximum(_column(spread_f, n), EPS_OP * fd.size[i])
        rounding = SAFETY * (2.0 * spread_fd / fd.h + _column(spread_a, n))
        tol = rtol * np.abs(want) + 10.0 * fd.error[i] + rounding + 1e-300
        diff = np.abs(got - want)
    keep = fd.ok[i] & np.isfinite(rounding)
    bad = keep & ~(np.isfinite(got) & (diff <= tol))
    if bad.any():
        j = np.flatnonzero(bad)[:4]
        rows = "\n".join(f"  event {e}: analytic {got[e]!r}, finite differences {want[e]!r} "
                         f"(|diff| {diff[e]:.3g} > tol {tol[e]:.3g})" for e in j)
        raise AssertionError(f"{what}: {int(bad.sum())} of {int(keep.sum())} events disagree\n{rows}")


def check_derivatives(case: Case, envs: list[dict[str, Any]], columns: Sequence[str] | None = None) -> int:
    """The gradient of the case's root against finite differences of its value at ``envs``; with
    ``columns``, the Hessian columns d2/d(.)d(b) for b in columns against finite differences of the analytic
    gradient, and the symmetry of the Hessian. Returns how many (event, parameter) pairs were checked."""
    root = case.root
    wrt = sorted(case.params)
    (smooth,) = lower_normalisation([root])  # the closed forms: finite differences of quadratures are noise
    grad = gradient(root, wrt)
    assert sorted(grad) == wrt
    for p, g in grad.items():
        verify_node(g)
        # an integer literal k gives d(k p)/dp = k typed int: pinned by test_derivative_of_integer_multiple
        int_literal = g.op == "const" and g.type.dtype is DType.INT
        assert g.type.dtype is root.type.dtype or int_literal, f"d/d{p} has type {g.type}"
    gs = [grad[p] for p in wrt]
    second = columns is not None
    hess = hessian(root, wrt) if second else {}
    if second:
        assert sorted(hess) == sorted((a, b) for a in wrt for b in wrt)
        for h_node in hess.values():
            verify_node(h_node)
    cols = list(columns or ())
    h_keys = [(a, b) for b in cols for a in wrt] + [(b, a) for b in cols for a in wrt]
    h_nodes = list(dict.fromkeys(hess[k] for k in h_keys))  # (a, b) and (b, a) are often the same node
    h_index = {k: h_nodes.index(hess[k]) for k in h_keys}
    pairs = kinks([smooth, *gs])  # a kink of the value is one of its derivatives too: all count for each
    checked = 0
    for env in envs:
        ref = reference([smooth, *gs], env)
        href = reference(h_nodes, env) if second else None
        n = _events(env)
        grad_values = [_column(v, n) for v in evaluate(gs, env)]
        for j, b in enumerate(wrt):
            nodes = [smooth, *gs] if b in cols else [smooth]
            fd = finite_difference(nodes, env, b, [pairs] * len(nodes))
            assert_agree(grad_values[j], fd, 0, ref.spread[0], ref.spread[1 + j], f"d/d{b} ({case.label})")
            checked += int(fd.ok[0].sum())
            if href is None or b not in cols:
                continue
            h_values = evaluate([hess[(a, b)] for a in wrt], env)
            for i, a in enumerate(wrt):
                assert_agree(h_values[i], fd, 1 + i, ref.spread[1 + i], href.spread[h_index[(a, b)]],
                             f"d2/d{a}d{b} ({case.label})")
            for a in wrt:  # symmetry
                hab, hba = (_column(v, n) for v in evaluate([hess[(a, b)], hess[(b, a)]], env))
                spread = SAFETY * (_column(href.spread[h_index[(a, b)]], n) + _column(href.spread[h_index[(b, a)]], n))
                with np.errstate(all="ignore"):  # where a spread is NaN the value is an accident of rounding
                    bad = np.isfinite(hab) & np.isfinite(hba) & np.isfinite(spread) & \
                        ~(np.abs(hab - hba) <= 1e-9 * np.abs(hab) + spread)
                assert not bad.any(), f"d2/d{a}d{b} = {hab!r} but d2/d{b}d{a} = {hba!r}"
    return checked


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _gradient_test(kind: str, examples: int) -> Any:
    @_settings(examples)
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        case = data.draw(CASES[kind], label="case")
        envs = data.draw(point_sets(case, extra=1, margin=0.02), label="points")
        assume(check_derivatives(case, envs) > 0)

    test.__doc__ = f"The gradient of {kind}s against finite differences of the value."
    return test


def _hessian_test(kind: str, examples: int) -> Any:
    @_settings(examples)
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        case = data.draw(CASES[kind], label="case")
        assume(case.params)
        columns = data.draw(st.lists(st.sampled_from(sorted(case.params)), min_size=1, max_size=2, unique=True),
                            label="columns")
        envs = data.draw(point_sets(case, extra=1, margin=0.02), label="points")
        assume(check_derivatives(case, envs, columns) > 0)

    test.__doc__ = (f"Two (drawn) columns of the Hessian of {kind}s against finite differences of the analytic "
                    "gradient (all columns would cost n^2 evaluations), and its symmetry.")
    return test


# random expressions are cheap and varied: many of them; models and amplitudes have more parameters
test_gradient_expression = _gradient_test("expression", 100)
test_gradient_model = _gradient_test("model", 30)
test_gradient_amplitude = _gradient_test("amplitude", 30)
test_hessian_expression = _hessian_test("expression without lgamma", 50)
test_hessian_model = _hessian_test("model", 15)
test_hessian_amplitude = _hessian_test("amplitude", 15)


@_settings(100)
@given(data=st.data())
def test_reverse_mode_matches_forward_mode(data: st.DataObject) -> None:
    """The reverse-mode gradient and the forward-mode derivative are the same function."""
    case = data.draw(st.one_of(CASES["expression"], CASES["amplitude"]), label="case")
    env = data.draw(point_sets(case, extra=0), label="points")[0]
    wrt = sorted(case.params)
    grad = gradient(case.root, wrt)
    forward = [derivative(case.root, p) for p in wrt]
    ref = reference(forward, env)
    for i, got in enumerate(evaluate([grad[p] for p in wrt], env)):
        v, spread = ref.values[i], ref.spread[i]
        with np.errstate(all="ignore"):
            ok = np.isfinite(v) & np.isfinite(spread) & (np.abs(v) < HUGE)
            bad = ok & ~(np.abs(got - v) <= 1e-9 * np.abs(v) + SAFETY * spread + 1e-300)
        assert not np.any(bad), f"d/d{wrt[i]}: reverse {got!r} vs forward {v!r}"


# ----------------------------------------------------------------------------------------- the op catalogue
def _no_rule(op: str) -> bool:
    opdef = OPS[op]
    return opdef.deriv is None and opdef.vjp is None


@pytest.fixture(scope="module")
def smooth_swept() -> tuple[Case, list[dict[str, Any]]]:
    case = smooth_catalogue()
    rng = np.random.default_rng(7)
    return case, [random_point(case, rng, events=5, margin=0.05) for _ in range(2)]


def _known_wrong(r: Node) -> bool:
    """Derivative rules known to be wrong, pinned by strict xfail tests instead: acosh of a complex value
    (test_acosh_of_complex)."""
    return any(n.op == "acosh" and n.args[0].type.dtype is DType.COMPLEX for n in walk([r]))


def _rtol(r: Node) -> float:
    """landau_cdf (CERNLIB DISLAN) and its derivative landau (DENLAN) are separate approximations that agree to
    about 1e-6 relative, not to the 1e-6 asked of derivatives elsewhere."""
    return 2e-5 if any(n.op == "landau_cdf" for n in walk([r])) else GRAD_RTOL


def _differentiable(roots: Sequence[Node], wrt: list[str], second: bool) -> tuple[list[Node], list[str]]:
    """The roots whose gradient (Hessian) builds, and why the others do not; only ops without a derivative rule
    in the op table may stop it (and digamma, landau: derivatives of ops that have one, for the Hessian)."""
    keep, refused = [], []
    for r in roots:
        if _known_wrong(r):
            continue
        try:
            hessian(r, wrt) if second else gradient(r, wrt)
        except UnsupportedFeature as err:
            refused.append(f"{r.op}({', '.join(a.op for a in r.args)}): {err}")
            culprits = {n.op for n in walk([r]) if _no_rule(n.op)}
            assert culprits, f"no derivative of {r!r} although every op has a rule: {err}"
        else:
            keep.append(r)
    return keep, refused


def test_gradient_on_catalogue(smooth_swept: tuple[Case, list[dict[str, Any]]]) -> None:
    """Every differentiable op of the op table, on arguments within its domain: gradient vs finite differences."""
    case, envs = smooth_swept
    wrt = sorted(case.params)
    roots, _ = _differentiable(case.roots, wrt, second=False)
    grads = [gradient(r, wrt) for r in roots]
    gnodes = [g[p] for g in grads for p in wrt]
    for g in gnodes:
        verify_node(g)
    node_kinks = [kinks([r]) for r in roots]
    for env in envs:
        ref = reference(roots, env)
        gref = reference(gnodes, env)
        for j, b in enumerate(wrt):
            fd = finite_difference(roots, env, b, node_kinks)
            for i, r in enumerate(roots):
                k = i * len(wrt) + j
                assert_agree(gref.values[k], fd, i, ref.spread[i], gref.spread[k], f"d/d{b} of {r.op}: {r!r}",
                             _rtol(r))


def test_hessian_on_catalogue(smooth_swept: tuple[Case, list[dict[str, Any]]]) -> None:
    """The same for the Hessian, against differences of the analytic gradient, at one point; ops whose
    derivative has no rule (digamma, landau) are left out (test_hessian_through_lgamma)."""
    case, envs = smooth_swept
    wrt = ["p0", "p3"]  # every argument kind of the catalogue depends on one of them (all four: 4x the time)
    roots, _ = _differentiable(case.roots, wrt, second=True)
    grads = [gradient(r, wrt) for r in roots]
    hess = [hessian(r, wrt) for r in roots]
    gnodes = [g[a] for g in grads for a in wrt]
    hnodes = [h[(a, b)] for h in hess for a in wrt for b in wrt]
    node_kinks = [kinks([r, *(g[a] for a in wrt)]) for r, g in zip(roots, grads, strict=True)]
    m = len(wrt)
    env = envs[0]
    gref = reference(gnodes, env)  # the rounding of the Hessian itself is left to the 1e-6 relative
    hvalues = evaluate(hnodes, env)
    for j, b in enumerate(wrt):
        fd = finite_difference(gnodes, env, b, [node_kinks[i // m] for i in range(len(gnodes))])
        for i in range(len(gnodes)):
            r, a = roots[i // m], wrt[i % m]
            k = (i // m) * m * m + (i % m) * m + j
            assert_agree(hvalues[k], fd, i, gref.spread[i], np.zeros(()), f"d2/d{a}d{b} of {r.op}: {r!r}", _rtol(r))


# ----------------------------------------------------------------------------------------- named cases
def test_phase_times_coupling_abs2() -> None:
    """|complex(p0, p1) exp(i p2)|^2 = p0^2 + p1^2, whatever the phase."""
    p0, p1, p2 = param("p0"), param("p1"), param("p2")
    root = apply("abs2", apply("complex", p0, p1) * apply("exp", const(1j) * p2))
    g = gradient(root, ["p0", "p1", "p2"])
    h = hessian(root, ["p0", "p1", "p2"])
    env = {"p0": 0.7, "p1": -1.3, "p2": 0.4}
    got = [float(v) for v in evaluate([g["p0"], g["p1"], g["p2"]], env)]
    assert got == pytest.approx([1.4, -2.6, 0.0], rel=1e-14, abs=1e-14)
    hv = [float(v) for v in evaluate([h[("p0", "p0")], h[("p0", "p1")], h[("p1", "p1")], h[("p2", "p2")]], env)]
    assert hv == pytest.approx([2.0, 0.0, 2.0, 0.0], abs=1e-13)


def test_gradient_through_normalised_mixture() -> None:
    x = obs("x", -2.0, 3.0)
    pdf = composite.mixture([shapes.gaussian(x, param("mu"), param("sigma")), shapes.exponential(x, param("c"))],
                            [param("f")])
    case = Case((apply("log", pdf),), {"mu": (-1.0, 1.0), "sigma": (0.5, 1.5), "c": (0.1, 1.0), "f": (0.2, 0.8)},
                {"x": (-2.0, 3.0)}, "log mixture")
    env = {"mu": 0.2, "sigma": 0.9, "c": 0.4, "f": 0.3, "x": np.array([-1.5, 0.0, 0.7, 2.9])}
    assert check_derivatives(case, [env], columns=sorted(case.params)) == 4 * 4


@pytest.mark.xfail(strict=True, raises=UnsupportedFeature,
                   reason="d digamma / dx (trigamma) has no rule in the op table: no Hessian through lgamma(parameter)")
def test_hessian_through_lgamma() -> None:
    h = hessian(apply("lgamma", apply("exp", param("p0"))), ["p0"])
    got = float(evaluate([h[("p0", "p0")]], {"p0": 0.3})[0])
    t = math.exp(0.3)  # d2/dp2 lgamma(e^p) = e^p digamma(e^p) + e^2p trigamma(e^p)
    assert got == pytest.approx(t * float(special.digamma(t)) + t * t * float(special.polygamma(1, t)), rel=1e-12)


@pytest.mark.xfail(strict=True, reason="the op table differentiates acosh as 1/sqrt(a*a - 1): for complex a with "
                   "Re a < 0 that is the wrong branch (NumPy's arccosh needs 1/(sqrt(a - 1) sqrt(a + 1)))")
def test_acosh_of_complex() -> None:
    z = apply("complex", param("p0"), param("p1"))
    g = gradient(apply("imag", apply("acosh", z)), ["p0"])["p0"]
    env = {"p0": -2.0, "p1": 0.5}
    h = 1e-6
    want = (np.arccosh(complex(-2.0 + h, 0.5)) - np.arccosh(complex(-2.0 - h, 0.5))).imag / (2 * h)
    assert float(evaluate([g], env)[0]) == pytest.approx(want, rel=1e-8)


@pytest.mark.xfail(strict=True, reason="d(k p)/dp for an integer literal k (ROOT's 2*x) is the literal itself, typed "
                   "int: the derivative of a real output should be real (reverse and forward mode alike)")
def test_derivative_of_integer_multiple() -> None:
    root = apply("mul", const(2), param("p"))
    assert gradient(root, ["p"])["p"].type.dtype is DType.REAL
    assert derivative(root, "p").type.dtype is DType.REAL
