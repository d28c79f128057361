"""Native benchmark: PERFORMANCE.md's Workload 1 on every implementation at hand, side by side, in one run.

The unbinned NLL of f·Gauss(x | mu, sigma) + (1 - f)·Exp(x | c), Exp ∝ exp(c x), each normalised on [-10, 10],
on N = 1e4, 1e6 and 1e7 events (benchmarks/common.py: data, point, mu alternating 0.9 / 0.91 call by call), the
value and the value with its gradient where the implementation has one:

* firmc: the llvm target with 1 thread and with all threads, the cpp target (g++), the generated jax, torch and
  numpy modules;
* RooFit (pip ``root``): ``createNLL`` with ``EvalBackend`` legacy, cpu and codegen_no_grad, ``getVal`` after
  changing mu (and once more for cpu with all four parameters changing: RooFit cpu re-evaluates only what changed);
* hand-written: benchmarks/handwritten/gauss_exp.c with gcc -O3 -march=native, without and with -ffast-math (then
  vectorised through glibc's libmvec), and the latter on all threads; the same loops in numba (fastmath);
* pyhs3 (pytensor, FAST_RUN), where installed; and NumPy's ``x.sum()`` as the memory floor.

Every implementation is checked against firmc's interpreter (value and gradient, rtol 1e-8) and then timed: the first
call apart, inner repetitions so that one measurement lasts >= 0.2 s, 9 repeats (5 at 1e7), all implementations of
one N alternated round-robin so that every ratio is the median of per-round ratios. Then MIGRAD fits on 1e6 events
from the evaluation point (firmc llvm and jax and the C loop through iminuit with the analytic gradient; RooFit
``fitTo`` and RooMinimizer), and the compile/JIT times. Targets are printed met/missed; the exit status is 0 all the
same (a benchmark, not a test). Writes its section of docs/performance.md.

Run: ``bash scripts/bench.sh native`` (or ``.venv/bin/python benchmarks/native.py [--quick] [--no-fits] [--out FILE]``;
``--quick`` is a smoke run, N = 1e4 and 1e5 with short measurements, which writes a report only when given --out).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    GRAD,
    HI,
    LO,
    POINT,
    POINTS,
    REPORT,
    SEED,
    CpuMeter,
    Timed,
    alternate,
    cell,
    first_call,
    fmt_n,
    fmt_t,
    gauss_exp_module,
    generate,
    generated,
    jax_one_thread,
    machine,
    no_block,
    publish,
    ratio_cell,
    ratios,
    single_threaded,
)

single_threaded()  # before jax and torch load; the llvm target and the OpenMP C loop set their own threads

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]  # firmc works in float64
jax_one_thread(jax)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from handwritten.references import CLib, build_c, numba_kernels  # noqa: E402
from models import gauss_exp  # noqa: E402

import firmc  # noqa: E402

torch.set_num_threads(1)

Fn = Callable[..., Any]
NCPU = os.cpu_count() or 1
RTOL = 1e-8  # every implementation against firmc's interpreter
PARAMS = ("mu", "sigma", "c", "f")  # the fit's parameter order
LIMITS = {"mu": (-5.0, 5.0), "sigma": (0.1, 5.0), "c": (-1.0, 1.0), "f": (0.0, 1.0)}  # the RooRealVar ranges
POINTS_ALL = (POINT, {"mu": 0.91, "sigma": 1.61, "c": -0.251, "f": 0.351})  # every parameter changes
FIT_TOL = 1e-3  # Minuit2 tolerance of the fits: EDM < 0.002 * tol * errordef = 1e-6
TARGETS = {"llvm_vs_c": 1.25, "llvm_all_vs_roofit": 8.0, "llvm_grad_vs_value": 1.25, "fit_vs_jax": 0.6,
           "fit_vs_roofit": 6.0, "llvm_jit_s": 0.2}


# ---------------------------------------------------------------- implementations

@dataclass
class Impl:
    """One implementation at one N: ``value(data, point)`` and ``grad(data, point) -> (value, {param: d/dparam})``."""

    key: str
    label: str
    family: str  # firmc, RooFit, hand-written, other
    data: Any = None
    value: Fn | None = None
    grad: Fn | None = None
    block: Fn = no_block
    prepare: Callable[[], Any] | None = None
    points: Sequence[Mapping[str, float]] = POINTS
    checked: bool = True  # compared with the interpreter (not the memory floor)
    missing: str | None = None  # why it is not measured at all
    grad_missing: str | None = None  # why it has no value+grad row
    note: str = ""
    first: dict[str, float] = field(default_factory=dict)  # quantity -> seconds of the first call
    check: dict[str, str] = field(default_factory=dict)  # quantity -> "" (agrees) or what differs
    times: dict[str, list[float]] = field(default_factory=dict)  # quantity -> seconds per call, one per round


QUANTITIES = ("value", "grad")


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


@dataclass
class Setup:
    """What is built once: compiled targets, libraries, RooFit's model; and the seconds each took."""

    interp: Any
    seconds: dict[str, float] = field(default_factory=dict)  # what -> seconds (compile/JIT/build)
    missing: dict[str, str] = field(default_factory=dict)  # key -> why it is not available
    llvm: Any = None
    llvm_threads: Callable[[int | None], Any] | None = None
    cpp: Any = None
    modules: dict[str, Any] = field(default_factory=dict)
    jitted: dict[str, Fn] = field(default_factory=dict)
    clibs: dict[str, CLib] = field(default_factory=dict)
    numba: tuple[Fn, Fn] | None = None
    pyhs3: tuple[Fn, Fn] | None = None
    roofit: Any = None
    versions: dict[str, str] = field(default_factory=dict)
    tmp: Any = None


def _timed(what: str, seconds: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    seconds[what] = time.perf_counter() - t0


timed = contextlib.contextmanager(_timed)


def build(tmp: Path) -> Setup:
    """Compile and load everything once; what fails is recorded as not available, with the reason."""
    module = gauss_exp_module()
    s = Setup(interp=None, tmp=tmp)
    with timed("firmc interp (pass pipeline)", s.seconds):
        s.interp = firmc.compile(module, "interp", entry="model")
    try:
        with timed("firmc llvm: compile", s.seconds):
            s.llvm = firmc.compile(module, target="llvm", entry="model")
        llvm_mod = importlib.import_module("firmc.backends.llvm")
        s.llvm_threads = llvm_mod.set_threads
    except Exception as exc:  # the target is under construction: ImportError, UnsupportedFeature, AttributeError ...
        s.llvm, s.missing["llvm"] = None, _why(exc)
        s.seconds.pop("firmc llvm: compile", None)
    try:
        with timed("firmc cpp: compile (g++ -O2)", s.seconds):
            s.cpp = firmc.compile(module, target="cpp", entry="model")
    except Exception as exc:
        s.missing["cpp"] = _why(exc)
        s.seconds.pop("firmc cpp: compile (g++ -O2)", None)
    for target in ("numpy", "jax", "torch"):
        s.modules[target], s.seconds[f"firmc {target}: compile + import"] = generated(target)
    s.jitted = {"jax.nll": jax.jit(s.modules["jax"].nll), "jax.nll_grad": jax.jit(s.modules["jax"].nll_grad)}
    for variant, name, threads in (("O3", "O3", 1), ("O3-fast-math", "O3-fast-math", 1),
                                   ("O3-fast-math", "O3-fast-math-threads", NCPU)):
        try:
            lib = build_c(variant, tmp, name=name)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            s.missing[f"c-{name}"] = _why(exc)
            continue
        lib.set_threads(threads)
        s.clibs[name] = lib
        if name == variant:
            s.seconds[f"hand-written C: gcc {' '.join(lib.flags)}"] = lib.compile_s
    try:
        s.numba = numba_kernels()
        s.versions["numba"] = importlib.import_module("numba").__version__
    except ImportError as exc:
        s.missing["numba"] = _why(exc)
    try:
        s.pyhs3 = _pyhs3(s.seconds)
        s.versions["pyhs3"] = importlib.import_module("pyhs3").__version__
        s.versions["pytensor"] = importlib.import_module("pytensor").__version__
    except Exception as exc:
        s.missing["pyhs3"] = _why(exc)
    try:
        with timed("RooFit: import ROOT, build the model", s.seconds):
            s.roofit = RooFitModel()
        s.versions["ROOT"] = s.roofit.root.gROOT.GetVersion()
    except Exception as exc:
        s.missing["roofit"] = _why(exc)
    return s


def _pyhs3(seconds: dict[str, float]) -> tuple[Fn, Fn]:
    """pyhs3's NLL (``-model.log_prob``) and NLL with gradient (``pytensor.grad``), compiled by pytensor (FAST_RUN).
    The workspace holds 10 events; the compiled functions take any event array (the data are an input)."""
    pyhs3 = importlib.import_module("pyhs3")
    pytensor = importlib.import_module("pytensor")
    function = importlib.import_module("pyhs3.compile").function  # pytensor's function, across pytensor 2 and 3
    explicit_graph_inputs = importlib.import_module("pytensor.graph.traversal").explicit_graph_inputs

    t0 = time.perf_counter()
    doc = gauss_exp(LO, HI)
    doc["data"] = [{"name": "events", "type": "unbinned", "axes": [{"name": "x", "min": LO, "max": HI}],
                    "entries": [[v] for v in generate(10).tolist()]}]
    doc["likelihoods"] = [{"name": "lik", "distributions": ["model"], "data": ["events"]}]
    doc["analyses"] = [{"name": "ana", "likelihood": "lik", "domains": ["dom"], "init": "default"}]
    model = pyhs3.Workspace(**doc).model("ana", progress=False)
    nll = -model.log_prob.sum()
    inputs = [v for v in explicit_graph_inputs([nll]) if v.name is not None]
    names = [v.name for v in inputs]
    params = [v for v in inputs if v.name != "x"]
    seconds["pyhs3: workspace and model"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    f_value = function(inputs, nll, mode="FAST_RUN", on_unused_input="ignore", trust_input=True)
    seconds["pyhs3: pytensor compile (NLL)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    f_grad = function(inputs, [nll, *pytensor.grad(nll, params)], mode="FAST_RUN", on_unused_input="ignore",
                      trust_input=True)
    seconds["pyhs3: pytensor compile (NLL + grad)"] = time.perf_counter() - t0
    grad_names = [v.name for v in params]

    def args(x: np.ndarray, p: Mapping[str, float]) -> list[np.ndarray]:
        return [x if name == "x" else np.asarray(p[name], dtype=np.float64) for name in names]

    def value(x: np.ndarray, p: Mapping[str, float]) -> float:
        return float(f_value(*args(x, p)))

    def value_grad(x: np.ndarray, p: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        v, *g = f_grad(*args(x, p))
        return float(v), {k: float(gk) for k, gk in zip(grad_names, g, strict=True)}

    return value, value_grad


class RooFitModel:
    """The model in RooFit classes: RooGaussian + RooExponential in a RooAddPdf with the fraction f, x in [-10, 10]."""

    def __init__(self) -> None:
        import ROOT

        ROOT.gROOT.SetBatch(True)
        ROOT.RooMsgService.instance().setGlobalKillBelow(ROOT.RooFit.WARNING)
        self.root = ROOT
        self.x = ROOT.RooRealVar("x", "x", LO, HI)
        self.vars = {k: ROOT.RooRealVar(k, k, POINT[k], *LIMITS[k]) for k in PARAMS}
        v = self.vars
        self.gauss = ROOT.RooGaussian("gauss", "gauss", self.x, v["mu"], v["sigma"])
        self.expo = ROOT.RooExponential("expo", "expo", self.x, v["c"])
        self.pdf = ROOT.RooAddPdf("model", "model", ROOT.RooArgList(self.gauss, self.expo), ROOT.RooArgList(v["f"]))

    def dataset(self, x: np.ndarray) -> Any:
        return self.root.RooDataSet.from_numpy({"x": x}, self.root.RooArgSet(self.x))

    def reset(self, p: Mapping[str, float] = POINT) -> None:
        for k, var in self.vars.items():
            var.setVal(p[k])
            var.setError(0.0)

    def set(self, p: Mapping[str, float]) -> None:
        for k, var in self.vars.items():
            var.setVal(p[k])

    def values(self) -> dict[str, float]:
        return {k: float(v.getVal()) for k, v in self.vars.items()}

    def errors(self) -> dict[str, float]:
        return {k: float(v.getError()) for k, v in self.vars.items()}


NO_ROOFIT_GRAD = "– (no analytic gradient)"


def implementations(s: Setup, x: np.ndarray, seconds: dict[str, float]) -> list[Impl]:
    """Every implementation, bound to the events ``x`` (``seconds`` gets the per-N setup: data sets, createNLL)."""
    out: list[Impl] = []
    threads = s.llvm_threads

    def llvm_threads(k: int | None) -> Callable[[], Any]:
        return lambda: threads(k) if threads else None

    one = llvm_threads(1)  # everything but llvm-all runs with the llvm pool at 1 thread
    if s.llvm is not None:
        out.append(Impl("llvm-1", "firmc llvm, 1 thread", "firmc", {"x": x}, s.llvm.nll, s.llvm.nll_grad,
                        prepare=one))
        out.append(Impl("llvm-all", f"firmc llvm, all threads ({NCPU})", "firmc", {"x": x}, s.llvm.nll,
                        s.llvm.nll_grad, prepare=llvm_threads(None)))
    else:
        why = f"not available: {s.missing['llvm']}"
        out += [Impl("llvm-1", "firmc llvm, 1 thread", "firmc", missing=why),
                Impl("llvm-all", f"firmc llvm, all threads ({NCPU})", "firmc", missing=why)]
    if s.cpp is not None:
        out.append(Impl("cpp", "firmc cpp (g++ -O2)", "firmc", {"x": x}, s.cpp.nll, s.cpp.nll_grad, prepare=one))
    else:
        out.append(Impl("cpp", "firmc cpp (g++ -O2)", "firmc", missing=f"not available: {s.missing['cpp']}"))
    jb = jax.block_until_ready
    out.append(Impl("jax", "firmc jax (`jit(nll)`, `jit(nll_grad)`)", "firmc", {"x": jnp.asarray(x)},
                    s.jitted["jax.nll"], s.jitted["jax.nll_grad"], block=jb, prepare=one))
    mt, mn = s.modules["torch"], s.modules["numpy"]
    out.append(Impl("torch", "firmc torch", "firmc", {"x": torch.from_numpy(x)}, mt.nll, mt.nll_grad, prepare=one))
    out.append(Impl("numpy", "firmc numpy", "firmc", {"x": x}, mn.nll, mn.nll_grad, prepare=one))
    out += _roofit_impls(s, x, seconds, one)
    for name, label in (("O3", "C, gcc -O3 -march=native"), ("O3-fast-math", "C, gcc -O3 -march=native -ffast-math"),
                        ("O3-fast-math-threads", f"C, gcc -O3 -march=native -ffast-math, {NCPU} threads")):
        key = f"c-{name}"
        if name not in s.clibs:
            out.append(Impl(key, label, "hand-written", missing=f"not available: {s.missing[key]}"))
            continue
        lib = s.clibs[name]
        note = ("vector calls: " + ", ".join(f"`{v}`" for v in lib.vector_calls)) if lib.vector_calls else "scalar libm"
        if name.endswith("threads"):
            note += ("; one POSIX thread per chunk of ≥ 32768 events (fewer threads below that), created per "
                     "call")
        out.append(Impl(key, label, "hand-written", lib.bind(x), lib.nll, lib.nll_grad, prepare=one, note=note))
    if s.numba is not None:
        out.append(Impl("numba", "numba `njit(fastmath=True)`", "hand-written", x, *s.numba, prepare=one))
    else:
        out.append(Impl("numba", "numba `njit(fastmath=True)`", "hand-written",
                        missing=f"not available: {s.missing['numba']}"))
    if s.pyhs3 is not None:
        out.append(Impl("pyhs3", "pyhs3 (pytensor FAST_RUN)", "other", x, *s.pyhs3, prepare=one,
                        note="NLL = `-model.log_prob`, gradient by `pytensor.grad`"))
    else:
        out.append(Impl("pyhs3", "pyhs3", "other", missing=f"not available: {s.missing['pyhs3']}"))
    out.append(Impl("floor", "NumPy `x.sum()` (memory floor, not the NLL)", "other", x,
                    lambda d, p: float(np.sum(d)), prepare=one, checked=False,
                    grad_missing="–"))
    return out


def _roofit_impls(s: Setup, x: np.ndarray, seconds: dict[str, float], one: Callable[[], Any]) -> list[Impl]:
    labels = {"legacy": "RooFit legacy", "cpu": "RooFit cpu", "codegen_no_grad": "RooFit codegen_no_grad"}
    if s.roofit is None:
        why = f"not available: {s.missing['roofit']}"
        return [Impl(f"roofit-{b}", label, "RooFit", missing=why) for b, label in labels.items()]
    rf = s.roofit
    t0 = time.perf_counter()
    ds = rf.dataset(x)
    seconds["RooFit: RooDataSet.from_numpy"] = time.perf_counter() - t0
    out = []
    mu = rf.vars["mu"]
    for backend, label in labels.items():
        rf.reset()
        t0 = time.perf_counter()
        try:
            nll = rf.pdf.createNLL(ds, EvalBackend=backend)
        except Exception as exc:
            out.append(Impl(f"roofit-{backend}", label, "RooFit", missing=f"createNLL failed: {_why(exc)}"))
            continue
        seconds[f"RooFit {backend}: createNLL" + (" (JIT)" if "codegen" in backend else "")] = \
            time.perf_counter() - t0

        def value(d: Any, p: Mapping[str, float], nll: Any = nll) -> float:
            mu.setVal(p["mu"])
            return float(nll.getVal())

        def prep() -> None:
            one()
            rf.reset()

        out.append(Impl(f"roofit-{backend}", label, "RooFit", ds, value, prepare=prep, grad_missing=NO_ROOFIT_GRAD,
                        note="`getVal()` after `mu.setVal`"))
        if backend == "cpu":
            def value_all(d: Any, p: Mapping[str, float], nll: Any = nll) -> float:
                rf.set(p)
                return float(nll.getVal())

            out.append(Impl("roofit-cpu-all", "RooFit cpu, all 4 parameters changed", "RooFit", ds, value_all,
                            prepare=prep, points=POINTS_ALL, grad_missing=NO_ROOFIT_GRAD,
                            note="alternates μ, σ, c, f together: nothing is reused"))
    return out


# ---------------------------------------------------------------- checks and timing at one N

def _reference(s: Setup, x: np.ndarray) -> Callable[[Mapping[str, float]], tuple[float, dict[str, float]]]:
    cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}

    def ref(p: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        key = tuple(p[k] for k in PARAMS)
        if key not in cache:
            cache[key] = s.interp.nll_grad({"x": x}, dict(p))
        return cache[key]

    return ref


def _as_floats(q: str, out: Any) -> tuple[float, dict[str, float]]:
    if q == "grad":
        v, g = out
        return float(v), {k: float(g[k]) for k in GRAD}
    return float(out), {}


def _compare(got: tuple[float, dict[str, float]], want: tuple[float, dict[str, float]]) -> str:
    worst, where = abs(got[0] - want[0]) / abs(want[0]), "value"
    for k, g in got[1].items():
        d = abs(g - want[1][k]) / max(abs(want[1][k]), 1e-300)
        if d > worst:
            worst, where = d, f"d/d{k}"
    return "" if worst <= RTOL else f"**differs**: {where} by {worst:.1e} relative"


def prepare_and_check(impls: Sequence[Impl], ref: Callable[[Mapping[str, float]], tuple[float, dict[str, float]]]) \
        -> None:
    """First calls (timed), then the values at both points against the interpreter."""
    for im in impls:
        if im.missing:
            continue
        for q in QUANTITIES:
            fn = im.value if q == "value" else im.grad
            if fn is None:
                continue
            try:
                if im.prepare:
                    im.prepare()
                _, im.first[q] = first_call(fn, im.data, im.block, im.points[0])
                if im.checked:
                    problems = [_compare(_as_floats(q, fn(im.data, p)), ref(p)) for p in im.points]
                    im.check[q] = next((m for m in problems if m), "")
            except Exception as exc:
                if q == "value":
                    im.missing = f"failed: {_why(exc)}"
                    break
                im.grad_missing = f"failed: {_why(exc)}"
                im.grad = None


def time_all(impls: Sequence[Impl], repeats: int, budget: float) -> None:
    """Every (implementation, quantity) measured ``repeats`` times, all alternated round-robin."""
    items: list[tuple[Impl, str, Timed]] = []
    for im in impls:
        if im.missing:
            continue
        for q in QUANTITIES:
            fn = im.value if q == "value" else im.grad
            if fn is not None:
                items.append((im, q, Timed(f"{im.key}.{q}", fn, im.data, im.block, im.prepare, im.points)))
    alternate([t for _, _, t in items], repeats, budget)
    for im, q, t in items:
        im.times[q] = t.times


@dataclass
class SizeResult:
    n: int
    impls: list[Impl]
    seconds: dict[str, float]  # data sets, createNLL at this N
    repeats: int
    others: float | None = None  # cores other processes kept busy while this N was timed

    def get(self, key: str) -> Impl | None:
        return next((im for im in self.impls if im.key == key and not im.missing), None)

    def ratio(self, a: str, qa: str, b: str, qb: str) -> list[float] | None:
        """Per-round ratios time(a, qa) / time(b, qb), or None when either is missing."""
        ia, ib = self.get(a), self.get(b)
        if ia is None or ib is None or qa not in ia.times or qb not in ib.times:
            return None
        return ratios(ia.times[qa], ib.times[qb])


def run_size(s: Setup, n: int, repeats: int, budget: float) -> SizeResult:
    x = generate(n)
    seconds: dict[str, float] = {}
    impls = implementations(s, x, seconds)
    meter = CpuMeter()
    prepare_and_check(impls, _reference(s, x))
    for im in impls:
        bad = [f"{q}: {m}" for q, m in im.check.items() if m]
        if bad:
            print(f"  WARNING N={fmt_n(n)} {im.label}: " + "; ".join(bad), flush=True)
    time_all(impls, repeats, budget)
    res = SizeResult(n, impls, seconds, repeats, meter.others())
    for im in impls:
        if im.missing:
            print(f"N={fmt_n(n)} {im.label:44s} {im.missing}", flush=True)
            continue
        v = fmt_t(statistics.median(im.times["value"]))
        g = fmt_t(statistics.median(im.times["grad"])) if "grad" in im.times else "-"
        print(f"N={fmt_n(n)} {im.label:44s} NLL {v:>9s}   NLL+grad {g:>9s}", flush=True)
    return res


# ---------------------------------------------------------------- fits

@dataclass
class Fit:
    label: str
    run: Callable[[], tuple[dict[str, float], dict[str, float], str]]  # -> values, errors, calls
    repeats: int
    missing: str | None = None
    times: list[float] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    calls: str = ""
    valid: str = ""
    nll: float = float("nan")


def _minuit(value: Fn, value_grad: Fn | None, data: Any, tol: float = FIT_TOL,
            prepare: Callable[[], Any] | None = None) -> Callable[[], tuple[dict[str, float], dict[str, float], str]]:
    """A MIGRAD fit through iminuit (strategy 1, errordef 0.5, the RooRealVar ranges as limits) from the evaluation
    point: ``fcn`` is the value alone, ``grad`` the gradient of the fused value+gradient call."""
    Minuit = importlib.import_module("iminuit").Minuit

    def fcn(v: np.ndarray) -> float:
        return float(value(data, dict(zip(PARAMS, map(float, v), strict=True))))

    def grad(v: np.ndarray) -> np.ndarray:
        _, g = value_grad(data, dict(zip(PARAMS, map(float, v), strict=True))) if value_grad else (0.0, {})
        return np.array([float(g[k]) for k in PARAMS])

    def run() -> tuple[dict[str, float], dict[str, float], str]:
        if prepare:
            prepare()
        m = Minuit(fcn, [POINT[k] for k in PARAMS], grad=grad if value_grad else None, name=PARAMS)
        m.errordef = Minuit.LIKELIHOOD
        m.strategy = 1
        m.tol = tol
        for k, lim in LIMITS.items():
            m.limits[k] = lim
        m.migrad()
        if not m.valid:
            raise RuntimeError(f"MIGRAD did not converge: {m.fmin}")
        calls = f"{m.nfcn} / {m.ngrad}"
        return dict(zip(PARAMS, map(float, m.values), strict=True)), dict(zip(PARAMS, map(float, m.errors),
                                                                                    strict=True)), calls

    return run


def _roofit_fit(rf: RooFitModel, ds: Any, backend: str, how: str) -> Callable[[], tuple[dict[str, float],
                                                                                         dict[str, float], str]]:
    def run() -> tuple[dict[str, float], dict[str, float], str]:
        rf.reset()
        if how == "fitTo":
            r = rf.pdf.fitTo(ds, EvalBackend=backend, Hesse=False, PrintLevel=-1, Save=True)
            status, calls = int(r.status()), "not reported"
        else:
            nll = rf.pdf.createNLL(ds, EvalBackend=backend)
            m = rf.root.RooMinimizer(nll)
            m.setPrintLevel(-1)
            m.setStrategy(1)
            m.setEps(FIT_TOL)
            status, calls = int(m.migrad()), f"{m.evalCounter()} / –"
        if status != 0:
            raise RuntimeError(f"RooFit {how} {backend}: status {status}")
        return rf.values(), rf.errors(), calls

    return run


def _plugin_fit(compiled: Any, data: Any, prepare: Callable[[], Any]) -> Callable[[], tuple[dict[str, float],
                                                                                              dict[str, float], str]]:
    """``firmc.fit.fit`` (src/firmc/fit): MIGRAD with the analytic gradient and Hessian, errors from the Hessian,
    tolerance FIT_TOL; the start and limits are the model's (the evaluation point and the RooRealVar ranges)."""
    from firmc.fit import fit

    c2 = compiled.with_derivatives(2)
    c2.nll_grad(data, POINT), c2.nll_hessian(data, POINT)  # JIT-compiled before timing

    def run() -> tuple[dict[str, float], dict[str, float], str]:
        prepare()
        r = fit(c2, data, tol=FIT_TOL)
        if not r.valid:
            raise RuntimeError(f"firmc.fit.fit did not converge: {r}")
        calls = f"{r.calls} / {r.grad_calls} / {r.hessian_calls} Hessian"
        return {k: r.values[k] for k in PARAMS}, {k: r.errors[k] for k in PARAMS}, calls

    return run


def fits(s: Setup, n: int, repeats: int) -> tuple[list[Fit], dict[str, Any]]:
    """Every fit ``repeats`` times (RooFit legacy fewer), round-robin; then the minima against a reference fit."""
    x = generate(n)
    out: list[Fit] = []
    threads = s.llvm_threads

    def set_threads(k: int | None) -> Callable[[], Any]:
        return lambda: threads(k) if threads else None

    one = set_threads(1)
    if s.llvm is not None:
        out.append(Fit("firmc llvm, 1 thread + iminuit (analytic gradient)",
                       _minuit(s.llvm.nll, s.llvm.nll_grad, {"x": x}, prepare=one), repeats))
        out.append(Fit(f"firmc llvm, all threads ({NCPU}) + iminuit (analytic gradient)",
                       _minuit(s.llvm.nll, s.llvm.nll_grad, {"x": x}, prepare=set_threads(None)), repeats))
        out.append(Fit(f"`firmc.fit.fit`, llvm all threads ({NCPU}), `derivatives=2` (MIGRAD given the analytic "
                       "Hessian; errors from it, included)", _plugin_fit(s.llvm, {"x": x}, set_threads(None)),
                       repeats))
    else:
        why = f"not available: {s.missing['llvm']}"
        out += [Fit("firmc llvm, 1 thread + iminuit (analytic gradient)", _never, 0, why),
                Fit(f"firmc llvm, all threads ({NCPU}) + iminuit (analytic gradient)", _never, 0, why)]
    jx = {"x": jnp.asarray(x)}
    jv, jg = s.jitted["jax.nll"], s.jitted["jax.nll_grad"]
    jv(jx, POINT), jg(jx, POINT)  # compiled for this shape before timing
    out.append(Fit("firmc jax + iminuit (analytic gradient: `jit(nll)`, `jit(nll_grad)`)",
                   _minuit(jv, jg, jx, prepare=one), repeats))
    if "O3-fast-math" in s.clibs:
        lib = s.clibs["O3-fast-math"]
        out.append(Fit("C -ffast-math + iminuit (analytic gradient)",
                       _minuit(lib.nll, lib.nll_grad, lib.bind(x), prepare=one), repeats))
    if s.roofit is not None:
        ds = s.roofit.dataset(x)
        for backend in ("cpu", "legacy", "codegen_no_grad"):
            k = max(1, min(repeats, 3)) if backend == "legacy" else repeats
            out.append(Fit(f"RooFit `fitTo` {backend} (Hesse off; its fixed tolerance: EDM < 1e-3)",
                           _roofit_fit(s.roofit, ds, backend, "fitTo"), k))
            out.append(Fit(f"RooFit createNLL {backend} + RooMinimizer MIGRAD (eps {FIT_TOL:g})",
                           _roofit_fit(s.roofit, ds, backend, "RooMinimizer"), k))
    else:
        out.append(Fit("RooFit", _never, 0, f"not available: {s.missing['roofit']}"))
    meter = CpuMeter()
    for r in range(max((f.repeats for f in out), default=0)):
        for f in out:
            if f.missing or r >= f.repeats:
                continue
            t0 = time.perf_counter()
            try:
                f.values, f.errors, f.calls = f.run()
            except Exception as exc:
                f.missing = f"failed: {_why(exc)}"
                continue
            f.times.append(time.perf_counter() - t0)
            if r == 0:
                print(f"fit {f.label:78s} {fmt_t(f.times[-1]):>9s}  calls {f.calls}", flush=True)
    # the reference minimum: the C loop's analytic gradient at a tight tolerance (EDM < 1e-9), else jax's
    ref_fit = (_minuit(s.clibs["O3-fast-math"].nll, s.clibs["O3-fast-math"].nll_grad,
                       s.clibs["O3-fast-math"].bind(x), tol=1e-6) if "O3-fast-math" in s.clibs
               else _minuit(jv, jg, jx, tol=1e-6))
    ref_values, ref_errors, _ = ref_fit()
    ref_nll = s.interp.nll({"x": x}, ref_values)
    for f in out:
        if f.values:
            f.nll = s.interp.nll({"x": x}, f.values)
    return out, {"values": ref_values, "errors": ref_errors, "nll": ref_nll, "n": n, "others": meter.others()}


def _never() -> tuple[dict[str, float], dict[str, float], str]:
    raise RuntimeError("not available")


# ---------------------------------------------------------------- the report

def _size_table(r: SizeResult) -> list[str]:
    lines = [f"### N = {fmt_n(r.n)} ({r.repeats} repeats)", "",
             "| implementation | NLL | ns/event | ÷ C -ffast-math | RooFit cpu ÷ this | NLL + grad | ÷ C fused "
             "-ffast-math | (NLL+grad) ÷ NLL | first call NLL / NLL+grad | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    c_fast = "c-O3-fast-math"
    for im in r.impls:
        if im.missing:
            lines.append(f"| {im.label} | {im.missing} | | | | | | | | |")
            continue
        v = im.times["value"]
        ns = statistics.median(v) / r.n * 1e9
        vs_c = r.ratio(im.key, "value", c_fast, "value")
        vs_rf = r.ratio("roofit-cpu", "value", im.key, "value")
        cells = [im.label, cell(v), f"{ns:.3g}", ratio_cell(vs_c) if vs_c else "–",
                 ratio_cell(vs_rf) if vs_rf else "–"]
        if "grad" in im.times:
            g = im.times["grad"]
            g_c = r.ratio(im.key, "grad", c_fast, "grad")
            cells += [cell(g), ratio_cell(g_c) if g_c else "–", ratio_cell(ratios(g, v))]
        else:
            cells += [im.grad_missing or "–", "–", "–"]
        first = " / ".join(fmt_t(im.first[q]) for q in QUANTITIES if q in im.first)
        notes = [m for m in (im.check.get("value"), im.check.get("grad"), im.note) if m]
        cells += [first, "; ".join(notes)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", _others(r.others)]
    if r.seconds:
        lines += ["", "Set-up at this N: " + ", ".join(f"{k} {fmt_t(v)}" for k, v in r.seconds.items()) + "."]
    return [*lines, ""]


def _others(cores: float | None) -> str:
    return "Others' load: " + ("not measured" if cores is None else f"{cores:.2f} of {NCPU} cores") + "."


def _fit_table(fit_list: list[Fit], ref: dict[str, Any]) -> list[str]:
    lines = [f"### MIGRAD fits, N = {fmt_n(ref['n'])}", "",
             "From the evaluation point, Minuit2 MIGRAD with strategy 1, errordef 0.5 and the RooRealVar ranges as "
             f"limits; iminuit and RooMinimizer with tolerance {FIT_TOL:g} (EDM < 1e-6); `fitTo` cannot be given a "
             "tolerance (it runs RooMinimizer with eps 1: EDM < 1e-3). Calls are function / gradient evaluations. "
             "Minima are compared with a reference fit (the C loop with its analytic gradient, EDM < 1e-9), both "
             "NLLs evaluated by firmc's interpreter: they agree when the NLL is within 1e-6 and every parameter "
             "within 1e-3 of its MIGRAD error. With numerical derivatives (RooFit; no analytic gradient in the pip "
             "wheel) MIGRAD stops about that far from the minimum even at EDM < 1e-6: a shortfall of the minimiser, "
             "not of the NLL, whose values agree with the interpreter's at fixed points (the checks above).", "",
             "| fit | wall time | calls | NLL − reference | max \\|Δp\\| / σ | agree |", "|---|---|---|---|---|---|"]
    for f in fit_list:
        if f.missing or not f.times:
            lines.append(f"| {f.label} | {f.missing or 'not run'} | | | | |")
            continue
        dnll = f.nll - ref["nll"]
        dp = max(abs(f.values[k] - ref["values"][k]) / ref["errors"][k] for k in PARAMS)
        ok = abs(dnll) <= 1e-6 and dp <= 1e-3
        lines.append(f"| {f.label} | {cell(f.times)} ({len(f.times)}×) | {f.calls} | {dnll:.2e} | {dp:.1e} | "
                     f"{'yes' if ok else '**no**'} |")
    return [*lines, "", _others(ref["others"]), ""]


def _targets(sizes: list[SizeResult], fit_list: list[Fit], s: Setup) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) — met None when it cannot be evaluated."""
    at = next((r for r in sizes if r.n == 1_000_000), sizes[-1])
    where = f"N = {fmt_n(at.n)}"
    out: list[tuple[str, str, bool | None]] = []
    llvm_why = (f"not evaluated: firmc llvm {s.missing['llvm']}" if "llvm" in s.missing
                else "not evaluated: a row it needs is missing or failed")

    def add(name: str, rs: list[float] | None, ok: Callable[[float], bool], unit: str = "×") -> None:
        if rs is None:
            out.append((name, llvm_why, None))
        else:
            out.append((name, f"{ratio_cell(rs)}{unit}", ok(statistics.median(rs))))

    t = TARGETS
    add(f"llvm 1 thread NLL ≤ {t['llvm_vs_c']}× hand-written C -O3 -march=native -ffast-math ({where})",
        at.ratio("llvm-1", "value", "c-O3-fast-math", "value"), lambda m: m <= t["llvm_vs_c"])
    add(f"llvm all threads NLL ≥ {t['llvm_all_vs_roofit']:g}× faster than RooFit cpu ({where})",
        at.ratio("roofit-cpu", "value", "llvm-all", "value"), lambda m: m >= t["llvm_all_vs_roofit"])
    add(f"llvm value+grad ≤ {t['llvm_grad_vs_value']}× llvm value (1 thread, {where})",
        at.ratio("llvm-1", "grad", "llvm-1", "value"), lambda m: m <= t["llvm_grad_vs_value"])
    llvm_fits = {k: next((f for f in fit_list if f.label.startswith(f"firmc llvm, {k}") and f.times), None)
                 for k in ("1 thread", "all threads")}
    jax_fit = next((f for f in fit_list if f.label.startswith("firmc jax") and f.times), None)
    roofit_fit = next((f for f in fit_list if f.label.startswith("RooFit `fitTo` cpu") and f.times), None)

    def fit_ratio(a: Fit | None, b: Fit | None) -> list[float] | None:
        if a is None or b is None:
            return None
        k = min(len(a.times), len(b.times))
        return ratios(a.times[:k], b.times[:k])

    for k, why in (("1 thread", "like for like: jax and RooFit run 1 thread"), ("all threads", "firmc's default")):
        add(f"MIGRAD fit with llvm ({k}; {why}) ≤ {t['fit_vs_jax']}× jax + iminuit",
            fit_ratio(llvm_fits[k], jax_fit), lambda m: m <= t["fit_vs_jax"])
        add(f"MIGRAD fit with llvm ({k}) ≥ {t['fit_vs_roofit']:g}× faster than RooFit `fitTo` cpu",
            fit_ratio(roofit_fit, llvm_fits[k]), lambda m: m >= t["fit_vs_roofit"])
    jit = [s.seconds.get("firmc llvm: compile"), s.seconds.get("firmc llvm: first NLL call (1e4 events)")]
    if None in jit:
        out.append((f"llvm JIT (compile + first call) ≤ {t['llvm_jit_s']} s", llvm_why, None))
    else:
        total = sum(v for v in jit if v is not None)
        out.append((f"llvm JIT (compile + first call) ≤ {t['llvm_jit_s']} s", fmt_t(total), total <= t["llvm_jit_s"]))
    return out


def _versions(s: Setup) -> str:
    v = dict(s.versions)
    v.update({"firmc": firmc.__version__, "JAX": jax.__version__, "torch": torch.__version__})
    for mod in ("llvmlite", "iminuit"):
        with contextlib.suppress(ImportError):
            v[mod] = importlib.import_module(mod).__version__
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=False).stdout.splitlines()
    if gcc:
        v["gcc"] = gcc[0]
    return ", ".join(f"{k} {val}" for k, val in v.items())


def report(s: Setup, sizes: list[SizeResult], fit_list: list[Fit], ref: dict[str, Any] | None,
           targets: list[tuple[str, str, bool | None]], budget: float, quick: bool) -> str:
    """The native section of docs/performance.md."""
    lines = [
        "## Native: firmc against RooFit, hand-written C, numba and pyhs3", "",
        "Reproduce: `bash scripts/bench.sh native` (benchmarks/native.py"
        + (", **--quick smoke run**" if quick else "") + ").", "",
        "PERFORMANCE.md's Workload 1: the unbinned NLL of f·Gauss(x | μ, σ) + (1−f)·Exp(x | c), Exp ∝ exp(c·x), "
        "each normalised on [−10, 10]; N events drawn from the truth μ=1, σ=1.5, c=−0.3, f=0.3 (seed "
        f"{SEED}); evaluated at μ=0.9, σ=1.6, c=−0.25, f=0.35 with μ alternating with 0.91 call by call (RooFit: "
        "`mu.setVal` then `nll.getVal()`). Every implementation is first checked against firmc's interpreter at "
        f"both points (value and the four gradient components, rtol {RTOL:g}; a difference is flagged in the note).",
        "",
        "How it is measured: one thread everywhere (OpenMP, BLAS, torch at 1; JAX's CPU client created while the "
        "process may use one core, since XLA_FLAGS alone do not stop XLA from splitting a large reduction over the "
        "cores) except the rows that say "
        f"otherwise; every result blocked on; each measurement repeats the call so that it lasts ≥ {budget:g} s; all "
        "rows of one N alternate round-robin (A B C … A B C …), so each ratio is the median (min–max) of per-round "
        "ratios; times are median (min–max) per call. *first call* (compilation for jax and numba) is apart. "
        "*÷ C -ffast-math*: this row's time over the hand-written C loop's built with gcc -O3 -march=native "
        "-ffast-math (NLL+grad: over the fused C loop); *RooFit cpu ÷ this*: how many times faster than RooFit's "
        "default backend. The machine is shared and noisy: compare ratios from one run, not absolute times across "
        "runs.", "",
        f"Machine: {machine()}. Versions: {_versions(s)}.", "",
        "*Others' load*, under each table: how many of the machine's cores other processes kept busy on average "
        "while it was measured (from /proc/stat, less this process); above about 0.2, multi-threaded rows did not "
        "have the cores they assume, and every time is less reliable.", "",
        "RooFit has no analytic gradient here (`codegen`, with clad, is not built into the pip wheel); its fits "
        "differentiate numerically. pyhs3 normalises the Gaussian by 64-point Gauss-Legendre quadrature and the "
        "exponential analytically.", "",
        "### Targets", "",
        "| target | measured (median, min–max) | verdict |", "|---|---|---|",
    ]
    for name, measured, met in targets:
        verdict = "–" if met is None else ("met" if met else "**missed**")
        lines.append(f"| {name} | {measured} | {verdict} |")
    lines.append("")
    for r in sizes:
        lines += _size_table(r)
    if fit_list and ref is not None:
        lines += _fit_table(fit_list, ref)
    lines += ["### Compile and JIT times", "", "| what | seconds |", "|---|---|"]
    lines += [f"| {k} | {fmt_t(v)} |" for k, v in s.seconds.items()]
    at = next((r for r in sizes if r.n == 1_000_000), sizes[-1])
    for r in [sizes[0]] + ([at] if at is not sizes[0] else []):  # the first in the process (cold), and at 1e6
        lines += [f"| {k} (N = {fmt_n(r.n)}{', first in the process' if r is sizes[0] else ''}) | {fmt_t(v)} |"
                  for k, v in r.seconds.items()]
    first = sizes[0]
    for im in first.impls:
        if im.key in ("jax", "numba") and im.first:
            lines.append(f"| {im.label}: first call at N = {fmt_n(first.n)} (compilation), NLL / NLL+grad | "
                         + " / ".join(fmt_t(im.first[q]) for q in QUANTITIES if q in im.first) + " |")
    if s.missing:
        lines += ["", "Not available in this run: " + "; ".join(f"{k}: {v}" for k, v in s.missing.items()) + "."]
    return "\n".join([*lines, ""])


def main() -> int:
    """Run the benchmark, print every row and the targets, and write the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: N = 1e4 and 1e5, 3 short repeats")
    ap.add_argument("--no-fits", action="store_true", help="skip the MIGRAD fits")
    ap.add_argument("--out", default=None, help="report file (default docs/performance.md; none with --quick)")
    args = ap.parse_args()
    if args.quick:
        plan, budget, fit_n, fit_repeats = [(10_000, 3), (100_000, 3)], 0.02, 100_000, 1
    else:
        plan, budget, fit_n, fit_repeats = [(10_000, 9), (1_000_000, 9), (10_000_000, 5)], 0.2, 1_000_000, 5
    out = args.out or (None if args.quick else str(REPORT))
    with tempfile.TemporaryDirectory(prefix="firmc-native-") as tmp:
        s = build(Path(tmp))
        if s.llvm is not None:  # JIT: compile (in build) + the first calls on 1e4 events
            x = {"x": generate(10_000)}
            with timed("firmc llvm: first NLL call (1e4 events)", s.seconds):
                s.llvm.nll(x, POINT)
            with timed("firmc llvm: first NLL+grad call (1e4 events)", s.seconds):
                s.llvm.nll_grad(x, POINT)
        for key, why in s.missing.items():
            print(f"not available: {key}: {why}", flush=True)
        sizes = [run_size(s, n, repeats, budget) for n, repeats in plan]
        fit_list, ref = ([], None) if args.no_fits else fits(s, fit_n, fit_repeats)
        targets = _targets(sizes, fit_list, s)
        text = report(s, sizes, fit_list, ref, targets, budget, args.quick)
    return publish("native", text, out, targets)


if __name__ == "__main__":
    sys.exit(main())
