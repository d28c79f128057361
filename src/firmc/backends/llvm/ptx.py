"""PTX through llvmlite's NVPTX target: the event loops of a program as CUDA kernels.

Each loop over events that an API function of the llvm target runs (:mod:`.module`) becomes one ``ptx_kernel``
``<ns>_<function>_k<j>(p, x, w, n, env, out)``: a grid-stride loop, one event per thread and step, over the
same per-event code as the CPU kernels (width 1; ``exp``/``log`` from :mod:`.vmath`, other functions from CUDA's
libdevice, linked in). A sum's kernel keeps one Neumaier accumulator per thread and output, reduces them over
the block in shared memory (blocks of exactly :data:`THREADS` threads) and writes ``out[block * n_out + k]``; the
host adds the per-block sums in block order (deterministic). A per-point kernel writes ``out[i]`` (``2i, 2i+1``
for complex values). ``env`` holds the parameter-only values the loop reads, computed on the host, in the order
the ``// kernel`` comment lines of the text list them. The special functions of firmc's C++ runtime (digamma,
incomplete gamma, Landau, Faddeeva) are not available here (a clear error).

Example:
    >>> from firmc.ir import apply, obs, param
    >>> from firmc.backends import Program, Parameter
    >>> s = apply("datasum", apply("exp", obs("x", 0.0, 1.0) - param("a")), dataset="@events", binds=("x",))
    >>> prog = Program("f", {"value": obs("x", 0.0, 1.0), "nll": -s}, ("x",), ("a",),
    ...                defaults={"a": Parameter("a", 0.5)}, kind="likelihood")
    >>> ".entry firmc_f_nll_k0(" in ptx_text(prog)
    True
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import llvmlite.binding as llvm
from llvmlite import ir

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from .. import Program
from ..naming import file_stem
from .emit import LFunction, LScope
from .jit import run_passes
from .module import ModuleGen
from .ops import F64, I32, I64, PTR
from .tables import Env

TRIPLE = "nvptx64-nvidia-cuda"
ARCH = "sm_80"
THREADS = 256  # threads per block the sum kernels are written for
GROUP = 16  # accumulators reduced together in shared memory (16 x 256 doubles: 32 KiB of the 48 KiB of a block)
GPU_KERNEL = ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64, PTR, PTR])  # (p, x, w, n, env, out)


@functools.cache
def _nvptx() -> llvm.Target:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    try:
        return llvm.Target.from_triple(TRIPLE)
    except RuntimeError as exc:
        raise UnsupportedFeature(f"this llvmlite has no NVPTX target: {exc}") from None


def _machine() -> llvm.TargetMachine:
    return _nvptx().create_target_machine(cpu=ARCH, opt=3)


def libdevice() -> Path | None:
    """CUDA's libdevice bitcode (the math library of the GPU), where the CUDA toolkit is installed.

    Example:
        >>> libdevice() is None or libdevice().suffix == ".bc"
        True
    """
    roots = [os.environ.get("CUDA_HOME", ""), os.environ.get("CUDA_PATH", ""), "/usr/local/cuda", "/usr/lib/cuda"]
    for tool in ("ptxas", "nvcc"):
        found = shutil.which(tool)
        if found:
            roots.append(str(Path(os.path.realpath(found)).parents[1]))
    for root in filter(None, roots):
        for path in sorted(Path(root).glob("nvvm/libdevice/libdevice*.bc")):
            return path
    return None


class GpuFunction(LFunction):
    """A CUDA kernel's body: the events of a loop spread over the grid (see the module docstring).

    Example:
        >>> GpuFunction.gpu_body.__name__
        'gpu_body'
    """

    def _sreg(self, name: str) -> ir.Value:
        full = f"llvm.nvvm.read.ptx.sreg.{name}"
        fn = self.gen.module.globals.get(full) or ir.Function(self.gen.module, ir.FunctionType(I32, []), full)
        return self.b.zext(self.b.call(fn, []), I64)

    def _barrier(self) -> None:
        name = "llvm.nvvm.barrier0"
        fn = self.gen.module.globals.get(name) or ir.Function(self.gen.module, ir.FunctionType(ir.VoidType(), []),
                                                              name)
        self.b.call(fn, [])

    def gpu_body(self, env: Env, bodies: Sequence[Node], group: Sequence[Node] | None) -> None:
        """Grid-stride loop over the events, then (for sums) the block reduction."""
        a = self.args
        self.unpack(env)
        scope = self.child(group[0], self.root) if group is not None else self.points("n")
        scope.width = 1
        n = self.count(scope)
        tid = self._sreg("tid.x")
        block = self._sreg("ctaid.x")
        first = self.b.add(self.b.mul(block, self._sreg("ntid.x")), tid)
        stride = self.b.mul(self._sreg("ntid.x"), self._sreg("nctaid.x"))
        if scope.weights == "w":
            scope.has_w = self.b.icmp_unsigned("!=", a["w"], ir.Constant(PTR, None))
            if scope.columns:
                scope.wbase = self.b.select(scope.has_w, a["w"], self.column(min(scope.columns.values())))
            else:
                raise UnsupportedFeature("PTX output: a weighted sum over events without observables")
        accs = [(self.alloca(F64), self.alloca(F64)) for _ in group or ()]
        for s, c in accs:
            self.b.store(ir.Constant(F64, 0.0), s)
            self.b.store(ir.Constant(F64, 0.0), c)

        # for (i = first; i < n; i += stride)
        pre = self.b.block
        head, body, done = (self.fn.append_basic_block(x) for x in ("grid", "grid.body", "grid.end"))
        self.b.branch(head)
        self.b.position_at_end(head)
        i = self.b.phi(I64)
        i.add_incoming(first, pre)
        self.b.cbranch(self.b.icmp_signed("<", i, n), body, done)
        self.b.position_at_end(body)
        scope.index = i
        self.block(list(bodies), scope)
        if group is None:
            self._store(bodies[0], scope, i)
        else:
            wv = self.weight(scope)
            for d, (s, c) in zip(group, accs, strict=True):
                self.accumulate(s, c, self._term(d, scope, wv))
        i.add_incoming(self.b.add(i, stride), self.b.block)
        self.b.branch(head)
        self.b.position_at_end(done)
        self.forget(0)
        if group is not None:
            self._reduce(accs, tid, block)

    def _store(self, root: Node, scope: LScope, i: ir.Value) -> None:
        out = self.args["out"]
        if root.type.dtype is DType.COMPLEX:
            re, im = self.pair(root, scope)
            two = self.b.mul(i, ir.Constant(I64, 2))
            self.b.store(re, self.b.gep(out, [two], source_etype=F64))
            self.b.store(im, self.b.gep(out, [self.b.add(two, ir.Constant(I64, 1))], source_etype=F64))
            return
        v = self.ref(root, scope)
        if root.type.dtype is DType.BOOL:
            v = self.b.uitofp(v, F64)
        self.b.store(v, self.b.gep(out, [i], source_etype=F64))

    def _reduce(self, accs: list[tuple[ir.Value, ir.Value]], tid: ir.Value, block: ir.Value) -> None:
        """The block's sums of the accumulators, :data:`GROUP` at a time through shared memory (a kernel with many
        sums -- a gradient of hundreds of parameters -- stays within the 48 KiB a block may have)."""
        nacc = len(accs)
        width = min(nacc, GROUP)
        typ = ir.ArrayType(F64, THREADS * width)
        shared = ir.GlobalVariable(self.gen.module, typ, f"{self.fn.name}.shared", addrspace=3)
        shared.linkage = "internal"
        shared.initializer = ir.Constant(typ, ir.Undefined)

        def slot(k: int, t: ir.Value) -> ir.Value:
            idx = self.b.add(ir.Constant(I64, k * THREADS), t)
            return self.b.gep(shared, [ir.Constant(I64, 0), idx])

        for first in range(0, nacc, width):
            group = list(enumerate(accs[first:first + width]))
            if first:
                self._barrier()  # the previous group's sums have been read
            for k, (s, c) in group:
                self.b.store(self.b.fadd(self.b.load(s, typ=F64), self.b.load(c, typ=F64)), slot(k, tid))
            self._barrier()
            half = THREADS // 2
            while half:
                with self.b.if_then(self.b.icmp_unsigned("<", tid, ir.Constant(I64, half))):
                    other = self.b.add(tid, ir.Constant(I64, half))
                    for k, _ in group:
                        mine = slot(k, tid)
                        self.b.store(self.b.fadd(self.b.load(mine, typ=F64), self.b.load(slot(k, other), typ=F64)),
                                     mine)
                self._barrier()
                half //= 2
            with self.b.if_then(self.b.icmp_unsigned("==", tid, ir.Constant(I64, 0))):
                for k, _ in group:
                    dst = self.b.add(self.b.mul(block, ir.Constant(I64, nacc)), ir.Constant(I64, first + k))
                    self.b.store(self.b.load(slot(k, ir.Constant(I64, 0)), typ=F64),
                                 self.b.gep(self.args["out"], [dst], source_etype=F64))


class GpuGen(ModuleGen):
    """The NVPTX module of a program: one kernel per event loop of each API function (:meth:`kernels`).

    Example:
        >>> GpuGen.kernels.__name__
        'kernels'
    """

    def __init__(self, program: Program) -> None:
        tm = _machine()
        super().__init__(program, 1, TRIPLE, str(tm.target_data), libm="__nv_")
        self.listing: list[str] = []

    def _gpu_kernel(self, name: str, env: Env, bodies: Sequence[Node],
                    group: Sequence[Node] | None) -> None:
        fn = ir.Function(self.module, GPU_KERNEL, name)
        fn.calling_convention = "ptx_kernel"
        f = GpuFunction(self, fn, dict(zip(("p", "x", "w", "n", "env", "out"), fn.args, strict=True)))
        f.gpu_body(env, bodies, group)
        f.b.ret_void()
        f.finish()
        kind = "values" if group is None else f"{len(group)} sums"
        self.listing.append(f"// kernel {name}: {kind}; env = " + ", ".join(_slots(env)))

    def kernels(self) -> ir.Module:
        """The module with the kernels of every API function's event loops."""
        outs = self.program.outputs
        for name in self.functions():
            scratch = ir.Function(ir.Module(), ir.FunctionType(ir.VoidType(), []), "plan")
            planner = LFunction(self, scratch, {})
            ns = f"{self.ns}_{name}"
            if name in ("pdf", "value", "logpdf"):
                root = outs["value" if name != "logpdf" else "logpdf"]
                points = planner.points("n")
                self._gpu_kernel(f"{ns}_k0", planner.environment([root], points), [root], None)
                continue
            roots = self._roots(name)
            j = 0
            for loop, nodes in planner.plan(roots, planner.root):
                if loop and planner.child(nodes[0], planner.root).events:
                    bodies = [d.args[0] for d in nodes]
                    env = planner.environment(bodies, planner.child(nodes[0], planner.root))
                    self._gpu_kernel(f"{ns}_k{j}", env, bodies, nodes)
                    j += 1
        return self.module

    def _roots(self, name: str) -> list[Node]:
        from ...passes.gradient import gradient_key, hessian_key
        outs, free = self.program.outputs, self._free()
        if name in ("expected", "nll"):
            return [outs[name]]
        if name == "nll_grad":
            return [outs["nll"], *(outs[gradient_key("nll", q)] for q in free)]
        return [outs["nll"], *(outs[hessian_key("nll", a, b)] for i, a in enumerate(free) for b in free[i:])]


def _slots(env: Env) -> list[str]:
    """The environment's slots as the listing names them: ``%k`` a value, ``%k..%m`` a table (consecutive values).

    Example:
        >>> from firmc.ir import param
        >>> _slots([param("a"), (param("b"), param("c"), param("d"))])
        ['%0', '%1..%3']
    """
    out, at = [], 0
    for m in env:
        n = len(m) if isinstance(m, tuple) else 1
        out.append(f"%{at}" if not isinstance(m, tuple) else f"%{at}..%{at + n - 1}")
        at += n
    return out


def ptx_text(program: Program) -> str:
    """PTX (for ``sm_80``) of the program's event-loop kernels, libdevice linked in; the lowered program
    (``lower_structural``, complex pairs, as the llvm target's :meth:`~firmc.backends.llvm.LlvmBackend.emit`).

    Example:
        >>> ptx_text.__name__
        'ptx_text'
    """
    gen = GpuGen(program)
    mod = llvm.parse_assembly(str(gen.kernels()))
    calls = {f.name for f in mod.functions if f.is_declaration and f.name.startswith("__nv_")}
    if calls:
        bc = libdevice()
        if bc is None:
            raise UnsupportedFeature(f"PTX output calls {sorted(calls)[0]} from CUDA's libdevice, which was not "
                                     "found (set CUDA_HOME)")
        lib = llvm.parse_bitcode(bc.read_bytes())
        mod.link_in(lib)
        for f in mod.functions:
            if not f.is_declaration and f.name.startswith("__nv_"):
                f.linkage = llvm.Linkage.internal
    mod.verify()
    tm = _machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pb = llvm.create_pass_builder(tm, pto)
    run_passes(pb.getModulePassManager(), mod, pb)
    head = [f"// generated by firmc: {file_stem(program.name)}, {ARCH}; sum kernels need blocks of {THREADS} "
            "threads", *gen.listing]
    return "\n".join(head) + "\n" + str(tm.emit_assembly(mod))
