"""A float64 erf for test references that needs neither SciPy nor PyTorch."""

import math

import numpy as np

np_erf = np.vectorize(math.erf, otypes=[np.float64])
