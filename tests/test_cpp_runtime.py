"""The native C++ runtime (``src/firmc/runtime/*.hpp``) against NumPy, SciPy and firmc's reference functions.

One shared library is built per session from a generated C++ file that includes every header and exports
``extern "C"`` loops over arrays (``t_<name>``); the tests call them through ctypes on dense grids with the edge
values (NaN, +-inf, +-0, poles, piece boundaries) and check the accuracies the headers state.  NaN positions must
match exactly.  A separate test compiles every function into a CUDA kernel with nvcc (skipped without nvcc).
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.special as sc

import firmc
from firmc.backends.pysource import runtime as pyruntime
from firmc.numerics import special

RUNTIME = Path(firmc.__file__).resolve().parent / "runtime"
HEADERS = ("elementary.hpp", "gamma.hpp", "landau.hpp", "faddeeva.hpp")
GXX = shutil.which("g++")
CXXFLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]

pytestmark = pytest.mark.skipif(GXX is None, reason="g++ not found")

UNARY = ("sign", "round", "digamma", "landau", "landau_cdf")
BINARY = ("min", "max", "logaddexp", "pow", "gammainc", "gammaincc", "approx_eq")
INF, NAN = np.inf, np.nan


def _wrappers() -> str:
    lines = ['extern "C" {']
    for f in UNARY:
        lines.append(f"void t_{f}(const double* x, double* out, long n) {{ for (long i = 0; i < n; ++i) "
                     f"out[i] = fc_{f}(x[i]); }}")
    for f in BINARY:
        lines.append(f"void t_{f}(const double* a, const double* b, double* out, long n) {{ for (long i = 0; "
                     f"i < n; ++i) out[i] = fc_{f}(a[i], b[i]); }}")
    lines.append("void t_faddeeva(const double* x, const double* y, double* re, double* im, long n) { "
                 "for (long i = 0; i < n; ++i) fc_faddeeva(x[i], y[i], re + i, im + i); }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _source() -> str:
    # every header twice (include guards), in an order other than the C++ backend's
    order = ["gamma.hpp", "faddeeva.hpp", "landau.hpp", "elementary.hpp", *HEADERS]
    return "".join(f'#include "{h}"\n' for h in order) + _wrappers()


def _compile(src: Path, out: Path, *extra: str) -> None:
    assert GXX is not None
    cmd = [GXX, *CXXFLAGS, *extra, f"-I{RUNTIME}", str(src), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"


class Lib:
    """The runtime's loops through ctypes, on float64 arrays."""

    def __init__(self, path: Path) -> None:
        self.dll = ctypes.CDLL(str(path))

    @staticmethod
    def _ptr(a: np.ndarray) -> Any:
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))

    def __call__(self, name: str, *args: Any) -> np.ndarray:
        ins = [np.ascontiguousarray(np.broadcast_arrays(*args)[k], dtype=np.float64) for k in range(len(args))]
        out = np.empty_like(ins[0])
        getattr(self.dll, f"t_{name}")(*(self._ptr(a) for a in ins), self._ptr(out), ctypes.c_long(out.size))
        return out

    def faddeeva(self, z: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(np.real(z), dtype=np.float64)
        y = np.ascontiguousarray(np.imag(z), dtype=np.float64)
        re, im = np.empty_like(x), np.empty_like(x)
        self.dll.t_faddeeva(self._ptr(x), self._ptr(y), self._ptr(re), self._ptr(im), ctypes.c_long(x.size))
        out = np.empty(x.shape, dtype=np.complex128)
        out.real, out.imag = re, im  # (re + 1j * im would turn an infinite im into a NaN real part)
        return out


@pytest.fixture(scope="session")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Lib:
    d = tmp_path_factory.mktemp("cpp_runtime")
    src = d / "runtime_test.cpp"
    src.write_text(_source(), encoding="utf-8")
    so = d / "runtime_test.so"
    _compile(src, so, "-shared", "-fPIC")
    return Lib(so)


# ---- helpers ---------------------------------------------------------------------------------------------------

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)
BIG = float(np.finfo(np.float64).max)
EDGES = np.array([NAN, INF, -INF, 0.0, -0.0, 5e-324, -5e-324, TINY, -TINY, 1e-300, -1e-300, BIG, -BIG, 1e300, -1e300,
                  0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 2.5, -2.5, 3.0, 1e16, -1e16, 4503599627370495.5])


def _same_nan(have: np.ndarray, want: np.ndarray) -> None:
    bad = np.isnan(have) != np.isnan(want)
    assert not bad.any(), f"NaN positions differ at {np.flatnonzero(bad)[:5]}: {have[bad][:5]} vs {want[bad][:5]}"


def _rel_err(have: np.ndarray, want: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """|have - want| / scale (scale = |want| by default) elementwise; NaN positions and infinite references must
    match exactly (the error is 0 there)."""
    _same_nan(have, want)
    inf = np.isinf(want)
    assert np.array_equal(have[inf], want[inf]), f"{have[inf]} vs {want[inf]}"
    s = np.abs(want) if scale is None else scale
    with np.errstate(all="ignore"):
        err = np.abs(have - want) / s
    return np.where((have == want) | np.isnan(want), 0.0, err)


def _bits_equal(have: np.ndarray, want: np.ndarray) -> None:
    """Identical doubles (signed zeros included), NaN where NaN."""
    _same_nan(have, want)
    ok = ~np.isnan(want)
    bad = have[ok].view(np.int64) != want[ok].view(np.int64)
    assert not bad.any(), f"{have[ok][bad][:5]} vs {want[ok][bad][:5]}"


def _pairs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(values, values)
    return a.ravel(), b.ravel()


# ---- the headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HEADERS)
def test_header_rules(name: str) -> None:
    """A leading comment naming what the file provides, its reference and its accuracy; an include guard; only
    <cmath>/<cstddef>/<cstdint>/<limits> (and elementary.hpp); FIRMC_FN on every function; nothing CUDA device code
    forbids."""
    text = (RUNTIME / name).read_text(encoding="utf-8")
    head = text.split("#ifndef")[0]
    assert head.startswith("// firmc native runtime: " + name)
    for word in ("Provides:", "Reference", "Accuracy"):
        assert word in head
    guard = "FIRMC_RUNTIME_" + name.removesuffix(".hpp").upper() + "_HPP"
    assert f"#ifndef {guard}\n#define {guard}\n" in text and text.rstrip().endswith(f"#endif  // {guard}")
    body = text[len(head):]
    includes = [ln.split()[1] for ln in body.splitlines() if ln.startswith("#include")]
    assert set(includes) <= {"<cmath>", "<cstddef>", "<cstdint>", "<limits>", '"elementary.hpp"'}
    code = re.sub(r"//[^\n]*", "", body)
    # no statics, exceptions, std::complex, host-only constexpr (numeric_limits), I/O, namespace-scope variables
    for banned in (r"\bstatic\b", r"std::complex", r"\bthrow\b", r"\btry\b", r"numeric_limits", r"thread_local",
                   r"printf", r"^(const|constexpr|double|int)\b"):
        assert not re.search(banned, code, re.MULTILINE), banned
    for line in body.splitlines():
        if line and not line[0].isspace() and "(" in line and line.rstrip().endswith("{"):
            assert line.startswith("FIRMC_FN "), line
            assert line.split("(")[0].split()[-1].startswith("fc_"), line


def test_headers_compile_alone_and_concatenated(tmp_path: Path) -> None:
    """Each header is self-contained; the four concatenated without their quoted #includes (as the C++ backend
    inlines them into a generated header) compile too."""
    srcs = []
    for name in HEADERS:
        src = tmp_path / f"only_{name}.cpp"
        src.write_text(f'#include "{name}"\n', encoding="utf-8")
        srcs.append(src)
    texts = [(RUNTIME / n).read_text(encoding="utf-8") for n in HEADERS]
    joined = "\n".join("".join(ln for ln in t.splitlines(keepends=True) if not ln.startswith('#include "'))
                       for t in texts)
    cat = tmp_path / "concatenated.cpp"
    cat.write_text(joined, encoding="utf-8")
    for src in [*srcs, cat]:
        _compile(src, tmp_path / "unused.o", "-fsyntax-only")


# ---- elementary.hpp -------------------------------------------------------------------------------------------


def test_min_max_sign_round_pow_are_numpy(lib: Lib) -> None:
    rng = np.random.default_rng(0)
    vals = np.concatenate([EDGES, rng.normal(size=40) * 10.0 ** rng.integers(-5, 5, 40)])
    a, b = _pairs(vals)
    _bits_equal(lib("min", a, b), np.minimum(a, b))
    _bits_equal(lib("max", a, b), np.maximum(a, b))
    x = np.concatenate([vals, np.arange(-10.0, 10.0, 0.25), [0.49999999999999994, -0.49999999999999994,
                                                             4503599627370495.5, 2.0**52 + 1]])
    _bits_equal(lib("sign", x), np.sign(x))
    _bits_equal(lib("round", x), np.rint(x))
    with np.errstate(all="ignore"):
        want = np.power(a, b)
    have = lib("pow", a, b)
    fin = np.isfinite(want) & (want != 0)
    _bits_equal(have[~fin], want[~fin])
    assert float(_rel_err(have[fin], want[fin]).max()) <= EPS  # NumPy may use its own SIMD pow (1 ulp)


def test_logaddexp(lib: Lib) -> None:
    rng = np.random.default_rng(1)
    vals = np.concatenate([EDGES, rng.normal(size=60) * 10.0 ** rng.integers(-3, 4, 60), [700.0, 710.0, -745.0]])
    a, b = _pairs(vals)
    with np.errstate(all="ignore"):
        want = np.logaddexp(a, b)
    err = _rel_err(lib("logaddexp", a, b), want)
    assert float(err.max()) <= 2.0 * EPS
    assert lib("logaddexp", np.array([-INF, INF, -INF]), np.array([-INF, INF, INF])).tolist() == [-INF, INF, INF]


def test_approx_eq(lib: Lib) -> None:
    from firmc.ir.ops import _approx_eq

    rng = np.random.default_rng(2)
    base = np.concatenate([EDGES, rng.normal(size=30) * 10.0 ** rng.integers(-300, 300, 30)])
    a, b = _pairs(base)
    # neighbours at 0 ... 6 ulp, up and down
    steps, down = [base], [base]
    with np.errstate(over="ignore"):
        for _ in range(6):
            steps.append(np.nextafter(steps[-1], INF))
            down.append(np.nextafter(down[-1], -INF))
    a = np.concatenate([a, *(base for _ in range(12))])
    b = np.concatenate([b, *steps[1:], *down[1:]])
    with np.errstate(all="ignore"):
        want = _approx_eq(a, b).astype(np.float64)
    have = lib("approx_eq", a, b)
    assert np.array_equal(have, want)
    assert 0.0 < have.mean() < 1.0


# ---- gamma.hpp ------------------------------------------------------------------------------------------------


def test_digamma_special_values(lib: Lib) -> None:
    x = np.concatenate([EDGES, -np.arange(1.0, 30.0), np.arange(1.0, 30.0)])
    _rel_err(lib("digamma", x), sc.digamma(x))  # NaN positions and infinities as scipy
    assert lib("digamma", np.array([0.0, -0.0, -1.0, -INF, INF])).tolist()[:2] == [-INF, INF]


def test_digamma_positive(lib: Lib) -> None:
    x = np.concatenate([np.linspace(1e-6, 30.0, 60001), np.logspace(-300, 300, 6001), np.linspace(1.3, 1.6, 3001),
                        np.nextafter(1.4616321449683622, [-INF, INF]), [1.4616321449683622, 1.0, 2.0, 10.0]])
    err = _rel_err(lib("digamma", x), sc.digamma(x))
    assert float(err.max()) <= 1e-15


def test_digamma_negative(lib: Lib) -> None:
    """Against mpmath: 1e-15 relative within 0.1 of the first negative zero, elsewhere 1e-15 of the reflection's
    largest term |psi(1 - x)| + |pi cot(pi x)| (scipy itself is off by up to 5e-12 of it where cot is large)."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(3)
    x = np.concatenate([-rng.uniform(0.0, 1.0, 400), -rng.uniform(0.0, 10.0, 400), -rng.uniform(0.0, 1e6, 100),
                        np.linspace(-0.6040830082644554, -0.4040830082644554, 201)])
    x = x[x != np.round(x)]
    with mp.workdps(30):
        ref = np.array([float(mp.digamma(mp.mpf(float(v)))) for v in x])
    have = lib("digamma", x)
    near = np.abs(x + 0.5040830082644554) <= 0.1
    assert float(_rel_err(have[near], ref[near]).max()) <= 1e-15
    scale = np.abs(sc.digamma(1.0 - x)) + np.abs(np.pi / np.tan(np.pi * x))
    assert float(_rel_err(have, ref, scale).max()) <= 1e-15


def _gamma_grid() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    ag = np.concatenate([10.0 ** np.linspace(-3.0, np.log10(200.0), 25), [0.5, 1.0, 1.21, 9.5, 10.0, 199.5]])
    xg = np.concatenate([[1e-300, 1e-20, 1e-5], np.linspace(0.0, 500.0, 21)[1:], 10.0 ** np.linspace(-3, 2.7, 15),
                         [0.5, 1.1, 1.1000000000000003]])
    a, x = np.meshgrid(ag, xg)
    n = 600
    ar = 10.0 ** rng.uniform(-3.0, np.log10(200.0), n)
    xr = np.where(rng.uniform(size=n) < 0.5, ar * 10.0 ** rng.uniform(-0.3, 0.3, n), rng.uniform(0.0, 500.0, n))
    a = np.concatenate([a.ravel(), ar, ag, ag, ag])
    x = np.concatenate([x.ravel(), xr, ag + 1.0, ag, np.nextafter(ag, INF)])
    return a, x


def test_gammainc_accuracy(lib: Lib) -> None:
    """Against mpmath on a ~2000-point grid of a in [1e-3, 200], x in [0, 500]: relative error below
    4 eps (10 + |ln value|) where the value is above 1e-300, and below 1e-14 where it is above 1e-10."""
    mp = pytest.importorskip("mpmath")
    a, x = _gamma_grid()
    with mp.workdps(30):
        p = np.array([float(mp.gammainc(mp.mpf(float(ai)), 0, mp.mpf(float(xi)), regularized=True))
                      for ai, xi in zip(a, x, strict=True)])
        q = np.array([float(mp.gammainc(mp.mpf(float(ai)), mp.mpf(float(xi)), mp.inf, regularized=True))
                      for ai, xi in zip(a, x, strict=True)])
    for name, ref in (("gammainc", p), ("gammaincc", q)):
        have = lib(name, a, x)
        ok = ref > 1e-300
        err = _rel_err(have[ok], ref[ok])
        bound = 4.0 * EPS * (10.0 + np.abs(np.log(ref[ok])))
        worst = int(np.argmax(err / bound))
        assert np.all(err <= bound), (name, a[ok][worst], x[ok][worst], err[worst])
        assert np.all(have[~ok] <= 1e-290)
        assert float(err[ref[ok] > 1e-10].max()) <= 1e-14


def test_gammainc_against_scipy(lib: Lib) -> None:
    """Agreement with scipy where scipy is accurate (its own error reaches 4e-13 on this grid); scipy's special
    values (NaN for a < 0, x < 0, NaN; 1 and 0 at a = 0; 0 and 1 at x = 0 and x = inf; NaN at a = x = inf)."""
    a, x = _gamma_grid()
    for name, f in (("gammainc", sc.gammainc), ("gammaincc", sc.gammaincc)):
        want = f(a, x)
        ok = want > 1e-300
        assert float(_rel_err(lib(name, a, x)[ok], want[ok]).max()) <= 5e-13
    e = np.array([NAN, -INF, -1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, 200.0, 1e300, INF])
    ea, ex = _pairs(e)
    for name, f in (("gammainc", sc.gammainc), ("gammaincc", sc.gammaincc)):
        want, have = f(ea, ex), lib(name, ea, ex)
        _same_nan(have, want)
        exact = (ea == 0) | (ex == 0) | np.isinf(ea) | np.isinf(ex)
        _bits_equal(have[exact] + 0.0, want[exact] + 0.0)
        assert float(_rel_err(have, want, np.maximum(np.abs(want), 1e-300)).max()) <= 1e-13
    # scipy gives 0 for these (its prefactor underflows); the true values are ~1 and 5e-324
    p = lib("gammainc", np.array([5e-324, 1.0]), np.array([0.5, 5e-324]))
    assert abs(p[0] - 1.0) <= EPS and p[1] == 5e-324


# (a, x, P) to 25 digits: a 40-digit evaluation of the power series
LARGE_A = ((1e6, 1e6 - 5000.0, 2.749580359270070753827908e-07), (3e7, 3e7, 0.5000242788540176533964207),
           (1e8, 1e8 - 5e4, 2.854642139958626142976742e-07), (1e8, 1e8 + 1e4, 0.8413447464717988135669612))


def test_gammainc_large_a(lib: Lib) -> None:
    """a up to 1e5 against scipy within 3 sigma of the mean; the series at a = 1e6 and Temme's expansion (a > 1e7)
    against 40-digit values (scipy's expansion is off by 4e-6 at a = 1e6, 5 sigma below the mean)."""
    for a in (1e3, 1e4, 1e5):
        x = a + np.sqrt(a) * np.linspace(-3.0, 3.0, 13)
        for name, f in (("gammainc", sc.gammainc), ("gammaincc", sc.gammaincc)):
            assert float(_rel_err(lib(name, np.full_like(x, a), x), f(a, x)).max()) <= 2e-14
    a, x, p = (np.array(c) for c in zip(*LARGE_A, strict=True))
    assert float(_rel_err(lib("gammainc", a, x), p).max()) <= 2e-14
    assert float(_rel_err(lib("gammaincc", a, x), 1.0 - p).max()) <= 4e-15
    big = np.array([1e300, 1e300, 1e300, BIG])
    assert lib("gammainc", big, big * np.array([1.0, 1.0000001, 0.9999999, 1.0])).tolist() == [0.5, 1.0, 0.0, 0.5]


# ---- landau.hpp -----------------------------------------------------------------------------------------------

LANDAU_EDGES = (-5.5, -1.0, 1.0, 4.0, 5.0, 12.0, 50.0, 300.0)


@pytest.mark.parametrize(("name", "ref"), [("landau", special.landau_pdf), ("landau_cdf", special.landau_cdf)])
def test_landau_matches_numpy_port(lib: Lib, name: str, ref: Callable[[np.ndarray], np.ndarray]) -> None:
    """Bit for bit for v >= -1; in the two left pieces exp(-1/u) and exp(-u) (u = exp(+-(v + 1))) magnify the
    last-bit difference between the libm's exp and NumPy's by e^-(v+1): 4 eps (1 + e^-(v+1)) relative there."""
    edges = np.array([*LANDAU_EDGES, float(np.log(1e-10) - 1.0)])
    v = np.concatenate([np.linspace(-30.0, 30.0, 60001), np.linspace(30.0, 1000.0, 5001), np.logspace(3, 300, 301),
                        edges, np.nextafter(edges, -INF), np.nextafter(edges, INF), EDGES])
    have, want = lib(name, v), ref(v)
    right = ~(v < -1.0)
    _bits_equal(have[right], want[right])
    left = v < -1.0
    err = _rel_err(have[left], want[left], np.maximum(np.abs(want[left]), TINY))
    with np.errstate(over="ignore"):
        assert np.all(err <= 4.0 * EPS * (1.0 + np.exp(-(v[left] + 1.0))))
    assert lib(name, np.array([-INF, -1e300, NAN])).tolist()[:2] == [0.0, 0.0]


def test_landau_root_table(lib: Lib) -> None:
    """ROOT's values (test_special.ROOT_TABLE) to 1e-13 relative, as firmc's NumPy version."""
    from test_special import ROOT_TABLE

    v, pdf, cdf = (np.array(c) for c in zip(*ROOT_TABLE, strict=True))
    for name, ref in (("landau", pdf), ("landau_cdf", cdf)):
        have = lib(name, v)
        assert float(_rel_err(have, ref, np.maximum(np.abs(ref), TINY)).max()) <= 1e-13


# ---- faddeeva.hpp ---------------------------------------------------------------------------------------------


def _faddeeva_grid() -> np.ndarray:
    s = np.logspace(-10, 4, 90)
    xs = np.concatenate([-s[::-1], [-0.0, 0.0], s, [5.0, 6.0, 7.0, 8.0, 26.0, 28.0]])
    x, y = np.meshgrid(xs, xs)
    return (x + 1j * y).ravel()


def test_faddeeva_against_mpmath(lib: Lib) -> None:
    """2e-15 of |w| in the upper half plane; eps (1 + 2 |x y|) times 40 in the lower one, where exp(-z^2) is as
    sensitive to the rounding of -2 x y (scipy's own error there is about as large)."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(6)
    n = 300
    z = 10.0 ** rng.uniform(-3.0, 2.5, n) * np.exp(1j * rng.uniform(-np.pi, np.pi, n))
    with mp.workdps(30):
        ref = np.array([complex(mp.exp(-mp.mpc(v) ** 2) * mp.erfc(-1j * mp.mpc(v))) for v in z])
    have = lib.faddeeva(z)
    ok = np.isfinite(ref) & (np.abs(ref) < 1e300)
    err = np.abs(have[ok] - ref[ok]) / np.abs(ref[ok])
    up = z[ok].imag >= 0
    assert float(err[up].max()) <= 2e-15
    cond = 1.0 + 2.0 * np.abs(z[ok].real * z[ok].imag)
    assert np.all(err[~up] <= 40.0 * EPS * cond[~up])


def test_faddeeva_against_scipy(lib: Lib) -> None:
    """1.5e-14 of |w| against scipy.special.wofz in both half planes (where |w| < 1e300)."""
    z = _faddeeva_grid()
    have, want = lib.faddeeva(z), sc.wofz(z)
    ok = np.isfinite(want) & (np.abs(want) < 1e300)
    assert ok.sum() > 0.9 * z.size
    assert float(np.max(np.abs(have[ok] - want[ok]) / np.abs(want[ok]))) <= 1.5e-14
    for part in (np.real, np.imag):
        _same_nan(part(have), part(want))


def test_faddeeva_matches_python_port(lib: Lib) -> None:
    z = _faddeeva_grid()
    with np.errstate(all="ignore"):
        want = pyruntime.faddeeva(z, np)
    have = lib.faddeeva(z)
    ok = np.isfinite(want)
    assert float(np.max(np.abs(have[ok] - want[ok]) / np.abs(want[ok]))) <= 1e-15


def test_faddeeva_special_values(lib: Lib) -> None:
    """Non-finite and huge arguments: NaN, inf and 0 in the same components as scipy."""
    sv = np.array([0.0, -0.0, 1.0, -1.0, 30.0, -30.0, 1e-200, 1e200, -1e200, BIG, INF, -INF, NAN])
    x, y = _pairs(sv)
    z = np.empty(x.shape, dtype=np.complex128)
    z.real, z.imag = x, y
    have = lib.faddeeva(z)
    with np.errstate(all="ignore"):
        want = sc.wofz(z)
    for part in (np.real, np.imag):
        h, w = part(have), part(want)
        _same_nan(h, w)
        inf = np.isinf(w) | np.isinf(h)
        assert np.array_equal(h[inf], w[inf])
        fin = np.isfinite(w)
        scale = np.where(np.isfinite(np.abs(want)), np.abs(want), np.abs(w))[fin]
        assert np.all(np.abs(h[fin] - w[fin]) <= 1e-13 * scale + 1e-300)


# ---- CUDA -----------------------------------------------------------------------------------------------------

CUDA_CHECK = """\
#define FIRMC_FN __host__ __device__ inline
#include "elementary.hpp"
#include "gamma.hpp"
#include "landau.hpp"
#include "faddeeva.hpp"

__global__ void check(const double* in, double* out) {
    const double a = in[0], b = in[1];
    out[0] = fc_min(a, b) + fc_max(a, b) + fc_sign(a) + fc_logaddexp(a, b) + fc_round(a) + fc_pow(a, b);
    out[1] = fc_approx_eq(a, b) ? 1.0 : 0.0;
    out[2] = fc_digamma(a) + fc_gammainc(a, b) + fc_gammaincc(a, b);
    out[3] = fc_landau(a) + fc_landau_cdf(a);
    fc_faddeeva(a, b, out + 4, out + 5);
}
"""


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found")
def test_nvcc_compiles_every_function(tmp_path: Path) -> None:
    """The runtime is valid CUDA device code: every function called from a __global__ kernel, warnings as errors
    (a host-only call, e.g. std::numeric_limits without --expt-relaxed-constexpr, is a warning)."""
    src = tmp_path / "check.cu"
    src.write_text(CUDA_CHECK, encoding="utf-8")
    cmd = ["nvcc", "-std=c++17", "-Werror", "all-warnings", f"-I{RUNTIME}", "-c", str(src), "-o",
           str(tmp_path / "check.o")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stdout}\n{res.stderr}"
