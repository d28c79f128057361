"""Agreement checks: every target against the interpreter, closed forms against quadrature, and the
validation values shipped with a model.

Example:
    >>> import firmc
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": 0.0, "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -3, "max": 3}]}]}
    >>> all(line.ok for line in check(firmc.load(doc)))
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backends import available_targets
from .compiler import Compiled, compile, domain_of
from .errors import FirmError
from .ir import Module

CLOSED_FORM_RTOL = 1e-7  # closed forms vs quadrature: Landau's DISLAN and DENLAN differ by up to 2e-8
TARGET_RTOL = 1e-12


@dataclass(frozen=True)
class CheckLine:
    """One line of a check report.

    Example:
        >>> CheckLine("g", "interp", "closed forms vs quadrature", 1e-12, 1e-7, True).status
        'ok'
    """

    entry: str
    target: str
    what: str
    error: float  # max relative difference (nan when it could not run)
    rtol: float
    ok: bool
    note: str = ""

    @property
    def status(self) -> str:
        """``ok``, ``FAIL`` or ``ERROR``.

        Example:
            >>> CheckLine("g", "jax", "vs interp", math.nan, 1e-12, False, "boom").status
            'ERROR'
        """
        if self.ok:
            return "ok"
        return "ERROR" if math.isnan(self.error) else "FAIL"


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Max relative difference, NaN/Inf in the same places counting as equal.

    Example:
        >>> rel_error(np.array([1.0, np.nan]), np.array([1.0 + 1e-13, np.nan])) < 1e-12
        True
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=complex), np.asarray(b, dtype=complex))
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if np.all(same):
        return 0.0
    if np.any(~np.isfinite(a[~same])) or np.any(~np.isfinite(b[~same])):
        return math.inf
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b)[~same] / scale[~same]))


def sample_points(f: Compiled, n: int = 64, seed: int = 1) -> dict[str, np.ndarray]:
    """Random points inside the domains of the compiled entry's observables (parameters at defaults).

    Example:
        >>> sample_points.__name__
        'sample_points'
    """
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    m = f.module
    for o in f.observables:
        lo, hi = domain_of(m, o)
        if not math.isfinite(lo) or not math.isfinite(hi):
            centre = 0.0 if not (math.isfinite(lo) or math.isfinite(hi)) else (lo if math.isfinite(lo) else hi)
            lo, hi = (max(lo, centre - 10.0), min(hi, centre + 10.0))
        out[o] = rng.uniform(lo, hi, n)
    return out


def _entries(m: Module, entries: Sequence[str] | None) -> list[str]:
    if entries:
        return list(entries)
    return [name for name in m.entries if name not in m.unsupported]


def check(module: Module, targets: Sequence[str] | None = None, entries: Sequence[str] | None = None) \
        -> list[CheckLine]:
    """Check ``entries`` (default all) on ``targets`` (default every available one) against the interpreter,
    the interpreter's closed forms against quadrature, and the model's validation values.

    Example:
        >>> check.__name__
        'check'
    """
    targets = list(targets) if targets else available_targets()
    lines: list[CheckLine] = []
    for name in _entries(module, entries):
        try:
            ref = compile(module, "interp", name)
            spec = compile(module, "interp", name, optimize=0)
            pts = sample_points(ref)
            want = ref(pts)
            err = rel_error(want, spec(pts))
            lines.append(CheckLine(name, "interp", "closed forms vs quadrature", err, CLOSED_FORM_RTOL,
                                   err <= CLOSED_FORM_RTOL))
        except FirmError as exc:
            lines.append(CheckLine(name, "interp", "compile", math.nan, 0.0, False, str(exc).splitlines()[0]))
            continue
        for target in targets:
            if target != "interp":
                lines.append(_vs_interp(module, name, target))
    for v in module.validations:
        try:
            f = compile(module, "interp", v.entry)
            got = f({k: np.array([x]) if k in f.observables else x for k, x in v.point.items()})
            err = rel_error(np.ravel(got)[:1], np.array([v.expected]))
            lines.append(CheckLine(v.entry, "interp", f"validation {v.label}".strip(), err, v.rtol, err <= v.rtol))
        except FirmError as exc:
            lines.append(CheckLine(v.entry, "interp", "validation", math.nan, v.rtol, False, str(exc)))
    return lines


def _vs_interp(module: Module, name: str, target: str) -> CheckLine:
    """Every output of the entry on ``target`` against the interpreter (:func:`firmc.testing.compare`)."""
    from .testing import Case, compare

    try:
        diffs = compare(Case(module, name), target)
    except FirmError as exc:
        return CheckLine(name, target, "vs interp", math.nan, TARGET_RTOL, False, str(exc).splitlines()[0])
    worst = max(diffs, key=lambda d: d.error / d.rtol)
    ok = all(d.ok for d in diffs)
    what = f"vs interp ({len(diffs)} outputs)"
    return CheckLine(name, target, what, worst.error, worst.rtol, ok, "" if ok else f"worst: {worst.output}")


def format_report(lines: Sequence[CheckLine]) -> str:
    """The check table as text.

    Example:
        >>> print(format_report([CheckLine("g", "interp", "closed forms vs quadrature", 0.0, 1e-7, True)]))
        entry  target  check                       max rel. diff  tolerance  status
        g      interp  closed forms vs quadrature  0              1e-07      ok
    """
    rows = [("entry", "target", "check", "max rel. diff", "tolerance", "status")]
    for ln in lines:
        err = "-" if math.isnan(ln.error) else f"{ln.error:.3g}"
        status = ln.status + (f": {ln.note}" if ln.note else "")
        rows.append((ln.entry, ln.target, ln.what, err, f"{ln.rtol:.3g}", status))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
                     for r in rows)
