"""A parsed firm program to the HS3 document it means, with the source position of every JSON path.

Statements map to HS3 one to one: ``observable`` and ``parameter`` to the default domain and parameter point,
``distribution`` and ``function`` to objects of a library type (``gaussian(x, mean=mu, sigma=s)``: the HS3 type
``gaussian_dist``, arguments by position or by field name) or to ``generic_dist`` / ``generic_function`` of an
expression; ``data`` to HS3 data (``csv(...)`` and ``npy(...)`` read files), ``likelihood`` to a likelihood,
``check`` to a validation point, ``hs3 key = value`` to a top-level key written as is. An expression in a field
that takes a name or a number becomes a function of its own, named ``<object>_<field>``.

Example:
    >>> from firmc.frontends.dsl import parse_program
    >>> doc = lower(parse_program("observable x in [0, 1]\\nparameter mu = 0.5 in [0, 1]\\n"
    ...                           "distribution g = gaussian(x, mean=mu, sigma=0.1)")).doc
    >>> doc["distributions"]
    [{'name': 'g', 'type': 'gaussian_dist', 'x': 'x', 'mean': 'mu', 'sigma': 0.1}]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from ...errors import FirmError, SourceError, did_you_mean
from ...ir import Node, apply, param
from ...ir.types import DType
from ..expr import CONSTANTS, FUNCTIONS, ParsedExpression, build_expression
from ..hs3.registry import TYPES, TypeSpec
from .data import read_table
from .parse import Program

KINDS = {"distribution": "distributions", "function": "functions"}
_STATEMENT_KIND = {"observable_decl": "observable", "parameter_decl": "parameter", "object_decl": "object",
                   "data_decl": "data", "likelihood_decl": "likelihood"}
HS3_DATA = ("unbinned", "binned", "point")


def library_type(name: str, kind: str) -> TypeSpec | None:
    """The HS3 type a firm program calls ``name`` in a ``kind`` declaration: ``gaussian`` is ``gaussian_dist``
    for a distribution; full HS3 type names work too.

    Example:
        >>> library_type("gaussian", "distribution").name, library_type("sum", "function").name
        ('gaussian_dist', 'sum')
    """
    _register()
    for candidate in ((f"{name}_dist", name) if kind == "distribution" else (name,)):
        spec = TYPES.get(candidate)
        if spec is not None and spec.kind == kind:
            return spec
    return None


def _register() -> None:
    from ..hs3 import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register the builders)


@dataclass
class Lowered:
    """The HS3 document of a program and where each of its JSON paths came from (for error messages).

    Example:
        >>> Lowered({}, {}).doc
        {}
    """

    doc: dict[str, Any]
    where: dict[tuple[str | int, ...], Any]  # JSON path -> lark Token or Tree
    expressions: dict[tuple[str | int, ...], Any] = field(default_factory=dict)  # path -> expression tree


class _Lower:
    def __init__(self, prog: Program, base: Path | None) -> None:
        self.p, self.base = prog, base
        self.where: dict[tuple[str | int, ...], Any] = {}
        self.expressions: dict[tuple[str | int, ...], Any] = {}
        self.declared: dict[str, tuple[str, Any]] = {}  # name -> (kind, token)
        self.complex: set[str] = set()  # functions with complex values
        self.axes: list[dict[str, Any]] = []
        self.points: list[dict[str, Any]] = []
        self.observables: list[str] = []
        self.sections: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                                          ("distributions", "functions", "data", "likelihoods")}
        self.validations: list[dict[str, Any]] = []
        self.inline: dict[str, list[str | int]] = {}
        self.raw: dict[str, Any] = {}

    # ------------------------------------------------------------------------------------------- driver
    def run(self) -> Lowered:
        for st in self.p.statements:
            self.declare(st)
        checks = [st for st in self.p.statements if st.data == "check_decl"]
        for st in [st for st in self.p.statements if st.data != "check_decl"] + checks:  # checks see every domain
            getattr(self, st.data)(st)
        doc: dict[str, Any] = {"metadata": {"hs3_version": "0.2"}}
        for key, items in self.sections.items():
            if items:
                doc[key] = items
        if self.axes:
            doc["domains"] = [{"name": "default_domain", "type": "product_domain", "axes": self.axes}]
        if self.points:
            doc["parameter_points"] = [{"name": "default_values", "parameters": self.points}]
        firmc: dict[str, Any] = {"expression_dialect": "firm", "observables": self.observables}
        if self.validations:
            firmc["validations"] = self.validations
        if self.inline:
            firmc["inline"] = self.inline
        doc["misc"] = {"firmc": firmc}
        for key, value in self.raw.items():
            if isinstance(value, dict) and isinstance(doc.get(key), dict):
                doc[key] = {**value, **doc[key]} if key == "misc" else {**doc[key], **value}
                if key == "misc" and isinstance(value.get("firmc"), dict):
                    doc[key]["firmc"] = {**value["firmc"], **firmc}
            elif isinstance(value, list) and isinstance(doc.get(key), list):
                doc[key] = doc[key] + value
            else:
                doc[key] = value
        return Lowered(doc, self.where, self.expressions)

    def declare(self, st: Tree[Any]) -> None:
        if st.data not in _STATEMENT_KIND:
            return
        name = next(c for c in st.children if isinstance(c, Token) and c.type == "NAME")
        kind = _STATEMENT_KIND[st.data]
        if kind == "object":
            kind = str(st.children[0])
        if name in self.declared:
            first = self.declared[name][1]
            raise self.p.error(f"'{name}' is declared twice (first at line {first.line})", name)
        self.declared[str(name)] = (kind, name)

    # ------------------------------------------------------------------------------------------- values
    def constant(self, tree: Any, what: str = "a number") -> float | complex | bool:
        """The value of a constant expression (numbers, pi, im, arithmetic)."""
        from ...interp import evaluate

        def no_names(name: str) -> Node:
            raise self.p.error(f"expected {what}, not the name '{name}'", tree)

        node = build_expression(self.parsed(tree), no_names)
        value = evaluate([node], {})[0]
        if getattr(value, "shape", ()) != ():
            raise self.p.error(f"expected {what}", tree)
        if node.type.dtype is DType.BOOL:
            return bool(value)
        return complex(value) if node.type.dtype is DType.COMPLEX else float(value)

    def number(self, tree: Any, what: str = "a number") -> float:
        v = self.constant(tree, what)
        if isinstance(v, complex | bool):
            got = "a complex value" if isinstance(v, complex) else "a boolean"
            raise self.p.error(f"expected {what}, got {got}", tree)
        return v

    def parsed(self, tree: Any) -> ParsedExpression:
        return ParsedExpression(self.p.text, "firm", tree, (), self.p.origin)

    def source(self, tree: Any) -> str:
        if isinstance(tree, Token):
            return str(tree)
        return self.p.text[tree.meta.start_pos:tree.meta.end_pos]

    def json(self, v: Any, path: tuple[str | int, ...], names_as_strings: bool = True) -> Any:
        """A constant value as JSON: numbers, strings, booleans, lists, records; bare names are strings."""
        self.where[path] = v
        if isinstance(v, Tree) and v.data == "list":
            return [self.json(c, (*path, k), names_as_strings) for k, c in enumerate(v.children)]
        if isinstance(v, Tree) and v.data == "record":
            out = {}
            for kw in v.children:
                tok: Any = kw.children[0]
                key = _string(tok, self.p) if tok.type == "STRING" else str(tok)
                if key in out:
                    raise self.p.error(f"'{key}' is given twice", tok)
                out[key] = self.json(kw.children[1], (*path, key), names_as_strings)
            return out
        if isinstance(v, Token) and v.type == "STRING":
            return _string(v, self.p)
        if isinstance(v, Token) and v.type == "NAME" and str(v) not in CONSTANTS["firm"]:
            if names_as_strings:
                return str(v)
            raise self.p.error(f"expected a value, not the name '{v}'", v)
        if isinstance(v, Token) and v.type == "NUMBER" and v.isdigit():
            return int(v)
        value = self.constant(v, "a constant")
        if isinstance(value, complex):
            return [value.real, value.imag]
        if isinstance(value, float) and not math.isfinite(value):
            raise self.p.error("JSON has no infinite numbers here", v)
        return value

    def check_names(self, tree: Any, allowed: tuple[str, ...] = ("observable", "parameter", "function")) -> None:
        """Every name an expression uses is declared, as something an expression can use; a declared object is not
        called like a function."""
        for call in _calls(tree):
            got = self.declared.get(str(call))
            if got is not None:
                raise self.p.error(f"'{call}' is {_a(got[0])}: an expression uses it by its name, without "
                                   "arguments", call)
        for tok in _names(tree):
            got = self.declared.get(str(tok))
            if got is None:
                known = [n for n, (k, _) in self.declared.items() if k in allowed] + list(FUNCTIONS["firm"])
                raise self.p.error(f"undefined name '{tok}'{did_you_mean(str(tok), known)}", tok)
            if got[0] not in allowed:
                want = " or ".join(_a(k) for k in allowed)
                raise self.p.error(f"type mismatch: '{tok}' is {_a(got[0])}; expected {want}", tok)

    def is_complex(self, tree: Any) -> bool:
        def resolve(name: str) -> Node:
            return apply("complex", param(name), param(name)) if name in self.complex else param(name)

        return build_expression(self.parsed(tree), resolve).type.dtype is DType.COMPLEX

    # --------------------------------------------------------------------------------------- statements
    def observable_decl(self, st: Tree[Any]) -> None:
        name, rest = st.children[0], st.children[1:]
        dom = next((c for c in rest if c.data == "domain"), None)
        default = next((c for c in rest if c.data == "default"), None)
        if dom is None:
            raise self.p.error(f"missing domain: observable '{name}' needs its range, e.g. 'observable {name} in "
                               "[0, 10]'", name)
        lo, hi = self.domain(dom, name)
        self.add_axis(str(name), lo, hi, st)
        self.observables.append(str(name))
        if default is not None:
            self.points.append({"name": str(name), "value": self.number(default.children[0])})
            self.where[("parameter_points", 0, "parameters", len(self.points) - 1)] = default

    def parameter_decl(self, st: Tree[Any]) -> None:
        kids = list(st.children)
        const = isinstance(kids[0], Token) and kids[0].type == "CONST"
        name = kids[1] if const else kids[0]
        default = next(c for c in kids if isinstance(c, Tree) and c.data == "default")
        dom = next((c for c in kids if isinstance(c, Tree) and c.data == "domain"), None)
        value = self.number(default.children[0], f"a number for the value of '{name}'")
        if dom is not None:
            lo, hi = self.domain(dom, name)
            if not lo <= value <= hi:
                raise self.p.error(f"the value {value:g} of '{name}' is outside its domain [{lo:g}, {hi:g}]",
                                   default.children[0])
            self.add_axis(str(name), lo, hi, st)
        entry: dict[str, Any] = {"name": str(name), "value": value}
        if const:
            entry["const"] = True
        self.points.append(entry)
        self.where[("parameter_points", 0, "parameters", len(self.points) - 1)] = st

    def domain(self, dom: Tree[Any], name: Any) -> tuple[float, float]:
        lo, hi = (self.number(c, "a number for a bound") for c in dom.children)
        if lo >= hi:
            raise self.p.error(f"the domain of '{name}' is empty: {lo:g} is not below {hi:g}", dom)
        return lo, hi

    def add_axis(self, name: str, lo: float, hi: float, at: Any) -> None:
        axis: dict[str, Any] = {"name": name}
        if math.isfinite(lo):
            axis["min"] = lo
        if math.isfinite(hi):
            axis["max"] = hi
        self.axes.append(axis)
        self.where[("domains", 0, "axes", len(self.axes) - 1)] = at

    def object_decl(self, st: Tree[Any]) -> None:
        kind, name, value = str(st.children[0]), str(st.children[1]), st.children[2]
        section = KINDS[kind]
        path: tuple[str | int, ...] = (section, len(self.sections[section]))
        self.where[path] = st
        obj: dict[str, Any] = {"name": name}
        self.sections[section].append(obj)
        call = _call(value)
        spec = library_type(str(call.children[0]), kind) if call is not None else None
        if call is not None and spec is None and str(call.children[0]) in ("histfactory", "histfactory_dist"):
            obj["type"] = "histfactory_dist"
            self.keyword_only(call, obj, path)
            return
        if spec is not None and call is not None:
            obj["type"] = spec.name
            self.typed(call, spec, obj, path, name)
            return
        if call is not None and library_type(str(call.children[0]), _other(kind)) is not None:
            raise self.p.error(f"'{call.children[0]}' is a {_other(kind)}: declare it with '{_other(kind)} "
                               f"{name} = ...'", call.children[0])
        if call is not None and str(call.children[0]) not in FUNCTIONS["firm"] and \
                str(call.children[0]) not in self.declared:
            known = [t[:-5] if t.endswith("_dist") and kind == "distribution" else t for t, s in TYPES.items()
                     if s.kind == kind]
            raise self.p.error(f"unknown {kind} type '{call.children[0]}'{did_you_mean(str(call.children[0]), known)}",
                               call.children[0])
        if (isinstance(value, Tree) and value.data in ("list", "record")) or \
                (isinstance(value, Token) and value.type == "STRING"):
            raise self.p.error(f"expected a library type or an expression for the {kind} '{name}'", value)
        self.check_names(value)
        complex_valued = self.is_complex(value)
        if kind == "distribution" and complex_valued:
            raise self.p.error(f"type mismatch: the distribution '{name}' is complex-valued; a density must be "
                               "real (abs2(...) is the intensity of an amplitude)", value)
        if complex_valued:
            self.complex.add(name)
        obj["type"] = "generic_dist" if kind == "distribution" else "generic_function"
        obj["expression"] = self.source(value)
        self.expressions[(*path, "expression")] = value

    def typed(self, call: Tree[Any], spec: TypeSpec, obj: dict[str, Any], path: tuple[str | int, ...],
              name: str) -> None:
        args = call.children[1:]
        fields = list(spec.fields)
        given: dict[str, Any] = {}
        positional = [a for a in args if not (isinstance(a, Tree) and a.data == "keyword")]
        if len(positional) > len(fields):
            listing = ", ".join(f.name for f in fields)
            raise self.p.error(f"wrong number of arguments: '{call.children[0]}' takes at most {len(fields)} "
                               f"({listing}), got {len(positional)}", positional[len(fields)])
        k = 0
        for a in args:
            if isinstance(a, Tree) and a.data == "keyword":
                key, val = a.children
                if spec.field(str(key)) is None:
                    hint = did_you_mean(str(key), [f.name for f in fields])
                    raise self.p.error(f"'{call.children[0]}' has no argument '{key}'{hint}", key)
                if str(key) in given:
                    raise self.p.error(f"'{key}' is given twice", key)
                given[str(key)] = val
            else:
                fname, k = fields[k].name, k + 1
                if fname in given:
                    raise self.p.error(f"'{fname}' is given twice", a)
                given[fname] = a
        for f in fields:
            if f.required and f.name not in given:
                raise self.p.error(f"wrong number of arguments: '{call.children[0]}' needs '{f.name}' "
                                   f"({', '.join(g.name for g in fields if g.required)})", call)
        for f in fields:
            if f.name in given:
                obj[f.name] = self.field(f.kind, given[f.name], (*path, f.name), name, f.name, spec)

    def keyword_only(self, call: Tree[Any], obj: dict[str, Any], path: tuple[str | int, ...]) -> None:
        for a in call.children[1:]:
            if not (isinstance(a, Tree) and a.data == "keyword"):
                raise self.p.error(f"'{call.children[0]}' takes keyword arguments only (axes=..., samples=...)", a)
            obj[str(a.children[0])] = self.json(a.children[1], (*path, str(a.children[0])))

    def field(self, kind: str, v: Any, path: tuple[str | int, ...], owner: str, fname: str,
              spec: TypeSpec) -> Any:
        self.where[path] = v
        if kind in ("ref", "obs", "dist"):
            return self.ref(kind, v, path, owner, fname, -1, spec)
        if kind in ("refs", "obs_list", "dists"):
            items = v.children if isinstance(v, Tree) and v.data == "list" else [v]
            one = {"refs": "ref", "obs_list": "obs", "dists": "dist"}[kind]
            out = []
            for k, item in enumerate(items):
                self.where[(*path, k)] = item
                out.append(self.ref(one, item, (*path, k), owner, fname, k, spec))
            return out
        if kind == "expr":
            self.check_names(v)
            self.expressions[path] = v
            return self.source(v)
        return self.json(v, path)

    def ref(self, kind: str, v: Any, path: tuple[str | int, ...], owner: str, fname: str, index: int,
            spec: TypeSpec) -> Any:
        what = {"obs": "an observable", "dist": "a distribution", "ref": "a name or a number"}[kind]
        if isinstance(v, Token) and v.type == "NAME" and str(v) not in CONSTANTS["firm"]:
            allowed = {"obs": ("observable", "parameter"), "dist": ("distribution", "function"),
                       "ref": ("observable", "parameter", "function", "distribution")}[kind]
            self.check_names(v, allowed)
            if kind == "ref" and str(v) in self.complex:
                raise self.p.error(f"type mismatch: '{v}' is complex-valued; {spec.name}'s '{fname}' is real", v)
            return str(v)
        if kind != "ref" or (isinstance(v, Tree) and v.data in ("list", "record")) or \
                (isinstance(v, Token) and v.type == "STRING"):
            raise self.p.error(f"expected {what} for '{fname}'", v)
        self.check_names(v)
        if not _names(v):
            value = self.constant(v)
            if isinstance(value, complex):
                raise self.p.error(f"type mismatch: {spec.name}'s '{fname}' is real, not complex", v)
            return float(value)
        if self.is_complex(v):
            raise self.p.error(f"type mismatch: {spec.name}'s '{fname}' is real; this expression is complex", v)
        aux = f"{owner}_{fname}" if index < 0 else f"{owner}_{fname}_{index}"
        while aux in self.declared:
            aux += "_"
        self.declared[aux] = ("function", v)
        fpath = ("functions", len(self.sections["functions"]))
        self.sections["functions"].append({"name": aux, "type": "generic_function", "expression": self.source(v)})
        self.where[fpath] = v
        self.expressions[(*fpath, "expression")] = v
        self.inline[aux] = [owner, fname, index]
        return aux

    def data_decl(self, st: Tree[Any]) -> None:
        name, value = str(st.children[0]), st.children[1]
        call = _call(value)
        path: tuple[str | int, ...] = ("data", len(self.sections["data"]))
        self.where[path] = st
        if call is None:
            raise self.p.error("expected csv(\"file.csv\", x), npy(\"file.npy\", x) or an HS3 data type "
                               f"({', '.join(HS3_DATA)})", value)
        fn = str(call.children[0])
        if fn in HS3_DATA:
            obj: dict[str, Any] = {"name": name, "type": fn}
            self.keyword_only(call, obj, path)
        elif fn in ("csv", "npy"):
            obj = read_table(self, call, name)
        else:
            raise self.p.error(f"unknown data source '{fn}'{did_you_mean(fn, ['csv', 'npy', *HS3_DATA])}",
                               call.children[0])
        self.sections["data"].append(obj)

    def likelihood_decl(self, st: Tree[Any]) -> None:
        name, value = str(st.children[0]), st.children[1]
        call = _call(value)
        path: tuple[str | int, ...] = ("likelihoods", len(self.sections["likelihoods"]))
        self.where[path] = st
        if call is None or str(call.children[0]) != "nll":
            raise self.p.error("expected nll(distributions, data), e.g. nll(model, events) or "
                               "nll([model_a, model_b], [data_a, data_b])", value)
        args = call.children[1:]
        positional = [a for a in args if not (isinstance(a, Tree) and a.data == "keyword")]
        if len(positional) != 2:
            raise self.p.error(f"wrong number of arguments: nll takes distributions and data, got "
                               f"{len(positional)}", call)
        obj: dict[str, Any] = {"name": name}
        for key, v, allowed in (("distributions", positional[0], "distribution"), ("data", positional[1], "data")):
            items = v.children if isinstance(v, Tree) and v.data == "list" else [v]
            for item in items:
                if not (isinstance(item, Token) and item.type == "NAME"):
                    raise self.p.error(f"expected the name of {_a(allowed)}", item)
                self.check_names(item, (allowed,))
            obj[key] = [str(i) for i in items]
            self.where[(*path, key)] = v
        for a in args:
            if isinstance(a, Tree) and a.data == "keyword":
                key = str(a.children[0])
                if key not in ("aux_distributions",):
                    raise self.p.error(f"nll has no argument '{key}'{did_you_mean(key, ['aux_distributions'])}",
                                       a.children[0])
                obj[key] = self.json(a.children[1], (*path, key))
        self.sections["likelihoods"].append(obj)

    def check_decl(self, st: Tree[Any]) -> None:
        expr = st.children[0]
        rtol = self.number(st.children[2], "a tolerance") if len(st.children) > 2 else 1e-9
        if not (isinstance(expr, Tree) and expr.data == "expr_eq" and len(expr.children) == 3
                and expr.children[1] == "=="):
            at = expr.children[1] if isinstance(expr, Tree) and len(expr.children) == 3 and \
                isinstance(expr.children[1], Token) else expr
            raise self.p.error("expected 'check entry(x=..., p=...) == value'", at)
        call, expected = expr.children[0], expr.children[2]
        if not (isinstance(call, Tree) and call.data == "expr_call"):
            raise self.p.error("expected an entry with its point, e.g. model(x=1.5, mu=0.3)", call)
        entry = call.children[0]
        kind = self.declared.get(str(entry), ("", None))[0]
        if kind not in ("distribution", "function", "likelihood"):
            known = [n for n, (k, _) in self.declared.items() if k in ("distribution", "function", "likelihood")]
            raise self.p.error(f"undefined name '{entry}' (check needs a distribution, function or likelihood)"
                               f"{did_you_mean(str(entry), known)}", entry)
        point: dict[str, float] = {}
        for a in call.children[1:]:
            if not (isinstance(a, Tree) and a.data == "keyword"):
                raise self.p.error("give the point by name: model(x=1.5, mu=0.3)", a)
            key = a.children[0]
            self.check_names(key, ("observable", "parameter"))
            point[str(key)] = v = self.number(a.children[1])
            axis = next((ax for ax in self.axes if ax["name"] == str(key)), {})
            lo, hi = axis.get("min", -math.inf), axis.get("max", math.inf)
            if not lo <= v <= hi:
                raise self.p.error(f"{key} = {v:g} is outside its domain [{lo:g}, {hi:g}]", a.children[1])
        value = self.constant(expected, "a number for the expected value")
        out: Any = [value.real, value.imag] if isinstance(value, complex) else float(value)
        self.validations.append({"entry": str(entry), "point": point, "value": out, "rtol": rtol,
                                 "label": f"{self.p.origin}:{st.meta.line}"})

    def raw_decl(self, st: Tree[Any]) -> None:
        key = str(st.children[0])
        if key in self.raw:
            raise self.p.error(f"'hs3 {key}' is given twice", st.children[0])
        self.raw[key] = self.json(st.children[1], (key,))


_ARTICLE = {"observable": "an observable", "data": "a data set"}


def _a(kind: str) -> str:
    return _ARTICLE.get(kind, f"a {kind}")


def _walk(tree: Any, names_only: bool = False) -> Iterator[Any]:
    """The trees and tokens of a value, depth first in source order (an explicit stack). ``names_only``: not the
    names that are no model names (a called function, a keyword's key, the ``im`` of ``2im``)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Tree):
            kids = item.children
            if names_only and item.data in ("expr_call", "keyword", "entry"):
                kids = kids[1:]
            elif names_only and item.data == "expr_juxt" and str(kids[1]) == "im":
                kids = [kids[0], *kids[2:]]
            stack.extend(reversed(kids))


def _calls(tree: Any) -> list[Any]:
    """The names of the functions an expression calls."""
    return [t.children[0] for t in _walk(tree) if isinstance(t, Tree) and t.data == "expr_call"]


def _other(kind: str) -> str:
    return "function" if kind == "distribution" else "distribution"


def _call(v: Any) -> Tree[Any] | None:
    return v if isinstance(v, Tree) and v.data == "expr_call" else None


def _names(tree: Any) -> list[Token]:
    """The model names an expression uses (not function names, keyword keys or the firm constants)."""
    return [t for t in _walk(tree, names_only=True)
            if isinstance(t, Token) and t.type == "NAME" and str(t) not in CONSTANTS["firm"]]


def _string(tok: Token, prog: Program) -> str:
    import json

    try:
        return str(json.loads(str(tok)))
    except ValueError as exc:
        raise prog.error(f"malformed string: {exc}", tok) from None


def lower(prog: Program, base: Path | None = None) -> Lowered:
    """The HS3 document of a parsed program; ``base`` is the directory data files are read from.

    Example:
        >>> from firmc.frontends.dsl.parse import parse_program
        >>> lower(parse_program("parameter a = 2")).doc["parameter_points"]
        [{'name': 'default_values', 'parameters': [{'name': 'a', 'value': 2.0}]}]
    """
    try:
        return _Lower(prog, base).run()
    except SourceError:
        raise
    except FirmError as exc:  # an expression the IR refuses (a comparison of complex numbers ...)
        raise prog.error(str(exc), prog.statements[0]) from None


__all__ = ["HS3_DATA", "KINDS", "Lowered", "library_type", "lower"]
