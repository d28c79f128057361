"""Back-end benchmark: firmc's generated NumPy, JAX and torch modules against hand-written code.

Workload 1 of PERFORMANCE.md: the unbinned NLL of f·Gauss(x | mu, sigma) + (1 - f)·Exp(x | c), Exp ∝ exp(c x),
each normalised on [-10, 10]; N events (N = 1e4 and 1e6) drawn from the truth mu=1, sigma=1.5, c=-0.3, f=0.3
with a fixed seed, evaluated at mu=0.9, sigma=1.6, c=-0.25, f=0.35, with mu alternating 0.9 / 0.91 from call to
call so that nothing can cache. Per back-end the generated ``nll``, ``nll_grad`` (analytic) and
``nll_grad_autodiff`` are checked equal to a hand-written version of the same work (rtol 1e-10) and then timed
against it: first call (compile/JIT) apart from the steady state, inner repetitions so that one measurement lasts
>= 0.2 s, >= 7 repeats alternating generated and hand-written; the ratio is the median of the per-pair ratios.
Writes its section of docs/performance.md; prints the targets missed (and exits 0 all the same: a benchmark is
not a test).

Run: ``bash scripts/bench.sh backends`` (or ``.venv/bin/python benchmarks/backends.py [--quick] [--out FILE]``;
``--quick`` is a smoke run with small N and short measurements, which writes a report only when given --out).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    GRAD,
    HI,
    LO,
    POINTS,
    REPORT,
    SEED,
    Timed,
    alternate,
    cell,
    first_call,
    fmt_n,
    fmt_t,
    generate,
    generated,
    jax_one_thread,
    machine,
    no_block,
    ratios,
    single_threaded,
    write_section,
)

single_threaded()  # before jax and torch load

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]  # firmc works in float64
jax_one_thread(jax)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from jax.scipy.special import erf as jax_erf  # noqa: E402

import firmc  # noqa: E402

torch.set_num_threads(1)

RTOL = 1e-10
SQRT2, SQRT_PI_2 = math.sqrt(2.0), math.sqrt(math.pi / 2.0)
Fn = Callable[..., Any]


# ---------------------------------------------------------------- hand-written: NumPy

def np_nll(data: dict[str, Any], p: dict[str, float]) -> float:
    """-sum log pdf, as one writes it in NumPy."""
    x, mu, sigma, c, f = data["x"], p["mu"], p["sigma"], p["c"], p["f"]
    ng = sigma * SQRT_PI_2 * (math.erf((HI - mu) / (SQRT2 * sigma)) - math.erf((LO - mu) / (SQRT2 * sigma)))
    ne = (math.exp(c * HI) - math.exp(c * LO)) / c
    pdf = f / ng * np.exp(-0.5 * ((x - mu) / sigma) ** 2) + (1.0 - f) / ne * np.exp(c * x)
    return float(-np.sum(np.log(pdf)))


def np_nll_grad(data: dict[str, Any], p: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The NLL and its analytic gradient in one pass over the events (PERFORMANCE.md's "NumPy, hand-written")."""
    x, mu, sigma, c, f = data["x"], p["mu"], p["sigma"], p["c"], p["f"]
    ng = sigma * SQRT_PI_2 * (math.erf((HI - mu) / (SQRT2 * sigma)) - math.erf((LO - mu) / (SQRT2 * sigma)))
    ne = (math.exp(c * HI) - math.exp(c * LO)) / c
    z = (x - mu) / sigma
    sig = f / ng * np.exp(-0.5 * z * z)
    bkg = (1.0 - f) / ne * np.exp(c * x)
    pdf = sig + bkg
    ws, wb = sig / pdf, bkg / pdf  # each component's share of every event
    s_sig, s_bkg = float(np.sum(ws)), float(np.sum(wb))
    g_lo, g_hi = math.exp(-0.5 * ((LO - mu) / sigma) ** 2), math.exp(-0.5 * ((HI - mu) / sigma) ** 2)
    dng_dmu = g_lo - g_hi
    dng_dsigma = ng / sigma - ((HI - mu) * g_hi - (LO - mu) * g_lo) / sigma
    dne_dc = (HI * math.exp(c * HI) - LO * math.exp(c * LO)) / c - ne / c
    grad = {"c": -float(wb @ x) + s_bkg * dne_dc / ne,
            "f": -s_sig / f + s_bkg / (1.0 - f),
            "mu": -float(ws @ z) / sigma + s_sig * dng_dmu / ng,
            "sigma": -float(ws @ (z * z)) / sigma + s_sig * dng_dsigma / ng}
    return float(-np.sum(np.log(pdf))), grad


# ---------------------------------------------------------------- hand-written: JAX and torch

def jax_nll(data: dict[str, Any], p: dict[str, Any]) -> Any:
    """-sum log pdf, as one writes it for jax.jit."""
    x, mu, sigma, c, f = data["x"], p["mu"], p["sigma"], p["c"], p["f"]
    ng = sigma * SQRT_PI_2 * (jax_erf((HI - mu) / (SQRT2 * sigma)) - jax_erf((LO - mu) / (SQRT2 * sigma)))
    ne = (jnp.exp(c * HI) - jnp.exp(c * LO)) / c
    pdf = f / ng * jnp.exp(-0.5 * ((x - mu) / sigma) ** 2) + (1.0 - f) / ne * jnp.exp(c * x)
    return -jnp.sum(jnp.log(pdf))


def torch_nll_of(x: torch.Tensor, mu: Any, sigma: Any, c: Any, f: Any) -> torch.Tensor:
    """-sum log pdf, as one writes it in torch (parameters are 0-d tensors, so autograd can see them)."""
    erf = torch.special.erf
    ng = sigma * SQRT_PI_2 * (erf((HI - mu) / (SQRT2 * sigma)) - erf((LO - mu) / (SQRT2 * sigma)))
    ne = (torch.exp(c * HI) - torch.exp(c * LO)) / c
    pdf = f / ng * torch.exp(-0.5 * ((x - mu) / sigma) ** 2) + (1.0 - f) / ne * torch.exp(c * x)
    return -torch.sum(torch.log(pdf))


def torch_nll(data: dict[str, Any], p: dict[str, float]) -> torch.Tensor:
    """The hand-written torch NLL at float parameters."""
    return torch_nll_of(data["x"], **{k: torch.tensor(v, dtype=torch.float64) for k, v in p.items()})


def torch_nll_grad(data: dict[str, Any], p: dict[str, float]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The hand-written torch NLL and its gradient by torch.autograd.grad."""
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    value = torch_nll_of(data["x"], **leaves)
    grads = torch.autograd.grad(value, list(leaves.values()))
    return value.detach(), dict(zip(leaves, grads, strict=True))


# ---------------------------------------------------------------- timing

@dataclass
class Case:
    backend: str
    what: str
    gen_label: str
    hand_label: str
    gen: Fn
    hand: Fn
    data: dict[str, Any]
    block: Fn
    target: float | None  # generated / hand-written at most this, or no target


@dataclass
class Result:
    case: Case
    n: int
    first_gen: float  # seconds of the first call (tracing and compilation for jax.jit)
    first_hand: float
    gen: list[float]  # seconds per call, one per repeat
    hand: list[float]
    ratios: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def met(self) -> bool | None:
        return None if self.case.target is None else self.ratio <= self.case.target


def _floats(out: Any) -> list[float]:
    """The value, then the gradient in GRAD order (when ``out`` is a (value, gradient) pair)."""
    if isinstance(out, tuple):
        value, grad = out
        return [float(value)] + [float(grad[k]) for k in GRAD]
    return [float(out)]


def _check(case: Case) -> None:
    """Generated and hand-written agree (rtol 1e-10) at both points: the timings compare equal work."""
    for p in POINTS:
        got, want = _floats(case.gen(case.data, p)), _floats(case.hand(case.data, p))
        np.testing.assert_allclose(got, want, rtol=RTOL, err_msg=f"{case.backend} {case.what} at {p}")


def measure(case: Case, n: int, repeats: int, budget: float) -> Result:
    """First calls, the equality check, then ``repeats`` alternating measurements of generated and hand-written."""
    _, first_gen = first_call(case.gen, case.data, case.block)
    _, first_hand = first_call(case.hand, case.data, case.block)
    _check(case)
    gen, hand = Timed("generated", case.gen, case.data, case.block), Timed("hand-written", case.hand, case.data,
                                                                          case.block)
    alternate([gen, hand], repeats, budget)
    return Result(case, n, first_gen, first_hand, gen.times, hand.times, ratios(gen.times, hand.times))


# ---------------------------------------------------------------- the cases

def _jax_vg() -> Fn:
    """A fresh ``jax.jit(jax.value_and_grad(jax_nll))`` (its own function, so that JAX's caches do not share it)."""
    def nll(data: dict[str, Any], p: dict[str, Any]) -> Any:
        return jax_nll(data, p)

    return jax.jit(jax.value_and_grad(nll, argnums=1))


def cases(modules: dict[str, Any], x: np.ndarray) -> list[Case]:
    """Every comparison at one data set (JAX functions freshly jitted, so their first call compiles)."""
    mj, mt, mn = modules["jax"], modules["torch"], modules["numpy"]
    dj, dt, dn = {"x": jnp.asarray(x)}, {"x": torch.from_numpy(x.copy())}, {"x": x}
    jb, jit, nb = jax.block_until_ready, jax.jit, no_block
    jvg, tvg = "`jit(value_and_grad(nll))`", "`torch.autograd.grad`"
    return [
        Case("JAX", "NLL", "`jit(nll)`", "`jit(nll)`", jit(mj.nll), jit(jax_nll), dj, jb, 1.2),
        Case("JAX", "NLL + grad", "`jit(nll_grad)`", jvg, jit(mj.nll_grad), _jax_vg(), dj, jb, 1.2),
        Case("JAX", "NLL + grad", "`jit(nll_grad_autodiff)`", jvg, jit(mj.nll_grad_autodiff), _jax_vg(), dj, jb, 1.2),
        Case("torch", "NLL", "`nll`", "torch", mt.nll, torch_nll, dt, nb, 1.5),
        Case("torch", "NLL + grad", "`nll_grad`", tvg, mt.nll_grad, torch_nll_grad, dt, nb, 1.5),
        Case("torch", "NLL + grad", "`nll_grad_autodiff`", tvg, mt.nll_grad_autodiff, torch_nll_grad, dt, nb, 1.5),
        Case("NumPy", "NLL", "`nll`", "NumPy", mn.nll, np_nll, dn, nb, None),
        Case("NumPy", "NLL + grad", "`nll_grad`", "NumPy, analytic", mn.nll_grad, np_nll_grad, dn, nb, None),
    ]


# ---------------------------------------------------------------- the report

def _verdict(r: Result) -> str:
    if r.met is None:
        return "–"
    return f"≤ {r.case.target:g}×: {'met' if r.met else '**missed**'}"


def _row(r: Result) -> str:
    c = r.case
    ratio = f"**{r.ratio:.2f}** ({min(r.ratios):.2f}–{max(r.ratios):.2f})"
    return (f"| {fmt_n(r.n)} | {c.backend} | {c.what} | {c.gen_label} | {c.hand_label} | {cell(r.gen)} | "
            f"{cell(r.hand)} | {ratio} | "
            f"{fmt_t(r.first_gen)} / {fmt_t(r.first_hand)} | {_verdict(r)} |")


def _machine() -> str:
    return (f"{machine()} (torch threads {torch.get_num_threads()}); JAX {jax.__version__} (CPU, x64), "
            f"torch {torch.__version__}, firmc {firmc.__version__}")


def _summary(results: list[Result]) -> list[str]:
    missed = [r for r in results if r.met is False]
    met = [r for r in results if r.met]
    out = [f"Targets met: {len(met)} of {len(met) + len(missed)}."]
    if missed:
        out.append("Missed: " + "; ".join(f"{r.case.backend} {r.case.gen_label} at N = {fmt_n(r.n)} "
                                           f"({r.ratio:.2f}× > {r.case.target:g}×)" for r in missed) + ".")
    else:
        out.append("No target is missed.")
    return out


def report(results: list[Result], setup: dict[str, float], repeats: int, budget: float) -> str:
    """The back-ends section of docs/performance.md."""
    lines = [
        "## Generated Python back-ends against hand-written code", "",
        "Reproduce: `bash scripts/bench.sh backends` (benchmarks/backends.py).", "",
        "PERFORMANCE.md's Workload 1: the unbinned NLL of f·Gauss(x | μ, σ) + (1−f)·Exp(x | c), Exp ∝ exp(c·x), "
        "each normalised on [−10, 10]; N events drawn from the truth μ=1, σ=1.5, c=−0.3, f=0.3 (seed "
        f"{SEED}); evaluated at μ=0.9, σ=1.6, c=−0.25, f=0.35, μ alternating with 0.91 call by call. *generated* "
        "is the module `firmc.compile(..., target)` writes (`nll`, `nll_grad` with the analytic gradient, "
        "`nll_grad_autodiff`), *hand-written* the same NLL written directly (benchmarks/backends.py); before "
        f"timing, each pair is checked equal to rtol {RTOL:g} (value and the four gradient components).", "",
        "How it is measured: single-threaded (OpenMP, OpenBLAS and MKL at 1 thread, `torch.set_num_threads(1)`, "
        "XLA intra-op parallelism 1 and JAX's CPU client created while the process may use one core, because "
        "XLA_FLAGS alone did not stop XLA from splitting a large reduction over both cores: on two shared cores "
        "competing thread pools made the torch and BLAS timings erratic by up to 100×); per call, every result "
        "blocked on; each measurement repeats the call so that it lasts "
        f"≥ {budget:g} s; {repeats} repeats alternating generated and hand-written (A B A B …). Times are the "
        "median (min–max) per call; the ratio generated / hand-written is the median (min–max) of the per-pair "
        "ratios. *first call* is apart from these: for JAX the tracing and XLA compilation of `jax.jit`. "
        "firmc.compile + import of the generated module: "
        + ", ".join(f"{k} {fmt_t(v)}" for k, v in setup.items()) + ". The machine is shared and noisy: compare "
        "ratios from one run, not absolute times across runs.", "",
        f"Machine: {_machine()}.", "",
        "| N | back-end | quantity | generated | hand-written | generated time | hand-written time "
        "| ratio gen / hand | first call gen / hand | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row(r) for r in results]
    return "\n".join([*lines, "", *_summary(results), ""])


def main() -> int:
    """Run the benchmark, print every row and the misses, and write the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small N, 3 short repeats")
    ap.add_argument("--out", default=None, help="report file (default docs/performance.md; none with --quick)")
    args = ap.parse_args()
    sizes, repeats, budget = ((10_000, 100_000), 3, 0.02) if args.quick else ((10_000, 1_000_000), 9, 0.2)
    out = args.out or (None if args.quick else str(REPORT))
    setup, modules = {}, {}
    for target in ("numpy", "jax", "torch"):
        modules[target], setup[target] = generated(target)
    results = []
    for n in sizes:
        for case in cases(modules, generate(n)):
            r = measure(case, n, repeats, budget)
            results.append(r)
            print(f"N={fmt_n(n)} {case.backend:6s} {case.gen_label:26s} gen {fmt_t(statistics.median(r.gen)):>9s}  "
                  f"hand {fmt_t(statistics.median(r.hand)):>9s}  ratio {r.ratio:5.2f}  {_verdict(r)}", flush=True)
    text = report(results, setup, repeats, budget)
    if out:
        write_section(Path(out), "backends", text)
        print(f"wrote the backends section of {out}")
    else:
        print(text)
    missed = [r for r in results if r.met is False]
    print(f"targets met: {sum(1 for r in results if r.met)} of {sum(1 for r in results if r.met is not None)}")
    for r in missed:
        print(f"MISSED: {r.case.backend} {r.case.gen_label} at N = {fmt_n(r.n)}: {r.ratio:.2f}x the hand-written "
              f"(target <= {r.case.target:g}x)")
    return 0  # a benchmark, not a test: misses are reported, not failed


if __name__ == "__main__":
    sys.exit(main())
