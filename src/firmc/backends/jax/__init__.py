"""The ``jax`` target: a standalone JAX module whose functions ``jit``, ``vmap`` and differentiate; it has the
analytic gradient and ``nll_grad_autodiff`` (JAX's reverse mode) side by side.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('jax', ('jax',))
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..pysource import ARRAY_PRELUDE, COMMON_PRELUDE, PythonBackend
from ..pysource.dialects import JAX


def float64() -> AbstractContextManager[Any]:
    """JAX's 64-bit mode for the duration of firmc's own evaluations (the generated module leaves JAX's global
    setting to its user).

    Example:
        >>> with float64():
        ...     import jax.numpy as jnp
        ...     jnp.zeros(1).dtype.name
        'float64'
    """
    import jax

    ctx: AbstractContextManager[Any] = jax.enable_x64(True)
    return ctx


PRELUDES = [COMMON_PRELUDE, Path(__file__).with_name("prelude.py"), ARRAY_PRELUDE]
BACKEND = PythonBackend(JAX, PRELUDES, ("jax",), float64)
