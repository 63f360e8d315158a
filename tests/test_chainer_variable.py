"""shinsou.chainer's Variable, Parameter, grad, config and user functions: Chainer 7's
semantics (retain-grad rules, accumulation, unchain_backward, double backprop), checked
against values worked out by hand (and, where noted, observed under real Chainer 7.8.1)."""

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.functions as F


def _v(*values, dtype=np.float32):
    return chainer.Variable(np.array(values, dtype=dtype))


def test_backward_keeps_only_leaf_grads_like_chainer():
    # under Chainer 7.8.1: x.grad [8 16 24], h.grad None, y.grad None
    x = _v(1.0, 2.0, 3.0)
    h = x * 2
    y = F.sum(h * h)
    y.backward()
    np.testing.assert_array_equal(x.grad, [8.0, 16.0, 24.0])
    assert h.grad is None and y.grad is None
    assert isinstance(x.grad, np.ndarray) and x.grad.dtype == np.float32


def test_second_backward_accumulates_and_cleargrad_resets():
    x = _v(1.0, 2.0, 3.0)
    y = F.sum(x * x)
    y.backward()
    y.backward()  # Chainer keeps the graph: the gradient is added again
    np.testing.assert_array_equal(x.grad, [4.0, 8.0, 12.0])
    x.cleargrad()
    assert x.grad is None
    x.zerograd()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_retain_grad_keeps_intermediate_and_root_grads():
    # under Chainer 7.8.1: h2.grad [6 12 18], y2.grad 1.0
    x = _v(1.0, 2.0, 3.0)
    h = x * 3
    y = F.sum(h * h)
    y.backward(retain_grad=True)
    np.testing.assert_array_equal(h.grad, [6.0, 12.0, 18.0])
    assert float(y.grad) == 1.0


def test_backward_starts_from_a_set_grad():
    x = _v(1.0, 2.0)
    y = x * x
    y.grad = np.array([1.0, 10.0], dtype=np.float32)
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])
    with pytest.raises(ValueError, match="must be set"):
        (x * x).backward()


def test_variable_properties_and_data_alias():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    v = chainer.Variable(a, name="v")
    assert v.array is a and v.data is a  # shares, like Chainer
    assert v.shape == (2, 3) and v.ndim == 2 and v.size == 6 and v.dtype == np.float32
    assert v.xp is np and len(v) == 2 and v.label == "(2, 3), float32"
    assert v.T.shape == (3, 2) and v.reshape(3, 2).shape == (3, 2)
    assert v.requires_grad
    assert repr(chainer.Variable(np.zeros(2, np.float32))) == "variable([0., 0.])"
    assert repr(v).startswith("variable v(")
    v.array = np.ones((2, 3), np.float32)
    assert float(F.sum(v).item()) == 6.0
    with pytest.raises(NotImplementedError):
        bool(v == v)


def test_operators_and_getitem_gradients():
    x = _v(1.0, 2.0, 3.0)
    y = F.sum((2 - x) * x / 4 + x**2 - 1 / x + abs(-x) + x[1:] @ x[:2])
    y.backward()
    xs = np.array([1.0, 2.0, 3.0])
    # the dot product is a scalar added to all 3 elements: its gradient counts 3 times
    want = (2 - 2 * xs) / 4 + 2 * xs + 1 / xs**2 + 1 + 3 * np.array([2.0, 1 + 3, 2.0])
    np.testing.assert_allclose(x.grad, want, rtol=1e-6)


def test_integer_variables_do_not_require_grad_and_arrays_are_accepted():
    t = chainer.Variable(np.array([0, 1], dtype=np.int32))
    y = F.softmax_cross_entropy(np.zeros((2, 3), np.float32), t)
    assert y.shape == ()
    assert not y.creator  # nothing required a gradient


def test_unchain_backward_cuts_the_graph():
    x = _v(1.0, 2.0)
    h = x * 3
    y = F.sum(h * h)
    y.unchain_backward()
    assert y.creator is None
    z = F.sum(h * 2)
    z.backward()
    assert x.grad is None  # h was cut from x
    np.testing.assert_array_equal(h.grad, [2.0, 2.0])  # h is a leaf now, as in Chainer


def test_unchain_backward_stops_a_shared_graph_gan_style():
    # the DCGAN pattern: x_fake.unchain_backward() between the two losses
    z = _v(1.0, 2.0)
    w = _v(3.0, 4.0)
    x_fake = z * w
    y = x_fake * 2
    loss_gen = F.sum(y)
    loss_dis = F.sum(y * y)
    loss_gen.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    x_fake.unchain_backward()
    w.cleargrad()
    loss_dis.backward()
    assert w.grad is None  # stopped at x_fake
    np.testing.assert_array_equal(x_fake.grad, 8 * np.array([3.0, 8.0]))


def test_truncated_bptt_with_unchain():
    w = _v(0.5, 0.5)
    h = _v(1.0, 1.0)
    for _ in range(3):
        h = h * w
    loss = F.sum(h)
    loss.backward()
    np.testing.assert_allclose(w.grad, 3 * 0.25)
    loss.unchain_backward()
    w.cleargrad()
    h2 = h * w  # continue from the cut state
    F.sum(h2).backward()
    np.testing.assert_allclose(w.grad, [0.125, 0.125])


def test_chainer_grad_double_backprop():
    x = _v(1.0, 2.0)
    y = x * x * x
    (gx,) = chainer.grad(
        [y], [x], grad_outputs=[np.ones(2, np.float32)], enable_double_backprop=True
    )
    np.testing.assert_allclose(gx.array, [3.0, 12.0])
    assert x.grad is None
    (ggx,) = chainer.grad([F.sum(gx)], [x])
    np.testing.assert_allclose(ggx.array, [6.0, 12.0])
    unused = _v(1.0)
    assert chainer.grad([F.sum(x)], [unused]) == [None]


def test_backward_enable_double_backprop_gives_grad_var_with_graph():
    x = _v(2.0)
    y = F.sum(x**3)
    y.backward(enable_double_backprop=True)
    gx = x.grad_var
    np.testing.assert_allclose(gx.array, [12.0])
    x.cleargrad()
    F.sum(gx).backward()
    np.testing.assert_allclose(x.grad, [12.0])  # d(3x²)/dx = 6x


def test_parameter_lazy_initialize_and_initializer_forms():
    p = chainer.Parameter()
    assert p.array is None and p.grad is None
    p.initialize((2, 2))
    assert np.isnan(p.array).all()  # Chainer's NaN default
    q = chainer.Parameter(3.0, (2,))
    np.testing.assert_array_equal(q.array, [3.0, 3.0])
    a = np.ones(3, np.float32)
    assert chainer.Parameter(a).array is a
    assert chainer.Parameter(chainer.initializers.Zero(), 4).dtype == np.float32


def test_config_and_no_backprop_mode():
    import shinsou as ss

    assert chainer.config.train and chainer.config.enable_backprop
    with chainer.using_config("train", False):
        assert not chainer.config.train
    assert chainer.config.train
    x = _v(1.0)
    with chainer.no_backprop_mode():
        assert not ss.is_grad_enabled() and not chainer.config.enable_backprop
        y = x * 2
        with chainer.force_backprop_mode():
            z = x * 2
    assert ss.is_grad_enabled()
    assert y.creator is None and z.creator is not None
    with ss.no_grad():
        assert not chainer.config.enable_backprop
    assert not chainer.is_debug()
    chainer.set_debug(True)
    assert chainer.config.debug
    chainer.set_debug(False)
    with pytest.raises(AttributeError, match="chainer.global_config has no entry"):
        chainer.global_config.no_such_entry  # noqa: B018


def test_function_node_double_backprop_and_targets():
    class Cube(chainer.FunctionNode):
        def forward(self, inputs):
            self.retain_inputs((0,))
            return (inputs[0] ** 3,)

        def backward(self, indexes, grad_outputs):
            (x,) = self.get_retained_inputs()
            return (3 * x * x * grad_outputs[0],)

    x = _v(1.0, 2.0)
    (y,) = Cube().apply((x,))
    np.testing.assert_array_equal(y.array, [1.0, 8.0])
    (gx,) = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
    np.testing.assert_allclose(gx.array, [3.0, 12.0])
    (ggx,) = chainer.grad([F.sum(gx)], [x])
    np.testing.assert_allclose(ggx.array, [6.0, 12.0])


def test_function_node_retained_outputs_in_double_backprop():
    class Exp(chainer.FunctionNode):
        def forward(self, inputs):
            self.retain_outputs((0,))
            return (np.exp(inputs[0]),)

        def backward(self, indexes, grad_outputs):
            (y,) = self.get_retained_outputs()
            return (y * grad_outputs[0],)

    x = _v(0.5)
    (y,) = Exp().apply((x,))
    (gx,) = chainer.grad([F.sum(y)], [x], enable_double_backprop=True)
    (ggx,) = chainer.grad([F.sum(gx)], [x])
    np.testing.assert_allclose(ggx.array, [np.exp(0.5)], rtol=1e-6)


def test_old_style_function():
    class Mul(chainer.Function):
        def forward(self, inputs):
            a, b = inputs
            return (a * b,)

        def backward(self, inputs, grad_outputs):
            a, b = inputs
            (gy,) = grad_outputs
            return gy * b, gy * a

    a, b = _v(2.0), _v(5.0)
    y = Mul()(a, b)
    assert isinstance(y, chainer.Variable)
    y.backward()
    assert float(a.grad[0]) == 5.0 and float(b.grad[0]) == 2.0


def test_missing_names_say_so():
    with pytest.raises(AttributeError, match="does not provide chainer.no_such_thing yet"):
        chainer.no_such_thing  # noqa: B018
    with pytest.raises(AttributeError, match="does not provide chainer.functions.nope yet"):
        F.nope  # noqa: B018
    import shinsou.chainer.links as L

    with pytest.raises(AttributeError, match="chainer.links.Nope"):
        L.Nope  # noqa: B018


def test_as_variable_as_array():
    a = np.zeros(2, np.float32)
    v = chainer.as_variable(a)
    assert v.array is a and not v.requires_grad
    assert chainer.as_variable(v) is v
    assert chainer.as_array(v) is a and chainer.as_array(a) is a


def test_array_constants_take_the_variables_dtype():
    # under Chainer 7.8.1 every one of these is float32
    v = _v(1.0, 2.0)
    for y in (
        v * np.array(2.0),
        v / np.float64(2),
        v + np.ones(2),
        np.ones(2) + v,
        v ** np.array(2.0),
    ):
        assert isinstance(y, chainer.Variable) and y.dtype == np.float32
    np.testing.assert_array_equal((np.ones(2) - v).array, [0.0, -1.0])


def test_grad_with_default_ones_and_a_gradient_penalty():
    # WGAN-GP as Chainer code writes it: grad of a (N, 1) output with default ones
    w = _v(0.5, -1.0)
    x = chainer.Variable(np.array([[1.0, 2.0], [3.0, 1.0]], np.float32))
    y = F.matmul(x * x, F.reshape(w, (2, 1)))  # y_n = Σ_j w_j x_nj²
    (g,) = chainer.grad([y], [x], enable_double_backprop=True)
    np.testing.assert_allclose(g.array, 2 * x.array * w.array)
    penalty = F.sum(g * g)  # Σ 4 w_j² x_nj²
    penalty.backward()
    np.testing.assert_allclose(w.grad, 8 * w.array * (x.array**2).sum(0), rtol=1e-6)


def test_loss_scale_scales_gradients_and_is_remembered_by_the_leaves():
    w = chainer.Parameter(np.array([1.0, 2.0], np.float32))
    loss = F.sum(w * w)
    loss.backward(loss_scale=8.0)
    np.testing.assert_array_equal(w.grad, 8 * 2 * w.array)
    assert w._loss_scale == 8.0
    w.cleargrad()
    F.sum(w * 3).backward()
    assert w._loss_scale is None  # reset by a backward without loss_scale, as in Chainer
