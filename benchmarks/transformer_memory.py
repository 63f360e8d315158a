"""Peak memory (RSS) and step time of training the issue-16 Transformer, shinsou beside PyTorch.

Each framework trains in its own fresh process (neither's memory counts against the other):
d_model 128, 2 + 2 layers, 4 heads, feed-forward 512, vocabulary 4,100 per side, embeddings
scaled by √d plus sinusoidal positions, dropout 0.1, batches of 64 sentence pairs of 8-16
tokens with padding (the same seeded batches in both), causal and padding masks,
cross-entropy with label smoothing 0.1 ignoring <pad>, Adam (β₂ 0.98) with the Noam warm-up.
The child reports

* ``import`` — RSS after importing the framework and building the model (MiB);
* ``peak`` — the process's peak RSS over the run (``ru_maxrss``, MiB);
* ``peak − import`` — what training added (activations, gradients, Adam's moments, data);
* seconds per step (the mean over the run, after 2 warm-up steps).

    python benchmarks/transformer_memory.py [--steps 30] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, pin_threads  # noqa: E402

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

V, D, HEADS, LAYERS, FF, N, STEPS = 4100, 128, 4, 2, 512, 64, {steps}
rng = np.random.default_rng(0)

def batch():
    out = []
    for _ in range(2):
        lens = rng.integers(8, 17, N)
        ids = rng.integers(4, V, (N, 16))
        ids[np.arange(16)[None, :] >= lens[:, None]] = 0
        out.append(ids[:, : lens.max()])
    return out

batches = [batch() for _ in range(STEPS + 2)]
pe_table = np.zeros((64, D))
pos = np.arange(64)[:, None] / 10000.0 ** (np.arange(0, D, 2) / D)
pe_table[:, 0::2], pe_table[:, 1::2] = np.sin(pos), np.cos(pos)
pe_table = pe_table.astype(np.float32)
framework = {framework!r}
if framework == "shinsou":
    import shinsou as ss
    import shinsou.functional as F
    ss.manual_seed(0)
    nn, tensor = ss.nn, ss.tensor

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_emb, self.tgt_emb = nn.Embedding(V, D), nn.Embedding(V, D)
            self.pe = nn.PositionalEncoding(D, 0.1, batch_first=True)
            self.transformer = nn.Transformer(D, HEADS, LAYERS, LAYERS, FF, batch_first=True)
            self.out = nn.Linear(D, V)

        def forward(self, src, tgt, mask, sp, tp):
            s, t = self.pe(self.src_emb(src) * D**0.5), self.pe(self.tgt_emb(tgt) * D**0.5)
            h = self.transformer(s, t, tgt_mask=mask, src_key_padding_mask=sp,
                                 tgt_key_padding_mask=tp, memory_key_padding_mask=sp)
            return self.out(h)

    net = Net()
    opt = ss.optim.Adam(net.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    sched = ss.optim.NoamLR(opt, D, 2000)
    ce = F.cross_entropy
    causal = lambda T: nn.Transformer.generate_square_subsequent_mask(T)
else:
    import torch
    torch.manual_seed(0)
    nn, tensor = torch.nn, torch.from_numpy

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_emb, self.tgt_emb = nn.Embedding(V, D), nn.Embedding(V, D)
            self.register_buffer("pe", torch.from_numpy(pe_table), persistent=False)
            self.drop = nn.Dropout(0.1)
            self.transformer = nn.Transformer(D, HEADS, LAYERS, LAYERS, FF, batch_first=True)
            self.out = nn.Linear(D, V)

        def forward(self, src, tgt, mask, sp, tp):
            s = self.drop(self.src_emb(src) * D**0.5 + self.pe[: src.shape[1]])
            t = self.drop(self.tgt_emb(tgt) * D**0.5 + self.pe[: tgt.shape[1]])
            h = self.transformer(s, t, tgt_mask=mask, src_key_padding_mask=sp,
                                 tgt_key_padding_mask=tp, memory_key_padding_mask=sp)
            return self.out(h)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: D**-0.5 * min((e + 1) ** -0.5, (e + 1) * 2000**-1.5))
    ce = torch.nn.functional.cross_entropy
    causal = lambda T: nn.Transformer.generate_square_subsequent_mask(T)

after_import = rss_mib()
t0 = None
for i, (src, tgt) in enumerate(batches):
    if i == 2:
        t0 = time.perf_counter()
    tin, tout = tgt[:, :-1], tgt[:, 1:].reshape(-1)
    opt.zero_grad()
    logits = net(tensor(src), tensor(tin), causal(tin.shape[1]), tensor(src == 0),
                 tensor(tin == 0))
    loss = ce(logits.reshape(-1, V), tensor(tout), ignore_index=0, label_smoothing=0.1)
    loss.backward()
    opt.step()
    sched.step()
seconds = (time.perf_counter() - t0) / STEPS
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(framework=framework, steps=STEPS, seconds_per_step=seconds,
                      after_import_mib=after_import, peak_mib=peak, loss=float(loss))))
"""


def run_child(framework: str, steps: int, threads: int) -> dict:
    code = CHILD.format(
        bench=str(Path(__file__).resolve().parent), threads=threads, steps=steps,
        framework=framework,
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    pin_threads(args.threads)
    print(f"machine: {machine()}; threads: {args.threads}; {args.steps} steps")
    rows = {fw: run_child(fw, args.steps, args.threads) for fw in ("shinsou", "torch")}
    s, t = rows["shinsou"], rows["torch"]
    for fw, r in rows.items():
        print(
            f"{fw:8s} import {r['after_import_mib']:7.1f} MiB  peak {r['peak_mib']:7.1f} MiB  "
            f"peak-import {r['peak_mib'] - r['after_import_mib']:7.1f} MiB  "
            f"{1000 * r['seconds_per_step']:7.1f} ms/step  final loss {r['loss']:.3f}"
        )
    ds, dt = s["peak_mib"] - s["after_import_mib"], t["peak_mib"] - t["after_import_mib"]
    print(
        f"ratios: peak {s['peak_mib'] / t['peak_mib']:.2f}x, training's own memory "
        f"{ds / dt:.2f}x, step time {s['seconds_per_step'] / t['seconds_per_step']:.2f}x"
    )


if __name__ == "__main__":
    main()
