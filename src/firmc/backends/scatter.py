"""Sums that are the gradient of a table: ``datasum(select(eq(P, j), v, 0))`` for many ``j``, with ``P`` the
position of a ``choose`` (``choose(k, 0, 1, ..., n-1)``) and one ``v`` -- what the gradient pass makes of a table of
parameters ``choose(k, g_0, ..., g_n-1)`` (one sum per entry). The loop-emitting back-ends (llvm, cpp) sum such a
family as one: each event adds ``v`` into entry ``P`` of an array of ``n`` compensated sums, O(1) per event instead
of one select and one accumulator per entry, O(n) per loop to clear and read the array.

Example:
    >>> from firmc.ir import apply, const, obs
    >>> pos = apply("choose", obs("k"), const(0.0), const(1.0))
    >>> _scattered(apply("select", apply("eq", pos, const(1.0)), obs("k"), const(0.0)))[2]
    1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..ir import Node
from ..ir.types import DType

MIN_SCATTER = 4  # sums of one family from which a kernel scatters instead of summing each


@dataclass(frozen=True)
class Scatter:
    """Sums of a kernel of the form ``datasum(select(eq(P, j), v, 0))`` for several ``j``, with ``P`` the position
    of a ``choose`` (``choose(k, 0, 1, ..., n-1)``) and the same ``v``: what the gradient of a table of parameters
    is (one sum per entry). Summed as one: each event adds ``v`` into entry ``P`` of an array of ``n``
    compensated sums, O(1) per event instead of one select and one sum per entry (``members``: position in the
    kernel's group -> ``j``).

    Example:
        >>> from firmc.ir import obs
        >>> Scatter(obs("p"), obs("v"), 3, {0: 2}).size
        3
    """

    position: Node
    value: Node
    size: int
    members: dict[int, int]


def scatters(group: Sequence[Node]) -> list[Scatter]:
    """The families of :class:`Scatter` among a kernel's sums (those of at least :data:`MIN_SCATTER` sums).

    Example:
        >>> from firmc.ir import apply, const, obs, param
        >>> pos = apply("choose", obs("k"), *(const(float(j)) for j in range(5)))
        >>> v = obs("k") * param("a")
        >>> sums = [apply("datasum", apply("select", apply("eq", pos, const(float(j))), v, const(0.0)),
        ...               dataset="d", binds=("k",)) for j in range(5)]
        >>> [(s.size, s.members) for s in scatters(sums)]
        [(5, {0: 0, 1: 1, 2: 2, 3: 3, 4: 4})]
    """
    families: dict[tuple[Node, Node], dict[int, int]] = {}
    for k, d in enumerate(group):
        hit = _scattered(d.args[0])
        if hit is not None:
            families.setdefault(hit[:2], {})[k] = hit[2]
    return [Scatter(p, v, len(p.args) - 1, m) for (p, v), m in families.items() if len(m) >= MIN_SCATTER]


def _scattered(t: Node) -> tuple[Node, Node, int] | None:
    """``(P, v, j)`` of a term ``select(eq(P, j), v, 0)``, or None."""
    if t.op != "select" or t.type.dtype is not DType.REAL:
        return None
    cond, v, zero = t.args
    if cond.op != "eq" or zero.op != "const" or zero.attr("value") != 0 or v.type.dtype not in (DType.REAL,
                                                                                                 DType.INT):
        return None
    a, b = cond.args
    p, j = (a, b) if b.op == "const" else (b, a)
    if j.op != "const" or p.op != "choose" or p.type.dtype is not DType.REAL:
        return None
    n = len(p.args) - 1
    if not all(x.op == "const" and x.attr("value") == i for i, x in enumerate(p.args[1:])):
        return None
    at = float(j.attr("value"))
    return (p, v, int(at)) if at.is_integer() and 0 <= at < n else None
