"""HS3 front-end: the spec, ROOT's and pyhs3's dialects.

Example:
    >>> m = load_hs3({"metadata": {"hs3_version": "0.2"}})
    >>> m.format
    'hs3'
"""

from .loader import load_hs3

__all__ = ["load_hs3"]
