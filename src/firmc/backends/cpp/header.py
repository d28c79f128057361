"""The text of the generated C++17 header: metadata, constants, the runtime it needs, and the functions.

Surface (namespace ``firmc_<entry>``), with ``p`` the parameters in ``parameter_names`` order and ``x[k]`` the
array of observable ``k``:

* ``pdf``/``logpdf`` (a distribution) or ``value`` (otherwise): ``void f(const double* p, const double* const* x,
  std::size_t n, double* out)`` -- ``out`` holds ``n`` values, or ``2n`` interleaved (re, im) when complex;
* ``double expected(const double* p)`` (extended distributions);
* ``double nll(const double* p, const double* const* x, const double* w, std::size_t n)`` -- ``w`` may be null;
* ``double nll_grad(..., double* grad)`` -- the NLL, and its gradient over ``free_index`` into ``grad``; the NLL and
  every component of the gradient are summed in one pass over the events;
* ``void nll_hessian(..., double* h)`` when compiled with ``derivatives=2`` (``n_free`` x ``n_free``, row-major).

With ``FIRMC_C_API`` defined, ``extern "C"`` wrappers ``firmc_<entry>_<function>`` give a plain C ABI.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program, Parameter
    >>> text = header_text(Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",),
    ...                    defaults={"a": Parameter("a", 2.0)}))
    >>> "inline void value(const double* p, const double* const* x, std::size_t n, double* out)" in text
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...ir import Node, leaves
from ...ir.types import DType
from ...passes.gradient import gradient_key, hessian_key
from .. import EVENTS, Program
from ..csource.dialects import CPP, CDialect, c_literal
from ..csource.emit import CFunction
from ..csource.tables import CTables
from ..naming import c_string, comment, comment_lines, file_stem
from ..quadrules import rules_for
from ..schedule import post_order

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
_ORDER = ("elementary.hpp", "gamma.hpp", "landau.hpp", "faddeeva.hpp")
ACCUMULATE = """\
#ifndef FIRMC_ACCUMULATE
#define FIRMC_ACCUMULATE
// Neumaier's compensated sum: s + c carries the total to about one rounding; once the sum is infinite (or NaN)
// the compensation stays put (inf - inf would make the total NaN)
FIRMC_FN void fc_accumulate(double& s, double& c, double v) {
    const double t = s + v;
    if (std::fabs(t) <= 1.7976931348623157e308) c += (std::fabs(s) >= std::fabs(v)) ? ((s - t) + v) : ((v - t) + s);
    s = t;
}
#endif"""


def c_array(name: str, values: np.ndarray, decl: str = "inline constexpr double", dialect: CDialect = CPP) -> str:
    """The declaration of a constant array of doubles (six to a line).

    Example:
        >>> print(c_array("a", np.array([1.0, 2.5])))
        inline constexpr double a[] = {
            1.0, 2.5
        };
    """
    items = [dialect.literal(float(v), DType.REAL) for v in np.asarray(values, dtype=float).ravel()]
    rows = [", ".join(items[i:i + 6]) for i in range(0, len(items), 6)]
    return f"{decl} {name}[] = {{\n    " + ",\n    ".join(rows) + "\n};"


def _strings(items: Sequence[str]) -> str:
    return "{" + ", ".join(f'"{c_string(s)}"' for s in items) + "}"


def _doubles(items: Sequence[float]) -> str:
    return "{" + ", ".join(c_literal(v, DType.REAL) for v in items) + "}" if items else "{0.0}"


class HeaderWriter:
    """Collects the constants and functions of one header (subclassed by the cuda target's source writer).

    Example:
        >>> HeaderWriter.per_point.__name__
        'per_point'
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.consts: list[str] = []
        self.functions: list[str] = []
        self.names: list[str] = []  # of the functions, in order
        self.used: set[str] = set()
        self.tables = CTables()  # choose's constant tables (declared after the other constants)
        self.params = {p: f"p[{j}]" for j, p in enumerate(program.parameters)}
        self.datasets = {}
        for k, (name, d) in enumerate(sorted(program.datasets.items())):
            cols = {}
            for j, (col, values) in enumerate(sorted(d.columns.items())):
                cols[col] = self.constant(f"D{k}_{j}", values, data=True) + "[i]"
                self.consts[-1] = f"// {comment(f'data set {name}: {col}')}\n{self.consts[-1]}"
            weights = ""
            if d.weights is not None:
                weights = self.constant(f"D{k}_w", d.weights, data=True)
                self.consts[-1] = f"// {comment(f'data set {name}: weights')}\n{self.consts[-1]}"
            self.datasets[name] = (cols, weights, str(d.size))
        defaults = {k: p.value for k, p in program.defaults.items()}
        self.rules = {}
        for k, (key, rule) in enumerate(rules_for(list(program.outputs.values()), defaults).items()):
            names = tuple(f"Q{k}_{i}" for i in range(len(rule.points)))
            for name, pts in zip(names, rule.points, strict=True):
                self.constant(name, pts, data=False)
            self.constant(f"Q{k}_w", rule.weights, data=False)
            self.rules[key] = (names, f"Q{k}_w", rule.size)

    def constant(self, name: str, values: np.ndarray, data: bool) -> str:
        """Declare the constant array ``name`` (a data set's column or weights, or a quadrature rule's); the name
        generated code reads it by."""
        self.consts.append(c_array(name, values))
        return name

    def _function(self, events: bool) -> CFunction:
        sets = dict(self.datasets)
        if events:
            sets[EVENTS] = ({o: f"x[{k}][i]" for k, o in enumerate(self.program.observables)}, "w", "n")
        return CFunction(CPP, self.params, sets, self.rules, self.tables)

    def per_point(self, name: str, root: Node, doc: str) -> None:
        """``void name(p, x, n, out)``: ``root`` at each of n points."""
        f = self._function(False)
        cols = {o: f"x[{k}][i1]" for k, o in enumerate(self.program.observables)}
        points = f.points(cols, "n")
        body = f.block(sorted(f.reads([root], points, f.root), key=post_order([root])))
        inner = f.block([root], points)
        body += f.flush(f.root)
        cplx = root.type.dtype is DType.COMPLEX
        if cplx:
            re, im = f.pairs[(id(f.home(root, points)), root)]
            inner += [f"out[2 * i1] = {re};", f"out[2 * i1 + 1] = {im};"]
        else:
            inner.append(f"out[i1] = {f.ref(root, points)};")
        body += ["for (std::size_t i1 = 0; i1 < n; ++i1) {", *("    " + ln for ln in inner), "}"]
        self.names.append(name)
        self._add(f, f"/// {doc}\ninline void {name}(const double* p, const double* const* x, std::size_t n, "
                     "double* out) {", body, [])

    def scalar(self, name: str, roots: Sequence[Node], doc: str, signature: str, writes: Sequence[str]) -> None:
        """A function computing ``roots`` once: the first is returned, the others written as ``writes``."""
        f = self._function("const double* w" in signature)
        body = f.block(list(roots))
        refs = [f.ref(r, f.root) for r in roots]
        tail = [f"{w} = {r};" for w, r in zip(writes, refs[1:], strict=True)]
        self.names.append(name)
        self._add(f, f"/// {doc}\ninline {signature} {{", body + tail, [f"return {refs[0]};"] if writes or
                  signature.startswith("double") else [])

    def _add(self, f: CFunction, head: str, body: list[str], tail: list[str]) -> None:
        spellings = [CPP.ops.get(o) for o in f.used_ops]
        self.used |= {t.split("(")[0] for t in spellings if isinstance(t, str) and t.startswith("fc_")}
        if "faddeeva" in f.used_ops:
            self.used.add("fc_faddeeva")
        args = re.findall(r"(\w+)(?=,|\) \{)", head.split("(", 1)[1])  # silence unused-parameter warnings
        unused = "    " + " ".join(f"(void){a};" for a in args)
        self.functions.append("\n".join([head, unused, *("    " + ln for ln in body + tail), "}"]))


def runtime_text(used: set[str]) -> str:
    """The runtime headers defining the ``fc_`` functions ``used`` (and ``elementary.hpp``), includes removed.

    Example:
        >>> "fc_landau(" in runtime_text({"fc_landau"}), "fc_landau(" in runtime_text(set())
        (True, False)
    """
    files = {CPP.runtime_file(fn) for fn in used} | {"elementary.hpp"}
    parts = []
    for name in _ORDER:
        if name in files:
            text = (RUNTIME / name).read_text(encoding="utf-8")
            parts.append(re.sub(r'#include "[^"]+"\n', "", text).strip())
    return "\n\n".join(parts)


def header_text(program: Program) -> str:
    """The whole header for ``program`` (deterministic).

    Example:
        >>> header_text.__name__
        'header_text'
    """
    w = HeaderWriter(program)
    free, main = write_functions(w)
    return _assemble(program, w, free, main)


def write_functions(w: HeaderWriter) -> tuple[list[str], str]:
    """Add the surface's functions to ``w`` (the module docstring); the free parameters and the name of the
    per-point entry function (``pdf`` or ``value``).

    Example:
        >>> write_functions.__name__
        'write_functions'
    """
    program = w.program
    outs = program.outputs
    free = [p for p in program.parameters if not program.defaults[p].const] if program.defaults else []
    kind = program.kind
    main = "pdf" if kind == "distribution" else "value"
    w.per_point(main, outs["value"], "the entry at n points")
    if "logpdf" in outs:
        w.per_point("logpdf", outs["logpdf"], "log pdf at n points, in log space where the model allows")
    if "expected" in outs:
        w.scalar("expected", [outs["expected"]], "expected number of events", "double expected(const double* p)",
                 [])
    sig = "const double* p, const double* const* x, const double* w, std::size_t n"
    if "nll" in outs:
        w.scalar("nll", [outs["nll"]], "negative log-likelihood", f"double nll({sig})", [])
        grads = [gradient_key("nll", q) for q in free]
        if all(g in outs for g in grads):
            w.scalar("nll_grad", [outs["nll"], *(outs[g] for g in grads)], "NLL and its gradient (one pass)",
                     f"double nll_grad({sig}, double* grad)", [f"grad[{i}]" for i in range(len(free))])
        hess = [(i, j, hessian_key("nll", a, b)) for i, a in enumerate(free) for j, b in enumerate(free) if j >= i]
        if free and all(k in outs for _, _, k in hess):
            writes = [f"h[{i * len(free) + j}] = h[{j * len(free) + i}]" if i != j else f"h[{i * len(free) + i}]"
                      for i, j, _ in hess]  # (h[k] = h[k] = v is undefined behaviour)
            w.scalar("nll_hessian", [outs["nll"], *(outs[k] for _, _, k in hess)], "the NLL's Hessian",
                     f"double nll_hessian({sig}, double* h)", writes)
    return free, main


def metadata(program: Program, free: list[str]) -> list[str]:
    """The declarations of the parameters' and observables' names (as in the model), defaults and bounds, and the
    entry's name.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.backends import Parameter
        >>> metadata(Program("f", {"value": param("a")}, (), ("a",), defaults={"a": Parameter("a", 2.0)}), ["a"])[1]
        'inline constexpr const char* parameter_names[] = {"a"};'
    """
    params = list(program.parameters)
    d = program.defaults
    doms = leaves(list(program.outputs.values()), "obs")
    obs = list(program.observables)
    meta = [
        f"inline constexpr std::size_t n_parameters = {len(params)};",
        f"inline constexpr const char* parameter_names[] = {_strings(params) if params else '{nullptr}'};",
        f"inline constexpr double parameter_defaults[] = {_doubles([d[q].value for q in params])};",
        f"inline constexpr double parameter_min[] = {_doubles([d[q].min for q in params])};",
        f"inline constexpr double parameter_max[] = {_doubles([d[q].max for q in params])};",
        f"inline constexpr std::size_t n_free = {len(free)};",
        f"inline constexpr std::size_t free_index[] = {{{', '.join(str(params.index(q)) for q in free) or '0'}}};",
        f"inline constexpr std::size_t n_observables = {len(obs)};",
        f"inline constexpr const char* observable_names[] = {_strings(obs) if obs else '{nullptr}'};",
        f"inline constexpr double observable_min[] = {_doubles([doms[o].attr('lo') for o in obs if o in doms])};",
        f"inline constexpr double observable_max[] = {_doubles([doms[o].attr('hi') for o in obs if o in doms])};",
        f'inline constexpr const char* entry_name = "{c_string(program.name)}";',
    ]
    return meta


def _assemble(program: Program, w: HeaderWriter, free: list[str], main: str) -> str:
    ns = "firmc_" + file_stem(program.name)
    meta = metadata(program, free)
    header = comment_lines(program.header, "//")
    c_api = c_api_text(ns, [(name, *SIGNATURES[name]) for name in w.names])
    consts = [*w.consts, *w.tables.declarations("inline constexpr")]
    return (f"{header}// C++17, self-contained (no firmc, no ROOT): #include it, or compile with -DFIRMC_C_API for a "
            f"C ABI.\n#pragma once\n#include <cmath>\n#include <cstddef>\n#include <cstdint>\n#include <limits>\n\n"
            f"#ifndef FIRMC_FN\n#define FIRMC_FN inline\n#endif\n\n{runtime_text(w.used)}\n\n{ACCUMULATE}\n\n"
            f"namespace {ns} {{\n\n" + "\n".join(meta) + "\n\n" + "\n\n".join(consts)
            + ("\n\n" if consts else "") + "\n\n".join(w.functions) + f"\n\n}}  // namespace {ns}\n{c_api}")


SIGNATURES = {
    "pdf": ("void", "const double* p, const double* const* x, std::size_t n, double* out", "p, x, n, out"),
    "value": ("void", "const double* p, const double* const* x, std::size_t n, double* out", "p, x, n, out"),
    "logpdf": ("void", "const double* p, const double* const* x, std::size_t n, double* out", "p, x, n, out"),
    "expected": ("double", "const double* p", "p"),
    "nll": ("double", "const double* p, const double* const* x, const double* w, std::size_t n", "p, x, w, n"),
    "nll_grad": ("double", "const double* p, const double* const* x, const double* w, std::size_t n, double* g",
                 "p, x, w, n, g"),
    "nll_hessian": ("double", "const double* p, const double* const* x, const double* w, std::size_t n, double* h",
                    "p, x, w, n, h"),
}


def c_api_text(ns: str, functions: Sequence[tuple[str, str, str, str]], hold: str = "",
               extra: Sequence[str] = ()) -> str:
    """The ``extern "C"`` wrappers ``<ns>_<name>`` of ``functions`` (name, return type, parameters, call
    arguments), each starting with the statement ``hold``, then the definitions ``extra``.

    Example:
        >>> print(c_api_text("firmc_f", [("expected", "double", "const double* p", "p")]).splitlines()[8])
        FIRMC_EXPORT double firmc_f_expected(const double* p) { return firmc_f::expected(p); }
    """
    lines = ["", "#ifdef FIRMC_C_API", "#if defined(__GNUC__)",
             '#define FIRMC_EXPORT __attribute__((visibility("default")))', "#else", "#define FIRMC_EXPORT", "#endif",
             'extern "C" {']
    for name, ret, sig, call in functions:
        lines.append(f"FIRMC_EXPORT {ret} {ns}_{name}({sig}) {{ {hold}{'return ' if ret != 'void' else ''}"
                     f"{ns}::{name}({call}); }}")
    lines += [*extra, '}  // extern "C"', "#endif  // FIRMC_C_API", ""]
    return "\n".join(lines)
