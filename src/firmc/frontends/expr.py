"""Expression strings of model files (HS3, ROOT TFormula, Julia amplitude files) to IR.

One LALR grammar (``grammar/firm.lark``, start ``expression``) accepts the union of the three dialects;
:func:`build_expression` gives the selected dialect its meaning and rejects, with a caret, what that dialect
does not allow. Text is never evaluated (no eval/exec/sympify). The walk from parse tree to IR uses an
explicit stack and flat n-ary chains, so a 100 000-term sum or 10 000 nested parentheses are fine.

=========  =================================================================================================
dialect    semantics
=========  =================================================================================================
``hs3``    every literal is real; ``/`` float division; ``^`` and ``**`` power; ``==``/``!=`` to 4 ulp,
           ``===``/``!==`` exact; ``PI``, ``EULER`` (e = 2.718...), ``TRUE``, ``FALSE``; ``ifelse(c, a, b)``
``root``   C++: integer literals are ints and ``/`` truncates between ints (``2/3`` is 0); ``TMath::``
           functions and constants; ``@0``-style placeholders; ``==`` exact; ``pi`` is an ordinary name
``julia``  ``1im``/``2.5σ`` juxtaposition; ``im``, ``i``, ``π``/``pi``, ``ℯ``; ``%`` rem, ``÷`` truncating
           division; chained comparisons ``a < b <= c``; ``==`` exact
``firm``   hs3's meaning, and complex numbers: ``2.5im`` (juxtaposition of a number and ``im`` or a name),
           ``real``, ``imag``, ``conj``, ``abs2``, ``arg``; ``pi``/``π``, ``inf``, ``true``/``false``; special
           functions (``lgamma``, ``tgamma``, ``log1p``, ``expm1`` ...)
=========  =================================================================================================

Example:
    >>> from firmc.interp import evaluate
    >>> [float(v) for v in evaluate([expression_to_ir("x > 0 ? 2^-1 : PI")], {"x": 1.0})]
    [0.5]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, reduce
from importlib.resources import files
from typing import Any, Literal

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from ..errors import FormatError, IRError, SourceError, did_you_mean
from ..ir import Node, apply, const, param
from ..ir.types import DType

Dialect = Literal["hs3", "root", "julia", "firm"]
DIALECTS: tuple[Dialect, ...] = ("hs3", "root", "julia", "firm")

Fn = tuple[int, int | None, Callable[..., Node]]  # min arguments, max arguments (None: any), IR builder


# ------------------------------------------------------------------------------------ vocabulary per dialect
def _op(name: str, n: int = 1) -> Fn:
    return (n, n, lambda *a: apply(name, *a))


def _fold(name: str) -> Fn:
    return (2, None, lambda *a: reduce(lambda x, y: apply(name, x, y), a))


def _with_norm(value: Node, sigma: Node | None, norm: Node | None, scale: float) -> Node:
    """ROOT's optional ``norm`` flag: divide by ``scale * sigma`` where it is nonzero."""
    if norm is None or (norm.op == "const" and not norm.attr("value")):
        return value
    normed = value / (scale * sigma if sigma is not None else const(scale))
    return normed if norm.op == "const" else apply("select", norm, normed, value)


def _landau(x: Node, mpv: Node | None = None, sigma: Node | None = None, norm: Node | None = None) -> Node:
    v = x - mpv if mpv is not None else x
    return _with_norm(apply("landau", v / sigma if sigma is not None else v), sigma, norm, 1.0)


def _gaus(x: Node, mean: Node | None = None, sigma: Node | None = None, norm: Node | None = None) -> Node:
    v = x - mean if mean is not None else x
    v = v / sigma if sigma is not None else v
    return _with_norm(apply("exp", -0.5 * (v * v)), sigma, norm, math.sqrt(2.0 * math.pi))


def _breit_wigner(x: Node, mean: Node | None = None, gamma: Node | None = None) -> Node:
    v, g = (x - mean if mean is not None else x), (gamma if gamma is not None else const(1.0))
    return g / (v * v + g * g / 4.0) / (2.0 * math.pi)


_SPEC = ["exp", "log", "sqrt", "abs", "sin", "cos", "tan", "asin", "acos", "atan"]
_EXTRA = ["sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "log10", "erf", "erfc", "floor", "ceil"]
_MATH: dict[str, Fn] = {
    **{n: _op(n) for n in _SPEC + _EXTRA}, "pow": _op("pow", 2), "atan2": _op("atan2", 2),
    "min": _fold("min"), "max": _fold("max"),
}
_SELECT: Fn = (3, 3, lambda c, a, b: apply("select", c, a, b))
_LOGICAL = frozenset({"select", "not", "and", "or", "eq", "ne", "approx_eq"})  # ops that take truth values


def _number(a: Node) -> Node:
    """A truth value as the number 1 or 0, as C++ and Julia read one in arithmetic (``(x > 0) * y``); the IR's
    arithmetic takes numbers only."""
    return apply("select", a, const(1), const(0)) if a.type.dtype is DType.BOOL else a
_PI = 3.14159265358979323846
_TMATH_CONSTANTS = {  # the literals of TMath.h
    "Pi": _PI, "TwoPi": 2.0 * _PI, "PiOver2": _PI / 2.0, "PiOver4": _PI / 4.0, "InvPi": 1.0 / _PI,
    "RadToDeg": 180.0 / _PI, "DegToRad": _PI / 180.0,
    "Sqrt2": 1.4142135623730950488016887242097, "E": 2.71828182845904523536, "Ln10": 2.30258509299404568402,
    "LogE": 0.43429448190325182765, "EulerGamma": 0.577215664901532860606512090082402431042,
}
_TMATH: dict[str, Fn] = {
    **{f"TMath::{k}": (0, 0, lambda v=v: const(v)) for k, v in _TMATH_CONSTANTS.items()},
    **{f"TMath::{k}": _op(k.lower()) for k in ["Exp", "Log", "Log10", "Sqrt", "Abs", "Erf", "Erfc", "Sin",
                                               "Cos", "Tan", "ASin", "ACos", "ATan", "SinH", "CosH", "TanH",
                                               "ASinH", "ACosH", "ATanH", "Floor", "Ceil"]},
    "TMath::ATan2": _op("atan2", 2), "TMath::Power": _op("pow", 2), "TMath::Min": _op("min", 2),
    "TMath::Max": _op("max", 2), "TMath::Gamma": _op("tgamma"), "TMath::LnGamma": _op("lgamma"),
    "TMath::Sq": (1, 1, lambda x: x * x), "TMath::Log2": (1, 1, lambda x: apply("log", x) / math.log(2.0)),
    "TMath::Hypot": (2, 2, lambda x, y: apply("sqrt", x * x + y * y)),
    "TMath::Sign": (2, 2, lambda a, b: apply("select", apply("ge", b, const(0.0)), apply("abs", a),
                                              -apply("abs", a))),
    "TMath::Landau": (1, 4, _landau), "TMath::Gaus": (1, 4, _gaus),
    "TMath::BreitWigner": (1, 3, _breit_wigner),
}
_JULIA_NAMES = [*_SPEC, "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "real", "imag", "conj", "log10",
                "abs2", "sign", "round", "trunc", "floor", "ceil"]
FUNCTIONS: dict[Dialect, dict[str, Fn]] = {
    "hs3": {**_MATH, "ifelse": _SELECT},
    "root": {**_MATH, "fabs": _op("abs"), **_TMATH,  # and the C math functions TFormula accepts (ROOT 6.40)
             **{n: _op(n) for n in ("lgamma", "tgamma", "log1p", "expm1", "trunc")}, "fmod": _op("mod", 2)},
    "firm": {**_MATH, "ifelse": _SELECT,
             **{n: _op(n) for n in ("real", "imag", "conj", "abs2", "arg", "sign", "round", "trunc", "lgamma",
                                    "tgamma", "log1p", "expm1", "digamma", "faddeeva", "landau")},
             "complex": _op("complex", 2)},
    "julia": {
        **{n: _op(n) for n in _JULIA_NAMES}, "pow": _op("pow", 2), "angle": _op("arg"), "min": _fold("min"),
        "max": _fold("max"), "ifelse": _SELECT,
        "atan": (1, 2, lambda *a: apply("atan" if len(a) == 1 else "atan2", *a)),
        "log": (1, 2, lambda *a: apply("log", a[0]) if len(a) == 1 else
                apply("log", a[1]) / apply("log", a[0])),  # log(b, x)
    },
}
CONSTANTS: dict[Dialect, dict[str, bool | float | complex]] = {
    "hs3": {"PI": math.pi, "EULER": math.e, "TRUE": True, "FALSE": False},
    "root": {"true": True, "false": False},
    "julia": {"im": 1j, "i": 1j, "π": math.pi, "pi": math.pi, "ℯ": math.e, "true": True, "false": False},
    "firm": {"PI": math.pi, "pi": math.pi, "π": math.pi, "EULER": math.e, "im": 1j, "inf": math.inf,
             "TRUE": True, "FALSE": False, "true": True, "false": False},
}
# operator tokens a dialect does not have: token text -> advice
_NOT_IN: dict[Dialect, dict[str, str]] = {
    "hs3": {"%": "use a function of the model", "÷": "use '/'", "−": "write '-'"},
    "root": {"===": "ROOT's '==' is exact", "!==": "ROOT's '!=' is exact", "÷": "use '/'", "−": "write '-'"},
    "julia": {"**": "use '^'"},
    "firm": {"%": "use a function of the model", "÷": "use '/'", "−": "write '-'"},
}
_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "===": "eq", "!==": "ne"}
_OPERANDS = ("NUMBER", "NAME", "PLACEHOLDER")  # the tokens that are values (not operators)
_NOT_EXPRESSIONS = {"keyword": "keyword arguments", "list": "lists", "record": "records"}


# --------------------------------------------------------------------------------------------- parsing
@cache
def _parser() -> Lark:
    grammar = (files("firmc") / "grammar" / "firm.lark").read_text(encoding="utf-8")
    return Lark(grammar, start=["expression", "program"], parser="lalr", propagate_positions=True)


@dataclass(frozen=True)
class ParsedExpression:
    """A syntactically valid expression: its text, dialect, lark tree and the model names it references.

    Example:
        >>> parse_expression("a * exp(-b) + PI").names
        ('a', 'b')
    """

    text: str
    dialect: Dialect
    tree: Any = field(compare=False, repr=False)  # lark Tree, or a Token for a lone leaf
    names: tuple[str, ...]
    origin: str = "expression"
    placeholders: tuple[str, ...] = ()

    def error(self, message: str, at: Any) -> SourceError:
        """A :class:`SourceError` with the caret at a token or tree of this expression.

        Example:
            >>> p = parse_expression("a + b")
            >>> p.error("here", p.tree.children[2]).column
            5
        """
        pos = at if isinstance(at, Token) else at.meta
        return SourceError(message, text=self.text, line=pos.line or 1, column=pos.column or 1,
                           origin=self.origin)


def _at_offset(text: str, offset: int, message: str, origin: str) -> SourceError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceError(message, text=text, line=line, column=column, origin=origin)


def _syntax_error(exc: UnexpectedInput, text: str, origin: str) -> SourceError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        return _at_offset(text, pos, f"unexpected character {text[pos]!r}", origin)
    expected = set(getattr(exc, "expected", ()) or ())
    token = getattr(exc, "token", None)
    if "NUMBER" in expected:
        want = "; expected a value"
    elif "STAR" in expected:  # LALR lookahead sets are merged: with operators in, say only that
        want = "; expected an operator"
    elif "RPAR" in expected:
        want = "; expected ',' or ')'" if "COMMA" in expected else "; expected ')'"
    else:
        want = "; expected ':'" if "COLON" in expected else ""
    if token is None or token.type == "$END":
        opened = []
        for k, ch in enumerate(text):
            if ch == "(":
                opened.append(k)
            elif ch == ")" and opened:
                opened.pop()
        if opened and "RPAR" in expected:
            return _at_offset(text, opened[-1], "'(' is never closed", origin)
        return _at_offset(text, len(text.rstrip()), f"unexpected end of expression{want}", origin)
    return SourceError(f"unexpected '{token}'{want}", text=text, line=token.line,
                       column=token.column, origin=origin)


def parse_expression(text: str, dialect: Dialect = "hs3", *, origin: str = "expression",
                     placeholders: Sequence[str] = ()) -> ParsedExpression:
    """Parse ``text`` (syntax only; :class:`SourceError` with a caret when malformed).

    ``names`` lists the model objects referenced, in order of first appearance, without function names and
    the dialect's constants; a ROOT placeholder ``@N`` is reported as ``placeholders[N]``.

    Example:
        >>> parse_expression("@1 * x + @0", "root", placeholders=["mu", "sigma"]).names
        ('sigma', 'x', 'mu')
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown expression dialect {dialect!r}; expected one of {DIALECTS}")
    if not text.strip():
        raise SourceError("empty expression", text=text, column=1, origin=origin)
    try:
        tree = _parser().parse(text, start="expression")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, origin) from None
    parsed = ParsedExpression(text, dialect, tree, (), origin, tuple(placeholders))
    names: dict[str, None] = {}
    constants = CONSTANTS[dialect]
    stack: list[Any] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, Tree):
            kids = item.children[1:] if item.data == "expr_call" else item.children
            stack.extend(reversed(kids))
        elif item.type == "NAME" and item not in constants:
            names.setdefault(str(item))
        elif item.type == "PLACEHOLDER":
            names.setdefault(_placeholder(parsed, item))
    return ParsedExpression(text, dialect, tree, tuple(names), origin, tuple(placeholders))


def _placeholder(parsed: ParsedExpression, token: Token) -> str:
    if parsed.dialect != "root":
        raise parsed.error(f"'{token}' placeholders are ROOT syntax, not {parsed.dialect}", token)
    n = int(token[1:])
    if n >= len(parsed.placeholders):
        given = f"only {len(parsed.placeholders)} given" if parsed.placeholders else "none given"
        raise parsed.error(f"placeholder '{token}' has no object ({given})", token)
    return parsed.placeholders[n]


# -------------------------------------------------------------------------------------------- building
class _Build:
    """Post-order walk of the parse tree with an explicit stack; one IR node per tree node."""

    def __init__(self, parsed: ParsedExpression, resolve: Callable[[str], Node]) -> None:
        self.p, self.resolve, self.d = parsed, resolve, parsed.dialect
        self.resolved: dict[str, Node] = {}

    def run(self) -> Node:
        values: list[Node] = []
        stack: list[tuple[Any, list[Any] | None]] = [(self.p.tree, None)]
        while stack:
            item, kids = stack.pop()
            if isinstance(item, Token):
                values.append(self.leaf(item))
            elif kids is None:
                if item.data in _NOT_EXPRESSIONS:
                    raise self.p.error(f"{_NOT_EXPRESSIONS[item.data]} are for library types in firm "
                                       "programs (gaussian(x, mean=m, sigma=s)), not in an expression", item)
                skip = {"expr_call": 1, "expr_juxt": 2}.get(item.data, 0)  # function name; 2 of 2x^y
                kids = [k for k in item.children[skip:] if isinstance(k, Tree) or k.type in _OPERANDS]
                text = next((k for k in item.children if isinstance(k, Token) and k.type == "STRING"), None)
                if text is not None:
                    raise self.p.error("a string is not a value of an expression", text)
                stack.append((item, kids))
                stack.extend((k, None) for k in reversed(kids))
            else:
                args = values[len(values) - len(kids):]
                del values[len(values) - len(kids):]
                values.append(self.node(item, args))
        return values[0]

    def ap(self, at: Any, op: str, *args: Node) -> Node:
        if op not in _LOGICAL:
            args = tuple(map(_number, args))
        try:
            return apply(op, *args)
        except IRError as exc:
            message = str(exc)
            if isinstance(at, Token) and str(at) != op:  # the operator as written, not the op's name ('<', 'lt')
                message = message.replace(f"op '{op}'", f"'{at}'")
            raise self.p.error(message, at) from None

    def check(self, token: Token) -> None:
        advice = _NOT_IN[self.d].get(str(token))
        if advice is not None:
            raise self.p.error(f"'{token}' is not an operator of the {self.d} dialect; {advice}", token)

    def leaf(self, token: Token) -> Node:
        if token.type == "NUMBER":
            if self.d not in ("hs3", "firm") and token.isdigit() and len(token) < 20 and int(token) < 2**63:
                return const(int(token))
            return const(float(token))
        if token.type == "PLACEHOLDER":
            return self.name(_placeholder(self.p, token), token)
        value = CONSTANTS[self.d].get(str(token))
        if value is not None:
            return const(value)
        if "::" in token:
            hint = did_you_mean(token + "()", [f"{f}()" for f in FUNCTIONS[self.d]])
            raise self.p.error(f"'{token}' is not a value{hint}", token)
        return self.name(str(token), token)

    def name(self, name: str, token: Token) -> Node:
        node = self.resolved.get(name)
        if node is None:
            try:
                node = self.resolved[name] = self.resolve(name)
            except LookupError:
                raise self.p.error(f"unknown name '{name}'", token) from None
            except FormatError as exc:
                raise self.p.error(exc.message, token) from None
        return node

    def node(self, tree: Any, args: list[Node]) -> Node:
        kind, ch = tree.data, tree.children
        if kind == "expr_ternary":
            return self.ap(tree, "select", *args)
        if kind == "expr_prefix":
            self.check(ch[0])
            op = {"-": "neg", "−": "neg", "!": "not"}.get(ch[0])
            return self.ap(ch[0], op, args[0]) if op else args[0]
        if kind == "expr_power":
            self.check(ch[1])
            return self.ap(ch[1], "pow", *args)
        if kind == "expr_call":
            return self.call(ch[0], args)
        if kind == "expr_juxt":
            return self.juxt(ch, args)
        ops = ch[1::2]
        for t in ops:
            self.check(t)
        if kind in ("expr_sum", "expr_prod"):
            return self.chain(args, ops)
        if kind in ("expr_or", "expr_and"):
            return reduce(lambda a, k: self.ap(ops[k], kind[5:], a, args[k + 1]), range(len(ops)), args[0])
        out = self.compare(ops[0], args[0], args[1])
        for k in range(1, len(ops)):
            if self.d == "julia":  # a < b <= c means a < b && b <= c
                out = self.ap(ops[k], "and", out, self.compare(ops[k], args[k], args[k + 1]))
            else:  # C: (a < b) < c
                out = self.compare(ops[k], out, args[k + 1])
        return out

    def compare(self, token: Token, a: Node, b: Node) -> Node:
        if token in ("==", "!=") and self.d in ("hs3", "firm"):
            eq = self.ap(token, "approx_eq", a, b)
            return eq if token == "==" else self.ap(token, "not", eq)
        op = _COMPARE.get(str(token)) or ("eq" if token == "==" else "ne")
        return self.ap(token, op, a, b)

    def chain(self, args: list[Node], ops: list[Token]) -> Node:
        """Left-associative + - or * / % ÷ chain; runs of + (or *) become one n-ary add (mul)."""
        plus = "add" if ops[0] in "+-−" else "mul"
        run = [args[0]]
        for t, b in zip(ops, args[1:], strict=True):
            if t in ("+", "*"):
                run.append(b)
                continue
            a = run[0] if len(run) == 1 else self.ap(t, plus, *run)
            run = [self.binary(t, a, b)]
        return run[0] if len(run) == 1 else self.ap(ops[0], plus, *run)

    def binary(self, token: Token, a: Node, b: Node) -> Node:
        if token == "/":
            return self.ap(token, "idiv" if self.d == "root" else "div", a, b)
        if token == "%":
            return self.ap(token, "mod", a, b)
        if token == "÷":
            if a.type.dtype.rank <= DType.INT.rank and b.type.dtype.rank <= DType.INT.rank:
                return self.ap(token, "idiv", a, b)
            return self.ap(token, "trunc", self.ap(token, "div", a, b))
        return self.ap(token, "sub", a, b)

    def call(self, name: Token, args: list[Node]) -> Node:
        table = FUNCTIONS[self.d]
        fn = table.get(str(name))
        if fn is None:
            elsewhere = [d for d in DIALECTS if name in FUNCTIONS[d]]
            hint = f" ({', '.join(elsewhere)} dialect only)" if elsewhere else did_you_mean(name, table)
            raise self.p.error(f"unknown function '{name}'{hint}", name)
        if self.d != "root" and self.p.text[name.end_pos or 0] != "(":
            raise self.p.error(f"no space allowed between '{name}' and '('", name)
        lo, hi, build = fn
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi is not None else f"at least {lo}"
            raise self.p.error(f"'{name}' takes {want} argument{'s' if want != '1' else ''}, "
                               f"got {len(args)}", name)
        try:
            return build(*(args if fn is _SELECT else map(_number, args)))
        except IRError as exc:
            raise self.p.error(str(exc), name) from None

    def juxt(self, ch: list[Any], args: list[Node]) -> Node:
        """Julia's ``2x`` (``2*x``), ``1im`` (a complex literal), ``2x^y`` (``2*x^y``)."""
        number, name = ch[0], ch[1]
        if number.end_pos != name.start_pos:
            raise self.p.error(f"unexpected '{name}'; expected an operator", name)
        if self.d not in ("julia", "firm"):
            raise self.p.error(f"implicit multiplication is Julia syntax; write '{number}*{name}'", name)
        if not args and CONSTANTS[self.d].get(str(name)) == 1j:
            return const(complex(0.0, float(number)))
        factor = self.ap(ch[2], "pow", self.leaf(name), args[0]) if args else self.leaf(name)
        return self.ap(name, "mul", self.leaf(number), factor)


def build_expression(parsed: ParsedExpression, resolve: Callable[[str], Node] = param) -> Node:
    """The IR of a parsed expression; ``resolve`` maps each referenced name to its node (called once a name).

    Raises :class:`SourceError` (with a caret) for what the dialect does not allow, unknown functions, wrong
    argument counts and type errors (a comparison of complex numbers ...).

    Example:
        >>> build_expression(parse_expression("2/3", "root")).op, build_expression(parse_expression("2/3")).op
        ('idiv', 'div')
    """
    return _Build(parsed, resolve).run()


def expression_to_ir(text: str, dialect: Dialect = "hs3", resolve: Callable[[str], Node] = param, *,
                     origin: str = "expression", placeholders: Sequence[str] = ()) -> Node:
    """Parse and build in one step.

    Example:
        >>> from firmc.interp import evaluate
        >>> complex(evaluate([expression_to_ir("1/(2 - 1im)", "julia")], {})[0])
        (0.4+0.2j)
    """
    parsed = parse_expression(text, dialect, origin=origin, placeholders=placeholders)
    return build_expression(parsed, resolve)
