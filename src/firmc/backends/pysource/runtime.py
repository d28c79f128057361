"""Special functions written once for NumPy, JAX and PyTorch, to be inlined into generated modules.

Every function takes the array namespace ``xp`` (``numpy``, ``jax.numpy`` or ``torch``) and uses only what the
three share with the same meaning (``xp.where``, ``exp``, ``log``, ``sqrt``, ``abs``, ``real``, ``imag``, ``floor``,
``copysign``, arithmetic, comparisons, ``&``, ``|``, ``~``).  The code generator copies a function's text with
``inspect.getsource`` into a standalone module, so each function is self-contained: it uses only its arguments,
builtins, ``math`` and constants written inside its body (the generated module imports ``math`` and starts with
``from __future__ import annotations``, so the ``Any`` annotations are never evaluated there).

The functions are branch-free: every alternative is computed on all elements and the result is picked with
``xp.where``; each alternative sees a "safe" input (the argument where it is selected, a harmless point elsewhere)
so that no unselected alternative is inf or NaN, which would poison JAX/torch gradients.  The arguments must be
arrays (tensors) of the framework, not Python scalars.

Example:
    >>> import numpy as np
    >>> v = np.array([-2.0, 0.0, 3.0])
    >>> landau(v, np).round(6).tolist()
    [0.043985, 0.178854, 0.074248]
    >>> faddeeva(np.array([1j]), np).real.round(12).tolist()  # erfcx(1)
    [0.427583576156]
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["faddeeva", "landau", "landau_cdf", "tgamma"]


def faddeeva(z: Any, xp: Any) -> Any:
    """Faddeeva function ``w(z) = exp(-z**2) * erfc(-1j*z)`` of a complex (or real) array.

    Upper half plane: Weideman's rational approximation with N = 40 terms, J. A. C. Weideman, "Computation of the
    complex error function", SIAM J. Numer. Anal. 31 (1994) 1497 (relative error below 2e-14 of scipy's ``wofz``).
    Lower half plane: ``w(z) = 2*exp(-z**2) - w(-z)``, with ``-z**2`` formed as the Faddeeva package (scipy) does;
    the result overflows to inf/NaN where scipy's does.  ``w`` is 0 at infinite ``z`` (as scipy; NaN at ``-inf*1j``).

    Example:
        >>> import numpy as np
        >>> w = faddeeva(np.array([0.0, 1.0 + 1.0j, 2.0 - 1.0j]), np)
        >>> w.round(9).tolist()
        [(1+0j), (0.304744205+0.208218938j), (-0.205325581+0.146855485j)]
    """
    # a[0] Z**39 + a[1] Z**38 + ... + a[39], the polynomial in Z = (L + iz)/(L - iz) (Weideman's a_n, reversed)
    a = (
        -1.7356980998791865e-15, 1.201674910759281e-15, 1.1519170220749485e-14, -5.231716366324404e-15,
        -7.071088022159408e-14, 1.3778224047664046e-14, 4.5341448909434655e-13, 1.203330952919568e-13,
        -2.90771851041427e-12, -2.7277735625830245e-12, 1.771418567386718e-11, 3.4727420938907015e-11,
        -9.055138860958323e-11, -3.5632350403602684e-10, 2.1085990731251058e-10, 3.017780425551564e-09,
        3.249746582945079e-09, -1.8315616834296834e-08, -6.351773483015411e-08, 1.419864237295343e-08,
        5.912136953029057e-07, 1.4835661133172014e-06, -1.066013898416273e-06, -1.8007447144723407e-05,
        -5.5913092642348794e-05, -3.939363145483805e-05, 0.000439807015986967, 0.002705405633073729,
        0.010048186242783535, 0.02920291647124188, 0.07182361779074328, 0.15504263802479504,
        0.2998943799615006, 0.5266528988277086, 0.8472174576593815, 1.2563815675765133,
        1.7253830848179779, 2.201513794878312, 2.6160541527618597, 2.899624509389705,
    )
    big_l = 5.3182958969449885  # L = sqrt(N / sqrt(2))
    z = z + 0j
    x, y = xp.real(z), xp.imag(z)
    lower = y < 0
    zu = xp.where(lower, -z, z)
    r = xp.abs(zu)
    finite = r < math.inf
    zu = xp.where(finite, zu, 1j)  # keeps inf and NaN out of the divisions below
    d = big_l - 1j * zu
    zz = (big_l + 1j * zu) / d
    p = a[0] * zz + a[1]
    for ak in a[2:]:
        p = p * zz + ak
    wu = xp.where(finite, (2.0 * p / d + 1.0 / math.sqrt(math.pi)) / d, xp.where(r == math.inf, 0j, z))
    xl, yl = xp.where(lower, x, 0.0), xp.where(lower, y, 0.0)
    re = (yl - xl) * (xl + yl)  # Re(-z**2)
    small = re < -800.0  # exp(-z**2) underflows to 0 (also where Im(-z**2) overflows)
    e = xp.exp(xp.where(small, -800.0, re) + 1j * xp.where(small, 0.0, -2.0 * xl * yl))
    return xp.where(lower, e + e - wu, wu)


def landau(v: Any, xp: Any) -> Any:
    """Standard Landau density as ROOT's ``TMath::Landau(v, 0, 1)`` (CERNLIB G110 ``DENLAN``).

    The piecewise rational approximation of K. S. Koelbig and B. Schorr, Comput. Phys. Commun. 31 (1984) 97, with
    the coefficients, piece boundaries and operation order of ``firmc.numerics.special.landau_pdf``; 0 below
    ``v = ln(1e-10) - 1``.  Each piece is evaluated on a safe input and picked with ``xp.where``; NaN gives NaN.

    Example:
        >>> import numpy as np
        >>> landau(np.array([-1.0, 1.0, 100.0, np.nan]), np).round(8).tolist()
        [0.15139191, 0.14520664, 0.00010761, nan]
    """

    def poly(c: tuple[float, ...], x: Any) -> Any:  # c[0] + (c[1] + (c[2] + ...)*x)*x in the reference order
        acc = c[-2] + c[-1] * x
        for ck in c[-3::-1]:
            acc = ck + acc * x
        return acc

    p1, q1 = (0.4259894875, -0.1249762550, 0.03984243700, -0.006298287635, 0.001511162253), (
        1.0, -0.3388260629, 0.09594393323, -0.01608042283, 0.003778942063)
    p2, q2 = (0.1788541609, 0.1173957403, 0.01488850518, -0.001394989411, 0.0001283617211), (
        1.0, 0.7428795082, 0.3153932961, 0.06694219548, 0.008790609714)
    p3, q3 = (0.1788544503, 0.09359161662, 0.006325387654, 0.00006611667319, -0.000002031049101), (
        1.0, 0.6097809921, 0.2560616665, 0.04746722384, 0.006957301675)
    p4, q4 = (0.9874054407, 118.6723273, 849.2794360, -743.7792444, 427.0262186), (
        1.0, 106.8615961, 337.6496214, 2016.712389, 1597.063511)
    p5, q5 = (1.003675074, 167.5702434, 4789.711289, 21217.86767, -22324.94910), (
        1.0, 156.9424537, 3745.310488, 9834.698876, 66924.28357)
    p6, q6 = (1.000827619, 664.9143136, 62972.92665, 475554.6998, -5743609.109), (
        1.0, 651.4101098, 56974.73333, 165917.4725, -2815759.939)
    edges = (-5.5, -1.0, 1.0, 5.0, 12.0, 50.0, 300.0)
    inner = (-10.0, -3.0, 0.0, 3.0, 8.0, 20.0, 100.0, 1000.0)  # a point inside each piece
    s = [xp.where(v < edges[0], v, inner[0])]
    s += [xp.where(~(v < lo) & (v < hi), v, c) for lo, hi, c in zip(edges[:-1], edges[1:], inner[1:-1], strict=True)]
    s.append(xp.where(v < edges[-1], inner[-1], v))  # NaN falls into the last piece, as in the reference
    u = xp.exp(s[0] + 1.0)
    ok = u >= 1e-10  # the reference returns exactly 0 below this cut
    u = xp.where(ok, u, 1.0)
    tail = 0.3989422803 * (xp.exp(-1.0 / u) / xp.sqrt(u)) * (1.0 + poly((0.04166666667, -0.01996527778,
                                                                         0.02709538966), u) * u)
    f = [xp.where(ok, tail, 0.0)]
    u = xp.exp(-s[1] - 1.0)
    f.append(xp.exp(-u) * xp.sqrt(u) * poly(p1, s[1]) / poly(q1, s[1]))
    f.append(poly(p2, s[2]) / poly(q2, s[2]))
    f.append(poly(p3, s[3]) / poly(q3, s[3]))
    for k, p, q in ((4, p4, q4), (5, p5, q5), (6, p6, q6)):
        u = 1.0 / s[k]
        f.append(u * u * poly(p, u) / poly(q, u))
    u = 1.0 / (s[7] - s[7] * xp.log(s[7]) / (s[7] + 1.0))
    f.append(u * u * (1.0 + poly((-1.845568670, -4.284640743), u) * u))
    out = f[7]
    for k in range(6, -1, -1):
        out = xp.where(v < edges[k], f[k], out)
    return out


def landau_cdf(v: Any, xp: Any) -> Any:
    """Standard Landau distribution function as ROOT's ``ROOT::Math::landau_cdf(v)`` (CERNLIB G110 ``DISLAN``).

    Koelbig and Schorr's approximation with the coefficients, boundaries and operation order of
    ``firmc.numerics.special.landau_cdf``, branch-free as :func:`landau`; NaN gives NaN.

    Example:
        >>> import numpy as np
        >>> landau_cdf(np.array([-1.0, 0.0, 1.0, 1e6]), np).round(6).tolist()
        [0.113615, 0.286833, 0.451018, 0.999999]
    """

    def poly(c: tuple[float, ...], x: Any) -> Any:  # c[0] + (c[1] + (c[2] + ...)*x)*x in the reference order
        acc = c[-2] + c[-1] * x
        for ck in c[-3::-1]:
            acc = ck + acc * x
        return acc

    p1, q1 = (0.2514091491, -0.06250580444, 0.01458381230, -0.002108817737, 0.0007411247290), (
        1.0, -0.005571175625, 0.06225310236, -0.003137378427, 0.001931496439)
    p2, q2 = (0.2868328584, 0.3564363231, 0.1523518695, 0.02251304883), (1.0, 0.6191136137, 0.1720721448, 0.02278594771)
    p3, q3 = (0.2868329066, 0.3003828436, 0.09950951941, 0.008733827185), (
        1.0, 0.4237190502, 0.1095631512, 0.008693851567)
    p4, q4 = (1.000351630, 4.503592498, 10.85883880, 7.536052269), (1.0, 5.539969678, 19.33581111, 27.21321508)
    p5, q5 = (1.000006517, 49.09414111, 85.05544753, 153.2153455), (1.0, 50.09928881, 139.9819104, 420.0002909)
    p6, q6 = (1.000000983, 132.9868456, 916.2149244, -960.5054274), (1.0, 133.9887843, 1055.990413, 553.2224619)
    edges = (-5.5, -1.0, 1.0, 4.0, 12.0, 50.0, 300.0)
    inner = (-10.0, -3.0, 0.0, 2.5, 8.0, 20.0, 100.0, 1000.0)  # a point inside each piece
    s = [xp.where(v < edges[0], v, inner[0])]
    s += [xp.where(~(v < lo) & (v < hi), v, c) for lo, hi, c in zip(edges[:-1], edges[1:], inner[1:-1], strict=True)]
    s.append(xp.where(v < edges[-1], inner[-1], v))  # NaN falls into the last piece, as in the reference
    u = xp.exp(s[0] + 1.0)
    ok = u >= 1e-10  # below, exp(-1/u) is exactly 0 in the reference too
    u = xp.where(ok, u, 1.0)
    tail = 0.3989422803 * xp.exp(-1.0 / u) * xp.sqrt(u) * (1.0 + poly((-0.4583333333, 0.6675347222,
                                                                      -1.641741416), u) * u)
    f = [xp.where(ok, tail, 0.0)]
    u = xp.exp(-s[1] - 1.0)
    f.append((xp.exp(-u) / xp.sqrt(u)) * poly(p1, s[1]) / poly(q1, s[1]))
    f.append(poly(p2, s[2]) / poly(q2, s[2]))
    f.append(poly(p3, s[3]) / poly(q3, s[3]))
    for k, p, q in ((4, p4, q4), (5, p5, q5), (6, p6, q6)):
        u = 1.0 / s[k]
        f.append(poly(p, u) / poly(q, u))
    u = 1.0 / (s[7] - s[7] * xp.log(s[7]) / (s[7] + 1.0))
    f.append(1.0 - poly((1.0, -0.4227843351, -2.043403138), u) * u)
    out = f[7]
    for k in range(6, -1, -1):
        out = xp.where(v < edges[k], f[k], out)
    return out


def tgamma(x: Any, xp: Any, lgamma: Any) -> Any:
    """Gamma function of a real array from the framework's ``lgamma`` (``log|Gamma|``), e.g. for torch.

    ``|Gamma(x)| = exp(lgamma(x))``; the sign is negative where ``x < 0`` and ``floor(x)`` is odd (reflection
    formula ``Gamma(x) Gamma(1 - x) = pi / sin(pi x)``).  At the poles as ``scipy.special.gamma``: ``+inf`` at
    ``+0``, ``-inf`` at ``-0``, NaN at the negative integers and at ``-inf``.

    Example:
        >>> import numpy as np
        >>> from scipy.special import gammaln
        >>> tgamma(np.array([5.0, 0.5, -0.5, -1.5, -0.0, -2.0]), np, gammaln).round(6).tolist()
        [24.0, 1.772454, -3.544908, 2.363272, -inf, nan]
    """
    f = xp.floor(x)
    pole = (x == f) & (x < 0)  # the negative integers and -inf
    g = xp.exp(lgamma(xp.where(pole, 0.5, x)))  # lgamma(+-0) = inf
    odd = xp.floor(0.5 * f) != 0.5 * f
    g = xp.where((x < 0) & odd, -g, g)
    g = xp.where(x == 0, xp.copysign(g, x), g)
    return xp.where(pole, math.nan, g)
