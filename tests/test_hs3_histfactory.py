"""HS3 ``histfactory_dist`` (docs/histfactory.md, "HS3"): the pyhs3 twins of pyhf workspaces against firmc's
and pyhf's NLL of the pyhf file, ROOT-written HistFactory against ROOT's own ``createNLL``, both dialects."""

from __future__ import annotations

import copy
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import pytest

import firmc
from conftest import CORPUS_DIR as CORPUS
from firmc.frontends.histfactory.hs3 import HS3Options
from firmc.frontends.hs3 import load_hs3

TWINS = ["uncorrelated", "correlated"]
RF515 = [CORPUS / "hs3" / "rf515_hfJSON.json", CORPUS / "roofit" / "rf515_reexported.json"]


def _twin(kind: str) -> tuple[Path, Path]:
    return (CORPUS / "hs3" / f"simplemodel_{kind}-background_hs3.json",
            CORPUS / "pyhf" / f"simplemodel_{kind}-background_hifa.json")


def _hs3_name(pyhf_name: str, names: list[str]) -> str:
    """pyhf's ``uncorr_bkguncrt[1]`` is pyhs3's ``uncorr_bkguncrt_1``; a histosys ``x`` is ``alpha_x``."""
    flat = pyhf_name.replace("[", "_").rstrip("]")
    return flat if flat in names else f"alpha_{flat}"


def _points(m_pyhf: firmc.Module, n: int, seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    out = [{k: p.value for k, p in m_pyhf.parameters.items()}]
    for _ in range(n):
        out.append({k: (p.value if p.const else rng.uniform(max(p.min, 0.5 if p.min >= 0 else -2.0),
                                                              min(p.max, 1.5 if p.min >= 0 else 2.0)))
                    for k, p in m_pyhf.parameters.items()})
    return out


@pytest.mark.parametrize("kind", TWINS)
def test_pyhs3_twin_equals_pyhf(kind: str) -> None:
    hs3_file, pyhf_file = _twin(kind)
    m3, mp = firmc.load(hs3_file), firmc.load(pyhf_file)
    f3 = firmc.compile(m3, "interp", "simPdf_obsData")
    fp = firmc.compile(mp, "interp", "nll")
    names = list(m3.parameters)
    for pt in _points(mp, 20, seed=len(kind)):
        p3 = {_hs3_name(k, names): v for k, v in pt.items()}
        assert float(f3(p3)) == pytest.approx(float(fp(pt)), rel=1e-10, abs=0)


@pytest.mark.parametrize("kind", TWINS)
def test_pyhs3_twin_equals_pyhf_live(kind: str) -> None:
    pyhf = pytest.importorskip("pyhf")
    hs3_file, pyhf_file = _twin(kind)
    m3 = firmc.load(hs3_file)
    f3 = firmc.compile(m3, "interp", "simPdf_obsData")
    ws = pyhf.Workspace(json.loads(pyhf_file.read_text()))
    model = ws.model()
    data = ws.data(model)
    names = list(m3.parameters)
    rng = random.Random(7)
    inits = list(model.config.suggested_init())
    bounds = model.config.suggested_bounds()
    for k in range(21):
        pars = inits if k == 0 else [rng.uniform(max(lo, -2.0) if lo < 0 else max(lo, 0.5), min(hi, 2.0))
                                     for lo, hi in bounds]
        named = {_hs3_name(n, names): float(v) for n, v in zip(model.config.par_names, pars, strict=True)}
        want = -float(model.logpdf(pars, data)[0])
        assert float(f3(named)) == pytest.approx(want, rel=1e-10, abs=0)


def test_asimov_likelihood_and_expected_entry() -> None:
    m = firmc.load(_twin("uncorrelated")[0])
    assert {"simPdf_asimovData", "simPdf_obsData", "model_singlechannel"} <= set(m.entries)
    e = firmc.compile(m, "interp", "model_singlechannel")
    import numpy as np

    got = e({"obs_x_singlechannel": np.array([0.5, 1.5]), "mu": 2.0}).tolist()
    assert got == pytest.approx([50 + 24, 52 + 22], rel=1e-14)


def _shapesys_doc(packages: list[dict[str, str]]) -> dict[str, Any]:
    doc = json.loads(_twin("uncorrelated")[0].read_text())
    doc["metadata"]["packages"] = packages
    return doc


def test_shapesys_vals_absolute_by_default_relative_for_root_written() -> None:
    """vals [3, 7] on nominal [50, 52]: tau = (50/3)^2 (pyhf, pyhs3) or 1/3^2 (ROOT, FORMATS.md §3.4)."""
    pt = {"uncorr_bkguncrt_0": 1.1, "uncorr_bkguncrt_1": 0.9}

    def nll(doc: dict[str, Any], options: HS3Options | None = None) -> float:
        return float(firmc.compile(load_hs3(doc, options=options), "interp", "simPdf_obsData")(pt))

    spec = nll(_shapesys_doc([]))
    root = nll(_shapesys_doc([{"name": "ROOT", "version": "6.40.00"}]))
    assert nll(_shapesys_doc([]), HS3Options("relative")) == root
    assert nll(_shapesys_doc([{"name": "ROOT", "version": "6.40.00"}]), HS3Options("absolute")) == spec
    tau_abs = [(50 / 3) ** 2, (52 / 7) ** 2]
    tau_rel = [1 / 9, 1 / 49]

    def pois(taus: list[float]) -> float:
        g = [1.1, 0.9]
        return -sum(t * math.log(gi * t) - gi * t - math.lgamma(t + 1) for t, gi in zip(taus, g, strict=True))

    assert root - spec == pytest.approx(pois(tau_rel) - pois(tau_abs), rel=1e-12)


def _with_modifiers(kind: str, mods: list[dict[str, Any]]) -> dict[str, Any]:
    doc = json.loads(_twin("correlated")[0].read_text())
    sample = doc["distributions"][0]["samples"][1]
    sample["modifiers"] = [m for m in sample["modifiers"] if m["type"] == "normfactor"] + mods
    return doc


@pytest.mark.parametrize(("constraint", "expected"), [
    ("Gauss", lambda a: -0.5 * a * a - 0.5 * math.log(2 * math.pi)),
    ("Poisson", lambda a: math.log(a) - a),  # Pois(1 | a), pyhs3
    ("LogNormal", lambda a: -0.5 * a * a - 0.5 * math.log(2 * math.pi)),  # LogNormal(1; mu = a, sigma = 1)
])
def test_normsys_constraint_kinds(constraint: str, expected: Any) -> None:
    base = _with_modifiers("n", [])
    mod = {"type": "normsys", "name": "n", "parameter": "a", "constraint": constraint,
           "data": {"hi": 1.1, "lo": 0.9}}
    with_c = _with_modifiers("n", [mod])
    free = copy.deepcopy(mod)
    free["constraint"] = "Gauss"
    a = 0.7
    f = firmc.compile(load_hs3(with_c), "interp", "simPdf_obsData")
    g = firmc.compile(load_hs3(_with_modifiers("n", [free])), "interp", "simPdf_obsData")
    gauss = -0.5 * a * a - 0.5 * math.log(2 * math.pi)
    assert float(f({"a": a})) - float(g({"a": a})) == pytest.approx(gauss - expected(a), abs=1e-12)
    assert "a" not in load_hs3(base).parameters


def test_staterror_gauss_spec_and_poisson_root() -> None:
    mod = {"type": "staterror", "name": "stat"}
    doc = _with_modifiers("s", [mod])
    doc["distributions"][0]["samples"][0]["modifiers"].append(mod)
    m = load_hs3(doc)
    names = [k for k in m.parameters if k.startswith("staterror_")]
    assert names == ["staterror_model_singlechannel_bin0", "staterror_model_singlechannel_bin1"]
    f = firmc.compile(m, "interp", "simPdf_obsData")
    doc_root = copy.deepcopy(doc)
    doc_root["metadata"]["packages"] = [{"name": "ROOT", "version": "6.40.00"}]
    m_root = load_hs3(doc_root)
    assert [k for k in m_root.parameters if k.startswith("gamma_stat")] == [
        "gamma_stat_singlechannel_bin_0", "gamma_stat_singlechannel_bin_1"]
    g = firmc.compile(m_root, "interp", "simPdf_obsData")
    # errors (3.5, 3.3) and (7.0, 7.2) on (12, 11) and (50, 52): relative sigma = sqrt(sum err^2) / sum nominal
    rel = [math.hypot(3.5, 7.0) / 62, math.hypot(3.3, 7.2) / 63]
    gam = [1.02, 0.97]
    pf = {f"staterror_model_singlechannel_bin{i}": gam[i] for i in range(2)}
    pg = {f"gamma_stat_singlechannel_bin_{i}": gam[i] for i in range(2)}
    gauss = sum(-0.5 * ((g_ - 1) / r) ** 2 - math.log(r * math.sqrt(2 * math.pi))
                for g_, r in zip(gam, rel, strict=True))
    pois = sum(t * math.log(g_ * t) - g_ * t - math.lgamma(t + 1)
               for g_, t in zip(gam, [1 / r**2 for r in rel], strict=True))
    assert float(g(pg)) - float(f(pf)) == pytest.approx(gauss - pois, rel=1e-10)


def test_errors_name_the_json_path() -> None:
    doc = _with_modifiers("n", [{"type": "normsys", "name": "n", "parameter": "a", "constraint": "Cauchy",
                                 "data": {"hi": 1.1, "lo": 0.9}}])
    with pytest.raises(firmc.FirmError, match="Cauchy"):
        load_hs3(doc)
    doc = _with_modifiers("n", [{"type": "shapesys", "name": "s", "parameters": ["g0"], "data": {"vals": [1.0]}}])
    with pytest.raises(firmc.FirmError, match="expected 2 parameters"):
        load_hs3(doc)


# --- ROOT ----------------------------------------------------------------------------------------------------


def _root_offset(root: Any, w: Any, nll: Any, data_counts: list[float], bin_widths: list[float]) -> float:
    """RooFit's NLL minus the pyhf/pyhs3 convention (docs/histfactory.md): RooFit drops lgamma(n + 1), has the
    density n log(1/w) per bin, and normalises each constraint over its parameter's range (RooGaussian: the
    Gaussian mass inside; RooPoisson(aux | gamma tau) over gamma: (1/tau) P(Gamma(aux + 1) < tau gamma_max))."""
    from scipy.special import gammainc, ndtr

    c = -sum(math.lgamma(n + 1) for n in data_counts) + sum(n * math.log(bw)
                                                          for n, bw in zip(data_counts, bin_widths, strict=True))
    for pdf in w.allPdfs():
        if pdf.ClassName() == "RooGaussian" and pdf.GetName() != "main":
            x, mean, sigma = pdf.getX(), pdf.getMean().getVal(), pdf.getSigma().getVal()
            c += math.log(ndtr((x.getMax() - mean) / sigma) - ndtr((x.getMin() - mean) / sigma))
        elif pdf.ClassName() == "RooPoisson":
            aux = pdf.getX().getVal()
            tau = aux  # HistFactory's staterror Poisson: aux = tau
            g = next(v for v in pdf.getVariables() if v.GetName().startswith("gamma_") and
                     not v.GetName().startswith("nom_"))
            c += -math.log(tau) + math.log(gammainc(aux + 1, g.getMax() * tau) - gammainc(aux + 1, g.getMin() * tau))
    return c


@pytest.mark.live
@pytest.mark.parametrize("path", RF515, ids=lambda p: p.name)
def test_rf515_against_root(path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import precise_root

    root = precise_root()
    w = root.RooWorkspace("w")
    assert root.RooJSONFactoryWSTool(w).importJSON(str(path))
    pdf, data = w.pdf("main"), w.data("observed")
    nll = pdf.createNLL(data)
    m = firmc.load(path)
    lik = next(k for k, e in m.entries.items() if e.kind == "likelihood")
    f = firmc.compile(m, "interp", lik)
    offset = _root_offset(root, w, nll, [122.0, 112.0], [0.5, 0.5])
    moves = [{}, {"mu": 1.3}, {"alpha_syst1": 0.5, "gamma_stat_channel1_bin_1": 1.1, "mu": 1.3},
             {"alpha_syst2": -1.7, "alpha_syst3": 1.2, "gamma_stat_channel1_bin_0": 0.93},
             {"alpha_syst1": -0.4, "alpha_syst2": 2.5, "gamma_stat_channel1_bin_0": 1.05,
              "gamma_stat_channel1_bin_1": 0.9, "mu": 0.2}]
    defaults = {k: p.value for k, p in m.parameters.items()}
    for move in moves:
        pt = {**defaults, **move}
        for k, v in pt.items():
            if w.var(k) and not w.var(k).isConstant():
                w.var(k).setVal(v)
        want = nll.getVal()
        got = float(f(move))
        assert got + offset == pytest.approx(want, rel=1e-9, abs=0), move
        assert got == pytest.approx(want - offset, rel=1e-9, abs=0), move


@pytest.mark.parametrize("path", RF515, ids=lambda p: p.name)
def test_rf515_root_names_and_defaults(path: Path) -> None:
    m = firmc.load(path)
    for k in ("alpha_syst1", "alpha_syst2", "alpha_syst3"):
        assert (m.parameters[k].value, m.parameters[k].min, m.parameters[k].max) == (0.0, -5.0, 5.0)
    assert (m.parameters["gamma_stat_channel1_bin_0"].max, m.parameters["gamma_stat_channel1_bin_1"].max) == (1.25, 1.5)
    assert m.parameters["mu"].value == 1.0
    assert "alpha_syst1" not in m.observables


def _root_histfactory(root: Any) -> Any:
    """A HistFactory model built with ROOT's classes, the luminosity held constant: one channel of two bins, a
    signal with the normfactor ``mu`` and a background with a Gaussian staterror."""
    hf = root.RooStats.HistFactory
    root.TH1.AddDirectory(False)
    meas = hf.Measurement("meas", "meas")
    meas.SetPOI("mu")
    meas.SetLumi(1.0)
    meas.SetLumiRelErr(0.05)
    meas.AddConstantParam("Lumi")

    def hist(name: str, values: list[float], errors: list[float] | None = None) -> Any:
        h = root.TH1D(name, name, len(values), 0.0, float(len(values)))
        for i, v in enumerate(values):
            h.SetBinContent(i + 1, v)
            h.SetBinError(i + 1, errors[i] if errors else 0.0)
        root.SetOwnership(h, False)
        return h

    chan = hf.Channel("c")
    chan.SetStatErrorConfig(0.0, "Gaussian")
    chan.SetData(hist("data", [61.0, 48.0]))
    sig = hf.Sample("sig")
    sig.SetHisto(hist("h_sig", [12.0, 5.0]))
    sig.AddNormFactor("mu", 1.0, 0.0, 10.0)
    bkg = hf.Sample("bkg")
    bkg.SetHisto(hist("h_bkg", [50.0, 40.0], [4.0, 3.0]))
    bkg.ActivateStatError()
    chan.AddSample(sig)
    chan.AddSample(bkg)
    meas.AddChannel(chan)
    return hf.HistoToWorkspaceFactoryFast.MakeCombinedModel(meas)


@pytest.mark.live
def test_root_written_constraint_of_a_constant_parameter(tmp_path: Path) -> None:
    """ROOT writes the Gaussian constraint of Lumi when Lumi is held constant (``gaussian_dist`` of two numbers once
    Lumi is a constant): the file loads, and its NLL moves as ROOT's ``createNLL`` of the workspace it wrote."""
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import precise_root

    root = precise_root()
    w = _root_histfactory(root)
    path = tmp_path / "hf.json"
    path.write_text(str(root.RooJSONFactoryWSTool(w).exportJSONtoString()), encoding="utf-8")
    doc = json.loads(path.read_text(encoding="utf-8"))
    lumi = next(d for d in doc["distributions"] if d["type"] == "gaussian_dist" and d["x"] == "Lumi")
    assert lumi["mean"] == "nominalLumi"
    f = firmc.compile(firmc.load(path), "interp", "simPdf_obsData")
    mc = w.obj("ModelConfig")
    nll = mc.GetPdf().createNLL(w.data("obsData"), GlobalObservables=mc.GetGlobalObservables())
    moves = [{}, {"mu": 1.4}, {"mu": 0.6, "gamma_stat_c_bin_0": 1.05}, {"gamma_stat_c_bin_1": 0.93, "mu": 2.0}]
    got, want = [], []
    for move in moves:
        for k, v in {"mu": 1.0, "gamma_stat_c_bin_0": 1.0, "gamma_stat_c_bin_1": 1.0, **move}.items():
            w.var(k).setVal(v)
        want.append(nll.getVal())
        got.append(float(f(move)))
    for k in range(1, len(moves)):  # RooFit's NLL differs by a constant (normalisations, lgamma)
        assert got[k] - got[0] == pytest.approx(want[k] - want[0], rel=1e-9, abs=1e-12), moves[k]
