"""Interned, immutable IR nodes.

A :class:`Node` is identified by its op, its arguments (themselves interned) and its attributes: building the
same node twice returns the same object, so structural equality is identity and common subexpressions are
shared for free. The type is derived from the op table; source locations live beside nodes (see
:mod:`firmc.ir.module`), never inside them. Interning uses weak references, so nodes of models that are no
longer used are freed.

Example:
    >>> x = obs("x", -1.0, 1.0)
    >>> (x * 2.0) is (x * 2.0)
    True
    >>> (x * 2.0).type
    real/event
"""

from __future__ import annotations

import math
import weakref
from _weakref import _remove_dead_weakref  # type: ignore[attr-defined]  # what WeakValueDictionary uses
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

from .types import DType, Type, Var

if TYPE_CHECKING:
    from .ops import OpDef

AttrValue = Union[str, int, float, complex, bool, tuple["AttrValue", ...], None]  # noqa: UP007 (recursive alias)
Attrs = tuple[tuple[str, AttrValue], ...]
Operand = Union["Node", int, float, complex, bool]


def attr_key(attrs: Attrs) -> object:
    """The interning key of a node's attributes (exact: 1, 1.0, True, -0.0 and NaN payloads differ).

    Example:
        >>> attr_key((("value", -0.0),)) != attr_key((("value", 0.0),))
        True
    """
    return _key(attrs) if attrs else ()


def _key(value: AttrValue) -> object:
    """A hashable key that distinguishes 1, 1.0, True, -0.0 and NaN payloads exactly."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, float):
        return ("f", value.hex())
    if isinstance(value, complex):
        return ("c", value.real.hex(), value.imag.hex())
    if isinstance(value, tuple):
        return tuple(_key(v) for v in value)
    return (type(value).__name__, value)


class Node:
    """One interned IR value. Build nodes with :func:`apply`, :func:`const`, :func:`param`, :func:`obs`.

    Example:
        >>> n = apply("exp", param("mu"))
        >>> n.op, n.args[0].attr("name"), n.type
        ('exp', 'mu', real/param)
    """

    __slots__ = ("__weakref__", "args", "attrs", "free", "op", "type")

    op: str
    args: tuple[Node, ...]
    attrs: Attrs
    type: Type
    free: frozenset[str]

    def __init__(self) -> None:  # pragma: no cover - guarded: use apply()/const()/...
        raise TypeError("build nodes with firmc.ir.apply(), const(), param() or obs()")

    @classmethod
    def make(cls, op: str, args: Sequence[Node] = (), attrs: Attrs = (), attr_key: object = None) -> Node:
        """Return the unique node for ``(op, args, attrs)``, creating and type-checking it if new.
        ``attr_key`` is :func:`attr_key` of ``attrs`` when the caller has it (a pass building many nodes with
        the same attributes).

        Example:
            >>> Node.make("neg", (param("a"),)) is Node.make("neg", (param("a"),))
            True
        """
        if attr_key is None:
            attr_key = _key(attrs) if attrs else ()
        key = (op, tuple(map(id, args)), attr_key)
        ref = _POOL.get(key)
        if ref is not None:
            found = ref()
            if found is not None:
                return found
        opdef = _OPS.get(op) or _ops().get(op)
        if opdef is None:
            from ..errors import IRError, did_you_mean

            raise IRError(f"unknown op '{op}'{did_you_mean(op, _ops())}")
        node = object.__new__(cls)
        node.op, node.args, node.attrs = op, tuple(args), attrs
        n = len(node.args)
        lo, hi = opdef.arity
        if n < lo or (hi is not None and n > hi):
            opdef.check_arity(n)
        dtype = opdef.dtype_rule([a.type.dtype for a in node.args], node)
        node.free = free = opdef.free_rule(node)
        var = opdef.leaf_var
        if var is None:
            var = _EVENT if free else _args_var(node.args)
        t = _TYPES.get((dtype, var))
        node.type = t if t is not None else _TYPES.setdefault((dtype, var), Type(dtype, var))
        ref = _PoolRef(node, _drop)
        ref.key = key
        _POOL[key] = ref
        return node

    def attr(self, name: str) -> Any:
        """The value of attribute ``name`` (KeyError if absent).

        Example:
            >>> param("mu").attr("name")
            'mu'
        """
        for k, v in self.attrs:
            if k == name:
                return v
        raise KeyError(f"op '{self.op}' has no attribute '{name}'")

    @property
    def opdef(self) -> OpDef:
        """The op-table entry of this node.

        Example:
            >>> param("a").opdef.name
            'param'
        """
        return _ops()[self.op]

    def __repr__(self) -> str:
        from .text import format_node

        return format_node(self)

    # arithmetic sugar for library code: (x - mu) / sigma
    def __add__(self, o: Operand) -> Node:
        return apply("add", self, lift(o))

    def __radd__(self, o: Operand) -> Node:
        return apply("add", lift(o), self)

    def __sub__(self, o: Operand) -> Node:
        return apply("sub", self, lift(o))

    def __rsub__(self, o: Operand) -> Node:
        return apply("sub", lift(o), self)

    def __mul__(self, o: Operand) -> Node:
        return apply("mul", self, lift(o))

    def __rmul__(self, o: Operand) -> Node:
        return apply("mul", lift(o), self)

    def __truediv__(self, o: Operand) -> Node:
        return apply("div", self, lift(o))

    def __rtruediv__(self, o: Operand) -> Node:
        return apply("div", lift(o), self)

    def __pow__(self, o: Operand) -> Node:
        return apply("pow", self, lift(o))

    def __rpow__(self, o: Operand) -> Node:
        return apply("pow", lift(o), self)

    def __neg__(self) -> Node:
        return apply("neg", self)


_OPS: dict[str, OpDef] = {}
_CONST, _PARAM, _EVENT = Var.CONST, Var.PARAM, Var.EVENT  # globals: faster than Enum attributes
_TYPES: dict[tuple[DType, Var], Type] = {}


def _ops() -> dict[str, OpDef]:
    """The op table (imported on first use: ops.py builds nodes itself, so it imports this module)."""
    if not _OPS:
        from .ops import OPS

        _OPS.update(OPS)
    return _OPS


def _args_var(args: tuple[Node, ...]) -> Var:
    """The variability of a node without free variables: param if an argument varies, else const."""
    for a in args:
        if a.type.var is not _CONST:
            return _PARAM
    return _CONST


class _PoolRef(weakref.ref[Node]):
    """A weak reference from the intern pool to a node, knowing its pool key (as ``weakref.KeyedRef``, built
    without Python-level ``__new__``/``__init__``)."""

    __slots__ = ("key",)
    key: object


# (op, argument ids, attribute key) -> weak reference to the node; an entry leaves with its node (the callback
# runs when the node is freed, as in weakref.WeakValueDictionary)
_POOL: dict[object, _PoolRef] = {}


def _drop(ref: _PoolRef) -> None:
    _remove_dead_weakref(_POOL, ref.key)  # atomic, and only if the entry is still a dead reference


def apply(op: str, *args: Node, **attrs: AttrValue) -> Node:
    """Build (or fetch) the node ``op(args...)`` with attributes given as keywords (sorted by name).

    Example:
        >>> apply("add", const(1.0), const(2.0)).type
        real/const
    """
    return Node.make(op, args, tuple(sorted(attrs.items())))


def const(value: int | float | complex | bool, dtype: DType | None = None) -> Node:
    """A literal. The dtype follows the Python type unless given.

    Example:
        >>> const(2).type, const(2.0).type, const(1j).type
        (int/const, real/const, complex/const)
    """
    if dtype is None:
        dtype = (DType.BOOL if isinstance(value, bool) else DType.INT if isinstance(value, int)
                 else DType.COMPLEX if isinstance(value, complex) else DType.REAL)
    v: int | float | complex | bool
    if dtype is DType.BOOL:
        v = bool(value)
    elif dtype is DType.INT:
        v = int(value.real if isinstance(value, complex) else value)
    elif dtype is DType.REAL:
        v = float(value.real if isinstance(value, complex) else value)
    else:
        v = complex(value)
    return Node.make("const", (), (("dtype", dtype.value), ("value", v)))


def param(name: str) -> Node:
    """A parameter: one real value per evaluation.

    Example:
        >>> param("mu").type
        real/param
    """
    return Node.make("param", (), (("name", name),))


def obs(name: str, lo: float = -math.inf, hi: float = math.inf) -> Node:
    """An observable over the domain ``[lo, hi]``: one real value per event.

    Example:
        >>> obs("x", 0.0, 1.0).free
        frozenset({'x'})
    """
    return Node.make("obs", (), (("hi", float(hi)), ("lo", float(lo)), ("name", name)))


def lift(value: Operand) -> Node:
    """``value`` itself if it is a node, else a constant.

    Example:
        >>> lift(3.0).attr("value")
        3.0
    """
    return value if isinstance(value, Node) else const(value)


def walk(roots: Sequence[Node], children: Callable[[Node], Sequence[Node]] | None = None) -> Iterator[Node]:
    """Every node reachable from ``roots``, each once, arguments before users (explicit stack). ``children``
    says which arguments of a node to enter (default: all of them); a node it gives none for is still
    yielded, as a leaf of the walk.

    Example:
        >>> a = param("a"); [n.op for n in walk([apply("neg", a)])]
        ['param', 'neg']
        >>> [n.op for n in walk([apply("neg", apply("exp", a))], lambda n: n.args if n.op == "neg" else ())]
        ['exp', 'neg']
    """
    seen: set[Node] = set()  # nodes hash and compare by identity
    add = seen.add
    kids = children if children is not None else _args
    for root in roots:
        if root in seen:
            continue
        add(root)
        stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(kids(root)))]
        while stack:
            node, pending = stack[-1]
            for a in pending:
                if a not in seen:
                    add(a)
                    stack.append((a, iter(kids(a))))
                    break
            else:
                stack.pop()
                yield node


def _args(n: Node) -> Sequence[Node]:
    return n.args


def domains(root: Node) -> dict[str, tuple[float, float]]:
    """Domain of every observable leaf under ``root``, by name.

    Example:
        >>> domains(obs("x", 0.0, 2.0) + 1.0)
        {'x': (0.0, 2.0)}
    """
    return {n.attr("name"): (n.attr("lo"), n.attr("hi")) for n in walk([root]) if n.op == "obs"}


def leaves(roots: Sequence[Node], op: str) -> dict[str, Node]:
    """The leaf nodes of kind ``op`` ("param" or "obs") reachable from ``roots``, by name.

    Example:
        >>> sorted(leaves([param("a") + param("b")], "param"))
        ['a', 'b']
    """
    return {n.attr("name"): n for n in walk(roots) if n.op == op}
