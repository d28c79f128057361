"""The ``functions`` of an amplitude-serialization document: one complex ``function`` entry per lineshape, the
lineshape checksums as validations, and form factors as builders of three squared masses.

A lineshape's variable is the observable its ``x`` key names (``"m_31_sq"``); without one, that of a
``generic_function``'s free symbol, else ``m_ij_sq`` of the first chain node ``[i, j]`` that uses it. Its domain
is the Dalitz-plot range of that pair, ``[(m_i + m_j)², (m_0 - m_k)²]``, over the document's distributions.

Example:
    >>> doc = {"functions": [{"name": "BW", "type": "BreitWigner", "x": "m_12_sq", "mass": 1.0, "width": 0.1,
    ...                       "ma": 0.1, "mb": 0.1, "l": 0, "d": 1.5}],
    ...        "parameter_points": [{"name": "p", "parameters": [{"name": "m_12_sq", "value": 1.0}]}],
    ...        "misc": {"amplitude_model_checksums": [{"point": "p", "distribution": "BW", "value": "0 + 10i"}]}}
    >>> function_entries(doc)["BW"].observables, function_validations(doc)[0].expected
    (('m_12_sq',), 10j)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ...errors import FormatError, UnknownName
from ...ir import Entry, Node, Validation, obs
from ...library.hadronic import FORM_FACTOR_TYPES, LINESHAPE_TYPES, expression_argument, form_factor, lineshape

_NUM = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_TERM = re.compile(rf"\s*([+-]?)\s*({_NUM})?\s*\*?\s*(im|i)?\s*")
_PAIR = re.compile(r"m_([1-3])([1-3])_sq")


def parse_complex(text: object, where: Sequence[str | int] = (), file: str | None = None) -> complex:
    """A number as the format writes it: ``"-0.748 + 0.225i"``, ``"2im"``, ``"-i"``, ``"3.2"`` or a JSON number
    (parsed by a regular expression, never evaluated).

    Example:
        >>> parse_complex("-0.748 + 0.225i"), parse_complex("1e-3-2im"), parse_complex(3)
        ((-0.748+0.225j), (0.001-2j), (3+0j))
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        return complex(text)
    s = text if isinstance(text, str) else ""
    value, pos, parts = 0j, 0, set()
    while pos < len(s):
        m = _TERM.match(s, pos)
        if m is None or m.end() == pos or not (m[2] or m[3]) or (pos and not m[1]) or (m[3] or "r") in parts:
            raise FormatError(f"not a complex number: {text!r}", path=where, file=file)
        parts.add(m[3] or "r")
        size = float(m[2]) if m[2] else 1.0
        value += (-size if m[1] == "-" else size) * (1j if m[3] else 1.0)
        pos = m.end()
    if not parts:
        raise FormatError(f"not a complex number: {text!r}", path=where, file=file)
    return value


def _functions(doc: Mapping[str, Any], file: str | None) -> Iterator[tuple[int, Mapping[str, Any]]]:
    funcs = doc.get("functions") or []
    if not isinstance(funcs, list):
        raise FormatError("expected a list of functions", path=("functions",), file=file)
    for n, f in enumerate(funcs):
        if not isinstance(f, Mapping) or not isinstance(f.get("name"), str):
            raise FormatError("a function is an object with a 'name'", path=("functions", n), file=file)
        yield n, f


def _propagators(doc: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], str, list[int]]]:
    """(kinematics, parametrization, node) of every propagator of every chain of the document."""
    for dist in doc.get("distributions") or []:
        desc = (dist.get("decay_description") or {}) if isinstance(dist, Mapping) else {}
        kin = desc.get("kinematics") or {}
        for chain in desc.get("chains") or []:
            for prop in chain.get("propagators") or []:
                node = prop.get("node")
                if isinstance(prop.get("parametrization"), str) and isinstance(node, list) and len(node) == 2:
                    yield kin, prop["parametrization"], node


def _masses(kin: Mapping[str, Any]) -> dict[int, float]:
    particles = [kin.get("initial_state") or {}, *(kin.get("final_state") or [])]
    return {int(p["index"]): float(p["mass"]) for p in particles if "index" in p and "mass" in p}


def _node_masses(doc: Mapping[str, Any], name: str) -> tuple[float, float] | None:
    for kin, used, node in _propagators(doc):
        ms = _masses(kin)
        if used == name and all(isinstance(i, int) and i in ms for i in node):
            return ms[node[0]], ms[node[1]]
    return None


def function_variable(doc: Mapping[str, Any], obj: Mapping[str, Any], where: Sequence[str | int] = (),
                      file: str | None = None) -> str:
    """The name of a lineshape's variable (see the module docstring).

    Example:
        >>> function_variable({}, {"type": "generic_function", "expression": "1/(1 - m_23_sq)"})
        'm_23_sq'
    """
    if isinstance(obj.get("x"), str):
        return str(obj["x"])
    free = expression_argument(obj, where, file) if obj.get("type") in ("generic_function", "custom") else None
    if free is not None and _PAIR.fullmatch(free):
        return free
    for _, used, node in _propagators(doc):
        if used == obj.get("name"):
            return f"m_{node[0]}{node[1]}_sq"
    return free or "sigma"


def variable_domain(doc: Mapping[str, Any], variable: str, obj: Mapping[str, Any] | None = None
                    ) -> tuple[float, float]:
    """The range of a Mandelstam variable ``m_ij_sq``: the Dalitz-plot limits ``[(m_i + m_j)², (m_0 - m_k)²]``
    (their union over the document's distributions). For other names or without kinematics, from the lineshape
    ``obj``: its threshold ``(ma + mb)²`` (or 0.01) to four times the larger of that and ``mass²`` (or 10).

    Example:
        >>> kin = {"initial_state": {"index": 0, "mass": 3.0},
        ...        "final_state": [{"index": i, "mass": 0.5} for i in (1, 2, 3)]}
        >>> variable_domain({"distributions": [{"decay_description": {"kinematics": kin}}]}, "m_31_sq")
        (1.0, 6.25)
    """
    m = _PAIR.fullmatch(variable)
    if m is None or m[1] == m[2]:
        return _fallback_domain(obj or {})
    i, j = int(m[1]), int(m[2])
    (k,) = {1, 2, 3} - {i, j}
    lo, hi = math.inf, -math.inf
    for dist in doc.get("distributions") or []:
        ms = _masses((dist.get("decay_description") or {}).get("kinematics") or {})
        if {0, 1, 2, 3} <= set(ms):
            lo, hi = min(lo, (ms[i] + ms[j]) ** 2), max(hi, (ms[0] - ms[k]) ** 2)
    return (lo, hi) if lo < hi else _fallback_domain(obj or {})


def _fallback_domain(obj: Mapping[str, Any]) -> tuple[float, float]:
    def number(key: str) -> float | None:
        v = obj.get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    ma, mb, mass = number("ma"), number("mb"), number("mass")
    lo = (ma + mb) ** 2 if ma is not None and mb is not None and ma + mb > 0 else 0.01
    return lo, 4.0 * max(lo, mass * mass) if mass is not None else max(4.0 * lo, 10.0)


def lineshape_builder(doc: Mapping[str, Any], name: str, node: Sequence[int] | None = None,
                      file: str | None = None) -> Callable[[Node], Node]:
    """The lineshape ``name`` of the document as a function of its variable's node; ``node`` (the chain's
    ``[i, j]``) gives the daughters' masses a ``BreitWignerWidthExpLikeBugg`` needs (default: its first use).

    Example:
        >>> from firmc.ir import obs
        >>> doc = {"functions": [{"name": "P", "type": "Polynomial", "coefficients": [1.0, 2.0]}]}
        >>> lineshape_builder(doc, "P")(obs("s", 0.0, 1.0)).type
        complex/event
    """
    for n, f in _functions(doc, file):
        if f["name"] == name:
            masses = _node_masses(doc, name)
            if node is not None:
                ms = next((_masses(kin) for kin, _, _ in _propagators(doc)), {})
                masses = (ms[node[0]], ms[node[1]]) if node[0] in ms and node[1] in ms else masses
            return lambda x: lineshape(f, x, masses=masses, where=("functions", n), file=file)
    raise UnknownName("function", name, [f["name"] for _, f in _functions(doc, file)], file=file)


def form_factor_builder(doc: Mapping[str, Any], name: str, file: str | None = None
                        ) -> Callable[[Node, Node, Node], Node]:
    """The form factor ``name`` (``BlattWeisskopf`` or ``MomentumPower``) as ``ff(m0², m1², m2²)``.

    Example:
        >>> from firmc.interp import evaluate
        >>> from firmc.ir import const
        >>> ff = form_factor_builder({"functions": [{"name": "p1", "type": "MomentumPower", "l": 1}]}, "p1")
        >>> float(evaluate([ff(const(4.0), const(0.0), const(0.0))], {})[0])  # p = 1
        1.0
    """
    for n, f in _functions(doc, file):
        if f["name"] == name:
            where = ("functions", n)
            if f.get("type") not in FORM_FACTOR_TYPES:
                raise FormatError(f"function '{name}' of type {f.get('type')!r} is not a form factor; "
                                  f"form factors are {', '.join(FORM_FACTOR_TYPES)}", path=where, file=file)
            return lambda a, b, c: form_factor(f, a, b, c, where=where, file=file)
    raise UnknownName("function", name, [f["name"] for _, f in _functions(doc, file)], file=file)


def function_entries(doc: Mapping[str, Any], path: str = "") -> dict[str, Entry]:
    """One complex ``function`` entry per lineshape of ``doc["functions"]``, of its variable (an observable
    over :func:`variable_domain`). Form factors are skipped (:func:`form_factor_builder`); an unknown type is a
    :class:`~firmc.errors.FormatError` naming it. ``path`` is the file, for messages.

    Example:
        >>> doc = {"functions": [{"name": "K", "type": "generic_function", "expression": "1/(1 - σ - 0.1i)"}]}
        >>> function_entries(doc)["K"].observables
        ('σ',)
    """
    file = path or None
    out: dict[str, Entry] = {}
    for n, f in _functions(doc, file):
        where = ("functions", n)
        if f.get("type") in FORM_FACTOR_TYPES:
            continue
        if f.get("type") not in LINESHAPE_TYPES:
            lineshape(f, obs("x"), where=where, file=file)  # raises, naming the supported types
        var = function_variable(doc, f, where, file)
        x = obs(var, *variable_domain(doc, var, f))
        expr = lineshape(f, x, masses=_node_masses(doc, f["name"]), where=where, file=file)
        out[f["name"]] = Entry(f["name"], "function", expr, tuple(sorted(expr.free)), source=f"functions[{n}]")
    return out


def function_validations(doc: Mapping[str, Any], path: str = "") -> list[Validation]:
    """The checksums of ``misc.amplitude_model_checksums`` that name a lineshape (key ``point`` or ``name``):
    its complex value at a one-variable parameter point.

    Example:
        >>> function_validations({"functions": [], "misc": {}})
        []
    """
    file = path or None
    entries = function_entries(doc, path)
    variables = {f["name"]: (n, f) for n, f in _functions(doc, file) if f["name"] in entries}
    points = {p.get("name"): p for p in doc.get("parameter_points") or [] if isinstance(p, Mapping)}
    out = []
    for n, c in enumerate((doc.get("misc") or {}).get("amplitude_model_checksums") or []):
        where = ("misc", "amplitude_model_checksums", n)
        if c.get("distribution") not in variables:
            continue
        name = c["distribution"]
        label = c.get("point", c.get("name"))
        if label not in points:
            raise UnknownName("parameter point", str(label), [str(p) for p in points],
                              path=(*where, "point" if "point" in c else "name"), file=file)
        given = {str(q["name"]): float(q["value"]) for q in points[label].get("parameters") or []}
        i, f = variables[name]
        var = function_variable(doc, f, ("functions", i), file)
        if var not in given and len(given) != 1:
            raise FormatError(f"point {label!r} does not give the variable '{var}' of '{name}'", path=where,
                              file=file)
        point = {var: given.get(var, next(iter(given.values())))} if entries[name].observables else {}
        out.append(Validation(name, point, parse_complex(c.get("value"), (*where, "value"), file), 1e-9,
                              str(label)))
    return out
