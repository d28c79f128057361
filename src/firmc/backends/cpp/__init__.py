"""The ``cpp`` target: one self-contained C++17 header (:mod:`firmc.backends.cpp.header`); firmc checks it by
compiling it with ``g++ -std=c++17 -O2 -Wall -Wextra -Werror`` into a shared library with the C ABI and calling
that through ctypes.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('cpp', ())
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UnsupportedFeature
from ...ir.types import DType
from ...passes.gradient import gradient_key, hessian_key
from .. import EVENT_WEIGHTS, Artifact, Evaluator, Program
from ..csource.pairs import lower_complex
from ..lowering import lower_structural
from ..naming import file_stem
from .header import header_text

CXX = "g++"
# hidden visibility: two headers for entries of the same name (firmc_model::pdf) must not bind to each other's
# inline functions when both libraries are loaded in one process
CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden")
_BUILD: list[tempfile.TemporaryDirectory[str]] = []
_F64 = ctypes.POINTER(ctypes.c_double)


def compile_shared(text: str, stem: str) -> Path:
    """Compile a header into a shared library exposing its C ABI (cached by content in a per-process dir).

    Example:
        >>> compile_shared.__name__
        'compile_shared'
    """
    if shutil.which(CXX) is None:
        raise UnsupportedFeature(f"checking the cpp target needs the C++ compiler '{CXX}'")
    if not _BUILD:
        _BUILD.append(tempfile.TemporaryDirectory(prefix="firmc-cpp-"))
    d = Path(_BUILD[0].name)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    lib = d / f"{stem}_{digest}.so"
    if not lib.exists():
        (d / f"{stem}_{digest}.hpp").write_text(text, encoding="utf-8")
        src = d / f"{stem}_{digest}.cpp"
        src.write_text(f'#define FIRMC_C_API\n#include "{stem}_{digest}.hpp"\n', encoding="utf-8")
        run = subprocess.run([CXX, *CXXFLAGS, str(src), "-o", str(lib)], capture_output=True, text=True,
                             check=False)
        if run.returncode != 0:
            raise RuntimeError(f"g++ rejected the generated header:\n{run.stderr[-4000:]}")
    return lib


class CppBackend:
    """Emits ``<entry>.hpp``; loads it by compiling it and calling the C ABI through ctypes.

    Example:
        >>> CppBackend().name
        'cpp'
    """

    name = "cpp"
    requires: tuple[str, ...] = ()

    def emit(self, program: Program) -> Artifact:
        """The header (deterministic: same program, same bytes).

        Example:
            >>> CppBackend.emit.__name__
            'emit'
        """
        lowered = replace(program, outputs=lower_complex(lower_structural(program.outputs)))
        return Artifact(self.name, {f"{file_stem(program.name)}.hpp": header_text(lowered)}, program)

    def load(self, artifact: Artifact) -> Evaluator:
        """A callable over the compiled library.

        Example:
            >>> CppBackend.load.__name__
            'load'
        """
        program = artifact.program
        assert program is not None
        ((name, text),) = artifact.files.items()
        lib = ctypes.CDLL(str(compile_shared(text, name.removesuffix(".hpp"))))
        return _Runner(lib, "firmc_" + file_stem(program.name), program)


class _Runner:
    def __init__(self, lib: ctypes.CDLL, prefix: str, program: Program) -> None:
        self.lib, self.prefix, self.program = lib, prefix, program
        self.free = [p for p in program.parameters if not program.defaults[p].const]

    def _fn(self, name: str, restype: Any) -> Any:
        fn = getattr(self.lib, f"{self.prefix}_{name}")
        fn.restype = restype
        return fn

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        prog = self.program
        keys = list(prog.outputs) if outputs is None else [k for k in outputs if k in prog.outputs]
        p = np.ascontiguousarray([float(inputs[q]) for q in prog.parameters], dtype=float)
        cols = [np.ascontiguousarray(np.atleast_1d(np.asarray(inputs[o], dtype=float))) for o in prog.observables]
        n = int(np.broadcast(*cols).size) if cols else 1
        cols = [np.ascontiguousarray(np.broadcast_to(c, (n,))) for c in cols]
        xs = (_F64 * max(len(cols), 1))(*[c.ctypes.data_as(_F64) for c in cols])
        w = inputs.get(EVENT_WEIGHTS)
        wp = None if w is None else np.ascontiguousarray(np.asarray(w, dtype=float))
        wptr = None if wp is None else wp.ctypes.data_as(_F64)
        pp = p.ctypes.data_as(_F64)
        out: dict[str, np.ndarray] = {}
        for key in keys:
            if key in out:
                continue
            if key in ("value", "logpdf"):
                name = key if key == "logpdf" else ("pdf" if prog.kind == "distribution" else "value")
                cplx = prog.outputs[key].type.dtype is DType.COMPLEX
                buf = np.zeros(2 * n if cplx else n)
                self._fn(name, None)(pp, xs, ctypes.c_size_t(n), buf.ctypes.data_as(_F64))
                out[key] = buf.view(complex) if cplx else buf
            elif key == "expected":
                out[key] = np.asarray(self._fn("expected", ctypes.c_double)(pp))
            elif key == "nll":
                out[key] = np.asarray(self._fn("nll", ctypes.c_double)(pp, xs, wptr, ctypes.c_size_t(n)))
            elif key.startswith("grad:"):
                g = np.zeros(max(len(self.free), 1))
                v = self._fn("nll_grad", ctypes.c_double)(pp, xs, wptr, ctypes.c_size_t(n), g.ctypes.data_as(_F64))
                out["nll"] = np.asarray(v)
                out.update({gradient_key("nll", q): np.asarray(g[i]) for i, q in enumerate(self.free)})
            elif key.startswith("hess:"):
                k = len(self.free)
                h = np.zeros(max(k * k, 1))
                self._fn("nll_hessian", ctypes.c_double)(pp, xs, wptr, ctypes.c_size_t(n), h.ctypes.data_as(_F64))
                out.update({hessian_key("nll", a, b): np.asarray(h[i * k + j]) for i, a in enumerate(self.free)
                            for j, b in enumerate(self.free) if j >= i})
        return {k: out[k] for k in keys}


BACKEND = CppBackend()
