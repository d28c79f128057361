"""Hand-written references for PERFORMANCE.md's Workload 1: the C loop of gauss_exp.c (built with gcc, called through
ctypes) and the same loop in numba. benchmarks/native.py times them; tests/test_bench_references.py checks them
against firmc's interpreter.

Both compute NLL = -sum_i log(f Gauss(x_i | mu, sigma) + (1 - f) Exp(x_i | c)) on [lo, hi], Exp ~ exp(c x), and the
NLL with its analytic gradient (c, f, mu, sigma) in one fused loop.

Example:
    >>> sorted(C_FLAGS)
    ['O3', 'O3-fast-math']
"""

from __future__ import annotations

import ctypes
import math
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

C_SOURCE = Path(__file__).with_name("gauss_exp.c")
CC = "gcc"
BASE_FLAGS = ("-O3", "-march=native", "-shared", "-fPIC", "-pthread")
C_FLAGS: dict[str, tuple[str, ...]] = {  # variant -> flags beyond BASE_FLAGS
    "O3": (),
    "O3-fast-math": ("-ffast-math",),
}
GRAD = ("c", "f", "mu", "sigma")
_D = ctypes.c_double


@dataclass
class CLib:
    """gauss_exp.c built with one set of flags: the library, the build's seconds and the vector math functions it calls
    (glibc libmvec's ``_ZGV<isa><mask><lanes>v_<name>``, e.g. ``_ZGVeN8v_exp``: 8 lanes of AVX-512)."""

    variant: str
    flags: tuple[str, ...]
    path: Path
    compile_s: float
    vector_calls: list[str]
    lib: ctypes.CDLL = field(repr=False)

    def bind(self, x: np.ndarray) -> tuple[int, int, np.ndarray]:
        """What :meth:`nll` takes as data: the events' address and count (and the array, to keep it alive)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        return x.ctypes.data, x.size, x

    def nll(self, data: tuple[int, int, np.ndarray], p: Mapping[str, float], lo: float = -10.0,
            hi: float = 10.0) -> float:
        """-sum log pdf over the bound events at the parameters ``p``."""
        ptr, n, _ = data
        return float(self.lib.gauss_exp_nll(ptr, n, lo, hi, p["mu"], p["sigma"], p["c"], p["f"]))

    def nll_grad(self, data: tuple[int, int, np.ndarray], p: Mapping[str, float], lo: float = -10.0,
                 hi: float = 10.0) -> tuple[float, dict[str, float]]:
        """The NLL and its analytic gradient, in one loop."""
        ptr, n, _ = data
        g = (_D * 4)()
        v = self.lib.gauss_exp_nll_grad(ptr, n, lo, hi, p["mu"], p["sigma"], p["c"], p["f"], g)
        return float(v), dict(zip(GRAD, list(g), strict=True))

    def set_threads(self, n: int) -> int:
        """Threads of the event loops (n <= 0: the online cores; 1 by default); returns the setting."""
        return int(self.lib.gauss_exp_set_threads(n))


def build_c(variant: str, out_dir: Path, cc: str = CC, name: str | None = None) -> CLib:
    """Compile gauss_exp.c with ``BASE_FLAGS + C_FLAGS[variant]`` into ``out_dir`` and load it (as a library of its
    own, ``name`` by default the variant's: each copy has its own thread setting)."""
    if shutil.which(cc) is None:
        raise RuntimeError(f"the C compiler '{cc}' is not installed")
    flags = (*BASE_FLAGS, *C_FLAGS[variant])
    lib_path = Path(out_dir) / f"gauss_exp_{name or variant}.so"
    obj = lib_path.with_suffix(".o")
    t0 = time.perf_counter()
    # compile and link apart: linking with -ffast-math would add gcc's crtfastmath.o, whose constructor turns on
    # flush-to-zero for the whole process that loads the library (subnormals become 0 in every other library)
    subprocess.run([cc, *[f for f in flags if f != "-shared"], "-c", str(C_SOURCE), "-o", str(obj)], check=True,
                   capture_output=True, text=True)
    subprocess.run([cc, "-shared", "-pthread", str(obj), "-o", str(lib_path), "-lm"], check=True,
                   capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    lib = ctypes.CDLL(str(lib_path))
    lib.gauss_exp_nll.restype = _D
    lib.gauss_exp_nll.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, *[_D] * 6]
    lib.gauss_exp_nll_grad.restype = _D
    lib.gauss_exp_nll_grad.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, *[_D] * 6, ctypes.POINTER(_D)]
    lib.gauss_exp_set_threads.restype = ctypes.c_int
    lib.gauss_exp_set_threads.argtypes = [ctypes.c_int]
    vector_calls = sorted({m.decode() for m in re.findall(rb"_ZGV\w+", lib_path.read_bytes())})
    return CLib(variant, flags, lib_path, seconds, vector_calls, lib)


# ---------------------------------------------------------------- numba

_NUMBA: dict[str, Callable[..., Any]] = {}


def numba_kernels() -> tuple[Callable[..., float], Callable[..., tuple[float, dict[str, float]]]]:
    """``nll(x, p)`` and ``nll_grad(x, p)``: the loops of gauss_exp.c under ``numba.njit(fastmath=True)`` (compiled on
    their first call). Raises ImportError without numba."""
    if not _NUMBA:
        _NUMBA.update(_compile_numba())
    kernel, kernel_grad = _NUMBA["nll"], _NUMBA["nll_grad"]

    def nll(x: np.ndarray, p: Mapping[str, float], lo: float = -10.0, hi: float = 10.0) -> float:
        return float(kernel(x, lo, hi, p["mu"], p["sigma"], p["c"], p["f"]))

    def nll_grad(x: np.ndarray, p: Mapping[str, float], lo: float = -10.0,
                 hi: float = 10.0) -> tuple[float, dict[str, float]]:
        v, gc, gf, gmu, gsigma = kernel_grad(x, lo, hi, p["mu"], p["sigma"], p["c"], p["f"])
        return float(v), {"c": float(gc), "f": float(gf), "mu": float(gmu), "sigma": float(gsigma)}

    return nll, nll_grad


def _compile_numba() -> dict[str, Callable[..., Any]]:
    import numba

    sqrt2, sqrt_pi_2 = math.sqrt(2.0), math.sqrt(math.pi / 2.0)
    njit: Any = numba.njit(fastmath=True)

    def prefactors_py(lo: float, hi: float, mu: float, sigma: float, c: float,
                   f: float) -> tuple[float, float, float, float]:
        ng = sigma * sqrt_pi_2 * (math.erf((hi - mu) / (sqrt2 * sigma)) - math.erf((lo - mu) / (sqrt2 * sigma)))
        ne = (math.exp(c * hi) - math.exp(c * lo)) / c
        return f / ng, (1.0 - f) / ne, ng, ne

    prefactors = njit(prefactors_py)

    def nll_py(x: np.ndarray, lo: float, hi: float, mu: float, sigma: float, c: float, f: float) -> float:
        a, b, _, _ = prefactors(lo, hi, mu, sigma, c, f)
        k = -0.5 / (sigma * sigma)
        s = 0.0
        for i in range(x.size):
            d = x[i] - mu
            s += math.log(a * math.exp(k * d * d) + b * math.exp(c * x[i]))
        return -s

    def nll_grad_py(x: np.ndarray, lo: float, hi: float, mu: float, sigma: float, c: float,
                 f: float) -> tuple[float, float, float, float, float]:
        a, b, ng, ne = prefactors(lo, hi, mu, sigma, c, f)
        inv_sigma = 1.0 / sigma
        s_lp = s_ws = s_wb = s_wbx = s_wsz = s_wszz = 0.0
        for i in range(x.size):
            z = (x[i] - mu) * inv_sigma
            sig = a * math.exp(-0.5 * z * z)
            bkg = b * math.exp(c * x[i])
            pdf = sig + bkg
            ws, wb = sig / pdf, bkg / pdf
            s_lp += math.log(pdf)
            s_ws += ws
            s_wb += wb
            s_wbx += wb * x[i]
            s_wsz += ws * z
            s_wszz += ws * z * z
        g_lo = math.exp(-0.5 * ((lo - mu) * inv_sigma) ** 2)
        g_hi = math.exp(-0.5 * ((hi - mu) * inv_sigma) ** 2)
        dng_dmu = g_lo - g_hi
        dng_dsigma = ng * inv_sigma - ((hi - mu) * g_hi - (lo - mu) * g_lo) * inv_sigma
        dne_dc = (hi * math.exp(c * hi) - lo * math.exp(c * lo)) / c - ne / c
        return (-s_lp, -s_wbx + s_wb * dne_dc / ne, -s_ws / f + s_wb / (1.0 - f),
                -s_wsz * inv_sigma + s_ws * dng_dmu / ng, -s_wszz * inv_sigma + s_ws * dng_dsigma / ng)

    return {"nll": njit(nll_py), "nll_grad": njit(nll_grad_py)}
