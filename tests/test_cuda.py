"""The cuda target: one CUDA C++17 file per entry that nvcc compiles cleanly (strict warnings), deterministic, with
the cpp target's C ABI; and its values against the interpreter.

Three levels, by what the machine has:

* nvcc: every corpus entry (optimize 0 and 1) and every entry of the every_op model compile, batched into a few
  translation units (each program in its own namespace) compiled concurrently;
* g++ only (no GPU): the generated host code and kernels run in a host *emulation* of the CUDA runtime (one host
  thread per CUDA thread, ``__syncthreads`` a barrier; tests/cuda_emulation.py) and agree with the interpreter -- this
  checks the generated logic (what the host passes to a kernel, the grid-stride loops, the block reductions, the
  partial sums), not the device's arithmetic;
* a CUDA device: every corpus entry and every op agree with the interpreter on the GPU (skipped elsewhere).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import firmc
from backends import EXAMPLES, corpus_entries, tables_module
from cuda_emulation import load_emulated
from firmc.backends import Artifact, Evaluator, available_targets
from firmc.backends.cuda import BACKEND, CudaRunner, Unavailable, build, missing
from firmc.errors import UnsupportedFeature
from firmc.testing import Case, assert_agrees, every_op_module

NVCC = shutil.which("nvcc")
GXX = shutil.which("g++")
MISSING = missing()
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="needs the CUDA compiler nvcc")
needs_gpu = pytest.mark.skipif(bool(MISSING), reason=f"runs kernels on a GPU: needs {MISSING}")
no_gpu = pytest.mark.skipif(not MISSING, reason="checks the behaviour on a machine without a CUDA device")
needs_gxx = pytest.mark.skipif(GXX is None, reason="the host emulation needs g++")
STRICT = ["-std=c++17", "-O2", "-arch=sm_80", "-DFIRMC_C_API", "-Werror", "all-warnings", "-Xcompiler",
          "-Wall,-Wextra"]
EVERY_OP = every_op_module()
GAUSS_EXP = str(EXAMPLES / "gauss_exp.hs3.json")


def _smeared() -> firmc.Module:
    """A density that is an integral per event (no corpus model has one): exp(-a t) smeared by a Gaussian."""
    from firmc.ir import Entry, Module, Observable, Parameter, apply, const, obs, param

    x, t, a = obs("x", -3.0, 3.0), obs("t", 0.0, 2.0), param("a")
    term = apply("exp", -(x - t) * (x - t) * 0.5 - a * t)
    m = Module(observables={"x": Observable("x", -3.0, 3.0), "t": Observable("t", 0.0, 2.0)},
               parameters={"a": Parameter("a", 0.7, 0.1, 2.0)}, source="<smeared>", format="ir")
    m.entries["smeared"] = Entry("smeared", "distribution",
                                 apply("integral", term, const(0.0), const(2.0), vars=("t",)), ("x",))
    return m


SMEARED = _smeared()


def _cases() -> list[tuple[firmc.Module, str, int, str]]:
    """(module, entry, optimize, label) of every corpus entry and every every_op entry, at optimize 0 and 1."""
    out = []
    for path, entry in corpus_entries():
        m = firmc.load(path)
        out += [(m, entry, o, Path(path).name) for o in (1, 0)]
    out += [(SMEARED, "smeared", o, "smeared") for o in (0, 1)]
    return out + [(EVERY_OP, e, o, "every_op") for e in sorted(EVERY_OP.entries) for o in (0, 1)]


def _text(module: firmc.Module, entry: str, optimize: int = 1) -> str:
    return next(iter(firmc.compile(module, "cuda", entry, optimize=optimize).artifact.files.values()))


# ---- nvcc --------------------------------------------------------------------------------------------------------

@needs_nvcc
def test_every_program_compiles_with_nvcc(tmp_path: Path) -> None:
    """Every corpus entry and every op, as nvcc sees them with warnings as errors (each distinct program once)."""
    seen: dict[str, str] = {}
    for module, entry, optimize, _ in _cases():
        c = firmc.compile(module, "cuda", entry, optimize=optimize)
        text = next(iter(c.artifact.files.values()))
        if text not in seen:  # a namespace of its own, so that programs share a translation unit
            unique = replace(c.program, name=f"t{len(seen)}_{c.program.name}")
            seen[text] = next(iter(BACKEND.emit(unique).files.values()))
    parts = max(2, min(8, os.cpu_count() or 2))
    units = []
    for k in range(parts):
        unit = tmp_path / f"unit{k}.cu"
        unit.write_text("\n".join(list(seen.values())[k::parts]), encoding="utf-8")
        units.append(unit)

    def nvcc(unit: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
        cmd = ["nvcc", *STRICT, "-c", str(unit), "-o", str(unit.with_suffix(".o"))]
        return unit, subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)

    with ThreadPoolExecutor(parts) as pool:
        for unit, run in pool.map(nvcc, units):
            assert run.returncode == 0 and not run.stderr.strip(), f"{unit}:\n{run.stderr[-6000:]}"


def test_output_is_deterministic() -> None:
    m = firmc.load(GAUSS_EXP)
    assert _text(m, "model") == _text(firmc.load(GAUSS_EXP), "model")
    assert _text(EVERY_OP, "every_op", 0) == _text(EVERY_OP, "every_op", 0)


def test_surface() -> None:
    """The cpp target's metadata and C ABI, device variants, and one kernel for the NLL and its gradient."""
    text = _text(firmc.load(GAUSS_EXP), "model")
    for decl in ('inline constexpr const char* parameter_names[] = {"c", "f", "mu", "sigma"};',
                 "inline void pdf(const double* p, const double* const* x, std::size_t n, double* out)",
                 "inline double nll_grad_device(const double* p, const double* x, const double* w, std::size_t n, "
                 "double* grad)",
                 "FIRMC_EXPORT int firmc_model_device_count()", "FIRMC_EXPORT const char* firmc_model_last_error()",
                 "FIRMC_EXPORT double firmc_model_nll(const double* p, const double* const* x, const double* w, "
                 "std::size_t n)"):
        assert decl in text
    assert len(re.findall(r"__global__ .* k_nll_grad_\d+\(", text)) == 1
    assert "firmc/" not in text.split("// CUDA C++17")[1]  # self-contained


def test_constant_arrays_live_on_the_device() -> None:
    """Quadrature rules read in kernels are __constant__ copies; embedded data sets __device__ arrays."""
    assert re.search(r"__constant__ const double dQ\d+_w\[\]", _text(SMEARED, "smeared", 0))
    assert re.search(r"__device__ const double dD\d+_0\[\]", _text(EVERY_OP, "every_op", 0))
    likelihood = _text(firmc.load(GAUSS_EXP), "nll")
    assert "__device__ const double dD0_0[]" in likelihood and "inline constexpr double D0_0[]" not in likelihood


# ---- without a device --------------------------------------------------------------------------------------------

@no_gpu
def test_without_a_device_the_file_is_written_and_running_is_unsupported(tmp_path: Path) -> None:
    f = firmc.compile(firmc.load(GAUSS_EXP), "cuda", "model")
    assert [p.name for p in f.write(tmp_path)] == ["model.cu", "model.ptx"]
    assert "cuda" not in available_targets()
    with pytest.raises(UnsupportedFeature, match="cuda target needs"):
        f({"x": np.array([0.5])})


@no_gpu
@needs_nvcc
def test_library_reports_cuda_errors_without_a_device() -> None:
    """The shared library loads without a device; its calls give NaN and the runner raises the CUDA message."""
    f = firmc.compile(firmc.load(GAUSS_EXP), "cuda", "model")
    lib = ctypes.CDLL(str(build(next(iter(f.artifact.files.values())), "model", "-arch=sm_80")))
    lib.firmc_model_device_count.restype = ctypes.c_int
    assert lib.firmc_model_device_count() == 0
    assert f.program is not None
    runner = CudaRunner(lib, "firmc_model", f.program)
    with pytest.raises(RuntimeError, match="CUDA error in firmc_model"):
        runner({"x": np.array([0.5]), **dict.fromkeys(f.program.parameters, 0.5)}, ["value"])


# ---- host emulation ----------------------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def emulation_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cuda-emulation")


@pytest.fixture
def emulated(emulation_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The cuda target loads through the emulation for the test; extra compiler flags go in the list yielded."""
    flags: list[str] = []
    monkeypatch.setattr(BACKEND, "load", lambda artifact: load_emulated(artifact, emulation_dir, flags))
    yield flags


EMULATED = [  # what each adds: the NLL and gradient of a mixture; a likelihood's embedded data sets; quadrature on
    # the host (normalisation) and per event in kernels (smeared); two observables; extended; complex; every op
    (GAUSS_EXP, "model", 1), (GAUSS_EXP, "nll", 1), (GAUSS_EXP, "model", 0),
    ("roofit/decay_gaussmodel.json", "res_conv_exp(-@0/@1)_t_tau_[dec]", 0),
    ("roofit/crystalball_2sided.json", "dcb", 0),
    ("roofit/prod_pdf.json", "gxy", 1), ("roofit/sum_extended.json", "model", 1), ("roofit/landau.json", "lan", 0),
    ("every_op", "every_op", 0), ("every_op", "op:faddeeva", 0), ("every_op", "op:complex", 1),
    ("every_op", "op:datasum", 1), ("every_op", "op:normalize", 0), ("smeared", "smeared", 0),
    ("smeared", "smeared", 1), ("every_op", "op:choose", 0), ("tables", "nll", 1),  # choose: tables of host values
    ("weighted tables", "nll", 1),  # and a data set with weights
]


def _module(source: str) -> firmc.Module:
    if source in ("every_op", "smeared"):
        return EVERY_OP if source == "every_op" else SMEARED
    if source.endswith("tables"):
        return tables_module(24, 700, weighted=source.startswith("weighted"))[0]
    from conftest import CORPUS_DIR

    path = Path(source) if source == GAUSS_EXP else CORPUS_DIR / source
    if not path.exists():
        pytest.skip(f"corpus file {path} not found")
    return firmc.load(path)


@needs_gxx
@pytest.mark.parametrize(("source", "entry", "optimize"), EMULATED,
                         ids=[f"{Path(s).name}:{e}:{o}" for s, e, o in EMULATED])
def test_agrees_in_emulation(source: str, entry: str, optimize: int, emulated: list[str]) -> None:
    assert_agrees(Case(_module(source), entry, optimize=optimize, name=Path(source).name), "cuda")


def _events(n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(7)
    return {"x": rng.uniform(-10.0, 10.0, n)}, rng.uniform(0.5, 1.5, n)


@needs_gxx
def test_grid_stride_loop_and_many_blocks_in_emulation(emulated: list[str]) -> None:
    """2 blocks of 256 threads for 1500 weighted events: each thread sums three events; deterministic."""
    emulated.append("-DFIRMC_CUDA_MAX_BLOCKS=2")
    m = firmc.load(GAUSS_EXP)
    data, w = _events(1500)
    cuda, ref = firmc.compile(m, "cuda", "model"), firmc.compile(m, "interp", "model")
    value, grad = cuda.nll_grad(data, {"mu": 0.4}, weights=w)
    want, want_grad = ref.nll_grad(data, {"mu": 0.4}, weights=w)
    assert value == pytest.approx(want, rel=1e-12)
    assert grad == pytest.approx(want_grad, rel=1e-9, abs=1e-9 * abs(want))
    assert cuda.nll_grad(data, {"mu": 0.4}, weights=w) == (value, grad)  # the same bits again


@needs_gxx
def test_hessian_in_emulation(emulated: list[str]) -> None:
    m = firmc.load(GAUSS_EXP)
    data, _ = _events(300)
    have = firmc.compile(m, "cuda", "model", derivatives=2).nll_hessian(data)
    want = firmc.compile(m, "interp", "model", derivatives=2).nll_hessian(data)
    assert np.allclose(have, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())


# ---- on a GPU ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpu_builds() -> None:
    """Build every program of the GPU tests concurrently first (the tests then find them in build's cache)."""
    texts: list[tuple[str, str]] = []

    def capture(artifact: Artifact) -> Evaluator:
        texts.append(next(iter(artifact.files.items())))
        return Unavailable("the build first")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BACKEND, "load", capture)
        for module, entry, optimize, _ in _cases():
            firmc.compile(module, "cuda", entry, optimize=optimize)
    unique = {text: name.removesuffix(".cu") for name, text in texts}
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(lambda item: build(*item), unique.items()))


GPU_CASES = [pytest.param(m, e, o, label, id=f"{label}:{e}:{o}") for m, e, o, label in _cases()]


@needs_gpu
@pytest.mark.parametrize(("module", "entry", "optimize", "label"), GPU_CASES)
def test_agrees_on_gpu(module: firmc.Module, entry: str, optimize: int, label: str, gpu_builds: None) -> None:
    assert_agrees(Case(module, entry, optimize=optimize, name=label), "cuda")


@needs_gpu
def test_large_nll_on_gpu_is_deterministic_and_agrees() -> None:
    """A million events (the grid-stride loop at full grid): the same bits twice, and the interpreter's value."""
    m = firmc.load(GAUSS_EXP)
    data, w = _events(1_000_000)
    cuda = firmc.compile(m, "cuda", "model")
    value, grad = cuda.nll_grad(data, weights=w)
    assert cuda.nll_grad(data, weights=w) == (value, grad)
    want, want_grad = firmc.compile(m, "interp", "model").nll_grad(data, weights=w)
    assert value == pytest.approx(want, rel=1e-12)
    assert grad == pytest.approx(want_grad, rel=1e-9, abs=1e-9 * abs(want))


@needs_gpu
def test_hessian_on_gpu() -> None:
    m = firmc.load(GAUSS_EXP)
    data, _ = _events(10_000)
    have = firmc.compile(m, "cuda", "model", derivatives=2).nll_hessian(data)
    want = firmc.compile(m, "interp", "model", derivatives=2).nll_hessian(data)
    assert np.allclose(have, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())
