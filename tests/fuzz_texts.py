"""Hypothesis strategies for text inputs (tests/test_fuzz.py): expressions of each dialect (valid-shaped,
mutated, token soups), firm programs (generated and mutated examples) and the IR text form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

import firmc
from firmc.errors import FirmError
from firmc.frontends.dsl import load_firm
from firmc.frontends.expr import DIALECTS, build_expression, parse_expression
from firmc.frontends.hs3 import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register them)
from firmc.frontends.hs3.registry import TYPES
from firmc.ir import Entry, Module, Parameter, parse_module, print_module
from fuzz_harness import CORPUS, DOMAINS, EXAMPLES, OBS_NAMES, PAR_NAMES, POSITIVE, WEIRD_NAMES, exercise, stage

# ------------------------------------------------------------------------------------------- expressions
FUNCTIONS_1 = {
    "hs3": ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "erf", "lgamma", "floor", "log10"],
    "root": ["exp", "log", "sqrt", "TMath::Exp", "TMath::Log", "TMath::Abs", "TMath::Erf", "TMath::Sqrt",
             "TMath::Landau", "TMath::Gaus", "sin", "atan"],
    "julia": ["exp", "log", "sqrt", "abs", "sin", "cos", "conj", "real", "imag", "abs2"],
    "firm": ["exp", "log", "sqrt", "abs", "real", "imag", "conj", "abs2", "arg", "tgamma", "log1p", "expm1",
             "digamma", "faddeeva", "landau", "round", "sign"],
}
FUNCTIONS_2 = {"hs3": ["min", "max", "pow", "atan2"], "root": ["TMath::Power", "TMath::Max", "TMath::Min", "pow",
                                                                "atan2", "TMath::ATan2"],
               "julia": ["min", "max", "atan"], "firm": ["min", "max", "pow", "atan2", "complex"]}
BINARY = {"hs3": ["+", "-", "*", "/", "^", "**", "<", ">=", "==", "!=", "&&", "||", "===", "!=="],
          "root": ["+", "-", "*", "/", "^", "<", ">=", "==", "!=", "&&", "||", "%"],
          "julia": ["+", "-", "*", "/", "^", "<", "<=", "==", "%", "÷", "&&", "||"],
          "firm": ["+", "-", "*", "/", "^", "**", "<", ">=", "==", "!=", "&&", "||", "===", "!=="]}
CONSTANTS = {"hs3": ["PI", "EULER", "TRUE", "FALSE"], "root": ["TMath::Pi()", "TMath::E()", "pi"],
             "julia": ["π", "pi", "ℯ", "im", "1im", "2.5im", "2σ"], "firm": ["pi", "π", "inf", "im", "2.5im", "true"]}
NUMBER_TEXTS = ["0", "1", "2", "0.5", "1e-3", "2.5e2", "1e300", "1e-320", ".5", "3.", "1e999", "123456789012345678901"]


def expressions(dialect: str, names: list[str] | tuple[str, ...]) -> st.SearchStrategy[str]:
    """Valid-shaped expression text of ``dialect`` over ``names``."""
    leaves = st.sampled_from(list(names)) | st.sampled_from(NUMBER_TEXTS) | st.sampled_from(CONSTANTS[dialect])
    if dialect == "root":
        leaves |= st.sampled_from(["@0", "@1"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY[dialect]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(FUNCTIONS_1[dialect]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(FUNCTIONS_2[dialect]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} > 0 ? {t[1]} : {t[2]})"),
            inner.map(lambda a: f"-{a}"),
            inner.map(lambda a: f"!({a})"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@dataclass
class ExprCase:
    text: str
    dialect: str
    pick: int = 0

    def __repr__(self) -> str:
        return f"ExprCase({self.text[:2000]!r}{'...' if len(self.text) > 2000 else ''}, {self.dialect!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


EXPR_NAMES = ("a", "b", "x", "mu", "σ")


@st.composite
def expression_cases(draw: st.DrawFn) -> ExprCase:
    dialect = draw(st.sampled_from(DIALECTS))
    return ExprCase(draw(expressions(dialect, EXPR_NAMES)), dialect, draw(st.integers(0, 10)))


EDIT_CHARS = "()[]{},;:?!@#$%^&*+-/\\|<>=~`'\" \t\n.0123456789eEimx_πσ√∞\x00\ud800😀"


def mutate_text(draw: st.DrawFn, text: str, times: int, alphabet: str = EDIT_CHARS) -> str:
    """Character edits: delete, insert, duplicate or swap a span, replace a character."""
    for _ in range(times):
        if not text:
            text = draw(st.sampled_from(list(alphabet)))
            continue
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i, min(len(text), i + 8)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.text(alphabet, min_size=1, max_size=3)) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.sampled_from([1, 2, 50])) + text[j:]
        elif op == "swap":
            k = draw(st.integers(0, len(text) - 1))
            a, b = sorted((i, k))
            text = text[:a] + text[b] + text[a + 1:b] + text[a] + text[b + 1:] if a != b else text
        else:
            text = text[:i] + draw(st.sampled_from(list(alphabet))) + text[i + 1:]
    return text


@st.composite
def mutated_expressions(draw: st.DrawFn) -> ExprCase:
    case = draw(expression_cases())
    case.text = mutate_text(draw, case.text, draw(st.integers(1, 4)))
    return case


SOUP = ["x", "a", "mu", "σ", "1", "2.5", "1e308", "1e999", "0x10", ".5", "5.", "(", ")", "(", ")", ",", "+", "-", "*",
        "/", "^", "**", "%", "÷", "<", "<=", ">", ">=", "==", "!=", "===", "!==", "&&", "||", "!", "?", ":", "@0",
        "@1", "@99", "exp", "log", "sqrt", "TMath::Exp", "TMath::Pi()", "std::exp", "im", "i", "π", "ℯ", "pi", "PI",
        "EULER", "inf", "nan", "true", "TRUE", "ifelse", "min", "max", "atan2", "pow", "complex", "real", "abs2",
        "landau", "faddeeva", "[", "]", "{", "}", ";", "=", '"', "'", "\\", "#", "$", "\n", "\t", "\x00", "\ud800",
        "😀", " ", "1im", "2x", "x2", "_", "__import__", "os", "system", "lambda", "eval", "::", "...", "∑"]


@st.composite
def token_soups(draw: st.DrawFn) -> ExprCase:
    tokens = draw(st.lists(st.sampled_from(SOUP), min_size=1, max_size=25))
    sep = draw(st.sampled_from(["", " "]))
    return ExprCase(sep.join(tokens), draw(st.sampled_from(DIALECTS)), draw(st.integers(0, 10)))


def run_expression(case: ExprCase) -> str:
    """Parse and build the expression, then compile it (its names are parameters at 0.7) and evaluate it."""
    stage("parse")
    parsed = parse_expression(case.text, case.dialect,  # type: ignore[arg-type]
                              placeholders=("a", "b") if case.pick % 2 else ())
    stage("build")
    node = build_expression(parsed)
    m = Module(parameters={n: Parameter(n, 0.7, -1.0, 1.0) for n in parsed.names},
               entries={"f": Entry("f", "function", node)})
    stage("compile")
    f = firmc.compile(m, "interp", "f")
    stage("evaluate")
    f({})
    return "evaluated"


# --------------------------------------------------------------------------------------------- firm programs
def _strip_comments(text: str) -> str:
    lines = [re.sub(r"\s*#.*$", "", line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line.strip()) + "\n"


@cache
def firm_examples() -> dict[str, str]:
    return {p.name: _strip_comments(p.read_text()) for p in sorted(EXAMPLES.glob("*.firm"))}


@dataclass
class FirmCase:
    text: str
    pick: int = 0
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"FirmCase(notes={self.notes}, pick={self.pick}, text={self.text!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


FIRM_TOKEN = re.compile(r"\s+|[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\"[^\"\n]*\"|.", re.S)
FIRM_VOCAB = ["observable", "parameter", "const", "distribution", "function", "data", "likelihood", "check", "hs3",
              "in", "rtol", "nll", "csv", "npy", "point", "unbinned", "binned", "=", "==", "[", "]", "{", "}", "(",
              ")", ",", "\n", "#", "x", "mu", "1e999", "-1", "0", "im", '"', '"/dev/zero"', '"/nonexistent.csv"',
              "gaussian", "mixture", "product", "histfactory", "generic", "summands", "coefficients", "..."]


@st.composite
def mutated_programs(draw: st.DrawFn) -> FirmCase:
    """An example program with one to four token or line edits."""
    name = draw(st.sampled_from(sorted(firm_examples())))
    text = firm_examples()[name]
    notes = [name]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete token", "duplicate token", "swap tokens", "replace token",
                                   "insert characters", "delete line", "duplicate line", "swap lines"]))
        if op.endswith(("line", "lines")):
            lines = text.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "delete line":
                del lines[i]
            elif op == "duplicate line":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "insert characters":
            text = mutate_text(draw, text, 1)
        else:
            tokens = FIRM_TOKEN.findall(text)
            code = [k for k, t in enumerate(tokens) if not t.isspace()]
            i, j = draw(st.sampled_from(code)), draw(st.sampled_from(code))
            if op == "delete token":
                del tokens[i]
            elif op == "duplicate token":
                tokens.insert(i, tokens[i] + " ")
            elif op == "swap tokens":
                tokens[i], tokens[j] = tokens[j], tokens[i]
            else:
                tokens[i] = draw(st.sampled_from(FIRM_VOCAB) | st.sampled_from(WEIRD_NAMES))
            text = "".join(tokens)
        notes.append(op)
    return FirmCase(text, draw(st.integers(0, 30)), notes)


FIRM_TYPES = sorted({t.removesuffix("_dist") for t in TYPES if t.islower() or "_" in t})


@st.composite
def generated_programs(draw: st.DrawFn) -> FirmCase:
    """Declarations, library distributions with random arguments, expression functions, data, checks."""
    lines = []
    obs_names = draw(st.lists(st.sampled_from(OBS_NAMES), min_size=1, max_size=2, unique=True))
    for o in obs_names:
        lo, hi = draw(st.sampled_from(DOMAINS))
        lines.append(f"observable {o} in [{lo}, {hi}]")
    for p in PAR_NAMES:
        const = "const " if draw(st.integers(0, 4)) == 0 else ""
        lines.append(f"{const}parameter {p} = {draw(POSITIVE)}" + (" in [-5, 5]" if draw(st.booleans()) else ""))
    names = [*PAR_NAMES, *obs_names]
    dists = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["distribution", "function", "distribution-expr"]))
        if kind == "distribution":
            tname = draw(st.sampled_from(FIRM_TYPES))
            spec = TYPES.get(tname) or TYPES.get(tname + "_dist")
            args = []
            for fld in spec.fields if spec else ():
                if not fld.required and draw(st.booleans()):
                    continue
                value = {"obs": draw(st.sampled_from(obs_names)),
                         "obs_list": f"[{', '.join(obs_names)}]",
                         "dist": draw(st.sampled_from(dists)) if dists else "nosuch",
                         "dists": f"[{', '.join(dists) or 'nosuch'}]",
                         "refs": f"[{', '.join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)))}]",
                         "nums": "[0.5, 1.0]", "bool": "true", "int": "1", "str": '"s"',
                         "expr": draw(expressions("firm", names)), "any": "[]"}.get(
                    fld.kind, draw(expressions("firm", names)))
                args.append(f"{fld.name}={value}" if draw(st.integers(0, 3)) else value)
            lines.append(f"distribution d{i} = {tname}({', '.join(args)})")
            dists.append(f"d{i}")
        elif kind == "function":
            lines.append(f"function f{i} = {draw(expressions('firm', names))}")
            names.append(f"f{i}")
        else:
            lines.append(f"distribution d{i} = {draw(expressions('firm', names))}")
            dists.append(f"d{i}")
    if dists and draw(st.booleans()):
        o = obs_names[0]
        lines.append(f"data events = unbinned(axes=[{{name=\"{o}\"}}], entries=[[{draw(POSITIVE)}]])")
        lines.append(f"likelihood L = nll({draw(st.sampled_from(dists))}, events)")
    if dists and draw(st.booleans()):
        lines.append(f"check {draw(st.sampled_from(dists))}({obs_names[0]}={draw(POSITIVE)}) == 0.5 rtol 1e-3")
    if draw(st.integers(0, 5)) == 0:  # data files that are not: a device, a directory, nothing
        reader = draw(st.sampled_from(["csv", "npy"]))
        file = draw(st.sampled_from(["/dev/null", "/dev/zero", ".", "nonexistent.csv"]))
        lines.append(f'data ev = {reader}("{file}", {obs_names[0]})')
    order = draw(st.permutations(lines)) if draw(st.integers(0, 5)) == 0 else lines
    return FirmCase("\n".join(order) + "\n", draw(st.integers(0, 30)), ["generated"])


def run_firm(case: FirmCase) -> str:
    stage("load")
    m = load_firm(case.text, base=EXAMPLES)
    return exercise(m, case.pick, checks=case.pick % 5 == 0)


# ------------------------------------------------------------------------------------------------ IR text
@cache
def ir_texts() -> dict[str, str]:
    """The IR text of small corpus models and example programs: the seeds of IR mutations."""
    out = {}
    for p in [*sorted((CORPUS / "roofit").glob("*.json"))[:12], *sorted(EXAMPLES.glob("*.firm"))]:
        try:
            m = firmc.load(p)
        except FirmError:
            continue
        m.datasets.clear()
        out[p.name] = print_module(m)
    return out


@st.composite
def mutated_ir(draw: st.DrawFn) -> FirmCase:
    name = draw(st.sampled_from(sorted(ir_texts())))
    text = ir_texts()[name]
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["characters", "delete line", "duplicate line", "swap lines", "reference"]))
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if op == "characters":
            lines[i] = mutate_text(draw, lines[i], draw(st.integers(1, 3)))
        elif op == "delete line":
            del lines[i]
        elif op == "duplicate line":
            lines.insert(j, lines[i])
        elif op == "swap lines":
            lines[i], lines[j] = lines[j], lines[i]
        else:  # a reference to a node defined later (or never), or to itself
            targets = st.sampled_from([0, i, i + 1, 10**6, 10**30])
            lines[i] = re.sub(r"%\d+", lambda _, targets=targets: f"%{draw(targets)}", lines[i])
        if not lines:
            lines = [""]
    return FirmCase("".join(lines), draw(st.integers(0, 30)), [name])


def run_ir(case: FirmCase) -> str:
    stage("load")
    m = parse_module(case.text)
    return exercise(m, case.pick)


