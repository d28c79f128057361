"""firmc: compile published research models (HS3, pyhf, amplitude JSON) into fast, verified code.

The public API (DESIGN.md "Public API")::

    mod = firmc.load("model.json")               # format detected from the content
    f = firmc.compile(mod, target="interp", entry="model", observables=["x"])
    f({"x": xs, "mu": 0.3})                      # values; parameters not given take their defaults
    f.nll({"x": xs}, {"mu": 0.3}); f.nll_grad(...); f.write("out/")
    firmc.check(mod, targets=["interp"])         # agreement and validation lines

Example:
    >>> import firmc
    >>> sorted(firmc.__all__)[:3]
    ['CheckLine', 'Compiled', 'FirmError']
"""

__version__ = "0.1.0"

from .check import CheckLine, check
from .compiler import Compiled, compile
from .errors import FirmError
from .frontends import load
from .ir import Module

__all__ = ["CheckLine", "Compiled", "FirmError", "Module", "__version__", "check", "compile", "load"]
