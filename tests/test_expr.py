"""Tests for firmc.frontends.expr: the expression language of HS3, ROOT and Julia model files."""

from __future__ import annotations

import math
import time
from importlib.resources import files
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from firmc.errors import SourceError
from firmc.frontends.expr import (
    CONSTANTS,
    FUNCTIONS,
    ParsedExpression,
    build_expression,
    expression_to_ir,
    parse_expression,
)
from firmc.interp import evaluate
from firmc.ir import Node, apply, const, param
from firmc.ir.types import DType
from firmc.numerics.special import landau_pdf


def ev(text: str, dialect: Any = "hs3", placeholders: tuple[str, ...] = (), **env: float) -> Any:
    """Evaluate ``text`` with parameters ``env`` through the reference interpreter."""
    node = expression_to_ir(text, dialect, placeholders=placeholders)
    return evaluate([node], env)[0].item()


# ------------------------------------------------------------------------------------------------- HS3
HS3_CASES = [
    # literals
    ("1", 1.0), ("1.5", 1.5), ("1.234e2", 123.4), ("1.234E2", 123.4), ("1.234e-2", 0.01234), (".5", 0.5),
    ("1.", 1.0), ("1e999", math.inf), ("TRUE", True), ("FALSE", False),
    ("PI", math.pi), ("EULER", math.e), ("EULER == exp(1)", True),
    # arithmetic; / is float division; ^ (and **) power, right-associative, tighter than unary minus
    ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9.0), ("10 - 4 - 3", 3.0), ("2 * 3 / 4", 1.5), ("8 / 2 / 2", 2.0),
    ("2/3", 2.0 / 3.0), ("-2^2", -4.0), ("(-2)^2", 4.0), ("2^3^2", 512.0), ("(2^3)^2", 64.0),
    ("2^-1", 0.5), ("2**3", 8.0), ("2**3**2", 512.0), ("-x^2", -9.0), ("--x", 3.0), ("+x", 3.0),
    ("x*y - x/y", 4.5), ("x^y", 9.0), ("2*-x", -6.0), ("1 - -1", 2.0),
    # comparisons: == and != to a few ulp, === and !== exact
    ("1 == 1 + 2e-16", True), ("1 === 1 + 2e-16", False), ("1 != 1 + 2e-16", False),
    ("1 !== 1 + 2e-16", True), ("1 == 1 + 1e-15", False), ("1 == 1 + 1e-16", True),
    ("0.1 + 0.2 == 0.3", True),
    ("0.1 + 0.2 === 0.3", False), ("1 < 2", True), ("2 < 2", False), ("2 <= 2", True), ("3 > 2", True),
    ("2 >= 3", False), ("1 + 1 == 2", True), ("1 < 2 == 2 < 3", True),
    # logic: ! binds tightest, && before ||
    ("!0", True), ("!1", False), ("!x", False), ("1 || 0 && 0", True), ("(1 || 0) && 0", False),
    ("0 && 0 || 1", True), ("!0 && 0", False), ("!(0 && 0)", True), ("x > 2 && x < 4", True),
    # ternary: numeric condition, right-associative, lowest precedence
    ("TRUE ? 1 : 2", 1.0), ("FALSE ? 1 : 2", 2.0), ("0 ? 1 : 2", 2.0), ("0.5 ? 1 : 2", 1.0),
    ("1 ? 2 : 0 ? 3 : 4", 2.0), ("0 ? 2 : 0 ? 3 : 4", 4.0), ("x > 0 ? x : -x", 3.0), ("1 ? 1 + 1 : 3", 2.0),
    ("0 || 0 ? 5 : 6", 6.0), ("ifelse(x < 0, 1, 2)", 2.0),
    # functions of the standard
    ("exp(1)", math.e), ("log(EULER)", 1.0), ("sqrt(16)", 4.0), ("abs(-3)", 3.0), ("pow(2, 10)", 1024.0),
    ("min(3, 2)", 2.0), ("max(3, 2)", 3.0), ("max(1, 5, 3)", 5.0), ("sin(PI / 2)", 1.0), ("cos(0)", 1.0),
    ("tan(PI / 4)", math.tan(math.pi / 4)), ("asin(1)", math.pi / 2), ("acos(-1)", math.pi),
    ("atan(1)", math.pi / 4),
    # non-standard extras
    ("erf(0.5)", math.erf(0.5)), ("erfc(0.5)", math.erfc(0.5)), ("sinh(1)", math.sinh(1.0)),
    ("cosh(1)", math.cosh(1.0)), ("tanh(1)", math.tanh(1.0)), ("log10(1000)", 3.0),
    ("atan2(1, -1)", 0.75 * math.pi),
]


@pytest.mark.parametrize(("text", "want"), HS3_CASES)
def test_hs3_values(text: str, want: float) -> None:
    got = ev(text, x=3.0, y=2.0)
    if isinstance(want, bool):
        assert got is want
    else:
        assert got == pytest.approx(want, rel=1e-15, abs=1e-300)


def test_hs3_literals_are_real_and_tree_types() -> None:
    assert expression_to_ir("1 + 2").type.dtype is DType.REAL
    assert expression_to_ir("2 / 3").op == "div"
    assert expression_to_ir("a == b").op == "approx_eq"
    assert expression_to_ir("a === b").op == "eq"
    assert expression_to_ir("a != b").op == "not"
    assert expression_to_ir("c ? a : b").op == "select"
    chain = expression_to_ir("a + b + c - d + e")
    assert chain.op == "add" and chain.args[0].op == "sub" and len(chain.args[0].args[0].args) == 3


# ------------------------------------------------------------------------------------------------ ROOT
ROOT_CASES = [
    ("2/3", 0), ("2/3.", 2.0 / 3.0), ("2./3", 2.0 / 3.0), ("-7/2", -3), ("7/-2", -3), ("7 % 3", 1),
    ("3*2", 6), ("a**b", 8.0), ("a^b", 8.0), ("pow(a, b)", 8.0), ("TMath::Pi()", math.pi),
    ("TMath::E()", math.e),
    ("TMath::TwoPi()", 2 * math.pi), ("TMath::Exp(1)", math.e), ("TMath::Power(a, 3)", 8.0),
    ("TMath::Sqrt(16)", 4.0), ("TMath::ATan2(1, 1)", math.pi / 4), ("TMath::Min(a, b)", 2.0),
    ("TMath::Max(a, b)", 3.0), ("TMath::Erf(0.5)", math.erf(0.5)), ("TMath::ASin(1)", math.pi / 2),
    ("TMath::SinH(1)", math.sinh(1.0)), ("TMath::Log10(100)", 2.0), ("TMath::Floor(-2.5)", -3.0),
    ("TMath::Ceil(2.1)", 3.0), ("TMath::Sq(a)", 4.0), ("TMath::Hypot(3, 4)", 5.0),
    ("TMath::Sign(2, -1)", -2.0),
    ("TMath::Gaus(1, 0, 2)", math.exp(-1 / 8)),
    ("TMath::Gaus(1, 0, 2, 1)", math.exp(-1 / 8) / (2 * math.sqrt(2 * math.pi))),
    ("TMath::BreitWigner(1, 1, 2)", 1 / math.pi), ("fabs(-2)", 2.0), ("abs(-2)", 2.0),
    ("atan2(0, -1)", math.pi),
    ("(x>0)*x", 0.5), ("(x<0)*x", 0.0), ("x > 0 ? x : -x", 0.5), ("1 == 1 + 2e-16", False), ("a != b", True),
    ("a > 1 && b > 1 || 0", True), ("!(a > 1)", False), ("true && !false", True), ("1.234e2", 123.4),
    ("a+b*x", 3.5), ("exp(-x*x/2)", math.exp(-0.125)), ("3 < 2 < 1", True),
]


@pytest.mark.parametrize(("text", "want"), ROOT_CASES)
def test_root_values(text: str, want: float) -> None:
    got = ev(text, "root", a=2.0, b=3.0, x=0.5)
    dtype = {bool: DType.BOOL, int: DType.INT, float: DType.REAL}[type(want)]
    assert expression_to_ir(text, "root").type.dtype is dtype
    assert got == pytest.approx(want, rel=1e-15)


def test_root_integer_semantics_and_placeholders() -> None:
    assert expression_to_ir("2/3", "root").type.dtype is DType.INT
    assert expression_to_ir("3*2 + 1", "root").type.dtype is DType.INT
    assert expression_to_ir("2/3", "root").op == "idiv"
    assert ev("@0*@1", "root", placeholders=("mu", "sigma"), mu=2.0, sigma=3.0) == 6.0
    assert parse_expression("@1 + pi*@0", "root", placeholders=["m", "s"]).names == ("s", "pi", "m")
    assert ev("pi", "root", pi=3.0) == 3.0  # not special in ROOT (RooFit looks it up as an object)
    assert ev("1 == 1", "root") is True and expression_to_ir("a == b", "root").op == "eq"


@pytest.mark.parametrize(("x", "mpv", "sigma"), [(1.0, 0.0, 1.0), (3.0, 1.0, 2.0), (-1.0, 0.5, 0.7)])
def test_root_landau(x: float, mpv: float, sigma: float) -> None:
    want = float(landau_pdf((x - mpv) / sigma))
    assert ev("TMath::Landau(x, m, s)", "root", x=x, m=mpv, s=sigma) == pytest.approx(want, rel=1e-14)
    normed = ev("TMath::Landau(x, m, s, 1)", "root", x=x, m=mpv, s=sigma)
    assert normed == pytest.approx(want / sigma, rel=1e-14)
    assert ev("TMath::Landau(x)", "root", x=x) == pytest.approx(float(landau_pdf(x)), rel=1e-14)


def test_tmath_constants_complete() -> None:
    for name in ("Pi", "E", "TwoPi", "PiOver2", "PiOver4", "InvPi", "Sqrt2", "Ln10", "LogE", "EulerGamma"):
        assert f"TMath::{name}" in FUNCTIONS["root"]
    assert ev("TMath::EulerGamma()", "root") == pytest.approx(0.5772156649015329, rel=1e-15)
    assert ev("TMath::LogE() * TMath::Ln10()", "root") == pytest.approx(1.0, rel=1e-15)


# ----------------------------------------------------------------------------------------------- Julia
# generic_function K700_BuggBW of RUB-EP1/amplitude-serialization models/lc2ppik-lhcb-2683025.json
BUGG = ("1/(0.824^2 - σ - i * 0.824 * (σ - 0.23397706275638377) / (0.824^2 - 0.23397706275638377) * 0.478 "
        "* exp(-0.941060 * σ))")
SQRT_BW = "sqrt(sqrt(m_12_sq)) / (1.69^2 - m_12_sq - 1im * 1.69 * 0.19)"


@pytest.mark.parametrize("s", [0.3, 0.8, 1.4, 2.5])
def test_julia_bugg_lineshape(s: float) -> None:
    parsed = parse_expression(BUGG, "julia")
    assert parsed.names == ("σ",)
    got = complex(evaluate([build_expression(parsed)], {"σ": s})[0])
    c = 0.23397706275638377
    want = 1 / (0.824**2 - s - 1j * 0.824 * (s - c) / (0.824**2 - c) * 0.478 * np.exp(-0.941060 * s))
    assert got == pytest.approx(complex(want), rel=1e-14)


@pytest.mark.parametrize("m2", [0.5, 3.2])
def test_julia_sqrt_breit_wigner(m2: float) -> None:
    node = expression_to_ir(SQRT_BW, "julia")
    assert node.type.dtype is DType.COMPLEX
    assert parse_expression(SQRT_BW, "julia").names == ("m_12_sq",)
    want = np.sqrt(np.sqrt(m2)) / (1.69**2 - m2 - 1j * 1.69 * 0.19)
    assert complex(evaluate([node], {"m_12_sq": m2})[0]) == pytest.approx(complex(want), rel=1e-14)


JULIA_CASES = [
    ("1im", 1j), ("2.5im", 2.5j), ("2i", 2j), ("i*i", -1 + 0j), ("im^2", -1 + 0j), ("1im^2", -1 + 0j),
    ("(1 + 2im) * (3 - 1im)", (1 + 2j) * (3 - 1j)), ("2x", 6.0), ("2x^2", 18.0), ("2^3x", 2.0**9),
    ("-2x", -6.0),
    ("3x + 2σ", 13.0), ("5 % 3", 2), ("-5 % 3", -2), ("5.5 % 2", 1.5), ("7 ÷ 2", 3), ("-7 ÷ 2", -3),
    ("7.5 ÷ 2", 3.0), ("1/2", 0.5), ("2^-1", 0.5), ("abs2(3 + 4im)", 25.0), ("abs(3 + 4im)", 5.0),
    ("angle(1im)", math.pi / 2), ("real(2 + 3im)", 2.0), ("imag(2 + 3im)", 3.0), ("conj(1 + 2im)", 1 - 2j),
    ("sign(-2)", -1.0), ("round(2.5)", 2.0), ("round(3.5)", 4.0), ("trunc(-2.7)", -2.0),
    ("floor(-2.5)", -3.0),
    ("ceil(2.1)", 3.0), ("asinh(1)", math.asinh(1.0)), ("acosh(2)", math.acosh(2.0)),
    ("atanh(0.5)", math.atanh(0.5)), ("log10(100)", 2.0), ("atan(1, -1)", 0.75 * math.pi), ("log(2, 8)", 3.0),
    ("exp(1im * π)", -1 + 1.2246467991473532e-16j), ("pi", math.pi), ("ℯ", math.e), ("sqrt(-4 + 0im)", 2j),
    ("1 < 2 <= 2", True), ("3 > 2 > 1", True), ("1 == 1.0", True), ("1 == 1 + 2e-16", False),
    ("x > 0 ? 1 : 2", 1), ("true && !false", True), ("2 − 1", 1), ("x^2 − x", 6.0), ("pow(2, 3)", 8.0),
]


@pytest.mark.parametrize(("text", "want"), JULIA_CASES)
def test_julia_values(text: str, want: Any) -> None:
    got = ev(text, "julia", x=3.0, σ=2.0)
    if isinstance(want, bool):
        assert got is want
    else:
        assert got == pytest.approx(want, rel=1e-15, abs=1e-15)


# ----------------------------------------------------------------------------------------------- names
@pytest.mark.parametrize(("text", "dialect", "names"), [
    ("a * exp(-b) + PI + a", "hs3", ("a", "b")),
    ("TRUE ? mu : EULER", "hs3", ("mu",)),
    ("sin(x) + exp * 2", "hs3", ("x", "exp")),
    ("PI + pi", "root", ("PI", "pi")),
    ("TMath::Pi() * x + y", "root", ("x", "y")),
    ("2σ + i*x + im + π", "julia", ("σ", "x")),
    ("i", "hs3", ("i",)),
    ("c ? b : a", "hs3", ("c", "b", "a")),
    ("1", "hs3", ()),
])
def test_names(text: str, dialect: Any, names: tuple[str, ...]) -> None:
    parsed = parse_expression(text, dialect)
    assert isinstance(parsed, ParsedExpression)
    assert parsed.names == names and parsed.text == text and parsed.dialect == dialect


def test_resolve_called_once_per_name_and_used() -> None:
    calls: list[str] = []

    def resolve(name: str) -> Node:
        calls.append(name)
        return const(2.0) if name == "two" else param(name)

    node = expression_to_ir("two * a + a / two", resolve=resolve)
    assert calls == ["two", "a"]
    assert evaluate([node], {"a": 3.0})[0] == 7.5


def test_dialect_constants_table() -> None:
    assert CONSTANTS["hs3"]["EULER"] == math.e  # HS3: "Euler's number", not the Euler-Mascheroni constant
    assert "pi" not in CONSTANTS["root"]


# ---------------------------------------------------------------------------------------------- errors
ERRORS = [
    # (text, dialect, line, column, message fragment)
    ("", "hs3", 1, 1, "empty expression"),
    ("   ", "hs3", 1, 1, "empty expression"),
    ("a + ", "hs3", 1, 4, "unexpected end of expression; expected a value"),
    ("(a + b", "hs3", 1, 1, "'(' is never closed"),
    ("((a)", "hs3", 1, 1, "'(' is never closed"),
    ("a + b)", "hs3", 1, 6, "unexpected ')'"),
    ("a * * b", "hs3", 1, 5, "unexpected '*'; expected a value"),
    ("a b", "hs3", 1, 3, "unexpected 'b'; expected an operator"),
    ("2 $ 3", "hs3", 1, 3, "unexpected character '$'"),
    ("__import__('os')", "hs3", 1, 12, "unexpected character"),
    ("1 ? 2", "hs3", 1, 6, "expected ':'"),
    ("f(a,)", "hs3", 1, 5, "unexpected ')'"),
    ("a +\n  * b", "hs3", 2, 3, "unexpected '*'"),
    ("exq(1)", "hs3", 1, 1, "unknown function 'exq'; did you mean 'exp'?"),
    ("x + TMath::Exp(1)", "hs3", 1, 5, "unknown function 'TMath::Exp' (root dialect only)"),
    ("pow(1)", "hs3", 1, 1, "'pow' takes 2 arguments, got 1"),
    ("a + sqrt(1, 2)", "hs3", 1, 5, "'sqrt' takes 1 argument, got 2"),
    ("exp (1)", "hs3", 1, 1, "no space allowed"),
    ("a % b", "hs3", 1, 3, "'%' is not an operator of the hs3 dialect"),
    ("x + @0", "hs3", 1, 5, "placeholders are ROOT syntax"),
    ("2x", "hs3", 1, 2, "implicit multiplication is Julia syntax; write '2*x'"),
    ("1 === 2", "root", 1, 3, "'===' is not an operator of the root dialect"),
    ("y * @2", "root", 1, 5, "placeholder '@2' has no object (only 1 given)"),
    ("TMath::Pi + 1", "root", 1, 1, "'TMath::Pi' is not a value; did you mean 'TMath::Pi()'?"),
    ("TMath::Landau()", "root", 1, 1, "takes 1 to 4 arguments, got 0"),
    ("2 ** x", "julia", 1, 3, "'**' is not an operator of the julia dialect"),
    ("2 x", "julia", 1, 3, "unexpected 'x'; expected an operator"),
    ("1 + (1im < 2)", "julia", 1, 10, "'<' is defined for real arguments only"),
    ("erf(1)", "julia", 1, 1, "unknown function 'erf'"),
]


@pytest.mark.parametrize(("text", "dialect", "line", "column", "fragment"), ERRORS)
def test_error_caret(text: str, dialect: Any, line: int, column: int, fragment: str) -> None:
    with pytest.raises(SourceError) as info:
        expression_to_ir(text, dialect, origin="f.json", placeholders=("p",))
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert fragment in err.message
    lines = str(err).split("\n")
    assert lines[0].startswith(f"f.json:{line}:{column}: ")
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_error_rendering_and_placeholder_without_list() -> None:
    with pytest.raises(SourceError) as info:
        parse_expression("a + b)")
    assert str(info.value) == "expression:1:6: unexpected ')'\n  a + b)\n       ^"
    with pytest.raises(SourceError, match=r"'@0' has no object \(none given\)"):
        parse_expression("@0", "root")


def test_unknown_name_from_resolve() -> None:
    known = {"a": param("a")}
    with pytest.raises(SourceError) as info:
        expression_to_ir("a + b", resolve=lambda n: known[n])
    assert info.value.column == 5 and "unknown name 'b'" in info.value.message


def test_bad_dialect() -> None:
    with pytest.raises(ValueError, match="dialect"):
        parse_expression("1", "python")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------- size and depth
def test_grammar_ships_in_package() -> None:
    text = (files("firmc") / "grammar" / "firm.lark").read_text(encoding="utf-8")
    assert "?expression:" in text


def test_sum_of_100000_terms() -> None:
    n = 100_000
    start = time.perf_counter()
    parsed = parse_expression(" + ".join(f"a{k}" for k in range(n)))
    node = build_expression(parsed)
    assert node.op == "add" and len(node.args) == n and len(parsed.names) == n
    value = evaluate([node], {f"a{k}": float(k) for k in range(n)})[0]
    assert float(value) == n * (n - 1) / 2
    again = ParsedExpression(parsed.text, "hs3", None, parsed.names)  # the tree is not compared or hashed
    assert hash(again) == hash(parsed) and again == parsed
    assert time.perf_counter() - start < 15.0


@pytest.mark.parametrize(("template", "want"), [
    ("-({})", 2.0), ("({})", 2.0), ("!{}", True), ("-{}", 2.0), ("abs({})", 2.0), ("1 ? {} : 0", 2.0),
])
def test_10000_deep_nesting(template: str, want: Any) -> None:
    depth = 10_000
    text = "x"
    start = time.perf_counter()
    for _ in range(depth):
        text = template.format(text)
    node = expression_to_ir(text)
    assert evaluate([node], {"x": 2.0})[0].item() == want
    assert time.perf_counter() - start < 10.0


def test_10000_deep_power_chain() -> None:
    node = expression_to_ir("1^" * 10_000 + "2")
    assert evaluate([node], {})[0] == 1.0


# ------------------------------------------------------------------------------------- property: hs3
Expr = tuple[str, int, float]  # text, precedence of its top operator, value
PREC = {"+": 1, "-": 1, "*": 2, "/": 2}  # unary minus 3, power 4, atoms 5
ENV = {"a": 1.75, "b": -0.5, "c": 3.0}


def _leaf(v: float | str) -> Expr:
    if isinstance(v, str):
        return v, 5, ENV[v]
    return repr(v), (3 if v < 0 else 5), v


def _paren(e: Expr, need: bool) -> str:
    return f"({e[0]})" if need else e[0]


@np.errstate(all="ignore")
def _binary(op: str, left: Expr, right: Expr) -> Expr:
    if op == "^":
        value = float(np.power(left[2], right[2]))
        return f"{_paren(left, left[1] <= 4)}^{_paren(right, right[1] < 3)}", 4, value
    p = PREC[op]
    a, b = np.float64(left[2]), np.float64(right[2])
    value = float({"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op])
    return f"{_paren(left, left[1] < p)} {op} {_paren(right, right[1] <= p)}", p, value


@np.errstate(all="ignore")
def _unary(fn: str, arg: Expr) -> Expr:
    if fn == "-":
        return f"-{_paren(arg, arg[1] < 3)}", 3, -arg[2]
    ufunc = {"exp": np.exp, "sin": np.sin, "cos": np.cos, "sqrt": np.sqrt, "abs": np.abs}[fn]
    return f"{fn}({arg[0]})", 5, float(ufunc(np.float64(arg[2])))


LEAVES = st.one_of(st.sampled_from(sorted(ENV)),
                   st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 3) + 0.0),
                   st.integers(0, 9).map(float)).map(_leaf)
EXPRS = st.recursive(LEAVES, lambda sub: st.one_of(
    st.tuples(st.sampled_from(["+", "-", "*", "/"]), sub, sub).map(lambda t: _binary(*t)),
    st.tuples(sub, st.sampled_from([-2.0, -1.0, 0.5, 2.0, 3.0]).map(_leaf)).map(lambda t: _binary("^", *t)),
    st.tuples(st.sampled_from(["-", "exp", "sin", "cos", "sqrt", "abs"]), sub).map(lambda t: _unary(*t)),
), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(EXPRS)
def test_property_hs3_round_trip(expr: Expr) -> None:
    text, _, want = expr
    assume(math.isfinite(want))
    got = float(evaluate([expression_to_ir(text)], ENV)[0])
    assert got == pytest.approx(want, rel=1e-12, abs=1e-300), text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/"]), st.integers(1, 9)), min_size=1, max_size=30))
def test_property_root_integer_chain(terms: list[tuple[str, int]]) -> None:
    """ROOT: int literals with + - * / follow C++ (products first, left to right, / truncates toward 0)."""
    text = "7" + "".join(f" {op} {k}" for op, k in terms)
    sums = [7]
    for op, k in terms:
        if op in "+-":
            sums.append(k if op == "+" else -k)
        elif op == "*":
            sums[-1] *= k
        else:
            sums[-1] = abs(sums[-1]) // k * (1 if sums[-1] >= 0 else -1)
        assume(abs(sums[-1]) < 2**62)
    node = expression_to_ir(text, "root")
    assert node.type.dtype is DType.INT
    assert evaluate([node], {})[0].item() == sum(sums), text


def test_apply_matches_parsed() -> None:
    a, b = param("a"), param("b")
    assert expression_to_ir("a * b + a") is apply("add", apply("mul", a, b), a)
    assert expression_to_ir("-a^2") is apply("neg", apply("pow", a, const(2.0)))
