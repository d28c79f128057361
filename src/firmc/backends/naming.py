"""Model names ("R(600)", "compass_3pi_JP=1+_M=0", "σ") as identifiers of generated code.

Names are mangled deterministically (ASCII letters, digits and ``_``; every other character becomes ``_``),
with a prefix that keeps them apart from the generator's own names and the target language's keywords, and a
numeric suffix where two names collide after mangling (assigned in sorted order of the original names, so the
result does not depend on the order names are met). The original names stay in the generated metadata.

Example:
    >>> mangle(["mu", "R(600)", "R_600_", "σ"], "p_")
    {'R(600)': 'p_R_600_', 'R_600_': 'p_R_600__2', 'mu': 'p_mu', 'σ': 'p__'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BAD = re.compile(r"[^A-Za-z0-9_]")


def mangle(names: Iterable[str], prefix: str, taken: Iterable[str] = ()) -> dict[str, str]:
    """Identifiers ``prefix + sanitized name`` for ``names``, unique among themselves and ``taken``.

    Example:
        >>> mangle(["a b", "a+b"], "x_")
        {'a b': 'x_a_b', 'a+b': 'x_a_b_2'}
    """
    used = set(taken)
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        base = prefix + _BAD.sub("_", name)
        ident, k = base, 1
        while ident in used:
            k += 1
            ident = f"{base}_{k}"
        used.add(ident)
        out[name] = ident
    return out


def file_stem(name: str) -> str:
    """An entry name as the stem of a generated file name (and a C namespace suffix).

    Example:
        >>> file_stem("R(600) model")
        'R_600__model'
    """
    return _BAD.sub("_", name) or "model"
