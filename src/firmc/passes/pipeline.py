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
from .context import Context, PassStat, Stopwatch
from .gradient import add_derivatives
from .normalise import lower_normalisation

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
    Pass("gradient", add_derivatives, 0,
         "adds d(output)/d(parameters) (reverse mode) and the Hessian (forward over reverse) where asked"),
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
    out = dict(outputs)
    for p in PIPELINE:
        if ctx.optimize < p.min_level:
            continue
        before = _size(out)
        clock = Stopwatch()
        out = p.run(out, ctx)
        ctx.stats.append(PassStat(p.name, clock.seconds(), before, _size(out)))
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
