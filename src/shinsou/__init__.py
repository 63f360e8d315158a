"""shinsou (深層, "deep layers"): deep learning from the perceptron to the Transformer,
on NumPy (CPU) and CuPy (GPU), with define-by-run autograd.

>>> import shinsou as ss
>>> x = ss.tensor([2.0], requires_grad=True)
>>> y = x ** 3
>>> y.backward()
>>> x.grad
tensor([12.])
"""

__version__ = "0.1.0"

import os as _os
import sys as _sys

# OpenBLAS's idle threads spin for ~0.1 s after every matrix product (its default), which
# takes the second core away from the copies and ufuncs that shinsou runs on two threads
# between products (``shinsou.backend.parallel``): ask them to sleep at once. This only
# takes effect when NumPy (and so OpenBLAS) is not loaded yet, as under ``shinsou train``,
# and never overrides a value the user set.
_numpy_first = "numpy" in _sys.modules
_timeout_given = "OPENBLAS_THREAD_TIMEOUT" in _os.environ
if not _numpy_first:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as _np

from .backend import memory as _memory  # noqa: F401  (tunes malloc: see its docstring)
from .backend import blas as _blas

# NumPy came first: OpenBLAS's threads will spin; see shinsou.backend.blas for what is done
_blas.configure(_numpy_first, _timeout_given)
from . import cuda  # noqa: F401
from .backend import Device  # noqa: F401
from .core import (  # noqa: F401
    Function,
    Tensor,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from . import functional  # noqa: F401  (also binds Tensor's operators)
from . import autograd  # noqa: F401
from .creation import (  # noqa: F401
    arange,
    eye,
    from_numpy,
    full,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    zeros,
    zeros_like,
)
from .functional import (  # noqa: F401
    concat,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    sqrt,
    stack,
    where,
)
from .functional import (  # noqa: F401,E402  (PyTorch habits: torch.max(x, 1), torch.sort, ...)
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    cat,
    kthvalue,
    max,
    mean,
    median,
    min,
    permute,
    return_types,
    sort,
    sum,
    topk,
    transpose,
)
from .random import manual_seed  # noqa: F401
from . import models, nn, optim  # noqa: F401,E402
from .serialization import load, save  # noqa: F401,E402
from . import data, datasets, training, viz  # noqa: F401,E402

# indexing, scatter and shape primitives (issue 11, part 3)
from .functional import (  # noqa: F401,E402
    argwhere,
    chunk,
    flip,
    gather,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    roll,
    scatter,
    scatter_add,
    split,
    tile,
    unbind,
)

# math, linear-algebra and creation primitives (prims-math)
from .functional import (  # noqa: F401,E402
    acos,
    asin,
    atan,
    atan2,
    bmm,
    ceil,
    cos,
    cosh,
    cosine_similarity,
    cumprod,
    cumsum,
    einsum,
    expm1,
    floor,
    floor_divide,
    isfinite,
    isinf,
    isnan,
    log1p,
    log2,
    log10,
    norm,
    outer,
    prod,
    remainder,
    round,
    rsqrt,
    sin,
    sinh,
    square,
    tan,
    tril,
    triu,
    trunc,
)
from .creation import (  # noqa: F401,E402
    bernoulli,
    empty,
    empty_like,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    rand_like,
    randint_like,
    randn_like,
    randperm,
)

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
bool_ = _np.bool_

# issue 13: evaluation metrics (ROC/DET/PR, PCA)
from . import metrics  # noqa: F401,E402

# issue 19: weights for and from PyTorch and safetensors, without importing torch
from .serialization import load_safetensors, save_safetensors  # noqa: F401,E402
from .interop import load_torch, save_torch  # noqa: F401,E402

# issue 19: ONNX export (needs the onnx package only when called)
from . import onnx  # noqa: F401,E402

# issue 18: data-parallel training on MPI (mpi4py is imported only by distributed.init())
from . import distributed  # noqa: F401,E402
