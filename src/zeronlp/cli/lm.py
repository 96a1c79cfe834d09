"""``zeronlp lm train|eval``: recurrent language models on Penn Treebank or any text file (chapters 5-6)."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import sys
import time

from .. import distributed, lm
from .common import (CLIError, add_distributed, add_family, add_json, add_run_options, add_seed, add_threads, check_plot,
                     check_writable, checked_config, fit, non_negative_int, plural, positive_float, positive_int, print_json,
                     probability, require_gpu, say, start_or_resume)

OPTIONS = ("model", "corpus", "valid", "test", "max_words", "epochs", "batch_size", "time_size", "lr", "max_grad",
           "wordvec", "hidden", "layers", "dropout", "heads", "d_model", "d_ff", "tie", "schedule")


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
    t.add_argument("--preset", choices=sorted(lm.PRESETS), default=None,
                   help="the book's settings for a model (default book-rnnlm; explicit options override)")
    t.add_argument("--corpus", default=None, help="'ptb' (embedded, the default) or the path of a UTF-8 text file")
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
    add_threads(t)
    t.add_argument("--out", metavar="PATH", help="save the trained model to PATH (the best epoch's with --schedule "
                                                "plateau)")
    add_run_options(t)
    add_distributed(t)
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
    e.add_argument("--max-words", type=positive_int, default=None,
                   help="evaluate only the first N words of the split (default: all of it)")
    e.add_argument("--gpu", action="store_true", help="evaluate on the GPU with CuPy")
    add_threads(e)
    add_json(e)
    e.set_defaults(func=run_eval)

    g = verbs.add_parser("generate", help="write text with a trained language model (chapter 7)",
                         description="Sample words one at a time, the model's state carried between words; each "
                                     "word is printed as soon as it is sampled (Ctrl-C ends the text cleanly).")
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


def run_train(args) -> int:
    from .. import lm, seed

    out, plot = check_writable(args.out, "model"), check_plot(args.plot)
    fields, checkpoint = start_or_resume(args, {k: getattr(args, k) for k in OPTIONS}, "lm train")
    config = checked_config(lm.config_from_dict, {"fields": fields}, args.resume) if checkpoint \
        else lm.make_config(args.preset, **fields)
    seed(args.seed)
    splits, words = lm.load_splits(config)
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    if checkpoint and checkpoint.vocab != words:
        raise CLIError(f"{args.resume}: the checkpoint's vocabulary is not the corpus's ({len(words)} words)")
    trainer = lm.make_trainer(config, splits, words, checkpoint=args.checkpoint, stop_after=args.stop_after,
                              print_every=args.eval_interval or None, record_every=args.eval_interval or None,
                              **resumed)
    trainer.checkpoint_info["meta"].update(command="lm train", seed=args.seed, threads=args.threads_in_use)
    distributed.setup(args, trainer, config=dataclasses.asdict(config))  # before load_state: it is a callback
    if checkpoint:
        trainer.load_state(checkpoint)
    if args.gpu:
        require_gpu()
        trainer.to_gpu()
    say(args, f"lm train: {trainer.model!r} on {config.corpus} ({len(splits['train']):,} training words, "
              f"vocabulary {len(words):,}); {plural(config.epochs - trainer.epoch, 'epoch')} to go")
    if not fit(trainer, args, "zeronlp lm train"):
        return 0
    best = lm.best_params_callback(trainer)
    if best is not None and best.restore(trainer.model):
        say(args, "restored the parameters of the best validation epoch")
    results = {"model": type(trainer.model).__name__, "epochs": trainer.epoch, "seconds": trainer.seconds,
               "tokens_per_second": trainer.items_per_second, **lm.evaluate_splits(trainer.model, splits),
               "best_valid_perplexity": min(trainer.history.get("valid_perplexity") or [None], key=_none_last)}
    report_lm(args, trainer, results, out, plot, len(words))
    return 0


def _none_last(value):
    return float("inf") if value is None else value


def report_lm(args, trainer, results, out, plot, vocab_size) -> None:
    """Save what was asked for and print the final figures (one JSON line with --json)."""
    from .. import lm

    if out is not None:
        trainer.model.save(out, vocab=trainer.checkpoint_info["vocab"],
                           meta={**trainer.checkpoint_info["meta"], "complete": True, "results": results})
    if plot is not None:
        from ..plot import plot_history

        plot_history({"iteration": trainer.history["iteration"], "loss": [_exp(v) for v in trainer.history["loss"]]},
                     path=plot, ylabel="training perplexity")
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    say(args, f"valid perplexity {fmt(results['valid_perplexity'])}, test perplexity "
              f"{fmt(results['test_perplexity'])} ({trainer.seconds:.0f}s training, "
              f"{trainer.items_per_second:,.0f} tokens/s)")
    if lm.worse_than_uniform(results, vocab_size):
        print(f"zeronlp lm train: warning: the model predicts worse than a uniform guess over the {vocab_size:,} "
              "words (perplexity above the vocabulary size): training failed; try a smaller --lr", file=sys.stderr)
    say(args, f"model saved to {out}" if out is not None else "the model was not saved (give --out PATH)")
    if plot is not None:
        say(args, f"figure saved to {plot}")
    if args.json:
        print_json(results)


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def run_eval(args) -> int:
    from ..evaluate import perplexity

    model, info = load_language_model(args.model)
    saved = info["meta"].get("train_config") or {}
    fields = {"corpus": args.corpus} if args.corpus else {k: saved.get(k) for k in ("corpus", "valid", "test")}
    if fields.get("corpus") not in (None, "ptb") and not os.path.exists(fields["corpus"]):
        raise CLIError(f"{args.model}: its training corpus {fields['corpus']!r} is not found; pass it with --corpus PATH")
    splits, words = lm.load_splits(lm.make_config(**fields), max_words=args.max_words or 0)
    if info["vocab"] is not None and info["vocab"] != words:
        raise CLIError(f"{args.model}: the model's vocabulary ({len(info['vocab'])} words) is not the one of "
                       f"corpus {fields.get('corpus') or 'ptb'!r} ({len(words)} words)")
    ids = splits[args.split]
    if ids is None:
        raise CLIError(f"corpus {fields.get('corpus') or 'ptb'!r} has no {args.split} split")
    check_eval_memory(model, args.batch_size, min(args.time_size, max(len(ids) // args.batch_size, 1)))
    if args.gpu:
        require_gpu()
        model.to_gpu()
    start = time.perf_counter()
    ppl = perplexity(model, ids, batch_size=args.batch_size, time_size=args.time_size)
    seconds = time.perf_counter() - start
    say(args, f"{args.split} perplexity {ppl:.2f} ({len(ids):,} words of {fields.get('corpus') or 'ptb'}, "
              f"{seconds:.1f}s)")
    if args.json:
        print_json({"perplexity": ppl, "split": args.split, "words": int(len(ids)), "seconds": seconds})
    return 0


def check_eval_memory(model, N: int, T: int) -> None:
    """Refuse an evaluation window too large for the memory: scores, softmax and log-probabilities over the
    vocabulary for N x T words (and a Transformer's attention maps)."""
    from .. import memory

    c = model.config
    V = int(c.get("vocab_size") or 1)
    need = memory.sequence_activation_bytes(N, T, [V, V, V, 8 * int(c.get("hidden_size") or c.get("d_model") or 1)])
    if c.get("num_heads"):
        need += 3 * int(c.get("num_layers") or 1) * memory.array_bytes((N, int(c["num_heads"]), T, T))
    memory.check_fits(need, f"lm eval with --batch-size {N:,} --time-size {T:,} (vocabulary {V:,})")


def load_language_model(path):
    """(model, info) of a language-model file; a clear error for any other model."""
    from ..models.base import load

    model, info = load(path, with_info=True)
    if not hasattr(model, "predict") or hasattr(model, "start_decoding") or "vocab_size" not in model.config:
        raise CLIError(f"{path}: holds a {type(model).__name__}, not a language model "
                       "(train one with `zeronlp lm train`)")
    meta, vocab = info.get("meta"), info.get("vocab")
    config = meta.get("train_config", {}) if isinstance(meta, dict) else None
    if not isinstance(config, dict) or any(not isinstance(config.get(k), (str, type(None)))
                                           for k in ("corpus", "valid", "test")):
        raise CLIError(f"{path}: malformed metadata (its header's meta/train_config is not what "
                       "`zeronlp lm train` writes)")
    if vocab is not None and (not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab)):
        raise CLIError(f"{path}: malformed vocabulary (not a list of words)")
    return model, info


def run_generate(args) -> int:
    from .. import seed
    from ..generate import iter_generate_words

    model, info = load_language_model(args.model)
    if not info["vocab"]:
        raise CLIError(f"{args.model}: has no vocabulary to turn ids into words")
    seed(args.seed)
    stream = iter_generate_words(model, info["vocab"], args.start, args.length, skip_words=args.skip.split(),
                                 temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                                 greedy=args.greedy)  # checks every option before the first word
    words, text = [], TextStream(sys.stdout)
    try:
        for word in stream:
            text.write(word)
            if args.json:
                words.append(word)
    except KeyboardInterrupt:
        stream.close()
        with contextlib.suppress(KeyboardInterrupt, OSError):
            text.end()
        print(f"zeronlp lm generate: interrupted after {plural(max(text.words - len(args.start.split()), 0), 'word')}",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # `zeronlp lm generate ... | head`: the reader has gone, stop quietly
        stream.close()
        _silence_stdout()
        return 0
    text.end()
    if args.json:
        print_json({"text": " ".join(words).replace(" <eos>", ".\n"), "words": words, "start": args.start,
                    "seed": args.seed})
    return 0


class TextStream:
    """Words written as they come: separated by spaces, '<eos>' ends a sentence with '.' and a new line."""

    def __init__(self, out):
        self.out, self.words, self.line_start = out, 0, True

    def write(self, word: str) -> None:
        if word == "<eos>":
            self.out.write(".\n")
            self.line_start = True
        else:
            self.out.write(word if self.line_start else " " + word)
            self.line_start = False
        self.words += 1
        self.out.flush()

    def end(self) -> None:
        if not self.line_start:
            self.out.write("\n")
            self.line_start = True
        self.out.flush()


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
