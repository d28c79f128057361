"""Resonance lineshapes: Blatt-Weisskopf barrier factors and the multi-channel relativistic Breit-Wigner of
HS3's ``relativistic_breit_wigner_dist``.

Blatt-Weisskopf factors are the PDG's (Review of Particle Physics, "Resonances", vertex factor
n_l(q) = z^l h_l(z), z = q R) with unit numerator: h_l^2(z) = 1 / P_l(z^2), where

* P_0 = 1, P_1 = 1 + z^2, P_2 = 9 + 3 z^2 + z^4, P_3 = 225 + 45 z^2 + 6 z^4 + z^6,
* P_4 = 11025 + 1575 z^2 + 135 z^4 + 10 z^6 + z^8

(z^(2l+2) |h_l^(1)(z)|^2, the spherical Hankel functions). HS3's text lists "h_0^2 = 1/(1+z^2),
h_1^2 = 1/(9+3z^2+z^4)", shifted by one in l; that reading would put a barrier on S-waves and contradicts its
own statement that one channel with m1 = m2 = 0, l = 0 is the constant-width Breit-Wigner, so the PDG
indexing is used.

Example:
    >>> from firmc.interp import evaluate
    >>> float(evaluate([blatt_weisskopf_sq(1, const(2.0))], {})[0])  # 1 / (1 + z^2), z^2 = 2
    0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..ir import Node, apply, const, lift
from ..ir.node import Operand

# coefficients of P_l in powers of z^2 (constant term first)
_BW_POLY: tuple[tuple[float, ...], ...] = (
    (1.0,),
    (1.0, 1.0),
    (9.0, 3.0, 1.0),
    (225.0, 45.0, 6.0, 1.0),
    (11025.0, 1575.0, 135.0, 10.0, 1.0),
)
MAX_L = len(_BW_POLY) - 1
_ZERO = const(0.0)
_DEFAULT_RADIUS = const(3.0)  # HS3's default R, in 1/GeV


def _select(c: Node, a: Operand, b: Operand) -> Node:
    return apply("select", c, lift(a), lift(b))


def _check_l(ell: int) -> None:
    if not 0 <= ell <= MAX_L:
        raise ValueError(f"orbital angular momentum l = {ell}: Blatt-Weisskopf factors are defined for l = 0..{MAX_L}")


def _poly_z2(ell: int, z2: Node) -> Node:
    coefs = _BW_POLY[ell]
    acc: Node = const(coefs[-1])
    for c in reversed(coefs[:-1]):
        acc = c + z2 * acc
    return acc


def blatt_weisskopf_sq(ell: int, z2: Node) -> Node:
    """h_l^2 as a function of z^2 = (q R)^2: 1 / P_l(z^2), the PDG's unnormalised barrier factor.

    Example:
        >>> blatt_weisskopf_sq(0, const(4.0)).attr("value")
        1.0
    """
    _check_l(ell)
    if ell == 0:
        return const(1.0)
    return 1.0 / _poly_z2(ell, z2)


def vertex_factor_sq(ell: int, z2: Node) -> Node:
    """n_l^2 = z^(2l) h_l^2(z), the squared vertex factor: ~ q^(2l) at threshold, constant at large q.
    Valid for negative z^2 too (below threshold, where q is imaginary).

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([vertex_factor_sq(2, const(1.0))], {})[0])  # 1 / 13
        0.07692307692307693
    """
    _check_l(ell)
    if ell == 0:
        return const(1.0)
    power = apply("mul", *([z2] * ell)) if ell > 1 else z2
    return power / _poly_z2(ell, z2)


def breakup_momentum_sq(m: Node, m1: Node, m2: Node) -> Node:
    """q^2 = (m^2 - (m1 + m2)^2)(m^2 - (m1 - m2)^2) / (4 m^2): negative below threshold.

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([breakup_momentum_sq(const(2.0), const(0.0), const(0.0))], {})[0])
        1.0
    """
    m_sq = m * m
    return (m_sq - (m1 + m2) * (m1 + m2)) * (m_sq - (m1 - m2) * (m1 - m2)) / (4.0 * m_sq)


@dataclass(frozen=True)
class Channel:
    """One decay channel of a resonance: partial width, daughter masses, orbital momentum, radius (1/GeV).

    Example:
        >>> Channel(const(0.1)).ell
        0
    """

    gamma: Node
    m1: Node = _ZERO
    m2: Node = _ZERO
    ell: int = 0
    radius: Node = _DEFAULT_RADIUS


def channel_width(m: Node, ch: Channel) -> tuple[Node, Node]:
    """(real, imaginary) parts of Gamma_i(m) = Gamma_BW,i n_l^2(z) rho(m), rho = 2 q / m, z = q R.

    Above threshold q is real and the width real; below it q = i |q| (the analytic continuation used for
    Flatte-like channels), n_l^2 stays real (a function of z^2 < 0) and the width is imaginary.

    Example:
        >>> from firmc.interp import evaluate
        >>> re, im = channel_width(const(1.0), Channel(const(0.2)))
        >>> [float(v) for v in evaluate([re, im], {})]
        [0.2, 0.0]
    """
    q2 = breakup_momentum_sq(m, ch.m1, ch.m2)
    zero = const(0.0)
    above = apply("ge", q2, zero)
    factor = ch.gamma * vertex_factor_sq(ch.ell, q2 * ch.radius * ch.radius) * 2.0 / m
    rho_re = apply("sqrt", apply("max", q2, zero))
    rho_im = apply("sqrt", apply("max", -q2, zero))
    return _select(above, factor * rho_re, 0.0), _select(above, 0.0, factor * rho_im)


def relativistic_breit_wigner(m: Node, m_bw: Node, channels: Sequence[Channel]) -> Node:
    """m Gamma_1(m) / |m_BW^2 - m^2 - i m_BW Gamma(m)|^2, Gamma = sum of the channel widths, channel 1 the
    one observed (unnormalised; zero below its threshold).

    Example:
        >>> from firmc.ir import obs, param
        >>> relativistic_breit_wigner(obs("m"), param("M"), [Channel(param("G"))]).op
        'div'
    """
    if not channels:
        raise ValueError("a relativistic Breit-Wigner needs at least one channel")
    widths = [channel_width(m, ch) for ch in channels]
    re = apply("add", *[w[0] for w in widths]) if len(widths) > 1 else widths[0][0]
    im = apply("add", *[w[1] for w in widths]) if len(widths) > 1 else widths[0][1]
    # m_BW^2 - m^2 - i m_BW (re + i im) = (m_BW^2 - m^2 + m_BW im) - i m_BW re
    real_part = m_bw * m_bw - m * m + m_bw * im
    imag_part = m_bw * re
    return m * widths[0][0] / (real_part * real_part + imag_part * imag_part)
