"""The :class:`Module`: everything a model file says, as IR.

It holds observables (with domains), parameters (value, bounds, const), entries (named distributions,
functions and likelihoods, each an IR expression), data sets and validation points.

Example:
    >>> from firmc.ir import obs, param, apply
    >>> x = obs("x", -5.0, 5.0)
    >>> m = Module()
    >>> m.observables["x"] = Observable("x", -5.0, 5.0)
    >>> m.parameters["mu"] = Parameter("mu", 0.5)
    >>> m.entries["shape"] = Entry("shape", "function", apply("exp", -(x - param("mu"))))
    >>> sorted(m.entries)
    ['shape']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .node import Node

EntryKind = Literal["distribution", "function", "likelihood"]


@dataclass
class Parameter:
    """A model parameter with its default value, bounds and whether it is fixed.

    Example:
        >>> Parameter("mu", 0.3, -1.0, 1.0)
        Parameter(name='mu', value=0.3, min=-1.0, max=1.0, const=False)
    """

    name: str
    value: float
    min: float = -math.inf
    max: float = math.inf
    const: bool = False


@dataclass
class Observable:
    """An observable with its domain (the normalisation range).

    Example:
        >>> Observable("x", 0.0, 10.0).max
        10.0
    """

    name: str
    min: float
    max: float
    value: float | None = None


@dataclass
class Entry:
    """A named, compilable expression.

    ``kind`` is ``distribution`` (a density: ``normalize`` nodes inside resolve against the observables chosen
    at compile time), ``function`` or ``likelihood`` (a scalar NLL). ``observables`` is the default
    normalisation set of a distribution; ``expected`` the expected number of events of an extended one.

    Example:
        >>> from firmc.ir import param
        >>> Entry("f", "function", param("a")).kind
        'function'
    """

    name: str
    kind: EntryKind
    expr: Node
    observables: tuple[str, ...] = ()
    expected: Node | None = None
    source: str = ""  # where it came from: a JSON path or file:line


@dataclass
class Dataset:
    """Events (unbinned, or bin centres with counts as weights), column by observable name.

    Example:
        >>> d = Dataset("d", {"x": np.array([0.1, 0.2])})
        >>> d.size
        2
    """

    name: str
    columns: dict[str, np.ndarray]
    weights: np.ndarray | None = None
    kind: Literal["unbinned", "binned", "point"] = "unbinned"
    axes: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of events (or bins).

        Example:
            >>> Dataset("d", {"x": np.zeros(3)}).size
            3
        """
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def total(self) -> float:
        """Sum of weights (number of events when unweighted).

        Example:
            >>> Dataset("d", {"x": np.zeros(3)}, np.array([1.0, 2.0, 3.0])).total
            6.0
        """
        return float(np.sum(self.weights)) if self.weights is not None else float(self.size)


@dataclass
class Validation:
    """A reference value shipped with the model: ``entry`` at ``point`` should give ``expected``.

    Example:
        >>> Validation("g", {"x": 0.0}, 0.3989, rtol=1e-4).entry
        'g'
    """

    entry: str
    point: dict[str, float]
    expected: complex | float
    rtol: float = 1e-9
    label: str = ""


@dataclass
class Module:
    """A whole model as IR, as loaded by a front-end.

    Example:
        >>> Module().entries
        {}
    """

    observables: dict[str, Observable] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    validations: list[Validation] = field(default_factory=list)
    source: str = ""  # file path (or "<dict>")
    source_hash: str = ""  # sha256 of the input bytes
    format: str = ""  # "hs3", "pyhf", "amplitude", "firm", "ir"
    unsupported: dict[str, str] = field(default_factory=dict)  # entry name -> why it cannot be compiled

    def defaults(self) -> dict[str, float]:
        """Default values of every parameter (and observables that have one).

        Example:
            >>> m = Module(parameters={"a": Parameter("a", 2.0)})
            >>> m.defaults()
            {'a': 2.0}
        """
        out = {o.name: o.value for o in self.observables.values() if o.value is not None}
        out.update({p.name: p.value for p in self.parameters.values()})
        return out
