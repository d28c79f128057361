"""``choose`` in the C-family targets: a table look-up, by what the values are.

* all constants: a constant array of the file (``T0``; on the device ``dT0``), read at ``fc_choice(k, n)``; the
  table ``0, 1, ..., n-1`` (the index the gradient compares with) is the position itself;
* values that do not vary in the loop the look-up is in (parameters, values of an enclosing scope): an array
  declared once before that loop (:meth:`~firmc.backends.csource.emit.CFunction.invariant_table`; a CUDA kernel
  gets it through its array of host values), then one load per event;
* otherwise: ``fc_pick(k, {v_0, ..., v_n-1})`` (the values are computed per event anyway).

Example:
    >>> t = CTables()
    >>> t.name("double", [0.5, 2.0]), t.name("double", [0.5, 2.0]), t.name("bool", [True, False])
    ('T0', 'T0', 'T1')
    >>> print(t.declarations("inline constexpr")[1])
    inline constexpr bool T1[] = {
        true, false
    };
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...ir.types import DType
from .dialects import CPP, CDialect

PER_LINE = 6  # numbers to a line of a table


class CTables:
    """The constant tables of one generated file (shared by its functions; equal tables declared once).

    Example:
        >>> CTables().name("double", [1.0])
        'T0'
    """

    def __init__(self) -> None:
        self._tables: dict[tuple[str, tuple[str, ...]], tuple[str, list[Any]]] = {}

    def name(self, ctype: str, values: Sequence[Any]) -> str:
        """The name of the constant array of ``values`` (C type ``double`` or ``bool``).

        Example:
            >>> t = CTables()
            >>> t.name("double", [1.0, 2.0]), t.name("double", [1.0, 3.0])
            ('T0', 'T1')
        """
        vals = [bool(v) if ctype == "bool" else float(v) for v in values]
        key = (ctype, tuple(repr(v) for v in vals))
        if key not in self._tables:
            self._tables[key] = (f"T{len(self._tables)}", vals)
        return self._tables[key][0]

    def declarations(self, decl: str, dialect: CDialect = CPP, prefix: str = "") -> list[str]:
        """The declarations of the tables (``decl``: the storage, e.g. ``inline constexpr`` or ``__device__ const``;
        ``prefix`` goes before each name).

        Example:
            >>> t = CTables(); _ = t.name("double", [float("inf")])
            >>> from firmc.backends.csource.dialects import CUDA
            >>> t.declarations("__device__ const", CUDA, "d")[0].splitlines()[0:2]
            ['__device__ const double dT0[] = {', '    HUGE_VAL']
        """
        out = []
        for (ctype, _), (name, vals) in self._tables.items():
            dtype = DType.BOOL if ctype == "bool" else DType.REAL
            items = [dialect.literal(v, dtype) for v in vals]
            rows = [", ".join(items[i:i + PER_LINE]) for i in range(0, len(items), PER_LINE)]
            out.append(f"{decl} {ctype} {prefix}{name}[] = {{\n    " + ",\n    ".join(rows) + "\n};")
        return out


def is_positions(values: Sequence[Any], dtype: DType) -> bool:
    """Whether a constant real table is ``0, 1, ..., n-1`` (its look-up is the position itself).

    Example:
        >>> is_positions([0.0, 1.0, 2.0], DType.REAL), is_positions([True, False], DType.BOOL)
        (True, False)
    """
    return dtype is DType.REAL and all(float(v) == j for j, v in enumerate(values))
