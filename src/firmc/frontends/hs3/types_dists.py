"""HS3 distribution types (spec names, ROOT and pyhs3 dialect names) and their IR builders.

Example:
    >>> from firmc.frontends.hs3.registry import TYPES
    >>> TYPES["ARGUS_dist"].origin, TYPES["argus_dist"].origin
    ('ROOT', 'HS3 spec')
"""

from __future__ import annotations

from ...errors import FormatError
from ...ir import Node
from ...library import composite, shapes
from .loader import Obj
from .registry import register

SPEC, ROOT, PYHS3 = "HS3 spec", "ROOT", "pyhs3"


@register("gaussian_dist", "distribution", "x:obs mean:ref sigma:ref", SPEC, aliases=("normal_dist",))
def gaussian(o: Obj) -> Node:
    """Normal density exp(-(x-mean)^2/(2 sigma^2)), closed-form normalisation."""
    return shapes.gaussian(o.node("x"), o.node("mean"), o.node("sigma"))


@register("bifurkated_gaussian_dist", "distribution", "x:obs mean:ref sigmaL:ref sigmaR:ref", ROOT)
def bifurcated_gaussian(o: Obj) -> Node:
    """Gaussian with widths sigmaL/sigmaR left/right of the mean (RooBifurGauss)."""
    return shapes.bifurcated_gaussian(o.node("x"), o.node("mean"), o.node("sigmaL"), o.node("sigmaR"))


@register("uniform_dist", "distribution", "x:obs_list", SPEC)
def uniform(o: Obj) -> Node:
    """Constant density over x (one or several observables)."""
    return shapes.uniform(o.nodes("x"))


@register("exponential_dist", "distribution", "x:obs c:ref", SPEC)
def exponential(o: Obj) -> Node:
    """exp(-c x) (the spec's sign; ROOT exports its RooExponential constant negated)."""
    return shapes.exponential(o.node("x"), o.node("c"))


@register("lognormal_dist", "distribution", "x:obs mu:ref sigma:ref", SPEC)
def lognormal(o: Obj) -> Node:
    """(1/x) exp(-(ln x - mu)^2 / (2 sigma^2))."""
    return shapes.lognormal(o.node("x"), o.node("mu"), o.node("sigma"))


@register("polynomial_dist", "distribution", "x:obs coefficients:refs", SPEC)
def polynomial(o: Obj) -> Node:
    """sum_i a_i x^i, coefficients from a_0 (ROOT writes a_0 as the string "1.0")."""
    return shapes.polynomial(o.node("x"), o.nodes("coefficients"))


@register("chebychev_dist", "distribution", "x:obs coefficients:refs", SPEC)
def chebychev(o: Obj) -> Node:
    """1 + sum_i a_i T_i(z), z the domain of x mapped to [-1, 1] (RooChebychev)."""
    return shapes.chebychev(o.node("x"), o.nodes("coefficients"), o.domain("x"))


@register("bernstein_poly_dist", "distribution", "x:obs coefficients:refs", ROOT)
def bernstein(o: Obj) -> Node:
    """sum_i c_i B_{i,n}(t), t the domain of x mapped to [0, 1] (RooBernstein)."""
    return shapes.bernstein(o.node("x"), o.nodes("coefficients"), o.domain("x"))


@register("poisson_dist", "distribution", "x:obs mean:ref ?integer:bool", SPEC)
def poisson(o: Obj) -> Node:
    """Poisson; ``integer: true`` truncates x (RooPoisson), otherwise the continued Poisson."""
    return shapes.poisson(o.node("x"), o.node("mean"), o.flag("integer", False))


@register("crystalball_dist", "distribution",
          "m:obs m0:ref ?alpha:ref ?n:ref ?sigma:ref ?alpha_L:ref ?alpha_R:ref ?n_L:ref ?n_R:ref ?sigma_L:ref "
          "?sigma_R:ref", SPEC)
def crystalball(o: Obj) -> Node:
    """Crystal Ball. With ``alpha``: single-sided RooCBShape (ROOT's meaning); with alpha_L/alpha_R: the
    spec's double-sided form (sigma or sigma_L/sigma_R, n or n_L/n_R)."""
    if o.has("alpha"):
        for k in ("alpha_L", "alpha_R", "n_L", "n_R", "sigma_L", "sigma_R"):
            if o.has(k):
                raise o.raw(k).error("must not be used together with 'alpha'")
        return shapes.cb_shape(o.node("m"), o.node("m0"), o.node("sigma"), o.node("alpha"), o.node("n"))
    return _double_sided(o)


def _either(o: Obj, both: str, side: str) -> Node | None:
    if o.has(both) and o.has(side):
        raise o.raw(side).error(f"must not be used together with '{both}'")
    return o.opt_node(side) if o.has(side) else o.opt_node(both)


def _double_sided(o: Obj) -> Node:
    sl, sr = _either(o, "sigma", "sigma_L"), _either(o, "sigma", "sigma_R")
    if sl is None or sr is None:
        raise o.path.error("crystal ball needs 'sigma' or both 'sigma_L' and 'sigma_R'")
    return shapes.crystal_ball(o.node("m"), o.node("m0"), sl, sr, _either(o, "alpha", "alpha_L"),
                               _either(o, "n", "n_L"), _either(o, "alpha", "alpha_R"), _either(o, "n", "n_R"))


@register("crystalball_doublesided_dist", "distribution",
          "m:obs m0:ref sigma_L:ref sigma_R:ref alpha_L:ref n_L:ref alpha_R:ref n_R:ref", ROOT)
def crystalball_doublesided(o: Obj) -> Node:
    """Double-sided Crystal Ball (RooCrystalBall)."""
    return _double_sided(o)


@register("argus_dist", "distribution", "mass:obs resonance:ref slope:ref power:ref", SPEC)
def argus(o: Obj) -> Node:
    """m (1-(m/m0)^2)^p exp(c (1-(m/m0)^2)) below m0."""
    return shapes.argus(o.node("mass"), o.node("resonance"), o.node("slope"), o.node("power"))


register("ARGUS_dist", "distribution", "mass:obs resonance:ref slope:ref power:ref", ROOT)(argus)


@register("landau_dist", "distribution", "x:obs mean:ref sigma:ref", ROOT)
def landau(o: Obj) -> Node:
    """TMath::Landau(x, mean, sigma) (CERNLIB DENLAN), normalised by quadrature."""
    return shapes.landau(o.node("x"), o.node("mean"), o.node("sigma"))


@register("gamma_dist", "distribution", "x:obs gamma:ref beta:ref mu:ref", ROOT)
def gamma(o: Obj) -> Node:
    """Gamma density with shape gamma, scale beta, shift mu (RooGamma)."""
    return shapes.gamma(o.node("x"), o.node("gamma"), o.node("beta"), o.node("mu"))


@register("generalized_normal_dist", "distribution", "x:obs mean:ref alpha:ref beta:ref", SPEC)
def generalized_normal(o: Obj) -> Node:
    """exp(-(|x - mean|/alpha)^beta)."""
    return shapes.generalized_normal(o.node("x"), o.node("mean"), o.node("alpha"), o.node("beta"))


@register("power_sum_dist", "distribution", "x:obs coefficients:refs exponents:refs", ROOT)
def power_sum(o: Obj) -> Node:
    """sum_i c_i x^e_i (RooPowerSum)."""
    coefs, exps = o.nodes("coefficients"), o.nodes("exponents")
    if len(coefs) != len(exps):
        raise o.raw("exponents").error(f"{len(exps)} exponents for {len(coefs)} coefficients")
    return shapes.power_sum(o.node("x"), coefs, exps)


@register("generic_dist", "distribution", "expression:expr", SPEC)
def generic(o: Obj) -> Node:
    """Expression in the document's dialect, normalised over its observables."""
    return shapes.generic(o.expression())


@register("mixture_dist", "distribution", "summands:dists coefficients:refs ?extended:bool ?x:obs_list", SPEC,
          extra="ref_coef_norm")
def mixture(o: Obj) -> Node:
    """sum_i c_i f_i: n-1 fractions, or n coefficients (yields when extended, normalised by their sum)."""
    pdfs, coefs = o.nodes("summands"), o.nodes("coefficients")
    extended = o.flag("extended", len(coefs) == len(pdfs))
    if len(coefs) not in (len(pdfs) - 1, len(pdfs)) or not pdfs:
        raise o.raw("coefficients").error(f"{len(coefs)} coefficients for {len(pdfs)} summands: give "
                                          f"{len(pdfs) - 1} fractions or {len(pdfs)} coefficients")
    if extended and len(coefs) != len(pdfs):
        raise o.raw("extended").error("an extended mixture needs one coefficient per summand")
    if extended:
        o.set_expected(composite.mixture_yield(coefs))
    return composite.mixture(pdfs, coefs)


@register("product_dist", "distribution", "factors:dists ?x:obs_list", SPEC)
def product(o: Obj) -> Node:
    """Product of densities (jointly normalised where they share observables)."""
    return composite.product(o.nodes("factors"))


@register("extend_pdf", "distribution", "pdf:dist norm:ref", ROOT, extra="rangeName")
def extend(o: Obj) -> Node:
    """The density of ``pdf``, extended with ``norm`` expected events (RooExtendPdf)."""
    o.set_expected(o.node("norm"))
    return o.node("pdf")


@register("efficiency_product_pdf_dist", "distribution", "pdf:dist eff:ref", SPEC)
def efficiency_product(o: Obj) -> Node:
    """pdf times an efficiency function, normalised (RooEffProd)."""
    return shapes.normalized(o.node("pdf") * o.node("eff"))


@register("density_function_dist", "distribution", "function:ref", SPEC)
def density_function(o: Obj) -> Node:
    """An unnormalised density function, normalised over its observables."""
    return shapes.normalized(o.node("function"))


@register("log_density_function_dist", "distribution", "function:ref", SPEC)
def log_density_function(o: Obj) -> Node:
    """exp of an unnormalised log-density function, normalised over its observables."""
    from ...ir import apply

    return shapes.normalized(apply("exp", o.node("function")))


@register("rate_extended_dist", "distribution", "rate:ref dist:dist", SPEC)
def rate_extended(o: Obj) -> Node:
    """Poisson point process: the density of ``dist`` with ``rate`` expected events."""
    o.set_expected(o.node("rate"))
    return o.node("dist")


@register("multivariate_normal_dist", "distribution", "x:obs_list mean:refs covariances:any", SPEC)
def multivariate_normal(o: Obj) -> Node:
    """exp(-(x-mean)^T C^-1 (x-mean)/2), numeric covariance; normalised over the box of the observables
    (spec) or over all space (ROOT dialect, as RooMultiVarGaussian)."""
    import numpy as np

    from ...ir import apply, const

    xs, means = o.nodes("x"), o.nodes("mean")
    rows = o.raw("covariances").items()
    cov = np.array([[v.number() for v in r.items()] for r in rows], dtype=float)
    if cov.shape != (len(xs), len(xs)) or len(means) != len(xs):
        raise FormatError(f"covariances must be {len(xs)}x{len(xs)} with {len(xs)} means",
                          path=o.raw("covariances").path, file=o.path.file)
    try:
        inv = np.linalg.inv(cov)
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise o.raw("covariances").error("covariance matrix is not positive definite") from None
    d = [x - mu for x, mu in zip(xs, means, strict=True)]
    quad = apply("add", *[float(inv[i, j]) * d[i] * d[j] for i in range(len(d)) for j in range(len(d))])
    k = len(xs)
    norm = 1.0 / float(np.sqrt((2 * np.pi) ** k * np.linalg.det(cov)))
    density = const(norm) * apply("exp", -0.5 * quad)
    if o.loader.root_made:  # RooMultiVarGaussian is normalised over all of R^k, not over the box
        return density
    return shapes.normalized(density)


@register("decay_dist", "distribution", "t:obs tau:ref resolutionModel:dist decayType:int", SPEC)
def decay(o: Obj) -> Node:
    """exp(-t/tau) (0 single-sided, 1 double-sided, 2 flipped) convolved with a Gaussian or truth resolution
    model, in closed form (RooDecay), normalised over t."""
    kind = o.raw("decayType").integer()
    if kind not in (0, 1, 2):
        raise o.raw("decayType").error(f"decayType must be 0, 1 or 2, got {kind}")
    spec, res = o.referenced("resolutionModel")
    t, tau = o.node("t"), o.node("tau")
    if spec.name == "truth_model_function":
        return shapes.normalized(composite.decay_truth(t, tau, kind))
    if spec.name == "gauss_model_function":
        return shapes.normalized(composite.decay_gauss(t, tau, kind, res.node("mean"), res.node("sigma")))
    raise o.raw("resolutionModel").error(f"resolution model of type '{spec.name}' is not supported; use "
                                         "gauss_model_function or truth_model_function")
