"""Tangent (JVP) and cotangent (VJP) rules of the ops whose derivative is not one complex number per argument:
``select`` and ``choose`` (a branch taken), and the ops that are not complex-differentiable (``real``, ``imag``,
``conj``, ``abs``, ``abs2``, ``arg``, ``complex``; derivations in docs/passes.md). :mod:`firmc.ir.ops` puts them
in the op table (:data:`JVP`, :data:`VJP`, by op name).

Example:
    >>> from firmc.ir import param
    >>> a, b = param("a"), param("b")
    >>> JVP["select"](apply("select", apply("lt", a, b), a, b), [None, const(1.0), None]).op
    'select'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .node import Node, apply, const
from .types import DType

Jvp = Callable[[Node, Sequence[Node | None]], Node | None]
Vjp = Callable[[Node, Node], list[Node | None]]


def _or_zero(t: Node | None) -> Node:
    return const(0.0) if t is None else t


def _is_complex(n: Node) -> bool:
    return n.type.dtype is DType.COMPLEX


def _jvp_select(n: Node, ts: Sequence[Node | None]) -> Node | None:
    _, ta, tb = ts
    if ta is None and tb is None:
        return None
    return apply("select", n.args[0], _or_zero(ta), _or_zero(tb))


def _vjp_select(n: Node, c: Node) -> list[Node | None]:
    zero = const(0.0)
    return [None, apply("select", n.args[0], c, zero), apply("select", n.args[0], zero, c)]


def choice_index(n: Node) -> Node:
    """The index a ``choose`` node takes, as the value ``choose(k, 0, 1, ..., n-1)`` (floor of k, clamped), so
    that derivative rules can compare it with a literal.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> c = apply("choose", param("k"), const(5.0), const(6.0), const(7.0))
        >>> float(evaluate([choice_index(c)], {"k": 9.5})[0])
        2.0
    """
    return apply("choose", n.args[0], *[const(float(j)) for j in range(len(n.args) - 1)])


def _jvp_choose(n: Node, ts: Sequence[Node | None]) -> Node | None:
    if all(t is None for t in ts[1:]):
        return None
    return apply("choose", n.args[0], *[_or_zero(t) for t in ts[1:]])


def _vjp_choose(n: Node, c: Node) -> list[Node | None]:
    index, zero = choice_index(n), const(0.0)
    return [None, *[apply("select", apply("eq", index, const(float(j))), c, zero) for j in range(len(n.args) - 1)]]


# tangent and cotangent rules of the ops that are not complex-differentiable (derivations in docs/passes.md)
def _jvp_real(n: Node, ts: Sequence[Node | None]) -> Node | None:
    t = ts[0]
    return apply("real", t) if t is not None and _is_complex(t) else t


def _jvp_imag(n: Node, ts: Sequence[Node | None]) -> Node | None:
    t = ts[0]
    return apply("imag", t) if t is not None and _is_complex(t) else None


def _jvp_conj(n: Node, ts: Sequence[Node | None]) -> Node | None:
    t = ts[0]
    return apply("conj", t) if t is not None and _is_complex(t) else t


def _jvp_abs2(n: Node, ts: Sequence[Node | None]) -> Node | None:
    a, t = n.args[0], ts[0]
    if t is None:
        return None
    if _is_complex(a) or _is_complex(t):
        return 2.0 * apply("real", apply("conj", a) * t)
    return 2.0 * a * t


def _jvp_abs(n: Node, ts: Sequence[Node | None]) -> Node | None:
    a, t = n.args[0], ts[0]
    if t is None:
        return None
    if _is_complex(a) or _is_complex(t):
        return apply("real", apply("conj", a) * t) / n
    return apply("sign", a) * t


def _jvp_arg(n: Node, ts: Sequence[Node | None]) -> Node | None:
    a, t = n.args[0], ts[0]
    if t is None or not (_is_complex(a) or _is_complex(t)):
        return None
    return apply("imag", apply("conj", a) * t) / apply("abs2", a)


def _jvp_complex(n: Node, ts: Sequence[Node | None]) -> Node | None:
    ta, tb = ts
    if ta is None and tb is None:
        return None
    return apply("complex", _or_zero(ta), _or_zero(tb))


def _vjp_real(n: Node, c: Node) -> list[Node | None]:
    return [c]


def _vjp_imag(n: Node, c: Node) -> list[Node | None]:
    return [apply("complex", const(0.0), c)] if _is_complex(n.args[0]) else [None]


def _vjp_conj(n: Node, c: Node) -> list[Node | None]:
    return [apply("conj", c) if _is_complex(c) else c]


def _vjp_abs2(n: Node, c: Node) -> list[Node | None]:
    return [2.0 * c * n.args[0]]


def _vjp_abs(n: Node, c: Node) -> list[Node | None]:
    a = n.args[0]
    return [c * a / n] if _is_complex(a) else [c * apply("sign", a)]


def _vjp_arg(n: Node, c: Node) -> list[Node | None]:
    a = n.args[0]
    return [c * const(1j) * a / apply("abs2", a)] if _is_complex(a) else [None]


def _vjp_complex(n: Node, c: Node) -> list[Node | None]:
    if not _is_complex(c):
        return [c, None]
    return [apply("real", c), apply("imag", c)]


JVP: dict[str, Jvp] = {"select": _jvp_select, "choose": _jvp_choose, "real": _jvp_real, "imag": _jvp_imag,
                       "conj": _jvp_conj, "abs2": _jvp_abs2, "abs": _jvp_abs, "arg": _jvp_arg, "complex": _jvp_complex}
VJP: dict[str, Vjp] = {"select": _vjp_select, "choose": _vjp_choose, "real": _vjp_real, "imag": _vjp_imag,
                       "conj": _vjp_conj, "abs2": _vjp_abs2, "abs": _vjp_abs, "arg": _vjp_arg, "complex": _vjp_complex}
