"""Chapter 1: a two-layer net learns to separate the three arms of the spiral.

    python examples/ch01_spiral.py [--quick] [--plot spiral.png]
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp.data import spiral
from zeronlp.models import TwoLayerNet
from zeronlp.optim import SGD
from zeronlp.training import ArrayBatches, Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few epochs only (smoke test)")
    parser.add_argument("--plot", help="save the loss curve and decision boundary here")
    args = parser.parse_args(argv)
    if args.plot:  # say so now, not after training
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install 'zeronlp[plot]'")

    zeronlp.seed(0)
    max_epoch, batch_size, hidden_size, learning_rate = 300, 30, 10, 1.0  # the book's settings
    if args.quick:
        max_epoch = 5

    x, t = spiral.load_data(seed=0)
    model = TwoLayerNet(input_size=2, hidden_size=hidden_size, output_size=3)
    trainer = Trainer(model, SGD(lr=learning_rate), ArrayBatches(x, t, batch_size=batch_size), epochs=max_epoch,
                      record_every=10)
    history = trainer.fit()

    accuracy = float((model.predict(x).argmax(axis=1) == t.argmax(axis=1)).mean())
    print(f"final loss {history['loss'][-1]:.4f}, training accuracy {accuracy:.3f}")
    if args.plot:
        from zeronlp.plot import plot_spiral_result

        plot_spiral_result(history, model.predict, x, t, args.plot)
    return accuracy


if __name__ == "__main__":
    main()
