"""The HS3 writer: load -> write (spec and ROOT dialects) -> load keeps every entry's values, the parameters and
the observables; expressions in both dialects; foreign objects; deterministic output."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import firmc
from backends import corpus_entries
from firmc.errors import UnsupportedFeature
from firmc.frontends.expr import expression_to_ir
from firmc.interp import evaluate
from firmc.ir import Entry, Module, Node, Observable, Parameter, apply, obs, param
from firmc.testing import every_op_module
from firmc.writers import write_hs3
from firmc.writers.hs3.expression import to_expression
from roundtrip import assert_same_values, assert_same_variables

DIALECTS = ("spec", "root")
CORPUS_FILES = sorted({f for f, _ in corpus_entries()})


def round_trip(m: Module, dialect: str, **kw: Any) -> tuple[Module, dict[str, str], dict[str, Any]]:
    """Write ``m`` (through JSON text), load it back; also the map original name -> written name."""
    doc = write_hs3(m, dialect, **kw)  # type: ignore[arg-type]
    text = json.dumps(doc, sort_keys=True)
    back = firmc.load(json.loads(text))
    names = {orig: new for new, orig in doc["misc"]["firmc"].get("original_names", {}).items()}
    return back, names, doc


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.split("/")[-1])
def test_corpus_round_trip(path: str, dialect: str) -> None:
    m = firmc.load(path)
    back, names, _ = round_trip(m, dialect)
    assert_same_variables(m, back, names)
    assert_same_values(m, back, names)
    for k, e in m.entries.items():
        assert back.entries[names.get(k, k)].kind == e.kind, k


@pytest.mark.parametrize("dialect", DIALECTS)
def test_deterministic(dialect: str) -> None:
    for path in CORPUS_FILES:
        a = json.dumps(write_hs3(firmc.load(path), dialect))  # type: ignore[arg-type]
        b = json.dumps(write_hs3(firmc.load(path), dialect))  # type: ignore[arg-type]
        assert a == b
        assert a == json.dumps(json.loads(a), sort_keys=True)


def test_types_written(corpus: Any) -> None:
    def types(name: str, dialect: str) -> set[str]:
        doc = write_hs3(firmc.load(corpus / "roofit" / name), dialect)  # type: ignore[arg-type]
        return {o["type"] for o in doc.get("distributions", [])}

    assert types("argus.json", "root") == {"ARGUS_dist"} and types("argus.json", "spec") == {"argus_dist"}
    assert types("cbshape.json", "root") == {"crystalball_dist"}
    assert types("cbshape.json", "spec") == {"generic_dist"}  # the spec's crystalball_dist is double-sided
    assert types("crystalball_2sided.json", "root") == {"crystalball_doublesided_dist"}
    assert types("crystalball_2sided.json", "spec") == {"crystalball_dist"}
    assert types("extended_pdf.json", "root") == {"extend_pdf", "gaussian_dist"}
    assert types("extended_pdf.json", "spec") == {"rate_extended_dist", "gaussian_dist"}
    assert types("multivar_gaussian.json", "root") == {"multivariate_normal_dist"}
    pois = write_hs3(firmc.load(corpus / "roofit" / "poisson.json"), "root")["distributions"][0]
    assert pois["type"] == "poisson_dist" and pois["integer"] is True
    meta = write_hs3(firmc.load(corpus / "roofit" / "gaussian.json"), "root")["metadata"]
    assert meta == {"hs3_version": "0.2", "packages": [{"name": "ROOT", "version": "6.40.00"}]}


def test_entries_subset_writes_dependencies(corpus: Any) -> None:
    m = firmc.load(corpus / "roofit" / "sum_add_pdf.json")
    doc = write_hs3(m, "spec", entries=["model"])
    assert {o["name"] for o in doc["distributions"]} == {"model", "sig", "bkg"}
    back = firmc.load(doc)
    assert_same_values(m, back, {}, ["model"])


def test_likelihood_and_data(corpus: Any) -> None:
    m = firmc.load(corpus / "hs3" / "combine_long_exercise_part1_nosys.json")
    assert any(e.kind == "likelihood" for e in m.entries.values()) or m.datasets
    ex = firmc.load(corpus.parents[1] / "main" / "examples" / "gauss_exp.hs3.json") \
        if (corpus.parents[1] / "main" / "examples" / "gauss_exp.hs3.json").exists() else None
    for mod in [x for x in (m, ex) if x is not None]:
        for dialect in DIALECTS:
            back, names, doc = round_trip(mod, dialect)
            for lik in (k for k, e in mod.entries.items() if e.kind == "likelihood"):
                f, g = firmc.compile(mod, "interp", lik), firmc.compile(back, "interp", names.get(lik, lik))
                np.testing.assert_allclose(g({}), f({}), rtol=1e-12)
            assert {d["name"] for d in doc.get("data", [])} >= {names.get(d, d) for d in mod.datasets}


def test_binned_data_round_trip() -> None:
    from firmc.ir import Dataset

    x = obs("x", 0.0, 3.0)
    m = Module(observables={"x": Observable("x", 0.0, 3.0)})
    m.datasets["u"] = Dataset("u", {"x": np.array([0.5, 1.5, 2.5])}, np.array([1.0, 4.0, 2.0]), "binned",
                              {"x": (0.0, 3.0)})
    m.datasets["v"] = Dataset("v", {"x": np.array([0.25, 1.0, 2.25])}, np.array([1.0, 4.0, 2.0]), "binned",
                              {"x": (0.0, 3.0)})
    m.entries["f"] = Entry("f", "function", x * 2.0)
    doc = write_hs3(m)
    axes = {d["name"]: d["axes"][0] for d in doc["data"]}
    assert axes["u"] == {"max": 3.0, "min": 0.0, "name": "x", "nbins": 3}
    assert axes["v"] == {"edges": [0.0, 0.5, 1.5, 3.0], "name": "x"}
    back = firmc.load(doc)
    for k in ("u", "v"):
        np.testing.assert_array_equal(back.datasets[k].columns["x"], m.datasets[k].columns["x"])
        np.testing.assert_array_equal(back.datasets[k].weights, m.datasets[k].weights)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- expressions
def _values(e: Node, env: dict[str, float]) -> float:
    return float(evaluate([e], env)[0])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", [
    "2/3*a", "a - (b - c)", "(a + b) + c", "-a^2", "(-a)^2", "a^b^c", "-(-a)", "a*-b", "max(a, b) - min(a, c)",
    "a < b ? (b < c ? 1 : 2) : -3", "!(a < b) && (b > c || a >= c)", "exp(a) / (1 + exp(-b))", "abs(a - b)",
    "a === b ? 1 : 0", "atan2(a, b) + sqrt(c)",
])
def test_expression_round_trip(text: str, dialect: str) -> None:
    env = {"a": 0.7, "b": 1.3, "c": 0.4}
    node = expression_to_ir(text, "hs3")
    printed = to_expression(node, dialect)  # type: ignore[arg-type]
    back = expression_to_ir(printed, "hs3" if dialect == "spec" else "root")
    assert _values(back, env) == _values(node, env), (text, printed)


def test_root_expression_quirks() -> None:
    x, a = obs("x", 0.0, 1.0), param("a")
    assert to_expression(apply("exp", x), "root") == "exp((x))"  # TFormula reads exp(x) as a TF1 of x
    assert "max" not in to_expression(apply("max", x, a), "root")
    assert to_expression(param("a") / 3, "root") == "a/3.0"  # floating literals: 2/3 is not 0
    assert "PI" not in to_expression(a * np.pi, "spec") and "3.141592653589793" in to_expression(a * np.pi, "root")
    assert to_expression(a ** 2.0, "root") == "pow(a, 2.0)"
    assert to_expression(a ** 2.0, "spec") == "a^2.0"


def test_deep_and_shared_graphs() -> None:
    a = param("a")
    deep = a
    for k in range(3000):
        deep = apply("sin", deep) + float(k % 7)
    shared = a
    for _ in range(60):  # 2^60 terms if written out
        shared = shared * shared + 1.0
        shared = apply("sqrt", apply("abs", shared)) * 0.5
    m = Module(parameters={"a": Parameter("a", 0.3)})
    m.entries["deep"] = Entry("deep", "function", deep)
    m.entries["shared"] = Entry("shared", "function", shared)
    for dialect in DIALECTS:
        doc = write_hs3(m, dialect)  # type: ignore[arg-type]
        assert len(json.dumps(doc)) < 500_000
        back = firmc.load(doc)
        for e in ("deep", "shared"):
            assert _values(back.entries[e].expr, {"a": 0.3}) == pytest.approx(_values(m.entries[e].expr, {"a": 0.3}),
                                                                              rel=1e-12)


# ------------------------------------------------------------------------------------------- foreign
def test_every_op_spec_round_trip() -> None:
    m = every_op_module()
    back, names, doc = round_trip(m, "spec")
    types = {o["type"] for sec in ("functions", "distributions") for o in doc.get(sec, [])}
    assert {"firmc_ir", "generic_function"} <= types
    assert_same_values(m, back, names)


def test_root_without_hook_raises() -> None:
    m = every_op_module()
    with pytest.raises(UnsupportedFeature, match="complex-valued"):
        write_hs3(m, "root", entries=["op:complex"], foreign=lambda name, node, kind: None)
    with pytest.raises(UnsupportedFeature, match=r"function 'op:round': op 'round' has no form .*foreign="):
        write_hs3(m, "root", entries=["op:round"])


def test_foreign_hook() -> None:
    m = every_op_module()
    seen: list[tuple[str, str]] = []

    def hook(name: str, node: Node, kind: str) -> dict[str, Any] | None:
        seen.append((name, node.op))
        assert node.op == "normalize" or node.type.dtype.value == "real"
        return None  # provided outside the document (a RooFit object of that name)

    doc = write_hs3(m, "root", entries=["op:lgamma", "op:round", "op:landau", "every_op"], foreign=hook)
    written = {o["name"] for sec in ("functions", "distributions") for o in doc.get(sec, [])}
    assert seen and all(name not in written for name, _ in seen)
    assert len({n for n, _ in seen}) == len(seen)  # fresh names
    assert "op_lgamma" in written and ("op_round", "round") in seen  # names mangled for ROOT
    assert doc["misc"]["firmc"]["original_names"]["op_round"] == "op:round"
    got = write_hs3(m, "root", entries=["every_op"], foreign=hook)
    assert json.dumps(got) == json.dumps(write_hs3(m, "root", entries=["every_op"], foreign=hook))


def test_validations_and_generic_observables() -> None:
    from firmc.ir import Validation

    x = obs("x", 0.0, 2.0)
    m = Module(observables={"x": Observable("x", 0.0, 2.0)}, parameters={"a": Parameter("a", 0.5, 0.0, 1.0)})
    m.entries["g"] = Entry("g", "distribution", apply("normalize", apply("exp", -param("a") * x), rule=""), ("x",))
    m.validations.append(Validation("g", {"x": 1.0, "a": 0.5}, 0.123, 1e-6, "ref"))
    for dialect in DIALECTS:
        back, names, doc = round_trip(m, dialect)
        assert doc["distributions"][0]["type"] == "generic_dist"
        assert "x" in back.observables  # only misc.firmc.observables says so: x is used in an expression only
        assert back.validations == m.validations
        assert_same_values(m, back, names)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_integer_division_of_root_expressions(dialect: str) -> None:
    """TFormula's 3/2 is 1 (C++ integers); the writer prints every literal floating, so it spells the truncation
    out instead of writing 3.0/2.0."""
    node = expression_to_ir("3/2*a - 7/2 + a/2", "root")
    back = expression_to_ir(to_expression(node, dialect), "hs3" if dialect == "spec" else "root")  # type: ignore[arg-type]
    assert _values(back, {"a": 3.0}) == _values(node, {"a": 3.0}) == 3.0 - 3.0 + 1.5
