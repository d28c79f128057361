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

import math
from typing import TYPE_CHECKING

import numpy as np

from ...errors import UnknownName
from ...ir import Dataset, Entry, Module, Node, apply, const
from ..jsonread import Path_

if TYPE_CHECKING:
    from .loader import Loader

DATA_TYPES = ("unbinned", "binned", "point")


MAX_BINS = 10_000_000  # per axis of data without a list of contents (there, the number of contents bounds it)


def _axes(item: Path_) -> list[tuple[str, np.ndarray | None, float, float, Path_]]:
    """(name, edges or None, min, max, path) per axis."""
    out: list[tuple[str, np.ndarray | None, float, float, Path_]] = []
    contents = item.value.get("contents") if isinstance(item.value, dict) else None
    max_bins = max(len(contents), 1) if isinstance(contents, list) else MAX_BINS
    for ax in item.get("axes"):
        name = ax.get("name").string()
        if ax.has("edges"):
            given = np.array([e.number() for e in ax.get("edges")], dtype=float)
            if len(given) < 2 or np.any(np.diff(given) <= 0):
                raise ax.get("edges").error("edges must be increasing, at least two")
            out.append((name, given, float(given[0]), float(given[-1]), ax))
            continue
        lo, hi = ax.get("min").bound() if ax.has("min") else -np.inf, \
            ax.get("max").bound() if ax.has("max") else np.inf
        edges = None
        if ax.has("nbins"):
            nb = ax.get("nbins").integer()
            if nb < 1:
                raise ax.get("nbins").error("nbins must be at least 1")
            if nb > max_bins:
                raise ax.get("nbins").error(f"nbins {nb:.6g} is more than the {max_bins} bins the data can have")
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ax.error("a binned axis needs finite min and max")
            edges = np.linspace(lo, hi, nb + 1)
        out.append((name, edges, lo, hi, ax))
    return out


def _finite(v: object) -> bool:
    """A JSON number (not a boolean) that is a finite float."""
    return (type(v) is float and math.isfinite(v)) or (type(v) is int and -1e308 < v < 1e308)


def _numbers(p: Path_, width: int | None = None) -> np.ndarray:
    """The list at ``p`` as finite floats, or (``width`` given) as rows of ``width`` numbers.

    Plain checks over the raw values (large data sets); a bad item is read through :class:`Path_`, so that
    the error names its JSON path.

    Example:
        >>> _numbers(Path_([[1, 2], [3, 4]]), 2).tolist()
        [[1.0, 2.0], [3.0, 4.0]]
    """
    v = p.value
    if not isinstance(v, list):
        p.items()  # raises: expected a list
    shape = (len(v),) if width is None else (len(v), width)
    good = all(_finite(x) for x in v) if width is None else \
        all(type(r) is list and len(r) == width and all(_finite(x) for x in r) for r in v)
    if good:
        return np.array(v, dtype=float).reshape(shape)
    arr = np.empty(shape)
    for i, x in enumerate(v):
        if width is None:
            arr[i] = x if _finite(x) else p.child(i, x).number()
        elif type(x) is list and len(x) == width and all(_finite(y) for y in x):
            arr[i] = x
        else:
            row = p.child(i, x)
            vals = row.items()
            if len(vals) != width:
                raise row.error(f"an entry needs {width} values (one per axis), found {len(vals)}")
            arr[i] = [y.number() for y in vals]
    return arr


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
        arr = _numbers(item.get("entries"), len(axes))
        weights = None
        if item.has("weights"):
            weights = _numbers(item.get("weights"))
            if len(weights) != len(arr):
                raise item.get("weights").error(f"{len(weights)} weights for {len(arr)} entries")
        for j, (ax_name, _, lo, hi, _ax) in enumerate(axes):
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
    contents = _numbers(item.get("contents"))
    if contents.size != math.prod(shape):
        raise item.get("contents").error(f"{contents.size} contents for {math.prod(shape)} bins")
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
        blocked = [d.value for d in dists if isinstance(d.value, str) and d.value in loader.deferred]
        if blocked:
            m.unsupported[name] = f"likelihood uses '{blocked[0]}': {loader.deferred[blocked[0]]}"
            continue
        datas = item.get("data").items()
        if len(dists) != len(datas):
            raise item.error(f"{len(dists)} distributions but {len(datas)} data")
        terms: list[Node] = []
        constraints: dict[str, tuple[Node, float]] = {}  # HistFactory constraint terms, one per parameter
        for k, (dp, xp) in enumerate(zip(dists, datas, strict=True)):
            if isinstance(dp.value, str) and dp.value in loader.channels:
                terms.append(_histfactory_term(m, loader, dp.value, xp, constraints))
                continue
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
        if constraints:
            terms.append(-apply("add", *[n for n, _ in constraints.values()],
                                const(math.fsum(c for _, c in constraints.values()))))
        if name in m.entries:
            raise item.get("name").error(f"duplicate name '{name}'")
        expr = apply("add", *terms) if len(terms) > 1 else terms[0] if terms else const(0.0)
        m.entries[name] = Entry(name, "likelihood", expr, source=".".join(map(str, item.path)))


def _histfactory_term(m: Module, loader: Loader, name: str, xp: Path_,
                      constraints: dict[str, tuple[Node, float]]) -> Node:
    """Minus the main Poisson terms of a ``histfactory_dist`` on binned data; its constraint terms are added
    to ``constraints`` (one per parameter over the likelihood)."""
    ch = loader.channels[name]
    ds = m.datasets.get(xp.value) if isinstance(xp.value, str) else None
    if ds is None or ds.kind != "binned" or ds.weights is None:
        raise xp.error(f"histfactory_dist '{name}' needs binned data (the name of a 'binned' data entry)")
    if len(ds.weights) != ch.nbins:
        raise xp.error(f"data '{ds.name}' has {len(ds.weights)} bins, histfactory_dist '{name}' has {ch.nbins}")
    for key, term in ch.constraints.items():
        constraints.setdefault(key, term)
    try:
        node, constant = ch.nll([float(w) for w in ds.weights])
    except (ArithmeticError, ValueError) as exc:  # counts that make no Poisson term (negative, inf)
        raise xp.error(f"data '{ds.name}' for histfactory_dist '{name}': {type(exc).__name__}: {exc}") from None
    return node + constant


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
