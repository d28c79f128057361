"""Every user-facing failure of firmc is a :class:`FirmError`.

Messages name *where*: a JSON path (``distributions[3].coefficients[1]``) for JSON input, or
``file:line:col`` with the source line and a caret for expression and DSL text.

Example:
    >>> err = SourceError("unexpected ')'", text="a + )", column=5, origin="expression")
    >>> print(err)
    expression:1:5: unexpected ')'
      a + )
          ^
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class FirmError(Exception):
    """Base class of every error firmc reports to a user (CLI exit code 2 unless stated).

    Example:
        >>> isinstance(FormatError("bad", path=("distributions", 0)), FirmError)
        True
    """

    exit_code = 2


def format_path(path: Sequence[str | int]) -> str:
    """Render a JSON path as ``a.b[3].c``.

    Example:
        >>> format_path(("distributions", 3, "coefficients", 1))
        'distributions[3].coefficients[1]'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "<document>"


class FormatError(FirmError):
    """Malformed input document; names the JSON path and, when known, the file.

    Without a path or a file (a name passed to ``compile``, not read from a document) the message stands alone.

    Example:
        >>> str(FormatError("expected a number", path=("parameter_points", 0, "value"), file="m.json"))
        'm.json: parameter_points[0].value: expected a number'
        >>> str(FormatError("unknown entry 'g'"))
        "unknown entry 'g'"
    """

    def __init__(self, message: str, *, path: Sequence[str | int] = (), file: str | None = None) -> None:
        self.message = message
        self.path = tuple(path)
        self.file = file
        where = f"{format_path(self.path)}: " if self.path or file else ""
        prefix = f"{file}: " if file else ""
        super().__init__(f"{prefix}{where}{message}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` suffix for the closest of ``choices``, or ``''``.

    Example:
        >>> did_you_mean("gausian_dist", ["gaussian_dist", "uniform_dist"])
        "; did you mean 'gaussian_dist'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class UnknownName(FormatError):
    """A type name or reference that does not exist (with a suggestion).

    Example:
        >>> print(UnknownName("type", "gausian_dist", ["gaussian_dist"], path=("distributions", 0, "type")))
        distributions[0].type: unknown type 'gausian_dist'; did you mean 'gaussian_dist'?
    """

    def __init__(self, kind: str, name: str, known: Iterable[str], *, path: Sequence[str | int] = (),
                 file: str | None = None) -> None:
        self.name = name
        super().__init__(f"unknown {kind} '{name}'{did_you_mean(name, known)}", path=path, file=file)


class SourceError(FirmError):
    """Error in expression or DSL text, shown as ``origin:line:col`` with the line and a caret.

    ``line`` and ``column`` are 1-based.

    Example:
        >>> SourceError("oops", text="x+", column=3).column
        3
    """

    def __init__(self, message: str, *, text: str, line: int = 1, column: int = 1,
                 origin: str = "expression") -> None:
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        self.origin = origin
        lines = text.splitlines() or [""]
        src = lines[line - 1] if 0 < line <= len(lines) else ""
        caret = " " * (max(column, 1) - 1) + "^"
        super().__init__(f"{origin}:{line}:{column}: {message}\n  {src}\n  {caret}")


class IRError(FirmError):
    """The IR is malformed (verifier, text parser, type rules).

    Example:
        >>> str(IRError("arity"))
        'arity'
    """


class UnsupportedOp(FirmError):
    """A target cannot express an op (raised by back-ends and lowering).

    Example:
        >>> str(UnsupportedOp("cuda", "integral", "entry 'g'"))
        "target 'cuda' does not support op 'integral' (at entry 'g')"
    """

    def __init__(self, target: str, op: str, location: str = "") -> None:
        self.target, self.op, self.location = target, op, location
        where = f" (at {location})" if location else ""
        super().__init__(f"target '{target}' does not support op '{op}'{where}")


class UnsupportedFeature(FirmError):
    """A recognised construct firmc does not implement (yet); says what and where.

    Example:
        >>> str(UnsupportedFeature("histfactory_dist", path=("distributions", 0)))
        'distributions[0]: histfactory_dist'
    """

    def __init__(self, message: str, *, path: Sequence[str | int] = (), file: str | None = None) -> None:
        prefix = f"{file}: " if file else ""
        super().__init__(f"{prefix}{format_path(path)}: {message}" if path else f"{prefix}{message}")


class EvaluationError(FirmError):
    """Bad arguments at evaluation time (missing observable, wrong shape).

    Example:
        >>> str(EvaluationError("missing value for observable 'x'"))
        "missing value for observable 'x'"
    """


class CheckFailed(FirmError):
    """A check did not agree (CLI exit code 1).

    Example:
        >>> CheckFailed("x").exit_code
        1
    """

    exit_code = 1
