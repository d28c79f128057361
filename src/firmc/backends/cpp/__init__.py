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
from dataclasses import replace
from pathlib import Path

from ...errors import UnsupportedFeature
from .. import Artifact, Evaluator, Program
from ..csource.pairs import lower_complex
from ..csource.runner import Runner
from ..lowering import lower_structural
from ..naming import file_stem
from .header import header_text

CXX = "g++"
# hidden visibility: two headers for entries of the same name (firmc_model::pdf) must not bind to each other's
# inline functions when both libraries are loaded in one process
CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden")
_BUILD: list[tempfile.TemporaryDirectory[str]] = []


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
        return Runner(lib, "firmc_" + file_stem(program.name), program)


BACKEND = CppBackend()
