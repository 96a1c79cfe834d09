"""``zeronlp spiral``: chapter 1, a two-layer net separating the three spiral arms."""
from __future__ import annotations

from .common import add_json, add_seed, check_writable, positive_float, positive_int, print_json


def register(sub) -> None:
    p = sub.add_parser("spiral", help="train TwoLayerNet on the spiral data set (chapter 1)",
                       description="Train the book's TwoLayerNet with SGD on the three-armed spiral.")
    p.add_argument("--epochs", type=positive_int, default=300, help="training epochs (default 300)")
    p.add_argument("--batch-size", type=positive_int, default=30, help="minibatch size (default 30)")
    p.add_argument("--hidden", type=positive_int, default=10, help="hidden units (default 10)")
    p.add_argument("--lr", type=positive_float, default=1.0, help="SGD learning rate (default 1.0)")
    add_seed(p)
    p.add_argument("--plot", metavar="PATH", help="save the loss curve and decision boundary to PATH")
    p.add_argument("--out", metavar="PATH", help="save the trained model (.npz) to PATH")
    add_json(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import seed
    from ..data import spiral
    from ..models import TwoLayerNet
    from ..optim import SGD
    from ..training import Trainer

    check_writable(args.plot, "plot")
    check_writable(args.out, "model")
    if args.plot:
        from ..plot import _pyplot

        _pyplot()  # fail now, not after training, when matplotlib is missing
    seed(args.seed)
    x, t = spiral.load_data(seed=1920 if args.seed is None else args.seed)
    model = TwoLayerNet(input_size=2, hidden_size=args.hidden, output_size=3)
    trainer = Trainer(model, SGD(lr=args.lr), verbose=not args.json)
    history = trainer.fit(x, t, max_epoch=args.epochs, batch_size=args.batch_size, eval_interval=10)
    model.eval()
    loss = model.forward(x, t)
    accuracy = float((model.predict(x).argmax(axis=1) == t.argmax(axis=1)).mean())
    seconds = history["seconds"][0]
    print(f"spiral: {len(x)} points, {args.epochs} epochs in {seconds:.2f}s: "
          f"loss {loss:.4f}, training accuracy {accuracy:.3f}")
    if args.out:
        model.save(args.out)
        print(f"model saved to {args.out}")
    if args.plot:
        from ..plot import plot_spiral_result

        plot_spiral_result(history, model.predict, x, t, args.plot)
        print(f"figure saved to {args.plot}")
    if args.json:
        print_json({"loss": loss, "accuracy": accuracy, "epochs": args.epochs, "seconds": seconds})
    return 0
