"""Data sets of firm programs read from files: ``csv("events.csv", x, y, weights=w)`` (columns by their header
names) and ``npy("events.npy", x, y)`` (a 1-d array for one observable, or one column per observable), relative
to the program's directory; both become HS3 unbinned data over the observables' domains.

Example:
    >>> import tempfile, pathlib
    >>> from firmc.frontends.dsl import load_firm
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ev.csv").write_text("x,w\\n0.5,1\\n1.5,2\\n")
    >>> m = load_firm('observable x in [0, 2]\\ndata ev = csv("ev.csv", x, weights=w)', base=d)
    >>> m.datasets["ev"].columns["x"].tolist(), m.datasets["ev"].weights.tolist()
    ([0.5, 1.5], [1.0, 2.0])
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from lark import Token, Tree

from ...errors import did_you_mean

if TYPE_CHECKING:
    from .lower import _Lower

MAX_EVENTS = 50_000_000


def read_table(low: _Lower, call: Tree[Any], name: str) -> dict[str, Any]:
    """The HS3 unbinned data entry of a ``csv(...)`` or ``npy(...)`` call.

    Example:
        >>> read_table.__name__
        'read_table'
    """
    fn, args = str(call.children[0]), call.children[1:]
    positional = [a for a in args if not (isinstance(a, Tree) and a.data == "keyword")]
    keywords = {str(a.children[0]): a for a in args if isinstance(a, Tree) and a.data == "keyword"}
    if not positional or not (isinstance(positional[0], Token) and positional[0].type == "STRING"):
        raise low.p.error(f"{fn} needs the file name first, as a string: {fn}(\"events.{fn}\", x)", call)
    file = low.json(positional[0], ("data",))
    columns = []
    for a in positional[1:]:
        if not (isinstance(a, Token) and a.type == "NAME"):
            raise low.p.error("expected the name of an observable", a)
        low.check_names(a, ("observable",))
        columns.append(str(a))
    unknown = [k for k in keywords if k != "weights" or fn != "csv"]
    if unknown:
        hint = did_you_mean(unknown[0], ["weights"] if fn == "csv" else [])
        raise low.p.error(f"{fn} has no argument '{unknown[0]}'{hint}", keywords[unknown[0]].children[0])
    if not columns:
        raise low.p.error(f"{fn} needs the observables it holds: {fn}(\"file\", x, y)", call)
    path = Path(file) if low.base is None else low.base / file
    weights_col = keywords.get("weights")
    weight_name = None if weights_col is None else str(low.json(weights_col.children[1], ("data",)))
    try:
        if path.exists() and not path.is_file():  # a device (/dev/zero has no end), a FIFO (blocks), a directory
            raise OSError(0, "not a regular file")
        table, weights = (_csv(path, columns, weight_name) if fn == "csv" else (_npy(path, len(columns)), None))
    except OSError as exc:
        raise low.p.error(f"cannot read '{file}': {exc.strerror or exc}", positional[0]) from None
    except MissingColumn as exc:
        at = weights_col.children[1] if weights_col is not None and exc.column == weight_name else \
            positional[1 + columns.index(exc.column)]
        raise low.p.error(f"'{file}': {exc}", at) from None
    except ValueError as exc:
        raise low.p.error(f"'{file}': {exc}", positional[0]) from None
    axes = []
    for k, col in enumerate(columns):
        axis = next((a for a in low.axes if a["name"] == col), None)
        if axis is None:  # declared further down: its domain is not known yet
            raise low.p.error(f"observable '{col}' must be declared before the data that uses it",
                              positional[1 + k])
        axes.append(dict(axis))
        lo, hi = axis.get("min", -np.inf), axis.get("max", np.inf)
        outside = np.flatnonzero((table[:, k] < lo) | (table[:, k] > hi))
        if outside.size:
            many = f"{outside.size} values" if outside.size > 1 else "a value"
            raise low.p.error(f"'{file}': {many} of '{col}' outside its domain [{lo:g}, {hi:g}] "
                              f"(the first in row {outside[0] + 1})", positional[0])
    out: dict[str, Any] = {"name": name, "type": "unbinned", "axes": axes, "entries": table.tolist()}
    if weights is not None:
        out["weights"] = weights.tolist()
    return out


class MissingColumn(ValueError):
    """A column the program names and the file's header lacks.

    Example:
        >>> MissingColumn("y", ["x"]).column
        'y'
    """

    def __init__(self, column: str, header: list[str]) -> None:
        self.column = column
        super().__init__(f"no column '{column}' in the header {header}")


def _csv(path: Path, columns: list[str], weights: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        return _csv_rows(path, columns, weights)
    except csv.Error as exc:  # a field over csv's limit of 131072 characters ...
        raise ValueError(str(exc)) from None


def _csv_rows(path: Path, columns: list[str], weights: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        header = [h.strip() for h in next(rows, [])]
        want = [*columns, *([weights] if weights else [])]
        missing = [c for c in want if c not in header]
        if missing:
            raise MissingColumn(missing[0], header)
        idx = [header.index(c) for c in want]
        values: list[list[float]] = []
        for n, row in enumerate(rows, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(values) >= MAX_EVENTS:
                raise ValueError(f"more than {MAX_EVENTS} rows")
            try:
                values.append([float(row[i]) for i in idx])
            except (IndexError, ValueError):
                raise ValueError(f"line {n} is not a row of numbers: {','.join(row)[:60]!r}") from None
    arr = np.asarray(values, dtype=float).reshape(-1, len(want))
    if not np.isfinite(arr).all():
        raise ValueError("the file holds values that are not finite")
    return arr[:, :len(columns)], (arr[:, -1] if weights else None)


def _npy(path: Path, width: int) -> np.ndarray:
    try:  # mapped, not read: a header that claims more data than the file holds is an error, not an allocation
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except EOFError:
        raise ValueError("the file is empty or truncated") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        raise ValueError("expected one array (.npy), found an archive of arrays (.npz)")
    if arr.ndim == 1 and width == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(f"expected {width} column(s), found an array of shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)) or \
            not np.isfinite(arr).all():  # complex numbers too: their imaginary parts would be dropped
        raise ValueError("expected finite real numbers")
    return np.array(arr, dtype=float)


__all__ = ["read_table"]
