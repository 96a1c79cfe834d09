"""Evaluation measures: perplexity of a language model on a corpus, accuracy of predicted sequences,
BLEU of translations (sacreBLEU-equal, and the tutorials' tokenised BLEU-4)."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backend import get_array_module, to_cpu


def lm_batches(corpus, batch_size: int, time_size: int):
    """The book's evaluation windows: yields (xs, ts) (batch_size, time_size) reading ``batch_size``
    streams that start ``(len - 1) // batch_size`` ids apart; one id of look-ahead for the targets."""
    corpus = np.asarray(to_cpu(corpus))
    size = len(corpus)
    max_iters = (size - 1) // (batch_size * time_size)
    if max_iters < 1:
        raise ValueError(f"the corpus has {size} ids, too short for one window of batch_size x time_size = "
                         f"{batch_size} x {time_size} (+1); use a smaller --batch-size or --time-size")
    jump = (size - 1) // batch_size
    base = np.arange(batch_size)[:, None] * jump + np.arange(time_size)[None, :]
    for it in range(max_iters):
        pos = base + it * time_size
        yield corpus[pos % size], corpus[(pos + 1) % size]


def perplexity(model, corpus, batch_size: int = 10, time_size: int = 35, progress=None) -> float:
    """exp(mean next-word cross entropy) of ``model`` over ``corpus`` (ids (L,)), read like the book's
    ``eval_perplexity``: state reset first, carried across windows, dropout off; mode and state restored."""
    if batch_size < 1 or time_size < 1:
        raise ValueError(f"batch_size and time_size must be positive, got {batch_size} and {time_size}")
    _check_vocab(model, corpus)
    xp = model.xp if hasattr(model, "xp") else np
    was_training = getattr(model, "training", False)
    has_state = hasattr(model, "reset_state")
    saved = model.get_state() if hasattr(model, "get_state") else None
    if hasattr(model, "eval"):
        model.eval()
    if has_state:
        model.reset_state()
    total, count = 0.0, 0
    try:
        for xs, ts in lm_batches(corpus, batch_size, time_size):
            total += float(model.forward(xp.asarray(xs), xp.asarray(ts)))
            count += 1
            if progress is not None:
                progress(count)
    finally:
        if has_state:
            model.reset_state()
            if saved:
                model.set_state(saved)
        if was_training and hasattr(model, "train"):
            model.train()
    mean = total / count
    return math.exp(mean) if mean < 700 else math.inf  # a diverged model: inf, not OverflowError


def _check_vocab(model, corpus) -> None:
    vocab_size = getattr(model, "vocab_size", None)
    if vocab_size is None or len(corpus) == 0:
        return
    top = int(np.max(to_cpu(corpus)))
    if top >= vocab_size or int(np.min(to_cpu(corpus))) < 0:
        raise ValueError(f"the corpus has word id {top} but the model knows {vocab_size} words: "
                         "the corpus was not encoded with the model's vocabulary")


def sequence_accuracy(predicted, target, ignore_label: int | None = None) -> float:
    """Fraction of rows (N, T) predicted entirely right (positions equal to ``ignore_label`` in the target
    are not compared)."""
    xp = get_array_module(predicted)
    predicted, target = xp.asarray(predicted), xp.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 2:
        raise ValueError(f"predicted and target must both be (N, T), got {predicted.shape} and {target.shape}")
    same = predicted == target
    if ignore_label is not None:
        same |= target == ignore_label
    return float(same.all(axis=1).mean()) if len(same) else 0.0


__all__ = ["perplexity", "lm_batches", "sequence_accuracy"]


# --- BLEU (Papineni et al., 2002) ------------------------------------------------------------------
# Corpus BLEU exactly as sacreBLEU computes it (Post, 2018, "A Call for Clarity in Reporting BLEU
# Scores"): hypotheses are detokenised text, references raw text, both tokenised here by the
# mteval-v13a rules; clipped n-gram matches and totals are summed over the corpus before the
# precisions are taken; exponential smoothing (NIST's mteval, Chen & Cherry 2014 method 3) for orders
# without a match; the brevity penalty uses the closest reference length of each sentence.

SACREBLEU_VERSION = "2.6.0"
"""The sacreBLEU release whose scores ``bleu`` reproduces (verified by the tests) and that its
signature names, so a reported score reads as 'what sacreBLEU 2.6.0 gives with these options'."""

_BLEU_SMOOTH_DEFAULTS = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}
_LOG_ZERO = -9999999999   # sacreBLEU's floor for log(0): a zero precision makes the score 0, not an error
# mteval-v13a's language-dependent rules, applied in this order to ' ' + line + ' ':
_V13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),   # punctuation and symbols split off
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),                # period/comma unless after a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),                # period/comma unless before a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),                     # a dash after a digit
]


def tokenize_13a(line: str) -> str:
    """mteval-v13a tokenisation (sacreBLEU's default '13a'): one segment -> tokens joined by single spaces.

    ``<skipped>`` removed, ``-`` + newline joined, newlines -> spaces, the entities ``&quot; &amp; &lt;
    &gt;`` decoded (in that order), then the four regular expressions of ``_V13A_RULES``, then runs of
    whitespace squeezed. ``"Hello, world."`` -> ``"Hello , world ."``; ``"3.5-4"`` -> ``"3.5 - 4"``.
    """
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, replacement in _V13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


@dataclass(frozen=True)
class BLEUScore:
    """A corpus BLEU score (0-100) with its statistics: n-gram precisions (percent), brevity penalty,
    matched ``counts`` and ``totals`` per order, system and reference lengths, sacreBLEU's signature."""

    score: float
    precisions: tuple
    bp: float
    sys_len: int
    ref_len: int
    counts: tuple
    totals: tuple
    signature: str

    def __float__(self) -> float:
        return self.score

    def __str__(self) -> str:
        ratio = self.sys_len / self.ref_len if self.ref_len else 0
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"BLEU = {self.score:.2f} {precisions} (BP = {self.bp:.3f} ratio = {ratio:.3f} "
                f"hyp_len = {self.sys_len} ref_len = {self.ref_len})")

    def to_dict(self) -> dict:
        """JSON-ready: every field, tuples as lists."""
        return {"score": self.score, "precisions": list(self.precisions), "bp": self.bp,
                "sys_len": self.sys_len, "ref_len": self.ref_len, "counts": list(self.counts),
                "totals": list(self.totals), "signature": self.signature}


def _ngram_counts(tokens, max_order: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1) for i in range(len(tokens) - n + 1))


def _reference_streams(references, n_hyps: int):
    """One stream (a list of str) or several (a list of lists) -> list of streams, each of length n_hyps."""
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise TypeError("references must be a list of str (one reference per sentence) or a list of such "
                        f"lists (several reference streams), got {type(references).__name__}")
    if len(references) and all(isinstance(r, str) for r in references):
        streams = [references]
    else:
        streams = list(references)
        for k, stream in enumerate(streams):
            if isinstance(stream, str) or not isinstance(stream, Sequence) or \
                    any(r is not None and not isinstance(r, str) for r in stream):
                raise TypeError(f"reference stream {k} must be a list of str (None marks a missing reference)")
    for k, stream in enumerate(streams):
        if len(stream) != n_hyps:
            raise ValueError(f"references: stream {k} has {len(stream)} sentences but there are {n_hyps} "
                             "hypotheses; every reference stream needs one sentence per hypothesis")
    if not streams:
        raise ValueError("references is empty: give at least one reference stream")
    return streams


def _compute_bleu(correct, total, sys_len, ref_len, smooth_method, smooth_value, effective_order, max_order):
    """sacreBLEU's ``BLEU.compute_bleu`` step by step: score, precisions (percent) and bp from the sums."""
    bp = 1.0
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    precisions = [0.0] * max_order
    if not any(correct):   # no match at all: 0, whatever the smoothing
        return 0.0, precisions, bp
    correct, total = list(correct), list(total)
    smooth_mteval = 1.0
    eff_order = max_order
    for n in range(1, max_order + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += smooth_value
            total[n - 1] += smooth_value
        if total[n - 1] == 0:   # no hypothesis is n tokens long: higher orders stay 0
            break
        if effective_order:
            eff_order = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":
                smooth_mteval *= 2
                precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    logs = [math.log(p) if p > 0 else _LOG_ZERO for p in precisions[:eff_order]]
    return bp * math.exp(sum(logs) / eff_order), precisions, bp


def bleu(hypotheses, references, *, lowercase: bool = False, tokenize: str = "13a", smooth_method: str = "exp",
         smooth_value: float | None = None, max_ngram_order: int = 4, effective_order: bool = False) -> BLEUScore:
    """Corpus BLEU equal to ``sacrebleu.corpus_bleu(hypotheses, references, ...)`` with the same options.

    ``hypotheses``: N detokenised system outputs (str). ``references``: N raw reference sentences (one
    stream), or a list of streams of N sentences each (several references; ``None`` marks a missing one).
    Defaults are sacreBLEU's: case-sensitive, ``tokenize='13a'`` (or ``'none'``: split on whitespace
    only), ``smooth_method='exp'`` (also ``'none'``, ``'floor'``, ``'add-k'`` with ``smooth_value``),
    4-grams, no effective order. Each segment is right-stripped (and lower-cased) before tokenisation.

    >>> round(bleu(["The cat sat on a mat."], ["The cat sat on the mat."]).score, 2)
    48.89
    """
    if isinstance(hypotheses, str) or not isinstance(hypotheses, Sequence):
        raise TypeError(f"hypotheses must be a list of str, got {type(hypotheses).__name__}")
    if not hypotheses:
        raise ValueError("hypotheses is empty: BLEU needs at least one sentence")
    if not all(isinstance(h, str) for h in hypotheses):
        bad = next(h for h in hypotheses if not isinstance(h, str))
        raise TypeError(f"hypotheses must all be str, got {type(bad).__name__}")
    if tokenize not in ("13a", "none"):
        raise ValueError(f"tokenize must be '13a' or 'none', got {tokenize!r}")
    if smooth_method not in _BLEU_SMOOTH_DEFAULTS:
        raise ValueError(f"smooth_method must be one of {sorted(_BLEU_SMOOTH_DEFAULTS)}, got {smooth_method!r}")
    if not (isinstance(max_ngram_order, int) and max_ngram_order >= 1):
        raise ValueError(f"max_ngram_order must be a positive int, got {max_ngram_order!r}")
    streams = _reference_streams(references, len(hypotheses))
    if smooth_value is None:
        smooth_value = _BLEU_SMOOTH_DEFAULTS[smooth_method]
    tok = tokenize_13a if tokenize == "13a" else (lambda line: line)

    def prepare(segment: str) -> list:
        segment = segment.lower() if lowercase else segment
        return tok(segment.rstrip()).split()

    correct, total = [0] * max_ngram_order, [0] * max_ngram_order
    sys_len = ref_len = 0
    n_refs = set()
    for i, hyp in enumerate(hypotheses):
        refs = [prepare(stream[i]) for stream in streams if stream[i] is not None]
        if not refs:
            raise ValueError(f"references: sentence {i} has no reference in any stream")
        n_refs.add(len(refs))
        ref_counts = Counter()
        for ref in refs:
            for gram, count in _ngram_counts(ref, max_ngram_order).items():
                ref_counts[gram] = max(ref_counts[gram], count)
        hyp = prepare(hyp)
        sys_len += len(hyp)
        ref_len += min((abs(len(hyp) - len(r)), len(r)) for r in refs)[1]   # closest; ties: the shorter
        for gram, count in _ngram_counts(hyp, max_ngram_order).items():
            total[len(gram) - 1] += count
            correct[len(gram) - 1] += min(count, ref_counts.get(gram, 0))
    score, precisions, bp = _compute_bleu(correct, total, sys_len, ref_len, smooth_method, smooth_value,
                                          effective_order, max_ngram_order)
    smooth = smooth_method if _BLEU_SMOOTH_DEFAULTS[smooth_method] is None else f"{smooth_method}[{smooth_value:.2f}]"
    nrefs = n_refs.pop() if len(n_refs) == 1 else "var"
    signature = (f"nrefs:{nrefs}|case:{'lc' if lowercase else 'mixed'}|eff:{'yes' if effective_order else 'no'}"
                 f"|tok:{tokenize}|smooth:{smooth}|version:{SACREBLEU_VERSION}")
    return BLEUScore(score, tuple(precisions), bp, sys_len, ref_len, tuple(correct), tuple(total), signature)


def bleu_tokenized(hyp_tokens, ref_tokens, max_n: int = 4, lowercase: bool = True) -> float:
    """The tutorials' BLEU-4 (0-100) on token lists, as torchtext's ``bleu_score`` computes it (used by
    bentrevett/pytorch-seq2seq): uniform weights, no smoothing (0 when some order has no match), clipped
    counts against the union (max) of the references, brevity penalty with the closest reference length
    of each sentence (ties: the first listed). ``hyp_tokens``: N token lists; ``ref_tokens``: N token
    lists (one reference each) or N lists of token lists (several). Tokens are lower-cased first
    (``lowercase``), the convention of those tutorials. torchtext sums in float32; this is float64.
    """
    if not (isinstance(max_n, int) and max_n >= 1):
        raise ValueError(f"max_n must be a positive int, got {max_n!r}")
    if len(hyp_tokens) != len(ref_tokens):
        raise ValueError(f"hyp_tokens has {len(hyp_tokens)} sentences but ref_tokens has {len(ref_tokens)}: "
                         "give one reference (or a list of references) per hypothesis")
    if not len(hyp_tokens):
        raise ValueError("hyp_tokens is empty: BLEU needs at least one sentence")
    case = (lambda tokens: [t.lower() for t in tokens]) if lowercase else list
    clipped, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for i, (hyp, refs) in enumerate(zip(hyp_tokens, ref_tokens)):
        if isinstance(hyp, str) or isinstance(refs, str):
            raise TypeError(f"sentence {i}: hypotheses and references must be token lists, not str")
        refs = [refs] if not len(refs) or isinstance(refs[0], str) else list(refs)
        hyp, refs = case(hyp), [case(r) for r in refs]
        hyp_len += len(hyp)
        ref_len += min((len(r) for r in refs), key=lambda n: abs(len(hyp) - n))
        ref_counts = Counter()
        for ref in refs:
            ref_counts |= _ngram_counts(ref, max_n)
        for gram, count in _ngram_counts(hyp, max_n).items():
            clipped[len(gram) - 1] += min(count, ref_counts.get(gram, 0))
        for n in range(max_n):
            totals[n] += max(len(hyp) - n, 0)
    if min(clipped) == 0:
        return 0.0
    log_precision = sum(math.log(c / t) for c, t in zip(clipped, totals)) / max_n
    bp = math.exp(min(1 - ref_len / hyp_len, 0))
    return 100.0 * bp * math.exp(log_precision)


__all__ += ["BLEUScore", "SACREBLEU_VERSION", "bleu", "bleu_tokenized", "tokenize_13a"]
