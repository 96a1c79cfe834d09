"""Sampling options, generation with and without recurrent state, greedy and beam-search decoding."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.functions import log_softmax, softmax
from zeronlp.generate import beam_search, generate, greedy_decode, sample

V = 6


class BigramLM:
    """Scores of the next token from the last one; counts how many tokens it has read."""

    def __init__(self, recurrent: bool, seed: int = 0):
        self.table = np.random.default_rng(seed).standard_normal((V, V)) * 3
        self.read = 0
        self.config = {"vocab_size": V}
        if recurrent:
            self.reset_state = self._reset
            self.resets = 0

    def _reset(self):
        self.resets += 1

    def predict(self, xs):
        self.read += xs.size
        return self.table[xs]                                  # (N, T, V)


def test_sample_greedy_skip_and_top_k():
    scores = np.array([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(sample(scores, greedy=True), [1, 0])
    np.testing.assert_array_equal(sample(scores, temperature=0), [1, 0])
    np.testing.assert_array_equal(sample(scores, greedy=True, skip_ids=[1, 0]), [3, 2])
    np.testing.assert_array_equal(sample(scores, top_k=1), [1, 0])
    assert sample(scores[0], greedy=True) == 1
    many = np.repeat(scores[:1], 3000, axis=0)
    drawn = sample(many, top_k=2)
    assert set(np.unique(drawn)) == {1, 3}
    assert abs((drawn == 1).mean() - 1 / (1 + np.exp(-1))) < 0.03
    assert 0 not in sample(many, skip_ids=[0])


def test_sample_frequencies_follow_temperature_and_top_p():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    many = np.repeat(logits[None], 20000, axis=0)
    for temperature in (1.0, 0.5, 2.0):
        counts = np.bincount(sample(many, temperature=temperature), minlength=4) / len(many)
        np.testing.assert_allclose(counts, softmax(logits / temperature), atol=0.015)
    counts = np.bincount(sample(many, top_p=0.7), minlength=4) / len(many)
    np.testing.assert_allclose(counts, [0.5 / 0.8, 0.3 / 0.8, 0, 0], atol=0.015)
    probs = np.repeat(np.array([[0.0, 0.25, 0.75]]), 8000, axis=0)
    counts = np.bincount(sample(probs, probabilities=True), minlength=3) / len(probs)
    np.testing.assert_allclose(counts, [0, 0.25, 0.75], atol=0.02)


def test_sample_is_reproducible_with_the_library_seed():
    scores = np.random.default_rng(0).standard_normal((50, 9))
    backend.seed(3)
    a = sample(scores, temperature=0.8, top_k=5)
    backend.seed(3)
    np.testing.assert_array_equal(a, sample(scores, temperature=0.8, top_k=5))


def test_sample_errors():
    with pytest.raises(ValueError, match="temperature"):
        sample(np.zeros(3), temperature=-1)
    with pytest.raises(ValueError, match="top_k"):
        sample(np.zeros(3), top_k=0)
    with pytest.raises(ValueError, match="top_p"):
        sample(np.zeros(3), top_p=1.5)
    with pytest.raises(ValueError, match="every id"):
        sample(np.zeros(3), skip_ids=[0, 1, 2])
    with pytest.raises(ValueError, match="skip_ids"):
        sample(np.zeros(3), skip_ids=[7])


def test_generate_reads_the_prefix_once_with_recurrent_state():
    rec, flat = BigramLM(recurrent=True), BigramLM(recurrent=False)
    out = generate(rec, [2, 4, 1], length=10, greedy=True)
    assert out.shape == (13,) and list(out[:3]) == [2, 4, 1]
    assert rec.read == 3 + 9 and rec.resets == 2          # prefix once, then one token per step
    np.testing.assert_array_equal(out, generate(flat, [2, 4, 1], length=10, greedy=True))
    assert flat.read > rec.read                            # the stateless model is re-run on the sequence
    for t in range(3, 13):
        assert out[t] == rec.table[out[t - 1]].argmax()


def test_generate_batch_skip_and_seed():
    lm = BigramLM(recurrent=True)
    backend.seed(5)
    a = generate(lm, np.array([[0], [1], [2]]), length=20, skip_ids=[3])
    backend.seed(5)
    b = generate(lm, np.array([[0], [1], [2]]), length=20, skip_ids=[3])
    assert a.shape == (3, 21) and not (a[:, 1:] == 3).any()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="start ids"):
        generate(lm, [V + 1], 3)
    with pytest.raises(TypeError, match="not a language model"):
        generate(object(), [1], 3)


class ToySeq2seq:
    """A decoder whose scores depend on the input row, the last token and the history (state h)."""

    xp = np

    def __init__(self, seed=0):
        r = np.random.default_rng(seed)
        self.table = r.standard_normal((V, V)) * 2
        self.bias = r.standard_normal((10, V))

    def start_decoding(self, xs):
        return {"row": xs[:, 0].copy(), "h": np.zeros((len(xs), V))}

    def decode_step(self, ids, state):
        scores = self.table[ids] + self.bias[state["row"]] + state["h"]
        return scores, {"row": state["row"], "h": 0.5 * state["h"] + 0.3 * self.table[:, ids].T}


def _exhaustive_best(model, x, start_id, length):
    seqs = np.array(list(itertools.product(range(V), repeat=length)))
    state = model.start_decoding(np.repeat(x[None], len(seqs), axis=0))
    ids, total = np.full(len(seqs), start_id), np.zeros(len(seqs))
    for t in range(length):
        scores, state = model.decode_step(ids, state)
        total += log_softmax(scores, axis=1)[np.arange(len(seqs)), seqs[:, t]]
        ids = seqs[:, t]
    return seqs[total.argmax()], total.max()


def test_beam_search_is_exact_with_a_wide_beam_and_greedy_with_one():
    model = ToySeq2seq()
    xs = np.array([[1], [4], [7], [9]])
    greedy = greedy_decode(model, xs, start_id=0, length=3)
    np.testing.assert_array_equal(beam_search(model, xs, 0, 3, beam_width=1), greedy)
    best, beams, logp = beam_search(model, xs, 0, 3, beam_width=V * V, return_all=True)
    assert beams.shape == (4, V * V, 3) and (np.diff(logp, axis=1) <= 1e-12).all()
    improved = 0
    for i, x in enumerate(xs):
        seq, score = _exhaustive_best(model, x, 0, 3)
        np.testing.assert_array_equal(best[i], seq)
        assert logp[i, 0] == pytest.approx(score)
        improved += not np.array_equal(greedy[i], seq)
    assert improved >= 1  # the toy is built so that greedy misses the best sequence somewhere
    with pytest.raises(ValueError, match="beam width"):
        beam_search(model, xs, 0, 3, beam_width=0)
    with pytest.raises(TypeError, match="not a seq2seq"):
        beam_search(BigramLM(True), xs, 0, 3)


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "better"])
def test_generate_with_every_language_model_matches_rerunning_the_prefix(kind):
    from zeronlp.models.rnnlm import build_lm

    lm = build_lm(kind, vocab_size=11, wordvec_size=6, hidden_size=6) if kind != "better" else \
        build_lm("better", vocab_size=11, wordvec_size=6, hidden_size=6, num_layers=2, dropout=0.5, tie=True)
    for p in lm.params:  # larger weights, so that the state matters
        p[...] = np.random.default_rng(0).standard_normal(p.shape)
    lm.train()
    out = generate(lm, [3, 1, 4], length=8, greedy=True)
    assert all(layer.training for layer in lm.walk())       # the mode is restored
    for t in range(3, len(out)):
        lm.reset_state()
        lm.eval()
        scores = lm.predict(out[None, :t])
        assert out[t] == scores[0, -1].argmax()
    backend.seed(1)
    a = generate(lm, [3], 20, temperature=0.7, top_k=4)
    backend.seed(1)
    np.testing.assert_array_equal(a, generate(lm, [3], 20, temperature=0.7, top_k=4))


def test_generate_words():
    from zeronlp.generate import generate_words
    from zeronlp.models.rnnlm import Rnnlm

    words = ["<eos>", "you", "say", "goodbye", "and", "i", "hello", "N", "<unk>", "$", "."]
    lm = Rnnlm(len(words), 5, 5)
    out = generate_words(lm, words, "you say", 30, skip_words=["N", "<unk>", "$", "absent"], temperature=2.0)
    assert out[:2] == ["you", "say"] and len(out) == 32 and not {"N", "<unk>", "$"} & set(out)
    assert generate_words(lm, dict(enumerate(words)), ["hello"], 3, greedy=True)[0] == "hello"
    with pytest.raises(ValueError, match="'zebra'"):
        generate_words(lm, words, "you zebra", 3)
    with pytest.raises(ValueError, match="has 5"):
        generate_words(Rnnlm(5, 2, 2), words, "you", 3)


# ------------------------------------------------------------------------ hardening (issue 15)
@pytest.mark.parametrize("length", [-1, 2.5, "3", True, None])
def test_nonsense_lengths_are_errors(length):
    lm, model, xs = BigramLM(recurrent=True), ToySeq2seq(), np.array([[1], [4]])
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        generate(lm, [1], length)
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        greedy_decode(model, xs, 0, length)
    with pytest.raises(ValueError, match="length must be a non-negative integer"):
        beam_search(model, xs, 0, length, beam_width=2)


def test_seq2seq_generate_with_a_negative_length_is_an_error():
    from zeronlp.models.seq2seq import Seq2seq

    with pytest.raises(ValueError, match="length must be a non-negative integer, got -1"):
        Seq2seq(7, 3, 4).generate(np.array([[1, 2]]), 0, -1)


def test_iter_generate_streams_the_same_tokens_and_resets_when_closed():
    from zeronlp.generate import iter_generate

    backend.seed(5)
    whole = generate(BigramLM(recurrent=True), np.array([2, 3]), 12)
    backend.seed(5)
    lm = BigramLM(recurrent=True)
    stream = iter_generate(lm, np.array([2, 3]), 12)
    assert lm.resets == 0 and lm.read == 0  # nothing runs before the first token is asked for
    first = list(itertools.islice(stream, 4))
    assert all(isinstance(t, int) for t in first) and first == whole[2:6].tolist()
    assert lm.read == 2 + 3  # prefix once, then one token a step
    stream.close()  # a consumer stopping early still leaves the model reset
    assert lm.resets == 2
    with pytest.raises(ValueError, match="length"):
        iter_generate(lm, [1], -5)  # checked at the call, before any token


def test_iter_generate_words_streams_a_huge_length_lazily():
    from zeronlp.generate import generate_words, iter_generate_words
    from zeronlp.models.rnnlm import Rnnlm

    words = ["<eos>", "you", "say", "goodbye", "and", "i", "hello"]
    lm = Rnnlm(len(words), 4, 4)
    stream = iter_generate_words(lm, words, "you say", 100_000_000)
    head = list(itertools.islice(stream, 7))  # returns at once: nothing of the 1e8 words is made in advance
    assert head[:2] == ["you", "say"] and len(head) == 7 and set(head) <= set(words)
    stream.close()
    backend.seed(3)
    listed = generate_words(lm, words, "i", 10, temperature=0.5)
    backend.seed(3)
    assert list(iter_generate_words(lm, words, "i", 10, temperature=0.5)) == listed
    assert list(iter_generate_words(lm, words, "i", 0, include_start=False)) == []
    with pytest.raises(ValueError, match="'zebra'"):
        iter_generate_words(lm, words, "zebra", 3)
