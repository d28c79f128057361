"""The text of the generated CUDA file (``<entry>.cu``): the cpp header's metadata, constants and runtime, the
kernels of :mod:`.kernels`, the host functions that launch them, and the C ABI.

Surface (namespace ``firmc_<entry>``, as in :mod:`firmc.backends.cpp.header`): ``pdf``/``logpdf``/``value``,
``expected``, ``nll``, ``nll_grad``, ``nll_hessian`` with the cpp signatures, on host memory (they copy the events
to the device, launch, and copy the results back); and ``<function>_device`` with the events in device memory --
``x`` one array of ``n_observables * n`` doubles, column ``k`` at ``x + k * n``, ``w`` (weights, or null) and
``out`` on the device too, the parameters ``p`` and the gradient/Hessian on the host. Quadrature rules are
``__constant__`` arrays (``dQ...``; host copies ``Q...`` for the parameter-only integrals the host computes),
embedded data sets ``__device__`` arrays (``dD...``). With ``FIRMC_C_API`` defined, ``extern "C"`` wrappers
``firmc_<entry>_<function>`` (each holding the program's lock), ``firmc_<entry>_device_count()`` and
``firmc_<entry>_last_error()`` (the first CUDA error since the last call, or null).

Example:
    >>> from firmc.ir import obs, param
    >>> from firmc.backends import Program, Parameter
    >>> text = cuda_text(Program("f", {"value": obs("x", 0.0, 1.0) * param("a")}, ("x",), ("a",),
    ...                  defaults={"a": Parameter("a", 2.0)}))
    >>> "k_value_0(const double* p, const double* r, const double* x, std::size_t n, double* out) {" in text
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ...ir import Node
from ...ir.types import DType
from .. import EVENTS, Program
from ..cpp.header import (
    ACCUMULATE,
    SIGNATURES,
    HeaderWriter,
    c_api_text,
    c_array,
    metadata,
    runtime_text,
    write_functions,
)
from ..csource.dialects import CUDA
from ..csource.tables import CTables
from ..naming import comment_lines, file_stem
from ..schedule import post_order
from .kernels import CudaFunction, device_name
from .prelude import PRELUDE

CONSTANT_BYTES = 32768  # rules beyond this (of the 64 KiB of constant memory) go to global memory
ARCH = "sm_80"  # the architecture of the build line in the file's header comment


class CudaWriter(HeaderWriter):
    """Collects the constants, kernels and host functions of one ``.cu`` file.

    Example:
        >>> CudaWriter.scalar.__name__
        'scalar'
    """

    def __init__(self, program: Program) -> None:
        self._constant_bytes = 0
        super().__init__(program)

    def constant(self, name: str, values: np.ndarray, data: bool) -> str:
        """A data set's arrays live on the device; a rule's on both sides (``__constant__`` while it fits).

        Example:
            >>> from firmc.ir import param
            >>> w = CudaWriter(Program("f", {"value": param("a")}, (), ("a",)))
            >>> w.constant("Q0_w", np.array([0.5, 0.5]), data=False), len(w.consts)
            ('Q0_w', 2)
            >>> w.consts[1].splitlines()[0]
            '__constant__ const double dQ0_w[] = {'
        """
        if data:
            self.consts.append(c_array(device_name(name), values, "__device__ const double", CUDA))
            return device_name(name)
        self._constant_bytes += 8 * int(np.size(values))
        space = "__constant__" if self._constant_bytes <= CONSTANT_BYTES else "__device__"
        self.consts += [c_array(name, values), c_array(device_name(name), values, f"{space} const double", CUDA)]
        return name

    def _cuda(self, events: bool, label: str) -> CudaFunction:
        sets = dict(self.datasets)
        obs = self.program.observables
        if events:
            sets[EVENTS] = ({o: f"x{k}[i]" for k, o in enumerate(obs)}, "w", "n")
        return CudaFunction(self.params, sets, self.rules, label, len(obs), self.tables)

    def _host(self, f: CudaFunction, head: str, body: list[str], tail: list[str]) -> None:
        """A host function (after the kernels it launches), with its workspace when it launches any."""
        self.functions += f.kernels
        if f.launches:
            body = ["fc_cuda::Workspace& ws = workspace();",
                    "const double* pd = fc_cuda::upload(ws.p, p, n_parameters);", *body]
        self._add(f, head, body, tail)

    def per_point(self, name: str, root: Node, doc: str) -> None:
        """``name_device(p, x, n, out)``: ``root`` at n points by one kernel; ``name`` on host memory.

        Example:
            >>> from firmc.ir import obs
            >>> w = CudaWriter(Program("f", {"value": obs("x")}, ("x",), ()))
            >>> w.per_point("value", obs("x"), "x itself")
            >>> [f.split("(const double* p")[0].split()[-1] for f in w.functions]
            ['k_value_0', 'value_device', 'value']
        """
        f = self._cuda(False, name)
        points = f.points({o: f"x{k}[i1]" for k, o in enumerate(self.program.observables)}, "n")
        body = f.block(sorted(f.reads([root], points, f.root), key=post_order([root])))
        body += f.point_kernel(root, points)
        self.names.append(name)
        self._host(f, f"/// {doc}; x and out in device memory\ninline void {name}_device(const double* p, "
                      "const double* x, std::size_t n, double* out) {", body, [])
        m = "2 * n" if root.type.dtype is DType.COMPLEX else "n"
        self.functions.append("\n".join([
            f"/// {doc}\ninline void {name}(const double* p, const double* const* x, std::size_t n, double* out) {{",
            "    fc_cuda::Workspace& ws = workspace();",
            "    const double* xd = fc_cuda::upload_columns(ws.x, x, n_observables, n);",
            f"    double* od = fc_cuda::reserve(ws.out, {m});",
            "    if (xd != nullptr && od != nullptr) {", f"        {name}_device(p, xd, n, od);", "    }",
            f"    fc_cuda::download(out, od, {m});", "}"]))

    def scalar(self, name: str, roots: Sequence[Node], doc: str, signature: str, writes: Sequence[str]) -> None:
        """As in C++; with events, ``name_device`` on device memory and ``name`` copying the events there.

        Example:
            >>> from firmc.ir import param
            >>> w = CudaWriter(Program("f", {"value": param("a")}, (), ("a",)))
            >>> w.scalar("expected", [param("a")], "a", "double expected(const double* p)", [])
            >>> print(w.functions[0])
            /// a
            inline double expected(const double* p) {
                (void)p;
                return p[0];
            }
        """
        events = "const double* w" in signature
        f = self._cuda(events, name)
        body = f.block(list(roots))
        refs = [f.ref(r, f.root) for r in roots]
        tail = [f"{w} = {r};" for w, r in zip(writes, refs[1:], strict=True)]
        ret = [f"return {refs[0]};"] if writes or signature.startswith("double") else []
        self.names.append(name)
        if not events:
            self._host(f, f"/// {doc}\ninline {signature} {{", body + tail, ret)
            return
        device = signature.replace("const double* const* x", "const double* x").replace(f" {name}(", f" {name}_device(")
        self._host(f, f"/// {doc}; x and w in device memory\ninline {device} {{", body + tail, ret)
        args = re.findall(r"(\w+)(?=,|\)$)", signature)
        call = ", ".join({"x": "xd", "w": "wd"}.get(a, a) for a in args)
        self.functions.append("\n".join([
            f"/// {doc}\ninline {signature} {{", "    fc_cuda::Workspace& ws = workspace();",
            "    const double* xd = fc_cuda::upload_columns(ws.x, x, n_observables, n);",
            "    const double* wd = w != nullptr ? fc_cuda::upload(ws.w, w, n) : nullptr;",
            f"    return {name}_device({call});", "}"]))


def cuda_text(program: Program) -> str:
    """The whole ``.cu`` file for ``program`` (deterministic).

    Example:
        >>> cuda_text.__name__
        'cuda_text'
    """
    w = CudaWriter(program)
    free, _ = write_functions(w)
    stem = file_stem(program.name)
    ns = "firmc_" + stem
    header = comment_lines(program.header, "//")
    includes = "".join(f"#include <{h}>\n" for h in ("cuda_runtime.h", "cmath", "cstddef", "cstdint", "limits",
                                                    "mutex", "vector"))
    workspace = ("/// This program's device buffers (kept between calls).\ninline fc_cuda::Workspace& workspace() {\n"
                 "    static fc_cuda::Workspace ws;\n    return ws;\n}")
    return (f"{header}// CUDA C++17, self-contained (no firmc, no ROOT): nvcc -std=c++17 -O2 -arch={ARCH} -c {stem}.cu;"
            f" -DFIRMC_C_API adds a C ABI.\n{includes}\n"
            f"#ifndef FIRMC_FN\n#define FIRMC_FN __host__ __device__ inline\n#endif\n\n{runtime_text(w.used)}\n\n"
            f"{ACCUMULATE}\n\n{PRELUDE}\n\nnamespace {ns} {{\n\n" + "\n".join(metadata(program, free)) + "\n\n"
            + "\n\n".join([*_used([*w.consts, *_tables(w.tables)], w.functions), workspace, *w.functions])
            + f"\n\n}}  // namespace {ns}\n"
            + _c_api(ns, w.names))


def _tables(tables: CTables) -> list[str]:
    """choose's constant tables, on the host and on the device (global memory: constant memory serialises reads
    of different addresses by the threads of a warp)."""
    host = tables.declarations("inline constexpr")
    device = tables.declarations("__device__ const", CUDA, "d")
    return [x for pair in zip(host, device, strict=True) for x in pair]


def _used(consts: list[str], functions: list[str]) -> list[str]:
    """The declarations of the arrays the code reads (a rule used on one side only has no copy on the other)."""
    code = "\n".join(functions)
    names = [re.search(r"^(?!//).*?\b(\w+)\[\] = \{", c, re.MULTILINE) for c in consts]  # not in a comment line
    return [c for c, m in zip(consts, names, strict=True) if m is None or re.search(rf"\b{m.group(1)}\b", code)]


def _c_api(ns: str, names: list[str]) -> str:
    functions = []
    for name in names:
        functions.append((name, *SIGNATURES[name]))
    for name in names:
        ret, sig, call = SIGNATURES[name]
        if "const double* const* x" in sig:
            functions.append((f"{name}_device", ret, sig.replace("const double* const* x", "const double* x"), call))
    hold = f"std::lock_guard<std::mutex> hold({ns}::workspace().lock); "
    extra = [f"FIRMC_EXPORT int {ns}_device_count() {{ int k = 0; return cudaGetDeviceCount(&k) == cudaSuccess ? k "
             ": 0; }",
             f"FIRMC_EXPORT const char* {ns}_last_error() {{ {hold}const cudaError_t e = fc_cuda::error(); "
             "fc_cuda::error() = cudaSuccess; return e == cudaSuccess ? nullptr : cudaGetErrorString(e); }"]
    return c_api_text(ns, functions, hold, extra)
