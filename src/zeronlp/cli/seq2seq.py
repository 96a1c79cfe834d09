"""``zeronlp seq2seq train|eval|predict|attention``: chapters 7 and 8 on the addition and date tasks."""
from __future__ import annotations

from .common import (CLIError, add_family,
                     add_json, add_seed, check_writable, non_negative_int, positive_float, positive_int,
                     print_json, probability)

# The book's settings per task: (model, wordvec, hidden, epochs).
TASK_DEFAULTS = {"addition": ("basic", 16, 128, 25), "date": ("attention", 16, 256, 10)}
FILE_DEFAULTS = ("basic", 16, 128, 25)


def _basic(vocab_size, wordvec_size, hidden_size, bidirectional):
    from ..models import Seq2seq

    return Seq2seq(vocab_size, wordvec_size, hidden_size)


def _peeky(vocab_size, wordvec_size, hidden_size, bidirectional):
    from ..models import PeekySeq2seq

    return PeekySeq2seq(vocab_size, wordvec_size, hidden_size)


def _attention(vocab_size, wordvec_size, hidden_size, bidirectional):
    from ..models import AttentionSeq2seq

    return AttentionSeq2seq(vocab_size, wordvec_size, hidden_size, bidirectional=bidirectional)


# Every model kind `seq2seq train --model KIND` can build, in one place: name -> factory
# (vocab_size, wordvec_size, hidden_size, bidirectional) -> model with start_decoding/decode_step/generate.
MODELS = {"basic": _basic, "peeky": _peeky, "attention": _attention}
BIDIRECTIONAL = {"attention"}  # kinds whose encoder can be bidirectional


def _transformer(vocab_size, wordvec_size, hidden_size, bidirectional, **options):
    """The encoder-decoder Transformer, "toy" preset; options: layers, heads, d_model, d_ff, dropout."""
    from ..models.transformer import make_transformer

    names = {"layers": "num_layers", "heads": "num_heads", "d_model": "d_model", "d_ff": "d_ff", "dropout": "dropout"}
    return make_transformer(vocab_size, "toy", **{names[k]: v for k, v in options.items()})


MODELS["transformer"] = _transformer
TRANSFORMER_OPTIONS = ("layers", "heads", "d_model", "d_ff", "dropout")


def _schedule(kind, epochs, train_size, batch_size) -> list:
    """A Transformer's learning rate decays linearly to zero over the run (the other models keep Adam's)."""
    if kind != "transformer":
        return []
    from ..optim import LinearDecay
    from ..training import StepSchedule

    steps = epochs * max(train_size // min(batch_size, train_size), 1)
    return [StepSchedule(lambda optimizer: LinearDecay(optimizer, steps, final_ratio=0.0))]


def _model_options(args, kind) -> dict:
    """The --layers/--heads/--d-model/--d-ff/--dropout given, checked to go with --model transformer."""
    given = {k: getattr(args, k, None) for k in TRANSFORMER_OPTIONS}
    given = {k: v for k, v in given.items() if v is not None}
    if given and kind != "transformer":
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise CLIError(f"{flags} only apply to --model transformer, not {kind}")
    return given


def register(sub) -> None:
    verbs = add_family(sub, "seq2seq", help="sequence to sequence models: addition, dates, attention (chapters 7-8)",
                       description="Train and use seq2seq models on the addition and date-format tasks "
                                   "or on any file in the book's question_answer layout.")

    t = verbs.add_parser("train", help="train a model and report test accuracy per epoch")
    t.add_argument("--task", default="addition",
                   help="addition, date, or a PATH to a file in the book's layout (default addition)")
    t.add_argument("--model", choices=sorted(MODELS), default=None,
                   help="architecture (default: basic for addition and files, attention for date)")
    t.add_argument("--reverse", action="store_true", help="feed the questions reversed (Sutskever et al., 2014)")
    t.add_argument("--bidirectional", action="store_true", help="bidirectional LSTM encoder, H/2 units per direction (attention only; "
                        "on dates 99.9%% by epoch 3)")
    t.add_argument("--epochs", type=positive_int, default=None, help="epochs (default 25; date 10)")
    t.add_argument("--batch-size", type=positive_int, default=128, help="minibatch size (default 128)")
    t.add_argument("--hidden", type=positive_int, default=None, help="LSTM units (default 128; date 256)")
    t.add_argument("--wordvec", type=positive_int, default=None, help="character embedding size (default 16)")
    t.add_argument("--lr", type=positive_float, default=0.001, help="Adam learning rate (default 0.001)")
    t.add_argument("--max-grad", type=positive_float, default=5.0, help="gradient clipping norm (default 5.0)")
    t.add_argument("--size", type=positive_int, default=None,
                   help="number of generated examples (default 50000; files: all lines)")
    t.add_argument("--examples", type=non_negative_int, default=3, help="examples shown per epoch (default 3)")
    tf = t.add_argument_group("transformer (--model transformer; defaults: the 'toy' preset; "
                              "the learning rate decays linearly to 0 over the run)")
    tf.add_argument("--layers", type=positive_int, default=None, help="encoder and decoder layers (default 2)")
    tf.add_argument("--heads", type=positive_int, default=None, help="attention heads (default 4)")
    tf.add_argument("--d-model", type=positive_int, default=None, help="model width (default 64)")
    tf.add_argument("--d-ff", type=positive_int, default=None, help="feed-forward width (default 256)")
    tf.add_argument("--dropout", type=probability, default=None, help="dropout ratio (default 0)")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the trained model (.npz) to PATH")
    t.add_argument("--plot", metavar="PATH", help="save the loss and accuracy curves to PATH")
    add_json(t)
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="exact-match accuracy of a trained model on a file in the book's layout")
    e.add_argument("--model", required=True, metavar="PATH", help="model file from `seq2seq train --out`")
    e.add_argument("--data", required=True, metavar="FILE", help="question_answer file, e.g. '16+75  _91  '")
    e.add_argument("--beam", type=positive_int, default=1, help="beam width (default 1: greedy)")
    e.add_argument("--examples", type=non_negative_int, default=3, help="wrong answers to show (default 3)")
    add_json(e)
    e.set_defaults(func=run_eval)

    r = verbs.add_parser("predict", help="answer questions given on the command line")
    r.add_argument("--model", required=True, metavar="PATH", help="model file from `seq2seq train --out`")
    r.add_argument("text", nargs="+", metavar="TEXT", help="questions, e.g. '16+75' or 'August 19, 2003'")
    r.add_argument("--beam", type=positive_int, default=1, help="beam width (default 1: greedy)")
    add_json(r)
    r.set_defaults(func=run_predict)

    a = verbs.add_parser("attention", help="plot where an attention model looks for one question")
    a.add_argument("--model", required=True, metavar="PATH", help="attention model file")
    a.add_argument("text", metavar="TEXT", help="the question, e.g. 'Wednesday, February 26, 1997'")
    a.add_argument("--plot", required=True, metavar="PATH", help="image file for the attention map")
    add_json(a)
    a.set_defaults(func=run_attention)


def run_train(args) -> int:
    from .. import seed
    from .. import seq2seq as s2s
    from ..data.sequence import TASKS, load_data

    check_writable(args.out, "model")
    check_writable(args.plot, "plot")
    if args.plot:
        from ..plot import _pyplot

        _pyplot()
    kind, wordvec, hidden, epochs = TASK_DEFAULTS.get(args.task, FILE_DEFAULTS)
    kind = args.model or kind
    if args.bidirectional and kind not in BIDIRECTIONAL:
        raise CLIError(f"--bidirectional needs --model {' or '.join(sorted(BIDIRECTIONAL))}, not {kind}")
    wordvec, hidden, epochs = args.wordvec or wordvec, args.hidden or hidden, args.epochs or epochs
    seed(args.seed)
    data = load_data(args.task, seed=1984 if args.seed is None else args.seed, size=args.size,
                     reverse=args.reverse)
    model = MODELS[kind](len(data.vocab), wordvec, hidden, args.bidirectional, **_model_options(args, kind))
    if not args.json:
        where = args.task if args.task in TASKS else f"file {args.task}"
        print(f"{kind} seq2seq on {where}: {len(data.x_train)} train / {len(data.x_test)} test, "
              f"vocabulary {len(data.vocab)}, wordvec {wordvec}, hidden {hidden}, "
              f"{'reversed' if args.reverse else 'plain'} input, {model.num_params():,} parameters")
    history = s2s.train(model, data, epochs=epochs, batch_size=args.batch_size, lr=args.lr,
                        max_grad=args.max_grad, verbose=not args.json, examples=args.examples,
                        callbacks=_schedule(kind, epochs, len(data.x_train), args.batch_size))
    acc = history["accuracy"][-1]
    per_epoch = history["epoch_seconds"]
    if not args.json:
        print(f"test accuracy {100 * acc:.3f}% after {len(history['accuracy'])} epochs "
              f"({sum(per_epoch) / len(per_epoch):.1f}s per epoch)")
    if args.out:
        s2s.save(model, args.out, data, kind, meta={"accuracy": acc})
        if not args.json:
            print(f"model saved to {args.out}")
    if args.plot:
        s2s.plot_training(history, args.plot)
        if not args.json:
            print(f"figure saved to {args.plot}")
    if args.json:
        print_json({"accuracy": acc, "accuracy_per_epoch": history["accuracy"], "model": kind,
                    "task": data.task, "reverse": args.reverse, "bidirectional": args.bidirectional,
                    "epochs": len(history["accuracy"]), "seconds_per_epoch": per_epoch,
                    "seconds": history["seconds"][0]})
    return 0


def run_eval(args) -> int:
    from .. import seq2seq as s2s
    from ..data.sequence import read_pairs

    model, task = s2s.load(args.model)
    pairs = read_pairs(args.data)
    questions = [q.rstrip() for q, _ in pairs]
    x = task.encode_questions(questions)
    t = task.encode_answers([a.rstrip() for _, a in pairs])
    acc, guess = s2s.accuracy(model, x, t, task.start_id, args.beam, return_ids=True)
    predicted = task.decode(guess)
    wrong = [(q, a[1:].rstrip(), p) for (q, p, (_, a)) in zip(questions, predicted, pairs) if p != a[1:].rstrip()]
    if not args.json:
        print(f"{args.data}: {len(pairs)} questions, exact-match accuracy {100 * acc:.3f}%")
        for q, a, p in wrong[:args.examples]:
            print(f"  WRONG {q!r}: expected {a!r}, got {p!r}")
    else:
        print_json({"accuracy": acc, "questions": len(pairs), "wrong": len(wrong), "beam": args.beam})
    return 0


def run_predict(args) -> int:
    from .. import seq2seq as s2s

    model, task = s2s.load(args.model)
    answers = s2s.answer(model, task, args.text, args.beam)
    if args.json:
        print_json({"questions": args.text, "answers": answers})
    else:
        for q, a in zip(args.text, answers):
            print(f"{q} -> {a}")
    return 0


def run_attention(args) -> int:
    from .. import backend
    from .. import seq2seq as s2s

    check_writable(args.plot, "plot")
    model, task = s2s.load(args.model)
    if not hasattr(model, "attention_weights"):
        raise CLIError(f"{args.model} holds a {type(model).__name__}, which has no attention; "
                       "train one with `zeronlp seq2seq train --model attention`")
    inputs, outputs, weights = s2s.attention_map(model, task, args.text)
    answer = "".join(outputs).rstrip()
    if getattr(model, "head_attention_weights", None) is not None:  # a Transformer: every layer and head
        from ..plot import plot_attention_heads

        heads = backend.to_cpu(model.head_attention_weights)[0]  # (layers, heads, output, input)
        plot_attention_heads(inputs, outputs, heads[..., ::-1] if task.reverse else heads, args.plot,
                             title=f"cross-attention: {args.text} -> {answer}")
    else:
        s2s.plot_attention(inputs, outputs, weights, args.plot, title=f"{args.text} -> {answer}")
    if args.json:
        print_json({"question": args.text, "answer": answer, "weights": weights.round(4).tolist()})
    else:
        print(f"{args.text} -> {answer}; attention map saved to {args.plot}")
    return 0
