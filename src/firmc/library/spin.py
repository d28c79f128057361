"""Angular momentum: spins as twice their value, Clebsch–Gordan coefficients (exact, at compile time) and Wigner's
small-d functions as IR polynomials in the half-angle cosine and sine.

Conventions (Condon–Shortley; those of ThreeBodyDecays.jl and of most amplitude-analysis codes):
``d^j_{m'm}(θ) = <j m'| exp(-i θ J_y) |j m>``, so that ``d^{1/2}_{1/2,-1/2}(θ) = -sin(θ/2)``; every spin and
projection is passed doubled (``two_j = 1`` for j = 1/2), so half-integers stay integers.

Example:
    >>> two("3/2"), two(1), clebsch_gordan(1, 1, 1, -1, 2, 0)
    (3, 2, 0.7071067811865476)
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from ..errors import FirmError
from ..ir import Node, apply, const

#: The largest spin or orbital momentum firmc builds amplitudes for: helicity sums grow as (2j + 1)^4, Wigner d,
#: Clebsch-Gordan and Blatt-Weisskopf factors as factorials and polynomials of degree j.
MAX_ANGULAR_MOMENTUM = 12


def two(spin: str | float) -> int:
    """Twice a spin or projection given as ``"3/2"``, ``"1"``, ``"-1/2"``, 1.5 or 2 (a FirmError if it is not a
    multiple of 1/2).

    Example:
        >>> two("1/2"), two("-3/2"), two(2), two(0.5)
        (1, -3, 4, 1)
    """
    try:
        value = Fraction(spin.strip()) if isinstance(spin, str) else Fraction(spin)
    except (ValueError, ZeroDivisionError):
        raise FirmError(f"not a spin: {spin!r}") from None
    doubled = 2 * value
    if doubled.denominator != 1:
        raise FirmError(f"not a multiple of 1/2: {spin!r}")
    return int(doubled)


def spin(value: str | float, where: str = "") -> int:
    """:func:`two` of a spin (or an orbital momentum) read from a document: a FirmError unless it is in
    0 .. :data:`MAX_ANGULAR_MOMENTUM`.

    Example:
        >>> spin("3/2"), spin(1)
        (3, 2)
    """
    two_j = two(value)
    if not 0 <= two_j <= 2 * MAX_ANGULAR_MOMENTUM:
        raise FirmError(f"{where + ': ' if where else ''}spin {value!r} is not in 0 .. {MAX_ANGULAR_MOMENTUM} "
                        "(firmc's limit)")
    return two_j


def projections(two_j: int) -> range:
    """The doubled projections -j, ..., j of a (doubled) spin.

    Example:
        >>> list(projections(3))
        [-3, -1, 1, 3]
    """
    return range(-two_j, two_j + 1, 2)


def _fact(two_x: int) -> int:
    """(x)! for a doubled non-negative integer argument."""
    return math.factorial(two_x // 2)


@functools.cache
def clebsch_gordan(two_j1: int, two_m1: int, two_j2: int, two_m2: int, two_j: int, two_m: int) -> float:
    """<j1 m1; j2 m2 | j m>, exactly (Racah's formula in rationals; the square root taken once at the end).

    Example:
        >>> clebsch_gordan(1, 1, 1, 1, 2, 2), clebsch_gordan(2, 0, 2, 0, 2, 0)
        (1.0, 0.0)
    """
    args = (two_j1, two_m1, two_j2, two_m2, two_j, two_m)
    if two_m1 + two_m2 != two_m or any(abs(m) > j for j, m in ((two_j1, two_m1), (two_j2, two_m2), (two_j, two_m))):
        return 0.0
    if not abs(two_j1 - two_j2) <= two_j <= two_j1 + two_j2 or (two_j1 + two_j2 + two_j) % 2:
        return 0.0
    if any((j + m) % 2 for j, m in zip(args[::2], args[1::2], strict=True)):
        return 0.0
    pre = Fraction((two_j + 1) * _fact(two_j1 + two_j2 - two_j) * _fact(two_j1 - two_j2 + two_j)
                   * _fact(-two_j1 + two_j2 + two_j), _fact(two_j1 + two_j2 + two_j + 2))
    pre *= (_fact(two_j1 + two_m1) * _fact(two_j1 - two_m1) * _fact(two_j2 + two_m2) * _fact(two_j2 - two_m2)
            * _fact(two_j + two_m) * _fact(two_j - two_m))
    total = Fraction(0)
    for k in range(0, two_j1 + two_j2 + two_j + 1, 2):
        dens = (k, two_j1 + two_j2 - two_j - k, two_j1 - two_m1 - k, two_j2 + two_m2 - k,
                two_j - two_j2 + two_m1 + k, two_j - two_j1 - two_m2 + k)
        if min(dens) < 0:
            continue
        term = Fraction((-1) ** (k // 2), math.prod(_fact(d) for d in dens))
        total += term
    if total == 0:
        return 0.0
    return math.copysign(math.sqrt(pre * total * total), total)


@functools.cache
def wigner_d_terms(two_j: int, two_m1: int, two_m2: int) -> tuple[tuple[float, int, int], ...]:
    """``d^j_{m1 m2}(θ)`` as (coefficient, power of cos(θ/2), power of sin(θ/2)) terms (Wigner's formula; exact
    coefficients).

    Example:
        >>> wigner_d_terms(1, 1, -1)
        ((-1.0, 0, 1),)
    """
    j, m1, m2 = two_j, two_m1, two_m2  # all doubled
    norm = _fact(j + m1) * _fact(j - m1) * _fact(j + m2) * _fact(j - m2)
    out = []
    for k in range(0, 2 * j + 1, 2):
        dens = (j + m2 - k, k, j - k - m1, k - m2 + m1)
        if min(dens) < 0:
            continue
        sign = -1 if ((k - m2 + m1) // 2) % 2 else 1
        coef = sign * math.sqrt(Fraction(norm, math.prod(_fact(d) for d in dens) ** 2))
        out.append((coef, (2 * j - 2 * k + m2 - m1) // 2, (2 * k - m2 + m1) // 2))
    return tuple(out)


def wigner_d(two_j: int, two_m1: int, two_m2: int, cos_theta: Node) -> Node:
    """``d^j_{m1 m2}(θ)`` as IR from cos θ (clamped into [-1, 1], so rounding at the edge of phase space gives
    no NaN).

    Example:
        >>> from firmc.interp import evaluate
        >>> round(float(evaluate([wigner_d(2, 2, 0, const(0.5))], {})[0]), 12)  # -sin(θ)/sqrt(2)
        -0.612372435696
    """
    c = apply("min", apply("max", cos_theta, const(-1.0)), const(1.0))
    half_cos = apply("sqrt", (1.0 + c) * 0.5)
    half_sin = apply("sqrt", (1.0 - c) * 0.5)
    terms: list[Node] = []
    for coef, pc, ps in wigner_d_terms(two_j, two_m1, two_m2):
        factors = [half_cos] * pc + [half_sin] * ps
        term = const(coef)
        for f in factors:
            term = term * f
        terms.append(term)
    if not terms:
        return const(0.0)
    return terms[0] if len(terms) == 1 else apply("add", *terms)
