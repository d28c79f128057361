"""The pass pipeline: named, pure IR -> IR passes, in order. The verifier runs between them when asked.

A pass maps the program's named outputs to new outputs (:data:`OutputsFn`); most passes rewrite every root
alike and are written as ``run(roots, ctx) -> roots`` (wrapped by :func:`on_roots`). Every pass leaves the
interpreter's values unchanged; ``min_level`` says from which ``optimize`` level it runs.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.library.shapes import gaussian
    >>> out = run_pipeline([gaussian(obs("x", -1.0, 1.0), param("m"), param("s"))], optimize=1)
    >>> any(n.op == "normalize" for n in walk(out))
    False
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..ir import Node, verify_node, walk
from .context import Context, PassStat, Stopwatch, collector_paused
from .cse import cse
from .fold import fold
from .gradient import add_derivatives
from .hoist import hoist
from .logspace import logspace
from .normalise import lower_normalisation
from .simplify import simplify
from .strength import strength_reduce
from .sums import factor_sums

RootsFn = Callable[[Sequence[Node], Context], list[Node]]
OutputsFn = Callable[[Mapping[str, Node], Context], dict[str, Node]]


def on_roots(fn: RootsFn) -> OutputsFn:
    """Lift a pass over a list of roots to one over named outputs.

    Example:
        >>> from firmc.ir import param
        >>> on_roots(lambda roots, ctx: [r * 2.0 for r in roots])({"v": param("a")}, Context())["v"].op
        'mul'
    """

    def run(outputs: Mapping[str, Node], ctx: Context) -> dict[str, Node]:
        keys = list(outputs)
        return dict(zip(keys, fn([outputs[k] for k in keys], ctx), strict=True))

    run.__doc__ = fn.__doc__
    return run


@dataclass(frozen=True)
class Pass:
    """A named transformation of the program's outputs, applied from ``min_level`` of ``optimize`` up.

    Example:
        >>> PIPELINE[0].name, PIPELINE[0].min_level
        ('normalise', 1)
    """

    name: str
    run: OutputsFn
    min_level: int
    doc: str


PIPELINE: tuple[Pass, ...] = (
    Pass("normalise", on_roots(lower_normalisation), 1,
         "normalize nodes -> closed forms (library rules, else SymPy) or explicit quadrature integrals"),
    Pass("hoist", on_roots(hoist), 1,
         "per-evaluation work out of the per-event work: invariant factors and terms gathered into one operand"),
    Pass("logspace", on_roots(logspace), 1,
         "log of products, quotients and exponentials split; log of sums of exponentials as log-sum-exp"),
    Pass("fold", on_roots(fold), 1, "constant folding, IEEE-exact identities and dead branches"),
    Pass("strength", on_roots(strength_reduce), 1,
         "integer powers to multiplications, pow(x, 1/2) to sqrt, abs2 of reals, division by invariants"),
    Pass("simplify", on_roots(simplify), 2,
         "SymPy simplification per region under a time budget, kept when cheaper and numerically equal"),
    Pass("cse", on_roots(cse), 1, "canonical operand order and shared sum/product prefixes"),
    Pass("gradient", add_derivatives, 0,
         "adds d(output)/d(parameters) (reverse mode over the optimised value, sharing its nodes) and the "
         "Hessian (forward over reverse) where asked"),
    Pass("sums", on_roots(factor_sums), 1,
         "what does not vary over the events taken out of sums over events (linearity of datasum)"),
    Pass("fold2", on_roots(fold), 1, "folding the derivative code (its rules are already applied to the value)"),
)


def _size(outputs: Mapping[str, Node]) -> int:
    return sum(1 for _ in walk(list(outputs.values())))


def optimize_outputs(outputs: Mapping[str, Node], ctx: Context) -> dict[str, Node]:
    """Run every pass enabled at ``ctx.optimize`` over the named outputs; verify after each with ``ctx.check``.
    Per-pass wall times and graph sizes are appended to ``ctx.stats``.

    Example:
        >>> from firmc.ir import param
        >>> ctx = Context(optimize=1, differentiate=("v",), wrt=("a",))
        >>> sorted(optimize_outputs({"v": param("a") * param("a")}, ctx))
        ['grad:v:a', 'v']
    """
    with collector_paused():
        return _run_passes(dict(outputs), ctx)


def _run_passes(out: dict[str, Node], ctx: Context) -> dict[str, Node]:
    size = _size(out)
    for p in PIPELINE:
        if ctx.optimize < p.min_level:
            continue
        clock = Stopwatch()
        new = p.run(out, ctx)
        seconds = clock.seconds()
        after = size if all(new[k] is out.get(k) for k in new) and len(new) == len(out) else _size(new)
        ctx.stats.append(PassStat(p.name, seconds, size, after))
        out, size = new, after
        if ctx.check:
            for r in out.values():
                verify_node(r)
    return out


def run_pipeline(roots: Sequence[Node], optimize: int = 1, *, check: bool = False,
                 ctx: Context | None = None) -> list[Node]:
    """Run the pipeline over a list of roots (see :func:`optimize_outputs`); ``ctx.optimize`` wins when given.

    Example:
        >>> from firmc.ir import param
        >>> run_pipeline([param("a")], optimize=0)[0].op
        'param'
    """
    if ctx is None:
        ctx = Context(optimize=optimize, check=check)
    out = optimize_outputs({str(i): r for i, r in enumerate(roots)}, ctx)
    return [out[str(i)] for i in range(len(roots))]


def markdown_pipeline() -> str:
    """The pipeline and every rewrite rule as Markdown (docs/passes-generated.md is this text; a test keeps
    it current).

    Example:
        >>> "| `normalise` |" in markdown_pipeline()
        True
    """
    from .cse import CSE_RULES
    from .dce import DCE_RULES
    from .fold import FOLD_RULES
    from .rules import rule_table
    from .strength import STRENGTH_RULES

    lines = ["# The pass pipeline (generated)", "",
             "Generated from `firmc.passes.pipeline.PIPELINE` and the rule tables (`python scripts/gen_docs.py`); "
             "see [passes.md](passes.md) for the prose.", "",
             "| pass | from level | what it does |", "|---|---|---|"]
    lines += [f"| `{p.name}` | {p.min_level} | {p.doc} |" for p in PIPELINE]
    for title, rules in (("fold", FOLD_RULES), ("dead code (run with fold)", DCE_RULES),
                         ("strength", STRENGTH_RULES), ("cse", CSE_RULES)):
        lines += ["", f"## Rules of {title}", "",
                  "*exact*: bit-identical results, NaN for NaN, signed zeros kept; the others change results "
                  "at rounding level.", "", rule_table(rules)]
    return "\n".join(lines) + "\n"
