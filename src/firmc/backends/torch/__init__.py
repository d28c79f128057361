"""The ``torch`` target: a standalone PyTorch module (float64 or float32, any device, ``torch.compile``-able)
with the analytic gradient and ``nll_grad_autodiff`` (torch.autograd) side by side.

Example:
    >>> BACKEND.name, BACKEND.requires
    ('torch', ('torch',))
"""

from __future__ import annotations

from pathlib import Path

from ..pysource import COMMON_PRELUDE, PythonBackend
from ..pysource.dialects import TORCH

BACKEND = PythonBackend(TORCH, [COMMON_PRELUDE, Path(__file__).with_name("prelude.py")], ("torch",))
