"""Shared by the round-trip tests (HS3 writer, firm): two modules have the same variables and the same values of
their entries, up to renaming."""

from __future__ import annotations

import numpy as np

import firmc
from firmc.check import sample_points
from firmc.interp import evaluate
from firmc.ir import Module, walk


def _rtol(m: Module, entry: str) -> float:
    """1e-12, or 1e-9 where a density is normalised by quadrature (on either side of the round trip)."""
    e = m.entries[entry]
    roots = [e.expr] if e.expected is None else [e.expr, e.expected]
    quad = any(n.op in ("integral", "datasum") or (n.op == "normalize" and n.attr("rule") in ("", "cb_shape"))
               for n in walk(roots))
    return 1e-9 if quad else 1e-12


def assert_same_values(m: Module, back: Module, names: dict[str, str], entries: list[str] | None = None) -> None:
    for e in entries if entries is not None else [k for k in m.entries if k not in m.unsupported]:
        f = firmc.compile(m, "interp", e)
        pts = sample_points(f, n=16)
        want = np.asarray(f(dict(pts)))
        g = firmc.compile(back, "interp", names.get(e, e))
        got = np.asarray(g({names.get(k, k): v for k, v in pts.items()}))
        np.testing.assert_allclose(got, want, rtol=_rtol(m, e), atol=0, err_msg=f"entry {e}")
        if m.entries[e].expected is not None:
            ex = evaluate([m.entries[e].expected], m.defaults())[0]
            ex2 = evaluate([back.entries[names.get(e, e)].expected], back.defaults())[0]  # type: ignore[list-item]
            np.testing.assert_allclose(ex2, ex, rtol=1e-12, err_msg=f"expected events of {e}")


def assert_same_variables(m: Module, back: Module, names: dict[str, str]) -> None:
    for p in m.parameters.values():
        q = back.parameters[names.get(p.name, p.name)]
        assert (q.value, q.min, q.max, q.const) == (p.value, p.min, p.max, p.const), p.name
    for o in m.observables.values():
        b = back.observables[names.get(o.name, o.name)]
        assert (b.min, b.max, b.value) == (o.min, o.max, o.value), o.name
