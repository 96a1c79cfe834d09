"""word2vec models (chapter 3 and 4) and the training recipe around them."""
from __future__ import annotations

import math

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.gradcheck import assert_gradients
from zeronlp.models.word2vec import (CBOW, SimpleCBOW, SimpleSkipGram, SkipGram, convert_one_hot,
                                     create_contexts_target)
from zeronlp.optim import Adam
from zeronlp.text.corpus import preprocess
from zeronlp.text.word2vec_train import (Word2VecConfig, Word2VecRate, Word2VecWindows, corpus_counts,
                                         epoch_examples, example_count, keep_probability, make_config,
                                         train_word2vec)
from zeronlp.training import ArrayBatches, DivergenceError, Trainer

TOY = "You say goodbye and I say hello."


def _book_contexts_target(corpus, w):  # the book's loop, as the reference
    target = corpus[w:-w]
    contexts = [[corpus[i + t] for t in range(-w, w + 1) if t != 0] for i in range(w, len(corpus) - w)]
    return np.array(contexts), np.array(target)


@pytest.mark.parametrize("w", [1, 2])
def test_create_contexts_target_matches_the_book(w):
    corpus, _, _ = preprocess(TOY)
    contexts, target = create_contexts_target(corpus, w)
    ref_c, ref_t = _book_contexts_target(corpus, w)
    np.testing.assert_array_equal(contexts, ref_c)
    np.testing.assert_array_equal(target, ref_t)


def test_create_contexts_target_rejects_bad_windows():
    corpus, _, _ = preprocess(TOY)
    with pytest.raises(ValueError, match="window_size"):
        create_contexts_target(corpus, 0)
    with pytest.raises(ValueError, match="too short"):
        create_contexts_target(corpus, 4)


def test_convert_one_hot():
    one_hot = convert_one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert one_hot.shape == (2, 2, 3)
    np.testing.assert_array_equal(one_hot.argmax(-1), [[0, 2], [1, 1]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        convert_one_hot(np.array([3]), 3)


def test_simple_cbow_learns_the_toy_sentence():
    corpus, word_to_id, _ = preprocess(TOY)
    V = len(word_to_id)
    contexts, target = create_contexts_target(corpus, 1)
    x, t = convert_one_hot(contexts, V), convert_one_hot(target, V)
    model = SimpleCBOW(V, 5)
    history = Trainer(model, Adam(), ArrayBatches(x, t, batch_size=3), epochs=1000, verbose=False).fit()
    assert history["epoch_loss"][-1] < 0.5 * math.log(V)  # ln 7 = 1.95 is the uniform guess
    assert model.word_vecs.shape == (V, 5)
    assert len(model.params) == 2  # the two input MatMuls share W_in: counted once, grads summed


@pytest.mark.parametrize("cls", [SimpleCBOW, SimpleSkipGram])
def test_simple_models_gradients(cls):
    corpus, word_to_id, _ = preprocess(TOY)
    V = len(word_to_id)
    contexts, target = create_contexts_target(corpus, 1)
    x, t = convert_one_hot(contexts, V), convert_one_hot(target, V)
    model = cls(V, 4)
    assert_gradients(model, [x.astype(np.float64), t.astype(np.float64)] if cls is SimpleSkipGram
                     else [x, t], check_params=True)


def _reseed():
    backend.seed(5)


@pytest.mark.parametrize("cls", [CBOW, SkipGram])
@pytest.mark.parametrize("hs", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_cbow_and_skipgram_gradients(cls, hs, sparse):
    counts = [5, 1, 1, 2, 8, 3, 1]
    model = cls(7, 4, window_size=2, counts=counts, sample_size=3, hs=hs, sparse=sparse)
    contexts = np.array([[1, 3, -1, 6], [-1, -1, 2, 2], [0, 1, 5, 4]])
    assert_gradients(model, [contexts, np.array([2, 5, 2])], before_forward=_reseed)


def test_cbow_context_sum_is_the_mean_times_the_count():
    kw = dict(vocab_size=7, hidden_size=4, counts=[1] * 7)
    backend.seed(0)
    mean = CBOW(context="mean", **kw)
    backend.seed(0)
    total = CBOW(context="sum", **kw)
    contexts = np.array([[1, 3, -1], [2, -1, -1]])
    np.testing.assert_allclose(total.in_layer.forward(contexts),
                               mean.in_layer.forward(contexts) * np.array([[2.0], [1.0]]), rtol=1e-6)


def test_skipgram_loss_equals_the_books_sum_over_positions():
    model = SkipGram(7, 4, window_size=1, counts=[1] * 7, sample_size=2)
    contexts, target = np.array([[1, 3], [2, 6]]), np.array([0, 5])
    backend.seed(1)
    loss = model.forward(contexts, target)
    backend.seed(1)  # the same negatives: the pairs are scored in the same order
    h = model.params[0][[0, 0, 5, 5]]
    ref = model.loss_layer.forward(h, np.array([1, 3, 2, 6])) * 4 / 2
    assert loss == pytest.approx(ref, rel=1e-4)  # float32


def test_cbow_saves_and_loads_with_vocabulary(tmp_path):
    model = CBOW(7, 4, counts=np.array([5, 1, 1, 2, 8, 3, 1]), hs=True)
    assert model.params[0] is model.in_layer.params[0]  # the book's order: W_in, then W_out
    assert model.word_vecs.shape == (7, 4) and model.params[1].shape == (6, 4)
    path = tmp_path / "cbow.npz"
    model.save(path, vocab=list("abcdefg"))
    loaded, info = zeronlp.load(path, with_info=True)
    np.testing.assert_array_equal(loaded.word_vecs, model.word_vecs)
    assert info["vocab"] == list("abcdefg")
    assert loaded.vectors(info["vocab"]).most_similar("a", topn=2)[0][0] in "bcdefg"


def test_keep_probability_formula():
    counts = np.array([1000, 10, 0])
    keep = keep_probability(counts, 1e-2)
    f = 1000 / 1010
    assert keep[0] == pytest.approx((math.sqrt(f / 1e-2) + 1) * 1e-2 / f)
    assert keep[1] == 1.0 and keep[2] == 1.0
    np.testing.assert_array_equal(keep_probability(counts, 0), 1.0)


def test_epoch_examples_dynamic_and_fixed_windows():
    corpus = np.arange(50) % 9
    contexts, target = epoch_examples(corpus, 3, dynamic=True)
    np.testing.assert_array_equal(target, corpus)
    assert contexts.shape == (50, 6)
    assert np.all(contexts[0, :3] == -1)  # nothing before the first word
    left, right = contexts[:, :3], contexts[:, 3:]
    # a shrunk window is symmetric and contiguous around the centre
    np.testing.assert_array_equal((left[5:-5] >= 0).sum(1), (right[5:-5] >= 0).sum(1))
    assert np.all(np.diff((right >= 0).astype(int), axis=1) <= 0)
    assert set((right[5:-5] >= 0).sum(1)) == {1, 2, 3}
    fixed_c, fixed_t = epoch_examples(corpus, 2, dynamic=False)
    ref_c, ref_t = create_contexts_target(corpus, 2)
    np.testing.assert_array_equal(fixed_c, ref_c)
    np.testing.assert_array_equal(fixed_t, ref_t)


@pytest.mark.parametrize("preset", ["fast", "book"])
def test_windows_are_built_piece_by_piece_and_rebuilt_exactly(preset):
    corpus = np.random.default_rng(0).zipf(1.5, size=2_500) % 40
    counts = corpus_counts(corpus, 40)
    np.testing.assert_array_equal(counts, np.bincount(corpus, minlength=40))
    config = make_config(preset, window_size=3, batch_size=64, subsample=1e-2 if preset == "fast" else 0.0)
    keep = keep_probability(counts, config.subsample) if config.subsample else None
    zeronlp.seed(3)
    source = Word2VecWindows(corpus, config, keep, counts, chunk=700)
    source.start_epoch(0)
    assert len(source.pieces) == 4
    batches = [source.batch(i) for i in range(len(source))]
    # each piece is epoch_examples of its words with its own generator: nothing crosses a piece
    pieces = [epoch_examples(corpus[s:e], 3, keep, config.dynamic_window, source._rng(k))
              for k, (s, e) in enumerate(source.pieces)]
    assert sum(len(b[1]) for b in batches) == source.examples == sum(len(t) for _, t in pieces)
    for k, (s, e) in enumerate(source.pieces):
        assert example_count(corpus[s:e], 3, keep, config.dynamic_window, source._rng(k)) == len(pieces[k][1])
    got = np.sort(np.concatenate([b[1] for b in batches]))
    np.testing.assert_array_equal(got, np.sort(np.concatenate([t for _, t in pieces])))
    if preset == "fast":  # corpus order: the batches are the pieces cut in batch_size rows
        np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]),
                                      np.concatenate([c for c, _ in pieces]))
    # any batch, asked again in any order (a resumed run, another worker), is the same
    for i in [len(source) - 1, 0, 5, 2]:
        for a, b in zip(source.batch(i), batches[i]):
            np.testing.assert_array_equal(a, b)
    assert source.examples_before(0) == 0 and source.examples_before(len(source)) == source.examples
    assert [source.examples_before(i + 1) - source.examples_before(i) for i in range(len(source))] == \
        [len(b[1]) for b in batches]


def test_rate_reaches_the_end_of_the_corpus_over_pieces():
    corpus = np.arange(3_000) % 50
    config = make_config("fast", window_size=2, batch_size=100, epochs=2, subsample=0.0)
    zeronlp.seed(0)
    source = Word2VecWindows(corpus, config, None, None, chunk=1_000)
    source.start_epoch(0)
    rate = Word2VecRate(config, len(corpus))

    class Position:  # the two attributes Word2VecRate reads from a trainer
        epoch, workers, source = 1, 1, None
    trainer = Position()
    trainer.source = source
    for position, words in [(0, 3_000), (len(source), 6_000), (15, 4_500)]:
        trainer.position = position
        assert rate.words_done(trainer) == pytest.approx(words)


def test_a_memory_mapped_corpus_trains_as_the_same_corpus_in_memory(tmp_path):
    corpus, _, id_to_word = preprocess(" ".join([TOY] * 40))
    path = tmp_path / "ids.int32"
    corpus.astype("<i4").tofile(path)
    mapped = np.memmap(path, dtype="<i4", mode="r")
    config = make_config("fast", window_size=2, hidden_size=8, epochs=2, batch_size=32)
    results = []
    for ids in (corpus, mapped):
        zeronlp.seed(5)
        _, vectors, _ = train_word2vec(ids, id_to_word, config, verbose=False)
        results.append(vectors.vectors)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
@pytest.mark.parametrize("preset", ["fast", "book"])
def test_train_word2vec_runs_and_lowers_the_loss(model, preset):
    corpus, _, id_to_word = preprocess(" ".join([TOY] * 30))
    zeronlp.seed(0)
    config = make_config(preset, model=model, window_size=1, hidden_size=8, epochs=8, batch_size=16,
                         subsample=0.0, lr=0.05 if preset == "fast" else 0.01)
    trained, vectors, history = train_word2vec(corpus, id_to_word, config, verbose=False)
    assert history["epoch_loss"][-1] < history["epoch_loss"][0]
    assert history["words_per_second"] > 0
    assert vectors.vectors.shape == (7, 8)
    np.testing.assert_array_equal(vectors.vectors, trained.word_vecs)


def test_training_errors_are_clear():
    with pytest.raises(ValueError, match="empty corpus"):
        train_word2vec(np.array([], dtype=np.int32), [], verbose=False)
    corpus, _, id_to_word = preprocess(TOY)
    with pytest.raises(ValueError, match="fewer than one window"):
        train_word2vec(corpus, id_to_word, Word2VecConfig(window_size=5), verbose=False)
    with pytest.raises(ValueError, match="window_size"):
        make_config(window_size=0)
    with pytest.raises(ValueError, match="preset"):
        make_config("gensim")
    with pytest.raises(ValueError, match="vocabulary"):
        train_word2vec(corpus, ["a", "b"], Word2VecConfig(window_size=1), verbose=False)


def test_unknown_query_word_is_named():
    corpus, _, id_to_word = preprocess(" ".join([TOY] * 5))
    _, vectors, _ = train_word2vec(corpus, id_to_word, make_config(window_size=1, hidden_size=4, epochs=1),
                                   verbose=False)
    with pytest.raises(KeyError, match="zebra"):
        vectors.most_similar("zebra")


def test_book_style_construction_from_the_corpus(tmp_path):
    corpus = np.array([0, 1, 2, 1, 3, 1, 4])
    model = SkipGram(5, 3, 1, corpus=corpus)
    np.testing.assert_array_equal(model.config["counts"], [1, 3, 1, 1, 1])
    assert model.config["corpus"] is None  # the corpus itself is not stored in the model file
    model.save(tmp_path / "sg.npz")
    np.testing.assert_array_equal(zeronlp.load(tmp_path / "sg.npz").word_vecs, model.word_vecs)
    with pytest.raises(ValueError, match="not both"):
        CBOW(5, 3, 1, counts=[1] * 5, corpus=corpus)


def test_fast_preset_uses_small_batches_with_hierarchical_softmax():
    assert make_config(hs=True).batch_size == 128
    assert make_config(hs=True, batch_size=64).batch_size == 64
    assert make_config().batch_size == 1024
    assert make_config("book", hs=True).batch_size == 100


def test_training_is_reproducible_with_a_seed():
    corpus, _, id_to_word = preprocess(" ".join([TOY] * 10))
    config = make_config(window_size=2, hidden_size=4, epochs=2, batch_size=8, subsample=0.2)
    runs = []
    for _ in range(2):
        zeronlp.seed(42)
        runs.append(train_word2vec(corpus, id_to_word, config, verbose=False)[1].vectors)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_two_worker_processes_train_shared_parameters():
    corpus, _, id_to_word = preprocess(" ".join([TOY] * 30))
    zeronlp.seed(0)
    config = make_config(window_size=1, hidden_size=8, epochs=4, batch_size=16, subsample=0.0, lr=0.05, workers=2)
    model, vectors, history = train_word2vec(corpus, id_to_word, config, verbose=False)
    assert history["epoch_loss"][-1] < 0.6 * history["epoch_loss"][0]  # the child's updates reach the parent
    assert history["words"] == pytest.approx(4 * len(corpus))
    with pytest.raises(ValueError, match="workers > 1"):
        train_word2vec(corpus, id_to_word, make_config("book", window_size=1, workers=2), verbose=False)


def test_a_failing_worker_is_reported():
    from zeronlp.training.hogwild import run_forked as _forked

    class _Stub:
        progress = verbose = None

    def run(k):
        if k == 1:
            raise DivergenceError("loss became nan in worker 1")
        return (1.0, 2, 3.0)

    with pytest.raises(DivergenceError, match="worker 1"):
        _forked(2, run, _Stub())
    assert _forked(3, lambda k: (float(k), 1, 1.0), _Stub()) == [(0.0, 1, 1.0), (1.0, 1, 1.0), (2.0, 1, 1.0)]


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_training_without_numba_gives_the_compiled_result(model, monkeypatch):
    """The default install has no Numba: word2vec then runs the NumPy path, to the same vectors."""
    pytest.importorskip("numba")
    from zeronlp import kernels

    corpus, _, id_to_word = preprocess(" ".join([TOY] * 40))
    config = make_config("fast", model=model, window_size=2, hidden_size=8, epochs=2, batch_size=32)
    results = []
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "_KERNELS", None if compiled else False)
        zeronlp.seed(4)
        _, vectors, _ = train_word2vec(corpus, id_to_word, config, verbose=False)
        results.append(vectors.vectors)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-5)


def test_fast_preset_keeps_skipgrams_words_in_flight_with_workers():
    """Hogwild skip-gram: each of N workers steps on 1024 / N centre words (2 x 1024 diverged on PTB)."""
    assert make_config("fast", model="skipgram", workers=2).batch_size == 512
    assert make_config("fast", model="skipgram", workers=2, batch_size=1024).batch_size == 1024  # asked for
    assert make_config("fast", model="skipgram").batch_size == 1024
    assert make_config("fast", model="cbow", workers=2).batch_size == 1024
