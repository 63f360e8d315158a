"""Classification: class scores (B, C) for integer labels (B,) — metrics (accuracy, loss,
per-class accuracy, confusion matrix), pictures (confusion matrix, labelled image grids, a
CNN's filters, feature maps and saliency) and, for images, ``predict``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from ..data import DataLoader, TensorDataset
from .base import Task

__all__ = [
    "Classification",
    "ImageClassification",
    "IMAGE_CLASSIFICATION",
    "CLASSIFICATION",
    "classification_metrics",
    "draw_classification",
    "draw_inside",
    "prediction",
    "predict_arrays",
    "ImageClassifier",
]


class Classification(Task):
    """Class scores y (B, C) for labels t (B,): metrics ``loss`` (softmax cross-entropy) and
    ``accuracy``. Inputs that are not pictures (the perceptron's two logic inputs) have no
    ``predict`` command."""

    name = "classification"
    title = "Classification"

    def metrics(self) -> dict:
        from ..training.metrics import accuracy, cross_entropy

        return {"loss": cross_entropy, "accuracy": accuracy}


class ImageClassification(Classification):
    """Classification of pictures: also ``shinsou predict RUN picture.png`` (the picture is
    made to look like the training images; the recipe implements ``predict``)."""

    name = "image classification"
    title = "Image classification"
    commands = ("predict",)


CLASSIFICATION = Classification()
IMAGE_CLASSIFICATION = ImageClassification()


@dataclass
class ImageClassifier:
    """A finished image-classification run's net with what it needs to read a new picture:
    what ``shinsou predict`` and ``shinsou serve`` use (a recipe's ``classifier(run_dir)``
    makes one).

    Args:
        model: the trained net, in eval mode.
        classes: the class names, index by index.
        prepare: uint8 pictures (N, size, size) -> the net's float32 input ((N, 1, size,
            size) for a CNN, (N, size·size) for an MLP), scaled and standardised as in
            training.
        size: the side of the square MNIST-style picture the net reads (28).
        box: the side of the square the ink is fitted into (20 of 28, as in MNIST).
        recipe, dataset: names, for people reading the answer.

    >>> clf = ImageClassifier(ss.nn.Flatten(), ["a", "b", "c", "d"], lambda p: p / 255.0, 2)
    >>> clf.logits(np.array([[[0, 255], [0, 0]]], np.uint8))
    array([[0., 1., 0., 0.]])
    """

    model: object
    classes: list
    prepare: Callable[[np.ndarray], np.ndarray]
    size: int = 28
    box: int = 20
    recipe: str = ""
    dataset: str = ""

    def picture(self, image: np.ndarray) -> np.ndarray:
        """Any picture of one object ((H, W) gray, RGB or RGBA; dark or light background)
        -> uint8 (size, size) white ink on black, made the way MNIST was
        (``shinsou.datasets.to_mnist``)."""
        from ..datasets import to_mnist

        return to_mnist(image, size=self.size, box=self.box)

    def logits(self, pictures: np.ndarray) -> np.ndarray:
        """Class scores (N, classes) of uint8 pictures (N, size, size), without a graph."""
        x = self.prepare(np.asarray(pictures))
        return predict_arrays(self.model, x, np.zeros(len(x), np.int64))[0]


def prediction(image_path, logits, classes) -> dict:
    """``predict``'s answer for one image: the most probable class, its softmax probability,
    and the three most probable classes with theirs."""
    p = softmax(logits)
    top = np.argsort(-p)[:3]
    return {
        "image": str(image_path),
        "prediction": classes[int(top[0])],
        "probability": float(p[top[0]]),
        "top3": [(classes[int(i)], float(p[i])) for i in top],
    }


def predict_arrays(model, x, y):
    from ..training import predict

    return predict(model, DataLoader(TensorDataset(x, y), 1000))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def classification_metrics(logits, labels, classes) -> dict:
    from ..viz.classification import confusion_matrix

    pred = logits.argmax(axis=1)
    cm = confusion_matrix(labels, pred, len(classes))
    loss = F.cross_entropy(logits.astype(np.float64), labels).item()
    per_class = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    return {
        "test/accuracy": float((pred == labels).mean()),
        "test/loss": float(loss),
        "test_examples": int(len(labels)),
        "test_errors": int((pred != labels).sum()),
        "per_class_accuracy": {c: float(a) for c, a in zip(classes, per_class)},
        "confusion_matrix": cm.tolist(),
        "classes": list(classes),
    }


def draw_classification(
    run_dir, images, labels, pred, metrics, log, classes
) -> list[tuple[str, str]]:
    """The run's pictures; without matplotlib, say so once and draw none."""
    try:
        from ..viz import plot_confusion_matrix, plot_image_grid, plot_learning_curves
    except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
        print(f"no pictures: {e}", file=sys.stderr)
        return []
    try:
        if log:
            plot_learning_curves(log, run_dir / "learning_curves.png")
        plot_confusion_matrix(
            metrics["confusion_matrix"], classes, run_dir / "confusion_matrix.png"
        )
        n = min(100, len(images))
        plot_image_grid(images[:n], labels[:n], pred[:n], classes, run_dir / "test_images.png")
        wrong = np.flatnonzero(labels != pred)[:50]
        if len(wrong):
            plot_image_grid(
                images[wrong],
                labels[wrong],
                pred[wrong],
                classes,
                run_dir / "mistakes.png",
                title=f"the first {len(wrong)} of {metrics['test_errors']} misclassified test "
                "images (true→predicted)",
            )
    except ImportError as e:
        print(f"no pictures: {e}", file=sys.stderr)
        return []
    return [
        ("Learning curves", "learning_curves.png"),
        ("Confusion matrix", "confusion_matrix.png"),
        ("The first 100 test images (mistakes framed in red)", "test_images.png"),
        ("Misclassified test images", "mistakes.png"),
    ]


def draw_inside(run_dir, model, x, labels, classes) -> list[tuple[str, str]]:
    """For a CNN: its first-layer filters, the feature maps of every conv layer for one test
    image, saliency maps of a few test images, and the input that most excites each class
    score (gradient ascent on the input)."""
    try:
        from ..nn.conv import Conv2d
        from ..viz import (
            feature_maps,
            maximize_activation,
            plot_feature_maps,
            plot_filters,
            plot_images,
            saliency_map,
        )

        convs = [(n, m) for n, m in model.named_modules() if isinstance(m, Conv2d)]
        if not convs:
            return []
        first = convs[0][1]
        title = f"the {first.out_channels} filters of the first layer"
        plot_filters(first.weight, run_dir / "filters.png", title=title)
        maps = feature_maps(model, x[:1], layers=[n for n, _ in convs])
        title = f"feature maps of every conv layer for a test {classes[labels[0]]}"
        plot_feature_maps(maps, run_dir / "feature_maps.png", image=x[0, 0], title=title)
        sal = saliency_map(model, x, target=labels, samples=16)  # SmoothGrad
        plot_images(
            np.concatenate([x[:, 0], sal]),
            run_dir / "saliency.png",
            titles=[classes[t] for t in labels] + ["saliency"] * len(labels),
            columns=len(labels),
            title="test images (top) and the pixels that move their class score most (SmoothGrad)",
        )
        head = [m for m in model.modules() if hasattr(m, "out_features")][-1]
        lo, hi = float(x.min()), float(x.max())
        best = [
            maximize_activation(
                model, head, c, x.shape[1:], steps=80, clip=(lo, hi), jitter=1, blur_every=4
            )
            for c in range(len(classes))
        ]
        plot_images(
            np.stack(best),
            run_dir / "max_activation.png",
            titles=list(classes),
            columns=min(len(classes), 10),
            cmap="gray_r",
            title="inputs that most excite each class score (gradient ascent, jitter, blur)",
        )
    except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
        print(f"no pictures: {e}", file=sys.stderr)
        return []
    return [
        ("First-layer filters", "filters.png"),
        ("Feature maps of one test image", "feature_maps.png"),
        ("Saliency: which pixels decide the class", "saliency.png"),
        ("Inputs that most excite each class score", "max_activation.png"),
    ]
