"""Convolutional networks: LeNet-5, a small VGG-style net, AlexNet (Krizhevsky et al. 2012)
and an AlexNet scaled down for 28×28 / 32×32 images.

Each model is ``features`` (convolutions and pooling, (N, C, H, W) -> (N, C', H', W')) followed
by ``classifier`` (flatten and fully connected layers -> (N, num_classes) logits), as in
torchvision, so transfer learning replaces ``model.classifier[-1]`` and freezes
``model.features``.
"""

from __future__ import annotations

from ..functional._windows import out_size
from ..nn.container import Sequential
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Flatten, Linear
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d, LocalResponseNorm
from ..nn.pooling import AvgPool2d, MaxPool2d
from .mlp import _ACTIVATIONS

__all__ = ["LeNet5", "VGGNet", "AlexNet", "AlexNetSmall"]


class _FeaturesClassifier(Module):
    """y = classifier(features(x)), with a readable input check."""

    in_channels: int

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expected input (N, {self.in_channels}, H, W), "
                f"got {tuple(x.shape)}"
            )
        return self.classifier(self.features(x))


def _activation(name: str, model: str):
    if name not in _ACTIVATIONS:
        raise ValueError(f"{model}: unknown activation {name!r}; one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


class LeNet5(_FeaturesClassifier):
    """LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) for 28×28 or 32×32 images.

    C1 conv 5×5, 6 maps → S2 2×2 subsampling → C3 conv 5×5, 16 maps → S4 2×2 subsampling →
    C5 120 units → F6 84 units → 10 outputs. Shapes for a (N, 1, 32, 32) input (a 28×28 input
    is padded by 2 in C1, as is usual for MNIST, and gives the same shapes):

        (N, 1, 32, 32) -C1-> (N, 6, 28, 28) -S2-> (N, 6, 14, 14) -C3-> (N, 16, 10, 10)
        -S4-> (N, 16, 5, 5) -C5-> (N, 120) -F6-> (N, 84) -> (N, num_classes)

    Departures from the paper, all standard today: C3 connects to all six S2 maps (the paper
    used a sparse connection table), S2/S4 are plain average (or max) pooling without the
    trainable coefficient and bias, C5 on a 5×5 map is written as the equivalent Linear
    (400 -> 120), and the output layer is a Linear giving logits for softmax cross-entropy
    instead of Euclidean RBF units. The paper's scaled tanh becomes ``activation``.

    >>> net = ss.models.LeNet5()
    >>> net.num_parameters()     # 156 + 2416 + 48120 + 10164 + 850
    61706
    >>> net(ss.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 28,
        activation: str = "tanh",
        pool: str = "avg",
    ):
        super().__init__()
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size}")
        if pool not in ("avg", "max"):
            raise ValueError(f"LeNet5: pool must be 'avg' or 'max', got {pool!r}")
        Pool = AvgPool2d if pool == "avg" else MaxPool2d
        act = lambda: _activation(activation, "LeNet5")  # noqa: E731
        self.in_channels = in_channels
        self.features = Sequential(
            Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0),
            act(),
            Pool(2),
            Conv2d(6, 16, 5),
            act(),
            Pool(2),
        )
        self.classifier = Sequential(
            Flatten(),
            Linear(16 * 5 * 5, 120),
            act(),
            Linear(120, 84),
            act(),
            Linear(84, num_classes),
        )


class VGGNet(_FeaturesClassifier):
    """A small VGG-style net (Simonyan & Zisserman 2015): blocks of 3×3 convolutions (stride 1,
    padding 1, so the size is kept) each followed by batch normalisation and ReLU, with a 2×2
    max pooling that halves the size after every block; then a fully connected classifier.

    For ``widths=(64, 128, 256)``, ``convs_per_block=2`` on (N, 3, 32, 32):

        (N, 3, 32, 32) -> (N, 64, 16, 16) -> (N, 128, 8, 8) -> (N, 256, 4, 4)
        -> flatten (N, 4096) -> Linear 256 -> ReLU -> Dropout -> Linear num_classes

    Args:
        in_channels, num_classes, input_size: image channels, classes, side length.
        widths: channels of each block. convs_per_block: 3×3 convolutions per block.
        batch_norm: BatchNorm2d after every convolution (the convolution then has no bias).
        hidden: width of the hidden fully connected layer. dropout: before the last layer.

    >>> net = ss.models.VGGNet(in_channels=1, input_size=28, widths=(8, 16))
    >>> net(ss.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 10,
        input_size: int = 32,
        widths=(64, 128, 256),
        convs_per_block: int = 2,
        batch_norm: bool = True,
        hidden: int = 256,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.in_channels = in_channels
        layers, c, size = [], in_channels, input_size
        for w in widths:
            for _ in range(convs_per_block):
                layers.append(Conv2d(c, w, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(BatchNorm2d(w))
                layers.append(_activation("relu", "VGGNet"))
                c = w
            layers.append(MaxPool2d(2))
            size //= 2
        if size < 1:
            raise ValueError(
                f"VGGNet: {len(widths)} blocks halve a {input_size}-pixel input to nothing"
            )
        self.features = Sequential(*layers)
        self.classifier = Sequential(
            Flatten(),
            Linear(c * size * size, hidden),
            _activation("relu", "VGGNet"),
            Dropout(dropout),
            Linear(hidden, num_classes),
        )


class AlexNet(_FeaturesClassifier):
    """AlexNet exactly as in Krizhevsky, Sutskever & Hinton 2012 ("ImageNet Classification
    with Deep Convolutional Neural Networks"): 5 convolutional and 3 fully connected layers,
    ReLU, local response normalisation after the first two convolutions, overlapping 3×3
    max pooling with stride 2, dropout 0.5 in the first two fully connected layers.

        (N, 3, 227, 227) conv1 11×11/4, 96 -> (N, 96, 55, 55) ReLU LRN pool -> (N, 96, 27, 27)
        conv2 5×5 pad 2, 256 (2 groups)    -> (N, 256, 27, 27) ReLU LRN pool -> (N, 256, 13, 13)
        conv3 3×3 pad 1, 384               -> (N, 384, 13, 13) ReLU
        conv4 3×3 pad 1, 384 (2 groups)    -> (N, 384, 13, 13) ReLU
        conv5 3×3 pad 1, 256 (2 groups)    -> (N, 256, 13, 13) ReLU pool -> (N, 256, 6, 6)
        fc6 9216 -> 4096 ReLU Dropout, fc7 4096 -> 4096 ReLU Dropout, fc8 4096 -> num_classes

    The paper trained on two GPUs, each holding half the kernels of every layer; conv2, conv4
    and conv5 saw only the maps on their own GPU, which is exactly a grouped convolution with
    2 groups (``groups=2``; ``groups=1`` gives the one-GPU variant). The paper's text says
    224×224 inputs, but 11×11 kernels with stride 4 need 227 to give its 55×55 maps. LRN uses
    the paper's k=2, n=5, α=1e-4, β=0.75; PyTorch's (and our) LocalResponseNorm divides α by n,
    so it is given α·n = 5e-4. With 1000 classes and groups=2 the net has 60,965,224
    parameters: the paper's "60 million".

    >>> round(ss.models.AlexNet().num_parameters() / 1e6, 2)
    60.97
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        groups: int = 2,
        dropout: float = 0.5,
        lrn: bool = True,
    ):
        super().__init__()
        self.in_channels = in_channels

        def norm():
            return [LocalResponseNorm(5, alpha=1e-4 * 5, beta=0.75, k=2.0)] if lrn else []

        relu = lambda: _activation("relu", "AlexNet")  # noqa: E731
        self.features = Sequential(
            Conv2d(in_channels, 96, 11, stride=4),
            relu(),
            *norm(),
            MaxPool2d(3, stride=2),
            Conv2d(96, 256, 5, padding=2, groups=groups),
            relu(),
            *norm(),
            MaxPool2d(3, stride=2),
            Conv2d(256, 384, 3, padding=1),
            relu(),
            Conv2d(384, 384, 3, padding=1, groups=groups),
            relu(),
            Conv2d(384, 256, 3, padding=1, groups=groups),
            relu(),
            MaxPool2d(3, stride=2),
        )
        self.classifier = Sequential(
            Flatten(),
            Linear(256 * 6 * 6, 4096),
            relu(),
            Dropout(dropout),
            Linear(4096, 4096),
            relu(),
            Dropout(dropout),
            Linear(4096, num_classes),
        )


class AlexNetSmall(_FeaturesClassifier):
    """AlexNet's design — five convolutions with ReLU, LRN after the first two, overlapping 3×3
    max pooling with stride 2, two dropout-regularised fully connected layers — scaled to
    28×28 (MNIST) or 32×32 (CIFAR-sized) images: 5×5 then 3×3 kernels with stride 1 and
    "same" padding instead of 11×11 with stride 4, and every width multiplied by ``width``
    (channels 96, 256, 384, 384, 256 and 4096 hidden units at width 1).

    For a 28×28 input the maps are 28 -> pool 13 -> pool 6 -> pool 2 (32×32: 32 -> 15 -> 7 -> 3).

    >>> net = ss.models.AlexNetSmall(in_channels=1, input_size=28, width=0.25)
    >>> net(ss.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 28,
        width: float = 0.25,
        dropout: float = 0.5,
        lrn: bool = True,
    ):
        super().__init__()
        if width <= 0:
            raise ValueError(f"AlexNetSmall: width must be positive, got {width}")
        self.in_channels = in_channels
        c1, c2, c3, c4, c5, fc = (max(1, round(c * width)) for c in (96, 256, 384, 384, 256, 4096))
        size = input_size
        for _ in range(3):
            size = out_size(size, 3, 2, 0)
        if size < 1:
            raise ValueError(f"AlexNetSmall: input_size {input_size} is too small (need >= 15)")

        def norm():
            return [LocalResponseNorm(5, alpha=1e-4 * 5, beta=0.75, k=2.0)] if lrn else []

        relu = lambda: _activation("relu", "AlexNetSmall")  # noqa: E731
        self.features = Sequential(
            Conv2d(in_channels, c1, 5, padding=2),
            relu(),
            *norm(),
            MaxPool2d(3, stride=2),
            Conv2d(c1, c2, 5, padding=2),
            relu(),
            *norm(),
            MaxPool2d(3, stride=2),
            Conv2d(c2, c3, 3, padding=1),
            relu(),
            Conv2d(c3, c4, 3, padding=1),
            relu(),
            Conv2d(c4, c5, 3, padding=1),
            relu(),
            MaxPool2d(3, stride=2),
        )
        self.classifier = Sequential(
            Flatten(),
            Linear(c5 * size * size, fc),
            relu(),
            Dropout(dropout),
            Linear(fc, fc),
            relu(),
            Dropout(dropout),
            Linear(fc, num_classes),
        )
