"""Front-ends: model files to :class:`~firmc.ir.Module`, with the format detected from the content.

Example:
    >>> load({"metadata": {"hs3_version": "0.2"}}).format
    'hs3'
"""

from __future__ import annotations

import hashlib
import json
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..ir import Module
from .jsonread import Path_, read_json_file


def detect_format(doc: Any, file: str | None = None) -> str:
    """Which front-end reads ``doc``: "hs3", "pyhf" or "amplitude"; errors name ``file``.

    Example:
        >>> detect_format({"channels": [], "measurements": [], "observations": [], "version": "1.0.0"})
        'pyhf'
    """
    if not isinstance(doc, dict):
        kind = Path_(doc)._kind()
        raise FormatError(f"expected a JSON object at the top level, found {kind}", file=file)
    if "channels" in doc and "measurements" in doc:
        return "pyhf"
    dists = doc.get("distributions")
    if isinstance(dists, list) and any(isinstance(d, dict) and "decay_description" in d for d in dists):
        return "amplitude"
    if "metadata" in doc or "distributions" in doc or "functions" in doc:
        return "hs3"
    raise FormatError("cannot tell the format: expected an HS3 document (with 'metadata'), a pyhf workspace "
                      "('channels', 'measurements') or an amplitude model", file=file)


def load(source: str | Path | dict[str, Any]) -> Module:
    """Read a model file (or an already-parsed JSON dict) into a Module.

    Example:
        >>> load({"metadata": {"hs3_version": "0.2"}}).entries
        {}
    """
    from ..ir import parse_module

    if isinstance(source, dict):
        doc, file = source, None
        try:
            text = json.dumps(source, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError) as exc:  # keys of mixed types, cycles, deep nesting
            raise FormatError(f"the model dict is not a JSON document: {exc}") from None
        digest = hashlib.sha256(text.encode()).hexdigest()
    elif not isinstance(source, str | PathLike):
        raise FormatError(f"expected a file name or a JSON object (dict), found {type(source).__name__}")
    else:
        path = Path(source)
        if path.suffix == ".firm":
            from .dsl import load_firm

            return load_firm(path)
        if path.suffix == ".firmir":
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or a NUL byte in the name
                raise FormatError(f"cannot read file: {exc}", file=str(path)) from None
            return parse_module(text)
        doc, digest = read_json_file(path)
        file = str(path)
    fmt = detect_format(doc, file)
    if fmt == "hs3":
        from .hs3 import load_hs3

        return load_hs3(doc, file, digest)
    if fmt == "amplitude":
        from .amplitude import load_amplitude
        return load_amplitude(doc, file, digest)
    if fmt == "pyhf":
        from .histfactory import load_pyhf
        return load_pyhf(doc, file=file, digest=digest)
    raise FormatError(f"the {fmt} front-end is not available yet", file=file)
