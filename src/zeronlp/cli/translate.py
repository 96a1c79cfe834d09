"""``zeronlp translate train|eval|text|attention``: neural machine translation on Multi30k (German -> English)."""
from __future__ import annotations

import sys

from .. import distributed
from .common import (CLIError, add_distributed, add_family, add_json, add_run_options, add_seed, check_plot, check_writable, fit,
                     non_negative_int, positive_float, positive_int, print_json, probability, say,
                     start_or_resume)

OPTIONS = ("model", "data", "src", "tgt", "tokenizer", "merges", "min_freq", "max_tokens", "size", "epochs",
           "batch_size", "lr", "max_grad", "teacher_forcing", "layers", "hidden", "wordvec", "heads", "d_model", "d_ff",
           "dropout", "attention", "label_smoothing", "warmup", "embedding_init", "select_by", "beam")


def register(sub) -> None:
    verbs = add_family(sub, "translate", help="neural machine translation: Multi30k German -> English, BLEU",
                       description="Train LSTM, attention and Transformer translation models on Multi30k, "
                                   "score them with BLEU (equal to sacreBLEU) and translate text.")
    t = verbs.add_parser("train", help="train a model; report perplexity, BLEU and seconds per epoch")
    t.add_argument("--data", choices=["multi30k"], default=None, help="parallel corpus (default multi30k)")
    t.add_argument("--model", choices=["lstm", "attention", "transformer"], default=None,
                   help="architecture; each has the reference settings as defaults (default transformer)")
    t.add_argument("--src", default=None, help="source language (default de)")
    t.add_argument("--tgt", default=None, help="target language (default en)")
    t.add_argument("--tokenizer", choices=["words", "bpe"], default=None,
                   help="rule-based words (default) or byte-pair subwords learnt on the training text")
    t.add_argument("--merges", type=positive_int, default=None, help="BPE merges per language (default 10000)")
    t.add_argument("--min-freq", type=positive_int, default=None, help="vocabulary: tokens seen this often (default 2)")
    t.add_argument("--max-tokens", type=positive_int, default=None,
                   help="training pairs with a longer side are left out and reported (default 100)")
    t.add_argument("--size", type=positive_int, default=None, help="use only the first N training pairs")
    t.add_argument("--epochs", type=positive_int, default=None, help="epochs (default 10)")
    t.add_argument("--batch-size", type=positive_int, default=None, help="sentence pairs per batch (default 128)")
    t.add_argument("--lr", type=positive_float, default=None, help="Adam learning rate (default 1e-3; transformer 5e-4)")
    t.add_argument("--max-grad", type=positive_float, default=None, help="gradient-norm clipping (default 1)")
    t.add_argument("--teacher-forcing", type=float, default=None, metavar="RATIO",
                   help="recurrent models: probability of feeding the gold token (default 0.5)")
    t.add_argument("--layers", type=positive_int, default=None, help="layers (lstm 2, transformer 3 + 3)")
    t.add_argument("--hidden", type=positive_int, default=None, help="recurrent units (default 512)")
    t.add_argument("--wordvec", type=positive_int, default=None, help="embedding size of recurrent models (default 256)")
    t.add_argument("--heads", type=positive_int, default=None, help="transformer attention heads (default 8)")
    t.add_argument("--d-model", type=positive_int, default=None, help="transformer width (default 256)")
    t.add_argument("--d-ff", type=positive_int, default=None, help="transformer feed-forward width (default 512)")
    t.add_argument("--dropout", type=probability, default=None, help="dropout (0.5; transformer 0.1)")
    t.add_argument("--attention", choices=["additive", "dot"], default=None,
                   help="attention model: additive (Bahdanau, default) or dot product (chapter 8)")
    t.add_argument("--label-smoothing", type=probability, default=None, help="transformer (default 0.1)")
    t.add_argument("--warmup", type=non_negative_int, default=None,
                   help="transformer: warm-up steps, then linear decay to 0 (default 0: a constant rate)")
    t.add_argument("--embedding-init", choices=["normal", "xavier"], default=None,
                   help="transformer token and position tables: xavier (the reference's, default) or normal (chapter 9)")
    t.add_argument("--select-by", choices=["teacher", "free"], default=None,
                   help="epoch kept: least valid perplexity teacher-forced (default) or, for recurrent models, "
                        "free-running as batch means (the reference's choice)")
    t.add_argument("--beam", type=positive_int, default=None, help="beam width of the final test BLEU (default 1)")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the trained model (.npz) to PATH")
    t.add_argument("--plot", metavar="PATH", help="save the loss and validation perplexity curves to PATH")
    add_run_options(t)
    add_distributed(t)
    add_json(t)
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="BLEU and perplexity of a model on a split or on parallel files")
    e.add_argument("--model", required=True, metavar="PATH", help="model file from `translate train --out`")
    e.add_argument("--split", choices=["valid", "test"], default="test", help="Multi30k split (default test)")
    e.add_argument("--src", metavar="FILE", help="source sentences, one a line (gzip accepted); with --ref")
    e.add_argument("--ref", metavar="FILE", help="reference translations, line by line parallel to --src")
    e.add_argument("--beam", type=positive_int, default=1, help="beam width (default 1: greedy)")
    e.add_argument("--alpha", type=float, default=None, help="length normalisation exponent (default 1)")
    e.add_argument("--out", metavar="PATH", help="write the translations to PATH, one a line")
    add_json(e)
    e.set_defaults(func=run_eval)

    x = verbs.add_parser("text", help="translate sentences given as arguments or on stdin, one a line")
    x.add_argument("--model", required=True, metavar="PATH", help="model file from `translate train --out`")
    x.add_argument("text", nargs="*", metavar="TEXT", help="sentences (default: read lines from stdin)")
    x.add_argument("--beam", type=positive_int, default=1, help="beam width (default 1: greedy)")
    add_json(x)
    x.set_defaults(func=run_text)

    a = verbs.add_parser("attention", help="plot where the model looks while translating one sentence")
    a.add_argument("--model", required=True, metavar="PATH", help="attention or transformer model file")
    a.add_argument("text", metavar="TEXT", help="the sentence to translate")
    a.add_argument("--plot", required=True, metavar="PATH", help="image file (per layer and head for a Transformer)")
    add_json(a)
    a.set_defaults(func=run_attention)


def run_train(args) -> int:
    from .. import seed
    from .. import translate as tr
    from ..translate.run import finish_training, start_training

    out, plot = check_writable(args.out, "model"), check_plot(args.plot)
    if args.teacher_forcing is not None and not 0 <= args.teacher_forcing <= 1:
        raise CLIError(f"--teacher-forcing must be in [0, 1], got {args.teacher_forcing}")
    fields, checkpoint = start_or_resume(args, {k: getattr(args, k) for k in OPTIONS}, "translate train")
    config = tr.config_from_dict(fields) if checkpoint else tr.make_config(**fields)
    seed(args.seed)
    trainer, data = start_training(config, checkpoint, args.checkpoint, args.stop_after, args.seed,
                                   prepare=lambda t: distributed.setup(args, t, config=fields, weigh=target_tokens))
    say(args, describe(config, data, trainer.model))
    if not fit(trainer, args, "zeronlp translate train"):
        return 0
    figures = finish_training(trainer, config, data, out, plot)
    say(args, f"test perplexity {figures['test_perplexity']:.2f} (valid {figures['valid_perplexity']:.2f}), "
              f"BLEU {figures['bleu']:.2f} ({figures['signature']}), tokenised lower-cased BLEU "
              f"{figures['bleu_tokenized']:.2f}, {figures['seconds_per_epoch']:.0f} s/epoch")
    for path, what in ((out, "model"), (plot, "figure")):
        if path:
            say(args, f"{what} saved to {path}")
    if args.json:
        print_json(figures)
    return 0


def target_tokens(batch) -> int:
    """A batch's share of a data-parallel step: its real target tokens after <sos> (the loss is their mean)."""
    from ..translate.data import PAD

    return int((batch[1][:, 1:] != PAD).sum())


def describe(config, data, model) -> str:
    train = data.splits["train"]
    line = (f"{config.model} on {config.data} {config.src}->{config.tgt}: {len(train)} training pairs, vocabularies "
            f"{len(data.src_side.vocab)} {config.src} / {len(data.tgt_side.vocab)} {config.tgt} ({config.tokenizer}), "
            f"{model.num_params():,} parameters")
    if train.dropped:
        line += f"; {len(train.dropped)} pairs longer than {config.max_tokens} tokens left out (first: line " \
                f"{train.dropped[0] + 1})"
    return line


def run_eval(args) -> int:
    from .. import translate as tr

    if (args.src is None) != (args.ref is None):
        raise CLIError("--src and --ref go together (parallel files, one sentence a line)")
    tr.check_beam(args.beam)
    out = check_writable(args.out, "output")
    translator = tr.load(args.model)
    if args.src:
        src, ref = tr.read_lines(args.src, "--src"), tr.read_lines(args.ref, "--ref")
    else:
        src, ref = tr.load_texts(translator.config, args.split)
    result = translator.evaluate(src, ref, args.beam, args.alpha)
    hypotheses = result.pop("hypotheses")
    if out:
        from ..io import atomic_write

        text = "".join(h + "\n" for h in hypotheses).encode("utf-8")
        atomic_write(out, lambda f: f.write(text))
    where = f"{args.src}" if args.src else f"{translator.config.data} {args.split}"
    if args.json:
        print_json(result)
    else:
        print(f"{where}: {result['n']} sentences, beam {args.beam}: BLEU {result['bleu']:.2f} ({result['signature']}), "
              f"tokenised lower-cased BLEU {result['bleu_tokenized']:.2f}, perplexity {result['perplexity']:.2f}")
    return 0


def run_text(args) -> int:
    from .. import translate as tr

    tr.check_beam(args.beam)
    texts = args.text or [line.rstrip("\r\n") for line in sys.stdin]
    if not texts:
        raise CLIError("give sentences to translate as arguments or on stdin")
    translator = tr.load(args.model)
    outputs = translator.translate(texts, args.beam)
    if args.json:
        print_json({"sources": texts, "translations": outputs})
    else:
        for line in outputs:
            print(line)
    return 0


def run_attention(args) -> int:
    from .. import translate as tr
    from ..translate.run import plot_attention

    check_plot(args.plot)
    translator = tr.load(args.model)
    src, out, weights = translator.attention(args.text)
    plot_attention(translator, args.text, src, out, weights, args.plot)
    translation = translator.tgt_side.text(out[:-1])
    if args.json:
        print_json({"source": src, "output": out, "translation": translation, "weights": weights.round(4).tolist()})
    else:
        print(f"{translation}\nattention map saved to {args.plot}")
    return 0
