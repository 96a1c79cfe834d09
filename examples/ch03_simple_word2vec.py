"""Chapter 3: SimpleCBOW on "You say goodbye and I say hello." -- one-hot contexts, softmax output.

    python examples/ch03_simple_word2vec.py [--quick] [--skipgram]
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.models import SimpleCBOW, SimpleSkipGram
from zeronlp.models.word2vec import convert_one_hot, create_contexts_target
from zeronlp.optim import Adam
from zeronlp.text.corpus import preprocess
from zeronlp.training import ArrayBatches, Trainer

TEXT = "You say goodbye and I say hello."


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 epochs instead of the book's 1000")
    parser.add_argument("--skipgram", action="store_true", help="SimpleSkipGram instead of SimpleCBOW")
    args = parser.parse_args(argv)

    zeronlp.seed(0)
    window_size, hidden_size, batch_size = 1, 5, 3  # the book's settings
    max_epoch = 100 if args.quick else 1000
    corpus, word_to_id, id_to_word = preprocess(TEXT)
    vocab_size = len(word_to_id)
    contexts, target = create_contexts_target(corpus, window_size)
    contexts, target = convert_one_hot(contexts, vocab_size), convert_one_hot(target, vocab_size)

    model = (SimpleSkipGram if args.skipgram else SimpleCBOW)(vocab_size, hidden_size)
    trainer = Trainer(model, Adam(), ArrayBatches(contexts, target, batch_size=batch_size), epochs=max_epoch,
                      verbose=False)
    history = trainer.fit()
    print(f"{type(model).__name__}: loss {history['epoch_loss'][0]:.3f} -> {history['epoch_loss'][-1]:.3f} "
          f"after {max_epoch} epochs")
    for word_id, word in id_to_word.items():
        print(f"{word:>8}", model.word_vecs[word_id].round(3))
    return history


if __name__ == "__main__":
    main()
