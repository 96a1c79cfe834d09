"""Training, evaluating and using seq2seq models on character tasks (chapters 7 and 8).

The model files live in ``models/seq2seq.py`` and ``models/attention_seq2seq.py``;
this module holds what sits beside them: exact-match accuracy, the per-epoch
accuracy callback for ``zeronlp.training.Trainer``, saving a model with its task
(vocabulary, widths, reversal) and answering questions given as text.

    data = zeronlp.data.sequence.load_data("addition", reverse=True)
    model = PeekySeq2seq(len(data.vocab), 16, 128)
    history = train(model, data, epochs=25)          # history["accuracy"] per epoch
"""
from __future__ import annotations

import time

import numpy as np

from . import backend
from .data.sequence import START, CharVocab, SequenceData
from .evaluate import sequence_accuracy
from .io import ModelFileError
from .optim import Adam
from .training import Callback, Trainer


def _decoder_check(model):
    if not (hasattr(model, "start_decoding") and hasattr(model, "decode_step") and hasattr(model, "generate")):
        raise TypeError(f"{type(model).__name__} is not a seq2seq model")


def predict_ids(model, x, start_id: int, length: int, beam_width: int = 1, batch_size: int = 1000):
    """x (N, Te) -> ids (N, length) on the CPU, decoded in batches of ``batch_size``."""
    _decoder_check(model)
    xp = model.xp
    out = []
    for i in range(0, len(x), batch_size):
        out.append(backend.to_cpu(model.generate(xp.asarray(x[i:i + batch_size]), start_id, length, beam_width)))
    return np.concatenate(out, axis=0) if out else np.zeros((0, length), dtype=np.int32)


def accuracy(model, x, t, start_id: int, beam_width: int = 1, batch_size: int = 1000, return_ids: bool = False):
    """Exact-match accuracy: the fraction of rows whose whole decoded answer equals t[:, 1:] (N, Td)."""
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} questions but t has {len(t)} answers")
    if len(x) == 0:
        raise ValueError("cannot measure accuracy on an empty data set")
    guess = predict_ids(model, x, start_id, t.shape[1] - 1, beam_width, batch_size)
    acc = sequence_accuracy(guess, backend.to_cpu(t)[:, 1:])
    return (acc, guess) if return_ids else acc


def format_example(data: SequenceData, x, t, guess) -> str:
    """One line: question, answer, and the model's answer marked right or wrong."""
    answer = data.vocab.decode(t[1:]).rstrip()
    predicted = data.vocab.decode(guess).rstrip()
    mark = "right" if answer == predicted else "WRONG"
    return f"  Q {data.question(x).rstrip():<{data.question_width}}  T {answer:<{data.answer_width}} {mark} {predicted}"


class AccuracyCallback(Callback):
    """After every epoch: exact-match test accuracy into ``history['accuracy']``, seconds into
    ``history['epoch_seconds']`` (training only), and a log line with a few examples marked."""

    def __init__(self, data: SequenceData, examples: int = 3, beam_width: int = 1, limit: int | None = None):
        self.data, self.examples, self.beam_width, self.limit = data, examples, beam_width, limit
        self._start = None

    def on_epoch_begin(self, trainer, epoch):
        self._start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch):
        seconds = time.perf_counter() - self._start
        d = self.data
        x, t = (d.x_test, d.t_test) if self.limit is None else (d.x_test[:self.limit], d.t_test[:self.limit])
        trainer.model.eval()
        acc, guess = accuracy(trainer.model, x, t, d.start_id, self.beam_width, return_ids=True)
        trainer.model.train()
        h = trainer.history
        h.setdefault("accuracy", []).append(acc)
        h.setdefault("epoch_seconds", []).append(seconds)
        trainer.log(f"epoch {epoch + 1}: loss {h['epoch_loss'][-1]:.4f}, test accuracy {100 * acc:.3f}% "
                    f"({seconds:.1f}s training)")
        for i in range(min(self.examples, len(x))):
            trainer.log(format_example(d, x[i], t[i], guess[i]))


def train(model, data: SequenceData, epochs: int = 25, batch_size: int = 128, lr: float = 0.001,
          max_grad: float | None = 5.0, verbose: bool = True, examples: int = 3, callbacks=()) -> dict:
    """The book's recipe: Adam, gradient clipping, shuffled minibatches; test accuracy after each epoch.
    Returns the trainer's history (``accuracy``, ``epoch_seconds``, ``epoch_loss``, ``loss``...)."""
    _decoder_check(model)
    if model.config.get("vocab_size") is not None and model.config["vocab_size"] < len(data.vocab):
        raise ValueError(f"the model's vocabulary ({model.config['vocab_size']}) is smaller than the data's "
                         f"({len(data.vocab)})")
    trainer = Trainer(model, Adam(lr=lr), callbacks=[AccuracyCallback(data, examples), *callbacks],
                      verbose=verbose)
    return trainer.fit(data.x_train, data.t_train, max_epoch=epochs, batch_size=batch_size,
                       eval_interval=20, max_grad=max_grad)


# ------------------------------------------------------------------------------ files
def save(model, path, data: SequenceData, kind: str, meta: dict | None = None) -> None:
    """Save ``model`` with what answering questions needs: vocabulary, widths, reversal, kind."""
    info = {"seq2seq": True, "kind": kind, "task": data.task, "reverse": bool(data.reverse),
            "question_width": int(data.question_width), "answer_width": int(data.answer_width)}
    info.update(meta or {})
    model.save(path, vocab=list(data.vocab), meta=info)


class Task:
    """What a saved seq2seq model knows about its task: vocabulary, widths, reversal."""

    def __init__(self, vocab: CharVocab, question_width: int, answer_width: int, reverse: bool, name: str = ""):
        self.vocab, self.question_width, self.answer_width = vocab, question_width, answer_width
        self.reverse, self.name = reverse, name

    @property
    def start_id(self) -> int:
        return self.vocab.char_to_id[START]

    def encode_questions(self, questions):
        """Texts -> x (N, question width), checked against the vocabulary and width, reversed if trained so."""
        x = self.vocab.encode(list(questions), self.question_width, "question")
        return x[:, ::-1].copy() if self.reverse else x

    def encode_answers(self, answers):
        """Texts (with or without the leading "_") -> t (N, answer width)."""
        answers = [a if a.startswith(START) else START + a for a in answers]
        return self.vocab.encode(answers, self.answer_width, "answer")

    def decode(self, ids) -> list[str]:
        return [self.vocab.decode(row).rstrip() for row in np.asarray(ids)]


def load(path):
    """-> (model, Task) from a file written by ``save``; a clear error for any other model file."""
    from .models.base import load as load_model

    model, info = load_model(path, with_info=True)
    meta = info["meta"]
    if not meta.get("seq2seq") or not hasattr(model, "start_decoding"):
        raise ModelFileError(path, f"holds a {type(model).__name__}, not a seq2seq model "
                                   "(train one with `zeronlp seq2seq train`)")
    if not info["vocab"]:
        raise ModelFileError(path, "has no character vocabulary")
    task = Task(CharVocab(info["vocab"]), int(meta["question_width"]), int(meta["answer_width"]),
                bool(meta.get("reverse", False)), str(meta.get("task", "")))
    model.eval()
    return model, task


def answer(model, task: Task, questions, beam_width: int = 1) -> list[str]:
    """Questions as text -> the model's answers as text (without "_" and padding)."""
    x = task.encode_questions(questions)
    return task.decode(predict_ids(model, x, task.start_id, task.answer_width - 1, beam_width))


def attention_map(model, task: Task, question: str):
    """One question -> (input characters, output characters, weights (output len, input len))."""
    if not hasattr(model, "attention_weights"):
        raise TypeError(f"{type(model).__name__} has no attention; train one with --model attention")
    x = task.encode_questions([question])
    ids = model.generate(model.xp.asarray(x), task.start_id, task.answer_width - 1)
    weights = backend.to_cpu(model.attention_weights)[0]
    inputs = list(task.vocab.decode(x[0]))
    if task.reverse:  # show the question as written
        inputs, weights = inputs[::-1], weights[:, ::-1]
    outputs = list(task.vocab.decode(backend.to_cpu(ids)[0]))
    return inputs, outputs, weights


# ------------------------------------------------------------------------------ figures
def plot_attention(inputs, outputs, weights, path=None, title: str | None = None):
    """Heat map of weights (len(outputs), len(inputs)): input characters across, output characters down."""
    from .plot import _pyplot, save_figure

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.32 * len(inputs) + 1.5), max(3.0, 0.32 * len(outputs) + 1.2)))
    image = ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=max(float(np.max(weights)), 1e-9), aspect="auto")
    show = lambda chars: ["\u2423" if c == " " else c for c in chars]  # visible space
    ax.set_xticks(range(len(inputs)), show(inputs), fontsize=8)
    ax.set_yticks(range(len(outputs)), show(outputs), fontsize=8)
    ax.set_xlabel("input")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return ax


def plot_training(history: dict, path) -> None:
    """Two panels: the training loss and the test accuracy per epoch."""
    from .plot import _pyplot, plot_history, save_figure

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    plot_history(history, ax=left)
    left.set_title("training loss")
    acc = history.get("accuracy", [])
    right.plot(range(1, len(acc) + 1), [100 * a for a in acc], marker="o")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_ylim(0, 100)
    right.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


__all__ = ["accuracy", "predict_ids", "AccuracyCallback", "train", "save", "load", "Task", "answer",
           "attention_map", "format_example", "plot_attention", "plot_training"]
