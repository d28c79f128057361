"""Interpolation between a nominal value and its +1/-1 sigma variations, as RooFit's HistFactory defines it
(``PiecewiseInterpolation`` for HS3 ``interpolation``, ``FlexibleInterpVar`` for ``interpolation0d``).

Each nuisance parameter ``x_i`` adds an increment to a running total that starts at the nominal value; the
multiplicative codes scale the running total, so the order of the parameters matters (as in RooFit):

====  ======================================================  =========================================
code  inside ``|x| < 1``                                       outside
====  ======================================================  =========================================
0     linear: ``x (high - nom)`` / ``x (nom - low)``             same
1     ``total ((high/nom)^x - 1)`` / ``total ((low/nom)^-x - 1)``  same (multiplicative)
2     parabola ``a x^2 + b x``                                  linear, continuous with slope
4     6th-degree polynomial (value, slope, curvature match)     linear (additive)
5     6th-degree polynomial of the ratio                        ``(high/nom)^x`` (multiplicative)
6     code 4 on ``high/nom``, ``low/nom``, times ``total``       linear in the ratio (multiplicative)
====  ======================================================  =========================================

Example:
    >>> from firmc.ir import param
    >>> from firmc.interp import evaluate
    >>> v = piecewise_interpolation(const(2.0), [const(1.5)], [const(3.0)], [param("a")], [0], False)
    >>> float(evaluate([v], {"a": 0.5})[0])
    2.5
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache

from ..ir import Node, apply, const, lift
from ..ir.node import Operand

CODES = (0, 1, 2, 4, 5, 6)
DBL_MIN = 2.2250738585072014e-308  # FlexibleInterpVar's floor for a non-positive total


def _select(c: Node, a: Operand, b: Operand) -> Node:
    return apply("select", c, lift(a), lift(b))


def _horner(x: Node, coefs: Sequence[Node]) -> Node:
    acc = coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = c + x * acc
    return acc


@cache
def _matching_weights(boundary: float, powers: tuple[int, ...]) -> tuple[tuple[float, ...], ...]:
    """Weights W with coefficient_k = sum_j W[k][j] * target_j, where the polynomial sum_k c_k x^powers[k]
    takes the targets (value, first, second derivative) at x = boundary.

    Solved exactly in rationals, so the coefficients are those of the definition to the last bit.
    """
    b = Fraction(boundary)

    def row(order: int) -> list[Fraction]:
        out = []
        for p in powers:
            f = Fraction(1)
            for k in range(order):
                f *= p - k
            out.append(f * b ** (p - order) if p >= order else Fraction(0))
        return out

    m = [row(0), row(1), row(2)]
    n = len(powers)
    aug = [m[i] + [Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    for col in range(n):  # Gauss-Jordan elimination
        piv = next(r for r in range(col, n) if aug[r][col] != 0)
        aug[col], aug[piv] = aug[piv], aug[col]
        p = aug[col][col]
        aug[col] = [v / p for v in aug[col]]
        for r in range(n):
            if r != col and aug[r][col] != 0:
                f = aug[r][col]
                aug[r] = [a - f * c for a, c in zip(aug[r], aug[col], strict=True)]
    return tuple(tuple(float(v) for v in aug[k][n:]) for k in range(n))


def _combine(weights: Sequence[float], targets: Sequence[Node]) -> Node:
    terms = [w * t for w, t in zip(weights, targets, strict=True) if w != 0.0]
    return apply("add", *terms) if len(terms) > 1 else terms[0]


def _poly6_additive(x: Node, eps_plus: Node, eps_minus: Node, boundary: float) -> Node:
    """Code 4 inside the boundary: x (S + t A (15 + t^2 (-10 + 3 t^2))), t = x / boundary, the odd-even
    polynomial continuing the two linear branches with matching value, slope and curvature."""
    t = x / boundary
    s = 0.5 * (eps_plus + eps_minus)
    a = 0.0625 * (eps_plus - eps_minus)
    t2 = t * t
    return x * (s + t * a * (15.0 + t2 * (-10.0 + t2 * 3.0)))


def _linear_or_poly6(x: Node, high: Node, low: Node, nominal: Node, boundary: float) -> Node:
    eps_plus, eps_minus = high - nominal, nominal - low
    return _select(apply("ge", x, const(boundary)), x * eps_plus,
                   _select(apply("le", x, const(-boundary)), x * eps_minus,
                           _poly6_additive(x, eps_plus, eps_minus, boundary)))


def _poly6_exponential(x: Node, high: Node, low: Node, boundary: float) -> Node:
    """Code 5 inside the boundary: 1 + sum_{k=1..6} c_k x^k matching value, slope and curvature of h^x at
    +boundary and of l^-x at -boundary (h, l the ratios to nominal; log terms vanish where a ratio is <= 0)."""
    zero = const(0.0)
    log_h, log_l = apply("log", high), apply("log", low)
    up, down = apply("exp", boundary * log_h), apply("exp", boundary * log_l)
    up_1 = _select(apply("le", high, zero), 0.0, up * log_h)
    down_1 = _select(apply("le", low, zero), 0.0, -(down * log_l))
    up_2 = _select(apply("le", high, zero), 0.0, up_1 * log_h)
    down_2 = _select(apply("le", low, zero), 0.0, -(down_1 * log_l))
    s0, a0 = 0.5 * (up + down), 0.5 * (up - down)
    s1, a1 = 0.5 * (up_1 + down_1), 0.5 * (up_1 - down_1)
    s2, a2 = 0.5 * (up_2 + down_2), 0.5 * (up_2 - down_2)
    # odd part takes (a0, s1, a2) at the boundary; even part minus 1 takes (s0 - 1, a1, s2)
    w_odd = _matching_weights(boundary, (1, 3, 5))
    w_even = _matching_weights(boundary, (2, 4, 6))
    odd = [_combine(w, [a0, s1, a2]) for w in w_odd]
    even = [_combine(w, [s0 - 1.0, a1, s2]) for w in w_even]
    coefs = [const(1.0), odd[0], even[0], odd[1], even[1], odd[2], even[2]]
    return _horner(x, coefs)


def increment(code: int, low: Node, high: Node, nominal: Node, x: Node, total: Node,
              boundary: float = 1.0) -> Node:
    """What parameter ``x`` adds to the running ``total`` under interpolation ``code`` (RooFit's
    flexibleInterpSingle semantics; code 3 is read as 2, as RooFit does).

    Example:
        >>> from firmc.interp import evaluate
        >>> n = increment(0, const(1.0), const(3.0), const(2.0), const(-0.5), const(2.0))
        >>> float(evaluate([n], {})[0])
        -0.5
    """
    zero = const(0.0)
    if code == 0:
        return _select(apply("gt", x, zero), x * (high - nominal), x * (nominal - low))
    if code == 1:
        return total * _select(apply("ge", x, zero), apply("pow", high / nominal, x) - 1.0,
                               apply("pow", low / nominal, -x) - 1.0)
    if code in (2, 3):
        a = 0.5 * (high + low) - nominal
        b = 0.5 * (high - low)
        return _select(apply("gt", x, const(1.0)), (2.0 * a + b) * (x - 1.0) + high - nominal,
                       _select(apply("lt", x, const(-1.0)), -((2.0 * a - b) * (x + 1.0)) + low - nominal,
                               a * x * x + b * x))
    if code == 4:
        return _linear_or_poly6(x, high, low, nominal, boundary)
    if code == 6:
        return _linear_or_poly6(x, high / nominal, low / nominal, const(1.0), boundary) * total
    if code == 5:
        ratio_h, ratio_l = high / nominal, low / nominal
        factor = _select(apply("ge", x, const(boundary)), apply("pow", ratio_h, x),
                         _select(apply("le", x, const(-boundary)), apply("pow", ratio_l, -x),
                                 _poly6_exponential(x, ratio_h, ratio_l, boundary)))
        return total * (factor - 1.0)
    raise ValueError(f"unknown interpolation code {code} (known: 0, 1, 2, 3, 4, 5, 6)")


def _accumulate(nominal: Node, lows: Sequence[Node], highs: Sequence[Node], params: Sequence[Node],
                codes: Sequence[int], boundary: float) -> Node:
    if not len(lows) == len(highs) == len(params) == len(codes):
        raise ValueError(f"{len(params)} parameters need as many low ({len(lows)}), high ({len(highs)}) "
                         f"values and codes ({len(codes)})")
    total = nominal
    for low, high, x, code in zip(lows, highs, params, codes, strict=True):
        total = total + increment(code, low, high, nominal, x, total, boundary)
    return total


def piecewise_interpolation(nominal: Node, lows: Sequence[Node], highs: Sequence[Node], params: Sequence[Node],
                            codes: Sequence[int], positive_definite: bool) -> Node:
    """RooFit's PiecewiseInterpolation: nominal plus the increments of every parameter, negative totals set
    to 0 when ``positive_definite``.

    Example:
        >>> from firmc.ir import param
        >>> piecewise_interpolation(param("n"), [param("l")], [param("h")], [param("a")], [4], True).op
        'select'
    """
    total = _accumulate(nominal, lows, highs, params, codes, 1.0)
    if positive_definite:
        return _select(apply("lt", total, const(0.0)), 0.0, total)
    return total


def flexible_interp_var(nominal: Node, lows: Sequence[Node], highs: Sequence[Node], params: Sequence[Node],
                        codes: Sequence[int], boundary: float = 1.0) -> Node:
    """RooFit's FlexibleInterpVar: like :func:`piecewise_interpolation` with its code 4 read as code 5 (the
    exponential polynomial), and a total <= 0 replaced by the smallest normal double.

    Example:
        >>> from firmc.ir import param
        >>> flexible_interp_var(const(1.0), [const(0.9)], [const(1.1)], [param("a")], [1]).op
        'select'
    """
    mapped = [5 if c == 4 else c for c in codes]
    total = _accumulate(nominal, lows, highs, params, mapped, boundary)
    return _select(apply("le", total, const(0.0)), DBL_MIN, total)
