#!/usr/bin/env python
"""Regenerate tests/data/roofit_reference.tsv: high-precision RooFit values for the corpus models.

The models are rebuilt exactly as ``shared/corpus/roofit/make_samples.py`` builds them (its ``MODELS``,
``build`` and ``values`` are loaded from that file and reused), but before anything is evaluated RooFit's
default numerical-integration precision is raised from 1e-7 to 1e-13 relative / 1e-15 absolute, 1-D
numeric integrals use the adaptive Gauss-Kronrod integrator, and the N-D adaptive (Genz-Malik)
integrator gets a much larger evaluation budget.  Models whose normalisation ROOT computes numerically
(``numeric_vars`` column: the variables the RooRealIntegral integrates numerically) are then exact to
~1e-12, instead of the ~1e-7 of the 10-digit values in ``export_results.tsv``.

Which corpus models does ROOT normalise numerically?  ``generic_pdf`` (over x) and
``polyvar_sum_product_funcs`` (over x; the Gaussian's analytical integral covers y).  Not
``multivar_gaussian``: RooMultiVarGaussian integrates analytically over R^n (code -1, ignoring the
observables' finite box) with pi written as 3.14159268, so its values stay low by 8.4e-9 relative whatever
the integrator settings (see tests/test_roofit_corpus.py).  GSL may print "roundoff error prevents
tolerance from being achieved" for ``polyvar_sum_product_funcs``: its integrand is constant to ~1e-12, and
the 21- and 61-point Gauss-Kronrod rules agree to 4e-16 there.

Only models that have reference values in ``export_results.tsv`` (i.e. that ROOT could export) are
written.  Usage (from the repository root, with ROOT 6.40 from the pip package ``root``)::

    .venv/bin/python tests/data/make_roofit_reference.py [path/to/shared/corpus/roofit]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import ROOT

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[2] / "shared" / "corpus" / "roofit"


def configure_integrators() -> None:
    cfg = ROOT.RooAbsReal.defaultIntegratorConfig()
    cfg.setEpsRel(1e-13)
    cfg.setEpsAbs(1e-15)
    cfg.method1D().setLabel("RooAdaptiveGaussKronrodIntegrator1D")
    gk = cfg.getConfigSection("RooAdaptiveGaussKronrodIntegrator1D")
    gk.setRealValue("maxSeg", 1000)
    gk.setCatLabel("method", "21Points")
    nd = cfg.getConfigSection("RooAdaptiveIntegratorND")
    for key in ("maxEval2D", "maxEval3D", "maxEvalND"):
        nd.setRealValue(key, 1e8)


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    ROOT.gROOT.SetBatch(True)
    ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.WARNING)
    configure_integrators()

    spec = importlib.util.spec_from_file_location("make_samples", corpus / "make_samples.py")
    assert spec is not None and spec.loader is not None
    ms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ms)

    with_refs = []
    for line in (corpus / "export_results.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 4 and cols[3].strip():
            with_refs.append(cols[0])

    out = ["model\tpoint\tvalue\tnumeric_vars"]
    for name in with_refs:
        lines, top, obs, points = ms.MODELS[name]
        w = ms.build(name, lines)
        pdf = w.pdf(top)
        nset = ROOT.RooArgSet()
        for o in obs:
            if pdf.dependsOn(w.var(o)):
                nset.add(w.var(o))
        integral = pdf.createIntegral(nset)
        numeric = ",".join(v.GetName() for v in integral.numIntRealVars()) or "-"
        vals = ms.values(w, top, obs, points)
        for p, v in zip(points, vals, strict=True):
            point = ",".join(f"{o}={x!r}" for o, x in zip(obs, p, strict=True))
            out.append(f"{name}\t{point}\t{v:.17g}\t{numeric}")
            print(out[-1], flush=True)
    (HERE / "roofit_reference.tsv").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
