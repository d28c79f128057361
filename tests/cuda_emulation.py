"""A host emulation of the CUDA runtime subset the generated .cu files use (tests/test_cuda.py, tests/test_names.py):
no GPU here, so the host code and the kernels are compiled by g++ against it and run on the CPU. A block's threads
are host threads, blocks run one after another, ``__syncthreads`` is a barrier, device memory is host memory."""

from __future__ import annotations

import ctypes
import hashlib
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from firmc.backends import Artifact, Evaluator
from firmc.backends.cuda import CudaRunner
from firmc.backends.naming import file_stem

EMULATION = """\
// The CUDA runtime subset generated .cu files use, emulated on the host: a block's threads are host threads,
// blocks run one after another, __syncthreads is a barrier, device memory is host memory.
#pragma once
#include <barrier>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#define __global__
#define __launch_bounds__(threads)
#define __device__
#define __host__
#define __constant__
#define __shared__ static
struct fc_emu_dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local fc_emu_dim3 threadIdx, blockIdx;
inline fc_emu_dim3 blockDim, gridDim;
inline std::barrier<>* fc_emu_barrier = nullptr;
inline void __syncthreads() { fc_emu_barrier->arrive_and_wait(); }
using cudaError_t = int;
constexpr cudaError_t cudaSuccess = 0;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };
inline cudaError_t cudaMalloc(void** p, std::size_t n) { *p = std::malloc(n); return *p != nullptr ? 0 : 2; }
inline cudaError_t cudaFree(void* p) { std::free(p); return 0; }
inline cudaError_t cudaMemcpy(void* d, const void* s, std::size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return 0; }
inline cudaError_t cudaGetLastError() { return 0; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated CUDA error"; }
inline cudaError_t cudaGetDeviceCount(int* k) { *k = 1; return 0; }
template <class K, class... A>
void fc_emu_launch(K kernel, unsigned blocks, unsigned threads, A... args) {
    gridDim.x = blocks;
    blockDim.x = threads;
    for (unsigned b = 0; b < blocks; ++b) {
        std::barrier<> bar(threads);
        fc_emu_barrier = &bar;
        std::vector<std::thread> team;
        for (unsigned t = 0; t < threads; ++t) {
            team.emplace_back([&, b, t] { blockIdx.x = b; threadIdx.x = t; kernel(args...); });
        }
        for (auto& th : team) {
            th.join();
        }
    }
}
"""


def build_emulated(text: str, directory: Path, defines: Sequence[str] = ()) -> Path:
    """Compile a .cu text as host C++ against the emulation (launches rewritten as calls) into ``directory``; the
    library is named by its content (dlopen returns the library first loaded from a path, whatever it holds now)."""
    header = directory / "cuda_runtime.h"
    if not header.exists():
        header.write_text(EMULATION, encoding="utf-8")
    host = re.sub(r"(\w+)<<<([^,]+), ([^>]+)>>>\(", r"fc_emu_launch(\1, \2, \3, ", text)
    digest = hashlib.sha256((host + " ".join(defines)).encode()).hexdigest()[:16]
    lib = directory / f"{digest}.so"
    if not lib.exists():
        (directory / f"{digest}.cpp").write_text(host, encoding="utf-8")
        cmd = ["g++", "-std=c++20", "-O1", "-pthread", "-shared", "-fPIC", "-fvisibility=hidden", "-DFIRMC_C_API",
               *defines, f"-I{directory}", str(directory / f"{digest}.cpp"), "-o", str(lib)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr[-4000:]
    return lib


def load_emulated(artifact: Artifact, directory: Path, defines: Sequence[str] = ()) -> Evaluator:
    """What ``firmc.backends.cuda.BACKEND.load`` does on a GPU, in the emulation."""
    assert artifact.program is not None
    text = next(iter(artifact.files.values()))  # the .cu (the .ptx follows it)
    lib = ctypes.CDLL(str(build_emulated(text, directory, defines)))
    return CudaRunner(lib, "firmc_" + file_stem(artifact.program.name), artifact.program)
