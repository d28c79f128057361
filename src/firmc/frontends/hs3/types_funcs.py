"""HS3 function types (spec, ROOT, pyhs3 and CMS dialect names) and their IR builders.

Example:
    >>> from firmc.frontends.hs3.registry import TYPES
    >>> TYPES["generic_function"].kind
    'function'
"""

from __future__ import annotations

from ...ir import Node, apply, const
from ...library import shapes
from .loader import Obj
from .registry import register
from .types_dists import PYHS3, ROOT, SPEC


@register("sum", "function", "summands:refs", SPEC)
def sum_(o: Obj) -> Node:
    """Sum of the summands (names or numbers)."""
    terms = o.nodes("summands")
    return apply("add", *terms) if terms else const(0.0)


@register("product", "function", "factors:refs", SPEC)
def product(o: Obj) -> Node:
    """Product of the factors (names or numbers)."""
    factors = o.nodes("factors")
    return apply("mul", *factors) if factors else const(1.0)


@register("polynomial", "function", "x:ref coefficients:refs", SPEC, extra="lowestOrder")
def polynomial(o: Obj) -> Node:
    """sum_i a_i x^i, unnormalised (RooPolyVar)."""
    return shapes.polynomial_value(o.node("x"), o.nodes("coefficients"))


@register("generic_function", "function", "expression:expr", SPEC)
def generic(o: Obj) -> Node:
    """An expression in the document's dialect."""
    return o.expression()


@register("gauss_model_function", "function", "x:obs mean:ref sigma:ref", SPEC)
def gauss_model(o: Obj) -> Node:
    """Gaussian resolution model (RooGaussModel): a normalised Gaussian in x."""
    return shapes.gaussian(o.node("x"), o.node("mean"), o.node("sigma"))


@register("truth_model_function", "function", "x:obs", SPEC)
def truth_model(o: Obj) -> Node:
    """Delta-function resolution model (RooTruthModel); only meaningful inside decay_dist."""
    return const(1.0) + 0.0 * o.node("x")


@register("CMS::process_normalization", "function",
          "nominalValue:num ?thetaList:refs ?logKappa:nums ?asymmThetaList:refs ?logAsymmKappa:any "
          "?otherFactorList:refs", PYHS3, extra="expression")
def cms_process_normalization(o: Obj) -> Node:
    """CMS Combine ProcessNormalization: nominal * prod kappa_i^theta_i * asymmetric terms * other factors."""
    value: Node = const(o.num("nominalValue"))
    thetas = o.nodes("thetaList") if o.has("thetaList") else []
    kappas = [k.number() for k in o.raw("logKappa").items()] if o.has("logKappa") else []
    if len(thetas) != len(kappas):
        raise o.path.error(f"{len(thetas)} thetas for {len(kappas)} logKappa values")
    exponent: list[Node] = [lk * t for lk, t in zip(kappas, thetas, strict=True)]
    asym = o.nodes("asymmThetaList") if o.has("asymmThetaList") else []
    pairs = o.raw("logAsymmKappa").items() if o.has("logAsymmKappa") else []
    if len(asym) != len(pairs):
        raise o.path.error(f"{len(asym)} asymmetric thetas for {len(pairs)} logAsymmKappa pairs")
    for t, pair in zip(asym, pairs, strict=True):
        lo, hi = (v.number() for v in pair.items())
        exponent.append(_asym_log_kappa(t, lo, hi) * t)
    if exponent:
        value = value * apply("exp", apply("add", *exponent) if len(exponent) > 1 else exponent[0])
    for f in o.nodes("otherFactorList") if o.has("otherFactorList") else []:
        value = value * f
    return value


def _asym_log_kappa(theta: Node, log_lo: float, log_hi: float) -> Node:
    """Combine's ProcessNormalization logKappaForX: log(kappa_hi) for theta >= 0.5, -log(kappa_lo) for
    theta <= -0.5, a smooth polynomial in between (logAsymmKappa pairs are (log kappa_lo, log kappa_hi))."""
    k_hi, k_lo = log_hi, -log_lo
    avg, halfdiff = 0.5 * (k_hi + k_lo), 0.5 * (k_hi - k_lo)
    twox = 2.0 * theta
    twox2 = twox * twox
    inside = avg + halfdiff * (0.125 * twox * (twox2 * (3.0 * twox2 - 10.0) + 15.0))
    outside = apply("select", apply("ge", theta, const(0.0)), const(k_hi), const(k_lo))
    return apply("select", apply("ge", apply("abs", theta), const(0.5)), outside, inside)


@register("CMS::asympow", "function", "kappaLow:ref kappaHigh:ref theta:ref", PYHS3)
def cms_asympow(o: Obj) -> Node:
    """CMS AsymPow: kappaHigh^theta for theta >= 0, (1/kappaLow)^(-theta) otherwise."""
    theta = o.node("theta")
    k = apply("select", apply("ge", theta, const(0.0)), o.node("kappaHigh"), 1.0 / o.node("kappaLow"))
    return apply("pow", k, theta)


_ = ROOT
