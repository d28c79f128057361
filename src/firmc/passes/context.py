"""What every pass receives besides the IR: the optimisation level, parameter defaults and bounds (for
numeric guards), time budgets for SymPy, and a log of the decisions taken (shown by ``firmc info``).

Example:
    >>> ctx = Context(optimize=2)
    >>> ctx.note("normalise", "g", "closed form gaussian")
    >>> ctx.decisions[0].what
    'closed form gaussian'
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..ir import Parameter


@dataclass(frozen=True)
class Decision:
    """One choice a pass made, e.g. how a distribution is normalised.

    Example:
        >>> Decision("normalise", "g", "quadrature over ['x']").subject
        'g'
    """

    pass_name: str
    subject: str
    what: str


@dataclass(frozen=True)
class PassStat:
    """Wall time and graph size of one pass run.

    Example:
        >>> PassStat("fold", 0.001, 10, 8).nodes_after
        8
    """

    name: str
    seconds: float
    nodes_before: int
    nodes_after: int


@dataclass
class Context:
    """Options and shared state of one pipeline run.

    ``sympy_budget_s`` bounds the time SymPy may spend on one sub-expression (``integral_budget_s`` on one
    normalisation integral), ``sympy_total_s`` all SymPy work of the run; past either, the IR stays as it is.

    Example:
        >>> Context().optimize
        1
    """

    optimize: int = 1
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    sympy_budget_s: float = 0.25
    integral_budget_s: float = 1.0  # SymPy time for one closed-form normalisation integral
    sympy_total_s: float = 1.5
    check: bool = False
    seed: int = 0
    differentiate: tuple[str, ...] = ()  # outputs whose gradient the pipeline adds
    wrt: tuple[str, ...] = ()  # ... with respect to these parameters
    hessian: bool = False  # ... and their Hessian
    decisions: list[Decision] = field(default_factory=list)
    stats: list[PassStat] = field(default_factory=list)
    _sympy_spent: float = 0.0

    def note(self, pass_name: str, subject: str, what: str) -> None:
        """Record a decision.

        Example:
            >>> c = Context(); c.note("p", "s", "w"); len(c.decisions)
            1
        """
        self.decisions.append(Decision(pass_name, subject, what))

    def sympy_time_left(self) -> float:
        """Seconds SymPy may still use on the next sub-expression (0 when the run's budget is spent).

        Example:
            >>> Context(sympy_budget_s=0.1).sympy_time_left()
            0.1
        """
        return max(0.0, min(self.sympy_budget_s, self.sympy_total_s - self._sympy_spent))

    def charge_sympy(self, seconds: float) -> None:
        """Count ``seconds`` of SymPy work against the run's budget.

        Example:
            >>> c = Context(sympy_total_s=1.0); c.charge_sympy(0.4); round(c.sympy_time_left(), 2)
            0.25
        """
        self._sympy_spent += seconds

    def sample_parameters(self, names: Iterable[str], n: int = 3) -> list[dict[str, float]]:
        """``n`` parameter points for numeric guards: the defaults, then random values within the bounds
        (within a few units of the default where a bound is infinite).

        Example:
            >>> from firmc.ir import Parameter
            >>> pts = Context(parameters={"a": Parameter("a", 1.0, 0.0, 2.0)}).sample_parameters(["a", "b"])
            >>> pts[0]["a"], len(pts), all(0.0 <= p["a"] <= 2.0 for p in pts)
            (1.0, 3, True)
        """
        rng = np.random.default_rng(self.seed)
        names = sorted(names)
        out: list[dict[str, float]] = []
        for k in range(n):
            point = {}
            for name in names:
                p = self.parameters.get(name)
                v = p.value if p is not None and math.isfinite(p.value) else 0.5
                lo = p.min if p is not None else -math.inf
                hi = p.max if p is not None else math.inf
                if k > 0:
                    a = lo if math.isfinite(lo) else v - 1.0 - abs(v)
                    b = hi if math.isfinite(hi) else v + 1.0 + abs(v)
                    v = float(rng.uniform(a, b)) if b > a else v
                point[name] = v
            out.append(point)
        return out


class Stopwatch:
    """Seconds since construction.

    Example:
        >>> Stopwatch().seconds() >= 0.0
        True
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        """Elapsed wall time.

        Example:
            >>> Stopwatch().seconds() < 1.0
            True
        """
        return time.perf_counter() - self.start


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) for the duration. Passes build tens of thousands of
    nodes and weak references on a large graph, which makes the collector traverse the whole heap again and again
    (0.5 s of 1.2 s for a 78 000-node graph); interned nodes form no reference cycles, so it would find nothing
    that reference counting does not free anyway. It is re-enabled afterwards (and collects then).

    Example:
        >>> with collector_paused():
        ...     gc.isenabled()
        False
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
