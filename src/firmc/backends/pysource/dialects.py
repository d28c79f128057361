"""The op spellings of the Python targets: one common table, and per target only what differs.

Each op of :data:`firmc.ir.OPS` that can reach a back-end (everything but the leaves and the structural ops,
which :mod:`firmc.backends.pysource.emit` handles) has a spelling in every dialect; a test checks that.
Semantics follow the interpreter: ``round`` ties to even, ``mod`` is C's fmod, ``min``/``max`` propagate
NaN, ``pow`` is C99 pow, ``complex(re, im)`` is built without arithmetic.

Example:
    >>> from firmc.ir import apply, const, param
    >>> NUMPY.spell(apply("min", param("a"), param("b")), ["a", "b"])
    'np.minimum(a, b)'
    >>> TORCH.spell(apply("min", param("a"), param("b")), ["a", "b"])
    'torch.minimum(*_tensors(a, b))'
    >>> TORCH.spell(apply("max", param("a"), const(0.5)), ["a", "0.5"])
    'torch.clamp(a, min=0.5)'
"""

from __future__ import annotations

import numpy as np

from ...ir import Node
from ...ir.types import DType, Var
from .emit import Dialect, Template, bool_condition


def _infix(sym: str) -> Template:
    return lambda n, a: "(" + f" {sym} ".join(a) + ")"


def _typed(real: str, complex_: str) -> Template:
    """A spelling that depends on whether the argument is complex (``{ns}`` is filled in by Dialect.spell)."""
    return lambda n, a: (complex_ if n.args[0].type.dtype is DType.COMPLEX else real).format(*a, ns="{ns}")


def _select(n: Node, a: list[str]) -> str:
    return f"{{ns}}.where({bool_condition(n, a, '')}, {a[1]}, {a[2]})"


_UNARY = {"exp": "exp", "log": "log", "log10": "log10", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
          "asin": "arcsin", "acos": "arccos", "atan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
          "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "log1p": "log1p", "expm1": "expm1",
          "floor": "floor", "ceil": "ceil", "trunc": "trunc", "sign": "sign", "abs": "abs", "arg": "angle",
          "not": "logical_not"}

COMMON: dict[str, Template] = {
    **{op: f"{{ns}}.{fn}({{0}})" for op, fn in _UNARY.items()},
    "add": _infix("+"), "mul": _infix("*"), "sub": "({0} - {1})", "neg": "(-{0})", "div": "({0} / {1})",
    "idiv": "({0} / {1})", "mod": "{ns}.fmod({0}, {1})", "pow": "_pow({0}, {1})",
    "round": "{ns}.round({0})", "atan2": "{ns}.arctan2({0}, {1})", "min": "{ns}.minimum({0}, {1})",
    "max": "{ns}.maximum({0}, {1})", "logaddexp": "_logaddexp({0}, {1})",
    "abs2": _typed("({0} * {0})", "{ns}.real({0} * {ns}.conj({0}))"),
    "real": _typed("{0}", "{ns}.real({0})"), "imag": _typed("{ns}.zeros_like({0})", "{ns}.imag({0})"),
    "conj": _typed("{0}", "{ns}.conj({0})"), "complex": "_complex({0}, {1})",
    "lt": "({0} < {1})", "le": "({0} <= {1})", "gt": "({0} > {1})", "ge": "({0} >= {1})", "eq": "({0} == {1})",
    "ne": "({0} != {1})", "approx_eq": "_approx_eq({0}, {1})", "and": "{ns}.logical_and({0}, {1})",
    "or": "{ns}.logical_or({0}, {1})", "select": _select, "choose": lambda n, a: f"_choose({', '.join(a)})",
    "faddeeva": "faddeeva({0}, {ns})", "landau": "landau({0}, {ns})", "landau_cdf": "landau_cdf({0}, {ns})",
}
RUNTIME = {"faddeeva": "faddeeva", "landau": "landau", "landau_cdf": "landau_cdf"}

_SCIPY = {"erf": "erf", "erfc": "erfc", "lgamma": "gammaln", "digamma": "digamma", "tgamma": "gamma"}

NUMPY = Dialect("numpy", "NumPy", "np", {
    **COMMON, "round": "{ns}.rint({0})",
    **{op: f"_sps.{fn}({{0}})" for op, fn in _SCIPY.items()},
    "gammainc": "_sps.gammainc({0}, {1})", "gammaincc": "_sps.gammaincc({0}, {1})",
    "faddeeva": "_sps.wofz({0})",
}, {k: v for k, v in RUNTIME.items() if k != "faddeeva"},
    optional_imports={"_sps.": "from scipy import special as _sps"}, decorator="@_quiet", free_early=True)

JAX = Dialect("jax", "JAX", "jnp", {
    **COMMON,
    **{op: f"_jsp.{fn}({{0}})" for op, fn in _SCIPY.items()},
    "gammainc": "_jsp.gammainc({0}, {1})", "gammaincc": "_jsp.gammaincc({0}, {1})",
}, RUNTIME, to_real="{0}.astype(_float())",
    imports=("from __future__ import annotations\n\nimport math\n\nimport jax\nimport jax.numpy as jnp\n"
             "import numpy as np\n"),
    optional_imports={"_jsp.": "from jax.scipy import special as _jsp"})

def _float32_exact(x: Node) -> bool:
    v = x.attr("value") if x.op == "const" else None
    return isinstance(v, int | float) and not isinstance(v, bool) and float(np.float32(v)) == v


def _torch_select(n: Node, a: list[str]) -> str:
    """torch.where of two Python numbers has torch's default dtype (float32): fine for 0, 1, 20 ..., but a
    value like 0.1 needs float64 (``_where``)."""
    literals = all(x.type.var is Var.CONST for x in n.args[1:])
    if literals and not all(_float32_exact(x) for x in n.args[1:]):
        return f"_where({bool_condition(n, a, '')}, {a[1]}, {a[2]})"
    return f"torch.where({bool_condition(n, a, '')}, {a[1]}, {a[2]})"


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _torch_bound(fn: str, side: str) -> Template:
    """min/max against a literal as ``torch.clamp`` (no tensor made for the literal on every call)."""

    def spell(n: Node, a: list[str]) -> str:
        for i in (0, 1):
            lit = n.args[1 - i]
            if lit.op == "const" and abs(lit.attr("value")) <= FLOAT32_MAX:  # clamp checks the float32 range
                return f"torch.clamp({a[i]}, {side}={a[1 - i]})"
        return f"torch.{fn}(*_tensors({a[0]}, {a[1]}))"

    return spell


_TORCH_SPECIAL = {"erf": "erf", "erfc": "erfc", "lgamma": "gammaln", "digamma": "digamma"}
TORCH = Dialect("torch", "PyTorch", "torch", {
    **COMMON,
    **{op: f"torch.special.{fn}({{0}})" for op, fn in _TORCH_SPECIAL.items()},
    "tgamma": "tgamma({0}, torch, torch.special.gammaln)",
    "gammainc": "torch.special.gammainc(*_tensors({0}, {1}))",
    "gammaincc": "torch.special.gammaincc(*_tensors({0}, {1}))",
    "mod": "torch.fmod(*_tensors({0}, {1}))", "atan2": "torch.arctan2(*_tensors({0}, {1}))",
    "min": _torch_bound("minimum", "max"), "max": _torch_bound("maximum", "min"),
    "logaddexp": "torch.logaddexp(*_tensors({0}, {1}))",
    "pow": "_pow({0}, {1})", "select": _torch_select, "sign": "_sign({0})",
    "conj": _typed("{0}", "torch.conj_physical({0})"),
}, {**RUNTIME, "tgamma": "tgamma"}, to_real="{0}.double()",
    imports="from __future__ import annotations\n\nimport math\n\nimport numpy as np\nimport torch\n",
    array="torch.tensor({0}, dtype=torch.float64)", typed_array="torch.tensor({0}, dtype=torch.{1})",
    free_early=True)

DIALECTS = {d.name: d for d in (NUMPY, JAX, TORCH)}
