"""Training Fashion-MNIST with a hand-written loop that uses the Trainer's pieces one by one:
evaluation, a JSON-lines log, learning curves, early stopping, a learning-rate schedule,
snapshots (and resuming from them), and saving the model.

Run:  python examples/hand_loop.py [--epochs 8] [--examples 60000] [--out runs/hand_loop]
      python examples/hand_loop.py --resume      # continue after an interruption
"""

from __future__ import annotations

import argparse
from pathlib import Path


import shinsou as ss
import shinsou.functional as F
from shinsou.data import Compose, DataLoader, Flatten, Scale01, Standardize, TensorDataset
from shinsou.training import (
    EarlyStopping,
    JSONLinesLog,
    evaluate,
    find_snapshots,
    read_log,
    save_snapshot,
)
from shinsou.viz import plot_learning_curves


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--examples", type=int, default=60000)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--out", default="runs/hand_loop")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--data-dir")
    args = ap.parse_args(argv)
    out = Path(args.out)

    ss.manual_seed(0)
    x, t = ss.datasets.load_fashion_mnist("train", data_dir=args.data_dir)
    xt, tt = ss.datasets.load_fashion_mnist("test", data_dir=args.data_dir)
    x, t = x[: args.examples], t[: args.examples]
    n_val = len(x) // 12
    prep = Compose([Scale01(), Flatten()])
    std = Standardize.fit(prep(x[n_val:]))  # statistics of the training part only
    prep = Compose([Scale01(), Flatten(), std])
    train = DataLoader(
        TensorDataset(x[n_val:], t[n_val:], transform=prep), 128, shuffle=True, seed=0
    )
    val = DataLoader(TensorDataset(x[:n_val], t[:n_val], transform=prep), 1000)
    test = DataLoader(TensorDataset(xt, tt, transform=prep), 1000)

    net = ss.models.MLP((784, 500, 10), dropout=0.2)
    opt = ss.optim.Adam(net.parameters(), lr=1e-3)
    sched = ss.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    stopper = EarlyStopping("val/loss", patience=args.patience)
    log = JSONLinesLog(out / "log.jsonl")
    first = 0
    if args.resume and (snaps := find_snapshots(out / "snapshots")):
        state = ss.load(snaps[0])  # newest; ss.load checks its SHA-256
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["trainer"]["scheduler"])
        stopper.load_state_dict(state["trainer"]["stopper"])
        train.load_state_dict(state["trainer"]["loader"])
        ss.random.set_state(state["trainer"]["rng"])
        first = state["trainer"]["epoch"]
        log.rewrite(read_log(log.path)[:first])
        print(f"resumed after epoch {first} from {snaps[0]}")
    elif log.path.exists():
        log.path.unlink()

    for epoch in range(first + 1, args.epochs + 1):
        net.train()
        loss_sum, seen = 0.0, 0
        for xb, tb in train:
            opt.zero_grad()
            loss = F.cross_entropy(net(xb), tb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(tb)  # per example: a smaller last batch counts less
            seen += len(tb)
        entry = {
            "epoch": epoch,
            "train/loss": loss_sum / seen,
            "lr": opt.param_groups[0]["lr"],
            **evaluate(net, val),
        }
        sched.step()
        stop = stopper.update(entry["val/loss"])
        log.append(entry)
        plot_learning_curves(read_log(log.path), out / "learning_curves.png")
        save_snapshot(
            out / "snapshots" / f"snapshot_iter_{epoch:08d}.npz",
            net,
            opt,
            {
                "epoch": epoch,
                "scheduler": sched.state_dict(),
                "stopper": stopper.state_dict(),
                "loader": train.state_dict(),
                "rng": ss.random.get_state(),
            },
        )
        print(
            f"epoch {epoch}: train loss {entry['train/loss']:.4f}, val accuracy "
            f"{entry['val/accuracy']:.2%}, lr {entry['lr']:.2g}"
        )
        if stop:
            print(f"early stop: val/loss has not improved for {args.patience} epochs")
            break
    result = evaluate(net, test, prefix="test")
    print(f"test accuracy {result['test/accuracy']:.2%}")
    ss.save(net, out / "model.safetensors", metadata={"test_accuracy": result["test/accuracy"]})
    return read_log(log.path) + [result]


if __name__ == "__main__":
    main()
