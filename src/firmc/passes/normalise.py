"""Lower ``normalize`` nodes: closed-form integrals from :mod:`firmc.library.integrals` where the rule
applies, otherwise an explicit ``integral`` node (adaptive quadrature).

Example:
    >>> from firmc.ir import obs, param, walk
    >>> from firmc.library.shapes import gaussian
    >>> pdf = gaussian(obs("x", -5.0, 5.0), param("mu"), param("s"))
    >>> any(n.op == "integral" for n in walk(lower_normalisation([pdf])))
    False
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Node, apply, domains, rewrite
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


def lower_normalisation(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Replace every ``normalize`` node by ``f / Z``, Z a closed form or an explicit integral.

    Example:
        >>> from firmc.ir import param
        >>> lower_normalisation([apply("normalize", param("a"), rule="")])[0].op
        'param'
    """

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op != "normalize":
            return None
        f = args[0]
        how = choice(Node.make(n.op, args, n.attrs))
        if how == "none":
            return f
        dom = domains(f)
        if how.startswith("closed form"):
            x = args[1]
            lo, hi = dom[x.attr("name")]
            return f / RULES[str(dict(n.attrs)["rule"])](lo, hi, *args[1:])
        names = sorted(f.free)
        bounds = [b for name in names for b in dom[name]]
        return f / apply("integral", f, *[_c(b) for b in bounds], vars=tuple(names))

    return rewrite(roots, rule)


def _c(v: float) -> Node:
    from ..ir import const

    return const(v)
