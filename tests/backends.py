"""What the back-end tests share: the Python targets, skipped by capability (a missing optional dependency),
never by ad-hoc conditions inside tests; and the corpus entries every target is checked on."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest

import firmc
from conftest import CORPUS_DIR
from firmc.backends import available_targets, get_backend

PYTHON_TARGETS = ("numpy", "jax", "torch")
NATIVE_TARGETS = ("cpp", "llvm")
GENERATED_TARGETS = PYTHON_TARGETS + NATIVE_TARGETS  # every target checked by the agreement harness
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def target_param(name: str) -> object:
    """``name`` as a pytest parameter, skipped when its dependencies are not installed."""
    missing = name not in available_targets()
    why = f"target {name} needs {', '.join(get_backend(name).requires)}" if missing else ""
    return pytest.param(name, marks=pytest.mark.skipif(missing, reason=why), id=name)


def corpus_entries() -> list[tuple[str, str]]:
    """(file, entry) of every compilable entry of the HS3 and RooFit corpus models and the shipped example."""
    files = sorted(glob.glob(str(CORPUS_DIR / "roofit" / "*.json")) + glob.glob(str(CORPUS_DIR / "hs3" / "*.json")))
    files.append(str(EXAMPLES / "gauss_exp.hs3.json"))
    out = []
    for f in files:
        m = firmc.load(f)
        out += [(f, e) for e in m.entries if e not in m.unsupported]
    return out



def tables_module(n: int = 500, events: int = 3000, seed: int = 5, weighted: bool = False, rows: bool = False) \
        -> tuple[firmc.Module, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """A HistFactory-shaped likelihood ``nll``: a sum over an embedded data set of bin indices (``bin``) and counts,
    with per-bin constants ``choose(bin, c_0, ..., c_n-1)`` and per-bin parameters ``choose(bin, g_0, ..., g_n-1)``:
    ``-sum_i (count_i log(nu_i) - nu_i)``, ``nu_i = mu c[bin_i] g[bin_i]``. The first indices are out of range, NaN
    or fractional (-3, NaN, 1e300, n + 0.5, -0.5, n - 0.5); then every bin once, then random ones; ``weighted``: the
    data set has event weights; ``rows``: the data set is the bins 0, 1, ..., n-1 in order and nothing else (as
    HistFactory's). Returns the module and ``(bins, counts, c, weights)``."""
    from firmc.ir import Dataset, Entry, Module, Observable, Parameter, apply, const, obs, param

    rng = np.random.default_rng(seed)
    extra = max(events - n - 6, 0)
    bins = np.concatenate([[-3.0, np.nan, 1e300, n + 0.5, -0.5, n - 0.5], np.arange(n, dtype=float),
                           rng.integers(0, n, extra) + rng.uniform(0.0, 0.999, extra)])
    if rows:
        bins = np.arange(n, dtype=float)
    counts = rng.poisson(20.0, bins.size).astype(float)
    c = rng.uniform(5.0, 50.0, n)
    weights = rng.uniform(0.5, 1.5, bins.size) if weighted else np.ones(bins.size)
    b, count, mu = obs("bin", 0.0, float(n)), obs("count", 0.0, 1e6), param("mu")
    per_bin = apply("choose", b, *(const(float(v)) for v in c))
    gamma = apply("choose", b, *(param(f"g{j}") for j in range(n)))
    nu = mu * per_bin * gamma
    nll = -apply("datasum", count * apply("log", nu) - nu, dataset="bins", binds=("bin", "count"))
    params = {"mu": Parameter("mu", 1.1, 0.1, 5.0)}
    params |= {f"g{j}": Parameter(f"g{j}", 1.0 + 0.37 * ((7 * j) % 11) / 11, 0.1, 3.0) for j in range(n)}
    m = Module(observables={"bin": Observable("bin", 0.0, float(n)), "count": Observable("count", 0.0, 1e6)},
               parameters=params, datasets={"bins": Dataset("bins", {"bin": bins, "count": counts},
                                                            weights if weighted else None)},
               entries={"nll": Entry("nll", "likelihood", nll)}, source="<tables>", format="ir")
    return m, (bins, counts, c, weights)
