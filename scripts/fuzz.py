"""Run the fuzzing strategies of tests/test_fuzz.py for a time budget and report what was tried and what failed.

    .venv/bin/python scripts/fuzz.py --seconds 600            # every kind, the budget shared equally
    .venv/bin/python scripts/fuzz.py --seconds 60 --kinds expr-soup,firm-mutated --no-shrink

Each kind runs in rounds of ``--round`` random inputs (hypothesis, not derandomized: a new seed every round,
printed with each failure) until its share of the budget is spent. A failure is an input that let an exception
other than a FirmError escape, or that took more than ``--limit`` seconds; hypothesis shrinks it (unless
``--no-shrink``) and the smallest input is printed.
Exit status 1 when something failed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="total time budget (default 600)")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds one input may take (default 10)")
    parser.add_argument("--round", type=int, default=25, help="inputs per hypothesis run (default 25)")
    parser.add_argument("--no-shrink", action="store_true", help="report failing inputs unshrunk (faster)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the seeds of the rounds")
    args = parser.parse_args(argv)
    os.environ["FIRMC_FUZZ_LIMIT"] = str(args.limit)
    warnings.simplefilter("ignore")

    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis.errors import InvalidArgument

    import fuzz_harness as fh
    import test_fuzz as tf

    kinds = [k for k in args.kinds.split(",") if k] or list(tf.KINDS)
    unknown = [k for k in kinds if k not in tf.KINDS]
    if unknown:
        parser.error(f"unknown kinds {unknown}; known: {', '.join(tf.KINDS)}")
    rng = random.Random(args.seed)
    share = args.seconds / len(kinds)
    spent: Counter[str] = Counter()
    failures: dict[tuple[str, str], tuple[int, str]] = {}  # (kind, first line) -> (count, report)
    phases = [Phase.generate] if args.no_shrink else [Phase.generate, Phase.shrink]
    start = time.monotonic()
    print(f"fuzzing {', '.join(kinds)} for {args.seconds:g} s ({share:.0f} s each), {args.limit:g} s per input",
          flush=True)
    while True:
        todo = [k for k in kinds if spent[k] < share]
        if not todo:
            break
        for kind in todo:
            round_seed = rng.getrandbits(32)
            k = tf.KINDS[kind]

            run = seed(round_seed)(settings(
                max_examples=args.round, deadline=None, database=None, derandomize=False, phases=phases,
                suppress_health_check=list(HealthCheck), report_multiple_bugs=False)(given(case=k.strategy)(
                    _runner(tf, kind))))
            t0 = time.monotonic()
            try:
                run()
            except InvalidArgument:
                raise
            except Exception as exc:
                first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                signature = first.split(" [")[-1] if " [" in first else first
                notes = "\n".join(getattr(exc, "__notes__", []))
                text = f"{first}\nseed {round_seed}\n{notes}"
                count, old = failures.get((kind, signature), (0, text))
                failures[(kind, signature)] = (count + 1, old)
                print(f"[{time.monotonic() - start:7.1f} s] {kind}: FAILED: {first}", flush=True)
            spent[kind] += time.monotonic() - t0
    return report(fh, kinds, failures, time.monotonic() - start)


def _runner(tf: Any, kind: str) -> Any:
    def run(case: Any) -> None:
        tf.check(kind, case)

    return run


def report(fh: Any, kinds: list[str], failures: dict[tuple[str, str], tuple[int, str]], total: float) -> int:
    """Print the inputs tried and the outcomes per kind and the failures; the exit status."""
    print(f"\n{sum(fh.TRIED.values())} inputs in {total:.0f} s\n")
    print(f"{'kind':<14} {'inputs':>7}  outcomes (most common first)")
    for kind in kinds:
        outcomes = fh.OUTCOMES.get(kind, Counter())
        top = ", ".join(f"{o} {n}" for o, n in outcomes.most_common(6))
        print(f"{kind:<14} {fh.TRIED[kind]:>7}  {top}")
    if failures:
        print(f"\n{len(failures)} distinct failures:")
        for (kind, _), (count, text) in failures.items():
            print(f"\n--- {kind} ({count} rounds) ---\n{text}")
        return 1
    print("\nno failures")
    return 0

if __name__ == "__main__":
    sys.exit(main())
