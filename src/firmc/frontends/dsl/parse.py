"""Parsing firm programs: the lark tree of a ``.firm`` text, its comments, and syntax errors that say what is
wrong where (``file:line:col``, the line, a caret), with names for the common mistakes.

Example:
    >>> prog = parse_program("observable x in [0, 1]  # the mass")
    >>> [str(s.data) for s in prog.statements], prog.comments[0].text
    (['observable_decl'], '# the mass')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from ...errors import SourceError, did_you_mean
from ..expr import _parser

STATEMENT_KEYWORDS = ("observable", "parameter", "const", "distribution", "function", "data", "likelihood",
                      "check", "hs3")


@dataclass(frozen=True)
class Comment:
    """A ``# ...`` comment: its text and position (1-based), kept for ``firmc fmt``.

    Example:
        >>> Comment("# hi", 3, 1).line
        3
    """

    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Program:
    """A syntactically valid firm program.

    Example:
        >>> parse_program("").statements
        []
    """

    text: str
    origin: str
    statements: list[Any]  # lark Trees, one per statement
    comments: list[Comment]

    def error(self, message: str, at: Any) -> SourceError:
        """A :class:`SourceError` with the caret at a token or tree of this program.

        Example:
            >>> p = parse_program("observable x in [0, 1]")
            >>> p.error("here", p.statements[0].children[0]).column
            12
        """
        pos = at if isinstance(at, Token) else at.meta
        return SourceError(message, text=self.text, line=getattr(pos, "line", 1) or 1,
                           column=getattr(pos, "column", 1) or 1, origin=self.origin)


# Common mistakes, by example: a syntax error in the parser state of an example, before a token of the same kind
# (statement keywords and the end of the program count as one kind), gets the example's label; every example fails
# to parse and maps to its own label (tests/test_dsl_errors.py). Mistakes that the parser state alone does not tell
# (brackets never closed, an operator without its value, 'const', '=' in a check ...) are found by _diagnose first.
_STATEMENT = ("a statement starts with a keyword: observable, parameter, const parameter, distribution, function, "
              "data, likelihood, check or hs3")
_CONST = "'const' goes before 'parameter': 'const parameter n = 3'"
_DOMAIN = "expected 'in' before the domain: 'in [lo, hi]'"
_NAME = "expected a name after the keyword"
_CHECK_EXAMPLE = "check model(x=1.5, mu=0.3) == 0.25"
_CHECK = f"a check needs an entry, its point and the expected value: {_CHECK_EXAMPLE}"
_MISTAKES: dict[str, list[str]] = {
    "a parameter needs a value, e.g. 'parameter mu = 0.5 in [0, 1]'": [
        "parameter a in [0, 1]", "parameter a\n", "parameter a\nparameter b = 1", "const parameter a\n",
        "parameter a\nobservable x in [0, 1]", "parameter a\ndistribution g = a", "parameter a 1",
        "parameter a [0, 1]", "const parameter a in [0, 1]", "const parameter a 1",
    ],
    _DOMAIN: ["observable x [0, 1]", "observable x 0, 1"],
    "a domain is two numbers: 'in [lo, hi]'": [
        "observable x in [0]", "observable x in [0, 1, 2]", "observable x in 0, 1", "observable x in (0, 1)",
        "observable x in -1, 1", "observable x in x", "observable x in {0, 1}", "observable x in\n",
        "parameter a = 1 in (0, 1)", "parameter a = 1 in [0]", "parameter a = 1 in 0, 1",
    ],
    "expected '=' and a value after the name": [
        "distribution g gaussian(x)", "function f a + b", "data d csv(\"f.csv\")", "likelihood l nll(a, b)",
        "function f 2", "distribution g\n", "function f\n", "hs3 k [1]",
    ],
    "expected '=' after the name: a declaration has no argument list, the names its value uses are its arguments "
    "('function f = x^2')": ["function f(x) = x^2", "distribution g(x) = x"],
    _NAME: [
        "distribution = a", "function = a", "observable in [0, 1]", "parameter = 1", "data = a", "likelihood = a",
        "observable\n", "parameter\n", "distribution\n", "function\n", "observable 1", "hs3 = 1",
    ],
    _STATEMENT: ["x = 1", "mu = gaussian(x)", "observable x in [0, 1]\ny = 2", "observable x in [0, 1]\nfoo bar",
                 "param a = 1", "dist g = a"],
    _CONST: ["const observable x in [0, 1]", "const distribution g = a", "const a = 1", "parameter const a = 1"],
}

_KEYWORDS = frozenset({"OBSERVABLE", "PARAMETER", "CONST", "DISTRIBUTION", "FUNCTION", "DATA", "LIKELIHOOD",
                       "CHECK", "HS3"})
# tokens a value must follow: a statement that ends with one of them is incomplete
_OPERATORS = frozenset({"PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "DIVINT", "POW", "EQ_OP", "REL_OP", "ANDAND",
                        "OROR", "QMARK", "COLON", "BANG", "EQUAL", "COMMA", "RTOL"})
_RESERVED = frozenset({*STATEMENT_KEYWORDS, "in", "rtol"})
_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_VALUE_END = frozenset({"NAME", "NUMBER", "STRING", "PLACEHOLDER", "RPAR", "RSQB", "RBRACE"})
_VALUE_START = frozenset({"NAME", "NUMBER", "STRING", "PLACEHOLDER", "LPAR", "LSQB", "LBRACE", "BANG"})


def _examples_parser(text: str) -> Any:
    return _parser().parse(text, start="program")


def _token_kind(token: Any) -> str:
    kind = str(getattr(token, "type", "$END"))
    return "$END" if kind in _KEYWORDS else kind


def _state(exc: UnexpectedInput) -> Any:
    """The LALR state of a syntax error (lark's ParserState also compares the depth of its stack)."""
    return getattr(exc.state, "position", exc.state)


@lru_cache(maxsize=1)
def _mistake_states() -> list[tuple[Any, frozenset[str], str, str]]:
    """(parser state, acceptable terminals, token kind, label) of every example of ``_MISTAKES``."""
    out = []
    for label, examples in _MISTAKES.items():
        for example in examples:
            try:
                _examples_parser(example)
            except UnexpectedInput as exc:
                out.append((_state(exc), frozenset(getattr(exc, "accepts", ()) or ()),
                            _token_kind(getattr(exc, "token", None)), label))
    return out


def _mistake(exc: UnexpectedInput) -> str | None:
    """The label of the example that fails as ``exc`` does: same parser state, same next token (by kind)."""
    accepts = frozenset(getattr(exc, "accepts", ()) or ())
    kind = _token_kind(getattr(exc, "token", None))
    return next((label for state, acc, k, label in _mistake_states()
                 if state == _state(exc) and acc == accepts and k == kind), None)


def _tokens(text: str) -> list[Token]:
    """The tokens of a text that lexes (keywords are keywords wherever they stand), else []."""
    try:
        return list(_parser().lex(text))
    except UnexpectedInput:  # pragma: no cover - the text before a syntax error lexes
        return []


def _syntax_error(exc: UnexpectedInput, text: str, origin: str) -> SourceError:
    """A syntax error as the user needs it: what is wrong, with the caret on the offending token (on the bracket
    that is never closed, on the operator that lacks its value ...)."""
    message, pos = _diagnose(exc, text)
    return SourceError(message, text=text, line=text.count("\n", 0, pos) + 1,
                       column=pos - text.rfind("\n", 0, pos), origin=origin)


def _diagnose(exc: UnexpectedInput, text: str) -> tuple[str, int]:
    """The message of a syntax error and the offset of its caret in ``text``."""
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        if text[pos] == '"':
            return "unterminated string: the closing '\"' is missing (a string ends on its line)", pos
        hint = "; strings are written in double quotes" if text[pos] == "'" else ""
        return f"unexpected character {text[pos]!r}{hint}", pos
    token: Any = getattr(exc, "token", None)
    at_end = token is None or token.type == "$END"
    pos = len(text) if at_end else token.start_pos or 0
    before = _tokens(text[:pos])
    history = getattr(exc, "token_history", None) or [None]
    previous: Any = history[-1]

    def starts_line(tok: Any) -> bool:
        return not text[text.rfind("\n", 0, tok.start_pos) + 1:tok.start_pos].strip()

    # An incomplete statement: the program ends, or the next statement's keyword comes, inside brackets or after
    # an operator (the parser may have read that keyword as a name: `mu = 5 *` then `observable x ...`).
    end = pos if at_end or (token.type in _KEYWORDS and starts_line(token)) else None
    if end is None and previous is not None and previous.type == "NAME" and \
            str(previous) in STATEMENT_KEYWORDS and starts_line(previous):
        end = previous.start_pos
    if end is not None:
        before = [t for t in before if (t.start_pos or 0) < end]
    stack = _open_brackets(before)
    if end is not None and stack:
        return f"'{stack[-1]}' was never closed", stack[-1].start_pos or 0
    if end is not None and before and before[-1].type in _OPERATORS:
        return f"a value is missing after '{before[-1]}'", before[-1].start_pos or 0
    if before and before[-1].type == "CONST":  # `const observable x`, `parameter const n = 3`
        return _CONST, before[-1].start_pos or 0
    if end is not None and before and before[-1].type == "CHECK":
        return _CHECK, before[-1].start_pos or 0
    if end is not None:  # the end of the program, or the next statement: the caret goes after the incomplete one
        label = _mistake(exc) if end == pos else None
        expected = _expected(sorted(getattr(exc, "expected", ()) or ())) if end == pos else ""
        message = f"unexpected end of the program{expected}" if at_end else f"incomplete statement{expected}"
        return label or message, (before[-1].end_pos or 0) if before else 0

    if token.type in _OPEN.values() and (not stack or _OPEN[stack[-1].type] != token.type):
        if not stack:
            return f"unmatched '{token}'", pos
        return f"'{token}' does not match the '{stack[-1]}' at line {stack[-1].line}, " \
               f"column {stack[-1].column}", pos
    statement = next((str(t) for t in reversed(before) if t.type in _KEYWORDS and starts_line(t)), "")
    after_value = bool(before) and before[-1].type in _VALUE_END
    if token.type == "NAME" and starts_line(token) and (not before or after_value):  # `parmeter a = 1`
        return _STATEMENT + did_you_mean(str(token), STATEMENT_KEYWORDS), pos
    if token.type == "EQUAL" and previous is not None and previous.type == "NAME" and starts_line(previous) and \
            len(before) > 1 and before[-2].type in _VALUE_END:  # `parameter a = 1` then `y = 2`: read as `1y`
        return _STATEMENT, previous.start_pos or 0
    if token.type == "EQUAL" and statement == "check" and not stack and before[-1].type == "RPAR":
        return "a check compares with '==': " + _CHECK_EXAMPLE, pos
    if previous is not None and previous.type == "NAME" and str(previous) in _RESERVED and len(before) > 1 and \
            before[-2].type in _KEYWORDS:  # `observable in [0, 1]`: the name is missing, 'in' is read as one
        return _NAME, previous.start_pos or 0
    label = _mistake(exc)
    if label is not None:
        return label, pos
    if token.type == "LSQB" and statement in ("observable", "parameter") and not stack and after_value:
        return _DOMAIN, pos  # `parameter a = 1 [0, 1]` (the state after a value is shared by all expressions)
    if token.type in _VALUE_START and after_value:
        closer = _TERMINAL_TEXT[_OPEN[stack[-1].type]] if stack else ""
        return f"unexpected '{token}'; expected " + (f"',' or {closer}" if closer else "an operator"), pos
    return f"unexpected '{token}'{_expected(sorted(getattr(exc, 'expected', ()) or ()))}", pos


def _open_brackets(tokens: list[Token]) -> list[Token]:
    """The brackets still open after ``tokens``, innermost last."""
    stack: list[Token] = []
    for tok in tokens:
        if tok.type in _OPEN:
            stack.append(tok)
        elif stack and tok.type == _OPEN[stack[-1].type]:
            stack.pop()
    return stack


_TERMINAL_TEXT = {"RSQB": "']'", "RPAR": "')'", "RBRACE": "'}'", "COMMA": "','", "EQUAL": "'='", "IN": "'in'",
                  "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "LSQB": "'['", "EQ_OP": "'=='"}


def _expected(expected: list[str]) -> str:
    if "NUMBER" in expected and "NAME" in expected:
        return "; expected a value"
    words = [_TERMINAL_TEXT[t] for t in expected if t in _TERMINAL_TEXT]
    return f"; expected {' or '.join(words)}" if words and len(words) <= 3 else ""


def parse_program(text: str, origin: str = "<firm>") -> Program:
    """Parse a firm program (syntax only); :class:`SourceError` with a caret when malformed.

    Example:
        >>> str(parse_program("parameter mu = 1 in [0, 2]").statements[0].data)
        'parameter_decl'
        >>> try:
        ...     parse_program("parameter a in [0, 1]", "m.firm")
        ... except SourceError as e:
        ...     print(e.message)
        a parameter needs a value, e.g. 'parameter mu = 0.5 in [0, 1]'
    """
    comments: list[Comment] = []
    if "\t" in text:
        text = text.expandtabs(4)
    try:
        tree = _parser().parse(text, start="program")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, origin) from None
    for tok in _comment_tokens(text):
        comments.append(Comment(str(tok), tok.line or 1, tok.column or 1))
    statements = [s for s in tree.children if isinstance(s, Tree)]
    return Program(text, origin, statements, comments)


def _comment_tokens(text: str) -> list[Token]:
    """The comments of a program that parses: lexed again with the comment terminal kept."""
    out: list[Token] = []
    for k, line in enumerate(text.splitlines(), start=1):
        pos = _comment_start(line)
        if pos is not None:
            out.append(Token("COMMENT", line[pos:].rstrip(), line=k, column=pos + 1))
    return out


def _comment_start(line: str) -> int | None:
    """Where a ``#`` comment starts on a line (not inside a string), or None."""
    quoted = False
    escaped = False
    for k, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return k
    return None


__all__ = ["STATEMENT_KEYWORDS", "Comment", "Program", "parse_program"]
