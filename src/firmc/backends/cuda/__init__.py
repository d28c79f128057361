"""The ``cuda`` target: one CUDA C++17 source file (:mod:`firmc.backends.cuda.source`) -- kernels for the per-point
values and block-reduced sums for the NLL and its derivatives, host functions with the cpp target's C ABI. firmc
checks it by compiling it with ``nvcc`` into a shared library and calling that through ctypes, which needs a CUDA
device: without one (or without nvcc) the target emits and writes its file, and evaluating raises
:class:`~firmc.errors.UnsupportedFeature`.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('cuda', ())
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UnsupportedFeature
from ...ir import walk
from .. import Artifact, Evaluator, LazyFiles, Program
from ..csource.pairs import lower_complex
from ..csource.runner import Runner
from ..lowering import lower_structural
from ..naming import file_stem
from .source import cuda_text

NVCC = "nvcc"
# -arch=native: machine code for the GPUs of this machine (firmc only builds where it can run); hidden visibility
# as for cpp (two libraries with an entry of the same name must not bind to each other's inline functions)
NVCCFLAGS = ("-std=c++17", "-O2", "-shared", "-Xcompiler", "-fPIC,-fvisibility=hidden", "-DFIRMC_C_API")
ARCH = "-arch=native"
_BUILD: list[tempfile.TemporaryDirectory[str]] = []


@cache
def device_count() -> int:
    """The number of CUDA devices the driver sees (0 without a driver), asked once per process.

    Example:
        >>> device_count() >= 0
        True
    """
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return int(count.value)


def missing() -> str:
    """What running generated CUDA code needs and this machine lacks ("" when nothing).

    Example:
        >>> isinstance(missing(), str)
        True
    """
    if shutil.which(NVCC) is None:
        return f"the CUDA compiler '{NVCC}'"
    if device_count() == 0:
        return "a CUDA device (no CUDA device found)"
    return ""


def build(text: str, stem: str, arch: str = ARCH) -> Path:
    """Compile a generated ``.cu`` file into a shared library with its C ABI (cached by content per process).

    Example:
        >>> build.__name__
        'build'
    """
    if shutil.which(NVCC) is None:
        raise UnsupportedFeature(f"running the cuda target needs the CUDA compiler '{NVCC}'")
    if not _BUILD:
        _BUILD.append(tempfile.TemporaryDirectory(prefix="firmc-cuda-"))
    d = Path(_BUILD[0].name)
    digest = hashlib.sha256((arch + text).encode()).hexdigest()[:16]
    lib = d / f"{stem}_{digest}.so"
    if not lib.exists():
        src = d / f"{stem}_{digest}.cu"
        src.write_text(text, encoding="utf-8")
        run = subprocess.run([NVCC, *NVCCFLAGS, arch, str(src), "-o", str(lib)], capture_output=True, text=True,
                             check=False)
        if run.returncode != 0:
            raise RuntimeError(f"nvcc rejected the generated source:\n{run.stderr[-4000:]}")
    return lib


class CudaRunner(Runner):
    """The C ABI runner, raising after a call that left a CUDA error.

    Example:
        >>> CudaRunner.after.__name__
        'after'
    """

    def after(self) -> None:
        """Raise RuntimeError with the CUDA runtime's message if the last call failed.

        Example:
            >>> CudaRunner.after.__doc__.split()[0]
            'Raise'
        """
        fn = getattr(self.lib, f"{self.prefix}_last_error")
        fn.restype = ctypes.c_char_p
        message = fn()
        if message is not None:
            raise RuntimeError(f"CUDA error in {self.prefix}: {message.decode()}")


class Unavailable:
    """The evaluator of a target that cannot run on this machine: calling it raises UnsupportedFeature.

    Example:
        >>> Unavailable("a CUDA device")({})
        Traceback (most recent call last):
        ...
        firmc.errors.UnsupportedFeature: running the cuda target needs a CUDA device (the .cu file can still be written)
    """

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        raise UnsupportedFeature(f"running the cuda target needs {self.what} (the .cu file can still be written)")


def _ptx_possible(program: Program) -> bool:
    """Whether the PTX output can be made: llvmlite installed, no op of firmc's C++ runtime."""
    if importlib.util.find_spec("llvmlite") is None:
        return False
    from ..llvm.ops import RUNTIME
    return not any(n.op in RUNTIME or n.op == "faddeeva" for n in walk(list(program.outputs.values())))


class CudaBackend:
    """Emits ``<entry>.cu``; loads it by compiling it with nvcc and calling the C ABI through ctypes.

    Example:
        >>> CudaBackend().name
        'cuda'
    """

    name = "cuda"
    requires: tuple[str, ...] = ()

    def missing(self) -> str:
        """What this machine lacks to run the target (nvcc, a device); "" when nothing.

        Example:
            >>> CudaBackend().missing() == missing()
            True
        """
        return missing()

    def emit(self, program: Program) -> Artifact:
        """The ``.cu`` file (deterministic: same program, same bytes), and the same kernels as PTX through
        llvmlite's NVPTX target (:mod:`firmc.backends.llvm.ptx`) where llvmlite is installed and the model needs
        none of the C++ runtime's special functions.

        Example:
            >>> CudaBackend.emit.__name__
            'emit'
        """
        lowered = replace(program, outputs=lower_complex(lower_structural(program.outputs)))
        stem = file_stem(program.name)
        text = cuda_text(lowered)
        files: dict[str, Callable[[], str]] = {f"{stem}.cu": lambda: text}
        if _ptx_possible(lowered):
            def ptx() -> str:
                from ..llvm.expand import expand_logaddexp
                from ..llvm.ptx import ptx_text
                return ptx_text(replace(lowered, outputs=expand_logaddexp(lowered.outputs)))
            files[f"{stem}.ptx"] = ptx
        return Artifact(self.name, LazyFiles(files), program)

    def load(self, artifact: Artifact) -> Evaluator:
        """A callable over the compiled library; without nvcc or a device, one that raises UnsupportedFeature
        when called (so that the file can be generated and written anywhere).

        Example:
            >>> CudaBackend.load.__name__
            'load'
        """
        program = artifact.program
        assert program is not None
        what = missing()
        if what:
            return Unavailable(what)
        name = next(k for k in artifact.files if k.endswith(".cu"))
        text = artifact.files[name]
        lib = ctypes.CDLL(str(build(text, name.removesuffix(".cu"))))
        prefix = "firmc_" + file_stem(program.name)
        count = getattr(lib, f"{prefix}_device_count")
        count.restype = ctypes.c_int
        if count() <= 0:
            return Unavailable("a CUDA device (the CUDA runtime found none)")
        return CudaRunner(lib, prefix, program)


BACKEND = CudaBackend()
