"""Helpers of every generated JAX module: the text below the marker is copied into it verbatim.

Everything here traces: the functions of a generated module can be ``jax.jit``-ed, ``jax.vmap``-ed and
differentiated. Precision follows JAX's setting (float64 with ``jax.config.update("jax_enable_x64", True)``).

Example:
    >>> bool(_approx_eq(jnp.asarray(1.0), jnp.asarray(1.0) + 1e-5))
    False
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
import math

import jax
import jax.numpy as jnp

FREE: tuple[str, ...] = ()  # these names are defined by each generated module


def nll(data, params=None, weights=None): ...


def _given(params): ...  # pysource/common_prelude.py


# --- firmc: generated modules start here ---
xp = jnp  # the array namespace of the shared helpers (pysource/array_prelude.py)


def _float():
    return jnp.result_type(float)  # float64 when x64 is enabled, else float32


def _parameters(params, like=None):
    """Every parameter (:func:`_given`) as JAX scalars."""
    return {name: jnp.asarray(v, dtype=_float()) for name, v in _given(params).items()}


def _column(data, name):
    if name not in data:
        raise KeyError(f"no values given for observable {name!r}")
    return jnp.asarray(data[name], dtype=_float())


def _weights(weights):
    return None if weights is None else jnp.asarray(weights, dtype=_float())


def _complex(re, im):
    """re + i im without arithmetic (a + 1j*b turns complex(0, inf) into nan+infj)."""
    re, im = jnp.broadcast_arrays(jnp.asarray(re, dtype=_float()), jnp.asarray(im, dtype=_float()))
    return jax.lax.complex(re, im)


def _pow(a, b):
    """C99 pow."""
    return jnp.power(a, b)


def _approx_eq(a, b):
    """Equal to within 4 units in the last place of the larger magnitude (HS3 ``==``)."""
    scale = jnp.maximum(jnp.abs(a), jnp.abs(b))
    return (a == b) | (jnp.abs(a - b) <= 4.0 * (jnp.nextafter(scale, math.inf) - scale))


def _symmetric(upper, n):
    """The symmetric matrix whose upper triangle, row by row, is ``upper``."""
    rows, cols = jnp.triu_indices(n)
    h = jnp.zeros((n, n), dtype=_float()).at[rows, cols].set(jnp.stack(upper))
    return h + jnp.triu(h, 1).T


def nll_grad_autodiff(data, params=None, weights=None):
    """The NLL and its gradient over FREE by JAX's reverse-mode autodiff (``nll_grad`` is the analytic one)."""
    p = _parameters(params)
    value, grad = jax.value_and_grad(lambda q: nll(data, {**p, **q}, weights))({k: p[k] for k in FREE})
    return value, grad
