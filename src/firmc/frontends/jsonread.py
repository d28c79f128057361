"""Reading JSON documents defensively: every failure is a FormatError naming the JSON path.

Example:
    >>> doc = read_json_text('{"a": [1, 2]}', "m.json")
    >>> Path_(doc, (), "m.json").get("a").items()[1].number()
    2.0
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import FirmError, FormatError

MAX_BYTES = 256 * 1024 * 1024  # refuse documents larger than this, before parsing


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 10**7 else f"{n} bytes"


def read_json_text(text: str | bytes, file: str = "<string>") -> Any:
    """Parse JSON text; truncated, invalid or pathologically nested input becomes a FormatError.

    NaN and Infinity literals (not JSON, but Python's json accepts them) are rejected.

    Example:
        >>> read_json_text("[1, 2]")
        [1, 2]
    """
    if len(text) > MAX_BYTES:
        raise FormatError(f"document is {_size(len(text))}, above the {_size(MAX_BYTES)} limit", file=file)

    def no_constants(name: str) -> Any:
        raise FormatError(f"'{name}' is not valid JSON (a number must be finite)", file=file)

    try:
        doc = json.loads(text, parse_constant=no_constants)
    except FirmError:
        raise
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=file) from None
    except RecursionError:
        raise FormatError("JSON nested too deeply", file=file) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"cannot read JSON: {exc}", file=file) from None
    if (_SURROGATE.search(text) if isinstance(text, str) else _SURROGATE_BYTES.search(text)) is not None:
        _check_unicode(doc, file)
    return doc


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _check_unicode(doc: Any, file: str | None) -> None:
    """Refuse strings (keys or values) holding an unpaired UTF-16 surrogate: they cannot be printed or
    written as UTF-8 later. Walks with an explicit stack (documents may be deep)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                _check_string(k, path, file)
                stack.append((v, (*path, k)))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        elif isinstance(value, str):
            _check_string(value, path, file)


def _check_string(s: str, path: tuple[str | int, ...], file: str | None) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = f"\\u{ord(s[exc.start]):04x}"
        raise FormatError(f"string with an unpaired surrogate '{bad}' is not valid Unicode", path=path,
                          file=file) from None


def read_json_file(path: str | Path) -> tuple[Any, str]:
    """Read and parse a JSON file; returns the document and the sha256 of its bytes.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "a.json"); _ = open(p, "w").write("{}")
        >>> read_json_file(p)[0]
        {}
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise FormatError(f"file is {_size(size)}, above the {_size(MAX_BYTES)} limit", file=str(p))
        data = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read file: {exc.strerror or exc}", file=str(p)) from None
    except ValueError as exc:  # a name with a NUL byte
        raise FormatError(f"cannot read file: {exc}", file=repr(str(p))) from None
    return read_json_text(data, str(p)), hashlib.sha256(data).hexdigest()


class Path_:
    """A value inside a JSON document together with its path, with typed accessors that raise FormatError.

    Example:
        >>> Path_({"x": "a"}, (), "f.json").get("x").string()
        'a'
    """

    __slots__ = ("file", "path", "value")

    def __init__(self, value: Any, path: tuple[str | int, ...] = (), file: str | None = None) -> None:
        self.value = value
        self.path = path
        self.file = file

    def error(self, message: str) -> FormatError:
        """A FormatError at this path.

        Example:
            >>> str(Path_(1, ("a", 0)).error("bad"))
            'a[0]: bad'
        """
        return FormatError(message, path=self.path, file=self.file)

    def _kind(self) -> str:
        v = self.value
        return ("null" if v is None else "a boolean" if isinstance(v, bool) else "a number"
                if isinstance(v, int | float) else "a string" if isinstance(v, str) else "a list"
                if isinstance(v, list) else "an object")

    def child(self, key: str | int, value: Any) -> Path_:
        """The value ``value`` found at ``key`` below this path.

        Example:
            >>> Path_({}, ("a",)).child("b", 1).path
            ('a', 'b')
        """
        return Path_(value, (*self.path, key), self.file)

    def obj(self) -> dict[str, Any]:
        """This value as an object.

        Example:
            >>> Path_({"a": 1}).obj()
            {'a': 1}
        """
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, found {self._kind()}")
        return self.value

    def has(self, key: str) -> bool:
        """Whether this object has ``key`` (and it is not null).

        Example:
            >>> Path_({"a": None}).has("a")
            False
        """
        return self.obj().get(key) is not None

    def get(self, key: str) -> Path_:
        """The required field ``key``.

        Example:
            >>> Path_({"a": 1}).get("a").number()
            1.0
        """
        o = self.obj()
        if key not in o or o[key] is None:
            raise self.error(f"missing required field '{key}'")
        return self.child(key, o[key])

    def opt(self, key: str) -> Path_ | None:
        """The optional field ``key``, or None.

        Example:
            >>> Path_({}).opt("a") is None
            True
        """
        o = self.obj()
        return self.child(key, o[key]) if o.get(key) is not None else None

    def items(self) -> list[Path_]:
        """This value as a list of paths.

        Example:
            >>> [p.path for p in Path_([1, 2], ("a",)).items()]
            [('a', 0), ('a', 1)]
        """
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, found {self._kind()}")
        return [self.child(i, v) for i, v in enumerate(self.value)]

    def __iter__(self) -> Iterator[Path_]:
        return iter(self.items())

    def string(self) -> str:
        """This value as a non-empty string.

        Example:
            >>> Path_("x").string()
            'x'
        """
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, found {self._kind()}")
        if not self.value:
            raise self.error("expected a non-empty string")
        return self.value

    def number(self) -> float:
        """This value as a finite number.

        Example:
            >>> Path_(3).number()
            3.0
        """
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.error(f"expected a number, found {self._kind()}")
        try:
            f = float(v)
        except OverflowError:  # an integer literal beyond the float range
            raise self.error("expected a finite number, found an integer too large for a float") from None
        if not math.isfinite(f):
            raise self.error("expected a finite number")
        return f

    def bound(self) -> float:
        """A domain bound: a number, where +-inf is allowed as the strings "inf"/"-inf".

        Example:
            >>> Path_("-inf").bound()
            -inf
        """
        if isinstance(self.value, str) and self.value.lower() in ("inf", "+inf", "-inf", "infinity", "-infinity"):
            return -math.inf if self.value.startswith("-") else math.inf
        return self.number()

    def integer(self) -> int:
        """This value as an integer.

        Example:
            >>> Path_(2).integer()
            2
        """
        f = self.number()
        if f != int(f):
            raise self.error(f"expected an integer, found {f}")
        return int(f)

    def boolean(self) -> bool:
        """This value as a boolean (also 0/1).

        Example:
            >>> Path_(True).boolean()
            True
        """
        if isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, int) and self.value in (0, 1):
            return bool(self.value)
        raise self.error(f"expected a boolean, found {self._kind()}")
