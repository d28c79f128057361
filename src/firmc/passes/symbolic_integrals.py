"""Closed-form normalisation integrals with SymPy, verified against adaptive quadrature.

:func:`sympy_integral` integrates an expression over one observable and a fixed range with ``sympy.integrate``
(for a finite range an antiderivative at the bounds first, usually the faster, then the definite integral),
under the run's SymPy time budget. A result is kept only when it has no unevaluated integral, uses only
functions the IR has, and agrees with :func:`firmc.numerics.quadrature.integrate_1d` of the interpreter's
integrand to ``RTOL`` at the parameter points of :meth:`~firmc.passes.context.Context.sample_parameters`
(points where the quadrature does not converge are skipped; at least one must remain). SymPy has wrong
answers (it gives 0 for the integral of exp(-a x^4) over [-1, 1]): the check is what makes its results usable.

Parameters are real symbols; one whose bounds (``ctx.parameters``) exclude zero is positive (or negative), so
a closed form may be valid only within the parameter bounds. The observable is nonnegative (nonpositive) when
the range is.

Results are cached per distribution and domain: the key is the expression with its parameters renamed to
positional placeholders (plus the range and the sign assumptions), so the same shape with other parameter
names reuses the result.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.interp import evaluate
    >>> x = obs("x", 0.0, 1.0)
    >>> z = sympy_integral(x * x * param("a"), "x", 0.0, 1.0, Context())
    >>> round(float(evaluate([z], {"a": 3.0})[0]), 12)
    1.0
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..interp import evaluate
from ..ir import Node, obs, param
from ..ir.types import DType, Var
from ..numerics.quadrature import integrate_1d
from .context import Context

RTOL = 1e-9
QUAD_RTOL = 1e-12
MAX_OPS = 150
CACHE_SIZE = 512
N_POINTS = 4


@dataclass(frozen=True)
class _Entry:
    slots: tuple[Node, ...]
    result: Node | None  # the integral of the template, None: no (verified) closed form
    why: str
    timed_out: float = 0.0  # the budget that ran out, 0: SymPy finished


#: (template, lo, hi, sign assumptions) -> entry, bounded (oldest out first)
_CACHE: dict[tuple[Any, ...], _Entry] = {}


def _sign(p: Node, ctx: Context) -> str:
    bounds = ctx.parameters.get(p.attr("name"))
    if bounds is not None and bounds.min > 0.0:
        return "positive"
    if bounds is not None and bounds.max < 0.0:
        return "negative"
    return "real"


def _x_sign(lo: float, hi: float) -> str:
    if lo > 0.0:
        return "positive"
    if lo >= 0.0:
        return "nonnegative"
    if hi < 0.0:
        return "negative"
    return "nonpositive" if hi <= 0.0 else "real"


def _template(f: Node, x: str, lo: float, hi: float) -> tuple[Node, tuple[Node, ...], tuple[Node, ...]] | str:
    """f with its parameters (and parameter-only opaque inputs) replaced by ``%j`` and x by ``%x``; the reason
    when f cannot be integrated symbolically."""
    from .sympy_bridge import region, substitute

    reg = region(f, ())
    if reg.ops > MAX_OPS:
        return f"too large for SymPy ({reg.ops} ops)"
    slots: list[Node] = []
    for j, n in enumerate(reg.inputs):
        if n.op == "obs" and n.attr("name") == x:
            slots.append(obs("%x", lo, hi))
        elif n.op == "obs" or x in n.free:
            return f"depends on {n.op} {n.attr('name') if n.op == 'obs' else '(opaque)'} besides {x}"
        elif n.op == "param" or (n.type.var is not Var.EVENT and n.type.dtype is DType.REAL):
            slots.append(param(f"%{j}"))
        else:
            return f"input {n.op} of type {n.type}"
    return substitute(f, dict(zip(reg.inputs, slots, strict=True))), tuple(slots), reg.inputs


def _closed_forms(expr: Any, xs: Any, lo: float, hi: float) -> Iterator[Any]:
    """Candidate values of the integral, computed as they are asked for: F(hi) - F(lo) from an antiderivative
    (finite ranges only), then the definite integral. Results with an unevaluated integral are left out."""
    import sympy as sp

    from .timelimit import Timeout as _Timeout

    a, b = _bound(lo), _bound(hi)
    finite = math.isfinite(lo) and math.isfinite(hi)
    for how in ("antiderivative", "definite") if finite else ("definite",):
        try:
            if how == "definite":
                out = sp.integrate(expr, (xs, a, b))
            else:
                big_f = sp.integrate(expr, xs)
                out = None if big_f.has(sp.Integral) else big_f.subs(xs, b) - big_f.subs(xs, a)
        except _Timeout:
            raise
        except Exception:  # SymPy raises many kinds (NotImplementedError, PolynomialError, ...)
            out = None
        if out is not None and not out.has(sp.Integral, sp.nan, sp.zoo):
            yield out


def _bound(v: float) -> Any:
    import sympy as sp

    from .sympy_bridge import nice_rational

    if math.isinf(v):
        return sp.oo if v > 0 else -sp.oo
    r = nice_rational(v)
    if r is None:  # the float's exact binary value
        q = Fraction(v)
        r = sp.Rational(q.numerator, q.denominator)
    return r


def _verify(f: Node, z: Node, lo: float, hi: float, points: list[dict[str, float]]) -> str | None:
    """None when ``z`` agrees with quadrature of ``f`` over ``%x`` at the parameter ``points``, else why not."""
    columns = {n: np.array([p[n] for p in points]) for n in points[0]} if points and points[0] else {}
    shape = (len(points),)

    def integrand(t: np.ndarray) -> np.ndarray:
        env = {n: c[:, None] for n, c in columns.items()}
        return np.broadcast_to(evaluate([f], {**env, "%x": t})[0], (*shape, t.size))

    res = integrate_1d(integrand, lo, hi, rtol=QUAD_RTOL)
    closed = np.broadcast_to(evaluate([z], columns)[0], shape)
    quad, err = np.asarray(res.value, dtype=float), np.asarray(res.error, dtype=float)
    usable = np.isfinite(quad) & (err <= 0.1 * RTOL * np.abs(quad))
    if not usable.any():
        return "quadrature did not converge at any parameter point"
    c, q = closed[usable], quad[usable]
    if not np.all(np.isfinite(c)) or np.any(np.abs(c - q) > RTOL * np.abs(q)):
        return f"disagrees with quadrature (closed form {c.tolist()}, quadrature {q.tolist()})"
    return None


def _solve(tpl: Node, slots: tuple[Node, ...], signs: tuple[str, ...], lo: float, hi: float, ctx: Context,
           points: list[dict[str, float]]) -> _Entry:
    """The first candidate closed form that converts to IR and passes the quadrature check, within one
    sub-expression's SymPy budget."""
    from .sympy_bridge import _Unsupported, from_sympy, to_sympy
    from .timelimit import Timeout as _Timeout
    from .timelimit import time_limit

    assume = {s.attr("name"): {sign: True} for s, sign in zip(slots, signs, strict=True) if sign != "real"}
    x_sign = _x_sign(lo, hi)
    if x_sign != "real":
        assume["%x"] = {x_sign: True}
    budget = ctx.sympy_time_left()
    clock = time.perf_counter()
    try:
        with time_limit(budget, ctx):
            expr, symbols = to_sympy(tpl, assumptions=assume)
        xs = next((s for s, n in symbols.items() if n.op == "obs"), None)
        if xs is None:
            return _Entry(slots, None, "does not depend on the observable")
        why = "SymPy found no closed form"
        candidates = _closed_forms(expr, xs, lo, hi)
        while True:
            spent = time.perf_counter() - clock
            with time_limit(min(ctx.sympy_time_left(), budget - spent), ctx):
                out = next(candidates, None)
                if out is None:
                    return _Entry(slots, None, why)
                try:
                    z = from_sympy(out, symbols)
                except _Unsupported as exc:
                    why = f"the closed form needs what the IR lacks ({exc})"
                    continue
            checked = time.perf_counter()
            failed = _verify(tpl, z, lo, hi, points)
            clock += time.perf_counter() - checked  # the check is not SymPy time
            if failed is None:
                return _Entry(slots, z, "closed form")
            why = failed
    except _Timeout:
        return _Entry(slots, None, f"SymPy ran out of time ({budget:.3g} s)", timed_out=budget)
    except _Unsupported as exc:
        return _Entry(slots, None, f"not convertible to SymPy ({exc})")


def _points(slots: tuple[Node, ...], inputs: Sequence[Node], ctx: Context) -> list[dict[str, float]]:
    """Parameter points for the check, by placeholder name: the inputs' own parameters where they are ones."""
    names = [n.attr("name") if n.op == "param" else s.attr("name") for s, n in zip(slots, inputs, strict=True)
             if s.op == "param"]
    holders = [s.attr("name") for s in slots if s.op == "param"]
    return [{h: p[n] for h, n in zip(holders, names, strict=True)}
            for p in ctx.sample_parameters(names, n=N_POINTS)]


def sympy_integral(f: Node, x: str, lo: float, hi: float, ctx: Context) -> Node | None:
    """The closed-form integral of ``f`` over the observable ``x`` in ``[lo, hi]`` (bounds may be infinite) as
    IR over f's parameters, verified against quadrature; None when SymPy finds none in time, the result needs
    functions the IR lacks, or it disagrees with quadrature. The outcome is noted in ``ctx.decisions``.

    Example:
        >>> from firmc.ir import obs, param, apply
        >>> from firmc.interp import evaluate
        >>> x = obs("x", -1.0, 2.0)
        >>> z = sympy_integral(1.0 + param("a") * x + param("b") * x * x, "x", -1.0, 2.0, Context())
        >>> float(evaluate([z], {"a": 2.0, "b": 1.0})[0])  # 3 + 3/2 a + 3 b
        9.0
        >>> ctx = Context(sympy_budget_s=0.05)
        >>> sympy_integral(apply("exp", param("a") * apply("sin", x)), "x", -1.0, 2.0, ctx) is None
        True
    """
    from .sympy_bridge import describe, substitute, warm_up

    warm_up()
    made = _template(f, x, lo, hi)
    if isinstance(made, str):
        ctx.note("symbolic_integral", describe(f), f"no closed form over {x}: {made}")
        return None
    tpl, slots, inputs = made
    signs = tuple(_sign(n, ctx) if n.op == "param" else "real" for n in inputs)
    key = (tpl, float(lo), float(hi), signs)
    entry = _CACHE.get(key)
    if entry is None or (entry.timed_out and entry.timed_out < ctx.sympy_time_left()):
        entry = _solve(tpl, slots, signs, lo, hi, ctx, _points(slots, inputs, ctx))
        if len(_CACHE) >= CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]
        _CACHE[key] = entry
    where = f"over {x} in [{lo:g}, {hi:g}]"
    if entry.result is None:
        ctx.note("symbolic_integral", describe(f), f"no closed form {where}: {entry.why}")
        return None
    z = substitute(entry.result, dict(zip(slots, inputs, strict=True)))
    if z.type.dtype is DType.COMPLEX and f.type.dtype is not DType.COMPLEX:  # e.g. x^c over negative x
        ctx.note("symbolic_integral", describe(f), f"no closed form {where}: SymPy's is complex")
        return None
    ctx.note("symbolic_integral", describe(f), f"closed form {where}: {describe(z)}")
    return z
