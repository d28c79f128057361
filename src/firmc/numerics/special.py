"""Landau distribution as computed by CERNLIB G110 (``DENLAN`` / ``DISLAN``) and ROOT.

The approximations are the piecewise rational functions of K. S. Kölbig and B. Schorr,
"A program package for the Landau distribution", Comput. Phys. Commun. 31 (1984) 97-111,
which ROOT uses in ``ROOT::Math::landau_pdf``, ``ROOT::Math::landau_cdf`` and ``TMath::Landau``.
The evaluation order of every expression below follows the reference so that the results agree
with ROOT to the last bit or two (the only differences come from the ``exp``/``log`` of the libm
in use).

All functions are vectorised: the argument is split into the intervals of the approximation with
boolean masks and each interval is evaluated on its own elements only (no per-element Python loop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["landau", "landau_cdf", "landau_pdf"]

FloatArray = npt.NDArray[np.float64]

# 1/sqrt(2*pi) rounded as in the published routines (10 significant digits).
_INV_SQRT_2PI = 0.3989422803

# --- DENLAN coefficients (numerator p, denominator q; lowest power first) --------------------------
_DEN_LEFT_TAIL = (0.04166666667, -0.01996527778, 0.02709538966)  # v < -5.5, series in u = exp(v + 1)
_DEN_P1 = (0.4259894875, -0.1249762550, 0.03984243700, -0.006298287635, 0.001511162253)
_DEN_Q1 = (1.0, -0.3388260629, 0.09594393323, -0.01608042283, 0.003778942063)
_DEN_P2 = (0.1788541609, 0.1173957403, 0.01488850518, -0.001394989411, 0.0001283617211)
_DEN_Q2 = (1.0, 0.7428795082, 0.3153932961, 0.06694219548, 0.008790609714)
_DEN_P3 = (0.1788544503, 0.09359161662, 0.006325387654, 0.00006611667319, -0.000002031049101)
_DEN_Q3 = (1.0, 0.6097809921, 0.2560616665, 0.04746722384, 0.006957301675)
_DEN_P4 = (0.9874054407, 118.6723273, 849.2794360, -743.7792444, 427.0262186)
_DEN_Q4 = (1.0, 106.8615961, 337.6496214, 2016.712389, 1597.063511)
_DEN_P5 = (1.003675074, 167.5702434, 4789.711289, 21217.86767, -22324.94910)
_DEN_Q5 = (1.0, 156.9424537, 3745.310488, 9834.698876, 66924.28357)
_DEN_P6 = (1.000827619, 664.9143136, 62972.92665, 475554.6998, -5743609.109)
_DEN_Q6 = (1.0, 651.4101098, 56974.73333, 165917.4725, -2815759.939)
_DEN_RIGHT_TAIL = (-1.845568670, -4.284640743)  # v >= 300, series in u = 1/(v - v ln v/(v + 1))

# --- DISLAN coefficients --------------------------------------------------------------------------
_DIS_LEFT_TAIL = (-0.4583333333, 0.6675347222, -1.641741416)
_DIS_P1 = (0.2514091491, -0.06250580444, 0.01458381230, -0.002108817737, 0.0007411247290)
_DIS_Q1 = (1.0, -0.005571175625, 0.06225310236, -0.003137378427, 0.001931496439)
_DIS_P2 = (0.2868328584, 0.3564363231, 0.1523518695, 0.02251304883)
_DIS_Q2 = (1.0, 0.6191136137, 0.1720721448, 0.02278594771)
_DIS_P3 = (0.2868329066, 0.3003828436, 0.09950951941, 0.008733827185)
_DIS_Q3 = (1.0, 0.4237190502, 0.1095631512, 0.008693851567)
_DIS_P4 = (1.000351630, 4.503592498, 10.85883880, 7.536052269)
_DIS_Q4 = (1.0, 5.539969678, 19.33581111, 27.21321508)
_DIS_P5 = (1.000006517, 49.09414111, 85.05544753, 153.2153455)
_DIS_Q5 = (1.0, 50.09928881, 139.9819104, 420.0002909)
_DIS_P6 = (1.000000983, 132.9868456, 916.2149244, -960.5054274)
_DIS_Q6 = (1.0, 133.9887843, 1055.990413, 553.2224619)
_DIS_RIGHT_TAIL = (1.0, -0.4227843351, -2.043403138)


def _poly(coeffs: Sequence[float], x: FloatArray) -> FloatArray:
    """Horner evaluation ``c0 + (c1 + (c2 + ...)*x)*x`` in the reference operation order."""
    acc = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = c + acc * x
    return acc


def _ratio(p: Sequence[float], q: Sequence[float], x: FloatArray) -> FloatArray:
    return _poly(p, x) / _poly(q, x)


def _piecewise(
    v: FloatArray,
    edges: Sequence[float],
    pieces: Sequence[Callable[[FloatArray], FloatArray]],
) -> FloatArray:
    """Evaluate ``pieces[k]`` on ``edges[k-1] <= v < edges[k]`` (open ends at both sides).

    Elements that satisfy no comparison (NaN) fall into the last piece, as in the reference
    ``if / else if`` chain; the last piece propagates the NaN.
    """
    out = np.empty_like(v)
    taken = np.zeros(v.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for k, piece in enumerate(pieces):
            mask = ~taken if k == len(edges) else (v < edges[k]) & ~taken
            if mask.any():
                out[mask] = piece(v[mask])
            taken |= mask
    return out


# ---- DENLAN pieces ---------------------------------------------------------------------------------


def _den_left_tail(v: FloatArray) -> FloatArray:
    u = np.exp(v + 1.0)
    out = np.zeros_like(v)
    ok = u >= 1e-10  # the reference returns exactly 0 below this cut
    u = u[ok]
    ue = np.exp(-1.0 / u)
    us = np.sqrt(u)
    out[ok] = _INV_SQRT_2PI * (ue / us) * (1.0 + _poly(_DEN_LEFT_TAIL, u) * u)
    return out


def _den_left(v: FloatArray) -> FloatArray:
    u = np.exp(-v - 1.0)
    return np.exp(-u) * np.sqrt(u) * _poly(_DEN_P1, v) / _poly(_DEN_Q1, v)


def _den_core(v: FloatArray) -> FloatArray:
    return _ratio(_DEN_P2, _DEN_Q2, v)


def _den_right(v: FloatArray) -> FloatArray:
    return _ratio(_DEN_P3, _DEN_Q3, v)


def _den_inverse(p: Sequence[float], q: Sequence[float]) -> Callable[[FloatArray], FloatArray]:
    def piece(v: FloatArray) -> FloatArray:
        u = 1.0 / v
        return u * u * _poly(p, u) / _poly(q, u)

    return piece


def _den_right_tail(v: FloatArray) -> FloatArray:
    u = 1.0 / (v - v * np.log(v) / (v + 1.0))
    return u * u * (1.0 + _poly(_DEN_RIGHT_TAIL, u) * u)


_DEN_EDGES = (-5.5, -1.0, 1.0, 5.0, 12.0, 50.0, 300.0)
_DEN_PIECES = (
    _den_left_tail,
    _den_left,
    _den_core,
    _den_right,
    _den_inverse(_DEN_P4, _DEN_Q4),
    _den_inverse(_DEN_P5, _DEN_Q5),
    _den_inverse(_DEN_P6, _DEN_Q6),
    _den_right_tail,
)


# ---- DISLAN pieces ---------------------------------------------------------------------------------


def _dis_left_tail(v: FloatArray) -> FloatArray:
    u = np.exp(v + 1.0)
    return _INV_SQRT_2PI * np.exp(-1.0 / u) * np.sqrt(u) * (1.0 + _poly(_DIS_LEFT_TAIL, u) * u)


def _dis_left(v: FloatArray) -> FloatArray:
    u = np.exp(-v - 1.0)
    return (np.exp(-u) / np.sqrt(u)) * _poly(_DIS_P1, v) / _poly(_DIS_Q1, v)


def _dis_direct(p: Sequence[float], q: Sequence[float]) -> Callable[[FloatArray], FloatArray]:
    def piece(v: FloatArray) -> FloatArray:
        return _ratio(p, q, v)

    return piece


def _dis_inverse(p: Sequence[float], q: Sequence[float]) -> Callable[[FloatArray], FloatArray]:
    def piece(v: FloatArray) -> FloatArray:
        return _ratio(p, q, 1.0 / v)

    return piece


def _dis_right_tail(v: FloatArray) -> FloatArray:
    u = 1.0 / (v - v * np.log(v) / (v + 1.0))
    return 1.0 - _poly(_DIS_RIGHT_TAIL, u) * u


_DIS_EDGES = (-5.5, -1.0, 1.0, 4.0, 12.0, 50.0, 300.0)
_DIS_PIECES = (
    _dis_left_tail,
    _dis_left,
    _dis_direct(_DIS_P2, _DIS_Q2),
    _dis_direct(_DIS_P3, _DIS_Q3),
    _dis_inverse(_DIS_P4, _DIS_Q4),
    _dis_inverse(_DIS_P5, _DIS_Q5),
    _dis_inverse(_DIS_P6, _DIS_Q6),
    _dis_right_tail,
)


# ---- public API -------------------------------------------------------------------------------------


def landau_pdf(v: npt.ArrayLike) -> FloatArray:
    """Standard Landau density (CERNLIB ``DENLAN``, ROOT ``ROOT::Math::landau_pdf(v)``).

    Vectorised over arrays of any shape; a scalar argument gives a 0-d array.  The density is
    exactly 0 for ``v < ln(1e-10) - 1`` (about -24.03), as in the reference routine.

    Example:
        >>> float(landau_pdf(0.0))
        0.1788541609
        >>> landau_pdf([-1.0, 1.0]).round(6).tolist()
        [0.151392, 0.145207]
    """
    x = np.asarray(v, dtype=np.float64)
    return _piecewise(x, _DEN_EDGES, _DEN_PIECES)


def landau(x: npt.ArrayLike, mean: npt.ArrayLike = 0.0, sigma: npt.ArrayLike = 1.0) -> FloatArray:
    """ROOT's ``TMath::Landau(x, mean, sigma, norm=false)``: ``landau_pdf((x - mean)/sigma)``.

    ``mean`` is the location parameter of ROOT (the most probable value is near
    ``mean - 0.22278*sigma``).  As in ROOT the result is *not* divided by ``sigma`` and it is 0
    where ``sigma <= 0``.  Arguments broadcast against each other.

    Example:
        >>> float(landau(0.5, 0.0, 2.0)) == float(landau_pdf(0.25))
        True
        >>> float(landau(1.0, 0.0, -1.0))
        0.0
    """
    xa, ma, sa = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64),
        np.asarray(mean, dtype=np.float64),
        np.asarray(sigma, dtype=np.float64),
    )
    good = sa > 0.0
    with np.errstate(all="ignore"):
        v = np.where(good, (xa - ma) / np.where(good, sa, 1.0), 0.0)
    return np.where(good, landau_pdf(v), 0.0)


def landau_cdf(v: npt.ArrayLike) -> FloatArray:
    """Standard Landau distribution function (CERNLIB ``DISLAN``, ROOT ``ROOT::Math::landau_cdf(v)``).

    Vectorised over arrays of any shape; a scalar argument gives a 0-d array.

    Example:
        >>> float(landau_cdf(0.0))
        0.2868328584
        >>> landau_cdf([-1.0, 1.0, 1e6]).round(6).tolist()
        [0.113615, 0.451018, 0.999999]
    """
    x = np.asarray(v, dtype=np.float64)
    return _piecewise(x, _DIS_EDGES, _DIS_PIECES)
