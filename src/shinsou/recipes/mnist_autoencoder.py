"""mnist-autoencoder: Hinton & Salakhutdinov (2006)'s deep autoencoder on MNIST, beside PCA.

Net: 784-1000-500-250-``code_dim`` encoder with logistic (sigmoid) hidden units and a
*linear* code layer, and its mirror decoder 250-500-1000-784 with logistic hidden units and a
sigmoid output (``shinsou.models.Autoencoder(..., activation="sigmoid",
code_activation=False)``, untied weights). Data: MNIST pixels scaled to [0, 1], flattened.

Training: greedy layer-wise pre-training of the three logistic layers as one-hidden-layer
autoencoders (``--pretrain-epochs``, default 1 per layer; the paper pre-trained RBMs), then
fine-tuning of the whole net end to end with Adam, on the per-image loss (sum over the 784
pixels, mean over the batch)

* ``--loss bce`` (default): L = -Σ_d [x_d log x̂_d + (1 - x_d) log(1 - x̂_d)], the
  cross-entropy the paper fine-tuned MNIST with (pixels read as Bernoulli probabilities);
  it gives stronger gradients than the squared error where a sigmoid output saturates;
* ``--loss mse``: L = Σ_d (x̂_d - x_d)², the squared error the report measures.

Report: the test squared reconstruction error per image, E = (1/N) Σ_n Σ_d (x̂_nd - x_nd)²
over the 10,000 test images (``metrics.json``: ``test/squared_error``), beside PCA with
``code_dim`` components fitted on the same training images (``pca/squared_error``) and the
paper's 3.00 (autoencoder) and 13.87 (PCA) for the 30-D code; a picture of originals / PCA /
autoencoder reconstructions; with ``--code-dim 2`` the 2-D codes of the test set coloured by
digit beside PCA's 2-D map.

Budget (defaults): 1 pre-training epoch per layer, then 50 epochs, batch 128, Adam lr 1e-3,
BCE. Why pre-train: from random weights the logistic units leave the "mean digit" plateau
(error ≈ 52) slowly: a full run without pre-training (``--pretrain-epochs 0``) measured 44.6
after epoch 1, 29.5 after 5, 21.0 after 12 and 17.7 after 18 (30-60 s per epoch on one shared
CPU core). The default run (seed 0, one CPU thread, 2-core shared machine) measured a test
squared error per image of 12.8 after epoch 1, 5.1 after 10, 3.97 after 26 and 3.52 after
50 (PCA-30: 13.87), in about 60 s of pre-training plus 584 s of fine-tuning.

Data-parallel (``mpiexec -n P shinsou train mnist-autoencoder --distributed``): rank 0
pre-trains the layers alone, on the whole training set as one process does, while the
other ranks wait (``barrier(patient=True)``); the fine-tuning starts every rank from rank
0's weights, each rank reads its shard of every global batch (``--batch-size`` is the
global batch, divisible by P) and the gradients are averaged before each Adam step; the
test error is summed over the ranks' shards; rank 0 alone saves, measures PCA and reports.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..datasets.mnist import load_mnist_vectors as _images
from ..tasks.reconstruction import Reconstruction
from .base import Recipe, option
from .run import RunConfig, load_config, load_model, make_optimizer, start_run
from .run import announce, job_communicator, seed_each_rank, shard_loaders  # issue 18
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "MnistAutoencoderOptions", "squared_error"]

HIDDEN = (1000, 500, 250)
PAPER = {"autoencoder": 3.00, "pca": 13.87}  # Hinton & Salakhutdinov 2006, 30-D codes
LOSSES = ("bce", "mse")


@dataclass
class MnistAutoencoderOptions:
    """The deep autoencoder's options."""

    code_dim: int = option(30, "size of the linear code layer (30: the paper; 2: a 2-D map)")
    loss: str = option("bce", "training loss per image: bce (cross-entropy) or mse", LOSSES)
    pretrain_epochs: int = option(
        1, "greedy pre-training epochs per logistic layer (StackedAutoencoder); 0: none"
    )


def squared_error(y, t):
    """Squared reconstruction error per image, (1/N) Σ_n Σ_d (y_nd - t_nd)²: a batch's mean
    for ``shinsou.training.evaluate(metrics=...)``.

    Args:
        y: reconstructions (N, D); t: the inputs (N, D) (Tensors or arrays).
    Returns:
        a float.

    >>> import numpy as np
    >>> squared_error(np.zeros((2, 3)), np.ones((2, 3)))
    3.0
    """
    from ..core.tensor import Tensor

    y = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
    t = t.numpy() if isinstance(t, Tensor) else np.asarray(t)
    d = y.reshape(len(y), -1).astype(np.float64) - t.reshape(len(t), -1)
    return float(np.mean(np.sum(d * d, axis=1)))


def _loss_fn(name: str):
    from .. import functional as F

    if name not in LOSSES:
        raise ValueError(f"mnist-autoencoder: --loss must be one of {LOSSES}, got {name!r}")
    if name == "bce":
        return lambda y, t: F.binary_cross_entropy(y, t, reduction="sum") / y.shape[0]
    return lambda y, t: F.mse_loss(y, t, reduction="sum") / y.shape[0]


def _net(code_dim: int):
    from ..models import Autoencoder

    if not isinstance(code_dim, int) or code_dim < 1:
        raise ValueError(f"mnist-autoencoder: --code-dim must be a positive int, got {code_dim!r}")
    return Autoencoder(
        (784, *HIDDEN, code_dim), activation="sigmoid", output="sigmoid", code_activation=False
    )


def _pretrain(net, loader, epochs: int, lr: float) -> list[float]:
    """Greedy layer-wise pre-training of the net's three logistic layers.

    A ``StackedAutoencoder`` 784-1000-500-250 trains layer i (i = 0, 1, 2) as a one-hidden-
    layer autoencoder of the codes of the frozen layers below (squared error, Adam, ``epochs``
    passes); its encoder i then initialises the net's encoder layer i and its decoder i the
    mirror decoder layer. The linear code layer 250-code_dim and its mirror start from their
    random initialisation (the stack's layers are logistic). Returns each layer's last
    epoch's mean pre-training loss.
    """
    from .. import no_grad, optim
    from ..models import StackedAutoencoder

    sae = StackedAutoencoder((784, *HIDDEN), activation="sigmoid")
    last = []
    for i in range(sae.n_layers):
        hist = sae.pretrain_layer(i, loader, epochs, lambda p: optim.Adam(p, lr=lr))
        last.append(hist[-1])
    n = len(net.decoder_layers)
    with no_grad():
        for i in range(sae.n_layers):
            for src, dst in ((sae.encoders[i], net.encoder_layers[i]),
                             (sae.decoders[i], net.decoder_layers[n - 1 - i])):  # fmt: skip
                dst.weight.copy_(src.weight)
                dst.bias.copy_(src.bias)
    return last


def _predict(net, x: np.ndarray, batch: int = 1000, what: str = "forward") -> np.ndarray:
    """``net(x)`` (or ``net.encode(x)``) in eval mode, without gradients, in batches."""
    from .. import no_grad, tensor

    net.eval()
    fn = net.encode if what == "encode" else net
    with no_grad():
        parts = [fn(tensor(x[i : i + batch])).numpy() for i in range(0, len(x), batch)]
    return np.concatenate(parts)


def _draw_reconstructions(path, x, pca_x, ae_x, pca_err, ae_err, k: int) -> None:
    """Three rows: originals, PCA reconstructions, autoencoder reconstructions."""
    from ..viz._mpl import pyplot, save

    plt = pyplot()
    n = len(x)
    fig, axes = plt.subplots(3, n, figsize=(n * 0.9, 3.2), squeeze=False)
    rows = [
        ("original", x),
        (f"PCA-{k}\n{pca_err:.2f}", pca_x),
        (f"autoencoder\n{ae_err:.2f}", ae_x),
    ]
    for r, (name, imgs) in enumerate(rows):
        for i in range(n):
            ax = axes[r][i]
            ax.imshow(np.clip(imgs[i].reshape(28, 28), 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(name, fontsize=7)
    fig.suptitle("test digits: original / PCA / autoencoder (squared error per image)", fontsize=8)
    fig.tight_layout()
    save(fig, path)


def _examples(labels: np.ndarray, per_class: int = 1) -> np.ndarray:
    """Indices of the first ``per_class`` test images of each digit present, by digit."""
    idx = [np.flatnonzero(labels == c)[:per_class] for c in range(10)]
    return np.concatenate(idx).astype(int)


class MnistAutoencoder(Recipe):
    name = "mnist-autoencoder"
    supports_distributed = True
    description = (
        "Hinton & Salakhutdinov's 784-1000-500-250-30 deep autoencoder vs PCA "
        "(--code-dim 2: a 2-D map)"
    )
    task = Reconstruction()
    Options = MnistAutoencoderOptions
    defaults = dict(epochs=50, batch_size=128, lr=1e-3, optimizer="adam", pretrain_epochs=1)

    def _results(self, net, cfg, x_train, x_test, y_test, run_dir=None) -> dict:
        """Test squared errors of the net and of PCA; pictures when ``run_dir`` is given."""
        from ..metrics import PCA

        k = cfg.code_dim
        recon = _predict(net, x_test)
        pca = PCA(k).fit(x_train.astype(np.float64))
        out = {
            "test/squared_error": squared_error(recon, x_test),
            "pca/squared_error": pca.reconstruction_error(x_test.astype(np.float64)),
        }
        if run_dir is None:
            return out
        pics = []
        idx = _examples(y_test)
        if len(idx):
            pca_recon = pca.inverse_transform(pca.transform(x_test[idx].astype(np.float64)))
            _draw_reconstructions(
                run_dir / "reconstructions.png", x_test[idx], pca_recon, recon[idx],
                out["pca/squared_error"], out["test/squared_error"], k,
            )  # fmt: skip
            pics.append(("Test digits: originals / PCA / autoencoder", "reconstructions.png"))
        if k == 2:
            from ..viz import plot_embedding_2d

            codes = _predict(net, x_test, what="encode")
            plot_embedding_2d(
                codes, y_test, run_dir / "codes_2d.png",
                title="autoencoder 784-1000-500-250-2: test codes", max_points=5000,
            )  # fmt: skip
            plot_embedding_2d(
                pca.transform(x_test.astype(np.float64)), y_test, run_dir / "pca_2d.png",
                title="PCA, 2 components: test set", max_points=5000,
            )  # fmt: skip
            pics += [
                ("2-D codes of the test set (autoencoder)", "codes_2d.png"),
                ("2-D map of the test set (PCA)", "pca_2d.png"),
            ]
        out["pictures"] = pics
        return out

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import distributed as dist
        from .. import manual_seed, save
        from ..data import DataLoader, TensorDataset
        from ..training import (
            Evaluate, LogReport, PlotCurves, ProgressBar, Snapshot, StandardUpdater, Trainer,
        )  # fmt: skip
        from ..training.report import write_report

        _loss_fn(cfg.loss)  # a bad option fails before the run folder is made
        comm = job_communicator(cfg)
        dist.local_batch_size(cfg.batch_size, comm.size)  # a bad global batch fails here
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        manual_seed(cfg.seed)
        x_train, _ = _images("train", cfg.train_limit, cfg.data_dir)
        x_test, y_test = _images("test", cfg.test_limit, cfg.data_dir)
        net = _net(cfg.code_dim)
        train_ds, test_ds = TensorDataset(x_train, x_train), TensorDataset(x_test)
        loader = DataLoader(train_ds, cfg.batch_size, shuffle=True, seed=cfg.seed)
        pretrain, pretrain_seconds = None, 0.0
        snapshots = list((run_dir / "snapshots").glob("*.npz"))
        # a snapshot has the weights; in a data-parallel job rank 0 pre-trains alone (the
        # others wait without the job's timeout) and the updater hands its weights out
        if cfg.pretrain_epochs and not (cfg.resume and snapshots) and comm.is_main:
            print(f"{self.name}: greedy pre-training, {cfg.pretrain_epochs} epochs per layer",
                  file=sys.stderr)  # fmt: skip
            start = time.perf_counter()
            pretrain = _pretrain(net, loader, cfg.pretrain_epochs, cfg.lr)
            pretrain_seconds = time.perf_counter() - start
        comm.barrier(patient=True)
        seed_each_rank(cfg, comm)
        if comm.size > 1:  # rank r's shard of each global batch and of the test set
            loader, test_loader = shard_loaders(cfg, comm, train_ds, test_ds)
        else:  # one process fine-tunes with the loader that pre-trained
            test_loader = DataLoader(test_ds, 1000)
        opt = make_optimizer(cfg.optimizer, net.parameters(), cfg.lr)
        updater = StandardUpdater(net, opt, loss_fn=_loss_fn(cfg.loss))
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights
        metric = {"squared_error": squared_error}
        trainer.extend(Evaluate(test_loader, prefix="test", metrics=metric))
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title=f"deep autoencoder 784-1000-500-250-{cfg.code_dim}"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        announce(
            comm,
            f"{self.name}: {len(x_train)} training images, code {cfg.code_dim}-D, "
            f"{cfg.epochs} epochs of {len(loader)} steps",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, measures and reports
            return {}
        save(net, run_dir / "model.npz", metadata={"recipe": self.name, "code_dim": cfg.code_dim})

        res = self._results(net, cfg, x_train, x_test, y_test, run_dir)
        pictures = res.pop("pictures")
        metrics = {
            "recipe": self.name,
            **res,
            "code_dim": cfg.code_dim,
            "test_images": len(x_test),
            "train_images": len(x_train),
            "epochs": cfg.epochs,
            "train_seconds": round(trainer.elapsed_time, 1),
            "final_train_loss": trainer.log[-1].get("train/loss") if trainer.log else None,
            "pretrain_epochs": cfg.pretrain_epochs,
            "pretrain_seconds": round(pretrain_seconds, 1),
        }
        if pretrain is not None:
            metrics["pretrain/layer_losses"] = pretrain
        if cfg.code_dim == 30:
            metrics["paper/squared_error"] = PAPER["autoencoder"]
            metrics["paper/pca_squared_error"] = PAPER["pca"]
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        m, k = metrics, cfg.code_dim
        paper = k == 30
        numbers = [
            ("test squared error per image (autoencoder)",
             f"{m['test/squared_error']:.2f}" + (f" (paper: {PAPER['autoencoder']:.2f})" if paper
                                                  else "")),
            (f"test squared error per image (PCA, {k} components)",
             f"{m['pca/squared_error']:.2f}" + (f" (paper: {PAPER['pca']:.2f})" if paper else "")),
            ("net", f"784-1000-500-250-{k}, logistic hidden units, linear code, sigmoid output"),
            ("training", f"{cfg.epochs} epochs on {len(x_train)} images in "
             f"{m['train_seconds']:.0f} s"),
            ("settings", f"{cfg.optimizer} lr {cfg.lr}, batch {cfg.batch_size}, loss "
             f"{cfg.loss}, seed {cfg.seed}"),
            ("pre-training", f"greedy, {cfg.pretrain_epochs} epochs per logistic layer"
             + (f" in {pretrain_seconds:.0f} s" if pretrain is not None else "")
             if cfg.pretrain_epochs else "none (end to end from random weights)"),
        ]  # fmt: skip
        pictures.append(("Training loss and test squared error", "learning_curves.png"))
        write_report(
            run_dir, f"Deep autoencoder on MNIST ({k}-D code) vs PCA", numbers, pictures,
            ["Squared error per image: the sum over the 784 pixels in [0, 1] of (x̂ − x)², "
             f"mean over {len(x_test)} test images. PCA is fitted on the same training images.",
             f"Evaluate again: `shinsou evaluate {run_dir}`."],
        )  # fmt: skip
        print(
            f"{self.name}: test squared error per image {m['test/squared_error']:.2f} "
            f"(PCA-{k}: {m['pca/squared_error']:.2f}) ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    def _load(self, run_dir):

        cfg = load_config(run_dir)
        return cfg, load_model(run_dir, _net(cfg.code_dim), self.name)

    def export_models(self, run_dir) -> dict:
        """The trained autoencoder for ``shinsou export``: (N, 784) pixels in [0, 1] ->
        (N, 784) reconstructions."""
        cfg, net = self._load(run_dir)
        info = {
            "recipe": self.name,
            "input": "MNIST images flattened to 784 pixels, scaled to [0, 1]",
            "output": "the reconstructed 784 pixels in [0, 1]",
            "code_dim": str(cfg.code_dim),
        }
        return {"": (net, np.zeros((2, 784), np.float32), info)}

    def evaluate(self, run_dir) -> dict:
        """The test squared error per image of the saved net and of PCA refitted on the same
        training images (the numbers of the run's ``metrics.json``)."""
        cfg, net = self._load(run_dir)
        x_train, _ = _images("train", cfg.train_limit, cfg.data_dir)
        x_test, y_test = _images("test", cfg.test_limit, cfg.data_dir)
        return self._results(net, cfg, x_train, x_test, y_test)

    def reconstruct(self, run_dir, image_path) -> dict:
        """A picture's code and its squared reconstruction error per image under the saved
        net (the picture is brought to MNIST's format as ``predict`` does), and ``images``:
        the input and its reconstruction, 28×28 float32 in [0, 1]."""
        from ..datasets import read_image, to_mnist

        _, net = self._load(run_dir)
        x = to_mnist(read_image(image_path)).reshape(1, 784).astype(np.float32) / 255.0
        recon = _predict(net, x)
        return {
            "image": str(image_path),
            "code": _predict(net, x, what="encode")[0].astype(np.float64).round(4).tolist(),
            "squared_error": squared_error(recon, x),
            "images": {"input": x.reshape(28, 28), "reconstruction": recon.reshape(28, 28)},
        }


RECIPE = MnistAutoencoder()
