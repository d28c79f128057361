"""``firmc.fit.fit``: MIGRAD with the compiled analytic gradient, then the errors: from the analytic Hessian when
the target has analytic derivatives (the covariance of an NLL is the inverse of its Hessian, errordef 1/2: a few
Hessian-vector products, :mod:`firmc.hessian`, instead of HESSE's O(n²) finite-difference calls), else from
iminuit's HESSE.

With the analytic Hessian, Minuit2 is given it too (iminuit's ``hessian=``, and its diagonal as G2 for where it is
not positive definite): MIGRAD's seed and its strategy-1 checks use it instead of finite differences (Gauss+Exp on
1e5 events, llvm: 11 value + 7 gradient + 2 Hessian calls, against 68 + 6 with the gradient alone).

Example:
    >>> import numpy as np, firmc
    >>> m = firmc.load("examples/gauss_exp.hs3.json")
    >>> f = firmc.compile(m, target="interp", entry="model")
    >>> rng = np.random.default_rng(7)
    >>> x = np.concatenate([rng.normal(1.0, 1.5, 1000), rng.uniform(-10, 10, 1000)])
    >>> r = fit(f, {"x": x}, fixed=["c"])
    >>> r.valid, r.hesse, r.floating
    (True, 'analytic', ('f', 'mu', 'sigma'))
    >>> r.values["c"], r.errors["c"]                        # fixed: at its start, no error
    (0.25, 0.0)
    >>> r = fit(f, {"x": x})
    >>> print(f"{r.values['mu']:.3f} +- {r.errors['mu']:.3f}")
    0.834 +- 0.062
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Collection, Mapping
from typing import Any, Literal

import numpy as np

from ..compiler import Compiled
from ..errors import FirmError, UnknownName
from .cost import Cost
from .result import FitResult

Hesse = bool | Literal["analytic", "numerical"]


def fit(compiled: Compiled, data: Mapping[str, Any], params: Mapping[str, float] | None = None,
        fixed: Collection[str] = (), hesse: Hesse = True, *, weights: Any = None,
        limits: Mapping[str, tuple[float, float]] | None = None, strategy: int = 1, tol: float | None = None,
        ncall: int | None = None) -> FitResult:
    """Minimise ``compiled``'s NLL on ``data`` with iminuit's MIGRAD (analytic gradient) and compute the errors.

    ``params``: starting values (default: the model's); ``fixed``: parameters held at their start (const
    parameters of the model always are); ``limits`` overrides the model's bounds. ``hesse``: ``True`` uses the
    analytic Hessian when the target has analytic derivatives and iminuit's HESSE otherwise; ``"analytic"``
    requires the analytic Hessian; ``"numerical"`` always runs HESSE; ``False`` keeps MIGRAD's approximate
    covariance. ``strategy``, ``tol`` and ``ncall`` are MIGRAD's (iminuit defaults: tol 0.1, EDM < 2e-4·errordef).
    With ``weights`` the errors are those of the weighted NLL's curvature (no sum-of-weights-squared correction).

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> fit(f, {"x": np.zeros(10)}, fixed=["tau"])
        Traceback (most recent call last):
        firmc.errors.UnknownName: unknown parameter 'tau'
    """
    from iminuit import Minuit
    from iminuit.warnings import IMinuitWarning

    if hesse not in (True, False, "analytic", "numerical"):
        raise FirmError(f"hesse must be True, False, 'analytic' or 'numerical', not {hesse!r}")
    if hesse == "analytic":
        compiled.require_gradient()
    c = Cost(compiled, data, weights, params)
    for k in [*fixed, *(limits or {})]:
        if k not in c.names:
            raise UnknownName("parameter", k, c.names) if k not in compiled.parameters else \
                FirmError(f"parameter '{k}' is const in the model: it is fixed already")
    t0 = time.perf_counter()
    analytic = c.has_hess and hesse in (True, "analytic")
    m = _migrad(Minuit, IMinuitWarning, c, c.start, analytic, strategy, tol, limits, fixed, ncall)
    if analytic and not m.valid:
        # Minuit2 with the external Hessian can stall where parameters sit at their limits (the limits' transform
        # is singular there: the ATLAS sbottom likelihood, EDM 0.7 after 18 Hessians); MIGRAD again without it,
        # from where it stopped
        m = _migrad(Minuit, IMinuitWarning, c, tuple(m.values), False, strategy, tol, limits, fixed, ncall)
    floating = tuple(k for k in c.names if not m.fixed[k])
    cov, source = _covariance(m, c, floating, hesse)
    seconds = time.perf_counter() - t0
    errors = dict.fromkeys(c.names, 0.0)
    errors.update(zip(floating, np.sqrt(np.diag(cov)).tolist(), strict=True))
    values = {**{k: float(v) for k, v in zip(c.names, m.values, strict=True)}, **c.constants}
    posdef = bool(np.all(np.isfinite(cov))) and _positive_definite(cov)
    return FitResult(values, errors, cov, floating, float(m.fval), bool(m.valid) and posdef, float(m.fmin.edm),
                     int(m.nfcn), int(m.ngrad), seconds, source, int(m.nhessian) + (source == "analytic"), m)


def _migrad(minuit: Any, warning: Any, c: Cost, start: tuple[float, ...], analytic: bool, strategy: int,
            tol: float | None, limits: Mapping[str, tuple[float, float]] | None, fixed: Collection[str],
            ncall: int | None) -> Any:
    """One MIGRAD from ``start`` (given the analytic Hessian when ``analytic``)."""
    with warnings.catch_warnings():  # "hessian overrides g2": not where the Hessian is not positive definite
        warnings.simplefilter("ignore", warning)
        m = minuit(c, *start, grad=c.grad if c.has_grad else False, hessian=c.hess if analytic else False,
                   g2=c.hess_diagonal if analytic else False)
    m.strategy = strategy
    if tol is not None:
        m.tol = tol
    for k, lim in (limits or {}).items():
        m.limits[k] = lim
    for k in fixed:
        m.fixed[k] = True
    m.migrad(ncall=ncall)
    return m


def _covariance(m: Any, c: Cost, floating: tuple[str, ...], hesse: Hesse) -> tuple[np.ndarray, str]:
    """The covariance of the floating parameters and its source (see :data:`firmc.fit.result.HESSE_SOURCES`)."""
    index = [c.names.index(k) for k in floating]
    if hesse in (True, "analytic") and c.has_hess and m.valid:
        h = c.hess(*m.values)[np.ix_(index, index)]
        if _positive_definite(h):  # errordef 1/2: cov = 2 * errordef * inv(H) = inv(H)
            return np.linalg.inv(h) * (2 * c.errordef), "analytic"
    if hesse is not False:
        m.hesse()
        source = "numerical"
    else:
        source = "migrad"
    if m.covariance is None:
        return np.full((len(floating), len(floating)), np.nan), source
    full = np.asarray(m.covariance, dtype=float)
    return full[np.ix_(index, index)], source


def _positive_definite(a: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True
