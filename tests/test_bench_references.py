"""The hand-written references of benchmarks/native.py compute what firmc computes: the C loop of
benchmarks/handwritten/gauss_exp.c (gcc, with and without -ffast-math) and its numba twin give the Workload-1 NLL
and its analytic gradient equal to firmc's interpreter on 1e3 events, at the benchmark's point and a second one.
The fast-math build must call glibc's vector exp and log (libmvec), or its timing is not the limit PERFORMANCE.md
quotes; split over threads, the sums are those of one thread.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
common = importlib.import_module("common")  # benchmarks/ is no package
references = importlib.import_module("handwritten.references")

import firmc  # noqa: E402

POINTS = [common.POINT, {"mu": 1.3, "sigma": 0.7, "c": 0.2, "f": 0.6}]
RTOL = 1e-10


@pytest.fixture(scope="module")
def reference() -> tuple[np.ndarray, list[tuple[float, dict[str, float]]]]:
    x = common.generate(1000)
    f = firmc.compile(common.gauss_exp_module(), "interp", entry="model")
    return x, [f.nll_grad({"x": x}, p) for p in POINTS]


def _agree(got: tuple[float, dict[str, float]], want: tuple[float, dict[str, float]]) -> None:
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL)
    assert got[1].keys() == want[1].keys()
    for k in want[1]:
        np.testing.assert_allclose(got[1][k], want[1][k], rtol=RTOL, err_msg=k)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("variant", ["O3", "O3-fast-math"])
def test_c_reference(variant: str, tmp_path: Path, reference: Any) -> None:
    x, want = reference
    lib = references.build_c(variant, tmp_path)
    data = lib.bind(x)
    for p, w in zip(POINTS, want, strict=True):
        np.testing.assert_allclose(lib.nll(data, p), w[0], rtol=RTOL)
        _agree(lib.nll_grad(data, p), w)
    if variant == "O3-fast-math" and sys.platform == "linux":
        assert any(name.endswith("_exp") for name in lib.vector_calls), lib.vector_calls
        assert any(name.endswith("_log") for name in lib.vector_calls), lib.vector_calls
    else:
        assert lib.vector_calls == []


def test_numba_reference(reference: Any) -> None:
    pytest.importorskip("numba")
    x, want = reference
    nll, nll_grad = references.numba_kernels()
    for p, w in zip(POINTS, want, strict=True):
        np.testing.assert_allclose(nll(x, p), w[0], rtol=RTOL)
        _agree(nll_grad(x, p), w)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_c_reference_threads(tmp_path: Path) -> None:
    """The events split over threads add up to the single-threaded sums."""
    x = common.generate(100_000)
    lib = references.build_c("O3", tmp_path)
    data = lib.bind(x)
    want = lib.nll_grad(data, common.POINT)
    assert lib.set_threads(3) == 3
    got = lib.nll_grad(data, common.POINT)
    np.testing.assert_allclose(lib.nll(data, common.POINT), want[0], rtol=1e-12)
    _agree(got, want)


def test_loading_the_fast_math_library_keeps_subnormals(tmp_path: Path) -> None:
    """The -ffast-math build must not switch the process to flush-to-zero (gcc's crtfastmath.o would)."""
    references.build_c("O3-fast-math", tmp_path, name="ftz_check")
    tiny = np.float64(1e-310)
    assert tiny * np.float64(1.0) == tiny
