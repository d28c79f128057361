"""Counting the work of a graph: operations per event (run for every event) and per evaluation (run once per
call, whatever the number of events), and a simple cost model that weighs them.

Example:
    >>> from firmc.ir import obs, param, apply
    >>> x, mu = obs("x", 0.0, 1.0), param("mu")
    >>> c = op_counts([apply("exp", (x - mu) * apply("exp", mu))])
    >>> dict(c.event), dict(c.evaluation)
    ({'sub': 1, 'mul': 1, 'exp': 1}, {'exp': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..ir import Node, walk

# relative cost of one operation (an add is 1); used to decide whether a rewrite pays
COST: dict[str, float] = {
    "div": 4.0, "idiv": 4.0, "mod": 8.0, "sqrt": 4.0, "pow": 40.0,
    "exp": 20.0, "expm1": 20.0, "log": 20.0, "log1p": 20.0, "log10": 20.0, "logaddexp": 42.0,
    "sin": 20.0, "cos": 20.0, "tan": 25.0, "asin": 25.0, "acos": 25.0, "atan": 25.0, "atan2": 30.0,
    "sinh": 25.0, "cosh": 25.0, "tanh": 25.0, "asinh": 30.0, "acosh": 30.0, "atanh": 30.0,
    "erf": 25.0, "erfc": 25.0, "lgamma": 40.0, "tgamma": 40.0, "digamma": 40.0,
    "gammainc": 100.0, "gammaincc": 100.0, "landau": 60.0, "landau_cdf": 60.0, "faddeeva": 100.0,
    "integral": 1000.0, "normalize": 1000.0, "datasum": 1.0,
}
_LEAVES = frozenset({"const", "param", "obs"})
_NARY = frozenset({"add", "mul"})


@dataclass(frozen=True)
class OpCounts:
    """Operations by op name, split into per-event and per-evaluation work.

    Example:
        >>> OpCounts(Counter({"mul": 2}), Counter()).total_event
        2
    """

    event: Counter[str]
    evaluation: Counter[str]

    @property
    def total_event(self) -> int:
        """Number of operations run per event.

        Example:
            >>> OpCounts(Counter({"a": 1, "b": 2}), Counter()).total_event
            3
        """
        return sum(self.event.values())

    @property
    def total_evaluation(self) -> int:
        """Number of operations run once per evaluation.

        Example:
            >>> OpCounts(Counter(), Counter({"exp": 1})).total_evaluation
            1
        """
        return sum(self.evaluation.values())

    def summary(self) -> str:
        """One line: totals and the per-event ops, most frequent first.

        Example:
            >>> OpCounts(Counter({"mul": 2, "exp": 1}), Counter({"erf": 2})).summary()
            'per event 3 (mul 2, exp 1); per evaluation 2 (erf 2)'
        """
        def fmt(c: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

        ev = f"per event {self.total_event}" + (f" ({fmt(self.event)})" if self.event else "")
        pe = f"per evaluation {self.total_evaluation}" + (f" ({fmt(self.evaluation)})" if self.evaluation else "")
        return f"{ev}; {pe}"


def op_counts(roots: Sequence[Node]) -> OpCounts:
    """Count the operations of the non-leaf nodes reachable from ``roots`` (an n-ary add or mul counts n - 1):
    those that depend on an observable run per event (inside a ``datasum`` or ``integral`` too: per event or per
    quadrature point), the others once.

    Example:
        >>> from firmc.ir import param
        >>> op_counts([param("a") * 2.0]).evaluation["mul"]
        1
    """
    event: Counter[str] = Counter()
    evaluation: Counter[str] = Counter()
    for n in walk(list(roots)):
        if n.op in _LEAVES:
            continue
        per_event = bool(n.free) or any(a.free for a in n.args)
        # an n-ary add or mul is n - 1 operations
        (event if per_event else evaluation)[n.op] += len(n.args) - 1 if n.op in _NARY and len(n.args) > 2 else 1
    return OpCounts(event, evaluation)


def cost(roots: Sequence[Node], event_weight: float = 1000.0) -> float:
    """Weighted work: per-event operations count ``event_weight`` times as much as per-evaluation ones.

    Example:
        >>> from firmc.ir import obs
        >>> cost([obs("x") * 2.0]) > cost([obs("x")])
        True
    """
    total = 0.0
    for n in walk(list(roots)):
        if n.op in _LEAVES:
            continue
        w = COST.get(n.op, 1.0)
        per_event = bool(n.free) or any(a.free for a in n.args)
        total += w * (event_weight if per_event else 1.0)
    return total
