"""The result of :func:`firmc.fit.fit`: a small frozen record with a readable table.

Example:
    >>> import numpy as np
    >>> r = FitResult({"mu": 1.0, "s": 2.0}, {"mu": 0.1, "s": 0.0}, np.array([[0.01]]), ("mu",), 12.5, True,
    ...               1e-7, 20, 15, 0.01, "analytic")
    >>> print(r)
    FitResult: valid, NLL 12.5 (EDM 1e-07), 20 calls + 15 gradient calls, 0.01 s; errors from the analytic Hessian
      parameter        value        error
      mu                   1          0.1
      s                    2      (fixed)
    >>> r.correlation.tolist()
    [[1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: how :attr:`FitResult.errors` were computed, in words
HESSE_SOURCES = {"analytic": "the analytic Hessian", "numerical": "iminuit's HESSE (finite differences)",
                 "migrad": "MIGRAD's approximate covariance (no HESSE)"}


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fit's minimum: ``values`` and ``errors`` of every parameter of the program (errors 0 where fixed),
    ``covariance`` over the ``floating`` parameters (in that order), the NLL there, whether MIGRAD converged
    (``valid``, and the covariance is positive definite), MIGRAD's estimated distance to the minimum ``edm``, the
    function, gradient and analytic-Hessian calls, the wall time in seconds, and where the errors come from
    (``hesse``: analytic, numerical or migrad). ``minuit`` is the iminuit object (for MINOS, profiles, plots),
    ``None`` when not run.

    Example:
        >>> FitResult.__dataclass_params__.frozen
        True
    """

    values: Mapping[str, float]
    errors: Mapping[str, float]
    covariance: np.ndarray
    floating: tuple[str, ...]
    nll: float
    valid: bool
    edm: float
    calls: int
    grad_calls: int
    seconds: float
    hesse: str
    hessian_calls: int = 0
    minuit: Any = field(default=None, repr=False)

    @property
    def correlation(self) -> np.ndarray:
        """The correlation matrix of the ``floating`` parameters.

        Example:
            >>> FitResult.correlation.__doc__.split(" of")[0]
            'The correlation matrix'
        """
        d = np.sqrt(np.diag(self.covariance))
        corr = np.asarray(self.covariance / np.outer(d, d))
        np.fill_diagonal(corr, 1.0)
        return corr

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v:.6g}" for k, v in self.values.items())
        return f"FitResult(valid={self.valid}, nll={self.nll!r}, {vals}, hesse={self.hesse!r})"

    def __str__(self) -> str:
        hess = f" + {self.hessian_calls} Hessian" if self.hessian_calls else ""
        head = (f"FitResult: {'valid' if self.valid else 'INVALID'}, NLL {self.nll:.12g} (EDM {self.edm:.2g}), "
                f"{self.calls} calls + {self.grad_calls} gradient{hess} calls, {self.seconds:.3g} s; errors from "
                f"{HESSE_SOURCES.get(self.hesse, self.hesse)}")
        width = max(9, *(len(k) for k in self.values))
        lines = [head, f"  {'parameter':{width}s}  {'value':>11s}  {'error':>11s}"]
        for k, v in self.values.items():
            err = f"{self.errors[k]:11.6g}" if k in self.floating else f"{'(fixed)':>11s}"
            lines.append(f"  {k:{width}s}  {v:11.6g}  {err}")
        return "\n".join(lines)
