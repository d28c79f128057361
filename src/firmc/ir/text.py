"""The stable text form of the IR: :func:`print_module` and :func:`parse_module` round-trip.

One node per line in SSA form, arguments before users; names and strings are JSON-quoted, floats printed
with ``repr`` so they read back bit for bit::

    firmc-ir 1
    observable "x" -10.0 10.0
    parameter "mu" 0.0 -5.0 5.0
    %0 = obs[hi=10.0, lo=-10.0, name="x"] : real/event
    %1 = param[name="mu"] : real/param
    %2 = sub(%0, %1) : real/event
    entry function "f" = %2

Example:
    >>> from firmc.ir import obs, param, Module, Entry, Observable
    >>> m = Module(observables={"x": Observable("x", -1.0, 1.0)})
    >>> m.entries["f"] = Entry("f", "function", obs("x", -1.0, 1.0) - param("mu"))
    >>> parse_module(print_module(m)).entries["f"].expr is m.entries["f"].expr
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import IRError
from .module import Dataset, Entry, Module, Observable, Parameter, Validation
from .node import AttrValue, Node, walk
from .ops import OPS
from .types import Type
from .verify import verify_node

MAGIC = "firmc-ir 1"


# ------------------------------------------------------------------------------------------------ printing
def quote(text: str) -> str:
    """``text`` as a JSON string literal: readable unicode, but what a reader cannot see or a file cannot hold
    (control, bidi and other format characters, line separators, lone surrogates) as ``\\u`` escapes.

    Example:
        >>> print(quote("σ\\u202e\\ud800"))
        "σ\\u202e\\ud800"
    """
    def escape(c: str) -> str:
        code = ord(c)
        if code > 0xFFFF:  # a surrogate pair, as JSON writes it
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return "".join(c if c.isprintable() or c == '"' else escape(c) for c in json.dumps(text, ensure_ascii=False))


def format_value(v: AttrValue) -> str:
    """Print an attribute value so that :func:`parse_value` reads it back exactly.

    Example:
        >>> format_value(("x", 1.5, 2, True, None, 1j))
        '("x", 1.5, 2, true, none, c(0.0, 1.0))'
    """
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, complex):
        return f"c({v.real!r}, {v.imag!r})"
    return "(" + ", ".join(format_value(x) for x in v) + ")"


def _node_line(n: Node, ids: dict[int, int]) -> str:
    attrs = "[" + ", ".join(f"{k}={format_value(v)}" for k, v in n.attrs) + "]" if n.attrs else ""
    args = "(" + ", ".join(f"%{ids[id(a)]}" for a in n.args) + ")" if n.args else ""
    return f"%{ids[id(n)]} = {n.op}{attrs}{args} : {n.type!r}"


def print_nodes(roots: Sequence[Node]) -> tuple[list[str], dict[int, int]]:
    """SSA lines for every node reachable from ``roots`` and the id -> number map.

    Example:
        >>> from firmc.ir import param
        >>> print_nodes([-param("a")])[0]
        ['%0 = param[name="a"] : real/param', '%1 = neg(%0) : real/param']
    """
    ids: dict[int, int] = {}
    lines = []
    for n in walk(list(roots)):
        ids[id(n)] = len(ids)
        lines.append(_node_line(n, ids))
    return lines, ids


def format_node(node: Node) -> str:
    """Short text of a node: its SSA lines when small, else a summary.

    Example:
        >>> from firmc.ir import param
        >>> format_node(param("a"))
        '%0 = param[name="a"] : real/param'
    """
    lines, _ = print_nodes([node])
    if len(lines) > 12:
        return f"<{node.op} node : {node.type!r}, {len(lines)} nodes>"
    return "; ".join(lines)


def _array(a: np.ndarray) -> str:
    return "[" + ", ".join(repr(float(x)) for x in np.asarray(a, dtype=float).ravel()) + "]"


def print_module(m: Module) -> str:
    """The text form of a module.

    Example:
        >>> print_module(Module()).splitlines()[0]
        'firmc-ir 1'
    """
    out = [MAGIC]
    for o in m.observables.values():
        val = "" if o.value is None else f" value={o.value!r}"
        out.append(f"observable {quote(o.name)} {o.min!r} {o.max!r}{val}")
    for p in m.parameters.values():
        out.append(f"parameter {quote(p.name)} {p.value!r} {p.min!r} {p.max!r}"
                   + (" const" if p.const else ""))
    for d in m.datasets.values():
        out.append(f"dataset {quote(d.name)} {d.kind}")
        for col, arr in d.columns.items():
            lo, hi = d.axes.get(col, (float("-inf"), float("inf")))
            out.append(f"  column {quote(col)} {lo!r} {hi!r} {_array(arr)}")
        if d.weights is not None:
            out.append(f"  weights {_array(d.weights)}")
    roots = [x for e in m.entries.values() for x in (e.expr, e.expected) if x is not None]
    lines, ids = print_nodes(roots)
    out.extend(lines)
    for e in m.entries.values():
        line = f"entry {e.kind} {quote(e.name)} = %{ids[id(e.expr)]}"
        if e.observables:
            line += " over " + format_value(tuple(e.observables))
        if e.expected is not None:
            line += f" expected %{ids[id(e.expected)]}"
        if e.source:
            line += f" source {quote(e.source)}"
        out.append(line)
    for v in m.validations:
        point = "{" + ", ".join(f"{quote(k)}: {x!r}" for k, x in v.point.items()) + "}"
        out.append(f"validation {quote(v.entry)} {point} {format_value(v.expected)} "
                   f"rtol={v.rtol!r} label={quote(v.label)}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------- parsing
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<ref>%\d+)
    | (?P<num>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)(?![A-Za-z0-9_]))
    | (?P<word>[A-Za-z_][A-Za-z0-9_/]*)
    | (?P<punct>[=(),\[\]:{}])
    )""", re.VERBOSE)


class _Tokens:
    def __init__(self, text: str, lineno: int) -> None:
        self.toks: list[tuple[str, str]] = []
        self.lineno = lineno
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise IRError(f"IR text line {lineno}: cannot read {text[pos:pos + 20]!r}")
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def next(self, kind: str | None = None, value: str | None = None) -> str:
        k, v = self.peek()
        if (kind and k != kind) or (value and v != value):
            raise IRError(f"IR text line {self.lineno}: expected {value or kind}, found {v!r}")
        self.i += 1
        return v

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] != "str":
            self.i += 1
            return True
        return False


def _number(text: str) -> int | float:
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return float(text)


def parse_value(t: _Tokens) -> AttrValue:
    """Read one attribute value written by :func:`format_value`."""
    kind, v = t.peek()
    if kind == "str":
        t.next()
        return str(json.loads(v))
    if kind == "num":
        t.next()
        return _number(v)
    if v in ("true", "false", "none"):
        t.next()
        return {"true": True, "false": False, "none": None}[v]
    if v == "c":
        t.next()
        t.next(value="(")
        re_ = float(t.next("num"))
        t.next(value=",")
        im = float(t.next("num"))
        t.next(value=")")
        return complex(re_, im)
    if v == "(":
        t.next()
        items: list[AttrValue] = []
        while not t.accept(")"):
            items.append(parse_value(t))
            t.accept(",")
        return tuple(items)
    raise IRError(f"IR text line {t.lineno}: expected a value, found {v!r}")


def _float_list(t: _Tokens) -> np.ndarray:
    t.next(value="[")
    vals = []
    while not t.accept("]"):
        vals.append(float(t.next("num")))
        t.accept(",")
    return np.array(vals, dtype=float)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield i, line


def parse_module(text: str) -> Module:
    """Read the text form back into a :class:`Module` (nodes are re-interned, so identical).

    Example:
        >>> parse_module("firmc-ir 1\\nparameter \\"a\\" 1.0 -inf inf\\n").parameters["a"].value
        1.0
        >>> parse_module('firmc-ir 1\\n%0 = const[dtype="cplx", value=1.0] : real/const')
        Traceback (most recent call last):
        firmc.errors.IRError: IR text line 2: 'cplx' is not a valid DType
    """
    where = [0]
    try:
        m = _parse_module(text, where)
        for e in m.entries.values():  # what the op table does not check when a node is made
            for root in (e.expr, e.expected):
                if root is not None:
                    verify_node(root)
        return m
    except IRError as exc:
        if str(exc).startswith("IR text"):
            raise
        raise IRError(f"IR text line {where[0]}: {exc}") from None
    except (ValueError, KeyError, TypeError, IndexError, OverflowError, RecursionError) as exc:
        # what the op table or the types refuse (an unknown dtype or Var, a missing attribute), bad JSON strings
        why = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise IRError(f"IR text line {where[0]}: {why}") from None


def _parse_module(text: str, where: list[int]) -> Module:
    lines = list(_lines(text))
    if not lines or lines[0][1].strip() != MAGIC:
        raise IRError(f"IR text must start with '{MAGIC}'")
    m = Module(format="ir")
    nodes: dict[int, Node] = {}
    dataset: Dataset | None = None
    for lineno, line in lines[1:]:
        where[0] = lineno
        t = _Tokens(line, lineno)
        head = t.peek()[1]
        if head.startswith("%"):
            _parse_node(t, nodes)
            t.next("end")  # nothing after the node's type
            continue
        t.next()
        if head == "observable":
            name = str(json.loads(t.next("str")))
            lo, hi = float(t.next("num")), float(t.next("num"))
            if not lo <= hi:
                raise IRError(f"IR text line {lineno}: observable '{name}' has min {lo} above max {hi}")
            value = None
            if t.accept("value"):
                t.next(value="=")
                value = float(t.next("num"))
            m.observables[name] = Observable(name, lo, hi, value)
        elif head == "parameter":
            name = str(json.loads(t.next("str")))
            value, lo, hi = (float(t.next("num")) for _ in range(3))
            m.parameters[name] = Parameter(name, value, lo, hi, t.accept("const"))
        elif head == "dataset":
            name = str(json.loads(t.next("str")))
            kind = t.next("word")
            if kind not in ("unbinned", "binned", "point"):
                raise IRError(f"IR text line {lineno}: unknown dataset kind {kind!r}")
            dataset = m.datasets[name] = Dataset(name, {}, None, kind)  # type: ignore[arg-type]
        elif head in ("column", "weights"):
            if dataset is None:
                raise IRError(f"IR text line {lineno}: '{head}' outside a dataset")
            if head == "weights":
                dataset.weights = _float_list(t)
            else:
                col = str(json.loads(t.next("str")))
                dataset.axes[col] = (float(t.next("num")), float(t.next("num")))
                dataset.columns[col] = _float_list(t)
        elif head == "entry":
            _parse_entry(t, m, nodes)
        elif head == "validation":
            _parse_validation(t, m)
        else:
            raise IRError(f"IR text line {lineno}: unknown statement {head!r}")
        t.next("end")
    return m


def _ref(t: _Tokens, nodes: dict[int, Node]) -> Node:
    ref = int(t.next("ref")[1:])
    if ref not in nodes:
        raise IRError(f"IR text line {t.lineno}: %{ref} used before it is defined")
    return nodes[ref]


def _parse_node(t: _Tokens, nodes: dict[int, Node]) -> None:
    ref = int(t.next("ref")[1:])
    t.next(value="=")
    op = t.next("word")
    attrs: list[tuple[str, AttrValue]] = []
    if t.accept("["):
        while not t.accept("]"):
            key = t.next("word")
            t.next(value="=")
            attrs.append((key, parse_value(t)))
            t.accept(",")
    args: list[Node] = []
    if t.accept("("):
        while not t.accept(")"):
            args.append(_ref(t, nodes))
            t.accept(",")
    if op not in OPS:
        raise IRError(f"IR text line {t.lineno}: unknown op '{op}'")
    OPS[op].check_attrs(dict(attrs))  # before the node is made: its type and free variables read them
    node = Node.make(op, args, tuple(sorted(attrs)))
    if t.accept(":"):
        written = Type.parse(t.next("word"))
        if written != node.type:
            raise IRError(f"IR text line {t.lineno}: %{ref} is written {written!r} but its type is "
                          f"{node.type!r}")
    nodes[ref] = node


def _parse_entry(t: _Tokens, m: Module, nodes: dict[int, Node]) -> None:
    kind = t.next("word")
    if kind not in ("distribution", "function", "likelihood"):
        raise IRError(f"IR text line {t.lineno}: unknown entry kind {kind!r}")
    name = str(json.loads(t.next("str")))
    t.next(value="=")
    e = Entry(name, kind, _ref(t, nodes))  # type: ignore[arg-type]
    while t.peek()[0] != "end":
        word = t.next("word")
        if word == "over":
            e.observables = tuple(str(x) for x in parse_value(t) or ())  # type: ignore[union-attr]
        elif word == "expected":
            e.expected = _ref(t, nodes)
        elif word == "source":
            e.source = str(json.loads(t.next("str")))
        else:
            raise IRError(f"IR text line {t.lineno}: unknown entry field {word!r}")
    m.entries[name] = e


def _parse_validation(t: _Tokens, m: Module) -> None:
    entry = str(json.loads(t.next("str")))
    t.next(value="{")
    point: dict[str, float] = {}
    while not t.accept("}"):
        key = str(json.loads(t.next("str")))
        t.next(value=":")
        point[key] = float(t.next("num"))
        t.accept(",")
    expected = parse_value(t)
    if not isinstance(expected, int | float | complex):
        raise IRError(f"IR text line {t.lineno}: validation value must be a number")
    t.next(value="rtol")
    t.next(value="=")
    rtol = float(t.next("num"))
    t.next(value="label")
    t.next(value="=")
    label = str(json.loads(t.next("str")))
    m.validations.append(Validation(entry, point, expected, rtol, label))
