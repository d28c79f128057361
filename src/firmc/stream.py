"""The NLL of a compiled density over data that come in chunks (bounded memory for any number of events).

A density's NLL is a sum over the events plus terms evaluated once per evaluation (for an extended density the
expected number of events ``nu``: ``NLL = -sum_i w_i log pdf(x_i) + nu - sum_i w_i log nu``). So the NLL of the
concatenated chunks is the NLL of no events (the once-per-evaluation part) plus, for every chunk, its NLL less
that part: :func:`nll_stream` adds these (``math.fsum`` of one value per chunk), one chunk in memory at a time;
:func:`nll_grad_stream` does the same for the gradient. Each chunk is one call of the target (on ``llvm`` one
native pass, on all cores).

Example:
    >>> import numpy as np, firmc
    >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "numpy", entry="model")
    >>> x = np.random.default_rng(1).uniform(-10, 10, 1000)
    >>> chunks = ({"x": x[i:i + 300]} for i in range(0, x.size, 300))
    >>> bool(np.isclose(nll_stream(f, chunks), f.nll({"x": x}), rtol=1e-13))
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import FirmError

if TYPE_CHECKING:
    from .compiler import Compiled

#: one chunk: the observables' arrays by name, or ``(arrays, weights)`` for weighted events
Chunk = Mapping[str, Any] | tuple[Mapping[str, Any], Any]


def _total(values: list[float]) -> float:
    """The correctly rounded sum of one value per chunk (``math.fsum``); +inf and -inf together give NaN."""
    try:
        return math.fsum(values)
    except ValueError:  # -inf + inf
        return math.nan


def _split(chunk: Chunk) -> tuple[Mapping[str, Any], Any]:
    if isinstance(chunk, tuple):
        if len(chunk) != 2 or not isinstance(chunk[0], Mapping):
            raise FirmError("a chunk is a dict of observable arrays, or a pair (dict, weights)")
        return chunk[0], chunk[1]
    if not isinstance(chunk, Mapping):
        raise FirmError(f"a chunk is a dict of observable arrays, or a pair (dict, weights), not "
                        f"{type(chunk).__name__}")
    return chunk, None


def _check(compiled: Compiled) -> dict[str, np.ndarray]:
    if compiled.entry.kind == "likelihood":
        raise FirmError(f"entry '{compiled.entry.name}' is a likelihood: its data are part of the model; stream the "
                        "data of one of its densities instead")
    if "nll" not in compiled.program.outputs:
        raise FirmError(f"entry '{compiled.entry.name}' is a {compiled.entry.kind}, not a density: it has no NLL")
    return {o: np.zeros(0) for o in compiled.observables}


def nll_stream(compiled: Compiled, chunks: Iterable[Chunk], params: Mapping[str, Any] | None = None) -> float:
    """The NLL of a density over the concatenation of ``chunks``, each a dict of observable arrays (or a pair
    ``(dict, weights)``), read one at a time: equal to ``compiled.nll`` of all the events at once (the extended
    term and other once-per-evaluation terms counted once), in the memory of one chunk.

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> parts = [{"x": np.array([0.5, 1.0])}, ({"x": np.array([2.0])}, np.array([3.0]))]
        >>> whole = f.nll({"x": np.array([0.5, 1.0, 2.0])}, weights=np.array([1.0, 1.0, 3.0]))
        >>> bool(np.isclose(nll_stream(f, parts), whole, rtol=1e-14))
        True
    """
    empty = _check(compiled)
    once = compiled.nll(empty, params)  # the once-per-evaluation terms: the NLL of no events
    parts = [once]
    for chunk in chunks:
        data, weights = _split(chunk)
        parts.append(compiled.nll(data, params, weights) - once)
        del chunk, data, weights  # one chunk alive while the next is made
    return _total(parts)


def nll_grad_stream(compiled: Compiled, chunks: Iterable[Chunk],
                    params: Mapping[str, Any] | None = None) -> tuple[float, dict[str, float]]:
    """:func:`nll_stream` with the NLL's analytic gradient over the free parameters, as ``Compiled.nll_grad``
    gives them for all the events at once.

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> x = np.array([0.5, 1.0, 2.0, -3.0])
        >>> v, g = nll_grad_stream(f, [{"x": x[:1]}, {"x": x[1:]}], {"mu": 1.0})
        >>> want_v, want_g = f.nll_grad({"x": x}, {"mu": 1.0})
        >>> bool(np.isclose(v, want_v, rtol=1e-14)), bool(np.isclose(g["mu"], want_g["mu"], rtol=1e-12))
        (True, True)
    """
    empty = _check(compiled)
    once, once_grad = compiled.nll_grad(empty, params)
    parts, grad = [once], {p: [d] for p, d in once_grad.items()}
    for chunk in chunks:
        data, weights = _split(chunk)
        value, g = compiled.nll_grad(data, params, weights)
        parts.append(value - once)
        for p, d in g.items():
            grad[p].append(d - once_grad[p])
        del chunk, data, weights
    return _total(parts), {p: _total(ds) for p, ds in grad.items()}
