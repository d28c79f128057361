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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .backends import EVENT_WEIGHTS, EVENTS, Artifact, Evaluator, Program, get_backend
from .errors import EvaluationError, FirmError, UnknownName, UnsupportedFeature
from .hessian import HessianProgram, PreparedHessian, hessian_program
from .ir import Entry, Module, Node, Parameter, apply, const, leaves, walk
from .ir.types import DType
from .passes.bind import bind_observables
from .passes.context import Context
from .passes.gradient import gradient_key
from .passes.pipeline import optimize_outputs
from .passes.unroll import unroll

if TYPE_CHECKING:
    from .stream import Chunk


def default_entry(m: Module) -> str:
    """The entry compiled when none is named: the only likelihood, else the only top-level distribution, else the
    only entry.

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
    if len(m.entries) == 1:
        return next(iter(m.entries))
    choices = liks or tops or list(m.entries)
    raise FirmError("the model has several entries; choose one (entry=... in Python, --entry on the command line): "
                    + ", ".join(choices))


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
    derivatives: int = 1
    context: Context = field(default_factory=Context, repr=False, compare=False)
    _more: dict[int, Compiled] = field(default_factory=dict, repr=False, compare=False)
    _hessian: dict[str, HessianProgram] = field(default_factory=dict, repr=False, compare=False)

    @property
    def free_parameters(self) -> tuple[str, ...]:
        """The parameters the program depends on that are not fixed (``const``): the gradient's order.

        Example:
            >>> Compiled.free_parameters.__doc__.split(":")[0]
            'The parameters the program depends on that are not fixed (``const``)'
        """
        return tuple(p for p in self.program.parameters if not self.parameters[p].const)

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
            if type(v) is float and not math.isnan(v):  # the common case, without np.ndim (fitters pass 1000s)
                out[name] = v
                continue
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
        return self._run(self.inputs(given), [k for k in ("value", "expected") if k in self.program.outputs])

    def _run(self, args: Mapping[str, Any], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        try:
            return self.evaluator(args, outputs)
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

    def logpdf(self, inputs: Mapping[str, Any] | None = None) -> np.ndarray:
        """log of a distribution's density per event, computed in log space where the model allows.

        Example:
            >>> Compiled.logpdf.__name__
            'logpdf'
        """
        if "logpdf" not in self.program.outputs:
            raise FirmError(f"entry '{self.entry.name}' is a {self.entry.kind}, not a real density: no logpdf")
        return self._run(self.inputs(inputs or {}), ["logpdf"])["logpdf"]

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

    def _nll_inputs(self, data: Mapping[str, Any], params: Mapping[str, Any] | None,
                    weights: np.ndarray | None) -> dict[str, Any]:
        if "nll" not in self.program.outputs:
            raise FirmError(f"entry '{self.entry.name}' is a {self.entry.kind}, not a density: it has no NLL")
        args = self.inputs({**data, **(params or {})})
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            n = np.shape(next((args[o] for o in self.observables), w))
            if w.shape != n:
                raise EvaluationError(f"weights have shape {w.shape}, the events {n}")
            args[EVENT_WEIGHTS] = w
        return args

    def nll(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
            weights: np.ndarray | None = None) -> float:
        """-sum_i w_i log pdf(x_i), plus nu - sum_i w_i log nu when the distribution is extended; for a
        likelihood entry, its value (``data`` is then empty: the data sets are part of the model).

        Example:
            >>> Compiled.nll.__name__
            'nll'
        """
        return float(self._run(self._nll_inputs(data, params, weights), ["nll"])["nll"])

    def nll_grad(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                 weights: np.ndarray | None = None) -> tuple[float, dict[str, float]]:
        """NLL and its analytic gradient with respect to the free parameters (:attr:`free_parameters`).

        Example:
            >>> Compiled.nll_grad.__name__
            'nll_grad'
        """
        c = self if self.derivatives >= 1 else self.with_derivatives(1)
        c.require_gradient()
        keys = {p: gradient_key("nll", p) for p in c.free_parameters}
        out = c._run(c._nll_inputs(data, params, weights), ["nll", *keys.values()])
        return float(out["nll"]), {p: float(out[k]) for p, k in keys.items()}

    def nll_stream(self, chunks: Iterable[Chunk], params: Mapping[str, Any] | None = None) -> float:
        """:meth:`nll` of the concatenation of ``chunks`` (dicts of observable arrays, or ``(dict, weights)``
        pairs), read one at a time: any number of events in the memory of one chunk (:mod:`firmc.stream`).

        Example:
            >>> import numpy as np, firmc
            >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
            >>> x = np.array([0.5, 1.0, 2.0])
            >>> bool(np.isclose(f.nll_stream([{"x": x[:2]}, {"x": x[2:]}]), f.nll({"x": x}), rtol=1e-14))
            True
        """
        from .stream import nll_stream

        return nll_stream(self, chunks, params)

    def nll_grad_stream(self, chunks: Iterable[Chunk],
                        params: Mapping[str, Any] | None = None) -> tuple[float, dict[str, float]]:
        """:meth:`nll_grad` of the concatenation of ``chunks``, read one at a time (see :meth:`nll_stream`).

        Example:
            >>> import numpy as np, firmc
            >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
            >>> x = np.array([0.5, 1.0, 2.0])
            >>> v, g = f.nll_grad_stream([{"x": x[:2]}, {"x": x[2:]}])
            >>> bool(np.isclose(g["f"], f.nll_grad({"x": x})[1]["f"], rtol=1e-12))
            True
        """
        from .stream import nll_grad_stream

        return nll_grad_stream(self, chunks, params)

    def nll_hessian(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                    weights: np.ndarray | None = None) -> np.ndarray:
        """The analytic Hessian of the NLL over :attr:`free_parameters` (rows and columns in that order), from
        Hessian-vector products (:mod:`firmc.hessian`; compiled on the first use).

        Example:
            >>> Compiled.nll_hessian.__name__
            'nll_hessian'
        """
        prepared = self.prepared_nll(data, params, weights)
        given = params or {}
        return prepared.hessian(np.array([float(given.get(p, self.parameters[p].value))
                                          for p in self.free_parameters]))

    def hessian_program(self) -> HessianProgram:
        """The Hessian-vector-product program of this NLL and the colouring of its Hessian (cached).

        Example:
            >>> Compiled.hessian_program.__name__
            'hessian_program'
        """
        c = self if self.derivatives >= 1 else self.with_derivatives(1)
        c.require_gradient()
        if "nll" not in c._hessian:
            c._hessian["nll"] = hessian_program(c)
        return c._hessian["nll"]

    def prepared_nll(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                     weights: np.ndarray | None = None) -> Prepared:
        """The NLL of ``data`` (and, with derivatives, its gradient and Hessian) as functions of an array of the
        :attr:`free_parameters`: ``p.nll(x)``, ``p.nll_grad(x) -> (value, gradient array)``, ``p.hessian(x)``.
        The data are converted once; on the native targets an evaluation is one native call (what fitters use);
        the Hessian is one call per colour of its pattern (:mod:`firmc.hessian`). ``params`` fix the values of
        the other parameters (default: their defaults).

        Example:
            >>> import numpy as np, firmc
            >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
            >>> p = f.prepared_nll({"x": np.array([0.5, 1.0])})
            >>> bool(np.isclose(p.nll(np.array([0.25, 0.35, 0.9, 1.6])), f.nll({"x": np.array([0.5, 1.0])})))
            True
        """
        c = self if self.derivatives >= 1 else self.with_derivatives(1)
        inner = c.prepared_inputs(c._nll_inputs(data, params, weights))
        prepared_hessian: list[PreparedHessian] = []  # on the first call

        def hessian(x: np.ndarray) -> np.ndarray:
            if not prepared_hessian:
                prepared_hessian.append(c.hessian_program().prepare(data, params, weights))
            return prepared_hessian[0](x)

        return Prepared(c.free_parameters, inner.nll, inner.nll_grad, hessian)

    def prepared_inputs(self, inputs: Mapping[str, Any]) -> Any:
        """The target's prepared NLL (``nll(x)``, ``nll_grad(x)`` over :attr:`free_parameters`) of inputs already
        completed and checked by :meth:`inputs` (what :meth:`prepared_nll` and the Hessian's products build on).

        Example:
            >>> import numpy as np, firmc
            >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
            >>> p = f.prepared_inputs(f.inputs({"x": np.array([0.5, 1.0])}))
            >>> round(p.nll(np.array([0.25, 0.35, 0.9, 1.6])), 6) == round(f.nll({"x": np.array([0.5, 1.0])}), 6)
            True
        """
        make = getattr(self.evaluator, "prepared_nll", None)
        return make(inputs, self.free_parameters) if make is not None else _PreparedNll(self, dict(inputs))

    def require_gradient(self) -> None:
        """Raise UnsupportedFeature, with the reason, when this program has no analytic gradient.

        Example:
            >>> Compiled.require_gradient.__name__
            'require_gradient'
        """
        if self.derivatives == 0:
            why = [d.what for d in self.context.decisions if d.pass_name == "gradient"]
            raise UnsupportedFeature(f"entry '{self.entry.name}' has no analytic gradient"
                                     + (f" ({why[0]})" if why else ""))

    def with_derivatives(self, level: int) -> Compiled:
        """The same compilation with gradients (1) or gradients and Hessian (2) of the NLL (cached).

        Example:
            >>> Compiled.with_derivatives.__name__
            'with_derivatives'
        """
        if self.derivatives == 0 and any(d.pass_name == "gradient" for d in self.context.decisions):
            return self
        if level not in self._more:
            self._more[level] = compile(self.module, self.target, self.entry.name,
                                        self.observables if self.entry.kind != "likelihood" else None,
                                        self.optimize, derivatives=level)
        return self._more[level]

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
            for name, data in sorted(self.artifact.binaries.items()):
                path = out / name
                path.write_bytes(data)
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
        >>> header(Module(), "numpy", "a\\nb", None).splitlines()[2]
        "entry: 'a\\\\nb'"
    """
    def line(text: str) -> str:  # a name with a line break or a control character, quoted on one line
        return text if text.isprintable() else repr(text)

    cmd = command or f"firmc {m.source or '<dict>'} --target {target} --entry {entry}"
    return (f"generated by firmc {__version__} -- do not edit\n"
            f"source: {line(m.source or '<dict>')} (sha256 {m.source_hash or 'n/a'})\n"
            f"entry: {line(entry)}\ncommand: {line(cmd)}\n")


def nll_expression(e: Entry, value: Node, expected: Node | None, observables: Sequence[str]) -> Node | None:
    """The negative log-likelihood of an entry as IR: a likelihood is one already; a real density gives
    -sum over the events (data set :data:`firmc.backends.EVENTS`) of log pdf, plus nu - N log nu when
    extended; other entries have none.

    Example:
        >>> from firmc.ir import obs, param
        >>> pdf = apply("normalize", apply("exp", -param("c") * obs("x", 0.0, 1.0)))
        >>> nll_expression(Entry("e", "distribution", pdf, ("x",)), pdf, None, ["x"]).op
        'neg'
    """
    if e.kind == "likelihood":
        return value
    if e.kind != "distribution" or value.type.dtype is DType.COMPLEX or not observables:
        return None
    binds = tuple(observables)
    nll = -apply("datasum", apply("log", value), dataset=EVENTS, binds=binds)
    if expected is not None:
        total = apply("datasum", const(1.0), dataset=EVENTS, binds=binds)
        nll = nll + (expected - total * apply("log", expected))
    return nll


def _optimized_outputs(module: Module, e: Entry, domains: Mapping[str, tuple[float, float]], optimize: int,
                       derivatives: int) -> tuple[dict[str, Node], Context]:
    """The entry's outputs (value, expected, nll and its derivatives) after the pass pipeline."""
    roots: dict[str, Node] = {"value": e.expr}
    if e.expected is not None:
        roots["expected"] = e.expected
    keys = list(roots)
    bound_roots = bind_observables([roots[k] for k in keys], domains)
    if optimize >= 1:  # sums over a few embedded events as straight-line code
        bound_roots = unroll(bound_roots, module.datasets)
    bound = dict(zip(keys, bound_roots, strict=True))
    nll = nll_expression(e, bound["value"], bound.get("expected"), list(domains))
    if nll is not None:
        bound["nll"] = nll
        if e.kind == "distribution":  # in log space where the passes can (log of a product, of an exp ...)
            bound["logpdf"] = apply("log", bound["value"])
    params = sorted(leaves(list(bound.values()), "param"))
    free = tuple(p for p in params if not (p in module.parameters and module.parameters[p].const))
    ctx = Context(optimize=optimize, parameters=module.parameters,
                  differentiate=("nll",) if nll is not None and derivatives >= 1 else (), wrt=free,
                  hessian=derivatives >= 2)
    try:
        try:
            return optimize_outputs(bound, ctx), ctx
        except UnsupportedFeature as exc:  # e.g. an op without a derivative rule: compile without gradients
            if not ctx.differentiate:
                raise
            ctx = replace(ctx, differentiate=(), hessian=False, decisions=[], stats=[])
            ctx.note("gradient", e.name, f"no analytic gradient: {exc}")
            return optimize_outputs(bound, ctx), ctx
    except (ArithmeticError, ValueError) as exc:  # a closed form or a bound that overflows on these domains
        where = ", ".join(f"{o} in [{lo}, {hi}]" for o, (lo, hi) in domains.items())
        raise UnsupportedFeature(f"cannot compile entry '{e.name}'{' for ' + where if where else ''}: "
                                 f"{type(exc).__name__}: {exc}") from None


def compile(module: Module, target: str = "interp", entry: str | None = None,
            observables: Sequence[str] | None = None, optimize: int = 1, command: str | None = None,
            derivatives: int = 1) -> Compiled:
    """Compile one entry of ``module`` for ``target``.

    ``observables`` are the per-event inputs a distribution is normalised over (default: the entry's own).
    ``optimize=0`` keeps normalisation as quadrature and runs no rewrites (the specification); 1 runs the
    closed forms and the cheap rewrites; 2 adds SymPy simplification. ``derivatives`` adds the NLL's analytic
    gradient (1) and Hessian (2) to the program.

    Example:
        >>> compile.__name__
        'compile'
    """
    program, ctx = build_program(module, target, entry, observables, optimize, command, derivatives)
    backend = get_backend(target)
    artifact = backend.emit(program)
    e = module.entries[program.name]
    level = derivatives if ctx.differentiate else 0
    return Compiled(module, e, target, program.observables, dict(program.defaults), program, artifact,
                    backend.load(artifact), optimize, level, ctx)


def build_program(module: Module, target: str = "interp", entry: str | None = None,
                  observables: Sequence[str] | None = None, optimize: int = 1, command: str | None = None,
                  derivatives: int = 1) -> tuple[Program, Context]:
    """The program a back-end emits for one entry (what :func:`compile` does before emitting and loading).

    Example:
        >>> from firmc.ir import Entry, Module, param
        >>> m = Module(entries={"f": Entry("f", "function", 2.0 * param("a"))})
        >>> m.parameters["a"] = Parameter("a", 1.0)
        >>> build_program(m, "numpy", "f")[0].parameters
        ('a',)
    """
    if optimize not in (0, 1, 2):
        raise FirmError(f"optimize must be 0, 1 or 2, got {optimize!r}")
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
    most = getattr(get_backend(target), "derivatives", 2)
    outputs, ctx = _optimized_outputs(module, e, domains, optimize, min(derivatives, most))
    if derivatives > most == 0:
        ctx.note("gradient", name, f"target '{target}' evaluates no analytic derivatives")
    lowered = list(outputs.values())
    if e.kind != "function" and any(o.type.dtype is DType.COMPLEX for o in lowered):  # a pass's bug, not the user's
        raise FirmError(f"entry '{name}' is a real {e.kind} but came out complex once simplified; please report it")
    kept = leaves([outputs["value"]], "obs")
    dropped = [o for o in obs_names if o not in kept]
    if dropped and observables is not None:
        raise FirmError(f"entry '{name}' does not depend on '{dropped[0]}'; its variables are: "
                        + ", ".join(sorted({*leaves(lowered, "param"), *kept})))
    if dropped:  # e.g. a polynomial density of degree 0: the normalisation pass cannot normalise a constant
        raise UnsupportedFeature(f"entry '{name}' does not depend on its observable '{dropped[0]}' once "
                                 "simplified; normalising a constant density is not supported yet")
    params = sorted(leaves(lowered, "param"))
    missing = [p for p in params if p not in module.parameters and p not in module.observables]
    if missing:
        raise FirmError(f"entry '{name}' uses '{missing[0]}', which the model does not declare")
    parameters = {p: module.parameters[p] if p in module.parameters else _observable_as_parameter(module, p)
                  for p in params}
    used = {d.attr("dataset") for d in walk(lowered) if d.op == "datasum"} - {EVENTS}
    unknown = sorted(used - set(module.datasets))
    if unknown:  # IR text may name data the module does not hold
        raise FirmError(f"entry '{name}' sums over the data set '{unknown[0]}', which the model does not hold")
    program = Program(name, outputs, obs_names, tuple(params), {k: module.datasets[k] for k in sorted(used)},
                      header(module, target, name, command), parameters, e.kind, module)
    return program, ctx


@dataclass(frozen=True)
class Prepared:
    """What :meth:`Compiled.prepared_nll` returns: ``nll(x)``, ``nll_grad(x) -> (value, gradient)`` and
    ``hessian(x)``, functions of the free parameters' array.

    Example:
        >>> Prepared(("a",), abs, abs, abs).nll(-2.0)
        2.0
    """

    names: tuple[str, ...]
    nll: Callable[[np.ndarray], float]
    nll_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    hessian: Callable[[np.ndarray], np.ndarray]


class _PreparedNll:
    """:meth:`Compiled.prepared_nll` for targets without a native fast path: through the evaluator."""

    def __init__(self, compiled: Compiled, inputs: dict[str, Any]) -> None:
        self.compiled, self.inputs, self.names = compiled, inputs, compiled.free_parameters
        self.keys = [gradient_key("nll", q) for q in self.names]

    def _at(self, x: np.ndarray) -> dict[str, Any]:
        return {**self.inputs, **dict(zip(self.names, map(float, x), strict=True))}

    def nll(self, x: np.ndarray) -> float:
        return float(self.compiled._run(self._at(x), ["nll"])["nll"])

    def nll_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.compiled.require_gradient()
        out = self.compiled._run(self._at(x), ["nll", *self.keys])
        return float(out["nll"]), np.array([float(out[k]) for k in self.keys])


def _observable_as_parameter(m: Module, name: str) -> Parameter:
    o = m.observables[name]
    return Parameter(name, o.value if o.value is not None else math.nan, o.min, o.max)
