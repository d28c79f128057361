"""The analytic Hessian of a compiled NLL from a few Hessian-vector products, on any target.

A second program is derived from the compiled one: the directional derivative of its analytic gradient along
``v`` (new const parameters ``@direction:<q>``), built by one forward-mode sweep over the gradient's graph
(:func:`firmc.passes.derivative.tangents`: forward over reverse, the nodes of the value and gradient shared), is
``H v``. It takes the gradient's place in the program, so the back-end's ``nll_grad`` returns the NLL and ``H v``
in one native call through ``prepared_nll``, with the same emitter and ABI as any program.

The Hessian's sparsity pattern comes from the IR (:mod:`firmc.passes.sparsity`); its colouring gives the
directions: as many products as colours (12 for a 500-bin, 511-parameter HistFactory model, the dense Hessian
of 130 816 entries otherwise), each one pass over the events or bins. Compiled once per :class:`Compiled`, on the
first use.

Example:
    >>> import numpy as np, firmc
    >>> f = firmc.compile(firmc.load("examples/gauss_exp.hs3.json"), "interp", entry="model")
    >>> x = {"x": np.random.default_rng(3).normal(1.0, 1.5, 200)}
    >>> h = f.nll_hessian(x)
    >>> h.shape, bool(np.allclose(h, h.T))
    ((4, 4), True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .backends import Program, get_backend
from .ir import Parameter, const, leaves, param
from .passes.context import Context
from .passes.derivative import tangents
from .passes.fold import fold
from .passes.gradient import gradient_key
from .passes.sparsity import Colouring, colouring, hessian_pattern

if TYPE_CHECKING:
    from .compiler import Compiled

DIRECTION = "@direction:"


def direction_name(p: str) -> str:
    """The const parameter that holds the direction's component for parameter ``p``.

    Example:
        >>> direction_name("mu")
        '@direction:mu'
    """
    return DIRECTION + p


@dataclass
class HessianProgram:
    """The Hessian-vector-product program of a compiled NLL and the colouring of its Hessian.

    Example:
        >>> HessianProgram.prepare.__name__
        'prepare'
    """

    compiled: Compiled  # its nll_grad gives the NLL and H v
    colouring: Colouring
    free: tuple[str, ...]

    def prepare(self, data: Mapping[str, Any], params: Mapping[str, Any] | None,
                weights: np.ndarray | None) -> PreparedHessian:
        """The Hessian of fixed data as a function of the free parameters' array (one prepared product per
        colour).

        Example:
            >>> HessianProgram.prepare.__doc__.split(" as")[0]
            'The Hessian of fixed data'
        """
        c = self.compiled
        inputs = c._nll_inputs(data, params, weights)  # checked and converted once, for every colour
        names = [direction_name(q) for q in self.free]
        products = []
        for v in self.colouring.directions:
            products.append(c.prepared_inputs({**inputs, **dict(zip(names, v.tolist(), strict=True))}))
        position = {q: i for i, q in enumerate(self.free)}
        order = self.compiled.free_parameters  # the free parameters the products depend on (a subset)
        return PreparedHessian(products, self.colouring, np.array([position[q] for q in order], dtype=np.intp))


class PreparedHessian:
    """``h(x)``: the Hessian at the free parameters ``x`` (one product per colour).

    Example:
        >>> PreparedHessian.__call__.__name__
        '__call__'
    """

    def __init__(self, products: list[Any], colours: Colouring, index: np.ndarray) -> None:
        self.products, self.colours, self.index = products, colours, index

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.zeros((self.colours.directions.shape[1], len(self.products)))
        for c, p in enumerate(self.products):
            out[self.index, c] = p.nll_grad(x[self.index])[1][:len(self.index)]
        return self.colours.assemble(out)


def hessian_program(c: Compiled) -> HessianProgram:
    """Derive, emit and load the Hessian-vector-product program of ``c`` (which has the NLL's gradient) for the
    same target, and colour the Hessian's pattern.

    Example:
        >>> hessian_program.__name__
        'hessian_program'
    """
    from .compiler import Compiled

    prog = c.program
    free = c.free_parameters
    grads = [prog.outputs[gradient_key("nll", q)] for q in free]
    seeds = {q: param(direction_name(q)) for q in free}
    t = tangents(grads, seeds)  # forward over reverse: one sweep over the gradient graph for any direction
    products = [t[id(g)] or const(0.0) for g in grads]
    defaults: dict[str, Parameter] = dict(prog.defaults)
    defaults.update({direction_name(q): Parameter(direction_name(q), 0.0, const=True) for q in free})
    ctx = Context(optimize=c.optimize, parameters=defaults)
    # the products take the place of the gradient in the program (nll_grad gives them): one native call each
    roots = [prog.outputs["value"], prog.outputs["nll"], *fold(products, ctx)]
    outputs = dict(zip(["value", "nll", *(gradient_key("nll", q) for q in free)], roots, strict=True))
    params = tuple(sorted(leaves(list(outputs.values()), "param")))
    derived = Program(prog.name, outputs, prog.observables, params, prog.datasets, prog.header,
                      {p: defaults[p] for p in params}, prog.kind, prog.source)
    backend = get_backend(c.target)
    artifact = backend.emit(derived)
    compiled = Compiled(c.module, c.entry, c.target, c.observables, {**c.parameters, **derived.defaults}, derived,
                        artifact, backend.load(artifact), c.optimize, 1, ctx)
    pattern = hessian_pattern(prog.outputs["nll"], free, prog.datasets)
    return HessianProgram(compiled, colouring(pattern), free)
