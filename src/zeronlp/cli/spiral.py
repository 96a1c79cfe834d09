"""``zeronlp spiral``: chapter 1, a two-layer net separating the three spiral arms."""
from __future__ import annotations

from .common import (add_json, add_run_options, add_seed, add_threads, check_plot, check_writable, checked_config,
                     fit, plural, positive_float, positive_int, print_json, say, start_or_resume)

OPTIONS = ("epochs", "batch_size", "hidden", "lr")


def register(sub) -> None:
    p = sub.add_parser("spiral", help="train TwoLayerNet on the spiral data set (chapter 1)",
                       description="Train the book's TwoLayerNet with SGD on the three-armed spiral.")
    p.add_argument("--epochs", type=positive_int, help="training epochs (default 1000; the book: 300)")
    p.add_argument("--batch-size", type=positive_int, help="minibatch size (default 30)")
    p.add_argument("--hidden", type=positive_int, help="hidden units (default 10)")
    p.add_argument("--lr", type=positive_float, help="SGD learning rate (default 1.0)")
    add_seed(p)
    add_threads(p)
    p.add_argument("--plot", metavar="PATH", help="save the loss curve and decision boundary to PATH")
    p.add_argument("--out", metavar="PATH", help="save the trained model (.npz) to PATH")
    add_run_options(p)
    add_json(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import seed, spiral
    from ..data.spiral import load_data

    plot, out = check_plot(args.plot), check_writable(args.out, "model")
    fields, checkpoint = start_or_resume(args, {k: getattr(args, k) for k in OPTIONS}, "spiral")
    config = checked_config(spiral.make_config, fields, args.resume) if checkpoint else \
        spiral.make_config(**fields, **({} if args.seed is None else {"data_seed": args.seed}))
    seed(args.seed)
    x, t = load_data(seed=config.data_seed)
    if checkpoint is None:  # a resumed run's model is the checkpoint's
        spiral.check_memory(config, len(x), plot=plot is not None)
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = spiral.make_trainer(config, x, t, checkpoint=args.checkpoint, stop_after=args.stop_after,
                                  **resumed)
    trainer.checkpoint_info["meta"].update(command="spiral", seed=args.seed, threads=args.threads_in_use)
    if checkpoint:
        trainer.load_state(checkpoint)
    if not fit(trainer, args, "zeronlp spiral"):
        return 0
    model = trainer.model.eval()
    loss, accuracy = float(model.forward(x, t)), spiral.accuracy(model, x, t)
    say(args, f"spiral: {len(x)} points, {plural(config.epochs, 'epoch')} in {trainer.seconds:.2f}s: "
              f"loss {loss:.4f}, training accuracy {accuracy:.3f}")
    if out:
        model.save(out, meta={"train_config": trainer.checkpoint_info["meta"]["train_config"]})
        say(args, f"model saved to {out}")
    if plot:
        from ..plot import plot_spiral_result

        plot_spiral_result(trainer.history, model.predict, x, t, plot)
        say(args, f"figure saved to {plot}")
    if args.json:
        print_json({"loss": loss, "accuracy": accuracy, "epochs": config.epochs, "seconds": trainer.seconds})
    return 0
