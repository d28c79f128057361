"""Strength reduction: expensive ops replaced by cheaper equivalent ones, each rule saying how equivalent.

``exact`` rules give bit-identical interpreter values for every input (they run from ``optimize`` 1);
rounding-level rules change results by an ulp or a few (from ``optimize`` 2); ``log_exp`` changes values beyond
rounding (it is more accurate, and finite where the original overflowed) and runs only from ``optimize`` 3.

The interpreter's ``pow`` is NumPy's: from NumPy 2.3, ``np.power`` with a scalar exponent of 2, 0.5 or -1 *is*
``square``, ``sqrt`` and ``reciprocal`` (so ``pow(-inf, 0.5)`` is NaN and ``pow(-0.0, 0.5)`` is ``-0.0``,
unlike C's ``pow``), and with 0 or 1 it is exact as in C. Which of these rules are exact is therefore measured
once, on import, against the interpreter's own ``pow`` (:data:`POW_EXACT`); where NumPy lacks the fast path the
rule stays, as a rounding-level one with C's special values (``pow_half`` then follows LLVM:
``x == -inf ? inf : |sqrt(x)|``).

Not done (why): ``exp(log(x)) -> x`` (NaN for x < 0 becomes x); ``sqrt(x) * sqrt(x) -> x`` (NaN for x < 0,
rounding); ``sqrt(x * x) -> |x|`` (``x * x`` overflows and underflows); ``pow(x, n)`` for ``|n| > 16`` or
fractional ``n`` other than +-0.5; anything on complex values (NumPy's complex products use fused operations).

Example:
    >>> from firmc.ir import obs, apply, walk
    >>> x = obs("x")
    >>> out = strength_reduce([apply("pow", x, apply("abs2", x))])  # nothing to do: the exponent varies
    >>> out[0].op
    'pow'
    >>> sorted(n.op for n in walk(strength_reduce([x ** 8.0], Context(optimize=2))) if n.op != "obs")
    ['mul', 'mul', 'mul']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..ir import OPS, DType, Node, Var, const
from .context import Context
from .fold import literal
from .rules import Rule, Uses, apply_rules

_BOOL, _INT, _REAL = DType.BOOL, DType.INT, DType.REAL  # globals: faster than Enum attributes

_NUMERIC = (DType.INT, DType.REAL)
MAX_POWER = 16  # pow(x, n) with |n| up to this becomes at most 2 log2(16) = 8 multiplications


# ------------------------------------------------------------------------ what the interpreter's pow does
def _probe_values() -> np.ndarray:
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308]
    spread = rng.standard_normal(4096) * np.exp(rng.uniform(-300.0, 300.0, 4096))
    return np.concatenate([special, spread, -np.abs(spread)])


def _pow_is(exponent: float, reference: Callable[[np.ndarray], np.ndarray]) -> bool:
    """Whether the interpreter's ``pow(x, literal exponent)`` is bit-identical to ``reference(x)`` (NaN for NaN),
    for event arrays and single numbers, for the exponent written as a float and, when integral, as an int."""
    from .fold import same_bits

    fn = OPS["pow"].numpy
    assert fn is not None
    xs = _probe_values()
    exps = [np.asarray(exponent)] + ([np.asarray(int(exponent))] if float(exponent).is_integer() else [])
    with np.errstate(all="ignore"):
        want = np.asarray(reference(xs))
        for e in exps:
            if not same_bits(np.asarray(fn(xs, e)), want):
                return False
            if not all(same_bits(np.asarray(fn(np.asarray(x), e)), np.asarray(w)) for x, w in zip(xs[:64], want[:64],
                                                                                                   strict=True)):
                return False
    return True


#: For each special exponent, whether pow(x, exponent) is bit-identical to its cheap form in this NumPy.
POW_EXACT: dict[float, bool] = {
    0.0: _pow_is(0.0, np.ones_like),
    1.0: _pow_is(1.0, lambda x: x),
    2.0: _pow_is(2.0, lambda x: x * x),
    -1.0: _pow_is(-1.0, lambda x: 1.0 / x),
    0.5: _pow_is(0.5, np.sqrt),
}


def _level(exact: bool) -> int:
    return 1 if exact else 2


# ------------------------------------------------------------------------------------------------ rules
def _exponent(n: Node) -> float | None:
    """The literal real exponent of a ``pow`` with a real base, else None."""
    x, e = n.args
    if x.type.dtype is not _REAL or e.op != "const" or e.type.dtype not in (_INT, _REAL):
        return None
    return float(e.attr("value"))


def _when(value: float, build: Callable[[Node], Node]) -> Callable[[Node, Uses], Node | None]:
    def rule(n: Node, uses: Uses) -> Node | None:
        return build(n.args[0]) if _exponent(n) == value else None

    return rule


def power(x: Node, n: int) -> Node:
    """``x**n`` for ``n >= 1`` by binary exponentiation: squares are built once and shared (interning shares them
    with every other power of ``x`` too), then multiplied lowest first.

    Example:
        >>> from firmc.ir import param, walk
        >>> sum(1 for m in walk([power(param("a"), 13)]) if m.op == "mul")
        5
    """
    acc: Node | None = None
    square = x
    while True:
        if n & 1:
            acc = square if acc is None else Node.make("mul", (acc, square))
        n >>= 1
        if not n:
            assert acc is not None
            return acc
        square = Node.make("mul", (square, square))


def c_sqrt(x: Node) -> Node:
    """``pow(x, 0.5)`` with C's special values from ``sqrt``: ``x == -inf ? inf : |sqrt(x)|`` (LLVM's expansion;
    the ``abs`` makes ``-0.0`` give ``+0.0``).

    Example:
        >>> from firmc.interp import evaluate
        >>> from firmc.ir import obs
        >>> evaluate([c_sqrt(obs("x"))], {"x": np.array([-np.inf, -0.0, 4.0])})[0].tolist()
        [inf, 0.0, 2.0]
    """
    root = Node.make("abs", (Node.make("sqrt", (x,)),))
    return Node.make("select", (Node.make("eq", (x, const(-math.inf))), const(math.inf), root))


def _half(x: Node) -> Node:
    return Node.make("sqrt", (x,)) if POW_EXACT[0.5] else c_sqrt(x)


def _pow_int(n: Node, uses: Uses) -> Node | None:
    e = _exponent(n)
    if e is None or not e.is_integer() or not 1 <= abs(e) <= MAX_POWER:
        return None
    x = n.args[0]
    base = x if e > 0 else Node.make("div", (const(1.0), x))  # reciprocal first: (1/x)**k overflows only if x**-k does
    return power(base, int(abs(e)))


def _abs2_real(n: Node, uses: Uses) -> Node | None:
    x = n.args[0]
    return Node.make("mul", (x, x)) if x.type.dtype is _REAL else None


def _mul_abs_abs(n: Node, uses: Uses) -> Node | None:
    if len(n.args) != 2 or n.args[0] is not n.args[1] or n.args[0].op != "abs":
        return None
    x = n.args[0].args[0]
    return Node.make("mul", (x, x)) if x.type.dtype is _REAL else None


def _reciprocal(c: Node) -> Node | None:
    """The literal ``1 / c`` as the interpreter computes it, if it is a finite normal number."""
    with np.errstate(all="ignore"):
        r = np.asarray(np.true_divide(np.asarray(1.0), np.asarray(c.attr("value"))))
    ok = bool(np.isfinite(r)) and abs(float(r)) >= np.finfo(np.float64).tiny
    return literal(r) if ok else None


def _real_division(n: Node) -> bool:
    return all(a.type.dtype in _NUMERIC for a in n.args)


def _div_pow2(n: Node, uses: Uses) -> Node | None:
    x, c = n.args
    if c.op != "const" or c.type.dtype is _BOOL or not _real_division(n):
        return None
    v = float(c.attr("value"))
    if v == 0.0 or not math.isfinite(v) or abs(math.frexp(v)[0]) != 0.5:
        return None
    r = _reciprocal(c)  # 2**-k, exact: x * 2**-k and x / 2**k round the same exact quotient once
    return Node.make("mul", (x, r)) if r is not None and float(r.attr("value")) * v == 1.0 else None


def _div_reciprocal(n: Node, uses: Uses) -> Node | None:
    x, c = n.args
    if not _real_division(n) or x.type.var is not Var.EVENT or c.type.var is Var.EVENT:
        return None
    r = (_reciprocal(c) if c.type.dtype is not _BOOL else None) if c.op == "const" else \
        Node.make("div", (const(1.0), c))
    return Node.make("mul", (x, r)) if r is not None else None


def _log_exp(n: Node, uses: Uses) -> Node | None:
    inner = n.args[0]
    if inner.op == "exp" and inner.args[0].type.dtype is _REAL:
        return inner.args[0]
    return None


_POW = frozenset({"pow"})

STRENGTH_RULES: tuple[Rule, ...] = (
    Rule("pow_zero", _POW, _when(0.0, lambda x: const(1.0)), POW_EXACT[0.0],
         "pow(x, 0) -> 1.0 (real x; 1 for NaN and inf too, as C and NumPy define it)", _level(POW_EXACT[0.0])),
    Rule("pow_one", _POW, _when(1.0, lambda x: x), POW_EXACT[1.0], "pow(x, 1) -> x (real x)",
         _level(POW_EXACT[1.0])),
    Rule("pow_two", _POW, _when(2.0, lambda x: Node.make("mul", (x, x))), POW_EXACT[2.0],
         "pow(x, 2) -> x * x (exact where NumPy's power squares, as from 2.3)", _level(POW_EXACT[2.0])),
    Rule("pow_minus_one", _POW, _when(-1.0, lambda x: Node.make("div", (const(1.0), x))), POW_EXACT[-1.0],
         "pow(x, -1) -> 1 / x (exact where NumPy's power takes the reciprocal)", _level(POW_EXACT[-1.0])),
    Rule("pow_half", _POW, _when(0.5, _half), POW_EXACT[0.5],
         "pow(x, 0.5) -> sqrt(x) where NumPy's power takes the square root (NaN at -inf, -0.0 at -0.0), else "
         "x == -inf ? inf : |sqrt(x)| (C's pow; rounding-level)", _level(POW_EXACT[0.5])),
    Rule("pow_minus_half", _POW, _when(-0.5, lambda x: Node.make("div", (const(1.0), c_sqrt(x)))), False,
         "pow(x, -0.5) -> 1 / (x == -inf ? inf : |sqrt(x)|): two roundings; C's special values kept", 2),
    Rule("pow_int", _POW, _pow_int, False,
         f"pow(x, n) -> products of shared squares for integral 2 <= |n| <= {MAX_POWER} (negative n: of 1/x); up to "
         "about |n| roundings where pow rounds once; overflow and underflow where x**n does, up to rounding", 2),
    Rule("abs2_real", frozenset({"abs2"}), _abs2_real, True, "abs2(x) -> x * x (real x)"),
    Rule("mul_abs_abs", frozenset({"mul"}), _mul_abs_abs, True, "|x| * |x| -> x * x (real x)"),
    Rule("div_pow2", frozenset({"div"}), _div_pow2, True,
         "x / 2**k -> x * 2**-k for literal powers of two whose reciprocal is a normal number"),
    Rule("div_reciprocal", frozenset({"div"}), _div_reciprocal, False,
         "x / c -> x * (1 / c) for per-event x and constant or per-evaluation c: the reciprocal is computed once "
         "per evaluation, the product per event; within 1.5 ulp of the quotient for normal 1/c (a literal c with "
         "a subnormal or infinite reciprocal is left alone; a parameter c there loses precision)", 2),
    Rule("log_exp", frozenset({"log"}), _log_exp, False,
         "log(exp(x)) -> x (real x): exact in mathematics and more accurate, but the interpreter gave inf for "
         "x > 709.78, -inf for x < -745 and 0 for |x| < 1.1e-16: a value change, not rounding", 3),
)


def strength_reduce(roots: Sequence[Node], ctx: Context | None = None) -> list[Node]:
    """Apply the :data:`STRENGTH_RULES` enabled at ``ctx.optimize``.

    Example:
        >>> from firmc.ir import obs, param, walk
        >>> x, s = obs("x"), param("s")
        >>> [n.op for n in walk(strength_reduce([(x / s) ** 2.0], Context(optimize=2)))]
        ['obs', 'const', 'param', 'div', 'mul', 'mul']
    """
    return apply_rules(roots, STRENGTH_RULES, ctx, "strength")
