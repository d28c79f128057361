"""Closed-form integrals of library shapes, as IR: one rule per shape, written once.

A ``normalize[rule](f, x, args...)`` node produced by :mod:`firmc.library.shapes` names its rule here; the
normalisation pass replaces it with ``f / RULES[rule](lo, hi, x, args...)`` when ``f`` depends on the
observable ``x`` alone. Every rule is checked against adaptive quadrature in the tests.

Example:
    >>> from firmc.ir import param, obs
    >>> from firmc.interp import evaluate
    >>> z = RULES["gaussian"](-1.0, 1.0, obs("x"), param("mu"), param("s"))
    >>> round(float(evaluate([z], {"mu": 0.0, "s": 1.0})[0]), 6)  # sqrt(2 pi) * 0.6827
    1.711249
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..ir import Node, apply, const

Rule = Callable[..., Node]
SQRT2 = math.sqrt(2.0)
SQRT_PI_2 = math.sqrt(math.pi / 2.0)


def _erf(x: Node) -> Node:
    return apply("erf", x)


def gaussian(lo: float, hi: float, x: Node, mean: Node, sigma: Node) -> Node:
    """Integral of exp(-((x-mean)/sigma)^2/2) over [lo, hi].

    Example:
        >>> gaussian(-1.0, 1.0, None, const(0.0), const(1.0)).op
        'mul'
    """
    s = sigma * SQRT2
    return SQRT_PI_2 * sigma * (_erf((hi - mean) / s) - _erf((lo - mean) / s))


def bifurcated_gaussian(lo: float, hi: float, x: Node, mean: Node, sl: Node, sr: Node) -> Node:
    """Integral of the bifurcated Gaussian (width sl left of the mean, sr right of it).

    Example:
        >>> bifurcated_gaussian(-1.0, 1.0, None, const(0.0), const(1.0), const(2.0)).op
        'add'
    """
    lo_n, hi_n = const(lo), const(hi)
    left_hi = apply("min", hi_n, mean)
    right_lo = apply("max", lo_n, mean)
    left = apply("select", apply("lt", lo_n, mean),
                 SQRT_PI_2 * sl * (_erf((left_hi - mean) / (sl * SQRT2)) - _erf((lo_n - mean) / (sl * SQRT2))),
                 const(0.0))
    right = apply("select", apply("gt", hi_n, mean),
                  SQRT_PI_2 * sr * (_erf((hi_n - mean) / (sr * SQRT2)) - _erf((right_lo - mean) / (sr * SQRT2))),
                  const(0.0))
    return left + right


def exponential(lo: float, hi: float, x: Node, c: Node) -> Node:
    """Integral of exp(-c x) over [lo, hi] (the limit hi - lo at c = 0 is taken care of).

    Example:
        >>> exponential(0.0, 1.0, None, const(1.0)).op
        'select'
    """
    val = (apply("exp", -c * lo) - apply("exp", -c * hi)) / c
    return apply("select", apply("eq", c, const(0.0)), const(hi - lo), val)


def uniform(lo: float, hi: float, x: Node) -> Node:
    """Length of the interval.

    Example:
        >>> uniform(0.0, 4.0, None).attr("value")
        4.0
    """
    return const(hi - lo)


def lognormal(lo: float, hi: float, x: Node, mu: Node, sigma: Node) -> Node:
    """Integral of exp(-(ln x - mu)^2 / (2 sigma^2)) / x over [lo, hi] (lo >= 0).

    Example:
        >>> lognormal(0.5, 2.0, None, const(0.0), const(1.0)).op
        'mul'
    """
    s = sigma * SQRT2
    lo_term = _erf((math.log(lo) - mu) / s) if lo > 0 else const(-1.0)
    return SQRT_PI_2 * sigma * (_erf((math.log(hi) - mu) / s) - lo_term)


def polynomial(lo: float, hi: float, x: Node, *coefs: Node) -> Node:
    """Integral of sum_i a_i x^i.

    Example:
        >>> polynomial(0.0, 1.0, None, const(1.0), const(2.0)).op
        'add'
    """
    terms = [c * ((hi ** (i + 1) - lo ** (i + 1)) / (i + 1)) for i, c in enumerate(coefs)]
    return apply("add", *terms) if terms else const(0.0)


def chebychev(lo: float, hi: float, x: Node, *coefs: Node) -> Node:
    """Integral of 1 + sum_i a_i T_i(z) over the full domain mapped to z in [-1, 1].

    Example:
        >>> chebychev(-1.0, 1.0, None, const(0.5)).attr("value")
        2.0
    """
    half = (hi - lo) / 2.0
    terms: list[Node] = []
    for n, c in enumerate(coefs, start=1):
        if n % 2 == 0:
            terms.append(c * (half * 2.0 / (1.0 - n * n)))
    return apply("add", const(2.0 * half), *terms) if terms else const(2.0 * half)


def bernstein(lo: float, hi: float, x: Node, *coefs: Node) -> Node:
    """Integral of sum_i c_i B_{i,n}(t), t in [0, 1] the mapped domain: (hi - lo) * sum(c) / (n + 1).

    Example:
        >>> bernstein(0.0, 1.0, None, const(1.0), const(1.0)).op
        'mul'
    """
    n = len(coefs) - 1
    return apply("add", *coefs) * ((hi - lo) / (n + 1))


def poisson_integer(lo: float, hi: float, x: Node, mean: Node) -> Node:
    """Integral of the Poisson probability of floor(x) over [lo, hi] (RooPoisson without noRounding).

    Uses sum_{k=a}^{b-1} P(k) = Q(b, mean) - Q(a, mean), Q the regularised upper incomplete gamma.

    Example:
        >>> poisson_integer(0.0, 10.0, None, const(3.0)).op
        'sub'
    """
    lo = max(lo, 0.0)
    kmin, kmax = math.ceil(lo), math.floor(hi)

    def cdf_below(k: int) -> Node:  # P(K < k)
        return const(0.0) if k <= 0 else apply("gammaincc", const(float(k)), mean)

    def prob(k: int) -> Node:
        return apply("exp", k * apply("log", mean) - mean - math.lgamma(k + 1.0))

    total = cdf_below(kmax) - cdf_below(kmin)
    if kmin - lo > 0:
        total = total + (kmin - lo) * prob(kmin - 1)
    if hi - kmax > 0:
        total = total + (hi - kmax) * prob(kmax)
    return total


def landau(lo: float, hi: float, x: Node, mean: Node, sigma: Node) -> Node:
    """Integral of landau((x - mean)/sigma) through CERNLIB DISLAN, as RooLandau integrates it (DISLAN and the
    quadrature of DENLAN differ by up to 2e-8 absolute: these are two separate approximations).

    Example:
        >>> landau(0.0, 20.0, None, const(5.0), const(1.0)).op
        'mul'
    """
    return sigma * (apply("landau_cdf", (hi - mean) / sigma) - apply("landau_cdf", (lo - mean) / sigma))


RULES: dict[str, Rule] = {
    "landau": landau,
    "gaussian": gaussian,
    "bifurcated_gaussian": bifurcated_gaussian,
    "exponential": exponential,
    "uniform": uniform,
    "lognormal": lognormal,
    "polynomial": polynomial,
    "chebychev": chebychev,
    "bernstein": bernstein,
    "poisson_integer": poisson_integer,
}
