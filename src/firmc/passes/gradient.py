"""Analytic gradients and Hessians as IR: reverse mode over the DAG, forward-over-reverse for the Hessian.

:func:`gradient` sweeps the graph once from the output to the parameters (users before arguments, the
reverse of :func:`firmc.ir.walk`), giving every node its cotangent d(output)/d(node) as IR built from the op
table (``vjp`` where an op has one, else ``deriv``). The derivative rules refer to the nodes of the value
itself (d exp(a) = exp(a) da reuses the ``exp`` node), so gradient and value share their work; back-ends
evaluate both in one program. Structural ops: ``integral`` and ``datasum`` pass the cotangent under the
integral or the sum (a reverse sweep of the integrand gives all its parameter derivatives at once, sharing
per-event work); ``normalize`` is lowered to f / Z first.

Complex intermediates (amplitudes) follow the convention cotangent = dL/dRe + i dL/dIm, so a real output of
complex values (|A|^2) gets exact real gradients; a complex output is differentiated as real and imaginary
parts.

:func:`hessian` differentiates every gradient node forward (:mod:`firmc.passes.derivative`) once per
parameter: n sweeps over the gradient graph for n parameters, instead of the O(n^2) evaluations of finite
differences.

Example:
    >>> from firmc.ir import param, apply
    >>> from firmc.interp import evaluate
    >>> a, b = param("a"), param("b")
    >>> g = gradient(apply("exp", a * b), ["a", "b"])
    >>> [round(float(v), 6) for v in evaluate([g["a"], g["b"]], {"a": 1.0, "b": 2.0})]  # b e^ab, a e^ab
    [14.778112, 7.389056]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import FirmError, UnsupportedFeature
from ..ir import Node, apply, const, walk
from ..ir.types import DType
from .context import Context
from .derivative import tangents
from .normalise import lower_normalisation

_DIFFERENTIABLE = (DType.REAL, DType.COMPLEX)


def _is_one(n: Node) -> bool:
    return n.op == "const" and n.attr("value") == 1.0


def _masked(c: Node) -> tuple[Node, Node, bool] | None:
    """(condition, value, taken-when-true) when the cotangent c is select(k, v, 0) or select(k, 0, v)."""
    if c.op != "select":
        return None
    k, a, b = c.args
    if _is_zero(b):
        return k, a, True
    if _is_zero(a):
        return k, b, False
    return None


def _is_zero(n: Node) -> bool:
    return n.op == "const" and n.attr("value") == 0.0


def _select(k: Node, v: Node, when_true: bool) -> Node:
    zero = const(0.0)
    return apply("select", k, v, zero) if when_true else apply("select", k, zero, v)


def _times(c: Node, d: Node) -> Node:
    """c * d with the trivial cases folded (cotangents are often 1 and rules often -1 or 1).

    A cotangent masked by a ``select`` (a branch's cotangent is zero where the branch is not taken) keeps its
    mask outside the product: select(k, v * d, 0), not select(k, v, 0) * d, so a partial derivative that is
    NaN or infinite where the branch is not taken (log of a negative base ...) does not leak into the gradient.
    """
    masked = _masked(c)
    if masked is not None:
        k, v, when_true = masked
        return _select(k, _times(v, d), when_true)
    if _is_one(d):
        return c
    if _is_one(c):
        return d
    if d.op == "const" and d.attr("value") == -1.0:
        return apply("neg", c)
    return apply("mul", c, d)


def _total(terms: list[Node]) -> Node:
    """Sum of cotangent contributions; contributions under the same mask are summed inside it."""
    if len(terms) == 1:
        return terms[0]
    masks = [_masked(t) for t in terms]
    first = masks[0]
    if first is not None and all(m is not None and m[0] is first[0] and m[2] == first[2] for m in masks):
        return _select(first[0], apply("add", *[m[1] for m in masks if m is not None]), first[2])
    return apply("add", *terms)


def _cotangent_for(arg: Node, contribution: Node) -> Node:
    """A contribution to a real argument keeps only its real part (d L / d x for real x)."""
    if arg.type.dtype is DType.REAL and contribution.type.dtype is DType.COMPLEX:
        return apply("real", contribution)
    return contribution


def _generic_vjp(n: Node, c: Node, depends: set[Node]) -> list[Node | None]:
    rule = n.opdef.deriv
    if rule is None:
        raise UnsupportedFeature(f"cannot differentiate op '{n.op}': the op table has no derivative rule for it")
    out: list[Node | None] = []
    for i, a in enumerate(n.args):
        if a not in depends:
            out.append(None)
            continue
        d = rule(n, i)
        if d.op == "const" and d.attr("value") == 0.0:
            out.append(None)
            continue
        if d.type.dtype is DType.COMPLEX:
            d = apply("conj", d)
        out.append(_times(c, d))
    return out


def _param_leaves(root: Node, wrt: frozenset[str]) -> dict[str, Node]:
    return {n.attr("name"): n for n in walk([root]) if n.op == "param" and n.attr("name") in wrt}


def gradient(root: Node, wrt: Sequence[str]) -> dict[str, Node]:
    """d(root)/d(p) for every parameter name p in ``wrt``, as IR (const 0 where root does not depend on p).

    Example:
        >>> from firmc.ir import param, obs
        >>> from firmc.interp import evaluate
        >>> x, m = obs("x", 0.0, 1.0), param("m")
        >>> g = gradient((x - m) * (x - m), ["m"])["m"]  # -2 (x - m)
        >>> evaluate([g], {"x": 1.0, "m": 0.25})[0].item()
        -1.5
    """
    names = list(dict.fromkeys(wrt))
    (root,) = lower_normalisation([root])
    if root.type.dtype is DType.COMPLEX:
        re, im = gradient(apply("real", root), names), gradient(apply("imag", root), names)
        return {p: apply("complex", re[p], im[p]) for p in names}
    if root.type.dtype not in _DIFFERENTIABLE:
        return {p: const(0.0) for p in names}
    want = frozenset(names)
    order = list(walk([root]))
    depends: set[Node] = set()
    for n in order:
        if n.type.dtype not in _DIFFERENTIABLE:
            continue
        if (n.op == "param" and n.attr("name") in want) or any(a in depends for a in n.args):
            depends.add(n)
    contributions: dict[Node, list[Node]] = {root: [const(1.0)]} if root in depends else {}
    grads: dict[str, list[Node]] = {p: [] for p in names}

    def add(target: Node, term: Node | None) -> None:
        if term is not None and target in depends:
            contributions.setdefault(target, []).append(_cotangent_for(target, term))

    for n in reversed(order):
        terms = contributions.pop(n, None)
        if not terms:
            continue
        c = _total(terms)
        if n.op == "param":
            grads[n.attr("name")].append(c)
        elif n.op in ("integral", "datasum"):
            for leaf, inner in _structural(n, want):
                add(leaf, _times(c, inner))
        elif n.op == "normalize":  # pragma: no cover - lowered above
            raise FirmError("internal: normalize reached the gradient sweep")
        else:
            opdef = n.opdef
            cots = opdef.vjp(n, c) if opdef.vjp is not None else _generic_vjp(n, c, depends)
            for a, t in zip(n.args, cots, strict=True):
                add(a, t)
    out: dict[str, Node] = {}
    for p in names:
        terms = grads[p]
        out[p] = const(0.0) if not terms else _total(terms)
    return out


def _structural(n: Node, want: frozenset[str]) -> list[tuple[Node, Node]]:
    """(parameter leaf, d(n)/d(parameter)) for an ``integral`` or ``datasum`` n: the same op over the
    integrand's derivative, all derivatives from one reverse sweep of the integrand."""
    f = n.args[0]
    leaves = _param_leaves(f, want)
    if n.op == "integral":
        bounds = {m.attr("name") for m in walk(list(n.args[1:])) if m.op == "param"}
        if bounds & want:
            raise FirmError(f"cannot differentiate an integral whose bounds depend on '{sorted(bounds & want)[0]}'")
    inner = gradient(f, list(leaves))
    return [(leaves[p], Node.make(n.op, (df, *n.args[1:]), n.attrs)) for p, df in inner.items()
            if not _is_zero(df)]


def hessian(root: Node, wrt: Sequence[str], grad: Mapping[str, Node] | None = None) -> dict[tuple[str, str], Node]:
    """d2(root)/d(p)d(q) for every ordered pair of ``wrt`` (forward mode over the reverse-mode gradient);
    (p, q) and (q, p) are the same node.

    Example:
        >>> from firmc.ir import param
        >>> from firmc.interp import evaluate
        >>> a, b = param("a"), param("b")
        >>> h = hessian(a * a * b, ["a", "b"])
        >>> [float(evaluate([h[k]], {"a": 3.0, "b": 2.0})[0]) for k in [("a", "a"), ("a", "b"), ("b", "b")]]
        [4.0, 6.0, 0.0]
    """
    names = list(dict.fromkeys(wrt))
    g = dict(grad) if grad is not None else gradient(root, names)
    roots = [g[p] for p in names]
    out: dict[tuple[str, str], Node] = {}
    for j, q in enumerate(names):
        t = tangents(roots, q)
        for i in range(j, len(names)):
            d = t[id(roots[i])]
            out[(names[i], q)] = out[(q, names[i])] = const(0.0) if d is None else d
    return out


def gradient_key(output: str, p: str) -> str:
    """Name of the output that holds d(output)/d(p) in a program.

    Example:
        >>> gradient_key("nll", "mu")
        'grad:nll:mu'
    """
    return f"grad:{output}:{p}"


def hessian_key(output: str, p: str, q: str) -> str:
    """Name of the output that holds d2(output)/d(p)d(q) in a program.

    Example:
        >>> hessian_key("nll", "a", "b")
        'hess:nll:a:b'
    """
    return f"hess:{output}:{p}:{q}"


def add_derivatives(outputs: Mapping[str, Node], ctx: Context) -> dict[str, Node]:
    """The outputs plus, for each output named in ``ctx.differentiate``, its gradient with respect to
    ``ctx.wrt`` (and the Hessian when ``ctx.hessian``), under :func:`gradient_key`/:func:`hessian_key`.

    Example:
        >>> from firmc.ir import param
        >>> out = add_derivatives({"nll": param("a") ** 2.0}, Context(differentiate=("nll",), wrt=("a",)))
        >>> sorted(out)
        ['grad:nll:a', 'nll']
    """
    out = dict(outputs)
    for name in ctx.differentiate:
        if name not in outputs:
            continue
        g = gradient(outputs[name], ctx.wrt)
        out.update({gradient_key(name, p): g[p] for p in ctx.wrt})
        if ctx.hessian:
            h = hessian(outputs[name], ctx.wrt, g)
            for i, p in enumerate(ctx.wrt):
                for q in ctx.wrt[i:]:
                    out[hessian_key(name, p, q)] = h[(p, q)]
    return out
