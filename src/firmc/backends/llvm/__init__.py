"""The ``llvm`` target: IR -> LLVM IR through llvmlite, JIT-compiled in process (under construction)."""
