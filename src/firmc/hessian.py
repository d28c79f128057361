"""The analytic Hessian of a compiled NLL from a few Hessian-vector products, on any target.

A second program is derived from the compiled one: its NLL is the directional derivative
``D(theta; v) = sum_q v_q dNLL/dtheta_q`` (the first program's analytic gradient, ``v`` new const parameters
``@direction:<q>``), so the gradient the passes add to it is the Hessian-vector product ``H v``, reverse over
reverse, sharing work with the value and gradient like any other program. It is emitted and loaded by the same
back-end, and evaluated through its ``prepared_nll`` (one native call per product).

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
from .ir import Parameter, apply, leaves, param
from .passes.context import Context
from .passes.gradient import gradient_key
from .passes.pipeline import optimize_outputs
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

    compiled: Compiled  # NLL: sum_q v_q dNLL/dq; its gradient: H v
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
        products = []
        for v in self.colouring.directions:
            fixed = {**(params or {}), **{direction_name(q): float(x) for q, x in zip(self.free, v, strict=True)}}
            products.append(self.compiled.prepared_nll(data, fixed, weights))
        order = self.compiled.free_parameters  # the free parameters the products depend on (a subset)
        return PreparedHessian(products, self.colouring, np.array([self.free.index(q) for q in order], dtype=np.intp))


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
    terms = [param(direction_name(q)) * prog.outputs[gradient_key("nll", q)] for q in free]
    directional = apply("add", *terms) if len(terms) > 1 else terms[0]
    defaults: dict[str, Parameter] = dict(prog.defaults)
    defaults.update({direction_name(q): Parameter(direction_name(q), 0.0, const=True) for q in free})
    ctx = Context(optimize=c.optimize, parameters=defaults, differentiate=("nll",), wrt=free)
    outputs = optimize_outputs({"value": prog.outputs["value"], "nll": directional}, ctx)
    params = tuple(sorted(leaves(list(outputs.values()), "param")))
    derived = Program(prog.name, outputs, prog.observables, params, prog.datasets, prog.header,
                      {p: defaults[p] for p in params}, prog.kind, prog.source)
    backend = get_backend(c.target)
    artifact = backend.emit(derived)
    compiled = Compiled(c.module, c.entry, c.target, c.observables, {**c.parameters, **derived.defaults}, derived,
                        artifact, backend.load(artifact), c.optimize, 1, ctx)
    pattern = hessian_pattern(prog.outputs["nll"], free, prog.datasets)
    return HessianProgram(compiled, colouring(pattern), free)
