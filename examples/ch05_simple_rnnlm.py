"""Chapter 5: SimpleRnnlm (an RNN language model) on the first 1000 words of PTB, as in the book.

    python examples/ch05_simple_rnnlm.py [--quick] [--plot ppl.png]
"""
from __future__ import annotations

import argparse
import math

import zeronlp
from zeronlp.data import ptb
from zeronlp.models import SimpleRnnlm
from zeronlp.optim import SGD
from zeronlp.training import BPTTBatches, Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few epochs only (smoke test)")
    parser.add_argument("--plot", help="save the training perplexity curve here")
    args = parser.parse_args(argv)
    zeronlp.seed(0)
    # the book's settings: 1000 words, batch 10, time 5, wordvec/hidden 100, SGD lr 0.1, 100 epochs
    batch_size, wordvec_size, hidden_size, time_size, lr, max_epoch = 10, 100, 100, 5, 0.1, 100
    if args.quick:
        max_epoch = 3

    corpus, word_to_id, id_to_word = ptb.load_data("train")
    corpus = corpus[:1000]
    vocab_size = int(corpus.max()) + 1  # 418 distinct ids among the first 1000 words

    model = SimpleRnnlm(vocab_size, wordvec_size, hidden_size)
    source = BPTTBatches(corpus, batch_size, time_size)  # inputs corpus[:-1], next-word targets corpus[1:]
    trainer = Trainer(model, SGD(lr=lr), source, epochs=max_epoch, report="perplexity", record_every=len(source))
    history = trainer.fit()  # history["loss"]: the mean cross entropy of each epoch (19 iterations)
    ppl = [math.exp(loss) for loss in history["loss"]]
    print(f"training perplexity after {max_epoch} epochs: {ppl[-1]:.2f}")
    if args.plot:
        from zeronlp.plot import plot_history

        plot_history({"iteration": history["iteration"], "loss": ppl}, path=args.plot,
                     ylabel="perplexity")
    return ppl[-1]


if __name__ == "__main__":
    main()
