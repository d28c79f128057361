"""The ``interp`` target: the reference interpreter over the lowered IR; its artifact is the IR text.

Example:
    >>> BACKEND.name
    'interp'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...interp import evaluate
from ...ir import Dataset, Entry, Module, Observable, leaves, print_module, walk
from .. import EVENT_WEIGHTS, EVENTS, Artifact, Evaluator, LazyFiles, Program
from ..naming import comment_lines, file_stem


class InterpBackend:
    """Emits the program as IR text; loads it as a closure over :func:`firmc.interp.evaluate`.

    Example:
        >>> InterpBackend().requires
        ()
    """

    name = "interp"
    requires: tuple[str, ...] = ()

    def emit(self, program: Program) -> Artifact:
        """The IR text of the program (``<name>.firmir``).

        Example:
            >>> from firmc.ir import param
            >>> art = InterpBackend().emit(Program("f", {"value": param("a")}, (), ("a",)))
            >>> sorted(art.files)
            ['f.firmir']
        """
        def render() -> str:
            m = Module(datasets=dict(program.datasets), parameters=dict(program.defaults))
            doms = leaves(list(program.outputs.values()), "obs")
            for name in program.observables:
                m.observables[name] = Observable(name, doms[name].attr("lo"), doms[name].attr("hi"))
            for key, root in program.outputs.items():
                m.entries[key] = Entry(key, "function", root, program.observables)
            comment = comment_lines(program.header, "#")
            return comment + print_module(m)

        return Artifact(self.name, LazyFiles({f"{file_stem(program.name)}.firmir": render}), program)

    def load(self, artifact: Artifact) -> Evaluator:
        """A callable evaluating every output from a dict of inputs.

        Example:
            >>> from firmc.ir import param
            >>> b = InterpBackend()
            >>> f = b.load(b.emit(Program("f", {"value": param("a") * 2.0}, (), ("a",))))
            >>> float(f({"a": 1.5})["value"])
            3.0
        """
        program = artifact.program
        assert program is not None
        events = any(n.op == "datasum" and n.attr("dataset") == EVENTS for n in walk(list(program.outputs.values())))

        def run(inputs: Mapping[str, Any], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
            keys = list(program.outputs) if outputs is None else [k for k in outputs if k in program.outputs]
            datasets = dict(program.datasets)
            if events:
                w = inputs.get(EVENT_WEIGHTS)
                datasets[EVENTS] = Dataset(EVENTS, {o: np.atleast_1d(np.asarray(inputs[o], dtype=float))
                                                    for o in program.observables},
                                           None if w is None else np.asarray(w, dtype=float))
            values = evaluate([program.outputs[k] for k in keys], inputs, datasets)
            return dict(zip(keys, values, strict=True))

        return run


BACKEND = InterpBackend()
