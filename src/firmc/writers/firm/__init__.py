"""Models as firm programs: ``firmc convert MODEL --to firm`` and ``firmc fmt``.

An HS3 document is written statement by statement (:func:`hs3_to_firm`): its variables as ``observable`` and
``parameter`` declarations (the HS3 front-end says which are observables), each distribution and function as a
call of its library type (``gaussian(x, mean=mu, sigma=s)``) or as its expression, data, likelihoods and the
validation points of ``misc.firmc`` as ``data``, ``likelihood`` and ``check``; what has no statement of its own
(ROOT's metadata, other domains and parameter points, ``misc``) as ``hs3 key = value``, so that reading the
program gives the document's values back. Expressions of ROOT-made documents are rewritten in firm syntax
(TFormula's integer division and ``TMath::`` functions spelled out). Any other model goes through the HS3
writer first (:func:`module_to_firm`). Names that are not firm identifiers are mangled, deterministically, and
the originals kept in ``misc.firmc.original_names``.

Example:
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -5, "max": 5}]}],
    ...        "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.5}]}]}
    >>> print(hs3_to_firm(doc), end="")
    observable x in [-5.0, 5.0]
    parameter mu = 0.5
    <BLANKLINE>
    distribution g = gaussian(x, mean=mu, sigma=1.0)
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ...errors import FirmError
from ...frontends.dsl.lower import library_type
from ...frontends.expr import CONSTANTS, build_expression, parse_expression
from ...frontends.hs3.registry import TYPES
from ...ir import Module, param
from ..hs3.expression import to_expression
from .layout import format_program, format_text

__all__ = ["format_program", "format_text", "hs3_to_firm", "module_to_firm"]

_NAME = re.compile(r"[^\W\d]\w*(?:::[^\W\d]\w*)*\Z")
_KEYWORDS = frozenset({"observable", "parameter", "const", "distribution", "function", "data", "likelihood",
                       "check", "hs3", "in", "rtol"})
_IR_NAME = re.compile(r'(= (?:param|obs)\[[^\n]*?name=|= datasum\[[^\n]*?dataset=)("(?:[^"\\]|\\.)*")')
_OWN_MISC = ("observables", "validations", "inline", "expression_dialect", "original_names")


def _identifier(name: str) -> bool:
    return bool(_NAME.match(name)) and name not in _KEYWORDS and name not in CONSTANTS["firm"]


def _number(v: float | int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def _literal(v: Any) -> str:
    """A JSON value as a firm value: strings quoted, records ``{key=value}``."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool | int | float):
        return _number(v)
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k if _NAME.match(k) else _literal(k)}={_literal(x)}" for k, x in v.items()) + "}"
    if v is None:
        raise FirmError("a JSON null has no firm form")
    raise FirmError(f"a {type(v).__name__} has no firm form")


class _Writer:
    def __init__(self, doc: dict[str, Any], file: str | None) -> None:
        from ...frontends.hs3 import load_hs3

        self.doc = doc
        self.module = load_hs3(doc, file)
        packages = [p.get("name") for p in doc.get("metadata", {}).get("packages", []) if isinstance(p, dict)]
        fm = doc.get("misc", {}).get("firmc", {}) if isinstance(doc.get("misc"), dict) else {}
        self.dialect = "firm" if fm.get("expression_dialect") == "firm" else "root" if "ROOT" in packages else "hs3"
        self.inline: dict[str, list[Any]] = dict(fm.get("inline", {}))
        self.rename = self._renames()
        self.inlined: dict[tuple[str, str, int], str] = {}

    def _renames(self) -> dict[str, str]:
        names = {o["name"] for s in ("distributions", "functions", "data", "likelihoods")
                 for o in self.doc.get(s, []) if isinstance(o, dict) and isinstance(o.get("name"), str)}
        names |= set(self.module.parameters) | set(self.module.observables)
        taken = {n for n in names if _identifier(n)}
        out = {}
        for n in sorted(names - taken):
            base = re.sub(r"\W+", "_", n).strip("_") or "name"
            base = base if _identifier(base) else f"n_{base}"
            cand, k = base, 2
            while cand in taken:
                cand, k = f"{base}_{k}", k + 1
            taken.add(cand)
            out[n] = cand
        return out

    def name(self, n: str) -> str:
        return self.rename.get(n, n)

    def expression(self, text: str) -> str:
        """An expression string of the document in firm syntax, names renamed."""
        parsed = parse_expression(text, self.dialect)  # type: ignore[arg-type]
        if self.dialect != "root" and not any(n in self.rename for n in parsed.names):
            return text
        node = build_expression(parsed, lambda n: param(self.name(n)))
        return to_expression(node, "spec")

    def ref(self, v: Any) -> str:
        if isinstance(v, str):
            if v in self.inline_names:
                return self.inline_names[v]
            try:
                return _number(float(v)) if not _identifier(v) and v not in self.rename else self.name(v)
            except ValueError:
                return self.name(v)
        if isinstance(v, list):
            return "[" + ", ".join(self.ref(x) for x in v) + "]"
        return _literal(v)

    # ------------------------------------------------------------------------------------------- output
    def run(self) -> str:
        self.inline_names = {aux: self._object_expression(aux) for aux in self.inline}
        lines: list[str] = []
        raw = self._raw()
        lines += [f"hs3 {k} = {_literal(v)}" for k, v in raw.items()]
        if lines:
            lines.append("")
        for o in self.module.observables.values():
            default = "" if o.value is None else f" = {_number(o.value)}"
            lines.append(f"observable {self.name(o.name)} in [{_number(o.min)}, {_number(o.max)}]{default}")
        for p in self.module.parameters.values():
            value = p.value if not math.isnan(p.value) else (0.5 * (p.min + p.max) if math.isfinite(p.min + p.max)
                                                              else 0.0)
            dom = f" in [{_number(p.min)}, {_number(p.max)}]" if math.isfinite(p.min) or math.isfinite(p.max) \
                else ""
            lines.append(f"{'const ' if p.const else ''}parameter {self.name(p.name)} = {_number(value)}{dom}")
        for section, kind in (("distributions", "distribution"), ("functions", "function")):
            items = [o for o in self.doc.get(section, []) if o.get("name") not in self.inline]
            if items:
                lines.append("")
            for o in items:
                spec = TYPES.get(o.get("type", ""))
                declared = spec.kind if spec is not None else kind  # ROOT lists resolution models as pdfs
                lines.append(f"{declared} {self.name(o['name'])} = {self.object(o, declared)}")
        if self.doc.get("data"):
            lines.append("")
        for d in self.doc.get("data", []):
            kwargs = ", ".join(f"{k}={_literal(self._renamed(v))}" for k, v in d.items() if k not in ("name", "type"))
            lines.append(f"data {self.name(d['name'])} = {d['type']}({kwargs})")
        for lk in self.doc.get("likelihoods", []):
            aux = f", aux_distributions={self.ref(lk['aux_distributions'])}" if lk.get("aux_distributions") else ""
            lines.append(f"likelihood {self.name(lk['name'])} = nll({self.ref(lk['distributions'])}, "
                         f"{self.ref(lk['data'])}{aux})")
        checks = [self.check(v) for v in self.module.validations]
        if checks:
            lines += ["", *checks]
        return format_text("\n".join(lines) + "\n")

    def _raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        meta = {k: v for k, v in self.doc.get("metadata", {}).items() if k != "hs3_version"}
        meta["packages"] = [p for p in meta.get("packages", []) if not (isinstance(p, dict) and p.get("name") ==
                                                                        "firmc")]  # firmc's HS3 writer
        if meta["packages"] or len(meta) > 1:
            raw["metadata"] = {"hs3_version": self.doc["metadata"].get("hs3_version", "0.2"), **meta}
        for key in ("domains", "parameter_points"):
            extra = self.doc.get(key, [])[1:]
            if extra:
                raw[key] = self._renamed(extra)
        for key in ("analyses",):
            if self.doc.get(key):
                raw[key] = self._renamed(self.doc[key])
        misc = dict(self.doc.get("misc", {})) if isinstance(self.doc.get("misc"), dict) else {}
        fm = {k: v for k, v in misc.pop("firmc", {}).items() if k not in _OWN_MISC}
        originals = {self.rename[n]: n for n in self.rename}
        if originals:
            fm["original_names"] = originals
        if fm:
            misc["firmc"] = fm
        if misc:
            raw["misc"] = misc
        return raw

    def _renamed(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.rename.get(v, v)
        if isinstance(v, list):
            return [self._renamed(x) for x in v]
        if isinstance(v, dict):
            return {k: self._renamed(x) for k, x in v.items()}
        return v

    def _renamed_ir(self, text: str) -> str:
        """IR text with parameters, observables and data sets renamed (``%3 = param[name="a[0]"] : real/param``)."""
        if not self.rename:
            return text

        def one(m: re.Match[str]) -> str:
            old = json.loads(m.group(2))
            return m.group(1) + json.dumps(self.rename.get(old, old), ensure_ascii=False)

        return _IR_NAME.sub(one, text)

    def _object_expression(self, name: str) -> str:
        obj = next(o for o in self.doc.get("functions", []) if o.get("name") == name)
        return self.expression(obj["expression"])

    def object(self, o: dict[str, Any], kind: str) -> str:
        t = o.get("type", "")
        if t in ("generic_dist", "generic_function"):
            return self.expression(o["expression"])
        if t == "histfactory_dist":
            args = [f"{k}={_literal(self._renamed(v))}" for k, v in o.items() if k not in ("name", "type")]
            return f"histfactory({', '.join(args)})"
        spec = TYPES[t]
        short = t[:-5] if kind == "distribution" and t.endswith("_dist") else t
        call = short if library_type(short, kind) is spec else t
        args = []
        for k, f in enumerate(spec.fields):
            if f.name not in o:
                continue
            v = o[f.name]
            if f.kind == "expr":
                text = self.expression(v)
            elif f.kind in ("ref", "refs", "obs", "obs_list", "dist", "dists"):
                text = self.ref(v)
            elif t.startswith("firmc_ir") and f.name == "ir":
                text = _literal(self._renamed_ir(v))
            else:
                text = _literal(self._renamed(v))
            positional = k == 0 and f.kind in ("obs", "obs_list") and f.required
            args.append(text if positional else f"{f.name}={text}")
        return f"{call}({', '.join(args)})"

    def check(self, v: Any) -> str:
        point = ", ".join(f"{self.name(k)}={_number(x)}" for k, x in v.point.items())
        e = v.expected
        value = _number(e) if not isinstance(e, complex) else \
            f"{_number(e.real)} {'-' if math.copysign(1.0, e.imag) < 0 else '+'} {_number(abs(e.imag))}im"
        return f"check {self.name(v.entry)}({point}) == {value} rtol {_number(v.rtol)}"


def hs3_to_firm(doc: dict[str, Any], file: str | None = None) -> str:
    """The firm program of an HS3 document (any dialect), in canonical form.

    Example:
        >>> hs3_to_firm({"metadata": {"hs3_version": "0.2"}})
        ''
    """
    return _Writer(doc, file).run()


def module_to_firm(module: Module) -> str:
    """The firm program of any model, through its HS3 document (spec dialect).

    Example:
        >>> from firmc.frontends.dsl import load_firm
        >>> print(module_to_firm(load_firm("observable x in [0, 1]\\ndistribution u = uniform(x)")), end="")
        observable x in [0.0, 1.0]
        <BLANKLINE>
        distribution u = uniform([x])
    """
    from ..hs3 import write_hs3

    return hs3_to_firm(write_hs3(module, "spec"))
