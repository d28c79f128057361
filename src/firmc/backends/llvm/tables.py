"""``choose`` in the llvm target (and its PTX kernels): a table look-up, by what the values are.

The position is the floor of k clamped to 0 .. n-1 with NaN giving 0, computed with compares and selects on
doubles before converting (``fptosi`` of NaN or of an out-of-range value is poison):
``select(k >= 1, select(floor(k) < n-1, floor(k), n-1), 0)``, then one ``fptosi``. Then:

* all values constant: a global constant array of the module, loaded at the position (one load per lane); the
  table ``0, 1, ..., n-1`` (the index the gradient compares with) is the position itself, no load;
* all values computed in the function body (parameters, values hoisted out of the loop): the table is part of
  the kernel's environment -- ``n`` consecutive doubles of ``env``, stored once per call by the function body
  (:meth:`~firmc.backends.llvm.emit.LFunction.pack`) -- and each event loads its entry at ``env + offset +
  position``; in a loop emitted in place (a quadrature rule of the function body) the table is an array on the
  stack, filled just before that loop;
* otherwise (values that vary in the loop): a chain of selects on the position.

Where the index is a column of the loop holding 0, 1, ..., size-1 (:func:`counts_rows`: HistFactory's bins), event
i reads entry i: one vector load. Otherwise a vector of ``width`` events reads its entries with one
``llvm.masked.gather`` (``vgatherqpd`` on AVX2 and AVX-512):
O(1) in ``n``. A table of n = 50 or 500 parameters summed over 10^6 embedded events costs 0.43 ns per event on one
AVX-512 core (0.24 ns for reading a plain column instead).

Example:
    >>> from firmc.ir import apply, obs, param
    >>> n = apply("choose", obs("k"), param("a"), param("b"))
    >>> is_table(n, lambda v: 0), is_table(n, lambda v: 1)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from llvmlite import ir

from ...ir import Node
from ...ir.types import DType
from ..scatter import Scatter
from ..schedule import post_order
from .ops import F64, I64

if TYPE_CHECKING:
    from .emit import LFunction, LScope

Env = list["Node | tuple[Node, ...]"]  # a kernel's environment: values, and tables (consecutive doubles)


def is_table(n: Node, depth: Callable[[Node], int]) -> bool:
    """Whether the ``choose`` node ``n`` reads a table of function-body values (``depth(v)``: the depth of the
    scope a value is computed in; 0 for the function body) that are not all constants.

    Example:
        >>> from firmc.ir import apply, const, obs
        >>> is_table(apply("choose", obs("k"), const(1.0), const(2.0)), lambda v: 0)
        False
    """
    values = n.args[1:]
    return all(depth(v) == 0 for v in values) and not all(v.op == "const" for v in values)


def environment(f: LFunction, bodies: Sequence[Node], inner: LScope) -> Env:
    """The values of the function body a kernel reads, and its tables of function-body values, in a
    deterministic order (a value read only through a table is not read alone).

    Example:
        >>> environment.__name__
        'environment'
    """
    tables: dict[tuple[Node, ...], Node] = {}

    def table(n: Node, at: LScope, h: LScope) -> list[tuple[Node, LScope]] | None:
        if n.op == "choose" and not f.constants.foldable(n) and _table_of_root(f, n, h):
            tables.setdefault(n.args[1:], n)
            return [(n.args[0], at)]  # the entries are read as the table, the index as itself
        return None

    values = {n for n in f.reads(list(bodies), inner, f.root, table) if f.args_of(n)}
    for n in [n for n in values if n.op == "complex"]:  # a complex value travels as its two parts
        values.discard(n)
        values.update(a for a in n.args if f.args_of(a))
    order = post_order(bodies)
    by_order: list[Node] = sorted(values, key=order)
    return [*by_order, *(t for t, _ in sorted(tables.items(), key=lambda item: order(item[1])))]


def _table_of_root(f: LFunction, n: Node, at: LScope) -> bool:
    return is_table(n, lambda v: f.home(v, at).depth) and not all(f.constants.foldable(v) or v.op == "const"
                                                                   for v in n.args[1:])


def choose(f: LFunction, n: Node, scope: LScope) -> ir.Value:
    """The value of the ``choose`` node ``n`` in ``scope`` (see the module docstring).

    Example:
        >>> choose.__name__
        'choose'
    """
    lo = f.lowering(scope.width)
    values = n.args[1:]
    consts = [v.attr("value") if v.op == "const" else f.constants.value(v) if f.constants.foldable(v) else None
              for v in values]
    table = all(c is not None for c in consts) or (scope.depth > 0 and _table_of_root(f, n, scope))
    if not table:
        return lo.apply(n, [f.ref(a, scope) for a in n.args])
    if counts_rows(f, n, scope):  # the event's own row: the index is the position, the entries consecutive
        pos = f.ref(n.args[0], scope)

        def read(base: ir.Value) -> ir.Value:
            return f.row(base, scope, scope.width)
    else:
        pos = lo.position(n.args[0], f.ref(n.args[0], scope), len(values))

        def read(base: ir.Value) -> ir.Value:
            return lo.gather(base, pos)
    known = [float(c) for c in consts if c is not None]
    if len(known) == len(values):
        if n.type.dtype is DType.REAL and all(c == j for j, c in enumerate(known)):
            return pos
        out = read(f.gen.table(known))
    else:
        out = read(root_table(f, values, scope))
    return f.b.fcmp_unordered("!=", out, lo.real(0.0)) if n.type.dtype is DType.BOOL else out


def counts_rows(f: LFunction, n: Node, scope: LScope) -> bool:
    """Whether the index of the ``choose`` node ``n`` is a column of the loop of ``scope`` that holds 0, 1, ...,
    size-1 with size at most the number of values: event i reads entry i (HistFactory's bins), so a vector of
    events reads consecutive entries with one load instead of a gather, and no clamping is needed.

    Example:
        >>> counts_rows.__name__
        'counts_rows'
    """
    k = n.args[0]
    if k.op != "obs" or f.home(k, scope) is not scope or not scope.count.isdigit():
        return False
    return scope.columns.get(k.attr("name")) in f.gen.counting and int(scope.count) <= len(n.args) - 1


def root_table(f: LFunction, values: tuple[Node, ...], scope: LScope) -> ir.Value:
    """The base pointer of the table of function-body ``values``: in a kernel, from its environment
    (:meth:`~firmc.backends.llvm.emit.LFunction.unpack`); in the function body, an array filled before the
    outermost loop around ``scope``.

    Example:
        >>> root_table.__name__
        'root_table'
    """
    if values in f.tables:
        return f.tables[values]
    s = scope
    while s.parent is not None and s.parent is not f.root:
        s = s.parent
    assert s.preheader is not None and s.preheader.terminator is not None, "a table read outside a loop"
    base = f.alloca(F64, len(values))
    inner, f.b = f.b, ir.IRBuilder(s.preheader)
    try:  # the values (and loads of parameters) before the loop
        f.b.position_before(s.preheader.terminator)
        store(f.b, base, 0, [(v, f.ref(v, f.root)) for v in values])
    finally:
        f.b = inner
    f.tables[values] = base
    return base


def store(b: ir.IRBuilder, base: ir.Value, at: int, items: Sequence[tuple[Node, ir.Value]]) -> None:
    """Store values (booleans as 0.0 and 1.0) at ``base[at ...]``.

    Example:
        >>> store.__name__
        'store'
    """
    for j, (v, x) in enumerate(items):
        b.store(b.uitofp(x, F64) if v.type.dtype is DType.BOOL else x,
                b.gep(base, [ir.Constant(I64, at + j)], source_etype=F64))


# -- the gradient of a table: one sum per entry, scattered (backends/scatter.py) ------------------------------
def scatter_arrays(f: LFunction, s: Scatter) -> tuple[ir.Value, ir.Value]:
    """The arrays of a :class:`Scatter`'s sums and compensations (on the stack), zeroed here (once per chunk).

    Example:
        >>> scatter_arrays.__name__
        'scatter_arrays'
    """
    arrays = (f.alloca(F64, s.size), f.alloca(F64, s.size))
    name, i8, i1 = "llvm.memset.p0.i64", ir.IntType(8), ir.IntType(1)
    memset = f.gen.module.globals.get(name) or ir.Function(
        f.gen.module, ir.FunctionType(ir.VoidType(), [ir.PointerType(), i8, I64, i1]), name)
    for a in arrays:
        f.b.call(memset, [a, ir.Constant(i8, 0), ir.Constant(I64, 8 * s.size), ir.Constant(i1, 0)])
    return arrays


def scatter(f: LFunction, s: Scatter, arrays: tuple[ir.Value, ir.Value], scope: LScope, w: ir.Value | None) -> None:
    """Add the events in progress (lane by lane, in order) into their entries of a :class:`Scatter`'s arrays.

    Example:
        >>> scatter.__name__
        'scatter'
    """
    b = f.b
    pos, v = f.ref(s.position, scope), f.ref(s.value, scope)
    if w is not None:
        v = b.fmul(w, v)
    width = scope.width
    idx = b.fptosi(pos, I64 if width == 1 else ir.VectorType(I64, width))
    for lane in range(width):
        at = ir.Constant(ir.IntType(32), lane)
        j, x = (idx, v) if width == 1 else (b.extract_element(idx, at), b.extract_element(v, at))
        f.accumulate(b.gep(arrays[0], [j], source_etype=F64), b.gep(arrays[1], [j], source_etype=F64), x)


def scattered_total(f: LFunction, arrays: tuple[ir.Value, ir.Value], j: int) -> ir.Value:
    """The chunk's sum of entry ``j`` of a :class:`Scatter`.

    Example:
        >>> scattered_total.__name__
        'scattered_total'
    """
    b, at = f.b, ir.Constant(I64, j)
    return b.fadd(b.load(b.gep(arrays[0], [at], source_etype=F64), typ=F64),
                  b.load(b.gep(arrays[1], [at], source_etype=F64), typ=F64))
