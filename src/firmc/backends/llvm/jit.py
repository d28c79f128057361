"""Compiling LLVM modules with llvmlite: the host target machine, the optimisation pipeline, the in-process JIT,
object files and shared libraries, and firmc's runtime for the special functions.

The optimiser runs LLVM's ``O2`` pipeline (the event loops are already vectorised by the emitter; the pipeline
promotes the accumulators to registers, hoists loop invariants and schedules). No fast-math flags are set, so
NaN and infinities behave as in the reference interpreter.

The special functions (digamma, incomplete gamma, Landau, Faddeeva) are firmc's C++ runtime
(``firmc/runtime/*.hpp``) behind C wrappers, compiled once per runtime version with the C++ compiler into the user
cache (``$XDG_CACHE_HOME/firmc`` or ``~/.cache/firmc``) and loaded into the process; only models that use them
need it.

Example:
    >>> target_machine().triple == host_triple()
    True
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import llvmlite.binding as llvm

from ...errors import UnsupportedFeature

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
RUNTIME_WRAPPERS = """\
#include "elementary.hpp"
#include "gamma.hpp"
#include "landau.hpp"
#include "faddeeva.hpp"
extern "C" {
double firmc_rt_digamma(double x) { return fc_digamma(x); }
double firmc_rt_gammainc(double a, double x) { return fc_gammainc(a, x); }
double firmc_rt_gammaincc(double a, double x) { return fc_gammaincc(a, x); }
double firmc_rt_landau(double x) { return fc_landau(x); }
double firmc_rt_landau_cdf(double x) { return fc_landau_cdf(x); }
void firmc_rt_faddeeva(double x, double y, double* re, double* im) { fc_faddeeva(x, y, re, im); }
}
"""
CXX = "g++"
CC = "cc"


@functools.cache
def _initialise() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def host_triple() -> str:
    """The triple of this machine.

    Example:
        >>> "-" in host_triple()
        True
    """
    _initialise()
    return str(llvm.get_process_triple())


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """The target machine of this CPU (its features: AVX2, AVX-512 where present), position-independent code.

    Example:
        >>> target_machine().target_data is not None
        True
    """
    return new_target_machine()


LARGE_MODULE_LINES = 40_000
HUGE_MODULE_LINES = 120_000
# Above LARGE (a HistFactory likelihood and its gradient: tens of thousands of straight-line instructions, already
# simplified and CSE'd by firmc's passes) LLVM's IR pipeline and -O3 code generation cost far more than they give:
# for a 500-bin, 511-parameter NLL (74 000 lines, straight-line code in blocks of 2 000 instructions) O2 + codegen
# -O3 took 35 s for a 12.6 µs call, SROA only + codegen -O2 3.2 s for 13.4 µs. Above HUGE, -O2's register
# allocation grows faster than linearly: that model's gradient (164 000 lines) took 88 s at -O2 for a 51 µs call,
# 3.3 s at -O0 for 122 µs; until huge functions are split into several, -O0 there.
HUGE_FUNCTION = 30_000
# Where the module's code generation optimises (codegen_opt > 0), a function of more instructions than this (the
# straight-line NLL + gradient of a HistFactory model whose channels are unrolled: 46 000 for ATLAS sbottom) is marked
# ``optnone`` after the IR passes: instruction selection and register allocation at -O1 and above grow faster than
# linearly in it (sbottom's took 80 s of a 92 s JIT on an AVX2 machine, 16 vector registers; 8 s on AVX-512), while
# the kernels beside it keep the module's level. Measured: JIT 11.6 s, NLL + gradient 18.7 µs (17.6 µs at -O2).


def codegen_opt(text: str) -> int:
    """The code generator's optimisation level for a module (3; 2 above LARGE_MODULE_LINES; 0 above HUGE).

    Example:
        >>> codegen_opt("define void @f() {\\n  ret void\\n}")
        3
    """
    lines = text.count("\n")
    return 3 if lines <= LARGE_MODULE_LINES else 2 if lines <= HUGE_MODULE_LINES else 0


def is_large(text: str) -> bool:
    """Whether a module is compiled the light way (see :data:`LARGE_MODULE_LINES`).

    Example:
        >>> is_large("define void @f() {\\n  ret void\\n}")
        False
    """
    return text.count("\n") > LARGE_MODULE_LINES


def new_target_machine(jit: bool = False, opt: int = 3) -> llvm.TargetMachine:
    """A fresh target machine of this CPU (an execution engine owns, and frees, the one it is given).

    ``jit``: for the in-process JIT, with the JIT's code model (large on x86-64: the C library and firmc's
    runtime may lie more than 2 GiB away from the JIT's code, e.g. once ROOT is loaded); otherwise position-
    independent code for shared libraries.

    Example:
        >>> new_target_machine() is not target_machine()
        True
    """
    _initialise()
    target = llvm.Target.from_triple(host_triple())
    features = llvm.get_host_cpu_features().flatten()
    if jit:
        return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=features, opt=opt,
                                            codemodel="jitdefault", jit=True)
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=features, opt=opt, reloc="pic",
                                        codemodel="default")


@functools.cache
def vector_width() -> int:
    """Lanes of the emitted event loops: two of the host's widest vector registers of doubles (16 with AVX-512,
    8 with AVX, else 4). Two registers per value give the out-of-order core two independent chains through the
    polynomial steps of exp and log: measured on the development machine (Zen 4, AVX-512, Gauss+Exp NLL at 1e6
    events), 8 lanes 3.41 ms, 16 lanes 2.97 ms, 32 lanes 2.50 ms for the NLL, but 4.04, 3.71 and 4.14 ms for the
    NLL with its gradient (seven accumulators: 32 lanes run out of registers).

    Example:
        >>> vector_width() in (4, 8, 16)
        True
    """
    _initialise()
    features = llvm.get_host_cpu_features()
    if features.get("avx512f", False):
        return 16
    return 8 if features.get("avx", False) else 4


def optimise(text: str) -> llvm.ModuleRef:
    """Parse, verify and optimise LLVM IR text for the host.

    Example:
        >>> optimise('define i32 @f() {\\n  ret i32 1\\n}').get_function("f").name
        'f'
    """
    tm = target_machine()
    mod = llvm.parse_assembly(text)
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    # the emitter vectorises; LLVM's vectorisers and unrolling would only add compile time
    pto.loop_vectorization = pto.slp_vectorization = pto.loop_unrolling = pto.loop_interleaving = False
    pb = llvm.create_pass_builder(tm, pto)
    if is_large(text):  # accumulators to registers only (see LARGE_MODULE_LINES)
        light = llvm.create_new_module_pass_manager()
        light.add_sroa_pass()
        run_passes(light, mod, pb)
    else:
        run_passes(pb.getModulePassManager(), mod, pb)
    if codegen_opt(text) > 0:
        for fn in mod.functions:
            if not fn.is_declaration and sum(1 for block in fn.blocks for _ in block.instructions) > HUGE_FUNCTION:
                fn.add_function_attribute("noinline")
                fn.add_function_attribute("optnone")
    return mod


def run_passes(pm: llvm.ModulePassManager, mod: llvm.ModuleRef, pb: llvm.PassBuilder) -> None:
    """Run a module pass manager over ``mod``, then free it. llvmlite (0.50 here) never frees a
    ``ModulePassManager`` itself: its ``_dispose`` resolves to ``ObjectRef``'s no-op before ``NewPassManager``'s,
    which leaked the O2 pipeline, and what its passes keep, at each compilation: 0.5 MB per JIT-compiled module
    (tests/test_load.py).

    Example:
        >>> m = llvm.parse_assembly('define i32 @f() {\\n  ret i32 1\\n}')
        >>> pm = llvm.create_new_module_pass_manager()
        >>> run_passes(pm, m, llvm.create_pass_builder(target_machine(), llvm.create_pipeline_tuning_options()))
        >>> pm.closed
        True
    """
    from llvmlite.binding.newpassmanagers import NewPassManager

    try:
        pm.run(mod, pb)
    finally:
        if not pm.closed:
            NewPassManager._dispose(pm)  # the pipeline's own dispose (not ObjectRef's); detach: never twice
            pm.detach()


def cache_dir() -> Path:
    """Where compiled helpers are kept between runs.

    Example:
        >>> cache_dir().name
        'firmc'
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "firmc"


def _runtime_source() -> tuple[str, str]:
    parts = [RUNTIME_WRAPPERS] + [(RUNTIME / n).read_text(encoding="utf-8") for n in sorted(os.listdir(RUNTIME))
                                  if n.endswith(".hpp")]
    return RUNTIME_WRAPPERS, hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _compile_runtime(suffix: str, flags: list[str]) -> Path:
    if shutil.which(CXX) is None:
        raise UnsupportedFeature(f"the special functions of the llvm target need the C++ compiler '{CXX}' once, to "
                                 "build firmc's runtime")
    src, digest = _runtime_source()
    out = cache_dir() / f"runtime-{digest}{suffix}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="firmc-rt-") as tmp:
            cpp = Path(tmp) / "runtime.cpp"
            cpp.write_text(src, encoding="utf-8")
            part = Path(tmp) / ("out" + suffix)
            run = subprocess.run([CXX, "-std=c++17", "-O2", "-fPIC", f"-I{RUNTIME}", *flags, str(cpp), "-o",
                                  str(part)], capture_output=True, text=True, check=False)
            if run.returncode != 0:
                raise RuntimeError(f"building firmc's runtime failed:\n{run.stderr[-3000:]}")
            os.replace(part, out)  # atomic: concurrent processes may build it too
    return out


@functools.cache
def load_runtime() -> Path:
    """Build (once) and load firmc's runtime into this process; the library's path.

    Example:
        >>> load_runtime().suffix
        '.so'
    """
    lib = _compile_runtime(".so", ["-shared"])
    llvm.load_library_permanently(str(lib))
    return lib


def runtime_object() -> Path:
    """firmc's runtime as an object file, to link into shared libraries.

    Example:
        >>> runtime_object().suffix
        '.o'
    """
    return _compile_runtime(".o", ["-c"])


def shared_library(mod: llvm.ModuleRef, with_runtime: bool) -> bytes:
    """The bytes of a shared library holding the (optimised) module, linked with ``cc``.

    Example:
        >>> shared_library.__name__
        'shared_library'
    """
    if shutil.which(CC) is None:
        raise UnsupportedFeature(f"writing the llvm target's shared library needs the linker driver '{CC}'")
    obj = target_machine().emit_object(mod)
    with tempfile.TemporaryDirectory(prefix="firmc-ld-") as tmp:
        o = Path(tmp) / "model.o"
        o.write_bytes(obj)
        so = Path(tmp) / "model.so"
        extra = [str(runtime_object()), "-lstdc++"] if with_runtime else []
        run = subprocess.run([CC, "-shared", "-o", str(so), str(o), *extra, "-lm", "-lpthread"],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise RuntimeError(f"linking the shared library failed:\n{run.stderr[-3000:]}")
        return so.read_bytes()


class Jit:
    """An optimised module compiled in process; ``address(name)`` of its functions.

    Example:
        >>> j = Jit('define i32 @one() {\\n  ret i32 1\\n}', runtime=False)
        >>> import ctypes; ctypes.CFUNCTYPE(ctypes.c_int)(j.address("one"))()
        1
    """

    def __init__(self, text: str, runtime: bool) -> None:
        if runtime:
            load_runtime()
        self.module = optimise(text)
        self.engine = llvm.create_mcjit_compiler(self.module, new_target_machine(jit=True, opt=codegen_opt(text)))
        self.engine.finalize_object()

    def address(self, name: str) -> int:
        """The address of a function."""
        addr = int(self.engine.get_function_address(name))
        if not addr:
            raise UnsupportedFeature(f"the JIT has no function '{name}'")
        return addr
