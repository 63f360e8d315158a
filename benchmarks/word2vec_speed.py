"""word2vec speed: corpus words per second of shinsou's skip-gram/CBOW training on PTB, beside
gensim's Word2Vec on the same sentences and settings when gensim is installed.

Settings shared by both: vectors 100, window 5 (dynamic), negative 5, sample 1e-3,
min_count 1, alpha 0.025 falling linearly to 0.0001 × alpha (gensim's min_alpha), one worker
thread, ``--epochs`` passes over the first ``--sentences`` sentences of ptb.train.txt.
"Words" are corpus tokens read (before subsampling), as gensim and word2vec.c count them.

shinsou trains with fused sparse SGD steps on batches of ``--batch-size`` examples (NumPy
array work); gensim with its compiled per-pair loop (Cython/BLAS level 1), so a wide gap is
expected. gensim is not a dependency of shinsou or its tests; without it only shinsou's side is
measured.

    python benchmarks/word2vec_speed.py [--sentences 10000] [--epochs 1] [--mode skipgram]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, pin_threads  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=10_000, help="first N PTB sentences (0: all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--mode", choices=("skipgram", "cbow"), default="skipgram")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np

    import shinsou as ss
    from shinsou.recipes.word2vec import ptb_sentences
    from shinsou.training import train_word2vec

    sentences = ptb_sentences("train")
    if args.sentences:
        sentences = sentences[: args.sentences]
    tokens = sum(len(s) for s in sentences)
    vocab = ss.data.Vocabulary.build(sentences, specials=("<unk>",))
    ids = [vocab.encode(s) for s in sentences]
    lr = 0.025 if args.mode == "skipgram" else 0.05
    print(f"# word2vec {args.mode}: {len(sentences)} PTB sentences, {tokens:,} tokens, "
          f"{len(vocab):,} words, {args.epochs} epoch(s), {args.threads} thread(s)")  # fmt: skip
    print(f"# {machine()}")
    model = ss.models.Word2Vec(len(vocab), 100, mode=args.mode)
    model.reset_parameters(np.random.default_rng(0))
    out = train_word2vec(model, ids, epochs=args.epochs, lr=lr, window=5, negatives=5,
                         sample=1e-3, batch_size=args.batch_size)  # fmt: skip
    rows = [("shinsou", out["words_per_second"], out["seconds"], out["loss"][-1])]
    try:
        from gensim.models import Word2Vec as GensimWord2Vec
    except ImportError:
        print("# gensim is not installed: only shinsou was measured")
        GensimWord2Vec = None
    if GensimWord2Vec is not None:
        t0 = time.perf_counter()
        GensimWord2Vec(
            sentences, vector_size=100, window=5, negative=5, hs=0, sample=1e-3, min_count=1,
            sg=int(args.mode == "skipgram"), alpha=lr, min_alpha=lr * 1e-4, workers=1,
            epochs=args.epochs, seed=0,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        rows.append(("gensim", tokens * args.epochs / seconds, seconds, float("nan")))
    print("| library | words/s | seconds | last epoch's loss |")
    print("|---|---|---|---|")
    for name, wps, sec, loss in rows:
        print(f"| {name} | {wps:,.0f} | {sec:.1f} | {loss:.3f} |")
    if len(rows) == 2:
        print(f"# gensim / shinsou speed: {rows[1][1] / rows[0][1]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
