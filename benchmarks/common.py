"""What the Workload-1 benchmarks share (benchmarks/backends.py, benchmarks/native.py): the data and the evaluation
points of PERFORMANCE.md's Workload 1, firmc's generated Python modules, the timing helpers (inner repetitions so
that one measurement lasts >= a budget, implementations alternated A B C ... A B C ... repeat after repeat, so
that every ratio is a median of per-round ratios), and the report helpers (one section each in
docs/performance.md, between ``<!-- name:begin -->`` and ``<!-- name:end -->`` markers).

A library, not a benchmark: ``bash scripts/bench.sh common`` runs nothing.

Example:
    >>> generate(5).shape
    (5,)
    >>> fmt_n(1_000_000), fmt_t(0.0123), fmt_t(4.5e-5)
    ('1e6', '12.3 ms', '45 µs')
"""

from __future__ import annotations

import math
import os
import platform
import re
import resource
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "docs" / "performance.md"
LO, HI = -10.0, 10.0
TRUTH = {"mu": 1.0, "sigma": 1.5, "c": -0.3, "f": 0.3}
POINT = {"mu": 0.9, "sigma": 1.6, "c": -0.25, "f": 0.35}
POINTS: tuple[dict[str, float], ...] = (POINT, {**POINT, "mu": 0.91})  # alternated call by call
GRAD = ("c", "f", "mu", "sigma")  # the gradient's order (firmc's free parameters, sorted)
SEED = 20260601
Fn = Callable[..., Any]


def single_threaded() -> None:
    """One thread per library (OpenMP, OpenBLAS, MKL, XLA); call before jax, torch or NumPy's BLAS load: on 2
    shared cores the thread pools of BLAS, torch and XLA fight each other and the other processes, which made
    torch and BLAS timings erratic by up to 100x."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()


def jax_one_thread(jax: Any) -> None:
    """Create JAX's CPU client with one thread: XLA_FLAGS do not stop XLA's CPU runtime from splitting a large
    reduction over every core (measured: jit(nll) on 1e7 events used 1.9 cores with the flags of
    :func:`single_threaded`), but the client sizes its thread pool from the CPU affinity it finds when it is created.
    So: allow one core, create the client, allow all cores again. Call before JAX computes anything."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        jax.devices()
    finally:
        os.sched_setaffinity(0, cpus)


# ---------------------------------------------------------------- data and firmc's generated modules

def generate(n: int, seed: int = SEED) -> np.ndarray:
    """n events of the truth on [LO, HI]: a binomial split, a truncated Gaussian (by rejection) and a truncated
    exponential (by inverting its CDF), shuffled."""
    rng = np.random.default_rng(seed)
    n_sig = int(rng.binomial(n, TRUTH["f"]))
    g = rng.normal(TRUTH["mu"], TRUTH["sigma"], size=n_sig + n_sig // 10 + 100)
    g = g[(g >= LO) & (g <= HI)][:n_sig]
    c, u = TRUTH["c"], rng.uniform(size=n - n_sig)
    e = np.log(math.exp(c * LO) + u * (math.exp(c * HI) - math.exp(c * LO))) / c
    x = np.concatenate([g, e])
    rng.shuffle(x)
    return x


def gauss_exp_module() -> Any:
    """firmc's Module of the Workload-1 model (benchmarks/models.py)."""
    from models import gauss_exp

    import firmc

    return firmc.load(gauss_exp(LO, HI))


def generated(target: str) -> tuple[Any, float]:
    """The generated Python module for ``target`` (numpy, jax, torch) and the seconds firmc.compile + import took."""
    import firmc
    from firmc.backends.pysource import import_text

    t0 = time.perf_counter()
    compiled = firmc.compile(gauss_exp_module(), target, entry="model")
    ((_, text),) = compiled.artifact.files.items()
    module = import_text(text, f"bench_gauss_exp_{target}")
    return module, time.perf_counter() - t0


# ---------------------------------------------------------------- timing

def no_block(out: Any) -> Any:
    """The result as it is (for functions whose result is ready when they return)."""
    return out


def per_call(fn: Fn, data: Any, inner: int, block: Fn, points: Sequence[Mapping[str, float]] = POINTS) -> float:
    """Seconds per call over ``inner`` calls of ``fn(data, point)``, alternating the points, each result blocked on."""
    t0 = time.perf_counter()
    for i in range(inner):
        block(fn(data, points[i % len(points)]))
    return (time.perf_counter() - t0) / inner


def inner_reps(fn: Fn, data: Any, block: Fn, budget: float, points: Sequence[Mapping[str, float]] = POINTS) -> int:
    """Inner repetitions for one measurement of at least ``budget`` seconds (estimated, with 20 % margin; at least 2,
    so that both points are called)."""
    n = 1
    while (t := per_call(fn, data, n, block, points)) * n < budget / 8:
        n *= 4
    return max(2, math.ceil(1.2 * budget / t))


def first_call(fn: Fn, data: Any, block: Fn, point: Mapping[str, float] = POINT) -> tuple[Any, float]:
    """The first call's result and its seconds (tracing and compilation for a jitted function)."""
    t0 = time.perf_counter()
    out = fn(data, point)
    block(out)
    return out, time.perf_counter() - t0


@dataclass
class Timed:
    """One function under timing: ``fn(data, point)``, its result blocked on by ``block``; ``prepare`` runs (untimed)
    before each measurement (e.g. a thread setting shared with another Timed)."""

    label: str
    fn: Fn
    data: Any
    block: Fn = no_block
    prepare: Callable[[], Any] | None = None
    points: Sequence[Mapping[str, float]] = POINTS
    inner: int = 0  # set by alternate
    times: list[float] = field(default_factory=list)  # seconds per call, one per repeat


def alternate(items: Sequence[Timed], repeats: int, budget: float) -> None:
    """Measure every item ``repeats`` times, round-robin (A B C ... A B C ...): repeat r of every item ran in the same
    round, so per-round ratios compare measurements taken close together on a noisy machine. Fills ``times``."""
    for it in items:
        if it.prepare:
            it.prepare()
        it.inner = inner_reps(it.fn, it.data, it.block, budget, it.points)
        it.times = []
    for _ in range(repeats):
        for it in items:
            if it.prepare:
                it.prepare()
            it.times.append(per_call(it.fn, it.data, it.inner, it.block, it.points))


class CpuMeter:
    """How many cores other processes kept busy, on average, since the meter started: the machine's busy time
    (/proc/stat) minus this process's and its children's. On a shared machine this says whether a measurement,
    above all a multi-threaded one, had the cores it assumed. None where /proc/stat is missing.

    Example:
        >>> m = CpuMeter()
        >>> m.others() is None or m.others() >= 0.0
        True
    """

    def __init__(self) -> None:
        self.t0, self.busy0, self.own0 = time.perf_counter(), _busy_seconds(), _own_seconds()

    def others(self) -> float | None:
        busy = _busy_seconds()
        if busy is None or self.busy0 is None:
            return None
        wall = time.perf_counter() - self.t0
        return max(0.0, (busy - self.busy0 - (_own_seconds() - self.own0)) / wall) if wall > 0 else None


def _busy_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        fields = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Per-round ratios a_r / b_r."""
    return [x / y for x, y in zip(a, b, strict=True)]


# ---------------------------------------------------------------- the report

def fmt_n(n: int) -> str:
    """1e4 for 10000 (powers of ten), else the number."""
    k = round(math.log10(n))
    return f"1e{k}" if 10**k == n else str(n)


def fmt_t(seconds: float) -> str:
    """Seconds as s, ms or µs with 3 significant digits."""
    if seconds >= 1.0:
        return f"{seconds:.3g} s"
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def cell(times: Sequence[float]) -> str:
    """median (min–max) of seconds."""
    return f"{fmt_t(statistics.median(times))} ({fmt_t(min(times))}–{fmt_t(max(times))})"


def ratio_cell(rs: Sequence[float], bold: bool = False) -> str:
    """median (min–max) of ratios."""
    med = f"{statistics.median(rs):.2f}"
    return f"{f'**{med}**' if bold else med} ({min(rs):.2f}–{max(rs):.2f})"


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """The machine in words: OS, CPU model, cores, Python and NumPy."""
    return (f"{platform.platform()}, {cpu_model()}, {os.cpu_count()} CPUs; Python {platform.python_version()}, "
            f"NumPy {np.__version__}")


PAGE_HEAD = ("# Performance\n\n"
             "Generated by the benchmarks in benchmarks/ (`bash scripts/bench.sh NAME`), one section each between "
             "`<!-- NAME:begin -->` and `<!-- NAME:end -->`; every benchmark replaces only its own section. Each "
             "section names the command that reproduces it. Do not edit by hand.\n")


def write_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` into ``path`` as the section ``name``: replace it where the page has it, else append it (a page
    without sections, as written before there were several, is replaced by the page head and this section)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in old and end in old:
        i, j = old.index(begin), old.index(end) + len(end)
        new = old[:i] + block.rstrip("\n") + old[j:]
    elif re.search(r"<!-- [\w-]+:begin -->", old):
        new = old.rstrip("\n") + "\n\n" + block
    else:
        new = PAGE_HEAD + "\n" + block
    path.write_text(new, encoding="utf-8")


Goal = tuple[str, str, "bool | None"]  # (what, measured, met: None when it could not be measured)


def publish(name: str, text: str, out: str | None, goals: Sequence[Goal], echo: bool = False) -> int:
    """Write ``text`` as the section ``name`` of ``out`` (else print it; ``echo`` prints it in any case), print
    one MET/MISSED/N/A line per goal, and return 0: a benchmark reports misses, it does not fail on them."""
    if out:
        write_section(Path(out), name, text)
        print(f"wrote the {name} section of {out}")
    if echo or not out:
        print(text)
    for what, measured, met in goals:
        print(f"{'MET    ' if met else 'MISSED ' if met is False else 'N/A    '} {what}: {measured}")
    return 0
