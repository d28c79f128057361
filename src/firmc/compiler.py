"""``firmc.compile``: select an entry and its observables, run the passes, hand the program to a back-end.

Example:
    >>> import firmc, numpy as np
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -9, "max": 9}]}],
    ...        "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.0}]}]}
    >>> f = compile(firmc.load(doc), entry="g")
    >>> np.round(f({"x": np.array([0.0, 1.0])}), 6).tolist()
    [0.398942, 0.241971]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .backends import Artifact, Evaluator, Program, get_backend
from .errors import EvaluationError, FirmError, UnknownName, UnsupportedFeature
from .ir import Entry, Module, Node, Parameter, leaves, walk
from .passes.bind import bind_observables
from .passes.pipeline import run_pipeline


def default_entry(m: Module) -> str:
    """The entry compiled when none is named: the only likelihood, else the only top-level distribution.

    Example:
        >>> from firmc.ir import Module
        >>> default_entry(Module())
        Traceback (most recent call last):
        firmc.errors.FirmError: the model has no entries to compile
    """
    liks = [e.name for e in m.entries.values() if e.kind == "likelihood"]
    if len(liks) == 1:
        return liks[0]
    inner = {id(n) for e in m.entries.values() for n in walk([e.expr]) if n is not e.expr}
    tops = [e.name for e in m.entries.values() if e.kind == "distribution" and id(e.expr) not in inner]
    if len(tops) == 1:
        return tops[0]
    if not m.entries:
        raise FirmError("the model has no entries to compile")
    choices = liks or tops or list(m.entries)
    raise FirmError("the model has several entries; choose one with entry=...: " + ", ".join(choices))


@dataclass(frozen=True)
class Compiled:
    """A compiled entry: call it on a dict of observables and parameters.

    Example:
        >>> Compiled.__call__.__doc__.splitlines()[0]
        'Values of the entry (one per event). Parameters not given take their defaults.'
    """

    module: Module
    entry: Entry
    target: str
    observables: tuple[str, ...]
    parameters: dict[str, Parameter]
    program: Program
    artifact: Artifact
    evaluator: Evaluator
    optimize: int

    def inputs(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Complete ``given`` with parameter defaults; check names and values.

        Example:
            >>> Compiled.inputs.__name__
            'inputs'
        """
        unknown = [k for k in given if k not in self.parameters and k not in self.observables]
        if unknown:
            raise UnknownName("input", unknown[0], [*self.parameters, *self.observables])
        out: dict[str, Any] = {}
        for name in self.program.parameters:
            v = given.get(name, self.parameters[name].value if name in self.parameters else math.nan)
            try:
                if np.ndim(v) != 0:
                    raise EvaluationError(f"parameter '{name}' must be a single number")
                out[name] = float(v)
            except (TypeError, ValueError):
                raise EvaluationError(f"parameter '{name}' must be a number, not {type(v).__name__}") from None
            if math.isnan(out[name]) and name not in given:
                raise EvaluationError(f"parameter '{name}' has no default value; pass it")
        for name in self.program.observables:
            if name not in given:
                raise EvaluationError(f"no value given for observable '{name}'")
            try:
                out[name] = np.asarray(given[name], dtype=float)
            except (TypeError, ValueError) as exc:
                raise EvaluationError(f"observable '{name}' must be numbers (an array of floats): {exc}") \
                    from None
        return out

    def evaluate(self, given: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Every output (``value``, and ``expected`` when extended) for ``given``, checked by :meth:`inputs`.

        A numerical failure of the target (a quadrature over an infinite 2-D box ...) is an EvaluationError.

        Example:
            >>> Compiled.evaluate.__name__
            'evaluate'
        """
        args = self.inputs(given)
        try:
            return self.evaluator(args)
        except (ArithmeticError, ValueError) as exc:
            raise EvaluationError(f"cannot evaluate entry '{self.entry.name}' on target '{self.target}': "
                                  f"{type(exc).__name__}: {exc}") from None

    def __call__(self, inputs: Mapping[str, Any] | None = None) -> np.ndarray:
        """Values of the entry (one per event). Parameters not given take their defaults.

        Example:
            >>> Compiled.__call__.__name__
            '__call__'
        """
        return self.evaluate(inputs or {})["value"]

    def expected(self, params: Mapping[str, Any] | None = None) -> float | None:
        """Expected number of events of an extended distribution (None otherwise).

        Example:
            >>> Compiled.expected.__name__
            'expected'
        """
        if "expected" not in self.program.outputs:
            return None
        dummy = {o: np.zeros(1) for o in self.observables}
        return float(np.ravel(self.evaluate({**dummy, **(params or {})})["expected"])[0])

    def nll(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
            weights: np.ndarray | None = None) -> float:
        """-sum_i w_i log pdf(x_i), plus nu - N log nu when the distribution is extended.

        Example:
            >>> Compiled.nll.__name__
            'nll'
        """
        if self.entry.kind == "likelihood":
            return float(self({**(params or {})}))
        out = self.evaluate({**data, **(params or {})})
        logs = np.log(out["value"])
        w = np.ones_like(logs) if weights is None else np.asarray(weights, dtype=float)
        total = -float(np.sum(w * logs))
        if "expected" in out:
            nu = float(np.ravel(out["expected"])[0])
            total += nu - float(np.sum(w)) * math.log(nu)
        return total

    def nll_grad(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                 step: float = 1e-6) -> tuple[float, dict[str, float]]:
        """NLL and its gradient with respect to the free parameters (central differences on this target;
        analytic gradients come with the gradient pass).

        Example:
            >>> Compiled.nll_grad.__name__
            'nll_grad'
        """
        p = {k: v.value for k, v in self.parameters.items() if k in self.program.parameters}
        p.update(params or {})
        value = self.nll(data, p)
        grad = {}
        for name in self.program.parameters:
            if self.parameters[name].const:
                continue
            h = step * max(1.0, abs(p[name]))
            grad[name] = (self.nll(data, {**p, name: p[name] + h}) - self.nll(data, {**p, name: p[name] - h})) \
                / (2 * h)
        return value, grad

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the artifact's files into ``out_dir`` (created if needed).

        Example:
            >>> Compiled.write.__name__
            'write'
        """
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
            paths = []
            for name, text in sorted(self.artifact.files.items()):
                path = out / name
                path.write_text(text, encoding="utf-8")
                paths.append(path)
        except OSError as exc:
            raise FirmError(f"cannot write to {out}: {exc.strerror or exc}") from None
        return paths


def domain_of(m: Module, name: str) -> tuple[float, float]:
    """Domain of an observable (or of a parameter used as one).

    Example:
        >>> from firmc.ir import Module, Observable
        >>> domain_of(Module(observables={"x": Observable("x", 0.0, 1.0)}), "x")
        (0.0, 1.0)
    """
    if name in m.observables:
        return m.observables[name].min, m.observables[name].max
    if name in m.parameters:
        return m.parameters[name].min, m.parameters[name].max
    raise UnknownName("observable", name, [*m.observables, *m.parameters])


def header(m: Module, target: str, entry: str, command: str | None) -> str:
    """The comment block that opens every generated file (without comment markers).

    Example:
        >>> from firmc.ir import Module
        >>> header(Module(source="m.json", source_hash="ab"), "interp", "g", None).splitlines()[0]
        'generated by firmc 0.1.0 -- do not edit'
    """
    cmd = command or f"firmc {m.source or '<dict>'} --target {target} --entry {entry}"
    return (f"generated by firmc {__version__} -- do not edit\n"
            f"source: {m.source or '<dict>'} (sha256 {m.source_hash or 'n/a'})\n"
            f"entry: {entry}\ncommand: {cmd}\n")


def compile(module: Module, target: str = "interp", entry: str | None = None,
            observables: Sequence[str] | None = None, optimize: int = 1, command: str | None = None) -> Compiled:
    """Compile one entry of ``module`` for ``target``.

    ``observables`` are the per-event inputs a distribution is normalised over (default: the entry's own).
    ``optimize=0`` keeps normalisation as quadrature (the specification); 1 uses closed forms.

    Example:
        >>> compile.__name__
        'compile'
    """
    name = entry or default_entry(module)
    if name in module.unsupported:
        raise UnsupportedFeature(f"entry '{name}': {module.unsupported[name]}")
    if name not in module.entries:
        raise UnknownName("entry", name, module.entries)
    e = module.entries[name]
    obs_names = tuple(observables) if observables is not None else e.observables
    if e.kind == "likelihood" and observables:
        raise FirmError(f"entry '{name}' is a likelihood; its observables are bound to its data")
    domains = {o: domain_of(module, o) for o in obs_names}
    roots: dict[str, Node] = {"value": e.expr}
    if e.expected is not None:
        roots["expected"] = e.expected
    keys = list(roots)
    bound = bind_observables([roots[k] for k in keys], domains)
    try:
        lowered = run_pipeline(bound, optimize)
    except (ArithmeticError, ValueError) as exc:  # a closed form or a bound that overflows on these domains
        where = ", ".join(f"{o} in [{lo}, {hi}]" for o, (lo, hi) in domains.items())
        raise UnsupportedFeature(f"cannot compile entry '{name}'{' for ' + where if where else ''}: "
                                 f"{type(exc).__name__}: {exc}") from None
    kept = leaves(lowered, "obs")
    dropped = [o for o in obs_names if o not in kept]
    if dropped and observables is not None:
        raise FirmError(f"entry '{name}' does not depend on '{dropped[0]}'; its variables are: "
                        + ", ".join(sorted({*leaves(lowered, "param"), *kept})))
    if dropped:  # e.g. a polynomial density of degree 0: the normalisation pass cannot normalise a constant
        raise UnsupportedFeature(f"entry '{name}' does not depend on its observable '{dropped[0]}' once "
                                 "simplified; normalising a constant density is not supported yet")
    outputs = dict(zip(keys, lowered, strict=True))
    params = sorted(leaves(lowered, "param"))
    missing = [p for p in params if p not in module.parameters and p not in module.observables]
    if missing:
        raise FirmError(f"entry '{name}' uses '{missing[0]}', which the model does not declare")
    parameters = {p: module.parameters[p] if p in module.parameters else _observable_as_parameter(module, p)
                  for p in params}
    used = {d.attr("dataset") for d in walk(lowered) if d.op == "datasum"}
    program = Program(name, outputs, obs_names, tuple(params), {k: module.datasets[k] for k in sorted(used)},
                      header(module, target, name, command), parameters)
    backend = get_backend(target)
    artifact = backend.emit(program)
    return Compiled(module, e, target, obs_names, parameters, program, artifact, backend.load(artifact), optimize)


def _observable_as_parameter(m: Module, name: str) -> Parameter:
    o = m.observables[name]
    return Parameter(name, o.value if o.value is not None else math.nan, o.min, o.max)
