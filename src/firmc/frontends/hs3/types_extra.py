"""Further HS3 types: lineshapes, binned (bin-count) distributions, interpolation and histogram functions.

Dialect decisions (see each builder's docstring): ``relativistic_breit_wigner_dist`` reads ``mass`` as the
observable and takes the pole mass from ``resonance``; binned densities are bin probability densities
(paired with binned data they give the product of Poisson terms up to a constant); histograms follow
RooFit (RooHistFunc: the bin content; RooHistPdf: content / (bin volume * total)); multi-dimensional
contents are listed with the first axis slowest, ``step`` parameters with the first axis fastest (RooFit's
ParamHistFunc).

Example:
    >>> from firmc.frontends.hs3.registry import TYPES
    >>> TYPES["interpolation"].kind, TYPES["relativistic_breit_wigner_dist"].kind
    ('function', 'distribution')
"""

from __future__ import annotations

import math

import numpy as np

from ...ir import Node, apply, const, obs, rewrite
from ...library import binned, composite, interpolation, lineshapes, shapes
from ...passes.derivative import derivative as differentiate
from ..jsonread import Path_
from .loader import Obj
from .registry import register
from .types_dists import PYHS3, ROOT, SPEC

Axis = tuple[str, tuple[float, ...], Path_]
DEFAULT_STEP_BINS = 100  # RooRealVar's default binning, used by ParamHistFunc without axes
MAX_BINS = 100_000  # bins of a bin-count distribution (each is an integral)


# ---------------------------------------------------------------------------------------------- helpers
def _axes(p: Path_, max_bins: int = MAX_BINS) -> list[Axis]:
    """Binned axes: (name, edges, path), from ``edges`` or ``nbins`` with ``min``/``max``; at most
    ``max_bins`` bins in all."""
    out: list[Axis] = []
    total = 1
    for ax in p.items():
        name = ax.get("name").string()
        if ax.has("edges"):
            edges = tuple(e.number() for e in ax.get("edges"))
        else:
            nb = ax.get("nbins").integer()
            lo, hi = ax.get("min").number(), ax.get("max").number()
            if nb < 1 or not hi > lo:
                raise ax.error("a binned axis needs nbins >= 1 and max > min")
            if nb > max_bins:
                raise ax.get("nbins").error(f"nbins {nb} is more than the {max_bins} bins allowed here")
            edges = tuple(float(v) for v in np.linspace(lo, hi, nb + 1))
        try:
            binned.check_edges(edges)
        except ValueError as exc:
            raise ax.error(str(exc)) from None
        total *= len(edges) - 1
        if total > max_bins:
            raise ax.error(f"the axes have more than the {max_bins} bins allowed here")
        out.append((name, edges, ax))
    if not out:
        raise p.error("expected at least one axis")
    return out


def _data_axes(data: Path_) -> list[Axis]:
    """The axes of a histogram's ``data``, bounded by its number of contents."""
    contents = data.get("contents")
    return _axes(data.get("axes"), len(contents.value) if isinstance(contents.value, list) else 1)


def _variables(o: Obj, axes: list[Axis]) -> list[Node]:
    return [o.loader.ref(ax.get("name")) for _, _, ax in axes]


def _domain_box(o: Obj, axes: list[Axis]) -> list[tuple[float, float]]:
    return [o.loader.domain_of(name) for name, _, _ in axes]


def _contents(data: Path_, axes: list[Axis]) -> list[float]:
    contents = [c.number() for c in data.get("contents")]
    n = math.prod(len(e) - 1 for _, e, _ in axes)
    if len(contents) != n:
        raise data.get("contents").error(f"{len(contents)} contents for {n} bins")
    return contents


def _covered(o: Obj, f: Node, names: list[str], key: str) -> None:
    """Bin counts are integrals of ``f`` over the bins: every observable of ``f`` must be an axis (else the
    expected counts would depend on an event's other observables)."""
    extra = sorted(set(f.free) - set(names))
    if extra:
        raise o.raw("axes").error(f"the axes {names} must cover the observables of '{key}'; it also depends on "
                                  f"{', '.join(extra)}")


def _nested_ref(o: Obj, p: Path_) -> Node:
    """A name or number inside a nested struct: only parameters, observables and numbers (the loader orders
    objects by top-level fields only)."""
    if isinstance(p.value, str) and p.value in o.loader.objects:
        where = next((k for k in reversed(p.path[:-1]) if isinstance(k, str)), "a nested struct")
        raise p.error(f"'{p.value}' is a function; inside '{where}' firmc accepts only parameters and numbers")
    return o.loader.ref(p)


def _codes(o: Obj, n: int, allowed: tuple[int, ...], what: str) -> list[int]:
    if not o.has("interpolationCodes"):
        return [0] * n
    items = o.raw("interpolationCodes").items()
    if len(items) != n:
        raise o.raw("interpolationCodes").error(f"{len(items)} interpolation codes for {n} parameters")
    codes = [c.integer() for c in items]
    for c, p in zip(codes, items, strict=True):
        if c not in allowed:
            raise p.error(f"interpolation code {c} is not defined for {what} (known: "
                          f"{', '.join(map(str, allowed))})")
    return codes


def _same_length(o: Obj, keys: tuple[str, ...], lists: list[list[Node]]) -> None:
    n = len(lists[0])
    for k, lst in zip(keys, lists, strict=True):
        if len(lst) != n:
            raise o.raw(k).error(f"{len(lst)} entries in '{k}' for {n} in '{keys[0]}'")


def _weighted(o: Obj, terms: list[Node], coefs: list[Node], what: str) -> None:
    if len(coefs) not in (len(terms) - 1, len(terms)) or not terms:
        raise o.raw("coefficients").error(f"{len(coefs)} coefficients for {len(terms)} {what}: give "
                                          f"{len(terms) - 1} or {len(terms)}")


# --------------------------------------------------------------------------------------- distributions
@register("relativistic_breit_wigner_dist", "distribution", "mass:obs ?resonance:ref channels:any", SPEC)
def _relativistic_breit_wigner(o: Obj) -> Node:
    """m Gamma_1(m) / |m_BW^2 - m^2 - i m_BW Gamma(m)|^2 over the channels, normalised. The spec names one
    field, ``mass``, for both m and m_BW; firmc reads ``mass`` as the observable m (the spec's "mass
    variable", as in argus_dist) and the pole mass m_BW from ``resonance``. Channel fields: Gamma, m1 = 0,
    m2 = 0, l = 0 (0..4), R = 3 (1/GeV); below a channel's threshold its width is continued analytically."""
    if not o.has("resonance"):
        raise o.path.error("relativistic_breit_wigner_dist: HS3 names only 'mass'; firmc reads it as the "
                           "observable m and needs the resonance mass m_BW in 'resonance'")
    chans = []
    for ch in o.raw("channels").items():
        if ch.has("name"):
            ch.get("name").string()
        l_val = ch.get("l").integer() if ch.has("l") else 0
        if not 0 <= l_val <= lineshapes.MAX_L:
            raise ch.get("l").error(f"l must be 0..{lineshapes.MAX_L}")

        def field(key: str, default: float, ch: Path_ = ch) -> Node:
            return _nested_ref(o, ch.get(key)) if ch.has(key) else const(default)

        chans.append(lineshapes.Channel(_nested_ref(o, ch.get("Gamma")), field("m1", 0.0), field("m2", 0.0),
                                        l_val, field("R", 3.0)))
    if not chans:
        raise o.raw("channels").error("expected at least one channel")
    return shapes.normalized(lineshapes.relativistic_breit_wigner(o.node("mass"), o.node("resonance"), chans))


@register("mixture_model", "distribution", "summands:dists coefficients:refs ?extended:bool", SPEC)
def _mixture_model(o: Obj) -> Node:
    """sum_i c_i m_i of resolution models (RooAddModel): n-1 fractions (last = 1 - sum) or n coefficients,
    normalised by their sum and, when extended (the default for n coefficients, as for mixture_dist), their
    sum as expected events."""
    models, coefs = o.nodes("summands"), o.nodes("coefficients")
    _weighted(o, models, coefs, "summands")
    if o.flag("extended", len(coefs) == len(models)):
        if len(coefs) != len(models):
            raise o.raw("extended").error("an extended mixture model needs one coefficient per summand")
        o.set_expected(composite.mixture_yield(coefs))
    return composite.mixture(models, coefs)


@register("barlow_beeston_lite_poisson_constraint_dist", "distribution", "x:obs_list expected:refs", SPEC)
def _barlow_beeston_lite(o: Obj) -> Node:
    """prod_i Pois(x_i tau_i; tau_i) as the spec writes it (continued Poisson of k = x_i tau_i with mean
    tau_i, zero for k < 0), each factor normalised over its x_i."""
    xs, taus = o.nodes("x"), o.nodes("expected")
    _same_length(o, ("x", "expected"), [xs, taus])
    factors = []
    for x, tau in zip(xs, taus, strict=True):
        k = x * tau
        pois = apply("exp", k * apply("log", tau) - tau - apply("lgamma", k + 1.0))
        factors.append(shapes.normalized(apply("select", apply("lt", k, const(0.0)), const(0.0), pois)))
    return apply("mul", *factors) if len(factors) > 1 else factors[0]


@register("rate_density_dist", "distribution", "x:obs_list density:ref", SPEC)
def _rate_density(o: Obj) -> Node:
    """Poisson point process with rate density f: density f / lambda, expected lambda = integral of f over
    the domain of x."""
    xs, f = o.nodes("x"), o.node("density")
    box = [(x.attr("lo"), x.attr("hi")) if x.op == "obs" else (math.nan, math.nan) for x in xs]
    if not all(math.isfinite(v) for b in box for v in b):
        raise o.raw("x").error("rate_density_dist needs observables with finite domains")
    lam = binned.box_integral(f, xs, box)
    o.set_expected(lam)
    return f / lam


@register("bincounts_extended_dist", "distribution", "rate:ref dist:dist ?axes:any", SPEC)
def _bincounts_extended(o: Obj) -> Node:
    """Product of Poissons with nu_i = rate * (probability of bin i under dist); the axes default to the
    binning of a histogram_dist. Density nu_i / (nu_tot volume_i), expected nu_tot (= rate when the bins
    cover the domain)."""
    spec, ref = o.referenced("dist")
    hist = spec.name == "histogram_dist"
    if not o.has("axes") and not hist:
        raise o.path.error("bincounts_extended_dist needs 'axes' unless 'dist' is a histogram_dist")
    axes = _axes(o.raw("axes")) if o.has("axes") else _data_axes(ref.raw("data"))
    xs, edges = _variables(o, axes), [e for _, e, _ in axes]
    rate = o.node("rate")
    if hist:
        h_axes = _data_axes(ref.raw("data"))
        if [a[0] for a in h_axes] != [a[0] for a in axes]:
            raise o.raw("axes").error("the axes must name the histogram's variables, in its order")
        fr = binned.histogram_bin_fractions([e for _, e, _ in h_axes], _contents(ref.raw("data"), h_axes), edges,
                                            _domain_box(o, axes))
        nus = [rate * p for p in fr]
    else:
        dist = o.node("dist")
        _covered(o, dist, [a[0] for a in axes], "dist")
        nus = [rate * binned.box_integral(dist, xs, box) for box in binned.bins(edges)]
    density, total = binned.bin_count_density(xs, edges, nus)
    o.set_expected(total)
    return density


@register("bincounts_density_dist", "distribution", "x:obs_list density:ref axes:any", SPEC)
def _bincounts_density(o: Obj) -> Node:
    """Product of Poissons with nu_i = integral of the rate density over bin i; density nu_i / (nu_tot
    volume_i), expected nu_tot."""
    axes = _axes(o.raw("axes"))
    names = [str(p.value) for p in o.raw("x").items()] if isinstance(o.raw("x").value, list) \
        else [o.raw("x").string()]
    if sorted(names) != sorted(a[0] for a in axes):
        raise o.raw("axes").error(f"the axes {[a[0] for a in axes]} must be the variables x {names}")
    xs, edges, f = _variables(o, axes), [e for _, e, _ in axes], o.node("density")
    _covered(o, f, names, "density")
    nus = [binned.box_integral(f, xs, box) for box in binned.bins(edges)]
    density, total = binned.bin_count_density(xs, edges, nus)
    o.set_expected(total)
    return density


@register("histogram_dist", "distribution", "data:any", ROOT)
def _histogram_dist(o: Obj) -> Node:
    """RooHistPdf: content_i / (volume_i * total) in bin i, total the contents inside the domain of the
    variables (normalised there exactly; no interpolation)."""
    axes = _data_axes(o.raw("data"))
    contents = _contents(o.raw("data"), axes)
    return binned.histogram_density(_variables(o, axes), [e for _, e, _ in axes], contents, _domain_box(o, axes))


@register("legacy_exp_poly_dist", "distribution", "x:obs coefficients:refs", ROOT)
def _legacy_exp_poly(o: Obj) -> Node:
    """exp(sum_k a_k x^k), coefficients from a_0 (RooLegacyExpPoly; ROOT writes a default a_0 as "1.0"),
    normalised."""
    return shapes.normalized(apply("exp", shapes.polynomial_value(o.node("x"), o.nodes("coefficients"))))


# ------------------------------------------------------------------------------------------- functions
@register("interpolation", "function",
          "high:refs low:refs nom:ref vars:refs ?interpolationCodes:any ?positiveDefinite:bool", ROOT)
def _piecewise_interpolation(o: Obj) -> Node:
    """RooFit's PiecewiseInterpolation of ``nom`` with one (low, high) pair per parameter in ``vars``, codes
    0, 1, 2, 4, 5, 6 (3 is read as 2, as ROOT does); negative results set to 0 with positiveDefinite."""
    vs, lows, highs = o.nodes("vars"), o.nodes("low"), o.nodes("high")
    _same_length(o, ("vars", "low", "high"), [vs, lows, highs])
    codes = _codes(o, len(vs), (0, 1, 2, 3, 4, 5, 6), "interpolation")
    return interpolation.piecewise_interpolation(o.node("nom"), lows, highs, vs, codes,
                                                 o.flag("positiveDefinite", False))


@register("interpolation0d", "function", "vars:refs nom:num low:nums high:nums ?interpolationCodes:any", ROOT)
def _flexible_interp_var(o: Obj) -> Node:
    """RooFit's FlexibleInterpVar: numeric nominal, low and high values; codes 0, 1, 2, 4 (= 5, the
    exponential polynomial), 5; a total <= 0 becomes the smallest normal double."""
    vs = o.nodes("vars")
    lows = [const(p.number()) for p in o.raw("low").items()]
    highs = [const(p.number()) for p in o.raw("high").items()]
    _same_length(o, ("vars", "low", "high"), [vs, lows, highs])
    codes = _codes(o, len(vs), (0, 1, 2, 3, 4, 5), "interpolation0d (ROOT ignores code 6 there)")
    return interpolation.flexible_interp_var(const(o.num("nom")), lows, highs, vs, codes)


@register("step", "function", "variables:refs parameters:refs ?axes:any", ROOT)
def _step(o: Obj) -> Node:
    """RooFit's ParamHistFunc: the parameter of the bin the variables fall in, first variable fastest;
    without ``axes``, 100 uniform bins over each variable's domain (RooFit's default binning)."""
    xs, pars = o.nodes("variables"), o.nodes("parameters")
    names = [str(p.value) for p in o.raw("variables").items()]
    if o.has("axes"):
        by_name = {a[0]: a[1] for a in _axes(o.raw("axes"), len(pars))}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise o.raw("axes").error(f"no axis for variable '{missing[0]}'")
        edges = [by_name[n] for n in names]
    else:
        edges = []
        for n, p in zip(names, o.raw("variables").items(), strict=True):
            lo, hi = o.loader.domain_of(n)
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise p.error(f"'{n}' needs a finite domain (or give 'axes') for a step function")
            edges.append(tuple(float(v) for v in np.linspace(lo, hi, DEFAULT_STEP_BINS + 1)))
    n_bins = math.prod(len(e) - 1 for e in edges)
    if len(pars) != n_bins:
        raise o.raw("parameters").error(f"{len(pars)} parameters for {n_bins} bins")
    return binned.lookup(xs, edges, pars, order="F")


@register("histogram", "function", "data:any", ROOT)
def _histogram(o: Obj) -> Node:
    """RooHistFunc: the content of the bin the variables fall in (no division by the bin volume)."""
    axes = _data_axes(o.raw("data"))
    contents = _contents(o.raw("data"), axes)
    return binned.lookup(_variables(o, axes), [e for _, e, _ in axes], [const(c) for c in contents])


@register("weighted_sum", "function", "samples:refs coefficients:refs", ROOT)
def _weighted_sum(o: Obj) -> Node:
    """RooRealSumFunc: sum_i c_i f_i; with one coefficient fewer the last is 1 - sum of the others."""
    terms, coefs = o.nodes("samples"), o.nodes("coefficients")
    _weighted(o, terms, coefs, "samples")
    if len(coefs) == len(terms) - 1:
        rest = apply("add", *coefs) if len(coefs) > 1 else coefs[0] if coefs else const(0.0)
        coefs = [*coefs, 1.0 - rest]
    return apply("add", *[c * f for c, f in zip(coefs, terms, strict=True)])


@register("derivative", "function", "function:ref x:ref order:int ?eps:num ?normalization:refs", SPEC)
def _derivative(o: Obj) -> Node:
    """d^n f / dx^n, exact (symbolic; ``eps``, the spec's finite-difference step, is not needed). A
    distribution without ``normalization`` is differentiated unnormalised, as RooDerivative does."""
    order = o.raw("order").integer()
    if order not in (1, 2, 3):
        raise o.raw("order").error(f"derivative order must be 1, 2 or 3, got {order}")
    var = o.raw("x").string()
    o.node("x")
    f = o.node("function")
    if f.op == "normalize":
        f = _normalised_over(o, f) if o.has("normalization") else f.args[0]
    return differentiate(f, var, order)


def _normalised_over(o: Obj, f: Node) -> Node:
    """``f`` with the variables of ``normalization`` as observables (over their domains), so that it is
    normalised over them whether or not the document declares them as observables."""
    doms = {}
    for p in o.raw("normalization").items():
        lo, hi = o.loader.domain_of(p.string())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise p.error(f"'{p.value}' needs a finite domain to normalise over")
        doms[p.string()] = (lo, hi)

    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        name = n.attr("name") if n.op in ("param", "obs") else None
        return obs(name, *doms[name]) if name in doms else None

    return rewrite([f], rule)[0]


@register("roorecursivefraction_dist", "function", "list:refs ?recursive:bool", PYHS3)
def _recursive_fraction(o: Obj) -> Node:
    """RooRecursiveFraction (a function despite the name): a_0 prod_{i>=1} (1 - a_i) over ``list`` as
    written; with ``recursive: false``, a_0 / sum_i a_i (pyhs3)."""
    items = o.nodes("list")
    if not items:
        raise o.raw("list").error("expected at least one fraction")
    if not o.flag("recursive", True):
        return items[0] / (apply("add", *items) if len(items) > 1 else items[0])
    out = items[0]
    for a in items[1:]:
        out = out * (1.0 - a)
    return out

