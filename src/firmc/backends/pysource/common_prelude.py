"""Helpers of every generated Python module, whatever its framework: the text below the marker is copied into
each, before the target's own prelude.

Example:
    >>> PARAMETERS.update({"mu": {"value": 0.5}})
    >>> _given({"mu": 1.0})
    {'mu': 1.0}
"""

# the text of untyped generated code:
# mypy: disable-error-code="no-untyped-def,no-untyped-call"
PARAMETERS: dict[str, dict[str, float]] = {}  # defined by each generated module

# --- firmc: generated modules start here ---
def _given(params):
    """Every parameter's value: the defaults completed by ``params`` (unknown names are an error)."""
    p = {name: spec["value"] for name, spec in PARAMETERS.items()}
    for name, v in (params or {}).items():
        if name not in p:
            raise KeyError(f"unknown parameter {name!r}; the parameters are {sorted(p)}")
        p[name] = v
    return p
