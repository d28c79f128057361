"""HS3 ``histfactory_dist`` (one channel), in the spec/pyhs3 dialect and in ROOT's, built from the same IR pieces
as the pyhf reader (:mod:`.terms`, :mod:`firmc.library.pyhf_interpolation`).

A channel gives the expected counts per bin (``sum_s (d_s + sum deltas) prod factors``), the constraint terms
keyed by parameter (a likelihood over several channels keeps one term per key) and the defaults of the
parameters it introduces. Dialect differences (docs/histfactory.md, "HS3"):

* modifier parameter: ``parameter`` / ``parameters``; without them ROOT's names (``alpha_<name>`` for
  normsys/histosys, ``gamma_stat_<channel>_bin_<i>`` for staterror, ``gamma_<name>_bin_<i>`` for shapesys);
* constraints: the spec's ``constraint`` (``Gauss``, ``Poisson``, ``LogNormal``) or ROOT's ``constraint_type``,
  or ROOT's ``constraint_name`` naming a ``gaussian_dist`` / ``poisson_dist`` / ``lognormal_dist`` of the
  document; staterror defaults to ``Gauss`` (pyhs3, pyhf) or, in ROOT-written files, ``Poisson`` (ROOT's importer);
* shapesys ``vals``: absolute uncertainties (pyhf, pyhs3; tau = (nominal/val)^2) or relative ones (ROOT:
  tau = 1/val^2), see :class:`HS3Options`.

Example:
    >>> from firmc.frontends.jsonread import Path_
    >>> ch = read_channel(Path_({"name": "c", "type": "histfactory_dist",
    ...     "axes": [{"name": "x", "min": 0, "max": 1, "nbins": 1}],
    ...     "samples": [{"name": "s", "data": {"contents": [5.0]},
    ...                  "modifiers": [{"type": "normfactor", "name": "mu", "parameter": "mu"}]}]}),
    ...     Context())
    >>> sorted(ch.params), len(ch.expected)
    (['mu'], 1)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ...errors import FormatError, UnknownName, UnsupportedFeature
from ...ir import Node, const, param
from ...library.pyhf_interpolation import histosys_delta, normsys_factor
from ..jsonread import Path_
from .terms import (
    Term,
    gauss_constraint,
    lognormal_constraint,
    main_term,
    poisson_constraint,
    sample_rate,
    shapesys_tau,
    total,
)

CONSTRAINTS = ("Gauss", "Poisson", "LogNormal")
MODIFIERS = ("normfactor", "normsys", "histosys", "shapesys", "shapefactor", "staterror")
NORMSYS_KEYS: dict[str | int, str] = {"code1": "code1", "log": "code1", 1: "code1",
                                      "code4": "code4", "poly6": "code4", 4: "code4"}
HISTOSYS_KEYS: dict[str | int, str] = {"code0": "code0", "lin": "code0", 0: "code0",
                                       "code2": "code2", "parabolic": "code2", 2: "code2",
                                       "code4p": "code4p", "poly6": "code4p", 4: "code4p"}


@dataclass(frozen=True)
class HS3Options:
    """How ``histfactory_dist`` objects are read.

    ``shapesys``: ``"absolute"`` (pyhf, pyhs3: ``vals`` are absolute uncertainties), ``"relative"`` (ROOT:
    relative ones) or ``"auto"`` (default): relative in a ROOT-written document (``metadata.packages`` names
    ROOT, or ``misc.ROOT_internal`` is present), absolute otherwise. ``normsys`` / ``histosys``: an
    interpolation code forced on every modifier (default: each modifier's ``interpolation`` key, else
    ``code4`` / ``code4p``, what pyhf, pyhs3 and ROOT use).

    Example:
        >>> HS3Options().relative_shapesys(root_written=True), HS3Options("absolute").relative_shapesys(True)
        (True, False)
    """

    shapesys: Literal["auto", "absolute", "relative"] = "auto"
    normsys: str | None = None
    histosys: str | None = None

    def __post_init__(self) -> None:
        if self.shapesys not in ("auto", "absolute", "relative"):
            raise FormatError(f"shapesys must be 'auto', 'absolute' or 'relative', not {self.shapesys!r}")

    def relative_shapesys(self, root_written: bool) -> bool:
        """Whether shapesys ``vals`` are read as relative uncertainties.

        Example:
            >>> HS3Options("relative").relative_shapesys(False)
            True
        """
        return self.shapesys == "relative" or (self.shapesys == "auto" and root_written)


@dataclass
class Default:
    """A parameter a channel introduces: value, bounds, fixed.

    Example:
        >>> Default(1.0, 0.0, 10.0).const
        False
    """

    value: float
    min: float
    max: float
    const: bool = False


@dataclass
class Context:
    """What a channel needs from the document: ROOT-written or not, options, and a resolver for ROOT's
    ``constraint_name`` (name and JSON path to the constraint's term).

    Example:
        >>> Context().root_written
        False
    """

    root_written: bool = False
    options: HS3Options = field(default_factory=HS3Options)
    constraint: Callable[[str, Path_], Term] | None = None


@dataclass
class Channel:
    """One ``histfactory_dist``: axes (name, edges), expected counts per bin (C order), constraint terms by
    parameter, parameter defaults.

    Example:
        >>> Channel("c", [], [], {}, {}).nbins
        0
    """

    name: str
    axes: list[tuple[str, list[float]]]
    expected: list[Node]
    constraints: dict[str, Term]
    params: dict[str, Default]

    @property
    def nbins(self) -> int:
        """The number of bins (all axes).

        Example:
            >>> Channel("c", [("x", [0.0, 1.0, 2.0])], [], {}, {}).nbins
            2
        """
        return math.prod(len(e) - 1 for _, e in self.axes) if self.axes else 0

    def nll(self, observed: list[float]) -> Term:
        """Minus the main Poisson terms for ``observed`` counts, as (node, constant).

        Example:
            >>> from firmc.ir import const
            >>> round(Channel("c", [("x", [0.0, 1.0])], [const(2.0)], {}, {}).nll([3.0])[1], 6)   # lgamma(4)
            1.791759
        """
        nodes, constant = [], 0.0
        for nu, n in zip(self.expected, observed, strict=True):
            node, k = main_term(nu, n)
            nodes.append(node)
            constant += k
        return -total(nodes), -constant


MAX_BINS = 1_000_000  # bounded work on any input: a mutated nbins of 1e12 is an error, not an allocation


def _axes(p: Path_) -> list[tuple[str, list[float]]]:
    out = []
    for ax in p.get("axes").items():
        name = ax.get("name").string()
        if ax.has("edges"):
            edges = [e.number() for e in ax.get("edges").items()]
        else:
            lo, hi, n = ax.get("min").number(), ax.get("max").number(), ax.get("nbins").integer()
            if n < 1 or not lo < hi:
                raise ax.error("a histfactory_dist axis needs nbins >= 1 and min < max")
            if n > MAX_BINS:
                raise ax.get("nbins").error(f"nbins {n} is more than the {MAX_BINS} bins firmc reads")
            edges = [lo + (hi - lo) * i / n for i in range(n)] + [hi]
        if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ax.error("axis edges must be increasing, at least two")
        out.append((name, edges))
    if not out:
        raise p.get("axes").error("a histfactory_dist needs at least one axis")
    if math.prod(len(e) - 1 for _, e in out) > MAX_BINS:
        raise p.get("axes").error(f"the axes make more than the {MAX_BINS} bins firmc reads")
    return out


def _numbers(p: Path_, n: int) -> list[float]:
    items = p.items()
    if len(items) != n:
        raise p.error(f"expected {n} numbers (one per bin), found {len(items)}")
    return [x.number() for x in items]


def _contents(p: Path_, n: int) -> list[float]:
    if isinstance(p.value, dict):
        return _numbers(p.get("contents"), n)
    return _numbers(p, n)


def _constraint_kind(m: Path_, default: str | None) -> str | None:
    for key in ("constraint", "constraint_type"):
        if m.has(key):
            kind = m.get(key).string()
            if kind == "Lognormal":
                kind = "LogNormal"
            if kind == "Const":
                return None
            if kind not in CONSTRAINTS:
                raise UnknownName("constraint", kind, CONSTRAINTS, path=(*m.path, key), file=m.file)
            return kind
    return default


class _Reader:
    def __init__(self, p: Path_, ctx: Context) -> None:
        self.p, self.ctx = p, ctx
        self.name = p.get("name").string()
        self.axes = _axes(p)
        self.nbins = math.prod(len(e) - 1 for _, e in self.axes)
        self.constraints: dict[str, Term] = {}
        self.params: dict[str, Default] = {}
        self.root = ctx.root_written

    def default(self, name: str, d: Default) -> None:
        old = self.params.get(name)
        if old is None:
            self.params[name] = d
        elif d.const:
            old.const = True

    def constrain(self, key: str, term: Term) -> None:
        self.constraints.setdefault(key, term)

    def scalar_constraint(self, m: Path_, par: str) -> None:
        if m.has("constraint_name"):
            if self.ctx.constraint is None:
                raise m.get("constraint_name").error("constraint_name needs a document to look the constraint up in")
            self.constrain(par, self.ctx.constraint(m.get("constraint_name").string(), m.get("constraint_name")))
            return
        kind = _constraint_kind(m, "Gauss")
        theta = param(par)
        if kind == "Gauss":
            self.constrain(par, gauss_constraint(theta, 0.0, 1.0))
        elif kind == "Poisson":
            self.constrain(par, poisson_constraint(theta, 1.0, 1.0))
        elif kind == "LogNormal":
            self.constrain(par, lognormal_constraint(1.0, theta, 1.0))

    def names(self, m: Path_, stem: str) -> list[str]:
        if m.has("parameters"):
            names = [x.string() for x in m.get("parameters").items()]
            if len(names) != self.nbins:
                raise m.get("parameters").error(f"expected {self.nbins} parameters (one per bin), found "
                                                f"{len(names)}")
            return names
        return [f"{stem}_bin_{i}" if self.root or stem.startswith("gamma_") else f"{stem}_bin{i}"
                for i in range(self.nbins)]

    def staterror(self, samples: list[Path_]) -> list[str] | None:
        users = [s for s in samples if any(m.get("type").value == "staterror" for m in s.get("modifiers").items())]
        if not users:
            return None
        first = next(m for m in users[0].get("modifiers").items() if m.get("type").value == "staterror")
        conf = self.p.opt("staterror")  # ROOT: {"relThreshold", "constraint"} on the distribution
        kind: str | None = "Poisson" if self.root else "Gauss"
        for where in (conf, first):
            if where is not None and (where.has("constraint") or where.has("constraint_type")):
                kind = _constraint_kind(where, None)
        threshold = conf.get("relThreshold").number() if conf is not None and conf.has("relThreshold") else 0.0
        if first.has("parameters"):
            names = self.names(first, "")
        elif self.root:
            ch = self.name[6:] if self.name.startswith("model_") else self.name
            names = [f"gamma_stat_{ch}_bin_{i}" for i in range(self.nbins)]
        else:
            names = [f"staterror_{self.name}_bin{i}" for i in range(self.nbins)]
        sumw, sumw2 = [0.0] * self.nbins, [0.0] * self.nbins
        for s in users:
            d = s.get("data")
            contents = _contents(d, self.nbins)
            errors = _numbers(d.get("errors"), self.nbins) if d.has("errors") else [0.0] * self.nbins
            for i in range(self.nbins):
                sumw[i] += contents[i]
                sumw2[i] += errors[i] ** 2
        for i, g in enumerate(names):
            ok = sumw[i] > 0 and sumw2[i] > 0
            rel = math.sqrt(sumw2[i]) / sumw[i] if ok else 0.0
            fixed = not ok or kind is None or rel < threshold
            hi = 1 + 5 * rel if self.root and ok else 10.0
            self.default(g, Default(1.0, 0.0 if self.root else 1e-10, hi, fixed))
            if fixed:
                continue
            if kind == "Gauss":
                self.constrain(g, gauss_constraint(param(g), 1.0, rel))
            elif kind == "Poisson":
                tau = sumw[i] ** 2 / sumw2[i]
                self.constrain(g, poisson_constraint(param(g), tau, tau))
            else:
                raise first.error("a staterror constraint is Gauss or Poisson")
        return names

    def shapesys(self, m: Path_, name: str, nominal: list[float]) -> list[str]:
        names = self.names(m, f"gamma_{name}")
        vals = _numbers(m.get("data").get("vals"), self.nbins)
        relative = self.ctx.options.relative_shapesys(self.root)
        if relative:
            rel = vals
            bad = [v <= 0 for v in vals]
        else:
            taus, bad = shapesys_tau(nominal, vals)
            rel = [1 / math.sqrt(t) for t in taus]
        kind = _constraint_kind(m, "Poisson")
        for i, g in enumerate(names):
            self.default(g, Default(1.0, 0.0 if self.root else 1e-10, 1000.0 if self.root else 10.0,
                                    bad[i] or kind is None))
            if bad[i] or kind is None:
                continue
            if kind == "Poisson":
                tau = 1 / rel[i] ** 2
                self.constrain(g, poisson_constraint(param(g), tau, tau))
            elif kind == "Gauss":
                self.constrain(g, gauss_constraint(param(g), 1.0, rel[i]))
            else:
                raise m.error("a shapesys constraint is Gauss or Poisson")
        return names

    def code(self, m: Path_, keys: dict[str | int, str], forced: str | None, default: str) -> str:
        if forced is not None:
            return forced
        d = m.get("data")
        if d.has("interpolation"):
            v = d.get("interpolation").value
            if isinstance(v, str | int) and not isinstance(v, bool) and v in keys:
                return keys[v]
            raise d.get("interpolation").error(f"unknown interpolation {v!r} (known: "
                                               f"{', '.join(str(k) for k in keys)})")
        return default

    def modifier(self, m: Path_, nominal: list[float], deltas: list[list[Node]], factors: list[list[Node]],
                 stat: list[str] | None) -> None:
        opts = self.ctx.options
        kind = m.get("type").string()
        if kind not in MODIFIERS:
            raise UnknownName("modifier type", kind, MODIFIERS, path=(*m.path, "type"), file=m.file)
        name = m.get("name").string() if m.has("name") else (
            m.get("parameter").string() if m.has("parameter") else kind)
        if kind in ("normfactor", "normsys", "histosys"):
            par = m.get("parameter").string() if m.has("parameter") else (
                name if kind == "normfactor" else f"alpha_{name}")
            theta = param(par)
            if kind == "normfactor":
                self.default(par, Default(1.0, -3.0, 5.0) if self.root else Default(1.0, 0.0, 10.0))
                if m.has("constraint_name"):
                    self.scalar_constraint(m, par)
                elif m.has("constraint"):
                    raise UnsupportedFeature("a constrained normfactor: use a normsys or name the "
                                             "constraint with constraint_name", path=m.path, file=m.file)
                for i in range(self.nbins):
                    factors[i].append(theta)
                return
            self.default(par, Default(0.0, -5.0, 5.0))
            self.scalar_constraint(m, par)
            d = m.get("data")
            try:
                if kind == "normsys":
                    f = normsys_factor(self.code(m, NORMSYS_KEYS, opts.normsys, "code4"),
                                       d.get("lo").number(), d.get("hi").number(), theta)
                    if f is not None:
                        for i in range(self.nbins):
                            factors[i].append(f)
                else:
                    code = self.code(m, HISTOSYS_KEYS, opts.histosys, "code4p")
                    lo, hi = _contents(d.get("lo"), self.nbins), _contents(d.get("hi"), self.nbins)
                    for i in range(self.nbins):
                        delta = histosys_delta(code, nominal[i], lo[i], hi[i], theta)
                        if delta is not None:
                            deltas[i].append(delta)
            except ValueError as exc:
                raise d.error(str(exc)) from None
        elif kind == "shapefactor":
            names = self.names(m, name)
            for i, g in enumerate(names):
                self.default(g, Default(1.0, 0.0, 10.0))
                factors[i].append(param(g))
        elif kind == "shapesys":
            for i, g in enumerate(self.shapesys(m, name, nominal)):
                factors[i].append(param(g))
        else:  # staterror
            assert stat is not None
            for i, g in enumerate(stat):
                factors[i].append(param(g))

    def channel(self) -> Channel:
        samples = self.p.get("samples").items()
        if not samples:
            raise self.p.get("samples").error("a histfactory_dist needs at least one sample")
        stat = self.staterror(samples)
        per_bin: list[list[Node]] = [[] for _ in range(self.nbins)]
        for s in samples:
            nominal = _contents(s.get("data"), self.nbins)
            deltas: list[list[Node]] = [[] for _ in range(self.nbins)]
            factors: list[list[Node]] = [[] for _ in range(self.nbins)]
            mods = s.opt("modifiers")
            for m in mods.items() if mods is not None else []:
                self.modifier(m, nominal, deltas, factors, stat)
            for i in range(self.nbins):
                rate = sample_rate(nominal[i], deltas[i], factors[i])
                if rate is not None:
                    per_bin[i].append(rate)
        return Channel(self.name, self.axes, [total(t) for t in per_bin], self.constraints, self.params)


def read_channel(p: Path_, ctx: Context) -> Channel:
    """Read one ``histfactory_dist`` object (at ``p``).

    Example:
        >>> read_channel(Path_({"name": "c", "type": "histfactory_dist", "axes": [], "samples": []}), Context())
        Traceback (most recent call last):
        firmc.errors.FormatError: axes: a histfactory_dist needs at least one axis
    """
    try:
        return _Reader(p, ctx).channel()
    except (ArithmeticError, ValueError, KeyError, TypeError, IndexError) as exc:  # numbers that make no model
        # (u = 0 underflowing v²/u² ...), a constraint object without its fields
        what = f"missing key {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise p.error(f"histfactory_dist: {what}") from None


def constraint_term(kind: str, fields: dict[str, Node | float], where: Path_) -> Term:
    """The log of a ROOT constraint object (``constraint_name``): ``gaussian_dist`` (x, mean, sigma),
    ``poisson_dist`` (x, mean) or ``lognormal_dist`` (x, mu, sigma), normalised over the real line; numbers
    (sigma, the Poisson count, the lognormal x) must be constants.

    Example:
        >>> constraint_term("gaussian_dist", {"x": param("a"), "mean": 0.0, "sigma": 1.0}, Path_(None))[1]
        -0.9189385332046727
    """

    def number(key: str) -> float:
        v = fields[key]
        if isinstance(v, float):
            return v
        raise where.error(f"the '{key}' of a HistFactory constraint must be a constant")

    def node(key: str) -> Node | float:
        return fields[key]

    if kind == "gaussian_dist":
        x = node("x")
        theta = x if not isinstance(x, float) else node("mean")
        aux = node("mean") if not isinstance(x, float) else x
        assert not isinstance(theta, float) or isinstance(aux, float)
        if isinstance(theta, float):  # on a parameter held constant (ROOT writes Lumi's so): a number
            theta = const(theta)
        return gauss_constraint(theta, aux, number("sigma"))
    if kind == "poisson_dist":
        mean = node("mean")
        if isinstance(mean, float):
            raise where.error("a Poisson constraint needs a parameter as its mean")
        return poisson_constraint(mean, 1.0, number("x"))
    if kind == "lognormal_dist":
        mu = node("mu")
        if isinstance(mu, float):
            raise where.error("a LogNormal constraint needs a parameter as mu")
        return lognormal_constraint(number("x"), mu, number("sigma"))
    raise UnsupportedFeature(f"a HistFactory constraint of type {kind} (Gaussian, Poisson and LogNormal are "
                             "read)", path=where.path, file=where.file)
