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


#: beyond this standardised distance p of the range from the mean, exp(p^2) erfc(p) (erfc(25) = 8e-274, still a
#: normal number) gives way to a continued fraction (1.8e-16 relative at 25)
ERFCX_SWITCH = 25.0


def _erfcx_far(p: Node) -> Node:
    """exp(p^2) erfc(p) for p >= :data:`ERFCX_SWITCH`: Laplace's continued fraction
    1/sqrt(pi) / (p + (1/2)/(p + 1/(p + (3/2)/(p + 2/(p + (5/2)/p))))).

    Example:
        >>> from firmc.interp import evaluate
        >>> [round(float(evaluate([_erfcx_far(const(v))], {})[0]) * v * math.sqrt(math.pi), 12) for v in (30.0, 1e300)]
        [0.999445367808, 1.0]
    """
    t = p
    for k in (2.5, 2.0, 1.5, 1.0, 0.5):
        t = p + k / t
    return (1.0 / math.sqrt(math.pi)) / t


def gaussian_integral(lo: float | Node, hi: float | Node, mean: Node, sigma: Node) -> Node:
    """Integral of exp(-((x-mean)/sigma)^2/2) over [lo, hi] (lo <= hi), as sqrt(pi/2) |sigma| exp(-p^2) rest.

    With a = (lo - mean)/(|sigma| sqrt 2) and b likewise, p is the standardised distance of the nearer end of
    the range beyond the mean and q that of the farther end (u <= 0 where the range holds the mean). Where
    the range holds the mean, rest = erf(b) - erf(a) (and p = 0); elsewhere rest = exp(p^2) (erfc(p) -
    erfc(q)), from p = 25 (where erfc(p) would underflow) erfcx(p) - exp(p^2 - q^2) erfcx(q) by a continued
    fraction. That is erf(b) - erf(a) without its cancellation (1e-10 relative at 7 sigma, 0 from 8.3 sigma),
    and the scale exp(-p^2) is a factor of its own, which the log-space pass turns into -p^2: log Z, the
    logpdf and the NLL stay finite and right when Z underflows (the mean 40 sigma beyond the range).

    Example:
        >>> from firmc.interp import evaluate
        >>> z = gaussian_integral(-2.0, 3.0, const(100.0), const(1.0))
        >>> float(evaluate([z], {})[0])  # sqrt(pi/2) exp(-97^2/2) 0.0082247...: 0 in float64
        0.0
        >>> scale, rest = z.args[0].args[-1], z.args[-1]  # ... * exp(-p^2) * rest
        >>> [round(float(v), 12) for v in evaluate([scale.args[0], rest], {})]
        [-4704.5, 0.008224740079]
    """
    width = apply("abs", sigma)  # the shape depends on sigma^2 only
    w = width * SQRT2
    a, b = (lo - mean) / w, (hi - mean) / w
    zero = const(0.0)
    above = apply("gt", a + b, zero)  # the range's middle above the mean: p from a, else mirrored
    u = apply("select", above, a, -b)  # <= 0 exactly where the range holds the mean
    q = apply("select", above, b, -a)
    p = apply("max", u, zero)
    pp = p * p
    pn = apply("min", p, const(ERFCX_SWITCH))  # finite also where the branch is not taken (autodiff through select)
    near = apply("exp", pn * pn) * (apply("erfc", u) - apply("erfc", q))
    far = apply("max", u, const(ERFCX_SWITCH))
    far = _erfcx_far(far) - apply("exp", (far - q) * (far + q)) * _erfcx_far(apply("max", q, far))
    tail = apply("select", apply("lt", u, const(ERFCX_SWITCH)), near, far)
    rest = apply("select", apply("le", u, zero), _erf(b) - _erf(a), apply("abs", tail))  # abs: for the sign proof
    return SQRT_PI_2 * width * apply("exp", -pp) * rest


def gaussian(lo: float, hi: float, x: Node, mean: Node, sigma: Node) -> Node:
    """Integral of exp(-((x-mean)/sigma)^2/2) over [lo, hi] (:func:`gaussian_integral`).

    Example:
        >>> gaussian(-1.0, 1.0, None, const(0.0), const(1.0)).op
        'mul'
    """
    return gaussian_integral(lo, hi, mean, sigma)


def bifurcated_gaussian(lo: float, hi: float, x: Node, mean: Node, sl: Node, sr: Node) -> Node:
    """Integral of the bifurcated Gaussian (width sl left of the mean, sr right of it).

    Example:
        >>> bifurcated_gaussian(-1.0, 1.0, None, const(0.0), const(1.0), const(2.0)).op
        'add'
    """
    lo_n, hi_n = const(lo), const(hi)
    left_hi = apply("min", hi_n, mean)
    right_lo = apply("max", lo_n, mean)
    left = apply("select", apply("lt", lo_n, mean), gaussian_integral(lo_n, left_hi, mean, sl), const(0.0))
    right = apply("select", apply("gt", hi_n, mean), gaussian_integral(right_lo, hi_n, mean, sr), const(0.0))
    return left + right


def _exprel_neg(d: Node) -> Node:
    """(1 - exp(-d)) / d for d >= 0, 1 at d = 0, with the right slope there (-1/2): a series below 1e-3 (each
    branch finite also where it is not taken: autodiff through select)."""
    small, large = apply("min", d, const(1e-3)), apply("max", d, const(1e-3))
    series = 1.0 - small * (0.5 - small * (1.0 / 6.0 - small * (1.0 / 24.0 - small * (1.0 / 120.0))))
    return apply("select", apply("lt", d, const(1e-3)), series, -apply("expm1", -large) / large)


def exponential(lo: float, hi: float, x: Node, c: Node) -> Node:
    """Integral of exp(-c x) over [lo, hi], as exp(shift) * rest: exp(-c m) (hi - lo) (1 - exp(-|c| (hi -
    lo))) / (|c| (hi - lo)), m the end where exp(-c x) is largest (lo for c >= 0). No cancellation for small
    |c| (the difference of exponentials lost 1e-7 relative at c = 1e-12 and was 0 at c = 1e-300), the
    limit hi - lo at c = 0 with the right derivative, and log Z = -c m + log(rest) finite where exp(-c m)
    overflows (c = 1000 on [-2, 3]).

    Example:
        >>> exponential(0.0, 1.0, None, const(1.0)).op
        'mul'
    """
    width = hi - lo
    if not math.isfinite(width):  # a half-infinite range: exp(-c lo) / c (inf where it diverges)
        return apply("select", apply("eq", c, const(0.0)), const(width),
                     (apply("exp", -c * lo) - apply("exp", -c * hi)) / c)
    rising = apply("lt", c, const(0.0))
    shift = apply("select", rising, -c * hi, -c * lo)
    d = apply("select", rising, -c * width, c * width)
    return apply("exp", shift) * (width * apply("abs", _exprel_neg(d)))  # abs: >= 0 for the sign proof


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
    return gaussian_integral(math.log(lo) if lo > 0 else -math.inf, math.log(hi), mu, sigma)


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
    """Sum of the Poisson probabilities P(k) for the integers k = floor(lo) .. floor(hi) of the range, as
    RooPoisson normalises (a sum over the integers in the range, which is this discrete density's
    normalisation, not the integral of its step function). Returns 1 when the range covers mean +- 100 sqrt(mean),
    as RooPoisson does.

    Uses sum_{k=a}^{b-1} P(k) = Q(b, mean) - Q(a, mean), Q the regularised upper incomplete gamma, Q(0, .) = 0.

    Example:
        >>> poisson_integer(0.0, 10.0, None, const(3.0)).op
        'select'
    """
    def below(k: int) -> Node:  # P(K < k)
        return const(0.0) if k <= 0 else apply("gammaincc", const(float(k)), mean)

    kmin = math.floor(max(lo, 0.0))
    if math.isinf(hi):
        return 1.0 - below(kmin)
    kmax = math.floor(hi) + 1
    total = below(kmax) - below(kmin) if hi >= max(lo, 0.0) else const(0.0)
    delta = 100.0 * apply("sqrt", mean)
    wide = apply("and", apply("lt", const(max(lo, 0.0)), apply("max", mean - delta, const(0.0))),
                 apply("gt", const(hi), mean + delta))
    return apply("select", wide, const(1.0), total)


def _gauss_piece(a: Node, b: Node, m0: Node, s: Node) -> Node:
    """Integral of exp(-((m-m0)/s)^2/2) over [a, b] (b >= a)."""
    return gaussian_integral(a, b, m0, s)


def _tail_piece(ua: Node, ub: Node, alpha: Node, n: Node) -> Node:
    """Integral of A (B + u)^-n over u in [ua, ub] (the tail beyond alpha, u >= alpha), A and B continuous with
    the Gaussian core; n = 1 uses the logarithm (as ROOT does within 1e-5 of 1)."""
    a = apply("abs", alpha)
    b = n / a - a
    big_a = apply("exp", n * apply("log", n / a) - 0.5 * a * a)
    power = big_a / (n - 1.0) * (apply("pow", b + ua, 1.0 - n) - apply("pow", b + ub, 1.0 - n))
    logs = big_a * (apply("log", b + ub) - apply("log", b + ua))
    return apply("select", apply("lt", apply("abs", n - 1.0), const(1e-5)), logs, power)


def _interval(lo: Node, hi: Node, a: Node, b: Node) -> tuple[Node, Node]:
    """[lo, hi] intersected with [a, b], as an empty interval [x, x] when they do not meet."""
    start = apply("min", apply("max", lo, a), hi)
    return start, apply("max", start, apply("min", hi, b))


def crystal_ball(lo: float, hi: float, m: Node, m0: Node, sl: Node, sr: Node, al: Node, nl: Node, ar: Node,
                 nr: Node) -> Node:
    """Integral of the double-sided Crystal Ball (RooCrystalBall), piece by piece: left tail, the two halves of
    the core, right tail.

    Example:
        >>> one = const(1.0)
        >>> crystal_ball(-5.0, 5.0, None, const(0.0), one, one, one, const(2.0), one, const(2.0)).op
        'add'
    """
    lo_n, hi_n = const(lo), const(hi)
    ninf, pinf = const(-math.inf), const(math.inf)
    m_left, m_right = m0 - apply("abs", al) * sl, m0 + apply("abs", ar) * sr
    a, b = _interval(lo_n, hi_n, ninf, m_left)
    left = sl * _tail_piece(-(b - m0) / sl, -(a - m0) / sl, al, nl)
    a, b = _interval(lo_n, hi_n, m_left, m0)
    core_l = _gauss_piece(a, b, m0, sl)
    a, b = _interval(lo_n, hi_n, m0, m_right)
    core_r = _gauss_piece(a, b, m0, sr)
    a, b = _interval(lo_n, hi_n, m_right, pinf)
    right = sr * _tail_piece((a - m0) / sr, (b - m0) / sr, ar, nr)
    return left + core_l + core_r + right


def cb_shape(lo: float, hi: float, m: Node, m0: Node, s: Node, alpha: Node, n: Node) -> Node:
    """Integral of the single-sided Crystal Ball (RooCBShape): the tail is left of the core for alpha > 0 and
    right of it for alpha < 0.

    Example:
        >>> cb_shape(-5.0, 5.0, None, const(0.0), const(1.0), const(1.0), const(2.0)).op
        'select'
    """
    lo_n, hi_n = const(lo), const(hi)
    ninf, pinf = const(-math.inf), const(math.inf)
    a_abs = apply("abs", alpha)
    m_left, m_right = m0 - a_abs * s, m0 + a_abs * s
    a, b = _interval(lo_n, hi_n, ninf, m_left)
    left_tail = s * _tail_piece(-(b - m0) / s, -(a - m0) / s, a_abs, n)
    a, b = _interval(lo_n, hi_n, m_left, pinf)
    left_version = left_tail + _gauss_piece(a, b, m0, s)
    a, b = _interval(lo_n, hi_n, m_right, pinf)
    right_tail = s * _tail_piece((a - m0) / s, (b - m0) / s, a_abs, n)
    a, b = _interval(lo_n, hi_n, ninf, m_right)
    right_version = right_tail + _gauss_piece(a, b, m0, s)
    return apply("select", apply("lt", alpha, const(0.0)), right_version, left_version)


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
    "crystal_ball": crystal_ball,
    "cb_shape": cb_shape,
}

#: rules that *define* the normalisation (sums over the integers of a discrete density), used by the
#: interpreter at every optimisation level rather than approximating an integral
SUMS = frozenset({"poisson_integer"})
