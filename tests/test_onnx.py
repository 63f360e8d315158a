"""ONNX export: every layer kind and the models the MLP, CNN, autoencoder and RNN recipes build
(small and untrained) are written, pass onnx.checker, and give onnxruntime outputs equal to
shinsou's to 1e-5, at the example's batch size and at another one (the dynamic batch axis);
ops that cannot be exported are clear errors naming the op and the layer."""

import types

import numpy as np
import pytest

import shinsou as ss
from shinsou import nn

onnx = pytest.importorskip("onnx")  # the [onnx] extra; CI installs it with [test]
ort = pytest.importorskip("onnxruntime")


def _flat(out):
    if isinstance(out, tuple | list):
        return [t for o in out for t in _flat(o)]
    return [out]


def _run_both(model, *inputs, path=None, **kw):
    """Export ``model`` on ``inputs[0]``, then compare onnxruntime with shinsou on every
    input batch; returns the ModelProto."""
    proto = ss.onnx.export(model, inputs[0], path, **kw)
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for x in inputs:
        model.eval()
        with ss.no_grad():
            want = [t.numpy() for t in _flat(model(ss.tensor(x)))]
        got = sess.run(None, {name: x})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return proto


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _ops(proto):
    return [n.op_type for n in proto.graph.node]


def _randomise_bn(model, seed=0):
    """Running statistics away from (0, 1), so that using them (or not) shows."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.running_mean.array[...] = rng.standard_normal(m.running_mean.shape)
            m.running_var.array[...] = rng.uniform(0.5, 2.0, m.running_var.shape)
            if m.weight is not None:
                m.weight.array[...] = rng.uniform(0.5, 1.5, m.weight.shape)
                m.bias.array[...] = rng.standard_normal(m.bias.shape)


# ------------------------------------------------------------------------ layer kinds
ACTIVATIONS = [
    (nn.ReLU(), "Relu"),
    (nn.LeakyReLU(0.1), "LeakyRelu"),
    (nn.ELU(alpha=0.7), "Elu"),
    (nn.Tanh(), "Tanh"),
    (nn.Sigmoid(), "Sigmoid"),
    (nn.Softmax(dim=1), "Softmax"),
    (nn.LogSoftmax(dim=-1), "LogSoftmax"),
    (nn.Softplus(beta=2.0), "Softplus"),
]


@pytest.mark.parametrize("layer,op", ACTIVATIONS, ids=[op for _, op in ACTIVATIONS])
def test_activations(layer, op):
    proto = _run_both(layer, _x(2, 5), _x(4, 5, seed=1))
    assert op in _ops(proto)


def test_linear_on_matrices_and_on_sequences():
    assert _ops(_run_both(nn.Linear(5, 3), _x(2, 5), _x(3, 5))) == ["Gemm"]
    assert _ops(_run_both(nn.Linear(5, 3, bias=False), _x(2, 5))) == ["Gemm"]
    # (N, T, in): Wᵀ once, then a batched MatMul and the bias
    proto = _run_both(nn.Linear(5, 3), _x(2, 4, 5), _x(3, 4, 5))
    assert _ops(proto) == ["Transpose", "MatMul", "Add"]


@pytest.mark.parametrize(
    "kw",
    [
        dict(stride=1, padding=0),
        dict(stride=2, padding=1),
        dict(stride=(2, 1), padding=(0, 2), dilation=2),
        dict(stride=1, padding=1, groups=2),
        dict(stride=1, padding=1, bias=False),
    ],
)
def test_conv2d(kw):
    proto = _run_both(nn.Conv2d(4, 6, 3, **kw), _x(2, 4, 9, 8), _x(3, 4, 9, 8, seed=1))
    conv = proto.graph.node[0]
    assert conv.op_type == "Conv"
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in conv.attribute}
    assert attrs["group"] == kw.get("groups", 1)


@pytest.mark.parametrize(
    "kw",
    [
        dict(stride=1),
        dict(stride=2, padding=1, output_padding=1),
        dict(stride=2, padding=1, groups=2),
        dict(stride=3, padding=2, dilation=2, output_padding=1),
    ],
)
def test_conv_transpose2d(kw):
    layer = nn.ConvTranspose2d(4, 6, 3, **kw)
    proto = _run_both(layer, _x(2, 4, 5, 6), _x(1, 4, 5, 6, seed=1))
    assert _ops(proto) == ["ConvTranspose"]


@pytest.mark.parametrize(
    "layer",
    [
        nn.MaxPool2d(2),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.MaxPool2d(3, stride=2, ceil_mode=True),
        nn.AvgPool2d(2),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        nn.AvgPool2d(2, divisor_override=3),
        nn.AdaptiveAvgPool2d(1),
        nn.AdaptiveAvgPool2d((2, 3)),
    ],
    ids=repr,
)
def test_pooling(layer):
    _run_both(layer, _x(2, 3, 8, 9), _x(3, 3, 8, 9, seed=1))


def test_batch_norm_uses_the_running_statistics():
    for bn, shape in ((nn.BatchNorm2d(3), (2, 3, 4, 5)), (nn.BatchNorm1d(3), (2, 3))):
        _randomise_bn(bn)
        ss.onnx.export(bn, _x(*shape))
        assert bn.training  # the exporter put it back in training mode
        proto = _run_both(bn, _x(*shape), _x(5, *shape[1:], seed=1))
        assert _ops(proto) == ["BatchNormalization"]
    bn = nn.BatchNorm2d(3, affine=False)
    _randomise_bn(bn)
    _run_both(bn, _x(2, 3, 4, 4))


def test_dropout_disappears_and_lrn_and_flatten():
    net = nn.Sequential(
        nn.Conv2d(3, 7, 3, padding=1),
        nn.ReLU(),
        nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(7 * 6 * 6, 4),
    )
    net.train()
    net[2].eval()  # a module left in its own mode keeps it
    ss.onnx.export(net, _x(2, 3, 6, 6))
    assert net.training and net[3].training and not net[2].training  # modes restored
    proto = _run_both(net, _x(2, 3, 6, 6), _x(3, 3, 6, 6, seed=1))
    assert _ops(proto) == ["Conv", "Relu", "LRN", "Reshape", "Gemm"]


def test_layer_norm_gelu_and_arithmetic():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.LayerNorm(6)
            self.act = nn.GELU()

        def forward(self, x):
            y = self.act(self.norm(x)) * 2.0 - x.exp() / 3.0
            return (y**2).sum(dim=-1, keepdim=True) + y.abs().mean(dim=1) ** 0.5 + y[:, 1:4].sum(1)

    net = Net()
    _run_both(net, _x(2, 6), _x(5, 6, seed=1))


def test_stack_is_unsqueezes_and_a_concat():
    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)

        def forward(self, x):
            y = self.fc(x)
            # (N, 4, 3), and (2, N, 4): the batch axis moves behind a new first axis
            return ss.functional.stack([y, y * 2.0, -y], dim=2), ss.functional.stack([y, -y])

    proto = _run_both(Stacked(), _x(2, 3), _x(5, 3, seed=1))
    assert _ops(proto).count("Unsqueeze") == 5 and _ops(proto).count("Concat") == 2


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers(mode):
    ss.manual_seed(0)
    layer = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    proto = _run_both(layer, _x(2, 5, 3), _x(3, 5, 3, seed=1))
    assert _ops(proto).count(mode) == 4  # two layers, two directions
    assert "Gemm" not in _ops(proto) and "MatMul" not in _ops(proto)  # projections fused


def test_lstm_time_major_with_a_batch_on_axis_1():
    layer = nn.LSTM(3, 4)
    _run_both(layer, _x(5, 2, 3), _x(5, 3, 3, seed=1), dynamic_batch=1)
    m = ss.onnx.export(layer, _x(5, 2, 3), dynamic_batch=1)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == [5, "batch", 3]


# ------------------------------------------------------------------------ recipe models
def test_mnist_mlp_and_fashion_mlp_models(tmp_path):
    from shinsou.recipes import fashion_mlp, mnist_mlp

    cfg = types.SimpleNamespace(dropout=0.5)
    for build in (mnist_mlp.build_model, fashion_mlp.RECIPE.build_model):
        net = build((784,), 10, cfg)
        path = tmp_path / "mlp.onnx"
        _run_both(net, _x(2, 784), _x(7, 784, seed=1), path=path)
        assert onnx.load(str(path)).graph.output[0].name == "output"


def test_mnist_cnn_and_fashion_cnn_model():
    from shinsou.recipes import mnist_cnn

    ss.manual_seed(0)
    net = mnist_cnn.build_model((1, 28, 28), 10, types.SimpleNamespace(dropout=0.3))
    _randomise_bn(net)
    proto = _run_both(net, _x(2, 1, 28, 28), _x(3, 1, 28, 28, seed=1))
    assert _ops(proto).count("BatchNormalization") == 3 and "Dropout" not in _ops(proto)


def test_cnn_models_lenet_and_alexnet_small():
    ss.manual_seed(0)
    for net in (ss.models.LeNet5(), ss.models.AlexNetSmall(width=0.05)):
        _run_both(net, _x(2, 1, 28, 28), _x(3, 1, 28, 28, seed=1))


def test_autoencoder_models():
    from shinsou.models import Autoencoder, DenoisingAutoencoder
    from shinsou.data import corruption

    # mnist-autoencoder's net (narrower): sigmoid layers, a linear code, a sigmoid output
    ae = Autoencoder(
        (784, 32, 16, 2), activation="sigmoid", output="sigmoid", code_activation=False
    )
    x = np.random.default_rng(0).random((2, 784), dtype=np.float32)
    _run_both(ae, x, x[:1])
    dae = DenoisingAutoencoder((784, 32, 8), noise=corruption("mask", 0.3, seed=0))
    _run_both(dae, x, np.concatenate([x, x, x]))


def test_rnn_recipe_model():
    from shinsou.recipes import mnist_rnn

    cfg = types.SimpleNamespace(hidden=6, cell="lstm", bidirectional=True)
    net = mnist_rnn.build_model((784,), 10, cfg)
    _run_both(net, _x(2, 784), _x(3, 784, seed=1))


# ------------------------------------------------------------------------ options, errors
def test_names_static_batch_metadata_and_several_outputs(tmp_path):
    net = nn.LSTM(3, 4, batch_first=True)
    proto = ss.onnx.export(
        net,
        _x(2, 5, 3),
        tmp_path / "lstm.onnx",
        input_names=["tokens"],
        output_names=["y", "h", "c"],
        dynamic_batch=False,
        metadata={"classes": "a,b"},
        opset_version=18,
    )
    assert [o.name for o in proto.graph.output] == ["y", "h", "c"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 5, 3]
    assert {p.key: p.value for p in proto.metadata_props} == {"classes": "a,b"}
    assert proto.opset_import[0].version == 18
    sess = ort.InferenceSession(str(tmp_path / "lstm.onnx"))
    with pytest.raises(Exception, match="[Ii]nvalid|dimension"):
        sess.run(None, {"tokens": _x(3, 5, 3)})  # a static batch is fixed


def test_unsupported_op_names_op_and_layer():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return ss.functional.cumsum(self.fc(x), dim=1)

    net = nn.Sequential(nn.Linear(3, 3), Odd())
    with pytest.raises(ss.onnx.OnnxExportError, match=r"op CumSum in layer 1 \(Odd\)"):
        ss.onnx.export(net, _x(2, 3))


def test_other_errors():
    with pytest.raises(ValueError, match="opset_version must be 13"):
        ss.onnx.export(nn.ReLU(), _x(2, 3), opset_version=9)
    with pytest.raises(ValueError, match="2 outputs but 1 output_names"):
        ss.onnx.export(nn.GRU(3, 2), _x(4, 2, 3), output_names=["y"], dynamic_batch=1)
    with pytest.raises(ss.onnx.OnnxExportError, match="even"):
        ss.onnx.export(nn.LocalResponseNorm(4), _x(2, 6, 3, 3))
    with pytest.raises(ss.onnx.OnnxExportError, match=r"LSTM with proj_size.*no projection"):
        ss.onnx.export(nn.LSTM(3, 4, proj_size=2), _x(5, 2, 3), dynamic_batch=1)
    with pytest.raises(ss.onnx.OnnxExportError, match="batch axis"):
        ss.onnx.export(lambda x: x.reshape(2, 2, 3) * 2.0, _x(4, 3))
    with pytest.raises(ss.onnx.OnnxExportError, match="indexing the batch axis"):
        ss.onnx.export(lambda x: x[0] * 2.0, _x(2, 3))
    # without a dynamic batch both are fine
    proto = ss.onnx.export(lambda x: x[0] * 2.0, _x(2, 3), dynamic_batch=False)
    assert _ops(proto) == ["Slice", "Squeeze", "Mul"]


def test_embedding_and_the_lstm_language_model():
    ss.manual_seed(0)
    ids = np.array([[1, 2, 3, 4], [5, 6, 7, 0]], np.int64)
    more = np.random.default_rng(1).integers(0, 20, (3, 4))
    emb = nn.Embedding(20, 5)
    assert _ops(_run_both(emb, ids, more)) == ["Gather"]
    lm = ss.models.RNNLanguageModel(20, 5, 6, num_layers=2, dropout=0.3)
    proto = _run_both(lm, ids, more)
    assert _ops(proto).count("LSTM") == 2 and len(proto.graph.output) == 3
    # ids computed inside the model would be a constant: refused with a dynamic batch
    with pytest.raises(ss.onnx.OnnxExportError, match="ids are not one of the model's inputs"):
        ss.onnx.export(lambda x: emb(x + 1), ids)


def test_more_elementwise_and_shape_ops():
    F = ss.functional

    def net(x):
        a = x.clamp(min=-0.5) + x.clamp(-1.0, 1.0) + F.maximum(x, x * 0.5) - F.minimum(x, 0.0)
        b = F.where(ss.tensor(np.array([True, False, True, True, False])), x, -x)
        c = (x.abs() + 1.0).sqrt().log() + F.cat([x[:, :2], x[:, 2:]], dim=1)
        d = F.expand(x[:, :1], x.shape[0], 5) + F.broadcast_to(x.sum(0), (1, 5))
        return (a * b - c / (d.abs() + 1.0)).permute(1, 0)

    proto = ss.onnx.export(net, _x(2, 5))
    ops = set(_ops(proto))
    assert {"Clip", "Max", "Min", "Where", "Sqrt", "Log", "Abs", "Concat", "Expand"} <= ops
    sess = ort.InferenceSession(proto.SerializeToString())
    # another batch size; the batch is axis 1 of the output
    x = _x(3, 5, seed=3)
    with ss.no_grad():
        want = net(ss.tensor(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], want, rtol=1e-5, atol=1e-5)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == [5, "batch"]


def test_an_output_given_twice_or_an_input_given_back():
    lin = nn.Linear(3, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x):
            y = self.lin(x)
            return y, y, x

    proto = _run_both(Net(), _x(2, 3), _x(4, 3, seed=1))
    assert _ops(proto) == ["Gemm", "Identity", "Identity"]
    assert [o.name for o in proto.graph.output] == ["output", "output_1", "output_2"]
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    with pytest.raises(ss.onnx.OnnxExportError, match="BatchNorm in layer <model>"):
        ss.onnx.export(bn, _x(2, 3))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_any_batch(norm_first):
    layer = ss.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=True,
                                          norm_first=norm_first)  # fmt: skip
    enc = ss.nn.TransformerEncoder(layer, 2)
    proto = _run_both(enc, _x(2, 5, 16), _x(3, 5, 16, seed=1))
    assert {"MatMul", "Softmax"} <= set(_ops(proto))


class _CausalDecoder(ss.nn.Module):
    def __init__(self):
        super().__init__()
        self.dec = ss.nn.TransformerDecoder(
            ss.nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=True), 2
        )

    def forward(self, tgt, memory):
        mask = ss.nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.dec(tgt, memory, tgt_mask=mask)


def test_transformer_decoder_with_a_causal_mask_and_two_inputs():
    m = _CausalDecoder().eval()
    tgt, mem = _x(2, 5, 16), _x(2, 7, 16, seed=1)
    proto = ss.onnx.export(m, (ss.tensor(tgt), ss.tensor(mem)))
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    for b in (2, 4):  # the batch is free; the target length is the example's (its mask)
        tgt, mem = _x(b, 5, 16, seed=b), _x(b, 7, 16, seed=b + 1)
        with ss.no_grad():
            want = m(ss.tensor(tgt), ss.tensor(mem)).numpy()
        got = sess.run(None, dict(zip(names, [tgt, mem])))[0]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_dynamic_axes_besides_the_batch():
    """dynamic_axes: an LSTM language model exported on windows of 4 runs on any length
    (and batch); a time-major GRU with its batch on axis 1 and time on axis 0; a model that
    bakes the axis's size into a reshape is refused, naming the op."""
    ss.manual_seed(0)
    lm = ss.models.RNNLanguageModel(20, 5, 6, num_layers=2).eval()
    ids = np.array([[1, 2, 3, 4], [5, 6, 7, 0]], np.int64)
    proto = ss.onnx.export(lm, ids, dynamic_axes={1: "time"})
    dims = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(proto.graph.input) + list(proto.graph.output)]  # fmt: skip
    assert dims == [["batch", "time"], ["batch", "time", 20], [2, "batch", 6], [2, "batch", 6]]
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for n, t in ((3, 9), (1, 1), (2, 4)):
        x = np.random.default_rng(t).integers(0, 20, (n, t))
        with ss.no_grad():
            want = [v.numpy() for v in _flat(lm(ss.tensor(x)))]
        for g, w in zip(sess.run(None, {"input": x}), want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    gru = nn.GRU(3, 4).eval()
    proto = ss.onnx.export(gru, _x(5, 2, 3), dynamic_batch=1, dynamic_axes={0: "time"})
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = _x(8, 3, 3, seed=2)
    with ss.no_grad():
        want = gru(ss.tensor(x))[0].numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], want, rtol=1e-5, atol=1e-5)

    class Baked(nn.Module):
        def forward(self, x):  # (N, T, F) -> (N, T·F): the reshape's shape holds T
            return x.reshape(x.shape[0], -1) * 2.0

    with pytest.raises(
        ss.onnx.OnnxExportError, match=r"axes 1 \('time'\) cannot be dynamic.*Reshape"
    ):
        ss.onnx.export(Baked(), _x(2, 3, 4), dynamic_axes={1: "time"})
    with pytest.raises(ValueError, match="axis 0 is the batch axis"):
        ss.onnx.export(Baked(), _x(2, 3, 4), dynamic_axes={0: "time"})
