"""The reference classifier that measures generators: a small CNN trained once on the real
training images of MNIST or Fashion-MNIST and cached with the feature statistics of the real
training and test images.

Cache layout (under ``cache_dir``, default ``$SHINSOU_CACHE``, else
``$XDG_CACHE_HOME/shinsou`` or ``~/.cache/shinsou``)::

    reference_classifiers/<dataset>-<key>/
        model.npz          the CNN's weights (metadata: mean, std, classes, test accuracy)
        train_stats.npz    feature statistics of the real training images (the reference)
        test_stats.npz     those of the real test images (their distance is the "floor")
        info.json          the key, the settings, and the SHA-256 of the three files

``key`` hashes everything that decides the result (dataset, training size, epochs, seed,
the architecture and ``CACHE_VERSION``), so changed settings never reuse another cache.
``info.json`` is written last: a cache without it, with another key, or whose files do not
match their recorded SHA-256 (or fail ``shinsou.load``'s own checksum) is reported on stderr
and trained again, never used. Every file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .generative import (
    GenerativeEvaluator,
    class_histogram,
    classifier_score,
    feature_statistics,
    frechet_distance,
    load_statistics,
    mode_coverage,
    save_statistics,
)

__all__ = ["reference_classifier", "reference_cache_dir", "build_reference_cnn", "CACHE_VERSION"]

CACHE_VERSION = 1
FEATURE_LAYER = "classifier.2"  # the ReLU after the hidden Linear: 128 penultimate features
_FILES = ("model.npz", "train_stats.npz", "test_stats.npz")
# below this test accuracy (trained on the whole training set) a warning is printed
MIN_ACCURACY = {"mnist": 0.985, "fashion": 0.88}


def reference_cache_dir(cache_dir=None) -> Path:
    """Where reference classifiers are cached: ``cache_dir``, else ``$SHINSOU_CACHE``, else
    ``$XDG_CACHE_HOME/shinsou`` (by default ``~/.cache/shinsou``); then
    ``reference_classifiers/``."""
    if cache_dir is None:
        cache_dir = os.environ.get("SHINSOU_CACHE")
    if not cache_dir:
        cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shinsou"
    return Path(cache_dir).expanduser() / "reference_classifiers"


def build_reference_cnn(num_classes: int = 10):
    """The reference CNN: (N, 1, 28, 28) -> conv 3×3 32 + BN + ReLU + pool -> conv 3×3 64 +
    BN + ReLU + pool -> (N, 64, 7, 7) -> Linear 3136 -> 128 -> ReLU (the features,
    ``classifier.2``) -> Linear 128 -> classes."""
    from ..models import VGGNet

    return VGGNet(
        in_channels=1,
        num_classes=num_classes,
        input_size=28,
        widths=(32, 64),
        convs_per_block=1,
        hidden=128,
        dropout=0.0,
    )


def _load_data(dataset: str, data_dir):
    from ..datasets import mnist as m

    if dataset == "mnist":
        load, classes = m.load_mnist, m.MNIST_CLASSES
    elif dataset == "fashion":
        load, classes = m.load_fashion_mnist, m.FASHION_MNIST_CLASSES
    else:
        raise ValueError(
            f"reference_classifier: dataset must be 'mnist' or 'fashion', got {dataset!r}"
        )
    return load("train", data_dir=data_dir), load("test", data_dir=data_dir), list(classes)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _settings(dataset, train_size, test_size, epochs, seed) -> dict:
    return {
        "cache_version": CACHE_VERSION,
        "dataset": dataset,
        "train_size": train_size,
        "test_size": test_size,
        "epochs": epochs,
        "seed": seed,
        "batch_size": 128,
        "lr": 2e-3,
        "architecture": "VGGNet(32, 64; hidden 128)",
        "feature_layer": FEATURE_LAYER,
    }


def _train(settings: dict, data_dir, folder: Path, verbose: bool) -> None:
    """Train the CNN on the first ``train_size`` images of a seeded shuffle of the training
    set and write the cache folder (``info.json`` last)."""
    from .. import functional as F
    from .. import manual_seed, optim, save
    from ..data import DataLoader, TensorDataset

    (x, y), (xt, yt), classes = _load_data(settings["dataset"], data_dir)
    seed = settings["seed"]
    perm = np.random.default_rng(seed).permutation(len(x))[: settings["train_size"]]
    x, y = x[perm].astype(np.float32) / 255, y[perm]
    xt, yt = xt[: settings["test_size"]].astype(np.float32) / 255, yt[: settings["test_size"]]
    mean, std = float(x.mean()), float(x.std())
    manual_seed(seed)
    net = build_reference_cnn(len(classes))
    opt = optim.Adam(net.parameters(), lr=settings["lr"])
    data = TensorDataset(((x - mean) / std)[:, None], y.astype(np.int64))
    loader = DataLoader(data, settings["batch_size"], shuffle=True, seed=seed)
    steps = settings["epochs"] * len(loader)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    net.train()
    for epoch in range(settings["epochs"]):
        total, count = 0.0, 0
        for xb, tb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(net(xb), tb)
            loss.backward()
            opt.step()
            sched.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        if verbose:
            print(
                f"reference classifier ({settings['dataset']}): epoch {epoch + 1}/"
                f"{settings['epochs']}, loss {total / count:.4f}",
                file=sys.stderr,
            )
    ev = GenerativeEvaluator(net, FEATURE_LAYER, mean=mean, std=std, classes=classes)
    train_f, _ = ev.features_and_probs(x)
    test_f, test_p = ev.features_and_probs(xt)
    train_stats = feature_statistics(train_f)
    accuracy = float((test_p.argmax(axis=1) == yt).mean())
    if accuracy < MIN_ACCURACY[settings["dataset"]] and settings["train_size"] >= 60000:
        print(f"shinsou: warning: the reference classifier reaches only {accuracy:.2%} on the "
              f"{settings['dataset']} test set (expected at least "
              f"{MIN_ACCURACY[settings['dataset']]:.1%}); its measurements are less "
              "trustworthy", file=sys.stderr)  # fmt: skip
    # the same numbers for real held-out images: the floor of each measure
    score, score_std = classifier_score(test_p, splits=min(10, len(test_p)))
    sizes = sorted({k for k in (1000, 5000) if k < len(test_f)} | {len(test_f)})
    by_n = {}
    for k in sizes:
        s = feature_statistics(test_f[:k])
        by_n[str(k)] = frechet_distance(s["mu"], s["sigma"], train_stats["mu"],
                                        train_stats["sigma"])  # fmt: skip
    real = {"n": len(test_f), "frechet": by_n[str(len(test_f))], "score": score,
            "score_std": score_std, "top_prob": float(test_p.max(axis=1).mean()),
            "class_fractions": class_histogram(test_p).tolist(),
            "modes_covered": mode_coverage(test_p), "frechet_by_n": by_n}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "mean": mean,
        "std": std,
        "classes": classes,
        "test_accuracy": accuracy,
        "real_test": real,
        "settings": settings,
    }
    save(net, folder / "model.npz", metadata=meta)
    save_statistics(folder / "train_stats.npz", train_stats)
    save_statistics(folder / "test_stats.npz", feature_statistics(test_f))
    info = {"key": settings, **{name: _sha256(folder / name) for name in _FILES}}
    atomic_write(folder / "info.json", json.dumps(info, indent=2))
    if verbose:
        print(
            f"reference classifier ({settings['dataset']}): test accuracy {accuracy:.2%}, "
            f"cached in {folder}",
            file=sys.stderr,
        )


def _cache_folder(settings: dict, cache_dir) -> Path:
    """``<root>/<dataset>-<first 12 hex digits of the SHA-256 of the settings>``."""
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return reference_cache_dir(cache_dir) / f"{settings['dataset']}-{key}"


def _load(settings: dict, folder: Path) -> GenerativeEvaluator:
    """The evaluator from a cache folder; a ValueError/OSError says what is wrong with it."""
    from ..serialization import load, read_metadata

    info_path = folder / "info.json"
    if not info_path.exists():
        raise ValueError("it has no info.json (training did not finish)")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"info.json is not valid JSON ({e})") from None
    if info.get("key") != settings:
        raise ValueError("it was made with other settings or another version")
    for name in _FILES:
        if not (folder / name).exists() or _sha256(folder / name) != info.get(name):
            raise ValueError(f"{name} is missing or does not match its recorded SHA-256")
    meta = read_metadata(folder / "model.npz")["metadata"]
    net = build_reference_cnn(len(meta["classes"]))
    net.load_state_dict(load(folder / "model.npz"))
    train_stats = load_statistics(folder / "train_stats.npz")
    test_stats = load_statistics(folder / "test_stats.npz")
    floor = frechet_distance(
        test_stats["mu"], test_stats["sigma"], train_stats["mu"], train_stats["sigma"]
    )
    ev = GenerativeEvaluator(
        net,
        FEATURE_LAYER,
        mean=meta["mean"],
        std=meta["std"],
        reference=train_stats,
        floor=floor,
        real=meta["real_test"],
        classes=meta["classes"],
    )
    ev.info = {
        "dataset": settings["dataset"],
        "test_accuracy": meta["test_accuracy"],
        "test_statistics": test_stats,
        "cache": str(folder),
        "settings": settings,
    }
    return ev


def reference_classifier(
    dataset: str = "mnist",
    data_dir=None,
    cache_dir=None,
    *,
    train_size: int = 60000,
    test_size: int = 10000,
    epochs: int = 2,
    seed: int = 0,
    verbose: bool = True,
) -> GenerativeEvaluator:
    """A ``GenerativeEvaluator`` built on a CNN trained on the real ``dataset`` ("mnist" or
    "fashion"), trained on the first call and loaded from the cache afterwards.

    The CNN (``build_reference_cnn``) trains for ``epochs`` passes of Adam (lr 2e-3, cosine
    to 0, batch 128, seeded: the same settings give the same weights) over ``train_size``
    images of a seeded shuffle of the training set. With the defaults (60000 images, 2
    epochs: 938 steps) it is meant to reach at least 98.5 % on the MNIST test set
    (``MIN_ACCURACY``); a full-data training that does not prints a warning, and
    ``info["test_accuracy"]`` always says what it reached. Its features are the 128
    activations of the penultimate layer.

    The evaluator's ``reference`` is the feature statistics of those real training images;
    ``floor`` is the Fréchet distance of the first ``test_size`` real test images to them
    (the distance a perfect generator would get with that many images: report generated
    images' distance beside it, with as many images — ``floor_for(n)``); ``real`` holds all
    of ``evaluate``'s numbers for those real test images (score, top-class probability,
    class fractions). ``info`` holds ``test_accuracy``, ``test_statistics``, the cache
    folder and the settings.

    Args:
        dataset: "mnist" or "fashion" (Fashion-MNIST).
        data_dir: where the dataset files are (before ``$SHINSOU_DATA``).
        cache_dir: the cache root (see ``reference_cache_dir``).
        train_size, test_size, epochs, seed: the training settings (small values for tests).
        verbose: progress and the test accuracy on stderr.
    """
    if train_size < 2 or test_size < 2 or epochs < 1:
        raise ValueError(
            "reference_classifier: train_size and test_size must be >= 2 and epochs >= 1, got "
            f"{train_size}, {test_size}, {epochs}"
        )
    settings = _settings(dataset, int(train_size), int(test_size), int(epochs), int(seed))
    if dataset not in ("mnist", "fashion"):
        _load_data(dataset, data_dir)  # raises the clear error
    folder = _cache_folder(settings, cache_dir)
    if folder.exists():
        try:
            ev = _load(settings, folder)
            ev.info["from_cache"] = True
            return ev
        except (OSError, ValueError, KeyError) as e:
            print(
                f"shinsou: the cached reference classifier in {folder} cannot be used ({e}); "
                "training it again",
                file=sys.stderr,
            )
            (folder / "info.json").unlink(missing_ok=True)  # not valid until retrained
    _train(settings, data_dir, folder, verbose)
    ev = _load(settings, folder)
    ev.info["from_cache"] = False
    return ev
