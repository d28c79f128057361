"""The ``roofit`` target: the model as a RooWorkspace, so RooFit users fit it with the tools they have.

Files (``<stem>`` the entry's file name):

* ``<stem>_hs3.json``: the model in ROOT's HS3 dialect (:func:`firmc.writers.hs3.write_hs3`), every object that
  has a RooFit importer;
* ``<stem>_roofit.h``: for what RooFit lacks, generated ``RooAbsPdf``/``RooAbsReal`` classes compiled by ROOT's
  interpreter (:mod:`.classes`; only when needed);
* ``<stem>_roofit.py`` and ``<stem>_roofit.C``: build the workspace (pip ``root``, or ``root -l -b -q``).

The loader runs the Python script in process and evaluates through RooFit: ``pdf.getVal(normSet)`` per point,
``getLogVal``, ``expectedEvents`` and the NLL of ``createNLL`` (EvalBackend ``cpu``) on a ``RooDataSet`` of the
events. RooFit computes no analytic derivatives, so neither does this target (:attr:`RoofitBackend.derivatives`).

Example:
    >>> BACKEND.name, BACKEND.requires, BACKEND.derivatives, BACKEND.rtol
    ('roofit', ('ROOT',), 0, 1e-09)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ...errors import UnsupportedFeature
from ...ir import Module, Node
from ...ir.types import DType
from .. import Artifact, Evaluator, Program
from ..naming import comment_lines, file_stem
from .classes import ForeignClass, foreign_class
from .scripts import Variable, macro, python_script

# RooFit classes whose values are known to be wrong: the target writes firmc's own class instead
AVOID = {
    "multivariate_normal_dist": "RooMultiVarGaussian normalises with pi = 3.14159268 (values 8.4e-9 relative low "
                                "for two observables; tests/test_roofit_corpus.py)",
}


class RoofitBackend:
    """Emits the HS3 JSON, the classes and the two workspace builders; loads through pip ``root``.

    Example:
        >>> RoofitBackend().name
        'roofit'
    """

    name = "roofit"
    requires: tuple[str, ...] = ("ROOT",)
    derivatives = 0
    # RooFit evaluates with its own implementations (special functions, integrals: RooCBShape's differs from
    # firmc's closed form by ~1e-11): agreement is checked to 1e-9 relative, not to the op table's 1e-12
    rtol = 1e-9

    def emit(self, program: Program) -> Artifact:
        """The files (deterministic: same program, same bytes).

        Example:
            >>> RoofitBackend.emit.__name__
            'emit'
        """
        source = program.source
        if source is None:
            raise UnsupportedFeature("the roofit target needs the model's structure (compile it with firmc.compile)")
        stem = file_stem(program.name)
        doc, classes = workspace_parts(source, program)
        original = doc.get("misc", {}).get("firmc", {}).get("original_names", {})
        renamed = {orig: name for name, orig in original.items()}  # the writer's names ROOT accepts
        classes = [replace(c, servers=tuple(renamed.get(s, s) for s in c.servers)) for c in classes]
        variables = _variables(source, classes, original)
        files = {f"{stem}_hs3.json": json.dumps(doc, indent=1, sort_keys=True) + "\n"}
        header = ""
        if classes:
            header = f"{stem}_roofit.h"
            banner = comment_lines(program.header, "//")
            files[header] = banner + "\n".join(c.code for c in classes)
        args = (stem, variables, classes, f"{stem}_hs3.json", header, program.header)
        files[f"{stem}_roofit.py"] = python_script(*args)
        files[f"{stem}_roofit.C"] = macro(*args)
        return Artifact(self.name, files, program)

    def load(self, artifact: Artifact) -> Evaluator:
        """Builds the workspace through the generated script; evaluates with RooFit.

        Example:
            >>> RoofitBackend.load.__name__
            'load'
        """
        from ..pysource import import_text
        from .evaluate import RoofitEvaluator

        program = artifact.program
        assert program is not None
        stem = file_stem(program.name)
        with warnings.catch_warnings():  # pip root's "alpha stage" notice, once per process, is not ours to print
            warnings.filterwarnings("ignore", message=r"[\s\S]*alpha stage", category=UserWarning)
            script = import_text(artifact.files[f"{stem}_roofit.py"], f"{stem}_roofit")
        header = artifact.files.get(f"{stem}_roofit.h")
        text = artifact.files[f"{stem}_hs3.json"]
        w = script.workspace(json_text=text, header_text=header)
        return RoofitEvaluator(w, program, json.loads(text))


def workspace_parts(source: Module, program: Program) -> tuple[dict[str, Any], list[ForeignClass]]:
    """The ROOT-dialect HS3 document of the program's entry and the classes for what it cannot hold.

    Example:
        >>> workspace_parts.__name__
        'workspace_parts'
    """
    from ...writers.hs3 import write_hs3

    classes: list[ForeignClass] = []
    entry = source.entries[program.name]

    def foreign(name: str, node: Node, kind: str) -> dict[str, Any] | None:
        classes.append(foreign_class(name, node, source, program.observables, density=kind == "distribution"))
        return None

    if entry.expr.type.dtype is DType.COMPLEX:  # a complex entry: its real and imaginary parts as two functions
        for part in ("real", "imag"):
            classes.append(foreign_class(f"{program.name}_{part}", entry.expr, source, program.observables,
                                         density=False, part=part))
        return write_hs3(source, "root", entries=[]), classes
    return write_hs3(source, "root", entries=[program.name], foreign=foreign, avoid=AVOID), classes


def _variables(source: Module, classes: Sequence[ForeignClass], original: Mapping[str, str]) -> list[Variable]:
    """The variables the classes read (by their names in the workspace), with the values and ranges of the
    model."""
    out = []
    for name in sorted({s for c in classes for s in c.servers}):
        n = original.get(name, name)
        if n in source.observables:
            o = source.observables[n]
            mid = o.value if o.value is not None else (0.5 * (o.min + o.max) if np.isfinite(o.min + o.max) else 0.0)
            out.append(Variable(name, float(mid), o.min, o.max, False))
        else:
            p = source.parameters[n]
            out.append(Variable(name, p.value, p.min, p.max, p.const))
    return out


BACKEND = RoofitBackend()
__all__ = ["BACKEND", "RoofitBackend", "workspace_parts"]
