"""``choose`` in the Python targets: a table look-up, by what the values are.

* all constants: a module-level array (``_T0 = np.array([...])``), read at the position (``_lookup``); the
  table ``0, 1, ..., n-1`` (the index the gradient compares with) is the position itself (``_index``);
* all scalars (parameters, values computed once per call, constants): a table stacked once per call
  (``_table``), read at each event's position -- one gather per event, whatever the size of the table;
* otherwise (event-dependent values): ``_choose``, the values broadcast and stacked, then gathered.

The helpers are in the targets' preludes (``pysource/array_prelude.py`` for NumPy and JAX, ``torch/prelude.py``).

Example:
    >>> from firmc.ir import apply, const, obs, param
    >>> from firmc.backends.pysource.dialects import NUMPY
    >>> tables = ConstTables()
    >>> k = obs("k")
    >>> choose_expr(apply("choose", k, const(0.5), const(2.0)), ["v0", "0.5", "2.0"], tables, lambda n: None)
    '_lookup(_T0, v0)'
    >>> choose_expr(apply("choose", k, param("a"), const(2.0)), ["v0", "p_a", "2.0"], tables, lambda n: None)
    '_lookup(_table(p_a, 2.0), v0)'
    >>> print(tables.declarations(NUMPY)[0])
    _T0 = np.array([0.5, 2.0], dtype=np.float64)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ...ir import Node
from ...ir.types import DType

if TYPE_CHECKING:
    from .emit import Dialect

PER_LINE = 8  # numbers to a line of a table literal


class ConstTables:
    """The constant tables of one generated module (shared by its functions; equal tables declared once).

    Example:
        >>> t = ConstTables()
        >>> t.name([1.0, 2.0], DType.REAL), t.name([1.0, 2.0], DType.REAL), t.name([True, False], DType.BOOL)
        ('_T0', '_T0', '_T1')
    """

    def __init__(self) -> None:
        self._names: dict[tuple[DType, tuple[str, ...]], str] = {}

    def name(self, values: Sequence[Any], dtype: DType) -> str:
        """The name of the module constant holding ``values`` as ``dtype`` (declared on first use).

        Example:
            >>> ConstTables().name([0.5, 1.5], DType.REAL)
            '_T0'
        """
        from .emit import literal

        key = (dtype, tuple(literal(_as(v, dtype)) for v in values))
        return self._names.setdefault(key, f"_T{len(self._names)}")

    def declarations(self, dialect: Dialect) -> list[str]:
        """The assignments declaring the tables, in the dialect's array type (``typed_array``).

        Example:
            >>> from firmc.backends.pysource.dialects import TORCH
            >>> t = ConstTables(); _ = t.name([1, 2], DType.INT)
            >>> t.declarations(TORCH)
            ['_T0 = torch.tensor([1, 2], dtype=torch.int64)']
        """
        out = []
        for (dtype, items), name in self._names.items():
            if len(items) <= PER_LINE:
                body = "[" + ", ".join(items) + "]"
            else:
                rows = ["    " + ", ".join(items[i:i + PER_LINE]) + "," for i in range(0, len(items), PER_LINE)]
                body = "[\n" + "\n".join(rows) + "\n]"
            out.append(f"{name} = " + dialect.typed_array.format(body, dtype.numpy))
        return out


def _as(v: Any, dtype: DType) -> Any:
    """A constant as a Python number of ``dtype`` (NumPy's conversion)."""
    if dtype is DType.BOOL:
        return bool(v)
    if dtype is DType.INT:
        return int(v)
    return complex(v) if dtype is DType.COMPLEX else float(v)


def is_positions(values: Sequence[Any], dtype: DType) -> bool:
    """Whether a constant real table is ``0, 1, ..., n-1`` (its look-up is the position itself).

    Example:
        >>> is_positions([0.0, 1.0, 2.0], DType.REAL), is_positions([0.0, 2.0], DType.REAL)
        (True, False)
    """
    return dtype is DType.REAL and all(float(v) == j for j, v in enumerate(values))


def choose_expr(n: Node, args: list[str], tables: ConstTables, constant: Callable[[Node], Any]) -> str | None:
    """The expression of the ``choose`` node ``n`` from its argument expressions, or None for the generic spelling
    (``_choose``, event-dependent values). ``constant(v)`` is the value of a value folded at emit time, or None.

    Example:
        >>> from firmc.ir import apply, const, obs
        >>> n = apply("choose", obs("k"), const(0.0), const(1.0), const(2.0))
        >>> choose_expr(n, ["v0", "0.0", "1.0", "2.0"], ConstTables(), lambda n: None)
        '_index(v0, 3)'
    """
    values = n.args[1:]
    consts = [v.attr("value") if v.op == "const" else constant(v) for v in values]
    if all(c is not None for c in consts):
        if is_positions(consts, n.type.dtype):
            return f"_index({args[0]}, {len(consts)})"
        return f"_lookup({tables.name(consts, n.type.dtype)}, {args[0]})"
    if not any(v.free for v in values):  # scalars: one table per call
        return f"_lookup(_table({', '.join(args[1:])}), {args[0]})"
    return None
