"""Evaluating a program through the RooWorkspace the roofit target built (pip ``root``).

Values are RooFit's own: ``getVal(normSet)`` of the entry's object at each point (the observables set one by
one), ``getLogVal(normSet)``, ``expectedEvents(normSet)``, and the NLL of ``createNLL`` on a ``RooDataSet``
(weighted when the call has weights; extended when the entry is), evaluated with RooFit's ``cpu`` backend and
without offsetting. What RooFit refuses (a value outside a variable's range: ``RooRealVar::setVal`` throws) and
what it would silently leave out (events outside the range or NaN: ``RooDataSet`` drops them from the NLL) is an
:class:`~firmc.errors.EvaluationError` (docs/numerics.md).

Example:
    >>> RoofitEvaluator.__call__.__name__
    '__call__'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...errors import EvaluationError, UnsupportedFeature
from .. import EVENT_WEIGHTS, Program


class RoofitEvaluator:
    """Inputs by name -> outputs by name (as the interpreter gives them), computed by RooFit.

    Example:
        >>> RoofitEvaluator.__init__.__name__
        '__init__'
    """

    def __init__(self, w: Any, program: Program, doc: Mapping[str, Any]) -> None:
        import ROOT

        self.ROOT, self.w, self.program, self.doc = ROOT, w, program, doc
        original = doc.get("misc", {}).get("firmc", {}).get("original_names", {})
        self.names = {orig: name for name, orig in original.items()}  # model name -> name in the workspace
        self.complex = program.outputs["value"].type.dtype.name == "COMPLEX"
        parts = [f"{program.name}_real", f"{program.name}_imag"] if self.complex else [program.name]
        # a likelihood without an HS3 likelihood form is written as a function whose value is the NLL
        self.opaque = program.name in doc.get("misc", {}).get("firmc", {}).get("likelihoods", []) or \
            self.names.get(program.name, program.name) in doc.get("misc", {}).get("firmc", {}).get("likelihoods", [])
        self.objects = [self._object(n) for n in parts] if program.kind != "likelihood" or self.opaque else []
        self.obs = [self._var(o) for o in program.observables]
        self.norm = ROOT.RooArgSet(*self.obs)

    def _object(self, name: str) -> Any:
        obj = self.w.pdf(self.names.get(name, name)) or self.w.function(self.names.get(name, name))
        if not obj:
            raise UnsupportedFeature(f"the RooWorkspace has no object '{name}'")
        return obj

    def _var(self, name: str) -> Any:
        v = self.w.var(self.names.get(name, name))
        if not v:
            raise UnsupportedFeature(f"the RooWorkspace has no variable '{name}'")
        return v

    def _set(self, inputs: Mapping[str, Any]) -> None:
        for p in self.program.parameters:
            v = self.w.var(self.names.get(p, p))
            if v:
                v.setVal(float(inputs[p]))

    def __call__(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        quiet = self.ROOT.RooHelpers.LocalChangeMsgLevel(self.ROOT.RooFit.WARNING)  # RooFit's INFO lines
        try:
            return self._evaluate(inputs, outputs)
        except self.ROOT.std.exception as exc:  # cppyy's C++ exceptions: setVal outside a variable's range
            raise EvaluationError(f"RooFit refuses the inputs: {exc.what()}") from None
        finally:
            del quiet

    def _evaluate(self, inputs: Mapping[str, Any], outputs: Sequence[str] | None) -> dict[str, np.ndarray]:
        prog = self.program
        keys = list(prog.outputs) if outputs is None else [k for k in outputs if k in prog.outputs]
        self._set(inputs)
        cols = [np.atleast_1d(np.asarray(inputs[o], dtype=float)) for o in prog.observables]
        n = int(np.broadcast(*cols).size) if cols else 1
        cols = [np.broadcast_to(c, (n,)) for c in cols]
        out: dict[str, np.ndarray] = {}
        for key in keys:
            if prog.kind == "likelihood" and key in ("value", "nll"):  # its value is its NLL
                out[key] = np.asarray(self.objects[0].getVal() if self.opaque else self._likelihood())
            elif key in ("value", "logpdf"):
                out[key] = self._points(cols, n, log=key == "logpdf")
            elif key == "expected":
                out[key] = np.asarray(self.objects[0].expectedEvents(self.norm))
            elif key == "nll":
                out[key] = np.asarray(self._nll(cols, n, inputs.get(EVENT_WEIGHTS)))
        return out

    def _points(self, cols: Sequence[np.ndarray], n: int, log: bool) -> np.ndarray:
        values = np.empty((len(self.objects), n))
        for i in range(n):
            for v, c in zip(self.obs, cols, strict=True):
                v.setVal(float(c[i]))
            for k, obj in enumerate(self.objects):
                if log:
                    values[k, i] = obj.getLogVal(self.norm)
                else:
                    values[k, i] = obj.getVal(self.norm)  # a function passes it to the densities inside
        out: np.ndarray = values[0] + 1j * values[1] if self.complex else values[0]
        return out

    def dataset(self, cols: Sequence[np.ndarray], weights: Any = None) -> Any:
        """A ``RooDataSet`` of the events (columns in the order of the program's observables), weighted when
        ``weights`` are given.

        Example:
            >>> RoofitEvaluator.dataset.__name__
            'dataset'
        """
        ROOT = self.ROOT
        n = len(cols[0]) if cols else 1
        # by the variables' names in the workspace (the model's names where ROOT accepts them)
        columns = {str(v.GetName()): np.ascontiguousarray(c, dtype=float) for v, c in zip(self.obs, cols, strict=True)}
        if weights is None:
            return ROOT.RooDataSet.from_numpy(columns, ROOT.RooArgSet(*self.obs))
        weight = "firmc_weight"
        while weight in columns or self.w.arg(weight):  # a variable of the model has that name
            weight += "_"
        columns[weight] = np.ascontiguousarray(np.broadcast_to(np.asarray(weights, float), (n,)))
        wvar = ROOT.RooRealVar(weight, weight, 1.0)
        return ROOT.RooDataSet.from_numpy(columns, ROOT.RooArgSet(*self.obs, wvar), weight_name=weight)

    def _nll(self, cols: Sequence[np.ndarray], n: int, weights: Any) -> float:
        ROOT = self.ROOT
        for v, c in zip(self.obs, cols, strict=True):
            lo, hi = v.getMin(), v.getMax()
            dropped = int(np.count_nonzero(~((c >= lo) & (c <= hi))))
            if dropped:
                raise EvaluationError(f"{dropped} event(s) of '{v.GetName()}' are NaN or outside its range "
                                      f"[{lo:g}, {hi:g}]: RooFit would leave them out of the NLL")
        data = self.dataset(cols, weights)
        opts = [ROOT.RooFit.EvalBackend("cpu"), ROOT.RooFit.Offset("off"),
                ROOT.RooFit.Extended("expected" in self.program.outputs)]
        nll = self.objects[0].createNLL(data, *opts)
        return float(nll.getVal())

    def _likelihood(self) -> float:
        ROOT = self.ROOT
        name = self.names.get(self.program.name, self.program.name)
        found = [lk for lk in self.doc.get("likelihoods", []) if lk.get("name") == name]
        if not found or len(found[0].get("distributions", [])) != 1:
            raise UnsupportedFeature(f"likelihood '{self.program.name}': only one distribution with one data set "
                                     "is evaluated through RooFit so far")
        lk = found[0]
        pdf, data = self.w.pdf(lk["distributions"][0]), self.w.data(lk["data"][0])
        if not pdf or not data:
            raise UnsupportedFeature(f"likelihood '{self.program.name}': its distribution or data is not in the "
                                     "RooWorkspace")
        nll = pdf.createNLL(data, ROOT.RooFit.EvalBackend("cpu"), ROOT.RooFit.Offset("off"))
        return float(nll.getVal())
