"""The ``numpy`` target: a standalone NumPy module (SciPy's ``special`` only where the model needs erf, the
gamma family or the Faddeeva function).

Example:
    >>> BACKEND.name, BACKEND.requires
    ('numpy', ('numpy',))
"""

from __future__ import annotations

from pathlib import Path

from ..pysource import ARRAY_PRELUDE, COMMON_PRELUDE, PythonBackend
from ..pysource.dialects import NUMPY

PRELUDES = [COMMON_PRELUDE, Path(__file__).with_name("prelude.py"), ARRAY_PRELUDE]
BACKEND = PythonBackend(NUMPY, PRELUDES, ("numpy",))
