"""``firmc info``: what a model holds, and how each distribution will be normalised.

Example:
    >>> import firmc
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": 0.0, "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -3, "max": 3}]}]}
    >>> print(describe(firmc.load(doc)).splitlines()[2])
      g  distribution over (x)  normalisation: closed form gaussian
"""

from __future__ import annotations

from collections import Counter

from .ir import Module, print_module, walk
from .passes.bind import bind_observables
from .passes.normalise import choice


def _norms(m: Module, name: str) -> str:
    e = m.entries[name]
    doms = {o: (m.observables[o].min, m.observables[o].max) for o in e.observables if o in m.observables}
    bound = bind_observables([e.expr], doms)[0]
    counts = Counter(choice(n) for n in walk([bound]) if n.op == "normalize")
    return ", ".join(f"{c}" + (f" (x{k})" if k > 1 else "") for c, k in sorted(counts.items())) or "none"


def describe(m: Module, ir: bool = False) -> str:
    """A human-readable summary of ``m``.

    Example:
        >>> from firmc.ir import Module
        >>> describe(Module(source="m.json")).splitlines()[0]
        'm.json (format ?, 0 entries)'
    """
    out = [f"{m.source or '<dict>'} (format {m.format or '?'}, {len(m.entries)} entries)", "entries:"]
    for e in m.entries.values():
        extra = ""
        if e.kind == "distribution":
            extra = f" over ({', '.join(e.observables)})  normalisation: {_norms(m, e.name)}"
            if e.expected is not None:
                extra += "  extended"
        nodes = sum(1 for _ in walk([e.expr]))
        out.append(f"  {e.name}  {e.kind}{extra}" + (f"  [{nodes} nodes]" if ir else ""))
    for name, why in m.unsupported.items():
        out.append(f"  {name}  (not compilable: {why})")
    if m.observables:
        out.append("observables:")
        out.extend(f"  {o.name}  [{o.min:g}, {o.max:g}]" for o in m.observables.values())
    if m.parameters:
        out.append("parameters:")
        out.extend(f"  {p.name} = {p.value:g}  [{p.min:g}, {p.max:g}]{'  const' if p.const else ''}"
                   for p in m.parameters.values())
    if m.datasets:
        out.append("data:")
        out.extend(f"  {d.name}  {d.kind}, {d.size} {'bins' if d.kind == 'binned' else 'events'}, "
                   f"columns {', '.join(d.columns)}" for d in m.datasets.values())
    if ir:
        out.append("IR:")
        out.append(print_module(m))
    return "\n".join(out)
