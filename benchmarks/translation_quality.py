"""The same Transformer trained in shinsou and in PyTorch, side by side: test BLEU (greedy and
beam 5), training time, time per step and decoding speed.

    python benchmarks/translation_quality.py [--epochs 20] [--train-limit N] [--test-limit N]
                                             [--seed 0] [--threads 1] [--out DIR]
                                             [--torch-decoding cache|recompute]
                                             [--no-progress]

Issue 16's bars: "Transformer training step (batch 64 sentence pairs) ≤ 1.3× PyTorch's time";
"decoding speed (sentences per second, beam 5) beside PyTorch's"; "``enja-transformer``
reaches test BLEU within 1 point of the PyTorch model trained in the same benchmark run, and
at least 27".

What runs, in one process:

* The model, data and settings are the ``enja-transformer`` recipe's (``shinsou.recipes``),
  with its defaults: d_model 128, 2 + 2 post-norm layers, 4 heads, feed-forward 512, dropout
  0.1, tied target embedding and output layer, label smoothing 0.1, Adam β (0.9, 0.98) ε 1e-9
  with the warm-up schedule η_s = lr · min(s/w, √(w/s)) (peak lr 2e-3 at w = 2,000 steps),
  batches of 64 pairs bucketed by source length, 20 epochs. shinsou builds the model
  (``recipe.build_model`` after ``manual_seed(seed)``), its optimizer and schedule
  (``recipe.make_optimizer``: Adam + ``NoamLR``) and trains with the recipe's own
  ``TranslationUpdater`` (in a plain loop: no dev evaluation between epochs, only the test
  set at the end). PyTorch's twin (``TorchTranslator``): ``torch.nn.Embedding`` × √d
  + the same sinusoidal table + ``torch.nn.Dropout``, ``torch.nn.Transformer`` (batch_first,
  the same sizes), ``torch.nn.Linear`` tied to the target embedding; its parameters are a
  copy of shinsou's initial ones (strictly: every name must match), so both start equal.
  ``torch.optim.Adam`` with the same β and ε, ``LambdaLR`` giving the same rate each step.
* Both train on the same batches in the same order: the recipe's own ``DataLoader`` draws
  each epoch's batches (``BucketBatchSampler`` seeded with ``seed``, epoch e's order from
  (seed, e)), and each side pads them with the recipe's ``TranslationCollate``. The two
  train one epoch each in turn (which goes first alternates), so a slow spell of a shared
  machine hits both alike; each framework's time is the sum of its epochs' times (padding
  the batches, the steps, the logged numbers). Dropout draws its masks from each library's
  own generator, so with dropout the two runs are two samples of the same recipe, not one
  trajectory; without dropout they track each other closely for the first steps (see
  ``tests/test_translation_benchmark.py``) and drift apart slowly (float32 round-off).
* Then both translate the test set twice, greedily and with beam 5 (GNMT length penalty
  α 0.6, at most 40 tokens), through the recipe's ``tasks.translation.translate_ids``
  (sources sorted by length, batches of 64) and ``shinsou.decoding``'s search loops, so the
  search is the same code for both and only the network's step differs. shinsou's decoder
  caches the keys and values of earlier positions (one position per step).
  ``nn.TransformerDecoder`` has no such cache, so PyTorch's step (``TorchDecoding``, torch
  ops under ``inference_mode``) is written out with the twin's layer weights and caches the
  same way (``--torch-decoding cache``, the default: one algorithm on both sides), or
  recomputes the whole prefix each step as a plain ``nn.Transformer`` user would
  (``--torch-decoding recompute``). The encoder runs once per batch, PyTorch's with its
  inference fast path. Both find the same translations from equal weights (tested). BLEU:
  sacrebleu with ``tokenize="none"`` on the corpus's own tokens
  (``tasks.translation.corpus_bleu``).

Output: a JSON (``translation_quality.json``) and a markdown table
(``translation_quality.md``), printed and, with ``--out``, written there with each side's
test translations (``test.{greedy,beam}.{shinsou,pytorch}.ja``). Ratios are shinsou /
PyTorch (BLEU: above 1 is better for shinsou; time: below 1 is faster; speed: above 1 is
faster).

Threads: ``--threads N`` pins BLAS/OpenMP to N threads before NumPy or torch is loaded, sets
``SHINSOU_NUM_THREADS=N`` and ``torch.set_num_threads(N)``. Needs PyTorch and sacrebleu
(``pip install -e .[bench,translate]``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from common import machine_info, pin_threads  # noqa: E402

RECIPE = "enja-transformer"


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=f"{RECIPE} trained in shinsou and in PyTorch in one run: BLEU and time"
    )
    ap.add_argument("--epochs", type=int, default=None,
                    help="epochs of each (default: the recipe's, 20)")  # fmt: skip
    ap.add_argument("--train-limit", type=int, default=None,
                    help="train on the first N training pairs only")  # fmt: skip
    ap.add_argument("--test-limit", type=int, default=None,
                    help="translate the first N test pairs only")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="folder for the JSON, markdown and translations")
    ap.add_argument("--threads", type=int, default=1, help="threads of both (default 1)")
    ap.add_argument("--torch-decoding", choices=("cache", "recompute"), default="cache",
                    help="PyTorch's decoder step: cache earlier positions' keys and values "
                         "(default, as shinsou) or recompute the prefix")  # fmt: skip
    ap.add_argument("--no-progress", dest="progress", action="store_false",
                    help="no step counter on a terminal (the per-epoch lines stay)")  # fmt: skip
    return ap


if __name__ == "__main__":  # thread counts are read once, when BLAS and OpenMP load
    pin_threads(parser().parse_known_args()[0].threads)

# shinsou before NumPy: it sets OpenBLAS's defaults when it is the first to load it
import shinsou as ss  # noqa: E402

import numpy as np  # noqa: E402

from shinsou import recipes  # noqa: E402
from shinsou.recipes.enja import TranslationUpdater  # noqa: E402
from shinsou.tasks.translation import corpus_bleu, translate_ids  # noqa: E402


# --- the PyTorch twin ------------------------------------------------------------------------
def _torch_translator_class():
    """``TorchTranslator``, made when first needed so that importing this file needs no torch."""
    import torch

    nn = torch.nn

    class TorchTranslator(nn.Module):
        """PyTorch's twin of ``models.TransformerTranslator`` with the same parameter names:

            memory   = Encoder(dropout(√d · E_src[x] + PE))             (source padding masked)
            h        = Decoder(dropout(√d · E_tgt[y_<t] + PE), memory)   (causal mask)
            logits   = W_out h + b                    (tied: W_out is E_tgt's weight)

        ``pe`` (max_len, d) is a copy of the shinsou model's sinusoidal table (a buffer,
        not in the state dict)."""

        def __init__(self, src_vocab, tgt_vocab, d_model, nhead, num_encoder_layers,
                     num_decoder_layers, dim_feedforward, dropout, tie_embeddings, norm_first,
                     pe: np.ndarray, pad_index: int = 0):  # fmt: skip
            super().__init__()
            self.pad_index, self.scale = pad_index, math.sqrt(d_model)
            self.src_embed = nn.Embedding(src_vocab, d_model, padding_idx=pad_index)
            self.tgt_embed = nn.Embedding(tgt_vocab, d_model, padding_idx=pad_index)
            self.register_buffer("pe", torch.from_numpy(np.asarray(pe, np.float32)),
                                 persistent=False)  # fmt: skip
            self.drop = nn.Dropout(dropout)
            with warnings.catch_warnings():  # pre-norm: "no nested tensor fast path"
                warnings.filterwarnings("ignore", message="enable_nested_tensor is True")
                self.transformer = nn.Transformer(
                    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                    dropout, batch_first=True, norm_first=norm_first,
                )  # fmt: skip
            self.out = nn.Linear(d_model, tgt_vocab)
            if tie_embeddings:
                self.out.weight = self.tgt_embed.weight

        def embed_tgt(self, tgt):
            return self.drop(self.tgt_embed(tgt) * self.scale + self.pe[: tgt.shape[1]])

        def encode(self, src):
            """``(memory (N, S, d), pad (N, S) bool)``."""
            pad = src == self.pad_index
            s = self.drop(self.src_embed(src) * self.scale + self.pe[: src.shape[1]])
            return self.transformer.encoder(s, src_key_padding_mask=pad), pad

        def decode(self, tgt_in, memory, pad):
            T = tgt_in.shape[1]
            causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=memory.dtype)
            h = self.transformer.decoder(
                self.embed_tgt(tgt_in), memory, tgt_mask=causal, memory_key_padding_mask=pad,
                tgt_is_causal=True,
            )  # fmt: skip
            return self.out(h)

        def forward(self, src, tgt_in):
            """Teacher forcing: logits (N, T, V_tgt)."""
            memory, pad = self.encode(src)
            return self.decode(tgt_in, memory, pad)

    return TorchTranslator


def torch_twin(model, cfg):
    """A ``TorchTranslator`` with ``model``'s (a ``TransformerTranslator``) sizes and a copy
    of its weights (every state-dict name must match)."""
    import torch

    TorchTranslator = _torch_translator_class()
    twin = TorchTranslator(
        model.src_vocab, model.tgt_vocab, cfg.d_model, cfg.heads, cfg.encoder_layers,
        cfg.decoder_layers, cfg.feedforward, cfg.dropout, model.tie_embeddings,
        cfg.norm_first, model.pos.pe.numpy(), model.pad_index,
    )  # fmt: skip
    state = {k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()}
    if model.tie_embeddings:  # shinsou lists a shared parameter once
        state.setdefault("out.weight", state["tgt_embed.weight"])
    twin.load_state_dict(state)
    return twin


@contextlib.contextmanager
def _quiet_fast_path():
    """Silence PyTorch's warning that its encoder's inference fast path packs a padded batch
    as a (prototype) nested tensor: expected here, and harmless."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*nested tensors is in prototype")
        yield


def _select(obj, idx):
    """``obj`` with axis 0 of every torch tensor inside (dicts, lists, tuples) indexed by
    the LongTensor ``idx``."""
    if isinstance(obj, dict):
        return {k: _select(v, idx) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_select(v, idx) for v in obj)
    if hasattr(obj, "index_select"):
        return obj.index_select(0, idx)
    return obj


class TorchDecoding:
    """The twin as ``shinsou.decoding`` wants a model (``encode``, ``decode_step``,
    ``reorder_memory``, ``reorder_state``, ``training``/``eval``/``train``), in torch ops
    under ``torch.inference_mode``, in one of two ways:

    * ``"cache"`` (the default, like shinsou's decoder): the step feeds only the newest
      position through the decoder layers, written out with the layers' own weights
      (``nn.TransformerDecoderLayer`` has no incremental step): self-attention of the new
      query over the cached keys and values of all earlier positions (plus its own), cross-
      attention over the memory's keys and values (projected once per batch, at ``encode``),
      the feed-forward block, the norms where the layer puts them (post- or pre-norm), then
      the decoder's final norm. The state is ``{"t": positions done, "kv": [(K, V) per
      layer]}``, K and V (N, heads, t, d/heads).
    * ``"recompute"``: the state is the prefix (N, t) itself; each step runs
      ``nn.TransformerDecoder`` over the whole prefix with a causal mask and keeps the last
      position (what a plain ``nn.Transformer`` user would write; t positions per step).
    """

    MODES = ("cache", "recompute")

    def __init__(self, net, mode: str = "cache"):
        import torch

        if mode not in self.MODES:
            raise ValueError(f"TorchDecoding: mode must be one of {self.MODES}, got {mode!r}")
        self.torch, self.net, self.mode = torch, net, mode
        self.F = torch.nn.functional

    @property
    def training(self) -> bool:
        return self.net.training

    def eval(self):
        self.net.eval()
        return self

    def train(self, mode: bool = True):
        self.net.train(mode)
        return self

    # --- the attention blocks, one new position at a time -------------------------------
    def _heads(self, x, h):
        """(N, L, d) -> (N, h, L, d/h)."""
        N, L, d = x.shape
        return x.view(N, L, h, d // h).transpose(1, 2)

    def _self_attention(self, attn, x, kv):
        """The new position x (N, 1, d) attends to the cached keys/values and itself."""
        h = attn.num_heads
        q, k, v = self.F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        q, k, v = self._heads(q, h), self._heads(k, h), self._heads(v, h)
        if kv is not None:
            k, v = self.torch.cat([kv[0], k], dim=2), self.torch.cat([kv[1], v], dim=2)
        y = self.F.scaled_dot_product_attention(q, k, v)  # (N, h, 1, d/h)
        y = y.transpose(1, 2).reshape(x.shape)
        return attn.out_proj(y), (k, v)

    def _cross_attention(self, attn, x, kv, keep):
        d = x.shape[-1]
        q = self.F.linear(x, attn.in_proj_weight[:d], attn.in_proj_bias[:d])
        y = self.F.scaled_dot_product_attention(self._heads(q, attn.num_heads), kv[0], kv[1],
                                                attn_mask=keep)  # fmt: skip
        return attn.out_proj(y.transpose(1, 2).reshape(x.shape))

    def _feed_forward(self, layer, x):
        return layer.linear2(layer.activation(layer.linear1(x)))

    # --- the model interface ---------------------------------------------------------------
    def encode(self, src, src_lengths=None):
        torch = self.torch
        with torch.inference_mode(), _quiet_fast_path():
            memory, pad = self.net.encode(torch.from_numpy(src.numpy()))
            enc = {"memory": memory, "pad": pad}
            if self.mode == "cache":  # each layer's keys and values of the memory, once
                d = memory.shape[-1]
                cross = []
                for layer in self.net.transformer.decoder.layers:
                    a = layer.multihead_attn
                    k, v = self.F.linear(memory, a.in_proj_weight[d:], a.in_proj_bias[d:]).chunk(
                        2, dim=-1
                    )
                    cross.append((self._heads(k, a.num_heads), self._heads(v, a.num_heads)))
                enc["cross"] = cross
                enc["keep"] = ~pad[:, None, None, :]  # (N, 1, 1, S): True where attended
        return enc

    def decode_step(self, tokens, enc, state=None):
        torch = self.torch
        with torch.inference_mode():
            tok = torch.from_numpy(tokens.numpy()).unsqueeze(1)
            if self.mode == "recompute":
                prefix = tok if state is None else torch.cat([state, tok], dim=1)
                logits = self.net.decode(prefix, enc["memory"], enc["pad"])[:, -1]
                return ss.tensor(logits.numpy()), prefix
            net, dec = self.net, self.net.transformer.decoder
            t = 0 if state is None else state["t"]
            x = net.tgt_embed(tok) * net.scale + net.pe[t : t + 1]  # (N, 1, d); eval: no dropout
            kvs = []
            for i, layer in enumerate(dec.layers):
                kv = None if state is None else state["kv"][i]
                cross, keep = enc["cross"][i], enc["keep"]
                if layer.norm_first:
                    y, kv = self._self_attention(layer.self_attn, layer.norm1(x), kv)
                    x = x + y
                    x = x + self._cross_attention(layer.multihead_attn, layer.norm2(x), cross,
                                                  keep)  # fmt: skip
                    x = x + self._feed_forward(layer, layer.norm3(x))
                else:
                    y, kv = self._self_attention(layer.self_attn, x, kv)
                    x = layer.norm1(x + y)
                    x = layer.norm2(x + self._cross_attention(layer.multihead_attn, x, cross,
                                                              keep))  # fmt: skip
                    x = layer.norm3(x + self._feed_forward(layer, x))
                kvs.append(kv)
            if dec.norm is not None:
                x = dec.norm(x)
            logits = net.out(x[:, 0])
        return ss.tensor(logits.numpy()), {"t": t + 1, "kv": kvs}

    def reorder_memory(self, enc, index):
        return _select(enc, self.torch.from_numpy(np.asarray(index, np.int64)))

    def reorder_state(self, state, index):
        if state is None:
            return None
        idx = self.torch.from_numpy(np.asarray(index, np.int64))
        if self.mode == "recompute":
            return state.index_select(0, idx)
        return {"t": state["t"], "kv": _select(state["kv"], idx)}


# --- the two sides ---------------------------------------------------------------------------
class ShinsouSide:
    """shinsou's half: the recipe's model, optimizer, schedule and ``TranslationUpdater``."""

    name = "shinsou"

    def __init__(self, recipe, model, cfg, pad: int):
        self.model = model
        self.optimizer, schedulers, _ = recipe.make_optimizer(model, cfg)
        self.scheduler = schedulers["lr"]
        self.updater = TranslationUpdater(model, self.optimizer, pad, cfg.label_smoothing,
                                          cfg.clip, schedulers)  # fmt: skip

    def step(self, batch: dict) -> dict:
        """One teacher-forced step on a padded batch (``TranslationCollate``'s arrays), then
        the schedule's step (the recipe's ``LRSchedule`` does it after every iteration)."""
        b = {k: ss.tensor(v) for k, v in batch.items()}
        obs = self.updater.update(b)
        self.scheduler.step()
        return {"loss": obs["train/loss"], "nll": obs["train/nll"], "lr": obs["lr"]}

    def logits(self, batch: dict) -> np.ndarray:
        """Teacher-forced logits (N, T, V) in evaluation mode."""
        was = self.model.training
        self.model.eval()
        try:
            with ss.no_grad():
                return self.model(ss.tensor(batch["src"]), ss.tensor(batch["src_lengths"]),
                                  ss.tensor(batch["tgt_in"])).numpy()  # fmt: skip
        finally:
            self.model.train(was)

    @property
    def decoder(self):
        return self.model


class TorchSide:
    """PyTorch's half: the twin, ``torch.optim.Adam`` (β 0.9, 0.98, ε 1e-9) and
    ``LambdaLR`` with the recipe's rate, and the updater's step written out:

        L = cross_entropy(logits, y, ignore_index=pad, label_smoothing=ε)
        backward, clip the global norm to ``clip`` (0: off), Adam step, schedule step

    with the same logged numbers (L, and the likelihood without smoothing)."""

    name = "pytorch"

    def __init__(self, twin, cfg, pad: int, decoding: str = "cache"):
        import torch

        if cfg.optimizer not in ("adam", "adamw"):
            raise ValueError(f"translation_quality: --optimizer adam or adamw, got {cfg.optimizer}")
        self.torch, self.model, self.pad, self.decoding = torch, twin, pad, decoding
        self.smoothing, self.clip = cfg.label_smoothing, cfg.clip
        maker = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
        self.optimizer = maker(twin.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9)
        w = cfg.warmup
        # η_s = lr · min(s/w, √(w/s)), s = step + 1: NoamLR with factor lr·√(d·w)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda e: min((e + 1) / w, math.sqrt(w / (e + 1)))
        )
        self.ce = torch.nn.functional.cross_entropy

    def step(self, batch: dict) -> dict:
        torch, model, opt = self.torch, self.model, self.optimizer
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        logits = model(torch.from_numpy(batch["src"]), torch.from_numpy(batch["tgt_in"]))
        flat = logits.reshape(-1, logits.shape[-1])
        target = torch.from_numpy(batch["tgt_out"]).reshape(-1)
        loss = self.ce(flat, target, ignore_index=self.pad, label_smoothing=self.smoothing)
        loss.backward()
        if self.clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.clip)
        opt.step()
        self.scheduler.step()
        if self.smoothing:
            with torch.no_grad():
                nll = self.ce(flat.detach(), target, ignore_index=self.pad).item()
        else:
            nll = loss.item()
        return {"loss": loss.item(), "nll": nll, "lr": lr}

    def logits(self, batch: dict) -> np.ndarray:
        torch, model = self.torch, self.model
        was = model.training
        model.eval()
        try:
            with torch.no_grad(), _quiet_fast_path():
                return model(torch.from_numpy(batch["src"]),
                             torch.from_numpy(batch["tgt_in"])).numpy()  # fmt: skip
        finally:
            model.train(was)

    @property
    def decoder(self):
        return TorchDecoding(self.model, self.decoding)


def build_sides(cfg, src_vocab: int, tgt_vocab: int, pad: int = 0, torch_decoding="cache"):
    """shinsou's model exactly as the recipe builds it (``manual_seed(cfg.seed)`` then
    ``build_model``), PyTorch's twin with the same initial weights, and the two trainers
    (PyTorch's decoding: ``TorchDecoding`` in mode ``torch_decoding``)."""
    import torch

    recipe = recipes.get(RECIPE)
    ss.manual_seed(cfg.seed)
    model = recipe.build_model(src_vocab, tgt_vocab, cfg)
    twin = torch_twin(model, cfg)
    torch.manual_seed(cfg.seed)  # dropout's masks: reproducible, not equal to shinsou's
    return ShinsouSide(recipe, model, cfg, pad), TorchSide(twin, cfg, pad, torch_decoding)


# --- data and training -----------------------------------------------------------------------
def load(cfg):
    """The recipe's vocabularies, datasets and training loader (``recipe._data``)."""
    from shinsou.datasets import enja_vocabularies

    recipe = recipes.get(RECIPE)
    en_vocab, ja_vocab = enja_vocabularies(cfg.data_dir)
    data = recipe._data(cfg, en_vocab, ja_vocab)
    return en_vocab, ja_vocab, data


def epoch_batches(loader, epoch: int) -> list:
    """The index arrays of epoch ``epoch``'s batches (0-based), exactly as the recipe's
    trainer visits them: the loader's ``BucketBatchSampler`` seeded with the run's seed."""
    return loader._batches(epoch)


def collate(loader, dataset, idx) -> dict:
    """The padded batch (NumPy arrays) of the examples ``idx``, by the recipe's
    ``TranslationCollate``."""
    return loader.collate_fn([dataset[int(i)] for i in idx])


def train_both(sides, loader, dataset, epochs: int, progress: bool = True,
               log=sys.stderr) -> list[dict]:  # fmt: skip
    """Train each side ``epochs`` epochs on the same batches, the two taking turns epoch by
    epoch (the first alternates). Adds each side's training time to its ``seconds`` (and
    steps to ``steps``); returns one entry per epoch with each side's seconds and mean
    logged numbers."""
    entries = []
    for side in sides:
        side.seconds = getattr(side, "seconds", 0.0)
        side.steps = getattr(side, "steps", 0)
    for epoch in range(epochs):
        batches = epoch_batches(loader, epoch)
        entry = {"epoch": epoch + 1, "steps": len(batches)}
        order = sides if epoch % 2 == 0 else sides[::-1]
        for side in order:
            time.sleep(0.1)  # let the other library's worker threads go quiet
            sums: dict = {}
            t0 = time.perf_counter()
            for i, idx in enumerate(batches):
                for k, v in side.step(collate(loader, dataset, idx)).items():
                    sums[k] = sums.get(k, 0.0) + v
                if progress and (i + 1) % 20 == 0:
                    rate = (time.perf_counter() - t0) / (i + 1)
                    print(f"\repoch {epoch + 1}/{epochs} {side.name}: step {i + 1}/"
                          f"{len(batches)} ({rate:.3f} s/step)", end="", file=log,
                          flush=True)  # fmt: skip
            seconds = time.perf_counter() - t0
            if progress and len(batches) >= 20:
                print("\r" + " " * 70 + "\r", end="", file=log)
            side.seconds += seconds
            side.steps += len(batches)
            means = {k: v / max(len(batches), 1) for k, v in sums.items() if k != "lr"}
            entry[side.name] = {"seconds": round(seconds, 3), **means}
        entries.append(entry)
        print(f"epoch {epoch + 1}/{epochs}: " + "; ".join(
            f"{s.name} {entry[s.name]['seconds']:.1f} s, loss {entry[s.name]['loss']:.3f}, "
            f"nll {entry[s.name]['nll']:.3f}" for s in sides if "loss" in entry[s.name]
        ), file=log, flush=True)  # fmt: skip
    return entries


# --- decoding, measuring and reporting -------------------------------------------------------
def decode_both(sides, sources, references, ja_vocab, cfg, log=sys.stderr) -> tuple[dict, dict]:
    """Translate ``sources`` with each side, greedily and with beam ``cfg.beam`` (α
    ``cfg.alpha``, at most ``cfg.max_len`` tokens), through ``translate_ids``; which side goes
    first alternates. Returns ``({side: {bleu_greedy, seconds_greedy,
    sentences_per_second_greedy, ..._beam}}, {side: {"greedy": [[tokens]], "beam": ...}})``."""
    pad, bos, eos = (ja_vocab.index(t) for t in ("<pad>", "<bos>", "<eos>"))
    numbers: dict = {s.name: {} for s in sides}
    outputs: dict = {s.name: {} for s in sides}
    for j, (kind, k) in enumerate((("greedy", 1), ("beam", cfg.beam))):
        for side in sides if j % 2 == 0 else sides[::-1]:
            time.sleep(0.1)
            hyps, seconds = translate_ids(side.decoder, sources, bos=bos, eos=eos,
                                          pad_index=pad, beam_size=k,
                                          alpha=cfg.alpha if k > 1 else 0.0,
                                          max_len=cfg.max_len)  # fmt: skip
            words = [ja_vocab.decode(h) for h in hyps]
            outputs[side.name][kind] = words
            numbers[side.name][f"bleu_{kind}"] = corpus_bleu(words, references)
            numbers[side.name][f"decode_seconds_{kind}"] = seconds
            numbers[side.name][f"sentences_per_second_{kind}"] = len(words) / max(seconds, 1e-9)
            print(f"{side.name} {kind}: BLEU {numbers[side.name][f'bleu_{kind}']:.2f}, "
                  f"{len(words) / max(seconds, 1e-9):.1f} sentences/s", file=log,
                  flush=True)  # fmt: skip
    return numbers, outputs


def _ratio(a, b):
    return a / b if b else None


def run_comparison(epochs=None, train_limit=None, test_limit=None, seed: int = 0,
                   threads: int = 1, out=None, progress: bool = True, log=sys.stderr,
                   torch_decoding: str = "cache", **overrides) -> dict:  # fmt: skip
    """Train ``enja-transformer`` in both frameworks, translate the test set with both, and
    compare (see the module doc).

    ``overrides`` are further recipe settings (``d_model``, ``heads``, ``feedforward``,
    ``dropout``, ``beam``, ``max_len``, ``batch_size``, ... for small test runs). Returns the
    JSON's dict; with ``out`` writes ``translation_quality.json``,
    ``translation_quality.md`` and the translations there.
    """
    import torch

    torch.set_num_threads(threads)
    recipe = recipes.get(RECIPE)
    settings = dict(train_limit=train_limit, test_limit=test_limit, seed=seed, progress=False)
    if epochs is not None:
        settings["epochs"] = epochs
    cfg = recipe.config(**settings, **overrides)
    if cfg.device != "cpu":
        raise ValueError("translation_quality: compares CPU runs only (device 'cpu')")
    en_vocab, ja_vocab, data = load(cfg)
    pad = ja_vocab.index("<pad>")
    sides = build_sides(cfg, len(en_vocab), len(ja_vocab), pad, torch_decoding)
    loader, train = data["train_loader"], data["train"]
    steps = len(loader)
    print(f"translation_quality: {RECIPE} in shinsou and PyTorch, {len(train)} training pairs, "
          f"{cfg.epochs} epoch(s) of {steps} steps (batch {cfg.batch_size}), "
          f"{len(data['test'])} test pairs, {threads} thread(s)", file=log,
          flush=True)  # fmt: skip
    entries = train_both(sides, loader, train, cfg.epochs, progress, log)
    numbers, outputs = decode_both(sides, data["test"].src, data["test_ref"], ja_vocab, cfg, log)

    result = {
        "benchmark": "translation_quality",
        "recipe": RECIPE,
        "settings": {
            "epochs": cfg.epochs,
            "train_limit": train_limit,
            "test_limit": test_limit,
            "train_pairs": len(train),
            "test_pairs": len(data["test"]),
            "steps_per_epoch": steps,
            "batch_size": cfg.batch_size,
            "d_model": cfg.d_model,
            "heads": cfg.heads,
            "layers": [cfg.encoder_layers, cfg.decoder_layers],
            "feedforward": cfg.feedforward,
            "dropout": cfg.dropout,
            "tie_embeddings": cfg.tie_embeddings,
            "norm_first": cfg.norm_first,
            "label_smoothing": cfg.label_smoothing,
            "lr": cfg.lr,
            "warmup": cfg.warmup,
            "betas": [0.9, 0.98],
            "beam": cfg.beam,
            "alpha": cfg.alpha,
            "max_len": cfg.max_len,
            "seed": seed,
            "threads": threads,
            "parameters": sides[0].model.num_parameters(),
            "pytorch_decoding": torch_decoding,
        },  # fmt: skip
        "machine": machine_info(threads),
    }
    for s in sides:
        result[s.name] = {
            "train_seconds": s.seconds,
            "seconds_per_step": s.seconds / max(s.steps, 1),
            "steps": s.steps,
            "final_epoch_loss": entries[-1][s.name]["loss"] if entries else None,
            "final_epoch_nll": entries[-1][s.name]["nll"] if entries else None,
            **numbers[s.name],
        }
    sh, to = result["shinsou"], result["pytorch"]
    result["ratios"] = {
        "bleu_greedy": _ratio(sh["bleu_greedy"], to["bleu_greedy"]),
        "bleu_beam": _ratio(sh["bleu_beam"], to["bleu_beam"]),
        "train_time": _ratio(sh["train_seconds"], to["train_seconds"]),
        "step_time": _ratio(sh["seconds_per_step"], to["seconds_per_step"]),
        "speed_greedy": _ratio(
            sh["sentences_per_second_greedy"], to["sentences_per_second_greedy"]
        ),  # fmt: skip
        "speed_beam": _ratio(sh["sentences_per_second_beam"], to["sentences_per_second_beam"]),
    }
    result["bleu_difference"] = {
        "greedy": sh["bleu_greedy"] - to["bleu_greedy"],
        "beam": sh["bleu_beam"] - to["bleu_beam"],
    }
    st = result["ratios"]["step_time"]
    result["bars"] = {
        "bleu_greedy_within_1_point": bool(result["bleu_difference"]["greedy"] >= -1.0),
        "bleu_beam_within_1_point": bool(result["bleu_difference"]["beam"] >= -1.0),
        "bleu_at_least_27": bool(max(sh["bleu_greedy"], sh["bleu_beam"]) >= 27.0),
        "step_time_within_1.3x": bool(st is not None and st <= 1.3),
    }
    result["log"] = entries
    md = markdown(result)
    if out is not None:
        from shinsou.atomic import atomic_write

        os.makedirs(out, exist_ok=True)
        atomic_write(os.path.join(out, "translation_quality.json"), json.dumps(result, indent=2))
        atomic_write(os.path.join(out, "translation_quality.md"), md)
        for name, outs in outputs.items():
            for kind, words in outs.items():
                atomic_write(os.path.join(out, f"test.{kind}.{name}.ja"),
                             "".join(" ".join(w) + "\n" for w in words))  # fmt: skip
    return result


def markdown(r: dict) -> str:
    """The short table of a result of ``run_comparison``."""

    def f(v, fmt):
        return "—" if v is None else format(v, fmt)

    def x(v):
        return "—" if v is None else f"{v:.2f}x"

    s, t, st, ratio = r["shinsou"], r["pytorch"], r["settings"], r["ratios"]
    k = st["beam"]
    rows = [
        ("test BLEU, greedy", f(s["bleu_greedy"], ".2f"), f(t["bleu_greedy"], ".2f"),
         x(ratio["bleu_greedy"])),
        (f"test BLEU, beam {k} (α {st['alpha']})", f(s["bleu_beam"], ".2f"),
         f(t["bleu_beam"], ".2f"), x(ratio["bleu_beam"])),
        ("training time", f"{s['train_seconds']:.1f} s", f"{t['train_seconds']:.1f} s",
         x(ratio["train_time"])),
        (f"time per step (batch {st['batch_size']})", f"{s['seconds_per_step'] * 1e3:.1f} ms",
         f"{t['seconds_per_step'] * 1e3:.1f} ms", x(ratio["step_time"])),
        ("decoding, greedy (sentences/s)", f(s["sentences_per_second_greedy"], ".1f"),
         f(t["sentences_per_second_greedy"], ".1f"), x(ratio["speed_greedy"])),
        (f"decoding, beam {k} (sentences/s)", f(s["sentences_per_second_beam"], ".1f"),
         f(t["sentences_per_second_beam"], ".1f"), x(ratio["speed_beam"])),
        ("last epoch's training loss (smoothed)", f(s["final_epoch_loss"], ".3f"),
         f(t["final_epoch_loss"], ".3f"), ""),
    ]  # fmt: skip
    bars = r["bars"]

    def met(key):
        return "met" if bars[key] else "NOT met"

    torch_note = {
        "cache": "does too (the layers' weights, written out in torch ops).",
        "recompute": "runs nn.TransformerDecoder over the whole prefix (no cache).",
    }[st["pytorch_decoding"]]

    lines = [
        f"## {r['recipe']}: shinsou vs PyTorch, same model, initial weights, batches and schedule",
        "",
        f"{st['epochs']} epoch(s) of {st['steps_per_epoch']} steps on {st['train_pairs']} pairs; "
        f"d_model {st['d_model']}, {st['layers'][0]} + {st['layers'][1]} layers, {st['heads']} "
        f"heads, FF {st['feedforward']}, dropout {st['dropout']}, label smoothing "
        f"{st['label_smoothing']}, Adam (0.9, 0.98) peak lr {st['lr']} after {st['warmup']} "
        f"warm-up steps, seed {st['seed']}; {st['parameters']:,} parameters; "
        f"{st['test_pairs']} test pairs. Machine: {r['machine']['description']}; "
        f"{st['threads']} thread(s).",
        "",
        "| | shinsou | PyTorch | ratio |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f'BLEU: sacrebleu, tokenize="none" on the corpus\'s tokens. Decoding: the same search '
        f"code (shinsou.decoding) for both; shinsou's decoder caches earlier positions' keys and "
        f"values; PyTorch's step {torch_note} Issue 16: BLEU within 1 point of PyTorch's (greedy "
        f"{r['bleu_difference']['greedy']:+.2f}: {met('bleu_greedy_within_1_point')}; beam "
        f"{r['bleu_difference']['beam']:+.2f}: {met('bleu_beam_within_1_point')}); BLEU ≥ 27: "
        f"{met('bleu_at_least_27')}; step time ≤ 1.3x: {met('step_time_within_1.3x')}.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> dict:
    args = parser().parse_args(argv)
    for name in ("epochs", "threads", "train_limit", "test_limit"):
        v = getattr(args, name)
        if v is not None and v < 1:
            parser().error(f"--{name.replace('_', '-')} must be at least 1")
    if args.seed < 0:
        parser().error("--seed must be >= 0")
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("translation_quality: needs PyTorch (pip install -e .[bench])")
    progress = args.progress and sys.stderr.isatty()
    result = run_comparison(args.epochs, args.train_limit, args.test_limit, args.seed,
                            args.threads, args.out, progress,
                            torch_decoding=args.torch_decoding)  # fmt: skip
    print(markdown(result))
    if args.out:
        print(f"written: {os.path.join(args.out, 'translation_quality.json')}, "
              "translation_quality.md, test.{greedy,beam}.{shinsou,pytorch}.ja",
              file=sys.stderr)  # fmt: skip
    return result


if __name__ == "__main__":
    main()
