"""The pass pipeline: named, pure IR -> IR passes, in order. The verifier runs between them when asked.

Every pass is a function ``run(roots, ctx) -> roots`` (:class:`firmc.passes.context.Context`) that leaves the
interpreter's values unchanged; ``min_level`` says from which ``optimize`` level it runs.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.library.shapes import gaussian
    >>> out = run_pipeline([gaussian(obs("x", -1.0, 1.0), param("m"), param("s"))], optimize=1)
    >>> any(n.op == "normalize" for n in walk(out))
    False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ir import Node, verify_node, walk
from .context import Context, PassStat, Stopwatch
from .normalise import lower_normalisation

PassFn = Callable[[Sequence[Node], Context], list[Node]]


@dataclass(frozen=True)
class Pass:
    """A named IR -> IR transformation applied from ``min_level`` of ``optimize`` up.

    Example:
        >>> PIPELINE[0].name, PIPELINE[0].min_level
        ('normalise', 1)
    """

    name: str
    run: PassFn
    min_level: int
    doc: str


PIPELINE: tuple[Pass, ...] = (
    Pass("normalise", lower_normalisation, 1,
         "normalize nodes -> closed forms (library rules, else SymPy) or explicit quadrature integrals"),
)


def _size(roots: Sequence[Node]) -> int:
    return sum(1 for _ in walk(list(roots)))


def run_pipeline(roots: Sequence[Node], optimize: int = 1, *, check: bool = False,
                 ctx: Context | None = None) -> list[Node]:
    """Run every pass enabled at level ``optimize``; with ``check`` verify the IR after each.
    Per-pass wall times and graph sizes are appended to ``ctx.stats``.

    Example:
        >>> from firmc.ir import param
        >>> run_pipeline([param("a")], optimize=0)[0].op
        'param'
    """
    if ctx is None:
        ctx = Context(optimize=optimize, check=check)
    out = list(roots)
    for p in PIPELINE:
        if optimize < p.min_level:
            continue
        before = _size(out)
        clock = Stopwatch()
        out = p.run(out, ctx)
        ctx.stats.append(PassStat(p.name, clock.seconds(), before, _size(out)))
        if check or ctx.check:
            for r in out:
                verify_node(r)
    return out
