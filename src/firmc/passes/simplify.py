"""Algebraic simplification with SymPy, one region at a time, under the run's SymPy time budget.

The graph is cut into regions (:func:`firmc.passes.sympy_bridge.partition`); a region of at least ``MIN_OPS``
ops is replaced by its *template* (each input, a leaf or a shared node, by a positional placeholder), so that
regions of the same shape, e.g. the 1000 components of a mixture, are simplified once: results are cached by
template, here and across runs. A template goes to SymPy under :func:`~firmc.passes.timelimit.time_limit`
and comes back from a few cheap rewrites:

* the conversion alone (SymPy's automatic evaluation: ``x*x -> x**2`` is ``x*x`` again, ``log(exp(a)) -> a``
  for real ``a``, numbers folded);
* ``factor_terms`` (common factors out of sums, without expanding: ``a*x + a*y -> a*(x + y)``);
* ``powsimp`` (``exp(a)*exp(b) -> exp(a + b)``, ``x**a*x**b -> x**(a + b)``), and ``factor_terms`` after it
  (``exp(a*x)*exp(b*x) -> exp((a + b)*x)``);
* ``cancel`` (rational functions to lowest terms: ``(x*x - m*m)/(x - m) -> x + m``);
* ``trigsimp``, only when there are trigonometric or hyperbolic functions;
* ``sympy.simplify`` itself only for regions of at most ``SMALL_OPS`` ops that the cheap rewrites did not
  improve, with what is left of the budget (it takes 0.1-0.2 s even on small expressions and was rarely better
  than the cheap rewrites on compiler-built expressions).

``expand_log``/``logcombine`` are not used: with real (not positive) symbols they do nothing without
``force=True``, which is wrong for negative values. The cheapest candidate by the cost model
(:mod:`firmc.passes.cost`, per-event ops weigh more) that is cheaper than the region is kept if a numeric guard
passes: old and new templates evaluated by the interpreter at parameter points from
:meth:`~firmc.passes.context.Context.sample_parameters` and observable values inside each observable's domain
agree to ``RTOL`` (where the old value is NaN anything goes; a new NaN or inf where the old value is finite
rejects). When the cheap rewrites run out of time the region stays as it is (and is retried only with a larger
budget).

Example:
    >>> from firmc.ir import obs, param, apply
    >>> from firmc.passes.context import Context
    >>> x, m = obs("x", 0.0, 1.0), param("m")
    >>> out = simplify([(x * x - m * m) / (x - m)], Context())
    >>> out[0] is x + m or out[0] is m + x
    True
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..interp import evaluate
from ..ir import Node, apply, const, obs, param, walk
from ..ir.types import DType, Var
from .context import Context
from .cost import cost

if TYPE_CHECKING:  # SymPy is imported when the pass first runs, not with firmc
    from .sympy_bridge import Region

MIN_OPS = 3
SMALL_OPS = 8
RTOL = 1e-13
N_POINTS = 24
# the guard's last points: (value of every parameter and observable, value of every other input)
SPECIAL = ((0.0, 0.0), (1.0, 1.0), (-1.0, -1.0), (0.0, np.inf), (0.0, -np.inf))
MIN_FINITE = 4
CACHE_SIZE = 4096

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Template:
    """A region with its inputs replaced by placeholders.

    ``slots[j]`` stands for input j: a placeholder leaf (``param`` or ``obs`` named ``%j``, an observable
    keeping its domain), ``gt(%j, 0)`` for a boolean input or ``complex(%jr, %ji)`` for a complex one.

    Example:
        >>> from firmc.passes.sympy_bridge import region
        >>> t = template(region(apply("exp", param("a") * param("b")), ()), ())
        >>> [s.attr("name") for s in t.slots]
        ['%0', '%1']
    """

    root: Node
    slots: tuple[Node, ...]


@dataclass(frozen=True)
class _Outcome:
    slots: tuple[Node, ...]
    result: Node | None  # the simplified template, None: keep the region
    timed_out: float = 0.0  # the budget that ran out, 0: SymPy finished


#: region key -> outcome, here and across runs (bounded, oldest out first)
_CACHE: dict[Key, _Outcome] = {}


def _kind(n: Node) -> Any:
    if n.op == "param":
        return "param"
    if n.op == "obs":
        return ("obs", n.attr("lo"), n.attr("hi"))
    return (n.type.dtype, n.type.var is Var.EVENT)


def region_key(reg: Region) -> Key:
    """The structure of a region with its inputs numbered by first use (alpha-renamed): regions of the same
    shape over other parameters have the same key. Observables keep their domains in the key.

    Example:
        >>> from firmc.passes.sympy_bridge import region
        >>> a, b, c = param("a"), param("b"), param("c")
        >>> region_key(region(apply("exp", a * b), ())) == region_key(region(apply("exp", c * a), ()))
        True
    """
    inputs = set(reg.inputs)
    pos: dict[Node, int] = {}
    parts: list[Any] = []
    for n in reg.nodes:
        pos[n] = len(parts)
        if n in inputs:
            parts.append(("in", _kind(n)))
        elif n.op == "const":
            parts.append(n)  # interned: identity is the value, NaN included
        else:
            parts.append((n.op, n.attrs, tuple(pos[a] for a in n.args)))
    return tuple(parts)


def _slot(j: int, n: Node) -> Node | None:
    if n.op == "param":
        return param(f"%{j}")
    if n.op == "obs":
        return obs(f"%{j}", n.attr("lo"), n.attr("hi"))

    def leaf(name: str) -> Node:
        return obs(name) if n.type.var is Var.EVENT else param(name)

    if n.type.dtype is DType.REAL:
        return leaf(f"%{j}")
    if n.type.dtype is DType.BOOL:
        return apply("gt", leaf(f"%{j}"), const(0.0))
    if n.type.dtype is DType.COMPLEX:
        return apply("complex", leaf(f"%{j}r"), leaf(f"%{j}i"))
    return None


def template(reg: Region, cuts: Collection[Node]) -> Template | None:
    """The template of a region (None when an input is an integer).

    Example:
        >>> from firmc.ir import obs
        >>> from firmc.passes.sympy_bridge import region
        >>> x = obs("x", 0.0, 2.0)
        >>> template(region(x * 2.0 + 1.0, ()), ()).root is obs("%0", 0.0, 2.0) * 2.0 + 1.0
        True
    """
    from .sympy_bridge import substitute

    slots = []
    for j, n in enumerate(reg.inputs):
        s = _slot(j, n)
        if s is None:
            return None
        slots.append(s)
    return Template(substitute(reg.root, dict(zip(reg.inputs, slots, strict=True)), cuts), tuple(slots))


def _sample_env(t: Template, inputs: Sequence[Node], ctx: Context) -> dict[str, np.ndarray]:
    """Values of the placeholder leaves at ``N_POINTS`` points: parameters from ``ctx``, observables inside
    their domains, other inputs around zero; the last points are ``SPECIAL``."""
    rng = np.random.default_rng(ctx.seed + 7919)
    names = sorted({n.attr("name") for n in inputs if n.op == "param"})
    points = ctx.sample_parameters(names, n=4)
    env: dict[str, np.ndarray] = {}
    for s, n in zip(t.slots, inputs, strict=True):
        for leaf in (x for x in walk([s]) if x.op in ("param", "obs")):
            name = leaf.attr("name")
            if n.op == "param":
                env[name] = np.array([points[k % len(points)][n.attr("name")] for k in range(N_POINTS)])
            elif leaf.op == "obs":
                env[name] = _in_domain(rng, leaf.attr("lo"), leaf.attr("hi"))
            else:
                env[name] = rng.uniform(-2.0, 2.5, N_POINTS)
            # the last rows at the special points of many rewrites (0/0, 0*inf, x/(y/z) with z infinite)
            lo, hi = (leaf.attr("lo"), leaf.attr("hi")) if leaf.op == "obs" else (-np.inf, np.inf)
            special = [leaf_v if n.op in ("param", "obs") else inner_v for leaf_v, inner_v in SPECIAL]
            env[name][-len(SPECIAL):] = np.clip(special, lo, hi)
    return env


def _in_domain(rng: np.random.Generator, lo: float, hi: float) -> np.ndarray:
    finite_lo, finite_hi = np.isfinite(lo), np.isfinite(hi)
    if finite_lo and finite_hi:
        return rng.uniform(lo, hi, N_POINTS)
    if finite_lo:
        return lo + rng.exponential(2.0, N_POINTS)
    if finite_hi:
        return hi - rng.exponential(2.0, N_POINTS)
    return rng.normal(0.0, 2.0, N_POINTS)


def agrees(old: Any, new: Any, rtol: float = RTOL, min_finite: int = MIN_FINITE) -> bool:
    """Whether ``new`` may replace ``old`` (arrays of values at the same points): wherever ``old`` is finite,
    ``new`` is finite and within ``rtol`` relative; wherever ``old`` is infinite ``new`` is the same; NaN in
    ``old`` allows anything. At least ``min_finite`` points must be finite in ``old``.

    Example:
        >>> agrees(np.array([1.0, 2.0, np.nan]), np.array([1.0, 2.0 + 1e-15, 5.0]), min_finite=2)
        True
        >>> agrees(np.array([1.0, 2.0]), np.array([1.0, np.inf]), min_finite=1)
        False
    """
    o = np.asarray(old, dtype=complex)
    n = np.broadcast_to(np.asarray(new, dtype=complex), o.shape)
    finite = np.isfinite(o)
    if int(finite.sum()) < min_finite or not np.all(np.isfinite(n[finite])):
        return False
    infinite = np.isinf(o)
    if np.any(n[infinite] != o[infinite]):
        return False
    diff = np.abs(n[finite] - o[finite])
    scale = np.maximum(np.abs(o[finite]), np.abs(n[finite]))
    return bool(np.all(diff <= rtol * scale))


def _guard(t: Template, new: Node, inputs: Sequence[Node], ctx: Context) -> bool:
    env = _sample_env(t, inputs, ctx)
    old_v, new_v = evaluate([t.root, new], env)
    return agrees(np.broadcast_to(old_v, (N_POINTS,)), new_v)


def _cheap_rewrites(expr: Any) -> list[Any]:
    """The cheap SymPy rewrites of ``expr`` (a rewrite that fails is left out)."""
    import sympy as sp

    trig = (sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh)
    rewrites = [sp.factor_terms, sp.powsimp, lambda e: sp.factor_terms(sp.powsimp(e)), sp.cancel]
    rewrites += [sp.trigsimp] if expr.has(*trig) else []
    return [expr, *(e for e in (_attempt(fn, expr) for fn in rewrites) if e is not None)]


def _attempt(fn: Any, expr: Any) -> Any:
    from .timelimit import Timeout as _Timeout

    try:
        return fn(expr)
    except _Timeout:
        raise
    except Exception:  # SymPy raises many kinds (PolynomialError, NotImplementedError, ...): skip this rewrite
        return None


def _self_contained(new: Node, t: Template) -> bool:
    """Whether every placeholder in ``new`` sits inside a whole slot (SymPy may rewrite ``%0 > 0`` under a
    negation as ``%0 <= 0``, which no input stands for)."""
    from .sympy_bridge import substitute

    hidden = {leaf for s in t.slots if s.args for leaf in walk([s]) if leaf.op in ("param", "obs")}
    if not hidden:
        return True
    marker = {s: const(0.0) for s in t.slots}
    return not any(n in hidden for n in walk([substitute(new, marker)]))


def _best(exprs: Sequence[Any], symbols: Any, t: Template, inputs: Sequence[Node], ctx: Context) -> Node | None:
    """The cheapest of ``exprs`` back in IR that is cheaper than the template and passes the guard."""
    from .sympy_bridge import _Unsupported, from_sympy

    old_cost = cost([t.root])
    found: dict[Node, float] = {}
    for e in exprs:
        try:
            node = from_sympy(e, symbols)
        except _Unsupported:
            continue
        if node.type.dtype is t.root.type.dtype and node not in found and _self_contained(node, t):
            found[node] = cost([node])
    for node, c in sorted(found.items(), key=lambda kv: kv[1]):
        if c >= old_cost:
            break
        if _guard(t, node, inputs, ctx):
            return node
    return None


def simplify_template(t: Template, inputs: Sequence[Node], ctx: Context) -> Node | float | None:
    """The cheapest guarded SymPy rewrite of a template, None to keep it, or the budget (a float) when the
    cheap rewrites ran out of time. ``sympy.simplify`` is tried only on regions of at most ``SMALL_OPS`` ops
    that the cheap rewrites did not improve, with what is left of the budget.

    Example:
        >>> from firmc.passes.sympy_bridge import region
        >>> r = region(apply("exp", param("a")) * apply("exp", param("b")) * 2.0, ())
        >>> simplify_template(template(r, ()), r.inputs, Context()).op
        'mul'
    """
    import sympy as sp

    from .sympy_bridge import _Unsupported, region, to_sympy
    from .timelimit import Timeout as _Timeout
    from .timelimit import time_limit

    budget = ctx.sympy_time_left()
    try:
        with time_limit(budget, ctx):
            expr, symbols = to_sympy(t.root)
            exprs = _cheap_rewrites(expr)
    except _Unsupported:
        return None
    except _Timeout:
        return budget
    best = _best(exprs, symbols, t, inputs, ctx)
    if best is None and region(t.root, ()).ops <= SMALL_OPS and ctx.sympy_time_left() > 0.0:
        try:
            with time_limit(ctx.sympy_time_left(), ctx):
                full = _attempt(sp.simplify, expr)
            best = _best([full], symbols, t, inputs, ctx) if full is not None else None
        except _Timeout:
            pass
    return best


def _outcome(reg: Region, key: Key, cuts: Collection[Node], ctx: Context) -> _Outcome | None:
    """The cached outcome of a region's shape, computing it (or retrying with a larger budget) when needed."""
    known = _CACHE.get(key)
    if known is not None and not (known.timed_out and known.timed_out < ctx.sympy_time_left()):
        return known
    t = template(reg, cuts)
    if t is None:
        return None
    result = simplify_template(t, reg.inputs, ctx)
    out = _Outcome(t.slots, result if isinstance(result, Node) else None,
                   result if isinstance(result, float) else 0.0)
    if len(_CACHE) >= CACHE_SIZE:
        del _CACHE[next(iter(_CACHE))]
    _CACHE[key] = out
    return out


def simplify(roots: Sequence[Node], ctx: Context) -> list[Node]:
    """Simplify every region of at least ``MIN_OPS`` ops with SymPy where that lowers the cost and the numeric
    guard passes; accepted rewrites are noted in ``ctx.decisions`` (once per shape). Values are unchanged to
    ``RTOL``.

    Example:
        >>> from firmc.passes.sympy_bridge import describe
        >>> a = param("a")
        >>> ctx = Context()
        >>> describe(simplify([apply("log", apply("exp", a * 2.0)) + 1.0], ctx)[0])
        'add(1.0, mul(2.0, a))'
        >>> ctx.decisions[0].pass_name
        'simplify'
    """
    from .sympy_bridge import describe, partition, rebuild, region, substitute, warm_up

    roots = list(roots)
    regions = partition(roots)
    cuts = set(regions)
    new: dict[Node, Node] = {}
    accepted: dict[Key, list[Any]] = {}
    for r in regions:
        reg = region(r, cuts)
        actual = [new.get(i, i) for i in reg.inputs]
        out: Node | None = None
        if reg.ops >= MIN_OPS:
            warm_up()
            key = region_key(reg)
            found = _outcome(reg, key, cuts, ctx)
            if found is not None and found.result is not None:
                out = substitute(found.result, dict(zip(found.slots, actual, strict=True)))
                accepted.setdefault(key, [r, out, 0])[2] += 1
        if out is None:
            out = rebuild(reg, actual)
        new[r] = out
    for old, first, count in accepted.values():
        ctx.note("simplify", describe(old), f"-> {describe(first)}"
                 + (f" ({count} regions of this shape)" if count > 1 else ""))
    return [new.get(r, r) for r in roots]
