"""IR to expression strings: the HS3 spec grammar and ROOT's TFormula syntax, from one table per dialect.

Each op that a dialect can write has one :class:`Form` (an infix operator, a prefix operator, a function call,
the ternary, or a template for what the dialect spells out, like ``max`` in TFormula); :func:`render` prints
one node from its printed arguments, so callers walk the graph with an explicit stack (see
:func:`to_expression`) and decide themselves where to cut it into named objects.

Dialect differences: the spec writes ``a^b``, ``===``/``!==`` (exact) and ``==`` (to a few ulp); ROOT writes
``pow(a, b)``, ``==``/``!=`` (exact), ``fabs``, ``fmod``, has no ``max`` (a ternary) and divides integers in
C++ (every literal is written as a floating literal, ``2.0/3.0``). Numbers are printed with ``repr``
(shortest text that reads back bit for bit), so ``PI`` is never needed. TFormula reads ``exp(x)`` as a
one-dimensional TF1 formula in its own variable ``x`` (ROOT 6.40 refuses it; ``sin(x)``, ``sqrt(x)`` pass): a
lone name as the argument of ``exp`` is written in parentheses there, ``exp((x))``.

Example:
    >>> from firmc.ir import apply, obs, param
    >>> x, a = obs("x", 0.0, 1.0), param("a")
    >>> e = apply("max", x, a) ** 2.0 / 3.0
    >>> to_expression(e, "spec")
    'max(x, a)^2.0/3.0'
    >>> to_expression(e, "root")
    'pow((x >= a ? x : a), 2.0)/3.0'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ...frontends.expr import CONSTANTS, FUNCTIONS
from ...frontends.expr import Dialect as ParserDialect
from ...ir import Node, walk
from ...ir.types import DType

Dialect = Literal["spec", "root"]
Printed = tuple[str, int]  # text and precedence

# precedence levels, loosest first (as in grammar/firm.lark)
TERNARY, OR, AND, EQ, REL, SUM, PROD, UNARY, POWER, ATOM = range(10)


@dataclass(frozen=True)
class Form:
    """How one op is written: ``kind`` is infix, prefix, call, power, ternary or template.

    ``text`` is the operator, the function name, or a template with ``{0}``, ``{1}`` (arguments in
    parentheses unless atoms); ``prec`` the precedence of the result.

    Example:
        >>> FORMS["root"]["pow"]
        Form(kind='call', text='pow', prec=9)
    """

    kind: Literal["infix", "prefix", "call", "power", "ternary", "template"]
    text: str
    prec: int = ATOM


_TRUNCATING_DIVISION = Form("template", "({0}/{1} < 0.0 ? ceil({0}/{1}) : floor({0}/{1}))")


def _calls(*names: str, rename: dict[str, str] | None = None) -> dict[str, Form]:
    rename = rename or {}
    return {n: Form("call", rename.get(n, n)) for n in names}


_SIGN = "({0} > 0.0 ? 1.0 : ({0} < 0.0 ? -1.0 : {0}))"
_COMMON: dict[str, Form] = {
    "add": Form("infix", " + ", SUM), "sub": Form("infix", " - ", SUM), "mul": Form("infix", "*", PROD),
    "div": Form("infix", "/", PROD), "neg": Form("prefix", "-", UNARY), "not": Form("prefix", "!", UNARY),
    "lt": Form("infix", " < ", REL), "le": Form("infix", " <= ", REL), "gt": Form("infix", " > ", REL),
    "ge": Form("infix", " >= ", REL), "and": Form("infix", " && ", AND), "or": Form("infix", " || ", OR),
    "select": Form("ternary", "", TERNARY), "sign": Form("template", _SIGN),
    **_calls("exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
             "acosh", "atanh", "log10", "erf", "erfc", "floor", "ceil", "atan2", "min"),
}
#: op -> how it is written, per dialect (ops absent here have no syntax in that dialect)
FORMS: dict[Dialect, dict[str, Form]] = {
    "spec": {**_COMMON, "pow": Form("power", "^", POWER), "idiv": Form("infix", "/", PROD),
             "eq": Form("infix", " === ", EQ), "ne": Form("infix", " !== ", EQ),
             "approx_eq": Form("infix", " == ", EQ), **_calls("abs", "max")},
    "root": {**_COMMON, "pow": Form("call", "pow"), "idiv": Form("infix", "/", PROD),
             "eq": Form("infix", " == ", EQ), "ne": Form("infix", " != ", EQ),
             "max": Form("template", "({0} >= {1} ? {0} : {1})"),
             **_calls("abs", "mod", "lgamma", "tgamma", "log1p", "expm1", "trunc",
                      rename={"abs": "fabs", "mod": "fmod"})},
}
_PARSER_DIALECT: dict[Dialect, ParserDialect] = {"spec": "hs3", "root": "root"}
_NAME = re.compile(r"[^\W\d]\w*")
_ROOT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def printable(node: Node, dialect: Dialect) -> bool:
    """Whether ``node``'s op has a syntax in ``dialect`` (its arguments aside) and its value is not complex.

    Example:
        >>> from firmc.ir import apply, param
        >>> printable(apply("lgamma", param("a")), "spec"), printable(apply("lgamma", param("a")), "root")
        (False, True)
    """
    return node.op in FORMS[dialect] and node.type.dtype is not DType.COMPLEX


def repeats(node: Node, dialect: Dialect) -> bool:
    """Whether the form of ``node`` writes an argument more than once (so it is better a name than a text).

    Example:
        >>> from firmc.ir import apply, param
        >>> repeats(apply("max", param("a"), param("b")), "root"), repeats(apply("max", param("a"), param("b")), "spec")
        (True, False)
    """
    form = FORMS[dialect].get(node.op)
    return form is not None and form.kind == "template"


def name_ok(name: str, dialect: Dialect) -> bool:
    """Whether ``name`` can stand for an object inside an expression of ``dialect``.

    Example:
        >>> name_ok("mu_1", "spec"), name_ok("PI", "spec"), name_ok("a-b", "root"), name_ok("σ", "root")
        (True, False, False, False)
    """
    pattern = _ROOT_NAME if dialect == "root" else _NAME
    return bool(pattern.fullmatch(name)) and name not in CONSTANTS[_PARSER_DIALECT[dialect]] \
        and name not in FUNCTIONS["root" if dialect == "root" else "hs3"]


def number(value: float | int | bool, dialect: Dialect) -> Printed:
    """A literal: shortest digits that read back exactly, always floating (``2.0``) so that ROOT divides as
    the spec does; infinities as ``1e999``.

    Example:
        >>> number(2, "root"), number(-0.5, "spec"), number(float("inf"), "spec")
        (('2.0', 9), ('-0.5', 7), ('1e999', 9))
    """
    if isinstance(value, bool):
        if dialect == "spec":
            return ("TRUE" if value else "FALSE"), ATOM
        return ("(1.0 > 0.0)" if value else "(1.0 < 0.0)"), ATOM
    v = float(value)
    if math.isnan(v):
        return "(0.0/0.0)", ATOM
    text = "1e999" if math.isinf(v) else repr(abs(v))
    if math.copysign(1.0, v) < 0:
        return "-" + text, UNARY
    return text, ATOM


def _wrap(p: Printed, min_prec: int) -> str:
    return p[0] if p[1] >= min_prec else f"({p[0]})"


def render(node: Node, args: Sequence[Printed], dialect: Dialect) -> Printed:
    """Print ``node`` given its printed arguments (raises KeyError for an op without syntax in ``dialect``).

    Example:
        >>> from firmc.ir import apply, param
        >>> render(apply("sub", param("a"), param("b")), [("a", ATOM), ("b + c", SUM)], "spec")
        ('a - (b + c)', 5)
    """
    form = FORMS[dialect][node.op]
    if node.op == "idiv" and all(a.type.dtype.rank <= DType.INT.rank for a in node.args):
        form = _TRUNCATING_DIVISION  # literals are written floating: 3/2 is 1 only when spelled out
    kind, text, prec = form.kind, form.text, form.prec
    if kind == "infix":
        nary = node.op in ("add", "mul")
        first = _wrap(args[0], prec + 1 if nary and node.args[0].op == node.op else prec)
        if node.op in ("and", "or") or prec in (EQ, REL):
            first = _wrap(args[0], prec + 1)
        return text.join([first, *(_wrap(a, prec + 1) for a in args[1:])]), prec
    if kind == "prefix":
        inner = _wrap(args[0], UNARY)
        return (text + (f"({inner})" if inner.startswith(("-", "!")) else inner)), prec
    if kind == "power":
        return f"{_wrap(args[0], ATOM)}{text}{_wrap(args[1], ATOM)}", prec
    if kind == "ternary":
        return f"{_wrap(args[0], OR)} ? {_wrap(args[1], OR)} : {_wrap(args[2], OR)}", prec
    if kind == "template":
        return text.format(*(f"({a[0]})" if a[1] < ATOM else a[0] for a in args)), ATOM
    if dialect == "root" and text == "exp" and _ROOT_NAME.fullmatch(args[0][0]):
        return f"exp(({args[0][0]}))", ATOM  # TFormula reads exp(x) as its own TF1 formula in x
    return f"{text}({', '.join(a[0] for a in args)})", ATOM


def to_expression(root: Node, dialect: Dialect, name_of: Callable[[Node], str | None] | None = None) -> str:
    """The whole expression of ``root`` (explicit stack; shared subexpressions are written out each time).
    ``name_of`` gives the name of a node that is written as a reference (parameters and observables are
    their names); constants are literals.

    Example:
        >>> from firmc.ir import apply, obs, param
        >>> from firmc.ir import const
        >>> to_expression(apply("select", apply("lt", obs("x"), param("m")), -obs("x"), const(1.0 / 3.0)), "spec")
        'x < m ? -x : 0.3333333333333333'
    """
    out: dict[Node, Printed] = {}

    def leaf(n: Node) -> Printed | None:
        name = name_of(n) if name_of is not None else None
        if name is not None:
            return name, ATOM
        if n.op in ("param", "obs"):
            return n.attr("name"), ATOM
        if n.op == "const":
            return number(n.attr("value"), dialect)
        return None

    for n in walk([root], lambda n: () if leaf(n) is not None else n.args):
        got = leaf(n)
        out[n] = got if got is not None else render(n, [out[a] for a in n.args], dialect)
    return out[root][0]
