"""Hypothesis strategies for the property tests of passes and derivatives.

* :func:`expressions`: random expression DAGs over the parameters p0..p3 and the observables x (a bounded
  domain) and y (unbounded), built from a pool of already-built nodes so that subexpressions are shared;
  real ops of the op table, complex intermediates taken back to real, comparisons and ``select``.
  ``smooth=True`` keeps to what is differentiable: arguments of log, sqrt, lgamma, fractional powers and
  denominators are guarded positive (exp(a), a*a + c), and the kinks that remain (min, max, select, abs)
  are listed by :func:`kinks` so that a test can stay away from them.
* :func:`models`: normalised mixtures of library densities (gaussian, exponential, bifurcated gaussian,
  uniform, quadrature-normalised generic shapes) with shared parameters and parameter expressions, the
  density or its log.
* :func:`points`: parameter values and observable arrays (1..n events) within a case's ranges.

Every strategy draws a :class:`Case`: the roots and the ranges its inputs are drawn from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from firmc.ir import Node, Parameter, apply, const, obs, param, rewrite, walk
from firmc.ir.types import DType, Var
from firmc.library import composite, shapes

PARAMS = ("p0", "p1", "p2", "p3")
PARAM_RANGE = (-2.0, 2.0)
X_DOMAINS = ((-2.0, 3.0), (0.0, 1.0), (0.5, 4.0), (-5.0, 5.0))
Y_EVENTS = (-3.0, 3.0)  # y is unbounded; its events are drawn from here
CONSTANTS = (0.5, 2.0, -1.0, 3.0, 0.0, 1.0, -0.25, 1e-3, 0.1, 7.5)
INT_EXPONENTS = (2.0, 3.0, 0.0, 1.0, 4.0, -1.0, -2.0)
FRAC_EXPONENTS = (0.5, -0.5, 1.5, 2.5, 1.0 / 3.0, -1.25)
COMPARISONS = ("lt", "le", "gt", "ge")

Range = tuple[float, float]


@dataclass
class Case:
    """A drawn test case: the roots to transform and where their inputs are drawn from.

    ``params`` and ``observables`` map every input name to a range (observable ranges are the domains of
    bounded observables); names a root does not use are harmless.
    """

    roots: tuple[Node, ...]
    params: dict[str, Range]
    observables: dict[str, Range]
    label: str = "expr"
    notes: list[str] = field(default_factory=list)

    @property
    def root(self) -> Node:
        return self.roots[0]

    def parameters(self) -> dict[str, Parameter]:
        """Parameters for a pass Context: the middle of each range as default, the range as bounds."""
        return {k: Parameter(k, 0.5 * (lo + hi), lo, hi) for k, (lo, hi) in self.params.items()}

    def __repr__(self) -> str:  # hypothesis prints this for a falsifying example
        return f"Case({self.label}, roots={list(self.roots)!r}, params={self.params}, obs={self.observables})"


# ------------------------------------------------------------------------------------------ random DAGs
class _Builder:
    """The pool of built nodes, real and complex, from which arguments are drawn."""

    def __init__(self, draw: st.DrawFn, smooth: bool, allow_complex: bool) -> None:
        self.draw = draw
        self.smooth = smooth
        self.allow_complex = allow_complex
        self.real: list[Node] = []
        self.cplx: list[Node] = []

    def pick(self, pool: list[Node] | None = None) -> Node:
        """An argument: often the newest node (depth), else any (shrinks towards the first, the leaves)."""
        pool = self.real if pool is None else pool
        if self.draw(st.booleans()):
            return pool[-1]
        return pool[self.draw(st.integers(0, len(pool) - 1))]

    def constant(self) -> Node:
        return const(self.draw(st.sampled_from(CONSTANTS)))

    def positive(self, a: Node) -> Node:
        """A positive function of a (a guard for log, sqrt, lgamma, ...); smooth ones when ``smooth``."""
        kinds = ["exp", "square"] if self.smooth else ["exp", "square", "abs"]
        kind = self.draw(st.sampled_from(kinds))
        c = const(self.draw(st.sampled_from((0.5, 1.0, 0.1))))
        if kind == "exp":
            return apply("exp", a)
        if kind == "square":
            return apply("add", apply("mul", a, a), c)
        return apply("add", apply("abs", a), c)

    def maybe_guard(self, a: Node) -> Node:
        """a as it is (NaN where out of the domain: tests the NaN policy) or guarded; always guarded when smooth."""
        if self.smooth or self.draw(st.booleans()):
            return self.positive(a)
        return a

    def complex_arg(self) -> Node:
        if not self.cplx or self.draw(st.integers(0, 3)) == 0:
            c = apply("complex", self.pick(), self.pick())
            self.cplx.append(c)
            return c
        return self.pick(self.cplx)


def _unary(op: str) -> Callable[[_Builder], Node]:
    return lambda b: apply(op, b.pick())


def _guarded(op: str) -> Callable[[_Builder], Node]:
    return lambda b: apply(op, b.maybe_guard(b.pick()))


def _nary(op: str, most: int) -> Callable[[_Builder], Node]:
    def build(b: _Builder) -> Node:
        n = b.draw(st.integers(2, most))
        return apply(op, *[b.constant() if b.draw(st.integers(0, 4)) == 0 else b.pick() for _ in range(n)])

    return build


def _div(b: _Builder) -> Node:
    num, den = b.pick(), b.pick()
    return apply("div", num, b.positive(den) if b.smooth else den)


def _pow_int(b: _Builder) -> Node:
    e = b.draw(st.sampled_from(INT_EXPONENTS))
    base = b.pick()
    if b.smooth and e < 0:
        base = b.positive(base)
    exponent = const(int(e)) if b.draw(st.integers(0, 3)) == 0 else const(e)  # an int-typed exponent too
    return apply("pow", base, exponent)


def _pow_frac(b: _Builder) -> Node:
    return apply("pow", b.maybe_guard(b.pick()), const(b.draw(st.sampled_from(FRAC_EXPONENTS))))


def _pow_general(b: _Builder) -> Node:
    return apply("pow", b.positive(b.pick()), apply("tanh", b.pick()))


def _lgamma(b: _Builder) -> Node:
    a = b.pick()
    return apply("lgamma", b.positive(a) if b.smooth or b.draw(st.booleans()) else a)


def _minmax(b: _Builder) -> Node:
    return apply(b.draw(st.sampled_from(("min", "max"))), b.pick(), b.pick())


def _select(b: _Builder) -> Node:
    cmp = apply(b.draw(st.sampled_from(COMPARISONS)), b.pick(), b.pick())
    return apply("select", cmp, b.pick(), b.pick())


def _abs2_real(b: _Builder) -> Node:
    return apply("abs2", b.pick())


# complex ops: each puts a complex node in the pool (and returns None) or returns a real node from one
def _c_new(b: _Builder) -> Node | None:
    b.cplx.append(apply("complex", b.pick(), b.pick()))
    return None


def _c_phase(b: _Builder) -> Node | None:
    b.cplx.append(apply("mul", b.complex_arg(), apply("exp", apply("mul", const(1j), b.pick()))))
    return None


def _c_mul(b: _Builder) -> Node | None:
    other = b.complex_arg() if b.draw(st.booleans()) else b.pick()
    b.cplx.append(apply("mul", b.complex_arg(), other))
    return None


def _c_add(b: _Builder) -> Node | None:
    other = b.complex_arg() if b.draw(st.booleans()) else b.pick()
    b.cplx.append(apply(b.draw(st.sampled_from(("add", "sub"))), b.complex_arg(), other))
    return None


def _c_div(b: _Builder) -> Node | None:
    den = apply("complex", b.positive(b.pick()), b.pick()) if b.smooth else b.complex_arg()
    b.cplx.append(apply("div", b.complex_arg(), den))
    return None


def _c_exp(b: _Builder) -> Node | None:
    b.cplx.append(apply("exp", b.complex_arg()))
    return None


def _c_conj(b: _Builder) -> Node | None:
    b.cplx.append(apply("conj", b.complex_arg()))
    return None


def _c_real(b: _Builder) -> Node:
    return apply(b.draw(st.sampled_from(("abs2", "real", "imag", "abs"))), b.complex_arg())


REAL_OPS: dict[str, Callable[[_Builder], Node]] = {
    "add": _nary("add", 4), "mul": _nary("mul", 3), "sub": lambda b: apply("sub", b.pick(), b.pick()),
    "neg": _unary("neg"), "div": _div, "pow_int": _pow_int, "pow_frac": _pow_frac, "pow": _pow_general,
    "exp": _unary("exp"), "expm1": _unary("expm1"), "log": _guarded("log"), "sqrt": _guarded("sqrt"),
    "log1p": _guarded("log1p"), "sin": _unary("sin"), "cos": _unary("cos"), "tanh": _unary("tanh"),
    "atan": _unary("atan"), "erf": _unary("erf"), "erfc": _unary("erfc"), "abs": _unary("abs"),
    "abs2": _abs2_real, "minmax": _minmax, "select": _select, "lgamma": _lgamma,
}
COMPLEX_OPS: dict[str, Callable[[_Builder], Node | None]] = {
    "complex": _c_new, "phase": _c_phase, "cmul": _c_mul, "cadd": _c_add, "cdiv": _c_div, "cexp": _c_exp,
    "conj": _c_conj, "to_real": _c_real,
}


@st.composite
def expressions(draw: st.DrawFn, max_ops: int = 14, smooth: bool = False, allow_complex: bool = True,
                ops: tuple[str, ...] | None = None, max_roots: int = 4) -> Case:
    """A random real-valued expression DAG over p0..p3, x in a bounded domain and y (unbounded).

    Arguments come from the pool of nodes built so far, so nodes are shared (a DAG, not a tree). Complex
    intermediates are taken back to real. The first root is the last node built; up to ``max_roots - 1``
    other nodes that nothing uses become roots too (sharing nodes with the first), so that every op built
    shows in some output.
    """
    lo, hi = draw(st.sampled_from(X_DOMAINS))
    x, y = obs("x", lo, hi), obs("y")
    b = _Builder(draw, smooth, allow_complex)
    b.real = [*(param(p) for p in PARAMS), x, y, b.constant()]
    names = sorted(ops if ops is not None else REAL_OPS)
    cnames = sorted(COMPLEX_OPS) if allow_complex else []
    built: list[Node] = []
    for _ in range(draw(st.integers(2, max_ops))):
        if cnames and draw(st.integers(0, 3)) == 0:
            node = COMPLEX_OPS[draw(st.sampled_from(cnames))](b)
        else:
            node = REAL_OPS[draw(st.sampled_from(names))](b)
        if node is not None:
            b.real.append(node)
            built.append(node)
    used = {a for n in [*built, *b.cplx] for a in n.args}
    for c in b.cplx:  # complex intermediates nothing uses: back to real
        if c not in used:
            built.append(apply(draw(st.sampled_from(("abs2", "real", "imag", "abs"))), c))
    if not built:
        built.append(apply("add", b.pick(), b.pick()))
    root = built[-1]
    if len(built) > 1 and draw(st.integers(0, 2)) == 0:  # combine with an earlier shared node
        other = draw(st.sampled_from(built[:-1]))
        root = apply(draw(st.sampled_from(("add", "mul", "sub"))), root, other)
    roots = [root]
    if max_roots > 1 and draw(st.booleans()):
        used = {a for n in walk([root]) for a in n.args} | {root}
        sinks = [n for n in dict.fromkeys(built) if n not in used and not any(n in m.args for m in [*built, *b.cplx])]
        roots += sinks[-(max_roots - 1):]
    params = dict.fromkeys(PARAMS, PARAM_RANGE)
    return Case(tuple(roots), params, {"x": (lo, hi), "y": Y_EVENTS}, "smooth" if smooth else "expr")


def kinks(roots: list[Node] | tuple[Node, ...]) -> list[tuple[Node, Node]]:
    """The pairs (a, b) whose crossing a = b is a kink or a jump: arguments of min, max and comparisons,
    (a, 0) for abs (|z| at z = 0 for complex z)."""
    out = []
    for n in walk(list(roots)):
        if n.op in ("min", "max", *COMPARISONS):
            out.append((n.args[0], n.args[1]))
        elif n.op == "abs":
            a = n.args[0]
            out.append((a, const(0.0)) if a.type.dtype is not DType.COMPLEX else (apply("abs", a), const(0.0)))
    return out


# ------------------------------------------------------------------------------------- model-shaped cases
MODEL_DOMAINS = ((-2.0, 3.0), (0.0, 10.0), (-5.0, 5.0), (1.0, 2.0))


@dataclass
class _ModelParams:
    """Parameter names and their ranges, built up while a model is drawn."""

    ranges: dict[str, Range] = field(default_factory=dict)

    def new(self, stem: str, rng: Range) -> Node:
        name = f"{stem}{sum(1 for k in self.ranges if k.rstrip('0123456789') == stem)}"
        self.ranges[name] = rng
        return param(name)


def _slope_range(lo: float, hi: float, sign: float) -> Range:
    """Slopes c of exp(-c x), of one sign, that keep exp within e^8 over the domain; |c| >= 1e-3 because the
    closed form loses precision for tiny slopes (see test_exponential_normalisation_small_slope)."""
    top = 8.0 / max(abs(lo), abs(hi), 1.0)
    return (1e-3, top) if sign > 0 else (-top, -1e-3)


@st.composite
def _component(draw: st.DrawFn, x: Node, ps: _ModelParams, shared: dict[str, Node], quadrature: bool) -> Node:
    lo, hi = x.attr("lo"), x.attr("hi")
    width = hi - lo
    kinds = ["gaussian", "gaussian", "exponential", "bifurcated_gaussian", "uniform"]
    if quadrature:
        kinds.append("generic")
    kind = draw(st.sampled_from(kinds))

    def mean() -> Node:
        if "mean" in shared and draw(st.booleans()):
            return shared["mean"]  # signal and resolution share their mean
        m = ps.new("mu", (lo, hi))
        shared.setdefault("mean", m)
        return m

    def sigma() -> Node:
        if "sigma" in shared and draw(st.booleans()):
            return shared["sigma"] * draw(st.sampled_from((2.0, 3.0, 0.5)))  # a parameter expression
        s = ps.new("sigma", (0.05 * width, 0.5 * width))
        shared.setdefault("sigma", s)
        return s

    if kind == "gaussian":
        return shapes.gaussian(x, mean(), sigma())
    if kind == "bifurcated_gaussian":
        return shapes.bifurcated_gaussian(x, mean(), sigma(), sigma())
    if kind == "exponential":
        return shapes.exponential(x, ps.new("c", _slope_range(lo, hi, draw(st.sampled_from((1.0, -1.0))))))
    if kind == "uniform":
        return shapes.uniform([x])
    t = (x - mean()) / sigma()
    return shapes.generic(apply("exp", -0.5 * (t * t)) + 0.1 / (1.0 + t * t))  # normalised by quadrature


@st.composite
def models(draw: st.DrawFn, quadrature: bool = True, with_y: bool = True, log: bool | None = None) -> Case:
    """A normalised mixture of 1..3 library densities over x (times a gaussian in a bounded y, sometimes),
    with shared parameters and parameter expressions: the density, or its log.

    ``quadrature=False`` keeps to densities with closed-form normalisations.
    """
    lo, hi = draw(st.sampled_from(MODEL_DOMAINS))
    x = obs("x", lo, hi)
    ps = _ModelParams()
    shared: dict[str, Node] = {}
    n = draw(st.integers(1, 3))
    pdfs = [draw(_component(x, ps, shared, quadrature)) for _ in range(n)]
    if n == 1:
        pdf = pdfs[0]
    elif draw(st.booleans()):  # n - 1 fractions summing to less than one
        pdf = composite.mixture(pdfs, [ps.new("f", (0.02, 0.98 / (n - 1))) for _ in range(n - 1)])
    else:  # n yields, normalised by their sum
        pdf = composite.mixture(pdfs, [ps.new("n", (0.5, 100.0)) for _ in range(n)])
    observables = {"x": (lo, hi)}
    if with_y and draw(st.integers(0, 2)) == 0:
        y = obs("y", 0.0, 2.0)
        observables["y"] = (0.0, 2.0)
        pdf = composite.product([pdf, shapes.gaussian(y, ps.new("mu", (0.0, 2.0)), ps.new("sigma", (0.2, 1.0)))])
    if log is None:
        log = draw(st.booleans())
    root = apply("log", pdf) if log else pdf
    return Case((root,), ps.ranges, observables, "log model" if log else "model")


# ------------------------------------------------------------------------------------------------ points
def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def points(draw: st.DrawFn, case: Case, max_events: int = 6, margin: float = 0.0) -> dict[str, Any]:
    """Parameter values (numbers) and observable values (arrays of 1..max_events events) within the case's
    ranges, shrunk by ``margin`` (a fraction of each range) at both ends."""
    env: dict[str, Any] = {}
    for name, (lo, hi) in sorted(case.params.items()):
        d = margin * (hi - lo)
        env[name] = draw(_floats(lo + d, hi - d))
    n = draw(st.integers(1, max_events))
    for name, (lo, hi) in sorted(case.observables.items()):
        env[name] = np.array(draw(st.lists(_floats(lo, hi), min_size=n, max_size=n)), dtype=float)
    return env


def random_point(case: Case, rng: np.random.Generator, events: int = 4, margin: float = 0.0) -> dict[str, Any]:
    """A point drawn uniformly within the case's ranges: generic values, where hypothesis prefers simple
    ones (0, 1, the bounds) that hide differences such as erfc(a) vs 1 + erf(a)."""
    env: dict[str, Any] = {}
    for name, (lo, hi) in sorted(case.params.items()):
        d = margin * (hi - lo)
        env[name] = float(rng.uniform(lo + d, hi - d))
    for name, (lo, hi) in sorted(case.observables.items()):
        env[name] = rng.uniform(lo, hi, events)
    return env


@st.composite
def point_sets(draw: st.DrawFn, case: Case, extra: int = 2, max_events: int = 6,
               margin: float = 0.0) -> list[dict[str, Any]]:
    """One point from :func:`points` and ``extra`` generic ones from :func:`random_point` (seeded by the draw)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    return [draw(points(case, max_events, margin)), *(random_point(case, rng, margin=margin) for _ in range(extra))]


# ------------------------------------------------------------------------------ condition-aware comparison
EPS_OP = 1e-15  # relative perturbation of every input and every operation's result: a few ulps
N_NOISY = 4  # perturbed evaluations per point
SAFETY = 100.0  # a rewrite may be this many times less exact than a perturbation shows
RTOL = 1e-12
ATOL = 1e-300
_QUADRATURE_OPS = ("normalize", "integral")


def _perturbed(roots: list[Node], rng: np.random.Generator) -> list[Node]:
    """The roots with every real or complex operation's result multiplied by (1 + u), |u| <= EPS_OP
    (QUAD_RTOL for quadratures): a model of the rounding (and quadrature) error of each operation. Constant
    subexpressions are left exact."""
    from firmc.interp import QUAD_RTOL

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        # constants stay exact: folding computes them once, and an exponent 2 - 1 must stay 1
        if not n.args or n.type.dtype not in (DType.REAL, DType.COMPLEX) or n.type.var is Var.CONST:
            return None
        same = all(a is b for a, b in zip(args, n.args, strict=True))
        new = n if same else Node.make(n.op, args, n.attrs)
        eps = QUAD_RTOL if n.op in _QUADRATURE_OPS else EPS_OP
        u, w = rng.uniform(-eps, eps, 2)
        factor = const(complex(1.0 + u, w)) if n.type.dtype is DType.COMPLEX else const(1.0 + u)
        return apply("mul", new, factor)

    return rewrite(roots, rule)


def _perturbed_env(env: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    return {k: np.asarray(v) * (1.0 + rng.uniform(-EPS_OP, EPS_OP, np.shape(v))) for k, v in env.items()}


@dataclass
class Reference:
    """Values of the original roots at a point and their sensitivity to rounding.

    ``spread[i]`` is the largest deviation of root i over N_NOISY evaluations with inputs and every operation
    perturbed by a few ulps (quadratures by their tolerance); it is NaN where a perturbed evaluation is not
    finite: there the original's finite value is an accident of rounding (a point on a pole or a domain edge).
    """

    values: list[np.ndarray]
    spread: list[np.ndarray]

    def stable(self, i: int) -> np.ndarray:
        """Where root i is finite and stays finite under perturbation: the elements a rewrite must keep."""
        return np.asarray(np.isfinite(self.values[i]) & np.isfinite(self.spread[i]))


@functools.lru_cache(maxsize=16)
def _perturbed_graphs(roots: tuple[Node, ...], seed: int) -> tuple[list[Node], ...]:
    rng = np.random.default_rng(seed)
    return tuple(_perturbed(list(roots), rng) for _ in range(N_NOISY))


def reference(roots: list[Node] | tuple[Node, ...], env: dict[str, Any], seed: int = 0) -> Reference:
    """Evaluate ``roots`` at ``env`` and estimate how much rounding moves them (see :class:`Reference`)."""
    from firmc.interp import evaluate

    roots = tuple(roots)
    values = [np.asarray(v) for v in evaluate(list(roots), env)]
    rng = np.random.default_rng(seed + 1)
    spread = [np.zeros(np.shape(v)) for v in values]
    with np.errstate(all="ignore"):
        for graph in _perturbed_graphs(roots, seed):
            noisy = evaluate(graph, _perturbed_env(env, rng))
            for i, raw in enumerate(noisy):
                w = np.asarray(raw)
                dev = np.where(np.isfinite(w), np.abs(w - values[i]), np.nan)
                spread[i] = np.maximum(spread[i], dev)  # NaN sticks
    return Reference(values, spread)


def compare(ref: Reference, i: int, got: Any, what: str, rtol: float = RTOL) -> None:
    """Assert that ``got`` agrees with root i of ``ref`` (the NaN/inf policy and the tolerance of the suite).

    * where the original is finite and stays finite under perturbation: ``got`` is finite and
      |got - v| <= rtol |v| + SAFETY spread + ATOL;
    * where the original is NaN or +-inf, or finite only by accident of rounding: anything goes (a rewrite
      may turn log(exp(800)) = inf into 800, or an inf that came from an overflow into NaN).
    """
    v = ref.values[i]
    got_a, v_b = np.broadcast_arrays(np.asarray(got), v)
    spread = np.broadcast_to(ref.spread[i], v_b.shape)
    keep = np.broadcast_to(ref.stable(i), v_b.shape)
    with np.errstate(all="ignore"):
        err = np.abs(got_a - v_b)
        tol = rtol * np.abs(v_b) + SAFETY * spread + ATOL
    bad = keep & ~(np.isfinite(got_a) & (err <= tol))
    if bad.any():
        k = np.flatnonzero(bad.ravel())[:5]
        rows = "\n".join(f"  [{j}] original {v_b.ravel()[j]!r}, got {got_a.ravel()[j]!r}, "
                         f"|diff| {err.ravel()[j]:.3g} > tol {tol.ravel()[j]:.3g} (spread {spread.ravel()[j]:.3g})"
                         for j in k)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} values changed\n{rows}")


# ------------------------------------------------------------------------------------------- amplitudes
@st.composite
def amplitudes(draw: st.DrawFn, log: bool | None = None) -> Case:
    """|sum_k c_k exp(i phi_k) BW_k(x)|^2 (or its log), BW_k = 1 / (m_k^2 - x^2 - i m_k w_k): complex
    intermediates (couplings, phases, Breit-Wigner propagators) taken back to a real intensity."""
    lo, hi = draw(st.sampled_from(((0.5, 2.0), (1.0, 3.0))))
    x = obs("x", lo, hi)
    ps = _ModelParams()
    amp: Node | None = None
    for k in range(draw(st.integers(1, 3))):
        m, w = ps.new("m", (lo, hi)), ps.new("w", (0.05, 0.5))
        bw = const(1.0) / apply("complex", m * m - x * x, -(m * w))
        coupling = const(1.0) if k == 0 else apply("complex", ps.new("a", (-2.0, 2.0)), ps.new("b", (-2.0, 2.0)))
        term = coupling * apply("exp", const(1j) * ps.new("phi", (-3.0, 3.0))) * bw
        amp = term if amp is None else amp + term
    assert amp is not None
    root = apply("abs2", amp)
    if log is None:
        log = draw(st.booleans())
    return Case((apply("log", root) if log else root,), ps.ranges, {"x": (lo, hi)}, "amplitude")
