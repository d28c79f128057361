"""Any :class:`~firmc.ir.Module` to an HS3 document, in the spec dialect or in ROOT 6.40's.

Each written entry keeps its name: a distribution entry becomes a distribution of that name, a function
entry a function, a likelihood entry a likelihood with its data. Densities are written with the type of
their closed-form rule (``gaussian_dist``, ``crystalball_doublesided_dist`` ...), as ``mixture_dist``,
``product_dist``, extended (``extend_pdf`` / ``rate_extended_dist``) or ``generic_dist``; other arguments
as names, numbers or ``generic_function`` objects (see :mod:`.objects`, :mod:`.expression`).

What a dialect cannot write goes to ``foreign(name, node, kind)`` (``kind`` "distribution" or "function";
``node`` a density or a real expression), which returns the object to write, or None when the caller provides
an object of that name outside the document (a RooFit object already in the workspace); so do the types in
``avoid`` when there is a hook (the roofit target avoids RooFit classes whose values are known to be wrong).
Without a hook the spec dialect writes a
``firmc_ir`` / ``firmc_ir_dist`` object holding the sub-graph's IR text, which firmc's HS3 front-end reads
back; the ROOT dialect raises :class:`~firmc.errors.UnsupportedFeature`.

firmc-specific facts go in ``misc.firmc``: ``observables`` (which variables are observables: HS3 says so only
through data axes and typed fields, not for ``generic_dist``), ``original_names`` (ROOT dialect: mangled ->
original) and ``validations``.

Example:
    >>> import firmc, json
    >>> m = firmc.load({"metadata": {"hs3_version": "0.2"},
    ...     "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
    ...     "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -5, "max": 5}]}],
    ...     "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.5}]}]})
    >>> doc = write_hs3(m, "root")
    >>> doc["distributions"]
    [{'mean': 'mu', 'name': 'g', 'sigma': 1.0, 'type': 'gaussian_dist', 'x': 'x'}]
    >>> firmc.load(doc).parameters["mu"].value
    0.5
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

from ...errors import UnknownName, UnsupportedFeature
from ...ir import Module, Node, walk
from . import document
from .names import Namer
from .objects import Foreign, Objects

Dialect = Literal["spec", "root"]
ROOT_VERSION = "6.40.00"

__all__ = ["Dialect", "Foreign", "write_hs3"]


def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _canonical(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_canonical(v) for v in obj]
    return obj


def _variables_used(m: Module, roots: list[Node]) -> dict[str, tuple[float, float]]:
    """Domains of the observables and parameters under ``roots`` that the module does not declare."""
    out: dict[str, tuple[float, float]] = {}
    for n in walk(roots):
        if n.op in ("param", "obs"):
            name = n.attr("name")
            if name not in m.observables and name not in m.parameters:
                out[name] = (n.attr("lo"), n.attr("hi")) if n.op == "obs" else (-float("inf"), float("inf"))
    return out


def write_hs3(module: Module, dialect: Dialect = "spec", entries: Sequence[str] | None = None,
              foreign: Foreign | None = None, avoid: Collection[str] = ()) -> dict[str, Any]:
    """The HS3 document (a JSON-ready dict, keys sorted) of ``entries`` (default all) of ``module``.

    Example:
        >>> from firmc.ir import Entry, Module, Parameter, param
        >>> m = Module(parameters={"a": Parameter("a", 2.0)})
        >>> m.entries["f"] = Entry("f", "function", param("a") ** 2.0)
        >>> write_hs3(m)["functions"]
        [{'expression': 'a^2.0', 'name': 'f', 'type': 'generic_function'}]
    """
    if dialect not in ("spec", "root"):
        raise ValueError(f"unknown HS3 dialect {dialect!r}; expected 'spec' or 'root'")
    wanted = list(module.entries) if entries is None else list(dict.fromkeys(entries))
    for name in wanted:
        if name not in module.entries:
            raise UnknownName("entry", name, module.entries)
    names = [*module.entries, *module.parameters, *module.observables, *module.datasets]
    roots = [x for e in module.entries.values() for x in (e.expr, e.expected) if x is not None]
    used = _variables_used(module, roots)
    namer = Namer(dialect, [*names, *used])
    objs = Objects(dialect, namer, foreign, avoid)
    likelihoods, opaque = _likelihood_terms(module, wanted)
    wanted += [n for terms in likelihoods.values() for n, _ in terms if n not in wanted and n in module.entries]
    _write_entries(module, wanted, objs, opaque)
    doc: dict[str, Any] = {}
    sections: dict[str, list[dict[str, Any]]] = {"distributions": [], "functions": []}
    for _, (section, obj) in sorted(objs.out.items()):
        sections[section].append(obj)
    doc.update({k: v for k, v in sections.items() if v})
    domains = {o.name: (o.min, o.max) for o in module.observables.values()}
    domains.update(used)
    doc.update(document.variables(module, used, namer.out, dialect == "root"))
    datasets = sorted({d for terms in likelihoods.values() for _, d in terms}
                      | _datasets_used(module, wanted, entries is None))
    if datasets:
        doc["data"] = [document.data_object(module.datasets[d], namer.out(d), domains, namer.out) for d in datasets]
    if likelihoods:
        doc["likelihoods"] = [{"name": namer.out(lik), "distributions": [namer.out(n) for n, _ in terms],
                               "data": [namer.out(d) for _, d in terms]}
                              for lik, terms in sorted(likelihoods.items())]
    packages = [{"name": "ROOT", "version": ROOT_VERSION}] if dialect == "root" else \
        [{"name": "firmc", "version": _version()}]
    doc["metadata"] = {"hs3_version": "0.2", "packages": packages}
    misc: dict[str, Any] = {"observables": sorted(namer.out(o) for o in
                                                  [*module.observables, *(n for n in used if _is_obs(roots, n))])}
    if namer.original:
        misc["original_names"] = dict(namer.original)
    if opaque:
        misc["likelihoods"] = sorted(namer.out(n) for n in opaque)
    vals = [{"entry": namer.out(v.entry), "point": {namer.out(k): x for k, x in v.point.items()},
             "value": [v.expected.real, v.expected.imag] if isinstance(v.expected, complex) else v.expected,
             "rtol": v.rtol, "label": v.label} for v in module.validations if v.entry in wanted]
    if vals:
        misc["validations"] = vals
    doc["misc"] = {"firmc": misc}
    return dict(_canonical(doc))


def _write_entries(module: Module, wanted: list[str], objs: Objects, opaque: set[str]) -> None:
    """Write the wanted entries under their own names, then the entries their objects refer to (a likelihood
    without an HS3 likelihood form, in ``opaque``, as a function whose value is the NLL)."""
    namer = objs.namer
    by_out = {namer.out(k): k for k in module.entries}
    for name in [*wanted, *(k for k in module.entries if k not in wanted)]:  # the wanted entries' names first
        e = module.entries[name]
        if e.kind == "distribution" and e.expected is None:
            objs.dist_claims.setdefault(e.expr, namer.out(name))
        elif e.kind == "function":
            objs.claims.setdefault(e.expr, namer.out(name))
    pending, done = list(wanted), set()
    while pending:
        name = pending.pop(0)
        if name in done:
            continue
        done.add(name)
        e = module.entries[name]
        objs.owner = ""
        if e.kind == "distribution":
            objs.dist(e.expr, namer.out(name), e.expected)
        elif e.kind == "function" or name in opaque:
            objs.function(e.expr, namer.out(name))
        pending += sorted(by_out[n] for n in objs.referenced if by_out[n] not in done)  # entries referenced


def _version() -> str:
    from ... import __version__

    return __version__


def _is_obs(roots: list[Node], name: str) -> bool:
    return any(n.op == "obs" and n.attr("name") == name for n in walk(roots))


def _datasets_used(m: Module, wanted: list[str], everything: bool) -> set[str]:
    if everything:
        return set(m.datasets)
    roots = [x for n in wanted for x in (m.entries[n].expr, m.entries[n].expected) if x is not None]
    return {str(n.attr("dataset")) for n in walk(roots) if n.op == "datasum" and n.attr("dataset") in m.datasets}


def _likelihood_terms(m: Module, wanted: list[str]) -> tuple[dict[str, list[tuple[str, str]]], set[str]]:
    """Per likelihood entry, (distribution entry, data set) of each term; the distribution is the entry whose
    density (and expected events, for an extended term) the term uses. Second: the likelihoods whose terms are not
    -sum(log pdf) over a data set (a HistFactory NLL: written as functions)."""
    out: dict[str, list[tuple[str, str]]] = {}
    opaque: set[str] = set()
    for name in wanted:
        e = m.entries[name]
        if e.kind != "likelihood":
            continue
        try:
            found = document.likelihood_terms(name, e.expr)
        except UnsupportedFeature:
            opaque.add(name)
            continue
        terms: list[tuple[str, str]] = []
        for pdf, nu, data in found:
            match = [k for k, d in m.entries.items() if d.kind == "distribution" and d.expr is pdf
                     and d.expected is nu]
            if not match:
                raise UnsupportedFeature(f"likelihood '{name}': term {len(terms)} uses a density that is no "
                                         "distribution entry of the module")
            terms.append((match[0], data))
        out[name] = terms
    return out, opaque
