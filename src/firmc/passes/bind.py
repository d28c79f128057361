"""Choose the observables of a compilation: leaves named in the set become ``obs`` (with their domains),
all others ``param``.

Example:
    >>> from firmc.ir import obs, param
    >>> e = obs("x", 0.0, 1.0) * param("a")
    >>> sorted(bind_observables([e], {"a": (0.0, 2.0)})[0].free)
    ['a']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..ir import Node, obs, param, rewrite, walk


def bind_observables(roots: Sequence[Node], observables: Mapping[str, tuple[float, float]]) -> list[Node]:
    """Rewrite variable leaves so that exactly ``observables`` (name -> domain) are the free observables.

    Observables bound inside a ``datasum`` (a likelihood's data) are not free and stay as they are.

    Example:
        >>> from firmc.ir import obs
        >>> bind_observables([obs("x")], {})[0].op
        'param'
    """

    free = frozenset().union(*(r.free for r in roots))
    # variables that an integral node integrates over stay observables: demoting them would integrate a constant
    integrated = {v for n in walk(list(roots)) if n.op == "integral" for v in n.attr("vars")}

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op not in ("obs", "param"):
            return None
        name = n.attr("name")
        if name in observables:
            lo, hi = observables[name]
            return obs(name, lo, hi)
        if n.op == "obs" and name in integrated:
            return None
        return param(name) if name in free else None

    return rewrite(roots, rule)
