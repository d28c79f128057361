"""IR rewrites before LLVM emission: ``logaddexp(a, b)`` as ``max(a, b) + log1p(t)`` with the node
``t = exp(-|a - b|)`` that its derivative rule uses too (:func:`firmc.ir.ops.logaddexp_t`), so an NLL and its
gradient share one exponential per event. Ties (two equal infinities included) give ``a + ln 2`` as NumPy's
``logaddexp`` does; NaN propagates through ``max``.

Example:
    >>> from firmc.ir import apply, param
    >>> out = expand_logaddexp({"v": apply("logaddexp", param("a"), param("b"))})
    >>> out["v"].op
    'select'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ...ir import Node, apply, const
from ...ir.ops import logaddexp_t
from ...ir.rewrite import rewrite


def _rule(n: Node, args: tuple[Node, ...]) -> Node | None:
    if n.op != "logaddexp":
        return None
    a, b = args
    spread = apply("max", a, b) + apply("log1p", logaddexp_t(a, b))
    return apply("select", apply("eq", a, b), a + const(math.log(2.0)), spread)


def expand_logaddexp(outputs: Mapping[str, Node]) -> dict[str, Node]:
    """The outputs with every ``logaddexp`` expanded (sharing ``t`` with derivative code).

    Example:
        >>> expand_logaddexp({}) == {}
        True
    """
    keys = list(outputs)
    return dict(zip(keys, rewrite([outputs[k] for k in keys], _rule), strict=True))
