"""RooFit as the fitter: ``fitTo`` on the RooWorkspace that the roofit target generates.

Example:
    >>> roofit_fit.__name__
    'roofit_fit'
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from ..compiler import Compiled, compile
from ..errors import FirmError, UnknownName
from .result import FitResult

HESSE_SOURCE = "RooFit HESSE (fitTo)"


def _roofit(compiled: Compiled) -> Compiled:
    if compiled.target == "roofit":
        return compiled
    obs = compiled.observables if compiled.entry.kind != "likelihood" else None
    return compile(compiled.module, "roofit", compiled.entry.name, obs, compiled.optimize)


def roofit_fit(compiled: Compiled, data: Mapping[str, Any], params: Mapping[str, float] | None = None,
               fixed: Collection[str] = (), hesse: bool = True, *, weights: Any = None, backend: str = "cpu",
               strategy: int = 1) -> FitResult:
    """Fit ``compiled``'s entry (any target: the same entry is compiled for the roofit target) to ``data`` with
    RooFit's ``fitTo`` on the generated workspace (``EvalBackend(backend)``, MIGRAD, then HESSE unless
    ``hesse=False``; extended where the entry is). ``params`` are the starting values, ``fixed`` parameters
    held there. RooFit reports no call counts: ``calls`` and ``grad_calls`` are 0; ``minuit`` is the
    ``RooFitResult``.

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> x = np.random.default_rng(7).normal(1.0, 1.5, 2000)
        >>> r = roofit_fit(f, {"x": x}, {"f": 0.9}, fixed=["c"])
        >>> r.valid, r.floating
        (True, ('f', 'mu', 'sigma'))
    """
    import ROOT

    c = _roofit(compiled)
    ev: Any = c.evaluator
    w, pdf = ev.w, ev.objects[0]
    start = {**c.inputs({o: np.zeros(1) for o in c.observables}), **(params or {})}
    for k in [*(params or {}), *fixed]:
        if k not in c.parameters:
            raise UnknownName("parameter", k, c.parameters)
    for p in c.program.parameters:
        v = w.var(p)
        v.setVal(float(start[p]))
        v.setConstant(bool(c.parameters[p].const or p in fixed))
    events = c.inputs(dict(data))
    missing = [o for o in c.observables if o not in data]
    if missing:
        raise FirmError(f"the data have no column for the observable '{missing[0]}'")
    dataset = ev.dataset([np.atleast_1d(np.asarray(events[o], dtype=float)) for o in c.observables], weights)
    opts = [ROOT.RooFit.Save(True), ROOT.RooFit.EvalBackend(backend), ROOT.RooFit.PrintLevel(-1),
            ROOT.RooFit.Hesse(hesse), ROOT.RooFit.Strategy(strategy),
            ROOT.RooFit.Extended("expected" in c.program.outputs)]
    if weights is not None:
        opts.append(ROOT.RooFit.SumW2Error(False))
    quiet = ROOT.RooHelpers.LocalChangeMsgLevel(ROOT.RooFit.WARNING)  # fitTo's INFO lines
    t0 = time.perf_counter()
    res = pdf.fitTo(dataset, *opts)
    seconds = time.perf_counter() - t0
    del quiet
    floating = tuple(v.GetName() for v in res.floatParsFinal())
    values = {p: float(w.var(p).getVal()) for p in c.program.parameters}
    errors = dict.fromkeys(values, 0.0)
    errors.update({v.GetName(): float(v.getError()) for v in res.floatParsFinal()})
    cov = res.covarianceMatrix()
    matrix = np.array([[cov(i, j) for j in range(len(floating))] for i in range(len(floating))])
    valid = res.status() == 0 and res.covQual() == 3
    return FitResult(values, errors, matrix, floating, float(res.minNll()), bool(valid), float(res.edm()), 0, 0,
                     seconds, HESSE_SOURCE if hesse else "migrad", 0, res)
