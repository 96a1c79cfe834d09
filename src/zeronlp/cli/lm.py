"""``zeronlp lm train|eval``: recurrent language models on Penn Treebank or any text file (chapters 5-6)."""
from __future__ import annotations

import argparse
import sys
import time

from .common import (CLIError, add_family,
                     add_json, add_seed, check_writable, non_negative_int, positive_float, positive_int,
                     print_json, probability)

PRESETS = {
    # chapter 5: SimpleRnnlm on the first 1000 words of PTB, SGD lr 0.1, no clipping
    "book-simple": dict(model="simple", epochs=100, batch_size=10, time_size=5, lr=0.1, max_grad=None,
                        wordvec=100, hidden=100, layers=1, dropout=0.0, tie=False, max_words=1000,
                        schedule="none"),
    # chapter 6: Rnnlm (LSTM 100/100), SGD lr 20, clip 0.25, 4 epochs
    "book-rnnlm": dict(model="lstm", epochs=4, batch_size=20, time_size=35, lr=20.0, max_grad=0.25,
                       wordvec=100, hidden=100, layers=1, dropout=0.0, tie=False, max_words=None,
                       schedule="none"),
    # chapter 6: BetterRnnlm (2 x LSTM 650, dropout 0.5, tied), lr / 4 when validation perplexity worsens
    "book-better": dict(model="better", epochs=40, batch_size=20, time_size=35, lr=20.0, max_grad=0.25,
                        wordvec=650, hidden=650, layers=2, dropout=0.5, tie=True, max_words=None,
                        schedule="plateau"),
    # not in the book: a small decoder-only Transformer (2 layers, d_model 128, 4 heads, d_ff 512, tied),
    # AdamW 1e-3 with 200 warm-up steps then a linear decay to 1/10, 7 epochs: test perplexity 123.3 in 1,251 s
    # on the shared development CPU, less than the book-rnnlm run's time there (135.5 in 1,767 s)
    "transformer-small": dict(model="transformer", epochs=7, batch_size=20, time_size=35, lr=1e-3, max_grad=1.0,
                              wordvec=128, hidden=128, layers=2, dropout=0.1, tie=True, max_words=None,
                              schedule="linear", heads=4, d_model=128, d_ff=512),
}
TRAIN_KEYS = ("heads", "d_model", "d_ff",
              "model", "epochs", "batch_size", "time_size", "lr", "max_grad", "wordvec", "hidden", "layers",
              "dropout", "tie", "max_words", "schedule")


def register(sub) -> None:
    verbs = add_family(sub, "lm", help="recurrent language models (chapters 5-6)",
                       description="Train and evaluate recurrent language models with truncated BPTT.")

    t = verbs.add_parser("train", help="train a language model (default: the book's Rnnlm on PTB)",
                         description="Train a language model; with no options the book's Rnnlm (LSTM 100/100, "
                                     "batch 20, time 35, SGD lr 20, clip 0.25, 4 epochs) on the embedded PTB, "
                                     "ending with the test perplexity.")
    t.add_argument("--model", choices=["simple", "rnn", "lstm", "gru", "better", "transformer"],
                   help="simple: SimpleRnnlm; rnn/lstm/gru: Rnnlm with that cell; better: BetterRnnlm; "
                        "transformer: a decoder-only TransformerLM (preset transformer-small)")
    t.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help="the book's settings for a model (default book-rnnlm; explicit options override)")
    t.add_argument("--corpus", default="ptb", help="'ptb' (embedded) or the path of a UTF-8 text file")
    t.add_argument("--valid", metavar="PATH", help="validation text file (for a --corpus PATH)")
    t.add_argument("--test", metavar="PATH", help="test text file (for a --corpus PATH)")
    t.add_argument("--max-words", type=positive_int, help="use only the first N words of each split")
    t.add_argument("--epochs", type=positive_int, help="total training epochs (book-rnnlm: 4)")
    t.add_argument("--batch-size", type=positive_int, help="parallel streams per batch (20)")
    t.add_argument("--time-size", type=positive_int, help="BPTT window length (35)")
    t.add_argument("--lr", type=positive_float, help="SGD learning rate (20)")
    t.add_argument("--max-grad", type=positive_float, help="clip gradients to this global norm (0.25)")
    t.add_argument("--wordvec", type=positive_int, help="embedding size D (100)")
    t.add_argument("--hidden", type=positive_int, help="hidden size H (100)")
    t.add_argument("--layers", type=positive_int, help="stacked recurrent layers (1)")
    t.add_argument("--dropout", type=probability, help="dropout ratio between layers (0)")
    t.add_argument("--heads", type=positive_int, help="transformer: attention heads (4)")
    t.add_argument("--d-model", type=positive_int, help="transformer: model width (128)")
    t.add_argument("--d-ff", type=positive_int, help="transformer: feed-forward width (512)")
    t.add_argument("--tie", action=argparse.BooleanOptionalAction, default=None,
                   help="tie the output weights to the embedding (needs --wordvec == --hidden)")
    t.add_argument("--schedule", choices=["none", "plateau", "linear"],
                   help="plateau: validation perplexity every epoch, lr / 4 when it worsens, keep the best; "
                        "linear: 200 warm-up steps, then a linear decay to lr / 10 (the transformer's)")
    t.add_argument("--eval-interval", type=non_negative_int, default=20,
                   help="report training perplexity every N iterations (default 20; 0: never)")
    t.add_argument("--gpu", action="store_true", help="train on the GPU with CuPy")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the model (a checkpoint after every epoch) to PATH")
    t.add_argument("--resume", metavar="PATH", help="continue the run saved in this checkpoint exactly")
    t.add_argument("--plot", metavar="PATH", help="save the training perplexity curve to PATH")
    add_json(t)
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="perplexity of a saved language model",
                         description="Perplexity of a saved model on a split (the book's batch 10, time 35).")
    e.add_argument("--model", required=True, metavar="PATH", help="model file written by `zeronlp lm train`")
    e.add_argument("--corpus", default=None, help="'ptb' or a text file (default: the one the model was trained on)")
    e.add_argument("--split", choices=["test", "valid", "train"], default="test", help="split to evaluate")
    e.add_argument("--batch-size", type=positive_int, default=10, help="parallel streams (default 10)")
    e.add_argument("--time-size", type=positive_int, default=35, help="window length (default 35)")
    e.add_argument("--gpu", action="store_true", help="evaluate on the GPU with CuPy")
    add_json(e)
    e.set_defaults(func=run_eval)

    g = verbs.add_parser("generate", help="write text with a trained language model (chapter 7)",
                         description="Sample words one at a time, the model's state carried between words.")
    g.add_argument("--model", required=True, metavar="PATH", help="model file written by `zeronlp lm train`")
    g.add_argument("--start", default="you", help="first word(s), e.g. 'the stock market' (default: you)")
    g.add_argument("--length", type=non_negative_int, default=100, help="words to generate (default 100)")
    g.add_argument("--temperature", type=float, default=1.0,
                   help="softmax temperature: < 1 safer, > 1 wilder, 0 greedy (default 1.0)")
    g.add_argument("--top-k", type=positive_int, default=None, help="sample among the K most likely words")
    g.add_argument("--top-p", type=float, default=None, help="sample among the most likely words holding P of the mass")
    g.add_argument("--greedy", action="store_true", help="always take the most likely word")
    g.add_argument("--skip", default="N <unk> $", help="words never generated (default: 'N <unk> $', the book's)")
    add_seed(g)
    add_json(g)
    g.set_defaults(func=run_generate)


def _settings(args) -> dict:
    preset = args.preset or ("book-simple" if args.model == "simple" else
                             "book-better" if args.model == "better" else
                             "transformer-small" if args.model == "transformer" else "book-rnnlm")
    cfg = dict(PRESETS[preset])
    for key in TRAIN_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            cfg[key] = value
    given = [f"--{k.replace('_', '-')}" for k in ("heads", "d_model", "d_ff") if getattr(args, k, None)]
    if given and cfg["model"] != "transformer":
        raise CLIError(f"{', '.join(given)} only apply to --model transformer")
    if cfg["tie"] and cfg["wordvec"] != cfg["hidden"] and cfg["model"] != "transformer":
        raise CLIError(f"--tie needs --wordvec equal to --hidden, got {cfg['wordvec']} and {cfg['hidden']}")
    cfg["preset"] = preset
    return cfg


def _load_splits(corpus, valid, test, max_words):
    from ..text.corpus import load_corpus

    options = {}
    if corpus != "ptb":
        options = {k: v for k, v in (("valid", valid), ("test", test)) if v}
    elif valid or test:
        raise CLIError("--valid/--test go with --corpus PATH; the embedded PTB has its own splits")
    train, word_to_id, id_to_word = load_corpus(corpus, "train", **options)
    splits = {"train": train}
    for name in ("valid", "test"):
        try:
            splits[name] = load_corpus(corpus, name, **options)[0]
        except ValueError:
            splits[name] = None  # a text file without that split
    if max_words:
        splits = {k: (v[:max_words] if v is not None else None) for k, v in splits.items()}
    words = [id_to_word[i] for i in range(len(id_to_word))]
    return splits, words


def _build(cfg, vocab_size):
    """(model, optimizer): a recurrent model with SGD, or a TransformerLM with AdamW."""
    from ..models import build_lm
    from ..optim import SGD, AdamW

    if cfg["model"] != "transformer":
        model = build_lm(cfg["model"], vocab_size, cfg["wordvec"], cfg["hidden"], cfg["layers"], cfg["dropout"],
                         cfg["tie"])
        return model, SGD(lr=cfg["lr"])
    from ..models.transformer import make_transformer

    model = make_transformer(vocab_size, "ptb-small", decoder_only=True, d_model=cfg.get("d_model", 128),
                             num_heads=cfg.get("heads", 4), d_ff=cfg.get("d_ff", 512), num_layers=cfg["layers"],
                             dropout=cfg["dropout"], tie_weights=cfg["tie"])
    return model, AdamW(lr=cfg["lr"], weight_decay=0.01)


def _linear_schedule(trainer, cfg, train_size):
    """Warm-up then linear decay over the whole run, continuing from the trainer's iteration (--resume)."""
    from ..optim import LinearDecay
    from ..training import StepSchedule

    total = cfg["epochs"] * max((train_size - 1) // (cfg["batch_size"] * cfg["time_size"]), 1)
    schedule = LinearDecay(trainer.optimizer, total, final_ratio=0.1, warmup=200)
    schedule.start_lr, schedule.count = cfg["lr"], trainer.iteration
    trainer.optimizer.lr = cfg["lr"] * max(0.1, 1 - trainer.iteration / total) * min(1.0, (trainer.iteration + 1) / 200)
    return StepSchedule(schedule)


def run_train(args) -> int:
    from .. import backend, seed
    from ..evaluate import perplexity
    from ..training import Callback, RnnlmTrainer

    out = check_writable(args.out, "model")
    check_writable(args.plot, "plot")
    if args.plot:
        from ..plot import _pyplot

        _pyplot()
    verbose = True  # progress goes to stderr; --json only replaces the final summary on stdout
    if args.resume:
        trainer, info = RnnlmTrainer.from_checkpoint(args.resume, verbose=verbose)
        cfg = dict(info["meta"].get("train_config") or {})
        if not cfg:
            raise CLIError(f"{args.resume}: not a checkpoint of `zeronlp lm train`")
        if args.epochs:
            cfg["epochs"] = args.epochs
        splits, words = _load_splits(cfg["corpus"], cfg.get("valid"), cfg.get("test"), cfg["max_words"])
        if info["vocab"] != words:
            raise CLIError(f"{args.resume}: the checkpoint's vocabulary ({len(info['vocab'] or [])} words) is not "
                           f"the corpus's ({len(words)} words)")
        out = out or args.resume
        model = trainer.model
    else:
        cfg = _settings(args)
        cfg.update(corpus=args.corpus, valid=args.valid, test=args.test, seed=args.seed)
        splits, words = _load_splits(args.corpus, args.valid, args.test, cfg["max_words"])
        seed(args.seed)
        model, optimizer = _build(cfg, len(words))
        trainer = RnnlmTrainer(model, optimizer, verbose=verbose)
    if args.gpu and not backend.is_gpu_array(model.params[0]):
        if not backend.gpu_available():
            raise CLIError("--gpu needs CuPy and an NVIDIA GPU (pip install zeronlp[gpu])")
        state = model.get_state() if hasattr(model, "get_state") else []
        model.to_gpu()  # the same code runs on CuPy arrays; the carried state and optimizer state move too
        if state:
            model.set_state([backend.to_gpu(a) for a in state])
        trainer.optimizer.state = [{k: backend.to_gpu(a) for k, a in s.items()} for s in trainer.optimizer.state]
        if trainer.best_params is not None:
            trainer.best_params = [backend.to_gpu(a) for a in trainer.best_params]
    train = splits["train"]
    remaining = cfg["epochs"] - trainer.epochs_done
    if cfg.get("schedule") == "linear":
        trainer.callbacks.append(_linear_schedule(trainer, cfg, len(train)))
    plateau = cfg["schedule"] == "plateau"
    if plateau and splits["valid"] is None:
        raise CLIError("--schedule plateau needs a validation split (--valid PATH)")
    meta = {"train_config": cfg}

    class Checkpoint(Callback):
        def on_epoch_end(self, tr, epoch):
            if out is not None:
                tr.save_checkpoint(out, vocab=words, meta={**meta, "complete": False})

    trainer.callbacks.append(Checkpoint())
    if not args.json:
        print(f"lm train: {model!r} on {cfg['corpus']} ({len(train):,} training words, vocabulary {len(words):,}); "
              f"{remaining} epoch(s) to go")
    if remaining > 0:
        import numpy as np

        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as one clear error
            _fit(trainer, train, cfg, args, splits, plateau)
    if trainer.restore_best():
        print("restored the parameters of the best validation epoch", file=sys.stderr)
    results = {"model": type(model).__name__, "epochs": trainer.epochs_done, "seconds": trainer.seconds,
               "tokens_per_second": trainer.tokens_per_second}
    start = time.perf_counter()
    for name in ("valid", "test"):
        ids = splits[name]
        results[f"{name}_perplexity"] = (perplexity(model, ids, batch_size=10, time_size=35)
                                         if ids is not None and len(ids) > 10 * 35 else None)
    results["eval_seconds"] = time.perf_counter() - start
    results["best_valid_perplexity"] = None if not trainer.history["valid_ppl"] else min(trainer.history["valid_ppl"])
    if hasattr(model, "reset_state"):
        model.reset_state()
    if out is not None:
        trainer.save_checkpoint(out, vocab=words, meta={**meta, "complete": True, "results": results})
    if args.plot:
        from ..plot import plot_history

        plot_history({"iteration": trainer.history["iteration"], "loss": trainer.history["ppl"]}, path=args.plot,
                     ylabel="training perplexity")
    if not args.json:
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"valid perplexity {fmt(results['valid_perplexity'])}, test perplexity "
              f"{fmt(results['test_perplexity'])} ({trainer.seconds:.0f}s training, "
              f"{trainer.tokens_per_second:,.0f} tokens/s)")
        if out is not None:
            print(f"model saved to {out}")
        if args.plot:
            print(f"figure saved to {args.plot}")
    if args.json:
        print_json(results)
    return 0


def _fit(trainer, train, cfg, args, splits, plateau):
    trainer.fit(train[:-1], train[1:], max_epoch=cfg["epochs"] - trainer.epochs_done, batch_size=cfg["batch_size"],
                time_size=cfg["time_size"], max_grad=cfg["max_grad"], eval_interval=args.eval_interval or None,
                valid_corpus=splits["valid"] if plateau else None, lr_decay=0.25 if plateau else None,
                keep_best=plateau)


def run_eval(args) -> int:
    from .. import backend
    from ..evaluate import perplexity
    from ..models.base import load

    model, info = load(args.model, with_info=True)
    if not hasattr(model, "reset_state") and not hasattr(model, "predict"):
        raise CLIError(f"{args.model}: holds a {type(model).__name__}, not a language model")
    cfg = info["meta"].get("train_config") or {}
    corpus = args.corpus or cfg.get("corpus") or "ptb"
    splits, words = _load_splits(corpus, cfg.get("valid") if not args.corpus else None,
                                 cfg.get("test") if not args.corpus else None, cfg.get("max_words"))
    if info["vocab"] is not None and info["vocab"] != words:
        raise CLIError(f"{args.model}: the model's vocabulary ({len(info['vocab'])} words) is not the one of "
                       f"corpus {corpus!r} ({len(words)} words)")
    ids = splits[args.split]
    if ids is None:
        raise CLIError(f"corpus {corpus!r} has no {args.split} split")
    if args.gpu:
        if not backend.gpu_available():
            raise CLIError("--gpu needs CuPy and an NVIDIA GPU (pip install zeronlp[gpu])")
        model.to_gpu()
    start = time.perf_counter()
    ppl = perplexity(model, ids, batch_size=args.batch_size, time_size=args.time_size)
    seconds = time.perf_counter() - start
    if args.json:
        print_json({"perplexity": ppl, "split": args.split, "words": int(len(ids)), "seconds": seconds})
    else:
        print(f"{args.split} perplexity {ppl:.2f} ({len(ids):,} words, {seconds:.1f}s)")
    return 0


def run_generate(args) -> int:
    from .. import seed
    from ..generate import generate_words
    from ..models.base import load

    model, info = load(args.model, with_info=True)
    if not hasattr(model, "predict") or hasattr(model, "start_decoding") or "vocab_size" not in model.config:
        raise CLIError(f"{args.model}: holds a {type(model).__name__}, not a language model")
    if not info["vocab"]:
        raise CLIError(f"{args.model}: has no vocabulary to turn ids into words")
    seed(args.seed)
    words = generate_words(model, info["vocab"], args.start, args.length, skip_words=args.skip.split(),
                           temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, greedy=args.greedy)
    text = " ".join(words).replace(" <eos>", ".\n")
    if args.json:
        print_json({"text": text, "words": words, "start": args.start, "seed": args.seed})
    else:
        print(text)
    return 0
