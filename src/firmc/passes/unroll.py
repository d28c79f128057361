"""Unrolling sums over small embedded data sets: ``datasum`` over a data set of the model with at most
:data:`UNROLL_EVENTS` events becomes the sum of its body at each event, the bound observables replaced by the
event's values (times its weight). Bodies with a ``normalize`` or an ``integral`` stay loops (the observable is
integrated over there, not a constant).

A loop of a handful of iterations costs more than it saves: each sum is an accumulator with its compensation,
partial sums and a reduction (a HistFactory channel of 3 bins with 650 gradient sums took 30 s to compile and
133 µs per gradient as loops, 12 µs as straight-line code). With the bin index a constant, the per-bin tables
(``choose``) fold to their entries.

Example:
    >>> import numpy as np
    >>> from firmc.ir import Dataset, apply, obs, param
    >>> from firmc.interp import evaluate
    >>> d = Dataset("d", {"x": np.array([1.0, 2.0])}, np.array([1.0, 3.0]))
    >>> s = apply("datasum", obs("x") * param("a"), dataset="d", binds=("x",))
    >>> (u,) = unroll([s], {"d": d})
    >>> u.op, float(evaluate([u], {"a": 2.0})[0])   # 1*(1a) + 3*(2a)
    ('add', 14.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..ir import Dataset, Node, apply, const, walk
from ..ir.rewrite import rewrite

UNROLL_EVENTS = 16


def _at(body: Node, values: Mapping[str, float]) -> Node:
    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op == "obs" and n.attr("name") in values:
            return const(values[n.attr("name")])
        return None

    return rewrite([body], rule)[0]


def unroll(roots: Sequence[Node], datasets: Mapping[str, Dataset], limit: int = UNROLL_EVENTS) -> list[Node]:
    """``roots`` with every ``datasum`` over a data set of ``datasets`` of at most ``limit`` events unrolled.

    Example:
        >>> from firmc.ir import param
        >>> unroll([param("a")], {})[0].attr("name")
        'a'
    """
    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op != "datasum" or n.attr("dataset") not in datasets:
            return None
        d = datasets[n.attr("dataset")]
        binds = n.attr("binds")
        if d.size > limit or not all(b in d.columns for b in binds):
            return None
        body = args[0]
        if any(m.op in ("normalize", "integral") for m in walk([body])):  # x is integrated there: keep the loop
            return None
        terms = []
        for e in range(d.size):
            term = _at(body, {b: float(d.columns[b][e]) for b in binds})
            terms.append(term if d.weights is None else term * float(d.weights[e]))
        if not terms:
            return const(0.0)
        return apply("add", *terms) if len(terms) > 1 else terms[0]

    return rewrite(list(roots), rule)
