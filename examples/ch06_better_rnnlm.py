"""Chapter 6: BetterRnnlm (2 x LSTM 650, dropout 0.5, tied weights), lr / 4 when validation perplexity worsens.

    python examples/ch06_better_rnnlm.py [--quick] [--gpu] [--out better.npz]
The book's run (40 epochs) reaches test perplexity ~ 75.8 and wants a GPU (--gpu, CuPy): about an hour an
epoch on a CPU.
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.data import ptb
from zeronlp.evaluate import perplexity
from zeronlp.models import BetterRnnlm
from zeronlp.optim import SGD
from zeronlp.training import BPTTBatches, Evaluate, KeepBest, PlateauDecay, Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny model on a slice of PTB (smoke test)")
    parser.add_argument("--gpu", action="store_true", help="train on the GPU with CuPy")
    parser.add_argument("--epochs", type=int, default=40, help="epochs (the book: 40)")
    parser.add_argument("--out", help="save the best model (with its vocabulary) here")
    args = parser.parse_args(argv)
    zeronlp.seed(0)
    batch_size, wordvec_size, hidden_size, time_size, lr, max_grad, dropout = 20, 650, 650, 35, 20.0, 0.25, 0.5
    max_epoch = args.epochs

    corpus, word_to_id, id_to_word = ptb.load_data("train")
    corpus_val, _, _ = ptb.load_data("valid")
    corpus_test, _, _ = ptb.load_data("test")
    if args.quick:
        corpus, corpus_val, corpus_test = corpus[:3000], corpus_val[:800], corpus_test[:800]
        wordvec_size = hidden_size = 16
        max_epoch = 2
    vocab_size = len(word_to_id)

    model = BetterRnnlm(vocab_size, wordvec_size, hidden_size, dropout)
    if args.gpu:
        model.to_gpu()
    # validation perplexity after every epoch; lr / 4 when it worsens; keep the best parameters
    best = KeepBest("valid_ppl")
    callbacks = [Evaluate("valid_ppl", lambda m: perplexity(m, corpus_val), reset_state=True),
                 PlateauDecay("valid_ppl", factor=0.25), best]
    trainer = Trainer(model, SGD(lr=lr), BPTTBatches(corpus, batch_size, time_size), epochs=max_epoch,
                      max_grad=max_grad, callbacks=callbacks, report="perplexity", print_every=20)
    trainer.fit()
    best.restore(model)

    ppl_test = perplexity(model, corpus_test, batch_size=10, time_size=35)
    print(f"best valid perplexity {best.best:.2f}, test perplexity: {ppl_test:.2f}")
    if args.out:
        model.save(args.out, vocab=[id_to_word[i] for i in range(vocab_size)])
    return ppl_test


if __name__ == "__main__":
    main()
