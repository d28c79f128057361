"""Calling a compiled C-family program through its C ABI (ctypes): shared by the cpp and cuda targets, whose
libraries export the same ``firmc_<entry>_<function>`` signatures (:data:`firmc.backends.cpp.header.SIGNATURES`).

Example:
    >>> Runner.__call__.__name__
    '__call__'
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...errors import UnsupportedFeature
from ...ir.types import DType
from ...passes.gradient import gradient_key, hessian_key
from .. import EVENT_WEIGHTS, Program

F64 = ctypes.POINTER(ctypes.c_double)


class Runner:
    """An evaluator over a loaded library: inputs by name -> outputs by name (as the interpreter gives them).

    ``prefix`` is ``firmc_<entry>``; :meth:`after` runs after every native call (a target's error check).

    Example:
        >>> Runner.after.__name__
        'after'
    """

    def __init__(self, lib: ctypes.CDLL, prefix: str, program: Program) -> None:
        self.lib, self.prefix, self.program = lib, prefix, program
        self.free = [p for p in program.parameters if not program.defaults[p].const]

    def after(self) -> None:
        """Called after each native call; raises if the library reports a failure (nothing to check here).

        Example:
            >>> Runner.after(None)  # type: ignore[arg-type]
        """

    def function(self, name: str, weighted: bool) -> Any:
        """The library's ``<prefix>_<name>`` (for the llvm JIT: the variant compiled for weighted events or not).

        Example:
            >>> Runner.function.__name__
            'function'
        """
        fn = getattr(self.lib, f"{self.prefix}_{name}")
        return fn.variant(weighted) if hasattr(fn, "variant") else fn

    def prepared_nll(self, inputs: Mapping[str, Any], free: Sequence[str]) -> PreparedNll:
        """The NLL of fixed inputs as a function of the ``free`` parameters' values (see :class:`PreparedNll`).

        Example:
            >>> Runner.prepared_nll.__name__
            'prepared_nll'
        """
        return PreparedNll(self, inputs, free)

    def _call(self, name: str, restype: Any, *args: Any) -> Any:
        fn = getattr(self.lib, f"{self.prefix}_{name}")
        fn.restype = restype
        out = fn(*args)
        self.after()
        return out

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        prog = self.program
        keys = list(prog.outputs) if outputs is None else [k for k in outputs if k in prog.outputs]
        p = np.ascontiguousarray([float(inputs[q]) for q in prog.parameters], dtype=float)
        cols = [np.ascontiguousarray(np.atleast_1d(np.asarray(inputs[o], dtype=float))) for o in prog.observables]
        n = int(np.broadcast(*cols).size) if cols else 1
        cols = [np.ascontiguousarray(np.broadcast_to(c, (n,))) for c in cols]
        xs = (F64 * max(len(cols), 1))(*[c.ctypes.data_as(F64) for c in cols])
        w = inputs.get(EVENT_WEIGHTS)
        wp = None if w is None else np.ascontiguousarray(np.asarray(w, dtype=float))
        wptr = None if wp is None else wp.ctypes.data_as(F64)
        pp = p.ctypes.data_as(F64)
        size = ctypes.c_size_t(n)
        out: dict[str, np.ndarray] = {}
        # derivatives first: nll_grad and nll_hessian also give the NLL (one pass over the events, not two)
        for key in sorted(keys, key=lambda k: not k.startswith(("hess:", "grad:"))):
            if key in out:
                continue
            if key in ("value", "logpdf"):
                name = key if key == "logpdf" else ("pdf" if prog.kind == "distribution" else "value")
                cplx = prog.outputs[key].type.dtype is DType.COMPLEX
                buf = np.zeros(2 * n if cplx else n)
                self._call(name, None, pp, xs, size, buf.ctypes.data_as(F64))
                value = buf.view(complex) if cplx else buf
                out[key] = value if cols else value.reshape(())  # no observables: a scalar, as elsewhere
            elif key == "expected":
                out[key] = np.asarray(self._call("expected", ctypes.c_double, pp))
            elif key == "nll":
                out[key] = np.asarray(self._call("nll", ctypes.c_double, pp, xs, wptr, size))
            elif key.startswith("grad:"):
                g = np.zeros(max(len(self.free), 1))
                v = self._call("nll_grad", ctypes.c_double, pp, xs, wptr, size, g.ctypes.data_as(F64))
                out["nll"] = np.asarray(v)
                out.update({gradient_key("nll", q): np.asarray(g[i]) for i, q in enumerate(self.free)})
            elif key.startswith("hess:"):
                k = len(self.free)
                h = np.zeros(max(k * k, 1))
                v = self._call("nll_hessian", ctypes.c_double, pp, xs, wptr, size, h.ctypes.data_as(F64))
                out["nll"] = np.asarray(v)
                out.update({hessian_key("nll", a, b): np.asarray(h[i * k + j]) for i, a in enumerate(self.free)
                            for j, b in enumerate(self.free) if j >= i})
        return {k: out[k] for k in keys}


class PreparedNll:
    """The NLL (and its analytic gradient) of fixed data as a function of an array of the free parameters: the
    inputs are converted once, each evaluation is one write into the parameter buffer and one native call (a few
    µs instead of the tens of µs of the dict interface: what a fitter calls thousands of times).

    Example:
        >>> PreparedNll.nll_grad.__name__
        'nll_grad'
    """

    def __init__(self, runner: Runner, inputs: Mapping[str, Any], free: Sequence[str]) -> None:
        prog = runner.program
        if tuple(free) != tuple(runner.free):
            raise ValueError("the free parameters must be the program's non-const ones, in its order")
        self.runner, self.names = runner, tuple(free)
        self.p = np.ascontiguousarray([float(inputs[q]) for q in prog.parameters], dtype=float)
        position = {q: i for i, q in enumerate(prog.parameters)}
        self.index = np.array([position[q] for q in free], dtype=np.intp)
        cols = [np.ascontiguousarray(np.atleast_1d(np.asarray(inputs[o], dtype=float))) for o in prog.observables]
        n = int(np.broadcast(*cols).size) if cols else 1
        cols = [np.ascontiguousarray(np.broadcast_to(c, (n,))) for c in cols]
        w = inputs.get(EVENT_WEIGHTS)
        wp = None if w is None else np.ascontiguousarray(np.asarray(w, dtype=float))
        self.keep = (cols, wp)  # the arrays the pointers point into
        xs = (F64 * max(len(cols), 1))(*[c.ctypes.data_as(F64) for c in cols])
        self.args = (self.p.ctypes.data_as(F64), xs, None if wp is None else wp.ctypes.data_as(F64),
                     ctypes.c_size_t(n))
        self.g = np.zeros(max(len(runner.free), 1))
        self.gptr = self.g.ctypes.data_as(F64)
        self._nll = runner.function("nll", wp is not None)
        self._nll.restype = ctypes.c_double
        self._grad: Any = None
        if runner.free and gradient_key("nll", runner.free[0]) in prog.outputs:
            self._grad = runner.function("nll_grad", wp is not None)
            self._grad.restype = ctypes.c_double

    def nll(self, x: np.ndarray) -> float:
        """The NLL at the free parameters ``x`` (in the order of :attr:`names`)."""
        self.p[self.index] = x
        value = float(self._nll(*self.args))
        self.runner.after()
        return value

    def nll_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """The NLL and its gradient at ``x`` (one pass over the events)."""
        if self._grad is None:
            raise UnsupportedFeature("the program was compiled without the NLL's gradient")
        self.p[self.index] = x
        value = float(self._grad(*self.args, self.gptr))
        self.runner.after()
        return value, self.g[:len(self.names)].copy()
