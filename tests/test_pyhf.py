"""pyhf front-end: firmc's log-likelihood against pyhf 0.7.6 (live, numpy backend) on the corpus and on random
workspaces covering every modifier and interpolation code; the MLE; JSON Patch; errors with JSON paths."""

from __future__ import annotations

import copy
import json
import warnings
from functools import cache
from typing import Any

import numpy as np
import pytest

import firmc
from backends import target_param
from conftest import CORPUS_DIR
from firmc.backends import available_targets
from firmc.frontends.histfactory import Options, apply_patch, load_pyhf, select_patch

PYHF = CORPUS_DIR / "pyhf"
TARGETS = ["interp", target_param("numpy"), target_param("jax"), target_param("llvm")]
RTOL = 1e-10

# FORMATS.md §5.3: pyhf 0.7.6 logpdf at the suggested init with the observed data
REFERENCE = {
    "2-bin_1-channel": -12.58363315, "xmlimport_input_bkg": -6.594269008, "example_bkgonly": -4.547940338,
    "workspace_integer_data": -6.151509751, "simplemodel_uncorrelated-background_hifa": -15.38762717,
    "simplemodel_correlated-background_hifa": -9.648134262, "sbottom": -53.61809911,
}


def _read(name: str) -> Any:
    return json.loads((PYHF / f"{name}.json").read_text())


@cache
def corpus_doc(name: str) -> str:
    """The workspace document (as JSON text: cached, copied on use); 'sbottom' is BkgOnly + its patch."""
    if name == "sbottom":
        return json.dumps(apply_patch(_read("BkgOnly"), _read("patch.sbottom_1000_131_1")))
    return json.dumps(_read(name))


@cache
def firmc_model(name: str) -> firmc.Module:
    return load_pyhf(json.loads(corpus_doc(name)))


@cache
def compiled(name: str, target: str, entry: str = "logpdf") -> firmc.Compiled:
    return firmc.compile(firmc_model(name), target, entry)


def scalar(x: Any) -> float:
    return float(np.ravel(x)[0])


def pyhf_model(doc: Any, **kwargs: Any) -> tuple[Any, list[float]]:
    pyhf = pytest.importorskip("pyhf")
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(doc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ws.model(**kwargs)
    return model, ws.data(model)


def points(model: Any, n: int = 20, seed: int = 0) -> list[list[float]]:
    """pyhf's suggested init and ``n`` random points within the bounds (fixed parameters at their init)."""
    rng = np.random.default_rng(seed)
    cfg = model.config
    init, bounds, fixed = cfg.suggested_init(), cfg.suggested_bounds(), cfg.suggested_fixed()
    out = [list(init)]
    for _ in range(n):
        out.append([v if fx else float(rng.uniform(lo, hi))
                    for v, (lo, hi), fx in zip(init, bounds, fixed, strict=True)])
    return out


def assert_agrees(f: firmc.Compiled, model: Any, data: list[float], pts: list[list[float]]) -> None:
    names = model.config.par_names
    for p in pts:
        ref = float(model.logpdf(p, data)[0])
        got = scalar(f(dict(zip(names, p, strict=True))))
        np.testing.assert_allclose(got, ref, rtol=RTOL, err_msg=f"at {dict(zip(names, p, strict=True))}")


# ---------------------------------------------------------------------------------------------- the corpus
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_value_at_init(name: str) -> None:
    m = firmc_model(name)
    assert m.format == "pyhf"
    assert scalar(compiled(name, "interp")({})) == pytest.approx(REFERENCE[name], rel=1e-9)
    assert scalar(compiled(name, "interp", "nll").nll({})) == pytest.approx(-REFERENCE[name], rel=1e-9)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_parameters_as_pyhf_names_them(name: str) -> None:
    model, _ = pyhf_model(json.loads(corpus_doc(name)))
    cfg = model.config
    m = firmc_model(name)
    assert list(m.parameters) == cfg.par_names
    assert [p.value for p in m.parameters.values()] == cfg.suggested_init()
    assert [(p.min, p.max) for p in m.parameters.values()] == [tuple(b) for b in cfg.suggested_bounds()]
    assert [p.const for p in m.parameters.values()] == cfg.suggested_fixed()
    if name == "sbottom":
        assert len(m.parameters) == 64


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_corpus_logpdf_equals_pyhf(name: str, target: str) -> None:
    model, data = pyhf_model(json.loads(corpus_doc(name)))
    assert_agrees(compiled(name, target), model, data, points(model))


@pytest.mark.parametrize("name", ["sbottom", "xmlimport_input_bkg", "2-bin_1-channel"])
def test_expected_data_equals_pyhf(name: str) -> None:
    model, _ = pyhf_model(json.loads(corpus_doc(name)))
    f = compiled(name, "numpy", "expected")
    bins = np.arange(model.config.nmaindata, dtype=float)
    for p in points(model, 3, seed=5):
        given = {k: v for k, v in zip(model.config.par_names, p, strict=True) if k in f.parameters}
        got = f({"bin": bins, **given})  # parameters without effect on the expected counts are not inputs
        np.testing.assert_allclose(got, model.expected_actualdata(p), rtol=1e-12)
    first = model.config.channels[0]
    n = model.config.channel_nbins[first]
    per_channel = firmc.compile(firmc_model(name), "numpy", f"expected/{first}")({"bin": np.arange(n, dtype=float)})
    np.testing.assert_allclose(per_channel, model.expected_actualdata(points(model, 0)[0])[:n], rtol=1e-12)


def test_patchset_and_measurements() -> None:
    pyhf = pytest.importorskip("pyhf")
    bkg, patchset = _read("example_bkgonly"), _read("example_patchset")
    patch = select_patch(patchset, "patch_channel1_signal_syst1")
    ref_ws = pyhf.PatchSet(patchset)["patch_channel1_signal_syst1"].apply(pyhf.Workspace(bkg))
    for meas in ("GaussExample", "GammaExample", "LogNormExample", "ConstExample"):
        m = load_pyhf(bkg, [patch], measurement=meas)
        model, data = pyhf_model(dict(ref_ws), measurement_name=meas)
        assert_agrees(firmc.compile(m, "interp", "logpdf"), model, data, points(model, 5))
    entry = load_pyhf(bkg, [patchset["patches"][0]])  # a patchset entry works as a patch too
    assert entry.parameters.keys() == load_pyhf(bkg, [patch]).parameters.keys()


def test_load_dispatches_files() -> None:
    m = firmc.load(PYHF / "2-bin_1-channel.json")
    assert m.format == "pyhf" and m.source.endswith("2-bin_1-channel.json") and len(m.source_hash) == 64
    assert {"logpdf", "nll", "expected", "expected/singlechannel"} <= set(m.entries)


# ----------------------------------------------------------------------------------------------------- MLE
@pytest.mark.parametrize("name", ["xmlimport_input_bkg", "sbottom"])
def test_mle_reaches_pyhf_best_fit(name: str) -> None:
    pyhf = pytest.importorskip("pyhf")
    pytest.importorskip("iminuit")
    from firmc.fit import fit, newton_fit

    model, data = pyhf_model(json.loads(corpus_doc(name)))
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer(tolerance=1e-6))
    try:
        _, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    finally:
        pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer())
    target = "llvm" if "llvm" in available_targets() else "interp"
    c = compiled(name, target, "nll")
    r = fit(c, {}, hesse=False, tol=1e-6)
    assert r.valid
    assert r.nll == pytest.approx(float(twice_nll) / 2, abs=1e-6)  # pyhf returns -2 log L
    newton = newton_fit(c, {})  # Newton steps on the analytic Hessian, the default EDM 1e-6
    assert newton.valid and newton.hesse == "analytic"
    assert newton.nll == pytest.approx(float(twice_nll) / 2, abs=1e-6)


# ------------------------------------------------------------------------------------ random workspaces
CODES = [(n, h) for n in ("code1", "code4") for h in ("code0", "code2", "code4p")]


def random_workspace(seed: int) -> dict[str, Any]:
    """Two channels, three samples; every modifier type: normfactor (poi), lumi, normsys and histosys (one
    name shared by both), shapesys (with a zero-uncertainty bin), shapefactor (shared by both channels),
    staterror (combined over two samples, one bin without uncertainty); measurement overrides."""
    rng = np.random.default_rng(seed)
    chans, obs = [], []
    for ci, nb in enumerate((3, 2)):
        samples = []
        for si, sname in enumerate(("sig", "bkg", "other")):
            nom = rng.uniform(2.0, 30.0, nb)
            mods: list[dict[str, Any]] = [{"name": "lumi", "type": "lumi", "data": None}]
            if sname == "sig":
                mods.append({"name": "mu", "type": "normfactor", "data": None})
            for k in range(2):
                hi, lo = rng.uniform(1.0, 1.3), rng.uniform(0.75, 1.0)
                if rng.uniform() < 0.3:
                    hi, lo = lo, hi  # both on one side
                mods.append({"name": f"ns{k}", "type": "normsys", "data": {"hi": hi, "lo": lo}})
            shared = {"name": "ns0", "type": "histosys", "data": {
                "hi_data": list(nom * rng.uniform(1.0, 1.04, nb)), "lo_data": list(nom * rng.uniform(0.96, 1.0, nb))}}
            own = {"name": f"hs_{sname}", "type": "histosys", "data": {
                "hi_data": list(nom * rng.uniform(0.99, 1.05, nb)), "lo_data": list(nom * rng.uniform(0.97, 1.01, nb))}}
            mods += [shared, own]
            if si < 2:
                err = list(nom * rng.uniform(0.02, 0.2, nb))
                if ci == 0:
                    err[1] = 0.0 if si == 0 else err[1]
                mods.append({"name": f"staterror_c{ci}", "type": "staterror", "data": err})
            if sname == "bkg":
                unc = list(nom * rng.uniform(0.05, 0.3, nb))
                unc[0] = 0.0 if ci == 1 else unc[0]
                mods.append({"name": f"shapesys_c{ci}", "type": "shapesys", "data": unc})
            if sname == "other":
                mods.append({"name": "sf", "type": "shapefactor", "data": None})
            samples.append({"name": sname, "data": list(nom), "modifiers": mods})
        chans.append({"name": f"ch{ci}", "samples": samples})
        obs.append({"name": f"ch{ci}", "data": [float(rng.poisson(40.0)) for _ in range(nb)]})
    params = [{"name": "lumi", "auxdata": [1.0], "sigmas": [0.05], "bounds": [[0.5, 1.5]], "inits": [1.0]},
              {"name": "ns1", "bounds": [[-3.0, 3.0]], "inits": [0.5]},
              {"name": "staterror_c1", "sigmas": [0.1, 0.2]}]
    return {"version": "1.0.0", "channels": chans[::-1], "observations": obs,
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": params}}]}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("codes", CODES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_random_workspaces_equal_pyhf(codes: tuple[str, str], target: str) -> None:
    normsys, histosys = codes
    doc = random_workspace(CODES.index(codes))
    settings = {"normsys": {"interpcode": normsys}, "histosys": {"interpcode": histosys}}
    model, data = pyhf_model(copy.deepcopy(doc), modifier_settings=settings)
    m = load_pyhf(doc, options=Options(normsys=normsys, histosys=histosys))
    assert list(m.parameters) == model.config.par_names
    assert [p.const for p in m.parameters.values()] == model.config.suggested_fixed()
    pts = points(model, seed=CODES.index(codes))
    finite = [p for p in pts if np.isfinite(float(model.logpdf(p, data)[0]))]
    assert len(finite) >= 15
    assert_agrees(firmc.compile(m, target, "logpdf"), model, data, finite)


def test_default_codes_are_pyhf_model_defaults() -> None:
    doc = random_workspace(11)
    model, data = pyhf_model(copy.deepcopy(doc))
    assert_agrees(firmc.compile(load_pyhf(doc), "interp", "logpdf"), model, data, points(model, 10, seed=3))


# ----------------------------------------------------------------------------------------------- errors
def _minimal() -> dict[str, Any]:
    return {"version": "1.0.0",
            "channels": [{"name": "c", "samples": [{"name": "s", "data": [5.0, 6.0], "modifiers": [
                {"name": "mu", "type": "normfactor", "data": None}]}]}],
            "observations": [{"name": "c", "data": [6, 7]}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]}


def _edit(path: str, value: Any, op: str = "replace") -> dict[str, Any]:
    patch = [{"op": op, "path": path} | ({"value": value} if op != "remove" else {})]
    out: dict[str, Any] = apply_patch(_minimal(), patch)
    return out


BAD = [
    (_edit("/channels/0/samples/0/modifiers/0/type", "normsyst"),
     r"channels\[0\]\.samples\[0\]\.modifiers\[0\]\.type: unknown modifier type 'normsyst'; did you mean 'normsys'"),
    (_edit("/channels/0/samples/0/name", None, "remove"),
     r"channels\[0\]\.samples\[0\]: missing required field 'name'"),
    (_edit("/channels/0/samples/0/modifiers/-", {"name": "e", "type": "staterror", "data": [1.0]}, "add"),
     r"channels\[0\]\.samples\[0\]\.modifiers\[1\]\.data: expected 2 numbers \(one per bin\), found 1"),
    (_edit("/channels/0/samples/0/modifiers/-", {"name": "n", "type": "normsys", "data": {"hi": 1.1}}, "add"),
     r"modifiers\[1\]\.data: missing required field 'lo'"),
    (_edit("/channels/0/samples/0/modifiers/-", {"name": "h", "type": "histosys",
                                                 "data": {"hi_data": [1, 2], "lo_data": [1, "x"]}}, "add"),
     r"modifiers\[1\]\.data\.lo_data\[1\]: expected a number, found a string"),
    (_edit("/channels/0/samples/0/modifiers/0/data", [1.0]),
     r"modifiers\[0\]\.data: a normfactor modifier has data null"),
    (_edit("/channels/0/samples/0/modifiers/-", {"name": "lumi", "type": "lumi", "data": None}, "add"),
     r"measurements\[0\]\.config\.parameters|parameter 'lumi' needs 'inits'"),
    (_edit("/observations/0/data", [1.0]), r"observations\[0\]\.data: expected 2 numbers"),
    (_edit("/observations/0/name", "d"), r"observations: no observation for channel 'c'"),
    (_edit("/measurements/0/config/poi", "nu"),
     r"measurements\[0\]\.config\.poi: the parameter of interest 'nu' is not a parameter of the model"),
    (_edit("/measurements/0/config/parameters", [{"name": "mu", "sigmas": [1.0]}]),
     r"measurements\[0\]\.config\.parameters\[0\]\.sigmas: parameter 'mu' does not use 'sigmas'"),
    (_edit("/measurements/0/config/parameters", [{"name": "mu", "bounds": [[0, 1], [0, 2]]}]),
     r"parameters\[0\]\.bounds: 2 values for 'bounds' of parameter 'mu', expected 1"),
    (_edit("/channels/0/extra", 1, "add"), r"channels\[0\]: unknown field 'extra' in a channel"),
    (_edit("/version", "1.1.0"), r"version: unsupported workspace version '1.1.0'"),
    (_edit("/channels/0/samples/0/modifiers/-", {"name": "mu", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}},
           "add"), r"modifiers named 'mu' disagree on 'paramset_type'"),
]


@pytest.mark.parametrize(("doc", "message"), BAD, ids=range(len(BAD)))
def test_errors_name_the_json_path(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(firmc.FirmError, match=message):
        load_pyhf(doc)


def test_json_patch_operations() -> None:
    doc = {"a": [1, 2, 3], "b": {"c": 1}}
    ops = [{"op": "move", "from": "/a/0", "path": "/b/d"}, {"op": "copy", "from": "/b", "path": "/e"},
           {"op": "remove", "path": "/a/1"}, {"op": "test", "path": "/b/d", "value": 1},
           {"op": "add", "path": "/a/0", "value": 0}, {"op": "replace", "path": "/b/c", "value": "x"},
           {"op": "add", "path": "/k~1m", "value": None}]
    assert apply_patch(doc, ops) == {"a": [0, 2], "b": {"c": "x", "d": 1}, "e": {"c": 1, "d": 1}, "k/m": None}
    assert doc == {"a": [1, 2, 3], "b": {"c": 1}}
    with pytest.raises(firmc.FirmError, match=r"patch\[0\]\.path: array index 5 is out of range"):
        apply_patch(doc, [{"op": "remove", "path": "/a/5"}])
    with pytest.raises(firmc.FirmError, match=r"patch\[0\]\.op: unknown JSON Patch operation 'delete'"):
        apply_patch(doc, [{"op": "delete", "path": "/a"}])
    with pytest.raises(firmc.FirmError, match=r"unknown patch 'nope'"):
        select_patch(_read("example_patchset"), "nope")


def test_options_are_checked() -> None:
    with pytest.raises(firmc.FirmError, match="normsys interpolation must be one of code1, code4"):
        Options(normsys="code0")


# ------------------------------------------------------------------------------------ the analytic Hessian
def binned_workspace(nbins: int = 20, channels: int = 2) -> dict[str, Any]:
    """Channels of ``nbins`` bins (more than firmc unrolls: the likelihood is a loop over the bins) with a signal
    (normfactor) and two backgrounds (normsys, histosys, staterror per channel, shapesys on one)."""
    rng = np.random.default_rng(11)
    chans, obs = [], []
    for ci in range(channels):
        samples = []
        for sname in ("sig", "bkg0", "bkg1"):
            nom = rng.uniform(5.0, 50.0, nbins)
            mods: list[dict[str, Any]] = [{"name": f"stat_c{ci}", "type": "staterror",
                                           "data": list(nom * rng.uniform(0.02, 0.1, nbins))}]
            if sname == "sig":
                mods.append({"name": "mu", "type": "normfactor", "data": None})
            else:
                mods.append({"name": f"n_{sname}", "type": "normsys", "data": {"hi": 1.1, "lo": 0.92}})
                hi, lo = nom * rng.uniform(1.0, 1.1, nbins), nom * rng.uniform(0.9, 1.0, nbins)
                mods.append({"name": "shape", "type": "histosys", "data": {"hi_data": list(hi), "lo_data": list(lo)}})
            if sname == "bkg1" and ci == 0:
                mods.append({"name": "ss", "type": "shapesys", "data": list(nom * rng.uniform(0.05, 0.2, nbins))})
            samples.append({"name": sname, "data": list(nom), "modifiers": mods})
        chans.append({"name": f"c{ci}", "samples": samples})
        obs.append({"name": f"c{ci}", "data": [float(v) for v in rng.poisson(60.0, nbins)]})
    return {"version": "1.0.0", "channels": chans, "observations": obs,
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]}


@pytest.mark.parametrize("target", ["interp", target_param("numpy"), target_param("llvm")])
def test_sparse_hessian_equals_pyhf_jax(target: str) -> None:
    """The Hessian from coloured Hessian-vector products equals ``jax.hessian`` of pyhf's jax logpdf, and its
    pattern (read from the IR, per bin) needs far fewer products than parameters."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import pyhf

    doc = binned_workspace()
    m = load_pyhf(copy.deepcopy(doc))
    c = firmc.compile(m, target, "nll")
    pyhf.set_backend("jax")
    try:
        ws = pyhf.Workspace(copy.deepcopy(doc))
        model = ws.model()
        data = jax.numpy.asarray(ws.data(model))
        names = model.config.par_names
        p = np.array(points(model, 1, seed=4)[-1])
        want = np.asarray(jax.hessian(lambda q: -model.logpdf(q, data)[0])(jax.numpy.asarray(p)))
    finally:
        pyhf.set_backend("numpy")
    index = [names.index(q) for q in c.free_parameters]
    got = c.nll_hessian({}, dict(zip(names, p.tolist(), strict=True)))
    np.testing.assert_allclose(got, want[np.ix_(index, index)], rtol=1e-9, atol=1e-9 * np.abs(want).max())
    colours = c.hessian_program().colouring.colours
    assert len(index) == 64 and colours <= 6, colours  # the 60 bin gammas share colours
