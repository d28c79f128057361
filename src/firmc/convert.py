"""``firmc convert MODEL --to firm|hs3|hs3-root``: any supported model in another format, as text.

* ``firm``: a firm program (:mod:`firmc.writers.firm`): HS3 documents statement by statement, other formats
  through their HS3 form; a firm program is formatted;
* ``hs3``: the HS3 document (spec dialect): a firm program's own document (:func:`firmc.frontends.dsl.to_hs3`),
  any other model written by :func:`firmc.writers.hs3.write_hs3`;
* ``hs3-root``: the HS3 document in ROOT 6.40's dialect, for ``RooJSONFactoryWSTool``.

Example:
    >>> doc = json.loads(convert("observable x in [0, 1]\\ndistribution u = uniform(x)", "hs3"))
    >>> doc["distributions"]
    [{'name': 'u', 'type': 'uniform_dist', 'x': ['x']}]
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any

from .errors import FormatError

TARGETS = ("firm", "hs3", "hs3-root")


def _is_firm(source: str | PathLike[str]) -> bool:
    return (isinstance(source, str) and "\n" in source) or Path(source).suffix == ".firm" or \
        (isinstance(source, str) and not Path(source).suffix and not Path(source).exists())


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def convert(source: str | PathLike[str], to: str) -> str:
    """The text of ``source`` (a model file, or firm program text) in the format ``to``.

    Example:
        >>> print(convert("parameter   a=1", "firm"), end="")
        parameter a = 1
    """
    from .frontends import load
    from .frontends.dsl import read_program, to_hs3
    from .writers.firm import format_program, hs3_to_firm, module_to_firm
    from .writers.hs3 import write_hs3

    if to not in TARGETS:
        raise FormatError(f"unknown format '{to}'; expected one of {', '.join(TARGETS)}")
    firm = _is_firm(source)
    if to == "firm":
        if firm:
            return format_program(read_program(source)[0])
        from .frontends import detect_format
        from .frontends.jsonread import read_json_file

        doc, _ = read_json_file(Path(source))
        if detect_format(doc, str(source)) == "hs3":
            return hs3_to_firm(doc, str(source))
        return module_to_firm(load(Path(source)))
    if to == "hs3" and firm:
        return _json(to_hs3(source))
    model = load(Path(source)) if not firm else _load_firm(source)
    return _json(write_hs3(model, "root" if to == "hs3-root" else "spec"))


def _load_firm(source: str | PathLike[str]) -> Any:
    from .frontends.dsl import load_firm

    return load_firm(source)


__all__ = ["TARGETS", "convert"]
