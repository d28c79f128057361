"""JSON Patch (RFC 6902) on parsed JSON documents: add, remove, replace, move, copy, test.

Patches are applied to a deep copy; a failing operation is a FormatError naming the operation's JSON path
in the patch (``patch[3].path``) and what went wrong.

Example:
    >>> apply_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3},
    ...                              {"op": "replace", "path": "/a/0", "value": 0}])
    {'a': [0, 2, 3]}
"""

from __future__ import annotations

import copy
from typing import Any

from ...errors import FormatError
from ..jsonread import Path_

OPS = ("add", "remove", "replace", "move", "copy", "test")


def parse_pointer(pointer: str, where: Path_) -> list[str]:
    """The reference tokens of a JSON Pointer (``~1`` is ``/``, ``~0`` is ``~``).

    Example:
        >>> parse_pointer("/a~1b/0", Path_("/a~1b/0"))
        ['a/b', '0']
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise where.error(f"a JSON pointer starts with '/', got '{pointer}'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, where: Path_, *, append: bool) -> int:
    if append and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise where.error(f"'{token}' is not an array index")
    i = int(token)
    if i > len(container) or (i == len(container) and not append):
        raise where.error(f"array index {i} is out of range (length {len(container)})")
    return i


def _parent(doc: Any, tokens: list[str], where: Path_) -> Any:
    node = doc
    for t in tokens[:-1]:
        if isinstance(node, dict):
            if t not in node:
                raise where.error(f"no member '{t}' in the document")
            node = node[t]
        elif isinstance(node, list):
            node = node[_index(node, t, where, append=False)]
        else:
            raise where.error(f"cannot descend into a {type(node).__name__} at '{t}'")
    if not isinstance(node, dict | list):
        raise where.error("the target's parent is not an object or an array")
    return node


def _get(doc: Any, tokens: list[str], where: Path_) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens, where)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise where.error(f"no member '{last}' in the document")
        return parent[last]
    return parent[_index(parent, last, where, append=False)]


def _add(doc: Any, tokens: list[str], value: Any, where: Path_) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens, where)
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    else:
        parent.insert(_index(parent, tokens[-1], where, append=True), value)
    return doc


def _remove(doc: Any, tokens: list[str], where: Path_) -> tuple[Any, Any]:
    if not tokens:
        raise where.error("cannot remove the whole document")
    parent = _parent(doc, tokens, where)
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise where.error(f"no member '{tokens[-1]}' to remove")
        return doc, parent.pop(tokens[-1])
    return doc, parent.pop(_index(parent, tokens[-1], where, append=False))


def apply_operation(doc: Any, op: Path_) -> Any:
    """Apply one patch operation to ``doc`` in place (the result is returned: the root may be replaced).

    Example:
        >>> apply_operation({"a": 1}, Path_({"op": "remove", "path": "/a"}))
        {}
    """
    kind = op.get("op").string()
    if kind not in OPS:
        raise op.get("op").error(f"unknown JSON Patch operation '{kind}' (known: {', '.join(OPS)})")
    path_p = op.get("path")
    if not isinstance(path_p.value, str):
        raise path_p.error("expected a string (a JSON pointer)")
    tokens = parse_pointer(path_p.value, path_p)
    if kind in ("add", "replace", "test") and "value" not in op.obj():
        raise op.error(f"operation '{kind}' needs a 'value'")
    if kind == "add":
        return _add(doc, tokens, copy.deepcopy(op.obj()["value"]), path_p)
    if kind == "remove":
        return _remove(doc, tokens, path_p)[0]
    if kind == "replace":
        _get(doc, tokens, path_p)
        if not tokens:
            return copy.deepcopy(op.obj()["value"])
        doc, _ = _remove(doc, tokens, path_p)
        return _add(doc, tokens, copy.deepcopy(op.obj()["value"]), path_p)
    if kind == "test":
        if _get(doc, tokens, path_p) != op.obj()["value"]:
            raise op.error(f"test failed: the value at '{path_p.value}' differs")
        return doc
    from_p = op.get("from")
    if not isinstance(from_p.value, str):
        raise from_p.error("expected a string (a JSON pointer)")
    source = parse_pointer(from_p.value, from_p)
    if kind == "move":
        if tokens[: len(source)] == source and len(tokens) > len(source):
            raise from_p.error("cannot move a value into one of its own children")
        doc, value = _remove(doc, source, from_p)
        return _add(doc, tokens, value, path_p)
    return _add(doc, tokens, copy.deepcopy(_get(doc, source, from_p)), path_p)


def apply_patch(doc: Any, patch: Any, where: Path_ | None = None) -> Any:
    """A deep copy of ``doc`` with the operations of ``patch`` (a list) applied in order.

    Example:
        >>> apply_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
        Traceback (most recent call last):
        firmc.errors.FormatError: patch[0]: test failed: the value at '/a' differs
    """
    where = where if where is not None else Path_(patch, ("patch",))
    out = copy.deepcopy(doc)
    for op in where.items():
        out = apply_operation(out, op)
    return out


def select_patch(patchset: Any, name: str, file: str | None = None) -> Path_:
    """The JSON Patch of the patch named ``name`` in a pyhf patchset (schema 1.0.0), as a path value.

    Example:
        >>> ps = {"metadata": {}, "version": "1.0.0", "patches": [{"metadata": {"name": "p", "values": [1]},
        ...       "patch": [{"op": "add", "path": "/x", "value": 1}]}]}
        >>> select_patch(ps, "p").path
        ('patches', 0, 'patch')
    """
    root = Path_(patchset, (), file)
    version = root.get("version")
    if version.value != "1.0.0":
        raise version.error(f"unsupported patchset version {version.value!r} (expected '1.0.0')")
    names = []
    for item in root.get("patches").items():
        n = item.get("metadata").get("name").string()
        names.append(n)
        if n == name:
            return item.get("patch")
    from ...errors import UnknownName

    raise UnknownName("patch", name, names, path=root.get("patches").path, file=file)


def check_patchset(patchset: Any, file: str | None = None) -> list[str]:
    """The patch names of a patchset, checking its structure.

    Example:
        >>> check_patchset({"metadata": {}, "version": "1.0.0", "patches": []})
        []
    """
    root = Path_(patchset, (), file)
    for key in ("metadata", "patches", "version"):
        root.get(key)
    extra = [k for k in root.obj() if k not in ("metadata", "patches", "version")]
    if extra:
        raise FormatError(f"unknown field '{extra[0]}' in a patchset", path=(), file=file)
    out = []
    for item in root.get("patches").items():
        out.append(item.get("metadata").get("name").string())
        item.get("patch").items()
    return out
