"""Amplitude models (issue 7): the Λc→pKπ intensity of lc2ppik-lhcb-2683025.json on 1e6 phase-space points, firmc
against ampform-dpd + tensorwaves (JAX) in the same run, and the compile times of both. Writes the ``amplitude``
section of docs/performance.md.

    bash scripts/bench.sh amplitude        # creates .venv-ampform/ (ampform-dpd, tensorwaves, jax) on first use
    .venv/bin/python benchmarks/amplitude.py [--quick] [--no-ampform] [--out FILE]

ampform-dpd is no dependency of firmc and its pins must not touch firmc's venv: it lives in its own virtual env
(``.venv-ampform/``, made by scripts/bench.sh; another interpreter with ``FIRMC_AMPFORM_PYTHON``) and runs in a
worker process of that env (this file with ``--ampform-worker DIR``), which times itself and answers timing requests
over a pipe, so that its measurements alternate round by round with firmc's (A B C ... A B C ...), every ratio the
median of per-round ratios. The points (uniform in the Dalitz plot: σ1, σ2 drawn in their bounding box, kept where
the Kibble function is negative, σ3 = Σm² − σ1 − σ2; fixed seed) go to both processes as .npy files.

Measured: the intensity on firmc llvm (all threads and 1 thread), firmc jax (the generated module's ``value`` under
``jax.jit``), firmc numpy, ampform-dpd's jitted JAX function; XLA with one thread in both processes (as in
benchmarks/native.py). Compile times: firmc load + passes + jax emission and the first jitted call, llvm compile +
first call, numpy, each in a fresh process (3 each, median); ampform-dpd ``load_workspace`` (load + formulate),
``compile_workspace`` (unfold, doit, lambdify) with an empty cache (``COMPWA_CACHE_DIR`` in a temporary folder),
and its first call. Agreement: firmc against ampform-dpd on every point, and both against the file's checksum.

Goals (issue 7): firmc load + passes + jax emission < 5 s; llvm intensity throughput ≥ 10x ampform-dpd's JAX path.
Misses are printed (MISSED), not failed: the exit status is 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    REPO,
    REPORT,
    SEED,
    CpuMeter,
    cell,
    fmt_n,
    fmt_t,
    inner_reps,
    jax_one_thread,
    machine,
    per_call,
    publish,
    ratio_cell,
    ratios,
    single_threaded,
)

MODEL = Path(os.environ.get("FIRMC_SHARED", REPO.parent / "shared")) / "corpus" / "threebody" / \
    "lc2ppik-lhcb-2683025.json"
ENTRY = "default_model"
SIGMAS = ("sigma1", "sigma2", "sigma3")
AMPFORM_PY = Path(os.environ.get("FIRMC_AMPFORM_PYTHON", REPO / ".venv-ampform" / "bin" / "python"))
NOPOINT: tuple[dict[str, float], ...] = ({},)  # the intensity has no free parameters: one (empty) point
BUDGET = 0.3  # seconds per measurement (inner repetitions)
PROBES = 3  # fresh processes per compile-time measurement
GOAL_SPEED, GOAL_COMPILE_S = 10.0, 5.0
Fn = Callable[..., Any]


def block_jax(out: Any) -> Any:
    import jax

    return jax.block_until_ready(out)


# ---------------------------------------------------------------- the points

def masses(path: Path = MODEL) -> tuple[float, list[float]]:
    """(m0, [m1, m2, m3]) of the model's first distribution."""
    kin = json.loads(path.read_text(encoding="utf-8"))["distributions"][0]["decay_description"]["kinematics"]
    return float(kin["initial_state"]["mass"]), [float(p["mass"]) for p in kin["final_state"]]


def kallen(x: Any, y: Any, z: Any) -> Any:
    return x * x + y * y + z * z - 2.0 * (x * y + y * z + z * x)


def phase_space(n: int, seed: int = SEED, path: Path = MODEL) -> dict[str, np.ndarray]:
    """n points uniform in the Dalitz plot: (σ1, σ2) uniform in their bounding box, kept where the Kibble function
    is negative (strictly inside), σ3 from σ1 + σ2 + σ3 = m0² + m1² + m2² + m3²."""
    m0, (m1, m2, m3) = masses(path)
    total = m0**2 + m1**2 + m2**2 + m3**2
    rng = np.random.default_rng(seed)
    got: list[tuple[np.ndarray, np.ndarray]] = []
    have = 0
    while have < n:
        s1 = rng.uniform((m2 + m3) ** 2, (m0 - m1) ** 2, 2 * n)
        s2 = rng.uniform((m3 + m1) ** 2, (m0 - m2) ** 2, 2 * n)
        s3 = total - s1 - s2
        kibble = kallen(kallen(m0**2, m1**2, s1), kallen(m0**2, m2**2, s2), kallen(m0**2, m3**2, s3))
        keep = kibble < 0.0
        got.append((s1[keep], s2[keep]))
        have += int(keep.sum())
    s1 = np.concatenate([g[0] for g in got])[:n]
    s2 = np.concatenate([g[1] for g in got])[:n]
    return {"sigma1": s1, "sigma2": s2, "sigma3": total - s1 - s2}


def save_points(points: dict[str, np.ndarray], folder: Path) -> None:
    for k, v in points.items():
        np.save(folder / f"{k}.npy", v)


def load_points(folder: Path) -> dict[str, np.ndarray]:
    return {k: np.load(folder / f"{k}.npy") for k in SIGMAS}


# ---------------------------------------------------------------- ampform-dpd's side (runs in .venv-ampform)

def ampform_worker(folder: Path) -> int:
    """The ampform-dpd worker: compile, report, then answer timing requests (one JSON line each) until ``quit``.
    Replies go to the original stdout; anything the libraries print goes to stderr."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    single_threaded()
    t0 = time.perf_counter()
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    jax_one_thread(jax)
    import jax.numpy as jnp
    from ampform_dpd.io.serialization.compiler import compile_workspace
    from ampform_dpd.io.serialization.validation import validate_checksums
    from ampform_dpd.io.serialization.workspace import load_workspace

    info: dict[str, Any] = {"seconds": {"import": time.perf_counter() - t0}}
    spec = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    ws = load_workspace(spec["model"])
    info["seconds"]["load"] = time.perf_counter() - t
    t = time.perf_counter()
    cw = compile_workspace(ws, backend="jax", targets=[spec["entry"]])
    info["seconds"]["compile"] = time.perf_counter() - t
    fn = cw.functions[spec["entry"]]
    coords = tuple(cw.coordinates[spec["entry"]])
    pts = load_points(folder)
    data = {k: jnp.asarray(pts[k]) for k in coords}
    t = time.perf_counter()
    out = block_jax(fn(data))
    info["seconds"]["first"] = time.perf_counter() - t
    np.save(folder / "ampform.npy", np.asarray(out))
    one = {k: jnp.asarray([spec["point"][k]]) for k in coords}
    info["point_value"] = float(np.asarray(fn(one))[0])
    own = [r for r in validate_checksums(cw) if r.target == spec["entry"]]
    info["own_checksum"] = [{"point": r.point_name, "value": r.value, "reference": r.reference} for r in own]
    info["coordinates"] = list(coords)
    info["versions"] = {name: _version(name) for name in ("ampform-dpd", "ampform", "tensorwaves", "jax", "sympy",
                                                          "numpy")}
    reply.write(json.dumps(info) + "\n")

    def call(d: Any, _p: Any) -> Any:
        return fn(d)

    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "calibrate":
            reply.write(json.dumps({"inner": inner_reps(call, data, block_jax, req["budget"], NOPOINT)}) + "\n")
        elif req["cmd"] == "time":
            reply.write(json.dumps({"seconds": per_call(call, data, req["inner"], block_jax, NOPOINT)}) + "\n")
        else:
            break
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "-"


class Worker:
    """The ampform-dpd worker process, seen from firmc's side."""

    def __init__(self, folder: Path, cache: Path) -> None:
        env = {**os.environ, "COMPWA_CACHE_DIR": str(cache)}
        self.proc = subprocess.Popen([str(AMPFORM_PY), __file__, "--ampform-worker", str(folder)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            assert self.proc.stderr is not None
            err = self.proc.stderr.read().strip().splitlines()
            raise RuntimeError(f"ampform-dpd worker exited {self.proc.wait()}: {' | '.join(err[-3:])}")
        return dict(json.loads(line))

    def ask(self, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


# ---------------------------------------------------------------- firmc's side

def probe(target: str, folder: Path) -> int:
    """A fresh process: import, load, compile and the first call of one target on the points; seconds as JSON."""
    single_threaded()
    s: dict[str, float] = {}
    t = time.perf_counter()
    import firmc

    if target == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        jax_one_thread(jax)
        import jax.numpy as jnp
    s["import"] = time.perf_counter() - t
    pts = load_points(folder)
    t = time.perf_counter()
    module = firmc.load(str(MODEL))
    s["load"] = time.perf_counter() - t
    t = time.perf_counter()
    f = firmc.compile(module, target, ENTRY)
    if target == "jax":
        from firmc.backends.pysource import import_text

        ((_, text),) = f.artifact.files.items()
        generated = import_text(text, "bench_amplitude_probe")
    s["compile"] = time.perf_counter() - t
    t = time.perf_counter()
    if target == "jax":
        block_jax(jax.jit(generated.value)({k: jnp.asarray(v) for k, v in pts.items()}))
    else:
        f(pts)
    s["first"] = time.perf_counter() - t
    print(json.dumps(s))
    return 0


def probes(target: str, folder: Path, count: int) -> dict[str, list[float]]:
    """``count`` fresh-process probes of ``target``: quantity -> seconds, one per probe."""
    out: dict[str, list[float]] = {}
    for _ in range(count):
        run = subprocess.run([sys.executable, __file__, "--probe", target, str(folder)], capture_output=True,
                             text=True, check=True)
        for k, v in json.loads(run.stdout.strip().splitlines()[-1]).items():
            out.setdefault(k, []).append(v)
    return out


@dataclass
class Item:
    """One implementation under timing: local (``fn(data, point)``, its result blocked on) or the worker's."""

    key: str
    label: str
    fn: Fn | None = None
    data: Any = None
    block: Fn = lambda out: out
    prepare: Callable[[], Any] | None = None
    worker: Worker | None = None
    inner: int = 0
    times: list[float] = field(default_factory=list)

    def calibrate(self, budget: float) -> None:
        if self.prepare:
            self.prepare()
        if self.worker is not None:
            self.inner = int(self.worker.ask(cmd="calibrate", budget=budget)["inner"])
        else:
            self.inner = inner_reps(self.fn, self.data, self.block, budget, NOPOINT)

    def measure(self) -> None:
        if self.prepare:
            self.prepare()
        if self.worker is not None:
            self.times.append(float(self.worker.ask(cmd="time", inner=self.inner)["seconds"]))
        else:
            self.times.append(per_call(self.fn, self.data, self.inner, self.block, NOPOINT))


def round_robin(items: list[Item], rounds: int, budget: float) -> float | None:
    """Every item ``rounds`` times, A B C ... A B C ...; returns the cores other processes kept busy meanwhile."""
    for it in items:
        it.calibrate(budget)
    meter = CpuMeter()
    for _ in range(rounds):
        for it in items:
            it.measure()
    return meter.others()


# ---------------------------------------------------------------- the run

@dataclass
class Run:
    n: int
    rounds: int
    items: list[Item]
    compile_s: dict[str, dict[str, list[float]]]  # firmc target -> quantity -> seconds per probe
    amp: dict[str, Any] | None
    amp_why: str
    agree: dict[str, float]
    checks: list[tuple[str, float, float]]  # (what, value, reference)
    others: float | None
    versions: dict[str, str]


def rel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


def start_ampform(folder: Path, wanted: bool) -> tuple[Worker | None, dict[str, Any] | None, str]:
    """The ampform-dpd worker (compiled, its values on the points read back), its report, or why there is none."""
    if not wanted:
        return None, None, "not run (--no-ampform)"
    if not AMPFORM_PY.exists():
        return None, None, f"no {AMPFORM_PY} (`bash scripts/bench.sh amplitude` creates it)"
    print("ampform-dpd: load, formulate and compile (cold cache) ...", flush=True)
    cache = folder / "compwa-cache"
    cache.mkdir()
    try:
        worker = Worker(folder, cache)
    except (OSError, RuntimeError, ValueError) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"[:300]
    amp = worker.info
    amp["values"] = np.load(folder / "ampform.npy")
    return worker, amp, ""


def run(n: int, rounds: int, with_ampform: bool, probe_count: int) -> Run:
    single_threaded()
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    jax_one_thread(jax)
    import jax.numpy as jnp
    import llvmlite

    import firmc
    from firmc.backends.llvm import set_threads
    from firmc.backends.pysource import import_text

    pts = phase_space(n)
    module = firmc.load(str(MODEL))
    (valid,) = [v for v in module.validations if v.entry == ENTRY]
    point = {k: float(valid.point[k]) for k in SIGMAS}
    versions = {"firmc": _git_head(), "jax": jax.__version__, "llvmlite": llvmlite.__version__}
    with tempfile.TemporaryDirectory(prefix="firmc-bench-amp-") as tmp:
        folder = Path(tmp)
        save_points(pts, folder)
        (folder / "request.json").write_text(json.dumps({"model": str(MODEL), "entry": ENTRY, "point": point}),
                                             encoding="utf-8")
        worker, amp, amp_why = start_ampform(folder, with_ampform)
        try:
            print("firmc: compile times in fresh processes ...", flush=True)
            compile_s = {t: probes(t, folder, probe_count) for t in ("jax", "llvm", "numpy")}
            llvm = firmc.compile(module, "llvm", ENTRY)
            npy = firmc.compile(module, "numpy", ENTRY)
            jx = firmc.compile(module, "jax", ENTRY)
            ((_, text),) = jx.artifact.files.items()
            jitted = jax.jit(import_text(text, "bench_amplitude_jax").value)
            jdata = {k: jnp.asarray(v) for k, v in pts.items()}
            vals = {"llvm": np.asarray(llvm(pts)), "jax": np.asarray(block_jax(jitted(jdata))),
                    "numpy": np.asarray(npy(pts))}
            items = [
                Item("llvm_all", f"firmc llvm, all threads ({os.cpu_count()})", lambda d, _p: llvm(d), pts,
                     prepare=lambda: set_threads(None)),
                Item("llvm_1", "firmc llvm, 1 thread", lambda d, _p: llvm(d), pts, prepare=lambda: set_threads(1)),
                Item("jax", "firmc jax (generated `value` under `jax.jit`)", lambda d, _p: jitted(d), jdata,
                     block=block_jax),
                Item("numpy", "firmc numpy (generated module)", lambda d, _p: npy(d), pts),
            ]
            if worker is not None:
                items.append(Item("ampform", "ampform-dpd + tensorwaves, JAX (jitted)", worker=worker))
            print(f"timing {len(items)} implementations, {rounds} rounds ...", flush=True)
            others = round_robin(items, rounds, BUDGET)
            set_threads(None)
        finally:
            if worker is not None:
                worker.close()
    agree = {f"firmc {t} vs llvm": float(rel(vals[t], vals["llvm"]).max()) for t in ("jax", "numpy")}
    checks = [(f"firmc {t}", float(np.ravel(f({k: np.array([v]) for k, v in point.items()}))[0]), valid.expected)
              for t, f in (("llvm", llvm), ("jax", jx), ("numpy", npy))]
    if amp is not None:
        r = rel(vals["llvm"], amp["values"])
        agree.update({"max": float(r.max()), "p99": float(np.quantile(r, 0.99)), "median": float(np.median(r)),
                      "above 1e-3": float(np.mean(r > 1e-3)), "above 1e-2": float(np.mean(r > 1e-2)),
                      "nan": float(np.mean(~np.isfinite(amp["values"])))})
        checks.append(("ampform-dpd at firmc's σ point", amp["point_value"], valid.expected))
        checks += [(f"ampform-dpd `validate_checksums` ({c['point']}, its own σ map)", c["value"], c["reference"])
                   for c in amp["own_checksum"] if c["value"] is not None]
        versions.update({f"{k} (ampform env)": v for k, v in amp["versions"].items()})
    return Run(n, rounds, items, compile_s, amp, amp_why, agree, checks, others, versions)


def _git_head() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"
    return head + (" (src/ with uncommitted changes)" if dirty else "")


# ---------------------------------------------------------------- the report

def med(xs: list[float]) -> float:
    return statistics.median(xs)


def report(r: Run) -> tuple[str, list[tuple[str, str, bool | None]]]:
    """The markdown section and the goals: (what, measured, met)."""
    by = {it.key: it for it in r.items}
    amp = by.get("ampform")
    ref = amp or by["llvm_all"]
    lines = [f"## Amplitude model: Λc→pKπ intensity on {fmt_n(r.n)} phase-space points (`bash scripts/bench.sh "
             "amplitude`)", "",
             f"{machine()}. Model `lc2ppik-lhcb-2683025.json` (26 chains), entry `{ENTRY}`; points uniform in the "
             f"Dalitz plot (seed {SEED}). One evaluation of all points, median (min–max) of {r.rounds} rounds, all "
             "implementations alternated round by round (ampform-dpd in its own process and venv, timing itself); "
             f"ratio = {'ampform-dpd' if amp else 'firmc llvm'}'s time over the row's, per round (higher is "
             "faster). XLA with one thread in both processes. Other processes kept "
             + (f"{r.others:.2f}" if r.others is not None else "?") + " cores busy on average meanwhile.", "",
             "| implementation | time per 1e6 points | ns/point | speed-up vs " + ("ampform-dpd JAX" if amp else
                                                                              "llvm") + " |",
             "|---|---|---|---|"]
    for it in r.items:
        scale = 1e6 / r.n
        lines.append(f"| {it.label} | {cell([t * scale for t in it.times])} | {med(it.times) / r.n * 1e9:.1f} | "
                     f"{ratio_cell(ratios(ref.times, it.times), bold=it.key == 'llvm_all' and amp is not None)} |")
    if amp is None:
        lines += ["", f"ampform-dpd: {r.amp_why}."]
    lines += ["", "Compile times (firmc: each target in a fresh process, median (min–max) of "
              f"{len(r.compile_s['jax']['load'])}; ampform-dpd: one cold run, empty ampform cache). *first call*: "
              f"the first evaluation of the {fmt_n(r.n)} points (tracing and XLA compilation for JAX, the LLVM JIT "
              "for llvm).", "", "| step | firmc | ampform-dpd |", "|---|---|---|"]
    c, a = r.compile_s, (r.amp or {}).get("seconds", {})

    def fa(k: str) -> str:
        return fmt_t(a[k]) if k in a else "-"

    fj = [x + y for x, y in zip(c["jax"]["load"], c["jax"]["compile"], strict=True)]
    fl = [x + y for x, y in zip(c["llvm"]["compile"], c["llvm"]["first"], strict=True)]
    fn_ = [x + y for x, y in zip(c["numpy"]["compile"], c["numpy"]["first"], strict=True)]
    amp_total = a["load"] + a["compile"] if a else None
    lines += [f"| import (firmc; ampform-dpd + jax) | {cell(c['jax']['import'])} | {fa('import')} |",
              f"| load (firmc: JSON → IR; ampform-dpd: `load_workspace`, load + formulate) | {cell(c['jax']['load'])} "
              f"| {fa('load')} |",
              f"| firmc: passes + jax emission + import of the module; ampform-dpd: `compile_workspace` (unfold, "
              f"doit, lambdify) | {cell(c['jax']['compile'])} | {fa('compile')} |",
              f"| **load + passes + jax emission** (ampform-dpd: load + formulate + compile) | **{cell(fj)}** | "
              f"**{fmt_t(amp_total) if amp_total else '-'}** |",
              f"| jax first call (`jax.jit`) | {cell(c['jax']['first'])} | {fa('first')} |",
              f"| llvm: passes + LLVM IR (`firmc.compile`) | {cell(c['llvm']['compile'])} | |",
              f"| llvm: first call (LLVM O2 + JIT + evaluation) | {cell(c['llvm']['first'])} | |",
              f"| llvm compile + first call | {cell(fl)} | |",
              f"| numpy: compile + first call | {cell(fn_)} | |"]
    lines += ["", "Agreement (relative differences):", ""]
    lines += [f"- {k}: max {v:.1e} over the points" for k, v in r.agree.items() if k.startswith("firmc")]
    if r.amp is not None:
        g = r.agree
        lines.append(f"- firmc llvm vs ampform-dpd on the {fmt_n(r.n)} points: max {g['max']:.2e}, 99th percentile "
                     f"{g['p99']:.2e}, median {g['median']:.2e}; {g['above 1e-3']:.1%} of the points differ by more "
                     f"than 1e-3, {g['above 1e-2']:.1%} by more than 1e-2; non-finite in ampform-dpd: "
                     f"{g['nan']:.1%}")
    for what, v, ref_v in r.checks:
        lines.append(f"- {what} vs the file's checksum: {v:.10g} vs {ref_v:.10g}, relative difference "
                     f"{abs(v - ref_v) / abs(ref_v):.1e}")
    goals: list[tuple[str, str, bool | None]] = []
    total = med(fj)
    goals.append((f"firmc load + passes + jax emission < {GOAL_COMPILE_S:g} s", fmt_t(total),
                  total < GOAL_COMPILE_S))
    if amp is not None and amp_total:
        speed = med(ratios(amp.times, by["llvm_all"].times))
        goals.append((f"llvm intensity throughput (all threads) ≥ {GOAL_SPEED:g}x ampform-dpd JAX", f"{speed:.1f}x",
                      speed >= GOAL_SPEED))
        one = med(ratios(amp.times, by["llvm_1"].times))
        goals.append(("(per core) llvm 1 thread vs ampform-dpd JAX (one XLA thread)", f"{one:.1f}x", None))
        goals.append(("(info) firmc jax vs ampform-dpd JAX", f"{med(ratios(amp.times, by['jax'].times)):.1f}x", None))
        goals.append(("(info) ampform-dpd load+formulate+compile / firmc load+passes+jax emission",
                      f"{amp_total / total:.0f}x", None))
    lines += ["", "Goals (issue 7):", ""]
    lines += [f"- {w}: {m}" + ("" if ok is None else f", **{'met' if ok else 'missed'}**") for w, m, ok in goals]
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items()) + "."]
    return "\n".join(lines) + "\n", goals


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 1e5 points, 2 rounds, no report file")
    ap.add_argument("--no-ampform", action="store_true", help="firmc only")
    ap.add_argument("--out", default=None, help="report file (default docs/performance.md; none with --quick)")
    ap.add_argument("--ampform-worker", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--probe", nargs=2, metavar=("TARGET", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ampform_worker:
        return ampform_worker(Path(args.ampform_worker))
    if args.probe:
        return probe(args.probe[0], Path(args.probe[1]))
    n, rounds, count = (100_000, 2, 1) if args.quick else (1_000_000, 7, PROBES)
    r = run(n, rounds, not args.no_ampform, count)
    text, goals = report(r)
    out = args.out or (None if args.quick else str(REPORT))
    if not math.isfinite(r.agree.get("max", 0.0)):
        print("note: non-finite values in the comparison")
    return publish("amplitude", text, out, [g for g in goals if g[2] is not None], echo=True)


if __name__ == "__main__":
    sys.exit(main())
