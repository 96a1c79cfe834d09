"""Sentiment of movie reviews, as the lecture notes' practice: TF-IDF + logistic regression on the Naver
reviews (Korean morphemes when kiwipiepy is installed), then a small bidirectional GRU on the same text.

    python examples/ch10_classify.py            # NSMC from the data directory (zeronlp data fetch nsmc)
    python examples/ch10_classify.py --quick    # 2,000 training reviews, one epoch: a smoke test
"""
from __future__ import annotations

import argparse
import importlib.util

from zeronlp import classify, seed

REVIEWS = ["아 더빙.. 진짜 짜증나네요 목소리", "최고의 영화! 배우들 연기가 정말 좋았다"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small sample and one epoch")
    args = parser.parse_args(argv)
    seed(0)
    sample = dict(max_train=2000, max_test=1000, epochs=1) if args.quick else {}
    # morphemes need the 'ko' extra; without it, character tokens work for Korean too
    tokenizer = "morphs" if importlib.util.find_spec("kiwipiepy") else "chars"

    # 1. the linear baseline: clean -> tokenize -> TF-IDF of 1-2 grams -> logistic regression
    config = classify.make_config("nsmc", "logreg", tokenizer=tokenizer,
                                  **{k: v for k, v in sample.items() if k != "epochs"})
    prep = classify.prepare(config)
    print(f"{len(prep.train):,} training / {len(prep.test):,} test reviews, tokens of the first: "
          f"{prep.train_tokens[0]}")
    linear = classify.train_linear(prep)
    print(f"TF-IDF + logistic regression: test accuracy {100 * linear.accuracy:.2f}% "
          f"({linear.extra['features']:,} features, {linear.seconds:.0f}s)")

    # 2. a bidirectional GRU over the same tokens: vocabulary, padded batches, the best validation epoch
    gru = classify.make_config("nsmc", "gru", tokenizer=tokenizer, **sample)
    prep.config = gru
    trainer = classify.make_trainer(gru, classify.neural_data(prep), verbose=not args.quick)
    trainer.fit()
    neural = classify.finish_neural(prep, trainer)
    print(f"BiGRU: validation accuracy per epoch {[round(a, 3) for a in trainer.history['valid_accuracy']]}, "
          f"test accuracy {100 * neural.accuracy:.2f}%")

    # 3. raw text in, label and probability out
    labels, proba = classify.predict(linear.classifier, REVIEWS)
    for text, label, p in zip(REVIEWS, labels, proba):
        print(f"{label:>8} {p.max():.3f}  {text}")
    print("confusion matrix (rows: true negative, positive):\n", linear.confusion)
    return {"linear": linear.accuracy, "gru": neural.accuracy, "labels": labels}


if __name__ == "__main__":
    main()
