"""What a classifier makes of one picture, as plain numbers a web page can draw: the class
probabilities, the 28×28 input as the net sees it, a saliency map and the first layer's view
(a CNN's feature maps, or for an MLP the weights of its most active first-layer units).

Everything is computed with shinsou itself: the saliency map is one backward pass aimed at
the input instead of the weights.
"""

from __future__ import annotations

import numpy as np

from ..core import autograd
from ..core.tensor import Tensor
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..tasks.classification import ImageClassifier
from ..viz.inside import feature_maps

__all__ = ["explain", "saliency", "first_layer"]

MLP_UNITS = 16  # first-layer units shown for an MLP (the most active for the picture)


def _round(a: np.ndarray, digits: int = 3) -> list:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def saliency(clf: ImageClassifier, picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The class scores of one picture and its saliency map (Simonyan et al. 2014),

        S[h, w] = |∂ y_c / ∂ x[h, w]|,   c = argmax_k y_k,

    the gradient of the top class score y_c with respect to the net's (standardised) input
    x, in eval mode, by shinsou autograd.

    Args:
        clf: the run's classifier. picture: uint8 (size, size), white ink on black.
    Returns:
        (scores (classes,), saliency (size, size) ≥ 0).

    >>> clf = ImageClassifier(ss.nn.Flatten(), list("abcd"), lambda p: p / 255.0, 2)
    >>> y, s = saliency(clf, np.array([[0, 255], [0, 0]], np.uint8))
    >>> int(y.argmax()), s.tolist()   # score b is pixel (0, 1) itself
    (1, [[0.0, 1.0], [0.0, 0.0]])
    """
    model = clf.model
    was_training = model.training
    model.eval()
    try:
        x = Tensor(np.asarray(clf.prepare(picture[None])), requires_grad=True)
        scores = model(x)  # (1, classes)
        top = int(scores.numpy()[0].argmax())
        (g,) = autograd.grad(scores[0, top], x)
    finally:
        model.train(was_training)
    return scores.numpy()[0], np.abs(g.numpy()).reshape(picture.shape)


def first_layer(clf: ImageClassifier, picture: np.ndarray) -> dict | None:
    """The first layer's view of a picture.

    A CNN (first layer a Conv2d with C filters): its C feature maps, (C, H', W'). An MLP
    (first layer a Linear reading the size·size pixels): the weights of the ``MLP_UNITS``
    hidden units the picture excites most, each reshaped to (size, size): the pattern that
    unit matches, labelled with its pre-activation w·x + b.

    Returns:
        {"kind": "feature maps" | "weights", "layer": its name, "title": a sentence,
        "images": (K, H, W) array, "labels": K strings}; None for another first layer.
    """
    layers = [(n, m) for n, m in clf.model.named_modules() if isinstance(m, Conv2d | Linear)]
    if not layers:
        return None
    name, layer = layers[0]
    x = clf.prepare(picture[None])
    out = feature_maps(clf.model, x, [name])[name][0]  # (C, H', W') or (units,)
    if isinstance(layer, Conv2d):
        k = layer.kernel_size
        return {
            "kind": "feature maps",
            "layer": name,
            "title": f"the {out.shape[0]} feature maps of the first layer ({name}: "
            f"{out.shape[0]} filters of {k[0]}×{k[1]})",
            "images": out,
            "labels": [str(i) for i in range(out.shape[0])],
        }
    side = clf.size
    if layer.in_features != side * side:
        return None
    units = np.argsort(-out)[:MLP_UNITS]
    w = layer.weight.numpy()[units].reshape(len(units), side, side)
    return {
        "kind": "weights",
        "layer": name,
        "title": f"weights of the {len(units)} most active of the {layer.out_features} units "
        f"of the first layer ({name}), red +, blue −",
        "images": w,
        "labels": [f"#{u}: {out[u]:+.2f}" for u in units],
    }


def explain(clf: ImageClassifier, image: np.ndarray) -> dict:
    """Everything the page shows for one drawing.

    Args:
        clf: the run's classifier. image: the drawing, (H, W) gray, RGB or RGBA, uint8 or
            float in [0, 1], ink on a plain background (either way round).
    Returns:
        a JSON-ready dict: ``blank`` (no ink found: then nothing else but ``classes``),
        ``classes``, ``probabilities`` (softmax of the scores, one per class),
        ``prediction`` and ``probability`` (the top class), ``input`` (size×size in [0, 1],
        1 = ink: the picture as the net sees it, before standardisation), ``saliency``
        (size×size in [0, 1], scaled by its maximum), ``layer`` (``first_layer``'s dict with
        each image scaled to [−1, 1] by its largest magnitude) or None.

    >>> clf = ImageClassifier(ss.nn.Flatten(), list("abcd"), lambda p: p / 255.0, 2, 1)
    >>> explain(clf, np.zeros((30, 30), np.uint8))["blank"]
    True
    """
    picture = clf.picture(image)
    answer: dict = {"classes": list(clf.classes), "blank": not picture.any()}
    if answer["blank"]:
        return answer
    scores, sal = saliency(clf, picture)
    p = np.exp(scores - scores.max())
    p /= p.sum()
    top = int(p.argmax())
    layer = first_layer(clf, picture)
    if layer is not None:
        imgs = np.asarray(layer["images"], dtype=np.float64)
        peak = np.abs(imgs).max(axis=(1, 2), keepdims=True)
        layer["images"] = _round(imgs / np.where(peak > 0, peak, 1.0))
    answer.update(
        prediction=clf.classes[top],
        probability=float(p[top]),
        probabilities=_round(p, 4),
        input=_round(picture / 255.0),
        saliency=_round(sal / (sal.max() or 1.0)),
        layer=layer,
    )
    return answer
