"""``misc.firmc``: what firmc's HS3 writer (:mod:`firmc.writers.hs3`) records beside the standard.

* ``observables``: the variables that are observables. HS3 says so only through data axes and the typed
  fields of distributions, so a variable used only in a ``generic_dist`` expression would read as a parameter;
* ``expression_dialect``: ``"firm"`` where the expressions are a firm program's (complex numbers, more
  functions; :mod:`firmc.frontends.dsl`), else absent;
* ``inline``: functions a firm program wrote inside another object's field (``gaussian(x, mean=2*m, ...)``):
  aux name -> [object, field, index or -1], so that ``firmc convert --to firm`` writes them inline again;
* ``validations``: reference values ``{entry, point, value, rtol, label}`` (``value`` a number or [re, im]);
* ``original_names``: written name -> the model's name, where ROOT's dialect needed another;
* ``likelihoods``: entries that are likelihoods but have no HS3 likelihood form (a HistFactory model's NLL, whose
  terms are not -sum(log pdf) over a data set), written as functions whose value is the NLL.

Example:
    >>> from firmc.frontends.jsonread import Path_
    >>> declared_observables(Path_({"misc": {"firmc": {"observables": ["x"]}}}))
    {'x'}
"""

from __future__ import annotations

from ...ir import Validation
from ..jsonread import Path_


def _firmc(root: Path_) -> Path_ | None:
    misc = root.opt("misc")
    return misc.opt("firmc") if misc is not None and isinstance(misc.value, dict) else None


def declared_observables(root: Path_) -> set[str]:
    """The names in ``misc.firmc.observables`` (empty when absent).

    Example:
        >>> declared_observables(Path_({}))
        set()
    """
    fm = _firmc(root)
    items = fm.opt("observables") if fm is not None else None
    return {p.string() for p in items.items()} if items is not None else set()


def expression_dialect(root: Path_) -> str:
    """``misc.firmc.expression_dialect``: "firm" in documents written from a firm program, else "".

    Example:
        >>> expression_dialect(Path_({"misc": {"firmc": {"expression_dialect": "firm"}}}))
        'firm'
    """
    fm = _firmc(root)
    item = fm.opt("expression_dialect") if fm is not None else None
    return item.string() if item is not None else ""


def likelihood_entries(root: Path_) -> set[str]:
    """The names in ``misc.firmc.likelihoods`` (empty when absent).

    Example:
        >>> likelihood_entries(Path_({"misc": {"firmc": {"likelihoods": ["nll"]}}}))
        {'nll'}
    """
    fm = _firmc(root)
    items = fm.opt("likelihoods") if fm is not None else None
    return {p.string() for p in items.items()} if items is not None else set()


def validations(root: Path_) -> list[Validation]:
    """The reference values in ``misc.firmc.validations``.

    Example:
        >>> doc = {"misc": {"firmc": {"validations": [{"entry": "g", "point": {"x": 0.0}, "value": 0.4,
        ...                                             "rtol": 1e-9}]}}}
        >>> validations(Path_(doc))[0].expected
        0.4
    """
    fm = _firmc(root)
    items = fm.opt("validations") if fm is not None else None
    out = []
    for v in items.items() if items is not None else []:
        point = {str(k): v.get("point").get(str(k)).number() for k in v.get("point").obj()}
        val = v.get("value")
        expected: complex | float = complex(*[x.number() for x in val.items()]) \
            if isinstance(val.value, list) else val.number()
        label = v.get("label").string() if v.has("label") else ""
        out.append(Validation(v.get("entry").string(), point, expected, v.get("rtol").number(), label))
    return out
