"""Helpers of every generated PyTorch module: the text below the marker is copied into it verbatim.

The functions of a generated module compute in the dtype of the observables given (float64 for NumPy arrays
and lists, float32 for float32 tensors), on their device, and work under ``torch.compile``.

Example:
    >>> float(_datasum(torch.tensor([1.0, 2.0]), 2, None))
    3.0
    >>> _lookup(torch.tensor([5.0, 6.0, 7.0]), torch.tensor([-1.0, 1.5, 9.0, math.nan])).tolist()
    [5.0, 6.0, 7.0, 5.0]
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
import math

import numpy as np
import torch

FREE: tuple[str, ...] = ()  # these names are defined by each generated module
OBSERVABLES: dict[str, tuple[float, float]] = {}


def nll(data, params=None, weights=None): ...


def _given(params): ...  # pysource/common_prelude.py


# --- firmc: generated modules start here ---
def _as_tensor(x, dtype=None, device=None):
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x, dtype=float))  # lists would become float32
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    return x if device is None else x.to(device)


def _parameters(params, like=None):
    """Every parameter (:func:`_given`) as tensors in the dtype of ``like``."""
    real = isinstance(like, torch.Tensor) and like.is_floating_point()
    dtype, device = (like.dtype, like.device) if real else (torch.float64, None)
    return {name: _as_tensor(v, dtype, device) for name, v in _given(params).items()}


def _column(data, name):
    if name not in data:
        raise KeyError(f"no values given for observable {name!r}")
    x = _as_tensor(data[name])
    return x if x.is_floating_point() else x.double()


def _weights(weights):
    return None if weights is None else _as_tensor(weights)


def _datasum(v, n, w):
    """Weighted sum over the last axis (the events); a value without it counts once per event."""
    if not isinstance(v, torch.Tensor) or not v.dim():  # the same for every event: times the (weighted) count
        return v * (n if w is None else torch.sum(w, dim=-1))
    v = v.expand(*v.shape[:-1], n)
    return torch.sum(v if w is None else v * w, dim=-1)


def _integrate(v, w):
    """The quadrature sum over the last axis (the abscissae of the rule whose weights are ``w``)."""
    return _datasum(v, w.shape[-1], w)


def _tensors(a, b):
    """Both arguments as tensors (a Python number takes the other's dtype, not torch's float32 default)."""
    if not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a, dtype=b.dtype if b.is_floating_point() else torch.float64, device=b.device)
    if not isinstance(b, torch.Tensor):
        b = torch.as_tensor(b, dtype=a.dtype if a.is_floating_point() else torch.float64, device=a.device)
    return a, b


def _where(c, a, b):
    """``torch.where`` with two Python numbers (torch would make them float32)."""
    return torch.where(c, torch.as_tensor(a, dtype=torch.float64, device=c.device), b)


def _complex(re, im):
    """re + i im without arithmetic (a + 1j*b turns complex(0, inf) into nan+infj)."""
    re, im = _tensors(re, im)
    if re.dtype != im.dtype:
        re, im = re.to(torch.promote_types(re.dtype, im.dtype)), im.to(torch.promote_types(re.dtype, im.dtype))
    return torch.complex(*torch.broadcast_tensors(re, im))


def _pow(a, b):
    """C99 pow (torch gives NaN for pow(-inf, 0.5) and -0.0 for pow(-0.0, 0.5))."""
    out = torch.pow(a, b)
    if not (isinstance(b, float) and b != 0.5) and not torch.is_complex(out):
        a, b = _tensors(a, b)
        out = torch.where((b == 0.5) & ((a == 0.0) | (a == -math.inf)), torch.abs(a), out)
    return out


def _sign(x):
    """sign with NaN for NaN (torch.sign gives 0)."""
    return torch.where(torch.isnan(x), x, torch.sign(x))


def _approx_eq(a, b):
    """Equal to within 4 units in the last place of the larger magnitude (HS3 ``==``)."""
    a, b = _tensors(a, b)
    scale = torch.maximum(torch.abs(a), torch.abs(b))
    return (a == b) | (torch.abs(a - b) <= 4.0 * (torch.nextafter(scale, torch.full_like(scale, math.inf)) - scale))


def _symmetric(upper, n):
    """The symmetric matrix whose upper triangle, row by row, is ``upper``."""
    rows, cols = torch.triu_indices(n, n)
    h = torch.zeros((n, n), dtype=upper[0].dtype)
    h[rows, cols] = torch.stack(list(upper))
    return h + torch.triu(h, 1).T


def nll_grad_autodiff(data, params=None, weights=None):
    """The NLL and its gradient over FREE by torch.autograd (``nll_grad`` is the analytic one)."""
    like = _column(data, next(iter(OBSERVABLES))) if OBSERVABLES else None
    p = _parameters(params, like)
    leaves = {k: p[k].detach().clone().requires_grad_(True) for k in FREE}
    value = nll(data, {**p, **leaves}, weights)
    if not leaves:
        return value.detach(), {}
    grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
    return value.detach(), {k: torch.zeros_like(value) if g is None else g for k, g in zip(leaves, grads, strict=True)}


def _index(k, n):
    """choose's position for k among n values, as a float: the floor of k clamped to 0 .. n-1, NaN giving 0."""
    k = _as_tensor(k)
    k = k if k.is_floating_point() else k.double()
    return torch.where(k >= 1.0, torch.clamp(torch.floor(k), max=n - 1.0), 0.0)


def _lookup(table, k):
    """``table`` (a 1-d tensor) read at choose's position for k, on k's device (float32 tables for float32 k)."""
    i = _index(k, table.shape[0])
    out = table.to(i.device)[i.long()]
    if i.dtype == torch.float32 and out.dtype in (torch.float64, torch.complex128):
        out = out.to(torch.float32 if out.dtype == torch.float64 else torch.complex64)
    return out


def _promoted(values):
    """Tensors of one dtype from tensors and Python numbers (numbers in the tensors' precision)."""
    like = next((v for v in values if isinstance(v, torch.Tensor) and v.is_floating_point()), None)
    real = like.dtype if like is not None else torch.float64
    cplx = torch.complex64 if real == torch.float32 else torch.complex128
    device = next((v.device for v in values if isinstance(v, torch.Tensor)), None)
    ts = [v if isinstance(v, torch.Tensor) else torch.tensor(
        v, dtype=torch.bool if isinstance(v, bool) else torch.int64 if isinstance(v, int) else
        cplx if isinstance(v, complex) else real, device=device) for v in values]
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in ts]


def _table(*values):
    """The 1-d tensor of scalars (parameters, values computed once per call, constants), dtypes promoted."""
    return torch.stack(_promoted(values))


def _choose(k, *values):
    """choose with values that vary per event: broadcast, stacked, then gathered at each position."""
    ts = torch.broadcast_tensors(_index(k, len(values)).long(), *_promoted(values))
    return torch.gather(torch.stack(ts[1:]), 0, ts[0][None])[0]
