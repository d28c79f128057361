"""HS3 documents (spec, ROOT and pyhs3 dialects) to a :class:`~firmc.ir.Module`.

Order of work: index the objects (names unique, types known), find observables (the observable slots of
distributions and the axes of data), order objects by their references (cycles and dangling names are
errors with the JSON path), build each object's IR with its registered builder, then data sets and
likelihoods.

Example:
    >>> doc = {"metadata": {"hs3_version": "0.2"},
    ...        "distributions": [{"name": "g", "type": "gaussian_dist", "x": "x", "mean": "mu", "sigma": 1.0}],
    ...        "domains": [{"name": "d", "type": "product_domain", "axes": [{"name": "x", "min": -5, "max": 5}]}],
    ...        "parameter_points": [{"name": "p", "parameters": [{"name": "mu", "value": 0.5}]}]}
    >>> m = load_hs3(doc)
    >>> m.entries["g"].observables, m.parameters["mu"].value
    (('x',), 0.5)
"""

from __future__ import annotations

import math
from typing import Any

from ...errors import FirmError, FormatError, IRError, UnknownName, UnsupportedFeature, did_you_mean
from ...ir import Entry, Module, Node, Observable, Parameter, const, obs, param
from ...library.binned import lookup
from ..expr import Dialect, ParsedExpression, build_expression, parse_expression
from ..histfactory.hs3 import Channel, Context, HS3Options, constraint_term, read_channel
from ..jsonread import Path_
from . import data as data_mod
from . import firmc_misc
from .registry import REF_KINDS, TYPES, TypeSpec

DEFERRED: dict[str, str] = {}  # type -> why it is not read (every type is read now)


class Obj:
    """What a builder sees of one HS3 object: typed, resolved fields.

    Example:
        >>> Obj.__name__
        'Obj'
    """

    def __init__(self, loader: Loader, spec: TypeSpec, path: Path_, name: str) -> None:
        self.loader, self.spec, self.path, self.name = loader, spec, path, name

    def has(self, key: str) -> bool:
        """Whether the field is present.

        Example:
            >>> Obj.has.__name__
            'has'
        """
        return self.path.has(key)

    def raw(self, key: str) -> Path_:
        """The field as a JSON path value (required).

        Example:
            >>> Obj.raw.__name__
            'raw'
        """
        return self.path.get(key)

    def node(self, key: str) -> Node:
        """The IR of a reference field (a name or a number).

        Example:
            >>> Obj.node.__name__
            'node'
        """
        return self.loader.ref(self.path.get(key))

    def opt_node(self, key: str) -> Node | None:
        """The IR of an optional reference field, or None.

        Example:
            >>> Obj.opt_node.__name__
            'opt_node'
        """
        return self.node(key) if self.path.has(key) else None

    def nodes(self, key: str) -> list[Node]:
        """The IR of a list-of-references field (a single name is accepted as a list of one).

        Example:
            >>> Obj.nodes.__name__
            'nodes'
        """
        p = self.path.get(key)
        items = [p] if isinstance(p.value, str) else p.items()
        return [self.loader.ref(i) for i in items]

    def num(self, key: str, default: float | None = None) -> float:
        """A number field (``default`` when absent; required when no default).

        Example:
            >>> Obj.num.__name__
            'num'
        """
        if default is not None and not self.path.has(key):
            return default
        return self.path.get(key).number()

    def flag(self, key: str, default: bool) -> bool:
        """A boolean field.

        Example:
            >>> Obj.flag.__name__
            'flag'
        """
        return self.path.get(key).boolean() if self.path.has(key) else default

    def domain(self, key: str) -> tuple[float, float]:
        """Domain of the variable named in field ``key``.

        Example:
            >>> Obj.domain.__name__
            'domain'
        """
        p = self.path.get(key)
        lo, hi = self.loader.domain_of(p.string())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise p.error(f"'{p.value}' needs a finite domain (min and max) for {self.spec.name}")
        return lo, hi

    def expression(self, key: str = "expression") -> Node:
        """Parse and build the expression text in field ``key``.

        Example:
            >>> Obj.expression.__name__
            'expression'
        """
        p = self.path.get(key)
        parsed = self.loader.parse(p)
        return build_expression(parsed, lambda name: self.loader.ref(Path_(name, p.path, p.file), expr=True))

    def referenced(self, key: str) -> tuple[TypeSpec, Obj]:
        """The type and fields of the object named in field ``key`` (for builders that need its parameters).

        Example:
            >>> Obj.referenced.__name__
            'referenced'
        """
        p = self.path.get(key)
        name = p.string()
        if name not in self.loader.objects:
            raise p.error(f"'{name}' is not a distribution or function of this document")
        spec, opath = self.loader.objects[name]
        return spec, Obj(self.loader, spec, opath, name)

    def set_expected(self, n: Node) -> None:
        """Record the expected number of events of this (extended) distribution.

        Example:
            >>> Obj.set_expected.__name__
            'set_expected'
        """
        self.loader.expected[self.name] = n

    def expected_of(self, n_key: str) -> list[Node | None]:
        """Expected events of the distributions listed in field ``n_key`` (None where not extended).

        Example:
            >>> Obj.expected_of.__name__
            'expected_of'
        """
        p = self.path.get(n_key)
        items = [p] if isinstance(p.value, str) else p.items()
        return [self.loader.expected.get(str(i.value)) for i in items]


class Loader:
    """One HS3 document being read. Use :func:`load_hs3`.

    Example:
        >>> Loader({"metadata": {"hs3_version": "0.2"}}, None).dialect
        'hs3'
    """

    def __init__(self, doc: Any, file: str | None, options: HS3Options | None = None) -> None:
        self.root = Path_(doc, (), file)
        self.file = file
        self.root.obj()
        meta = self.root.get("metadata")
        version = meta.get("hs3_version")
        if not isinstance(version.value, str):
            raise version.error("expected the HS3 version as a string, e.g. \"0.2\"")
        packages = [str(p.value.get("name", "")) for p in meta.opt("packages") or [] if isinstance(p.value, dict)]
        root_made = self.root_made = "ROOT" in packages  # ROOT's conventions (besides its expression syntax)
        # a document written from a firm program (firmc.frontends.dsl) keeps the program's expressions
        self.dialect: Dialect = "firm" if firmc_misc.expression_dialect(self.root) == "firm" else \
            "root" if root_made else "hs3"
        self.objects: dict[str, tuple[TypeSpec, Path_]] = {}
        self.deferred: dict[str, str] = {}
        self.nodes: dict[str, Node] = {}
        self.expected: dict[str, Node] = {}
        self.variables: dict[str, Path_] = {}  # name -> where it is declared
        self.observables: dict[str, Observable] = {}
        self.parameters: dict[str, Parameter] = {}
        self._parsed: dict[tuple[str | int, ...], ParsedExpression] = {}
        self.options = options or HS3Options()
        misc = self.root.value.get("misc")
        self.root_written = root_made or (isinstance(misc, dict) and "ROOT_internal" in misc)
        self.histfactory: dict[str, Path_] = {}  # histfactory_dist objects (read by the HistFactory reader)
        self.hf_constraints: dict[str, tuple[TypeSpec, Path_]] = {}  # ROOT's constraint_name objects
        self.channels: dict[str, Channel] = {}

    # ------------------------------------------------------------------------------------------- indexing
    def index(self) -> None:
        """Collect distributions and functions by name, checking names and types.

        Example:
            >>> Loader.index.__name__
            'index'
        """
        for section in ("distributions", "functions"):
            sec = self.root.opt(section)
            for item in sec.items() if sec else []:
                name = item.get("name").string()
                if name in self.objects or name in self.deferred:
                    raise item.get("name").error(f"duplicate name '{name}' (names must be unique in a document)")
                if not item.has("type"):
                    raise item.error(f"'{name}' has no 'type' (ROOT writes such entries for classes it cannot "
                                     "export)")
                tname = item.get("type").string()
                if tname == "histfactory_dist":
                    self.histfactory[name] = item
                    continue
                if tname in DEFERRED:
                    self.deferred[name] = DEFERRED[tname]
                    continue
                spec = TYPES.get(tname)
                if spec is None:
                    raise UnknownName("type", tname, TYPES, path=(*item.path, "type"), file=self.file)
                self.objects[name] = (spec, item)
        for hf in self.histfactory.values():  # ROOT's constraint objects belong to their histfactory_dist
            for sample in hf.opt("samples") or []:
                for mod in sample.opt("modifiers") or []:
                    ref = mod.opt("constraint_name")
                    if ref is not None and isinstance(ref.value, str) and ref.value in self.objects:
                        self.hf_constraints[ref.value] = self.objects.pop(ref.value)

    def parse(self, p: Path_) -> ParsedExpression:
        """Parse the expression at ``p`` (cached), origin ``file:json.path``.

        Example:
            >>> Loader.parse.__name__
            'parse'
        """
        got = self._parsed.get(p.path)
        if got is None:
            from ...errors import format_path

            origin = f"{self.file + ':' if self.file else ''}{format_path(p.path)}"
            got = self._parsed[p.path] = parse_expression(p.string(), self.dialect, origin=origin)
        return got

    def references(self, spec: TypeSpec, item: Path_) -> list[Path_]:
        """Every name this object refers to, as paths to the strings.

        Example:
            >>> Loader.references.__name__
            'references'
        """
        out: list[Path_] = []
        for f in spec.fields:
            p = item.opt(f.name)
            if p is None:
                if f.required:
                    raise item.error(f"{spec.name} '{item.value.get('name')}' is missing required field "
                                     f"'{f.name}'")
                continue
            if f.kind in REF_KINDS:
                vals = [p] if not isinstance(p.value, list) else p.items()
                for v in vals:
                    if isinstance(v.value, str):
                        out.append(v)
                    elif f.kind in ("dist", "dists", "obs", "obs_list") or not isinstance(v.value, int | float) \
                            or isinstance(v.value, bool):
                        raise v.error(f"expected a name{' or a number' if f.kind in ('ref', 'refs') else ''}, "
                                      f"found {type(v.value).__name__}")
            elif f.kind == "expr":
                parsed = self.parse(p)
                out.extend(Path_(n, p.path, p.file) for n in parsed.names)  # a name at the expression's path
        return out

    # -------------------------------------------------------------------------------------------- ordering
    def order(self) -> list[str]:
        """Objects in dependency order (explicit stack); cycles are errors.

        Example:
            >>> Loader.order.__name__
            'order'
        """
        deps = {name: self.references(spec, item) for name, (spec, item) in self.objects.items()}
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        result: list[str] = []
        for start in self.objects:
            if state.get(start):
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            state[start] = 1
            while stack:
                name, i = stack[-1]
                refs = deps[name]
                if i == len(refs):
                    stack.pop()
                    state[name] = 2
                    result.append(name)
                    continue
                stack[-1] = (name, i + 1)
                ref = str(refs[i].value)
                if ref not in self.objects:
                    continue
                if state.get(ref) == 1:
                    cycle = [n for n, _ in stack[[n for n, _ in stack].index(ref):]] + [ref]
                    raise refs[i].error("reference cycle: " + " -> ".join(cycle))
                if not state.get(ref):
                    state[ref] = 1
                    stack.append((ref, 0))
        return result

    # ------------------------------------------------------------------------------------------ variables
    def declare_variables(self) -> None:
        """Read parameter points, domains and data axes: values, bounds, observables.

        Example:
            >>> Loader.declare_variables.__name__
            'declare_variables'
        """
        bounds: dict[str, tuple[float, float]] = {}
        values: dict[str, tuple[float, bool]] = {}
        doms = self.root.opt("domains")
        for k, dom in enumerate(doms.items() if doms else []):
            dom.get("name").string()
            dtype = dom.get("type").string()
            if dtype != "product_domain":
                raise UnknownName("domain type", dtype, ["product_domain"], path=(*dom.path, "type"), file=self.file)
            for ax in dom.get("axes"):
                name = ax.get("name").string()
                lo = ax.get("min").bound() if ax.has("min") else -math.inf
                hi = ax.get("max").bound() if ax.has("max") else math.inf
                if lo > hi:
                    raise ax.error(f"min {lo} is above max {hi}")
                self.variables.setdefault(name, ax)
                if k == 0:  # the first (default) domain gives the bounds
                    bounds[name] = (lo, hi)
        points = self.root.opt("parameter_points")
        for k, pt in enumerate(points.items() if points else []):
            pt.get("name").string()
            for par in pt.get("parameters"):
                name = par.get("name").string()
                val = par.get("value").number()
                self.variables.setdefault(name, par)
                if k == 0 or name not in values:
                    values[name] = (val, par.get("const").boolean() if par.has("const") else False)
                if name not in bounds and (par.has("min") or par.has("max")):  # ROOT writes min/max here
                    bounds[name] = (par.get("min").bound() if par.has("min") else -math.inf,
                                    par.get("max").bound() if par.has("max") else math.inf)
        axes = data_mod.data_axes(self.root)
        for name, (lo, hi, where) in axes.items():
            self.variables.setdefault(name, where)
            bounds[name] = (lo, hi)
        hf_axes = {ax.get("name").string() for hf in self.histfactory.values() for ax in hf.opt("axes") or []}
        obs_names = set(axes) | hf_axes | self._observable_slots() | firmc_misc.declared_observables(self.root)
        for name in sorted(set(self.variables) | obs_names):
            lo, hi = bounds.get(name, (-math.inf, math.inf))
            value, is_const = values.get(name, (math.nan, False))
            if name in obs_names:
                self.observables[name] = Observable(name, lo, hi, None if math.isnan(value) else value)
            else:
                self.parameters[name] = Parameter(name, value, lo, hi, is_const)

    def _observable_slots(self) -> set[str]:
        names: set[str] = set()
        for spec, item in self.objects.values():
            for f in spec.fields:
                if f.kind in ("obs", "obs_list") and item.has(f.name):
                    v = item.get(f.name).value
                    for n in v if isinstance(v, list) else [v]:
                        if isinstance(n, str) and n not in self.objects:
                            names.add(n)
        return names

    def domain_of(self, name: str) -> tuple[float, float]:
        """Bounds of a variable.

        Example:
            >>> Loader.domain_of.__name__
            'domain_of'
        """
        if name in self.observables:
            o = self.observables[name]
            return o.min, o.max
        if name in self.parameters:
            p = self.parameters[name]
            return p.min, p.max
        return -math.inf, math.inf

    # ------------------------------------------------------------------------------------------ histfactory
    def read_histfactory(self) -> None:
        """Read every ``histfactory_dist`` and declare the parameters it introduces (document values win).

        Example:
            >>> Loader.read_histfactory.__name__
            'read_histfactory'
        """
        ctx = Context(self.root_written, self.options, self._hf_constraint)
        for name, item in self.histfactory.items():
            ch = self.channels[name] = read_channel(item, ctx)
            for pname, d in ch.params.items():
                if pname in self.observables:
                    raise item.error(f"'{pname}' is a parameter of histfactory_dist '{name}' and an observable")
                old = self.parameters.get(pname)
                if old is None:
                    self.parameters[pname] = Parameter(pname, d.value, d.min, d.max, d.const)
                elif d.const:
                    old.const = True
                elif math.isnan(old.value):
                    old.value = d.value

    def _hf_constraint(self, name: str, where: Path_) -> tuple[Node, float]:
        got = self.hf_constraints.get(name)
        if got is None:
            raise where.error(f"constraint '{name}' is not a distribution of this document")
        spec, item = got
        fields: dict[str, Node | float] = {}
        for f in spec.fields:
            if item.has(f.name) and f.kind in ("ref", "obs"):
                node = self.ref(item.get(f.name))
                pname = node.attr("name") if node.op == "param" else None
                if node.op == "const":
                    fields[f.name] = float(node.attr("value"))
                elif pname is not None and self.parameters[pname].const:
                    fields[f.name] = float(self.parameters[pname].value)
                else:
                    fields[f.name] = node
        return constraint_term(spec.name, fields, item)

    # --------------------------------------------------------------------------------------------- building
    def ref(self, p: Path_, expr: bool = False) -> Node:
        """The IR for a reference: an object, a variable, or a number (also number-like strings like "1.0").

        Example:
            >>> Loader.ref.__name__
            'ref'
        """
        v = p.value
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise p.error(f"expected a name or a number, found {type(v).__name__}")
        if not isinstance(v, str):
            return const(p.number())
        if v in self.nodes:
            return self.nodes[v]
        if v in self.deferred:
            raise UnsupportedFeature(self.deferred[v], path=p.path, file=self.file)
        if v in self.observables:
            o = self.observables[v]
            return obs(v, o.min, o.max)
        if v in self.parameters:
            return param(v)
        try:
            number = float(v)
        except ValueError:
            known = [*self.objects, *self.observables, *self.parameters]
            raise FormatError(f"dangling reference '{v}': no object, parameter or observable of that name"
                              f"{did_you_mean(v, known)}", path=p.path, file=self.file) from None
        if not math.isfinite(number):
            raise p.error(f"'{v}' is not a finite number")
        return const(number)

    def build(self) -> None:
        """Build every object's IR in dependency order.

        Example:
            >>> Loader.build.__name__
            'build'
        """
        for name in self.order():
            spec, item = self.objects[name]
            try:
                node = spec.build(Obj(self, spec, item, name))
            except IRError as exc:  # e.g. an empty list where the op needs arguments: say where
                raise item.error(f"cannot build {spec.name} '{name}': {exc}") from None
            except FirmError:
                raise
            except (ValueError, ZeroDivisionError, OverflowError, TypeError, KeyError, IndexError) as exc:
                raise item.error(f"cannot build {spec.name} '{name}': {exc}") from None
            self.nodes[name] = node

    def module(self, source_hash: str) -> Module:
        """Assemble the module: entries, data sets, likelihoods.

        Example:
            >>> Loader.module.__name__
            'module'
        """
        m = Module(observables=self.observables, parameters=self.parameters, source=self.file or "<dict>",
                   source_hash=source_hash, format="hs3")
        for name, (spec, item) in self.objects.items():
            n = self.nodes[name]
            m.entries[name] = Entry(name, spec.kind, n, tuple(sorted(n.free)), self.expected.get(name),
                                    source=f"{'.'.join(map(str, item.path))}")
        for name, ch in self.channels.items():
            xs = [obs(ax, *self.domain_of(ax)) for ax, _ in ch.axes]
            expr = lookup(xs, [edges for _, edges in ch.axes], ch.expected)
            m.entries[name] = Entry(name, "function", expr, tuple(ax for ax, _ in ch.axes),
                                    source=".".join(map(str, self.histfactory[name].path)))
        m.unsupported.update(self.deferred)
        m.validations.extend(firmc_misc.validations(self.root))
        data_mod.read_data(self.root, m)
        data_mod.read_likelihoods(self.root, m, self)
        for name in firmc_misc.likelihood_entries(self.root) & set(m.entries):  # written as plain functions
            m.entries[name].kind = "likelihood"
        return m


def load_hs3(doc: Any, file: str | None = None, source_hash: str = "", options: HS3Options | None = None) -> Module:
    """Read an HS3 document (already parsed JSON) into a Module; ``options``: how ``histfactory_dist`` objects
    are read (:class:`~firmc.frontends.histfactory.hs3.HS3Options`).

    Example:
        >>> load_hs3({"metadata": {"hs3_version": "0.2"}}).entries
        {}
    """
    from . import types_dists, types_extra, types_firmc, types_funcs  # noqa: F401  (register the builders)

    loader = Loader(doc, file, options)
    loader.index()
    loader.declare_variables()
    loader.read_histfactory()
    loader.build()
    return loader.module(source_hash)
