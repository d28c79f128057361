"""Parameter sets of a pyhf model, exactly as pyhf 0.7.6 derives them: one set per modifier name with its
defaults per modifier type (``pyhf/modifiers/*.py: required_parset``), combined across modifiers sharing a
name and overridden by the measurement's configuration (``pyhf/parameters/utils.py:
reduce_paramsets_requirements``), in pyhf's parameter order.

Example:
    >>> ps = ParamSet("mu", "unconstrained", 1, True, [1.0], [(0.0, 10.0)], [False])
    >>> ps.names()
    ['mu']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..jsonread import Path_
from .terms import gauss_constant, shapesys_tau
from .workspace import ParamConfig

__all__ = ["ParamSet", "Requirement", "combine", "gauss_constant", "requirement", "shapesys_requirement"]

UNDEFINED = "undefined"
KEYS = ("paramset_type", "n_parameters", "is_scalar", "inits", "bounds", "auxdata", "factors", "sigmas", "fixed")
Requirement = dict[str, Any]


@dataclass
class ParamSet:
    """One named parameter (scalar) or vector of parameters with pyhf's settings.

    ``kind`` is ``unconstrained``, ``normal`` (Gaussian constraint with ``sigmas``, 1 where None) or ``poisson``
    (rate ``gamma * factors``); ``auxdata`` are the constraint's observed values.

    Example:
        >>> ParamSet("g", "poisson", 2, False, [1.0, 1.0], [(1e-10, 10.0)] * 2, [False, True]).names()
        ['g[0]', 'g[1]']
    """

    name: str
    kind: str
    n: int
    is_scalar: bool
    inits: list[float]
    bounds: list[tuple[float, float]]
    fixed: list[bool]
    auxdata: list[float] | None = None
    sigmas: list[float] | None = None
    factors: list[float] | None = None

    def names(self) -> list[str]:
        """pyhf's ``par_names`` of this set: the name, or ``name[i]`` per component of a vector.

        Example:
            >>> ParamSet("a", "normal", 1, True, [0.0], [(-5.0, 5.0)], [False]).names()
            ['a']
        """
        return [self.name] if self.is_scalar else [f"{self.name}[{i}]" for i in range(self.n)]


def requirement(kind: str, n: int, **extra: Any) -> Requirement:
    """pyhf's ``required_parset`` of a modifier type (``n`` components; ``extra`` for data-derived fields).

    Example:
        >>> requirement("normfactor", 1)["bounds"]
        ((0.0, 10.0),)
    """
    if kind == "normfactor":
        return {"paramset_type": "unconstrained", "n_parameters": 1, "is_scalar": True, "inits": (1.0,),
                "bounds": ((0.0, 10.0),), "fixed": False}
    if kind == "lumi":
        return {"paramset_type": "normal", "n_parameters": 1, "is_scalar": True, "inits": None, "bounds": None,
                "fixed": False, "auxdata": None, "sigmas": None}
    if kind in ("normsys", "histosys"):
        return {"paramset_type": "normal", "n_parameters": 1, "is_scalar": True, "inits": (0.0,),
                "bounds": ((-5.0, 5.0),), "fixed": False, "auxdata": (0.0,)}
    if kind == "shapefactor":
        return {"paramset_type": "unconstrained", "n_parameters": n, "is_scalar": False, "inits": (1.0,) * n,
                "bounds": ((0.0, 10.0),) * n, "fixed": False}
    if kind == "shapesys":
        return {"paramset_type": "poisson", "n_parameters": n, "is_scalar": False, "inits": (1.0,) * n,
                "bounds": ((1e-10, 10.0),) * n, "fixed": extra["fixed"], "auxdata": extra["factors"],
                "factors": extra["factors"]}
    if kind == "staterror":
        return {"paramset_type": "normal", "n_parameters": n, "is_scalar": False, "inits": (1.0,) * n,
                "bounds": ((1e-10, 10.0),) * n, "fixed": extra["fixed"], "auxdata": (1.0,) * n,
                "sigmas": extra["sigmas"]}
    raise ValueError(f"unknown modifier type {kind}")  # pragma: no cover - checked by the reader


def shapesys_requirement(nominal: list[float], uncertainty: list[float]) -> Requirement:
    """Shapesys: tau = (nominal / uncertainty)^2 per bin; bins with a non-positive nominal or uncertainty get
    tau = 1 and are fixed (pyhf ``shapesys.required_parset``; :func:`.terms.shapesys_tau`).

    Example:
        >>> shapesys_requirement([4.0, 0.0], [2.0, 1.0])["factors"]
        (4.0, 1.0)
    """
    taus, fixed = shapesys_tau(nominal, uncertainty)
    return requirement("shapesys", len(nominal), fixed=tuple(fixed), factors=tuple(taus))


def _as_list(v: Any) -> Any:
    if isinstance(v, tuple):
        return [list(x) if isinstance(x, tuple) else x for x in v]
    return v


def combine(name: str, reqs: list[Requirement], user: ParamConfig | None, where: Path_) -> ParamSet:
    """One parameter set from the requirements of every modifier named ``name`` and the user configuration
    (errors at ``where``: the first modifier, or the configuration).

    Example:
        >>> combine("mu", [requirement("normfactor", 1)], None, Path_(None)).bounds
        [(0.0, 10.0)]
    """
    out: dict[str, Any] = {}
    given = dict(user.values) if user is not None else {}
    uwhere = user.where if user is not None else where
    for k in KEYS:
        values = {_key(r.get(k, UNDEFINED)) for r in reqs}
        if len(values) != 1:
            raise where.error(f"modifiers named '{name}' disagree on '{k}' (different modifier types or data "
                              "under one name): use unique modifier names")
        default = reqs[0].get(k, UNDEFINED)
        if k in given:
            v = given[k]
            if default == UNDEFINED:
                raise uwhere.get(k).error(f"parameter '{name}' does not use '{k}'")
            if isinstance(v, list) and default and len(v) != len(default):
                raise uwhere.get(k).error(f"{len(v)} values for '{k}' of parameter '{name}', expected "
                                          f"{len(default)}")
        else:
            v = default
        if v != UNDEFINED:
            out[k] = _as_list(v)
    for k in ("inits", "bounds", "auxdata"):
        if k in out and out[k] is None:
            raise uwhere.error(f"parameter '{name}' needs '{k}' in the measurement's parameter configuration")
    return _paramset(name, out)


def _key(v: Any) -> Any:
    return tuple(_key(x) for x in v) if isinstance(v, list | tuple) else v


def _paramset(name: str, d: dict[str, Any]) -> ParamSet:
    n = int(d["n_parameters"])
    fixed = d["fixed"]
    fixed_list = [bool(fixed)] * n if isinstance(fixed, bool) else [bool(f) for f in fixed]
    bounds = [(float(lo), float(hi)) for lo, hi in d["bounds"]]
    sigmas = d.get("sigmas")
    return ParamSet(name, d["paramset_type"], n, bool(d["is_scalar"]), [float(x) for x in d["inits"]], bounds,
                    fixed_list, d.get("auxdata"), list(sigmas) if sigmas else None, d.get("factors"))
