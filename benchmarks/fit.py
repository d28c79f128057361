"""The fitter plugins on the Gauss+Exp model at 1e5 events: ``firmc.fit.fit`` (iminuit, analytic gradient) on the
llvm and jax targets against ``firmc.fit.roofit_fit`` (RooFit ``fitTo`` on the roofit target's generated workspace,
EvalBackend cpu), all from the model's defaults to the same minimum, with errors (firmc: the analytic Hessian;
RooFit: HESSE) and without (MIGRAD alone). Writes the ``fit`` section of docs/performance.md.

    .venv/bin/python benchmarks/fit.py [--quick] [--out FILE]

Goal of the RooFit issue: iminuit+llvm ≥ 5x faster than RooFit ``fitTo`` with the cpu backend.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import REPORT, cell, fmt_n, gauss_exp_module, generate, machine, publish, ratio_cell, ratios

import firmc
import firmc.fit as ff

N = 100_000


@dataclass
class Row:
    """One way to fit: ``run()`` returns the FitResult; ``times`` one wall time per repeat."""

    label: str
    run: Callable[[], ff.FitResult]
    times: list[float] = field(default_factory=list)
    last: Any = None


def rows(x: Any) -> list[Row]:
    """Every fit, compiled (and the RooFit workspace built) before timing."""
    module = gauss_exp_module()
    data = {"x": x}
    llvm2 = firmc.compile(module, "llvm", entry="model", derivatives=2)
    jax2 = firmc.compile(module, "jax", entry="model", derivatives=2)
    roofit = firmc.compile(module, "roofit", entry="model")
    return [
        Row("`fit`: iminuit + llvm, errors from the analytic Hessian", lambda: ff.fit(llvm2, data, tol=1e-3)),
        Row("`fit`: iminuit + llvm, MIGRAD with the gradient only (no Hessian given, no errors)",
            lambda: ff.fit(llvm2, data, hesse=False, tol=1e-3)),
        Row("`fit`: iminuit + jax (through `Compiled`), errors from the analytic Hessian",
            lambda: ff.fit(jax2, data, tol=1e-3)),
        Row("`roofit_fit`: RooFit `fitTo` cpu on the generated workspace, with HESSE",
            lambda: ff.roofit_fit(roofit, data)),
        Row("`roofit_fit`: RooFit `fitTo` cpu, MIGRAD only (no errors)",
            lambda: ff.roofit_fit(roofit, data, hesse=False)),
    ]


def measure(items: list[Row], repeats: int) -> None:
    """Round-robin: repeat r of every row ran in the same round."""
    for it in items:  # warm-up: first calls (JIT, tracing, RooFit's caches)
        it.last = it.run()
    for _ in range(repeats):
        for it in items:
            t0 = time.perf_counter()
            it.last = it.run()
            it.times.append(time.perf_counter() - t0)


def report(items: list[Row], n: int, repeats: int) -> tuple[str, bool]:
    """The markdown section and whether the goal is met."""
    ref = items[0]
    lines = [f"## Fits with the plugins (`bash scripts/bench.sh fit`): Gauss+Exp, {fmt_n(n)} events", "",
             f"{machine()}. Wall time of one fit from the model's defaults, median (min–max) of {repeats} rounds; "
             "ratio = the row's time over `fit` + llvm with errors, per round. NLL at the minimum and the "
             "distance of `mu` from the first row's, in units of its error.", "",
             "| fit | wall time | ratio | NLL | Δmu / σ(mu) |", "|---|---|---|---|---|"]
    for it in items:
        r = it.last
        pull = abs(r.values["mu"] - ref.last.values["mu"]) / ref.last.errors["mu"]
        lines.append(f"| {it.label} | {cell(it.times)} | {ratio_cell(ratios(it.times, ref.times))} | "
                     f"{r.nll:.10g} | {pull:.1e} |")
    speed = statistics.median(ratios(items[3].times, ref.times))  # both as users run them: errors included
    alone = statistics.median(ratios(items[4].times, items[1].times))
    met = speed >= 5.0
    lines += ["", f"Goal: iminuit + llvm ≥ 5x faster than RooFit `fitTo` cpu, each as run by default (MIGRAD and "
              f"errors): {speed:.1f}x, {'met' if met else 'missed'}. MIGRAD alone on both sides, firmc's without the "
              f"Hessian (91 calls instead of 11 + 3 Hessians): {alone:.1f}x."]
    return "\n".join(lines) + "\n", met


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 rounds, no report file")
    ap.add_argument("--out", default=None, help="report file (default docs/performance.md; none with --quick)")
    args = ap.parse_args()
    repeats = 2 if args.quick else 7
    items = rows(generate(N))
    measure(items, repeats)
    text, met = report(items, N, repeats)
    out = args.out or (None if args.quick else str(REPORT))
    return publish("fit", text, out, [("iminuit + llvm >= 5x faster than RooFit fitTo cpu", "", met)], echo=True)


if __name__ == "__main__":
    sys.exit(main())
