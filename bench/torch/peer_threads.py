"""Thread count for the torch peers, sized as our engine sizes it (setNumThreads in native/torch).

torch.set_num_threads sizes the intra-op pool only. The BLAS under Debian's torch, OpenBLAS, keeps a pool of its
own (all cores by default), so a "1 thread" run would still spread every matrix product over two cores. Both sides
size both pools, so that equal thread counts mean equal cores.
"""
import ctypes

import torch


def set_threads(n):
    torch.set_num_threads(n)
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass  # not OpenBLAS: nothing else to size
