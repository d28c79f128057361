"""Errors in firm programs: what the user is told, and where the caret points (line and column, 1-based).

One table of malformed programs (syntax, names, arguments, types, declarations, domains, checks, expressions and
errors of the HS3 front-end mapped back to the program), the data-file cases that need files, and a check that
every example of ``parse._MISTAKES`` fails to parse and gets its own label. A case marked xfail states what the
message or the caret should be and is not yet (none at present).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmc.errors import SourceError
from firmc.frontends.dsl import load_firm, parse_program
from firmc.frontends.dsl.parse import _MISTAKES

# three declarations: the statement of a case that uses H is on line 4, one that uses G on line 5
H = "observable x in [0, 10]\nparameter mu = 5 in [0, 10]\nparameter width = 0.5 in [0.1, 2]\n"
G = H + "distribution g = gaussian(x, mean=mu, sigma=width)\n"
AB = H + "distribution a = gaussian(x, mean=mu, sigma=width)\ndistribution b = exponential(x, c=-1)\n"

STATEMENT = ("a statement starts with a keyword: observable, parameter, const parameter, distribution, function, "
             "data, likelihood, check or hs3")
CONST = "'const' goes before 'parameter': 'const parameter n = 3'"
NEEDS_VALUE = "a parameter needs a value, e.g. 'parameter mu = 0.5 in [0, 1]'"
DOMAIN_FORM = "a domain is two numbers: 'in [lo, hi]'"
IN_DOMAIN = "expected 'in' before the domain: 'in [lo, hi]'"

Expected = str | re.Pattern[str]  # a substring of the message, or a pattern it contains


def case(name: str, program: str, message: Expected, line: int, column: int, xfail: str = "") -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(program, message, line, column, id=name, marks=marks)


CASES = [
    # ------------------------------------------------------------------------------------------------ syntax
    case("unclosed-domain", "observable x in [0, 10", "'[' was never closed", 1, 17),
    case("unclosed-call", H + "distribution g = gaussian(x, mean=mu, sigma=width", "'(' was never closed", 4, 26),
    case("unclosed-before-next-statement", H + "function f = sqrt(mu\nparameter a = 1",
         "'(' was never closed", 4, 18),
    case("unclosed-record", "hs3 misc = {a = 1", "'{' was never closed", 1, 12),
    case("unmatched-close", "observable x in [0, 10]]", "unmatched ']'", 1, 24),
    case("unmatched-paren", H + "function f = 2 * (x + 1))", "unmatched ')'", 4, 25),
    case("mismatched-close", H + "distribution g = gaussian(x, [mu, width)",
         "')' does not match the '[' at line 4, column 30", 4, 40),
    case("missing-equals-object", H + "distribution g gaussian(x, mean=mu, sigma=width)",
         "expected '=' and a value after the name", 4, 16),
    case("missing-equals-parameter", "parameter mu 5 in [0, 10]", NEEDS_VALUE, 1, 14),
    case("argument-list", H + "function f(x) = x^2", "a declaration has no argument list", 4, 11),
    case("stray-character", "observable x in [0, 10] $", "unexpected character '$'", 1, 25),
    case("stray-character-in-expression", H + "function f = mu ; 2", "unexpected character ';'", 4, 17),
    case("single-quotes", H + "data d = csv('events.csv', x)",
         "unexpected character \"'\"; strings are written in double quotes", 4, 14),
    case("unterminated-string", H + 'data d = csv("events.csv, x)', "unterminated string", 4, 14),
    case("statement-without-keyword", "x = 1", STATEMENT, 1, 1),
    case("statement-without-keyword-later", H + "mu = 3", STATEMENT, 4, 1),
    case("statement-without-keyword-after-number", H + "parameter a = 1\ny = 2", STATEMENT, 5, 1),
    case("misspelt-keyword", "parmeter a = 1", STATEMENT + "; did you mean 'parameter'?", 1, 1),
    case("const-after-parameter", "parameter const n = 3", CONST, 1, 11),
    case("const-observable", "const observable x in [0, 1]", CONST, 1, 1),
    case("const-without-parameter", H + "const n = 3", CONST, 4, 1),
    case("missing-parameter-value", "parameter mu in [0, 10]", NEEDS_VALUE, 1, 14),
    case("missing-parameter-value-then-statement", "const parameter n\nobservable x in [0, 1]", NEEDS_VALUE, 1, 18),
    case("missing-value-after-equals", "parameter a =\nobservable x in [0, 1]", "a value is missing after '='", 1, 13),
    case("missing-name", "observable in [0, 1]", "expected a name after the keyword", 1, 12),
    case("missing-name-parameter", "parameter = 3", "expected a name after the keyword", 1, 11),
    case("domain-parentheses", "observable x in (0, 10)", DOMAIN_FORM, 1, 17),
    case("domain-one-bound", "observable x in [0]", DOMAIN_FORM, 1, 19),
    case("domain-three-bounds", "observable x in [0, 10, 20]", DOMAIN_FORM, 1, 23),
    case("domain-without-in", "observable x [0, 10]", IN_DOMAIN, 1, 14),
    case("domain-without-in-after-value", "parameter mu = 5 [0, 10]", IN_DOMAIN, 1, 18),
    case("domain-missing-comma", "parameter mu = 1 in [0 1]", "unexpected '1'; expected ',' or ']'", 1, 24),
    case("trailing-operator-at-end", "parameter mu = 5 +", "a value is missing after '+'", 1, 18),
    case("trailing-operator-then-statement", H + "function f = mu *\nobservable y in [0, 1]",
         "a value is missing after '*'", 4, 17),
    case("trailing-power", H + "function f = x ^", "a value is missing after '^'", 4, 16),
    case("two-operators", H + "function f = mu +* 2", "unexpected '*'; expected a value", 4, 18),
    case("missing-operator", H + "function f = mu width", "unexpected 'width'; expected an operator", 4, 17),
    case("missing-comma-in-call", H + "distribution g = gaussian(x, mean=mu sigma=width)",
         "unexpected 'sigma'; expected ',' or ')'", 4, 38),
    case("list-in-expression-syntax", H + "function f = mu + [1, 2]", "unexpected '['; expected a value", 4, 19),
    case("check-single-equals", G + "check g(x=1, mu=5, width=0.5) = 0.1", "a check compares with '=='", 5, 31),
    case("check-alone", H + "check", "a check needs an entry, its point and the expected value", 4, 1),
    case("check-rtol-without-value", G + "check g(x=1, mu=5, width=0.5) == 0.1 rtol",
         "a value is missing after 'rtol'", 5, 38),
    # ------------------------------------------------------------------------------------- declarations, domains
    case("missing-domain", "observable x", "missing domain: observable 'x' needs its range", 1, 12),
    case("duplicate-parameter", H + "parameter mu = 3", "'mu' is declared twice (first at line 2)", 4, 11),
    case("duplicate-across-kinds", H + "function f = mu + 1\ndata f = unbinned(x=1)",
         "'f' is declared twice (first at line 4)", 5, 6),
    case("duplicate-hs3-key", "hs3 misc = 1\nhs3 misc = 2", "'hs3 misc' is given twice", 2, 5),
    case("value-outside-domain", H + "parameter a = 20 in [0, 10]",
         "the value 20 of 'a' is outside its domain [0, 10]", 4, 15),
    case("empty-domain", "observable y in [3, 3]", "the domain of 'y' is empty: 3 is not below 3", 1, 14),
    case("reversed-domain", H + "parameter a = 1 in [5, 2]", "the domain of 'a' is empty: 5 is not below 2", 4, 17),
    case("name-as-parameter-value", H + "parameter a = mu in [0, 1]",
         "expected a number for the value of 'a', not the name 'mu'", 4, 15),
    case("name-as-bound", H + "observable y in [a, 1]", "expected a number for a bound, not the name 'a'", 4, 18),
    case("complex-parameter-value", H + "parameter a = 1im", re.compile(r"complex"), 4, 15),
    # -------------------------------------------------------------------------------------------------- names
    case("undefined-in-expression", H + "function f = mu * widht + 1",
         "undefined name 'widht'; did you mean 'width'?", 4, 19),
    case("undefined-in-library-field", H + "distribution g = gaussian(x, mean=muu, sigma=width)",
         "undefined name 'muu'; did you mean 'mu'?", 4, 35),
    case("undefined-observable", H + "distribution g = gaussian(y, mean=mu, sigma=width)", "undefined name 'y'", 4, 27),
    case("undefined-in-likelihood", G + "likelihood L = nll(gg, events)",
         "undefined name 'gg'; did you mean 'g'?", 5, 20),
    case("undefined-check-entry", G + "check gg(x=1, mu=5, width=0.5) == 0.1",
         re.compile(r"^undefined name 'gg'[^?]*; did you mean 'g'\?$"), 5, 7),
    case("undefined-check-point", G + "check g(x=1, muu=5) == 0.5", "undefined name 'muu'; did you mean 'mu'?", 5, 14),
    case("unknown-data-source", H + 'data d = cvs("a.csv", x)', "unknown data source 'cvs'; did you mean 'csv'?",
         4, 10),
    case("unknown-library-type", H + "distribution g = gausian(x, mean=mu, sigma=width)",
         "did you mean 'gaussian'?", 4, 18),
    # ---------------------------------------------------------------------------------------------- arguments
    case("too-many-positional", H + "distribution g = gaussian(x, mu, width, 3)",
         "wrong number of arguments: 'gaussian' takes at most 3 (x, mean, sigma), got 4", 4, 41),
    case("missing-required", H + "distribution g = gaussian(x, mean=mu)",
         "wrong number of arguments: 'gaussian' needs 'sigma'", 4, 18),
    case("unknown-keyword", H + "distribution g = gaussian(x, mean=mu, sigmaa=width)",
         "'gaussian' has no argument 'sigmaa'; did you mean 'sigma'?", 4, 39),
    case("keyword-twice", H + "distribution g = gaussian(x, mean=mu, mean=width, sigma=1)",
         "'mean' is given twice", 4, 39),
    case("positional-and-keyword", H + "distribution g = gaussian(x, mu, mean=width, sigma=1)",
         "'mean' is given twice", 4, 34),
    case("nll-one-argument", G + "likelihood L = nll(g)",
         "wrong number of arguments: nll takes distributions and data, got 1", 5, 16),
    case("distribution-declared-as-function", H + "function g = gaussian(x, mean=mu, sigma=width)",
         "'gaussian' is a distribution: declare it with 'distribution g = ...'", 4, 14),
    case("string-for-real-field", H + 'distribution g = gaussian(x, mean="a", sigma=width)',
         "expected a name or a number for 'mean'", 4, 35),
    # -------------------------------------------------------------------------------------------------- types
    case("complex-distribution", H + "distribution g = (1 + 2im) / (mu - x)",
         "type mismatch: the distribution 'g' is complex-valued", 4, 18),
    case("complex-function-to-real-field", H + "function amp = (1 + 2im) / (mu^2 - x)\n"
         "distribution g = gaussian(x, mean=amp, sigma=width)",
         "type mismatch: 'amp' is complex-valued; gaussian_dist's 'mean' is real", 5, 35),
    case("complex-expression-to-real-field", H + "function amp = (1 + 2im) / (mu^2 - x)\n"
         "distribution g = gaussian(x, mean=amp + 1, sigma=width)",
         "type mismatch: gaussian_dist's 'mean' is real; this expression is complex", 5, 35),
    case("distribution-as-value", G + "function f = g * 2",
         "type mismatch: 'g' is a distribution; expected an observable or a parameter or a function", 5, 14),
    case("distribution-called", G + "function h = g(x)", "'g' is a distribution", 5, 14),
    case("parameter-as-data", G + "likelihood L = nll(g, mu)",
         re.compile(r"type mismatch: 'mu' is a parameter; expected (data|a data set)\b"), 5, 23),
    case("complex-comparison", H + "function f = mu < 1im", "'<'", 4, 17),
    # ------------------------------------------------------------------------------------------------- checks
    case("check-not-equality", G + "check g(x=1, mu=5, width=0.5) > 0.5", "== value", 5, 31),
    case("check-point-positional", G + "check g(1, mu=5) == 0.5", "give the point by name", 5, 9),
    case("check-point-not-a-variable", G + "check g(x=1, g=1) == 1", "'g' is a distribution", 5, 14),
    case("check-unknown-entry", G + "check L(x=1) == 1", "undefined name 'L'", 5, 7),
    case("check-expected-value-name", G + "check g(x=1, mu=5, width=0.5) == g",
         re.compile(r"expected a number\b.*not the name 'g'"), 5, 34),
    case("check-rtol-name", G + "check g(x=1, mu=5) == 0.5 rtol mu", "expected a tolerance, not the name 'mu'", 5, 32),
    # -------------------------------------------------------------------------------------------- expressions
    case("keyword-in-expression", H + "function f = mu + max(x, y=2)",
         "keyword arguments are for library types in firm programs", 4, 26),
    case("list-in-expression", H + "function f = mu + exp([1, 2])", "lists are for library types in firm programs",
         4, 23),
    case("string-in-expression", H + 'function f = mu + exp("a")', "a string is not a value of an expression", 4, 23),
    case("unknown-function", H + "function f = mu + sqrtt(x)", "unknown function 'sqrtt'; did you mean 'sqrt'?", 4, 19),
    case("function-arity", H + "function f = mu + exp(x, 2)", "'exp' takes 1 argument, got 2", 4, 19),
    case("root-placeholder", H + "function f = @0 + x", "'@0' placeholders are ROOT syntax, not firm", 4, 14),
    # ----------------------------------------------------------------- the HS3 front-end, mapped to the program
    case("mixture-coefficients", AB + "distribution m = mixture([a, b], [0.2, 0.3, 0.5])",
         "3 coefficients for 2 summands", 6, 34),
    case("mixture-coefficients-keyword", AB + "distribution m = mixture(summands=[a, b], coefficients=[0.2, 0.3, 0.5])",
         "3 coefficients for 2 summands", 6, 56),
    case("power-sum-exponents", H + "distribution g = power_sum(x, [1, 2], [1])",
         "1 exponents for 2 coefficients", 4, 39),
    case("covariance-not-positive", H + "distribution g = multivariate_normal([x], [mu], [[-1]])",
         "covariance matrix is not positive definite", 4, 49),
    case("crystalball-alpha-and-alpha-l",
         H + "distribution g = crystalball(x, m0=mu, sigma=width, alpha=1, n=2, alpha_L=1.5)",
         re.compile(r"alpha_L.*must not be used together with 'alpha'"), 4, 75),
]


def _matches(message: str, expected: Expected) -> bool:
    return bool(expected.search(message)) if isinstance(expected, re.Pattern) else expected in message


def _error(program: str, base: Path | None = None) -> SourceError:
    with pytest.raises(SourceError) as info:
        load_firm(program, base=base)
    return info.value


@pytest.mark.parametrize(("program", "message", "line", "column"), CASES)
def test_error(program: str, message: Expected, line: int, column: int) -> None:
    err = _error(program)
    assert _matches(err.message, message), err.message
    assert (err.line, err.column) == (line, column), str(err)


def test_case_names_are_distinct() -> None:
    names = [p.id for p in CASES]
    assert len(names) == len(set(names)) >= 40


# ------------------------------------------------------------------------------------------------ data files
EVENTS = "x,w\n1,1\n2,0.5\n"

DATA_CASES = [
    case("missing-column", H + 'observable y in [0, 1]\ndata d = csv("events.csv", x, y)',
         "'events.csv': no column 'y' in the header ['x', 'w']", 5, 31),
    case("missing-weights-column", H + 'data d = csv("events.csv", x, weights=ww)',
         "'events.csv': no column 'ww' in the header ['x', 'w']", 4, 39),
    case("non-numeric-row", H + 'data d = csv("bad.csv", x)', "'bad.csv': line 3 is not a row of numbers: 'abc'",
         4, 14),
    case("missing-file", H + 'data d = csv("nope.csv", x)', "cannot read 'nope.csv': No such file or directory",
         4, 14),
    case("outside-domain", H + 'data d = csv("far.csv", x)',
         "'far.csv': a value of 'x' outside its domain [0, 10] (the first in row 2)", 4, 14),
    case("column-not-an-observable", H + 'data d = csv("events.csv", mu)',
         "type mismatch: 'mu' is a parameter; expected an observable", 4, 28),
    case("no-file-name", H + "data d = csv(x)", 'csv needs the file name first, as a string', 4, 10),
    case("no-observables", H + 'data d = csv("events.csv")', "csv needs the observables it holds", 4, 10),
    case("unknown-csv-argument", H + 'data d = csv("events.csv", x, weight=w)',
         "csv has no argument 'weight'; did you mean 'weights'?", 4, 31),
    case("npy-shape", H + 'data d = npy("two.npy", x)',
         "'two.npy': expected 1 column(s), found an array of shape (3, 2)", 4, 14),
]


@pytest.mark.parametrize(("program", "message", "line", "column"), DATA_CASES)
def test_data_file_error(tmp_path: Path, program: str, message: Expected, line: int, column: int) -> None:
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "bad.csv").write_text("x\n1\nabc\n")
    (tmp_path / "far.csv").write_text("x\n1\n20\n")
    np.save(tmp_path / "two.npy", np.zeros((3, 2)))
    err = _error(program, tmp_path)
    assert _matches(err.message, message), err.message
    assert (err.line, err.column) == (line, column), str(err)


# --------------------------------------------------------------------------------------- named syntax mistakes
MISTAKE_EXAMPLES = [pytest.param(label, example, id=repr(example)) for label, examples in _MISTAKES.items()
                    for example in examples]


@pytest.mark.parametrize(("label", "example"), MISTAKE_EXAMPLES)
def test_mistake_example_fails_with_its_label(label: str, example: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_program(example)
    assert info.value.message.startswith(label)  # a misspelt keyword gets a suggestion after the label


# ---------------------------------------------------------------------------------------------- the report
def test_error_from_a_file_names_it_with_line_and_caret(tmp_path: Path) -> None:
    path = tmp_path / "model.firm"
    path.write_text(H + "function f = mu * widht\n")
    with pytest.raises(SourceError) as info:
        load_firm(path)
    assert str(info.value) == (f"{path}:4:19: undefined name 'widht'; did you mean 'width'?\n"
                               "  function f = mu * widht\n"
                               "                    ^")


def test_caret_counts_columns_after_tabs() -> None:
    err = _error("observable x in [0, 1]\n\tparameter a = 1 in [0 1]")
    assert (err.line, err.column) == (2, 27)
    assert str(err).splitlines()[-1] == "  " + " " * 26 + "^"


def test_comments_and_strings_do_not_count_as_brackets() -> None:
    err = _error('hs3 note = "(["  # ( [\nfunction f = (x')
    assert (err.message, err.line, err.column) == ("'(' was never closed", 2, 14)
