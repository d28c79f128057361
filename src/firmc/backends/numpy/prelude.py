"""Helpers of every generated NumPy module: the text below the marker is copied into it verbatim.

Example:
    >>> float(_datasum(np.array([1.0, 2.0]), 2, None))
    3.0
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
import math

import numpy as np

PARAMETERS: dict[str, dict[str, float]] = {}  # defined by each generated module

# --- firmc: generated modules start here ---
def _parameters(params, like=None):
    """Defaults completed by ``params`` (unknown names are an error), as float64 scalars."""
    p = {name: spec["value"] for name, spec in PARAMETERS.items()}
    for name, v in (params or {}).items():
        if name not in p:
            raise KeyError(f"unknown parameter {name!r}; the parameters are {sorted(p)}")
        p[name] = v
    return {name: np.float64(v) for name, v in p.items()}


def _column(data, name):
    if name not in data:
        raise KeyError(f"no values given for observable {name!r}")
    return np.asarray(data[name], dtype=float)


def _weights(weights):
    return None if weights is None else np.asarray(weights, dtype=float)


def _datasum(v, n, w):
    """Weighted sum over the last axis (the events); a value without it counts once per event."""
    v = np.asarray(v)
    if not v.ndim:  # the same for every event: times the (weighted) count
        return v * (n if w is None else np.sum(w, axis=-1))
    v = np.broadcast_to(v, (*v.shape[:-1], n))
    return np.sum(v if w is None else v * w, axis=-1)


def _integrate(v, w):
    """The quadrature sum over the last axis (the abscissae of the rule whose weights are ``w``)."""
    return _datasum(v, w.shape[-1], w)


def _complex(re, im):
    """re + i im without arithmetic (a + 1j*b turns complex(0, inf) into nan+infj)."""
    re, im = np.broadcast_arrays(np.asarray(re, dtype=float), np.asarray(im, dtype=float))
    out = np.empty(re.shape, dtype=complex)
    out.real, out.imag = re, im
    return out


def _pow(a, b):
    """C99 pow (NumPy computes x**0.5 as sqrt(x), which differs at -inf and -0.0)."""
    out = np.power(a, b)
    if np.isrealobj(a) and np.isrealobj(b) and np.any(np.equal(b, 0.5)):
        out = np.where(np.equal(b, 0.5) & ((a == 0.0) | (a == -math.inf)), np.abs(a), out)
    return out


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) as max + log1p(exp(min - max)), the form that vectorises (np.logaddexp runs a scalar loop:
    2.4x slower).
    Two -inf give -inf; two +inf give NaN here (+inf in the interpreter): an infinite log-density twice."""
    m = np.maximum(a, b)
    return m + np.log1p(np.exp(np.minimum(a, b) - np.maximum(m, -1.7976931348623157e308)))


def _approx_eq(a, b):
    """Equal to within 4 units in the last place of the larger magnitude (HS3 ``==``)."""
    scale = np.maximum(np.abs(a), np.abs(b))
    return (a == b) | (np.abs(a - b) <= 4.0 * np.spacing(scale))


def _symmetric(upper, n):
    """The symmetric matrix whose upper triangle, row by row, is ``upper``."""
    h = np.zeros((n, n))
    h[np.triu_indices(n)] = upper
    return h + np.triu(h, 1).T


_quiet = np.errstate(all="ignore")  # IEEE semantics, as the interpreter: NaN and Inf propagate silently
