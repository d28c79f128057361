"""``firmc info``: what a model holds, how each distribution is normalised (the choice the compiler makes),
and, with ``--ir``, the IR and its operation counts before and after the pass pipeline.

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

from .errors import FirmError
from .ir import Entry, Module, print_module
from .passes.cost import op_counts


def _normalisation(decisions: list[str]) -> str:
    counts = Counter(decisions)
    return ", ".join(f"{c}" + (f" (x{k})" if k > 1 else "") for c, k in sorted(counts.items())) or "none"


def _entry_lines(m: Module, e: Entry, ir: bool, optimize: int) -> list[str]:
    from .compiler import compile

    kind = e.kind + (f" over ({', '.join(e.observables)})" if e.kind == "distribution" else "")
    try:
        before = compile(m, entry=e.name, optimize=0, derivatives=1 if ir else 0)
        after = compile(m, entry=e.name, optimize=optimize, derivatives=1 if ir else 0) if ir or optimize else before
    except FirmError as exc:
        return [f"  {e.name}  {kind}  (not compilable: {exc})"]
    line = f"  {e.name}  {kind}"
    if e.kind == "distribution":
        line += "  normalisation: " + _normalisation(
            [d.what for d in after.context.decisions if d.pass_name == "normalise"])
        if e.expected is not None:
            line += "  extended"
    line += "".join(f"  [{d.pass_name}: {d.what}]" for d in after.context.decisions if d.pass_name == "gradient")
    out = [line]
    if not ir:
        return out
    for label, keys in (("value", ["value"]), ("nll + gradient", [k for k in after.program.outputs
                                                                  if k == "nll" or k.startswith("grad:")])):
        if not keys or not all(k in before.program.outputs for k in keys):
            continue
        b = op_counts([before.program.outputs[k] for k in keys])
        a = op_counts([after.program.outputs[k] for k in keys])
        out.append(f"    {label}, optimize 0: {b.summary()}")
        out.append(f"    {label}, optimize {optimize}: {a.summary()}")
    seconds = sum(s.seconds for s in after.context.stats)
    out.append(f"    passes ({seconds * 1e3:.1f} ms): " + ", ".join(
        f"{s.name} {s.nodes_before}->{s.nodes_after}" for s in after.context.stats))
    out.append(f"    IR after optimize {optimize}:")
    out.extend("      " + ln for ln in after.artifact.files[next(iter(after.artifact.files))].splitlines()
               if not ln.startswith("#"))
    return out


def describe(m: Module, ir: bool = False, optimize: int = 1) -> str:
    """A human-readable summary of ``m``; with ``ir``, the IR as read and, per entry, op counts before and
    after the pipeline at level ``optimize``, and the optimised IR.

    Example:
        >>> from firmc.ir import Module
        >>> describe(Module(source="m.json")).splitlines()[0]
        'm.json (format ?, 0 entries)'
    """
    out = [f"{m.source or '<dict>'} (format {m.format or '?'}, {len(m.entries)} entries)", "entries:"]
    for e in m.entries.values():
        if e.name not in m.unsupported:
            out.extend(_entry_lines(m, e, ir, optimize))
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
        out.append("IR as read:")
        out.append(print_module(m))
    return "\n".join(out)
