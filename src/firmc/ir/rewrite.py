"""Bottom-up rewriting of IR graphs with an explicit stack, keeping sharing.

Example:
    >>> from firmc.ir import param, apply
    >>> e = apply("exp", param("a")) + param("a")
    >>> new = rewrite([e], lambda n, args: param("b") if n.op == "param" else None)[0]
    >>> sorted(x.attr("name") for x in walk([new]) if x.op == "param")
    ['b']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .node import Node, walk

Rule = Callable[[Node, tuple[Node, ...]], Node | None]


def rewrite(roots: Sequence[Node], rule: Rule) -> list[Node]:
    """Rebuild ``roots`` bottom-up. ``rule(node, new_args)`` returns a replacement or None (keep the op,
    rebuilt on the new arguments). Each node is visited once, so shared subexpressions stay shared.

    Example:
        >>> from firmc.ir import const
        >>> rewrite([const(1.0)], lambda n, a: None)[0] is const(1.0)
        True
    """
    new: dict[int, Node] = {}
    for n in walk(list(roots)):
        args = tuple(new[id(a)] for a in n.args)
        out = rule(n, args)
        if out is None:
            out = n if all(a is b for a, b in zip(args, n.args, strict=True)) else Node.make(n.op, args, n.attrs)
        new[id(n)] = out
    return [new[id(r)] for r in roots]
