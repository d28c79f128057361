"""Bad input of every kind ends in a FirmError that says where (DESIGN.md "Errors").

For JSON the message names the file and the JSON path (``distributions[3].coefficients[1]``); for expression
text it is ``origin:line:col`` with the source line and a caret, the origin being the JSON path of the
expression field. No other exception type escapes ``firmc.load``/``firmc.compile``/evaluation, and the CLI
prints ``firmc: error: ...`` without a traceback and exits 2.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import firmc
from firmc.cli import main
from firmc.errors import EvaluationError, FirmError, FormatError, SourceError, UnknownName, UnsupportedFeature
from firmc.frontends import jsonread
from firmc.frontends.hs3.registry import TYPES
from fuzz_harness import all_paths, at

CORPUS = Path("/work/shared/corpus")
SUM_ADD_PDF = CORPUS / "roofit" / "sum_add_pdf.json"
ROOT = Path(__file__).resolve().parents[1]

# A small valid document touching every section: distributions, functions (also an expression), domains,
# parameter points, unbinned and binned data, a likelihood.
BASE: dict[str, Any] = {
    "metadata": {"hs3_version": "0.2"},
    "distributions": [
        {"name": "sig", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": "width"},
        {"name": "bkg", "type": "exponential_dist", "x": "x", "c": "c"},
        {"name": "model", "type": "mixture_dist", "summands": ["sig", "bkg"], "coefficients": ["frac"]},
        {"name": "poly", "type": "polynomial_dist", "x": "x", "coefficients": ["a0", "a1"]},
    ],
    "functions": [
        {"name": "shifted", "type": "sum", "summands": ["mu", 1.0]},
        {"name": "expr", "type": "generic_function", "expression": "mu * 2 + width"},
    ],
    "domains": [{"name": "d", "type": "product_domain", "axes": [
        {"name": "x", "min": 0, "max": 10}, {"name": "mu", "min": 0, "max": 10},
        {"name": "width", "min": 0.1, "max": 5}, {"name": "frac", "min": 0, "max": 1}]}],
    "parameter_points": [{"name": "default", "parameters": [
        {"name": "mu", "value": 5}, {"name": "width", "value": 1}, {"name": "c", "value": 0.3},
        {"name": "frac", "value": 0.5, "const": False}, {"name": "a0", "value": 1.0},
        {"name": "a1", "value": 0.1}]}],
    "data": [
        {"name": "obs_data", "type": "unbinned", "axes": [{"name": "x", "min": 0, "max": 10}],
         "entries": [[1.0], [2.0]]},
        {"name": "hist", "type": "binned", "axes": [{"name": "x", "min": 0, "max": 10, "nbins": 2}],
         "contents": [3, 4]},
    ],
    "likelihoods": [{"name": "L", "distributions": ["model"], "data": ["obs_data"]}],
}

DELETE = object()


def mutated(*changes: tuple[tuple[str | int, ...], Any], doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of ``doc`` (default BASE) with ``value`` put at each ``path`` (DELETE removes the key;
    an index one past the end of a list appends)."""
    out = copy.deepcopy(BASE if doc is None else doc)
    for path, value in changes:
        cur: Any = out
        for key in path[:-1]:
            cur = cur[key]
        last = path[-1]
        if value is DELETE:
            del cur[last]
        elif isinstance(cur, list) and isinstance(last, int) and last == len(cur):
            cur.append(value)
        else:
            cur[last] = value
    return out


def load_error(source: Any) -> FirmError:
    """The FirmError ``firmc.load(source)`` raises (any other outcome fails the test)."""
    with pytest.raises(FirmError) as info:
        firmc.load(source)
    return info.value


def check_message(err: BaseException, kind: type[FirmError], parts: tuple[str, ...]) -> None:
    assert type(err) is kind, f"{type(err).__name__}: {err}"
    for part in parts:
        assert part in str(err), f"{part!r} not in {str(err)!r}"


def test_base_document_is_valid() -> None:
    m = firmc.load(BASE)
    assert set(m.entries) == {"sig", "bkg", "model", "poly", "shifted", "expr", "L"}
    assert np.isfinite(firmc.compile(m, entry="L")())


# ------------------------------------------------------------------------------------------ the JSON text

TRUNCATE_AT = (0, 1, 2, 10, 50, 100, 500, 868, 1000, 1736)


@pytest.mark.parametrize("offset", TRUNCATE_AT)
def test_truncated_corpus_file(tmp_path: Path, offset: int) -> None:
    raw = SUM_ADD_PDF.read_bytes()
    assert len(raw) == 1737 and offset < len(raw)
    path = tmp_path / "cut.json"
    path.write_bytes(raw[:offset])
    err = load_error(path)
    check_message(err, FormatError, (str(path), "invalid JSON at line", "column"))


def _deep(n: int) -> bytes:
    return b"[" * n


FILE_CASES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("empty", b"", ("invalid JSON at line 1 column 1", "Expecting value")),
    ("whitespace", b"  \n\t ", ("invalid JSON at line 2",)),
    ("binary", bytes(range(256)) * 8, ("invalid JSON at line 1 column 1",)),
    ("latin-1", '{"metadata": {"hs3_version": "0.2", "note": "caf\xe9"}}'.encode("latin-1"),
     ("cannot read JSON", "utf-8", "can't decode byte 0xe9")),
    ("top-level array", b'[{"metadata": {"hs3_version": "0.2"}}]',
     ("expected a JSON object at the top level, found a list",)),
    ("top-level number", b"3.5", ("expected a JSON object at the top level, found a number",)),
    ("top-level string", b'"model"', ("expected a JSON object at the top level, found a string",)),
    ("top-level null", b"null", ("expected a JSON object at the top level, found null",)),
    ("100 000 [", _deep(100_000), ("JSON nested too deeply",)),
    ("100 000 [ closed", _deep(100_000) + b"]" * 100_000, ("JSON nested too deeply",)),
    ("100 000 objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, ("JSON nested too deeply",)),
    ("NaN literal", b'{"metadata": {"hs3_version": "0.2"}, "x": NaN}', ("'NaN' is not valid JSON",)),
    ("Infinity literal", b'{"metadata": {"hs3_version": "0.2"}, "x": [Infinity]}',
     ("'Infinity' is not valid JSON",)),
    ("-Infinity literal", b'{"metadata": {"hs3_version": "0.2"}, "x": -Infinity}',
     ("'-Infinity' is not valid JSON",)),
    ("huge integer literal", b'{"metadata": {"hs3_version": "0.2"}, "x": 1' + b"0" * 5000 + b"}",
     ("cannot read JSON", "digits")),
    ("unpaired surrogate", b'{"metadata": {"hs3_version": "0.2"}, "distributions": [{"name": "\\ud800"}]}',
     ("distributions[0].name", "unpaired surrogate", "\\ud800")),
    ("unpaired surrogate key", b'{"metadata": {"hs3_version": "0.2", "\\udc80": 1}}',
     ("metadata", "unpaired surrogate", "\\udc80")),
    ("no known format", b'{"channel": []}', ("cannot tell the format",)),
]


@pytest.mark.parametrize(("label", "data", "parts"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file(tmp_path: Path, label: str, data: bytes, parts: tuple[str, ...]) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(data)
    err = load_error(path)
    check_message(err, FormatError, (str(path), *parts))


def test_paired_surrogates_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "emoji.json"
    path.write_bytes(b'{"metadata": {"hs3_version": "0.2", "note": "\\ud83d\\ude00"}}')
    assert firmc.load(path).entries == {}


def test_missing_file(tmp_path: Path) -> None:
    err = load_error(tmp_path / "nope.json")
    check_message(err, FormatError, (str(tmp_path / "nope.json"), "cannot read file", "No such file"))


def test_directory_as_model(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    check_message(err, FormatError, (str(tmp_path), "cannot read file", "directory"))


def test_name_with_nul_byte() -> None:
    check_message(load_error("model\0.json"), FormatError, ("cannot read file", "null byte"))


@pytest.mark.parametrize("source", [None, 3, ["x"], b"{}"], ids=["None", "int", "list", "bytes"])
def test_source_of_wrong_type(source: Any) -> None:
    check_message(load_error(source), FormatError, ("expected a file name or a JSON object",))


def test_dict_that_is_not_json() -> None:
    check_message(load_error({"metadata": {"hs3_version": "0.2"}, 1: "a"}), FormatError,
                  ("the model dict is not a JSON document",))


def test_huge_number_parses_to_inf(tmp_path: Path) -> None:
    text = json.dumps(BASE).replace('"value": 0.3', '"value": 1e400')
    assert "1e400" in text
    path = tmp_path / "big.json"
    path.write_text(text)
    check_message(load_error(path), FormatError,
                  (str(path), "parameter_points[0].parameters[2].value", "expected a finite number"))


# ------------------------------------------------------------------------------------------- field types

FIELD_CASES: list[tuple[str, tuple[tuple[tuple[str | int, ...], Any], ...], type[FirmError], tuple[str, ...]]] = [
    ("distributions not a list", ((("distributions",), {"name": "sig"}),), FormatError,
     ("distributions: expected a list, found an object",)),
    ("item not an object", ((("distributions", 0), "sig"),), FormatError,
     ("distributions[0]: expected an object, found a string",)),
    ("name a number", ((("distributions", 0, "name"), 3),), FormatError,
     ("distributions[0].name: expected a string, found a number",)),
    ("name empty", ((("distributions", 0, "name"), ""),), FormatError,
     ("distributions[0].name: expected a non-empty string",)),
    ("name missing", ((("distributions", 0, "name"), DELETE),), FormatError,
     ("distributions[0]: missing required field 'name'",)),
    ("type a list", ((("distributions", 0, "type"), ["gaussian_dist"]),), FormatError,
     ("distributions[0].type: expected a string, found a list",)),
    ("type missing", ((("distributions", 0, "type"), DELETE),), FormatError,
     ("distributions[0]: 'sig' has no 'type'",)),
    ("mean an object", ((("distributions", 0, "mean"), {"name": "mu"}),), FormatError,
     ("distributions[0].mean: expected a name or a number, found dict",)),
    ("mean a list", ((("distributions", 0, "mean"), ["mu"]),), FormatError,
     ("distributions[0].mean: expected a name or a number, found list",)),
    ("mean a boolean", ((("distributions", 0, "mean"), True),), FormatError,
     ("distributions[0].mean: expected a name or a number, found bool",)),
    ("mean null", ((("distributions", 0, "mean"), None),), FormatError,
     ("distributions[0]: gaussian_dist 'sig' is missing required field 'mean'",)),
    ("mean a huge integer", ((("distributions", 0, "mean"), 10**400),), FormatError,
     ("distributions[0].mean: expected a finite number, found an integer too large for a float",)),
    ("observable a number", ((("distributions", 0, "x"), 1.0),), FormatError,
     ("distributions[0].x: expected a name, found float",)),
    ("coefficients a number", ((("distributions", 3, "coefficients"), 2.0),), FormatError,
     ("distributions[3].coefficients: expected a list, found a number",)),
    ("coefficients an object", ((("distributions", 3, "coefficients"), {"a": 1}),), FormatError,
     ("distributions[3].coefficients: expected a name or a number, found dict",)),
    ("coefficient an object", ((("distributions", 3, "coefficients", 1), {"a": 1}),), FormatError,
     ("distributions[3].coefficients[1]: expected a name or a number, found dict",)),
    ("summand a number", ((("distributions", 2, "summands", 1), 1.0),), FormatError,
     ("distributions[2].summands[1]: expected a name, found float",)),
    ("extended a string", ((("distributions", 2, "extended"), "yes"),), FormatError,
     ("distributions[2].extended: expected a boolean, found a string",)),
    ("expression a number", ((("functions", 1, "expression"), 5),), FormatError,
     ("functions[1].expression: expected a string, found a number",)),
    ("expression empty", ((("functions", 1, "expression"), ""),), FormatError,
     ("functions[1].expression: expected a non-empty string",)),
    ("metadata missing", ((("metadata",), DELETE),), FormatError, ("missing required field 'metadata'",)),
    ("hs3_version a number", ((("metadata", "hs3_version"), 0.2),), FormatError,
     ("metadata.hs3_version: expected the HS3 version as a string",)),
    ("packages not a list", ((("metadata", "packages"), 5),), FormatError,
     ("metadata.packages: expected a list, found a number",)),
    ("parameter value a string", ((("parameter_points", 0, "parameters", 0, "value"), "5"),), FormatError,
     ("parameter_points[0].parameters[0].value: expected a number, found a string",)),
    ("parameter value NaN", ((("parameter_points", 0, "parameters", 0, "value"), math.nan),), FormatError,
     ("parameter_points[0].parameters[0].value: expected a finite number",)),
    ("parameter value inf", ((("parameter_points", 0, "parameters", 0, "value"), math.inf),), FormatError,
     ("parameter_points[0].parameters[0].value: expected a finite number",)),
    ("parameter value huge integer", ((("parameter_points", 0, "parameters", 0, "value"), 10**400),),
     FormatError, ("parameter_points[0].parameters[0].value: expected a finite number, found an integer",)),
    ("parameter const a string", ((("parameter_points", 0, "parameters", 3, "const"), "false"),), FormatError,
     ("parameter_points[0].parameters[3].const: expected a boolean, found a string",)),
    ("parameters an object", ((("parameter_points", 0, "parameters"), {}),), FormatError,
     ("parameter_points[0].parameters: expected a list, found an object",)),
    ("parameter point a string", ((("parameter_points", 0), "default"),), FormatError,
     ("parameter_points[0]: expected an object, found a string",)),
    ("domains an object", ((("domains",), {}),), FormatError, ("domains: expected a list, found an object",)),
    ("domain axes a string", ((("domains", 0, "axes"), "x"),), FormatError,
     ("domains[0].axes: expected a list, found a string",)),
    ("domain min a string", ((("domains", 0, "axes", 0, "min"), "zero"),), FormatError,
     ("domains[0].axes[0].min: expected a number, found a string",)),
    ("domain min NaN", ((("domains", 0, "axes", 0, "min"), math.nan),), FormatError,
     ("domains[0].axes[0].min: expected a finite number",)),
    ("domain min above max", ((("domains", 0, "axes", 0, "min"), 20),), FormatError,
     ("domains[0].axes[0]: min 20.0 is above max 10.0",)),
    ("data entries ragged", ((("data", 0, "entries"), [[1.0], [2.0, 3.0]]),), FormatError,
     ("data[0].entries[1]: an entry needs 1 values (one per axis), found 2",)),
    ("data entries not a list", ((("data", 0, "entries"), 5),), FormatError,
     ("data[0].entries: expected a list, found a number",)),
    ("data entry a string", ((("data", 0, "entries", 1), "2.0"),), FormatError,
     ("data[0].entries[1]: expected a list, found a string",)),
    ("data value a string", ((("data", 0, "entries", 1), ["2.0"]),), FormatError,
     ("data[0].entries[1][0]: expected a number, found a string",)),
    ("data value a boolean", ((("data", 0, "entries", 0), [True]),), FormatError,
     ("data[0].entries[0][0]: expected a number, found a boolean",)),
    ("data value NaN", ((("data", 0, "entries", 1), [math.nan]),), FormatError,
     ("data[0].entries[1][0]: expected a finite number",)),
    ("data value outside the axis", ((("data", 0, "entries"), [[1.0], [11.0]]),), FormatError,
     ("data[0].entries[1]: value 11.0 of 'x' is outside the axis range [0.0, 10.0]",)),
    ("data weights too few", ((("data", 0, "weights"), [1.0]),), FormatError,
     ("data[0].weights: 1 weights for 2 entries",)),
    ("data weight a string", ((("data", 0, "weights"), [1.0, "w"]),), FormatError,
     ("data[0].weights[1]: expected a number, found a string",)),
    ("data name a number", ((("data", 0, "name"), 1),), FormatError,
     ("data[0].name: expected a string, found a number",)),
    ("data duplicate name", ((("data", 1, "name"), "obs_data"),), FormatError,
     ("data[1].name: duplicate data name 'obs_data'",)),
    ("binned contents too many", ((("data", 1, "contents"), [1, 2, 3]),), FormatError,
     ("data[1].contents: 3 contents for 2 bins",)),
    ("binned contents too few", ((("data", 1, "contents"), [1]),), FormatError,
     ("data[1].axes[0].nbins: nbins 2 is more than the 1 bins the data can have",)),
    ("binned content a string", ((("data", 1, "contents", 1), "4"),), FormatError,
     ("data[1].contents[1]: expected a number, found a string",)),
    ("binned axis without nbins", ((("data", 1, "axes", 0, "nbins"), DELETE),), FormatError,
     ("data[1].axes[0]: binned axis 'x' needs 'nbins' (with min, max) or 'edges'",)),
    ("binned axis nbins 0", ((("data", 1, "axes", 0, "nbins"), 0),), FormatError,
     ("data[1].axes[0].nbins: nbins must be at least 1",)),
    ("binned axis nbins fractional", ((("data", 1, "axes", 0, "nbins"), 2.5),), FormatError,
     ("data[1].axes[0].nbins: expected an integer, found 2.5",)),
    ("binned axis nbins 1e12", ((("data", 1, "axes", 0, "nbins"), 10**12),), FormatError,
     ("data[1].axes[0].nbins: nbins 1e+12 is more than the 2 bins the data can have",)),
    ("binned axis nbins 1e300", ((("data", 1, "axes", 0, "nbins"), 1e300),), FormatError,
     ("data[1].axes[0].nbins: nbins 1e+300 is more than",)),
    ("binned axis nbins 1e400 (int)", ((("data", 1, "axes", 0, "nbins"), 10**400),), FormatError,
     ("data[1].axes[0].nbins: expected a finite number, found an integer too large",)),
    ("unbinned axis nbins 1e9", ((("data", 0, "axes", 0, "nbins"), 10**9),), FormatError,
     ("data[0].axes[0].nbins: nbins 1e+09 is more than the 10000000 bins",)),
    ("binned axis infinite", ((("data", 1, "axes", 0, "max"), "inf"),), FormatError,
     ("data[1].axes[0]: a binned axis needs finite min and max",)),
    ("edges not increasing", ((("data", 1, "axes", 0), {"name": "x", "edges": [0, 5, 3]}),), FormatError,
     ("data[1].axes[0].edges: edges must be increasing, at least two",)),
    ("edges one value", ((("data", 1, "axes", 0), {"name": "x", "edges": [0]}),), FormatError,
     ("data[1].axes[0].edges: edges must be increasing, at least two",)),
    ("edges a string", ((("data", 1, "axes", 0), {"name": "x", "edges": [0, "5", 10]}),), FormatError,
     ("data[1].axes[0].edges[1]: expected a number, found a string",)),
    ("point value a string", ((("data", 2), {"name": "p", "type": "point", "value": "1"}),), FormatError,
     ("data[2].value: expected a number, found a string",)),
    ("likelihood distributions a string", ((("likelihoods", 0, "distributions"), "model"),), FormatError,
     ("likelihoods[0].distributions: expected a list, found a string",)),
    ("likelihood distribution an object", ((("likelihoods", 0, "distributions"), [{"name": "model"}]),),
     FormatError, ("likelihoods[0].distributions[0]: expected a string, found an object",)),
    ("likelihood datum an object", ((("likelihoods", 0, "data"), [{}]),), FormatError,
     ("likelihoods[0].data[0]: expected a number, found an object",)),
    ("likelihood lengths differ", ((("likelihoods", 0, "data"), ["obs_data", "hist"]),), FormatError,
     ("likelihoods[0]: 1 distributions but 2 data",)),
    ("likelihood data lacks a column", ((("data", 0, "axes", 0, "name"), "y"),), FormatError,
     ("likelihoods[0].data[0]: distribution 'model' depends on observable 'x', for which data 'obs_data' "
      "has no column",)),
]


@pytest.mark.parametrize(("label", "changes", "kind", "parts"), FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_wrong_field(label: str, changes: tuple[tuple[tuple[str | int, ...], Any], ...], kind: type[FirmError],
                     parts: tuple[str, ...]) -> None:
    check_message(load_error(mutated(*changes)), kind, parts)


def test_wrong_field_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mutated((("distributions", 3, "coefficients", 1), {"a": 1}))))
    assert str(load_error(path)).startswith(f"{path}: distributions[3].coefficients[1]: ")


SINGLE_NAME_CASES = [("distributions", 2, "coefficients", "model", {"x": np.linspace(0.5, 9.5, 7)}),
                     ("distributions", 3, "coefficients", "poly", None),
                     ("functions", 0, "summands", "shifted", {})]


@pytest.mark.parametrize(("section", "index", "field", "entry", "inputs"), SINGLE_NAME_CASES,
                         ids=[f"{c[0]}[{c[1]}].{c[2]}" for c in SINGLE_NAME_CASES])
def test_single_name_is_a_list_of_one(section: str, index: int, field: str, entry: str,
                                      inputs: dict[str, Any] | None) -> None:
    """For list-of-references fields the loader accepts one name as a one-element list: the same IR."""
    one = BASE[section][index][field][0]
    as_list = firmc.load(mutated(((section, index, field), [one])))
    as_name = firmc.load(mutated(((section, index, field), one)))
    assert as_name.entries[entry].expr is as_list.entries[entry].expr
    if inputs is not None:
        np.testing.assert_array_equal(firmc.compile(as_name, entry=entry)(inputs),
                                      firmc.compile(as_list, entry=entry)(inputs))


# ------------------------------------------------------------------------------------------ unknown names

NAME_CASES: list[tuple[str, tuple[str | int, ...], str, str]] = [
    ("gausian_dist", ("distributions", 0, "type"), "distributions[0].type: unknown type 'gausian_dist'",
     "did you mean 'gaussian_dist'?"),
    ("mixture", ("distributions", 2, "type"), "distributions[2].type: unknown type 'mixture'",
     "did you mean 'mixture_dist'?"),
    ("generic_func", ("functions", 1, "type"), "functions[1].type: unknown type 'generic_func'",
     "did you mean 'generic_function'?"),
    ("unbined", ("data", 0, "type"), "data[0].type: unknown data type 'unbined'", "did you mean 'unbinned'?"),
    ("histogram", ("data", 1, "type"), "data[1].type: unknown data type 'histogram'", ""),
    ("product_domian", ("domains", 0, "type"), "domains[0].type: unknown domain type 'product_domian'",
     "did you mean 'product_domain'?"),
    ("box", ("domains", 0, "type"), "domains[0].type: unknown domain type 'box'", ""),
]


@pytest.mark.parametrize(("name", "path", "where", "hint"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_unknown_type(name: str, path: tuple[str | int, ...], where: str, hint: str) -> None:
    err = load_error(mutated((path, name)))
    check_message(err, UnknownName, (where, hint))
    assert isinstance(err, UnknownName) and err.name == name
    if not hint:
        assert "did you mean" not in str(err)


# ------------------------------------------------------------------------------------------- references

REF_CASES: list[tuple[str, tuple[tuple[tuple[str | int, ...], Any], ...], tuple[str, ...]]] = [
    ("dangling mean", ((("distributions", 0, "mean"), "mux"),),
     ("distributions[0].mean: dangling reference 'mux'", "did you mean 'mu'?")),
    ("dangling mean, no suggestion", ((("distributions", 0, "mean"), "zzz"),),
     ("distributions[0].mean: dangling reference 'zzz': no object, parameter or observable of that name",)),
    ("dangling coefficient", ((("distributions", 3, "coefficients", 1), "a11"),),
     ("distributions[3].coefficients[1]: dangling reference 'a11'", "did you mean 'a1'?")),
    ("dangling summand of a sum", ((("functions", 0, "summands", 0), "shiftd"),),
     ("functions[0].summands[0]: dangling reference 'shiftd'", "did you mean 'shifted'?")),
    ("cycle a -> b -> a", ((("functions",), [{"name": "a", "type": "sum", "summands": ["b", 1.0]},
                                             {"name": "b", "type": "sum", "summands": ["a"]}]),),
     ("functions[1].summands[0]: reference cycle: a -> b -> a",)),
    ("self-cycle", ((("functions", 0, "summands"), ["shifted", 1.0]),),
     ("functions[0].summands[0]: reference cycle: shifted -> shifted",)),
    ("distribution self-cycle", ((("distributions", 0, "mean"), "sig"),),
     ("distributions[0].mean: reference cycle: sig -> sig",)),
    ("cycle through an expression", ((("functions",), [
        {"name": "g", "type": "generic_function", "expression": "mu + 2*h"},
        {"name": "h", "type": "product", "factors": ["g", 2]}]),),
     ("functions[1].factors[0]: reference cycle: g -> h -> g",)),
    ("expression self-cycle", ((("functions", 1, "expression"), "expr + 1"),),
     ("functions[1].expression: reference cycle: expr -> expr",)),
    ("duplicate distribution", ((("distributions", 1, "name"), "sig"),),
     ("distributions[1].name: duplicate name 'sig' (names must be unique in a document)",)),
    ("duplicate across sections", ((("functions", 0, "name"), "sig"),),
     ("functions[0].name: duplicate name 'sig'",)),
    ("likelihood named like a distribution", ((("likelihoods", 0, "name"), "sig"),),
     ("likelihoods[0].name: duplicate name 'sig'",)),
    ("'nan' as a reference", ((("distributions", 0, "mean"), "nan"),),
     ("distributions[0].mean: 'nan' is not a finite number",)),
    ("'inf' as a reference", ((("distributions", 0, "mean"), "inf"),),
     ("distributions[0].mean: 'inf' is not a finite number",)),
    ("'-Infinity' as a reference", ((("distributions", 3, "coefficients", 0), "-Infinity"),),
     ("distributions[3].coefficients[0]: '-Infinity' is not a finite number",)),
    ("'NaN' as a sum term", ((("functions", 0, "summands", 1), "NaN"),),
     ("functions[0].summands[1]: 'NaN' is not a finite number",)),
    ("inf number as a reference", ((("distributions", 0, "mean"), math.inf),),
     ("distributions[0].mean: expected a finite number",)),
    ("NaN number as a reference", ((("distributions", 3, "coefficients", 1), math.nan),),
     ("distributions[3].coefficients[1]: expected a finite number",)),
]


@pytest.mark.parametrize(("label", "changes", "parts"), REF_CASES, ids=[c[0] for c in REF_CASES])
def test_reference(label: str, changes: tuple[tuple[tuple[str | int, ...], Any], ...],
                   parts: tuple[str, ...]) -> None:
    check_message(load_error(mutated(*changes)), FormatError, parts)


def test_unknown_likelihood_references() -> None:
    err = load_error(mutated((("likelihoods", 0, "distributions"), ["modle"])))
    check_message(err, UnknownName, ("likelihoods[0].distributions[0]: unknown distribution 'modle'",
                                     "did you mean 'model'?"))
    err = load_error(mutated((("likelihoods", 0, "data"), ["obs_dat"])))
    check_message(err, UnknownName, ("likelihoods[0].data[0]: unknown data 'obs_dat'",
                                     "did you mean 'obs_data'?"))


def test_number_like_string_is_a_number() -> None:
    """ROOT writes constants as strings ("1.0"): a finite number-like string is a constant."""
    m = firmc.load(mutated((("distributions", 0, "mean"), "5.0")))
    f = firmc.compile(m, entry="sig")
    assert float(f({"x": np.array([5.0]), "width": 1.0})[0]) == pytest.approx(firmc.compile(
        firmc.load(BASE), entry="sig")({"x": np.array([5.0]), "mu": 5.0, "width": 1.0})[0])


# ----------------------------------------------------------------------------------- expression errors

EXPR_CASES: list[tuple[str, str, str, int]] = [
    # text, message words, JSON path of the expression field is the origin, caret column
    ("mu * (2 + ", "unexpected end of expression", "functions[1].expression", 10),
    ("mu $ 2", "unexpected character '$'", "functions[1].expression", 4),
    ("mu +* 2", "unexpected '*'", "functions[1].expression", 5),
    ("x[0]", "unexpected '['; expected an operator", "functions[1].expression", 2),
    ("mu * nosuch", "dangling reference 'nosuch'", "functions[1].expression", 6),
    ("2 * wdth + mu", "dangling reference 'wdth'", "functions[1].expression", 5),
    ("foo(mu)", "unknown function 'foo'", "functions[1].expression", 1),
    ("exp(mu, 2)", "'exp' takes 1 argument, got 2", "functions[1].expression", 1),
    ("   ", "empty expression", "functions[1].expression", 1),
    ("mu + nan", "'nan' is not a finite number", "functions[1].expression", 6),
]


@pytest.mark.parametrize(("text", "words", "origin", "column"), EXPR_CASES, ids=[c[0] for c in EXPR_CASES])
def test_expression_error(text: str, words: str, origin: str, column: int) -> None:
    err = load_error(mutated((("functions", 1, "expression"), text)))
    check_message(err, SourceError, (f"{origin}:1:{column}: ", words))
    assert isinstance(err, SourceError)
    _, line, caret = str(err).split("\n")
    assert line == "  " + text
    assert caret == "  " + " " * (column - 1) + "^"


def test_expression_error_in_generic_dist_names_file_and_path(tmp_path: Path) -> None:
    doc = mutated((("distributions", 4), {"name": "gd", "type": "generic_dist", "expression": "exp(-x*mu) +"}))
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    err = load_error(path)
    check_message(err, SourceError, (f"{path}:distributions[4].expression:1:13: ", "unexpected end"))
    assert str(err).endswith("\n  exp(-x*mu) +\n              ^")


# ----------------------------------------------------------------------------------------- size limits

def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


@pytest.mark.slow
def test_50_mb_unbinned_data_loads_in_bounded_time(tmp_path: Path) -> None:
    n = 2_500_000
    xs = np.random.default_rng(1).uniform(0.0, 10.0, n)
    doc = mutated((("data",), [{"name": "obs_data", "type": "unbinned", "axes": [
        {"name": "x", "min": 0, "max": 10}], "entries": "@ENTRIES@"}]))
    values = [f"{v:.15f}" for v in xs]
    text = json.dumps(doc).replace('"@ENTRIES@"', "[" + ",".join(f"[{v}]" for v in values) + "]")
    path = tmp_path / "big.json"
    path.write_text(text)
    size = path.stat().st_size
    assert 45e6 < size < 60e6
    m, t_load = _timed(lambda: firmc.load(path))
    assert m.datasets["obs_data"].size == n
    np.testing.assert_array_equal(m.datasets["obs_data"].columns["x"], [float(v) for v in values])
    f, t_compile = _timed(lambda: firmc.compile(m, entry="L"))
    nll, t_eval = _timed(lambda: float(f()))
    assert math.isfinite(nll)
    print(f"\n50 MB unbinned: {size / 1e6:.1f} MB, load {t_load:.2f} s, compile {t_compile:.2f} s, "
          f"NLL {t_eval:.2f} s")
    assert t_load + t_compile + t_eval < 60.0


@pytest.mark.slow
def test_50_mb_bad_value_in_big_data_is_named(tmp_path: Path) -> None:
    n = 2_500_000
    rows = ["[1.500000000000000]"] * n
    rows[1_234_567] = '["1.50000000000000"]'
    doc = mutated((("data",), [{"name": "obs_data", "type": "unbinned", "axes": [
        {"name": "x", "min": 0, "max": 10}], "entries": "@ENTRIES@"}]))
    path = tmp_path / "big_bad.json"
    path.write_text(json.dumps(doc).replace('"@ENTRIES@"', "[" + ",".join(rows) + "]"))
    err, t = _timed(lambda: load_error(path))
    check_message(err, FormatError, ("data[0].entries[1234567][0]: expected a number, found a string",))
    print(f"\n{path.stat().st_size / 1e6:.1f} MB with one bad value: error after {t:.2f} s")
    assert t < 60.0


@pytest.mark.slow
def test_50_mb_of_misc_loads(tmp_path: Path) -> None:
    path = tmp_path / "misc.json"
    path.write_text(json.dumps({"metadata": {"hs3_version": "0.2"}, "misc": "x" * 50_000_000}))
    m, t = _timed(lambda: firmc.load(path))
    assert m.entries == {}
    print(f"\n50 MB of misc: load {t:.2f} s")
    assert t < 60.0


def test_file_over_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the document was parsed")

    monkeypatch.setattr(jsonread, "MAX_BYTES", 1000)
    monkeypatch.setattr(jsonread, "read_json_text", no_parsing)
    err = load_error(SUM_ADD_PDF)
    check_message(err, FormatError, (str(SUM_ADD_PDF), "file is 1737 bytes, above the 1000 bytes limit"))


def test_text_over_the_limit_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the document was parsed")

    monkeypatch.setattr(jsonread, "MAX_BYTES", 100)
    monkeypatch.setattr(jsonread, "json", SimpleNamespace(loads=no_parsing, JSONDecodeError=ValueError))
    with pytest.raises(FormatError, match=r"m\.json: .*document is 101 bytes, above the 100 bytes limit"):
        jsonread.read_json_text(b"x" * 101, "m.json")


def test_limit_default_is_256_mb() -> None:
    assert jsonread.MAX_BYTES == 256 * 1024 * 1024


# ---------------------------------------------------------------------------------- compile and call

@pytest.fixture(scope="module")
def base_module() -> firmc.Module:
    return firmc.load(BASE)


def _compile_and_call(m: firmc.Module, compile_kw: dict[str, Any], call: dict[str, Any] | None) -> None:
    f = firmc.compile(m, **compile_kw)
    if call is not None:
        f(call)


X = np.array([1.0, 2.0])
COMPILE_CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None, type[FirmError], tuple[str, ...]]] = [
    ("unknown entry", {"entry": "modle"}, None, UnknownName, ("unknown entry 'modle'", "did you mean 'model'?")),
    ("unknown target", {"entry": "model", "target": "cdua"}, None, UnknownName,
     ("unknown target 'cdua'", "did you mean 'cuda'?")),
    ("unknown observable", {"entry": "sig", "observables": ["xx"]}, None, UnknownName,
     ("unknown observable 'xx'", "did you mean 'x'?")),
    ("observable the entry does not use", {"entry": "shifted", "observables": ["x"]}, None, FirmError,
     ("entry 'shifted' does not depend on 'x'; its variables are: mu",)),
    ("extra observable", {"entry": "sig", "observables": ["x", "frac"]}, None, FirmError,
     ("entry 'sig' does not depend on 'frac'",)),
    ("observables of a likelihood", {"entry": "L", "observables": ["x"]}, None, FirmError,
     ("entry 'L' is a likelihood; its observables are bound to its data",)),
    ("parameter as an array", {"entry": "model"}, {"x": X, "mu": np.array([1.0, 2.0])}, EvaluationError,
     ("parameter 'mu' must be a single number",)),
    ("parameter as a string", {"entry": "model"}, {"x": X, "mu": "five"}, EvaluationError,
     ("parameter 'mu' must be a number, not str",)),
    ("parameter as an object", {"entry": "model"}, {"x": X, "mu": object()}, EvaluationError,
     ("parameter 'mu' must be a number, not object",)),
    ("parameter as None", {"entry": "model"}, {"x": X, "mu": None}, EvaluationError,
     ("parameter 'mu' must be a number, not NoneType",)),
    ("missing observable value", {"entry": "model"}, {"mu": 1.0}, EvaluationError,
     ("no value given for observable 'x'",)),
    ("observable as strings", {"entry": "model"}, {"x": ["a", "b"]}, EvaluationError,
     ("observable 'x' must be numbers",)),
    ("observable ragged", {"entry": "model"}, {"x": [[1.0], [1.0, 2.0]]}, EvaluationError,
     ("observable 'x' must be numbers",)),
    ("unknown input", {"entry": "model"}, {"x": X, "muu": 1.0}, UnknownName,
     ("unknown input 'muu'", "did you mean 'mu'?")),
]


@pytest.mark.parametrize(("label", "compile_kw", "call", "kind", "parts"), COMPILE_CASES,
                         ids=[c[0] for c in COMPILE_CASES])
def test_compile_or_call_error(base_module: firmc.Module, label: str, compile_kw: dict[str, Any],
                               call: dict[str, Any] | None, kind: type[FirmError], parts: tuple[str, ...]) -> None:
    with pytest.raises(FirmError) as info:
        _compile_and_call(base_module, compile_kw, call)
    check_message(info.value, kind, parts)


def test_several_entries_and_none_chosen() -> None:
    m = firmc.load({**BASE, "likelihoods": []})
    with pytest.raises(FirmError, match=r"the model has several entries; choose one \(entry=\.\.\. in Python, "
                                        r"--entry on the command line\): model"):
        firmc.compile(m)


def test_no_entries_to_compile() -> None:
    with pytest.raises(FirmError, match="the model has no entries to compile"):
        firmc.compile(firmc.load({"metadata": {"hs3_version": "0.2"}}))


NUMERIC_LIMIT_CASES: list[tuple[str, dict[str, Any], type[FirmError], tuple[str, ...]]] = [
    # closed forms or quadrature that cannot run on the observables' domains: a FirmError naming the entry
    ("polynomial over [-1, 1e300]", {
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "p", "type": "polynomial_dist", "x": "x", "coefficients": [1.0, 0.5, 0.1]}],
        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -1, "max": 1e300}]}]},
     UnsupportedFeature, ("cannot compile entry 'p' for x in [-1.0, 1e+300]", "OverflowError")),
    ("2-D normal on a half-infinite box", {
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "mvg", "type": "multivariate_normal_dist", "x": ["x1", "x2"],
                           "mean": [0.0, 0.0], "covariances": [[1.0, 0.3], [0.3, 2.0]]}],
        "domains": [{"name": "d", "type": "product_domain", "axes": [
            {"name": "x1", "min": -5, "max": 5}, {"name": "x2", "max": 5}]}]},
     EvaluationError, ("cannot evaluate entry 'mvg' on target 'interp'", "finite bounds")),
    ("Chebychev without coefficients", {
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "ch", "type": "chebychev_dist", "x": "x", "coefficients": []}],
        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": 0, "max": 1}]}]},
     UnsupportedFeature, ("entry 'ch' does not depend on its observable 'x' once simplified",)),
    ("polynomial of degree 0", {
        "metadata": {"hs3_version": "0.2"},
        "distributions": [{"name": "p0", "type": "polynomial_dist", "x": "x", "coefficients": ["1.0"]}],
        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": 0, "max": 4}]}]},
     UnsupportedFeature, ("entry 'p0' does not depend on its observable 'x' once simplified",)),
]


@pytest.mark.parametrize(("label", "doc", "kind", "parts"), NUMERIC_LIMIT_CASES,
                         ids=[c[0] for c in NUMERIC_LIMIT_CASES])
def test_numeric_limits_are_firm_errors(label: str, doc: dict[str, Any], kind: type[FirmError],
                                        parts: tuple[str, ...]) -> None:
    m = firmc.load(doc)
    with pytest.raises(FirmError) as info:
        f = firmc.compile(m)
        f({o: np.array([0.5]) for o in f.observables})
    check_message(info.value, kind, parts)


# ------------------------------------------------------------------------------------------------ CLI

def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    def write(name: str, data: bytes | str) -> Path:
        p = tmp_path / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
        return p

    return {
        "truncated": (write("cut.json", SUM_ADD_PDF.read_bytes()[:500]), "invalid JSON at line 37 column 6"),
        "binary": (write("bin.json", bytes(range(256))), "invalid JSON at line 1 column 1"),
        "deep": (write("deep.json", _deep(100_000)), "JSON nested too deeply"),
        "array": (write("array.json", "[]"), "expected a JSON object at the top level, found a list"),
        "missing": (tmp_path / "nope.json", "cannot read file: No such file or directory"),
        "directory": (tmp_path, "cannot read file"),
        "wrong type": (write("type.json", json.dumps(mutated((("distributions", 0, "type"), "gausian_dist")))),
                       "distributions[0].type: unknown type 'gausian_dist'; did you mean 'gaussian_dist'?"),
        "dangling": (write("dangling.json", json.dumps(mutated((("distributions", 0, "mean"), "mux")))),
                     "distributions[0].mean: dangling reference 'mux'"),
        "expression": (write("expr.json", json.dumps(mutated((("functions", 1, "expression"), "mu $ 2")))),
                       "functions[1].expression:1:4: unexpected character '$'"),
        "surrogate": (write("sur.json", b'{"metadata": {"hs3_version": "\\udc80"}}'), "unpaired surrogate"),
    }


CLI_FILES = ["truncated", "binary", "deep", "array", "missing", "directory", "wrong type", "dangling",
             "expression", "surrogate"]


@pytest.mark.parametrize("command", [[], ["check"], ["info"]], ids=["compile", "check", "info"])
@pytest.mark.parametrize("case", CLI_FILES)
def test_cli_bad_model(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str],
                       case: str) -> None:
    path, words = _bad_files(tmp_path)[case]
    extra = ["-o", str(tmp_path / "out")] if not command else []
    assert main([*command, str(path), *extra]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("firmc: error: ")
    assert str(path) in err and words in err and out == ""
    assert "Traceback" not in err and "internal error" not in err


CLI_COMPILE_CASES: list[tuple[list[str], str]] = [
    (["--entry", "modle"], "firmc: error: unknown entry 'modle'; did you mean 'model'?"),
    (["--entry", "model", "--target", "cdua"], "firmc: error: unknown target 'cdua'; did you mean 'cuda'?"),
    (["--entry", "sig", "--observables", "xx"], "firmc: error: unknown observable 'xx'; did you mean 'x'?"),
    (["--entry", "shifted", "--observables", "x"], "firmc: error: entry 'shifted' does not depend on 'x'"),
    ([], "firmc: error: the model has several entries; choose one (entry=... in Python, --entry on the command line)"),
]


@pytest.mark.parametrize(("args", "message"), CLI_COMPILE_CASES, ids=[" ".join(c[0]) for c in CLI_COMPILE_CASES])
def test_cli_compile_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                            message: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**BASE, "likelihoods": []}))
    assert main([str(path), "-o", str(tmp_path / "out"), *args]) == 2
    _, err = capsys.readouterr()
    assert err.startswith(message), err
    assert "Traceback" not in err


def test_cli_over_size_limit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(jsonread, "MAX_BYTES", 1000)
    assert main(["info", str(SUM_ADD_PDF)]) == 2
    _, err = capsys.readouterr()
    assert err == f"firmc: error: {SUM_ADD_PDF}: <document>: file is 1737 bytes, above the 1000 bytes limit\n"


def test_cli_subprocess_no_traceback(tmp_path: Path) -> None:
    exe = ROOT / ".venv" / "bin" / "firmc"
    if not exe.exists():  # another layout: the console script next to this interpreter
        exe = Path(sys.executable).parent / "firmc"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(mutated((("distributions", 3, "coefficients", 1), {"a": 1}))))
    runs = {"distributions[3].coefficients[1]: expected a name or a number, found dict": [
        [str(bad), "-o", str(tmp_path / "out")], ["check", str(bad)], ["info", str(bad)]],
        "cannot read file: No such file or directory": [["info", str(tmp_path / "missing.json")]]}
    for words, commands in runs.items():
        for args in commands:
            proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, check=False)
            assert proc.returncode == 2, proc.stderr
            assert proc.stderr.startswith("firmc: error: "), proc.stderr
            assert words in proc.stderr
            assert "Traceback" not in proc.stderr
            assert proc.stdout == ""
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------- random mutations

CORPUS_FILES = sorted([*(CORPUS / "roofit").glob("*.json"), *(CORPUS / "hs3").glob("*.json")])
CORPUS_DOCS = {p.name: json.loads(p.read_text()) for p in CORPUS_FILES}



def _kind(v: Any) -> str:
    return ("null" if v is None else "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float)
            else "string" if isinstance(v, str) else "list" if isinstance(v, list) else "object")


NAMES = st.sampled_from(["x", "mu", "sigma", "mean", "frac", "nan", "inf", "-inf", "1.0", "1e999", "", " ",
                         "gaussian_dist", "model", "a -> b", "x + 1"])
NUMBERS = (st.integers(-10**20, 10**20) | st.sampled_from([10**400, 1e308, -1e308, 1e-320, -0.0, 0, -1])
           | st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.none() | st.booleans() | NUMBERS | NAMES | st.text(max_size=8)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "type", "x", "value", "min", "max"]) | st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
OF_KIND = {"null": st.none(), "bool": st.booleans(), "number": NUMBERS, "string": NAMES | st.text(max_size=8),
           "list": st.lists(JSON_VALUES, max_size=3),
           "object": st.dictionaries(st.sampled_from(["name", "type", "x", "value"]), JSON_VALUES, max_size=3)}
TYPE_NAMES = st.sampled_from([*sorted(TYPES), "gausian_dist", "mixture", "histfactory_dist", "unbinned",
                              "binned", "point", "product_domain"]) | st.text(max_size=16)
OPS = ["delete a key", "another type", "duplicate a list item", "rename a type", "insert NaN", "extreme number"]


@st.composite
def mutated_corpus(draw: st.DrawFn) -> dict[str, Any]:
    """A corpus document with one to three random mutations."""
    doc = copy.deepcopy(CORPUS_DOCS[draw(st.sampled_from(sorted(CORPUS_DOCS)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = all_paths(doc)
        op = draw(st.sampled_from(OPS))
        numbers = [p for p in paths if _kind(at(doc, p)) == "number"]
        choices = {"rename a type": [p for p in paths if p[-1] == "type"],
                   "insert NaN": numbers, "extreme number": numbers,
                   "duplicate a list item": [p for p in paths if isinstance(p[-1], int)]}.get(op, paths)
        if not choices:
            continue
        path = draw(st.sampled_from(choices))
        parent = at(doc, path[:-1])
        if op == "delete a key":
            del parent[path[-1]]
        elif op == "another type":
            old = _kind(parent[path[-1]])
            parent[path[-1]] = draw(st.one_of(*[s for k, s in OF_KIND.items() if k != old]))
        elif op == "duplicate a list item":
            parent.insert(int(path[-1]), copy.deepcopy(parent[path[-1]]))
        elif op == "rename a type":
            parent["type"] = draw(TYPE_NAMES)
        elif op == "insert NaN":
            parent[path[-1]] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        else:
            parent[path[-1]] = draw(st.sampled_from([0, -1, 1e-300, 1e300, -1e300, 10**30]))
    return doc


def _default_inputs(m: firmc.Module, f: firmc.Compiled) -> dict[str, np.ndarray]:
    out = {}
    for name in f.observables:
        o = m.observables.get(name)
        lo, hi = (o.min, o.max) if o is not None else (-math.inf, math.inf)
        value = o.value if o is not None and o.value is not None else (
            (lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else lo if math.isfinite(lo)
            else hi if math.isfinite(hi) else 0.0)
        out[name] = np.array([value])
    return out


def exercise(source: Any) -> None:
    """load, then compile and evaluate every entry at its default point; FirmError is the only failure."""
    try:
        m = firmc.load(source)
    except FirmError as exc:
        event(f"load: {type(exc).__name__}")
        return
    for name in m.entries:
        try:
            f = firmc.compile(m, entry=name)
            with np.errstate(all="ignore"):
                f(_default_inputs(m, f))
            event("entry evaluated")
        except FirmError as exc:
            event(f"entry: {type(exc).__name__}")


@pytest.mark.parametrize("name", sorted(CORPUS_DOCS))
def test_unmutated_corpus_runs(name: str) -> None:
    """The starting points of the mutations: every entry compiles and evaluates without error."""
    m = firmc.load(CORPUS_DOCS[name])
    for entry in m.entries:
        f = firmc.compile(m, entry=entry)
        with np.errstate(all="ignore"):
            f(_default_inputs(m, f))


@settings(max_examples=8000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.filter_too_much,
                                                                    HealthCheck.data_too_large])
@given(doc=mutated_corpus(), via_text=st.booleans())
def test_random_mutations_only_raise_firm_errors(doc: dict[str, Any], via_text: bool) -> None:
    if via_text:  # through the JSON reader: NaN/Infinity literals are refused there
        try:
            source: Any = jsonread.read_json_text(json.dumps(doc), "mutated.json")
        except FirmError:
            return
    else:
        source = doc
    exercise(source)
