"""Writers: a :class:`~firmc.ir.Module` back to a model format (HS3 JSON, spec or ROOT dialect).

Example:
    >>> from firmc.ir import Entry, Module, param
    >>> m = Module(entries={"f": Entry("f", "function", param("a") * 2.0)})
    >>> write_hs3(m, "root")["functions"][0]["expression"]
    'a*2.0'
"""

from .hs3 import Dialect, Foreign, write_hs3

__all__ = ["Dialect", "Foreign", "write_hs3"]
