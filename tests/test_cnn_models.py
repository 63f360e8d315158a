"""CNN models: LeNet-5, VGGNet, AlexNet (as in the paper) and AlexNetSmall — shapes,
parameter counts, structure, state_dict round trips, and what transfer learning needs."""

import numpy as np
import pytest

import shinsou as ss
from shinsou import nn
from shinsou.models import AlexNet, AlexNetSmall, LeNet5, VGGNet


def _count(model, kind):
    return sum(isinstance(m, kind) for m in model.modules())


def test_lenet5_shapes_and_parameter_count():
    net = LeNet5()
    # C1 156 + C3 2416 + C5 48120 + F6 10164 + output 850
    assert net.num_parameters() == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert net(ss.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert LeNet5(input_size=32)(ss.zeros(2, 1, 32, 32)).shape == (2, 10)
    maps = net.features(ss.zeros(1, 1, 28, 28))
    assert maps.shape == (1, 16, 5, 5)
    assert _count(LeNet5(pool="max"), nn.MaxPool2d) == 2 and _count(net, nn.AvgPool2d) == 2
    with pytest.raises(
        ValueError, match=r"LeNet5 expected input \(N, 1, H, W\), got \(2, 28, 28\)"
    ):
        net(ss.zeros(2, 28, 28))
    with pytest.raises(ValueError, match="LeNet5: input_size must be 28 or 32"):
        LeNet5(input_size=64)


def test_alexnet_is_the_paper_net_with_60_million_parameters():
    net = AlexNet()
    assert net.num_parameters() == 60_965_224  # the paper's "60 million"
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert [c.weight.shape for c in convs] == [
        (96, 3, 11, 11),
        (256, 48, 5, 5),  # two groups: each kernel sees the 48 maps on its own GPU
        (384, 256, 3, 3),
        (384, 192, 3, 3),
        (256, 192, 3, 3),
    ]
    assert convs[0].stride == (4, 4)
    pools = [m for m in net.features if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3 and all(p.kernel_size in (3, (3, 3)) for p in pools)
    assert all(p.stride in (2, (2, 2)) for p in pools)  # overlapping: stride < window
    lrns = [m for m in net.features if isinstance(m, nn.LocalResponseNorm)]
    assert len(lrns) == 2 and all((m.size, m.k, m.beta) == (5, 2.0, 0.75) for m in lrns)
    assert all(m.alpha == pytest.approx(5e-4) for m in lrns)  # α = 1e-4 in the paper's form
    fcs = [m for m in net.classifier if isinstance(m, nn.Linear)]
    assert [f.weight.shape for f in fcs] == [(4096, 9216), (4096, 4096), (1000, 4096)]
    assert [m.p for m in net.classifier if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    # one 227×227 image through the whole net (the paper's 55 -> 27 -> 13 -> 6 maps)
    net.eval()
    x = ss.zeros(1, 3, 227, 227)
    shapes = []
    for m in net.features:
        x = m(x)
        shapes.append(x.shape[1:])
    assert (96, 55, 55) in shapes and (256, 27, 27) in shapes and shapes[-1] == (256, 6, 6)
    assert net.classifier(x).shape == (1, 1000)


def test_alexnet_one_gpu_variant_and_options():
    net = AlexNet(num_classes=10, groups=1, lrn=False)
    # conv2, conv4, conv5 now see all input maps
    assert (
        net.num_parameters()
        == 60_965_224 - (307456 + 663936 + 442624) + (614656 + 1327488 + 884992) - 4096 * 990 - 990
    )
    assert _count(net, nn.LocalResponseNorm) == 0


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_alexnet_small_trains_on_small_images(size, channels):
    net = AlexNetSmall(in_channels=channels, input_size=size, width=0.125)
    x = ss.tensor(np.random.default_rng(0).standard_normal((4, channels, size, size)))
    x = x.astype(np.float32)
    y = net(x)
    assert y.shape == (4, 10)
    ss.functional.cross_entropy(y, [0, 1, 2, 3]).backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in net.parameters())
    assert _count(net, nn.Conv2d) == 5 and _count(net, nn.LocalResponseNorm) == 2
    assert AlexNetSmall(width=0.25).num_parameters() > AlexNetSmall(width=0.125).num_parameters()
    with pytest.raises(ValueError, match="AlexNetSmall: input_size 12 is too small"):
        AlexNetSmall(input_size=12)


def test_vggnet_blocks_batch_norm_and_shapes():
    net = VGGNet(in_channels=3, widths=(8, 16, 32), convs_per_block=2, hidden=32)
    assert net(ss.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert _count(net, nn.Conv2d) == 6 and _count(net, nn.BatchNorm2d) == 6
    assert all(m.bias is None for m in net.modules() if isinstance(m, nn.Conv2d))
    plain = VGGNet(in_channels=1, input_size=28, widths=(8,), batch_norm=False)
    assert _count(plain, nn.BatchNorm2d) == 0 and plain(ss.zeros(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(ValueError, match="VGGNet: 6 blocks halve a 32-pixel input to nothing"):
        VGGNet(widths=(4,) * 6)


def test_models_state_dict_round_trip_gives_identical_outputs():
    ss.manual_seed(0)
    a = VGGNet(in_channels=1, input_size=28, widths=(4, 8), hidden=16)
    b = VGGNet(in_channels=1, input_size=28, widths=(4, 8), hidden=16)
    x = ss.tensor(np.random.default_rng(1).standard_normal((3, 1, 28, 28)).astype(np.float32))
    a.train()
    a(x)  # move the running statistics away from their initial values
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_transfer_learning_freeze_features_and_replace_the_head():
    net = LeNet5(activation="relu", pool="max")
    net.features.requires_grad_(False)
    net.classifier[-1] = nn.Linear(84, 3)
    before = {k: v.copy() for k, v in net.state_dict().items()}
    opt = ss.optim.SGD(
        [
            {"params": [p for p in net.parameters() if p.requires_grad][:-2], "lr": 0.01},
            {"params": list(net.classifier[-1].parameters()), "lr": 0.1},
        ],
        lr=0.05,
    )
    x = ss.tensor(np.random.default_rng(0).standard_normal((5, 1, 28, 28)).astype(np.float32))
    ss.functional.cross_entropy(net(x), [0, 1, 2, 0, 1]).backward()
    assert all(p.grad is None for p in net.features.parameters())
    opt.step()
    after = net.state_dict()
    for k in before:
        changed = not np.array_equal(before[k], after[k])
        assert changed == (not k.startswith("features")), k
    assert net(x).shape == (5, 3)
