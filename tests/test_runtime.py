"""The array-generic special functions of ``firmc.backends.pysource.runtime`` on NumPy, JAX and PyTorch (float64).

Values are checked against scipy (``wofz``, ``gamma``) and against firmc's mask-indexing NumPy Landau functions;
gradients (JAX ``grad``/``jit``, torch ``autograd``) against the analytic derivatives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.special as sc

from firmc.backends.pysource import runtime
from firmc.numerics import special


@dataclass(frozen=True)
class Framework:
    """An array namespace with converters from and to NumPy and its ``lgamma``."""

    name: str
    xp: Any
    lgamma: Callable[[Any], Any]
    asarray: Callable[[np.ndarray], Any]

    def call(self, fn: Callable[..., Any], arg: np.ndarray, *extra: Any) -> np.ndarray:
        """``fn(arg, xp, *extra)`` on the framework's array, returned as a NumPy array."""
        with np.errstate(over="ignore"):  # exp(-z**2) overflows (to the inf scipy gives) far in the lower half plane
            out = fn(self.asarray(arg), self.xp, *extra)
        return np.asarray(out.detach() if self.name == "torch" else out)


def _jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.fixture(params=["numpy", "jax", "torch"])
def fw(request: pytest.FixtureRequest) -> Framework:
    if request.param == "numpy":
        return Framework("numpy", np, sc.gammaln, np.asarray)
    if request.param == "jax":
        jax = _jax()
        return Framework("jax", jax.numpy, jax.scipy.special.gammaln, jax.numpy.asarray)
    torch = pytest.importorskip("torch")
    return Framework("torch", torch, torch.lgamma, torch.from_numpy)


def _rel_err(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(got - ref) / np.abs(ref)))


# ---- Faddeeva ------------------------------------------------------------------------------------------------------

_AXIS = np.concatenate([-np.logspace(-8, 3, 221)[::-1], [0.0], np.logspace(-8, 3, 221)])


def test_faddeeva_matches_scipy_on_both_half_planes(fw: Framework) -> None:
    x, y = np.meshgrid(_AXIS, _AXIS)
    z = (x + 1j * y).ravel()  # includes z = 0, the real axis (y = 0) and the imaginary axis
    ref = sc.wofz(z)
    got = fw.call(runtime.faddeeva, z)
    finite = np.isfinite(ref)
    assert (~finite).sum() > 1000  # exp(-z**2) overflows far in the lower half plane ...
    assert not np.isfinite(got[~finite]).any()  # ... and then we are not finite either
    assert np.isfinite(got[finite]).all()
    upper = z[finite].imag >= 0
    assert _rel_err(got[finite][upper], ref[finite][upper]) < 1e-13
    assert _rel_err(got[finite][~upper], ref[finite][~upper]) < 1e-12


def test_faddeeva_real_argument_and_special_values(fw: Framework) -> None:
    x = np.concatenate([-np.logspace(-8, 3, 50), [0.0, -0.0], np.logspace(-8, 3, 50)])
    got = fw.call(runtime.faddeeva, x)  # a real array is taken as complex
    assert _rel_err(got, sc.wofz(x + 0j)) < 1e-13
    assert fw.call(runtime.faddeeva, np.array([0j]))[0] == 1.0
    z = np.array([complex(math.inf, 0.0), complex(-math.inf, 0.0), complex(math.inf, 1.0), complex(0.0, math.inf),
                  complex(math.inf, math.inf), complex(math.inf, -1.0), complex(-math.inf, -1.0)])
    np.testing.assert_array_equal(fw.call(runtime.faddeeva, z), sc.wofz(z))  # all 0
    assert np.isnan(fw.call(runtime.faddeeva, np.array([complex(math.nan, 0.0), complex(1.0, math.nan)]))).all()


# ---- Landau --------------------------------------------------------------------------------------------------------

_PDF_EDGES = (-5.5, -1.0, 1.0, 5.0, 12.0, 50.0, 300.0)
_CDF_EDGES = (-5.5, -1.0, 1.0, 4.0, 12.0, 50.0, 300.0)


def _landau_grid() -> np.ndarray:
    edges = np.array(sorted({*_PDF_EDGES, *_CDF_EDGES, math.log(1e-10) - 1.0}))
    return np.concatenate([
        np.linspace(-30.0, 20.0, 20001), np.logspace(math.log10(20.0), 4.0, 4001),
        edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf), [-1e300, -np.inf, 1e300, np.nan],
    ])


@pytest.mark.parametrize(
    ("fn", "ref"), [(runtime.landau, special.landau_pdf), (runtime.landau_cdf, special.landau_cdf)], ids=["pdf", "cdf"]
)
def test_landau_matches_the_numpy_reference(fw: Framework, fn: Callable[..., Any], ref: Callable[..., Any]) -> None:
    v = _landau_grid()
    got, want = fw.call(fn, v), ref(v)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-100, equal_nan=True)
    # below 1e-100 (v < -7) exp(-1/u) with u = exp(v + 1) turns an ulp of difference between the frameworks' exp into
    # up to 745 ulp; XLA flushes subnormal results to 0
    tiny = want < 1e-100
    np.testing.assert_allclose(got[tiny], want[tiny], rtol=3e-13, atol=1e-307)
    assert np.isnan(got[-1])
    assert (got[v < -25.0] == 0.0).all()  # exactly 0 far left (the reference cut), also at -inf


# ---- Gamma ---------------------------------------------------------------------------------------------------------


def test_tgamma_matches_scipy(fw: Framework) -> None:
    n = np.arange(-20.0, 1.0)
    x = np.concatenate([
        np.linspace(-20.0, 170.0, 19001), n, n + 1e-9, n - 1e-9, n + 1e-13, n - 1e-13,
        [0.0, -0.0, 1e-300, -1e-300, 171.0, 171.7, np.inf, -np.inf, np.nan],
    ])
    got, want = fw.call(runtime.tgamma, x, fw.lgamma), sc.gamma(x)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite])  # nan at -20..-1 and -inf, +-inf at +-0, inf
    assert _rel_err(got[finite], want[finite]) < 1e-12


# ---- gradients -----------------------------------------------------------------------------------------------------

_GRAD_V = np.array([-30.0, -10.0, -5.5, -3.0, -1.0, -0.3, 0.0, 1.0, 2.5, 4.0, 5.0, 8.0, 12.0, 20.0, 50.0, 100.0, 300.0,
                    1e3])
_GRAD_Z = np.array([0.0, 1e-8, 0.5, 2.0 + 0.0j, -3.0, 1.0 + 1.0j, -2.0 + 0.5j, 3.0 - 0.5j, -1.0 - 2.0j, 0.1 - 5.0j,
                    30.0 + 1e-3j, 1e3 + 1e3j, -1e3 + 10.0j, 7.0 - 6.0j])


def _abs2_grad_expected(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d|w|^2/dx and d|w|^2/dy from w'(z) = -2 z w(z) + 2i/sqrt(pi)."""
    w = sc.wofz(z)
    t = np.conj(w) * (-2.0 * z * w + 2j / math.sqrt(math.pi))
    return 2.0 * t.real, -2.0 * t.imag


def _central_difference(fn: Callable[[np.ndarray], np.ndarray], v: np.ndarray) -> np.ndarray:
    h = 1e-5 * np.maximum(1.0, np.abs(v))
    return np.asarray((fn(v + h) - fn(v - h)) / (2.0 * h))


def _check_grads(grad_cdf: np.ndarray, grad_pdf: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
    assert np.isfinite(grad_cdf).all() and np.isfinite(grad_pdf).all()
    # autodiff is right: it agrees with central differences of the reference away from the piece boundaries ...
    off = ~np.isin(_GRAD_V, (*_PDF_EDGES, *_CDF_EDGES))
    np.testing.assert_allclose(grad_cdf[off], _central_difference(special.landau_cdf, _GRAD_V[off]), rtol=1e-7)
    np.testing.assert_allclose(grad_pdf[off], _central_difference(special.landau_pdf, _GRAD_V[off]), rtol=1e-6)
    # ... but DISLAN's approximation is only as good as the fits: its slope is DENLAN's to 1.2e-5 (at v = -1)
    np.testing.assert_allclose(grad_cdf, special.landau_pdf(_GRAD_V), rtol=2e-5, atol=1e-300)
    assert np.isfinite(gx).all() and np.isfinite(gy).all()
    ex, ey = _abs2_grad_expected(_GRAD_Z)
    scale = np.abs(sc.wofz(_GRAD_Z)) * (2.0 * np.abs(_GRAD_Z * sc.wofz(_GRAD_Z)) + 2.0)
    np.testing.assert_array_less(np.abs(gx - ex) / scale, 1e-12)
    np.testing.assert_array_less(np.abs(gy - ey) / scale, 1e-12)


def test_jax_jit_and_grad() -> None:
    jax = _jax()
    jnp = jax.numpy
    v = jnp.asarray(_GRAD_V)
    cdf = jax.jit(lambda t: runtime.landau_cdf(t, jnp))
    np.testing.assert_allclose(np.asarray(cdf(v)), special.landau_cdf(_GRAD_V), rtol=1e-15, atol=1e-300)
    grad_cdf = np.asarray(jax.jit(jax.vmap(jax.grad(lambda t: runtime.landau_cdf(t, jnp))))(v))
    grad_pdf = np.asarray(jax.vmap(jax.grad(lambda t: runtime.landau(t, jnp)))(v))

    def abs2(x: Any, y: Any) -> Any:
        w = runtime.faddeeva(x + 1j * y, jnp)
        return jnp.real(w) ** 2 + jnp.imag(w) ** 2

    gx, gy = jax.jit(jax.vmap(jax.grad(abs2, argnums=(0, 1))))(jnp.asarray(_GRAD_Z.real), jnp.asarray(_GRAD_Z.imag))
    _check_grads(grad_cdf, grad_pdf, np.asarray(gx), np.asarray(gy))


def test_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    v = torch.tensor(_GRAD_V, requires_grad=True)
    runtime.landau_cdf(v, torch).sum().backward()
    assert v.grad is not None
    grad_cdf = v.grad.numpy().copy()
    v.grad = None
    runtime.landau(v, torch).sum().backward()
    grad_pdf = v.grad.numpy()
    x = torch.tensor(_GRAD_Z.real, requires_grad=True)
    y = torch.tensor(_GRAD_Z.imag, requires_grad=True)
    w = runtime.faddeeva(x + 1j * y, torch)
    (torch.real(w) ** 2 + torch.imag(w) ** 2).sum().backward()
    assert x.grad is not None and y.grad is not None
    _check_grads(grad_cdf, grad_pdf, x.grad.numpy(), y.grad.numpy())
