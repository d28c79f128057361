"""CUDA kernels from the C emitter: :class:`CudaFunction` is :class:`~firmc.backends.csource.emit.CFunction`
with one change of placement -- a root-level sum over events (or over an embedded data set) becomes a
``__global__`` kernel, launched by the host function at the place the loop would be.

The host function computes everything :meth:`~firmc.backends.schedule.Phased.plan` puts in the root scope (the
parameter-only values: the same C++ as the cpp target, compiled for the host), and quadrature loops at root level
too (their rules are small). For a reduction it packs the root values the loop body reads into an array ``r``,
launches the kernel and reads back one sum per accumulator. In the kernel, the body is the cpp target's loop
body, the loop a grid-stride loop, and each accumulator is reduced per block (:mod:`.prelude`). A per-point
function is one kernel of the same shape writing ``out[i]``. Loops nested in a kernel (a per-event integral) stay
loops of the thread, reading the rules' device copies (``dQ...``).

Example:
    >>> from firmc.ir import apply, obs, param
    >>> f = CudaFunction({"mu": "p[0]"}, {"@events": ({"x": "x0[i]"}, "w", "n")}, label="nll")
    >>> s = apply("datasum", apply("exp", obs("x") - param("mu")), dataset="@events", binds=("x",))
    >>> print("\\n".join(f.block([-s])))
    const double* r0 = nullptr;
    double t0[1];
    fc_cuda::sums(ws, k_nll_0, pd, r0, 0, x, w, n, t0, 1);
    const double v2 = t0[0];
    const double v3 = (-v2);
    >>> print(f.kernels[0].splitlines()[0])
    __global__ void __launch_bounds__(fc_cuda::block) k_nll_0(const double* p, const double* r, const double* x, \
const double* w, std::size_t n, double* partial) {
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ...errors import UnsupportedFeature
from ...ir import Node
from ...ir.types import DType
from .. import EVENTS
from ..csource.dialects import CUDA
from ..csource.emit import CFunction, Scope
from ..csource.tables import CTables
from ..quadrules import DomainKey

_CAPTURED = re.compile(r"v(\d+)(_re|_im)?")
SUM_PARAMS = "const double* p, const double* r, const double* x, const double* w, std::size_t n, double* partial"
POINT_PARAMS = "const double* p, const double* r, const double* x, std::size_t n, double* out"


def device_name(name: str) -> str:
    """The name of the device copy of a constant array.

    Example:
        >>> device_name("Q0_w")
        'dQ0_w'
    """
    return "d" + name


class CudaFunction(CFunction):
    """Builds one host function and the kernels it launches (:attr:`kernels`, in launch order).

    ``label`` names the kernels (``k_<label>_<i>``); ``observables`` are the columns of the events (read in a
    kernel as ``x<k>``).

    Example:
        >>> CudaFunction({}, label="pdf").launches
        0
    """

    scatter = False  # an array of n sums per thread: local memory, and n block reductions anyway

    def __init__(self, params: Mapping[str, str],
                 datasets: Mapping[str, tuple[Mapping[str, str], str, str]] | None = None,
                 rules: Mapping[DomainKey, tuple[tuple[str, ...], str, int]] | None = None,
                 label: str = "f", observables: int = 0, tables: CTables | None = None) -> None:
        super().__init__(CUDA, params, datasets, rules, tables)
        self.label = label
        self.observables = observables
        self.kernels: list[str] = []
        self._device: set[int] = set()  # ids of the scopes that are kernels
        self._host_tables: dict[tuple[Node, ...], tuple[str, list[str]]] = {}  # the kernel's tables of host values

    @property
    def launches(self) -> int:
        """How many kernels the host function launches.

        Example:
            >>> CudaFunction({}).launches
            0
        """
        return len(self.kernels)

    # -- scopes -----------------------------------------------------------------------------------------
    def on_device(self, scope: Scope) -> bool:
        """Whether ``scope`` is a kernel or nested in one.

        Example:
            >>> f = CudaFunction({})
            >>> f.on_device(f.root), f.on_device(f.points({}, "n"))
            (False, True)
        """
        s: Scope | None = scope
        while s is not None:
            if id(s) in self._device:
                return True
            s = s.parent
        return False

    def points(self, columns: Mapping[str, str], count: str) -> Scope:
        """The per-point loop: a kernel.

        Example:
            >>> CudaFunction({}).points({"x": "x0[i1]"}, "n").depth
            1
        """
        scope = super().points(columns, count)
        self._device.add(id(scope))
        return scope

    def child(self, n: Node, scope: Scope) -> Scope:
        """As in C, but a root-level sum is a kernel, and data sets are read on the device only.

        Example:
            >>> from firmc.ir import apply, obs
            >>> f = CudaFunction({}, {"@events": ({"x": "x0[i]"}, "w", "n")})
            >>> f.on_device(f.child(apply("datasum", obs("x"), dataset="@events", binds=("x",)), f.root))
            True
        """
        if n.op == "datasum" and scope is not self.root and not self.on_device(scope):
            raise UnsupportedFeature("target 'cuda': a sum over a data set inside a parameter-only integral")
        new = super().child(n, scope)
        if n.op == "datasum" and scope is self.root:
            self._device.add(id(new))
        return new

    def rule_arrays(self, dom: DomainKey, scope: Scope) -> tuple[tuple[str, ...], str, int]:
        """The host arrays of a rule, or their device copies in a kernel.

        Example:
            >>> f = CudaFunction({}, rules={(("t",), (0.0, 1.0)): (("Q0_0",), "Q0_w", 21)})
            >>> f.rule_arrays((("t",), (0.0, 1.0)), f.points({}, "n"))
            (('dQ0_0',), 'dQ0_w', 21)
        """
        arrays, weights, size = self.rules[dom]
        if self.on_device(scope):
            return tuple(device_name(a) for a in arrays), device_name(weights), size
        return arrays, weights, size

    # -- what a kernel reads from the host ---------------------------------------------------------------
    def captures(self, starts: Sequence[Node], inner: Scope) -> list[tuple[str, str]]:
        """(name, C type) of the host variables the code of ``starts`` in the kernel ``inner`` reads (sorted).

        Example:
            >>> from firmc.ir import obs, param
            >>> f = CudaFunction({"a": "p[0]"})
            >>> points = f.points({"x": "x0[i1]"}, "n")
            >>> scale = param("a") * 2.0
            >>> f.block([scale])
            ['const double v0 = (p[0] * 2.0);']
            >>> f.captures([obs("x") * scale], points)
            [('v0', 'double')]
        """
        found: dict[str, str] = {}
        for n in self.reads(starts, inner, self.root):
            key = (id(self.root), n)
            exprs = self.pairs[key] if key in self.pairs else (self.ref(n, self.root),)
            for e in exprs:
                if _CAPTURED.fullmatch(e):
                    bool_ = n.type.dtype is DType.BOOL and self.names.get(key) == e
                    found[e] = "bool" if bool_ else "double"

        def order(name: str) -> tuple[int, str]:
            m = _CAPTURED.fullmatch(name)
            assert m is not None
            return int(m.group(1)), m.group(2) or ""

        return [(name, found[name]) for name in sorted(found, key=order)]

    def _pack(self, caps: list[tuple[str, str]]) -> tuple[str, list[str]]:
        """The host array of the captured values and then of the kernel's tables (its name and declaration)."""
        r = f"r{self.launches}"
        items = [name if ctype == "double" else f"static_cast<double>({name})" for name, ctype in caps]
        items += [x for _, table in self._host_tables.values() for x in table]
        if not items:
            return r, [f"const double* {r} = nullptr;"]
        return r, [f"const double {r}[] = {{{', '.join(items)}}};"]

    def _packed(self, caps: list[tuple[str, str]]) -> int:
        """The number of values in the array :meth:`_pack` declares."""
        return len(caps) + sum(len(table) for _, table in self._host_tables.values())

    def _prologue(self, caps: list[tuple[str, str]], params: str, loop: list[str]) -> list[str]:
        """The kernel's first lines: the captured values from ``r``, its tables (pointers into ``r``), the event
        columns the loop reads."""
        args = re.findall(r"(\w+)(?=,|$)", params)
        lines = [" ".join(f"(void){a};" for a in args)]
        for k, (name, ctype) in enumerate(caps):
            lines.append(f"const double {name} = r[{k}];" if ctype == "double" else
                         f"const bool {name} = r[{k}] != 0.0;")
        at = len(caps)
        for name, table in self._host_tables.values():
            lines.append(f"const double* {name} = r + {at};")
            at += len(table)
        code = "\n".join(loop)
        for k in range(self.observables):
            if f"x{k}[" in code:
                lines.append(f"const double* x{k} = x + {k} * n;" if k else "const double* x0 = x;")
        return lines

    def _kernel(self, params: str, prologue: list[str], body: list[str]) -> str:
        name = f"k_{self.label}_{self.launches}"
        head = f"__global__ void __launch_bounds__(fc_cuda::block) {name}({params}) {{"
        self.kernels.append("\n".join([head, *("    " + ln for ln in [*prologue, *body]), "}"]))
        return name

    # -- emission ---------------------------------------------------------------------------------------
    def _loop(self, group: list[Node], scope: Scope) -> list[str]:
        if scope is not self.root or group[0].op != "datasum":
            return super()._loop(group, scope)
        inner = self.child(group[0], scope)
        events = group[0].attr("dataset") == EVENTS
        bodies = [d.args[0] for d in group]
        self._host_tables = {}
        accs = []
        for _ in group:
            self._sums += 1
            accs.append((f"s{self._sums}", f"c{self._sums}"))
        loop = [f"double {', '.join(f'{s} = 0.0, {c} = 0.0' for s, c in accs)};",
                "for (std::size_t i1 = fc_cuda::first(); i1 < n; i1 += fc_cuda::stride()) {"]
        body = self.block(bodies, inner)
        for d, (s, c) in zip(group, accs, strict=True):
            v = self.ref(d.args[0], inner)
            term = f"({inner.weights} ? {inner.weights}[i1] * {v} : {v})" if inner.weights else v
            term = f"{inner.weights}[i1] * {v}" if inner.always_weighted else term
            body.append(f"fc_accumulate({s}, {c}, {term});")
        loop += ["    " + b for b in body] + ["}"]
        loop += [f"fc_cuda::block_sum({s}, {c}, partial + {j} * gridDim.x + blockIdx.x);"
                 for j, (s, c) in enumerate(accs)]
        self._forget(scope.depth)
        caps = self._used(self.captures(bodies, inner), loop)
        r, pack = self._pack(caps)
        t = f"t{self.launches}"
        kernel = self._kernel(SUM_PARAMS, self._prologue(caps, SUM_PARAMS, loop), loop)
        xw = "x, w" if events else "nullptr, nullptr"
        lines = [*pack, f"double {t}[{len(group)}];",
                 f"fc_cuda::sums(ws, {kernel}, pd, {r}, {self._packed(caps)}, {xw}, {inner.count}, {t}, {len(group)});"]
        for j, d in enumerate(group):
            name = self._new()
            lines.append(f"const double {name} = {t}[{j}];")
            self._remember(scope, d, name)
        return lines

    def point_kernel(self, root: Node, points: Scope) -> list[str]:
        """The kernel computing ``root`` at each point of ``points`` (its host values already emitted), and the
        host lines that launch it (``out`` in device memory: n values, or 2n interleaved when complex).

        Example:
            >>> from firmc.ir import obs
            >>> f = CudaFunction({}, label="value", observables=1)
            >>> f.point_kernel(obs("x") * obs("x"), f.points({"x": "x0[i1]"}, "n"))
            ['const double* r0 = nullptr;', 'fc_cuda::points(ws, k_value_0, pd, r0, 0, x, n, out);']
            >>> "out[i1] = v0;" in f.kernels[0]
            True
        """
        self._host_tables = {}
        inner = self.block([root], points)
        if root.type.dtype is DType.COMPLEX:
            re_, im = self.pairs[(id(self.home(root, points)), root)]
            inner += [f"out[2 * i1] = {re_};", f"out[2 * i1 + 1] = {im};"]
        else:
            inner.append(f"out[i1] = {self.ref(root, points)};")
        loop = ["for (std::size_t i1 = fc_cuda::first(); i1 < n; i1 += fc_cuda::stride()) {",
                *("    " + ln for ln in inner), "}"]
        caps = self._used(self.captures([root], points), loop)
        r, pack = self._pack(caps)
        kernel = self._kernel(POINT_PARAMS, self._prologue(caps, POINT_PARAMS, loop), loop)
        return [*pack, f"fc_cuda::points(ws, {kernel}, pd, {r}, {self._packed(caps)}, x, n, out);"]

    # -- choose: tables (csource/tables.py) -----------------------------------------------------------------
    def table_name(self, name: str, scope: Scope) -> str:
        """A constant table's device copy in a kernel.

        Example:
            >>> f = CudaFunction({})
            >>> f.table_name("T0", f.root), f.table_name("T0", f.points({}, "n"))
            ('T0', 'dT0')
        """
        return device_name(name) if self.on_device(scope) else name

    def invariant_table(self, n: Node, h: Scope, scope: Scope, at: str) -> str:
        """A table of host values read in a kernel: packed after the captured values into the kernel's array
        ``r`` (a pointer into it in the kernel); otherwise as in C.

        Example:
            >>> from firmc.ir import apply, obs, param
            >>> f = CudaFunction({"a": "p[0]", "b": "p[1]"})
            >>> points = f.points({"k": "x0[i1]"}, "n")
            >>> f.invariant_table(apply("choose", obs("k"), param("a"), param("b")), f.root, points, "j")
            'tab0[j]'
        """
        if h is not self.root or not self.on_device(scope):
            return super().invariant_table(n, h, scope, at)
        values = n.args[1:]
        if values not in self._host_tables:
            items = [self.ref(v, h) for v in values]
            items = [x if v.type.dtype is not DType.BOOL else f"static_cast<double>({x})"
                     for v, x in zip(values, items, strict=True)]
            self._host_tables[values] = (f"tab{self._ntables}", items)
            self._ntables += 1
        name = self._host_tables[values][0]
        return f"({name}[{at}] != 0.0)" if n.type.dtype is DType.BOOL else f"{name}[{at}]"

    @staticmethod
    def _used(caps: list[tuple[str, str]], loop: list[str]) -> list[tuple[str, str]]:
        """The captured values the kernel's code reads (a value read only through a table is not one)."""
        code = "\n".join(loop)
        return [(name, ctype) for name, ctype in caps if re.search(rf"\b{name}\b", code)]
