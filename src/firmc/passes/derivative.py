"""Symbolic derivatives of IR expressions by forward-mode differentiation over the op table's ``deriv`` column.

One sweep over the graph in dependency order (:func:`firmc.ir.walk`, an explicit stack) gives every node its
tangent d(node)/d(var) as IR, built from the tangents of its arguments; a tangent that is identically zero
is not built at all, so the result stays the size of the part of the graph that depends on ``var``.
``var`` is a variable name: the leaves called so (``param`` or ``obs``) have tangent 1.

Ops that are not complex-differentiable use their op-table ``jvp`` rule. Structural ops: ``integral``
differentiates under the integral sign (fixed bounds), ``datasum`` under the sum; ``normalize`` is f / Z with Z
its closed-form rule or its integral, so d(f/Z) = f'/Z when var is one of the integrated observables and
(f' Z - f Z')/Z^2 otherwise.

Example:
    >>> from firmc.ir import param
    >>> from firmc.interp import evaluate
    >>> d = derivative(apply("exp", param("a") * param("a")), "a")
    >>> round(float(evaluate([d], {"a": 1.0})[0]), 12)  # 2 a exp(a^2)
    5.436563656918
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import FirmError, UnsupportedFeature
from ..ir import Node, apply, const, walk
from ..ir.types import DType
from .normalise import normalizer

Tangent = Node | None  # None: identically zero
Seeds = str | Mapping[str, Node]  # a variable (tangent 1), or the tangents of several leaves (a direction)


def _is_const(n: Node, value: float) -> bool:
    return n.op == "const" and n.attr("value") == value


def _mul(a: Node, b: Node) -> Tangent:
    if _is_const(a, 0.0) or _is_const(b, 0.0):
        return None
    if _is_const(a, 1.0):
        return b
    if _is_const(b, 1.0):
        return a
    return apply("mul", a, b)


def _sum(terms: list[Node]) -> Tangent:
    if not terms:
        return None
    return apply("add", *terms) if len(terms) > 1 else terms[0]


def _seeded(var: Seeds) -> Mapping[str, Node]:
    return {var: const(1.0)} if isinstance(var, str) else var


def _leaf(n: Node, var: Mapping[str, Node]) -> Tangent:
    if n.op in ("param", "obs"):
        return var.get(n.attr("name"))
    return None


def _any_in(var: Mapping[str, Node], names: object) -> bool:
    return any(v in var for v in names)  # type: ignore[attr-defined]


def _chain(n: Node, tangents: list[Tangent]) -> Tangent:
    """The op's tangent rule (``jvp``) where it has one, else sum_i d(n)/d(arg_i) * tangent(arg_i)."""
    opdef = n.opdef
    if opdef.jvp is not None:
        return opdef.jvp(n, tangents)
    rule = opdef.deriv
    terms: list[Node] = []
    for i, t in enumerate(tangents):
        if t is None:
            continue
        if rule is None:
            raise UnsupportedFeature(f"cannot differentiate op '{n.op}': the op table has no derivative rule for it")
        term = _mul(rule(n, i), t)
        if term is not None:
            terms.append(term)
    return _sum(terms)


def _integral(n: Node, tangents: list[Tangent], var: Mapping[str, Node]) -> Tangent:
    if any(t is not None for t in tangents[1:]):
        raise FirmError(f"cannot differentiate an integral whose bounds depend on '{', '.join(var)}'")
    tf = tangents[0]
    if tf is None or _any_in(var, n.attr("vars")):
        return None
    return apply("integral", tf, *n.args[1:], vars=n.attr("vars"))


def _normalize(n: Node, tangents: list[Tangent], var: Mapping[str, Node]) -> Tangent:
    f = n.args[0]
    tf = tangents[0]
    if not f.free:  # normalised over nothing: f itself
        return tf
    z = normalizer(n)
    if _any_in(var, f.free):  # var is integrated over: Z does not depend on it
        return None if tf is None else tf / z
    tz = derivative_or_none(z, var)
    if tz is None:
        return None if tf is None else tf / z
    num = (tf * z if tf is not None else const(0.0)) - f * tz
    return num / (z * z)


def _datasum(n: Node, tangents: list[Tangent], var: Mapping[str, Node]) -> Tangent:
    tf = tangents[0]
    if tf is None or _any_in(var, n.attr("binds")):
        return None
    return Node.make("datasum", (tf,), n.attrs)


def tangents(root: Node | Sequence[Node], var: Seeds) -> dict[int, Tangent]:
    """d(node)/d(var) for every node under ``root`` (one node or several; keyed by ``id``), None where
    identically zero. ``var`` is a variable name, or a mapping from leaf names to their tangents (the
    directional derivative along them: a Jacobian-vector product).

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> a, b = param("a"), param("b")
        >>> t = tangents(a * 3.0, "a")
        >>> t[id(a)].attr("value")
        1.0
        >>> e = a * b
        >>> d = tangents(e, {"a": param("u"), "b": param("v")})[id(e)]   # u b + a v
        >>> float(evaluate([d], {"a": 2.0, "b": 3.0, "u": 1.0, "v": 10.0})[0])
        23.0
    """
    var = _seeded(var)
    out: dict[int, Tangent] = {}
    for n in walk([root] if isinstance(root, Node) else list(root)):
        if not n.args:
            out[id(n)] = _leaf(n, var)
            continue
        ts = [out[id(a)] for a in n.args]
        if all(t is None for t in ts) or n.type.dtype in (DType.BOOL, DType.INT):
            out[id(n)] = None
        elif n.op == "integral":
            out[id(n)] = _integral(n, ts, var)
        elif n.op == "normalize":
            out[id(n)] = _normalize(n, ts, var)
        elif n.op == "datasum":
            out[id(n)] = _datasum(n, ts, var)
        else:
            out[id(n)] = _chain(n, ts)
    return out


def derivative_or_none(root: Node, var: Seeds) -> Tangent:
    """d(root)/d(var), or None when it is identically zero.

    Example:
        >>> from firmc.ir import param
        >>> derivative_or_none(param("b"), "a") is None
        True
    """
    return tangents(root, var)[id(root)]


def derivative(root: Node, var: str, order: int = 1) -> Node:
    """The ``order``-th derivative of ``root`` with respect to the variable ``var``, as IR.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> float(evaluate([derivative(param("a") ** 3.0, "a", 2)], {"a": 2.0})[0])  # 6 a
        12.0
    """
    if order < 0:
        raise ValueError(f"derivative order must be >= 0, got {order}")
    out = root
    for _ in range(order):
        d = derivative_or_none(out, var)
        out = d if d is not None else const(0.0)
    return out
