#!/usr/bin/env python
"""An encoder–decoder translator with ``L.NStepLSTM`` (Chainer 7 style, English → Japanese).

In the shape of Chainer's ``examples/seq2seq``: the source sentence (reversed) is embedded
and read by an ``NStepLSTM`` encoder; its final states ``(hx, cx)``, each
``(n_layers, B, n_units)``, start an ``NStepLSTM`` decoder fed ``<eos> y_1 ... y_n`` that must
predict ``y_1 ... y_n <eos>``. The loss is the softmax cross entropy summed over the target
words and divided by the batch size; the perplexity is ``exp(sum of losses / #words)``.
``translate`` decodes greedily (argmax word, fed back) up to ``max_length`` words.

The data is the small_parallel_enja corpus (tokenized, one sentence a line), read directly
from ``--data`` (default ``$SHINSOU_DATA/small_parallel_enja`` or
``/work/shared/datasets/small_parallel_enja``); the vocabularies are the ``--vocab`` most
frequent words of the training sentences. Runs unchanged both ways::

    python examples/chainer/seq2seq.py -e 10                      # real Chainer 7
    python -m shinsou.chainer examples/chainer/seq2seq.py -e 10   # on shinsou

``<out>/log`` holds the training loss and the validation perplexity per epoch;
``<out>/result.json`` the final validation perplexity, the fraction of validation target words
that greedy decoding gets right at their position, and a few translations.
"""

import argparse
import collections
import io
import json
import os

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer import training
from chainer.training import extensions

UNK = 0
EOS = 1


def sequence_embed(embed, xs):
    """Embed a list of id arrays with one call of ``embed``, split back per sentence."""
    x_len = [len(x) for x in xs]
    x_section = numpy.cumsum(x_len[:-1])
    ex = embed(F.concat(xs, axis=0))
    return F.split_axis(ex, x_section, 0)


class Seq2seq(chainer.Chain):
    def __init__(self, n_layers, n_source_vocab, n_target_vocab, n_units):
        super(Seq2seq, self).__init__()
        with self.init_scope():
            self.embed_x = L.EmbedID(n_source_vocab, n_units)
            self.embed_y = L.EmbedID(n_target_vocab, n_units)
            self.encoder = L.NStepLSTM(n_layers, n_units, n_units, 0.1)
            self.decoder = L.NStepLSTM(n_layers, n_units, n_units, 0.1)
            self.W = L.Linear(n_units, n_target_vocab)
        self.n_layers = n_layers
        self.n_units = n_units

    def forward(self, xs, ys):
        xs = [x[::-1] for x in xs]
        eos = self.xp.array([EOS], numpy.int32)
        ys_in = [F.concat([eos, y], axis=0) for y in ys]
        ys_out = [F.concat([y, eos], axis=0) for y in ys]

        exs = sequence_embed(self.embed_x, xs)
        eys = sequence_embed(self.embed_y, ys_in)
        batch = len(xs)
        hx, cx, _ = self.encoder(None, None, exs)
        _, _, os_ = self.decoder(hx, cx, eys)

        concat_os = F.concat(os_, axis=0)
        concat_ys_out = F.concat(ys_out, axis=0)
        loss = F.sum(F.softmax_cross_entropy(self.W(concat_os), concat_ys_out, reduce="no")) / batch
        chainer.report({"loss": loss}, self)
        n_words = concat_ys_out.shape[0]
        perp = self.xp.exp(loss.array * batch / n_words)
        chainer.report({"perp": perp}, self)
        return loss

    def translate(self, xs, max_length=30):
        batch = len(xs)
        with chainer.no_backprop_mode(), chainer.using_config("train", False):
            xs = [x[::-1] for x in xs]
            exs = sequence_embed(self.embed_x, xs)
            h, c, _ = self.encoder(None, None, exs)
            ys = self.xp.full(batch, EOS, numpy.int32)
            result = []
            for _ in range(max_length):
                eys = self.embed_y(ys)
                eys = F.split_axis(eys, batch, 0)
                h, c, ys = self.decoder(h, c, eys)
                cys = F.concat(ys, axis=0)
                wy = self.W(cys)
                ys = self.xp.argmax(wy.array, axis=1).astype(numpy.int32)
                result.append(ys)
        result = chainer.backends.cuda.to_cpu(
            self.xp.concatenate([self.xp.expand_dims(x, 0) for x in result]).T
        )
        outs = []
        for y in result:
            inds = numpy.argwhere(y == EOS)
            if len(inds) > 0:
                y = y[: inds[0, 0]]
            outs.append(y)
        return outs


@chainer.dataset.converter()
def convert(batch, device):
    """A batch of (source, target) pairs → {'xs': [...], 'ys': [...]} on ``device``."""

    def to_device_batch(batch):
        if device is None:
            return batch
        return [device.send(x) for x in batch]

    return {
        "xs": to_device_batch([x for x, _ in batch]),
        "ys": to_device_batch([y for _, y in batch]),
    }


def read_lines(path, n=None):
    with io.open(path, encoding="utf-8") as f:
        lines = [line.strip().split() for line in f]
    return lines if n is None else lines[:n]


def make_vocab(sentences, size):
    """Ids 0 and 1 are <UNK> and <EOS>; then the ``size - 2`` most frequent words."""
    counts = collections.Counter(w for s in sentences for w in s)
    words = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: size - 2]
    vocab = {"<UNK>": UNK, "<EOS>": EOS}
    for w, _ in words:
        vocab[w] = len(vocab)
    return vocab


def to_ids(sentences, vocab):
    return [numpy.array([vocab.get(w, UNK) for w in s], numpy.int32) for s in sentences]


class CalculatePerplexity(chainer.training.Extension):
    """Reports ``validation/main/perp`` = exp(total cross entropy / #target words)."""

    trigger = 1, "epoch"
    priority = chainer.training.PRIORITY_WRITER

    def __init__(self, model, test_data, key, batch=100, device=None):
        self.model = model
        self.test_data = test_data
        self.key = key
        self.batch = batch
        self.device = device

    def __call__(self, trainer):
        with chainer.no_backprop_mode(), chainer.using_config("train", False):
            total, n_words = 0.0, 0
            for i in range(0, len(self.test_data), self.batch):
                batch = convert(self.test_data[i : i + self.batch], self.device)
                loss = self.model(batch["xs"], batch["ys"])
                total += float(loss.array) * len(batch["xs"])
                n_words += sum(len(y) + 1 for y in batch["ys"])
        chainer.report({self.key: float(numpy.exp(total / n_words))})


def default_data_dir():
    root = os.environ.get("SHINSOU_DATA", "/work/shared/datasets")
    return os.path.join(root, "small_parallel_enja")


def main():
    parser = argparse.ArgumentParser(description="Chainer example: seq2seq (en → ja)")
    parser.add_argument("--batchsize", "-b", type=int, default=64, help="Sentence pairs a batch")
    parser.add_argument("--epoch", "-e", type=int, default=10, help="Number of epochs")
    parser.add_argument("--device", "-d", type=str, default="-1", help="-1 (CPU) or GPU id")
    parser.add_argument("--out", "-o", default="result_seq2seq", help="Output directory")
    parser.add_argument("--unit", "-u", type=int, default=128, help="LSTM units")
    parser.add_argument("--layer", "-l", type=int, default=2, help="LSTM layers")
    parser.add_argument("--vocab", type=int, default=2000, help="Vocabulary size (each side)")
    parser.add_argument("--data", default=default_data_dir(), help="small_parallel_enja folder")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--train-size", type=int, default=None, help="First N sentence pairs")
    parser.add_argument("--test-size", type=int, default=None, help="First N validation pairs")
    args = parser.parse_args()

    device = chainer.get_device(args.device)
    print("Device: {}".format(device))
    numpy.random.seed(args.seed)

    train_en = read_lines(os.path.join(args.data, "train.en"), args.train_size)
    train_ja = read_lines(os.path.join(args.data, "train.ja"), args.train_size)
    dev_en = read_lines(os.path.join(args.data, "dev.en"), args.test_size)
    dev_ja = read_lines(os.path.join(args.data, "dev.ja"), args.test_size)
    source_vocab = make_vocab(train_en, args.vocab)
    target_vocab = make_vocab(train_ja, args.vocab)
    train = list(zip(to_ids(train_en, source_vocab), to_ids(train_ja, target_vocab)))
    test = list(zip(to_ids(dev_en, source_vocab), to_ids(dev_ja, target_vocab)))
    target_words = {i: w for w, i in target_vocab.items()}
    source_words = {i: w for w, i in source_vocab.items()}
    print("# source vocab: {}, target vocab: {}".format(len(source_vocab), len(target_vocab)))
    print("# train: {} pairs, validation: {} pairs".format(len(train), len(test)))

    model = Seq2seq(args.layer, len(source_vocab), len(target_vocab), args.unit)
    model.to_device(device)
    device.use()
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, converter=convert, device=device
    )
    trainer = training.Trainer(updater, (args.epoch, "epoch"), out=args.out)
    trainer.extend(CalculatePerplexity(model, test, "validation/main/perp", device=device))
    trainer.extend(extensions.LogReport(trigger=(1, "epoch")))
    trainer.extend(
        extensions.PrintReport(
            ["epoch", "iteration", "main/loss", "main/perp", "validation/main/perp", "elapsed_time"]
        ),
        trigger=(1, "epoch"),
    )
    trainer.run()

    # Greedy translation of the validation sentences
    n_right = n_total = 0
    hyps = []
    for i in range(0, len(test), 100):
        xs = [device.send(x) for x, _ in test[i : i + 100]]
        hyps += model.translate(xs)
    for (_, y), hyp in zip(test, hyps):
        m = min(len(y), len(hyp))
        n_right += int((y[:m] == hyp[:m]).sum())
        n_total += len(y)
    examples = []
    for (x, y), hyp in list(zip(test, hyps))[:3]:
        examples.append(
            {
                "source": " ".join(source_words[int(w)] for w in x),
                "reference": " ".join(target_words[int(w)] for w in y),
                "result": " ".join(target_words[int(w)] for w in hyp),
            }
        )
        print("# source   : " + examples[-1]["source"])
        print("# reference: " + examples[-1]["reference"])
        print("# result   : " + examples[-1]["result"])
    with open(os.path.join(args.out, "log")) as f:
        last = json.load(f)[-1]
    result = {
        "validation/main/perp": last["validation/main/perp"],
        "word_accuracy": n_right / float(n_total),
        "examples": examples,
    }
    print("validation perplexity {:.2f}, greedy word accuracy {:.4f}".format(
        result["validation/main/perp"], result["word_accuracy"]))  # fmt: skip
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=4, ensure_ascii=False)


if __name__ == "__main__":
    main()
