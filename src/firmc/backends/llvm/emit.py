"""LLVM IR for IR roots: values at a SIMD width, reductions as loops, event loops as chunked kernels.

The schedule is the C targets' (:mod:`firmc.backends.schedule`): per scope, loops placed by phase, so that the
NLL and every component of its gradient are one pass over the events. What differs is how a loop over the
events (a ``datasum`` of the function body, or the points of a per-point function) runs: it becomes a *kernel*,
a separate function over a range of fixed-size chunks of events, started on all threads by the module's
parallel-for (:mod:`.module`). The kernel reads what it needs from the function body through an environment
array; per chunk it runs a vector loop of ``width`` events at a time and a scalar loop over the rest, each
accumulator summed with Neumaier's compensation per lane, and writes one partial sum per chunk and accumulator.
The function body then adds the partial sums in chunk order (compensated), so the result does not depend on
the number of threads. Other loops (quadrature rules, nested sums) are emitted in place at the width of the
scope around them.

Example:
    >>> LScope(0).bound
    frozenset()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llvmlite import ir

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from ..quadrules import DomainKey, domain_key
from ..scatter import scatters
from ..schedule import Phased
from ..scoping import Constants, bound_columns
from . import tables
from .ops import F64, I32, I64, PTR, Lowering, bool_type, real_type
from .tables import Env

if TYPE_CHECKING:
    from .module import ModuleGen

CHUNK = 4096  # events per chunk: the unit of work of a thread and of a partial sum
BLOCK = 32  # vectors per block: summed plainly, the block totals with compensation (a two-level sum)
BLOCK_INSTRUCTIONS = 2000  # straight-line code is split into basic blocks of about this size
KERNEL_TYPE = ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, PTR, I64, I64, PTR])
# kernel(p, x, w, n, env, first chunk, end chunk, out): out[chunk * n_acc + k] for a sum, out[event] for values


def size(env: Env) -> int:
    """The number of doubles of an environment (a table counts its values).

    Example:
        >>> from firmc.ir import param
        >>> size([param("a"), (param("b"), param("c"))])
        3
    """
    return sum(len(m) if isinstance(m, tuple) else 1 for m in env)


@dataclass(eq=False)
class LScope:
    """A block of a generated function: depth, bound observables (to column specs: ``x<k>`` the k-th observable
    array of the call, ``g<name>`` a global array), weights and count specs, and the emission in progress
    (its width and loop index)."""

    depth: int
    columns: Mapping[str, str] = field(default_factory=dict)
    parent: LScope | None = None
    weights: str = ""
    count: str = ""
    always_weighted: bool = False
    events: bool = False  # the loop over the call's events or points: a kernel
    width: int = 1
    index: ir.Value | None = None
    wbase: ir.Value | None = None  # the call's weights, or any array of the right length when there are none
    has_w: ir.Value | None = None
    start: ir.Value | None = None  # set when weights are read relative to the chunk's start
    static_w: bool | None = None  # the call's weights known present/absent in the code being emitted
    preheader: ir.Block | None = None  # an inline loop: the block that enters it (tables are filled there)

    @property
    def bound(self) -> frozenset[str]:
        """Observables bound here."""
        return frozenset(self.columns)

    @property
    def strided(self) -> bool:
        """Whether the loop index steps over ``width`` consecutive elements (vector loads)."""
        return self.events and self.width > 1


class LFunction(Phased[LScope]):
    """Builds the body of one LLVM function (``args``: the IR values of p, x, w, n it was given).

    Example:
        >>> LFunction.block.__name__
        'block'
    """

    def __init__(self, gen: ModuleGen, fn: ir.Function, args: Mapping[str, ir.Value]) -> None:
        self.gen, self.fn, self.args = gen, fn, dict(args)
        self.entry = fn.append_basic_block("entry")
        self.b = ir.IRBuilder(fn.append_basic_block("body"))
        self.root = LScope(0)
        self.names: dict[tuple[int, Node], ir.Value] = {}
        self.pairs: dict[tuple[int, Node], tuple[ir.Value, ir.Value]] = {}
        self.depths: dict[int, int] = {}
        self._children: dict[tuple[int, object], LScope] = {}
        self.constants = Constants(complex_values=False)
        self._columns: dict[str, ir.Value] = {}
        self.kernels = 0
        self.tables: dict[tuple[Node, ...], ir.Value] = {}  # choose's tables of function-body values: base pointers

    def finish(self) -> None:
        """Close the entry block (allocas) into the body."""
        ir.IRBuilder(self.entry).branch(self.fn.blocks[1])

    def alloca(self, typ: ir.Type, count: int = 1) -> ir.Value:
        """Stack memory in the entry block (promoted to registers by the optimiser)."""
        b = ir.IRBuilder(self.entry)
        if self.entry.instructions:
            b.position_before(self.entry.instructions[0])
        return b.alloca(typ, size=ir.Constant(I64, count) if count > 1 else None)

    # -- scopes -------------------------------------------------------------------------------------------
    def points(self, count: str) -> LScope:
        """The loop over the points of a per-point function (observables bound to the call's arrays)."""
        cols = {o: f"x{k}" for k, o in enumerate(self.gen.program.observables)}
        return LScope(1, cols, self.root, "", count, events=True)

    def child(self, n: Node, scope: LScope) -> LScope:
        """The loop a ``datasum`` or ``integral`` opens in ``scope``."""
        d = scope.depth + 1
        if n.op == "datasum":
            key: object = ("datasum", n.attr("dataset"), tuple(n.attr("binds")))
            cols, weights, count = bound_columns(self.gen.datasets, n)
            new = LScope(d, cols, scope, weights, count, events=d == 1)
        else:
            dom: DomainKey = domain_key(n)
            key = ("integral", dom)
            arrays, weights, size = self.gen.rules[dom]
            new = LScope(d, dict(zip(n.attr("vars"), arrays, strict=True)), scope, weights, str(size),
                         always_weighted=True)
        return self._children.setdefault((id(scope), key), new)

    def column(self, spec: str) -> ir.Value:
        """The base pointer of a column spec."""
        if spec not in self._columns:
            b = ir.IRBuilder(self.entry)
            if spec.startswith("x"):
                slot = b.gep(self.args["x"], [ir.Constant(I64, int(spec[1:]))], source_etype=PTR)
                self._columns[spec] = b.load(slot, typ=PTR)
            elif spec == "w":
                self._columns[spec] = self.args["w"]
            else:
                self._columns[spec] = self.gen.globals[spec[1:]]
        return self._columns[spec]

    def count(self, scope: LScope) -> ir.Value:
        """The trip count of a loop."""
        return self.args["n"] if scope.count == "n" else ir.Constant(I64, int(scope.count))

    # -- values ---------------------------------------------------------------------------------------------
    def lowering(self, width: int) -> Lowering:
        """Op lowering at ``width`` with this function's builder."""
        return Lowering(self.gen.module, self.b, width, self.gen.libm)

    def ref(self, n: Node, scope: LScope) -> ir.Value:
        """The value of ``n`` as seen from ``scope`` (at the scope's width; it must have been emitted)."""
        h = self.home(n, scope)
        lo = self.lowering(scope.width)
        if n.op == "const":
            return lo.real(float(n.attr("value"))) if n.type.dtype is not DType.BOOL else \
                self._bool(bool(n.attr("value")), scope.width)
        if n.op == "param":
            j = self.gen.program.parameters.index(n.attr("name"))
            slot = self.b.gep(self.args["p"], [ir.Constant(I64, j)], source_etype=F64)
            return lo.splat(self.b.load(slot, typ=F64))
        if n.op == "obs":
            return self._load(h.columns[n.attr("name")], h, scope.width)
        if self.constants.foldable(n):
            v = self.constants.value(n)
            return self._bool(bool(v), scope.width) if n.type.dtype is DType.BOOL else lo.real(float(v))
        return lo.splat(self.names[(id(h), n)])

    @staticmethod
    def _bool(v: bool, width: int) -> ir.Value:
        c = ir.Constant(ir.IntType(1), int(v))
        return c if width == 1 else ir.Constant(bool_type(width), [c] * width)

    def _load(self, spec: str, scope: LScope, width: int) -> ir.Value:
        return self.row(self.column(spec), scope, width)

    def row(self, base: ir.Value, scope: LScope, width: int) -> ir.Value:
        """The doubles at ``base[i]`` for the element(s) ``i`` in progress in ``scope``, at ``width``: one vector
        load where the loop steps over consecutive elements, else one load splat."""
        assert scope.index is not None
        ptr = self.b.gep(base, [scope.index], source_etype=F64)
        if not scope.strided:
            return self.lowering(width).splat(self.b.load(ptr, typ=F64))
        return self.b.load(ptr, typ=real_type(scope.width), align=8)

    def _remember(self, scope: LScope, n: Node, v: ir.Value) -> None:
        self.depths[id(scope)] = scope.depth
        self.names[(id(scope), n)] = v

    def forget(self, depth: int) -> None:
        """Drop the values of scopes deeper than ``depth`` (their loop has closed)."""
        for k in [k for k in self.names if self.depths[k[0]] > depth]:
            del self.names[k]
        for k in [k for k in self.pairs if self.depths[k[0]] > depth]:
            del self.pairs[k]

    def value(self, n: Node, scope: LScope) -> None:
        """Emit one value of ``scope``."""
        if n.op in ("const", "param", "obs") or self.constants.foldable(n) or (id(scope), n) in self.names:
            return
        if n.op == "complex":
            self.pairs[(id(scope), n)] = (self.ref(n.args[0], scope), self.ref(n.args[1], scope))
            self._remember(scope, n, ir.Constant(F64, 0.0))
            return
        if n.op == "faddeeva":
            h = self.home(n.args[0], scope)
            re, im = self.pairs[(id(h), n.args[0])]
            self.pairs[(id(scope), n)] = self.gen.faddeeva(self, self.lowering(scope.width).splat(re),
                                                          self.lowering(scope.width).splat(im), scope.width)
            self._remember(scope, n, ir.Constant(F64, 0.0))
            return
        if n.op in ("real", "imag") and n.args[0].type.dtype is DType.COMPLEX:
            h = self.home(n.args[0], scope)
            pair = self.pairs[(id(h), n.args[0])]
            self._remember(scope, n, pair[0] if n.op == "real" else pair[1])
            return
        if n.type.dtype is DType.COMPLEX:
            raise UnsupportedFeature(f"complex op '{n.op}' left after lowering (target llvm)")
        if n.op == "choose":
            self._remember(scope, n, tables.choose(self, n, scope))
            return
        args = [self.ref(a, scope) for a in n.args]
        self._remember(scope, n, self.lowering(scope.width).apply(n, args))

    def pair(self, n: Node, scope: LScope) -> tuple[ir.Value, ir.Value]:
        """The (re, im) values of a complex root."""
        h = self.home(n, scope)
        lo = self.lowering(scope.width)
        if (id(h), n) not in self.pairs and n.op == "complex":  # a constant root: never emitted as a value
            return lo.splat(self.ref(n.args[0], scope)), lo.splat(self.ref(n.args[1], scope))
        re, im = self.pairs[(id(h), n)]
        return lo.splat(re), lo.splat(im)

    # -- blocks and loops -----------------------------------------------------------------------------------
    def block(self, targets: Sequence[Node], scope: LScope | None = None) -> None:
        """Emit what computes ``targets`` in ``scope``, loops placed by phase."""
        scope = scope or self.root
        for loop, nodes in self.plan(targets, scope):
            if not loop:
                self.value(nodes[0], scope)
                if scope is self.root and len(self.b.block.instructions) > BLOCK_INSTRUCTIONS:
                    self._next_block()
            elif self.child(nodes[0], scope).events:
                self.kernel_sums(nodes, scope)
            else:
                self.inline_loop(nodes, scope)

    def _next_block(self) -> None:
        """Continue straight-line code in a new basic block: LLVM's instruction selection and scheduling work per
        block and grow faster than linearly with its size (a HistFactory NLL of 74 000 instructions in one block
        took 13-22 s to compile; in blocks of 2 000, see the notes)."""
        nxt = self.fn.append_basic_block("cont")
        self.b.branch(nxt)
        self.b.position_at_end(nxt)

    def counted(self, start: ir.Value, stop: ir.Value, step: int, body: Callable[[ir.Value], None]) -> ir.Value:
        """``for (i = start; i + step <= stop; i += step) body(i)``; returns the first index not done."""
        b = self.b
        pre = b.block
        head = self.fn.append_basic_block("loop")
        loop_body = self.fn.append_basic_block("loop.body")
        done = self.fn.append_basic_block("loop.end")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(start, pre)
        nxt = b.add(i, ir.Constant(I64, step))
        b.cbranch(b.icmp_signed("<=", nxt, stop), loop_body, done)
        b.position_at_end(loop_body)
        body(i)
        i.add_incoming(nxt, b.block)
        b.branch(head)
        b.position_at_end(done)
        return i

    def accumulate(self, s: ir.Value, c: ir.Value, v: ir.Value) -> None:
        """Neumaier's compensated sum, lane-wise: ``*s + *c`` carries the total. Once a lane's sum is infinite
        (or NaN) its compensation stays put: inf - inf would make the total NaN."""
        b, typ = self.b, v.type
        lo = self.lowering(int(typ.count) if isinstance(typ, ir.VectorType) else 1)
        sv = b.load(s, typ=typ)
        t = b.fadd(sv, v)
        big = b.fcmp_ordered(">=", lo._intrinsic("llvm.fabs", [sv]), lo._intrinsic("llvm.fabs", [v]))
        corr = b.select(big, b.fadd(b.fsub(sv, t), v), b.fadd(b.fsub(v, t), sv))
        finite = b.fcmp_ordered("<", lo._intrinsic("llvm.fabs", [t]), lo.real(math.inf))
        corr = b.select(finite, corr, lo.real(0.0))
        b.store(b.fadd(b.load(c, typ=typ), corr), c)
        b.store(t, s)

    def weight(self, inner: LScope) -> ir.Value | None:
        """The weight of the element in progress of a reduction (None: unweighted)."""
        if not inner.weights or inner.static_w is False:
            return None
        assert inner.index is not None
        call_weights = inner.events and inner.weights == "w"
        base = inner.wbase if call_weights else self.column(inner.weights)
        assert base is not None
        index = inner.index if inner.start is None else self.b.sub(inner.index, inner.start)
        ptr = self.b.gep(base, [index], source_etype=F64)
        if not inner.strided:
            wv = self.lowering(inner.width).splat(self.b.load(ptr, typ=F64))
        else:
            wv = self.b.load(ptr, typ=real_type(inner.width), align=8)
        if call_weights and inner.static_w is None:  # decided per call: 1 without weights
            assert inner.has_w is not None
            wv = self.b.select(inner.has_w, wv, self.lowering(inner.width).real(1.0))
        return wv

    def _term(self, d: Node, inner: LScope, wv: ir.Value | None) -> ir.Value:
        v = self.ref(d.args[0], inner)
        return v if wv is None else self.b.fmul(wv, v)

    def inline_loop(self, group: list[Node], scope: LScope) -> None:
        """A loop emitted in place (quadrature rules, sums over embedded data inside a kernel)."""
        inner = self.child(group[0], scope)
        inner.width = scope.width
        typ = real_type(scope.width)
        zero = self.lowering(scope.width).real(0.0)
        accs = [(self.alloca(typ), self.alloca(typ)) for _ in group]
        for s, c in accs:
            self.b.store(zero, s)
            self.b.store(zero, c)

        def body(i: ir.Value) -> None:
            inner.index = i
            self.block([d.args[0] for d in group], inner)
            wv = self.weight(inner)
            for d, (s, c) in zip(group, accs, strict=True):
                self.accumulate(s, c, self._term(d, inner, wv))

        inner.preheader = self.b.block
        self.counted(ir.Constant(I64, 0), self.count(inner), 1, body)
        self.forget(scope.depth)
        for d, (s, c) in zip(group, accs, strict=True):
            self._remember(scope, d, self.b.fadd(self.b.load(s, typ=typ), self.b.load(c, typ=typ)))

    # -- kernels ---------------------------------------------------------------------------------------------
    def environment(self, bodies: Sequence[Node], inner: LScope) -> Env:
        """The values of the function body a kernel reads, and its tables (:func:`.tables.environment`)."""
        return tables.environment(self, bodies, inner)

    def pack(self, env: Env) -> ir.Value:
        """Store the environment's values into an array of doubles (a table: its values one after another)."""
        arr = self.alloca(F64, max(size(env), 1))
        at = 0
        for m in env:
            items = m if isinstance(m, tuple) else (m,)
            tables.store(self.b, arr, at, [(v, self.ref(v, self.root)) for v in items])
            at += len(items)
        return arr

    def unpack(self, env: Env) -> None:
        """In a kernel: the function body's values it reads, from the environment array (the inverse of pack), and
        where its tables start."""
        at = 0
        for m in env:
            slot = self.b.gep(self.args["env"], [ir.Constant(I64, at)], source_etype=F64)
            if isinstance(m, tuple):
                self.tables[m] = slot
                at += len(m)
                continue
            v = self.b.load(slot, typ=F64)
            if m.type.dtype is DType.BOOL:
                v = self.b.fcmp_unordered("!=", v, ir.Constant(F64, 0.0))
            self._remember(self.root, m, v)
            at += 1

    def kernel_sums(self, group: list[Node], scope: LScope) -> None:
        """A sum over events: a kernel over chunks on all threads, its partial sums added in chunk order."""
        inner = self.child(group[0], scope)
        bodies = [d.args[0] for d in group]
        env = self.environment(bodies, inner)
        kfn = self.gen.kernel(f"{self.fn.name}.k{self.kernels}", env, bodies, group, inner)
        self.kernels += 1
        n = self.count(inner)
        chunks = self.b.udiv(self.b.add(n, ir.Constant(I64, CHUNK - 1)), ir.Constant(I64, CHUNK))
        nacc = len(group)
        partials = self.gen.malloc(self.b, self.b.mul(chunks, ir.Constant(I64, nacc)))
        self.gen.parallel_for(self, kfn, self.pack(env), n, chunks, partials)
        for k, d in enumerate(group):
            s, c = self.alloca(F64), self.alloca(F64)
            self.b.store(ir.Constant(F64, 0.0), s)
            self.b.store(ir.Constant(F64, 0.0), c)

            def add(i: ir.Value, k: int = k, s: ir.Value = s, c: ir.Value = c) -> None:
                slot = self.b.add(self.b.mul(i, ir.Constant(I64, nacc)), ir.Constant(I64, k))
                self.accumulate(s, c, self.b.load(self.b.gep(partials, [slot], source_etype=F64), typ=F64))

            self.counted(ir.Constant(I64, 0), chunks, 1, add)
            self._remember(scope, d, self.b.fadd(self.b.load(s, typ=F64), self.b.load(c, typ=F64)))
        self.gen.free(self.b, partials)

    def kernel_values(self, root: Node, points: LScope, out: ir.Value) -> None:
        """A per-point function's loop: a kernel over chunks of points writing ``out``."""
        env = self.environment([root], points)
        kfn = self.gen.kernel(f"{self.fn.name}.k{self.kernels}", env, [root], None, points)
        self.kernels += 1
        n = self.args["n"]
        chunks = self.b.udiv(self.b.add(n, ir.Constant(I64, CHUNK - 1)), ir.Constant(I64, CHUNK))
        self.gen.parallel_for(self, kfn, self.pack(env), n, chunks, out)

    def kernel_body(self, env: Env, bodies: Sequence[Node], group: Sequence[Node] | None,
                    inner: LScope, width: int) -> None:
        """The body of a kernel function (this function is the kernel): chunk loop, vector and scalar loops."""
        a = self.args
        self.unpack(env)
        scope = self.child(group[0], self.root) if group is not None else self.points(inner.count)
        n = self.count(scope)
        out = a["out"]

        def chunk(c: ir.Value) -> None:
            start = self.b.mul(c, ir.Constant(I64, CHUNK))
            end = self.b.add(start, ir.Constant(I64, CHUNK))
            stop = self.b.select(self.b.icmp_signed("<", end, n), end, n)
            if scope.weights == "w" and self.gen.weighted is not None:  # compiled for one case only
                scope.static_w, scope.wbase = self.gen.weighted, a["w"]
            elif scope.weights == "w":  # without weights, read any valid array (and use 1 instead)
                scope.has_w = self.b.icmp_unsigned("!=", a["w"], ir.Constant(PTR, None))
                if scope.columns:
                    scope.wbase = self.b.select(scope.has_w, a["w"], self.column(min(scope.columns.values())))
                else:  # no column to stand in: CHUNK ones, read relative to the chunk's start
                    scope.start = start
                    scope.wbase = self.b.select(scope.has_w, self.b.gep(a["w"], [start], source_etype=F64),
                                                self.gen.ones())
            if group is None:
                self._store_loop(bodies[0], scope, start, stop, width, out)
            else:
                self._sum_loop(group, scope, start, stop, width, c, out)

        self.counted(a["lo"], a["hi"], 1, chunk)

    def _store_loop(self, root: Node, scope: LScope, start: ir.Value, stop: ir.Value, width: int,
                    out: ir.Value) -> None:
        def body(i: ir.Value) -> None:
            scope.index = i
            self.block([root], scope)
            ptr = self.b.gep(out, [i], source_etype=F64)
            if root.type.dtype is DType.COMPLEX:
                re, im = self.pair(root, scope)
                two = self.b.mul(i, ir.Constant(I64, 2))
                for lane in range(scope.width):
                    for part, v in ((0, re), (1, im)):
                        x = v if scope.width == 1 else self.b.extract_element(v, ir.Constant(I32, lane))
                        slot = self.b.add(two, ir.Constant(I64, 2 * lane + part))
                        self.b.store(x, self.b.gep(out, [slot], source_etype=F64))
                return
            v = self.ref(root, scope)
            if root.type.dtype is DType.BOOL:
                v = self.b.uitofp(v, real_type(scope.width))
            self.b.store(v, ptr, align=8)

        rest = start
        for w in (width, 1) if width > 1 else (1,):
            scope.width = w
            rest = self.counted(rest, stop, w, body)
            self.forget(0)

    def _sum_loop(self, every: Sequence[Node], scope: LScope, start: ir.Value, stop: ir.Value, width: int,
                  c: ir.Value, out: ir.Value) -> None:
        spread = scatters(every)  # a table's gradient: one scatter, not a sum per entry (backends/scatter.py)
        members = {k: (s, j) for s in spread for k, j in s.members.items()}
        group = [d for k, d in enumerate(every) if k not in members]
        bodies = [d.args[0] for d in group] + [x for s in spread for x in (s.position, s.value)]
        arrays = {id(s): tables.scatter_arrays(self, s) for s in spread}
        lanes = width // 2 if width >= 8 else width  # accumulators: half the lanes (the two halves added first)
        widths = (lanes, 1) if width > 1 else (1,)
        accs = {w: self._zeroed(w, len(group)) for w in widths}
        rest = start
        if width > 1:  # blocks of BLOCK vectors summed plainly, each block total added with compensation
            scope.width = width
            plain = [self.alloca(real_type(lanes)) for _ in group]

            def vector(i: ir.Value) -> None:
                scope.index = i
                self.block(bodies, scope)
                wv = self.weight(scope)
                for d, q in zip(group, plain, strict=True):
                    term = self.fold(self._term(d, scope, wv), lanes)
                    self.b.store(self.b.fadd(self.b.load(q, typ=real_type(lanes)), term), q)
                for sc in spread:
                    tables.scatter(self, sc, arrays[id(sc)], scope, wv)

            # every full vector of the chunk goes through the blocks (the last one shorter): a loop of fewer
            # than BLOCK vectors (HistFactory's 50 bins) is vectorised too; the events after the last full
            # vector go one by one. ``i + step <= last + step - 1`` is ``i < last``: one loop, one body.
            step, last = width * BLOCK, self._after_full_vectors(start, stop, width)
            bound = self.b.add(last, ir.Constant(I64, step - 1))

            def block(i: ir.Value) -> None:
                for q in plain:
                    self.b.store(self.lowering(lanes).real(0.0), q)
                end = self.b.add(i, ir.Constant(I64, step))
                self.counted(i, self.b.select(self.b.icmp_signed("<", end, last), end, last), width, vector)
                for (s, cc), q in zip(accs[lanes], plain, strict=True):
                    self.accumulate(s, cc, self.b.load(q, typ=real_type(lanes)))

            if scope.has_w is None:
                self.counted(start, bound, step, block)
                self.forget(0)
            else:  # the hot loop twice, with and without weights, rather than a choice per event
                with self.b.if_else(scope.has_w) as (weighted, unweighted):
                    for flag, branch in ((True, weighted), (False, unweighted)):
                        with branch:
                            scope.static_w = flag
                            self.counted(start, bound, step, block)
                            self.forget(0)
                scope.static_w = None
            rest = last
        scope.width = 1

        def scalar(i: ir.Value) -> None:
            scope.index = i
            self.block(bodies, scope)
            wv = self.weight(scope)
            for d, (s, cc) in zip(group, accs[1], strict=True):
                self.accumulate(s, cc, self._term(d, scope, wv))
            for sc in spread:
                tables.scatter(self, sc, arrays[id(sc)], scope, wv)

        self.counted(rest, stop, 1, scalar)
        self.forget(0)
        ordinary = iter(zip(*(accs[w] for w in widths), strict=True))  # per ordinary sum: its accumulators by width
        totals = [tables.scattered_total(self, arrays[id(members[k][0])], members[k][1]) if k in members
                  else self._total(next(ordinary)) for k in range(len(every))]
        for k, total in enumerate(totals):  # the chunk's sums: out[chunk * n_acc + k]
            slot = self.b.add(self.b.mul(c, ir.Constant(I64, len(every))), ir.Constant(I64, k))
            self.b.store(total, self.b.gep(out, [slot], source_etype=F64))

    def _after_full_vectors(self, start: ir.Value, stop: ir.Value, width: int) -> ir.Value:
        """The first index after the full vectors of ``width`` from ``start`` before ``stop``."""
        full = self.b.sdiv(self.b.sub(stop, start), ir.Constant(I64, width))
        return self.b.add(start, self.b.mul(full, ir.Constant(I64, width)))

    def _zeroed(self, width: int, count: int) -> list[tuple[ir.Value, ir.Value]]:
        """``count`` compensated accumulators (sum, compensation) of ``width`` lanes, set to zero."""
        accs = [(self.alloca(real_type(width)), self.alloca(real_type(width))) for _ in range(count)]
        zero = self.lowering(width).real(0.0)
        for s, c in accs:
            self.b.store(zero, s)
            self.b.store(zero, c)
        return accs

    def _total(self, accs: Sequence[tuple[ir.Value, ir.Value]]) -> ir.Value:
        """A chunk's sum from its accumulators (vector lanes and the scalar tail): a plain sum of a few compensated
        partial sums."""
        total: ir.Value = ir.Constant(F64, 0.0)
        for pair in accs:
            for acc in pair:
                typ = acc.allocated_type
                v = self.b.load(acc, typ=typ)
                total = self.b.fadd(total, self.reduce(v) if isinstance(typ, ir.VectorType) else v)
        return total

    def fold(self, v: ir.Value, lanes: int) -> ir.Value:
        """A vector as ``lanes`` lanes: its halves added (fewer registers held by the accumulators)."""
        width = int(v.type.count)
        if width == lanes:
            return v
        half = width // 2
        lo = self.b.shuffle_vector(v, v, ir.Constant(ir.VectorType(I32, half), list(range(half))))
        hi = self.b.shuffle_vector(v, v, ir.Constant(ir.VectorType(I32, half), list(range(half, width))))
        return self.fold(self.b.fadd(lo, hi), lanes)

    def reduce(self, v: ir.Value) -> ir.Value:
        """The sum of a vector's lanes, in lane order."""
        typ = v.type
        name = f"llvm.vector.reduce.fadd.v{typ.count}f64"
        fn = self.gen.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.gen.module, ir.FunctionType(F64, [F64, typ]), name)
        return self.b.call(fn, [ir.Constant(F64, -0.0), v])

