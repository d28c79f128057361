"""The parts of an HS3 document around the objects: variables, domains, data, likelihoods, metadata.

Likelihood entries are read back from the IR the HS3 front-end builds (``firmc.frontends.hs3.data``): a sum
of ``-datasum(log pdf)`` terms, each with ``+ nu - N log(nu)`` when the density is extended. Binned data
sets keep bin centres; their edges are recovered from the centres and the axis range.

Example:
    >>> import numpy as np
    >>> from firmc.ir import Dataset
    >>> d = Dataset("h", {"x": np.array([0.5, 1.5])}, np.array([3.0, 4.0]), "binned", {"x": (0.0, 2.0)})
    >>> data_object(d, "h", {}, lambda n: n)["axes"]
    [{'name': 'x', 'min': 0.0, 'max': 2.0, 'nbins': 2}]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import UnsupportedFeature
from ...ir import Dataset, Module, Node

Domain = tuple[float, float]


def _bounds(lo: float, hi: float) -> dict[str, float]:
    out: dict[str, float] = {}
    if math.isfinite(lo):
        out["min"] = float(lo)
    if math.isfinite(hi):
        out["max"] = float(hi)
    return out


def variables(m: Module, extra: dict[str, Domain], out: Callable[[str], str], root: bool) -> dict[str, Any]:
    """``domains`` and ``parameter_points`` for the module's observables and parameters (and the variables
    in ``extra`` that the written objects use but the module does not declare). ROOT also writes min/max on
    the parameter entries.

    Example:
        >>> from firmc.ir import Parameter
        >>> m = Module(parameters={"a": Parameter("a", 1.0, 0.0, 2.0, True)})
        >>> variables(m, {}, lambda n: n, False)["parameter_points"][0]["parameters"]
        [{'name': 'a', 'value': 1.0, 'const': True}]
    """
    axes: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    rows: list[tuple[str, float, float, float | None, bool]] = [
        (o.name, o.min, o.max, o.value, False) for o in m.observables.values()]
    rows += [(p.name, p.min, p.max, p.value, p.const) for p in m.parameters.values()]
    declared = {r[0] for r in rows}
    rows += [(n, lo, hi, None, False) for n, (lo, hi) in extra.items() if n not in declared]
    for name, lo, hi, value, const in sorted(rows, key=lambda r: out(r[0])):
        axes.append({"name": out(name), **_bounds(lo, hi)})
        if value is None or not math.isfinite(value):
            continue
        entry: dict[str, Any] = {"name": out(name), "value": float(value)}
        if const:
            entry["const"] = True
        if root:
            entry.update(_bounds(lo, hi))
        points.append(entry)
    return {"domains": [{"name": "default_domain", "type": "product_domain", "axes": axes}],
            "parameter_points": [{"name": "default_values", "parameters": points}]}


def _edges(centres: np.ndarray, lo: float, hi: float) -> dict[str, Any]:
    """``nbins`` (uniform bins over [lo, hi]) or ``edges`` recovered from bin centres."""
    c = np.unique(centres)
    n = len(c)
    if math.isfinite(lo) and math.isfinite(hi):
        uniform = np.linspace(lo, hi, n + 1)
        if np.array_equal((uniform[1:] + uniform[:-1]) / 2, c):
            return {"min": float(lo), "max": float(hi), "nbins": n}
    edges = [float(lo)]
    for x in c:
        edges.append(2.0 * float(x) - edges[-1])
    return {"edges": edges}


def data_object(d: Dataset, name: str, domains: dict[str, Domain], out: Callable[[str], str]) -> dict[str, Any]:
    """The HS3 ``data`` object of a data set (``domains`` gives axis ranges a data set does not carry).

    Example:
        >>> import numpy as np
        >>> data_object(Dataset("d", {"x": np.array([0.1])}, None, "unbinned", {"x": (0.0, 1.0)}), "d", {},
        ...             lambda n: n)["entries"]
        [[0.1]]
    """
    cols = list(d.columns)

    def rng(c: str) -> Domain:
        if c in d.axes:
            return d.axes[c]
        if c in domains:
            return domains[c]
        vals = d.columns[c]
        return (float(np.min(vals)), float(np.max(vals))) if len(vals) else (-math.inf, math.inf)

    if d.kind == "point":
        if len(cols) > 1 or any(len(v) != 1 for v in d.columns.values()):
            raise UnsupportedFeature(f"data set '{d.name}': point data of more than one value")
        axes = [{"name": out(c), **_bounds(*rng(c))} for c in cols]
        value = float(d.columns[cols[0]][0]) if cols else 0.0
        return {"name": name, "type": "point", "value": value, **({"axes": axes} if axes else {})}
    if d.kind == "binned":
        axes = [{"name": out(c), **_edges(d.columns[c], *rng(c))} for c in cols]
        contents = [float(v) for v in (d.weights if d.weights is not None else np.ones(d.size))]
        return {"name": name, "type": "binned", "axes": axes, "contents": contents}
    obj: dict[str, Any] = {
        "name": name, "type": "unbinned", "axes": [{"name": out(c), **_bounds(*rng(c))} for c in cols],
        "entries": [[float(v) for v in row] for row in zip(*(d.columns[c] for c in cols), strict=True)]}
    if d.weights is not None:
        obj["weights"] = [float(v) for v in d.weights]
    return obj


def likelihood_terms(name: str, expr: Node) -> list[tuple[Node, Node | None, str]]:
    """(density, expected events or None, data set name) of each term of a likelihood entry as the HS3
    front-end builds it.

    Example:
        >>> from firmc.ir import apply, obs
        >>> x = obs("x", 0.0, 1.0)
        >>> nll = -apply("datasum", apply("log", x), binds=("x",), dataset="d")
        >>> likelihood_terms("L", nll) == [(x, None, "d")]
        True
    """
    terms = list(expr.args) if expr.op == "add" else [expr]
    out: list[tuple[Node, Node | None, str]] = []
    for t in terms:
        core, nu = t, None
        if t.op == "sub" and t.args[0].op == "add" and len(t.args[0].args) == 2:
            core, nu = t.args[0].args  # -datasum + nu - N log(nu)
        ds = core.args[0] if core.op == "neg" else None
        if ds is None or ds.op != "datasum" or ds.args[0].op != "log":
            raise UnsupportedFeature(f"likelihood '{name}': a term that is not -sum(log pdf) over a data set "
                                     "has no HS3 form")
        out.append((ds.args[0].args[0], nu, str(ds.attr("dataset"))))
    return out
