"""Parsing firm programs: the lark tree of a ``.firm`` text, its comments, and syntax errors that say what is
wrong where (``file:line:col``, the line, a caret), with names for the common mistakes.

Example:
    >>> prog = parse_program("observable x in [0, 1]  # the mass")
    >>> [s.data for s in prog.statements], prog.comments[0].text
    (['observable_decl'], '# the mass')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ...errors import SourceError
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


# Common mistakes, by example: lark's ``match_examples`` finds the one whose parser state and next token match
# the error's (the examples are checked to fail in tests/test_dsl_errors.py).
_MISTAKES: dict[str, list[str]] = {
    "a parameter needs a value, e.g. 'parameter mu = 0.5 in [0, 1]'": [
        "parameter a in [0, 1]", "parameter a\n", "parameter a\nparameter b = 1", "const parameter a\n",
        "parameter a\nobservable x in [0, 1]", "parameter a\ndistribution g = a",
    ],
    "expected 'in [lo, hi]' after the value": ["parameter a = 1 [0, 1]", "observable x [0, 1]"],
    "a domain is two numbers: 'in [lo, hi]'": ["observable x in [0]", "observable x in [0, 1, 2]",
                                               "observable x in 0, 1", "parameter a = 1 in (0, 1)",
                                               "parameter a = 1 in [0]", "parameter a = 1 in 0, 1"],
    "expected '=' and a value after the name": ["distribution g gaussian(x)", "function f a + b",
                                                "data d csv(\"f.csv\")", "likelihood l nll(a, b)"],
    "expected a name after the keyword": ["distribution = a", "function = a", "observable in [0, 1]",
                                          "parameter = 1", "data = a", "likelihood = a"],
    "a statement starts with a keyword: observable, parameter, const parameter, distribution, function, data, "
    "likelihood, check or hs3": ["x = 1", "mu = gaussian(x)", "observable x in [0, 1]\ny = 2",
                                 "observable x in [0, 1]\nfoo bar", "param a = 1", "dist g = a"],
    "'const' goes before 'parameter': 'const parameter n = 3'": ["const observable x in [0, 1]",
                                                                   "const distribution g = a", "const a = 1"],
}


def _examples_parser(text: str) -> Any:
    return _parser().parse(text, start="program")


def _syntax_error(exc: UnexpectedInput, text: str, origin: str) -> SourceError:
    line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = text.rstrip().splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    label = None
    try:
        label = exc.match_examples(_examples_parser, _MISTAKES, use_accepts=True)
    except UnexpectedInput:  # pragma: no cover - lark re-raises only for malformed examples
        label = None
    if label is not None:
        return SourceError(label, text=text, line=line, column=column, origin=origin)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        return SourceError(f"unexpected character {text[pos]!r}", text=text, line=line, column=column,
                           origin=origin)
    token = getattr(exc, "token", None)
    if token is None or token.type == "$END":
        return SourceError("unexpected end of the program (a bracket or a value is missing)", text=text,
                           line=line, column=column, origin=origin)
    expected = sorted(getattr(exc, "expected", ()) or ())
    return SourceError(f"unexpected '{token}'{_expected(expected)}", text=text, line=line, column=column,
                       origin=origin)


_TERMINAL_TEXT = {"RSQB": "']'", "RPAR": "')'", "RBRACE": "'}'", "COMMA": "','", "EQUAL": "'='", "IN": "'in'",
                  "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "LSQB": "'['"}


def _expected(expected: list[str]) -> str:
    if "NUMBER" in expected and "NAME" in expected:
        return "; expected a value"
    words = [_TERMINAL_TEXT[t] for t in expected if t in _TERMINAL_TEXT]
    return f"; expected {' or '.join(words)}" if words and len(words) <= 3 else ""


def parse_program(text: str, origin: str = "<firm>") -> Program:
    """Parse a firm program (syntax only); :class:`SourceError` with a caret when malformed.

    Example:
        >>> parse_program("parameter mu = 1 in [0, 2]").statements[0].data
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
