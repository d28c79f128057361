"""``firmc.fit.minimize``: the NLL through ``scipy.optimize.minimize``, the analytic gradient as ``jac`` (value and
gradient from one pass over the events), the analytic Hessian as ``hess`` for the methods that use one, and the
model's bounds.

Example:
    >>> import numpy as np, firmc
    >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
    >>> rng = np.random.default_rng(7)
    >>> x = np.concatenate([rng.normal(1.0, 1.5, 1000), rng.uniform(-10, 10, 1000)])
    >>> res = minimize(f, {"x": x}, fixed=["c"])
    >>> res.success, res.names
    (True, ('f', 'mu', 'sigma'))
    >>> res = minimize(f, {"x": x}, options={"ftol": 1e-15, "gtol": 1e-8})
    >>> round(res.parameters["mu"], 3)
    0.834
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from ..compiler import Compiled
from ..errors import FirmError, UnknownName
from .cost import Cost

#: scipy.optimize.minimize methods that take ``bounds``
BOUNDED = frozenset({"l-bfgs-b", "tnc", "slsqp", "powell", "trust-constr", "nelder-mead", "cobyla", "cobyqa"})
#: methods that take ``jac`` (the others only call the function)
WITH_JAC = frozenset({"cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "slsqp", "dogleg", "trust-ncg", "trust-krylov",
                      "trust-exact", "trust-constr"})
#: methods that take ``hess``
WITH_HESS = frozenset({"newton-cg", "dogleg", "trust-ncg", "trust-krylov", "trust-exact", "trust-constr"})


def minimize(compiled: Compiled, data: Mapping[str, Any], method: str = "L-BFGS-B",
             params: Mapping[str, float] | None = None, fixed: Collection[str] = (), *, weights: Any = None,
             tol: float | None = None, options: Mapping[str, Any] | None = None) -> Any:
    """Minimise ``compiled``'s NLL on ``data`` with ``scipy.optimize.minimize(method=...)``; return its
    ``OptimizeResult`` with two more keys: ``names`` (the order of ``x``: the free parameters not in ``fixed``) and
    ``parameters`` (every parameter at the minimum, fixed ones included).

    ``params`` gives starting values; ``fixed`` parameters stay at theirs. Bounds (for the methods that take them)
    are the model's; ``hess`` is passed to the methods that use one when ``compiled`` has the analytic Hessian
    (``derivatives=2``). The optimiser works on the parameters in units of their approximate errors at the start
    (from the analytic Hessian's diagonal, else from gradient differences), offset by the start; ``x``, ``jac`` and
    ``hess_inv`` of the result are in the parameters' own units. The NLL itself is not rescaled.

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> minimize(f, {"x": np.zeros(10)}, method="Nelder-Mead", fixed=["mu", "sigma", "c", "f"])
        Traceback (most recent call last):
        firmc.errors.FirmError: every parameter is fixed: nothing to minimise
    """
    from scipy import optimize

    c = Cost(compiled, data, weights, params)
    for k in fixed:
        if k not in c.names:
            raise UnknownName("parameter", k, c.names)
    names = tuple(k for k in c.names if k not in fixed)
    if not names:
        raise FirmError("every parameter is fixed: nothing to minimise")
    index = [c.names.index(k) for k in names]
    p0 = np.array(c.start)
    scale = _scales(c, index)

    def full(u: np.ndarray) -> np.ndarray:  # the optimiser's x are (p - start) / scale
        v = p0.copy()
        v[index] += u * scale
        return v

    def fun(u: np.ndarray) -> float:
        return c(full(u))

    def fun_jac(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, g = c.value_and_grad(full(u))
        return value, g[index] * scale

    def hess(u: np.ndarray) -> np.ndarray:
        return c.hess(full(u))[np.ix_(index, index)] * np.outer(scale, scale)

    m = method.lower()
    kw: dict[str, Any] = {"method": method, "tol": tol, "options": dict(options or {})}
    if m in BOUNDED:
        kw["bounds"] = [tuple(None if math.isinf(b) else (b - p0[i]) / s for b in c.limits[k])
                        for k, i, s in zip(names, index, scale, strict=True)]
    if m in WITH_HESS and c.has_hess:
        kw["hess"] = hess
    u0 = np.zeros(len(names))
    if m in WITH_JAC and c.has_grad:
        res = optimize.minimize(fun_jac, u0, jac=True, **kw)
    else:
        res = optimize.minimize(fun, u0, **kw)
    res.x = full(res.x)[index]
    if "jac" in res:
        res.jac = np.asarray(res.jac) / scale
    if "hess_inv" in res:
        hinv = res.hess_inv.todense() if hasattr(res.hess_inv, "todense") else np.asarray(res.hess_inv)
        res.hess_inv = hinv * np.outer(scale, scale)
    res["names"] = names
    res["parameters"] = {**dict(zip(c.names, p0.tolist(), strict=True)),
                         **dict(zip(names, res.x.tolist(), strict=True)), **c.constants}
    return res


def _scales(c: Cost, index: list[int]) -> np.ndarray:
    """Units of the optimiser's variables: 1/sqrt of the NLL's curvature at the start (about one standard
    deviation), from the analytic Hessian's diagonal when the program has one, else from differences of the
    analytic gradient; 1 where that is not a positive number. In these units the NLL's Hessian is near the identity
    that L-BFGS-B and BFGS start from: on the NLL's own scale their first step jumps to the bounds."""
    p0 = np.array(c.start)
    if c.has_hess:
        curv = np.diag(c.hess(p0))[index]
    elif c.has_grad:
        g0 = c.grad(p0)
        curv = np.empty(len(index))
        for j, i in enumerate(index):
            hi = c.limits[c.names[i]][1]
            h = 1e-5 * max(abs(p0[i]), 1.0)
            h = -h if p0[i] + h > hi else h
            p = p0.copy()
            p[i] += h
            curv[j] = (c.grad(p)[i] - g0[i]) / h
    else:
        return np.ones(len(index))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 1.0 / np.sqrt(curv)
    return np.where(np.isfinite(s) & (s > 0), s, 1.0)
