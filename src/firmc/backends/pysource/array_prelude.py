"""Helpers shared by the NumPy and JAX modules, written on ``xp`` (each module sets ``xp = np`` or ``xp = jnp``):
the text below the marker is copied into them verbatim, after the target's own prelude.

Example:
    >>> float(_datasum(xp.asarray([1.0, 2.0]), 2, None))
    3.0
    >>> _lookup(xp.asarray([5.0, 6.0, 7.0]), xp.asarray([-1.0, 1.5, 9.0, xp.nan])).tolist()
    [5.0, 6.0, 7.0, 5.0]
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
import numpy as xp


# --- firmc: generated modules start here ---
def _datasum(v, n, w):
    """Weighted sum over the last axis (the events); a value without it counts once per event."""
    v = xp.asarray(v)
    if not v.ndim:  # the same for every event: times the (weighted) count
        return v * (n if w is None else xp.sum(w, axis=-1))
    v = xp.broadcast_to(v, (*v.shape[:-1], n))
    return xp.sum(v if w is None else v * w, axis=-1)


def _integrate(v, w):
    """The quadrature sum over the last axis (the abscissae of the rule whose weights are ``w``)."""
    return _datasum(v, w.shape[-1], w)


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) as max + log1p(exp(min - max)), the form that vectorises (np.logaddexp is a scalar
    loop, 2.4x slower; jnp.logaddexp's NaN select keeps XLA CPU from vectorising, 3x slower).
    Two -inf give -inf; two +inf give NaN here (+inf in the interpreter): an infinite log-density twice."""
    m = xp.maximum(a, b)
    return m + xp.log1p(xp.exp(xp.minimum(a, b) - xp.maximum(m, -1.7976931348623157e308)))


def _index(k, n):
    """choose's position for k among n values, as a float: the floor of k clamped to 0 .. n-1, NaN giving 0."""
    k = xp.asarray(k, dtype=float)
    return xp.where(k >= 1.0, xp.minimum(xp.floor(k), n - 1.0), 0.0)


def _lookup(table, k):
    """``table`` (a 1-d array) read at choose's position for k: one gather per event."""
    return xp.asarray(table)[_index(k, table.shape[0]).astype(int)]


def _table(*values):
    """The 1-d array of scalars (parameters, values computed once per call, constants), dtypes promoted."""
    return xp.stack([xp.asarray(v) for v in values])


def _choose(k, *values):
    """choose with values that vary per event: broadcast, stacked, then gathered at each position."""
    arrays = xp.broadcast_arrays(_index(k, len(values)).astype(int), *(xp.asarray(v) for v in values))
    return xp.take_along_axis(xp.stack(arrays[1:]), arrays[0][None], axis=0)[0]
