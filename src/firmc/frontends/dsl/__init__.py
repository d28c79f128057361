"""The firm language: models written by hand (``grammar/firm.lark``, start ``program``; docs/dsl.md).

A program is read in three steps: :func:`parse_program` (syntax, with named errors for the common mistakes),
:func:`lower` (the HS3 document the program means, checking names, arguments and types) and firmc's HS3
front-end (the IR). Errors of any step point into the program: ``file:line:col``, the line and a caret.

Example:
    >>> m = load_firm('''
    ... observable x in [-5, 5]
    ... parameter mu = 0.5 in [-1, 1]
    ... distribution g = gaussian(x, mean=mu, sigma=1)
    ... check g(x=0.5, mu=0.5) == 0.3989422804014327 rtol 1e-6
    ... ''')
    >>> sorted(m.entries), m.format, m.validations[0].expected
    (['g'], 'firm', 0.3989422804014327)
"""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from ...errors import FirmError, FormatError, SourceError, format_path
from ...ir import Module
from ...ir.types import DType
from ..expr import ParsedExpression
from .lower import Lowered, library_type, lower
from .parse import Comment, Program, parse_program

MAX_BYTES = 64 * 1024 * 1024


def read_program(source: str | PathLike[str], base: str | PathLike[str] | None = None) -> tuple[Program, Path | None]:
    """Parse a ``.firm`` file (a path) or program text (a string containing a line break or no ``.firm``
    suffix is text); the directory data files are read from comes with it.

    Example:
        >>> str(read_program("parameter a = 1")[0].statements[0].data)
        'parameter_decl'
    """
    if isinstance(source, str) and (source.endswith(".firm") is False or "\n" in source):
        return parse_program(source, "<firm>"), Path(base) if base is not None else None
    path = Path(source)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise FormatError(f"the program is larger than {MAX_BYTES // 2**20} MiB", file=str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8
        raise FormatError(f"cannot read file: {exc}", file=str(path)) from None
    return parse_program(text, str(path)), Path(base) if base is not None else path.parent


def to_hs3(source: str | PathLike[str], base: str | PathLike[str] | None = None) -> dict[str, Any]:
    """The HS3 document a firm program means, for other HS3 readers: expressions in the spec's grammar (ROOT's
    where the program's ``hs3 metadata`` names ROOT as the writer). Those the spec cannot write (complex values,
    functions it lacks) stay in firm syntax, and the document says so
    (``misc.firmc.expression_dialect``: firmc reads it, other readers refuse those objects).

    Example:
        >>> doc = to_hs3("parameter a = 1\\nfunction f = 2a^2")
        >>> doc["functions"][0]["expression"], "expression_dialect" in doc["misc"]["firmc"]
        ('2.0*a^2.0', False)
    """
    from ...ir import param, walk
    from ...writers.hs3.expression import printable, to_expression
    from ..expr import build_expression

    prog, where = read_program(source, base)
    low = lower(prog, where)
    doc = low.doc
    packages = doc["metadata"].get("packages", [])
    root = any(isinstance(p, dict) and p.get("name") == "ROOT" for p in packages)
    dialect: Literal["spec", "root"] = "root" if root else "spec"
    kept = 0
    for path, tree in low.expressions.items():
        node = build_expression(ParsedExpression(prog.text, "firm", tree, (), prog.origin), param)
        if all(printable(n, dialect) for n in walk([node]) if n.op not in ("param", "obs", "const")) and \
                (node.op != "const" or node.type.dtype is not DType.COMPLEX):
            _set(doc, path, to_expression(node, dialect))
        else:
            kept += 1
    if not kept:
        del doc["misc"]["firmc"]["expression_dialect"]
    return doc


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def load_firm(source: str | PathLike[str], base: str | PathLike[str] | None = None) -> Module:
    """Read a firm program (a ``.firm`` path or the text) into a Module; every error points into the program.

    Example:
        >>> try:
        ...     load_firm("observable x in [0, 1]\\ndistribution g = gaussian(x, mean=mu, sigma=1)")
        ... except SourceError as e:
        ...     print(e.message)
        undefined name 'mu'
    """
    from ..hs3 import load_hs3

    prog, where = read_program(source, base)
    low = lower(prog, where)
    try:
        m = load_hs3(low.doc, None, hashlib.sha256(prog.text.encode()).hexdigest())
    except FirmError as exc:
        raise _locate(exc, prog, low) from None
    m.format = "firm"
    m.source = prog.origin
    return m


def _locate(exc: FirmError, prog: Program, low: Lowered) -> FirmError:
    """An error of the HS3 front-end, pointed at the program text it came from."""
    if isinstance(exc, SourceError):  # in an expression: origin is the JSON path of the expression string
        for path, tree in low.expressions.items():
            if format_path(path) == exc.origin:
                return SourceError(exc.message, text=prog.text, line=exc.line, column=exc.column,
                                   origin=prog.origin) if exc.text == prog.text else _shift(exc, prog, tree)
        return exc
    path = tuple(getattr(exc, "path", ()) or ())
    message = getattr(exc, "message", str(exc))
    if path and isinstance(path[-1], str) and f"'{path[-1]}'" not in message and path[-1] not in message:
        message = f"'{path[-1]}': {message}"  # JSON names the field by its path, a program by the caret
    while path:
        at = low.where.get(path)
        if at is not None:
            return prog.error(message, at)
        path = path[:-1]
    return exc


def _shift(exc: SourceError, prog: Program, tree: Any) -> SourceError:
    """A caret in an expression string moved to where the expression stands in the program."""
    meta = tree if hasattr(tree, "line") and not hasattr(tree, "meta") else tree.meta
    line = meta.line + exc.line - 1
    column = exc.column + (meta.column - 1 if exc.line == 1 else 0)
    return SourceError(exc.message, text=prog.text, line=line, column=column, origin=prog.origin)


__all__ = ["Comment", "Program", "library_type", "load_firm", "lower", "parse_program", "read_program", "to_hs3"]
