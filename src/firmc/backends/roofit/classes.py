"""C++ RooFit classes for what RooFit lacks: one ``RooAbsPdf`` or ``RooAbsReal`` per object the HS3 writer
cannot express in ROOT's dialect (an op TFormula has no spelling for, a shape without a RooFit importer, a
complex amplitude's real and imaginary parts).

Each class evaluates through the cpp target's code for that object (the whole header, with the runtime's
special functions inlined), so RooFit computes exactly what the other targets compute. A density is evaluated
already normalised over its observables' domains, and declares that analytic integral (1) to RooFit for
exactly those observables over their full ranges; any other integral (a sub-range, a subset of the
observables, changed ranges) RooFit computes numerically.

Example:
    >>> from firmc.ir import Module, Observable, Parameter, Entry, obs, param, apply
    >>> x = obs("x", 0.0, 1.0)
    >>> m = Module(observables={"x": Observable("x", 0.0, 1.0)}, parameters={"a": Parameter("a", 2.0)})
    >>> c = foreign_class("shape", apply("normalize", apply("lgamma", x + param("a"))), m, ("x",))
    >>> c.base, c.servers
    ('RooAbsPdf', ('x', 'a'))
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ...ir import Entry, Module, Node, Observable, apply, leaves
from ...ir.text import print_nodes
from ..naming import c_string, file_stem

GUARD_LINE = re.compile(r"^#pragma once\n", re.MULTILINE)


@dataclass(frozen=True)
class ForeignClass:
    """One generated class: the RooFit object ``name`` of class ``cls`` over ``servers`` (variable names, in
    constructor order), with the C++ code it needs (``code``: the cpp target's header, then the class).

    Example:
        >>> ForeignClass("f", "firmc_f", "RooAbsReal", ("a",), "").cls
        'firmc_f'
    """

    name: str
    cls: str
    base: str  # RooAbsPdf or RooAbsReal
    servers: tuple[str, ...]
    code: str


def foreign_class(name: str, node: Node, source: Module, observables: Sequence[str], optimize: int = 1,
                  density: bool | None = None, part: str = "") -> ForeignClass:
    """The class computing ``node``: a density over those of ``observables`` it uses (``density``; default:
    when ``node`` is a ``normalize`` node), else a real function (``part`` "real"/"imag" of a complex one).

    Example:
        >>> from firmc.ir import Module, Parameter, param, apply
        >>> m = Module(parameters={"a": Parameter("a", 2.0)})
        >>> foreign_class("g", apply("lgamma", param("a")), m, ()).base
        'RooAbsReal'
    """
    from ...compiler import build_program
    from ..cpp import BACKEND as CPP

    density = node.op == "normalize" if density is None else density
    used = leaves([node], "obs")
    over = tuple(o for o in observables if o in used) if density else ()
    expr = apply(part, node) if part else node
    # the code's name carries a digest of what it computes: ROOT's interpreter keeps a declared class for the
    # process, and two models may each have an object of this name
    digest = hashlib.sha256("\n".join([*print_nodes([expr])[0], repr(over)]).encode()).hexdigest()[:12]
    stem = f"{file_stem(name)}_{digest}"
    mini = Module(observables=source.observables, parameters=source.parameters, datasets=source.datasets,
                  entries={stem: Entry(stem, "distribution" if density else "function", expr, over)})
    program, _ = build_program(mini, "cpp", stem, over, optimize, derivatives=0)
    servers = (*program.observables, *program.parameters)
    cls = f"firmc_{stem}_roofit"
    header = GUARD_LINE.sub("", CPP.emit(program).files[f"{stem}.hpp"])
    text = _class_text(cls, f"firmc_{stem}", density, program.observables, program.parameters,
                       [source.observables[o] for o in program.observables])
    guard = cls.upper() + "_H"
    code = f"#ifndef {guard}\n#define {guard}\n{header}\n{text}\n#endif  // {guard}\n"
    return ForeignClass(name, cls, "RooAbsPdf" if density else "RooAbsReal", servers, code)


def _class_text(cls: str, ns: str, density: bool, observables: Sequence[str], parameters: Sequence[str],
                domains: Sequence[Observable]) -> str:
    base = "RooAbsPdf" if density else "RooAbsReal"
    names = [*observables, *parameters]
    proxies = [f"s{k}_" for k in range(len(names))]
    args = ", ".join(f"RooAbsReal& s{k}" for k in range(len(names)))
    init = "".join(f", {p}(\"s{k}\", \"{c_string(n)}\", this, s{k})" for k, (p, n) in enumerate(zip(proxies, names,
                                                                                               strict=True)))
    copy = "".join(f", {p}(\"s{k}\", this, other.{p})" for k, p in enumerate(proxies))
    nobs = len(observables)
    p_vals = ", ".join(f"double({p})" for p in proxies[nobs:]) or "0.0"
    x_vals = "".join(f"    const double x{k} = double({proxies[k]});\n" for k in range(nobs))
    x_ptrs = ", ".join(f"&x{k}" for k in range(nobs)) or "nullptr"
    call = f"{ns}::pdf(p, x, 1, &out)" if density else f"{ns}::value(p, x, 1, &out)"
    lines = [
        "#include <RooAbsPdf.h>", "#include <RooAbsReal.h>",
        "#include <RooArgSet.h>", "#include <RooRealProxy.h>", "#include <limits>", "",
        f"/// generated by firmc: {'a density, normalised over its observables' if density else 'a function'}",
        f"class {cls} : public {base} {{", "public:", f"  {cls}() = default;",
        f"  {cls}(const char* name, const char* title{', ' + args if args else ''})",
        f"      : {base}(name, title){init} {{}}",
        f"  {cls}(const {cls}& other, const char* name = nullptr) : {base}(other, name){copy} {{}}",
        f"  TObject* clone(const char* newname = nullptr) const override {{ return new {cls}(*this, newname); }}",
    ]
    if density:
        checks = " && ".join(f"{proxies[k]}.min() == {c_double(d.min)} && {proxies[k]}.max() == {c_double(d.max)}"
                             for k, d in enumerate(domains))
        match = ", ".join(f"{proxies[k]}.arg()" for k in range(nobs))
        lines += [
            "  // normalised by construction over the observables' full domains, as compiled",
            "  Int_t getAnalyticalIntegral(RooArgSet& allVars, RooArgSet& analVars,",
            "                              const char* rangeName = nullptr) const override {",
            f"    if (rangeName == nullptr && {checks} && matchArgs(allVars, analVars, RooArgSet({match}))) {{",
            "      return 1;", "    }", "    return 0;", "  }",
            "  double analyticalIntegral(Int_t, const char* = nullptr) const override { return 1.0; }",
        ]
    lines += [
        "protected:", "  double evaluate() const override {", f"    const double p[] = {{{p_vals}}};",
        x_vals.rstrip("\n"), f"    const double* const x[] = {{{x_ptrs}}};", "    double out = 0.0;",
        f"    {call};", "    return out;", "  }",
    ]
    if proxies:
        lines += ["private:", f"  RooRealProxy {', '.join(proxies)};"]
    lines += ["};", ""]
    return "\n".join(line for line in lines if line != "")


def c_double(v: float) -> str:
    """A C++ double literal (infinities and NaN through ``std::numeric_limits``).

    Example:
        >>> c_double(0.5), c_double(-math.inf)
        ('0.5', '-std::numeric_limits<double>::infinity()')
    """
    if math.isnan(v):
        return "std::numeric_limits<double>::quiet_NaN()"
    if math.isfinite(v):
        return repr(float(v))
    return ("" if v > 0 else "-") + "std::numeric_limits<double>::infinity()"
