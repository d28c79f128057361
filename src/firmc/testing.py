"""The agreement harness: one :func:`assert_agrees` checks any target against the reference interpreter.

A :class:`Case` is one entry of a model and the inputs to evaluate it at: points inside the observables'
domains (:func:`firmc.check.sample_points`), parameters at their defaults or given values, and for
distributions the same points as the events of an NLL, unweighted and weighted. Every output of the program
is compared -- value, logpdf, expected, nll and its analytic gradient (and Hessian when compiled) -- at the
tolerance the op table states for the ops the program uses (1e-12 relative in float64 for elementwise ops,
1e-9 where a numerical integral is involved).

Sums can cancel (a gradient near the minimum, or a component whose gradient is zero up to rounding): an
output is then compared relative to its :func:`magnitude` -- the sum of the absolute values of the terms it
adds -- which is the size a different order of operations changes it by, not relative to the possibly tiny
result itself.

Example:
    >>> import firmc
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -5, "max": 5}]}],
    ...        "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.5}]}]}
    >>> assert_agrees(Case(firmc.load(doc), "g"), "numpy")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends import EVENT_WEIGHTS, Program, get_backend
from .backends.interp import BACKEND as INTERP
from .check import rel_error, sample_points
from .compiler import Compiled, compile
from .ir import OPS, Module, Node, apply, rewrite, walk
from .ir.types import DType


@dataclass(frozen=True)
class Case:
    """One entry of a model, compiled at ``optimize``, evaluated at ``points`` random points (``seed``)
    with the parameters ``params`` (the others at their defaults).

    Example:
        >>> Case(Module(), "g").label
        'g (optimize 1)'
    """

    module: Module
    entry: str
    observables: tuple[str, ...] | None = None
    optimize: int = 1
    params: Mapping[str, float] = field(default_factory=dict)
    points: int = 32
    seed: int = 1
    name: str = ""

    @property
    def label(self) -> str:
        """How the case is named in messages.

        Example:
            >>> Case(Module(), "g", optimize=0, name="m.json").label
            'm.json:g (optimize 0)'
        """
        return f"{self.name + ':' if self.name else ''}{self.entry} (optimize {self.optimize})"


@dataclass(frozen=True)
class Difference:
    """How far one output of a target is from the interpreter's.

    Example:
        >>> Difference("value", 1e-15, 1e-12).ok
        True
    """

    output: str
    error: float
    rtol: float

    @property
    def ok(self) -> bool:
        """Within tolerance.

        Example:
            >>> Difference("nll", math.inf, 1e-12).ok
            False
        """
        return self.error <= self.rtol


def tolerance(outputs: Sequence[Node]) -> float:
    """The relative agreement the op table promises for a program: the loosest tolerance of its ops.

    Example:
        >>> from firmc.ir import param
        >>> tolerance([apply("exp", param("a"))])
        1e-12
    """
    return max((OPS[n.op].tolerance for n in walk(list(outputs))), default=1e-12)


def magnitude(root: Node) -> Node:
    """An expression for the size rounding errors in ``root`` scale with: sums and differences of the
    magnitudes of their terms (a sum that cancels is as uncertain as its largest terms), products and
    quotients of magnitudes, and |value| for everything else.

    Example:
        >>> from firmc.ir import param
        >>> str(magnitude(param("a") - param("b")).op)
        'add'
    """
    def rule(n: Node, args: tuple[Node, ...]) -> Node | None:
        if n.op in ("add", "sub"):
            return apply("add", *args)
        if n.op == "neg":
            return args[0]
        if n.op == "mul":
            return apply("mul", *args)
        if n.op == "div" and n.type.dtype is DType.REAL:
            return args[0] / apply("abs", n.args[1])
        if n.op == "select" and n.type.dtype is DType.REAL:
            return apply("select", n.args[0], args[1], args[2])
        if n.op == "datasum" and n.type.dtype is DType.REAL:
            return apply("datasum", args[0], **dict(n.attrs))
        return apply("abs", n) if n.type.dtype in (DType.REAL, DType.COMPLEX) else n

    return rewrite([root], rule)[0]


def _magnitude(c: Compiled, key: str, inputs: Mapping[str, Any]) -> np.ndarray:
    program = Program(c.program.name, {"m": magnitude(c.program.outputs[key])}, c.program.observables,
                      c.program.parameters, c.program.datasets)
    return np.asarray(INTERP.load(INTERP.emit(program))(inputs, ["m"])["m"], dtype=float)


def _inputs(ref: Compiled, case: Case) -> dict[str, Any]:
    if ref.entry.kind == "likelihood":
        return ref.inputs(dict(case.params))
    return ref.inputs({**sample_points(ref, case.points, case.seed), **case.params})


def compare(case: Case, target: str) -> list[Difference]:
    """Every output of ``case`` on ``target`` against the interpreter (unweighted, then the NLL weighted).

    Example:
        >>> compare.__name__
        'compare'
    """
    ref = compile(case.module, "interp", case.entry, case.observables, case.optimize)
    got = compile(case.module, target, case.entry, case.observables, case.optimize)
    # a target computing with its own implementations (RooFit) states the bound it is held to
    rtol = max(tolerance(list(ref.program.outputs.values())), getattr(get_backend(target), "rtol", 0.0))
    inputs = _inputs(ref, case)
    runs = [("", inputs)]
    if "nll" in ref.program.outputs and ref.entry.kind != "likelihood":
        n = np.size(inputs[ref.observables[0]])
        weights = np.random.default_rng(case.seed).uniform(0.5, 1.5, n)
        runs.append((" (weighted)", {**inputs, EVENT_WEIGHTS: weights}))
    out = []
    for suffix, args in runs:
        # every output both have (a target without analytic derivatives compiles none)
        keys = [k for k in ref.program.outputs if k in got.program.outputs] if not suffix else ["nll"]
        want, have = ref.evaluator(args, keys), got.evaluator(args, keys)
        for k in keys:
            err = rel_error(have[k], want[k])
            if err > rtol and math.isfinite(err):  # cancellation: relative to the terms' magnitude
                scale = np.maximum(_magnitude(ref, k, args), np.abs(want[k]))
                with np.errstate(all="ignore"):
                    err = min(err, float(np.max(np.abs(have[k] - want[k]) / np.maximum(scale, 1e-300))))
            out.append(Difference(k + suffix, err, rtol))
    return out


def assert_agrees(case: Case, target: str) -> None:
    """Raise AssertionError, naming the outputs and their errors, unless ``target`` agrees with the
    interpreter on every output of ``case``.

    Example:
        >>> assert_agrees.__name__
        'assert_agrees'
    """
    diffs = compare(case, target)
    bad = [d for d in diffs if not d.ok]
    if bad:
        lines = "\n".join(f"  {d.output}: rel. error {d.error:.3g} > {d.rtol:.3g}" for d in bad)
        raise AssertionError(f"{case.label} on target '{target}' disagrees with the interpreter:\n{lines}")



# ------------------------------------------------------------------------------------------ every op
def _op_terms() -> dict[str, Node]:
    """One expression per op of the table, each exercising its op on values that vary (parameters and
    observables: a constant argument would be folded before any back-end sees it)."""
    from .ir import const, obs, param

    x, y = obs("x", 0.1, 0.9), obs("y", 0.2, 0.8)
    a, b = param("a"), param("b")
    z = apply("complex", x, y * a)
    t = obs("t", 0.0, 2.0)
    mk = apply
    unary_at = {"exp": x, "log": x, "log10": x, "sqrt": x, "sin": x, "cos": x, "tan": x, "asin": x, "acos": y,
                "atan": x, "sinh": x, "cosh": x, "tanh": x, "asinh": x, "acosh": 1.0 + x, "atanh": y - 0.5,
                "log1p": x, "expm1": x, "erf": x - a, "erfc": x - a, "lgamma": x + a, "digamma": x + a,
                "tgamma": x + a, "floor": x * 5.0, "ceil": x * 5.0, "trunc": x * 5.0 - 2.0, "round": x * 5.0,
                "sign": x - 0.5, "landau": x * 8.0 - 3.0, "landau_cdf": x * 8.0 - 3.0, "abs": x - a,
                "abs2": z, "real": z * z, "imag": z * z, "conj": z, "arg": z - 1.0, "faddeeva": z - 0.5}
    terms = {op: mk(op, arg) for op, arg in unary_at.items()}
    terms |= {
        "const": x + const(2.0), "param": a * x, "obs": x, "add": x + y + a, "mul": x * y * a, "sub": x - a,
        "neg": -x * a, "div": x / a, "idiv": mk("idiv", x, a), "mod": mk("mod", x * 5.0, a), "pow": x ** b,
        "gammainc": mk("gammainc", a, x), "gammaincc": mk("gammaincc", a, y), "atan2": mk("atan2", y - 0.5, x - a),
        "min": mk("min", x, y), "max": mk("max", x, y),
        "logaddexp": mk("logaddexp", x * 30.0, y * a * 40.0), "complex": mk("complex", x, y * b),
        "select": mk("select", mk("lt", x, y), x, y * a),
        # a table of parameters, constants and event values indexed by 5x (0 .. 4, every entry reached)
        "choose": mk("choose", x * 5.0, a, const(2.5), b * y, const(-1.0), a * b),
        "integral": mk("integral", mk("exp", -a * t) * t, const(0.0), const(2.0), vars=("t",)) * x,
        "normalize": mk("normalize", mk("exp", -a * x) + b * x, rule=""),
        "datasum": mk("datasum", mk("log", a + obs("u", 0.0, 1.0)), dataset="table", binds=("u",)) * x,
    }
    for op in ("lt", "le", "gt", "ge", "eq", "ne", "approx_eq"):
        terms[op] = mk("select", mk(op, x, y), x, a)
    terms["and"] = mk("select", mk("and", mk("lt", x, a), mk("gt", y, const(0.3))), x, a)
    terms["or"] = mk("select", mk("or", mk("lt", x, a), mk("gt", y, const(0.3))), x, a)
    terms["not"] = mk("select", mk("not", mk("lt", x, a)), x, a)
    return terms


def every_op_module() -> Module:
    """A model with one entry ``op:<name>`` per op of the table (its term, complex where the op is) and an
    entry ``every_op`` that combines them all into one real function of x and y.

    Example:
        >>> m = every_op_module()
        >>> from firmc.ir import OPS
        >>> all(f"op:{op}" in m.entries for op in OPS)
        True
    """
    from .ir import Dataset, Entry, Observable, Parameter

    terms = _op_terms()
    assert set(terms) == set(OPS), sorted(set(OPS) ^ set(terms))
    m = Module(observables={"x": Observable("x", 0.1, 0.9), "y": Observable("y", 0.2, 0.8)},
               parameters={"a": Parameter("a", 0.7, 0.1, 2.0), "b": Parameter("b", 1.3, 0.5, 3.0)},
               datasets={"table": Dataset("table", {"u": np.linspace(0.05, 0.95, 7)})},
               source="<every_op>", format="ir")
    for op, term in sorted(terms.items()):
        m.entries[f"op:{op}"] = Entry(f"op:{op}", "function", term, tuple(o for o in ("x", "y") if o in term.free))
    total = apply("add", *(apply("real", t) + apply("imag", t) if t.type.dtype.name == "COMPLEX" else t
                           for _, t in sorted(terms.items())))
    m.entries["every_op"] = Entry("every_op", "function", total, ("x", "y"))
    return m
