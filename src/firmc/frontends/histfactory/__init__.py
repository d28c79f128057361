"""pyhf workspaces (HistFactory JSON, schema 1.0.0) to a :class:`~firmc.ir.Module`, as pyhf 0.7.6 computes them.

Entries:

* ``logpdf`` (function): pyhf's ``model.logpdf(pars, data)`` with the observed data and the auxiliary data,
  a scalar;
* ``nll`` (likelihood): ``-logpdf``, for ``firmc.fit`` and the analytic derivatives;
* ``expected`` (function of the observable ``bin``): pyhf's ``model.expected_actualdata(pars)``, bin ``i`` of
  all channels concatenated in pyhf's order (channels sorted by name); ``expected/<channel>``: the expected
  counts of one channel, ``bin`` its bin index (``0 .. nbins-1``; a bin is ``[i, i+1)``).

Parameters are named as pyhf's ``model.config.par_names`` (``staterror_ch0[2]`` for the components of a
vector), with pyhf's inits, bounds and fixed flags after the measurement's configuration.

Example:
    >>> import firmc
    >>> ws = {"version": "1.0.0",
    ...       "channels": [{"name": "c", "samples": [{"name": "s", "data": [5.0], "modifiers": [
    ...           {"name": "mu", "type": "normfactor", "data": None}]}]}],
    ...       "observations": [{"name": "c", "data": [6]}],
    ...       "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]}
    >>> m = load_pyhf(ws)
    >>> f = firmc.compile(m, "interp", "logpdf")
    >>> round(float(f({"mu": 1.2})), 10)   # log Poisson(6 | 6)
    -1.8286943966
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import FormatError
from ...ir import Dataset, Entry, Module, Node, Observable, Parameter, obs
from ...ir.rewrite import rewrite
from ...library.binned import lookup
from ..jsonread import Path_
from .jsonpatch import apply_patch, check_patchset, select_patch
from .model import Built, Options, build, dataset_name
from .workspace import read_workspace

__all__ = ["Options", "apply_patch", "check_patchset", "load_pyhf", "read_workspace", "select_patch"]


def _patched(doc: Any, patches: Sequence[Any], file: str | None) -> Any:
    for k, patch in enumerate(patches):
        if isinstance(patch, Path_):
            where = patch
        elif isinstance(patch, dict) and "patch" in patch:  # one entry of a patchset's "patches"
            where = Path_(patch, (f"patches[{k}]",), file).get("patch")
        else:
            where = Path_(patch, (f"patches[{k}]",), file)
        doc = apply_patch(doc, where.value, where)
    return doc


def load_pyhf(doc: Any, patches: Sequence[Any] = (), measurement: str | int | None = None, *,
              file: str | None = None, digest: str = "", options: Options | None = None) -> Module:
    """Read a pyhf workspace (a parsed JSON document), after applying ``patches`` in order, into a Module.

    ``patches``: JSON Patch operation lists, entries of a patchset's ``patches`` (``{"metadata", "patch"}``)
    or :func:`select_patch` results; ``measurement``: its name or index (default: the first, as pyhf);
    ``options``: the interpolation codes (default pyhf's: normsys code4, histosys code4p).

    Example:
        >>> load_pyhf({"version": "1.0.0"})
        Traceback (most recent call last):
        firmc.errors.FormatError: missing required field 'channels'
    """
    if patches:
        doc = _patched(doc, patches, file)
    if not digest:
        try:
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
        except (TypeError, ValueError):
            raise FormatError("the workspace is not a JSON document", file=file) from None
    ws = read_workspace(doc, file)
    total = sum(len(ws.observations[c.name]) for c in ws.channels)
    k = obs("bin", 0.0, float(total))
    try:
        built = build(ws, ws.measurement(measurement), options or Options(), k)
    except OverflowError as exc:  # counts or uncertainties near the float limit (1e308): their squares, lgamma
        raise FormatError(f"the workspace's numbers are too large to compute with: {exc}", file=file) from None
    return _module(built, k, file, digest)


def _shifted(e: Node, k: Node, offset: float) -> Node:
    """``e`` with the bin index ``k`` replaced by ``k - offset``."""
    if offset == 0.0:
        return e
    shifted = k - offset

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        return shifted if n is k else None

    return rewrite([e], rule)[0]


def _module(built: Built, k: Node, file: str | None, digest: str) -> Module:
    m = Module(source=file or "<dict>", source_hash=digest, format="pyhf")
    for ps in built.paramsets:
        for i, name in enumerate(ps.names()):
            lo, hi = ps.bounds[i]
            m.parameters[name] = Parameter(name, ps.inits[i], lo, hi, ps.fixed[i])
    m.entries["logpdf"] = Entry("logpdf", "function", built.logpdf, source="<workspace>")
    m.entries["nll"] = Entry("nll", "likelihood", -built.logpdf, source="<workspace>")
    m.observables["bin"] = Observable("bin", k.attr("lo"), k.attr("hi"))
    edges, pieces = [0], []
    for c in built.channels():
        nbins = len(built.observed[c])
        m.datasets[dataset_name(c)] = Dataset(dataset_name(c), {"bin": np.arange(nbins, dtype=float)})
        m.entries[f"expected/{c}"] = Entry(f"expected/{c}", "function", built.expected[c], ("bin",),
                                           source=f"channels[{c}]")
        pieces.append(_shifted(built.expected[c], k, float(edges[-1])))
        edges.append(edges[-1] + nbins)
    m.entries["expected"] = Entry("expected", "function", lookup([k], [edges], pieces), ("bin",),
                                  source="<workspace>")
    return m
