"""Elementary functions as branch-free LLVM IR, lane-wise at any SIMD width.

The llvm back-end's event loops call :func:`math_function` for ``exp``, ``log``, ``log1p`` and ``expm1``
instead of libm, so that the loops vectorise and the same IR compiles for NVPTX. Every function is one
basic block of arithmetic, integer bit manipulation (through ``<W x i64>``) and ``select``; the only calls
are to the intrinsics ``llvm.fmuladd`` and ``llvm.copysign``.

Reference: NumPy's float64 ufuncs, special values included; tests/test_llvm_vmath.py sweeps millions of
arguments against them (at most 1 ulp apart; against mpmath about 0.8 ulp for ``exp``, ``log`` and ``log1p``,
0.75 for ``expm1``). Methods, written for this module from the textbook descriptions:

- ``exp`` and ``expm1``: Cody–Waite reduction ``x = n ln2 + r``, ``|r| <= ln2/2`` (``ln2`` split into a
  32-bit head and a tail, so that ``x - n head`` is exact); ``expm1(r) = r + r^2/2 + r^3 Q(r)`` with a
  degree-9 near-minimax ``Q`` (Chebyshev fit, error below 2^-55). ``exp`` scales ``1 + expm1(r)`` by ``2^n``
  in two steps, so that subnormal results round once; ``expm1`` keeps ``expm1(r)`` as a head and a tail and
  adds ``2^n expm1(r)`` and ``2^n - 1`` exactly (a two-term sum) before the last rounding.
- ``log`` and ``log1p``: ``u = 2^k (1 + f)`` with ``1 + f`` in ``[sqrt(2)/2, sqrt(2))``, ``s = f/(2+f)``,
  ``log(1+f) = f - (f^2/2 - s (f^2/2 + R(s^2)))`` with a degree-7 near-minimax ``R`` (the fdlibm scheme);
  ``log1p`` takes ``u = 1 + x`` and adds its rounding error ``c`` as ``c/u``.
- Special values by ``select`` on ordered comparisons (NaN propagates through the arithmetic); ``expm1`` and
  ``log1p`` copy the sign of ``x`` onto the result, which keeps ``-0.0``.

Example:

>>> from llvmlite import ir
>>> m = ir.Module()
>>> math_function(m, "exp", 4).name
'firmc.exp.v4'
>>> math_function(m, "exp", 4) is math_function(m, "exp", 4)
True
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from llvmlite import ir

VECTOR_MATH: frozenset[str] = frozenset({"exp", "log", "log1p", "expm1"})

_F64 = ir.DoubleType()
_I64 = ir.IntType(64)

_SHIFTER = 6755399441055744.0  # 1.5 * 2^52: adding it rounds a double below 2^51 to an integer
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # 0x3fe62e42fee00000: 32 significant bits, n * _LN2_HI is exact for |n| < 2^21
_LN2_LO = 1.9082149292705877e-10  # ln2 - _LN2_HI
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # bits of sqrt(2)/2: log reduces u to 2^k (1 + f), 1 + f >= sqrt(2)/2
_MIN_NORMAL = 2.2250738585072014e-308

# expm1(r) = r + r^2/2 + r^3 Q(r) on |r| <= 1.01 ln2/2; ascending coefficients (Chebyshev fit, mpmath)
_EXPM1_Q = (
    0.16666666666666669,
    0.041666666666666664,
    0.008333333333329793,
    0.001388888888888636,
    0.00019841269864380513,
    2.4801587318092064e-05,
    2.75572664186123e-06,
    2.755728151175639e-07,
    2.510134692835034e-08,
    2.091192320685759e-09,
)
# log((1+s)/(1-s)) = 2s + s z H(z), z = s^2 <= 0.02945; ascending coefficients (Chebyshev fit, mpmath)
_LOG_H = (
    0.666666666666667,
    0.3999999999989827,
    0.28571428626533696,
    0.2222221104376367,
    0.18182895751078162,
    0.15331501579332962,
    0.14619166527318012,
)


class _Lanes:
    """An IR builder for one element type: ``double`` (width 1) or ``<width x double>``."""

    def __init__(self, module: ir.Module, builder: ir.IRBuilder, width: int) -> None:
        self.module = module
        self.b = builder
        self.width = width
        self.f64 = _F64 if width == 1 else ir.VectorType(_F64, width)
        self.i64 = _I64 if width == 1 else ir.VectorType(_I64, width)

    def f(self, value: float) -> ir.Constant:
        return ir.Constant(self.f64, value)

    def i(self, value: int) -> ir.Constant:
        return ir.Constant(self.i64, value)

    def intrinsic(self, name: str, arity: int) -> ir.Function:
        suffix = "f64" if self.width == 1 else f"v{self.width}f64"
        full = f"llvm.{name}.{suffix}"
        existing = self.module.globals.get(full)
        if existing is not None:
            return existing
        return ir.Function(self.module, ir.FunctionType(self.f64, [self.f64] * arity), name=full)

    def fma(self, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
        """``a * b + c``, fused where the target has FMA (``llvm.fmuladd``)."""
        return self.b.call(self.intrinsic("fmuladd", 3), [a, b, c])

    def copysign(self, magnitude: ir.Value, sign: ir.Value) -> ir.Value:
        return self.b.call(self.intrinsic("copysign", 2), [magnitude, sign])

    def horner(self, x: ir.Value, coefficients: Sequence[float]) -> ir.Value:
        """``sum(c[i] x^i)`` by Horner's scheme; ``coefficients`` ascending."""
        acc: ir.Value = self.f(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            acc = self.fma(acc, x, self.f(c))
        return acc

    def poly(self, x: ir.Value, x2: ir.Value, coefficients: Sequence[float]) -> ir.Value:
        """``sum(c[i] x^i)`` as ``even(x^2) + x odd(x^2)``: as many operations as Horner's scheme, half its
        latency. ``x2`` is ``x * x``; ``coefficients`` ascending."""
        return self.fma(x, self.horner(x2, coefficients[1::2]), self.horner(x2, coefficients[0::2]))

    def where(self, op: str, x: ir.Value, bound: float, then: ir.Value | float, other: ir.Value) -> ir.Value:
        """``then`` where ``x op bound`` holds (an ordered comparison: false for NaN), else ``other``."""
        value = self.f(then) if isinstance(then, float) else then
        return self.b.select(self.b.fcmp_ordered(op, x, self.f(bound)), value, other)

    def clamp(self, x: ir.Value, lo: float, hi: float) -> ir.Value:
        """``x`` limited to ``[lo, hi]``; NaN stays NaN."""
        below_hi = self.where(">", x, hi, hi, x)
        return self.where("<", below_hi, lo, lo, below_hi)

    def pow2(self, n: ir.Value) -> ir.Value:
        """``2^n`` for integer lanes ``n`` in the normal exponent range."""
        return self.b.bitcast(self.b.shl(self.b.add(n, self.i(1023)), self.i(52)), self.f64)

    def to_double(self, n: ir.Value) -> ir.Value:
        """Integer lanes below 2^51 in magnitude as doubles, without ``sitofp`` (vector i64 -> f64 is slow
        before AVX-512)."""
        shifted = self.b.bitcast(self.b.add(n, self.i(_bits(_SHIFTER))), self.f64)
        return self.b.fsub(shifted, self.f(_SHIFTER))


def _bits(value: float) -> int:
    return int.from_bytes(struct.pack("<d", value), "little")


def _reduce(v: _Lanes, x: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value, ir.Value]:
    """``x = n ln2 + head - tail`` exactly: ``(head, tail, r, n)`` with ``r = head - tail`` rounded, ``|r| <~
    ln2/2`` and ``n`` integer lanes. ``x`` must be clamped to a few thousand; NaN gives NaN ``r`` (``n`` is
    then garbage, never poison: no ``fptosi``)."""
    b = v.b
    k = v.fma(x, v.f(_LOG2E), v.f(_SHIFTER))
    nf = b.fsub(k, v.f(_SHIFTER))
    n = b.sub(b.bitcast(k, v.i64), v.i(_bits(_SHIFTER)))
    head = b.fsub(x, b.fmul(nf, v.f(_LN2_HI)))  # exact: the product is, and the difference cancels
    tail = b.fmul(nf, v.f(_LN2_LO))
    return head, tail, b.fsub(head, tail), n


def _expm1_minus_r(v: _Lanes, r: ir.Value) -> ir.Value:
    """``expm1(r) - r = r^2/2 + r^3 Q(r)``."""
    b = v.b
    r2 = b.fmul(r, r)
    return v.fma(b.fmul(r2, r), v.poly(r, r2, _EXPM1_Q), b.fmul(r2, v.f(0.5)))


def _exp(v: _Lanes, x: ir.Value) -> ir.Value:
    b = v.b
    head, tail, r, n = _reduce(v, v.clamp(x, -746.0, 710.0))
    p = b.fadd(v.f(1.0), b.fadd(head, b.fsub(_expm1_minus_r(v, r), tail)))
    n1 = b.ashr(n, v.i(1))  # 2^n in two normal steps (n is -1076 to 1024): a subnormal result rounds at the last
    return b.fmul(b.fmul(p, v.pow2(n1)), v.pow2(b.sub(n, n1)))


def _expm1(v: _Lanes, x: ir.Value) -> ir.Value:
    b = v.b
    head, tail, r, n = _reduce(v, v.clamp(x, -40.0, 710.0))
    t = _expm1_minus_r(v, r)
    r_err = b.fsub(b.fsub(head, r), tail)  # r + r_err = head - tail
    hi = b.fadd(r, t)  # expm1(r + r_err) = hi + lo
    lo = b.fadd(b.fadd(b.fsub(r, hi), t), v.fma(r, r_err, r_err))
    big = b.icmp_signed(">", n, v.i(1023))  # 2^1024 overflows: scale by 2^1023, then by 2
    scale = v.pow2(b.select(big, v.i(1023), n))
    t1 = b.fsub(scale, v.f(1.0))  # 2^n - 1, exact for -53 <= n <= 53 (beyond, the 1 does not matter)
    sh = b.fmul(scale, hi)
    s = b.fadd(t1, sh)  # t1 + sh = s + (sh - (s - t1)) exactly, as |t1| >= |sh|
    y = b.fadd(s, v.fma(scale, lo, b.fsub(sh, b.fsub(s, t1))))
    y = b.fmul(y, b.select(big, v.f(2.0), v.f(1.0)))
    return v.copysign(y, x)  # expm1 keeps the sign of x: -0.0 stays -0.0


def _log_reduced(v: _Lanes, u: ir.Value, k_extra: ir.Value, err: ir.Value | None) -> ir.Value:
    """``log(2^k_extra (u + err))`` for positive normal ``u``; ``err`` (or 0 for None) tiny next to ``u``."""
    b = v.b
    bits = b.bitcast(u, v.i64)
    k = b.ashr(b.sub(bits, v.i(_SQRT_HALF_BITS)), v.i(52))
    f = b.fsub(b.bitcast(b.sub(bits, b.shl(k, v.i(52))), v.f64), v.f(1.0))
    hf = b.fmul(b.fmul(f, v.f(0.5)), f)
    kd = v.to_double(b.add(k, k_extra))
    s = b.fdiv(f, b.fadd(v.f(2.0), f))
    small = b.fmul(kd, v.f(_LN2_LO)) if err is None else v.fma(kd, v.f(_LN2_LO), b.fdiv(err, u))
    z = b.fmul(s, s)
    inner = v.fma(s, b.fadd(hf, b.fmul(z, v.poly(z, b.fmul(z, z), _LOG_H))), small)
    return v.fma(kd, v.f(_LN2_HI), b.fsub(f, b.fsub(hf, inner)))


def _specials(v: _Lanes, x: ir.Value, pole: float, y: ir.Value) -> ir.Value:
    """``-inf`` at ``x == pole``, NaN below it and for NaN, ``+inf`` at ``+inf``, else ``y``."""
    y = v.where("==", x, pole, float("-inf"), y)
    y = v.b.select(v.b.fcmp_unordered("<", x, v.f(pole)), v.f(float("nan")), y)
    return v.where("==", x, float("inf"), float("inf"), y)


def _log(v: _Lanes, x: ir.Value) -> ir.Value:
    b = v.b
    tiny = b.fcmp_ordered("<", x, v.f(_MIN_NORMAL))
    u = b.select(tiny, b.fmul(x, v.f(2.0**54)), x)
    y = _log_reduced(v, u, b.select(tiny, v.i(-54), v.i(0)), None)
    return _specials(v, x, 0.0, y)


def _log1p(v: _Lanes, x: ir.Value) -> ir.Value:
    b = v.b
    one = v.f(1.0)
    u = b.fadd(one, x)
    err = v.where("<", x, 1.0, b.fsub(x, b.fsub(u, one)), b.fsub(one, b.fsub(u, x)))
    y = _log_reduced(v, u, v.i(0), err)
    return _specials(v, x, -1.0, v.copysign(y, x))


_BODIES: dict[str, Callable[[_Lanes, ir.Value], ir.Value]] = {
    "exp": _exp,
    "expm1": _expm1,
    "log": _log,
    "log1p": _log1p,
}


def math_function(module: ir.Module, op: str, width: int) -> ir.Function:
    """The function computing ``op`` lane-wise: double -> double for width 1, <width x double> -> same otherwise.

    Defined once per module (internal, ``alwaysinline``, ``nounwind``) as ``firmc.<op>.s`` or
    ``firmc.<op>.v<width>``; later calls return the existing definition.

    >>> from llvmlite import ir
    >>> m = ir.Module()
    >>> f = math_function(m, "log1p", 1)
    >>> f.name, str(f.function_type)
    ('firmc.log1p.s', 'double (double)')
    >>> str(math_function(m, "expm1", 8).function_type)
    '<8 x double> (<8 x double>)'
    """
    if op not in VECTOR_MATH:
        raise ValueError(f"no vector math function {op!r}; have {sorted(VECTOR_MATH)}")
    if width < 1:
        raise ValueError(f"SIMD width must be positive, got {width}")
    name = f"firmc.{op}.s" if width == 1 else f"firmc.{op}.v{width}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    lanes_type = _F64 if width == 1 else ir.VectorType(_F64, width)
    fn = ir.Function(module, ir.FunctionType(lanes_type, [lanes_type]), name=name)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    builder.ret(_BODIES[op](_Lanes(module, builder, width), fn.args[0]))
    return fn
