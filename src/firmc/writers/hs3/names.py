"""Names of the written document: the model's names (mangled where ROOT rejects them) and fresh ones.

ROOT's JSON importer accepts names ``[A-Za-z][A-Za-z0-9_]*`` (``a.b``, ``a-b``, ``_a``, ``1a``, ``σ`` and
``op:exp`` are refused; checked with ROOT 6.40.00). In the ROOT dialect every other character becomes ``_``,
a name that does not start with a letter gets an ``n`` in front, and a clash gets ``_2``, ``_3`` ...;
the original names are kept in ``misc.firmc.original_names``. Mangling is done once for all the model's
names in sorted order, so it does not depend on the order objects are written in.

Example:
    >>> n = Namer("root", ["a.b", "a_b", "σ"])
    >>> n.out("a.b"), n.out("a_b"), n.out("σ"), n.fresh("model_c")
    ('a_b_2', 'a_b', 'n_', 'model_c')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .expression import Dialect

_BAD = re.compile(r"[^A-Za-z0-9_]")
_RESERVED = frozenset({"true", "false", "int", "double", "float", "return", "if", "else", "for", "while"})


class Namer:
    """Output names for the model's names, and fresh names that clash with none of them.

    Example:
        >>> Namer("spec", ["a b"]).out("a b")
        'a b'
    """

    def __init__(self, dialect: Dialect, names: Iterable[str]) -> None:
        self.dialect = dialect
        originals = sorted(set(names))
        self.taken: set[str] = set(originals)
        self._out: dict[str, str] = {}
        self.original: dict[str, str] = {}  # mangled -> original, where they differ
        if dialect == "root":
            valid = {n for n in originals if self._valid(n)}
            self._out = {n: n for n in valid}
            for n in originals:
                if n not in valid:
                    m = self._unique(self._mangle(n), valid)
                    valid.add(m)
                    self.taken.add(m)
                    self._out[n] = m
                    self.original[m] = n

    @staticmethod
    def _valid(name: str) -> bool:
        return bool(name) and name[0].isascii() and name[0].isalpha() and not _BAD.search(name) \
            and name not in _RESERVED

    @staticmethod
    def _mangle(name: str) -> str:
        m = _BAD.sub("_", name)
        return m if m[:1].isascii() and m[:1].isalpha() and m not in _RESERVED else "n" + m

    def _unique(self, stem: str, taken: set[str]) -> str:
        if stem not in taken and stem not in self.taken:
            return stem
        k = 2
        while f"{stem}_{k}" in taken or f"{stem}_{k}" in self.taken:
            k += 1
        return f"{stem}_{k}"

    def out(self, name: str) -> str:
        """The written name of the model's ``name`` (itself unless mangled).

        Example:
            >>> Namer("root", ["1a"]).out("1a")
            'n1a'
        """
        got = self._out.get(name)
        if got is None:
            got = self._out[name] = name if self.dialect == "spec" else self._unique(self._mangle(name), set())
            self.taken.add(got)
            if got != name:
                self.original[got] = name
        return got

    def fresh(self, stem: str) -> str:
        """A new name from ``stem`` (valid in the dialect) that clashes with no other name.

        Example:
            >>> n = Namer("spec", ["f"]); n.fresh("f"), n.fresh("f")
            ('f_2', 'f_3')
        """
        base = stem if self._valid(stem) else self._mangle(stem)  # fresh names also stand in expressions
        name = self._unique(base, set())
        self.taken.add(name)
        return name
