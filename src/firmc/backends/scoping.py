"""What both emitters (Python arrays, C loops) share: where a value lives, which data columns a sum binds, and
which subexpressions are constants computed at emit time.

Example:
    >>> from firmc.ir import obs
    >>> from firmc.backends.pysource.emit import Scope
    >>> root = Scope(0, {}); inner = Scope(1, {"x": "x"}, root)
    >>> home(obs("x"), inner, root) is inner
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import numpy as np

from ..errors import UnsupportedFeature
from ..interp import evaluate
from ..ir import Node, walk
from ..ir.types import DType, Var


class Nested(Protocol):
    """A scope: the observables it binds and the scope it is nested in."""

    @property
    def bound(self) -> frozenset[str]: ...

    @property
    def parent(self) -> Nested | None: ...


S = TypeVar("S", bound=Nested)


def home(node: Node, scope: S, root: S) -> S:
    """The innermost scope, from ``scope`` outwards, binding one of ``node``'s free observables (``root`` when
    it has none): a node is computed once there, and read from the scopes nested in it.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.backends.pysource.emit import Scope
        >>> r = Scope(0, {})
        >>> home(param("a"), Scope(1, {"x": "x"}, r), r) is r
        True
    """
    s: Nested | None = scope
    while s is not None:
        if node.free & s.bound:
            return s  # type: ignore[return-value]  # a scope's parents are scopes of its own kind
        s = s.parent
    if node.free:
        raise UnsupportedFeature(f"observable '{sorted(node.free)[0]}' is not bound in generated code")
    return root


def bound_columns(datasets: Mapping[str, tuple[Mapping[str, str], str, str]], node: Node) \
        -> tuple[dict[str, str], str, str]:
    """For a ``datasum``: the expressions of the columns it binds, of its weights and of its event count,
    from ``datasets`` (data set name -> (columns, weights, count)); a clear error for a missing one.

    Example:
        >>> from firmc.ir import apply, obs
        >>> s = apply("datasum", obs("x"), dataset="d", binds=("x",))
        >>> bound_columns({"d": ({"x": "d_x", "y": "d_y"}, "None", "7")}, s)
        ({'x': 'd_x'}, 'None', '7')
    """
    name, binds = node.attr("dataset"), tuple(node.attr("binds"))
    if name not in datasets:
        raise UnsupportedFeature(f"data set '{name}' is not available to generated code")
    cols, weights, count = datasets[name]
    missing = [b for b in binds if b not in cols]
    if missing:
        raise UnsupportedFeature(f"data set '{name}' has no column {missing[0]!r}")
    return {b: cols[b] for b in binds}, weights, count


class Constants:
    """Constant subexpressions of a program, computed at emit time by the interpreter (the value it gives).

    A node without parameters or observables folds, unless it contains a ``datasum``: ``datasum(1)`` is typed
    constant but counts the events.

    Example:
        >>> from firmc.ir import const
        >>> c = Constants()
        >>> c.foldable(const(2.0) * 3.0), float(c.value(const(2.0) * 3.0))
        (True, 6.0)
    """

    def __init__(self, complex_values: bool = True) -> None:
        self.complex_values = complex_values  # False: complex constants stay (C pairs them up)
        self._cache: dict[Node, bool] = {}

    def foldable(self, n: Node) -> bool:
        """Whether ``n`` is computed now (a literal ``const`` already is one)."""
        if n.type.var is not Var.CONST or n.op in ("const", "datasum", "integral"):
            return False
        if not self.complex_values and n.type.dtype is DType.COMPLEX:
            return False
        if n not in self._cache:
            self._cache[n] = not any(x.op == "datasum" for x in walk([n]))
        return self._cache[n]

    def value(self, n: Node) -> Any:
        """The interpreter's value of a foldable node (a NumPy scalar)."""
        return np.asarray(evaluate([n], {})[0])[()]
