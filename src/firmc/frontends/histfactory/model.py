"""The IR of a pyhf model, term by term as pyhf 0.7.6 computes ``model.logpdf(pars, data)``.

Per channel and bin: ``nu = sum_samples (nominal + sum histosys deltas) * prod factors``, the factors being
normfactor, lumi, normsys (interpolated), shapefactor, shapesys and staterror gammas. Channels are in pyhf's
order (sorted by name), and so are samples. The log-likelihood is

* main: ``sum_bins n log nu - nu - lgamma(n + 1)`` (pyhf's continuous Poisson, ``xlogy``: no log term at n = 0);
* Gaussian constraints (normsys, histosys, lumi, staterror): ``-log(sigma sqrt(2 pi)) - (a - theta)^2 / (2 sigma^2)``
  with the auxiliary datum ``a``; staterror's sigma is the relative uncertainty combined over the samples of
  the channel (``sqrt(sum delta_s^2) / sum nominal_s``; 0 becomes 1 with the gamma fixed, as pyhf);
* Poisson constraints (shapesys): ``a log(gamma tau) - gamma tau - lgamma(a + 1)``, ``tau = (nominal/delta)^2``,
  ``a = tau`` unless the measurement sets the auxdata.

The constant parts (lgamma of the data, Gaussian normalisations) are summed into one constant.

Example:
    >>> from firmc.frontends.histfactory.workspace import read_workspace
    >>> ws = read_workspace({"version": "1.0.0",
    ...     "channels": [{"name": "c", "samples": [{"name": "s", "data": [5.0], "modifiers": [
    ...         {"name": "mu", "type": "normfactor", "data": None}]}]}],
    ...     "observations": [{"name": "c", "data": [6]}],
    ...     "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]})
    >>> from firmc.ir import obs
    >>> b = build(ws, ws.measurement(), Options(), obs("bin"))
    >>> [p.names() for p in b.paramsets]
    [['mu']]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...errors import FormatError
from ...ir import Node, apply, const, param
from ...library.binned import table
from ...library.pyhf_interpolation import HISTOSYS_CODES, NORMSYS_CODES, histosys_delta, normsys_factor
from ..jsonread import Path_
from .params import ParamSet, Requirement, combine, requirement, shapesys_requirement
from .terms import gauss_constraint, poisson_constraint, sample_rate, total
from .workspace import Channel, Measurement, Modifier, Workspace

ORDER = ("histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror")  # pyhf's set


@dataclass(frozen=True)
class Options:
    """Interpolation codes (pyhf's ``modifier_settings``): pyhf 0.7.6's model defaults, normsys ``code4`` and
    histosys ``code4p``.

    Example:
        >>> Options().normsys, Options(histosys="code0").histosys
        ('code4', 'code0')
    """

    normsys: str = "code4"
    histosys: str = "code4p"

    def __post_init__(self) -> None:
        if self.normsys not in NORMSYS_CODES:
            raise FormatError(f"normsys interpolation must be one of {', '.join(NORMSYS_CODES)}, not "
                              f"{self.normsys!r}")
        if self.histosys not in HISTOSYS_CODES:
            raise FormatError(f"histosys interpolation must be one of {', '.join(HISTOSYS_CODES)}, not "
                              f"{self.histosys!r}")


@dataclass
class Built:
    """What :func:`build` makes: parameter sets in pyhf's order, expected counts per channel (pyhf's channel
    order; functions of the bin index), the log-likelihood and the observed counts.

    Example:
        >>> Built([], {}, const(0.0)).channels()
        []
    """

    paramsets: list[ParamSet]
    expected: dict[str, Node]
    logpdf: Node
    observed: dict[str, list[float]] = field(default_factory=dict)

    def channels(self) -> list[str]:
        """Channel names in pyhf's order.

        Example:
            >>> Built([], {"b": const(1.0), "a": const(2.0)}, const(0.0)).channels()
            ['b', 'a']
        """
        return list(self.expected)


Mods = dict[tuple[str, str], Modifier]  # (type, name) -> modifier; the last of a repeated key wins (pyhf)


class _Builder:
    def __init__(self, ws: Workspace, meas: Measurement, opts: Options) -> None:
        self.ws, self.meas, self.opts = ws, meas, opts
        self.channels = sorted(ws.channels, key=lambda c: c.name)
        self.samples = sorted({s.name for c in ws.channels for s in c.samples})
        self.mods: dict[tuple[str, str], Mods] = {}
        for c in self.channels:
            for s in c.samples:
                d: Mods = {}
                for m in s.modifiers:
                    d[(m.kind, m.name)] = m
                self.mods[(c.name, s.name)] = d
        self.where: dict[str, Path_] = {}
        self.sets: dict[str, ParamSet] = {}
        self.stat_index: dict[str, dict[tuple[str, int], int]] = {}

    def sample_of(self, c: Channel, name: str) -> list[float] | None:
        return next((s.data for s in c.samples if s.name == name), None)

    # ------------------------------------------------------------------------------------ parameter sets
    def requirements(self) -> dict[str, list[Requirement]]:
        per_type: dict[str, dict[str, Requirement]] = {t: {} for t in ORDER}
        unshared: dict[str, Path_] = {}
        modifier_keys = sorted({(m.name, m.kind) for c in self.ws.channels for s in c.samples for m in s.modifiers})
        for c in self.channels:
            for sname in self.samples:
                mods = self.mods.get((c.name, sname))
                if mods is None:
                    continue
                for name, kind in modifier_keys:
                    m = mods.get((kind, name))
                    if m is None:
                        continue
                    self.where.setdefault(name, m.where)
                    if kind == "shapesys":
                        if name in unshared:
                            raise m.where.get("name").error(f"shapesys '{name}' is used by two samples: a "
                                                            "shapesys name must be unique")
                        unshared[name] = m.where
                        per_type[kind].setdefault(name, shapesys_requirement(self.sample_of(c, sname) or [],
                                                                             m.data))
                    elif kind != "staterror":
                        per_type[kind].setdefault(name, requirement(kind, c.nbins))
        per_type["staterror"] = self.staterror_requirements(sorted(n for n, k in modifier_keys if k == "staterror"))
        out: dict[str, list[Requirement]] = {}
        for t in ORDER:
            for name, req in per_type[t].items():
                out.setdefault(name, []).append(req)
        return out

    def staterror_requirements(self, names: list[str]) -> dict[str, Requirement]:
        """pyhf's staterror_builder.finalize: relative uncertainties combined over samples, per global bin."""
        out: dict[str, Requirement] = {}
        for name in names:
            users = [s for s in self.samples
                     if any(("staterror", name) in self.mods.get((c.name, s), {}) for c in self.channels)]
            mask: list[tuple[str, int]] | None = None
            for s in users:
                m_s = [(c.name, b) for c in self.channels if ("staterror", name) in self.mods.get((c.name, s), {})
                       for b in range(c.nbins)]
                if mask is None:
                    mask = m_s
                elif m_s != mask:
                    where = self.where[name]
                    raise where.get("name").error(f"staterror '{name}' must cover the same channels for every "
                                                  "sample that uses it (pyhf requires it)")
            assert mask is not None
            sigmas = []
            for cname, b in mask:
                c = next(ch for ch in self.channels if ch.name == cname)
                total = 0.0
                for s in users:
                    data = self.sample_of(c, s)
                    total += data[b] if data is not None else 0.0
                rel = 0.0
                for s in self.samples:
                    m = self.mods.get((cname, s), {}).get(("staterror", name))
                    rel += (m.data[b] / total) ** 2 if m is not None and total > 0 else 0.0
                sigmas.append(math.sqrt(rel))
            fixed = tuple(sg == 0.0 for sg in sigmas)
            self.stat_index[name] = {key: i for i, key in enumerate(mask)}
            out[name] = requirement("staterror", len(sigmas), fixed=fixed,
                                    sigmas=tuple(1.0 if f else sg for f, sg in zip(fixed, sigmas, strict=True)))
        return out

    def paramsets(self) -> list[ParamSet]:
        reqs = self.requirements()
        out = []
        for name, rs in reqs.items():
            ps = combine(name, rs, self.meas.parameters.get(name), self.where[name])
            self.sets[name] = ps
            out.append(ps)
        if self.meas.poi not in self.sets:
            raise self.meas.where.get("config").get("poi").error(
                f"the parameter of interest '{self.meas.poi}' is not a parameter of the model")
        if self.sets[self.meas.poi].n > 1:
            raise self.meas.where.get("config").get("poi").error(
                f"the parameter of interest '{self.meas.poi}' has several components")
        return out

    # ------------------------------------------------------------------------------------------------ IR
    def gammas(self, name: str, c: Channel, k: Node) -> Node:
        """The per-bin parameter of ``name`` at bin ``k`` of channel ``c``: a table of its parameters."""
        names = self.sets[name].names()
        if name in self.stat_index:
            where = self.stat_index[name]
            return table([param(names[where[(c.name, b)]]) for b in range(c.nbins)], k)
        return table([param(names[b]) for b in range(c.nbins)], k)

    def factors(self, c: Channel, mods: Mods, k: Node) -> list[Node]:
        out: list[Node] = []
        for (kind, name), m in sorted(mods.items(), key=lambda kv: (ORDER.index(kv[0][0]), kv[0][1])):
            if kind in ("normfactor", "lumi"):
                out.append(param(name))
            elif kind == "normsys":
                lo, hi = m.data
                try:
                    f = normsys_factor(self.opts.normsys, lo, hi, param(name))
                except ValueError as exc:
                    raise m.where.get("data").error(str(exc)) from None
                if f is not None:
                    out.append(f)
            elif kind in ("shapefactor", "shapesys", "staterror"):
                if kind == "shapefactor" and c.nbins > self.sets[name].n:
                    raise m.where.error(f"shapefactor '{name}' has {self.sets[name].n} parameters but channel "
                                        f"'{c.name}' has {c.nbins} bins")
                out.append(self.gammas(name, c, k))
        return out

    def expected(self, c: Channel, k: Node) -> Node:
        """The expected count of channel ``c`` in bin ``k`` (a node: the floor of its value is the bin index)."""
        terms: list[Node] = []
        for sname in self.samples:
            mods = self.mods.get((c.name, sname))
            data = self.sample_of(c, sname)
            if mods is None or data is None:
                continue
            deltas: list[Node] = []
            for (kind, name), m in sorted(mods.items(), key=lambda kv: kv[0][1]):
                if kind == "histosys":
                    lo, hi = m.data
                    d = histosys_delta(self.opts.histosys, data, lo, hi, param(name), k)
                    if d is not None:
                        deltas.append(d)
            if not any(data) and not deltas:
                continue
            rate = sample_rate(table(data, k), deltas, self.factors(c, mods, k))
            assert rate is not None
            terms.append(rate)
        return total(terms)

    def main(self, c: Channel, k: Node, dataset: str) -> tuple[Node, float]:
        """Channel ``c``'s Poisson terms, a sum over its bins (the data set ``dataset`` of bin indices bound to
        ``k``), and their constant ``-sum lgamma(n + 1)``."""
        counts = self.ws.observations[c.name]
        nu = self.expected(c, k)
        n = table(counts, k)
        log_term = n * apply("log", nu)
        if not all(v > 0 for v in counts):  # pyhf's xlogy: no log term where n = 0 (nu may be 0 there)
            log_term = apply("select", apply("gt", n, const(0.0)), log_term, const(0.0))
        body = log_term - nu
        return apply("datasum", body, dataset=dataset, binds=(k.attr("name"),)), \
            -sum(math.lgamma(v + 1.0) for v in counts)

    def constraints(self) -> tuple[list[Node], float]:
        terms: list[Node] = []
        constant = 0.0
        for ps in self.sets.values():
            if ps.kind == "unconstrained":
                continue
            assert ps.auxdata is not None
            for i, name in enumerate(ps.names()):
                theta, aux = param(name), float(ps.auxdata[i])
                if ps.kind == "normal":
                    node, c = gauss_constraint(theta, aux, float(ps.sigmas[i]) if ps.sigmas else 1.0)
                else:
                    assert ps.factors is not None
                    node, c = poisson_constraint(theta, float(ps.factors[i]), aux)
                terms.append(node)
                constant += c
        return terms, constant


def dataset_name(channel: str) -> str:
    """The name of the data set of a channel's bin indices, over which its Poisson terms are summed.

    Example:
        >>> dataset_name("SR")
        'bins/SR'
    """
    return f"bins/{channel}"


def build(ws: Workspace, meas: Measurement, opts: Options, k: Node) -> Built:
    """Parameter sets, expected counts per channel as functions of the bin index ``k`` (an observable) and the
    log-likelihood (observed data): per channel a ``datasum`` over the data set :func:`dataset_name` of its
    bin indices, bound to ``k``.

    Example:
        >>> build.__name__
        'build'
    """
    b = _Builder(ws, meas, opts)
    sets = b.paramsets()
    expected = {c.name: b.expected(c, k) for c in b.channels}
    terms, constant = b.constraints()
    main: list[Node] = []
    for c in b.channels:
        node, lg = b.main(c, k, dataset_name(c.name))
        main.append(node)
        constant += lg
    logpdf = apply("add", *main, *terms, const(constant))
    return Built(sets, expected, logpdf, {c.name: ws.observations[c.name] for c in b.channels})
