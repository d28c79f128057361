"""The llvm back-end's vector math (``backends/llvm/vmath.py``) against NumPy's float64 ufuncs.

Each function is JIT-compiled (MCJIT, host CPU, LLVM's O3 pipeline) inside a driver
``void drive(const double* in, double* out, i64 n)`` that applies it to an array in steps of the SIMD width, and
called through ctypes. Special values must match NumPy exactly (NaN positions, infinities, signed zeros);
random sweeps of more than a million arguments per function (uniform, log-uniform magnitudes over the whole
domain, near 1 for ``log``, near 0 for ``log1p``/``expm1``, near the overflow and underflow thresholds) must
stay within 1 ulp of NumPy. A last test emits PTX for the NVPTX target.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

llvm = pytest.importorskip("llvmlite.binding")
ir = pytest.importorskip("llvmlite.ir")

from firmc.backends.llvm.vmath import VECTOR_MATH, math_function  # noqa: E402

NUMPY: dict[str, Callable[..., Any]] = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1}
WIDTHS = (1, 4, 8)
MAX_ULP = 1.0

Kernel = Callable[[np.ndarray], np.ndarray]


def _driver(op: str, width: int) -> Any:
    """``drive(in, out, n)``: ``out[i:i+width] = op(in[i:i+width])`` for ``i = 0, width, ...`` below ``n``."""
    module = ir.Module(name=f"vmath_{op}_{width}")
    module.triple = llvm.get_process_triple()
    f64, i64 = ir.DoubleType(), ir.IntType(64)
    lanes = f64 if width == 1 else ir.VectorType(f64, width)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [f64.as_pointer(), f64.as_pointer(), i64]), "drive")
    src, dst, n = fn.args
    entry, loop, done = (fn.append_basic_block(name) for name in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(i64, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(i64)
    x = b.load(b.bitcast(b.gep(src, [i]), lanes.as_pointer()), align=8)
    b.store(b.call(math_function(module, op, width), [x]), b.bitcast(b.gep(dst, [i]), lanes.as_pointer()), align=8)
    step = b.add(i, ir.Constant(i64, width))
    i.add_incoming(ir.Constant(i64, 0), entry)
    i.add_incoming(step, loop)
    b.cbranch(b.icmp_signed("<", step, n), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return module


@functools.cache
def _host_machine() -> Any:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3, jit=True
    )


@functools.cache
def _kernel(op: str, width: int) -> Kernel:
    machine = _host_machine()
    module = llvm.parse_assembly(str(_driver(op, width)))
    module.verify()
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    builder.getModulePassManager().run(module, builder)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    drive = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(
        engine.get_function_address("drive")
    )

    def run(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float64)
        assert x.size % width == 0
        out = np.empty_like(x)
        drive(x.ctypes.data, out.ctypes.data, x.size)
        return out

    run.keep_alive = (engine, module)  # type: ignore[attr-defined]  # the JIT code lives as long as the engine
    return run


def _pad(x: np.ndarray, multiple: int = 8) -> np.ndarray:
    return np.concatenate([x, np.ones(-x.size % multiple)])


def _numpy(op: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(NUMPY[op](x))


def _ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """``|got - want|`` in ulps of ``want`` where ``want`` is finite; NaN and infinity positions must agree."""
    assert np.array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    err: np.ndarray = np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite]))
    return err


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int, signed: bool = False) -> np.ndarray:
    x = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    return x * rng.choice([-1.0, 1.0], n) if signed else x


def _sweep(op: str) -> np.ndarray:
    """1.2 million arguments of ``op``: over the whole domain and piled up where the function is delicate."""
    rng = np.random.default_rng(20240601 + sorted(VECTOR_MATH).index(op))
    n = 200_000
    parts = {
        "exp": [
            rng.uniform(-746.0, 710.0, n),
            _log_uniform(rng, 1e-320, 1.7976931348623157e308, n, signed=True),
            _log_uniform(rng, 1e-320, 746.0, n, signed=True),
            rng.uniform(700.0, 709.8, n),  # overflow at 709.7827...
            rng.uniform(-746.0, -707.0, n),  # subnormal results, underflow to 0 below -745.13...
            rng.uniform(-0.4, 0.4, n),
        ],
        "log": [
            rng.uniform(0.0, 1.7976931348623157e308, n),
            _log_uniform(rng, 5e-324, 1.7976931348623157e308, n),
            rng.uniform(0.5, 2.0, n),
            1.0 + _log_uniform(rng, 1e-16, 0.3, n, signed=True),
            rng.uniform(0.0, 2.2250738585072014e-308, n),  # subnormal arguments
            _log_uniform(rng, 1e-10, 1e10, n),
        ],
        "log1p": [
            rng.uniform(-1.0, 10.0, n),
            _log_uniform(rng, 1e-320, 1.0, n, signed=True),
            _log_uniform(rng, 1e-320, 1.7976931348623157e308, n),
            -1.0 + _log_uniform(rng, 1.2e-16, 0.1, n),
            rng.uniform(-0.3, 0.42, n),
            rng.uniform(0.4, 2.0, n),
        ],
        "expm1": [
            rng.uniform(-50.0, 710.0, n),
            _log_uniform(rng, 1e-320, 710.0, n, signed=True),
            _log_uniform(rng, 1e-320, 1.7976931348623157e308, n, signed=True),
            rng.uniform(0.3, 3.0, n),
            rng.uniform(-40.0, -30.0, n),  # rounds to -1 below about -37.4
            rng.uniform(700.0, 709.8, n),
        ],
    }[op]
    return np.concatenate(parts)


SPECIAL = np.array(
    [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 2.2250738585072014e-308,
     -2.2250738585072014e-308, 1e-300, -1e-300, 2.0**-54, -(2.0**-54), 1e-20, -1e-20, 1.0, -1.0, 2.0, 0.5,
     -1.0 + 2.0**-53, -1.0 - 2.0**-52, -0.5, 1.4142135623730951, 0.7071067811865476, 709.782712893384,
     709.7827128933841, 710.0, 1e3, -745.1332191019411, -745.1332191019412, -745.2, -746.0, -708.3964185322641,
     -708.4, -1e3, -37.5, -40.0, -1e308, 1e308, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324 * 3,
     0.6931471805599453, -0.6931471805599453, 0.34657359027997264, -0.34657359027997264]
)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("op", sorted(VECTOR_MATH))
def test_special_values_match_numpy(op: str, width: int) -> None:
    x = _pad(SPECIAL)
    got, want = _kernel(op, width)(x), _numpy(op, x)
    assert np.array_equal(np.isnan(got), np.isnan(want)), x[np.isnan(got) != np.isnan(want)]
    exact = ~np.isfinite(want) | (want == 0)  # infinities and signed zeros bit for bit,
    if op in ("log1p", "expm1"):
        exact |= np.abs(x) < 1e-17  # and log1p(x) = expm1(x) = x for tiny x
    exact &= ~np.isnan(want)
    assert np.array_equal(got[exact], want[exact]), x[exact][got[exact] != want[exact]]
    assert np.array_equal(np.signbit(got[exact]), np.signbit(want[exact])), x[exact]
    assert _ulp_error(got, want).max() <= MAX_ULP


@pytest.mark.parametrize(
    ("op", "x", "want"),
    [("exp", np.inf, np.inf), ("exp", -np.inf, 0.0), ("exp", 710.0, np.inf), ("exp", -746.0, 0.0),
     ("exp", -745.0, 5e-324), ("log", 0.0, -np.inf), ("log", -0.0, -np.inf), ("log", np.inf, np.inf),
     ("log", -1.0, np.nan), ("log1p", -1.0, -np.inf),
     ("log1p", -1.5, np.nan), ("log1p", np.inf, np.inf), ("log1p", -0.0, -0.0), ("log1p", 1e-310, 1e-310),
     ("expm1", -np.inf, -1.0), ("expm1", np.inf, np.inf), ("expm1", 710.0, np.inf), ("expm1", -0.0, -0.0),
     ("expm1", -1e-310, -1e-310), ("expm1", -40.0, -1.0)],
)
def test_named_special_values(op: str, x: float, want: float) -> None:
    got = _kernel(op, 8)(np.full(8, x))
    assert np.array_equal(got, np.full(8, want), equal_nan=True)
    assert np.all(np.signbit(got) == np.signbit(want)) or np.isnan(want)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("op", sorted(VECTOR_MATH))
def test_random_sweep_within_one_ulp_of_numpy(op: str, width: int) -> None:
    x = _sweep(op)
    assert x.size >= 1_000_000
    err = _ulp_error(_kernel(op, width)(x), _numpy(op, x))
    assert err.max() <= MAX_ULP, (op, width, err.max(), x[np.isfinite(_numpy(op, x))][np.argmax(err)])
    assert np.mean(err > 0) < 0.15  # mostly bit for bit


def test_functions_are_defined_once_branch_free_and_call_only_intrinsics() -> None:
    module = ir.Module()
    for op in sorted(VECTOR_MATH):
        for width in (1, 2, 8):
            fn = math_function(module, op, width)
            assert fn is math_function(module, op, width)
            assert fn.name == (f"firmc.{op}.s" if width == 1 else f"firmc.{op}.v{width}")
            assert fn.linkage == "internal"
            assert {"alwaysinline", "nounwind"} <= set(fn.attributes)
            assert len(fn.blocks) == 1
            text = str(fn)
            assert " nnan" not in text and " ninf" not in text and " fast" not in text
            callees = {ins.callee.name for ins in fn.blocks[0].instructions if ins.opname == "call"}
            assert all(name.startswith(("llvm.fmuladd.", "llvm.copysign.")) for name in callees), callees
    llvm.parse_assembly(str(module)).verify()
    with pytest.raises(ValueError, match="no vector math function"):
        math_function(module, "sin", 4)
    with pytest.raises(ValueError, match="width"):
        math_function(module, "exp", 0)


def test_nvptx_emits_ptx() -> None:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    triple = "nvptx64-nvidia-cuda"
    try:
        target = llvm.Target.from_triple(triple)
    except RuntimeError as error:
        pytest.skip(f"llvmlite's LLVM has no NVPTX target: {error}")
    module = ir.Module(name="vmath_ptx")
    module.triple = triple
    lanes = ir.VectorType(ir.DoubleType(), 8)
    kernel = ir.Function(module, ir.FunctionType(lanes, [lanes]), "chain")
    b = ir.IRBuilder(kernel.append_basic_block())
    value = kernel.args[0]
    for op in sorted(VECTOR_MATH):
        value = b.call(math_function(module, op, 8), [value])
    b.ret(value)
    parsed = llvm.parse_assembly(str(module))
    parsed.verify()
    machine = target.create_target_machine(cpu="sm_80", opt=3)
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    builder.getModulePassManager().run(parsed, builder)
    ptx = machine.emit_assembly(parsed)
    assert ".visible .func" in ptx and "chain" in ptx
    assert ".extern" not in ptx and "call" not in ptx  # everything inlined, nothing from libm
    assert "fma.rn.f64" in ptx and "div.rn.f64" in ptx
