"""Constant folding and IEEE-exact identities.

Every rule here is *exact*: the interpreter gives bit-identical values before and after (NaN for NaN), for
every input including ``-0.0``, infinities and NaN. Rounding-level rewrites belong to
:mod:`firmc.passes.strength`. :func:`fold` also runs the dead-branch rules of :mod:`firmc.passes.dce`, so that
one walk reaches the fixpoint.

Values are compared after broadcasting: ``select(true, a, x)`` with a scalar ``a`` and an event-valued ``x``
becomes ``a``, a number where there was an array of equal numbers.

Rewrites that look like identities and are *not* done (why):

* ``x + 0.0 -> x``: ``-0.0 + 0.0`` is ``+0.0``. (``x + -0.0 -> x`` is exact and done.)
* ``x - -0.0``, ``0.0 - x -> -x``: the sign of zero again (``-0.0 - x -> -x`` is exact and done).
* ``0 * x -> 0`` for reals: ``x`` may be inf or NaN, and ``-1 * 0`` is ``-0.0``. Integer ``0 * x`` is done.
* ``x - x -> 0``, ``x / x -> 1``: inf and NaN.
* ``x * 2.0 * 3.0 -> x * 6.0``: two roundings become one (only a *leading* run of literals is folded:
  ``(2.0 * 3.0) * x`` evaluates the literals first anyway).
* ``add(a, add(b, c)) -> add(a, b, c)``: ``a + (b + c)`` is not ``(a + b) + c``; only the first argument of
  an n-ary add or mul is spliced (the interpreter accumulates left to right).
* identities on complex values (``z * 1``): NumPy multiplies ``complex * real`` as complex, and
  ``inf * (1 + 0j)`` has a NaN imaginary part.

Example:
    >>> from firmc.ir import obs, const
    >>> x = obs("x")
    >>> str(fold([(const(2.0) * 3.0) * x + -0.0])[0].args[0].attr("value"))
    '6.0'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import FirmError
from ..interp import evaluate
from ..ir import OPS, DType, Node, const
from .context import Context
from .dce import DCE_RULES
from .rules import NUMERIC, Rule, Uses, apply_rules, is_const, is_zero, truth

_BOOL, _INT, _REAL = DType.BOOL, DType.INT, DType.REAL  # globals: faster than Enum attributes

_KIND = {"b": DType.BOOL, "i": DType.INT, "u": DType.INT, "f": DType.REAL, "c": DType.COMPLEX}


def literal(value: np.ndarray) -> Node | None:
    """The ``const`` node the interpreter evaluates to exactly ``value`` (a 0-d array: same dtype, same bits,
    any NaN for NaN), or None when no literal does.

    Example:
        >>> literal(np.asarray(0.5)).attr("value"), literal(np.asarray([1.0, 2.0])) is None
        (0.5, True)
    """
    dtype = _KIND.get(value.dtype.kind)
    if value.shape != () or dtype is None:
        return None
    node = const(value.item(), dtype)
    return node if same_bits(np.asarray(node.attr("value")), value) else None


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` have the same dtype, shape and bits, any NaN matching any NaN (per component of
    complex numbers): the equality exact rewrites keep.

    Example:
        >>> same_bits(np.asarray(0.0), np.asarray(-0.0)), same_bits(np.asarray(np.nan), -np.asarray(np.nan))
        (False, True)
    """
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind not in "fc":
        return a.tobytes() == b.tobytes()
    if a.dtype.kind == "c":  # compare the real and imaginary parts
        a, b = _parts(a), _parts(b)
    bits = f"i{a.dtype.itemsize}"
    fa, fb = np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1)
    return bool(np.all((fa.view(bits) == fb.view(bits)) | (np.isnan(fa) & np.isnan(fb))))


def _parts(z: np.ndarray) -> np.ndarray:
    return np.stack([np.real(z), np.imag(z)])


# ------------------------------------------------------------------------------------------------ rules
def _const_eval(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if not args:
        return None
    for a in args:
        if a.op != "const":
            return None
    if n.opdef.numpy is None:
        return None
    try:
        value = evaluate([n], {})[0]
    except (FirmError, ArithmeticError, ValueError, TypeError):
        return None  # the interpreter fails the same way at run time
    return literal(np.asarray(value))


def _const_prefix(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if len(args) < 3 or args[0].op != "const" or args[1].op != "const":
        return None  # fewer than two leading literals, or nothing after them
    k = 0
    while k < len(n.args) and n.args[k].op == "const":
        k += 1
    if k < 2 or k == len(n.args):
        return None
    fn = OPS[n.op].numpy
    assert fn is not None
    with np.errstate(all="ignore"):
        acc = np.asarray(fn(*(np.asarray(a.attr("value")) for a in n.args[:k])))
    c = literal(acc)
    if c is None:
        return None
    out = Node.make(n.op, (c, *n.args[k:]))
    return out if out.type.dtype is n.type.dtype else None


def _flatten(n: Node, uses: Uses) -> Node | None:
    inner = n.args[0]
    if inner.op != n.op or uses(inner) != 1 or any(a.type.dtype is _BOOL for a in inner.args):
        return None  # bool + bool is logical or in NumPy: the inner node's cast to int matters
    return Node.make(n.op, (*inner.args, *n.args[1:]))


def _single(n: Node, uses: Uses) -> Node | None:
    return n.args[0] if len(n.args) == 1 and n.args[0].type.dtype is n.type.dtype else None


def _drop_literals(n: Node, drop: Sequence[Node]) -> Node | None:
    """``n`` without the arguments in ``drop`` when all that remain have ``n``'s (int or real) dtype."""
    rest = [a for a in n.args if not any(a is d for d in drop)]
    if len(rest) == len(n.args) or not rest or n.type.dtype not in NUMERIC:
        return None
    if any(a.type.dtype is not n.type.dtype for a in rest):
        return None
    return rest[0] if len(rest) == 1 else Node.make(n.op, rest)


def _mul_one(n: Node, uses: Uses) -> Node | None:
    for a in n.args:
        if a.op == "const":
            return _drop_literals(n, [a for a in n.args if is_const(a, 1)])
    return None  # no literal: nothing to drop


def _add_neg_zero(n: Node, uses: Uses) -> Node | None:
    if n.type.dtype is _REAL:
        zeros = [a for a in n.args if a.op == "const" and a.type.dtype is _REAL and is_zero(a, True)]
    else:
        zeros = [a for a in n.args if a.op == "const" and a.type.dtype is _INT and is_zero(a, False)]
    return _drop_literals(n, zeros) if zeros else None


def _sub_zero(n: Node, uses: Uses) -> Node | None:
    x, c = n.args
    if c.op != "const" or x.type.dtype is not n.type.dtype or n.type.dtype not in NUMERIC:
        return None
    return x if is_zero(c, False) and c.type.dtype in NUMERIC else None


def _neg_zero_sub(n: Node, uses: Uses) -> Node | None:
    c, x = n.args
    if c.op != "const" or x.type.dtype is not n.type.dtype or c.type.dtype is not n.type.dtype:
        return None
    if n.type.dtype not in NUMERIC:
        return None
    return Node.make("neg", (x,)) if is_zero(c, n.type.dtype is _REAL) else None


def _div_one(n: Node, uses: Uses) -> Node | None:
    x, c = n.args
    if c.op != "const" or x.type.dtype is not _REAL or not is_const(c) or c.type.dtype is _BOOL:
        return None
    if c.attr("value") == 1:
        return x
    return Node.make("neg", (x,)) if c.attr("value") == -1 else None


def _mul_minus_one(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if len(args) != 2 or (args[0].op != "const" and args[1].op != "const") or n.type.dtype not in NUMERIC:
        return None
    for c, x in (n.args, n.args[::-1]):
        if is_const(c, -1) and c.type.dtype in NUMERIC and x.type.dtype is n.type.dtype:
            return Node.make("neg", (x,))
    return None


def _neg_neg(n: Node, uses: Uses) -> Node | None:
    inner = n.args[0]
    if inner.op == "neg" and inner.args[0].type.dtype is n.type.dtype:
        return inner.args[0]
    return None


def _neg_pair(n: Node, uses: Uses) -> Node | None:
    args = n.args
    if len(args) != 2 or args[0].op != "neg" or args[1].op != "neg":
        return None
    a, b = (x.args[0] for x in n.args)
    ok = _REAL if n.op == "div" else n.type.dtype
    if ok not in NUMERIC or a.type.dtype is not ok or b.type.dtype is not ok:
        return None
    return Node.make(n.op, (a, b))


def _logic_identity(n: Node, uses: Uses) -> Node | None:
    neutral = n.op == "and"  # and(true, x) -> x, or(false, x) -> x
    for c, x in (n.args, n.args[::-1]):
        if is_const(c) and truth(c) == neutral and x.type.dtype is _BOOL:
            return x
    return None


def _not_not(n: Node, uses: Uses) -> Node | None:
    inner = n.args[0]
    if inner.op == "not" and inner.args[0].type.dtype is _BOOL:
        return inner.args[0]
    return None


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


FOLD_RULES: tuple[Rule, ...] = (
    Rule("const_eval", None, _const_eval, True,
         "op(literals...) -> the literal the interpreter computes (same dtype and bits; integral, normalize, "
         "datasum are left alone)"),
    Rule("const_prefix", _ops("add", "mul"), _const_prefix, True,
         "add(c1, c2, x, ...) -> add(c1 + c2, x, ...): a leading run of literals (left-to-right accumulation)"),
    Rule("flatten", _ops("add", "mul"), _flatten, True,
         "add(add(a, b), c) -> add(a, b, c) when the inner node has no other user and no bool argument"),
    Rule("single", _ops("add", "mul"), _single, True, "add(x) -> x, mul(x) -> x"),
    Rule("mul_one", _ops("mul"), _mul_one, True,
         "x * 1 -> x (int or real x, any position; all other factors of the product's dtype)"),
    Rule("add_neg_zero", _ops("add"), _add_neg_zero, True,
         "x + -0.0 -> x (real), x + 0 -> x (int); not x + 0.0, which turns -0.0 into +0.0"),
    Rule("sub_zero", _ops("sub"), _sub_zero, True, "x - 0.0 -> x, x - 0 -> x (int or real x)"),
    Rule("neg_zero_sub", _ops("sub"), _neg_zero_sub, True, "-0.0 - x -> -x (real), 0 - x -> -x (int)"),
    Rule("div_one", _ops("div"), _div_one, True, "x / 1 -> x, x / -1 -> -x (real x)"),
    Rule("mul_minus_one", _ops("mul"), _mul_minus_one, True, "x * -1 -> -x (int or real x)"),
    Rule("neg_neg", _ops("neg"), _neg_neg, True, "-(-x) -> x"),
    Rule("neg_pair", _ops("mul", "div"), _neg_pair, True, "(-a) * (-b) -> a * b, (-a) / (-b) -> a / b"),
    Rule("logic_identity", _ops("and", "or"), _logic_identity, True,
         "and(true, x) -> x, or(false, x) -> x (bool x; a literal's truth: nonzero, NaN true)"),
    Rule("not_not", _ops("not"), _not_not, True, "not(not(x)) -> x (bool x)"),
)


def fold(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Fold constants and apply the exact identities of :data:`FOLD_RULES` and :data:`~firmc.passes.dce.DCE_RULES`
    (enabled from ``optimize`` 1).

    Example:
        >>> from firmc.ir import param, apply
        >>> a = param("a")
        >>> fold([apply("neg", apply("neg", a)) * 1.0 - 0.0])[0] is a
        True
        >>> fold([a + 0.0])[0].op  # not an identity: -0.0 + 0.0 is +0.0
        'add'
    """
    return apply_rules(roots, FOLD_RULES + DCE_RULES, ctx, "fold")
