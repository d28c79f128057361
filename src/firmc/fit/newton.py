"""``firmc.fit.newton_fit``: the MLE by Newton steps on the compiled analytic gradient and Hessian, errors from the
Hessian at the minimum.

Each iteration: the gradient and the Hessian (a few Hessian-vector products, :mod:`firmc.hessian`), the Newton
step from a Cholesky factorisation (Levenberg damping where the Hessian is not positive definite), a backtracking
line search on the NLL, parameters kept within their limits (one at a limit whose gradient points outwards is held
there: an active set). It stops when the expected decrease ``g^T H^-1 g / 2`` (MINUIT's EDM) is below ``tol``. Where
MIGRAD builds its curvature from gradients over many iterations (and inverts its n x n matrix in its own code),
this needs a handful of iterations: for a HistFactory model of 511 parameters, ~6 Hessians and LAPACK solves.

Example:
    >>> import numpy as np, firmc
    >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
    >>> rng = np.random.default_rng(7)
    >>> x = np.concatenate([rng.normal(1.0, 1.5, 1000), rng.uniform(-10, 10, 1000)])
    >>> r = newton_fit(f, {"x": x})
    >>> print(f"{r.values['mu']:.3f} +- {r.errors['mu']:.3f}", r.valid)
    0.834 +- 0.062 True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ..compiler import Compiled
from .cost import Cost
from .result import FitResult


def _step(h: np.ndarray, g: np.ndarray, last: float) -> tuple[np.ndarray, float]:
    """-H^-1 g, with H damped (Levenberg) until it is positive definite, and the damping used. ``last`` is the
    previous step's: the search starts at a tenth of it and grows tenfold (a few factorisations per step)."""
    scale = float(np.max(np.abs(np.diag(h)))) or 1.0
    damping = last / 10 if last >= 1e-7 else 0.0
    for _ in range(60):
        try:
            factor = cho_factor(h + damping * scale * np.eye(len(g)) if damping else h, check_finite=False)
        except LinAlgError:
            damping = max(10 * damping, 1e-8)
            continue
        return -np.asarray(cho_solve(factor, g, check_finite=False)), damping
    return -g / scale, damping


def newton_fit(compiled: Compiled, data: Mapping[str, Any], params: Mapping[str, float] | None = None, *,
               weights: Any = None, tol: float = 1e-6, max_iterations: int = 100) -> FitResult:
    """Minimise ``compiled``'s NLL on ``data`` by Newton steps (see the module doc); ``params`` are starting values
    (and values of const parameters), ``tol`` the EDM at which it stops.

    Example:
        >>> newton_fit.__name__
        'newton_fit'
    """
    t0 = time.perf_counter()
    c = Cost(compiled, data, weights, params)
    c.compiled.require_gradient()
    limits = c.limits
    lo = np.array([limits[k][0] for k in c.names])
    hi = np.array([limits[k][1] for k in c.names])
    x = np.clip(np.array(c.start, dtype=float), lo, hi)
    calls = grads = hessians = 0
    f, g = c.prepared.nll_grad(x)
    grads += 1
    edm, free, damping = np.inf, np.ones(len(x), dtype=bool), 0.0
    for _ in range(max_iterations):
        h = c.prepared.hessian(x)
        hessians += 1
        at_limit = ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))
        free = ~at_limit
        d = np.zeros_like(x)
        d[free], damping = _step(h[np.ix_(free, free)], g[free], damping)
        edm = float(-g[free] @ d[free]) / 2
        if edm < tol:
            break
        t = 1.0
        for _ in range(40):
            trial = np.clip(x + t * d, lo, hi)
            value = c.prepared.nll(trial)
            calls += 1
            if np.isfinite(value) and value <= f + 1e-4 * t * float(g @ d):
                break
            t /= 2
        x = trial
        f, g = c.prepared.nll_grad(x)
        grads += 1
    floating = tuple(k for k, fr in zip(c.names, free, strict=True) if fr)
    h = c.prepared.hessian(x)[np.ix_(free, free)]
    hessians += 1
    try:  # the covariance of an NLL: 2 errordef H^-1 (positive definite: the factorisation succeeds)
        factor = cho_factor(h, check_finite=False)
        cov = cho_solve(factor, np.eye(len(h)), check_finite=False) * (2 * c.errordef)
        valid = edm < tol
    except LinAlgError:
        cov, valid = np.full(h.shape, np.nan), False
    errors = dict.fromkeys(c.names, 0.0)
    errors.update(zip(floating, np.sqrt(np.abs(np.diag(cov))).tolist(), strict=True))
    values = {**{k: float(v) for k, v in zip(c.names, x, strict=True)}, **c.constants}
    return FitResult(values, errors, cov, floating, float(f), valid, edm, calls, grads, time.perf_counter() - t0,
                     "analytic", hessians)
