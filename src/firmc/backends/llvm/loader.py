"""The text of ``<entry>_llvm.py``: a loader of the llvm target's shared library with the surface of the Python
targets (``pdf``/``logpdf`` or ``value``, ``expected``, ``nll``, ``nll_grad``, ``nll_hessian``, the metadata), plus
``set_threads``. It needs NumPy only (and ctypes), so it can be vendored with the library.

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program, Parameter
    >>> text = loader_text(Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",),
    ...                    defaults={"a": Parameter("a", 2.0)}), "libf.so")
    >>> "def value(data, params=None):" in text
    True
"""

from __future__ import annotations

from ...ir import leaves
from ...ir.types import DType
from .. import Program
from ..naming import comment_lines, docstring_repr, file_stem

_TEMPLATE = '''\
{header}"""Loader of {lib} (firmc's llvm target): the entry {doc_entry} through ctypes; NumPy only."""

import ctypes
import os

import numpy as np

ENTRY = {entry!r}
KIND = {kind!r}
OBSERVABLES = {observables!r}
PARAMETERS = {parameters!r}
FREE = {free!r}
_LIB = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)), {lib!r}))
_NS = {ns!r}
_P = ctypes.POINTER(ctypes.c_double)


def _fn(name, restype):
    f = getattr(_LIB, _NS + "_" + name)
    f.restype = restype
    return f


def set_threads(n=None):
    """Threads for the event loops (None: all cores)."""
    _fn("set_threads", None)(ctypes.c_int(0 if n is None else max(int(n), 1)))


def _params(params):
    given = dict(params or {{}})
    unknown = sorted(set(given) - set(PARAMETERS))
    if unknown:
        raise KeyError(f"unknown parameter {{unknown[0]!r}}; the parameters are {{sorted(PARAMETERS)}}")
    return np.ascontiguousarray([float(given.get(k, v[0])) for k, v in PARAMETERS.items()], dtype=np.float64)


def _columns(data):
    cols = [np.ascontiguousarray(np.atleast_1d(np.asarray(data[o], dtype=np.float64))) for o in OBSERVABLES]
    n = int(np.broadcast(*cols).size) if cols else 1
    cols = [np.ascontiguousarray(np.broadcast_to(c, (n,))) for c in cols]
    ptrs = (_P * max(len(cols), 1))(*[c.ctypes.data_as(_P) for c in cols])
    return cols, ptrs, n


def _per_point(name, data, params, complex_out):
    p = _params(params)
    keep, ptrs, n = _columns(data)
    out = np.zeros(2 * n if complex_out else n)
    _fn(name, None)(p.ctypes.data_as(_P), ptrs, ctypes.c_size_t(n), out.ctypes.data_as(_P))
    return out.view(np.complex128) if complex_out else out


def _events(data, params, weights):
    p = _params(params)
    keep, ptrs, n = _columns(data)
    w = None if weights is None else np.ascontiguousarray(np.broadcast_to(np.asarray(weights, np.float64), (n,)))
    return p, keep, ptrs, n, w, (None if w is None else w.ctypes.data_as(_P))
{functions}'''

_PER_POINT = '''

def {name}(data, params=None):
    """{doc} at the points of ``data`` (observable name -> array)."""
    return _per_point({name!r}, data, params, {complex_out!r})
'''

_NLL = '''

def nll(data, params=None, weights=None):
    """The negative log-likelihood of the events in ``data``."""
    p, keep, ptrs, n, w, wp = _events(data, params, weights)
    return float(_fn("nll", ctypes.c_double)(p.ctypes.data_as(_P), ptrs, wp, ctypes.c_size_t(n)))
'''

_GRAD = '''

def nll_grad(data, params=None, weights=None):
    """The NLL and its analytic gradient over FREE (a dict), in one pass over the events."""
    p, keep, ptrs, n, w, wp = _events(data, params, weights)
    g = np.zeros(max(len(FREE), 1))
    v = _fn("nll_grad", ctypes.c_double)(p.ctypes.data_as(_P), ptrs, wp, ctypes.c_size_t(n), g.ctypes.data_as(_P))
    return float(v), {k: float(g[i]) for i, k in enumerate(FREE)}
'''

_HESS = '''

def nll_hessian(data, params=None, weights=None):
    """The NLL's Hessian over FREE (rows and columns in FREE order)."""
    p, keep, ptrs, n, w, wp = _events(data, params, weights)
    h = np.zeros(max(len(FREE) ** 2, 1))
    _fn("nll_hessian", ctypes.c_double)(p.ctypes.data_as(_P), ptrs, wp, ctypes.c_size_t(n), h.ctypes.data_as(_P))
    return h[: len(FREE) ** 2].reshape(len(FREE), len(FREE))
'''

_EXPECTED = '''

def expected(params=None):
    """The expected number of events."""
    return float(_fn("expected", ctypes.c_double)(_params(params).ctypes.data_as(_P)))
'''


def loader_text(program: Program, lib: str) -> str:
    """The loader module's text for ``program``'s library file ``lib``.

    Example:
        >>> loader_text.__name__
        'loader_text'
    """
    outs = program.outputs
    d = program.defaults
    params = {q: (d[q].value, d[q].min, d[q].max, d[q].const) if q in d else (0.0, None, None, False)
              for q in program.parameters}
    free = [q for q in program.parameters if not params[q][3]]
    doms = leaves(list(outs.values()), "obs")
    observables = {o: (doms[o].attr("lo"), doms[o].attr("hi")) if o in doms else None for o in program.observables}
    main = "pdf" if program.kind == "distribution" else "value"
    funcs = _PER_POINT.format(name=main, doc="The entry", complex_out=outs["value"].type.dtype is DType.COMPLEX)
    if "logpdf" in outs:
        funcs += _PER_POINT.format(name="logpdf", doc="log pdf", complex_out=False)
    if "expected" in outs:
        funcs += _EXPECTED
    if "nll" in outs:
        funcs += _NLL
        if any(k.startswith("grad:") for k in outs):
            funcs += _GRAD
        if any(k.startswith("hess:") for k in outs):
            funcs += _HESS
    header = comment_lines(program.header, "#")
    return _TEMPLATE.format(header=header, lib=lib, entry=program.name, doc_entry=docstring_repr(program.name),
                            kind=program.kind,
                            observables=observables, parameters=params, free=free,
                            ns="firmc_" + file_stem(program.name), functions=funcs)
