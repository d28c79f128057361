"""LLVM IR for the op table, at any SIMD width: each op of firmc's table as llvmlite instructions on ``double``
(width 1) or ``<W x double>`` values, with the interpreter's (NumPy's) semantics -- NaN-propagating ``min`` and
``max``, NumPy's ``sign``, ``logaddexp`` and ties-to-even ``round``, ``!=`` true for NaN. No fast-math flags:
NaN and infinities behave as in the reference interpreter.

``exp``, ``log``, ``log1p`` and ``expm1`` are the branch-free polynomials of :mod:`.vmath` (vectorised); the
other elementary functions call the C library lane by lane, and the special functions of firmc's runtime
(digamma, the incomplete gamma functions, Landau) call the compiled runtime (:mod:`.runtime`).

Example:
    >>> from llvmlite import ir
    >>> from firmc.ir import apply, param
    >>> m = ir.Module(); f = ir.Function(m, ir.FunctionType(F64, [F64, F64]), "f")
    >>> b = ir.IRBuilder(f.append_basic_block())
    >>> v = Lowering(m, b, 1).apply(apply("min", param("a"), param("b")), list(f.args))
    >>> str(v.type)
    'double'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from llvmlite import ir

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from .vmath import VECTOR_MATH, math_function

F64 = ir.DoubleType()
I64 = ir.IntType(64)
I32 = ir.IntType(32)
I1 = ir.IntType(1)
PTR = ir.PointerType()

# LLVM intrinsics with the C library's semantics (vector forms are legal: LLVM scalarises what it must)
_INTRINSIC = {"sqrt": "llvm.sqrt", "abs": "llvm.fabs", "floor": "llvm.floor", "ceil": "llvm.ceil",
              "trunc": "llvm.trunc", "round": "llvm.roundeven"}
# C library functions, called lane by lane
LIBM = {"log10": "log10", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos",
        "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "asinh": "asinh", "acosh": "acosh",
        "atanh": "atanh", "erf": "erf", "erfc": "erfc", "lgamma": "lgamma", "tgamma": "tgamma", "atan2": "atan2",
        "pow": "pow", "exp": "exp", "log": "log", "log1p": "log1p", "expm1": "expm1"}
# firmc's runtime (src/firmc/runtime/*.hpp), compiled with its C wrappers
RUNTIME = {"digamma": ("firmc_rt_digamma", 1), "gammainc": ("firmc_rt_gammainc", 2),
           "gammaincc": ("firmc_rt_gammaincc", 2), "landau": ("firmc_rt_landau", 1),
           "landau_cdf": ("firmc_rt_landau_cdf", 1)}
LN2 = math.log(2.0)


def real_type(width: int) -> ir.Type:
    """``double`` or ``<width x double>``.

    Example:
        >>> str(real_type(1)), str(real_type(8))
        ('double', '<8 x double>')
    """
    return F64 if width == 1 else ir.VectorType(F64, width)


def bool_type(width: int) -> ir.Type:
    """``i1`` or ``<width x i1>``.

    Example:
        >>> str(bool_type(4))
        '<4 x i1>'
    """
    return I1 if width == 1 else ir.VectorType(I1, width)


def width_of(v: ir.Value) -> int:
    """The number of lanes of a value.

    Example:
        >>> width_of(ir.Constant(F64, 1.0))
        1
    """
    return int(v.type.count) if isinstance(v.type, ir.VectorType) else 1


class Lowering:
    """Emits ops with ``builder`` at ``width`` lanes into ``module`` (declaring what they call).

    Example:
        >>> Lowering.apply.__name__
        'apply'
    """

    def __init__(self, module: ir.Module, builder: ir.IRBuilder, width: int, libm: str = "") -> None:
        self.module, self.b, self.width = module, builder, width
        self.libm = libm  # the C library's names ("") or a prefix: "__nv_" for CUDA's libdevice (no firmc runtime)

    # -- constants and lanes ----------------------------------------------------------------------------
    def real(self, value: float) -> ir.Value:
        """A real constant at this width."""
        c = ir.Constant(F64, float(value))
        return c if self.width == 1 else ir.Constant(real_type(self.width), [c] * self.width)

    def splat(self, v: ir.Value) -> ir.Value:
        """A scalar broadcast to this width (vectors and width 1 unchanged)."""
        if self.width == 1 or isinstance(v.type, ir.VectorType):
            return v
        if isinstance(v, ir.Constant):
            return ir.Constant(ir.VectorType(v.type, self.width), [v] * self.width)
        vec = self.b.insert_element(ir.Constant(ir.VectorType(v.type, self.width), ir.Undefined), v,
                                    ir.Constant(I32, 0))
        return self.b.shuffle_vector(vec, ir.Constant(ir.VectorType(v.type, self.width), ir.Undefined),
                                     ir.Constant(ir.VectorType(I32, self.width), [0] * self.width))

    def _intrinsic(self, name: str, args: Sequence[ir.Value]) -> ir.Value:
        typ = args[0].type
        full = f"{name}.v{typ.count}f64" if isinstance(typ, ir.VectorType) else f"{name}.f64"
        fn = self.module.globals.get(full)
        if fn is None:  # llvmlite's declare_intrinsic does not name vector overloads
            fn = ir.Function(self.module, ir.FunctionType(typ, [typ] * len(args)), full)
        return self.b.call(fn, list(args))

    def scalar_call(self, name: str, args: Sequence[ir.Value]) -> ir.Value:
        """``name(double, ...) -> double`` applied lane by lane."""
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(F64, [F64] * len(args)), name)
            fn.attributes.add("nounwind")
        if self.width == 1:
            return self.b.call(fn, list(args))
        out: ir.Value = ir.Constant(real_type(self.width), ir.Undefined)
        for lane in range(self.width):
            i = ir.Constant(I32, lane)
            r = self.b.call(fn, [self.b.extract_element(a, i) for a in args])
            out = self.b.insert_element(out, r, i)
        return out

    def math(self, op: str, x: ir.Value) -> ir.Value:
        """An elementary function: the vectorised polynomials where there is one, else the C library."""
        if op in VECTOR_MATH:
            return self.b.call(math_function(self.module, op, self.width), [x])
        return self.call_libm(op, [x])

    def call_libm(self, op: str, args: Sequence[ir.Value]) -> ir.Value:
        """The C library's function for ``op``, lane by lane."""
        return self.scalar_call(self.libm + LIBM[op], args)

    # -- comparisons --------------------------------------------------------------------------------------
    def truth(self, node: Node, v: ir.Value) -> ir.Value:
        """A condition: booleans as they are, numbers true where non-zero (NaN is true, as in C)."""
        if node.type.dtype is DType.BOOL:
            return v
        return self.b.fcmp_unordered("!=", v, self.real(0.0))

    def isnan(self, v: ir.Value) -> ir.Value:
        """Lanes holding NaN."""
        return self.b.fcmp_unordered("uno", v, v)

    def min_max(self, a: ir.Value, b: ir.Value, less: bool) -> ir.Value:
        """NumPy's minimum/maximum: NaN if either is NaN, else the second argument on ties."""
        c = self.b.fcmp_ordered("<" if less else ">", a, b)
        return self.b.select(self.b.or_(c, self.isnan(a)), a, b)

    def logaddexp(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """NumPy's logaddexp, branch-free: max + log1p(exp(-|a - b|))."""
        d = self.b.fsub(a, b)
        top = self.b.select(self.b.fcmp_ordered(">", d, self.real(0.0)), a, b)
        ad = self._intrinsic("llvm.fabs", [d])
        t = self.math("log1p", self.math("exp", self.b.fneg(ad)))
        r = self.b.fadd(top, t)
        r = self.b.select(self.isnan(d), d, r)
        return self.b.select(self.b.fcmp_ordered("==", a, b), self.b.fadd(a, self.real(LN2)), r)

    def signbit(self, v: ir.Value) -> ir.Value:
        """Lanes whose sign bit is set."""
        it = I64 if self.width == 1 else ir.VectorType(I64, self.width)
        bits = self.b.bitcast(v, it)
        zero = ir.Constant(it, 0) if self.width == 1 else ir.Constant(it, [ir.Constant(I64, 0)] * self.width)
        return self.b.icmp_signed("<", bits, zero)

    def approx_eq(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """firmc's approx_eq: equal, or within 4 ulp of the larger magnitude."""
        fa, fb = self._intrinsic("llvm.fabs", [a]), self._intrinsic("llvm.fabs", [b])
        s = self.b.select(self.b.fcmp_ordered(">", fa, fb), fa, fb)
        it = I64 if self.width == 1 else ir.VectorType(I64, self.width)
        one = ir.Constant(it, 1) if self.width == 1 else ir.Constant(it, [ir.Constant(I64, 1)] * self.width)
        spacing = self.b.fsub(self.b.bitcast(self.b.add(self.b.bitcast(s, it), one), s.type), s)
        near = self.b.fcmp_ordered("<=", self._intrinsic("llvm.fabs", [self.b.fsub(a, b)]),
                                   self.b.fmul(self.real(4.0), spacing))
        return self.b.or_(self.b.fcmp_ordered("==", a, b), near)

    # -- choose ---------------------------------------------------------------------------------------------
    def position(self, k_node: Node, k: ir.Value, n: int) -> ir.Value:
        """``choose``'s position for ``k`` among ``n`` values, as a double: the floor of k clamped to 0 .. n-1, NaN
        giving 0 -- compares and selects before any conversion (``fptosi`` of NaN or inf is poison), so the result
        is always a finite integer.

        Example:
            >>> from firmc.ir import param
            >>> m = ir.Module(); f = ir.Function(m, ir.FunctionType(F64, [F64]), "f")
            >>> b = ir.IRBuilder(f.append_basic_block())
            >>> str(Lowering(m, b, 1).position(param("k"), f.args[0], 5).type)
            'double'
        """
        b = self.b
        if k_node.type.dtype is DType.BOOL:
            k = b.uitofp(k, real_type(width_of(k)))
        top = self.real(float(n - 1))
        f = self._intrinsic("llvm.floor", [k])
        inner = b.select(b.fcmp_ordered("<", f, top), f, top)
        return b.select(b.fcmp_ordered(">=", k, self.real(1.0)), inner, self.real(0.0))

    def gather(self, base: ir.Value, pos: ir.Value) -> ir.Value:
        """``base[pos]`` (doubles at a position computed by :meth:`position`): one load, or for a vector of positions
        one ``llvm.masked.gather`` (a gather instruction with AVX2/AVX-512, lane by lane elsewhere).

        Example:
            >>> m = ir.Module(); f = ir.Function(m, ir.FunctionType(F64, [PTR, real_type(4)]), "f")
            >>> b = ir.IRBuilder(f.append_basic_block())
            >>> str(Lowering(m, b, 4).gather(f.args[0], f.args[1]).type)
            '<4 x double>'
        """
        b = self.b
        if self.width == 1:
            return b.load(b.gep(base, [b.fptosi(pos, I64)], source_etype=F64), typ=F64)
        ptrs = b.gep(base, [b.fptosi(pos, ir.VectorType(I64, self.width))], source_etype=F64)
        ptrs.type = ir.VectorType(PTR, self.width)  # a GEP with a vector index is a vector of pointers (llvmlite
        vt = real_type(self.width)  # types it as one pointer; the text it prints has no result type)
        name = f"llvm.masked.gather.v{self.width}f64.v{self.width}p0"
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(vt, [ptrs.type, I32, bool_type(self.width), vt]), name)
        every = ir.Constant(bool_type(self.width), [ir.Constant(I1, 1)] * self.width)
        return b.call(fn, [ptrs, ir.Constant(I32, 8), every, ir.Constant(vt, ir.Undefined)])

    def select_chain(self, pos: ir.Value, values: Sequence[ir.Value]) -> ir.Value:
        """``values[pos]`` by a chain of selects (values that vary per event: computed anyway).

        Example:
            >>> m = ir.Module(); f = ir.Function(m, ir.FunctionType(F64, [F64, F64, F64]), "f")
            >>> b = ir.IRBuilder(f.append_basic_block())
            >>> Lowering(m, b, 1).select_chain(f.args[0], f.args[1:]).opname
            'select'
        """
        out = values[0]
        for j, v in enumerate(values[1:], start=1):
            out = self.b.select(self.b.fcmp_ordered("==", pos, self.real(float(j))), v, out)
        return out

    # -- the table ------------------------------------------------------------------------------------------
    def apply(self, n: Node, a: list[ir.Value]) -> ir.Value:
        """The value of ``n`` from its arguments' values (already at this width)."""
        op, b = n.op, self.b
        if op in _FOLD:
            return _FOLD[op](self, a)
        if op in _INTRINSIC:
            return self._intrinsic(_INTRINSIC[op], a)
        if op in ("exp", "log", "log1p", "expm1"):
            return self.math(op, a[0])
        if op in LIBM:
            return self.call_libm(op, a)
        if op in RUNTIME:
            name, arity = RUNTIME[op]
            if self.libm:
                raise UnsupportedFeature(f"op '{op}' needs firmc's compiled runtime, which PTX output lacks")
            return self.scalar_call(name, a[:arity])
        if op in _CMP:
            ordered, sym = _CMP[op]
            return (b.fcmp_ordered if ordered else b.fcmp_unordered)(sym, a[0], a[1])
        if op == "select":
            return b.select(self.truth(n.args[0], a[0]), a[1], a[2])
        if op == "choose":  # the emitters read tables where they can (tables.py); this is the general case
            vals = [b.uitofp(x, real_type(width_of(x))) if v.type.dtype is DType.BOOL and n.type.dtype is not
                    DType.BOOL else x for v, x in zip(n.args[1:], a[1:], strict=True)]
            return self.select_chain(self.position(n.args[0], a[0], len(vals)), vals)
        if op in ("and", "or"):
            x, y = self.truth(n.args[0], a[0]), self.truth(n.args[1], a[1])
            return b.and_(x, y) if op == "and" else b.or_(x, y)
        if op == "not":
            return b.not_(self.truth(n.args[0], a[0]))
        raise UnsupportedFeature(f"target 'llvm' has no lowering for op '{op}'")


def _nary(method: str) -> Callable[[Lowering, list[ir.Value]], ir.Value]:
    def emit(lo: Lowering, a: list[ir.Value]) -> ir.Value:
        acc = a[0]
        for x in a[1:]:
            acc = getattr(lo.b, method)(acc, x)
        return acc
    return emit


def _sign(lo: Lowering, a: list[ir.Value]) -> ir.Value:
    x, b = a[0], lo.b
    r = b.select(b.fcmp_ordered("==", x, lo.real(0.0)), lo.real(0.0), x)
    r = b.select(b.fcmp_ordered("<", x, lo.real(0.0)), lo.real(-1.0), r)
    return b.select(b.fcmp_ordered(">", x, lo.real(0.0)), lo.real(1.0), r)


def _arg(lo: Lowering, a: list[ir.Value]) -> ir.Value:
    x, b = a[0], lo.b
    r = b.select(lo.isnan(x), x, lo.real(0.0))
    return b.select(lo.signbit(x), lo.real(math.pi), r)


_FOLD: dict[str, Callable[[Lowering, list[ir.Value]], ir.Value]] = {
    "add": _nary("fadd"), "mul": _nary("fmul"),
    "sub": lambda lo, a: lo.b.fsub(a[0], a[1]), "neg": lambda lo, a: lo.b.fneg(a[0]),
    "div": lambda lo, a: lo.b.fdiv(a[0], a[1]), "idiv": lambda lo, a: lo.b.fdiv(a[0], a[1]),
    "mod": lambda lo, a: lo.b.frem(a[0], a[1]),
    "min": lambda lo, a: lo.min_max(a[0], a[1], True), "max": lambda lo, a: lo.min_max(a[0], a[1], False),
    "logaddexp": lambda lo, a: lo.logaddexp(a[0], a[1]), "approx_eq": lambda lo, a: lo.approx_eq(a[0], a[1]),
    "abs2": lambda lo, a: lo.b.fmul(a[0], a[0]), "real": lambda lo, a: a[0], "conj": lambda lo, a: a[0],
    "imag": lambda lo, a: lo.b.fmul(lo.real(0.0), a[0]), "sign": _sign, "arg": _arg,
}
_CMP = {"lt": (True, "<"), "le": (True, "<="), "gt": (True, ">"), "ge": (True, ">="), "eq": (True, "=="),
        "ne": (False, "!=")}
