"""The perceptron (AND, OR learned; XOR not) and an MLP solving XOR by backpropagation."""

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


@pytest.mark.parametrize(
    "gate,d", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0])]
)
def test_perceptron_learns_linearly_separable_gates(gate, d):
    p = ss.models.Perceptron(2)
    assert p.fit(X, d) is True
    np.testing.assert_array_equal(p.predict(X).numpy(), d)
    assert p.history[-1] == 0
    # the learned line separates: w·x + b > 0 exactly for the positives
    s = X @ p.weight.numpy() + p.bias.item()
    assert ((s > 0) == np.array(d, bool)).all()


def test_perceptron_fails_on_xor_and_says_so():
    p = ss.models.Perceptron(2)
    with pytest.warns(ss.models.NotConvergedWarning, match="not linearly separable"):
        ok = p.fit(X, [0, 1, 1, 0], max_epochs=30)
    assert ok is False
    assert len(p.history) == 30 and min(p.history) > 0
    assert (p.predict(X).numpy() != [0, 1, 1, 0]).any()


def test_perceptron_rule_is_rosenblatts():
    # one mistake on x = (1, 1) with target 1 from zero weights: w += x, b += 1
    p = ss.models.Perceptron(2)
    assert p.fit(np.array([[1.0, 1.0]]), [1], max_epochs=2)
    np.testing.assert_array_equal(p.weight.numpy(), [1.0, 1.0])
    assert p.bias.item() == 1.0


def test_perceptron_bad_input():
    p = ss.models.Perceptron(3)
    with pytest.raises(ValueError, match=r"Perceptron\(3\) expected input \(N, 3\), got \(4, 2\)"):
        p.predict(X)
    with pytest.raises(ValueError, match=r"targets d in \{0, 1\}"):
        ss.models.Perceptron(2).fit(X, [0, 2, 1, 0])


def test_step_passes_no_gradient():
    x = ss.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    F.step(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_mlp_solves_xor_by_backprop():
    ss.manual_seed(0)
    net = ss.models.MLP((2, 4, 1), activation="tanh")
    opt = ss.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
    x, d = ss.tensor(X), ss.tensor([[0.0], [1.0], [1.0], [0.0]])
    for _ in range(500):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(net(x), d)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    with ss.no_grad():
        pred = (net(x).numpy()[:, 0] > 0).astype(int)
    np.testing.assert_array_equal(pred, [0, 1, 1, 0])


def test_mlp_structure_and_errors():
    m = ss.models.MLP((784, 100, 10), dropout=0.2)
    assert [type(layer).__name__ for layer in m] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert m.num_parameters() == 784 * 100 + 100 + 100 * 10 + 10
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        ss.models.MLP((2, 2), activation="swish")
