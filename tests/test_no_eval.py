"""No user-supplied string reaches ``eval``, ``exec``, ``compile``, ``sympy.sympify`` or ``parse_expr`` (DESIGN.md
"Errors": expression strings are parsed by the grammar, never evaluated).

* Statically: the calls of these functions (and of their relatives: ``__import__``, ``exec_module``,
  ``import_module``, ``sympy.S``) in ``src/firmc`` are found by walking the syntax trees, and each must be in
  :data:`ALLOWED`, which says why it is safe.
* Dynamically: ``eval``, ``exec`` and ``compile`` (the builtins), ``sympy.sympify`` (wherever sympy's modules
  hold it) and ``parse_expr`` are wrapped to record their arguments while models whose names and strings carry a
  payload are loaded, compiled for the interp, numpy, jax and torch targets (with gradients) and evaluated. The
  only code compiled is the generated modules of the Python targets; in it the payload may appear only inside
  string literals and comments (Python's own tokenizer decides), never as code, and no string holding the marker
  may reach ``sympify``/``parse_expr`` or ``eval``. The payload writes a file when it runs: the file must not
  exist afterwards.
"""

from __future__ import annotations

import ast
import builtins
import copy
import io
import json
import sys
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import firmc
from firmc.errors import FirmError
from firmc.frontends.dsl import load_firm
from firmc.frontends.expr import DIALECTS, expression_to_ir
from firmc.frontends.histfactory import load_pyhf

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "firmc"
CORPUS = ROOT.parent / "shared" / "corpus"

# ------------------------------------------------------------------------------------------- statically
#: Functions that run code (or parse text as code) when called: builtins by name, the others by attribute.
BUILTINS = frozenset({"eval", "exec", "compile", "__import__", "execfile"})
ATTRIBUTES = frozenset({"sympify", "parse_expr", "exec_module", "import_module", "S", "lambdify", "run_path",
                        "run_module", "load_module"})
SYMPY_NAMES = frozenset({"sympify", "parse_expr", "lambdify", "S"})

#: (file relative to src/firmc, the call as written) -> why it is safe. Keep the reasons true.
ALLOWED: dict[tuple[str, str], str] = {
    ("backends/pysource/__init__.py", "spec.loader.exec_module"):
        "import_text runs the module the numpy, jax and torch back-ends generate: firmc's own code, where model "
        "names appear only as mangled identifiers (backends/naming.py) and repr()-escaped string literals or "
        "comments; checked by test_generated_code_holds_names_only_as_data",
    ("backends/__init__.py", "importlib.import_module"):
        "get_backend imports firmc's own back-end package TARGETS[target], after checking target in TARGETS",
}


def _calls(path: Path) -> Iterator[tuple[str, int]]:
    """The calls in ``path`` of :data:`BUILTINS` (unless the module binds that name itself, as check.py imports
    firmc's ``compile``), of attributes in :data:`ATTRIBUTES`, of names imported from sympy and of
    ``getattr(builtins, "eval")``-like look-ups: (the call as written, line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound: set[str] = set()
    sympy_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if (node.module or "").startswith("sympy") and alias.name in SYMPY_NAMES:
                    sympy_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        written = ast.unparse(f)
        by_name = isinstance(f, ast.Name) and ((f.id in BUILTINS and f.id not in bound) or f.id in sympy_names)
        by_attribute = isinstance(f, ast.Attribute) and (f.attr in ATTRIBUTES or (
            f.attr in BUILTINS and written.startswith(("builtins.", "__builtins__"))))
        if by_name or by_attribute:
            yield written, node.lineno
        elif isinstance(f, ast.Name) and f.id == "getattr" and any(
                isinstance(a, ast.Constant) and a.value in BUILTINS | ATTRIBUTES for a in node.args[1:2]):
            yield written + f"(..., {ast.unparse(node.args[1])})", node.lineno


def code_running_calls() -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for written, line in _calls(path):
            out.setdefault((path.relative_to(SRC).as_posix(), written), []).append(line)
    return out


def test_no_eval_exec_compile_sympify_in_the_source() -> None:
    found = code_running_calls()
    unexpected = {f"{file}:{lines[0]}: {call}(...)" for (file, call), lines in found.items()
                  if (file, call) not in ALLOWED}
    assert not unexpected, ("calls that run or parse code, not in ALLOWED (say there why no user string reaches "
                            "them, or remove them): " + ", ".join(sorted(unexpected)))
    stale = [key for key in ALLOWED if key not in found]
    assert not stale, f"ALLOWED lists calls that are gone: {stale}"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sympy as sp\nimport builtins\nfrom sympy import sympify as s\n"
                   "eval('1')\nexec('x = 1')\ncompile('1', 'f', 'eval')\nsp.sympify('x')\ns('x')\n"
                   "sp.parsing.sympy_parser.parse_expr('x')\nbuiltins.eval('1')\ngetattr(builtins, 'exec')('1')\n"
                   "sp.S('x')\n__import__('os')\n")
    assert sorted(c for c, _ in _calls(bad)) == sorted([
        "eval", "exec", "compile", "sp.sympify", "s", "sp.parsing.sympy_parser.parse_expr", "builtins.eval",
        "getattr(..., 'exec')", "sp.S", "__import__"])
    shadowed = tmp_path / "shadowed.py"
    shadowed.write_text("from firmc import compile\ncompile(m)\nimport re\nre.compile('x')\n")
    assert list(_calls(shadowed)) == []


# ------------------------------------------------------------------------------------------ dynamically
MARK = "FZMARK"


def payloads(flag: Path) -> list[str]:
    """Strings that run code (``touch`` the file ``flag``) if they reach Python source unescaped."""
    act = f'__import__("pathlib").Path({str(flag)!r}).touch()'
    return [
        f'x"); {act} #{MARK}',
        f"x'); {act} #{MARK}",
        f"'\n{act}\n#{MARK}",
        f'"\n{act}\n#{MARK}',
        f'"""\n{act}\n"""{MARK}',
        f"'''\n{act}\n'''{MARK}",
        f"\\'; {act}; '{MARK}",
        f"{{{act}}}{MARK}",  # f-string replacement field
        f"\r{act}\r#{MARK}",
        f"x\\\n{act} #{MARK}",
        f"*/ {act}; /* {MARK}",
        f"{MARK}\x00{act}",
        f"{MARK}\u2028{act}\u2029",
    ]


class Recorder:
    """Wraps eval, exec, compile, sympify and parse_expr; records (function, text) of every string argument."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for a in [*args[:1], *kwargs.values()]:
                if isinstance(a, bytes | bytearray):
                    self.calls.append((name, bytes(a).decode("utf-8", "replace")))
                elif isinstance(a, str):
                    self.calls.append((name, a))
            return fn(*args, **kwargs)

        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        return wrapper

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("eval", "exec", "compile"):
            monkeypatch.setattr(builtins, name, self.wrap(name, getattr(builtins, name)))
        import sympy.parsing.sympy_parser  # noqa: F401  (with sympy and sympy.core.sympify)

        originals = {"sympify": sys.modules["sympy.core.sympify"].sympify,  # sympy.core.sympify is the function
                     "parse_expr": sys.modules["sympy.parsing.sympy_parser"].parse_expr}
        wrapped = {name: self.wrap(name, fn) for name, fn in originals.items()}
        for module in [m for n, m in list(sys.modules.items()) if n == "sympy" or n.startswith("sympy.")]:
            for name, fn in originals.items():  # every module holding its own reference to the function
                if getattr(module, name, None) is fn:
                    monkeypatch.setattr(module, name, wrapped[name])


def code_outside_literals(text: str) -> list[str]:
    """What of a payload is code in Python source ``text``: ``__import__`` as a name (the payloads' call; firmc
    never writes it), the marker in a token that is not a string literal, a comment or an identifier (a mangled
    name); or the tokenizer's complaint when ``text`` is not Python. Empty when every payload is data."""
    bad = []
    data = {tokenize.STRING, tokenize.COMMENT, tokenize.NAME, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and tok.string == "__import__":
                bad.append(f"__import__ at line {tok.start[0]}")
            elif MARK in tok.string and tok.type not in data:
                bad.append(f"{tokenize.tok_name[tok.type]} {tok.string!r} at line {tok.start[0]}")
    except (tokenize.TokenError, SyntaxError) as exc:
        bad.append(f"not Python: {exc}")
    return bad


def check_records(rec: Recorder, flag: Path) -> int:
    """Assert that no payload ran or reached eval/sympify/parse_expr as text, or exec/compile as code; the number
    of sources compiled that held a payload (as data)."""
    assert not flag.exists(), "a payload ran"
    held = 0
    for fn, text in rec.calls:
        if fn in ("sympify", "parse_expr", "eval"):
            assert MARK not in text, f"{fn} got a user string: {text[:300]!r}"
        elif MARK in text:  # exec, compile: the generated modules
            problems = code_outside_literals(text)
            assert not problems, f"{fn}: the payload is code in the generated source: {problems[:5]}"
            held += 1
    return held


def hs3_document(p: str) -> dict[str, Any]:
    """An HS3 document whose object, parameter, observable, data and likelihood names are ``p`` + a suffix: a
    mixture, a density normalised symbolically, a function and a likelihood."""
    x, mu, sg, g, e, f = (p + s for s in ("_x", "_mu", "_sigma", "_g", "_e", "_f"))
    return {
        "metadata": {"hs3_version": "0.2", "description": p},
        "distributions": [
            {"name": g, "type": "gaussian_dist", "x": x, "mean": mu, "sigma": sg},
            {"name": e, "type": "exponential_dist", "x": x, "c": p + "_c"},
            {"name": p, "type": "mixture_dist", "summands": [g, e], "coefficients": [f]},
            {"name": p + "_dens", "type": "density_function_dist", "function": p + "_prod"},  # normalised by sympy
        ],
        "functions": [{"name": p + "_sum", "type": "sum", "summands": [mu, sg]},
                      {"name": p + "_prod", "type": "product", "factors": [x, x, mu]}],
        "domains": [{"name": p + "_domain", "type": "product_domain", "axes": [
            {"name": x, "min": -5.0, "max": 5.0}, {"name": mu, "min": -2.0, "max": 2.0},
            {"name": sg, "min": 0.1, "max": 3.0}, {"name": f, "min": 0.0, "max": 1.0}]}],
        "parameter_points": [{"name": p + "_point", "parameters": [
            {"name": mu, "value": 0.5}, {"name": sg, "value": 1.0}, {"name": p + "_c", "value": 0.3},
            {"name": f, "value": 0.4}]}],
        "data": [{"name": p + "_data", "type": "unbinned", "axes": [{"name": x, "min": -5.0, "max": 5.0}],
                  "entries": [[0.5], [1.5]]}],
        "likelihoods": [{"name": p + "_L", "distributions": [p], "data": [p + "_data"]}],
        "misc": {"note": p},
    }


def pyhf_workspace(p: str) -> dict[str, Any]:
    """A pyhf workspace whose channel, sample, modifier and measurement names carry ``p``."""
    return {
        "version": "1.0.0",
        "channels": [{"name": p + "_ch", "samples": [
            {"name": p + "_sig", "data": [5.0, 10.0], "modifiers": [
                {"name": p + "_mu", "type": "normfactor", "data": None},
                {"name": p + "_ns", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}}]},
            {"name": p + "_bkg", "data": [50.0, 60.0], "modifiers": [
                {"name": p + "_shape", "type": "shapesys", "data": [5.0, 12.0]},
                {"name": p + "_stat", "type": "staterror", "data": [1.0, 2.0]},
                {"name": p + "_hs", "type": "histosys", "data": {"hi_data": [52.0, 61.0], "lo_data": [48.0, 59.0]}}]},
        ]}],
        "observations": [{"name": p + "_ch", "data": [53.0, 65.0]}],
        "measurements": [{"name": p + "_meas", "config": {"poi": p + "_mu", "parameters": [
            {"name": p + "_mu", "bounds": [[0.0, 10.0]], "inits": [1.0]}]}}],
    }


def amplitude_document(p: str) -> dict[str, Any]:
    doc = json.loads((CORPUS / "threebody" / "Lc2ppiK.json").read_text())
    renamed = {f["name"]: p + f["name"] for f in doc["functions"]}
    text = json.dumps(doc)
    for old, new in renamed.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    out = json.loads(text)
    out["distributions"][0]["name"] = p
    out["misc"]["amplitude_model_checksums"] = [c | {"distribution": p} if c.get("distribution") ==
                                                "my_model_for_reaction_intensity" else c
                                                for c in out["misc"]["amplitude_model_checksums"]]
    return out


TARGETS = ("interp", "numpy", "jax", "torch")


def compile_everything(m: firmc.Module, entries: list[str] | None = None) -> int:
    """Compile ``entries`` (default all) for every Python target, with gradients, and evaluate once."""
    n = 0
    for name in entries or list(m.entries):
        for target in TARGETS:
            try:
                f = firmc.compile(m, target, name)
                with np.errstate(all="ignore"):
                    f({o: np.array([0.5]) for o in f.observables})
                    if "nll" in f.program.outputs and f.entry.kind == "likelihood":
                        f.nll_grad({})
                n += 1
            except FirmError:
                pass
    return n


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    import sympy  # noqa: F401  (loaded before the wrapping, so that its modules are wrapped)

    rec = Recorder()
    rec.install(monkeypatch)
    return rec


def test_recorder_sees_what_it_wraps(recorder: Recorder, tmp_path: Path) -> None:
    import sympy

    eval("1 + 1")
    sympy.sympify("a + b")
    assert ("eval", "1 + 1") in recorder.calls and ("sympify", "a + b") in recorder.calls
    flag = tmp_path / "flag"
    source = f"x = {payloads(flag)[0]!r}\n"
    assert code_outside_literals(source) == []
    assert code_outside_literals(payloads(flag)[0]) != []  # the raw payload is code
    exec(compile(source, "<test>", "exec"), {})
    assert not flag.exists()


def test_payload_names_in_hs3(recorder: Recorder, tmp_path: Path) -> None:
    flag = tmp_path / "pwned"
    compiled = 0
    for p in payloads(flag):
        doc = hs3_document(p)
        for dialect_doc in (doc, {**doc, "metadata": {**doc["metadata"], "packages": [{"name": "ROOT"}]}}):
            try:
                m = firmc.load(copy.deepcopy(dialect_doc))
            except FirmError:
                continue
            compiled += compile_everything(m, [p, p + "_dens", p + "_L"])
    assert compiled >= 10 * len(TARGETS), "too few payload models compiled to test anything"
    assert check_records(recorder, flag) >= 10  # generated modules with the names in them


def test_payload_names_in_pyhf_and_amplitude(recorder: Recorder, tmp_path: Path) -> None:
    flag = tmp_path / "pwned"
    compiled = 0
    for p in payloads(flag)[:8]:
        try:
            m = load_pyhf(pyhf_workspace(p), patches=[[{"op": "add", "path": "/channels/0/samples/0/modifiers/-",
                                                        "value": {"name": p + "_sf", "type": "shapefactor",
                                                                  "data": None}}]])
            compiled += compile_everything(m, ["nll", "logpdf"])
        except FirmError:
            pass
    for p in payloads(flag)[:3]:
        m = firmc.load(amplitude_document(p))
        compiled += compile_everything(m, [p, p + "L1405_Flatte"])
        firmc.check(m, ["interp"])
    assert compiled >= 8 * len(TARGETS)
    assert check_records(recorder, flag) >= 8


def test_payload_expressions(recorder: Recorder, tmp_path: Path) -> None:
    """Expression text with payloads: refused by the grammar, in every dialect, in HS3 and firm programs."""
    flag = tmp_path / "pwned"
    for p in payloads(flag):
        for text in (p, f"a + {p}", f'a + "{p}"', f"exp({p})", f"{p}(a)", f"@0 {p}"):
            for dialect in DIALECTS:
                with pytest.raises(FirmError):
                    expression_to_ir(text, dialect, placeholders=("a",))
            doc = {"metadata": {"hs3_version": "0.2"},
                   "functions": [{"name": "f", "type": "generic_function", "expression": text}]}
            with pytest.raises(FirmError):
                firmc.load(doc)
            with pytest.raises(FirmError):
                load_firm(f"parameter a = 1\nfunction f = {text}\n")
    check_records(recorder, flag)


def test_payload_strings_in_firm_programs(recorder: Recorder, tmp_path: Path) -> None:
    """Strings of a firm program (hs3 keys, file names, data names) with payloads; names stay identifiers."""
    flag = tmp_path / "pwned"
    compiled = 0
    for p in payloads(flag):
        program = (f"hs3 misc = {{note={json.dumps(p)}}}\n"
                   "observable x in [0, 1]\nparameter mu = 0.5 in [0, 1]\n"
                   "distribution g = gaussian(x, mean=mu, sigma=0.2)\nfunction f = 2 * mu\n")
        m = load_firm(program)
        compiled += compile_everything(m)
        with pytest.raises(FirmError):
            load_firm(f"observable x in [0, 1]\ndata d = csv({json.dumps(p)}, x)\n", base=tmp_path)
    assert compiled >= len(TARGETS)
    check_records(recorder, flag)


def test_generated_code_holds_names_only_as_data(tmp_path: Path) -> None:
    """The written modules of the Python targets (what exec_module runs): payload names only in literals and
    comments; importing them (as a user would) runs no payload."""
    flag = tmp_path / "pwned"
    for k, p in enumerate(payloads(flag)):
        m = firmc.load(hs3_document(p))
        for target in ("numpy", "jax", "torch"):
            out = tmp_path / f"{target}{k}"
            firmc.compile(m, target, p).write(out)
            for path in out.rglob("*.py"):
                problems = code_outside_literals(path.read_text(encoding="utf-8"))
                assert not problems, f"{path.name}: {problems[:5]}"
    assert not flag.exists()
