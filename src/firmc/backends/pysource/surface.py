"""The text of a generated Python module: header, metadata, constants, helpers and the public functions.

Every Python target produces the same surface; only the dialect (the array namespace and its spellings) and
the target's prelude (conversions, reductions, and extras such as autodiff gradients) differ:

* ``ENTRY``, ``KIND``, ``OBSERVABLES`` (name -> domain), ``PARAMETERS`` (name -> value, min, max, const),
  ``FREE`` (the free parameters, the order of gradients), ``NAMES`` (identifier in this file -> model name);
* ``pdf(data, params=None)`` and ``logpdf`` for a distribution, ``value`` otherwise (complex where the model
  is); ``expected(params)`` for an extended distribution;
* ``nll(data, params=None, weights=None)`` and ``nll_grad`` (value and analytic gradient as a dict), and
  ``nll_hessian`` when the program has the Hessian.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program
    >>> from firmc.backends.pysource.dialects import NUMPY
    >>> text = module_text(Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",)), NUMPY, "")
    >>> "def value(data, params=None):" in text
    True
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ...ir import Dataset, Node, leaves
from ...passes.gradient import gradient_key, hessian_key
from .. import EVENTS, Program
from ..naming import comment, comment_lines, docstring_repr, mangle
from ..quadrules import rules_for
from . import runtime
from .emit import Dialect, FunctionBody, literal
from .tables import ConstTables

_OWN = ("math", "np", "jnp", "jax", "torch", "p", "w", "data", "params", "weights")


def _array(values: np.ndarray, spelling: str, per_line: int = 8) -> str:
    """A float64 array literal, ``per_line`` numbers to a line."""
    items = [literal(v) for v in np.asarray(values, dtype=float).ravel()]
    if len(items) <= per_line:
        return spelling.format("[" + ", ".join(items) + "]")
    rows = ["    " + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line)]
    return spelling.format("[\n" + "\n".join(rows) + "\n]")


class ModuleWriter:
    """Collects the parts of one generated module.

    Example:
        >>> ModuleWriter.__name__
        'ModuleWriter'
    """

    def __init__(self, program: Program, dialect: Dialect, array: str) -> None:
        self.program, self.dialect, self.array = program, dialect, array
        self.consts: list[str] = []
        self.functions: list[str] = []
        self.runtime: set[str] = set()
        self.tables = ConstTables()  # choose's constant tables, declared after the other constants
        self.params = mangle(program.parameters, "p_", _OWN)
        self.columns = mangle(program.observables, "x_", [*_OWN, *self.params.values()])
        self.datasets = self._datasets(program.datasets)
        roots = list(program.outputs.values())
        defaults = {k: p.value for k, p in program.defaults.items()}
        self.rules = {}
        for k, (key, rule) in enumerate(rules_for(roots, defaults).items()):
            names = tuple(f"_Q{k}_{i}" for i in range(len(rule.points)))
            for name, pts in zip(names, rule.points, strict=True):
                self.consts.append(f"{name} = {_array(pts, array)}")
            self.consts.append(f"_Q{k}_w = {_array(rule.weights, array)}")
            self.rules[key] = (names, f"_Q{k}_w")

    def _datasets(self, datasets: Mapping[str, Dataset]) -> dict[str, tuple[dict[str, str], str, str]]:
        out = {}
        for k, (name, d) in enumerate(sorted(datasets.items())):
            cols = {}
            for j, (col, values) in enumerate(sorted(d.columns.items())):
                cols[col] = f"_D{k}_{j}"
                self.consts.append(f"_D{k}_{j} = {_array(values, self.array)}  # {comment(f'{name}: {col}')}")
            weights = "None"
            if d.weights is not None:
                weights = f"_D{k}_w"
                self.consts.append(f"{weights} = {_array(d.weights, self.array)}  # {comment(f'{name}: weights')}")
            out[name] = (cols, weights, repr(d.size))
        return out

    def function(self, name: str, outputs: Sequence[Node], events: bool, points: bool = True,
                 many: bool = False) -> None:
        """Emit ``def name(p, <observables>[, w])`` returning the values of ``outputs`` (one, or a tuple):
        the observables are per-point inputs, or (``events``) the events a ``datasum`` sums over, or
        (``points=False``) not arguments at all."""
        obs = list(self.program.observables) if points or events else []
        args = [self.columns[o] for o in obs]
        datasets = dict(self.datasets)
        if events:
            datasets[EVENTS] = ({o: self.columns[o] for o in obs}, "w", f"{args[0]}.shape[-1]" if args else "0")
        body = FunctionBody(self.dialect, self.params, None if events else dict(zip(obs, args, strict=True)),
                            datasets, self.rules, self.tables)
        results = [body.ref(r) for r in outputs]
        used = sorted(leaves(list(outputs), "param"))
        lines = [self.dialect.decorator] if self.dialect.decorator else []
        lines += [f"def {name}({', '.join(['p', *args, *(['w'] if events else [])])}):"]
        lines += [f"    {self.params[u]} = p[{u!r}]" for u in used]
        statements = _free_early(body.lines, body.arrays - set(results)) if self.dialect.free_early else body.lines
        lines += [f"    {ln}" for ln in statements]
        lines.append(f"    return {', '.join(results) + (',' if many and len(results) == 1 else '')}")
        self.functions.append("\n".join(lines))
        self.runtime |= {self.dialect.runtime[op] for op in body.used_ops if op in self.dialect.runtime}

    def runtime_source(self) -> str:
        """The source of the runtime functions the emitted code calls."""
        source = "\n\n".join(inspect.getsource(getattr(runtime, f)) for f in sorted(self.runtime))
        return re.sub(r": Any|\) -> Any", lambda m: ")" if m.group(0).startswith(")") else "", source)


def _free_early(lines: Sequence[str], arrays: set[str]) -> list[str]:
    """``lines`` with ``del`` of the ``arrays`` after their last use, so that an eager framework frees the
    event arrays of a long straight-line body as it goes (a NumPy gradient held 69 at once, else 7).

    Example:
        >>> _free_early(["v0 = x + 1", "v1 = v0 * 2", "v2 = v1 + v0"], {"v0", "v1"})
        ['v0 = x + 1', 'v1 = v0 * 2', 'v2 = v1 + v0', 'del v0, v1']
    """
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        for name in _NAME.findall(line.split(" = ", 1)[1]):
            last[name] = i
    out: list[str] = []
    dead: dict[int, list[str]] = {}
    for name, i in last.items():
        if name in arrays:
            dead.setdefault(i, []).append(name)
    for i, line in enumerate(lines):
        out.append(line)
        if i in dead:
            out.append("del " + ", ".join(sorted(dead[i], key=lambda v: int(v[1:]))))
    return out


_NAME = re.compile(r"\bv\d+\b")


def _metadata(program: Program, kind: str, free: Sequence[str], names: Iterable[tuple[str, str]]) -> str:
    doms = leaves(list(program.outputs.values()), "obs")
    obs = ", ".join(f"{o!r}: ({literal(doms[o].attr('lo'))}, {literal(doms[o].attr('hi'))})"
                    for o in program.observables if o in doms)
    params = "".join(f"    {n!r}: {{'value': {literal(p.value)}, 'min': {literal(p.min)}, "
                     f"'max': {literal(p.max)}, 'const': {p.const!r}}},\n"
                     for n, p in sorted(program.defaults.items()))
    free_text = "".join(f"{f!r}, " for f in free)
    return (f"ENTRY = {program.name!r}\nKIND = {kind!r}\nOBSERVABLES = {{{obs}}}\n"
            f"PARAMETERS = {{\n{params}}}\nFREE = ({free_text.rstrip(' ')})\n"
            f"NAMES = {{{', '.join(f'{k!r}: {v!r}' for k, v in sorted(names))}}}\n")


def _api(kind: str, program: Program, free: Sequence[str], columns: Mapping[str, str]) -> str:
    outs = program.outputs
    idents = [columns[o] for o in program.observables]
    args = ", ".join(["p", *idents])
    reads = "".join(f"    {columns[o]} = _column(data, {o!r})\n" for o in program.observables)
    first = reads + f"    p = _parameters(params, {idents[0] if idents else 'None'})\n"
    parts = []
    main = "pdf" if kind == "distribution" else "value"
    doc = "density at the events in ``data``" if main == "pdf" else "value at the points in ``data``"
    parts.append(f'def {main}(data, params=None):\n    """The {doc} (observable -> array)."""\n'
                 f"{first}    return _value({args})")
    if "logpdf" in outs:
        parts.append(f'def logpdf(data, params=None):\n    """log {main}, computed in log space where the '
                     f'model allows."""\n{first}    return _logpdf({args})')
    if "expected" in outs:
        parts.append('def expected(params=None):\n    """Expected number of events (extended distribution)."""\n'
                     "    return _expected(_parameters(params, None))")
    if "nll" in outs:
        ev = f"{args}, _weights(weights)" if kind != "likelihood" else "p"
        nll_doc = ("-sum_i w_i log pdf(x_i) over the events in ``data``, plus the extended term"
                   if kind != "likelihood" else "the negative log-likelihood (its data are part of the model)")
        parts.append(f'def nll(data, params=None, weights=None):\n    """{nll_doc}."""\n{first}'
                     f"    return _nll({ev})")
        if all(gradient_key("nll", f) in outs for f in free):
            items = ", ".join(f"{f!r}: g[{i + 1}]" for i, f in enumerate(free))
            parts.append('def nll_grad(data, params=None, weights=None):\n    """The NLL and its analytic gradient '
                         f'(a dict over FREE)."""\n{first}    g = _nll_grad({ev})\n'
                         f"    return g[0], {{{items}}}")
        hess = [hessian_key("nll", a, b) for i, a in enumerate(free) for b in free[i:]]
        if free and all(k in outs for k in hess):
            parts.append('def nll_hessian(data, params=None, weights=None):\n    """The analytic Hessian of the NLL '
                         f'(rows and columns in FREE order)."""\n{first}    h = _nll_hessian({ev})\n'
                         f"    return _symmetric(h, {len(free)})")
    return "\n\n\n".join(parts)


def module_text(program: Program, dialect: Dialect, prelude: str) -> str:
    """The whole generated module for ``program`` in ``dialect``.

    Example:
        >>> module_text.__name__
        'module_text'
    """
    kind = program.kind
    outs = program.outputs
    free = tuple(p for p in program.parameters if not program.defaults[p].const) if program.defaults else ()
    w = ModuleWriter(program, dialect, dialect.array)
    w.function("_value", [outs["value"]], False)
    if "logpdf" in outs:
        w.function("_logpdf", [outs["logpdf"]], False)
    if "expected" in outs:
        w.function("_expected", [outs["expected"]], False, points=False)
    events = kind != "likelihood"
    if "nll" in outs:
        w.function("_nll", [outs["nll"]], events)
        grads = [gradient_key("nll", f) for f in free]
        if all(g in outs for g in grads):
            w.function("_nll_grad", [outs["nll"], *(outs[g] for g in grads)], events, many=True)
        hess = [hessian_key("nll", a, b) for i, a in enumerate(free) for b in free[i:]]
        if free and all(k in outs for k in hess):
            w.function("_nll_hessian", [outs[k] for k in hess], events, many=True)
    names = [*((v, k) for k, v in w.params.items()), *((v, k) for k, v in w.columns.items())]
    header = comment_lines(program.header, "#")
    doc = (f'"""{dialect.title} code for the entry {docstring_repr(program.name)} ({kind}), generated by firmc.\n\n'
           f"Standalone: it needs only {dialect.title}{' (and NumPy)' if dialect.name != 'numpy' else ''}. "
           "See PARAMETERS, OBSERVABLES and the functions below.\n\"\"\"\n")
    code = "\n".join(w.functions)
    imports = dialect.imports + "".join(line + "\n" for use, line in sorted(dialect.optional_imports.items())
                                        if use in code)
    sections = [header + doc + imports, _metadata(program, kind, free, names)]
    consts = [*w.consts, *w.tables.declarations(dialect)]
    if consts:
        sections.append("\n".join(consts) + "\n")
    sections.append(prelude.strip() + "\n")
    if w.runtime:
        sections.append(w.runtime_source().strip() + "\n")
    sections.append("\n\n\n".join(w.functions) + "\n")
    sections.append(_api(kind, program, free, w.columns) + "\n")
    return "\n\n".join(sections)
