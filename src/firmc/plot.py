"""Dalitz plots of three-body intensities (``firmc plot MODEL -o dalitz.png``), so a person can look at a model.

The intensity is evaluated on a grid of two invariants (the third one fixed by σ1 + σ2 + σ3 = m0² + m1² + m2² +
m3²) with a compiled target; points outside the Dalitz plot are left blank.

Example:
    >>> grid_axes((0.0, 1.0), (2.0, 4.0), 3)[0].tolist()
    [0.16666666666666666, 0.5, 0.8333333333333333]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .compiler import compile, default_entry
from .errors import FirmError
from .ir import Module

SIGMAS = ("sigma1", "sigma2", "sigma3")
PAIRS = {"sigma1": "m²(23)", "sigma2": "m²(31)", "sigma3": "m²(12)"}


def grid_axes(x: tuple[float, float], y: tuple[float, float], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin centres of a ``bins`` × ``bins`` grid over the ranges ``x`` and ``y``.

    Example:
        >>> [a.size for a in grid_axes((0.0, 1.0), (0.0, 1.0), 4)]
        [4, 4]
    """
    def centres(lo: float, hi: float) -> np.ndarray:
        edges = np.linspace(lo, hi, bins + 1)
        return np.asarray(0.5 * (edges[:-1] + edges[1:]))

    return centres(*x), centres(*y)


def dalitz_values(module: Module, entry: str | None = None, axes: Sequence[str] = ("sigma1", "sigma2"),
                  bins: int = 300, target: str = "numpy") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x centres, y centres, intensity[y, x]) of ``entry`` (default: the model's first intensity) on a grid of
    the invariants ``axes``; NaN outside the Dalitz plot.

    Example:
        >>> dalitz_values.__name__
        'dalitz_values'
    """
    name = entry or next((e for e, v in module.entries.items() if v.observables == SIGMAS), None) \
        or default_entry(module)
    if module.entries[name].observables != SIGMAS:
        raise FirmError(f"entry '{name}' is not a three-body intensity of {', '.join(SIGMAS)}")
    ax, ay = axes
    if ax == ay or ax not in SIGMAS or ay not in SIGMAS:
        raise FirmError(f"axes must be two different ones of {', '.join(SIGMAS)}, not {ax!r} and {ay!r}")
    third = next(s for s in SIGMAS if s not in (ax, ay))
    obs = module.observables
    total = _sum_of_invariants(module)
    xs, ys = grid_axes((obs[ax].min, obs[ax].max), (obs[ay].min, obs[ay].max), bins)
    gx, gy = np.meshgrid(xs, ys)
    f = compile(module, target, name)
    values = np.asarray(f({ax: gx.ravel(), ay: gy.ravel(), third: total - gx.ravel() - gy.ravel()}), dtype=float)
    values = values.reshape(gx.shape)
    lo3, hi3 = obs[third].min, obs[third].max
    outside = (total - gx - gy < lo3) | (total - gx - gy > hi3) | (values <= 0.0)
    return xs, ys, np.where(outside, np.nan, values)


def _sum_of_invariants(module: Module) -> float:
    """m0² + m1² + m2² + m3² from the ranges of the invariants: σk runs over [(mi + mj)², (m0 − mk)²]."""
    lo = [module.observables[s].min for s in SIGMAS]
    hi = [module.observables[s].max for s in SIGMAS]
    m = [np.sqrt(v) for v in lo]  # mi + mj for each pair: solve for the three masses
    m1 = (m[1] + m[2] - m[0]) / 2  # (m3 + m1) + (m1 + m2) - (m2 + m3)
    m2 = (m[0] + m[2] - m[1]) / 2
    m3 = (m[0] + m[1] - m[2]) / 2
    m0 = np.sqrt(hi[0]) + m1
    return float(m0**2 + m1**2 + m2**2 + m3**2)


def dalitz_plot(module: Module, out: str | Path, entry: str | None = None,
                axes: Sequence[str] = ("sigma1", "sigma2"), bins: int = 300, target: str = "numpy") -> Path:
    """Draw the Dalitz plot of an intensity into ``out`` (PNG, PDF or SVG by its suffix; matplotlib).

    Example:
        >>> dalitz_plot.__name__
        'dalitz_plot'
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FirmError("firmc plot needs matplotlib: pip install 'firmc[plot]'") from None
    xs, ys, values = dalitz_values(module, entry, axes, bins, target)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    mesh = ax.pcolormesh(xs, ys, values, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="intensity")
    ax.set_xlabel(f"{axes[0]} = {PAIRS[axes[0]]} [GeV²]")
    ax.set_ylabel(f"{axes[1]} = {PAIRS[axes[1]]} [GeV²]")
    ax.set_title(entry or next((e for e, v in module.entries.items() if v.observables == SIGMAS), ""), fontsize=9)
    path = Path(out)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
