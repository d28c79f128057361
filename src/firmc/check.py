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
    value: complex | None = None  # a validation: the value computed, and the one shipped with the model
    reference: complex | None = None

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
    lines += validations(module, ["interp", *(t for t in targets if t != "interp")], entries)
    return lines


def validations(module: Module, targets: Sequence[str], entries: Sequence[str] | None = None) -> list[CheckLine]:
    """Every validation value shipped with the model (``entries``: only theirs), evaluated on each target: one
    line per value and target, with the value, the reference and their relative difference.

    Example:
        >>> from firmc.ir import Entry, Module, Parameter, Validation, param
        >>> m = Module(parameters={"a": Parameter("a", 2.0)}, entries={"f": Entry("f", "function", param("a"))},
        ...            validations=[Validation("f", {"a": 3.0}, 3.0)])
        >>> [(ln.target, ln.value, ln.ok) for ln in validations(m, ["interp"])]
        [('interp', (3+0j), True)]
    """
    compiled: dict[tuple[str, str], Compiled | FirmError] = {}
    lines: list[CheckLine] = []
    for v in module.validations:
        if entries and v.entry not in entries:
            continue
        what = f"validation {v.label}".strip()
        for target in targets:
            key = (v.entry, target)
            if key not in compiled:
                try:
                    compiled[key] = compile(module, target, v.entry)
                except FirmError as exc:
                    compiled[key] = exc
            f = compiled[key]
            if isinstance(f, FirmError):
                lines.append(CheckLine(v.entry, target, what, math.nan, v.rtol, False, str(f).splitlines()[0]))
                continue
            try:
                got = complex(np.ravel(f({k: np.array([x]) if k in f.observables else x
                                          for k, x in v.point.items()}))[0])
            except FirmError as exc:
                lines.append(CheckLine(v.entry, target, what, math.nan, v.rtol, False, str(exc).splitlines()[0]))
                continue
            err = rel_error(np.array([got]), np.array([v.expected]))
            lines.append(CheckLine(v.entry, target, what, err, v.rtol, err <= v.rtol, "", got, complex(v.expected)))
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


def _number(v: complex | None) -> str:
    if v is None:
        return "-"
    if v.imag == 0.0:
        return f"{v.real:.12g}"
    return f"{v.real:.12g}{v.imag:+.12g}i"


def format_report(lines: Sequence[CheckLine]) -> str:
    """The check table as text (with value and reference columns when there are validation lines).

    Example:
        >>> print(format_report([CheckLine("g", "interp", "closed forms vs quadrature", 0.0, 1e-7, True)]))
        entry  target  check                       max rel. diff  tolerance  status
        g      interp  closed forms vs quadrature  0              1e-07      ok
    """
    values = any(ln.value is not None for ln in lines)
    head = ("entry", "target", "check", *(("value", "reference") if values else ()), "max rel. diff", "tolerance")
    rows = [(*head, "status")]
    for ln in lines:
        err = "-" if math.isnan(ln.error) else f"{ln.error:.3g}"
        status = ln.status + (f": {ln.note}" if ln.note else "")
        vals = (_number(ln.value), _number(ln.reference)) if values else ()
        rows.append((ln.entry, ln.target, ln.what, *vals, err, f"{ln.rtol:.3g}", status))
    n = len(head)
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:n], widths, strict=True)) + "  " + r[n]
                     for r in rows)
