"""HistFactory benchmark (issue 8): pyhf workspaces, firmc against pyhf (numpy, jax), a hand-written numba loop and
RooFit (ROOT's HistFactory), all in one run.

Two models:

* **sbottom**: the ATLAS sbottom multi-b RegionA likelihood, ``corpus/pyhf/BkgOnly.json`` with
  ``patch.sbottom_1000_131_1.json`` (3 channels × 3 bins, 64 parameters; pyhf's logpdf at the suggested init is
  −53.61809911, FORMATS.md §5.3);
* **synthetic**: PERFORMANCE.md's synthetic workspace, generated here from a fixed seed (:func:`synthetic_spec`):
  10 channels × 50 bins × 5 samples (``signal`` with the normfactor ``mu``; ``bkg0`` … ``bkg3``), normsys
  ``norm_0`` … ``norm_4`` (``norm_k`` on ``bkgk``, ``norm_4`` on every sample), histosys ``shape_0`` … ``shape_4``
  (``shape_k`` on ``bkgk``, ``shape_4`` on every background), and one staterror per channel on every sample:
  500 bins, 1 + 5 + 5 + 500 = 511 parameters; observations drawn from the model at its init.

Workloads: one NLL (= −logpdf with the observed data), the NLL with its gradient, the Hessian, and the full MLE fit
with uncertainties. Rows: firmc llvm (all threads, 1 thread) and jax (``firmc.load`` of the workspace; "not
available: <why>" while the pyhf front-end is missing), pyhf 0.7.6 numpy (``model.logpdf``), pyhf jax (jitted
``logpdf``, ``value_and_grad`` and ``jax.hessian``; also ``logpdf`` as pyhf calls it, unjitted), a hand-written
numba loop (synthetic model only: NLL and NLL + analytic gradient), and RooFit cpu on the same model rebuilt with
ROOT's HistFactory classes (:class:`RooFitModel`; interpolation codes set to pyhf 0.7.6's defaults — normsys code
4, histosys code 4p —, staterror without threshold and Gaussian; accepted only when RooFit's NLL minus pyhf's is
one constant at every check point). Fits: pyhf jax's jitted NLL and gradient with iminuit MIGRAD alone (the
anchor's fit), pyhf ``mle.fit`` with the minuit optimizer (jax and numpy; pyhf always runs HESSE after MIGRAD),
RooFit ``fitTo`` cpu (MIGRAD alone and with HESSE), and ``firmc.fit.fit``.

Every value is checked against pyhf numpy (rtol 1e-10; gradients against jax's, rtol 1e-8), the first calls (JIT) are
apart, each measurement repeats the call for >= 0.2 s, and all rows of one model and workload alternate round-robin
(medians with min–max; ratios per round). The issue's goals are printed MET / MISSED / N/A; the exit status is 0.

firmc's NLL, gradient and Hessian are timed through ``Compiled.prepared_nll`` (what ``firmc.fit`` uses; the Hessian
is one Hessian-vector product per colour of its sparsity pattern, :mod:`firmc.hessian`). firmc's jax target (not
jitted by ``prepared_nll``) is left out above 100 parameters unless ``FIRMC_BENCH_FULL=1``.

Run: ``bash scripts/bench.sh histfactory`` (or ``.venv/bin/python benchmarks/histfactory.py [--quick] [--out FILE]``;
``--quick`` is a smoke run without the HESSE fits, which writes a report only when given --out). About 10 minutes on
2 cores: the fits with numerical HESSE take most of it.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    REPORT,
    CpuMeter,
    Timed,
    alternate,
    cell,
    first_call,
    fmt_t,
    jax_one_thread,
    machine,
    no_block,
    publish,
    ratio_cell,
    ratios,
    single_threaded,
)

single_threaded()  # before jax loads; the llvm target sets its own threads

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
jax_one_thread(jax)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pyhf  # noqa: E402

import firmc  # noqa: E402

Fn = Callable[..., Any]
NCPU = os.cpu_count() or 1
CORPUS = Path(os.environ.get("FIRMC_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
SEED = 20260608
SLOW = 0.5  # seconds per call above which a quantity is timed once (the checks' calls), not round-robin
RTOL = 1e-10  # values against pyhf numpy
GRAD_RTOL = 1e-8  # gradients and Hessians against pyhf jax's
SBOTTOM_REF = -53.61809911  # FORMATS.md §5.3: pyhf 0.7.6 logpdf at the suggested init
GOALS = {"nll_us": 20.0, "grad_us": 60.0, "fit_vs_pyhf_jax": 10.0, "fit_vs_hesse": 100.0}
ANCHORS = {  # issue 8 and PERFORMANCE.md (synthetic model, 2-core development machine)
    "value": "RooFit cpu 63 µs (incremental), pyhf jax jit 245 µs, pyhf numpy 410 µs, pyhf jax unjitted 12.4 ms, "
             "numba hand loop 54 µs (PERFORMANCE.md: 38 µs)",
    "grad": "pyhf jax `jit(value_and_grad)` 446 µs",
    "fit": "pyhf jax + iminuit 0.61–1.1 s (MIGRAD strategy 0, 2065 calls + 10 gradients); pyhf `mle.fit` default "
           "1.37 s; RooFit legacy/cpu strategy 0 2.8 s / 3.3 s; any fit with HESSE 35–95 s (≈1.4e5 calls)",
}
QUANTITIES = ("value", "grad", "hessian")
QLABEL = {"value": "one NLL", "grad": "NLL + gradient", "hessian": "Hessian"}


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def set_backend(name: str) -> None:
    """pyhf's backend (64-bit) with the minuit optimizer; a no-op when it is set already (a switch re-runs every
    live model's precomputation)."""
    tl, opt = pyhf.get_backend()
    if tl.name != name or opt.name != "minuit":
        pyhf.set_backend(name, pyhf.optimize.minuit_optimizer(verbose=0), precision="64b")


# ---------------------------------------------------------------- the models

def sbottom_spec() -> dict[str, Any]:
    """BkgOnly.json with the patch applied (JSON Patch, as pyhf's ``Workspace.model(patches=...)`` does)."""
    import jsonpatch

    spec = json.loads((CORPUS / "pyhf" / "BkgOnly.json").read_text(encoding="utf-8"))
    patch = json.loads((CORPUS / "pyhf" / "patch.sbottom_1000_131_1.json").read_text(encoding="utf-8"))
    return jsonpatch.apply_patch(spec, patch)  # type: ignore[no-any-return]


N_CH, N_BINS, N_BKG, N_NORM, N_SHAPE = 10, 50, 4, 5, 5


def synthetic_spec(seed: int = SEED) -> dict[str, Any]:
    """PERFORMANCE.md's synthetic workspace: 10 channels × 50 bins × 5 samples, 511 parameters (module docstring).

    Example:
        >>> spec = synthetic_spec()
        >>> len(spec["channels"]), len(spec["channels"][0]["samples"]), len(spec["channels"][0]["samples"][0]["data"])
        (10, 5, 50)
    """
    rng = np.random.default_rng(seed)
    x = (np.arange(N_BINS) + 0.5) / N_BINS
    channels, observations = [], []
    for c in range(N_CH):
        samples = []
        peak = rng.uniform(0.3, 0.7)
        sig = 20.0 * rng.uniform(0.5, 1.5) * np.exp(-0.5 * ((x - peak) / 0.08) ** 2) + 0.05
        shapes = [sig] + [rng.uniform(50, 400) * np.exp(-rng.uniform(1.0, 4.0) * x) + rng.uniform(1, 10)
                          for _ in range(N_BKG)]
        expected = np.zeros(N_BINS)
        for s, nom in enumerate(shapes):
            name = "signal" if s == 0 else f"bkg{s - 1}"
            mods: list[dict[str, Any]] = []
            if s == 0:
                mods.append({"name": "mu", "type": "normfactor", "data": None})
            else:
                k = s - 1
                mods.append({"name": f"norm_{k}", "type": "normsys",
                             "data": {"hi": 1.0 + rng.uniform(0.03, 0.15), "lo": 1.0 - rng.uniform(0.03, 0.15)}})
            mods.append({"name": "norm_4", "type": "normsys", "data": {"hi": 1.02, "lo": 0.98}})
            if s > 0:
                for h in (s - 1, N_SHAPE - 1):
                    tilt = rng.uniform(0.02, 0.1) * (x - 0.5) * 2 + rng.normal(0.0, 0.01, N_BINS)
                    mods.append({"name": f"shape_{h}", "type": "histosys",
                                 "data": {"hi_data": (nom * (1 + tilt)).tolist(),
                                          "lo_data": (nom * (1 - 0.8 * tilt)).tolist()}})
            mods.append({"name": f"staterror_ch{c}", "type": "staterror",
                         "data": (nom * rng.uniform(0.02, 0.1, N_BINS)).tolist()})
            samples.append({"name": name, "data": nom.tolist(), "modifiers": mods})
            expected += nom
        channels.append({"name": f"ch{c}", "samples": samples})
        observations.append({"name": f"ch{c}", "data": rng.poisson(expected).astype(float).tolist()})
    return {"channels": channels, "observations": observations, "version": "1.0.0",
            "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}]}


@dataclass
class Bench:
    """One model: the pyhf workspace and models (numpy and jax), the observed data, the parameters (pyhf's order,
    flattened names), two points the rows alternate between (the init and a point near it) as arrays and as dicts."""

    key: str
    title: str
    spec: dict[str, Any]
    ws: Any = None
    model: Any = None
    data: np.ndarray | None = None
    names: list[str] = field(default_factory=list)
    init: np.ndarray | None = None
    bounds: list[tuple[float, float]] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    dict_points: list[dict[str, float]] = field(default_factory=list)
    ref: dict[str, list[float]] = field(default_factory=dict)  # quantity -> pyhf's NLL (value) at both points
    anchors: dict[str, float] = field(default_factory=dict)  # pyhf logpdf at the init etc.
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def flat(self, p: np.ndarray) -> dict[str, float]:
        return dict(zip(self.names, map(float, p), strict=True))


def make_bench(key: str, title: str, spec: dict[str, Any]) -> Bench:
    b = Bench(key, title, spec)
    set_backend("numpy")
    t0 = time.perf_counter()
    b.ws = pyhf.Workspace(spec)
    b.model = b.ws.model()
    b.data = np.asarray(b.ws.data(b.model), dtype=np.float64)
    b.seconds["pyhf: Workspace + model (numpy)"] = time.perf_counter() - t0
    cfg = b.model.config
    b.names = list(cfg.par_names)
    b.init = np.asarray(cfg.suggested_init(), dtype=np.float64)
    b.bounds = [tuple(map(float, bd)) for bd in cfg.suggested_bounds()]
    rng = np.random.default_rng(SEED + 1)
    near = b.init.copy()
    for name in cfg.par_order:  # a point near the init: alphas ±0.3, gammas and norms ±2 %
        sl = cfg.par_slice(name)
        kind = cfg.param_set(name).__class__.__name__
        n = sl.stop - sl.start
        near[sl] = b.init[sl] + (rng.normal(0, 0.3, n) if "constrained_by_normal" in kind and b.init[sl][0] == 0.0
                                 else b.init[sl] * rng.normal(0, 0.02, n))
    lo, hi = np.array(b.bounds).T
    b.points = [b.init, np.clip(near, lo, hi)]
    b.dict_points = [b.flat(p) for p in b.points]
    b.ref["value"] = [-float(b.model.logpdf(p, b.data)[0]) for p in b.points]
    b.anchors["pyhf logpdf at the init"] = -b.ref["value"][0]
    return b


# ---------------------------------------------------------------- implementations

@dataclass
class Impl:
    """One implementation on one model: a callable per quantity, ``fn(data, point)``; ``points`` its form of the two
    evaluation points; ``missing`` why it is absent, ``absent[q]`` why one quantity is."""

    key: str
    label: str
    family: str  # firmc, pyhf, hand-written, RooFit
    fns: dict[str, Fn] = field(default_factory=dict)
    points: Sequence[Any] = ()
    data: Any = None
    block: Fn = no_block
    prepare: Callable[[], Any] | None = None
    missing: str | None = None
    absent: dict[str, str] = field(default_factory=dict)
    note: str = ""
    check: dict[str, str] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    as_nll: Fn = float  # how a value result becomes a float NLL
    as_grad: Fn | None = None  # how a grad result becomes (NLL, np.ndarray in pyhf's order)
    as_hess: Fn | None = None  # how a Hessian result becomes an np.ndarray in pyhf's order
    offset: bool = False  # the NLL equals pyhf's up to a constant (RooFit)
    slow: dict[str, float] = field(default_factory=dict)  # quantity -> seconds per call when > SLOW (not repeated)


def pyhf_impls(b: Bench) -> tuple[list[Impl], dict[str, Fn]]:
    """pyhf numpy, pyhf jax jitted and unjitted; also the jitted jax functions (the reference gradient/Hessian) and
    the jax model and data (under "model" and "data", for pyhf's jax fits)."""
    data = b.data
    np_model = b.model

    def np_value(d: Any, p: np.ndarray) -> Any:
        return np_model.logpdf(p, d)

    out = [Impl("pyhf-numpy", "pyhf numpy (`model.logpdf`)", "pyhf", {"value": np_value}, b.points, data,
                prepare=lambda: set_backend("numpy"), as_nll=lambda r: -float(r[0]),
                absent={"grad": "– (no autodiff in the numpy backend)", "hessian": "–"})]
    set_backend("jax")
    t0 = time.perf_counter()
    jws = pyhf.Workspace(b.spec)
    jmodel = jws.model()
    jdata = jnp.asarray(np.asarray(jws.data(jmodel), dtype=np.float64))
    b.seconds["pyhf: Workspace + model (jax)"] = time.perf_counter() - t0

    def nll(p: Any) -> Any:
        return -jmodel.logpdf(p, jdata)[0]

    jitted = {"value": jax.jit(nll), "grad": jax.jit(jax.value_and_grad(nll)), "hessian": jax.jit(jax.hessian(nll))}
    jpoints = [jnp.asarray(p) for p in b.points]
    fns = {q: (lambda d, p, f=f: f(p)) for q, f in jitted.items()}
    out.append(Impl("pyhf-jax-jit", "pyhf jax, `jax.jit` (NLL, `value_and_grad`, `jax.hessian`)", "pyhf", fns,
                    jpoints, None, block=jax.block_until_ready, prepare=lambda: set_backend("jax"),
                    as_grad=lambda r: (float(r[0]), np.asarray(r[1])), as_hess=np.asarray))

    def unjitted(d: Any, p: Any) -> Any:
        return jmodel.logpdf(p, d)

    out.append(Impl("pyhf-jax", "pyhf jax as pyhf calls it (`model.logpdf`, not jitted)", "pyhf",
                    {"value": unjitted}, jpoints, jdata, block=jax.block_until_ready,
                    prepare=lambda: set_backend("jax"), as_nll=lambda r: -float(r[0]),
                    absent={"grad": "–", "hessian": "–"}))
    return out, {**jitted, "model": jmodel, "data": jdata}


BIG = 100  # parameters above which firmc's jax target is compiled only with FIRMC_BENCH_FULL=1
FULL = os.environ.get("FIRMC_BENCH_FULL", "") == "1"


def _big_why(b: Bench, what: str) -> str | None:
    if len(b.names) <= BIG or FULL:
        return None
    return (f"not run: {what} for {len(b.names)} parameters is left out of the default run (its unjitted "
            "evaluation; FIRMC_BENCH_FULL=1 adds it)")


def firmc_impls(b: Bench) -> list[Impl]:  # noqa: PLR0915
    """firmc llvm (all threads, 1 thread) and jax, entry ``nll`` of the workspace: NLL, NLL + gradient and the
    Hessian through ``Compiled.prepared_nll`` (an array of the free parameters; one native call for the NLL and
    its gradient, one per colour of the Hessian's pattern for the Hessian: what ``firmc.fit`` uses); "not
    available" rows while the front-end or a target is missing."""
    labels = {"llvm-all": f"firmc llvm, all threads ({NCPU})", "llvm-1": "firmc llvm, 1 thread",
              "jax": "firmc jax"}
    try:
        t0 = time.perf_counter()
        module = firmc.load(copy.deepcopy(b.spec))
        b.seconds["firmc: load"] = time.perf_counter() - t0
    except Exception as exc:
        why = f"not available: `firmc.load` of the workspace: {_why(exc)}"
        b.__dict__["firmc_why"] = why
        return [Impl(k, label, "firmc", missing=why) for k, label in labels.items()]
    compiled: dict[str, Any] = {}
    for target in ("llvm", "jax"):
        if target == "jax" and (why := _big_why(b, "the jax target")):
            compiled[target] = why
            continue
        try:
            t0 = time.perf_counter()
            c = firmc.compile(module, target, "nll")
            b.seconds[f"firmc {target}: compile"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            prepared = c.prepared_nll({})
            b.seconds[f"firmc {target}: prepared_nll"] = time.perf_counter() - t0
            compiled[target] = (c, prepared)
            if target == "llvm":
                b.__dict__["firmc_llvm"] = c
        except Exception as exc:
            compiled[target] = f"not available: {_why(exc)}"
            b.__dict__.setdefault("firmc_why", compiled[target])
    threads: Callable[[int | None], Any] | None = None
    with contextlib.suppress(Exception):
        threads = importlib.import_module("firmc.backends.llvm").set_threads
    out: list[Impl] = []
    for key, label in labels.items():
        got = compiled["llvm" if key.startswith("llvm") else "jax"]
        if isinstance(got, str):
            out.append(Impl(key, label, "firmc", missing=got))
            continue
        c, prepared = got
        free = list(c.free_parameters)
        idx = [b.names.index(n) for n in free]
        k = {"llvm-all": None, "llvm-1": 1}.get(key, 1)

        def prep(k: int | None = k) -> None:
            set_backend("numpy")
            if threads:
                threads(k)

        def grad_order(r: Any, idx: list[int] = idx) -> tuple[float, np.ndarray]:
            g = np.zeros(len(b.names))
            g[idx] = np.asarray(r[1])
            return float(r[0]), g

        def hess(h: np.ndarray, idx: list[int] = idx) -> np.ndarray:
            full = np.zeros((len(b.names), len(b.names)))
            full[np.ix_(idx, idx)] = h
            return full

        fns: dict[str, Fn] = {"value": lambda d, x, pr=prepared: pr.nll(x[0]),
                              "grad": lambda d, x, pr=prepared: pr.nll_grad(x[0]),
                              "hessian": lambda d, x, pr=prepared: pr.hessian(x[0])}
        absent: dict[str, str] = {}
        points = [(np.array([dp[n] for n in free]), dp) for dp in b.dict_points]
        out.append(Impl(key, label, "firmc", fns, points, {}, prepare=prep, absent=absent, as_grad=grad_order,
                        as_hess=hess, note=f"`prepared_nll`; Hessian: "
                        f"{c.hessian_program().colouring.colours} Hessian-vector products"))
    return out


# ---------------------------------------------------------------- the hand-written numba loop (synthetic model)

def code4_coefficients(hi: float, lo: float) -> np.ndarray:
    """pyhf's normsys code 4 (α0 = 1) inside |α| < 1: κ = 1 + Σ_{i=1..6} a_i α^i, matching hi^α and lo^(−α) with
    their first and second derivatives at α = ±1; the coefficients a_1 … a_6."""
    lh, ll = math.log(hi), math.log(lo)
    rows, rhs = [], []
    for x, f, d1, d2 in ((1.0, hi, hi * lh, hi * lh * lh), (-1.0, lo, -lo * ll, lo * ll * ll)):
        rows += [[x**i for i in range(1, 7)], [i * x ** (i - 1) for i in range(1, 7)],
                 [i * (i - 1) * x ** (i - 2) if i >= 2 else 0.0 for i in range(1, 7)]]
        rhs += [f - 1.0, d1, d2]
    return np.linalg.solve(np.array(rows), np.array(rhs))


class Dense:
    """The synthetic workspace as dense arrays for the numba loop (channel, sample, bin), with the index of every
    parameter in pyhf's order. pyhf 0.7.6's defaults (``modifier_settings``): normsys code 4 (absent: log 1 = 0 and
    zero coefficients, κ = 1), histosys code 4p (absent: Δ = 0)."""

    def __init__(self, b: Bench) -> None:
        cfg = b.model.config
        spec = b.spec
        c_n, s_n, b_n = len(spec["channels"]), len(spec["channels"][0]["samples"]), N_BINS
        self.nom = np.zeros((c_n, s_n, b_n))
        self.up = np.zeros((c_n, s_n, N_SHAPE, b_n))  # hi - nom
        self.down = np.zeros((c_n, s_n, N_SHAPE, b_n))  # nom - lo
        self.log_hi = np.zeros((c_n, s_n, N_NORM))
        self.log_lo = np.zeros((c_n, s_n, N_NORM))
        self.poly = np.zeros((c_n, s_n, N_NORM, 6))
        self.is_sig = np.zeros(s_n)
        err2 = np.zeros((c_n, b_n))
        for c, ch in enumerate(spec["channels"]):
            for s, smp in enumerate(ch["samples"]):
                nom = np.asarray(smp["data"])
                self.nom[c, s] = nom
                for m in smp["modifiers"]:
                    t, name = m["type"], m["name"]
                    if t == "normfactor":
                        self.is_sig[s] = 1.0
                    elif t == "normsys":
                        n = int(name.split("_")[1])
                        self.log_hi[c, s, n] = math.log(m["data"]["hi"])
                        self.log_lo[c, s, n] = math.log(m["data"]["lo"])
                        self.poly[c, s, n] = code4_coefficients(m["data"]["hi"], m["data"]["lo"])
                    elif t == "histosys":
                        h = int(name.split("_")[1])
                        self.up[c, s, h] = np.asarray(m["data"]["hi_data"]) - nom
                        self.down[c, s, h] = nom - np.asarray(m["data"]["lo_data"])
                    elif t == "staterror":
                        err2[c] += np.asarray(m["data"]) ** 2
        self.sym = 0.5 * (self.up + self.down)  # code 4p inside |α| <= 1: α (S + α A (15 + α² (3α² − 10)))
        self.asym = 0.0625 * (self.up - self.down)
        self.sigma = np.sqrt(err2) / self.nom.sum(axis=1)  # pyhf: combined per channel over the samples
        obs = np.asarray(b.data[: c_n * b_n]).reshape(c_n, b_n)  # the main data; aux data follow
        self.obs = obs
        self.i_mu = cfg.par_slice("mu").start
        self.i_norm = np.array([cfg.par_slice(f"norm_{n}").start for n in range(N_NORM)])
        self.i_shape = np.array([cfg.par_slice(f"shape_{h}").start for h in range(N_SHAPE)])
        self.i_gamma = np.array([list(range(cfg.par_slice(f"staterror_ch{c}").start,
                                            cfg.par_slice(f"staterror_ch{c}").stop)) for c in range(c_n)])
        lgam = sum(math.lgamma(v + 1.0) for v in obs.ravel())
        n_gauss = N_NORM + N_SHAPE + c_n * b_n
        self.const = lgam + 0.5 * math.log(2 * math.pi) * n_gauss + float(np.log(self.sigma).sum())

    def args(self) -> tuple[Any, ...]:
        return (self.nom, self.up, self.down, self.sym, self.asym, self.log_hi, self.log_lo, self.poly, self.is_sig,
                self.sigma, self.obs, self.i_mu, self.i_norm, self.i_shape, self.i_gamma, self.const)


def numba_kernels() -> tuple[Fn, Fn]:  # noqa: PLR0915
    """NLL and NLL + gradient of the synthetic model (normsys code 4, histosys code 4p, staterror Gaussian, Poisson
    with lgamma), as pyhf computes them; loops over channel, sample, bin; ``njit(fastmath=True)``."""
    from numba import njit

    @njit(fastmath=True, inline="always")
    def kappa(a: float, log_hi: float, log_lo: float, poly: Any) -> tuple[float, float]:
        """normsys code 4: κ(α) and dκ/dα."""
        if a >= 1.0:
            k = math.exp(a * log_hi)
            return k, k * log_hi
        if a <= -1.0:
            k = math.exp(-a * log_lo)
            return k, -k * log_lo
        k, d, x = 1.0, 0.0, 1.0
        for i in range(6):
            d += (i + 1) * poly[i] * x
            x *= a
            k += poly[i] * x
        return k, d

    @njit(fastmath=True, inline="always")
    def delta(a: float, up: float, down: float, sym: float, asym: float) -> tuple[float, float]:
        """histosys code 4p: Δ(α) and dΔ/dα."""
        if a > 1.0:
            return a * up, up
        if a < -1.0:
            return a * down, down
        a2 = a * a
        return (a * (sym + a * asym * (15.0 + a2 * (3.0 * a2 - 10.0))),
                sym + asym * a * (30.0 + a2 * (18.0 * a2 - 40.0)))

    @njit(fastmath=True)
    def nll(p: Any, nom: Any, up: Any, down: Any, sym: Any, asym: Any, log_hi: Any, log_lo: Any, poly: Any,
            is_sig: Any, sigma: Any, obs: Any, i_mu: int, i_norm: Any, i_shape: Any, i_gamma: Any,
            const: float) -> float:
        n_c, n_s, n_b = nom.shape
        n_n, n_h = log_hi.shape[2], up.shape[2]
        mu = p[i_mu]
        total = const
        for n in range(n_n):
            total += 0.5 * p[i_norm[n]] ** 2
        for h in range(n_h):
            total += 0.5 * p[i_shape[h]] ** 2
        lam = np.empty(n_b)
        for c in range(n_c):
            lam[:] = 0.0
            for s in range(n_s):
                f = mu if is_sig[s] != 0.0 else 1.0
                for n in range(n_n):
                    f *= kappa(p[i_norm[n]], log_hi[c, s, n], log_lo[c, s, n], poly[c, s, n])[0]
                for b in range(n_b):
                    v = nom[c, s, b]
                    for h in range(n_h):
                        v += delta(p[i_shape[h]], up[c, s, h, b], down[c, s, h, b], sym[c, s, h, b],
                                   asym[c, s, h, b])[0]
                    lam[b] += v * f
            for b in range(n_b):
                g = p[i_gamma[c, b]]
                lb = lam[b] * g
                d = (g - 1.0) / sigma[c, b]
                total += lb - obs[c, b] * math.log(lb) + 0.5 * d * d
        return total

    @njit(fastmath=True)
    def nll_grad(p: Any, nom: Any, up: Any, down: Any, sym: Any, asym: Any, log_hi: Any, log_lo: Any, poly: Any,
                 is_sig: Any, sigma: Any, obs: Any, i_mu: int, i_norm: Any, i_shape: Any, i_gamma: Any,
                 const: float) -> tuple[float, Any]:
        n_c, n_s, n_b = nom.shape
        n_n, n_h = log_hi.shape[2], up.shape[2]
        grad = np.zeros(p.shape[0])
        mu = p[i_mu]
        total = const
        for n in range(n_n):
            total += 0.5 * p[i_norm[n]] ** 2
            grad[i_norm[n]] += p[i_norm[n]]
        for h in range(n_h):
            total += 0.5 * p[i_shape[h]] ** 2
            grad[i_shape[h]] += p[i_shape[h]]
        v = np.empty((n_s, n_b))
        dv = np.empty((n_s, n_h, n_b))
        f = np.empty(n_s)
        kap = np.empty(n_s)
        dlogk = np.empty((n_s, n_n))
        w = np.empty(n_b)
        for c in range(n_c):
            for s in range(n_s):
                k_all = 1.0
                for n in range(n_n):
                    k, dk = kappa(p[i_norm[n]], log_hi[c, s, n], log_lo[c, s, n], poly[c, s, n])
                    k_all *= k
                    dlogk[s, n] = dk / k
                kap[s] = k_all
                f[s] = k_all * (mu if is_sig[s] != 0.0 else 1.0)
                for b in range(n_b):
                    vb = nom[c, s, b]
                    for h in range(n_h):
                        dd, ddd = delta(p[i_shape[h]], up[c, s, h, b], down[c, s, h, b], sym[c, s, h, b],
                                        asym[c, s, h, b])
                        vb += dd
                        dv[s, h, b] = ddd
                    v[s, b] = vb
            for b in range(n_b):  # the NLL, and w = dNLL/dλ
                lam = 0.0
                for s in range(n_s):
                    lam += v[s, b] * f[s]
                g = p[i_gamma[c, b]]
                lb = lam * g
                d = (g - 1.0) / sigma[c, b]
                total += lb - obs[c, b] * math.log(lb) + 0.5 * d * d
                w[b] = 1.0 - obs[c, b] / lb
                grad[i_gamma[c, b]] += w[b] * lam + d / sigma[c, b]
            for s in range(n_s):  # dλ/dθ for mu, the normsys and the histosys
                acc = 0.0
                for b in range(n_b):
                    wg = w[b] * p[i_gamma[c, b]]
                    acc += wg * v[s, b]
                    for h in range(n_h):
                        grad[i_shape[h]] += wg * f[s] * dv[s, h, b]
                for n in range(n_n):
                    grad[i_norm[n]] += acc * f[s] * dlogk[s, n]
                if is_sig[s] != 0.0:
                    grad[i_mu] += acc * kap[s]
        return total, grad

    return nll, nll_grad


def numba_impl(b: Bench, seconds: dict[str, float]) -> Impl:
    label = "numba hand loop `njit(fastmath=True)` (full evaluation)"
    try:
        t0 = time.perf_counter()
        nll, nll_grad = numba_kernels()
        dense = Dense(b)
        args = dense.args()
        nll(b.init, *args), nll_grad(b.init, *args)
        seconds["numba: compile (NLL and NLL + grad)"] = time.perf_counter() - t0
    except Exception as exc:
        return Impl("numba", label, "hand-written", missing=f"not available: {_why(exc)}")
    return Impl("numba", label, "hand-written",
                {"value": lambda d, p: nll(p, *args), "grad": lambda d, p: nll_grad(p, *args)}, b.points, None,
                prepare=lambda: set_backend("numpy"), as_grad=lambda r: (float(r[0]), np.asarray(r[1])),
                absent={"hessian": "–"}, note="normsys code 4, histosys code 4p, Gaussian staterror, lgamma constant")


# ---------------------------------------------------------------- RooFit: the same model in ROOT's HistFactory

class RooFitModel:
    """The workspace rebuilt with ROOT's HistFactory C++ classes (Measurement, Channel, Sample; no files), made into
    a RooWorkspace by ``HistoToWorkspaceFactoryFast::MakeCombinedModel``. pyhf's semantics are set explicitly:
    normsys → OverallSys with FlexibleInterpVar code 4, histosys → HistoSys with PiecewiseInterpolation code 4
    (pyhf 0.7.6's defaults, from ``modifier_settings``: normsys code4, histosys code4p — not code1/code0 as its
    modifier classes' signatures suggest),
    histosys sums not clipped at 0 (``setPositiveDefinite(false)``: ROOT's default clips, pyhf's does not),
    staterror → ``ActivateStatError`` with the absolute errors as bin errors and ``SetStatErrorConfig(0,
    "Gaussian")`` (no threshold: every γ floats, as in pyhf), normfactor → NormFactor with pyhf's init and bounds,
    lumi → a NormFactor ``lumi`` on the samples with the lumi modifier and an external Gaussian constraint
    (auxiliary 1, the measurement's sigma), the measurement's own Lumi held constant at 1: ROOT 6.40's
    ``MakeCombinedModel`` multiplies every sample by Lumi, ``SetNormalizeByTheory(false)`` or not (the sbottom
    model's ttbar has no lumi modifier: its NLL was not pyhf's). Parameters map to RooFit's names (``alpha_X``,
    ``gamma_stat_<ch>_bin_<i>``, ``lumi``). Other modifier types raise (not needed for the two models here)."""

    def __init__(self, b: Bench) -> None:  # noqa: PLR0915
        import ROOT

        ROOT.gROOT.SetBatch(True)
        ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.WARNING)
        ROOT.TH1.AddDirectory(False)
        self.root = ROOT
        hf = ROOT.RooStats.HistFactory
        cfg = b.model.config
        meas = hf.Measurement("meas", "meas")
        meas.SetPOI(cfg.poi_name)
        lumi_cfg = next((p for p in b.spec["measurements"][0]["config"]["parameters"] if p["name"] == "lumi"), None)
        meas.SetLumi(1.0)
        meas.SetLumiRelErr(0.1)
        meas.AddConstantParam("Lumi")  # pyhf's lumi is the NormFactor ``lumi`` with an external constraint
        self.map: dict[str, str] = {}  # pyhf flattened name -> RooFit variable name
        obs = {o["name"]: o["data"] for o in b.spec["observations"]}
        self._keep: list[Any] = []

        def hist(name: str, vals: Sequence[float], errs: Sequence[float] | None = None) -> Any:
            h = ROOT.TH1D(name, name, len(vals), 0.0, float(len(vals)))
            for i, v in enumerate(vals):
                h.SetBinContent(i + 1, float(v))
                h.SetBinError(i + 1, float(errs[i]) if errs is not None else 0.0)
            ROOT.SetOwnership(h, False)  # HistFactory's HistRef takes it
            return h

        for ch in b.spec["channels"]:
            cname = ch["name"]
            chan = hf.Channel(cname)
            chan.SetStatErrorConfig(0.0, "Gaussian")
            chan.SetData(hist(f"data_{cname}", obs[cname]))
            for smp in ch["samples"]:
                sname = f"{cname}_{smp['name']}"
                stat = next((m for m in smp["modifiers"] if m["type"] == "staterror"), None)
                sample = hf.Sample(smp["name"])
                sample.SetHisto(hist(f"h_{sname}", smp["data"], stat["data"] if stat else None))
                sample.SetNormalizeByTheory(False)  # ignored by ROOT 6.40: Lumi is constant instead
                for m in smp["modifiers"]:
                    t, name = m["type"], m["name"]
                    if t == "normfactor":
                        i = b.names.index(name)
                        lo, hi = b.bounds[i]
                        sample.AddNormFactor(name, float(b.init[i]), lo, hi)
                        self.map[name] = name
                    elif t == "normsys":
                        sample.AddOverallSys(name, float(m["data"]["lo"]), float(m["data"]["hi"]))
                        self.map[name] = f"alpha_{name}"
                    elif t == "histosys":
                        hs = hf.HistoSys()
                        hs.SetName(name)
                        hs.SetHistoLow(hist(f"lo_{sname}_{name}", m["data"]["lo_data"]))
                        hs.SetHistoHigh(hist(f"hi_{sname}_{name}", m["data"]["hi_data"]))
                        sample.AddHistoSys(hs)
                        self.map[name] = f"alpha_{name}"
                    elif t == "staterror":
                        sample.ActivateStatError()
                        n = len(smp["data"])
                        self.map.update({f"{name}[{i}]": f"gamma_stat_{cname}_bin_{i}" for i in range(n)})
                    elif t == "lumi":
                        i = b.names.index(name)
                        lo, hi = b.bounds[i]
                        sample.AddNormFactor(name, float(b.init[i]), lo, hi)
                        self.map[name] = name
                    else:
                        raise NotImplementedError(f"modifier type {t!r} is not converted to HistFactory here")
                chan.AddSample(sample)
            meas.AddChannel(chan)
        self._keep.append(meas)
        self.ws = hf.HistoToWorkspaceFactoryFast.MakeCombinedModel(meas)
        for fn in self.ws.allFunctions():  # pyhf 0.7.6's codes: normsys 4, histosys 4p (= ROOT's 4)
            if fn.InheritsFrom("RooStats::HistFactory::FlexibleInterpVar") or fn.InheritsFrom(
                    "PiecewiseInterpolation"):
                fn.setAllInterpCodes(4)
            if fn.InheritsFrom("PiecewiseInterpolation"):  # pyhf does not clip a bin at 0 after the histosys
                fn.setPositiveDefinite(False)  # (sbottom's Z at JET_GroupedNP_2 = -0.39: -3.9e-4 events)
        self.constraints = ROOT.RooArgSet()
        if "lumi" in self.map:  # pyhf: Gauss(auxdata | lumi, sigma)
            sigma = float(lumi_cfg["sigmas"][0]) if lumi_cfg else 0.1
            aux = float(lumi_cfg["auxdata"][0]) if lumi_cfg and "auxdata" in lumi_cfg else 1.0
            gauss = ROOT.RooGaussian("lumi_pyhf_constraint", "", ROOT.RooFit.RooConst(aux), self.ws.var("lumi"),
                                     ROOT.RooFit.RooConst(sigma))
            self._keep.append(gauss)
            self.constraints.add(gauss)
        self.mc = self.ws.obj("ModelConfig")
        self.pdf = self.mc.GetPdf()
        self.data = self.ws.data("obsData")
        self.params = self.pdf.getParameters(self.data)
        missing = [v for v in self.map.values() if not self.ws.var(v)]
        if missing:
            raise RuntimeError(f"RooFit has no variables {missing[:3]}")
        self.vars = {n: self.ws.var(v) for n, v in self.map.items()}
        self.snapshots: list[Any] = []
        for p in b.dict_points:
            self.set(p)
            self.snapshots.append(self.params.snapshot())
        self.set(b.dict_points[0])

    def set(self, p: dict[str, float]) -> None:
        for n, v in self.vars.items():
            v.setVal(p[n])

    def nll(self, backend: str = "cpu") -> Any:
        return self.pdf.createNLL(self.data, GlobalObservables=self.mc.GetGlobalObservables(), EvalBackend=backend,
                                  ExternalConstraints=self.constraints)

    def values(self) -> dict[str, float]:
        return {n: float(v.getVal()) for n, v in self.vars.items()}

    def errors(self) -> dict[str, float]:
        return {n: float(v.getError()) for n, v in self.vars.items()}


def roofit_impls(b: Bench, seconds: dict[str, float]) -> tuple[list[Impl], RooFitModel | None, str]:
    """RooFit cpu: one parameter changed (the POI, as the anchor measures it; RooFit re-evaluates only what depends
    on it) and every parameter changed (``params.assign(snapshot)``: a full evaluation)."""
    labels = {"roofit-cpu-poi": "RooFit cpu, `getVal` after the POI changed",
              "roofit-cpu-all": "RooFit cpu, `getVal` after every parameter changed"}
    try:
        t0 = time.perf_counter()
        rf = RooFitModel(b)
        seconds["RooFit: HistFactory model"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        nll = rf.nll("cpu")
        seconds["RooFit cpu: createNLL"] = time.perf_counter() - t0
    except Exception as exc:
        why = f"not available: {_why(exc)}"
        return [Impl(k, label, "RooFit", missing=why) for k, label in labels.items()], None, why
    poi = rf.vars[b.model.config.poi_name]
    poi_points = [b.dict_points[0], {**b.dict_points[0], b.model.config.poi_name: b.dict_points[0][
        b.model.config.poi_name] * 1.01}]

    def prep_poi() -> None:
        set_backend("numpy")
        rf.set(b.dict_points[0])

    def value_poi(d: Any, p: dict[str, float]) -> float:
        poi.setVal(p[b.model.config.poi_name])
        return float(nll.getVal())

    snap = {id(p): s for p, s in zip(b.dict_points, rf.snapshots, strict=True)}

    def value_all(d: Any, p: dict[str, float]) -> float:
        rf.params.assign(snap[id(p)])
        return float(nll.getVal())

    no = {"grad": "– (no analytic gradient in the pip wheel)", "hessian": "– (numerical only: HESSE)"}
    out = [Impl("roofit-cpu-poi", labels["roofit-cpu-poi"], "RooFit", {"value": value_poi}, poi_points, None,
                prepare=prep_poi, absent=dict(no), offset=True),
           Impl("roofit-cpu-all", labels["roofit-cpu-all"], "RooFit", {"value": value_all}, b.dict_points, None,
                prepare=prep_poi, absent=dict(no), offset=True)]
    return out, rf, ""


# ---------------------------------------------------------------- checks and timing

def _rel(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def check_all(b: Bench, impls: Sequence[Impl], jitted: dict[str, Fn], roofit_points: int = 6) -> None:
    """First calls (timed), then every quantity at both points: values against pyhf numpy, gradients and Hessians
    against pyhf jax's. RooFit's NLL minus pyhf's must be one constant."""
    set_backend("jax")
    jref = {q: [jitted[q](jnp.asarray(p)) for p in b.points] for q in ("grad", "hessian")}
    grad_ref = [np.asarray(r[1]) for r in jref["grad"]]
    hess_ref = [np.asarray(r) for r in jref["hessian"]]
    for im in impls:
        if im.missing:
            continue
        for q in QUANTITIES:
            fn = im.fns.get(q)
            if fn is None:
                continue
            try:
                if im.prepare:
                    im.prepare()
                _, im.first[q] = first_call(fn, im.data, im.block, im.points[0])
                t0 = time.perf_counter()
                results = [im.block(fn(im.data, p)) for p in im.points]
                per = (time.perf_counter() - t0) / len(im.points)
                if per > SLOW:
                    im.slow[q] = per
            except Exception as exc:
                if q == "value":
                    im.missing = f"failed: {_why(exc)}"
                    break
                im.absent[q] = f"failed: {_why(exc)}"
                im.fns.pop(q)
                continue
            if q == "value" and im.offset:
                continue  # below
            if q == "value":
                worst = max(abs(im.as_nll(r) - want) / abs(want) for r, want in zip(results, b.ref["value"],
                                                                                      strict=True))
                im.check[q] = "" if worst <= RTOL else f"**differs** by {worst:.1e} relative"
            elif q == "grad" and im.as_grad is not None:
                got = [im.as_grad(r) for r in results]
                worst_v = max(abs(v - w) / abs(w) for (v, _), w in zip(got, b.ref["value"], strict=True))
                worst_g = max(_rel(g, w) for (_, g), w in zip(got, grad_ref, strict=True))
                bad = [f"value by {worst_v:.1e}" if worst_v > RTOL else "",
                       f"gradient by {worst_g:.1e}" if worst_g > GRAD_RTOL else ""]
                im.check[q] = "**differs**: " + ", ".join(m for m in bad if m) if any(bad) else ""
            elif q == "hessian" and im.as_hess is not None:
                worst = max(_rel(im.as_hess(r), w) for r, w in zip(results, hess_ref, strict=True))
                im.check[q] = "" if worst <= GRAD_RTOL else f"**differs** by {worst:.1e} (max abs / max |H|)"
    roofit_offsets(b, impls, roofit_points)


def roofit_offsets(b: Bench, impls: Sequence[Impl], n_points: int) -> None:
    """RooFit's NLL − pyhf's at the two points and at ``n_points`` random ones (every parameter moved): one
    constant (to 1e-8 absolute) or the RooFit rows are dropped as not the same model."""
    rf_rows = [im for im in impls if im.offset and not im.missing]
    if not rf_rows:
        return
    rf: RooFitModel = b.__dict__["roofit"]
    set_backend("numpy")
    rng = np.random.default_rng(SEED + 2)
    lo, hi = np.array(b.bounds).T
    pts = list(b.points)
    for _ in range(n_points):
        p = b.init + rng.normal(0, 0.25, b.init.size) * np.where(b.init == 0.0, 1.0, 0.05 * b.init)
        pts.append(np.clip(p, lo, hi))
    nll = rf.nll("cpu")
    offs = []
    for p in pts:
        rf.set(b.flat(p))
        offs.append(float(nll.getVal()) + float(b.model.logpdf(p, b.data)[0]))
    rf.set(b.dict_points[0])
    spread = max(offs) - min(offs)
    b.anchors["RooFit NLL − pyhf NLL (constant)"] = statistics.median(offs)
    b.anchors["its spread over the check points"] = spread
    if not np.isfinite(spread) or spread > 1e-8 * max(1.0, abs(statistics.median(offs))):
        why = (f"not the same model: RooFit NLL − pyhf NLL varies by {spread:.2e} over {len(pts)} points "
               "(conversion not sound)")
        for im in rf_rows:
            im.missing = why
    else:
        for im in rf_rows:
            im.check["value"] = ""
            im.note = (f"NLL = pyhf's + {statistics.median(offs):.6f} (constant to {spread:.1e} over {len(pts)} "
                       "points)")


def time_all(impls: Sequence[Impl], repeats: int, budget: float) -> None:
    """Every (implementation, quantity) ``repeats`` times, all alternated round-robin within one quantity."""
    for q in QUANTITIES:
        items: list[tuple[Impl, Timed]] = []
        for im in impls:
            if im.missing or q not in im.fns:
                continue
            if q in im.slow:
                im.times[q] = [im.slow[q]]
                continue
            items.append((im, Timed(f"{im.key}.{q}", im.fns[q], im.data, im.block, im.prepare, im.points)))
        if q == "hessian":  # the Hessians are slow: shorter
            alternate([t for _, t in items], max(3, repeats // 2), budget)
        else:
            alternate([t for _, t in items], repeats, budget)
        for im, t in items:
            im.times[q] = t.times


# ---------------------------------------------------------------- fits

@dataclass
class Fit:
    label: str
    run: Callable[[], tuple[float, float, float, str]]  # -> NLL at the minimum, POI, its error, calls
    repeats: int
    hesse: bool  # errors from a numerical HESSE
    missing: str | None = None
    times: list[float] = field(default_factory=list)
    result: tuple[float, float, float, str] | None = None


def pyhf_fit(b: Bench, backend: str, uncertainties: bool) -> Callable[[], tuple[float, float, float, str]]:
    """``pyhf.infer.mle.fit`` with the minuit optimizer (pyhf's defaults: strategy 0 with the jax gradient, 1
    without; tolerance 0.1) from the suggested init; pyhf 0.7.6 runs HESSE after every MIGRAD, with or without
    ``return_uncertainties``; calls = MIGRAD + HESSE function / gradient calls."""
    poi = b.model.config.poi_index

    def run() -> tuple[float, float, float, str]:
        set_backend(backend)
        model = b.model if backend == "numpy" else b.__dict__["jax_model"]
        data = b.data if backend == "numpy" else b.__dict__["jax_data"]
        pars, res = pyhf.infer.mle.fit(data, model, return_uncertainties=uncertainties, return_result_obj=True)
        pars = np.asarray(pars)
        best = pars[:, 0] if uncertainties else pars
        err = float(pars[poi, 1]) if uncertainties else float("nan")
        m = res.minuit
        if not m.valid:
            raise RuntimeError(f"MIGRAD did not converge: {m.fmin}")
        set_backend("numpy")
        return -float(b.model.logpdf(best, b.data)[0]), float(best[poi]), err, f"{m.nfcn} / {m.ngrad}"

    return run


def pyhf_jax_migrad(b: Bench) -> Callable[[], tuple[float, float, float, str]]:
    """The anchor's "pyhf jax + iminuit": MIGRAD alone (strategy 0, errordef 0.5, pyhf's bounds as limits) on
    pyhf jax's jitted NLL with its ``jit(value_and_grad)`` gradient, from the suggested init; no HESSE."""
    from iminuit import Minuit

    jitted = b.__dict__["jitted"]
    poi = b.model.config.poi_index

    def fcn(x: np.ndarray) -> float:
        return float(jitted["value"](jnp.asarray(x)))

    def grad(x: np.ndarray) -> np.ndarray:
        return np.asarray(jitted["grad"](jnp.asarray(x))[1])

    def run() -> tuple[float, float, float, str]:
        m = Minuit(fcn, b.init.copy(), grad=grad)
        m.errordef = Minuit.LIKELIHOOD
        m.strategy = 0
        m.limits = b.bounds
        m.migrad()
        if not m.valid:
            raise RuntimeError(f"MIGRAD did not converge: {m.fmin}")
        best = np.array(m.values)
        return -float(b.model.logpdf(best, b.data)[0]), float(best[poi]), float("nan"), f"{m.nfcn} / {m.ngrad}"

    return run


def roofit_fit(b: Bench, rf: RooFitModel, hesse: bool) -> Callable[[], tuple[float, float, float, str]]:
    """RooFit ``fitTo`` cpu from the suggested init: MIGRAD (strategy 0, as the anchor's) or strategy 1 with
    HESSE (RooFit's default)."""
    poi = b.model.config.poi_name

    def run() -> tuple[float, float, float, str]:
        rf.set(b.dict_points[0])
        for v in rf.vars.values():
            v.setError(0.0)
        r = rf.pdf.fitTo(rf.data, GlobalObservables=rf.mc.GetGlobalObservables(), EvalBackend="cpu",
                         ExternalConstraints=rf.constraints, Hesse=hesse, Strategy=1 if hesse else 0, PrintLevel=-1,
                         Save=True)
        if int(r.status()) != 0:
            raise RuntimeError(f"fitTo status {r.status()}")
        vals = rf.values()
        p = np.array([vals[n] for n in b.names])
        set_backend("numpy")
        err = rf.errors()[poi] if hesse else float("nan")
        return -float(b.model.logpdf(p, b.data)[0]), vals[poi], err, f"{int(r.numInvalidNLL())} invalid / –"

    return run


def firmc_fit(b: Bench, newton: bool) -> tuple[str, Callable[[], tuple[float, float, float, str]], str | None]:
    """firmc's MLE with errors on the llvm target (all threads) compiled for the rows above: ``newton_fit`` (Newton
    steps on the analytic gradient and Hessian, errors from the Hessian) or ``fit`` (MIGRAD, given the analytic
    gradient and Hessian; errors from the analytic Hessian)."""
    label = ("`firmc.fit.newton_fit`, llvm all threads (Newton steps on the analytic gradient and Hessian; errors "
             "included)" if newton else
             "`firmc.fit.fit`, llvm all threads (MIGRAD with the analytic gradient and Hessian; errors included)")
    got = b.__dict__.get("firmc_llvm")
    if got is None:
        return label, (lambda: (0.0, 0.0, 0.0, "")), b.__dict__.get("firmc_why", "not available")
    from firmc.fit import fit, newton_fit

    c = got
    poi = b.model.config.poi_name
    threads = importlib.import_module("firmc.backends.llvm").set_threads

    def run() -> tuple[float, float, float, str]:
        threads(None)
        r = newton_fit(c, {}) if newton else fit(c, {}, hesse="analytic")
        if not r.valid:
            raise RuntimeError(f"firmc did not converge: {r}")
        p = np.array([r.values[n] for n in b.names])
        set_backend("numpy")
        err = r.errors[poi]
        return (-float(b.model.logpdf(p, b.data)[0]), r.values[poi], err,
                f"{r.calls} / {r.grad_calls} / {r.hessian_calls} Hessian")

    return label, run, None


def fits(b: Bench, rf: RooFitModel | None, rf_why: str, quick: bool) -> list[Fit]:
    """Every fit once as warm-up (not for the HESSE fits, whose MIGRAD the warm-up of the MIGRAD-only fit of the
    same tool compiles), then round-robin; HESSE fits once on the synthetic model (they take tens of seconds)."""
    big = b.key == "synthetic"
    n_fast, n_hesse = (1, 0) if quick else ((3, 1) if big else (5, 3))
    out = [Fit(label, run, n_fast, False, why) for label, run, why in (firmc_fit(b, True), firmc_fit(b, False))]
    out.append(Fit("pyhf jax `jit(nll)` + `jit(value_and_grad)` + iminuit: MIGRAD strategy 0 only (the anchor's "
                   "fit)", pyhf_jax_migrad(b), n_fast, False))
    out.append(Fit("pyhf jax + minuit (`mle.fit`, `return_uncertainties=True`; pyhf's minuit optimizer always runs "
                   "HESSE after MIGRAD)", pyhf_fit(b, "jax", True), n_hesse, True))
    out.append(Fit("pyhf numpy + minuit, with uncertainties (numerical gradient and HESSE)",
                   pyhf_fit(b, "numpy", True), n_hesse, True))
    if rf is not None and not b.__dict__.get("roofit_unsound"):
        out.append(Fit("RooFit `fitTo` cpu, strategy 0, no HESSE", roofit_fit(b, rf, False), n_fast, False))
        out.append(Fit("RooFit `fitTo` cpu, strategy 1 + HESSE (its default)", roofit_fit(b, rf, True), n_hesse,
                       True))
    else:
        out.append(Fit("RooFit `fitTo` cpu", lambda: (0.0, 0.0, 0.0, ""), 0, True,
                       b.__dict__.get("roofit_unsound") or rf_why))
    for f in out:  # warm-up of the fast fits (JIT of pyhf's objective, RooFit's caches)
        if f.missing or f.hesse or f.repeats == 0:
            continue
        try:
            f.run()
        except Exception as exc:
            f.missing = f"failed: {_why(exc)}"
    for r in range(max(f.repeats for f in out)):
        for f in out:
            if f.missing or r >= f.repeats:
                continue
            t0 = time.perf_counter()
            try:
                f.result = f.run()
            except Exception as exc:
                f.missing = f"failed: {_why(exc)}"
                continue
            f.times.append(time.perf_counter() - t0)
            if r == 0:
                print(f"  fit {f.label:90s} {fmt_t(f.times[-1]):>9s}  calls {f.result[3]}", flush=True)
    return out


# ---------------------------------------------------------------- one model

@dataclass
class Result:
    bench: Bench
    impls: list[Impl]
    fits: list[Fit]
    repeats: int
    hessian_nonzero: tuple[int, int] = (0, 0)  # structurally nonzero entries of the upper triangle, and of all
    others: float | None = None

    def get(self, key: str) -> Impl | None:
        return next((im for im in self.impls if im.key == key and not im.missing), None)


def run_model(b: Bench, repeats: int, budget: float, quick: bool) -> Result:
    print(f"== {b.title}: {len(b.names)} parameters", flush=True)
    impls = firmc_impls(b)
    pyhf_rows, jitted = pyhf_impls(b)
    b.__dict__["jax_model"], b.__dict__["jax_data"] = jitted.pop("model"), jitted.pop("data")
    b.__dict__["jitted"] = jitted
    impls += pyhf_rows
    if b.key == "synthetic":
        impls.append(numba_impl(b, b.seconds))
    rf_rows, rf, rf_why = roofit_impls(b, b.seconds)
    b.__dict__["roofit"] = rf
    impls += rf_rows
    meter = CpuMeter()
    check_all(b, impls, jitted)
    if any(im.offset and im.missing for im in impls) and rf is not None:
        b.__dict__["roofit_unsound"] = next(im.missing for im in impls if im.offset)
    for im in impls:
        bad = [f"{q}: {m}" for q, m in im.check.items() if m]
        if bad:
            print(f"  WARNING {im.label}: " + "; ".join(bad), flush=True)
    # structure of the Hessian: entries that are nonzero at two random points
    set_backend("jax")
    rng = np.random.default_rng(SEED + 3)
    nz = np.zeros((len(b.names), len(b.names)), dtype=bool)
    for _ in range(2):
        p = b.init + rng.normal(0, 0.1, b.init.size) * np.where(b.init == 0.0, 1.0, 0.1 * b.init)
        nz |= np.asarray(jitted["hessian"](jnp.asarray(p))) != 0.0
    hnz = (int(np.triu(nz).sum()), int(nz.sum()))
    time_all(impls, repeats, budget)
    others = meter.others()
    for im in impls:
        if im.missing:
            print(f"  {im.label:70s} {im.missing}", flush=True)
            continue
        cells = "   ".join(f"{q} {fmt_t(statistics.median(im.times[q])):>9s}" for q in QUANTITIES if q in im.times)
        print(f"  {im.label:70s} {cells}", flush=True)
    fit_list = fits(b, rf, rf_why, quick)
    return Result(b, impls, fit_list, repeats, hnz, others)


# ---------------------------------------------------------------- the report

def _table(r: Result) -> list[str]:
    b = r.bench
    base = "pyhf-jax-jit"
    lines = [f"### {b.title}", "",
             f"{len(b.names)} parameters; " + "; ".join(f"{k}: {v:.10g}" for k, v in b.anchors.items()) + ".", "",
             f"Evaluation points: pyhf's suggested init and a point near it, alternated call by call ({r.repeats} "
             "repeats, Hessians fewer). *pyhf jax jit ÷ this*: how many times faster than pyhf jax under `jax.jit`, "
             "per round.", "",
             "| implementation | one NLL | pyhf jax jit ÷ this | NLL + gradient | pyhf jax jit ÷ this | Hessian | "
             "pyhf jax jit ÷ this | first call NLL / grad / Hessian | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    ref = r.get(base)
    for im in r.impls:
        if im.missing:
            lines.append(f"| {im.label} | {im.missing} | | | | | | | |")
            continue
        cells = [im.label]
        for q in QUANTITIES:
            if q in im.times:
                rs = (ratios(ref.times[q], im.times[q]) if ref is not None and q in ref.times
                      and len(ref.times[q]) == len(im.times[q]) else None)
                one = " (1 call: slow)" if q in im.slow else ""
                cells += [cell(im.times[q]) + one, ratio_cell(rs) if rs and im is not ref else "–"]
            else:
                cells += [im.absent.get(q, "–"), "–"]
        cells.append(" / ".join(fmt_t(im.first[q]) for q in QUANTITIES if q in im.first))
        notes = [f"{q}: {m}" for q, m in im.check.items() if m] + ([im.note] if im.note else [])
        cells.append("; ".join(notes))
        lines.append("| " + " | ".join(cells) + " |")
    n = len(b.names)
    up, full = r.hessian_nonzero
    lines += ["", f"Hessian structure (pyhf jax's `jax.hessian` at two random points): {full} of {n * n} entries "
              f"nonzero ({100 * full / (n * n):.1f} %), {up} of {n * (n + 1) // 2} in the upper triangle.",
              "", "Others' load: " + ("not measured" if r.others is None else f"{r.others:.2f} of {NCPU} cores")
              + ".", "", "MLE fits from the suggested init, wall time per fit (warm-up excluded for the fits without "
              "HESSE); NLL at the minimum by pyhf numpy; calls are MIGRAD (+ HESSE) function / gradient evaluations "
              "as iminuit counts them (pyhf), or as `firmc.fit.fit` reports them.", "",
              "| fit | wall time | calls | NLL at the minimum | POI ± error |", "|---|---|---|---|---|"]
    for f in r.fits:
        if f.missing or not f.times or f.result is None:
            lines.append(f"| {f.label} | {f.missing or 'not run (--quick)'} | | | |")
            continue
        nll, poi, err, calls = f.result
        pe = f"{poi:.5f}" + (f" ± {err:.5f}" if np.isfinite(err) else "")
        lines.append(f"| {f.label} | {cell(f.times)} ({len(f.times)}×) | {calls} | {nll:.8f} | {pe} |")
    if b.seconds:
        lines += ["", "Set-up: " + ", ".join(f"{k} {fmt_t(v)}" for k, v in b.seconds.items()) + "."]
    if b.notes:
        lines += ["", *b.notes]
    return [*lines, ""]


def goals(r: Result) -> list[tuple[str, str, bool | None]]:
    """The issue's goals on the synthetic model: (goal, measured, met) — met None when not measurable."""
    out: list[tuple[str, str, bool | None]] = []
    llvm = r.get("llvm-all")
    why = next((im.missing for im in r.impls if im.key == "llvm-all" and im.missing), "not measured")
    for q, key in (("value", "nll_us"), ("grad", "grad_us")):
        name = f"{QLABEL[q]} ≤ {GOALS[key]:g} µs (firmc llvm, all threads, synthetic model)"
        if llvm is None or q not in llvm.times:
            out.append((name, why, None))
        else:
            t = statistics.median(llvm.times[q])
            out.append((name, fmt_t(t), t * 1e6 <= GOALS[key]))
    firmc_f = next((f for f in r.fits if f.label.startswith("`firmc.fit.newton_fit`")), None)
    pyhf_jax = next((f for f in r.fits if f.label.startswith("pyhf jax `jit(nll)`")), None)
    hesse = [f for f in r.fits if f.hesse and f.times]
    fast_hesse = min(hesse, key=lambda f: statistics.median(f.times)) if hesse else None
    for name, other, key in ((f"fit with errors ≥ {GOALS['fit_vs_pyhf_jax']:g}× faster than pyhf jax + minuit "
                              "(MIGRAD)", pyhf_jax, "fit_vs_pyhf_jax"),
                             (f"fit with errors ≥ {GOALS['fit_vs_hesse']:g}× faster than the fastest fit with "
                              f"HESSE measured here ({fast_hesse.label if fast_hesse else 'none'})", fast_hesse,
                              "fit_vs_hesse")):
        if firmc_f is None or not firmc_f.times or "errors included" not in firmc_f.label:
            what = (firmc_f.missing if firmc_f and firmc_f.missing else
                    f"not measured (only: {firmc_f.label}, {fmt_t(statistics.median(firmc_f.times))})"
                    if firmc_f and firmc_f.times else "not measured")
            out.append((name, what, None))
        elif other is None or not other.times:
            out.append((name, "no comparison fit measured", None))
        else:
            x = statistics.median(other.times) / statistics.median(firmc_f.times)
            out.append((name, f"{x:.1f}× ({fmt_t(statistics.median(firmc_f.times))} vs "
                              f"{fmt_t(statistics.median(other.times))})", x >= GOALS[key]))
    return out


def _versions() -> str:
    v = {"firmc": firmc.__version__, "pyhf": pyhf.__version__, "JAX": jax.__version__}
    for mod in ("numba", "iminuit", "llvmlite"):
        with contextlib.suppress(ImportError):
            v[mod] = importlib.import_module(mod).__version__
    with contextlib.suppress(Exception):
        v["ROOT"] = importlib.import_module("ROOT").gROOT.GetVersion()
    return ", ".join(f"{k} {val}" for k, val in v.items())


def report(results: list[Result], goal_rows: list[tuple[str, str, bool | None]], budget: float, quick: bool) -> str:
    lines = ["## HistFactory: pyhf workspaces against pyhf, numba and RooFit", "",
             "Reproduce: `bash scripts/bench.sh histfactory` (benchmarks/histfactory.py"
             + (", **--quick smoke run**" if quick else "") + ").", "",
             "Models: the ATLAS sbottom RegionA likelihood (BkgOnly.json + patch.sbottom_1000_131_1, 64 parameters) "
             "and a synthetic workspace generated with a fixed seed: 10 channels × 50 bins × 5 samples (signal "
             "with the normfactor `mu`; four backgrounds), normsys `norm_0`…`norm_4` (`norm_k` on background k, "
             "`norm_4` on every sample), histosys `shape_0`…`shape_4` (`shape_k` on background k, `shape_4` on every "
             "background), one staterror per channel on every sample: 500 bins, 511 parameters. NLL = −pyhf's "
             "`logpdf` with the observed data (auxiliary data included).", "",
             "How it is measured: one thread everywhere but firmc llvm's all-threads row; every result blocked on; "
             f"each measurement repeats the call for ≥ {budget:g} s; all rows of one model and workload alternate "
             "round-robin, so ratios are medians (min–max) of per-round ratios; first calls (JIT) apart. Every value "
             f"is checked against pyhf numpy (rtol {RTOL:g}), gradients and Hessians against pyhf jax's (rtol "
             f"{GRAD_RTOL:g}). RooFit is the same model rebuilt with ROOT's HistFactory classes, with pyhf 0.7.6's "
             "default interpolation codes (normsys code 4, histosys code 4p = ROOT's 4; not code 1 / code 0), "
             "staterror Gaussian without threshold; its rows count only when its NLL minus pyhf's is one constant "
             "at 8 points (shown in the note).", "",
             f"Machine: {machine()}. Versions: {_versions()}.", "",
             "Anchors (issue 8, PERFORMANCE.md, synthetic model, measured before on a 2-core machine): one NLL: "
             f"{ANCHORS['value']}; NLL + gradient: {ANCHORS['grad']}; fits: {ANCHORS['fit']}.", "",
             "### Goals (synthetic model)", "", "| goal | measured | verdict |", "|---|---|---|"]
    for name, measured, met in goal_rows:
        lines.append(f"| {name} | {measured} | {'–' if met is None else ('met' if met else '**missed**')} |")
    lines.append("")
    for r in results:
        lines += _table(r)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 short repeats, no HESSE fits")
    ap.add_argument("--out", default=None, help="report file (default docs/performance.md; none with --quick)")
    args = ap.parse_args()
    repeats, budget = (3, 0.02) if args.quick else (9, 0.2)
    out = args.out or (None if args.quick else str(REPORT))
    t0 = time.perf_counter()
    benches = [make_bench("sbottom", "ATLAS sbottom RegionA (BkgOnly + patch.sbottom_1000_131_1)", sbottom_spec()),
               make_bench("synthetic", "Synthetic: 10 channels × 50 bins × 5 samples, 511 parameters",
                          synthetic_spec())]
    sb = benches[0].anchors["pyhf logpdf at the init"]
    if abs(sb - SBOTTOM_REF) > 1e-8 * abs(SBOTTOM_REF):
        print(f"WARNING: sbottom logpdf at the init {sb:.10g}, FORMATS.md says {SBOTTOM_REF}", flush=True)
    results = [run_model(b, repeats, budget, args.quick) for b in benches]
    goal_rows = goals(results[1])
    text = report(results, goal_rows, budget, args.quick)
    text += f"\nWhole run: {fmt_t(time.perf_counter() - t0)}.\n"
    return publish("histfactory", text, out, goal_rows)


if __name__ == "__main__":
    sys.exit(main())
