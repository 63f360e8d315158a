# Which links accept NumPy integer sizes (e.g. n_class = t.max() + 1)?
import numpy as np
import chainer
import chainer.links as L

n = np.int32(9) + 1  # numpy.int32
m = np.int64(4)
cases = {
    'Linear(4, n)': lambda: L.Linear(4, n),
    'Linear(m, 4)': lambda: L.Linear(m, 4),
    'Linear(n) lazy': lambda: L.Linear(n)(np.ones((2, 3), np.float32)),
    'EmbedID(n, 4)': lambda: L.EmbedID(n, 4),
    'LSTM(m, n)': lambda: L.LSTM(m, n),
    'Convolution2D(1, m, 3)': lambda: L.Convolution2D(1, m, 3),
    'BatchNormalization(m)': lambda: L.BatchNormalization(m),
    'NStepLSTM(1, m, m, 0.0)': lambda: L.NStepLSTM(1, m, m, 0.0),
    'Parameter(init, m)': lambda: chainer.Parameter(chainer.initializers.Zero(), m),
}
for k, f in cases.items():
    try:
        f()
        print('%-26s ok' % k)
    except Exception as e:
        print('%-26s FAIL %s: %s' % (k, type(e).__name__, e))
