"""The pass pipeline: named, pure IR -> IR passes, in order. The verifier runs between them in tests.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.library.shapes import gaussian
    >>> out = run_pipeline([gaussian(obs("x", -1.0, 1.0), param("m"), param("s"))], optimize=1)
    >>> out[0].op
    'div'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ir import Node, verify_node
from .normalise import lower_normalisation


@dataclass(frozen=True)
class Pass:
    """A named IR -> IR transformation applied from ``min_level`` of ``optimize`` up.

    Example:
        >>> PIPELINE[0].min_level
        1
    """

    name: str
    run: Callable[[Sequence[Node]], list[Node]]
    min_level: int
    doc: str


PIPELINE: tuple[Pass, ...] = (
    Pass("normalise", lower_normalisation, 1,
         "normalize nodes -> closed-form integrals (library) or explicit quadrature integrals"),
)


def run_pipeline(roots: Sequence[Node], optimize: int = 1, *, check: bool = False) -> list[Node]:
    """Run every pass enabled at level ``optimize``; with ``check`` verify the IR after each.

    Example:
        >>> from firmc.ir import param
        >>> run_pipeline([param("a")], optimize=0)[0].op
        'param'
    """
    out = list(roots)
    for p in PIPELINE:
        if optimize >= p.min_level:
            out = p.run(out)
            if check:
                for r in out:
                    verify_node(r)
    return out
