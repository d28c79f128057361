"""The fuzzing harness of tests/test_fuzz.py (issue 10): running one input with a time limit and telling a
FirmError from anything else (:func:`attempt`), compiling and evaluating what loads (:func:`exercise`), and the
JSON values, placeholders and corruptions the document strategies (tests/fuzz_documents.py) share.
"""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import currently_in_test_context, event
from hypothesis import strategies as st

import firmc
from firmc.errors import FirmError, format_path
from firmc.frontends.hs3 import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register them)
from firmc.ir import Module

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = ROOT / "examples"

#: Seconds one input may take (load, compile and evaluate); FIRMC_FUZZ_LIMIT overrides it.
LIMIT = float(os.environ.get("FIRMC_FUZZ_LIMIT", "10"))
#: How many entries of a loaded model are compiled and evaluated (chosen by the input's ``pick``).
MAX_ENTRIES = 3

#: Inputs tried and their outcomes, per kind (scripts/fuzz.py prints them).
TRIED: Counter[str] = Counter()
OUTCOMES: dict[str, Counter[str]] = {}


# ------------------------------------------------------------------------------------------ the harness
class Hang(BaseException):
    """An input took longer than its time limit (a BaseException: no ``except Exception`` in firmc swallows
    it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (an outer ITIMER_REAL timer is restored)."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds:g} s")

    old_handler = signal.signal(signal.SIGALRM, expire)
    old_delay, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 1e-3))


def _where(exc: BaseException) -> str:
    """file:line (function) of the innermost frame in firmc, else the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/firmc/" in f.filename] or frames
    if not inside:
        return "?"
    f = inside[-1]
    return f"{f.filename.split('/src/')[-1]}:{f.lineno} ({f.name})"


def attempt(kind: str, run: Callable[[], str | None], limit: float = LIMIT) -> str:
    """Run one input; its outcome ("ok", "load: FormatError", ...). Anything but a FirmError, or taking more
    than ``limit`` seconds, is an AssertionError naming the exception and where it came from."""
    TRIED[kind] += 1
    try:
        with time_limit(limit), np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = run() or "ok"
    except FirmError as exc:
        outcome = f"{STAGE.get('now', '?')}: {type(exc).__name__}"
    except Hang as exc:
        raise AssertionError(f"{kind}: no answer within {limit:g} s, at {STAGE.get('now')} [{_where(exc)}]") from exc
    except Exception as exc:
        raise AssertionError(f"{kind}: {type(exc).__name__} escaped at {STAGE.get('now')}: {str(exc)[:300]} "
                             f"[{_where(exc)}]") from exc
    OUTCOMES.setdefault(kind, Counter())[outcome] += 1
    if currently_in_test_context():
        event(f"{kind}: {outcome}")
    return outcome


STAGE: dict[str, str] = {}  # the stage an input is in ("load", "compile", "evaluate"), for messages


def stage(name: str) -> None:
    STAGE["now"] = name


def _point(m: Module, f: firmc.Compiled, where: str) -> dict[str, Any]:
    """Inputs of ``f``: observables at the middle of their domains ("mid"), near the edges ("edges"); parameters
    at their defaults, or at their bounds ("edges")."""
    out: dict[str, Any] = {}
    for name in f.observables:
        o = m.observables.get(name)
        lo, hi = (o.min, o.max) if o is not None else (-math.inf, math.inf)
        lo = lo if math.isfinite(lo) else -3.0
        hi = hi if math.isfinite(hi) else 3.0
        out[name] = np.array([0.5 * (lo + hi)]) if where == "mid" else np.array([lo, 0.25 * lo + 0.75 * hi, hi])
    if where == "edges":
        for name in f.free_parameters:
            p = f.parameters[name]
            for bound in (p.min, p.max):
                if math.isfinite(bound):
                    out[name] = bound
                    break
    return out


def exercise(m: Module, pick: int = 0, checks: bool = False) -> str:
    """Compile up to :data:`MAX_ENTRIES` entries of ``m`` (starting at entry ``pick``) for the interpreter and
    evaluate each at two points (a FirmError of one entry does not stop the others); with ``checks``, run the
    module's validations too. Returns the outcomes, e.g. ``"evaluated, compile: UnsupportedFeature"``."""
    names = list(m.entries)
    if not names:
        return "loaded, no entries"
    start = pick % len(names)
    outcomes = set()
    for name in (names[start:] + names[:start])[:MAX_ENTRIES]:
        try:
            stage("compile")
            f = firmc.compile(m, "interp", name)
            stage("evaluate")
            for where in ("mid", "edges"):
                f(_point(m, f, where))
            if "nll" in f.program.outputs and f.entry.kind != "likelihood":
                f.nll(_point(m, f, "edges"))
            outcomes.add("evaluated")
        except FirmError as exc:
            outcomes.add(f"{STAGE['now']}: {type(exc).__name__}")
    if checks and m.validations:
        stage("check")
        firmc.check(m, ["interp"])
    return ", ".join(sorted(outcomes))


# ------------------------------------------------------------------------------ JSON values and corruption
@dataclass(frozen=True)
class Deep:
    """A placeholder for a deeply nested value (kept small until the input runs: hypothesis prints inputs)."""

    depth: int
    kind: str  # "list", "dict", "list-leaf"

    def build(self) -> Any:
        v: Any = 1.0
        for _ in range(self.depth):
            v = [v] if self.kind == "list" else {"a": v} if self.kind == "dict" else [v, 1.0]
        return v


@dataclass(frozen=True)
class Big:
    """A placeholder for a long list of numbers."""

    n: int
    value: Any

    def build(self) -> Any:
        return [copy.deepcopy(self.value) for _ in range(self.n)] if isinstance(self.value, list) else \
            [self.value] * self.n


def materialise(doc: Any) -> Any:
    """A deep copy of ``doc`` with :class:`Deep` and :class:`Big` placeholders built."""
    if isinstance(doc, Deep | Big):
        return doc.build()
    if isinstance(doc, dict):
        return {k: materialise(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [materialise(v) for v in doc]
    return doc


JPath = tuple[str | int, ...]


def all_paths(doc: Any) -> list[JPath]:
    out: list[JPath] = []
    stack: list[tuple[Any, JPath]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if path:
            out.append(path)
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return sorted(out, key=lambda p: [str(k) for k in p])


def at(doc: Any, path: JPath) -> Any:
    for key in path:
        doc = doc[key]
    return doc


WEIRD_NAMES = ["μ", "σ_1", "名前", "x\u0301", "a b", "a-b", "x.y", "x[0]", "0abc", "nan", "inf", "-inf", "1.0",
               "1e999", "", " ", "\t", "x\x00", "\ud800", "😀", "\u202ex", "__class__", "self", "None", "import",
               "a" * 300, "@0", "x + 1", "a -> b", "'", '"', "\\", "%0", "$x", "#"]
EXTREME_NUMBERS = [1e308, -1e308, 10**400, -(10**400), math.nan, math.inf, -math.inf, -1, 0, -0.0, 5e-324, 2**63,
                   10**6, 10**9, 1e-300, -1e-300, 0.5, True, False]
NUMBERS = st.sampled_from(EXTREME_NUMBERS) | st.floats(allow_nan=True, allow_infinity=True) | st.integers()
SCALARS = st.none() | st.booleans() | NUMBERS | st.sampled_from(WEIRD_NAMES) | st.text(max_size=6)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "type", "x", "value", "data", "min", "max", "axes"]) | st.text(max_size=3), inner,
    max_size=3), max_leaves=6)


def _kind(v: Any) -> str:
    return ("null" if v is None else "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float)
            else "string" if isinstance(v, str) else "list" if isinstance(v, list) else "object")


OF_KIND = {"null": st.none(), "bool": st.booleans(), "number": NUMBERS,
           "string": st.sampled_from(WEIRD_NAMES) | st.text(max_size=6),
           "list": st.lists(JSON_VALUES, max_size=3),
           "object": st.dictionaries(st.sampled_from(["name", "type", "x", "value"]), JSON_VALUES, max_size=3)}

CORRUPTIONS = ("wrong type", "delete", "dangling reference", "cycle", "deep nesting", "extreme number",
               "unicode name", "empty string", "duplicate item", "swap", "long list", "drop list items")


def corrupt(draw: st.DrawFn, doc: Any, names: list[str], times: int) -> list[str]:
    """Apply ``times`` random corruptions to ``doc`` in place; ``names`` are the names objects can reference.
    Returns what was done (for the record)."""
    done = []
    for _ in range(times):
        paths = all_paths(doc)
        if not paths:
            break
        op = draw(st.sampled_from(CORRUPTIONS))
        strings = [p for p in paths if isinstance(at(doc, p), str)]
        numbers = [p for p in paths if _kind(at(doc, p)) == "number"]
        lists = [p for p in paths if isinstance(at(doc, p), list) and at(doc, p)]
        choices = {"dangling reference": strings, "cycle": strings, "unicode name": strings,
                   "empty string": strings, "extreme number": numbers, "long list": lists,
                   "drop list items": lists, "duplicate item": [p for p in paths if isinstance(p[-1], int)]
                   }.get(op, paths)
        if not choices:
            continue
        path = draw(st.sampled_from(choices))
        parent = at(doc, path[:-1])
        key = path[-1]
        old = parent[key]
        if op == "wrong type":
            parent[key] = draw(st.one_of(*[s for k, s in OF_KIND.items() if k != _kind(old)]))
        elif op == "delete":
            del parent[key]
        elif op == "dangling reference":
            parent[key] = draw(st.sampled_from(["nosuch", old + "_", old[:-1], old.upper()]))
        elif op == "cycle":
            # a reference to the object that holds it, or to any other object
            holder = next((at(doc, path[:k])["name"] for k in range(len(path) - 1, 0, -1)
                           if isinstance(at(doc, path[:k]), dict) and isinstance(at(doc, path[:k]).get("name"), str)),
                          None)
            parent[key] = holder if holder is not None and draw(st.booleans()) else \
                draw(st.sampled_from(names or ["x"]))
        elif op == "deep nesting":
            parent[key] = Deep(draw(st.sampled_from([30, 200, 1000, 5000, 100_000])),
                               draw(st.sampled_from(["list", "dict", "list-leaf"])))
        elif op == "extreme number":
            parent[key] = draw(st.sampled_from(EXTREME_NUMBERS))
        elif op == "unicode name":
            new = draw(st.sampled_from(WEIRD_NAMES))
            if draw(st.booleans()):  # rename everywhere: the name itself is strange, not dangling
                for p in strings:
                    if at(doc, p) == old:
                        at(doc, p[:-1])[p[-1]] = new
            else:
                parent[key] = new
        elif op == "empty string":
            parent[key] = draw(st.sampled_from(["", " ", "\n"]))
        elif op == "duplicate item":
            parent.insert(int(key), copy.deepcopy(old))
        elif op == "swap":
            other = draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:
                o_parent = at(doc, other[:-1])
                parent[key], o_parent[other[-1]] = o_parent[other[-1]], old
        elif op == "long list":
            parent[key] = Big(draw(st.sampled_from([1000, 100_000])),
                              draw(st.sampled_from([1.0, 0.0, 0.5])))
        elif op == "drop list items":
            del old[draw(st.integers(0, len(old) - 1)):]
        done.append(_note(op, doc, path))
    return done


def _note(op: str, doc: Any, path: JPath) -> str:
    """What a corruption did: the operation, where, and the new value."""
    try:
        new = "" if op in ("delete", "drop list items") else f": {at(doc, path)!r}"[:80]
    except (KeyError, IndexError, TypeError):
        new = ""
    return f"{op} at {format_path(path)}{new}"


@dataclass
class JsonCase:
    """A JSON input: the document (placeholders inside), how it is read, what was done to it."""

    doc: Any
    via_file: bool = False
    pick: int = 0
    notes: list[str] = field(default_factory=list)
    patches: list[Any] = field(default_factory=list)

    def __repr__(self) -> str:  # hypothesis prints it for a failing input: the JSON, short placeholders
        text = json.dumps(self.doc, default=repr, ensure_ascii=True)
        text = text if len(text) < 4000 else text[:4000] + f"... ({len(text)} characters)"
        extra = f", patches={json.dumps(self.patches, default=repr)}" if self.patches else ""
        return f"JsonCase(via_file={self.via_file}, pick={self.pick}, notes={self.notes}{extra}, doc={text})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def source(self) -> Any:
        """What ``firmc.load`` gets: the dict, or the JSON text written to a file (NaN and Infinity as the
        literals Python writes)."""
        doc = materialise(self.doc)
        if not self.via_file:
            return doc
        try:
            text = json.dumps(doc)
        except (ValueError, RecursionError):
            return doc
        path = Path(_tmpdir()) / "case.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return path


@cache
def _tmpdir() -> str:
    return tempfile.mkdtemp(prefix="firmc-fuzz-")


def run_json(case: JsonCase) -> str:
    stage("load")
    m = firmc.load(case.source())
    return exercise(m, case.pick, checks=m.format == "amplitude" and case.pick % 4 == 0)


# names and domains of generated models (documents and programs)
OBS_NAMES = ("x", "y")
PAR_NAMES = ("a", "b", "c", "mu", "sigma")
DOMAINS = ((0.0, 10.0), (-5.0, 5.0), (0.1, 3.0), (1.0, 2.0))
GOOD = st.sampled_from([0.5, 1.0, 2.0, -1.0, 0.1, 3.0, 0.0, 1.5])
POSITIVE = st.sampled_from([0.5, 1.0, 2.0, 0.1, 3.0])
