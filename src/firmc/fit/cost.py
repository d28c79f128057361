"""An iminuit-compatible cost function over a compiled entry's NLL, with its analytic derivatives.

:func:`cost` checks the data once and returns a :class:`Cost`: callable on the free parameters (positionally, in
the order of :attr:`Cost.names`, or as one array), with ``grad`` and ``hess`` from the compiled analytic
derivatives (the Hessian from Hessian-vector products, :mod:`firmc.hessian`), ``errordef`` 0.5 (an NLL: one
standard deviation is where it rises by 1/2), and the starting values and limits from the model's parameters.
iminuit reads the names and limits through ``_parameters`` (``iminuit.util.describe``) and the gradient through
``grad``/``has_grad`` (``iminuit.util.gradient``).

The analytic Hessian is ``hess``, not ``hessian``, so that iminuit does not pick it up alone:
Minuit2 falls back to G2 (the Hessian's diagonal) where the Hessian is not positive definite, and fails without one.
Give both: ``Minuit(c, *c.start, hessian=c.hess, g2=c.hess_diagonal)`` (iminuit then warns that the Hessian
overrides G2, which is true only where the Hessian is positive definite); :func:`firmc.fit.fit` does so.

Example:
    >>> import numpy as np, firmc
    >>> from iminuit import Minuit
    >>> m = firmc.load("examples/gauss_exp.hs3.json")
    >>> f = firmc.compile(m, target="interp", entry="model")
    >>> x = np.random.default_rng(1).normal(1.0, 1.5, 500)
    >>> c = cost(f, {"x": x})
    >>> c.names, c.errordef
    (('c', 'f', 'mu', 'sigma'), 0.5)
    >>> mi = Minuit(c, *c.start)                       # names, limits and the analytic gradient come with c
    >>> mi.migrad().valid, mi.limits["sigma"]
    (True, (0.1, 5.0))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..compiler import Compiled
from ..errors import EvaluationError, FirmError, UnknownName

#: iminuit's ``Minuit.LIKELIHOOD``: the NLL rises by 1/2 at one standard deviation.
NLL_ERRORDEF = 0.5


class Cost:
    """The NLL of ``compiled`` on fixed data as a function of its free parameters (see :func:`cost`).

    Values for the calls: positional floats in the order of :attr:`names`, or one array of them. The last point
    and its value are kept, so that MIGRAD's call of the value where it just asked for the gradient (or the
    reverse) costs no second pass over the events (the gradient call computes both).

    Example:
        >>> Cost.errordef
        0.5
    """

    errordef = NLL_ERRORDEF

    def __init__(self, compiled: Compiled, data: Mapping[str, Any], weights: Any = None,
                 params: Mapping[str, float] | None = None) -> None:
        if "nll" not in compiled.program.outputs:
            raise FirmError(f"entry '{compiled.entry.name}' is a {compiled.entry.kind}, not a density or a "
                            "likelihood: it has no NLL to fit")
        self.compiled = compiled
        self.data = _checked_data(compiled, data)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.names: tuple[str, ...] = compiled.free_parameters
        given = dict(params or {})
        unknown = [k for k in given if k not in compiled.parameters]
        if unknown:
            raise UnknownName("parameter", unknown[0], compiled.parameters)
        #: values of the const (fixed by the model) parameters the calls pass; defaults unless given
        self.constants = {k: float(v) for k, v in given.items() if k not in self.names}
        self.start: tuple[float, ...] = tuple(float(given.get(k, compiled.parameters[k].value)) for k in self.names)
        missing = [k for k, v in zip(self.names, self.start, strict=True) if math.isnan(v)]
        if missing:
            raise EvaluationError(f"parameter '{missing[0]}' has no default value; give a start in params")
        #: name -> (min, max), for iminuit's describe (it applies them as limits)
        self._parameters: dict[str, tuple[float, float] | None] = {
            k: _limits(compiled.parameters[k].min, compiled.parameters[k].max) for k in self.names}
        self.has_grad = compiled.derivatives >= 1
        self.has_hess = self.has_grad  # from Hessian-vector products of the gradient (compiled on first use)
        # the NLL as a function of the free parameters' array: data converted once, one native call per value
        self.prepared = compiled.prepared_nll(self.data, self.constants, self.weights)
        self.nfcn = 0  # passes over the events: value, value and gradient, Hessian
        self._last: tuple[tuple[float, ...], float, np.ndarray | None] | None = None

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        """Name -> (min, max) of every free parameter (infinite where the model gives no bound).

        Example:
            >>> Cost.limits.__doc__.split(" of")[0]
            'Name -> (min, max)'
        """
        return {k: (self.compiled.parameters[k].min, self.compiled.parameters[k].max) for k in self.names}

    def point(self, args: Sequence[Any]) -> dict[str, float]:
        """The parameter dict of a call (positional values, or one array), const parameters included.

        Example:
            >>> Cost.point.__name__
            'point'
        """
        values = np.ravel(args[0]) if len(args) == 1 and np.ndim(args[0]) == 1 else np.asarray(args, dtype=float)
        if values.shape != (len(self.names),):
            raise EvaluationError(f"the cost takes {len(self.names)} values ({', '.join(self.names)}), "
                                  f"got {values.size}")
        return {**self.constants, **dict(zip(self.names, map(float, values), strict=True))}

    def __call__(self, *args: Any) -> float:
        """The NLL at the parameters ``args``.

        Example:
            >>> Cost.__call__.__name__
            '__call__'
        """
        p = self.point(args)
        key = tuple(p.values())
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        self.nfcn += 1
        value = float(self.prepared.nll(np.array([p[k] for k in self.names])))
        self._last = (key, value, None)
        return value

    def value_and_grad(self, *args: Any) -> tuple[float, np.ndarray]:
        """The NLL and its analytic gradient (in the order of :attr:`names`), from one pass over the events.

        Example:
            >>> Cost.value_and_grad.__name__
            'value_and_grad'
        """
        p = self.point(args)
        key = tuple(p.values())
        if self._last is not None and self._last[0] == key and self._last[2] is not None:
            return self._last[1], self._last[2]
        self.nfcn += 1
        value, grad = self.prepared.nll_grad(np.array([p[k] for k in self.names]))
        self._last = (key, value, grad)
        return value, grad.copy()

    def grad(self, *args: Any) -> np.ndarray:
        """The analytic gradient of the NLL at ``args`` (in the order of :attr:`names`).

        Example:
            >>> Cost.grad.__name__
            'grad'
        """
        return self.value_and_grad(*args)[1]

    def hess(self, *args: Any) -> np.ndarray:
        """The analytic Hessian of the NLL at ``args`` (rows and columns in the order of :attr:`names`): one
        Hessian-vector product per colour of its sparsity pattern (:mod:`firmc.hessian`).

        Example:
            >>> Cost.hess.__name__
            'hess'
        """
        if not self.has_hess:
            self.compiled.require_gradient()
        self.nfcn += 1
        p = self.point(args)
        return self.prepared.hessian(np.array([p[k] for k in self.names]))

    def hess_diagonal(self, *args: Any) -> np.ndarray:
        """The diagonal of :meth:`hess` (Minuit2's G2).

        Example:
            >>> Cost.hess_diagonal.__name__
            'hess_diagonal'
        """
        return np.diag(self.hess(*args)).copy()

    def __repr__(self) -> str:
        return f"Cost(entry={self.compiled.entry.name!r}, target={self.compiled.target!r}, names={self.names})"


def cost(compiled: Compiled, data: Mapping[str, Any], weights: Any = None,
         params: Mapping[str, float] | None = None) -> Cost:
    """An iminuit cost of ``compiled``'s NLL on ``data`` (observable -> events; ``{}`` for a likelihood entry,
    whose data are part of the model), with optional per-event ``weights``; ``params`` overrides starting values
    (and the values of const parameters, which stay fixed).

    Example:
        >>> import numpy as np, firmc
        >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
        >>> c = cost(f, {"x": np.linspace(-5, 5, 101)}, params={"mu": 0.5})
        >>> dict(zip(c.names, c.start))["mu"], c.has_grad
        (0.5, True)
        >>> cost(f, {"y": np.zeros(3)})
        Traceback (most recent call last):
        firmc.errors.UnknownName: unknown observable 'y'
    """
    return Cost(compiled, data, weights, params)


def _checked_data(compiled: Compiled, data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The events as float arrays, once: every observable given, nothing else."""
    for k in data:
        if k not in compiled.observables:
            raise UnknownName("observable", k, compiled.observables)
    for o in compiled.observables:
        if o not in data:
            raise EvaluationError(f"the data have no values of observable '{o}' (entry '{compiled.entry.name}' "
                                  f"needs {', '.join(compiled.observables)})")
    try:
        return {o: np.asarray(data[o], dtype=float) for o in compiled.observables}
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"the data must be arrays of numbers: {exc}") from None


def _limits(lo: float, hi: float) -> tuple[float, float] | None:
    return None if math.isinf(lo) and math.isinf(hi) else (lo, hi)
