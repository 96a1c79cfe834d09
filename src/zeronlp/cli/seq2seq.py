"""``zeronlp seq2seq train|eval|predict|attention``: chapters 7 and 8 on the addition and date tasks."""
from __future__ import annotations

import dataclasses

from .. import distributed
from ..seq2seq import MODELS
from .common import (CLIError, add_distributed, add_family, add_json, add_run_options, add_seed, add_threads, check_plot,
                     check_writable, checked_config, fit, non_negative_int, plural, positive_float, positive_int, print_json,
                     probability, say, start_or_resume)

OPTIONS = ("model", "reverse", "bidirectional", "epochs", "batch_size", "hidden", "wordvec", "lr", "max_grad", "size",
           "schedule", "layers", "heads", "d_model", "d_ff", "dropout")


def register(sub) -> None:
    verbs = add_family(sub, "seq2seq", help="sequence to sequence models: addition, dates, attention (chapters 7-8)",
                       description="Train and use seq2seq models on the addition and date-format tasks "
                                   "or on any file in the book's question_answer layout.")

    t = verbs.add_parser("train", help="train a model and report test accuracy per epoch",
                         description="Train a seq2seq model on a character task with the book's recipe (Adam, "
                                     "gradient clipping, batch 128) and report the exact-match test accuracy after "
                                     "every epoch: by default chapter 7's basic model on addition (25 epochs) or, "
                                     "with --task date, chapter 8's attention model (10 epochs).")
    t.add_argument("--task", default=None,
                   help="addition, date, or a PATH to a file in the book's layout (default addition)")
    t.add_argument("--model", choices=sorted(MODELS), default=None,
                   help="architecture (default: basic for addition and files, attention for date)")
    t.add_argument("--reverse", action="store_true", default=None,
                   help="feed the questions reversed (Sutskever et al., 2014)")
    t.add_argument("--bidirectional", action="store_true", default=None, help="bidirectional LSTM encoder, H/2 units per direction (attention only; "
                        "on dates 99.9%% by epoch 3)")
    t.add_argument("--epochs", type=positive_int, default=None, help="epochs (default 25; date 10)")
    t.add_argument("--batch-size", type=positive_int, default=None,
                   help="minibatch size (default 64; the transformer and the book: 128)")
    t.add_argument("--hidden", type=positive_int, default=None, help="LSTM units (default 128; date 256)")
    t.add_argument("--wordvec", type=positive_int, default=None, help="character embedding size (default 16)")
    t.add_argument("--lr", type=positive_float, default=None, help="Adam learning rate (default 0.001)")
    t.add_argument("--max-grad", type=positive_float, default=None, help="gradient clipping norm (default 5.0)")
    t.add_argument("--schedule", choices=("constant", "linear"), default=None,
                   help="Adam's learning rate: constant (the book's) or decayed linearly to 0 over the run "
                        "(default linear; --batch-size 128 --schedule constant is the book's recipe)")
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
    add_threads(t)
    t.add_argument("--out", metavar="PATH", help="save the trained model (.npz) to PATH")
    t.add_argument("--plot", metavar="PATH", help="save the loss and accuracy curves to PATH")
    add_run_options(t)
    add_distributed(t)
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
    from .. import seq2seq as s2s
    from ..data.sequence import TASKS

    out, plot = check_writable(args.out, "model"), check_plot(args.plot)
    fields, checkpoint = start_or_resume(args, {"task": args.task, **{k: getattr(args, k) for k in OPTIONS}},
                                         "seq2seq train")
    data_seed = {} if checkpoint or args.seed is None else {"data_seed": args.seed}
    config = checked_config(lambda **f: s2s.Seq2seqConfig(**f).validate(), fields, args.resume) if checkpoint \
        else s2s.make_config(**fields, **data_seed)
    data = checked_data(config, args.seed)
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = s2s.make_trainer(config, data, examples=args.examples, checkpoint=args.checkpoint,
                               stop_after=args.stop_after, **resumed)
    trainer.checkpoint_info.update(vocab=list(data.vocab), meta={**s2s.task_meta(data, config.model),
                                   "train_config": dataclasses.asdict(config), "command": "seq2seq train",
                                   "seed": args.seed, "threads": args.threads_in_use})
    distributed.setup(args, trainer, config=dataclasses.asdict(config))  # before load_state: it is a callback
    if checkpoint:
        trainer.load_state(checkpoint)
    where = config.task if config.task in TASKS else f"file {config.task}"
    say(args, f"{config.model} seq2seq on {where}: {len(data.x_train):,} train / {len(data.x_test):,} test, "
              f"vocabulary {len(data.vocab)}, {_sizes(trainer.model, config)}, "
              f"{'reversed' if config.reverse else 'plain'} input, {trainer.model.num_params():,} parameters")
    if fit(trainer, args, "zeronlp seq2seq train"):
        report_seq2seq(args, trainer, data, config, out, plot)
    return 0


def report_seq2seq(args, trainer, data, config, out, plot) -> None:
    """Print the final accuracy, save what was asked for; one JSON line with --json."""
    from .. import seq2seq as s2s

    history = trainer.history
    acc, per_epoch = history["accuracy"][-1], history["epoch_seconds"]
    say(args, f"test accuracy {100 * acc:.3f}% after {plural(len(history['accuracy']), 'epoch')} "
              f"({sum(per_epoch) / len(per_epoch):.1f}s per epoch)")
    if out:
        s2s.save(trainer.model, out, data, config.model,
                 meta={"accuracy": acc, "train_config": trainer.checkpoint_info["meta"]["train_config"]})
        say(args, f"model saved to {out}")
    if plot:
        s2s.plot_training(history, plot)
        say(args, f"figure saved to {plot}")
    if args.json:
        print_json({"accuracy": acc, "accuracy_per_epoch": history["accuracy"], "model": config.model,
                    "task": data.task, "reverse": config.reverse, "bidirectional": config.bidirectional,
                    "epochs": len(history["accuracy"]), "seconds_per_epoch": per_epoch, "seconds": trainer.seconds})


def _sizes(model, config) -> str:
    """The widths a run's header shows: the Transformer's own, else the LSTM's embedding and hidden sizes."""
    if config.model == "transformer":
        c = model.config
        return f"d_model {c['d_model']}, {c['num_heads']} heads, d_ff {c['d_ff']}, {plural(c['num_layers'], 'layer')}"
    return f"wordvec {config.wordvec}, hidden {config.hidden}"


def checked_data(config, seed_value):
    """The run's data, generated or read after checking that the run fits in memory."""
    from .. import seed
    from ..data.sequence import TASKS, load_data

    check_memory(config)
    seed(seed_value)
    data = load_data(config.task, seed=config.data_seed, size=config.size, reverse=config.reverse)
    if config.task not in TASKS:
        check_memory(config, data)
    return data


def check_memory(config, data=None) -> None:
    """Refuse a run that cannot fit in memory, before generating the data (a built-in task) or building the
    model (a file, whose data is read first)."""
    from .. import memory
    from ..data.sequence import DEFAULT_SIZE, WIDTHS, task_alphabet

    if data is None:
        if config.task not in WIDTHS:
            return
        vocab, (q, a) = len(task_alphabet(config.task)), WIDTHS[config.task]
        examples, generated = config.size or DEFAULT_SIZE, True
    else:
        vocab, q, a = len(data.vocab), data.x_train.shape[1], data.t_train.shape[1]
        examples, generated = len(data.x_train) + len(data.x_test), False
    sizes = f"--hidden {config.hidden:,}" if config.model != "transformer" else \
        f"--d-model {config.d_model or 64:,}, --d-ff {config.d_ff or 256:,}"
    memory.check_fits(memory.seq2seq_bytes(config, vocab, q, a, examples, generated),
                      f"seq2seq train ({config.model}, {sizes}, {examples:,} examples)")


def run_eval(args) -> int:
    from .. import seq2seq as s2s
    from ..data.sequence import read_pairs

    model, task = load_model(args.model)
    pairs = read_pairs(args.data)
    questions = [q.rstrip() for q, _ in pairs]
    x = task.encode_questions(questions)
    t = task.encode_answers([a.rstrip() for _, a in pairs])
    acc, guess = s2s.accuracy(model, x, t, task.start_id, args.beam, return_ids=True)
    predicted = task.decode(guess)
    wrong = [(q, a[1:].rstrip(), p) for (q, p, (_, a)) in zip(questions, predicted, pairs) if p != a[1:].rstrip()]
    say(args, f"{args.data}: {plural(len(pairs), 'question')}, exact-match accuracy {100 * acc:.3f}%")
    for q, a, p in wrong[:args.examples]:
        say(args, f"  WRONG {q!r}: expected {a!r}, got {p!r}")
    if args.json:
        print_json({"accuracy": acc, "questions": len(pairs), "wrong": len(wrong), "beam": args.beam})
    return 0


def run_predict(args) -> int:
    from .. import seq2seq as s2s

    check_questions(args.text)
    model, task = load_model(args.model)
    answers = s2s.answer(model, task, args.text, args.beam)
    if args.json:
        print_json({"questions": args.text, "answers": answers})
    else:
        for q, a in zip(args.text, answers):
            print(f"{q} -> {a}")
    return 0


def load_model(path):
    """(model, Task) of a seq2seq model file; a header whose metadata is not what `seq2seq train` writes
    (widths that are not numbers, meta that is not a mapping) is one clear error naming the file."""
    from .. import seq2seq as s2s

    try:
        return s2s.load(path)
    except (TypeError, AttributeError, KeyError) as e:
        raise CLIError(f"{path}: malformed seq2seq metadata in its header ({type(e).__name__}: {e})") from None


def check_questions(questions) -> None:
    """An empty (or blank) question is bad input, not something to answer."""
    for i, q in enumerate(questions):
        if not q.strip():
            raise CLIError(f"question {i + 1} is empty; give the text to answer, e.g. '16+75'")


def run_attention(args) -> int:
    from .. import backend
    from .. import seq2seq as s2s

    check_plot(args.plot)
    check_questions([args.text])
    model, task = load_model(args.model)
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
        print_json({"question": args.text, "answer": answer, "weights": [[round(float(w), 4) for w in row] for row in weights]})
    else:
        print(f"{args.text} -> {answer}; attention map saved to {args.plot}")
    return 0
