"""One-dimensional probability densities as IR builders, written once for every front-end.

Each builder returns ``normalize[rule](shape, x, args...)``: the unnormalised shape, normalised over whatever
observables it depends on at compile time; ``rule`` names the closed-form integral in
:mod:`firmc.library.integrals` when there is one (``""`` means quadrature).

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.interp import evaluate
    >>> pdf = gaussian(obs("x", -10.0, 10.0), param("mu"), param("sigma"))
    >>> round(float(evaluate([pdf], {"x": 0.0, "mu": 0.0, "sigma": 1.0})[0]), 10)
    0.3989422804
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..ir import Node, apply, const, lift
from ..ir.node import Operand

Domain = tuple[float, float]


def normalized(shape: Node, rule: str = "", *rule_args: Node) -> Node:
    """``shape`` normalised over the observables it depends on (closed form ``rule`` when one applies).

    Example:
        >>> from firmc.ir import obs
        >>> normalized(obs("x", 0.0, 1.0)).op
        'normalize'
    """
    return apply("normalize", shape, *rule_args, rule=rule)


def _exp(x: Node) -> Node:
    return apply("exp", x)


def _select(c: Node, a: Operand, b: Operand) -> Node:
    return apply("select", c, lift(a), lift(b))


def gaussian(x: Node, mean: Node, sigma: Node) -> Node:
    """Normal density (RooGaussian, HS3 gaussian_dist).

    Example:
        >>> from firmc.ir import obs, param
        >>> gaussian(obs("x"), param("m"), param("s")).attr("rule")
        'gaussian'
    """
    t = (x - mean) / sigma
    return normalized(_exp(-0.5 * (t * t)), "gaussian", x, mean, sigma)


def bifurcated_gaussian(x: Node, mean: Node, sigma_l: Node, sigma_r: Node) -> Node:
    """Gaussian with different widths left and right of the mean (RooBifurGauss).

    Example:
        >>> from firmc.ir import obs, param
        >>> bifurcated_gaussian(obs("x"), param("m"), param("l"), param("r")).attr("rule")
        'bifurcated_gaussian'
    """
    t = (x - mean) / _select(apply("lt", x, mean), sigma_l, sigma_r)
    return normalized(_exp(-0.5 * (t * t)), "bifurcated_gaussian", x, mean, sigma_l, sigma_r)


def exponential(x: Node, c: Node) -> Node:
    """exp(-c x), the HS3 sign convention (ROOT exports RooExponential's c as its negative).

    Example:
        >>> from firmc.ir import obs, param
        >>> exponential(obs("x"), param("c")).attr("rule")
        'exponential'
    """
    return normalized(_exp(-c * x), "exponential", x, c)


def uniform(xs: Sequence[Node]) -> Node:
    """Constant density over the observables ``xs`` (RooUniform).

    Example:
        >>> from firmc.ir import obs
        >>> uniform([obs("x", 0.0, 4.0)]).attr("rule")
        'uniform'
    """
    one = const(1.0)
    if len(xs) == 1:
        return normalized(one + 0.0 * xs[0], "uniform", xs[0])
    return normalized(one + apply("add", *[0.0 * x for x in xs]))


def lognormal(x: Node, mu: Node, sigma: Node) -> Node:
    """Log-normal density in the HS3 parametrisation: ln x ~ N(mu, sigma).

    Example:
        >>> from firmc.ir import obs, param
        >>> lognormal(obs("x", 0.1, 10.0), param("mu"), param("s")).attr("rule")
        'lognormal'
    """
    t = (apply("log", x) - mu) / sigma
    return normalized(_exp(-0.5 * (t * t)) / x, "lognormal", x, mu, sigma)


def polynomial_value(x: Node, coefs: Sequence[Node]) -> Node:
    """sum_i a_i x^i in Horner form (a function, not normalised).

    Example:
        >>> from firmc.ir import param
        >>> polynomial_value(param("x"), [const(1.0), const(2.0)]).op
        'add'
    """
    if not coefs:
        return const(0.0)
    acc = coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = c + x * acc
    return acc


def polynomial(x: Node, coefs: Sequence[Node]) -> Node:
    """Polynomial density sum_i a_i x^i (RooPolynomial with the constant term given).

    Example:
        >>> from firmc.ir import obs
        >>> polynomial(obs("x", 0.0, 1.0), [const(1.0)]).attr("rule")
        'polynomial'
    """
    return normalized(polynomial_value(x, coefs), "polynomial", x, *coefs)


def _mapped(x: Node, domain: Domain, lo_to: float) -> Node:
    lo, hi = domain
    if lo_to == -1.0:
        return (2.0 * x - (hi + lo)) / (hi - lo)
    return (x - lo) / (hi - lo)


def chebychev(x: Node, coefs: Sequence[Node], domain: Domain) -> Node:
    """1 + sum_i a_i T_i(z), z in [-1, 1] the domain mapped linearly (RooChebychev).

    Example:
        >>> from firmc.ir import obs
        >>> chebychev(obs("x", -1.0, 1.0), [const(0.1)], (-1.0, 1.0)).attr("rule")
        'chebychev'
    """
    z = _mapped(x, domain, -1.0)
    t_prev, t_cur = const(1.0), z
    terms = [const(1.0)]
    for i, c in enumerate(coefs):
        if i > 0:
            t_prev, t_cur = t_cur, 2.0 * z * t_cur - t_prev
        terms.append(c * t_cur)
    return normalized(apply("add", *terms), "chebychev", x, *coefs)


def bernstein(x: Node, coefs: Sequence[Node], domain: Domain) -> Node:
    """sum_i c_i B_{i,n}(t), t in [0, 1] the domain mapped linearly (RooBernstein).

    Example:
        >>> from firmc.ir import obs
        >>> bernstein(obs("x", 0.0, 1.0), [const(1.0), const(2.0)], (0.0, 1.0)).attr("rule")
        'bernstein'
    """
    t = _mapped(x, domain, 0.0)
    n = len(coefs) - 1
    terms = [c * (math.comb(n, i) * (t ** float(i)) * ((1.0 - t) ** float(n - i))) for i, c in enumerate(coefs)]
    return normalized(apply("add", *terms), "bernstein", x, *coefs)


def poisson(x: Node, mean: Node, integer: bool) -> Node:
    """Poisson density; ``integer`` truncates x to an integer first (RooPoisson's default).

    Without ``integer`` it is the continued Poisson exp(x ln(mean) - mean - lgamma(x + 1)).

    Example:
        >>> from firmc.ir import obs, param
        >>> poisson(obs("n", 0.0, 100.0), param("lam"), True).attr("rule")
        'poisson_integer'
    """
    k = apply("floor", x) if integer else x
    shape = _exp(k * apply("log", mean) - mean - apply("lgamma", k + 1.0))
    return normalized(shape, "poisson_integer", x, mean) if integer else normalized(shape)


def crystal_ball(m: Node, m0: Node, sigma_l: Node, sigma_r: Node, alpha_l: Node | None, n_l: Node | None,
                 alpha_r: Node | None, n_r: Node | None) -> Node:
    """Generalised double-sided Crystal Ball (RooCrystalBall): Gaussian core with widths sigma_l/sigma_r,
    power-law tails beyond -alpha_l and +alpha_r (a missing tail is Gaussian).

    Example:
        >>> from firmc.ir import obs, param
        >>> a = param("a"); s = param("s")
        >>> crystal_ball(obs("m"), param("m0"), s, s, a, param("n"), None, None).op
        'normalize'
    """
    left = apply("lt", m, m0)
    t = (m - m0) / _select(left, sigma_l, sigma_r)
    core = _exp(-0.5 * (t * t))
    shape = core
    if alpha_r is not None and n_r is not None:
        shape = _select(apply("gt", t, alpha_r), _tail(t, alpha_r, n_r), shape)
    if alpha_l is not None and n_l is not None:
        shape = _select(apply("lt", t, -alpha_l), _tail(-t, alpha_l, n_l), shape)
    if alpha_l is None or n_l is None or alpha_r is None or n_r is None:
        return normalized(shape)
    return normalized(shape, "crystal_ball", m, m0, sigma_l, sigma_r, alpha_l, n_l, alpha_r, n_r)


def _tail(t: Node, alpha: Node, n: Node) -> Node:
    """Power-law tail A / (B + t)^n for t beyond alpha (t > alpha > 0), continuous with the core."""
    a = apply("abs", alpha)
    b = n / a - a
    return _exp(n * apply("log", n / a) - 0.5 * a * a) * apply("pow", b + t, -n)


def cb_shape(m: Node, m0: Node, sigma: Node, alpha: Node, n: Node) -> Node:
    """Single-sided Crystal Ball (RooCBShape): the tail is on the left for alpha > 0, right for alpha < 0.

    Example:
        >>> from firmc.ir import obs, param
        >>> cb_shape(obs("m"), param("m0"), param("s"), param("a"), param("n")).op
        'normalize'
    """
    t0 = (m - m0) / sigma
    t = _select(apply("lt", alpha, const(0.0)), -t0, t0)
    a = apply("abs", alpha)
    shape = _select(apply("ge", t, -a), _exp(-0.5 * (t * t)), _tail(-t, a, n))
    return normalized(shape, "cb_shape", m, m0, sigma, alpha, n)


def argus(m: Node, m0: Node, c: Node, p: Node) -> Node:
    """ARGUS background m (1 - (m/m0)^2)^p exp(c (1 - (m/m0)^2)), zero above m0 (RooArgusBG).

    Example:
        >>> from firmc.ir import obs, param
        >>> argus(obs("m"), param("m0"), param("c"), param("p")).op
        'normalize'
    """
    u = 1.0 - (m / m0) * (m / m0)
    safe = apply("max", u, const(0.0))
    shape = m * apply("pow", safe, p) * _exp(c * u)
    return normalized(_select(apply("ge", m, m0), 0.0, shape))


def landau(x: Node, mean: Node, sigma: Node) -> Node:
    """Landau density TMath::Landau(x, mean, sigma) (RooLandau), normalised with DISLAN as ROOT does.

    Example:
        >>> from firmc.ir import obs, param
        >>> landau(obs("x"), param("m"), param("s")).attr("rule")
        'landau'
    """
    return normalized(apply("landau", (x - mean) / sigma), "landau", x, mean, sigma)


def gamma(x: Node, g: Node, beta: Node, mu: Node) -> Node:
    """Gamma density ((x-mu)/beta)^(g-1) exp(-(x-mu)/beta) / (Gamma(g) beta), zero below mu (RooGamma).

    Example:
        >>> from firmc.ir import obs, param
        >>> gamma(obs("x"), param("g"), param("b"), param("mu")).op
        'normalize'
    """
    u = (x - mu) / beta
    log_val = (g - 1.0) * apply("log", u) - u - apply("lgamma", g) - apply("log", beta)
    return normalized(_select(apply("le", x, mu), 0.0, _exp(log_val)))


def generalized_normal(x: Node, mean: Node, alpha: Node, beta: Node) -> Node:
    """exp(-(|x - mean| / alpha)^beta) (HS3 generalized_normal_dist).

    Example:
        >>> from firmc.ir import obs, param
        >>> generalized_normal(obs("x"), param("m"), param("a"), param("b")).op
        'normalize'
    """
    return normalized(_exp(-apply("pow", apply("abs", x - mean) / alpha, beta)))


def power_sum(x: Node, coefs: Sequence[Node], exponents: Sequence[Node]) -> Node:
    """sum_i c_i x^e_i (RooPowerSum).

    Example:
        >>> from firmc.ir import obs
        >>> power_sum(obs("x", 1.0, 2.0), [const(1.0)], [const(2.0)]).op
        'normalize'
    """
    return normalized(apply("add", *[c * apply("pow", x, e) for c, e in zip(coefs, exponents, strict=True)]))


def generic(shape: Node) -> Node:
    """A user expression normalised by quadrature (HS3 generic_dist).

    Example:
        >>> from firmc.ir import obs
        >>> generic(obs("x", 0.0, 1.0)).attr("rule")
        ''
    """
    return normalized(shape)
