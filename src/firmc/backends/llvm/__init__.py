"""The ``llvm`` target: firmc IR -> LLVM IR through llvmlite, JIT-compiled in process.

The event loops are vectorised by the emitter (``<8 x double>`` with AVX-512, 4 lanes with AVX; ``exp``/``log``
as polynomials written in IR), split over all cores in chunks, and fused: one pass over the events computes the
NLL and every component of its analytic gradient, each summed with Neumaier's compensation
(:mod:`.emit`, :mod:`.module`). ``firmc MODEL --target llvm -o out/`` writes ``<entry>.ll`` (the LLVM IR),
``lib<entry>.so`` (a shared library with the plain C ABI of the cpp target, plus ``<ns>_set_threads``) and
``<entry>_llvm.py``, a loader with the surface of the Python targets.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('llvm', ('llvmlite',))
"""

from __future__ import annotations

import ctypes
import weakref
from dataclasses import replace
from typing import Any

from .. import Artifact, Evaluator, LazyFiles, Program
from ..csource.pairs import lower_complex
from ..lowering import lower_structural
from ..naming import comment_lines, file_stem
from .expand import expand_logaddexp
from .loader import loader_text

RUNTIME_MARK = "firmc_rt_"  # the module calls firmc's compiled runtime
_THREADS: list[int] = [0]  # 0: all online cores
_LIVE: weakref.WeakSet[_JitLibrary] = weakref.WeakSet()


def set_threads(n: int | None) -> None:
    """Threads for the event loops of every llvm program, loaded and to come (None: all cores).

    Example:
        >>> set_threads(1); set_threads(None)
    """
    _THREADS[0] = 0 if n is None else max(int(n), 1)
    for lib in list(_LIVE):
        lib.apply_threads()


WEIGHTED_ARG = {"nll": 2, "nll_grad": 2, "nll_hessian": 2}  # API function -> position of its weights pointer


class _JitLibrary:
    """The API functions of a program, each JIT-compiled on first use (its own module: a fit that calls only
    ``nll_grad`` compiles only that), looked up like a ctypes library's.

    A sum over the call's events is compiled for the case at hand, weighted or not (:class:`_ByWeights`): half
    the code to optimise of the written library, which decides per call."""

    def __init__(self, program: Program) -> None:
        self.program, self.ns = program, "firmc_" + file_stem(program.name)
        self.modules: dict[tuple[str, bool | None], Any] = {}
        _LIVE.add(self)

    def function(self, fn: str, weighted: bool | None = None) -> Any:
        """The ctypes function of API function ``fn`` (compiled for weighted events or not), made once."""
        key = (fn, weighted)
        if key not in self.modules:
            from .jit import Jit, host_triple, target_machine, vector_width
            from .module import ModuleGen

            gen = ModuleGen(self.program, vector_width(), host_triple(), str(target_machine().target_data),
                            weighted=weighted)
            text = str(gen.build([fn]))
            jit = Jit(text, RUNTIME_MARK in text)
            self._threads(jit)
            self.modules[key] = (jit, ctypes.CFUNCTYPE(None)(jit.address(f"{self.ns}_{fn}")))
        return self.modules[key][1]

    def _threads(self, jit: Any) -> None:
        ctypes.CFUNCTYPE(None, ctypes.c_int)(jit.address(f"{self.ns}_set_threads"))(_THREADS[0])

    def apply_threads(self) -> None:
        """Pass the current thread setting to every compiled module."""
        for jit, _ in self.modules.values():
            self._threads(jit)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith(self.ns + "_"):
            raise AttributeError(name)
        fn = name.removeprefix(self.ns + "_")
        found = _ByWeights(self, fn) if fn in WEIGHTED_ARG else self.function(fn)
        setattr(self, name, found)  # looked up once: the next calls find the attribute
        return found


class _ByWeights:
    """Calls like a ctypes function; runs the variant of ``fn`` compiled for weighted or for unweighted events,
    by whether the call's weights pointer is null."""

    def __init__(self, lib: _JitLibrary, fn: str) -> None:
        self.lib, self.fn, self.at = lib, fn, WEIGHTED_ARG[fn]
        self.restype: Any = None

    def variant(self, weighted: bool) -> Any:
        """The ctypes function compiled for weighted events or not."""
        return self.lib.function(self.fn, weighted)

    def __call__(self, *args: Any) -> Any:
        variant = self.lib.function(self.fn, args[self.at] is not None)
        variant.restype = self.restype
        return variant(*args)


class LlvmBackend:
    """Emits LLVM IR (and on writing, a shared library and its loader); loads by JIT-compiling in process.

    Example:
        >>> LlvmBackend().name
        'llvm'
    """

    name = "llvm"
    requires: tuple[str, ...] = ("llvmlite",)

    def emit(self, program: Program) -> Artifact:
        """The files (rendered on first use; deterministic for one host CPU).

        Example:
            >>> LlvmBackend.emit.__name__
            'emit'
        """
        from .jit import host_triple, target_machine, vector_width
        from .module import ModuleGen

        lowered = replace(program, outputs=expand_logaddexp(lower_complex(lower_structural(program.outputs))))
        stem = file_stem(program.name)

        def text() -> str:
            header = comment_lines(program.header, ";")
            gen = ModuleGen(lowered, vector_width(), host_triple(), str(target_machine().target_data))
            return header + str(gen.build())

        files = LazyFiles({f"{stem}.ll": text, f"{stem}_llvm.py": lambda: loader_text(lowered, f"lib{stem}.so")})

        def library() -> bytes:
            from .jit import optimise, shared_library
            ll = files[f"{stem}.ll"]
            return shared_library(optimise(ll), RUNTIME_MARK in ll)

        return Artifact(self.name, files, lowered, binaries=LazyFiles({f"lib{stem}.so": library}))

    def load(self, artifact: Artifact) -> Evaluator:
        """A callable over the JIT-compiled module.

        Example:
            >>> LlvmBackend.load.__name__
            'load'
        """
        from ..csource.runner import Runner

        program = artifact.program
        assert program is not None
        lib = _JitLibrary(program)
        return Runner(lib, lib.ns, program)  # type: ignore[arg-type]


BACKEND = LlvmBackend()
__all__ = ["BACKEND", "LlvmBackend", "set_threads"]
