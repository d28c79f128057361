"""HS3 ``data`` and ``likelihoods``: data sets as arrays, likelihoods as NLL entries.

Semantics chosen where HS3 is silent (documented in docs/hs3.md):

* binned data paired with a continuous density: bin centres as events weighted by the bin contents
  (RooFit's semantics; HS3 #93 is open);
* weighted unbinned data: -sum_j w_j log pdf(x_j) (HS3 #92);
* an extended distribution adds nu - N log nu, N the (weighted) number of events (RooFit's extended term);
* ``aux_distributions`` are evaluated once per likelihood at the default values of their observables.

Example:
    >>> from firmc.frontends.jsonread import Path_
    >>> root = Path_({"data": [{"name": "d", "type": "binned", "contents": [1, 2],
    ...                          "axes": [{"name": "x", "min": 0, "max": 2, "nbins": 2}]}]})
    >>> data_axes(root)["x"][:2]
    (0.0, 2.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...errors import UnknownName
from ...ir import Dataset, Entry, Module, Node, apply, const
from ..jsonread import Path_

if TYPE_CHECKING:
    from .loader import Loader

DATA_TYPES = ("unbinned", "binned", "point")


def _axes(item: Path_) -> list[tuple[str, np.ndarray | None, float, float, Path_]]:
    """(name, edges or None, min, max, path) per axis."""
    out = []
    for ax in item.get("axes"):
        name = ax.get("name").string()
        if ax.has("edges"):
            edges = np.array([e.number() for e in ax.get("edges")], dtype=float)
            if len(edges) < 2 or np.any(np.diff(edges) <= 0):
                raise ax.get("edges").error("edges must be increasing, at least two")
            out.append((name, edges, float(edges[0]), float(edges[-1]), ax))
            continue
        lo, hi = ax.get("min").bound() if ax.has("min") else -np.inf, \
            ax.get("max").bound() if ax.has("max") else np.inf
        edges = None
        if ax.has("nbins"):
            nb = ax.get("nbins").integer()
            if nb < 1:
                raise ax.get("nbins").error("nbins must be at least 1")
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ax.error("a binned axis needs finite min and max")
            edges = np.linspace(lo, hi, nb + 1)
        out.append((name, edges, lo, hi, ax))
    return out


def data_axes(root: Path_) -> dict[str, tuple[float, float, Path_]]:
    """The observables named by data axes, with their ranges.

    Example:
        >>> data_axes(Path_({}))
        {}
    """
    out: dict[str, tuple[float, float, Path_]] = {}
    data = root.opt("data")
    for item in data.items() if data else []:
        item.get("name").string()
        kind = item.get("type").string()
        if kind not in DATA_TYPES:
            raise UnknownName("data type", kind, DATA_TYPES, path=(*item.path, "type"), file=item.file)
        if kind == "point" and not item.has("axes"):
            continue
        for name, _, lo, hi, ax in _axes(item):
            out[name] = (lo, hi, ax)
    return out


def _dataset(item: Path_) -> Dataset:
    name = item.get("name").string()
    kind = item.get("type").string()
    if kind == "point":
        value = item.get("value").number()
        cols = {ax[0]: np.array([value]) for ax in (_axes(item) if item.has("axes") else [])}
        return Dataset(name, cols, None, "point")
    axes = _axes(item)
    if kind == "unbinned":
        rows = item.get("entries").items()
        arr = np.empty((len(rows), len(axes)))
        for i, row in enumerate(rows):
            vals = row.items()
            if len(vals) != len(axes):
                raise row.error(f"an entry needs {len(axes)} values (one per axis), found {len(vals)}")
            arr[i] = [v.number() for v in vals]
        weights = None
        if item.has("weights"):
            weights = np.array([w.number() for w in item.get("weights")], dtype=float)
            if len(weights) != len(rows):
                raise item.get("weights").error(f"{len(weights)} weights for {len(rows)} entries")
        for j, (ax_name, _, lo, hi, ax) in enumerate(axes):
            outside = (arr[:, j] < lo) | (arr[:, j] > hi)
            if np.any(outside):
                k = int(np.argmax(outside))
                raise item.get("entries").items()[k].error(
                    f"value {arr[k, j]} of '{ax_name}' is outside the axis range [{lo}, {hi}]")
        return Dataset(name, {a[0]: arr[:, j].copy() for j, a in enumerate(axes)}, weights, "unbinned",
                       {a[0]: (a[2], a[3]) for a in axes})
    edges_list = []
    for ax_name, edges, _, _, ax in axes:
        if edges is None:
            raise ax.error(f"binned axis '{ax_name}' needs 'nbins' (with min, max) or 'edges'")
        edges_list.append(edges)
    shape = tuple(len(e) - 1 for e in edges_list)
    contents = np.array([c.number() for c in item.get("contents")], dtype=float)
    if contents.size != int(np.prod(shape)):
        raise item.get("contents").error(f"{contents.size} contents for {int(np.prod(shape))} bins")
    centres = np.meshgrid(*[(e[1:] + e[:-1]) / 2 for e in edges_list], indexing="ij")
    cols = {a[0]: c.ravel() for a, c in zip(axes, centres, strict=True)}
    return Dataset(name, cols, contents, "binned", {a[0]: (a[2], a[3]) for a in axes})


def read_data(root: Path_, m: Module) -> None:
    """Add every ``data`` item of the document to ``m.datasets``.

    Example:
        >>> m = Module(); read_data(Path_({"data": [{"name": "p", "type": "point", "value": 3}]}), m)
        >>> m.datasets["p"].kind
        'point'
    """
    data = root.opt("data")
    for item in data.items() if data else []:
        ds = _dataset(item)
        if ds.name in m.datasets:
            raise item.get("name").error(f"duplicate data name '{ds.name}'")
        m.datasets[ds.name] = ds


def nll_term(m: Module, dist: Entry, data: Dataset, where: Path_) -> Node:
    """-sum over ``data`` of w log pdf, plus the extended term when ``dist`` is extended.

    Example:
        >>> nll_term.__name__
        'nll_term'
    """
    binds = tuple(sorted(dist.expr.free))
    missing = [b for b in binds if b not in data.columns]
    if missing:
        raise where.error(f"distribution '{dist.name}' depends on observable '{missing[0]}', for which data "
                          f"'{data.name}' has no column")
    term = -apply("datasum", apply("log", dist.expr), binds=binds, dataset=data.name)
    if dist.expected is not None:
        nu = dist.expected
        term = term + nu - data.total * apply("log", nu)
    return term


def _point_data(m: Module, name: str, dist: Entry, value: float | None, where: Path_) -> Dataset:
    """A one-event data set for a constraint: observables at ``value`` (inline datum) or their defaults."""
    cols = {}
    for o in sorted(dist.expr.free):
        v = value if value is not None else m.observables[o].value
        if v is None:
            raise where.error(f"observable '{o}' of '{dist.name}' has no value in the parameter points")
        cols[o] = np.array([v])
    if value is not None and len(cols) != 1:
        raise where.error(f"a number as datum needs a distribution of one observable; '{dist.name}' has "
                          f"{len(cols)}")
    ds = Dataset(name, cols, None, "point")
    m.datasets[name] = ds
    return ds


def read_likelihoods(root: Path_, m: Module, loader: Loader) -> None:
    """Add one ``likelihood`` entry (an NLL) per HS3 likelihood.

    Example:
        >>> read_likelihoods.__name__
        'read_likelihoods'
    """
    liks = root.opt("likelihoods")
    for item in liks.items() if liks else []:
        name = item.get("name").string()
        dists = item.get("distributions").items()
        blocked = [str(d.value) for d in dists if d.value in loader.deferred]
        if blocked:
            m.unsupported[name] = f"likelihood uses '{blocked[0]}': {loader.deferred[blocked[0]]}"
            continue
        datas = item.get("data").items()
        if len(dists) != len(datas):
            raise item.error(f"{len(dists)} distributions but {len(datas)} data")
        terms: list[Node] = []
        for k, (dp, xp) in enumerate(zip(dists, datas, strict=True)):
            dist = _entry(m, loader, dp)
            if isinstance(xp.value, str):
                ds = m.datasets.get(xp.value)
                if ds is None:
                    raise UnknownName("data", xp.value, m.datasets, path=xp.path, file=xp.file)
                if ds.kind == "point" and not ds.columns:
                    ds = _point_data(m, f"{name}/{k}", dist, _point_value(root, xp.value), xp)
            else:
                ds = _point_data(m, f"{name}/{k}", dist, xp.number(), xp)
            terms.append(nll_term(m, dist, ds, xp))
        aux = item.opt("aux_distributions")
        for k, ap in enumerate(aux.items() if aux else []):
            dist = _entry(m, loader, ap)
            terms.append(nll_term(m, dist, _point_data(m, f"{name}/aux{k}", dist, None, ap), ap))
        if name in m.entries:
            raise item.get("name").error(f"duplicate name '{name}'")
        expr = apply("add", *terms) if len(terms) > 1 else terms[0] if terms else const(0.0)
        m.entries[name] = Entry(name, "likelihood", expr, source=".".join(map(str, item.path)))


def _point_value(root: Path_, name: str) -> float:
    for item in root.get("data").items():
        if item.value.get("name") == name:
            return item.get("value").number()
    raise root.error(f"no data '{name}'")  # pragma: no cover - checked by the caller


def _entry(m: Module, loader: Loader, p: Path_) -> Entry:
    name = p.string()
    e = m.entries.get(name)
    if e is None or e.kind != "distribution":
        raise UnknownName("distribution", name, [k for k, v in m.entries.items() if v.kind == "distribution"],
                          path=p.path, file=p.file)
    return e
