"""The ``jax`` target: a standalone JAX module whose functions ``jit``, ``vmap`` and differentiate; it has the
analytic gradient and ``nll_grad_autodiff`` (JAX's reverse mode) side by side.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('jax', ('jax',))
"""

from __future__ import annotations

from pathlib import Path

from ..pysource import PythonBackend
from ..pysource.dialects import JAX

BACKEND = PythonBackend(JAX, Path(__file__).with_name("prelude.py"), ("jax",))
