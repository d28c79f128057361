"""Plugins for existing fitters: iminuit (:func:`cost`, :func:`fit`), scipy.optimize (:func:`minimize`), all
with the compiled analytic gradient, the model's starting values and bounds, and const parameters fixed; and
RooFit's ``fitTo`` on the roofit target's workspace (:func:`roofit_fit`).
See docs/fit.md.

iminuit and scipy are imported when a fit runs, not with this package.

Example:
    >>> import numpy as np, firmc, firmc.fit
    >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model", derivatives=2)
    >>> rng = np.random.default_rng(7)
    >>> x = np.concatenate([rng.normal(1.0, 1.5, 1000), rng.uniform(-10, 10, 1000)])
    >>> r = firmc.fit.fit(f, {"x": x}, fixed=["c"])
    >>> r.valid, r.hesse
    (True, 'analytic')
"""

from .cost import Cost, cost
from .minuit import fit
from .newton import newton_fit
from .optimize import minimize
from .result import FitResult
from .roofit import roofit_fit

__all__ = ["Cost", "FitResult", "cost", "fit", "minimize", "newton_fit", "roofit_fit"]
