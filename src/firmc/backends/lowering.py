"""Lowering shared by the code-generating back-ends: what the interpreter gives meaning to at run time
(``normalize``) becomes explicit IR (``f / Z``), so that emitters see only elementwise ops, ``integral`` and
``datasum``.

``normalize(f, ...)`` is lowered exactly as :func:`firmc.interp` evaluates it -- a discrete density's sum
rule, otherwise the integral of ``f`` over the domains of its observables -- so a back-end agrees with the
interpreter at every optimisation level (at ``optimize >= 1`` the pass pipeline has already replaced these
nodes by closed forms where it could).

Example:
    >>> from firmc.ir import obs
    >>> x = obs("x", 0.0, 2.0)
    >>> lower_structural({"value": apply("normalize", x * x, rule="")})["value"].op
    'div'
"""

from __future__ import annotations

from collections.abc import Mapping

from ..ir import Node, apply, const, domains, rewrite
from ..library.integrals import RULES, SUMS


def _normalized(n: Node, args: tuple[Node, ...]) -> Node | None:
    if n.op != "normalize":
        return None
    f = args[0]
    if not f.free:
        return f
    rule = str(dict(n.attrs).get("rule", ""))
    dom = domains(f)
    if rule in SUMS and len(args) > 1 and args[1].op == "obs" and f.free == args[1].free:
        lo, hi = dom[args[1].attr("name")]
        return f / RULES[rule](lo, hi, *args[1:])
    names = sorted(f.free)
    bounds = [const(float(b)) for name in names for b in dom[name]]
    return f / apply("integral", f, *bounds, vars=tuple(names))


def lower_structural(outputs: Mapping[str, Node]) -> dict[str, Node]:
    """``outputs`` with every ``normalize`` replaced by ``f / Z`` (Z a sum rule or an ``integral``).

    Example:
        >>> from firmc.ir import param
        >>> lower_structural({"v": param("a")})["v"].op
        'param'
    """
    keys = list(outputs)
    return dict(zip(keys, rewrite([outputs[k] for k in keys], _normalized), strict=True))
