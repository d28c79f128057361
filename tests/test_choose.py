"""``choose(k, v_0, ..., v_n-1)``, the table look-up, on every target: positions at the edges (NaN, negative,
fractional, huge and infinite k), one value, booleans, integers and complex values, and HistFactory's shape -- a
sum over an embedded data set of bin indices with a table of 500 constants and one of 500 parameters -- with its
gradient; expected values from closed forms written here (numpy indexing), not from the code under test. Also the
code each target emits for a table (a constant array, an array of loop-invariant values filled once per call),
the fold rules, the IR text and HS3 round trips, and (with the CUDA toolkit) nvcc and ptxas on the output."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import firmc
from backends import GENERATED_TARGETS, tables_module, target_param
from firmc.ir import Entry, Module, Observable, Parameter, apply, const, obs, param
from firmc.ir.text import parse_module, print_module

TARGETS = [target_param(t) for t in ("interp", *GENERATED_TARGETS)]
EDGES = [math.nan, -math.inf, -1e300, -5.0, -1.0, -0.5, -0.0, 0.0, 0.25, 0.999999, 1.0, 1.5, 2.0, 2.9999999, 3.0,
         3.5, 4.0, 1e10, 1e300, math.inf]
K = np.array(EDGES * 2 + [0.5, 1.5, 2.5])  # 43 points: vector lanes and a scalar tail on the llvm target
Y = np.linspace(0.21, 0.79, K.size)
A, B = 0.7, 1.3


def position(k: float, n: int) -> int:
    """choose's rule, written out: the floor of k clamped to 0 .. n-1, NaN giving 0."""
    if math.isnan(k) or k < 1.0:
        return 0
    return n - 1 if k >= n - 1 else math.floor(k)


def test_position_rule() -> None:
    assert [position(k, 4) for k in EDGES] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3]


def _module() -> Module:
    """Function entries of k and y, one per kind of table."""
    k, y, a, b = obs("k", -10.0, 10.0), obs("y", 0.2, 0.8), param("a"), param("b")
    ch = lambda *v: apply("choose", k, *v)  # noqa: E731
    entries = {
        "consts": ch(const(10.0), const(-20.5), const(30.25), const(40.0)) * y,
        "params": ch(a, b, a * b, const(2.5)) * y,
        "events": ch(y, y * 2.0, a, -y),
        "one": ch(a * y) + apply("select", apply("lt", k, const(0.0)), const(0.0), const(-0.0)),  # k kept (+-0)
        "bools": apply("select", ch(apply("lt", y, const(0.5)), const(True), const(False), apply("gt", y, b * 0.5)),
                       y, y * 3.0),
        "ints": ch(const(1), const(-2), const(3)) * y,
        "complex": ch(apply("complex", y, a), const(complex(1.0, 2.0)), y * 3.0),
    }
    m = Module(observables={"k": Observable("k", -10.0, 10.0), "y": Observable("y", 0.2, 0.8)},
               parameters={"a": Parameter("a", A, 0.1, 2.0), "b": Parameter("b", B, 0.5, 3.0)},
               source="<choose>", format="ir")
    for name, expr in entries.items():
        m.entries[name] = Entry(name, "function", expr, ("k", "y"))
    return m


MODULE = _module()


def _expected(entry: str, ks: np.ndarray = K) -> np.ndarray:
    pos = lambda n: np.array([position(float(k), n) for k in ks])  # noqa: E731
    y = Y
    if entry == "consts":
        return np.array([10.0, -20.5, 30.25, 40.0])[pos(4)] * y
    if entry == "params":
        return np.array([A, B, A * B, 2.5])[pos(4)] * y
    if entry == "events":
        return np.stack([y, 2.0 * y, np.full_like(y, A), -y])[pos(4), np.arange(y.size)]
    if entry == "one":
        return A * y
    if entry == "bools":
        table = np.stack([y < 0.5, np.ones_like(y, bool), np.zeros_like(y, bool), y > B * 0.5])
        cond = table[pos(4), np.arange(y.size)]
        return np.where(cond, y, 3.0 * y)
    if entry == "ints":
        return np.array([1.0, -2.0, 3.0])[pos(3)] * y
    assert entry == "complex"
    return np.stack([y + 1j * A, np.full(y.shape, 1.0 + 2.0j), 3.0 * y + 0j])[pos(3), np.arange(y.size)]


@pytest.mark.parametrize("optimize", [0, 1])
@pytest.mark.parametrize("entry", sorted(MODULE.entries))
@pytest.mark.parametrize("target", TARGETS)
def test_values_at_the_edges(target: str, entry: str, optimize: int) -> None:
    c = firmc.compile(MODULE, target, entry, optimize=optimize)
    got = np.asarray(c({"k": K, "y": Y}))
    want = _expected(entry)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


# ------------------------------------------------------------------------ HistFactory's shape: n = 500
BIG = 500


def _closed_form(n: int, params: dict[str, float], data: tuple[np.ndarray, ...]) -> tuple[float, dict[str, float]]:
    """The NLL of :func:`backends.tables_module` and its gradient, by numpy indexing and bincount."""
    bins, counts, c, w = data
    j = np.array([position(float(b), n) for b in bins])
    g = np.array([params[f"g{i}"] for i in range(n)])
    mu = params["mu"]
    nu = mu * c[j] * g[j]
    nll = -float(np.sum(w * (counts * np.log(nu) - nu)))
    dnu = w * (counts / nu - 1.0)  # d(term)/d(nu), weighted
    grad = {"mu": -float(np.sum(dnu * c[j] * g[j]))}
    per_bin = np.bincount(j, weights=dnu * mu * c[j], minlength=n)
    grad |= {f"g{i}": -float(per_bin[i]) for i in range(n)}
    return nll, grad


def _params(m: Module) -> dict[str, float]:
    return {k: p.value for k, p in m.parameters.items()}


@pytest.fixture(scope="module")
def big() -> tuple[Module, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return tables_module(BIG, 3000)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("target", TARGETS)
def test_table_of_500_parameters_in_a_data_sum(target: str, weighted: bool, big: Any) -> None:
    m, data = big if not weighted else tables_module(BIG, 2000, seed=8, weighted=True)
    params = _params(m) | {"mu": 0.8, "g7": 1.9}
    want, want_grad = _closed_form(BIG, params, data)
    c = firmc.compile(m, target, "nll")
    value, grad = c.nll_grad({}, params)
    assert value == pytest.approx(want, rel=1e-12)
    scale = max(abs(v) for v in want_grad.values())
    assert set(grad) == set(want_grad)
    for k, v in want_grad.items():
        assert grad[k] == pytest.approx(v, rel=1e-10, abs=1e-12 * scale), k


@pytest.mark.parametrize("target", [target_param(t) for t in ("numpy", "llvm")])
def test_gradient_by_table_entry_against_central_differences(target: str, big: Any) -> None:
    m, _ = big
    c = firmc.compile(m, target, "nll")
    params = _params(m)
    _, grad = c.nll_grad({}, params)
    for k in ("g0", "g3", "g250", f"g{BIG - 1}", "mu"):  # the NLL is ~1e5: a step of 1e-6 leaves 1e-5 of noise
        h = 1e-4 * params[k]
        up, down = c.nll({}, params | {k: params[k] + h}), c.nll({}, params | {k: params[k] - h})
        assert (up - down) / (2 * h) == pytest.approx(grad[k], rel=1e-6, abs=1e-6), k


@pytest.mark.parametrize("n", [1, 7, 50, 61])
@pytest.mark.parametrize("target", TARGETS)
def test_tables_read_by_their_own_rows(target: str, n: int) -> None:
    """A data set holding the rows 0, 1, ..., n-1 (HistFactory's bins): the llvm target reads entry i for event i
    with vector loads (no gather, no clamping); loops shorter than a block of vectors are vectorised too."""
    m, data = tables_module(n, n, seed=n, rows=True)
    params = _params(m) | {"mu": 0.7, f"g{n // 2}": 1.6}
    want, want_grad = _closed_form(n, params, data)
    value, grad = firmc.compile(m, target, "nll").nll_grad({}, params)
    assert value == pytest.approx(want, rel=1e-12)
    scale = max(abs(v) for v in want_grad.values())
    for k, v in want_grad.items():
        assert grad[k] == pytest.approx(v, rel=1e-10, abs=1e-12 * scale), k


@pytest.mark.parametrize("target", [target_param("llvm")])
def test_more_rows_than_a_chunk(target: str) -> None:
    test_tables_read_by_their_own_rows(target, 4100)


def test_llvm_reads_rows_without_gathers() -> None:
    rows = _text(tables_module(50, 50, rows=True)[0], "llvm")
    assert "masked.gather" not in rows
    assert "masked.gather" in _text(tables_module(50, 200)[0], "llvm")  # any other index: a gather


# ------------------------------------------------------------------------------- what the targets emit
def _text(m: Module, target: str, entry: str = "nll", **kw: Any) -> str:
    return next(iter(firmc.compile(m, target, entry, **kw).artifact.files.values()))


def test_python_targets_hold_constant_tables_as_module_arrays() -> None:
    m, _ = tables_module(12, 40)
    for target, array in (("numpy", "np.array(["), ("jax", "np.array(["), ("torch", "torch.tensor([")):
        text = _text(m, target)
        assert re.search(rf"^_T0 = {re.escape(array)}", text, re.M), target
        assert "_lookup(_T0, " in text and "_lookup(_table(p_g0, p_g1, " in text  # parameters: once per call
        assert "_index(" in text  # the gradient's table 0, 1, ..., n-1 is the position itself


def test_cpp_declares_tables_once_per_call() -> None:
    m, _ = tables_module(12, 40)
    text = _text(m, "cpp")
    assert "inline constexpr double T0[] = {" in text
    body = text.split("inline double nll(")[1].split("\n}\n")[0]
    assert body.index("const double tab0[] = {p[0], p[1]") < body.index("for (")  # before the loop, once
    assert "T0[fc_choice(D0_0[i1], 12)]" in body and "tab0[fc_choice(D0_0[i1], 12)]" in body
    assert "fc_pick" not in body


def test_a_table_gradient_is_one_scatter_per_event() -> None:
    """The gradient's sums select(eq(position, j), v, 0) for every entry j: one array of sums, added to at each
    event's position, on the cpp and llvm targets (not n selects and n sums per event)."""
    from firmc.backends.llvm.jit import host_triple, target_machine
    from firmc.backends.llvm.module import ModuleGen

    m, _ = tables_module(BIG, 100)
    text = _text(m, "cpp")
    body = text.split("inline double nll_grad(")[1].split("\n}\n")[0]
    assert re.search(r"double (s\d+)\[500\] = \{\}, (c\d+)\[500\] = \{\};", body)
    assert body.count("fc_accumulate(") == 4 and body.count(" == ") == 0  # the NLL, mu's, the array; no compares
    program = firmc.compile(m, "llvm", "nll").artifact.program
    assert program is not None
    ir_text = str(ModuleGen(program, 8, host_triple(), str(target_machine().target_data)).build(["nll_grad"]))
    assert "call void @\"llvm.memset.p0.i64\"" in ir_text and ir_text.count("fcmp oeq") < 20


def test_llvm_reads_tables_by_gather_not_by_selects() -> None:
    from firmc.backends.llvm.jit import host_triple, target_machine
    from firmc.backends.llvm.module import ModuleGen

    m, _ = tables_module(BIG, 100)
    program = firmc.compile(m, "llvm", "nll", derivatives=0).artifact.program
    assert program is not None
    text = str(ModuleGen(program, 8, host_triple(), str(target_machine().target_data)).build(["nll"]))
    assert re.search(r"@\"firmc_nll\.T0\" = internal constant \[500 x double\]", text)
    assert text.count('call <8 x double> @"llvm.masked.gather.v8f64.v8p0"(') == 2  # the two tables
    assert text.count("select") < 60  # no chain of 500 selects
    kernel = text.split('define internal void @"firmc_nll_nll.k0"')[1].split("\ndefine", maxsplit=1)[0]
    assert "llvm.floor.v8f64" in kernel and "fptosi <8 x double>" in kernel


def test_llvm_table_of_parameters_in_a_quadrature_loop() -> None:
    """A table of function-body values read in a loop of the function body (an integral): filled before it."""
    t, a, b = obs("t", 0.0, 3.0), param("a"), param("b")
    f = apply("integral", apply("choose", t, a, b, a * b) * t, const(0.0), const(3.0), vars=("t",))
    m = Module(parameters={"a": Parameter("a", A), "b": Parameter("b", B)},
               entries={"f": Entry("f", "function", f * obs("x", 0.0, 1.0), ("x",))},
               observables={"x": Observable("x", 0.0, 1.0)}, source="<q>", format="ir")
    want = A * 0.5 + B * 1.5 + A * B * 2.5  # the integral of t over [0, 1), [1, 2), [2, 3]
    for target in ("interp", "llvm", "cpp", "numpy"):
        got = firmc.compile(m, target, "f", optimize=0)({"x": np.array([1.0, 2.0])})
        np.testing.assert_allclose(got, [want, 2 * want], rtol=1e-6, err_msg=target)


# ------------------------------------------------------------------------- frameworks' own machinery
def test_jax_jit_and_vmap_over_a_table() -> None:
    jax = pytest.importorskip("jax")
    from firmc.backends.pysource import import_text

    m, data = tables_module(20, 200)
    c = firmc.compile(m, "jax", "nll")
    ((name, text),) = c.artifact.files.items()
    gen = import_text(text, name.removesuffix(".py"))
    params = _params(m)
    with jax.enable_x64(True):
        want, _ = _closed_form(20, params, data)
        assert float(jax.jit(gen.nll)({}, params)) == pytest.approx(want, rel=1e-12)
        v, g = jax.jit(gen.nll_grad)({}, params)
        va, ga = gen.nll_grad_autodiff({}, params)
        assert float(v) == pytest.approx(float(va), rel=1e-13)
        assert all(float(g[k]) == pytest.approx(float(ga[k]), rel=1e-9, abs=1e-9) for k in gen.FREE)
        gs = np.linspace(0.5, 1.5, 4)
        batched = jax.vmap(lambda x: gen.nll({}, {"g3": x}))(gs)
        assert np.allclose(batched, [float(gen.nll({}, {"g3": x})) for x in gs], rtol=1e-13, atol=0)


def test_torch_float32_float64_and_compile() -> None:
    torch = pytest.importorskip("torch")
    from firmc.backends.pysource import import_text

    c = firmc.compile(MODULE, "torch", "params")
    ((name, text),) = c.artifact.files.items()
    gen = import_text(text, name.removesuffix(".py"))
    k64, y64 = torch.tensor(K), torch.tensor(Y)
    v64 = gen.value({"k": k64, "y": y64})
    v32 = gen.value({"k": k64.float(), "y": y64.float()})
    assert v64.dtype == torch.float64 and v32.dtype == torch.float32
    np.testing.assert_allclose(v64.numpy(), _expected("params"), rtol=1e-15)
    with np.errstate(over="ignore"):
        k32 = K.astype(np.float32)  # 2.9999999 is 3 in float32, 1e300 is inf
    np.testing.assert_allclose(v32.numpy(), _expected("params", k32), rtol=1e-6)
    c = firmc.compile(MODULE, "torch", "consts")
    ((name, text),) = c.artifact.files.items()
    gen = import_text(text, name.removesuffix(".py"))
    assert gen.value({"k": k64.float(), "y": y64.float()}).dtype == torch.float32
    compiled = torch.compile(gen.value, backend="eager")
    np.testing.assert_allclose(compiled({"k": k64, "y": y64}).numpy(), _expected("consts"), rtol=1e-15)


# ----------------------------------------------------------------------------------- passes and formats
def test_literal_index_folds_to_the_chosen_value() -> None:
    from firmc.passes.dce import dce

    x = obs("x")
    for k, want in ((2.7, 2), (math.nan, 0), (-3.0, 0), (1e300, 3), (math.inf, 3), (True, 1)):
        values = (param("a"), x, const(2), param("b"))
        got = dce([apply("choose", const(k), *values)])[0]
        expected = values[want]
        assert got is expected or (got.op == "add" and got.args[0] is expected), (k, got)
        assert got.type.dtype.name == "REAL"
    assert dce([apply("choose", x, param("a"), param("a"))])[0] is param("a")
    assert dce([apply("choose", x, param("a"))])[0] is param("a")


def test_text_round_trip() -> None:
    m, _ = tables_module(7, 30)
    text = print_module(m)
    back = parse_module(text)
    assert print_module(back) == text and "choose(" in text
    params = _params(m)
    assert firmc.compile(back, "interp", "nll").nll({}, params) == firmc.compile(m, "interp", "nll").nll({}, params)


def test_hs3_round_trip_through_the_ir_fallback() -> None:
    from firmc.errors import UnsupportedFeature
    from firmc.writers.hs3 import write_hs3

    doc = write_hs3(MODULE, "spec", entries=["params", "complex"])
    types = {o["type"] for sec in ("functions", "distributions") for o in doc.get(sec, [])}
    assert "firmc_ir" in types
    back = firmc.load(doc)
    for entry in ("params", "complex"):
        got = np.asarray(firmc.compile(back, "interp", entry)({"k": K, "y": Y}))
        np.testing.assert_allclose(got, _expected(entry), rtol=1e-15, atol=0)
    with pytest.raises(UnsupportedFeature, match="choose"):
        write_hs3(MODULE, "root", entries=["params"])


# ------------------------------------------------------------------------------------------------ CUDA
STRICT = ["-std=c++17", "-O2", "-arch=sm_80", "-DFIRMC_C_API", "-Werror", "all-warnings", "-Xcompiler",
          "-Wall,-Wextra"]


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs the CUDA compiler nvcc")
def test_cuda_source_compiles_with_nvcc(tmp_path: Path) -> None:
    m, _ = tables_module(60, 300)
    units = {"tables": _text(m, "cuda"), "big": _text(tables_module(BIG, 600)[0], "cuda", derivatives=0),
             "weighted": _text(tables_module(30, 300, weighted=True)[0], "cuda")}
    units |= {f"f{e}": _text(MODULE, "cuda", e, optimize=0) for e in ("consts", "params", "events", "complex")}
    for name, text in units.items():
        assert "tab0[fc_choice(" in text or name not in ("tables", "big", "weighted", "fparams"), name
        path = tmp_path / f"{name}.cu"
        path.write_text(text)
        run = subprocess.run(["nvcc", *STRICT, "-c", str(path), "-o", str(path.with_suffix(".o"))],
                             capture_output=True, text=True, timeout=600, check=False)
        assert run.returncode == 0 and not run.stderr.strip(), f"{name}:\n{run.stderr[-4000:]}"


def test_cuda_kernels_read_host_tables_from_their_array() -> None:
    m, _ = tables_module(12, 40)
    text = _text(m, "cuda")
    kernel = text.split("k_nll_0(")[1].split("\n}\n")[0]
    assert "const double* tab0 = r + 0;" in kernel and "dT0[fc_choice(dD0_0[i1], 12)]" in kernel
    host = text.split("inline double nll_device(")[1].split("\n}\n")[0]
    assert "const double r0[] = {p[0], p[1], " in host and "fc_cuda::sums(ws, k_nll_0, pd, r0, 12," in host
    assert "__device__ const double dT0[] = {" in text


@pytest.mark.skipif(shutil.which("ptxas") is None, reason="needs the CUDA toolkit's ptxas")
def test_ptx_assembles(tmp_path: Path) -> None:
    from firmc.backends.llvm.ptx import ptx_text

    m, _ = tables_module(60, 300)
    programs = {"tables": firmc.compile(m, "llvm", "nll").artifact.program}
    programs |= {e: firmc.compile(MODULE, "llvm", e, optimize=0).artifact.program for e in ("params", "bools")}
    for name, program in programs.items():
        assert program is not None
        text = ptx_text(program)
        if name == "tables":
            assert "env = %0..%59" in text  # the table of 60 parameters: consecutive values of env
        path = tmp_path / f"{name}.ptx"
        path.write_text(text)
        run = subprocess.run(["ptxas", "-arch=sm_80", str(path), "-o", str(path.with_suffix(".cubin"))],
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, f"{name}:\n{run.stderr[-2000:]}"
