"""Where a value lives in generated code: the rule both emitters (Python arrays, C loops) share.

Example:
    >>> from firmc.ir import obs
    >>> from firmc.backends.pysource.emit import Scope
    >>> root = Scope(0, {}); inner = Scope(1, {"x": "x"}, root)
    >>> home(obs("x"), inner, root) is inner
    True
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from ..errors import UnsupportedFeature
from ..ir import Node


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
