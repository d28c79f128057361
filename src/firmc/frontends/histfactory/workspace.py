"""pyhf workspaces (schema 1.0.0) read into typed records, every structural error a FormatError with its JSON
path: the checks of pyhf's ``defs.json`` (required fields, no unknown fields, types, modifier data shapes) plus
those pyhf makes when it builds a model (sample lengths, observations per channel, the measurement).

Example:
    >>> ws = read_workspace({"version": "1.0.0",
    ...     "channels": [{"name": "c", "samples": [{"name": "s", "data": [5.0], "modifiers": [
    ...         {"name": "mu", "type": "normfactor", "data": None}]}]}],
    ...     "observations": [{"name": "c", "data": [6]}],
    ...     "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}]})
    >>> ws.channels[0].samples[0].modifiers[0].kind, ws.observations["c"]
    ('normfactor', [6.0])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import UnknownName
from ..jsonread import Path_

MODIFIER_TYPES = ("histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror")
PARAM_KEYS = ("name", "inits", "bounds", "auxdata", "factors", "sigmas", "fixed")


def _nowhere() -> Path_:
    return Path_(None)


@dataclass
class Modifier:
    """One modifier of a sample: its name, type, data (shape checked) and where it was read.

    Example:
        >>> Modifier("mu", "normfactor", None).kind
        'normfactor'
    """

    name: str
    kind: str
    data: Any
    where: Path_ = field(default_factory=_nowhere, repr=False)


@dataclass
class Sample:
    """A sample of a channel: nominal bin contents and modifiers.

    Example:
        >>> Sample("s", [1.0], []).data
        [1.0]
    """

    name: str
    data: list[float]
    modifiers: list[Modifier]
    where: Path_ = field(default_factory=_nowhere, repr=False)


@dataclass
class Channel:
    """A channel: its samples (all with the same number of bins).

    Example:
        >>> Channel("c", [Sample("s", [1.0, 2.0], [])]).nbins
        2
    """

    name: str
    samples: list[Sample]
    where: Path_ = field(default_factory=_nowhere, repr=False)

    @property
    def nbins(self) -> int:
        """Number of bins (that of the first sample, as pyhf takes it).

        Example:
            >>> Channel("c", [Sample("s", [1.0], [])]).nbins
            1
        """
        return len(self.samples[0].data)


@dataclass
class ParamConfig:
    """A measurement's configuration of one parameter: only the fields given are set.

    Example:
        >>> ParamConfig("lumi", {"inits": [1.0]}).values["inits"]
        [1.0]
    """

    name: str
    values: dict[str, Any]
    where: Path_ = field(default_factory=_nowhere, repr=False)


@dataclass
class Measurement:
    """A measurement: the parameter of interest and the parameter configurations.

    Example:
        >>> Measurement("m", "mu", {}).poi
        'mu'
    """

    name: str
    poi: str
    parameters: dict[str, ParamConfig]
    where: Path_ = field(default_factory=_nowhere, repr=False)


@dataclass
class Workspace:
    """A checked pyhf workspace.

    Example:
        >>> Workspace([], {}, []).measurements
        []
    """

    channels: list[Channel]
    observations: dict[str, list[float]]
    measurements: list[Measurement]

    def measurement(self, which: str | int | None = None) -> Measurement:
        """The measurement named (or at index) ``which``; the first when None (as pyhf).

        Example:
            >>> Workspace([], {}, [Measurement("m", "mu", {})]).measurement().name
            'm'
        """
        if which is None or isinstance(which, int):
            i = which or 0
            if not 0 <= i < len(self.measurements):
                from ...errors import FormatError

                raise FormatError(f"measurement index {i} is out of range: the workspace has "
                                  f"{len(self.measurements)} measurement(s)", path=("measurements",))
            return self.measurements[i]
        for m in self.measurements:
            if m.name == which:
                return m
        raise UnknownName("measurement", which, [m.name for m in self.measurements], path=("measurements",))


def _fields(p: Path_, allowed: tuple[str, ...], required: tuple[str, ...], what: str) -> None:
    o = p.obj()
    for k in o:
        if k not in allowed:
            raise p.error(f"unknown field '{k}' in a {what} (allowed: {', '.join(allowed)})")
    for k in required:
        if k not in o:
            raise p.error(f"missing required field '{k}'")


def numbers(p: Path_, n: int | None = None) -> list[float]:
    """A non-empty list of finite numbers (of length ``n`` when given).

    Example:
        >>> numbers(Path_([1, 2.5]))
        [1.0, 2.5]
    """
    items = p.items()
    if not items:
        raise p.error("expected at least one number")
    if n is not None and len(items) != n:
        raise p.error(f"expected {n} numbers (one per bin), found {len(items)}")
    return [x.number() for x in items]


def _null(p: Path_, kind: str) -> None:
    if p.obj().get("data") is not None:
        raise p.child("data", p.obj()["data"]).error(f"a {kind} modifier has data null")


def _modifier(p: Path_, nbins: int) -> Modifier:
    _fields(p, ("name", "type", "data"), ("name", "type", "data"), "modifier")
    name = p.get("name").string()
    kind = p.get("type").string()
    if kind not in MODIFIER_TYPES:
        raise UnknownName("modifier type", kind, MODIFIER_TYPES, path=(*p.path, "type"), file=p.file)
    data: Any = None
    if kind in ("normfactor", "lumi", "shapefactor"):
        _null(p, kind)
        if kind == "lumi" and name != "lumi":
            raise p.get("name").error(f"the lumi modifier must be named 'lumi', not '{name}'")
    elif kind == "normsys":
        d = p.get("data")
        _fields(d, ("hi", "lo"), ("hi", "lo"), "normsys data")
        data = (d.get("lo").number(), d.get("hi").number())
    elif kind == "histosys":
        d = p.get("data")
        _fields(d, ("hi_data", "lo_data"), ("hi_data", "lo_data"), "histosys data")
        data = (numbers(d.get("lo_data"), nbins), numbers(d.get("hi_data"), nbins))
    else:  # shapesys, staterror
        data = numbers(p.get("data"), nbins)
    return Modifier(name, kind, data, p)


def _sample(p: Path_, nbins: int | None) -> Sample:
    _fields(p, ("name", "data", "modifiers"), ("name", "data", "modifiers"), "sample")
    data = numbers(p.get("data"), nbins)
    mods = p.get("modifiers")
    return Sample(p.get("name").string(), data, [_modifier(m, len(data)) for m in mods.items()], p)


def _channel(p: Path_) -> Channel:
    _fields(p, ("name", "samples"), ("name", "samples"), "channel")
    items = p.get("samples").items()
    if not items:
        raise p.get("samples").error("a channel needs at least one sample")
    first = _sample(items[0], None)
    samples = [first] + [_sample(s, len(first.data)) for s in items[1:]]
    seen: set[str] = set()
    for s in samples:
        if s.name in seen:
            raise s.where.get("name").error(f"duplicate sample name '{s.name}' in channel")
        seen.add(s.name)
    return Channel(p.get("name").string(), samples, p)


def _param_config(p: Path_) -> ParamConfig:
    _fields(p, PARAM_KEYS, ("name",), "parameter configuration")
    values: dict[str, Any] = {}
    for key in ("inits", "auxdata", "factors", "sigmas"):
        if key in p.obj():
            values[key] = numbers(p.get(key))
    if not all(s > 0 for s in values.get("sigmas", ())):  # the width of a Gaussian constraint
        raise p.get("sigmas").error("sigmas must be positive")
    if "bounds" in p.obj():
        pairs = p.get("bounds").items()
        if not pairs:
            raise p.get("bounds").error("expected at least one [min, max] pair")
        values["bounds"] = [tuple(numbers(b, 2)) for b in pairs]
    if "fixed" in p.obj():
        f = p.get("fixed")
        if not isinstance(f.value, bool):
            raise f.error(f"expected a boolean, found {f._kind()}")
        values["fixed"] = f.value
    return ParamConfig(p.get("name").string(), values, p)


def _measurement(p: Path_) -> Measurement:
    _fields(p, ("name", "config"), ("name", "config"), "measurement")
    c = p.get("config")
    _fields(c, ("poi", "parameters"), ("poi", "parameters"), "measurement config")
    params: dict[str, ParamConfig] = {}
    for item in c.get("parameters").items():
        pc = _param_config(item)
        if pc.name in params:
            raise item.get("name").error(f"several configurations for parameter '{pc.name}'")
        params[pc.name] = pc
    return Measurement(p.get("name").string(), c.get("poi").string(), params, p)


def read_workspace(doc: Any, file: str | None = None) -> Workspace:
    """Check a pyhf workspace document and read it into a :class:`Workspace`.

    Example:
        >>> read_workspace({"version": "1.0.0", "channels": [], "measurements": [], "observations": []})
        Traceback (most recent call last):
        firmc.errors.FormatError: channels: expected at least one channel
    """
    root = Path_(doc, (), file)
    _fields(root, ("channels", "measurements", "observations", "version"),
            ("channels", "measurements", "observations", "version"), "workspace")
    version = root.get("version")
    if version.value != "1.0.0":
        raise version.error(f"unsupported workspace version {version.value!r} (expected '1.0.0')")
    for key, what in (("channels", "channel"), ("measurements", "measurement"), ("observations", "observation")):
        if not root.get(key).items():
            raise root.get(key).error(f"expected at least one {what}")
    channels = [_channel(c) for c in root.get("channels").items()]
    names: set[str] = set()
    for ch in channels:
        if ch.name in names:
            raise ch.where.get("name").error(f"duplicate channel name '{ch.name}'")
        names.add(ch.name)
    observations: dict[str, list[float]] = {}
    for o in root.get("observations").items():
        _fields(o, ("name", "data"), ("name", "data"), "observation")
        observations[o.get("name").string()] = numbers(o.get("data"))
    nbins = {ch.name: ch.nbins for ch in channels}
    for ch in channels:
        if ch.name not in observations:
            raise root.get("observations").error(f"no observation for channel '{ch.name}'")
    for o in root.get("observations").items():
        n = nbins.get(o.get("name").value)
        if n is not None and len(observations[o.get("name").value]) != n:
            raise o.get("data").error(f"expected {n} numbers (the bins of channel '{o.get('name').value}'), "
                                      f"found {len(observations[o.get('name').value])}")
    measurements = [_measurement(m) for m in root.get("measurements").items()]
    return Workspace(channels, observations, measurements)
