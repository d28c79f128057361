"""The LLVM module of a program: constant arrays, the API functions with a plain C ABI, their kernels and the
threads that run them.

Surface (``<ns>`` = ``firmc_<entry>``), the C ABI of the cpp target (``size_t`` is ``i64``):

* ``void <ns>_pdf|value|logpdf(const double* p, const double* const* x, size_t n, double* out)``;
* ``double <ns>_expected(const double* p)``; ``double <ns>_nll(p, x, w, n)``;
  ``double <ns>_nll_grad(p, x, w, n, double* grad)``; ``double <ns>_nll_hessian(p, x, w, n, double* h)``;
* ``void <ns>_set_threads(int)``: threads for the event loops (0, the default: all online cores).

A loop over events runs as a kernel over chunks of :data:`~.emit.CHUNK` events; its ``.run`` function splits the
chunks over POSIX threads (``pthread_create``; the calling thread takes the first share), so the library needs
no runtime of its own beyond the C library.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program, Parameter
    >>> prog = Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",),
    ...                defaults={"a": Parameter("a", 2.0)})
    >>> "define void @\\"firmc_f_value\\"" in str(ModuleGen(prog, width=4).build())
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from llvmlite import ir

from ...errors import UnsupportedFeature
from ...ir import Node
from ...passes.gradient import gradient_key, hessian_key
from .. import EVENTS, Program
from ..naming import file_stem
from ..quadrules import DomainKey, rules_for
from ..schedule import post_order
from .emit import CHUNK, KERNEL_TYPE, LFunction, LScope
from .ops import F64, I32, I64, PTR, real_type
from .tables import Env

MIN_CHUNKS_PER_THREAD = 4  # fewer chunks than this per thread: not worth a thread
TASK = ir.LiteralStructType([PTR, PTR, PTR, I64, PTR, I64, I64, PTR])
THREAD_TYPE = ir.FunctionType(PTR, [PTR])
SC_NPROCESSORS_ONLN = 84  # glibc's sysconf name


class ModuleGen:
    """Builds the LLVM module of ``program`` with event loops ``width`` lanes wide.

    ``weighted``: None (the default) decides per call whether the events are weighted (``w`` null or not), with
    the hot loop emitted twice; True or False compiles the sums over the call's events for that case only (the
    JIT's choice: half the code to optimise, the caller knows which it needs).

    Example:
        >>> ModuleGen.build.__name__
        'build'
    """

    def __init__(self, program: Program, width: int, triple: str = "", layout: str = "",
                 libm: str = "", weighted: bool | None = None) -> None:
        self.program, self.width, self.libm, self.weighted = program, width, libm, weighted
        self.module = ir.Module(name=file_stem(program.name))
        self.module.triple, self.module.data_layout = triple, layout
        self.ns = "firmc_" + file_stem(program.name)
        self.globals: dict[str, ir.GlobalVariable] = {}
        self.datasets: dict[str, tuple[dict[str, str], str, str]] = {}
        self.rules: dict[DomainKey, tuple[tuple[str, ...], str, int]] = {}
        self.names: list[str] = []
        self._tables: dict[bytes, str] = {}  # choose's constant tables, by their bytes
        self.counting: set[str] = set()  # column specs whose values are 0, 1, ..., size-1 (a table's rows)
        for k, (name, d) in enumerate(sorted(program.datasets.items())):
            cols = {col: "g" + self._array(f"D{k}_{j}", values)
                    for j, (col, values) in enumerate(sorted(d.columns.items()))}
            self.counting |= {cols[col] for col, values in d.columns.items()
                              if np.array_equal(np.asarray(values, dtype=float), np.arange(d.size))}
            weights = "" if d.weights is None else "g" + self._array(f"D{k}_w", d.weights)
            self.datasets[name] = (cols, weights, str(d.size))
        self.datasets[EVENTS] = ({o: f"x{k}" for k, o in enumerate(program.observables)}, "w", "n")
        defaults = {k: p.value for k, p in program.defaults.items()}
        for k, (key, rule) in enumerate(rules_for(list(program.outputs.values()), defaults).items()):
            arrays = tuple("g" + self._array(f"Q{k}_{i}", pts) for i, pts in enumerate(rule.points))
            self.rules[key] = (arrays, "g" + self._array(f"Q{k}_w", rule.weights), rule.size)
        self.threads = ir.GlobalVariable(self.module, I32, f"{self.ns}.threads")
        self.threads.linkage = "internal"
        self.threads.initializer = ir.Constant(I32, 0)

    # -- pieces ---------------------------------------------------------------------------------------------
    def _array(self, name: str, values: np.ndarray) -> str:
        data = np.asarray(values, dtype=float).ravel()
        typ = ir.ArrayType(F64, len(data))
        g = ir.GlobalVariable(self.module, typ, f"{self.ns}.{name}")
        g.linkage, g.global_constant = "internal", True
        g.initializer = ir.Constant(typ, [ir.Constant(F64, float(v)) for v in data])
        g.align = 64
        self.globals[name] = g
        return name

    def table(self, values: list[float]) -> ir.GlobalVariable:
        """The constant array of ``values`` (a ``choose`` table; equal tables share one array).

        Example:
            >>> from firmc.ir import param
            >>> gen = ModuleGen(Program("f", {"value": param("a")}, (), ("a",)), 1)
            >>> gen.table([1.0, 2.0]) is gen.table([1.0, 2.0]), gen.table([3.0]).name
            (True, 'firmc_f.T1')
        """
        key = np.asarray(values, dtype=float).tobytes()
        if key not in self._tables:
            self._tables[key] = self._array(f"T{len(self._tables)}", np.asarray(values, dtype=float))
        return self.globals[self._tables[key]]

    def _declare(self, name: str, typ: ir.FunctionType) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, typ, name)
        assert isinstance(fn, ir.Function)
        return fn

    def ones(self) -> ir.GlobalVariable:
        """An array of CHUNK ones (a valid array to read for weights when a data set has no columns)."""
        if "ones" not in self.globals:
            self._array("ones", np.ones(CHUNK))
        return self.globals["ones"]

    def malloc(self, b: ir.IRBuilder, count: ir.Value) -> ir.Value:
        """``malloc(count doubles)`` (at least one)."""
        fn = self._declare("malloc", ir.FunctionType(PTR, [I64]))
        size = b.mul(b.add(count, ir.Constant(I64, 1)), ir.Constant(I64, 8))
        return b.call(fn, [size])

    def free(self, b: ir.IRBuilder, ptr: ir.Value) -> None:
        """``free(ptr)``."""
        b.call(self._declare("free", ir.FunctionType(ir.VoidType(), [PTR])), [ptr])

    def faddeeva(self, f: LFunction, re: ir.Value, im: ir.Value, width: int) -> tuple[ir.Value, ir.Value]:
        """The Faddeeva function w(re + i im) through firmc's runtime, lane by lane."""
        if self.libm:
            raise UnsupportedFeature("op 'faddeeva' needs firmc's compiled runtime, which PTX output lacks")
        fn = self._declare("firmc_rt_faddeeva", ir.FunctionType(ir.VoidType(), [F64, F64, PTR, PTR]))
        out_re, out_im = f.alloca(F64), f.alloca(F64)
        if width == 1:
            f.b.call(fn, [re, im, out_re, out_im])
            return f.b.load(out_re, typ=F64), f.b.load(out_im, typ=F64)
        rv: ir.Value = ir.Constant(real_type(width), ir.Undefined)
        iv: ir.Value = ir.Constant(real_type(width), ir.Undefined)
        for lane in range(width):
            i = ir.Constant(I32, lane)
            f.b.call(fn, [f.b.extract_element(re, i), f.b.extract_element(im, i), out_re, out_im])
            rv = f.b.insert_element(rv, f.b.load(out_re, typ=F64), i)
            iv = f.b.insert_element(iv, f.b.load(out_im, typ=F64), i)
        return rv, iv

    # -- kernels and threads ------------------------------------------------------------------------------------
    def kernel(self, name: str, env: Env, bodies: Sequence[Node], group: Sequence[Node] | None,
               inner: LScope) -> ir.Function:
        """A kernel function over a range of chunks (see :mod:`.emit`)."""
        fn = ir.Function(self.module, KERNEL_TYPE, name)
        fn.linkage = "internal"
        names = ("p", "x", "w", "n", "env", "lo", "hi", "out")
        f = LFunction(self, fn, dict(zip(names, fn.args, strict=True)))
        f.kernel_body(env, bodies, group, inner, self.width)
        f.b.ret_void()
        f.finish()
        return fn

    def parallel_for(self, f: LFunction, kernel: ir.Function, env: ir.Value, n: ir.Value, chunks: ir.Value,
                     out: ir.Value) -> None:
        """Call ``kernel`` over ``chunks`` chunks, split over the threads."""
        run = self._runner(kernel)
        null = ir.Constant(PTR, None)
        f.b.call(run, [f.args.get("p", null), f.args.get("x", null), f.args.get("w", null), n, env, chunks, out])

    def _thread_entry(self, kernel: ir.Function) -> ir.Function:
        """``void* thread(task*)``: the kernel over one task's chunks (a pthread start routine)."""
        thread = ir.Function(self.module, THREAD_TYPE, kernel.name + ".thread")
        thread.linkage = "internal"
        b = ir.IRBuilder(thread.append_basic_block())
        task = thread.args[0]
        fields = [b.load(b.gep(task, [ir.Constant(I32, 0), ir.Constant(I32, k)], source_etype=TASK),
                         typ=TASK.elements[k]) for k in range(8)]
        b.call(kernel, fields)
        b.ret(ir.Constant(PTR, None))
        return thread

    def _thread_count(self, run: ir.Function, b: ir.IRBuilder) -> ir.Value:
        """The threads to use: ``set_threads``'s, or the online cores -- asked of ``sysconf`` once (it reads
        /sys: microseconds, more than a small kernel takes) and kept in a global."""
        cores = self.globals.get("cores")
        if cores is None:
            cores = ir.GlobalVariable(self.module, I64, f"{self.ns}.cores")
            cores.linkage, cores.initializer = "internal", ir.Constant(I64, 0)
            self.globals["cores"] = cores
        t = b.sext(b.load(self.threads, typ=I32), I64)
        start = b.block
        ask, asked, done = (run.append_basic_block(x) for x in ("ask", "asked", "counted"))
        b.cbranch(b.icmp_signed(">", t, ir.Constant(I64, 0)), done, ask)
        b.position_at_end(ask)
        known = b.load(cores, typ=I64)
        query = run.append_basic_block("sysconf")
        b.cbranch(b.icmp_signed(">", known, ir.Constant(I64, 0)), asked, query)
        b.position_at_end(query)
        sysconf = self._declare("sysconf", ir.FunctionType(I64, [I32]))
        fresh = b.call(sysconf, [ir.Constant(I32, SC_NPROCESSORS_ONLN)])
        b.store(fresh, cores)
        b.branch(asked)
        b.position_at_end(asked)
        c = b.phi(I64)
        c.add_incoming(known, ask)
        c.add_incoming(fresh, query)
        b.branch(done)
        b.position_at_end(done)
        out = b.phi(I64)
        out.add_incoming(t, start)
        out.add_incoming(c, asked)
        return out

    def _runner(self, kernel: ir.Function) -> ir.Function:
        """``run(p, x, w, n, env, chunks, out)``: the chunks split over the threads, the caller taking the first
        share; serial when there are too few chunks."""
        thread = self._thread_entry(kernel)
        run = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, PTR, I64, PTR]),
                          kernel.name + ".run")
        run.linkage = "internal"
        p, x, w, n, env, chunks, out = run.args
        entry = run.append_basic_block("entry")
        b = ir.IRBuilder(entry)
        most = b.sdiv(chunks, ir.Constant(I64, MIN_CHUNKS_PER_THREAD))
        serial = run.append_basic_block("serial")
        threaded = run.append_basic_block("threaded")
        count = run.append_basic_block("count")
        b.cbranch(b.icmp_signed("<=", most, ir.Constant(I64, 1)), serial, count)  # few chunks: no thread count
        b.position_at_end(count)
        t = self._thread_count(run, b)
        t = b.select(b.icmp_signed("<", most, t), most, t)
        b.cbranch(b.icmp_signed("<=", t, ir.Constant(I64, 1)), serial, threaded)
        b.position_at_end(serial)
        b.call(kernel, [p, x, w, n, env, ir.Constant(I64, 0), chunks, out])
        b.ret_void()

        b.position_at_end(threaded)
        tasks = b.alloca(TASK, size=t)
        tids = b.alloca(I64, size=t)
        create = self._declare("pthread_create", ir.FunctionType(I32, [PTR, PTR, thread.type, PTR]))
        join = self._declare("pthread_join", ir.FunctionType(I32, [I64, PTR]))
        f = _Loops(run, b)

        def fill(i: ir.Value) -> None:
            slot = b.gep(tasks, [i])  # typed geps: llvmlite checks stores against the field's type
            lo = b.sdiv(b.mul(chunks, i), t)
            hi = b.sdiv(b.mul(chunks, b.add(i, ir.Constant(I64, 1))), t)
            for k, v in enumerate((p, x, w, n, env, lo, hi, out)):
                b.store(v, b.gep(slot, [ir.Constant(I32, 0), ir.Constant(I32, k)]))

        def start(i: ir.Value) -> None:
            slot = b.gep(tasks, [i])
            tid = b.gep(tids, [i])
            rc = b.call(create, [tid, ir.Constant(PTR, None), thread, slot])
            failed = b.icmp_signed("!=", rc, ir.Constant(I32, 0))
            with b.if_then(failed):  # no thread: do its share here
                b.call(thread, [slot])
                b.store(ir.Constant(I64, 0), tid)

        def wait(i: ir.Value) -> None:
            tid = b.load(b.gep(tids, [i], source_etype=I64), typ=I64)
            with b.if_then(b.icmp_unsigned("!=", tid, ir.Constant(I64, 0))):
                b.call(join, [tid, ir.Constant(PTR, None)])

        f.loop(ir.Constant(I64, 0), t, fill)
        f.loop(ir.Constant(I64, 1), t, start)
        b.call(thread, [b.gep(tasks, [ir.Constant(I64, 0)])])
        f.loop(ir.Constant(I64, 1), t, wait)
        b.ret_void()
        return run

    # -- the API -----------------------------------------------------------------------------------------------
    def _function(self, name: str, ret: ir.Type, params: Sequence[tuple[str, ir.Type]]) -> LFunction:
        fn = ir.Function(self.module, ir.FunctionType(ret, [t for _, t in params]), f"{self.ns}_{name}")
        self.names.append(name)
        f = LFunction(self, fn, {k: a for (k, _), a in zip(params, fn.args, strict=True)})
        return f

    def per_point(self, name: str, root: Node) -> None:
        """``void name(p, x, n, out)``: ``root`` at n points."""
        f = self._function(name, ir.VoidType(), [("p", PTR), ("x", PTR), ("n", I64), ("out", PTR)])
        points = f.points("n")
        f.block(sorted(f.reads([root], points, f.root), key=post_order([root])))
        f.kernel_values(root, points, f.args["out"])
        f.b.ret_void()
        f.finish()

    def scalar(self, name: str, roots: Sequence[Node], extra: str = "") -> None:
        """A function computing ``roots`` once: the first returned, the others stored into ``extra``."""
        params = [("p", PTR)] if name == "expected" else [("p", PTR), ("x", PTR), ("w", PTR), ("n", I64)]
        if extra:
            params.append((extra, PTR))
        f = self._function(name, F64, params)
        f.block(list(roots))
        vals = [f.ref(r, f.root) for r in roots]
        for k, v in enumerate(vals[1:]):
            f.b.store(v, f.b.gep(f.args[extra], [ir.Constant(I64, k)], source_etype=F64))
        f.b.ret(vals[0])
        f.finish()

    def functions(self) -> list[str]:
        """The API functions the program's outputs call for.

        Example:
            >>> from firmc.ir import param
            >>> from firmc.backends import Program
            >>> ModuleGen(Program("f", {"value": param("a")}, (), ("a",)), 1).functions()
            ['value']
        """
        prog, outs = self.program, self.program.outputs
        names = ["pdf" if prog.kind == "distribution" else "value"]
        names += [k for k in ("logpdf", "expected", "nll") if k in outs]
        if "nll" in outs:
            free = self._free()
            if all(gradient_key("nll", q) in outs for q in free):
                names.append("nll_grad")
            if free and all(hessian_key("nll", a, b) in outs for i, a in enumerate(free) for b in free[i:]):
                names.append("nll_hessian")
        return names

    def _free(self) -> list[str]:
        prog = self.program
        return [p for p in prog.parameters if not prog.defaults[p].const] if prog.defaults else []

    def build(self, only: Sequence[str] | None = None) -> ir.Module:
        """The module with the API functions ``only`` (default: all of :meth:`functions`) and set_threads."""
        outs, free = self.program.outputs, self._free()
        for name in self.functions() if only is None else only:
            if name in ("pdf", "value"):
                self.per_point(name, outs["value"])
            elif name == "logpdf":
                self.per_point(name, outs["logpdf"])
            elif name in ("expected", "nll"):
                self.scalar(name, [outs[name]])
            elif name == "nll_grad":
                self.scalar(name, [outs["nll"], *(outs[gradient_key("nll", q)] for q in free)], "grad")
            elif name == "nll_hessian":
                self._hessian(free, [hessian_key("nll", a, b) for i, a in enumerate(free) for b in free[i:]])
        setter = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [I32]), f"{self.ns}_set_threads")
        b = ir.IRBuilder(setter.append_basic_block())
        b.store(setter.args[0], self.threads)
        b.ret_void()
        return self.module

    def _hessian(self, free: Sequence[str], keys: Sequence[str]) -> None:
        outs = self.program.outputs
        f = self._function("nll_hessian", F64, [("p", PTR), ("x", PTR), ("w", PTR), ("n", I64), ("h", PTR)])
        roots = [outs["nll"], *(outs[k] for k in keys)]
        f.block(roots)
        k, m = 0, len(free)
        for i in range(m):
            for j in range(i, m):
                v = f.ref(outs[keys[k]], f.root)
                for slot in {i * m + j, j * m + i}:
                    f.b.store(v, f.b.gep(f.args["h"], [ir.Constant(I64, slot)], source_etype=F64))
                k += 1
        f.b.ret(f.ref(outs["nll"], f.root))
        f.finish()


class _Loops:
    """A counted loop in a plain function (no LFunction)."""

    def __init__(self, fn: ir.Function, b: ir.IRBuilder) -> None:
        self.fn, self.b = fn, b

    def loop(self, start: ir.Value, stop: ir.Value, body: Callable[[ir.Value], None]) -> None:
        b = self.b
        pre = b.block
        head, inner, done = (self.fn.append_basic_block(s) for s in ("loop", "loop.body", "loop.end"))
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(start, pre)
        b.cbranch(b.icmp_signed("<", i, stop), inner, done)
        b.position_at_end(inner)
        body(i)
        i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
        b.branch(head)
        b.position_at_end(done)

