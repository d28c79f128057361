"""Hypothesis strategies for the JSON formats (tests/test_fuzz.py): HS3 documents built from the registry, pyhf
workspaces and JSON Patches, amplitude documents from the corpus, each valid-shaped or corrupted.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

from firmc.errors import format_path
from firmc.frontends.histfactory import load_pyhf
from firmc.frontends.hs3 import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register them)
from firmc.frontends.hs3.registry import TYPES
from fuzz_harness import (
    CORPUS,
    DOMAINS,
    GOOD,
    JSON_VALUES,
    OBS_NAMES,
    PAR_NAMES,
    POSITIVE,
    Deep,
    JPath,
    JsonCase,
    all_paths,
    at,
    corrupt,
    exercise,
    materialise,
    stage,
)
from fuzz_texts import expressions

# ---------------------------------------------------------------------------------------- HS3 documents
TYPE_NAMES = sorted(TYPES)
IR_FUNCTION = ('firmc-ir 1\n%0 = param[name="a"] : real/param\n%1 = param[name="x"] : real/param\n'
               '%2 = mul(%0, %1) : real/param\n%3 = exp(%2) : real/param\nentry function "value" = %3\n')


@dataclass
class _Ctx:
    obs: list[str]
    domains: dict[str, tuple[float, float]]
    dists: list[str] = field(default_factory=list)
    funcs: list[str] = field(default_factory=list)
    length: int = 2  # the length of lists, mostly (fields of one object must often agree)


def _ref(ctx: _Ctx) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [st.sampled_from(PAR_NAMES), GOOD, st.sampled_from(["1.0", "0.5"])]
    if ctx.funcs:
        options.append(st.sampled_from(ctx.funcs))
    return st.one_of(*options)


def _list(draw: st.DrawFn, ctx: _Ctx, item: st.SearchStrategy[Any]) -> list[Any]:
    n = ctx.length if draw(st.integers(0, 3)) else draw(st.integers(0, 4))
    return [draw(item) for _ in range(n)]


def _axes(draw: st.DrawFn, ctx: _Ctx, names: list[str]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        lo, hi = ctx.domains.get(name, (0.0, 1.0))
        nb = draw(st.integers(1, 4))
        if draw(st.integers(0, 3)):
            out.append({"name": name, "min": lo, "max": hi, "nbins": nb})
        else:
            out.append({"name": name, "edges": [lo + (hi - lo) * k / nb for k in range(nb + 1)]})
    return out


def _nbins(axes: list[dict[str, Any]]) -> int:
    return math.prod(a["nbins"] if "nbins" in a else len(a["edges"]) - 1 for a in axes)


def _any_field(draw: st.DrawFn, ctx: _Ctx, obj: dict[str, Any], fname: str) -> Any:
    """The fields of kind ``any``: shaped as their types read them."""
    if fname == "covariances":
        n = len(obj["x"]) if isinstance(obj.get("x"), list) else 1
        off = draw(st.sampled_from([0.0, 0.3, -0.2, 2.0]))
        return [[1.0 if i == j else off for j in range(n)] for i in range(n)]
    if fname == "channels":
        return [{"Gamma": draw(_ref(ctx)), "m1": draw(st.sampled_from([0.0, 0.1, 0.14])),
                 "m2": draw(st.sampled_from([0.0, 0.1, 0.5])), "l": draw(st.integers(0, 4)),
                 "R": draw(POSITIVE)} for _ in range(draw(st.integers(1, 2)))]
    if fname == "axes":
        names = obj.get("x") or obj.get("variables") or ctx.obs[:1]
        names = names if isinstance(names, list) else [names]
        return _axes(draw, ctx, [n for n in names if isinstance(n, str)] or ctx.obs[:1])
    if fname == "data":
        axes = _axes(draw, ctx, draw(st.lists(st.sampled_from(ctx.obs), min_size=1, max_size=2, unique=True)))
        return {"axes": axes, "contents": [draw(st.sampled_from([0.0, 1.0, 2.5, 10.0])) for _ in range(_nbins(axes))]}
    if fname == "interpolationCodes":
        return [draw(st.sampled_from([0, 1, 2, 4, 5, 6])) for _ in range(ctx.length)]
    if fname == "logAsymmKappa":
        return [[draw(GOOD), draw(GOOD)] for _ in range(ctx.length)]
    return draw(JSON_VALUES)


def _field(draw: st.DrawFn, ctx: _Ctx, kind: str, obj: dict[str, Any], fname: str) -> Any:
    if kind == "obs":
        return draw(st.sampled_from(ctx.obs))
    if kind == "obs_list":
        return draw(st.lists(st.sampled_from(ctx.obs), min_size=1, max_size=len(ctx.obs), unique=True))
    if kind == "ref":
        return draw(_ref(ctx))
    if kind == "refs":
        return _list(draw, ctx, _ref(ctx))
    if kind in ("dist", "dists"):
        pool = st.sampled_from(ctx.dists) if ctx.dists else st.sampled_from(["nosuch"])
        return draw(pool) if kind == "dist" else [draw(pool) for _ in range(draw(st.integers(1, 3)))]
    if kind == "num":
        return draw(GOOD)
    if kind == "nums":
        return _list(draw, ctx, GOOD)
    if kind == "matrix":
        return [[draw(GOOD) for _ in range(ctx.length)] for _ in range(ctx.length)]
    if kind == "bool":
        return draw(st.booleans())
    if kind == "int":
        return draw(st.integers(0, 3))
    if kind == "str":
        return IR_FUNCTION
    if kind == "expr":
        names = [*PAR_NAMES, *ctx.obs, *ctx.funcs]
        return draw(expressions("hs3", names))
    return _any_field(draw, ctx, obj, fname)


HF_MODIFIERS = ("normfactor", "normsys", "histosys", "shapesys", "shapefactor", "staterror")


def _hf_modifier(draw: st.DrawFn, kind: str, k: int, nbins: int) -> dict[str, Any]:
    counts = st.lists(st.sampled_from([0.0, 1.0, 4.5, 10.0]), min_size=nbins, max_size=nbins)
    out: dict[str, Any] = {"type": kind, "name": f"{kind}{k}"}
    if kind == "normfactor":
        out["parameter"] = draw(st.sampled_from(["mu", "a", f"{kind}{k}"]))
    elif kind == "normsys":
        out |= {"parameter": f"alpha_{k}", "data": {"hi": draw(POSITIVE), "lo": draw(POSITIVE)}}
    elif kind == "histosys":
        out |= {"parameter": f"alpha_{k}", "data": {"hi": {"contents": draw(counts)}, "lo": {"contents": draw(counts)}}}
    elif kind == "shapesys":
        out |= {"data": {"vals": draw(counts)}, "constraint": draw(st.sampled_from(["Poisson", "Gauss"]))}
    elif kind == "shapefactor":
        out["parameters"] = [f"sf{k}_{i}" for i in range(nbins)]
    if kind in ("normsys", "histosys", "shapesys", "staterror") and draw(st.integers(0, 5)) == 0:
        out["constraint"] = draw(st.sampled_from(["Gauss", "Poisson", "LogNormal", "Other"]))
    return out


def _histfactory(draw: st.DrawFn, name: str, obs_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A histfactory_dist and binned data for it."""
    nbins = draw(st.integers(1, 3))
    axes = [{"name": obs_name, "min": 0.0, "max": float(nbins), "nbins": nbins}]
    counts = st.lists(st.sampled_from([0.0, 1.0, 5.0, 20.0]), min_size=nbins, max_size=nbins)
    samples = []
    for s in range(draw(st.integers(1, 2))):
        mods = [_hf_modifier(draw, kind, k, nbins)
                for k, kind in enumerate(draw(st.lists(st.sampled_from(HF_MODIFIERS), max_size=3)))]
        samples.append({"name": f"s{s}", "data": {"contents": draw(counts), "errors": draw(counts)},
                        "modifiers": mods})
    dist = {"name": name, "type": "histfactory_dist", "axes": axes, "samples": samples}
    data = {"name": f"{name}_data", "type": "binned", "axes": axes, "contents": draw(counts)}
    return dist, data


@st.composite
def hs3_documents(draw: st.DrawFn) -> JsonCase:
    """A document of 1 to 4 objects of random registered types, their fields filled by kind, with domains,
    parameter points, and (sometimes) data and a likelihood."""
    root = draw(st.booleans())
    obs_names = draw(st.lists(st.sampled_from(OBS_NAMES), min_size=1, max_size=2, unique=True))
    ctx = _Ctx(obs_names, {o: draw(st.sampled_from(DOMAINS)) for o in obs_names}, length=draw(st.integers(1, 3)))
    dists: list[dict[str, Any]] = []
    funcs: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    likelihoods: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 4))):
        name = f"o{i}"
        tname = draw(st.sampled_from([*TYPE_NAMES, "histfactory_dist"]))
        if tname == "histfactory_dist":
            hf, hf_data = _histfactory(draw, name, f"bin_{name}")
            dists.append(hf)
            data.append(hf_data)
            likelihoods.append({"name": f"L_{name}", "distributions": [name], "data": [hf_data["name"]]})
            ctx.dists.append(name)
            continue
        spec = TYPES[tname]
        obj: dict[str, Any] = {"name": name, "type": tname}
        for fld in spec.fields:
            if fld.required or draw(st.booleans()):
                obj[fld.name] = _field(draw, ctx, fld.kind, obj, fld.name)
        (dists if spec.kind == "distribution" else funcs).append(obj)
        (ctx.dists if spec.kind == "distribution" else ctx.funcs).append(name)
    if ctx.dists and draw(st.booleans()):
        o = ctx.obs[0]
        lo, hi = ctx.domains[o]
        entries = [[lo + (hi - lo) * draw(st.sampled_from([0.1, 0.5, 0.9]))] for _ in range(draw(st.integers(1, 4)))]
        data.append({"name": "events", "type": "unbinned", "axes": [{"name": o, "min": lo, "max": hi}],
                     "entries": entries})
        likelihoods.append({"name": "L", "distributions": [draw(st.sampled_from(ctx.dists))], "data": ["events"]})
    doc: dict[str, Any] = {"metadata": {"hs3_version": "0.2"}}
    if root:
        doc["metadata"]["packages"] = [{"name": "ROOT", "version": "6.30/02"}]
    if dists:
        doc["distributions"] = dists
    if funcs:
        doc["functions"] = funcs
    axes = [{"name": o, "min": lo, "max": hi} for o, (lo, hi) in ctx.domains.items()]
    axes += [{"name": p, "min": -5.0, "max": 5.0} for p in PAR_NAMES]
    doc["domains"] = [{"name": "default_domain", "type": "product_domain", "axes": axes}]
    doc["parameter_points"] = [{"name": "default_values", "parameters": [
        {"name": p, "value": draw(POSITIVE)} for p in PAR_NAMES]}]
    if data:
        doc["data"] = data
    if likelihoods and draw(st.integers(0, 3)):
        doc["likelihoods"] = likelihoods
    return JsonCase(doc, via_file=draw(st.integers(0, 4)) == 0, pick=draw(st.integers(0, 10)),
                    notes=["root" if root else "spec"])


@cache
def corpus_docs(*folders: str) -> dict[str, Any]:
    return {p.name: json.loads(p.read_text()) for folder in folders for p in sorted((CORPUS / folder).glob("*.json"))
            if p.stat().st_size < 100_000}


@st.composite
def corrupted(draw: st.DrawFn, valid: st.SearchStrategy[JsonCase], corpus: tuple[str, ...]) -> JsonCase:
    """A generated document or a corpus file, with one to three corruptions."""
    docs = corpus_docs(*corpus) if corpus else {}
    if docs and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(docs)))
        case = JsonCase(copy.deepcopy(docs[name]), via_file=draw(st.integers(0, 4)) == 0,
                        pick=draw(st.integers(0, 10)), notes=[name])
    else:
        case = draw(valid)
    names = [v for p in all_paths(case.doc) if p[-1] == "name" and isinstance(v := at(case.doc, p), str)]
    case.notes += corrupt(draw, case.doc, names, draw(st.integers(1, 3)))
    return case


# ----------------------------------------------------------------------------------------- pyhf workspaces
PYHF_MODIFIERS = ("normfactor", "normsys", "histosys", "shapesys", "shapefactor", "staterror", "lumi")


@st.composite
def pyhf_workspaces(draw: st.DrawFn) -> JsonCase:
    """A workspace of one or two channels whose samples carry random modifiers of every type, and a measurement
    configuring some of their parameters."""
    channels, observations = [], []
    used: dict[str, str] = {}
    for c in range(draw(st.integers(1, 2))):
        nbins = draw(st.integers(1, 3))
        counts = st.lists(st.sampled_from([0.0, 1.0, 5.0, 20.0, 50.5]), min_size=nbins, max_size=nbins)
        samples = []
        for s in range(draw(st.integers(1, 3))):
            mods = []
            for kind in draw(st.lists(st.sampled_from(PYHF_MODIFIERS), max_size=4)):
                # mostly names pyhf accepts (one type per name, shapesys per sample), sometimes shared ones
                name = "lumi" if kind == "lumi" else draw(st.sampled_from(
                    [f"{kind}_{c}_{s}", f"{kind}_a", "mu" if kind == "normfactor" else f"{kind}_{c}_{s}", "mu"]))
                data: Any = None
                if kind == "normsys":
                    data = {"hi": draw(POSITIVE), "lo": draw(POSITIVE)}
                elif kind == "histosys":
                    data = {"hi_data": draw(counts), "lo_data": draw(counts)}
                elif kind in ("shapesys", "staterror"):
                    data = draw(counts)
                mods.append({"name": name, "type": kind, "data": data})
                used.setdefault(name, kind)
            samples.append({"name": f"sample{s}", "data": draw(counts), "modifiers": mods})
        channels.append({"name": f"ch{c}", "samples": samples})
        observations.append({"name": f"ch{c}", "data": draw(counts)})
    params = []
    for name, kind in used.items():
        if kind == "lumi" or draw(st.booleans()):
            p: dict[str, Any] = {"name": name}
            if kind == "lumi":
                p |= {"auxdata": [1.0], "sigmas": [draw(st.sampled_from([0.02, 0.1]))], "inits": [1.0],
                      "bounds": [[0.5, 1.5]]}
            if draw(st.booleans()):
                p["bounds"] = [[draw(st.sampled_from([-5.0, 0.0])), draw(st.sampled_from([5.0, 10.0]))]]
            if draw(st.booleans()):
                p["inits"] = [draw(POSITIVE)]
            if draw(st.integers(0, 3)) == 0:
                p["fixed"] = True
            params.append(p)
    scalars = [n for n, kind in used.items() if kind in ("normfactor", "normsys", "histosys", "lumi")]
    poi = draw(st.sampled_from(scalars)) if scalars and draw(st.integers(0, 4)) else \
        draw(st.sampled_from([*used, "mu"]))
    doc = {"version": "1.0.0", "channels": channels, "observations": observations,
           "measurements": [{"name": "meas", "config": {"poi": poi, "parameters": params}}]}
    return JsonCase(doc, via_file=draw(st.integers(0, 4)) == 0, pick=draw(st.integers(0, 10)))


def _pointer(path: JPath) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


@st.composite
def pyhf_patched(draw: st.DrawFn) -> JsonCase:
    """A workspace (generated or the corpus' example_bkgonly) and a JSON Patch of random operations on paths of
    the document (and some that are not)."""
    if draw(st.booleans()):
        case = draw(pyhf_workspaces())
    else:
        case = JsonCase(copy.deepcopy(corpus_docs("pyhf")["example_bkgonly.json"]), notes=["example_bkgonly"])
    paths = all_paths(case.doc)
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "nosuch"]))
        path = draw(st.sampled_from(paths)) if paths else ()
        pointer = draw(st.sampled_from([_pointer(path), _pointer(path[:-1]) + "/-", "", "/", "no-slash",
                                        _pointer(path) + "/0", "/channels/99", "/~2", "/channels/01"]))
        item: dict[str, Any] = {"op": op, "path": pointer}
        if op in ("add", "replace", "test"):
            item["value"] = draw(JSON_VALUES) if draw(st.booleans()) else copy.deepcopy(at(case.doc, path))
        if op in ("move", "copy"):
            item["from"] = _pointer(draw(st.sampled_from(paths))) if paths else ""
        if draw(st.integers(0, 9)) == 0:
            del item[draw(st.sampled_from(sorted(item)))]
        ops.append(item)
    patch: Any = ops
    if draw(st.integers(0, 5)) == 0:
        patch = draw(JSON_VALUES)  # not a list of operations at all
    elif draw(st.booleans()):
        patch = {"metadata": {"name": "p", "values": [1]}, "patch": ops}  # an entry of a patchset
    case.patches = [patch]
    return case


def run_pyhf_patch(case: JsonCase) -> str:
    stage("load")
    m = load_pyhf(materialise(case.doc), patches=materialise(case.patches))
    return exercise(m, case.pick)


# ---------------------------------------------------------------------------------- amplitude documents
def _amplitude_changes(draw: st.DrawFn, doc: dict[str, Any]) -> list[str]:
    """Corruptions that need to know the format: spins, helicities, orbital momenta, topologies, weights,
    masses, particle indices, types and lineshape names."""
    done = []
    for _ in range(draw(st.integers(0, 1))):
        paths = all_paths(doc)
        targets = {
            "spin": [p for p in paths if p[-1] == "spin" or (len(p) > 1 and p[-2] == "helicities")],
            "l": [p for p in paths if p[-1] in ("l", "s", "d", "index")],
            "topology": [p for p in paths if p[-1] in ("topology", "reference_topology", "node")],
            "weight": [p for p in paths if p[-1] in ("weight", "value")],
            "mass": [p for p in paths if p[-1] in ("mass", "width", "ma", "mb", "gsq", "slope")],
            "name": [p for p in paths if p[-1] in ("type", "parametrization", "formfactor", "parity_factor",
                                                   "distribution", "point")],
        }
        what = draw(st.sampled_from(sorted(targets)))
        if not targets[what]:
            continue
        path = draw(st.sampled_from(targets[what]))
        values = {
            "spin": ["999/2", "-1/2", "1/0", "1/3", "1e9", "2000001/2", "", "½", "21/2", "-3", 7, 0.5, None],
            "l": [-1, 1.5, 5, 100, 10**6, 10**18, "1", None, 2**64],
            "topology": [[[1, 2], 3], [[1, 1], 2], [[3, 1], [2, 4]], [1, 2, 3], [], [[1, 2]], [[4, 5], 6],
                         Deep(200, "list-leaf"), Deep(50_000, "list-leaf"), "[[1,2],3]"],
            "weight": ["1e400", "nan", "inf + 1i", "1/0", "x", "1 + 1e308im", "--1", "1 + 2i + 3i", "(1)",
                       "1" * 400, 10**400, math.nan, True],
            "mass": [0.0, -1.0, 1e308, math.nan, math.inf, 1e-300, 10**400, "1.0"],
            "name": ["", "BreitWigner", "nosuch", "BlattWeisskopf", "MultichannelBreitWigner", "+", "-", None, 7],
        }[what]
        value = draw(st.sampled_from(values))
        at(doc, path[:-1])[path[-1]] = value
        done.append(f"{what} at {format_path(path)}: {value!r}"[:120])
    return done


@st.composite
def amplitude_documents(draw: st.DrawFn) -> JsonCase:
    docs = corpus_docs("threebody")
    name = draw(st.sampled_from([n for n in sorted(docs) if n != "schema.json"]))
    case = JsonCase(copy.deepcopy(docs[name]), via_file=draw(st.integers(0, 4)) == 0,
                    pick=draw(st.integers(0, 20)), notes=[name])
    case.notes += _amplitude_changes(draw, case.doc)
    names = [f["name"] for f in case.doc.get("functions", []) if isinstance(f, dict) and "name" in f]
    case.notes += corrupt(draw, case.doc, names, draw(st.integers(0 if len(case.notes) > 1 else 1, 1)))
    return case


