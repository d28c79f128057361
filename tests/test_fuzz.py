"""Fuzzing the front-ends (issue 10, "Reliability"): only a FirmError may come out of firmc.

Random inputs of every supported format go through the public entry points (``firmc.load``, ``load_pyhf`` with
patches, ``load_firm``, ``parse_expression``/``build_expression``, ``parse_module``), and what loads is compiled
for the interpreter and evaluated at its defaults and a few other points. Each input must end in success or a
:class:`~firmc.errors.FirmError`: any other exception (``KeyError``, ``RecursionError``, ``MemoryError`` ...)
fails the test, and so does an input that takes more than :data:`LIMIT` seconds (a SIGALRM timer, besides
hypothesis' ``deadline``).

Kinds of input (:data:`KINDS`; ``scripts/fuzz.py`` runs the same strategies for a time budget):

* ``hs3``: documents built from the registry (every type of :data:`~firmc.frontends.hs3.registry.TYPES` and
  ``histfactory_dist``, fields filled by their kind, in the spec or the ROOT dialect, with data and likelihoods);
  ``hs3-corrupt``: the same, and corpus files, with corruptions (:data:`CORRUPTIONS`: wrong types, missing
  fields, dangling references, cycles, deep nesting, huge, NaN and negative numbers, unicode names, empty
  strings ...);
* ``pyhf``: workspaces with every modifier type; ``pyhf-corrupt``: those and the corpus corrupted;
  ``pyhf-patch``: random JSON Patches applied to workspaces;
* ``amplitude``: the three-body corpus with corruptions (and amplitude-specific ones: spins, helicities,
  orbital momenta, topologies, weights);
* ``expr``: valid-shaped expressions of each dialect; ``expr-mutated``: them with characters deleted, inserted,
  swapped; ``expr-soup``: random token soups;
* ``firm``: generated programs; ``firm-mutated``: the example programs with tokens and lines deleted,
  duplicated, swapped, and random characters inserted;
* ``ir``: the IR text form (``firmc-ir 1``) of corpus models, mutated.

The runs are derandomized in CI (tests/conftest.py); explore with ``--hypothesis-profile=explore`` or with
``scripts/fuzz.py --seconds 600``. Bugs the fuzzer found are regression tests at the end of this file.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import firmc
from firmc.errors import FirmError, IRError, SourceError
from firmc.frontends.dsl import load_firm
from firmc.frontends.expr import DIALECTS
from firmc.frontends.hs3 import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register them)
from firmc.ir import parse_module
from fuzz_documents import amplitude_documents, corrupted, hs3_documents, pyhf_patched, pyhf_workspaces, run_pyhf_patch
from fuzz_harness import CORPUS, EXAMPLES, LIMIT, Big, Deep, JPath, JsonCase, at, attempt, run_json, stage, time_limit
from fuzz_texts import (
    ExprCase,
    expression_cases,
    generated_programs,
    mutated_expressions,
    mutated_ir,
    mutated_programs,
    run_expression,
    run_firm,
    run_ir,
    token_soups,
)


# ------------------------------------------------------------------------------------------------- kinds
@dataclass(frozen=True)
class Kind:
    """One kind of input: its strategy, how it runs, and how many examples the CI test tries."""

    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any], str]
    examples: int


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("hs3", hs3_documents(), run_json, 150),
    Kind("hs3-corrupt", corrupted(hs3_documents(), ("hs3", "roofit")), run_json, 150),
    Kind("pyhf", pyhf_workspaces(), run_json, 100),
    Kind("pyhf-corrupt", corrupted(pyhf_workspaces(), ("pyhf",)), run_json, 100),
    Kind("pyhf-patch", pyhf_patched(), run_pyhf_patch, 100),
    Kind("amplitude", amplitude_documents(), run_json, 50),
    Kind("expr", expression_cases(), run_expression, 150),
    Kind("expr-mutated", mutated_expressions(), run_expression, 150),
    Kind("expr-soup", token_soups(), run_expression, 250),
    Kind("firm", generated_programs(), run_firm, 100),
    Kind("firm-mutated", mutated_programs(), run_firm, 100),
    Kind("ir", mutated_ir(), run_ir, 100),
]}


def check(kind: str, case: Any) -> str:
    return attempt(kind, lambda: KINDS[kind].run(case))


def _test(kind: str) -> Callable[..., None]:
    k = KINDS[kind]

    @settings(max_examples=k.examples, deadline=timedelta(seconds=LIMIT + 5), database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=k.strategy)
    def test(case: Any) -> None:
        check(kind, case)

    test.__name__ = f"test_fuzz_{kind.replace('-', '_')}"
    test.__doc__ = f"Random {kind} inputs end in success or a FirmError, in bounded time."
    return test


test_fuzz_hs3 = _test("hs3")
test_fuzz_hs3_corrupt = _test("hs3-corrupt")
test_fuzz_pyhf = _test("pyhf")
test_fuzz_pyhf_corrupt = _test("pyhf-corrupt")
test_fuzz_pyhf_patch = _test("pyhf-patch")
test_fuzz_amplitude = _test("amplitude")
test_fuzz_expr = _test("expr")
test_fuzz_expr_mutated = _test("expr-mutated")
test_fuzz_expr_soup = _test("expr-soup")
test_fuzz_firm = _test("firm")
test_fuzz_firm_mutated = _test("firm-mutated")
test_fuzz_ir = _test("ir")


# ----------------------------------------------------------------------------------- fixed hard inputs
HARD_EXPRESSIONS = {
    "10 000 parentheses": "(" * 10_000 + "a" + ")" * 10_000,
    "10 000 unclosed parentheses": "(" * 10_000 + "a",
    "10 000 closing parentheses": "a" + ")" * 10_000,
    "100 000-term sum": " + ".join(["a"] * 100_000),
    "10 000 minus signs": "-" * 10_000 + "a",
    "10 000 nots": "!" * 10_000 + "a",
    "3 000 nested calls": "exp(" * 3_000 + "a" + ")" * 3_000,
    "3 000 nested powers": "a^" * 3_000 + "a",
    "3 000 nested ternaries": "a > 0 ? " * 3_000 + "1" + " : 2" * 3_000,
    "10 000 arguments": "max(" + ", ".join(["a"] * 10_000) + ")",
    "1 MB name": "a" * 1_000_000,
    "1 MB number": "1" * 1_000_000,
    "100 000 products": "*".join(["a"] * 100_000),
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("label", sorted(HARD_EXPRESSIONS))
def test_hard_expressions(label: str, dialect: str) -> None:
    text = HARD_EXPRESSIONS[label]
    attempt("expr-hard", lambda: run_expression(ExprCase(text, dialect)), limit=max(LIMIT, 30))


def test_hard_documents() -> None:
    """Long reference cycles and chains (no recursion: 5000 and 2000 objects; a chain compiles in O(n^2) in
    passes/fold.py, hence not longer), deep and long JSON, read from a dict and from a file."""
    cycle = {"metadata": {"hs3_version": "0.2"}, "functions": [
        {"name": f"f{i}", "type": "sum", "summands": [f"f{i + 1}", 1.0]} for i in range(5000)] + [
        {"name": "f5000", "type": "sum", "summands": ["f0"]}]}
    chain = {"metadata": {"hs3_version": "0.2"}, "functions": [
        {"name": f"f{i}", "type": "sum", "summands": [f"f{i + 1}" if i < 2000 else "a", 1.0]} for i in range(2001)],
        "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 1.0}]}]}
    generic = {"metadata": {"hs3_version": "0.2"}, "functions": [
        {"name": f"g{i}", "type": "generic_function", "expression": f"g{i + 1} * 2" if i < 1000 else "a"}
        for i in range(1001)], "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 1.0}]}]}
    docs = {"5000-long cycle": cycle, "2000-long chain": chain, "1000-long expression chain": generic,
            "deep metadata": {"metadata": {"hs3_version": "0.2", "x": Deep(100_000, "dict")}},
            "deep pyhf": {"channels": Deep(50_000, "list"), "measurements": []},
            "long data": {**chain, "data": [{"name": "d", "type": "unbinned", "axes": [{"name": "a"}],
                                             "entries": Big(300_000, [0.5])}],
                          "likelihoods": [{"name": "L", "distributions": ["f0"], "data": ["d"]}]}}
    for label, doc in docs.items():
        for via_file in (False, True):
            case = JsonCase(doc, via_file=via_file, notes=[label])
            attempt("hard", lambda case=case: run_json(case), limit=max(LIMIT, 60))  # type: ignore[misc]


# ---------------------------------------------------------------------------------------- regressions
def test_harness_reports_other_exceptions() -> None:
    """The harness itself: a FirmError is an outcome, anything else fails, and so does a hang."""
    def firm_error() -> str:
        stage("load")
        raise FirmError("x")

    assert attempt("self", firm_error) == "load: FirmError"
    with pytest.raises(AssertionError, match="KeyError escaped"):
        attempt("self", lambda: {}["k"])
    with pytest.raises(AssertionError, match=r"no answer within 0\.2 s"):
        attempt("self", lambda: time.sleep(5) or "", limit=0.2)


# Bugs the fuzzer found, fixed (in the front-ends and the IR text reader): each input now ends in a FirmError.
def _amplitude(*changes: tuple[JPath, Any], file: str = "Lc2ppiK.json") -> JsonCase:
    doc = json.loads((CORPUS / "threebody" / file).read_text())
    for path, value in changes:
        at(doc, path[:-1])[path[-1]] = value
    return JsonCase(doc)


CHAIN0 = ("distributions", 0, "decay_description", "chains", 0)
KINEMATICS = ("distributions", 0, "decay_description", "kinematics")
FIXED_JSON: dict[str, tuple[JsonCase, str]] = {
    # a spin of 1e9 or 1000000/2: a hang or a MemoryError building the helicity sums; 999/2 an OverflowError
    "propagator spin 1e9": (_amplitude(((*CHAIN0, "propagators", 0, "spin"), "1e9")), "is not in 0 .. 12"),
    "initial spin 2000001/2": (_amplitude(((*KINEMATICS, "initial_state", "spin"), "2000001/2")),
                               "is not in 0 .. 12"),
    "initial spin 999/2": (_amplitude(((*KINEMATICS, "initial_state", "spin"), "999/2")), "is not in 0 .. 12"),
    # a negative spin, or spins no chain couples to: "op 'add' takes 1.. arguments, got 0"
    "initial spin -1/2": (_amplitude(((*KINEMATICS, "initial_state", "spin"), "-1/2")), "is not in 0 .. 12"),
    "initial spin 12": (_amplitude(((*KINEMATICS, "initial_state", "spin"), "12")), "no chain couples"),
    # a parameter point value that is not a number: ValueError from float() in function_validations
    "checksum point value 'x'": (_amplitude((("parameter_points", 3, "parameters", 0, "value"), "x"),
                                            file="lc2ppik-lhcb-2683025.json"), "could not convert string to float"),
    # a number beyond the float range in a lineshape: OverflowError from library/hadronic.py
    "lineshape d 10**400": (_amplitude((("functions", 2, "d"), -(10**400))), "too large"),
    # counts near the float limit in a pyhf workspace: OverflowError squaring them, or in lgamma
    "pyhf count 1e308": (JsonCase({**json.loads((CORPUS / "pyhf" / "2-bin_1-channel.json").read_text()),
                                   "observations": [{"name": "singlechannel", "data": [1e308, 60.0]}]}),
                         "too large to compute with"),
    # a Gaussian constraint of width 0: ZeroDivisionError in histfactory/terms.py
    "pyhf sigmas 0": (JsonCase({**json.loads((CORPUS / "pyhf" / "example_bkgonly.json").read_text()),
                                "measurements": [{"name": "m", "config": {"poi": "SigXsecOverSM", "parameters": [
                                    {"name": "lumi", "auxdata": [1.0], "sigmas": [0.0], "inits": [1.0],
                                     "bounds": [[0.5, 1.5]]}]}}]}), "sigmas must be positive"),
    # bin counts of a density over (x, y) binned in x only: the expected counts depend on y, the NLL is an
    # array per event (TypeError in Compiled.nll)
    "bincounts over some observables": (JsonCase({
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "u", "type": "uniform_dist", "x": ["x", "y"]},
                          {"name": "b", "type": "bincounts_extended_dist", "rate": "a", "dist": "u",
                           "axes": [{"name": "x", "edges": [0.0, 10.0]}]}],
        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": 0.0, "max": 10.0},
                                                                     {"name": "y", "min": 0.0, "max": 10.0}]}],
        "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 0.5}]}]}),
        "must cover the observables of 'dist'; it also depends on y"),
    "pyhf staterror 1e308": (JsonCase({"version": "1.0.0", "channels": [{"name": "c", "samples": [
        {"name": "s", "data": [5.0, 1.0], "modifiers": [{"name": "st", "type": "staterror", "data": [1e308, 1.0]},
                                                        {"name": "mu", "type": "normfactor", "data": None}]}]}],
        "observations": [{"name": "c", "data": [5.0, 1.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]}), "too large to compute with"),
}


@pytest.mark.parametrize("label", sorted(FIXED_JSON))
def test_fixed_json(label: str) -> None:
    case, words = FIXED_JSON[label]
    with time_limit(LIMIT), pytest.raises(FirmError, match=re.escape(words)):
        run_json(case)


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("data")
    (d / "long_field.csv").write_text("x\n" + "1" * 200_000 + "\n")
    (d / "empty.npy").write_bytes(b"")
    np.save(d / "ok.npy", np.array([0.5, 0.25]))
    raw = (d / "ok.npy").read_bytes()
    assert b"'shape': (2,)" in raw
    (d / "huge.npy").write_bytes(raw.replace(b"'shape': (2,)", b"'shape': (10000000000000,)"))
    np.save(d / "complex.npy", np.array([0.5 + 1j]))
    np.savez(d / "arrays.npz", x=np.array([0.5]))
    os.mkfifo(d / "fifo")
    (d / "dir").mkdir()
    return d


FIXED_DATA = {  # file -> the words of the SourceError (before: a hang, csv.Error, EOFError, MemoryError ...)
    ("csv", "/dev/zero"): "not a regular file",  # read without end
    ("npy", "/dev/zero"): "not a regular file",
    ("csv", "fifo"): "not a regular file",  # open() blocks
    ("csv", "dir"): "not a regular file",
    ("csv", "long_field.csv"): "field larger than field limit",  # _csv.Error
    ("npy", "empty.npy"): "empty or truncated",  # EOFError
    ("npy", "huge.npy"): "mmap length is greater than file size",  # MemoryError: 73 TiB
    ("npy", "complex.npy"): "expected finite real numbers",  # the imaginary parts were dropped
    ("npy", "arrays.npz"): "found an archive of arrays",  # AttributeError on NpzFile
}


@pytest.mark.parametrize(("reader", "file"), sorted(FIXED_DATA))
def test_fixed_data_files(data_files: Path, reader: str, file: str) -> None:
    text = f'observable x in [0, 1]\ndata d = {reader}("{file}", x)\n'
    with time_limit(LIMIT), pytest.raises(SourceError, match=re.escape(FIXED_DATA[(reader, file)])):
        load_firm(text, base=data_files)


def test_fixed_data_before_its_observable() -> None:
    """StopIteration in dsl/data.py: the observable's domain was looked up before its declaration was read."""
    with pytest.raises(SourceError, match="observable 'x' must be declared before the data") as info:
        load_firm('data d = csv("gauss_exp.csv", x)\nobservable x in [0, 10]\n', base=EXAMPLES)
    assert info.value.line == 1 and info.value.column == 31


IR_HEAD = 'firmc-ir 1\nparameter "a" 1.0 -inf inf\n'
FIXED_IR = {  # a node line -> the IRError's words (before: ValueError, JSONDecodeError, KeyError at compile)
    '%0 = const[dtype="cmplx", value=1.0] : real/const': "'cmplx' is not a valid DType",
    '%0 = param[name="a"] : real/pa0/0ram': "is not a valid Var",
    '%0 = param[name="\\q"] : real/param': "Invalid \\escape",
    '%0 = const[dtype="real", evalu=-0.5] : real/const': "const needs the attribute 'value'",
    '%0 = param"a"] : real/param': "param needs the attribute 'name'",  # the rest of the line was ignored
    '%0 = param[nme="a"] : real/param': "param needs the attribute 'name'",
    '%0 = param[name="a"] : real/param trailing': "expected end, found 'trailing'",
    '%0 = const[dtype="real", value=' + "(" * 5000 + "1" + ")" * 5000 + '] : real/const': "maximum recursion depth",
}


@pytest.mark.parametrize("line", sorted(FIXED_IR))
def test_fixed_ir_text(line: str) -> None:
    text = IR_HEAD + line + '\nentry function "f" = %0\n'
    with pytest.raises(IRError, match=re.escape(FIXED_IR[line])) as info:
        parse_module(text)
    assert str(info.value).startswith("IR text line 3: "), str(info.value)


# Bugs the fuzzer found beyond the front-ends, fixed.
@pytest.mark.parametrize("target", ["interp", "numpy", "jax", "torch", "llvm", "cpp"])
def test_fixed_arithmetic_on_truth_values(target: str) -> None:
    """-(a > 0), (a > 0) - (a < 0) raised TypeError (NumPy refuses negative and subtract of booleans), and
    (a > 0) + (b > 0) was True on NumPy where C++ gives 2: the front-end now reads a truth value in arithmetic as
    1 or 0 (as C++ and Julia do), and the IR refuses arithmetic on truth values."""
    doc = {"metadata": {"hs3_version": "0.2"}, "functions": [
        {"name": "f", "type": "generic_function", "expression": "10 * ((a > 0) + (b > 0)) - (a < 0) + exp(b > 0)"},
        {"name": "g", "type": "generic_function", "expression": "-(a > 0)"}],
        "parameter_points": [{"name": "p", "parameters": [{"name": "a", "value": 1.0}, {"name": "b", "value": 1.0}]}]}
    m = firmc.load(doc)
    for a, b in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (0.0, 2.0)]:
        expected_f = 10 * ((a > 0) + (b > 0)) - (a < 0) + math.exp(b > 0)
        assert float(firmc.compile(m, target, "f")({"a": a, "b": b})) == expected_f
        assert float(firmc.compile(m, target, "g")({"a": a})) == -(a > 0)
    with pytest.raises(IRError, match="op 'neg' takes numbers, got a truth value"):
        parse_module(IR_HEAD + '%0 = param[name="a"] : real/param\n%1 = const[dtype="real", value=0.0] : real/const\n'
                     '%2 = gt(%0, %1) : bool/param\n%3 = neg(%2) : int/param\nentry function "f" = %3\n')


def test_fixed_ir_references() -> None:
    """What IR text may name that the module lacks: a KeyError in the compiler (a data set), in Node.attr (an
    attribute) or in the normalisation pass (a rule)."""
    param_a = '%0 = param[name="a"] : real/param\n'
    no_data = parse_module(IR_HEAD + param_a + '%1 = datasum[binds=("x"), dataset="events"](%0) : real/param\n'
                           'entry likelihood "L" = %1\n')
    with pytest.raises(FirmError, match="sums over the data set 'events', which the model does not hold"):
        firmc.compile(no_data, "interp", "L")
    with pytest.raises(IRError, match="IR text line 4: datasum needs the attribute 'dataset'"):
        parse_module(IR_HEAD + param_a + '%1 = datasum[binds=("x")](%0) : real/param\nentry likelihood "L" = %1\n')
    with pytest.raises(IRError, match="IR text line 3: obs: the attribute 'lo' cannot be 'zero'"):
        parse_module(IR_HEAD + '%0 = obs[hi=1.0, lo="zero", name="x"] : real/event\n')
    no_rule = parse_module(IR_HEAD + 'observable "x" 0.0 1.0\n%0 = obs[hi=1.0, lo=0.0, name="x"] : real/event\n'
                           '%1 = normalize[rule="gausian"](%0, %0) : real/event\n'
                           'entry distribution "g" = %1 over ("x")\n')
    with pytest.raises(IRError, match="normalize: unknown rule 'gausian'; did you mean 'gaussian'"):
        firmc.compile(no_rule, "interp", "g")


def test_fixed_huge_orbital_momentum() -> None:
    """l = 10**18 in a Blatt-Weisskopf form factor: a polynomial of that degree was built (a hang, then a
    MemoryError)."""
    with time_limit(LIMIT), pytest.raises(FirmError, match=r"expected an integer in 0 \.\. 12 \(firmc's limit\)"):
        run_json(_amplitude((("functions", 1, "l"), 10**18)))


def test_fixed_real_power_normalisation() -> None:
    """x^2 + x^c / 2 over [-5, 5]: SymPy's integral of x^c there is complex (a negative base), the program came
    out complex and Compiled.nll raised TypeError; now quadrature normalises it (Z = 250/3 at c = 3)."""
    doc = {"metadata": {"hs3_version": "0.2"},
           "distributions": [{"name": "p", "type": "power_sum_dist", "x": "x", "coefficients": [1.0, 0.5],
                              "exponents": [2.0, "c"]}],
           "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -5.0, "max": 5.0},
                                                                        {"name": "c", "min": -5.0, "max": 5.0}]}],
           "parameter_points": [{"name": "p", "parameters": [{"name": "c", "value": 3.0}]}]}
    f = firmc.compile(firmc.load(doc), "interp", "p")
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(f({"x": x}), (x**2 + 0.5 * x**3) / (250 / 3), rtol=1e-9)
    assert f.nll({"x": x}) == pytest.approx(-np.log((x**2 + 0.5 * x**3) / (250 / 3)).sum(), rel=1e-9)
