"""Peak memory (RSS) of a PTB small LSTM language-model training run, shinsou beside PyTorch.

Each framework trains in its own fresh process (so neither's memory counts against the other):
Zaremba et al.'s small model (embedding 10,000×200, 2 × 200 LSTM, linear 200→10,000), the
PTB training tokens cut into 20 streams, windows of 20 steps, state carried and detached,
cross-entropy, SGD lr 1 with gradient-norm clipping 5; ``--windows`` windows of training,
then one pass over the validation tokens without gradients. The child reports

* ``import`` — RSS after importing the framework and building the model (MiB);
* ``peak`` — the process's peak RSS over the whole run (``ru_maxrss``, MiB);
* ``peak − import`` — what training itself added (activations, gradients, optimizer, data);
* seconds per training window.

The shinsou process never imports torch and the PyTorch one never imports shinsou; the token
ids are read by the parent (with shinsou's PTB loader) and handed over as a ``.npy`` file.

    python benchmarks/lstm_memory.py [--windows 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, pin_threads  # noqa: E402

V, H, L, T, N = 10_000, 200, 2, 20, 20

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {bench!r})
from common import pin_threads
pin_threads({threads})
import numpy as np

def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

V, H, L, T, N = {V}, {H}, {L}, {T}, {N}
train = np.load({train!r})
valid = np.load({valid!r})

def streams(ids):
    n = len(ids) // N
    return ids[: n * N].reshape(N, n).T.copy()  # (steps, N)

tr, va = streams(train), streams(valid)
framework = {framework!r}
if framework == "shinsou":
    import shinsou as ss
    import shinsou.functional as F
    ss.manual_seed(0)

    class LM(ss.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = ss.nn.Embedding(V, H)
            self.lstm = ss.nn.LSTM(H, H, L)
            self.out = ss.nn.Linear(H, V)

        def forward(self, ids, state):
            y, state = self.lstm(self.embed(ids), state)
            return self.out(y), state

    net = LM()
    for p in net.parameters():
        ss.nn.init.uniform_(p, -0.1, 0.1)
    opt = ss.optim.SGD(net.parameters(), lr=1.0)
    tensor, zeros, ce, clip = ss.tensor, ss.zeros, F.cross_entropy, ss.optim.clip_grad_norm_
    no_grad = ss.no_grad
else:
    import torch
    torch.manual_seed(0)

    class LM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, H)
            self.lstm = torch.nn.LSTM(H, H, L)
            self.out = torch.nn.Linear(H, V)

        def forward(self, ids, state):
            y, state = self.lstm(self.embed(ids), state)
            return self.out(y), state

    net = LM()
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.1, 0.1)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    tensor, zeros = torch.from_numpy, torch.zeros
    ce, clip = torch.nn.functional.cross_entropy, torch.nn.utils.clip_grad_norm_
    no_grad = torch.no_grad

after_import = rss_mib()
state = (zeros(L, N, H), zeros(L, N, H))
t0 = time.perf_counter()
windows = 0
for start in range(0, len(tr) - 1 - T, T):
    if windows == {windows}:
        break
    x = tensor(tr[start : start + T])
    y = tensor(tr[start + 1 : start + T + 1].reshape(-1))
    opt.zero_grad()
    logits, (h, c) = net(x, state)
    loss = ce(logits.reshape(-1, V), y)
    loss.backward()
    clip(net.parameters(), 5.0)
    opt.step()
    state = (h.detach(), c.detach())
    windows += 1
seconds = (time.perf_counter() - t0) / windows
net.eval()
state = (zeros(L, N, H), zeros(L, N, H))
total = 0.0
with no_grad():
    for start in range(0, len(va) - 1 - T, T):
        x = tensor(va[start : start + T])
        y = tensor(va[start + 1 : start + T + 1].reshape(-1))
        logits, state = net(x, state)
        total += float(ce(logits.reshape(-1, V), y))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(framework=framework, windows=windows, seconds_per_window=seconds,
                      after_import_mib=after_import, peak_mib=peak)))
"""


def run_child(framework: str, train: str, valid: str, windows: int, threads: int) -> dict:
    code = CHILD.format(
        bench=str(Path(__file__).resolve().parent), threads=threads, V=V, H=H, L=L, T=T, N=N,
        train=train, valid=valid, framework=framework, windows=windows,
    )  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{framework} child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=300, help="training windows of 20 steps")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np

    from shinsou.data import Vocabulary
    from shinsou.datasets import load_ptb

    words = {split: load_ptb(split) for split in ("train", "valid")}
    vocab = Vocabulary.build([words["train"]])
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for split, ws in words.items():
            files[split] = str(Path(tmp) / f"{split}.npy")
            np.save(files[split], np.asarray(vocab.encode(ws), dtype=np.int64))
        rows = [run_child(fw, files["train"], files["valid"], args.windows, args.threads)
                for fw in ("shinsou", "torch")]  # fmt: skip
    print(f"# {machine()}; {args.threads} thread(s); {args.windows} training windows of "
          f"{T} steps × batch {N}, then the validation set")  # fmt: skip
    print("| framework | RSS after import + model | peak RSS | peak − import | s / window |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['framework']} | {r['after_import_mib']:.0f} MiB | {r['peak_mib']:.0f} MiB "
              f"| {r['peak_mib'] - r['after_import_mib']:.0f} MiB "
              f"| {r['seconds_per_window'] * 1e3:.1f} ms |")  # fmt: skip
    s, t = rows
    print(f"peak RSS ratio shinsou / PyTorch: {s['peak_mib'] / t['peak_mib']:.2f}x "
          f"(training's own: {(s['peak_mib'] - s['after_import_mib']) / max(t['peak_mib'] - t['after_import_mib'], 1e-9):.2f}x)")  # fmt: skip  # noqa: E501
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
