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


# patterns that passes rewrite (fold, cse, strength reduction, logspace), more likely than by chance
def _identity(b: _Builder) -> Node:
    """x * 1, x + 0, x - 0, -(-x), x / 1, x * -1, (-a) * (-c), 0 - x ...: exact identities (and near misses:
    x + 0.0 is not x for x = -0.0)."""
    a = b.pick()
    kind = b.draw(st.integers(0, 9))
    one, zero = const(b.draw(st.sampled_from((1.0, 1)))), const(b.draw(st.sampled_from((0.0, -0.0, 0))))
    if kind == 0:
        return apply("mul", *((a, one) if b.draw(st.booleans()) else (one, a)))
    if kind == 1:
        return apply("add", *((a, zero) if b.draw(st.booleans()) else (zero, a)))
    if kind == 2:
        return apply("sub", a, zero)
    if kind == 3:
        return apply("sub", zero, a)
    if kind == 4:
        return apply("neg", apply("neg", a))
    if kind == 5:
        return apply("div", a, const(b.draw(st.sampled_from((1.0, -1.0)))))
    if kind == 6:
        return apply("mul", a, const(-1.0))
    c = b.pick()
    if kind == 7:
        op = b.draw(st.sampled_from(("mul", "div")))
        return apply(op, apply("neg", a), apply("neg", b.positive(c) if b.smooth and op == "div" else c))
    if kind == 8:
        return apply("add", a, apply("neg", c))
    return apply("sub", a, apply("neg", c))


def _commuted(b: _Builder) -> Node:
    """op(a, c) combined with op(c, a) (or a < c with c > a): the same value written twice, for CSE."""
    a, c = b.pick(), b.pick()
    if b.draw(st.booleans()):
        op = b.draw(st.sampled_from(("add", "mul")))
        return apply(b.draw(st.sampled_from(("add", "mul", "sub"))), apply(op, a, c), apply(op, c, a))
    cmp, flipped = b.draw(st.sampled_from((("lt", "gt"), ("le", "ge"))))
    x, y = b.pick(), b.pick()
    return apply("add", apply("select", apply(cmp, a, c), x, y), apply("select", apply(flipped, c, a), y, x))


def _strength(b: _Builder) -> Node:
    """pow with literal exponents, abs2 and |x| * |x| of reals, division by literals and parameters."""
    a = b.pick()
    kind = b.draw(st.integers(0, 3))
    if kind == 0:
        e = b.draw(st.sampled_from((2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 17.0, -1.0, -2.0, -3.0, 0.5, -0.5, 0.0, 1.0)))
        base = b.positive(a) if b.smooth and (e < 0 or not e.is_integer()) else a
        return apply("pow", base, const(int(e)) if e.is_integer() and b.draw(st.booleans()) else const(e))
    if kind == 1:
        return apply("abs2", a) if b.draw(st.booleans()) else apply("mul", apply("abs", a), apply("abs", a))
    if kind == 2:
        return apply("div", a, const(b.draw(st.sampled_from((2.0, 4.0, 0.5, 0.25, 3.0, 10.0, -8.0)))))
    den = param(b.draw(st.sampled_from(PARAMS)))
    return apply("div", a, b.positive(den) if b.smooth else den)


def _log_exp(b: _Builder) -> Node:
    """log(exp(a)), exp(log(a)), log of products, quotients and powers of exponentials."""
    a, c = b.pick(), b.pick()
    kind = b.draw(st.integers(0, 4))
    if kind == 0:
        return apply("log", apply("exp", a))
    if kind == 1:
        return apply("exp", apply("log", b.maybe_guard(a)))
    if kind == 2:
        return apply("log", apply("mul", apply("exp", a), apply("exp", c)))
    if kind == 3:
        return apply("log", apply("div", apply("exp", a), b.positive(c)))
    return apply("log", apply("pow", b.maybe_guard(a), const(b.draw(st.sampled_from((2.0, 3.0, 0.5))))))


def _log_sum_exp(b: _Builder) -> Node:
    """log(sum_k c_k exp(a_k)) with positive coefficients (literals, exp(p), p^2 + c), sometimes with a
    difference (where a log-sum-exp rewrite must not apply)."""
    terms = []
    for _ in range(b.draw(st.integers(2, 4))):
        e = apply("exp", b.pick())
        kind = b.draw(st.integers(0, 3))
        if kind == 0:
            terms.append(e)
        elif kind == 1:
            terms.append(apply("mul", const(b.draw(st.sampled_from((0.5, 2.0, 1e-3, 3.0)))), e))
        elif kind == 2:
            terms.append(apply("mul", apply("exp", param(b.draw(st.sampled_from(PARAMS)))), e))
        else:
            terms.append(apply("mul", b.positive(param(b.draw(st.sampled_from(PARAMS)))), e))
    if b.draw(st.integers(0, 3)) == 0:
        return apply("log", b.positive(apply("sub", terms[0], apply("add", *terms[1:]))))
    return apply("log", apply("add", *terms))


PATTERNS = ("identity", "commuted", "strength", "log_exp", "log_sum_exp")


REAL_OPS: dict[str, Callable[[_Builder], Node]] = {
    "add": _nary("add", 4), "mul": _nary("mul", 3), "sub": lambda b: apply("sub", b.pick(), b.pick()),
    "neg": _unary("neg"), "div": _div, "pow_int": _pow_int, "pow_frac": _pow_frac, "pow": _pow_general,
    "exp": _unary("exp"), "expm1": _unary("expm1"), "log": _guarded("log"), "sqrt": _guarded("sqrt"),
    "log1p": _guarded("log1p"), "sin": _unary("sin"), "cos": _unary("cos"), "tanh": _unary("tanh"),
    "atan": _unary("atan"), "erf": _unary("erf"), "erfc": _unary("erfc"), "abs": _unary("abs"),
    "abs2": _abs2_real, "minmax": _minmax, "select": _select, "lgamma": _lgamma,
    "identity": _identity, "commuted": _commuted, "strength": _strength, "log_exp": _log_exp,
    "log_sum_exp": _log_sum_exp,
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
    names += [k for k in PATTERNS if k in names]  # twice as likely as the other ops
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


# complex functions with branch cuts on an axis: crossing either axis may cross the cut
_CUTS = frozenset({"log", "log10", "sqrt", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arg", "pow"})


def kinks(roots: list[Node] | tuple[Node, ...]) -> list[tuple[Node, Node]]:
    """The pairs (a, b) whose crossing a = b is a kink or a jump: arguments of min, max and comparisons,
    (a, 0) for abs (|z| at z = 0 for complex z), and for functions of a complex z with a branch cut, (Re z, 0)
    and (Im z, 0)."""
    out = []
    for n in walk(list(roots)):
        if n.op in ("min", "max", *COMPARISONS):
            out.append((n.args[0], n.args[1]))
        elif n.op == "abs":
            a = n.args[0]
            out.append((a, const(0.0)) if a.type.dtype is not DType.COMPLEX else (apply("abs", a), const(0.0)))
        elif n.op in _CUTS and n.args[0].type.dtype is DType.COMPLEX:
            z = n.args[0]
            out += [(apply("real", z), const(0.0)), (apply("imag", z), const(0.0))]
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
    # distinct components: the same density twice makes logspace do more work per event (a log-sum-exp over
    # equal exponents), pinned by test_logspace_repeated_component instead
    pdfs = list(dict.fromkeys(draw(_component(x, ps, shared, quadrature)) for _ in range(draw(st.integers(1, 3)))))
    n = len(pdfs)
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
TINY = 4.0 * 2.0**-1074  # absolute rounding of results in the subnormal range
_UNDERFLOWING = frozenset({"mul", "div", "pow", "exp", "abs2", "erfc", "tgamma", "gammainc", "gammaincc", "landau",
                           "faddeeva", "normalize", "integral"})


_POOL = 64


@functools.cache
def _pools() -> tuple[dict[tuple[bool, bool], list[Node]], dict[bool, list[Node]]]:
    """Perturbation factors 1 + u (|u| <= EPS_OP, or QUAD_RTOL for quadratures) and subnormal offsets, real and
    complex: each perturbed node draws one (built once: constants are not cheap to intern)."""
    from firmc.interp import QUAD_RTOL

    u = np.random.default_rng(12345).uniform(-1.0, 1.0, (4, _POOL))
    factors = {(quad, cplx): [const(complex(1.0 + eps * a, eps * b) if cplx else 1.0 + eps * a)
                              for a, b in zip(*u[:2], strict=True)]
               for quad, eps in ((False, EPS_OP), (True, QUAD_RTOL)) for cplx in (False, True)}
    offsets = {cplx: [const(complex(TINY * a, TINY * b) if cplx else TINY * a) for a, b in zip(*u[2:], strict=True)]
               for cplx in (False, True)}
    return factors, offsets


def _perturbed(roots: list[Node], rng: np.random.Generator) -> list[Node]:
    """The roots with every real or complex operation's result v replaced by v (1 + u) + t, |u| <= EPS_OP
    (QUAD_RTOL for quadratures): a model of the rounding (and quadrature) error of each operation. t, a few
    subnormal ulps, is added to the results of the ops that can underflow: there rounding is absolute, and a
    rewrite that avoids the underflow (log(exp(a) + exp(b)) as a log-sum-exp) is more accurate, not wrong.
    Constant subexpressions are left exact."""
    factors, offsets = _pools()
    picks = iter(rng.integers(0, _POOL, 2 * sum(1 for _ in walk(roots)) + 1).tolist())

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        # constants stay exact: folding computes them once, and an exponent 2 - 1 must stay 1
        if not n.args or n.type.dtype not in (DType.REAL, DType.COMPLEX) or n.type.var is Var.CONST:
            return None
        same = all(a is b for a, b in zip(args, n.args, strict=True))
        new = n if same else Node.make(n.op, args, n.attrs)
        cplx = n.type.dtype is DType.COMPLEX
        out = Node.make("mul", (new, factors[(n.op in _QUADRATURE_OPS, cplx)][next(picks)]))
        if n.op in _UNDERFLOWING:
            out = Node.make("add", (out, offsets[cplx][next(picks)]))
        return out

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


# --------------------------------------------------------------------------------------- the op catalogue
def _as_real(n: Node, a: Node, c: Node) -> list[Node]:
    """Real roots showing ``n``: itself, select(n, a, c) for a bool, n + 0.0 for an int, abs2/real/imag of a
    complex value."""
    dt = n.type.dtype
    if dt is DType.BOOL:
        return [apply("select", n, a, c)]
    if dt is DType.INT:
        return [apply("add", n, const(0.0))]
    if dt is DType.COMPLEX:
        return [apply("abs2", n), apply("real", n), apply("imag", n)]
    return [n]


def catalogue() -> Case:
    """Every op of the op table on a few kinds of arguments (mixed-sign and positive per-event values,
    parameters, complex values, booleans, integer literals), and the patterns of :data:`PATTERNS` in each of
    their variants, as the roots of one case: a deterministic sweep that a new op or rule cannot escape.
    Ops whose type rules refuse an argument kind are skipped for it; structural ops are left out. Roots the
    interpreter fails on are left out too, and listed in ``notes``."""
    from firmc.errors import IRError
    from firmc.interp import evaluate
    from firmc.ir import OPS

    x, y = obs("x", -2.0, 3.0), obs("y")
    p0, p1, p2, p3 = (param(p) for p in PARAMS)
    a, c, q = x - p0, p1 * y + 0.5, p2
    pos = apply("exp", p3 - x)
    z = apply("complex", a, c)
    w = apply("mul", apply("complex", q, a), apply("exp", apply("mul", const(1j), c)))
    ba, bb = apply("lt", a, c), apply("ge", c, q)
    two, m7 = const(2), const(-7)
    unary_args = [(a,), (pos,), (q,), (z,), (ba,), (two,)]
    binary_args = [(a, c), (c, a), (pos, a), (a, q), (q, pos), (z, w), (z, a), (a, z), (ba, bb), (m7, two), (a, two)]
    roots: list[Node] = []
    for name, op in OPS.items():
        if op.numpy is None:
            continue
        lo, hi = op.arity
        shapes_: list[tuple[Node, ...]] = []
        if lo <= 1 and (hi is None or hi >= 1):
            shapes_ += unary_args
        if lo <= 2 and (hi is None or hi >= 2):
            shapes_ += binary_args
        if hi is None:
            shapes_ += [(a, c, q), (z, a, c), (pos, pos, a)]
        if lo == 3:
            shapes_ += [(ba, a, c), (bb, z, w), (apply("gt", a, q), pos, q)]
        for args in shapes_:
            try:
                n = apply(name, *args)
            except IRError:
                continue
            roots += _as_real(n, a, c)
    for e in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 17.0, -1.0, -2.0, -3.0, 0.5, -0.5, 1.5, 1.0 / 3.0):
        roots += [apply("pow", base, const(e)) for base in (a, pos, q)]
        if e.is_integer():
            roots += [apply("pow", base, const(int(e))) for base in (a, pos)]
    for zero in (const(0.0), const(-0.0), const(0)):
        roots += [apply("add", a, zero), apply("add", zero, a), apply("sub", a, zero), apply("sub", zero, a)]
    for one in (const(1.0), const(1), const(-1.0)):
        roots += [apply("mul", a, one), apply("mul", one, a), apply("div", a, one)]
    roots += [
        apply("neg", apply("neg", a)), apply("mul", apply("neg", a), apply("neg", c)),
        apply("div", apply("neg", a), apply("neg", c)), apply("add", a, apply("neg", c)),
        apply("sub", a, apply("neg", c)), apply("sub", apply("add", a, c), apply("add", c, a)),
        apply("add", apply("mul", a, c), apply("mul", c, a)),
        apply("add", apply("select", apply("lt", a, c), x, y), apply("select", apply("gt", c, a), y, x)),
        apply("mul", apply("abs", a), apply("abs", a)), apply("abs2", a),
        *(apply("div", a, const(k)) for k in (2.0, 4.0, 0.5, 0.25, 3.0, 10.0, -8.0, 1e300, 1e-300)),
        apply("div", a, q), apply("div", a, pos), apply("div", pos, q * q + 1.0),
        apply("log", apply("exp", a)), apply("exp", apply("log", a)), apply("exp", apply("log", pos)),
        apply("log", apply("exp", a * 400.0)), apply("log", apply("mul", apply("exp", a), apply("exp", c))),
        apply("log", apply("div", apply("exp", a), pos)), apply("log", apply("pow", pos, const(3.0))),
        apply("log", apply("add", apply("exp", a), apply("exp", c))),
        apply("log", apply("add", apply("exp", a * 300.0), apply("mul", const(2.0), apply("exp", c * 300.0)))),
        apply("log", apply("add", apply("mul", apply("exp", q), apply("exp", a)), apply("exp", c), apply("exp", q))),
        apply("log", apply("sub", apply("exp", a), apply("exp", c))),
        apply("log", apply("add", apply("exp", a), apply("mul", q, apply("exp", c)))),
        apply("sqrt", apply("mul", a, a)), apply("mul", apply("sqrt", pos), apply("sqrt", pos)),
        apply("mul", apply("exp", p1), apply("add", x, apply("exp", p2))),  # per-evaluation factors (hoist)
        apply("div", apply("sub", x, p0 * 2.0), apply("exp", p1)),
    ]
    case = Case((), dict.fromkeys(PARAMS, PARAM_RANGE), {"x": (-2.0, 3.0), "y": Y_EVENTS}, "catalogue")
    env = random_point(case, np.random.default_rng(0))
    kept: list[Node] = []
    for r in dict.fromkeys(roots):  # the interpreter must evaluate every root; those it cannot are noted
        try:
            evaluate([r], env)
        except Exception as err:  # any failure is noted (and a test asserts there is none)
            case.notes.append(f"{r!r}: {type(err).__name__}: {err}")
        else:
            kept.append(r)
    case.roots = tuple(kept)
    return case


# ops whose derivative is zero almost everywhere, with jumps: nothing for finite differences to check
_STEPS = frozenset({"floor", "ceil", "trunc", "round", "sign", "idiv", "mod", "lt", "le", "gt", "ge", "eq", "ne",
                    "approx_eq", "and", "or", "not"})


def smooth_catalogue() -> Case:
    """Every op of the op table with a derivative, on arguments inside its domain that depend on the
    parameters p0..p3 (and on x): for gradients and Hessians against finite differences, op by op. Complex
    results are taken back to real (abs2, real, imag, and abs and arg away from zero)."""
    from firmc.errors import IRError
    from firmc.ir import OPS

    x = obs("x", 0.5, 2.0)
    p0, p1, p2, p3 = (param(p) for p in PARAMS)
    u = p0 * x + p1  # mixed sign
    v = p2 - p3 * x
    pos = apply("exp", 0.5 * (p3 - x) + 0.3 * p0)
    unit = 0.9 * apply("tanh", u)  # inside (-1, 1)
    big = 1.0 + pos + p2 * p2  # > 1
    z = apply("complex", u, v)
    w = apply("mul", apply("complex", pos, p1), apply("exp", apply("mul", const(1j), p2 * x)))
    arg_sets = {
        1: [(u,), (pos,), (unit,), (big,), (z,), (w,)],
        2: [(u, v), (pos, u), (big, pos), (z, w), (w, u), (u, z)],
        3: [(apply("lt", u, v), u, v), (apply("gt", pos, big * 0.5), z, w)],
    }
    roots: list[Node] = []
    for name, op in OPS.items():
        if op.numpy is None or name in _STEPS or op.leaf_var is not None:
            continue
        lo, hi = op.arity
        for k in (1, 2, 3):
            if k < lo or (hi is not None and k > hi):
                continue
            for args in arg_sets[k]:
                try:
                    n = apply(name, *args)
                except IRError:
                    continue
                if n.type.dtype is DType.COMPLEX:
                    roots += [apply("abs2", n), apply("imag", n)]
                    if args[0] is z:
                        roots += [apply("real", n), apply("abs", n), apply("arg", n)]
                elif n.type.dtype is DType.REAL:
                    roots.append(n)
    roots += [apply("pow", base, const(e)) for e in (2.0, 3.0, -1.0, 0.5, -1.5) for base in (pos, big)]
    roots += [apply("pow", u, const(e)) for e in (2.0, 3.0, 2, 5)]
    params = dict.fromkeys(PARAMS, (-1.0, 1.0))
    return Case(tuple(dict.fromkeys(roots)), params, {"x": (0.5, 2.0)}, "smooth catalogue")
