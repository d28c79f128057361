"""Helpers of every generated NumPy module: the text below the marker is copied into it verbatim.

Example:
    >>> _complex(1.0, np.inf)
    array(1.+infj)
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
import math

import numpy as np


def _given(params): ...  # pysource/common_prelude.py


# --- firmc: generated modules start here ---
xp = np  # the array namespace of the shared helpers (pysource/array_prelude.py)


def _parameters(params, like=None):
    """Every parameter (:func:`_given`) as float64 scalars."""
    return {name: np.float64(v) for name, v in _given(params).items()}


def _column(data, name):
    if name not in data:
        raise KeyError(f"no values given for observable {name!r}")
    return np.asarray(data[name], dtype=float)


def _weights(weights):
    return None if weights is None else np.asarray(weights, dtype=float)


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
