"""The Python targets (numpy, jax, torch): one emitter, one module surface, one loader; a target is a
:class:`Dialect` (how ops are spelled) and a prelude (its conversions and reductions).

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program, Parameter
    >>> from firmc.backends.pysource.dialects import NUMPY
    >>> prog = Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",),
    ...                defaults={"a": Parameter("a", 2.0)})
    >>> from firmc.backends.numpy import BACKEND as backend
    >>> f = backend.load(backend.emit(prog))
    >>> f({"x": [0.5], "a": 3.0})["value"].tolist()
    [1.5]
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import tempfile
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .. import EVENT_WEIGHTS, Artifact, Evaluator, Program
from ..lowering import lower_structural
from ..naming import file_stem
from .emit import Dialect
from .surface import module_text

MARKER = "# --- firmc: generated modules start here ---"
COMMON_PRELUDE = Path(__file__).with_name("common_prelude.py")  # in every generated module
ARRAY_PRELUDE = Path(__file__).with_name("array_prelude.py")  # shared by the NumPy and JAX modules
_CACHE: list[tempfile.TemporaryDirectory[str]] = []
_LOADED: weakref.WeakValueDictionary[str, ModuleType] = weakref.WeakValueDictionary()  # name -> module in use


def prelude_text(path: Path) -> str:
    """The part of a target's prelude module that generated modules contain (below :data:`MARKER`).

    Example:
        >>> "def _parameters" in prelude_text(Path(__file__).parent.parent / "numpy" / "prelude.py")
        True
    """
    text = path.read_text(encoding="utf-8")
    return text.split(MARKER, 1)[1]


def import_text(text: str, stem: str) -> ModuleType:
    """Import generated source as a module (written to a per-process cache directory, named by its hash, so
    tracebacks, ``inspect`` and ``torch.compile`` see a real file).

    The module is shared while it is in use (the same text gives the same module) and freed with its last user,
    its file with it: it is in ``sys.modules`` only while it runs its top level, so that a process compiling
    thousands of models does not keep every module it ever loaded (tests/test_load.py).

    Example:
        >>> import_text("X = 1\\n", "demo").X
        1
    """
    if not _CACHE:
        _CACHE.append(tempfile.TemporaryDirectory(prefix="firmc-modules-"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"_firmc_{re.sub(r'[^A-Za-z0-9_]', '_', stem)}_{digest}"
    found = _LOADED.get(name)
    if found is not None:
        return found
    path = Path(_CACHE[0].name) / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as during any import: the module's top level may look itself up
    try:
        spec.loader.exec_module(module)
    finally:
        if sys.modules.get(name) is module:
            del sys.modules[name]
    _LOADED[name] = module
    weakref.finalize(module, _remove, path, Path(importlib.util.cache_from_source(str(path)))).atexit = False
    return module


def _remove(*paths: Path) -> None:
    for p in paths:  # the module's file and the byte code Python cached for it
        p.unlink(missing_ok=True)


class PythonBackend:
    """A Python target: emits one standalone module, loads it for checking.

    Example:
        >>> from firmc.backends.pysource.dialects import NUMPY
        >>> PythonBackend(NUMPY, [Path("prelude.py")]).name
        'numpy'
    """

    def __init__(self, dialect: Dialect, prelude: Sequence[Path], requires: Sequence[str] = (),
                 float64: Callable[[], AbstractContextManager[Any]] = nullcontext) -> None:
        self.dialect = dialect
        self.name = dialect.name
        self.requires = tuple(requires)
        self.prelude = tuple(prelude)  # files whose text below MARKER every module contains, in order
        self.float64 = float64  # entered around evaluations by firmc (checks run in float64)

    def emit(self, program: Program) -> Artifact:
        """``<entry>_<target>.py``: the module text (deterministic: same program, same bytes).

        Example:
            >>> PythonBackend.emit.__name__
            'emit'
        """
        lowered = replace(program, outputs=lower_structural(program.outputs))
        text = module_text(lowered, self.dialect, "\n\n".join(prelude_text(p).strip() for p in self.prelude))
        return Artifact(self.name, {f"{file_stem(program.name)}_{self.name}.py": text}, program)

    def load(self, artifact: Artifact) -> Evaluator:
        """A callable evaluating outputs by name through the generated module's private functions.

        Example:
            >>> PythonBackend.load.__name__
            'load'
        """
        program = artifact.program
        assert program is not None
        ((filename, text),) = artifact.files.items()
        module = import_text(text, filename.removesuffix(".py"))
        return _Runner(module, program, self.float64)


class _Runner:
    """Evaluator over a generated module (outputs by name, NumPy arrays out)."""

    def __init__(self, module: ModuleType, program: Program,
                 float64: Callable[[], AbstractContextManager[Any]]) -> None:
        self.module, self.program, self.float64 = module, program, float64

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        with self.float64():
            return self._run(inputs, outputs)

    def _run(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None) -> dict[str, np.ndarray]:
        m, prog = self.module, self.program
        keys = list(prog.outputs) if outputs is None else [k for k in outputs if k in prog.outputs]
        data = {o: inputs[o] for o in prog.observables if o in inputs}
        params = {p: inputs[p] for p in prog.parameters if p in inputs}
        weights = inputs.get(EVENT_WEIGHTS)
        out: dict[str, np.ndarray] = {}
        for key in keys:
            if key in out:
                continue
            if key == "value":
                out[key] = _numpy(getattr(m, "pdf", None) or m.value, data, params)
            elif key == "logpdf":
                out[key] = _numpy(m.logpdf, data, params)
            elif key == "expected":
                out[key] = np.asarray(_plain(m.expected(params)))
            elif key == "nll":
                out[key] = np.asarray(_plain(m.nll(data, params, weights)))
            elif key.startswith("grad:"):
                value, grad = m.nll_grad(data, params, weights)
                out["nll"] = np.asarray(_plain(value))
                out.update({f"grad:nll:{p}": np.asarray(_plain(g)) for p, g in grad.items()})
            elif key.startswith("hess:"):
                h = _plain(m.nll_hessian(data, params, weights))
                free = m.FREE
                out.update({f"hess:nll:{a}:{b}": np.asarray(h[i, j]) for i, a in enumerate(free)
                            for j, b in enumerate(free) if j >= i})
        return {k: out[k] for k in keys}


def _plain(x: Any) -> Any:
    """A framework array as NumPy (torch tensors are detached first)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _numpy(fn: Any, data: Mapping[str, Any], params: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(_plain(fn(data, params)))
