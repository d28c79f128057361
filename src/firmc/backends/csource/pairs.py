"""Complex arithmetic lowered to pairs of reals, for the targets without a complex type (C++, CUDA, LLVM).

Every complex node becomes a pair ``(re, im)`` of real nodes, with NumPy's formulas (the interpreter's): the
plain product, Smith's division, ``exp``/``log``/``sqrt`` through the real functions; a complex output becomes
the node ``complex(re, im)``. The Faddeeva function stays a complex node, seen only through ``real`` and
``imag`` of ``faddeeva(complex(x, y))``: a native emitter computes both parts with one runtime call.

Known differences from NumPy, at the edges only: ``abs`` is ``sqrt(re^2 + im^2)`` (NumPy's ``hypot`` does not
overflow above 1e154), ``sqrt`` of a number with imaginary part -0.0 takes the +0.0 branch, and the special
values of C99 Annex G (``exp(inf + i nan)`` ...) are not reproduced.

Example:
    >>> from firmc.ir import param
    >>> z = apply("complex", param("a"), param("b"))
    >>> out = lower_complex({"v": apply("abs2", z * z)})["v"]
    >>> out.type.dtype.name, sorted({n.op for n in walk([out])})
    ('REAL', ['add', 'mul', 'param', 'sub'])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ...errors import UnsupportedFeature
from ...ir import Node, apply, const, walk
from ...ir.types import DType

Pair = tuple[Node, Node | None]  # (re, im); im None where it is known to be zero (a real operand)


def _pair(n: Node, lowered: Mapping[Node, Node | Pair]) -> Pair:
    v = lowered[n]
    if isinstance(v, tuple):
        return v
    return v, None


def _is_complex(n: Node) -> bool:
    return n.type.dtype is DType.COMPLEX


def _im(p: Pair) -> Node:
    return const(0.0) if p[1] is None else p[1]


def _zero(n: Node) -> bool:
    return n.op == "const" and n.attr("value") == 0.0


def _mul(a: Pair, b: Pair) -> Pair:
    """The product, without the terms of a known-zero imaginary part (a real factor costs 2 multiplications)."""
    (ar, ai), (br, bi) = a, b
    if ai is None and bi is None:
        return ar * br, None
    if ai is None:
        return ar * br, ar * _im(b)
    if bi is None:
        return ar * br, ai * br
    return ar * br - ai * bi, ar * bi + ai * br


def _div(a: Pair, b: Pair) -> Pair:
    """Smith's algorithm (NumPy's), with the branch chosen before dividing (bit for bit the branch NumPy takes:
    three divisions, not six)."""
    ar, ai, br, bi = a[0], _im(a), b[0], _im(b)
    big = apply("ge", apply("abs", br), apply("abs", bi))
    num, den = apply("select", big, bi, br), apply("select", big, br, bi)  # r = bi/br or br/bi
    r = num / den
    d = den + num * r
    re = apply("select", big, ar + ai * r, ar * r + ai) / d
    im = apply("select", big, ai - ar * r, ai * r - ar) / d
    return re, im


def _exp(a: Pair) -> Pair:
    e = apply("exp", a[0])
    if a[1] is None:
        return e, None
    return e * apply("cos", a[1]), e * apply("sin", a[1])


def _modulus(a: Pair) -> Node:
    if a[1] is None:
        return apply("abs", a[0])
    return apply("sqrt", a[0] * a[0] + a[1] * a[1])


def _log(a: Pair) -> Pair:
    return apply("log", _modulus(a)), apply("atan2", _im(a), a[0])


def _sqrt(a: Pair) -> Pair:
    """Principal square root: t = sqrt((|z| + |re|) / 2) on the side of re, im / (2t) on the other."""
    re, im = a[0], _im(a)
    t = apply("sqrt", (_modulus(a) + apply("abs", re)) * 0.5)
    s = im / (t * 2.0)
    pos = apply("ge", re, const(0.0))
    neg_im = apply("lt", im, const(0.0))
    return (apply("select", pos, t, apply("abs", s)),
            apply("select", pos, s, apply("select", neg_im, -t, t)))


def _chain(op: Callable[[Pair, Pair], Pair], items: list[Pair]) -> Pair:
    out = items[0]
    for x in items[1:]:
        out = op(out, x)
    return out


def _lower_node(n: Node, args: list[Node | Pair], lowered: Mapping[Node, Node | Pair]) -> Node | Pair:
    """The lowered form of ``n`` (a pair when ``n`` is complex) from its lowered arguments."""
    op = n.op
    pairs = [_pair(a, lowered) for a in n.args]
    if not _is_complex(n):
        if op in ("real", "imag", "abs", "abs2", "arg") and _is_complex(n.args[0]):
            re, im = pairs[0][0], _im(pairs[0])
            return {"real": lambda: re, "imag": lambda: im, "abs": lambda: _modulus(pairs[0]),
                    "abs2": lambda: re * re if pairs[0][1] is None else re * re + im * im,
                    "arg": lambda: apply("atan2", im, re)}[op]()
        if any(_is_complex(a) for a in n.args):
            raise UnsupportedFeature(f"op '{op}' of a complex argument on a target without complex numbers")
        return Node.make(op, tuple(a for a in args if isinstance(a, Node)), n.attrs)
    if op == "const":
        v = complex(n.attr("value"))
        return const(v.real), const(v.imag)
    if op == "complex":
        return pairs[0][0], None if _zero(pairs[1][0]) else pairs[1][0]
    if op == "add":
        return apply("add", *(p[0] for p in pairs)), _sum_im(pairs)
    if op == "sub":
        a, b = pairs
        return a[0] - b[0], a[1] if b[1] is None else (-b[1] if a[1] is None else a[1] - b[1])
    if op == "neg":
        return -pairs[0][0], None if pairs[0][1] is None else -pairs[0][1]
    if op == "mul":
        return _chain(_mul, pairs)
    if op in ("div", "idiv"):
        if not _is_complex(n.args[1]):
            return pairs[0][0] / pairs[1][0], None if pairs[0][1] is None else pairs[0][1] / pairs[1][0]
        return _div(pairs[0], pairs[1])
    if op == "conj":
        return pairs[0][0], None if pairs[0][1] is None else -pairs[0][1]
    if op == "exp":
        return _exp(pairs[0])
    if op == "log":
        return _log(pairs[0])
    if op == "sqrt":
        return _sqrt(pairs[0])
    if op == "pow":
        return _exp(_mul(pairs[1], _log(pairs[0])))
    if op == "select":
        c = lowered[n.args[0]]
        assert isinstance(c, Node)
        both_real = pairs[1][1] is None and pairs[2][1] is None
        return (apply("select", c, pairs[1][0], pairs[2][0]),
                None if both_real else apply("select", c, _im(pairs[1]), _im(pairs[2])))
    if op == "choose":  # the real parts chosen, and the imaginary parts
        k = lowered[n.args[0]]
        assert isinstance(k, Node)
        both_real = all(p[1] is None for p in pairs[1:])
        return (apply("choose", k, *(p[0] for p in pairs[1:])),
                None if both_real else apply("choose", k, *(_im(p) for p in pairs[1:])))
    if op == "datasum":
        return (Node.make("datasum", (pairs[0][0],), n.attrs),
                None if pairs[0][1] is None else Node.make("datasum", (pairs[0][1],), n.attrs))
    if op == "faddeeva":
        z = apply("complex", pairs[0][0], _im(pairs[0]))
        w = apply("faddeeva", z)
        return apply("real", w), apply("imag", w)
    raise UnsupportedFeature(f"complex op '{op}' on a target without complex numbers")


def _sum_im(pairs: list[Pair]) -> Node | None:
    ims = [p[1] for p in pairs if p[1] is not None]
    if not ims:
        return None
    return ims[0] if len(ims) == 1 else apply("add", *ims)


def lower_complex(outputs: Mapping[str, Node]) -> dict[str, Node]:
    """``outputs`` with complex arithmetic as pairs of reals; a complex output becomes ``complex(re, im)``.

    Example:
        >>> from firmc.ir import param
        >>> lower_complex({"v": param("a")})["v"].op
        'param'
    """
    lowered: dict[Node, Node | Pair] = {}
    keys = list(outputs)
    for n in walk([outputs[k] for k in keys]):
        if n.op in ("param", "obs") or (n.op == "const" and not _is_complex(n)):
            lowered[n] = n
            continue
        lowered[n] = _lower_node(n, [lowered[a] for a in n.args], lowered)
    out = {}
    for k in keys:
        v = lowered[outputs[k]]
        out[k] = apply("complex", v[0], _im(v)) if isinstance(v, tuple) else v
    return out
