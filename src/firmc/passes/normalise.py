"""Lower ``normalize`` nodes to f / Z: Z a closed form from :mod:`firmc.library.integrals` where the
distribution names a rule, otherwise an explicit ``integral`` node (adaptive quadrature).

Example:
    >>> from firmc.ir import obs, param, walk
    >>> from firmc.library.shapes import gaussian
    >>> pdf = gaussian(obs("x", -5.0, 5.0), param("mu"), param("s"))
    >>> any(n.op == "integral" for n in walk(lower_normalisation([pdf])))
    False
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import IRError, did_you_mean
from ..ir import Node, apply, const, domains, rewrite
from ..library.integrals import RULES
from .context import Context


def choice(n: Node) -> str:
    """How a ``normalize`` node is lowered: "closed form <rule>", "quadrature over [...]" or "none".

    Example:
        >>> from firmc.ir import obs
        >>> choice(apply("normalize", obs("x", 0.0, 1.0), rule=""))
        "quadrature over ['x']"
    """
    f = n.args[0]
    if not f.free:
        return "none"
    rule = dict(n.attrs).get("rule", "")
    x = n.args[1] if len(n.args) > 1 else None
    if rule and x is not None and x.op == "obs" and f.free == x.free:
        return f"closed form {rule}"
    return f"quadrature over {sorted(f.free)}"


def normalizer(n: Node) -> Node:
    """Z of ``normalize(f, ...)``: the library's closed form where :func:`choice` says so, else the integral of
    f over the domains of its observables.

    Example:
        >>> from firmc.ir import obs
        >>> normalizer(apply("normalize", obs("x", 0.0, 2.0), rule="")).op
        'integral'
    """
    f = n.args[0]
    dom = domains(f)
    how = choice(n)
    if how.startswith("closed form"):
        x, rule = n.args[1], str(dict(n.attrs)["rule"])
        if rule not in RULES:  # IR text names any
            raise IRError(f"normalize: unknown rule '{rule}'{did_you_mean(rule, RULES)}")
        lo, hi = dom[x.attr("name")]
        return RULES[rule](lo, hi, *n.args[1:])
    names = sorted(f.free)
    bounds = [const(float(b)) for name in names for b in dom[name]]
    return apply("integral", f, *bounds, vars=tuple(names))


def _symbolic(m: Node, ctx: Context) -> Node | None:
    """Z by SymPy for a one-observable ``normalize`` without a library rule (None: quadrature stays)."""
    from .symbolic_integrals import sympy_integral

    f = m.args[0]
    if len(f.free) != 1:
        return None
    (name,) = f.free
    lo, hi = domains(f)[name]
    budget = ctx.sympy_budget_s
    ctx.sympy_budget_s = ctx.integral_budget_s
    try:
        return sympy_integral(f, name, lo, hi, ctx)
    finally:
        ctx.sympy_budget_s = budget


def lower_normalisation(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Replace every ``normalize`` node by ``f / Z`` (:func:`normalizer`), f itself when f depends on no
    observable. Without a library rule, from ``optimize`` 1 SymPy is asked for a closed form first (verified
    against quadrature, cached per distribution shape and domain); the choice is noted in ``ctx``.

    Example:
        >>> from firmc.ir import param
        >>> lower_normalisation([apply("normalize", param("a"), rule="")])[0].op
        'param'
    """

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op != "normalize":
            return None
        if not args[0].free:
            return args[0]
        m = Node.make(n.op, args, n.attrs)
        how = choice(m)
        if ctx is not None and ctx.optimize >= 1 and how.startswith("quadrature"):
            z = _symbolic(m, ctx)
            if z is not None:
                ctx.note("normalise", "", "closed form by SymPy")
                return args[0] / z
        if ctx is not None:
            ctx.note("normalise", str(dict(n.attrs).get("rule", "")), how)
        return args[0] / normalizer(m)

    return rewrite(roots, rule)
