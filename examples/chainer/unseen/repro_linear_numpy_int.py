# Minimal reproduction: L.Linear with a NumPy integer size (as in Chainer's
# own PTB example: n_vocab = max(train) + 1, train being an int32 array).
import numpy as np
import chainer.links as L

n_vocab = np.int32(9) + 1          # numpy.int32, like max(train) + 1
l = L.Linear(4, n_vocab)           # real Chainer: fine; shinsou: TypeError
print('Linear ok', l.W.shape, l.b.shape)
e = L.EmbedID(n_vocab, 4)
print('EmbedID ok', e.W.shape)
