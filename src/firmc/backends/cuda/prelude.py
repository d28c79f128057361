"""The CUDA helpers every generated ``.cu`` file carries (namespace ``fc_cuda``, guarded so that two generated
files can share a translation unit): device buffers kept between calls, the launch of a per-point kernel, and the
sums of a reduction kernel -- each thread sums its items of a grid-stride loop with Neumaier compensation, each
block reduces its threads' sums by a fixed tree in shared memory (double precision), and the host adds the
per-block partial sums in block order, compensated. The grid depends on the number of items only, so the same
call gives the same bits on any device, run after run.

Errors of the CUDA runtime are not thrown: the first one is kept (``fc_cuda::error()``), results are NaN, and the
C ABI's ``firmc_<entry>_last_error()`` returns its message and clears it.

Example:
    >>> "__device__ inline void block_sum(" in PRELUDE
    True
"""

from __future__ import annotations

BLOCK = 256  # threads per block (a power of two: the tree reduction halves it)
MAX_BLOCKS = 1024  # the most blocks of a launch (-DFIRMC_CUDA_MAX_BLOCKS=...); a grid-stride loop covers the rest

PRELUDE = f"""\
#ifndef FIRMC_CUDA_RUNTIME
#define FIRMC_CUDA_RUNTIME
// firmc CUDA helpers: device buffers, launches, deterministic double-precision sums
#ifndef FIRMC_CUDA_MAX_BLOCKS
#define FIRMC_CUDA_MAX_BLOCKS {MAX_BLOCKS}  // the most blocks of a launch (the grid, hence the sums, depend on it)
#endif

namespace fc_cuda {{

constexpr unsigned block = {BLOCK};  // threads per block: a power of two (the reduction halves it)
constexpr unsigned max_blocks = FIRMC_CUDA_MAX_BLOCKS;  // a grid-stride loop covers the rest

/// The grid of a launch over n items: fixed by n alone, so that sums are the same on every device.
inline unsigned blocks(std::size_t n) {{
    const std::size_t b = (n + block - 1) / block;
    return b == 0 ? 1u : (b < max_blocks ? static_cast<unsigned>(b) : max_blocks);
}}

/// This thread's first item, and the grid's stride, of a grid-stride loop.
__device__ inline std::size_t first() {{ return static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }}
__device__ inline std::size_t stride() {{ return static_cast<std::size_t>(blockDim.x) * gridDim.x; }}

/// The block's total of its threads' compensated sums (s, c), by a fixed tree; thread 0 writes it to *out.
__device__ inline void block_sum(double s, double c, double* out) {{
    __shared__ double ss[block];
    __shared__ double cs[block];
    const unsigned t = threadIdx.x;
    __syncthreads();  // a previous reduction of this kernel has read its result
    ss[t] = s;
    cs[t] = c;
    __syncthreads();
    for (unsigned k = block / 2; k > 0; k >>= 1) {{
        if (t < k) {{
            double a = ss[t];
            double e = cs[t] + cs[t + k];
            fc_accumulate(a, e, ss[t + k]);
            ss[t] = a;
            cs[t] = e;
        }}
        __syncthreads();
    }}
    if (t == 0) {{
        *out = ss[0] + cs[0];
    }}
}}

/// The first CUDA error since it was last cleared (cudaSuccess: none).
inline cudaError_t& error() {{
    static cudaError_t e = cudaSuccess;
    return e;
}}

/// Keep e if it is the first error; true when no error has happened.
inline bool ok(cudaError_t e) {{
    if (e != cudaSuccess && error() == cudaSuccess) {{
        error() = e;
    }}
    return error() == cudaSuccess;
}}

/// Device memory kept between calls (grown when too small; never freed: it lives as long as the process).
struct Buffer {{
    double* ptr = nullptr;
    std::size_t size = 0;
}};

/// A program's buffers; the C ABI holds the lock during a call.
struct Workspace {{
    Buffer x, w, out, p, r, partial;
    std::vector<double> host;
    std::mutex lock;
}};

/// Device storage for at least n doubles; nullptr after an error.
inline double* reserve(Buffer& b, std::size_t n) {{
    n = n == 0 ? 1 : n;
    if (!ok(cudaSuccess)) {{
        return nullptr;
    }}
    if (b.size < n) {{
        if (b.ptr != nullptr) {{
            ok(cudaFree(b.ptr));
        }}
        b.ptr = nullptr;
        b.size = 0;
        void* q = nullptr;
        if (!ok(cudaMalloc(&q, n * sizeof(double)))) {{
            return nullptr;
        }}
        b.ptr = static_cast<double*>(q);
        b.size = n;
    }}
    return b.ptr;
}}

/// n doubles from the host, copied into b; nullptr after an error.
inline double* upload(Buffer& b, const double* src, std::size_t n) {{
    double* d = reserve(b, n);
    if (d != nullptr && n > 0 && !ok(cudaMemcpy(d, src, n * sizeof(double), cudaMemcpyHostToDevice))) {{
        return nullptr;
    }}
    return d;
}}

/// The k host columns x[j] of n events, one after another in b (column j at offset j * n); nullptr after an error.
inline double* upload_columns(Buffer& b, const double* const* x, std::size_t k, std::size_t n) {{
    double* d = reserve(b, k * n);
    for (std::size_t j = 0; d != nullptr && n > 0 && j < k; ++j) {{
        if (!ok(cudaMemcpy(d + j * n, x[j], n * sizeof(double), cudaMemcpyHostToDevice))) {{
            return nullptr;
        }}
    }}
    return d;
}}

/// n doubles from the device to dst; NaN after an error.
inline void download(double* dst, const double* src, std::size_t n) {{
    if (n == 0) {{
        return;
    }}
    if (src == nullptr || !ok(cudaMemcpy(dst, src, n * sizeof(double), cudaMemcpyDeviceToHost))) {{
        for (std::size_t i = 0; i < n; ++i) {{
            dst[i] = static_cast<double>(NAN);
        }}
    }}
}}

/// A kernel of per-point values: (parameters, root values, columns, n, out), all in device memory.
using PointKernel = void (*)(const double*, const double*, const double*, std::size_t, double*);
/// A kernel of k sums: (parameters, root values, columns, weights, n, per-block partial sums [k][blocks]).
using SumKernel = void (*)(const double*, const double*, const double*, const double*, std::size_t, double*);

/// Launch a per-point kernel over n points (host values r[0..nr) copied to the device first).
inline void points(Workspace& ws, PointKernel kernel, const double* p, const double* r, std::size_t nr,
                   const double* x, std::size_t n, double* out) {{
    const double* rd = upload(ws.r, r, nr);
    if (n == 0 || p == nullptr || rd == nullptr || out == nullptr) {{
        return;
    }}
    kernel<<<blocks(n), block>>>(p, rd, x, n, out);
    ok(cudaGetLastError());
}}

/// The k sums of a reduction kernel over count items into out[0..k): per-block partial sums on the device, added
/// on the host in block order with Neumaier compensation (deterministic); NaN after an error.
inline void sums(Workspace& ws, SumKernel kernel, const double* p, const double* r, std::size_t nr, const double* x,
                 const double* w, std::size_t count, double* out, std::size_t k) {{
    for (std::size_t j = 0; j < k; ++j) {{
        out[j] = static_cast<double>(NAN);
    }}
    const unsigned nb = blocks(count);
    const double* rd = upload(ws.r, r, nr);
    double* part = reserve(ws.partial, static_cast<std::size_t>(nb) * k);
    if (p == nullptr || rd == nullptr || part == nullptr) {{
        return;
    }}
    kernel<<<nb, block>>>(p, rd, x, w, count, part);
    if (!ok(cudaGetLastError())) {{
        return;
    }}
    ws.host.resize(static_cast<std::size_t>(nb) * k);
    if (!ok(cudaMemcpy(ws.host.data(), part, ws.host.size() * sizeof(double), cudaMemcpyDeviceToHost))) {{
        return;
    }}
    for (std::size_t j = 0; j < k; ++j) {{
        double s = 0.0, c = 0.0;
        for (unsigned b = 0; b < nb; ++b) {{
            fc_accumulate(s, c, ws.host[j * nb + b]);
        }}
        out[j] = s + c;
    }}
}}

}}  // namespace fc_cuda
#endif  // FIRMC_CUDA_RUNTIME"""
