"""Op spellings of the C-family targets (C++ and CUDA): C99/C++ ``<cmath>`` where it has the interpreter's
semantics, the ``fc_`` functions of ``firmc/runtime/*.hpp`` where it does not (NaN-propagating min/max, NumPy's
sign and logaddexp, ties-to-even rounding, digamma, the incomplete gamma functions, Landau).

Example:
    >>> from firmc.ir import apply, param
    >>> CPP.spell(apply("exp", param("a")), ["a"]), CPP.spell(apply("min", param("a"), param("b")), ["a", "b"])
    ('std::exp(a)', 'fc_min(a, b)')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType

Template = str | Callable[[Node, list[str]], str]

_STD = {"exp": "exp", "log": "log", "log10": "log10", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
        "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
        "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "log1p": "log1p", "expm1": "expm1", "erf": "erf",
        "erfc": "erfc", "lgamma": "lgamma", "tgamma": "tgamma", "floor": "floor", "ceil": "ceil",
        "trunc": "trunc", "abs": "fabs"}
_RUNTIME = {"digamma": "fc_digamma", "landau": "fc_landau", "landau_cdf": "fc_landau_cdf", "sign": "fc_sign",
            "round": "fc_round"}


def _infix(sym: str) -> Template:
    return lambda n, a: "(" + f" {sym} ".join(a) + ")"


def _cond(n: Node, a: list[str]) -> str:
    """``select``'s condition: a number is true where non-zero (the interpreter's rule)."""
    c = a[0] if n.args[0].type.dtype is DType.BOOL else f"({a[0]} != 0.0)"
    return f"({c} ? {a[1]} : {a[2]})"


def _truth(x: Node, text: str) -> str:
    return text if x.type.dtype is DType.BOOL else f"({text} != 0.0)"


def _logic(sym: str) -> Template:
    return lambda n, a: f"({_truth(n.args[0], a[0])} {sym} {_truth(n.args[1], a[1])})"


def table_item(value: Node, text: str, dtype: DType) -> str:
    """One value of a ``choose`` table as C: a boolean in a table of numbers converted explicitly (a braced list
    does not narrow implicitly).

    Example:
        >>> from firmc.ir import apply, const, param
        >>> table_item(apply("gt", param("a"), const(0.0)), "v1", DType.REAL), table_item(param("a"), "a", DType.REAL)
        ('static_cast<double>(v1)', 'a')
    """
    return f"static_cast<double>({text})" if dtype is not DType.BOOL and value.type.dtype is DType.BOOL else text


def _pick(n: Node, a: list[str]) -> str:
    """``choose`` of values computed where it is: ``fc_pick(k, {v_0, ..., v_n-1})`` (tables: csource/tables.py)."""
    items = [table_item(v, x, n.type.dtype) for v, x in zip(n.args[1:], a[1:], strict=True)]
    return f"fc_pick({a[0]}, {{{', '.join(items)}}})"


CPP_OPS: dict[str, Template] = {
    **{op: f"std::{fn}({{0}})" for op, fn in _STD.items()},
    **{op: f"{fn}({{0}})" for op, fn in _RUNTIME.items()},
    "add": _infix("+"), "mul": _infix("*"), "sub": "({0} - {1})", "neg": "(-{0})", "div": "({0} / {1})",
    "idiv": "({0} / {1})", "mod": "std::fmod({0}, {1})", "pow": "std::pow({0}, {1})",
    "atan2": "std::atan2({0}, {1})", "min": "fc_min({0}, {1})", "max": "fc_max({0}, {1})",
    "logaddexp": "fc_logaddexp({0}, {1})", "gammainc": "fc_gammainc({0}, {1})",
    "gammaincc": "fc_gammaincc({0}, {1})", "abs2": "({0} * {0})", "real": "{0}", "imag": "(0.0 * {0})",
    "conj": "{0}", "arg": "(std::signbit({0}) ? 3.141592653589793 : ({0} == {0} ? 0.0 : {0}))",
    "lt": "({0} < {1})", "le": "({0} <= {1})", "gt": "({0} > {1})", "ge": "({0} >= {1})", "eq": "({0} == {1})",
    "ne": "({0} != {1})", "approx_eq": "fc_approx_eq({0}, {1})", "and": _logic("&&"), "or": _logic("||"),
    "not": lambda n, a: f"(!{_truth(n.args[0], a[0])})", "select": _cond, "choose": _pick,
}


INFINITY = "std::numeric_limits<double>::infinity()"
NAN = "std::numeric_limits<double>::quiet_NaN()"


def c_literal(value: object, dtype: DType, infinity: str = INFINITY, nan: str = NAN) -> str:
    """A C++ literal of a folded constant (infinities and NaN spelled ``infinity`` and ``nan``).

    Example:
        >>> c_literal(0.1, DType.REAL), c_literal(float("-inf"), DType.REAL), c_literal(True, DType.BOOL)
        ('0.1', '(-std::numeric_limits<double>::infinity())', 'true')
    """
    if dtype is DType.BOOL:
        return "true" if bool(value) else "false"
    v = float(value)  # type: ignore[arg-type]
    if np.isnan(v):
        return nan
    if np.isinf(v):
        return infinity if v > 0 else f"(-{infinity})"
    text = repr(v)
    return text if any(ch in text for ch in ".en") else text + ".0"


@dataclass(frozen=True)
class CDialect:
    """A C-family target: its op spellings and the runtime header each ``fc_`` function lives in.

    Example:
        >>> CPP.runtime_file("fc_landau")
        'landau.hpp'
    """

    name: str
    ops: Mapping[str, Template]
    headers: Mapping[str, str] = field(default_factory=dict)  # fc_ name -> runtime header
    infinity: str = INFINITY  # how +inf and NaN are spelled (CUDA device code cannot call numeric_limits)
    nan: str = NAN

    def literal(self, value: object, dtype: DType) -> str:
        """A folded constant in this dialect.

        Example:
            >>> CUDA.literal(float("inf"), DType.REAL), CPP.literal(2.0, DType.REAL)
            ('HUGE_VAL', '2.0')
        """
        return c_literal(value, dtype, self.infinity, self.nan)

    def spell(self, node: Node, args: list[str]) -> str:
        """The C expression computing ``node`` from its argument expressions.

        Example:
            >>> from firmc.ir import apply, param
            >>> CPP.spell(apply("lt", param("a"), param("b")), ["a", "b"])
            '(a < b)'
        """
        t = self.ops.get(node.op)
        if t is None:
            raise UnsupportedFeature(f"target '{self.name}' has no spelling for op '{node.op}'")
        return t(node, args) if callable(t) else t.format(*args)

    def runtime_file(self, fn: str) -> str:
        """The runtime header defining ``fn``.

        Example:
            >>> CPP.runtime_file("fc_min")
            'elementary.hpp'
        """
        return self.headers.get(fn, "elementary.hpp")


HEADERS = {"fc_digamma": "gamma.hpp", "fc_gammainc": "gamma.hpp", "fc_gammaincc": "gamma.hpp",
           "fc_landau": "landau.hpp", "fc_landau_cdf": "landau.hpp", "fc_faddeeva": "faddeeva.hpp"}
CPP = CDialect("cpp", CPP_OPS, HEADERS)
# the same spellings compile as CUDA device code (std:: math has __device__ overloads; the runtime is FIRMC_FN)
CUDA = CDialect("cuda", CPP_OPS, HEADERS, infinity="HUGE_VAL", nan="static_cast<double>(NAN)")
