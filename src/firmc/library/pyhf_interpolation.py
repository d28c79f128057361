"""Interpolation codes as pyhf 0.7.6 computes them (``pyhf/interpolators/code{0,1,2,4,4p}.py``, the tensorised
classes ``pyhf`` runs, not the ``_slow_*`` reference loops, where the two differ).

These are *not* RooFit's codes of :mod:`firmc.library.interpolation`: pyhf applies each parameter to the
nominal independently (additive deltas summed, multiplicative factors multiplied), never to a running total,
and its code 2 differs outside ``|alpha| <= 1``:

======  ==============  ===============================================================================
code    kind            value (``u = high - nom``, ``d = nom - low``; ratios ``h = high/nom``, ``l = low/nom``)
======  ==============  ===============================================================================
code0   delta           ``alpha u`` for ``alpha > 0``, else ``alpha d``
code2   delta           ``(b + 2a)(alpha - 1)`` for ``alpha > 1``; ``a alpha^2 + b alpha`` for ``-1 <= alpha <= 1``;
                        ``(b - 2a) alpha`` below (pyhf's tensor code: no ``+ u``/``- d`` outside, so it jumps at
                        ``|alpha| = 1``; ``a = (high + low)/2 - nom``, ``b = (high - low)/2``)
code4p  delta           ``alpha u`` above 1, ``alpha d`` below -1, inside
                        ``alpha S + alpha^2 (alpha^2 (3 alpha^2 - 10) + 15) A``, ``S = (u + d)/2``, ``A = (u - d)/16``
code1   factor          ``h^|alpha|`` for ``alpha > 0``, else ``l^|alpha|``
code4   factor          ``h^|alpha|`` for ``alpha >= 1``, ``l^|alpha|`` for ``alpha <= -1``, inside
                        ``1 + sum_i c_i alpha^i`` (i = 1..6) matching value, slope and curvature at +-1
======  ==============  ===============================================================================

pyhf's defaults for a workspace model (``_ModelConfig``): normsys ``code4``, histosys ``code4p``; the
modifiers' own defaults (used when ``modifier_settings`` names no code) are ``code1`` and ``code0``.

Example:
    >>> from firmc.ir import param
    >>> from firmc.interp import evaluate
    >>> d = histosys_delta("code0", 10.0, 8.0, 13.0, param("a"))
    >>> float(evaluate([d], {"a": 0.5})[0]), float(evaluate([d], {"a": -0.5})[0])
    (1.5, -1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..ir import Node, apply, const, lift
from .binned import table

HISTOSYS_CODES = ("code0", "code2", "code4p")
NORMSYS_CODES = ("code1", "code4")

# pyhf's A^-1 for alpha0 = 1 (code4.py): coefficient_r = sum_c A_INV[r][c] * b_c
A_INV = (
    (15.0 / 16, -15.0 / 16, -7.0 / 16, -7.0 / 16, 1.0 / 16, -1.0 / 16),
    (3.0 / 2, 3.0 / 2, -9.0 / 16, 9.0 / 16, 1.0 / 16, 1.0 / 16),
    (-5.0 / 8, 5.0 / 8, 5.0 / 8, 5.0 / 8, -1.0 / 8, 1.0 / 8),
    (-3.0 / 2, -3.0 / 2, 7.0 / 8, -7.0 / 8, -1.0 / 8, -1.0 / 8),
    (3.0 / 16, -3.0 / 16, -3.0 / 16, -3.0 / 16, 1.0 / 16, -1.0 / 16),
    (1.0 / 2, 1.0 / 2, -5.0 / 16, 5.0 / 16, 1.0 / 16, 1.0 / 16),
)


def _select(c: Node, a: Node | float, b: Node | float) -> Node:
    return apply("select", c, lift(a), lift(b))


def code4p_poly(alpha: Node) -> Node:
    """``alpha^2 (alpha^2 (3 alpha^2 - 10) + 15)``: the even part of code 4p, shared by every bin of ``alpha``.

    Example:
        >>> from firmc.interp import evaluate
        >>> float(evaluate([code4p_poly(const(1.0))], {})[0])
        8.0
    """
    a2 = alpha * alpha
    return a2 * (a2 * (a2 * 3.0 - 10.0) + 15.0)


Values = float | Sequence[float]


def histosys_delta(code: str, nom: Values, low: Values, high: Values, alpha: Node,
                   index: Node | None = None) -> Node | None:
    """The additive delta of a histosys under ``code``: of one bin (numbers), or of the bin ``index`` of
    per-bin lists (the coefficients become tables, :func:`firmc.library.binned.table`); None where it is
    identically zero.

    Example:
        >>> from firmc.ir import param, obs
        >>> from firmc.interp import evaluate
        >>> histosys_delta("code4p", 1.0, 1.0, 1.0, param("a")) is None
        True
        >>> d = histosys_delta("code0", [10.0, 4.0], [8.0, 4.0], [13.0, 5.0], param("a"), obs("bin"))
        >>> [float(v) for v in evaluate([d], {"a": 0.5, "bin": np.array([0.0, 1.0])})[0]]
        [1.5, 0.5]
    """
    nom_, low_, high_ = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (nom, low, high))
    up, dn = high_ - nom_, nom_ - low_

    def t(v: np.ndarray) -> Node:
        return table(v.tolist(), index)

    if code == "code0":
        if not up.any() and not dn.any():
            return None
        return _select(apply("gt", alpha, const(0.0)), alpha * t(up), alpha * t(dn))
    if code == "code4p":
        if not up.any() and not dn.any():
            return None
        s, a = 0.5 * (up + dn), 0.0625 * (up - dn)
        inside = code4p_poly(alpha) * t(a) + alpha * t(s)
        return _select(apply("lt", alpha, const(-1.0)), alpha * t(dn),
                       _select(apply("gt", alpha, const(1.0)), alpha * t(up), inside))
    if code == "code2":
        a = 0.5 * (high_ + low_) - nom_
        b = 0.5 * (high_ - low_)
        if not a.any() and not b.any():
            return None
        inside = alpha * alpha * t(a) + alpha * t(b)
        return _select(apply("ge", alpha, const(-1.0)),
                       _select(apply("gt", alpha, const(1.0)), (alpha - 1.0) * t(b + 2.0 * a), inside),
                       alpha * t(b - 2.0 * a))
    raise ValueError(f"unknown histosys interpolation code '{code}' (pyhf has {', '.join(HISTOSYS_CODES)})")


def code4_coefficients(high: float, low: float) -> tuple[float, ...]:
    """pyhf's six polynomial coefficients of code 4 (alpha0 = 1) for the ratios ``high``, ``low`` to nominal.

    Example:
        >>> [round(c, 12) for c in code4_coefficients(1.0, 1.0)]
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    log_h, log_l = math.log(high), math.log(low)
    b = (high - 1.0, low - 1.0, log_h * high, -log_l * low, log_h**2 * high, log_l**2 * low)
    return tuple(sum(a * v for a, v in zip(row, b, strict=True)) for row in A_INV)


def normsys_factor(code: str, low: float, high: float, alpha: Node) -> Node | None:
    """The multiplicative factor of a normsys (ratios ``low``, ``high`` to nominal) under ``code``; None where
    it is identically 1.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> f = normsys_factor("code1", 0.9, 1.2, param("a"))
        >>> round(float(evaluate([f], {"a": -2.0})[0]), 12)
        0.81
    """
    if low == 1.0 and high == 1.0:
        return None
    mag = apply("abs", alpha)
    if code == "code1":
        return _select(apply("gt", alpha, const(0.0)), apply("pow", const(high), mag),
                       apply("pow", const(low), mag))
    if code == "code4":
        if high <= 0.0 or low <= 0.0:
            raise ValueError(f"normsys code4 needs positive ratios, got hi={high}, lo={low}")
        c = code4_coefficients(high, low)
        poly = alpha * c[5]
        for k in (4, 3, 2, 1, 0):
            poly = alpha * (poly + c[k])
        inside = 1.0 + poly
        return _select(apply("ge", alpha, const(1.0)), apply("pow", const(high), mag),
                       _select(apply("gt", alpha, const(-1.0)), inside, apply("pow", const(low), mag)))
    raise ValueError(f"unknown normsys interpolation code '{code}' (pyhf has {', '.join(NORMSYS_CODES)})")
