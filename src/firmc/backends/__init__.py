"""Back-end registry: one package per target, imported lazily (importing firmc imports no jax/torch/ROOT).

Each back-end package exposes ``BACKEND``, an object with ``name``, ``requires`` (Python modules it needs),
``emit(program) -> Artifact`` and ``load(artifact) -> Evaluator``.

Example:
    >>> "interp" in available_targets()
    True
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np

from ..errors import UnknownName, UnsupportedFeature
from ..ir import Dataset, Module, Node, Parameter

T = TypeVar("T")

# every target firmc knows; the ones whose package is missing are announced but not yet built
TARGETS: dict[str, str] = {
    "interp": "firmc.backends.interp",
    "numpy": "firmc.backends.numpy",
    "jax": "firmc.backends.jax",
    "torch": "firmc.backends.torch",
    "llvm": "firmc.backends.llvm",
    "cpp": "firmc.backends.cpp",
    "cuda": "firmc.backends.cuda",
    "roofit": "firmc.backends.roofit",
}


@dataclass(frozen=True)
class Program:
    """What a back-end compiles: lowered IR roots and the names of their inputs.

    ``outputs`` maps output names ("value", "expected") to roots; ``observables`` are per-event inputs,
    ``parameters`` per-evaluation inputs.

    Example:
        >>> from firmc.ir import param
        >>> Program("f", {"value": param("a")}, (), ("a",)).parameters
        ('a',)
    """

    name: str
    outputs: Mapping[str, Node]
    observables: tuple[str, ...]
    parameters: tuple[str, ...]
    datasets: Mapping[str, Dataset] = field(default_factory=dict)
    header: str = ""
    defaults: Mapping[str, Parameter] = field(default_factory=dict)  # parameter values and bounds
    kind: str = "function"  # the entry's kind: distribution, function or likelihood
    # the model before the passes (the roofit target writes its structure, not the lowered code)
    source: Module | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Artifact:
    """The generated files of a target (name -> text) and what is needed to load them.

    Example:
        >>> Artifact("interp", {"f.firmir": "..."}).files["f.firmir"]
        '...'
    """

    target: str
    files: Mapping[str, str]
    program: Program | None = None
    binaries: Mapping[str, bytes] = field(default_factory=dict)  # e.g. a shared library


class LazyFiles(Mapping[str, T]):
    """File texts rendered on first access (the interpreter target never needs its text to run).

    Example:
        >>> files = LazyFiles({"a.txt": lambda: "hello"})
        >>> list(files), files["a.txt"]
        (['a.txt'], 'hello')
    """

    def __init__(self, render: Mapping[str, Callable[[], T]]) -> None:
        self._render = dict(render)
        self._done: dict[str, T] = {}

    def __getitem__(self, name: str) -> T:
        if name not in self._done:
            self._done[name] = self._render[name]()
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._render)

    def __len__(self) -> int:
        return len(self._render)


# a ``datasum`` over the data set EVENTS sums over the events given at call time: the observables' arrays,
# weighted by the optional input EVENT_WEIGHTS (a name no parameter can have)
EVENTS = "@events"
EVENT_WEIGHTS = "@weights"


class Evaluator(Protocol):
    """A loaded program: inputs (parameters, observables) -> outputs by name (all, or those asked for)."""

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        ...


class Backend(Protocol):
    """The shape every back-end has. Optional attributes: ``derivatives``, the highest order of analytic NLL
    derivatives the target evaluates (2 when absent); ``rtol``, the relative agreement with the interpreter the
    target is held to when it computes with implementations of its own (RooFit; default: the op table's)."""

    name: str
    requires: Sequence[str]

    def emit(self, program: Program) -> Artifact: ...

    def load(self, artifact: Artifact) -> Evaluator: ...


def get_backend(target: str) -> Backend:
    """The back-end for ``target`` (imported on first use).

    Example:
        >>> get_backend("interp").name
        'interp'
    """
    if target not in TARGETS:
        raise UnknownName("target", target, TARGETS)
    try:
        module = importlib.import_module(TARGETS[target])
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("firmc.backends"):
            raise UnsupportedFeature(f"target '{target}' is not implemented yet") from None
        raise UnsupportedFeature(f"target '{target}' needs the Python package '{exc.name}': install it with "
                                 f"pip install 'firmc[{target}]'") from None
    backend: Backend = module.BACKEND
    return backend


def available_targets() -> list[str]:
    """Targets whose back-end exists and whose dependencies are installed.

    Example:
        >>> available_targets()[0]
        'interp'
    """
    out = []
    for name, path in TARGETS.items():
        if importlib.util.find_spec(path) is None:
            continue
        try:
            backend = get_backend(name)
        except UnsupportedFeature:
            continue
        lacks = getattr(backend, "missing", lambda: "")()  # beyond Python packages: a compiler, a device
        if not lacks and all(importlib.util.find_spec(r) is not None for r in backend.requires):
            out.append(name)
    return out
