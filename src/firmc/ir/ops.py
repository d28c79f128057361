"""The op table: the one place that says, per op, its arity, type rule, NumPy reference, SymPy counterpart
and derivative.

Adding an op is one :class:`OpDef` entry here (plus an emitter method in a back-end where its table cannot
express it). The interpreter executes ``numpy``; the SymPy bridge uses ``sympy``; the gradient pass uses
``deriv``, which returns d(node)/d(argument i) as IR.

Structural ops (``const``, ``param``, ``obs``, ``integral``, ``normalize``, ``datasum``) have no elementwise
NumPy implementation: the interpreter gives them their meaning (see :mod:`firmc.interp`).

Example:
    >>> OPS["exp"].arity, OPS["add"].arity
    ((1, 1), (1, None))
    >>> float(OPS["atan2"].numpy(1.0, 1.0))  # doctest: +ELLIPSIS
    0.785398...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special as sps

from ..errors import IRError
from .node import Node, apply, const
from .tangents import JVP, VJP, Jvp, Vjp, choice_index
from .types import DType, Var, promote

DTypeRule = Callable[[Sequence[DType], Node], DType]
Deriv = Callable[[Node, int], Node]
SympyRule = Callable[..., Any]


@dataclass(frozen=True)
class OpDef:
    """One row of the op table.

    Example:
        >>> OPS["select"].doc
        'select(c, a, b): a where c is true, else b'
    """

    name: str
    arity: tuple[int, int | None]
    dtype_rule: DTypeRule
    numpy: Callable[..., Any] | None
    sympy: SympyRule | None
    deriv: Deriv | None
    doc: str
    leaf_var: Var | None = None
    free_rule: Callable[[Node], frozenset[str]] = lambda n: _union_free(n.args)
    tolerance: float = 1e-12  # relative agreement expected of back-ends in float64
    # ops that are not complex-differentiable (real, abs2, conj, select ...) give their tangent (jvp: from the
    # arguments' tangents, None meaning zero) and cotangent (vjp: one per argument) rules directly; the others
    # are derived from ``deriv``. Cotangents of complex values follow dL/dRe + i dL/dIm.
    jvp: Jvp | None = None
    vjp: Vjp | None = None
    # the attributes the op reads, each with the Python types its value may have: all required
    attrs: tuple[tuple[str, type | tuple[type, ...]], ...] = ()

    def check_attrs(self, given: Mapping[str, Any]) -> None:
        """Raise IRError unless ``given`` holds every attribute of this op, each of its type (nodes read from IR
        text are made by name; nothing else checks them).

        Example:
            >>> OPS["obs"].check_attrs({"name": "x", "lo": 0.0})
            Traceback (most recent call last):
            firmc.errors.IRError: obs needs the attribute 'hi'
        """
        for key, kind in self.attrs:
            if key not in given:
                raise IRError(f"{self.name} needs the attribute '{key}'")
            value = given[key]
            if not isinstance(value, kind) or (isinstance(value, tuple) and not all(isinstance(v, str)
                                                                                  for v in value)):
                raise IRError(f"{self.name}: the attribute '{key}' cannot be {value!r}")

    def check_arity(self, n: int) -> None:
        """Raise IRError unless ``n`` arguments fit this op.

        Example:
            >>> OPS["exp"].check_arity(1)
        """
        lo, hi = self.arity
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"{lo}..{hi if hi is not None else ''}"
            raise IRError(f"op '{self.name}' takes {want} arguments, got {n}")


def _union_free(args: Sequence[Node]) -> frozenset[str]:
    """The free variables of ``args`` together: the first argument's set itself when every non-empty set equals it
    (the usual case: no new set per node), else a new union.

    Example:
        >>> from firmc.ir import obs, param
        >>> x = obs("x")
        >>> _union_free([param("a"), x, x]) is x.free, sorted(_union_free([x, obs("y")]))
        (True, ['x', 'y'])
    """
    first: frozenset[str] | None = None
    for a in args:
        s = a.free
        if s and s is not first:
            if first is None:
                first = s
            elif s != first:
                return frozenset().union(*[a.free for a in args if a.free])
    return first if first is not None else frozenset()


# ----------------------------------------------------------------------------------------------- type rules
def _no_complex(name: str, dtypes: Sequence[DType]) -> None:
    if DType.COMPLEX in dtypes:
        raise IRError(f"op '{name}' is defined for real arguments only, got complex")


def _no_bool(name: str, dtypes: Sequence[DType]) -> None:
    if DType.BOOL in dtypes:  # targets disagree (numpy's True + True is True, C++'s 2; torch refuses -True)
        raise IRError(f"op '{name}' takes numbers, got a truth value (convert it: select(c, 1, 0))")


def arith(dtypes: Sequence[DType], node: Node) -> DType:
    """Arithmetic promotion (truth values are refused: convert them with ``select(c, 1, 0)``).

    Example:
        >>> arith([DType.INT, DType.REAL], apply("add", const(1), const(2.0)))
        <DType.REAL: 'real'>
    """
    _no_bool(node.op, dtypes)
    return promote(DType.INT, *dtypes)


def floating(dtypes: Sequence[DType], node: Node) -> DType:
    """At least real; complex stays complex (truth values are refused, as by :func:`arith`).

    Example:
        >>> floating([DType.INT], apply("exp", const(1)))
        <DType.REAL: 'real'>
    """
    _no_bool(node.op, dtypes)
    return promote(DType.REAL, *dtypes)


def _real_only(result: DType) -> DTypeRule:
    def rule(dtypes: Sequence[DType], node: Node) -> DType:
        _no_complex(node.op, dtypes)
        return result

    return rule


def _integral_div(dtypes: Sequence[DType], node: Node) -> DType:
    _no_complex(node.op, dtypes)
    _no_bool(node.op, dtypes)
    return DType.INT if all(d.rank <= DType.INT.rank for d in dtypes) else DType.REAL


def _select(dtypes: Sequence[DType], node: Node) -> DType:
    _no_complex("select (condition)", dtypes[:1])
    return promote(*dtypes[1:])


def _leaf(dtype: DType) -> DTypeRule:
    return lambda dtypes, node: dtype


def _const_dtype(dtypes: Sequence[DType], node: Node) -> DType:
    return DType(node.attr("dtype"))


def _integral_free(node: Node) -> frozenset[str]:
    return node.args[0].free - frozenset(node.attr("vars")) | _union_free(node.args[1:])


def _datasum_free(node: Node) -> frozenset[str]:
    return node.args[0].free - frozenset(node.attr("binds"))


# ------------------------------------------------------------------------------------------- derivatives
def _d_add(n: Node, i: int) -> Node:
    return const(1.0)


def _d_mul(n: Node, i: int) -> Node:
    others = [a for j, a in enumerate(n.args) if j != i]
    return apply("mul", *others) if others else const(1.0)


def _d_pow(n: Node, i: int) -> Node:
    a, b = n.args
    if i == 0:
        return b * apply("pow", a, b - 1.0)
    return n * apply("log", a)


def _d_select(n: Node, i: int) -> Node:
    c = n.args[0]
    if i == 0:
        return const(0.0)
    return apply("select", c, const(1.0), const(0.0)) if i == 1 else apply("select", c, const(0.0), const(1.0))


def _choose_dtype(dtypes: Sequence[DType], node: Node) -> DType:
    _no_complex("choose (index)", dtypes[:1])
    return promote(*dtypes[1:])


def _d_choose(n: Node, i: int) -> Node:
    if i == 0:
        return const(0.0)
    return apply("select", apply("eq", choice_index(n), const(float(i - 1))), const(1.0), const(0.0))


def _zero(n: Node, i: int) -> Node:
    return const(0.0)


def _d_idiv(n: Node, i: int) -> Node:
    if n.type.dtype is DType.INT:
        return const(0.0)
    return 1.0 / n.args[1] if i == 0 else -n / n.args[1]


_SQRT_PI = float(np.sqrt(np.pi))


def _d_unary(f: Callable[[Node, Node], Node]) -> Deriv:
    """Derivative rule from f(node, arg) for one-argument ops."""
    return lambda n, i: f(n, n.args[0])


def _d_logaddexp(n: Node, i: int) -> Node:
    """d/da log(e^a + e^b) = e^a / (e^a + e^b), written with t = exp(-|a - b|) <= 1 (no overflow): 1/(1 + t) for
    the larger argument, t/(1 + t) for the other. ``t`` is the node a native lowering of the value itself uses
    (max(a, b) + log1p(t)), so a value and its gradient share one exp and one division."""
    a, b = n.args
    t = logaddexp_t(a, b)
    r = 1.0 / (1.0 + t)
    larger = apply("ge", a, b) if i == 0 else apply("lt", a, b)
    return apply("select", larger, r, t * r)


def logaddexp_t(a: Node, b: Node) -> Node:
    """exp(-|a - b|): the one exponential of logaddexp(a, b) and of its derivatives.

    Example:
        >>> from firmc.ir import param
        >>> logaddexp_t(param("a"), param("b")).op
        'exp'
    """
    return apply("exp", apply("neg", apply("abs", apply("sub", a, b))))


def _d_minmax(pick_first_when: str) -> Deriv:
    """At a tie max(a, b) takes a (ge) and min(a, b) takes b (lt): exactly one of the pair passes the derivative
    to each argument, so smooth functions written with both (log-sum-exp: max + log1p(exp(min - max))) get
    their true derivative at the tie too."""
    def rule(n: Node, i: int) -> Node:
        a, b = n.args
        c = apply(pick_first_when, a, b)
        return apply("select", c, const(1.0), const(0.0)) if i == 0 else \
            apply("select", c, const(0.0), const(1.0))

    return rule


# ------------------------------------------------------------------------------------------ numpy helpers
def _sum(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _prod(*xs: Any) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _idiv(a: Any, b: Any) -> Any:
    """C++ division: integers truncate toward zero (x/0 gives 0; C leaves it undefined), floats divide."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind not in "biu" or b.dtype.kind not in "biu":
        return np.true_divide(a, b)
    safe = np.where(b == 0, 1, b)
    q = np.abs(a) // np.abs(safe) * np.sign(a) * np.sign(safe)
    return np.where(b == 0, 0, q)


def _approx_eq(a: Any, b: Any) -> Any:
    """Equal to within 4 units in the last place of the larger magnitude (HS3 ``==``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b))
    return (a == b) | (np.abs(a - b) <= 4.0 * np.spacing(scale))


def _pow(a: Any, b: Any) -> Any:
    """C99 pow. NumPy >= 2.3 computes x**0.5 as sqrt(x), which differs from pow at -inf (NaN, not +inf) and
    -0.0 (-0.0, not +0.0): those two cases are put back."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biu":
        a = a.astype(float)
    out = np.power(a, b)
    if a.dtype.kind == "f" and b.dtype.kind != "c" and np.any(b == 0.5):
        fix = (b == 0.5) & ((a == 0.0) | (a == -np.inf))
        out = np.where(fix, np.abs(a), out)
    return out


def _choose(k: Any, *values: Any) -> Any:
    """values[i] with i the floor of k clamped to 0 .. n-1 (NaN picks values[0])."""
    k = np.asarray(k, dtype=float)
    with np.errstate(invalid="ignore"):
        i = np.where(k >= 1.0, np.minimum(np.floor(np.where(k >= 1.0, k, 1.0)), len(values) - 1), 0.0)
    i = i.astype(np.intp)
    if all(np.ndim(v) == 0 for v in values):
        return np.asarray(values)[i]
    arrays = np.broadcast_arrays(i, *[np.asarray(v) for v in values])
    table = np.stack(arrays[1:], axis=0)
    return np.take_along_axis(table, arrays[0][None, ...], axis=0)[0]


def _complex(a: Any, b: Any) -> Any:
    """re + i im without arithmetic (a + 1j*b turns complex(0, inf) into nan+infj and loses -0.0)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.empty(a.shape, dtype=complex)
    out.real, out.imag = a, b
    return out


def _landau(x: Any) -> Any:
    from ..numerics.special import landau_pdf

    return landau_pdf(np.asarray(x, dtype=float))


def _landau_cdf(x: Any) -> Any:
    from ..numerics.special import landau_cdf

    return landau_cdf(np.asarray(x, dtype=float))


def _sympy_fn(name: str) -> SympyRule:
    return lambda sp, *a: getattr(sp, name)(*a)


# ---------------------------------------------------------------------------------------------- the table
OPS: dict[str, OpDef] = {}


def _op(name: str, arity: tuple[int, int | None], dtype_rule: DTypeRule, numpy: Callable[..., Any] | None,
        sympy: SympyRule | None, deriv: Deriv | None, doc: str, **kw: Any) -> None:
    OPS[name] = OpDef(name, arity, dtype_rule, numpy, sympy, deriv, doc, **kw)


ONE, TWO, N = (1, 1), (2, 2), (1, None)

# leaves
_op("const", (0, 0), _const_dtype, None, None, None, "const[value, dtype]: a literal",
    leaf_var=Var.CONST, attrs=(("value", (bool, int, float, complex)), ("dtype", str)))
_op("param", (0, 0), _leaf(DType.REAL), None, None, None, "param[name]: one real value per evaluation",
    leaf_var=Var.PARAM, attrs=(("name", str),))
_op("obs", (0, 0), _leaf(DType.REAL), None, None, None,
    "obs[name, lo, hi]: an observable, one real value per event, with its domain",
    leaf_var=Var.EVENT, free_rule=lambda n: frozenset((n.attr("name"),)),
    attrs=(("name", str), ("lo", (int, float)), ("hi", (int, float))))

# arithmetic
_op("add", N, arith, _sum, lambda sp, *a: sp.Add(*a), _d_add, "add(a, b, ...): sum")
_op("mul", N, arith, _prod, lambda sp, *a: sp.Mul(*a), _d_mul, "mul(a, b, ...): product")
_op("sub", TWO, arith, np.subtract, lambda sp, a, b: a - b,
    lambda n, i: const(1.0) if i == 0 else const(-1.0), "sub(a, b): a - b")
_op("neg", ONE, arith, np.negative, lambda sp, a: -a, lambda n, i: const(-1.0), "neg(a): -a")
_op("div", TWO, floating, np.true_divide, lambda sp, a, b: a / b,
    lambda n, i: 1.0 / n.args[1] if i == 0 else -n / n.args[1], "div(a, b): a / b (float division)")
_op("idiv", TWO, _integral_div, _idiv, None, _d_idiv,
    "idiv(a, b): C++ division: truncating for integers (ROOT's 2/3 == 0), float division otherwise")
_op("mod", TWO, _integral_div, np.fmod, lambda sp, a, b: sp.Mod(a, b),
    lambda n, i: const(1.0) if i == 0 else -apply("trunc", n.args[0] / n.args[1]),
    "mod(a, b): remainder with the sign of a (C fmod, Julia %)")
_op("pow", TWO, floating, _pow, lambda sp, a, b: a**b, _d_pow, "pow(a, b): a to the power b")

# elementary functions (complex allowed)
_op("exp", ONE, floating, np.exp, _sympy_fn("exp"), lambda n, i: n, "exp(a)")
_op("log", ONE, floating, np.log, _sympy_fn("log"), _d_unary(lambda n, a: 1.0 / a), "log(a): natural log")
_op("log10", ONE, floating, np.log10, lambda sp, a: sp.log(a, 10),
    _d_unary(lambda n, a: 1.0 / (a * float(np.log(10.0)))), "log10(a)")
_op("sqrt", ONE, floating, np.sqrt, _sympy_fn("sqrt"), lambda n, i: 0.5 / n, "sqrt(a)")
_op("sin", ONE, floating, np.sin, _sympy_fn("sin"), _d_unary(lambda n, a: apply("cos", a)), "sin(a)")
_op("cos", ONE, floating, np.cos, _sympy_fn("cos"), _d_unary(lambda n, a: -apply("sin", a)), "cos(a)")
_op("tan", ONE, floating, np.tan, _sympy_fn("tan"), lambda n, i: 1.0 + n * n, "tan(a)")
_op("asin", ONE, floating, np.arcsin, _sympy_fn("asin"),
    _d_unary(lambda n, a: 1.0 / apply("sqrt", 1.0 - a * a)), "asin(a)")
_op("acos", ONE, floating, np.arccos, _sympy_fn("acos"),
    _d_unary(lambda n, a: -1.0 / apply("sqrt", 1.0 - a * a)), "acos(a)")
_op("atan", ONE, floating, np.arctan, _sympy_fn("atan"), _d_unary(lambda n, a: 1.0 / (1.0 + a * a)), "atan(a)")
_op("sinh", ONE, floating, np.sinh, _sympy_fn("sinh"), _d_unary(lambda n, a: apply("cosh", a)), "sinh(a)")
_op("cosh", ONE, floating, np.cosh, _sympy_fn("cosh"), _d_unary(lambda n, a: apply("sinh", a)), "cosh(a)")
_op("tanh", ONE, floating, np.tanh, _sympy_fn("tanh"), lambda n, i: 1.0 - n * n, "tanh(a)")
_op("asinh", ONE, floating, np.arcsinh, _sympy_fn("asinh"),
    _d_unary(lambda n, a: 1.0 / apply("sqrt", a * a + 1.0)), "asinh(a)")
_op("acosh", ONE, floating, np.arccosh, _sympy_fn("acosh"),
    _d_unary(lambda n, a: 1.0 / apply("sqrt", a * a - 1.0)), "acosh(a)")
_op("atanh", ONE, floating, np.arctanh, _sympy_fn("atanh"),
    _d_unary(lambda n, a: 1.0 / (1.0 - a * a)), "atanh(a)")

# real-only functions
_REAL = _real_only(DType.REAL)
_op("log1p", ONE, _REAL, np.log1p, lambda sp, a: sp.log(1 + a), _d_unary(lambda n, a: 1.0 / (1.0 + a)),
    "log1p(a): log(1 + a), accurate for small a")
_op("expm1", ONE, _REAL, np.expm1, lambda sp, a: sp.exp(a) - 1, _d_unary(lambda n, a: apply("exp", a)),
    "expm1(a): exp(a) - 1, accurate for small a")
_op("erf", ONE, _REAL, sps.erf, _sympy_fn("erf"),
    _d_unary(lambda n, a: (2.0 / _SQRT_PI) * apply("exp", -(a * a))), "erf(a)")
_op("erfc", ONE, _REAL, sps.erfc, _sympy_fn("erfc"),
    _d_unary(lambda n, a: (-2.0 / _SQRT_PI) * apply("exp", -(a * a))), "erfc(a)")
_op("lgamma", ONE, _REAL, sps.gammaln, _sympy_fn("loggamma"),
    _d_unary(lambda n, a: apply("digamma", a)), "lgamma(a): log|Gamma(a)|")
_op("digamma", ONE, _REAL, sps.digamma, _sympy_fn("digamma"), None, "digamma(a)")
_op("tgamma", ONE, _REAL, sps.gamma, _sympy_fn("gamma"),
    _d_unary(lambda n, a: n * apply("digamma", a)), "tgamma(a): Gamma(a)")
def _d_gammainc(sign: float) -> Deriv:
    def rule(n: Node, i: int) -> Node:
        a, x = n.args
        if i == 0:
            from ..errors import UnsupportedFeature

            raise UnsupportedFeature(f"derivative of {n.op} with respect to its first argument is not implemented")
        return sign * apply("exp", (a - 1.0) * apply("log", x) - x - apply("lgamma", a))

    return rule


_op("gammainc", TWO, _REAL, sps.gammainc, lambda sp, a, x: sp.lowergamma(a, x) / sp.gamma(a),
    _d_gammainc(1.0), "gammainc(a, x): regularised lower incomplete gamma P(a, x)")
_op("gammaincc", TWO, _REAL, sps.gammaincc, lambda sp, a, x: sp.uppergamma(a, x) / sp.gamma(a),
    _d_gammainc(-1.0), "gammaincc(a, x): regularised upper incomplete gamma Q(a, x)")
_op("floor", ONE, _REAL, np.floor, _sympy_fn("floor"), _zero, "floor(a)")
_op("ceil", ONE, _REAL, np.ceil, _sympy_fn("ceiling"), _zero, "ceil(a)")
_op("trunc", ONE, _REAL, np.trunc, lambda sp, a: sp.sign(a) * sp.floor(sp.Abs(a)), _zero,
    "trunc(a): round toward zero")
_op("round", ONE, _REAL, np.rint, None, _zero, "round(a): to nearest, ties to even (Julia's round)")
_op("sign", ONE, _REAL, np.sign, _sympy_fn("sign"), _zero, "sign(a): -1, 0 or 1")
_op("atan2", TWO, _REAL, np.arctan2, _sympy_fn("atan2"),
    lambda n, i: (n.args[1] if i == 0 else -n.args[0]) / (n.args[0] * n.args[0] + n.args[1] * n.args[1]),
    "atan2(y, x)")
_op("logaddexp", TWO, _real_only(DType.REAL), np.logaddexp,
    lambda sp, a, b: sp.log(sp.exp(a) + sp.exp(b)), _d_logaddexp,
    "logaddexp(a, b): log(exp(a) + exp(b)) without overflow or underflow (-inf for two -inf)")
_op("min", TWO, _real_only(DType.REAL), np.minimum, _sympy_fn("Min"), _d_minmax("lt"), "min(a, b)")
_op("max", TWO, _real_only(DType.REAL), np.maximum, _sympy_fn("Max"), _d_minmax("ge"), "max(a, b)")
_op("landau", ONE, _REAL, _landau, None, None,
    "landau(v): the standard Landau density as ROOT's TMath::Landau(v, 0, 1) (CERNLIB DENLAN)",
    tolerance=1e-11)
_op("landau_cdf", ONE, _REAL, _landau_cdf, None, _d_unary(lambda n, a: apply("landau", a)),
    "landau_cdf(v): the Landau distribution function as ROOT::Math::landau_cdf (CERNLIB DISLAN)",
    tolerance=1e-11)

# complex
_op("abs", ONE, _leaf(DType.REAL), np.abs, _sympy_fn("Abs"),
    _d_unary(lambda n, a: apply("sign", a)), "abs(a): |a|, real for complex a", jvp=JVP["abs"], vjp=VJP["abs"])
_op("abs2", ONE, _leaf(DType.REAL), lambda a: np.real(a * np.conj(a)), lambda sp, a: a * sp.conjugate(a),
    _d_unary(lambda n, a: 2.0 * a), "abs2(a): |a|^2", jvp=JVP["abs2"], vjp=VJP["abs2"])
_op("real", ONE, _leaf(DType.REAL), np.real, _sympy_fn("re"), lambda n, i: const(1.0), "real(a)",
    jvp=JVP["real"], vjp=VJP["real"])
_op("imag", ONE, _leaf(DType.REAL), np.imag, _sympy_fn("im"), lambda n, i: const(0.0), "imag(a)",
    jvp=JVP["imag"], vjp=VJP["imag"])
_op("conj", ONE, floating, np.conj, _sympy_fn("conjugate"), None, "conj(a): complex conjugate",
    jvp=JVP["conj"], vjp=VJP["conj"])
_op("arg", ONE, _leaf(DType.REAL), np.angle, _sympy_fn("arg"), None, "arg(a): phase angle (Julia angle)",
    jvp=JVP["arg"], vjp=VJP["arg"])
_op("complex", TWO, _real_only(DType.COMPLEX), _complex,
    lambda sp, a, b: a + sp.I * b, lambda n, i: const(1.0) if i == 0 else const(1j), "complex(re, im)",
    jvp=JVP["complex"], vjp=VJP["complex"])
_op("faddeeva", ONE, _leaf(DType.COMPLEX), sps.wofz, None,
    lambda n, i: -2.0 * n.args[0] * n + const(2j / _SQRT_PI), "faddeeva(z): w(z) = exp(-z^2) erfc(-iz)")

# comparisons and logic
_BOOL = _real_only(DType.BOOL)
for _name, _fn, _sp, _doc in [
    ("lt", np.less, "Lt", "a < b"), ("le", np.less_equal, "Le", "a <= b"),
    ("gt", np.greater, "Gt", "a > b"), ("ge", np.greater_equal, "Ge", "a >= b"),
]:
    _op(_name, TWO, _BOOL, _fn, _sympy_fn(_sp), _zero, f"{_name}(a, b): {_doc}")
_op("eq", TWO, _leaf(DType.BOOL), np.equal, _sympy_fn("Eq"), _zero, "eq(a, b): exactly equal (HS3 ===)")
_op("ne", TWO, _leaf(DType.BOOL), np.not_equal, _sympy_fn("Ne"), _zero, "ne(a, b): not equal")
_op("approx_eq", TWO, _BOOL, _approx_eq, _sympy_fn("Eq"), _zero,
    "approx_eq(a, b): equal to 4 ulp (HS3 ==)")
_op("and", TWO, _BOOL, np.logical_and, _sympy_fn("And"), _zero, "and(a, b)")
_op("or", TWO, _BOOL, np.logical_or, _sympy_fn("Or"), _zero, "or(a, b)")
_op("not", ONE, _BOOL, np.logical_not, _sympy_fn("Not"), _zero, "not(a)")
_op("select", (3, 3), _select, lambda c, a, b: np.where(np.asarray(c) != 0, a, b),
    lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)), _d_select, "select(c, a, b): a where c is true, else b",
    jvp=JVP["select"], vjp=VJP["select"])
_op("choose", (2, None), _choose_dtype, _choose, None, _d_choose,
    "choose(k, v_0, ..., v_n-1): v_i with i the floor of k clamped to 0 .. n-1 (NaN picks v_0): a table "
    "lookup (HistFactory's bins, per-bin parameters)", jvp=JVP["choose"], vjp=VJP["choose"])

# structural ops: meaning given by the interpreter
_op("integral", (3, None), _REAL, None, None, None,
    "integral[vars](f, lo_1, hi_1, ...): integral of f over the box of the observables vars",
    free_rule=_integral_free, tolerance=1e-9, attrs=(("vars", tuple),))
_op("normalize", N, _REAL, None, None, None,
    "normalize[rule](f, rule_args...): f divided by its integral over the observables f depends on "
    "(f itself when there are none); rule names a closed form in firmc.library.integrals",
    tolerance=1e-9)
_op("datasum", ONE, floating, None, None, None,
    "datasum[dataset, binds](f): sum over the events of a data set (weighted) with observables bound to it",
    free_rule=_datasum_free, attrs=(("dataset", str), ("binds", tuple)))


def markdown_ops() -> str:
    """The op table as Markdown (docs/ops.md is this text; a test keeps it current).

    Example:
        >>> "| `exp` |" in markdown_ops()
        True
    """
    lines = ["# The op table", "", "Generated from `firmc.ir.ops.OPS` (`python scripts/gen_docs.py`).", "",
             "| op | arity | NumPy | SymPy | derivative | float64 tolerance | meaning |",
             "|---|---|---|---|---|---|---|"]
    for name, op in OPS.items():
        lo, hi = op.arity
        arity = str(lo) if lo == hi else f"{lo}..{hi if hi is not None else 'n'}"
        yes = ("yes", "-")
        lines.append(f"| `{name}` | {arity} | {yes[op.numpy is None]} | {yes[op.sympy is None]} | "
                     f"{yes[op.deriv is None]} | {op.tolerance:g} | {op.doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
