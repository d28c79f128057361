"""The registry of HS3 object types: per type, its fields (what each field holds) and its IR builder.

The field table drives everything the loader needs besides building: reference discovery (for ordering and
cycle detection), which variables are observables, validation with JSON paths, and the documentation table
(``docs/hs3-types.md`` is generated from :data:`TYPES`, so it cannot drift from the code).

Example:
    >>> spec = TYPES["gaussian_dist"]
    >>> [f.name for f in spec.fields], spec.kind
    (['x', 'mean', 'sigma'], 'distribution')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ...ir import Node
    from .loader import Obj

FieldKind = Literal["ref", "refs", "obs", "obs_list", "dist", "dists", "num", "nums", "matrix", "bool", "int",
                    "str", "expr", "any"]
REF_KINDS = frozenset({"ref", "refs", "obs", "obs_list", "dist", "dists"})


@dataclass(frozen=True)
class Field:
    """One field of an HS3 object type.

    Example:
        >>> Field("x", "obs").required
        True
    """

    name: str
    kind: FieldKind
    required: bool = True


@dataclass(frozen=True)
class TypeSpec:
    """An HS3 ``type``: its fields, its IR builder, where the name comes from, and aliases.

    Example:
        >>> TYPES["normal_dist"] is TYPES["gaussian_dist"]
        True
    """

    name: str
    kind: Literal["distribution", "function"]
    fields: tuple[Field, ...]
    build: Callable[[Obj], Node]
    origin: str  # "HS3 spec", "ROOT", "pyhs3", "CMS (pyhs3)"
    doc: str
    aliases: tuple[str, ...] = ()
    extra_keys: frozenset[str] = field(default_factory=frozenset)  # tolerated, unused

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if declared.

        Example:
            >>> TYPES["gaussian_dist"].field("mean").kind
            'ref'
        """
        return next((f for f in self.fields if f.name == name), None)


TYPES: dict[str, TypeSpec] = {}


def register(name: str, kind: Literal["distribution", "function"], fields: str, origin: str,
             aliases: tuple[str, ...] = (), extra: str = "") -> Callable[[Callable[[Obj], Node]],
                                                                          Callable[[Obj], Node]]:
    """Decorator registering a builder. ``fields`` is ``"x:obs mean:ref sigma:ref ?extended:bool"``
    (``?`` marks optional fields).

    Example:
        >>> @register("demo_dist_for_doc", "distribution", "x:obs", "doc")
        ... def _demo(obj): return obj.node("x")
        >>> TYPES.pop("demo_dist_for_doc").fields[0].kind
        'obs'
    """
    parsed = []
    for item in fields.split():
        fname, _, fkind = item.partition(":")
        optional = fname.startswith("?")
        parsed.append(Field(fname.lstrip("?"), fkind, not optional))  # type: ignore[arg-type]

    def deco(fn: Callable[[Obj], Node]) -> Callable[[Obj], Node]:
        doc = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        spec = TypeSpec(name, kind, tuple(parsed), fn, origin, doc, aliases, frozenset(extra.split()))
        for n in (name, *aliases):
            TYPES[n] = spec
        return fn

    return deco


def markdown_table() -> str:
    """The table of supported HS3 types and aliases (docs/hs3-types.md is this text; a test keeps it current).

    Example:
        >>> "| `gaussian_dist` |" in markdown_table()
        True
    """
    from . import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register the builders)
    from .loader import DEFERRED

    lines = [
        "# Supported HS3 types",
        "",
        "Generated from firmc's own registry (`python scripts/gen_docs.py`); a test fails when it is out of date.",
        "Field kinds: `obs` an observable, `ref` a name or a number, `refs` a list of them, `dist(s)` names of",
        "distributions, `expr` an expression string (in the document's dialect: ROOT-made files use TFormula",
        "syntax, others the HS3 grammar), `?` optional.",
        "",
        "| type | kind | origin | fields | aliases | meaning |",
        "|---|---|---|---|---|---|",
    ]
    seen: set[str] = set()
    for name in sorted(TYPES, key=str.lower):
        spec = TYPES[name]
        if spec.name in seen:
            continue
        seen.add(spec.name)
        fields = " ".join(f"{'' if f.required else '?'}{f.name}:{f.kind}" for f in spec.fields)
        aliases = ", ".join(f"`{a}`" for a in spec.aliases)
        doc = spec.doc.replace("|", "\\|")
        lines.append(f"| `{spec.name}` | {spec.kind} | {spec.origin} | `{fields}` | {aliases} | {doc} |")
    lines += ["", "Recognised but read elsewhere:", ""]
    lines += [f"* `{k}`: {v}" for k, v in sorted(DEFERRED.items())]
    return "\n".join(lines) + "\n"
