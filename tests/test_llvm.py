"""The llvm target as its users see it: event loops over any number of events (SIMD body, scalar tail, chunks,
threads), results independent of the thread count, weights, NaN/Inf as the interpreter gives them, one fused
pass for the NLL and its gradient, and the files ``firmc MODEL --target llvm -o out/`` writes (LLVM IR, a shared
library with a C ABI, a loader needing only NumPy). (Agreement with the interpreter on every corpus model, every
op and every random RooFit model: test_backends.py and test_roofit_live.py.)"""

from __future__ import annotations

import ctypes
import importlib.util
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import firmc
from backends import EXAMPLES
from firmc.backends.llvm import set_threads
from firmc.backends.llvm.emit import BLOCK, CHUNK
from firmc.backends.llvm.jit import vector_width

PARAMS = {"mu": 0.9, "sigma": 1.6, "c": -0.25, "f": 0.35}


@pytest.fixture(scope="module")
def model() -> firmc.Module:
    return firmc.load(EXAMPLES / "gauss_exp.hs3.json")


@pytest.fixture(scope="module")
def compiled(model: firmc.Module) -> tuple[firmc.Compiled, firmc.Compiled]:
    return firmc.compile(model, "llvm", "model"), firmc.compile(model, "interp", "model")


def _events(n: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-10.0, 10.0, n)


@pytest.mark.parametrize("n", [0, 1, 7, vector_width() * BLOCK - 1, vector_width() * BLOCK + 3, CHUNK - 1, CHUNK,
                               CHUNK + 1, 5 * CHUNK + 77])
def test_any_number_of_events(compiled: tuple[firmc.Compiled, firmc.Compiled], n: int) -> None:
    """Vector blocks, scalar tail and chunk boundaries: the NLL, its gradient and the pdf match the interpreter."""
    llvm, interp = compiled
    x = _events(n)
    assert llvm.nll({"x": x}, PARAMS) == pytest.approx(interp.nll({"x": x}, PARAMS), rel=1e-12, abs=1e-300)
    v, g = llvm.nll_grad({"x": x}, PARAMS)
    v0, g0 = interp.nll_grad({"x": x}, PARAMS)
    assert v == pytest.approx(v0, rel=1e-12, abs=1e-300)
    scale = sum(abs(t) for t in g0.values()) + 1.0
    for k in g0:
        assert abs(g[k] - g0[k]) <= 1e-11 * scale, k
    if n:
        np.testing.assert_allclose(llvm({"x": x, **PARAMS}), interp({"x": x, **PARAMS}), rtol=1e-13, atol=0)


def test_threads_do_not_change_the_result(compiled: tuple[firmc.Compiled, firmc.Compiled]) -> None:
    """Partial sums per fixed-size chunk, added in chunk order: bit-identical for 1, 2 and 3 threads."""
    llvm, _ = compiled
    x = _events(40 * CHUNK + 5)
    results = []
    try:
        for t in (1, 2, 3):
            set_threads(t)
            results.append((llvm.nll({"x": x}, PARAMS), llvm.nll_grad({"x": x}, PARAMS)))
    finally:
        set_threads(None)
    assert results[0] == results[1] == results[2]


def test_weights(compiled: tuple[firmc.Compiled, firmc.Compiled]) -> None:
    llvm, interp = compiled
    x = _events(3 * CHUNK + 11)
    w = np.random.default_rng(3).uniform(0.0, 2.0, x.size)
    assert llvm.nll({"x": x}, PARAMS, weights=w) == pytest.approx(interp.nll({"x": x}, PARAMS, weights=w),
                                                                  rel=1e-12)
    ones = np.ones_like(x)
    assert llvm.nll({"x": x}, PARAMS, weights=ones) == llvm.nll({"x": x}, PARAMS)


def test_nan_and_infinity_as_the_interpreter(compiled: tuple[firmc.Compiled, firmc.Compiled]) -> None:
    """No fast-math: a NaN event gives a NaN NLL, and pdf values at NaN/inf match the interpreter's."""
    llvm, interp = compiled
    x = np.array([0.5, math.nan, math.inf, -math.inf, 1e308, -1e-320] * 5)
    np.testing.assert_array_equal(llvm({"x": x, **PARAMS}), interp({"x": x, **PARAMS}))
    assert math.isnan(llvm.nll({"x": x}, PARAMS))


def test_nll_and_gradient_are_one_pass_over_the_events(model: firmc.Module) -> None:
    text = firmc.compile(model, "llvm", "model").artifact.files["model.ll"]
    grad = text[text.index('define double @"firmc_model_nll_grad"'):]
    grad = grad[:grad.index("\n}\n")]
    assert len(re.findall(r'call void @"firmc_model_nll_grad\.k\d+\.run"', grad)) == 1
    kernels = {}
    for name in ("nll", "nll_grad"):
        k = text[text.index(f'define internal void @"firmc_model_{name}.k0"'):]
        kernels[name] = k[:k.index("\n}\n")]
    assert f"<{vector_width()} x double>" in kernels["nll_grad"]  # the event loop is vectorised
    # the gradient costs no exponential more than the value: logaddexp's derivative shares its exp
    assert kernels["nll_grad"].count('@"firmc.exp.') == kernels["nll"].count('@"firmc.exp.') > 0


def test_output_is_deterministic(model: firmc.Module) -> None:
    a = firmc.compile(model, "llvm", "model").artifact.files["model.ll"]
    b = firmc.compile(model, "llvm", "model").artifact.files["model.ll"]
    assert a == b


@pytest.mark.skipif(shutil.which("cc") is None, reason="writing the shared library needs cc")
def test_cli_writes_ir_library_and_loader(tmp_path: Path, compiled: tuple[firmc.Compiled, firmc.Compiled]) -> None:
    """`firmc MODEL --target llvm -o out/`: the .ll, the .so (C ABI) and a loader that needs only NumPy."""
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "firmc", str(EXAMPLES / "gauss_exp.hs3.json"), "--target", "llvm",
                          "--entry", "model", "-o", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["libmodel.so", "model.ll", "model_llvm.py"]
    _, interp = compiled
    x = _events(2 * CHUNK + 9)
    # the C ABI, straight through ctypes
    lib = ctypes.CDLL(str(out / "libmodel.so"))
    f = lib.firmc_model_nll
    f.restype = ctypes.c_double
    dbl = ctypes.POINTER(ctypes.c_double)
    p = np.array([PARAMS[k] for k in ("c", "f", "mu", "sigma")])
    xs = (dbl * 1)(x.ctypes.data_as(dbl))
    assert f(p.ctypes.data_as(dbl), xs, None, ctypes.c_size_t(x.size)) == pytest.approx(
        interp.nll({"x": x}, PARAMS), rel=1e-12)
    # the loader, imported as a vendored file (no firmc involved)
    spec = importlib.util.spec_from_file_location("model_llvm", out / "model_llvm.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert not re.search(r"^\s*(import|from) firmc", (out / "model_llvm.py").read_text(), re.M)
    v, g = mod.nll_grad({"x": x}, PARAMS)
    v0, g0 = interp.nll_grad({"x": x}, PARAMS)
    assert v == pytest.approx(v0, rel=1e-12)
    assert g == pytest.approx(g0, rel=1e-9)
    mod.set_threads(1)
    assert mod.nll({"x": x}, PARAMS) == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(mod.pdf({"x": x[:50]}, PARAMS), interp({"x": x[:50], **PARAMS}), rtol=1e-13)


def test_huge_functions_are_not_optimised_by_the_code_generator() -> None:
    """A function of more than HUGE_FUNCTION instructions is marked optnone after the IR passes (its register
    allocation at -O2 took 80 s for ATLAS sbottom's gradient); a small one is not."""
    from firmc.backends.llvm.jit import HUGE_FUNCTION, optimise

    n = HUGE_FUNCTION + 10
    body = "".join(f"  %v{k + 1} = fmul double %v{k}, %x\n" for k in range(n))
    text = (f"define double @big(double %x) {{\n  %v0 = fadd double %x, 1.0\n{body}  ret double %v{n}\n}}\n"
            "define double @small(double %x) {\n  %y = fmul double %x, %x\n  ret double %y\n}\n")
    mod = optimise(text)
    attrs = {fn.name: b" ".join(fn.attributes) for fn in mod.functions}
    assert b"optnone" in attrs["big"] and b"optnone" not in attrs["small"]


@pytest.mark.parametrize("entry", ["c", "d", "e"])
def test_complex_values_of_parameters_alone(entry: str) -> None:
    """A complex value computed from parameters only (a coupling exp(i phi) of a Dalitz model) and stored per
    event: its two parts are read by the kernel (they were missing: KeyError in the emitter)."""
    from firmc.frontends.dsl import load_firm
    from firmc.testing import Case, assert_agrees

    m = load_firm("""
        observable x in [0, 1]
        parameter phi = 0.5
        function c = complex(cos(phi), sin(phi))
        function d = exp(im * phi)
        function e = x * exp(im * phi) + exp(2im * phi)
        """)
    assert_agrees(Case(m, entry), "llvm")
    x = np.array([0.0, 0.5, 1.0])
    f = firmc.compile(m, "llvm", entry)
    got = f({"x": x}) if entry == "e" else f({})
    want = x * np.exp(0.5j) + np.exp(1j) if entry == "e" else np.exp(0.5j)
    np.testing.assert_allclose(got, want, rtol=1e-15)
