"""Vectorised, globally adaptive Gauss–Kronrod quadrature in one and two dimensions.

Used by the reference interpreter for normalisation integrals, where the integrand is usually a
model density evaluated for many parameter points (or events) at once.  The integrand therefore
receives *all* abscissae of a refinement round in a single call and may return leading batch
dimensions: ``f(x)`` with ``x.shape == (P,)`` returns an array of shape ``(..., P)``.

Algorithm (per dimension the 21-point Kronrod extension of the 10-point Gauss rule):

* every cell carries a Kronrod estimate and an error estimate; the error estimate is the
  QUADPACK one (``|K - G|`` sharpened by ``resasc * min(1, (200 |K - G| / resasc)**1.5)`` and
  bounded below by ``50 eps`` times the integral of ``|f|``, the attainable round-off level);
* the global error (sum over cells, per batch element) is compared with
  ``max(atol, rtol * |value|)``; while it is too large, the cells with the largest error
  (scaled by each batch element's tolerance, maximum over the batch) are bisected -- as many as
  needed so that the error left in the cells *not* refined is below one eighth of the tolerance
  (the strategy of ``scipy.integrate.quad_vec``), all of them in one call of ``f``;
* cells whose error is already at the round-off floor, or which are too narrow to bisect, are not
  refined again; if the tolerance cannot be met (round-off, cell budget exhausted) the best
  estimate is returned with ``converged=False`` and the error estimate -- nothing is raised.

Infinite bounds in 1-D are mapped to a finite interval: ``x = a + t/(1 - t)`` on ``[0, 1)``,
``x = b - t/(1 - t)`` on ``[0, 1)`` and ``x = t/(1 - t**2)`` on ``(-1, 1)``.

Like every quadrature based on point evaluations, a feature much narrower than the initial cell
that falls between all abscissae (for instance a very narrow Gaussian away from the centre of a
wide range) can be missed; bracket it with ``points`` (1-D) or split the domain.  The number of
cells refined per round is also capped so that one integrand call sees at most about 1.7e7
values (abscissae times batch size).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

__all__ = ["QuadResult", "integrate_1d", "integrate_2d"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

Integrand1D = Callable[[FloatArray], npt.ArrayLike]
Integrand2D = Callable[[FloatArray, FloatArray], npt.ArrayLike]

_EPS = float(np.finfo(np.float64).eps)
# Upper bound on (abscissae x batch size) of one integrand call; limits the cells refined per round
# so that large batches cannot exhaust memory (at least one cell is always refined).
_MAX_VALUES_PER_CALL = 1 << 24

# Gauss–Kronrod G10/K21 on [-1, 1] (QUADPACK QK21); verified to integrate x**k exactly up to k = 31.
_XGK_HALF = (
    0.995657163025808080735527280689003,
    0.973906528517171720077964012084452,
    0.930157491355708226001207180059508,
    0.865063366688984510732096688423493,
    0.780817726586416897063717578345042,
    0.679409568299024406234327365114874,
    0.562757134668604683339000099272694,
    0.433395394129247190799265943165784,
    0.294392862701460198131126603103866,
    0.148874338981631210884826001129720,
    0.0,
)
_WGK_HALF = (
    0.011694638867371874278064396062192,
    0.032558162307964727478818972459390,
    0.054755896574351996031381300244580,
    0.075039674810919952767043140916190,
    0.093125454583697605535065465083366,
    0.109387158802297641899210590325805,
    0.123491976262065851077958109831074,
    0.134709217311473325928054001771707,
    0.142775938577060080797094273138717,
    0.147739104901338491374841515972068,
    0.149445554002916905664936468389821,
)
# Gauss weights of the nodes _XGK_HALF[1], [3], ..., [9].
_WG_HALF = (
    0.066671344308688137593568809893332,
    0.149451349150580593145776339657697,
    0.219086362515982043995534934228163,
    0.269266719309996355091226921569469,
    0.295524224714752870173892994651338,
)


def _full_rule() -> tuple[FloatArray, FloatArray, FloatArray]:
    half_x = np.array(_XGK_HALF)
    half_wk = np.array(_WGK_HALF)
    half_wg = np.zeros(11)
    half_wg[1:10:2] = _WG_HALF
    nodes = np.concatenate([-half_x[:10], half_x[::-1]])
    wk = np.concatenate([half_wk[:10], half_wk[::-1]])
    wg = np.concatenate([half_wg[:10], half_wg[::-1]])
    return nodes, wk, wg


_NODES, _WK, _WG = _full_rule()
_NPT = _NODES.size  # 21


@dataclass(frozen=True, eq=False)
class QuadResult:
    """Outcome of an adaptive integration.

    ``value`` and ``error`` have the batch shape of the integrand (a 0-d array when it has none),
    ``converged`` is true when ``error <= max(atol, rtol*|value|)`` for every batch element and
    ``evaluations`` counts the abscissae at which the integrand was evaluated (each abscissa
    counts once, whatever the batch size).  ``rule`` is the final Kronrod rule as arrays
    ``(x, w)`` (1-D) or ``(x, y, w)`` (2-D): ``sum(f(x) * w)`` reproduces ``value`` -- a fixed
    rule adapted to this integrand, which generated code reuses at nearby parameters.

    Example:
        >>> r = integrate_1d(lambda x: 3.0 * x**2, 0.0, 1.0)
        >>> (round(float(r.value), 12), r.converged, r.evaluations)
        (1.0, True, 21)
        >>> x, w = r.rule
        >>> round(float(np.sum(3.0 * x**2 * w)), 12)
        1.0
    """

    value: FloatArray
    error: FloatArray
    converged: bool
    evaluations: int
    rule: tuple[FloatArray, ...] = ()


# ---------------------------------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------------------------------


def _as_batch(y_raw: npt.ArrayLike, npoints: int, batch: tuple[int, ...] | None) -> FloatArray:
    """Check the integrand's output and reshape it to ``(nbatch, npoints)``."""
    y = np.asarray(y_raw, dtype=np.float64)
    if y.ndim == 0:
        y = np.broadcast_to(y, (npoints,))
    if y.shape[-1] != npoints:
        raise ValueError(
            f"integrand returned shape {y.shape}; expected (..., {npoints}) for {npoints} points"
        )
    if batch is not None and y.shape[:-1] != batch:
        raise ValueError(f"integrand batch shape changed from {batch} to {y.shape[:-1]}")
    return y.reshape(-1, npoints)


def _sharpen(raw: FloatArray, resasc: FloatArray) -> FloatArray:
    """QUADPACK's error heuristic ``resasc * min(1, (200*raw/resasc)**1.5)``."""
    with np.errstate(all="ignore"):
        scaled = resasc * np.minimum(1.0, (200.0 * raw / resasc) ** 1.5)
    use = (resasc != 0.0) & (raw != 0.0) & np.isfinite(scaled)
    return np.where(use, scaled, raw)


def _tolerance(value: FloatArray, rtol: float, atol: float) -> FloatArray:
    return np.maximum(atol, rtol * np.abs(value))


def _scaled(err: FloatArray, tol: FloatArray) -> FloatArray:
    """``err / tol`` per batch element, with 0/0 -> 0 and NaN -> inf (refine NaN cells first)."""
    with np.errstate(all="ignore"):
        s = err / tol[:, None]
    s = np.where(err == 0.0, 0.0, s)
    return np.where(np.isnan(s), np.inf, s)


def _plan(
    value: FloatArray,
    err: FloatArray,
    *,
    floor_bound: BoolArray,
    blocked: BoolArray,
    rtol: float,
    atol: float,
    budget: int,
) -> tuple[bool, IntArray]:
    """Decide which cells to bisect.

    ``value``/``err``: per batch element and cell, shape ``(nbatch, ncells)``; ``floor_bound``
    marks (batch, cell) entries whose error is at the round-off floor, ``blocked`` cells that
    cannot be bisected.  Returns ``(converged, cells_to_split)``; an empty selection means stop.
    """
    total = value.sum(axis=1)
    etotal = err.sum(axis=1)
    tol = _tolerance(total, rtol, atol)
    done = np.isfinite(total) & np.isfinite(etotal) & (etotal <= tol)
    nothing = np.empty(0, dtype=np.intp)
    if bool(done.all()):
        return True, nothing
    if budget <= 0:
        return False, nothing
    s = _scaled(err, tol)
    frozen = floor_bound | blocked[None, :]
    stuck = np.where(frozen, s, 0.0).sum(axis=1)  # error that refinement cannot remove
    active = ~done & (stuck < 1.0)
    if not bool(active.any()):
        return False, nothing
    s_free = np.where(frozen, 0.0, s)[active]
    priority = s_free.max(axis=0)
    candidates = np.flatnonzero(priority > 0.0)
    if candidates.size == 0:
        return False, nothing
    order = candidates[np.argsort(-priority[candidates], kind="stable")]
    ranked = s_free[:, order]
    # tail[:, k]: error left in the candidates ranked k, k+1, ... (i.e. not refined if k are split)
    tail = np.concatenate(
        [np.cumsum(ranked[:, ::-1], axis=1)[:, ::-1], np.zeros((ranked.shape[0], 1))], axis=1
    )
    target = (1.0 - stuck[active]) / 8.0
    enough = np.all(tail <= target[:, None], axis=0)  # always true for the last column
    nsplit = max(1, int(np.argmax(enough)))
    return False, order[: min(nsplit, budget)]


def _result(
    value: FloatArray,
    err: FloatArray,
    *,
    sign: float,
    batch: tuple[int, ...],
    converged: bool,
    evaluations: int,
) -> QuadResult:
    with np.errstate(all="ignore"):
        total = np.asarray(sign * value.sum(axis=1), dtype=np.float64).reshape(batch)
        etotal = np.asarray(err.sum(axis=1), dtype=np.float64).reshape(batch)
    return QuadResult(total, etotal, converged, evaluations)


def _per_call(points_per_cell: int, nbatch: int) -> int:
    """Most cells that may be bisected in one round (two children each)."""
    return max(1, _MAX_VALUES_PER_CALL // (2 * points_per_cell * max(nbatch, 1)))


def _too_narrow(lo: FloatArray, hi: FloatArray) -> BoolArray:
    mid = 0.5 * (lo + hi)
    scale = np.maximum(np.abs(lo), np.abs(hi))
    narrow: BoolArray = (mid <= lo) | (mid >= hi) | (hi - lo <= 128.0 * _EPS * scale)
    return narrow


# ---------------------------------------------------------------------------------------------------
# one dimension
# ---------------------------------------------------------------------------------------------------

_Map = Callable[[FloatArray], tuple[FloatArray, FloatArray | None]]


def _identity(t: FloatArray) -> tuple[FloatArray, FloatArray | None]:
    return t, None


def _substitution(lo: float, hi: float) -> tuple[float, float, _Map, Callable[[float], float]]:
    """Integration range in ``t``, the map ``t -> (x, dx/dt)`` and its inverse ``x -> t``."""
    if np.isfinite(lo) and np.isfinite(hi):
        return lo, hi, _identity, lambda x: x
    if np.isfinite(lo):  # [lo, +inf): x = lo + t/(1 - t)

        def upper(t: FloatArray) -> tuple[FloatArray, FloatArray | None]:
            r = 1.0 / (1.0 - t)
            return lo + t * r, r * r

        return 0.0, 1.0, upper, lambda x: (x - lo) / (1.0 + (x - lo))
    if np.isfinite(hi):  # (-inf, hi]: x = hi - t/(1 - t)

        def lower(t: FloatArray) -> tuple[FloatArray, FloatArray | None]:
            r = 1.0 / (1.0 - t)
            return hi - t * r, r * r

        return 0.0, 1.0, lower, lambda x: (hi - x) / (1.0 + (hi - x))

    def both(t: FloatArray) -> tuple[FloatArray, FloatArray | None]:  # x = t/(1 - t^2)
        r = 1.0 / (1.0 - t * t)
        return t * r, (1.0 + t * t) * r * r

    return -1.0, 1.0, both, lambda x: 2.0 * x / (1.0 + float(np.sqrt(1.0 + 4.0 * x * x)))


@dataclass
class _Cells1D:
    lo: FloatArray
    hi: FloatArray
    value: FloatArray  # (nbatch, ncells)
    err: FloatArray
    floor_bound: BoolArray


def _gk21_1d(
    f: Integrand1D, lo: FloatArray, hi: FloatArray, xmap: _Map, batch: tuple[int, ...] | None
) -> tuple[_Cells1D, tuple[int, ...]]:
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo)
    t = centre[:, None] + half[:, None] * _NODES[None, :]
    x, jac = xmap(t)
    npoints = x.size
    y_raw = np.asarray(f(np.ascontiguousarray(x.reshape(-1))), dtype=np.float64)
    out_batch = y_raw.shape[:-1] if y_raw.ndim > 0 else ()
    y = _as_batch(y_raw, npoints, batch).reshape(-1, lo.size, _NPT)
    with np.errstate(all="ignore"):  # inf/NaN from the integrand propagate into the estimates
        if jac is not None:
            y = y * jac[None, :, :]
        resk = half * (y @ _WK)
        resg = half * (y @ _WG)
        resabs = half * (np.abs(y) @ _WK)
        mean = 0.5 * resk / half
        resasc = half * (np.abs(y - mean[:, :, None]) @ _WK)
        raw = _sharpen(np.abs(resk - resg), resasc)
        floor = 50.0 * _EPS * resabs
    cells = _Cells1D(lo, hi, resk, np.maximum(raw, floor), raw <= floor)
    return cells, out_batch


def integrate_1d(
    f: Integrand1D,
    lo: float,
    hi: float,
    *,
    rtol: float = 1e-11,
    atol: float = 0.0,
    max_intervals: int = 2000,
    points: Sequence[float] = (),
) -> QuadResult:
    """Integrate ``f`` over ``[lo, hi]`` (bounds may be infinite) with adaptive G10/K21.

    ``f`` receives a 1-D array of abscissae of shape ``(P,)`` and returns an array of shape
    ``(..., P)``; the leading (batch) dimensions become the shape of ``value``.  Each refinement
    round calls ``f`` exactly once with all the new abscissae.  The iteration stops when the
    estimated error is at most ``max(atol, rtol*|value|)`` for every batch element, or when
    ``max_intervals`` subintervals are in use, or when round-off prevents further progress; the
    last two cases give ``converged=False`` (never an exception).  ``points`` are abscissae
    strictly inside the range that become initial subdivision points: kinks, discontinuities,
    or a bracket around a narrow peak (Gauss–Kronrod nodes are interior, so a peak sitting
    exactly on a subdivision point is not sampled any better).  ``hi < lo`` gives the negated
    integral over ``[hi, lo]``.

    Example:
        >>> r = integrate_1d(lambda x: np.exp(-0.5 * x**2), -np.inf, np.inf)
        >>> bool(abs(r.value - np.sqrt(2 * np.pi)) < 1e-13), r.converged
        (True, True)
        >>> widths = np.array([1.0, 2.0])
        >>> r = integrate_1d(lambda x: np.exp(-0.5 * (x / widths[:, None]) ** 2), -40.0, 40.0)
        >>> (r.value / np.sqrt(2 * np.pi)).round(12).tolist()
        [1.0, 2.0]
    """
    _check_controls(rtol, atol, max_intervals, "max_intervals")
    lo_f, hi_f = float(lo), float(hi)
    if np.isnan(lo_f) or np.isnan(hi_f):
        raise ValueError("integration bounds must not be NaN")
    sign = 1.0
    if hi_f < lo_f:
        lo_f, hi_f, sign = hi_f, lo_f, -1.0
    if lo_f == hi_f:
        zero = np.zeros(_shape_of(f, lo_f))
        return QuadResult(zero, zero.copy(), True, 1, (np.array([lo_f]), np.zeros(1)))

    t_lo, t_hi, xmap, inverse = _substitution(lo_f, hi_f)
    inner = sorted({float(p) for p in points})
    for p in inner:
        if not lo_f < p < hi_f:
            raise ValueError(f"break point {p} is not inside ({lo_f}, {hi_f})")
    knots = np.array([t_lo, *(inverse(p) for p in inner), t_hi])
    knots = np.unique(knots)

    cells, batch = _gk21_1d(f, knots[:-1], knots[1:], xmap, None)
    evaluations = _NPT * (knots.size - 1)
    converged = False
    while True:
        budget = min(max_intervals - cells.lo.size, _per_call(_NPT, cells.value.shape[0]))
        blocked = _too_narrow(cells.lo, cells.hi)
        converged, split = _plan(
            cells.value,
            cells.err,
            floor_bound=cells.floor_bound,
            blocked=blocked,
            rtol=rtol,
            atol=atol,
            budget=budget,
        )
        if split.size == 0:
            break
        mid = 0.5 * (cells.lo[split] + cells.hi[split])
        new, _ = _gk21_1d(
            f,
            np.concatenate([cells.lo[split], mid]),
            np.concatenate([mid, cells.hi[split]]),
            xmap,
            batch,
        )
        evaluations += _NPT * new.lo.size
        keep = np.ones(cells.lo.size, dtype=bool)
        keep[split] = False
        cells = _Cells1D(
            np.concatenate([cells.lo[keep], new.lo]),
            np.concatenate([cells.hi[keep], new.hi]),
            np.concatenate([cells.value[:, keep], new.value], axis=1),
            np.concatenate([cells.err[:, keep], new.err], axis=1),
            np.concatenate([cells.floor_bound[:, keep], new.floor_bound], axis=1),
        )
    res = _result(cells.value, cells.err, sign=sign, batch=batch, converged=converged, evaluations=evaluations)
    return replace(res, rule=_rule_1d(cells.lo, cells.hi, xmap, sign))


def _rule_1d(lo: FloatArray, hi: FloatArray, xmap: _Map, sign: float) -> tuple[FloatArray, FloatArray]:
    """Abscissae and weights (Jacobian included) of the Kronrod rule on the cells ``[lo, hi]`` in ``t``."""
    order = np.argsort(lo)
    lo, hi = lo[order], hi[order]
    half = 0.5 * (hi - lo)
    x, jac = xmap((0.5 * (lo + hi))[:, None] + half[:, None] * _NODES[None, :])
    w = sign * half[:, None] * _WK[None, :] * (1.0 if jac is None else jac)
    return x.reshape(-1), w.reshape(-1)


def _shape_of(f: Integrand1D, x0: float) -> tuple[int, ...]:
    y = np.asarray(f(np.array([x0 if np.isfinite(x0) else 0.0])))
    return y.shape[:-1] if y.ndim > 0 else ()


def _check_controls(rtol: float, atol: float, budget: int, name: str) -> None:
    if not (rtol >= 0.0 and atol >= 0.0):
        raise ValueError("rtol and atol must be non-negative")
    if budget < 1:
        raise ValueError(f"{name} must be at least 1")


# ---------------------------------------------------------------------------------------------------
# two dimensions
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Cells2D:
    x0: FloatArray
    x1: FloatArray
    y0: FloatArray
    y1: FloatArray
    value: FloatArray  # (nbatch, ncells)
    err: FloatArray
    err_x: FloatArray
    err_y: FloatArray
    floor_bound: BoolArray

    def select(self, keep: BoolArray | IntArray) -> _Cells2D:
        return _Cells2D(self.x0[keep], self.x1[keep], self.y0[keep], self.y1[keep], self.value[:, keep],
                        self.err[:, keep], self.err_x[:, keep], self.err_y[:, keep], self.floor_bound[:, keep])

    def join(self, other: _Cells2D) -> _Cells2D:
        def cat(a: FloatArray, b: FloatArray) -> FloatArray:
            return np.concatenate([a, b], axis=-1)

        return _Cells2D(
            cat(self.x0, other.x0),
            cat(self.x1, other.x1),
            cat(self.y0, other.y0),
            cat(self.y1, other.y1),
            cat(self.value, other.value),
            cat(self.err, other.err),
            cat(self.err_x, other.err_x),
            cat(self.err_y, other.err_y),
            np.concatenate([self.floor_bound, other.floor_bound], axis=-1),
        )


def _gk21_2d(
    f: Integrand2D,
    box: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    batch: tuple[int, ...] | None,
) -> tuple[_Cells2D, tuple[int, ...]]:
    x0, x1, y0, y1 = box
    ncell = x0.size
    cx, hx = 0.5 * (x0 + x1), 0.5 * (x1 - x0)
    cy, hy = 0.5 * (y0 + y1), 0.5 * (y1 - y0)
    gx = np.broadcast_to((cx[:, None] + hx[:, None] * _NODES)[:, :, None], (ncell, _NPT, _NPT))
    gy = np.broadcast_to((cy[:, None] + hy[:, None] * _NODES)[:, None, :], (ncell, _NPT, _NPT))
    npoints = gx.size
    y_raw = np.asarray(f(gx.reshape(-1), gy.reshape(-1)), dtype=np.float64)
    out_batch = y_raw.shape[:-1] if y_raw.ndim > 0 else ()
    vals = _as_batch(y_raw, npoints, batch).reshape(-1, ncell, _NPT, _NPT)  # [b, cell, ix, iy]
    area = hx * hy
    with np.errstate(all="ignore"):  # inf/NaN from the integrand propagate into the estimates
        inner_k = vals @ _WK  # Kronrod along y -> [b, cell, ix]
        inner_g = vals @ _WG  # Gauss along y
        kk = area * (inner_k @ _WK)
        gk = area * (inner_k @ _WG)  # Gauss along x, Kronrod along y
        kg = area * (inner_g @ _WK)  # Kronrod along x, Gauss along y
        resabs = area * ((np.abs(vals) @ _WK) @ _WK)
        mean = 0.25 * kk / area
        resasc = area * ((np.abs(vals - mean[:, :, None, None]) @ _WK) @ _WK)
        err_x = _sharpen(np.abs(kk - gk), resasc)
        err_y = _sharpen(np.abs(kk - kg), resasc)
        raw = err_x + err_y
        floor = 50.0 * _EPS * resabs
    cells = _Cells2D(x0, x1, y0, y1, kk, np.maximum(raw, floor), err_x, err_y, raw <= floor)
    return cells, out_batch


def integrate_2d(
    f: Integrand2D,
    lo: Sequence[float],
    hi: Sequence[float],
    *,
    rtol: float = 1e-11,
    atol: float = 0.0,
    max_cells: int = 2000,
) -> QuadResult:
    """Integrate ``f(x, y)`` over the box ``[lo[0], hi[0]] x [lo[1], hi[1]]`` (finite bounds).

    Tensor-product G10/K21 rule (441 points per cell).  The error of a cell is split into an
    ``x`` part (Kronrod minus Gauss along ``x``) and a ``y`` part; the cells with the largest
    error are bisected along the direction with the larger part, all new cells being evaluated
    with one call of ``f``.  ``f`` receives two 1-D arrays of equal length ``P`` and returns an
    array of shape ``(..., P)``.  Stopping rules and the meaning of the result as in
    :func:`integrate_1d` (``max_cells`` bounds the number of cells).  Raises ``ValueError`` for
    infinite or NaN bounds.

    Example:
        >>> r = integrate_2d(lambda x, y: np.exp(-x - y), (0.0, 0.0), (1.0, 2.0))
        >>> bool(abs(r.value - (1 - np.exp(-1)) * (1 - np.exp(-2))) < 1e-14), r.evaluations
        (True, 441)
    """
    _check_controls(rtol, atol, max_cells, "max_cells")
    if len(lo) != 2 or len(hi) != 2:
        raise ValueError("lo and hi must have two entries each")
    bounds = np.array([lo, hi], dtype=np.float64)
    if not np.all(np.isfinite(bounds)):
        raise ValueError("integrate_2d needs finite bounds")
    sign = 1.0
    for axis in range(2):
        if bounds[1, axis] < bounds[0, axis]:
            bounds[:, axis] = bounds[::-1, axis]
            sign = -sign
    (ax, ay), (bx, by) = bounds
    if ax == bx or ay == by:
        y = np.asarray(f(np.array([ax]), np.array([ay])))
        zero = np.zeros(y.shape[:-1] if y.ndim > 0 else ())
        return QuadResult(zero, zero.copy(), True, 1, (np.array([ax]), np.array([ay]), np.zeros(1)))

    def one(v: float) -> FloatArray:
        return np.array([v])

    cells, batch = _gk21_2d(f, (one(ax), one(bx), one(ay), one(by)), None)
    evaluations = _NPT * _NPT
    converged = False
    while True:
        budget = min(max_cells - cells.x0.size, _per_call(_NPT * _NPT, cells.value.shape[0]))
        narrow_x = _too_narrow(cells.x0, cells.x1)
        narrow_y = _too_narrow(cells.y0, cells.y1)
        converged, split = _plan(
            cells.value,
            cells.err,
            floor_bound=cells.floor_bound,
            blocked=narrow_x & narrow_y,
            rtol=rtol,
            atol=atol,
            budget=budget,
        )
        if split.size == 0:
            break
        tol = _tolerance(cells.value.sum(axis=1), rtol, atol)
        sx = _scaled(cells.err_x[:, split], tol).max(axis=0)
        sy = _scaled(cells.err_y[:, split], tol).max(axis=0)
        along_x = ((sx >= sy) & ~narrow_x[split]) | narrow_y[split]
        part = cells.select(split)
        mx = np.where(along_x, 0.5 * (part.x0 + part.x1), part.x1)
        my = np.where(along_x, part.y1, 0.5 * (part.y0 + part.y1))
        # first child: lower half; second child: upper half (along the chosen axis)
        nx0 = np.concatenate([part.x0, np.where(along_x, mx, part.x0)])
        nx1 = np.concatenate([mx, part.x1])
        ny0 = np.concatenate([part.y0, np.where(along_x, part.y0, my)])
        ny1 = np.concatenate([my, part.y1])
        new, _ = _gk21_2d(f, (nx0, nx1, ny0, ny1), batch)
        evaluations += _NPT * _NPT * new.x0.size
        keep = np.ones(cells.x0.size, dtype=bool)
        keep[split] = False
        cells = cells.select(keep).join(new)
    res = _result(cells.value, cells.err, sign=sign, batch=batch, converged=converged, evaluations=evaluations)
    return replace(res, rule=_rule_2d(cells, sign))


def _rule_2d(cells: _Cells2D, sign: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Abscissae and weights of the tensor-product Kronrod rule on the final cells."""
    order = np.lexsort((cells.y0, cells.x0))
    c = cells.select(order)
    hx, hy = 0.5 * (c.x1 - c.x0), 0.5 * (c.y1 - c.y0)
    gx = (0.5 * (c.x0 + c.x1))[:, None] + hx[:, None] * _NODES
    gy = (0.5 * (c.y0 + c.y1))[:, None] + hy[:, None] * _NODES
    n = c.x0.size
    x = np.broadcast_to(gx[:, :, None], (n, _NPT, _NPT)).reshape(-1)
    y = np.broadcast_to(gy[:, None, :], (n, _NPT, _NPT)).reshape(-1)
    w = sign * ((hx * hy)[:, None, None] * _WK[None, :, None] * _WK[None, None, :]).reshape(-1)
    return x, y, w
