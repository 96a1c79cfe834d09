"""Translation: vocabularies, the masked LSTM, the three models' gradients and padding invariance, decoding,
BLEU on a tiny model's output, files and bad input."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import translate as tr
from zeronlp.gradcheck import assert_gradients
from zeronlp.layers.masked_lstm import MaskedTimeLSTM
from zeronlp.models.translation import TranslationAttention, TranslationLSTM
from zeronlp.models.translation_transformer import TranslationTransformer
from tests.data.fakedata import shared_data  # noqa: F401
from tests.gradcase import GradCase, run_grad_case

MASK = np.array([[True, True, True], [True, False, False]])


def _lstm(r, D=4, H=5):
    return MaskedTimeLSTM(r.standard_normal((D, 4 * H)) * 0.5, r.standard_normal((H, 4 * H)) * 0.5,
                          r.standard_normal(4 * H) * 0.5)


GRAD_CASES = [
    GradCase(MaskedTimeLSTM, lambda r: (_lstm(r), [r.standard_normal((2, 3, 4)), MASK]), label="mask"),
    GradCase(MaskedTimeLSTM, lambda r: (_lstm(r), [r.standard_normal((2, 3, 4))]), label="nomask"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_masked_lstm_gradients(case):
    assert max(run_grad_case(case).values()) < 1e-6


def test_masked_lstm_holds_the_state_and_takes_final_state_gradients():
    r = np.random.default_rng(0)
    layer = _lstm(r)
    layer.params = [p.astype(np.float64) for p in layer.params]
    layer.grads = [p * 0 for p in layer.params]
    xs = r.standard_normal((2, 3, 4))
    layer.forward(xs, MASK)
    h, c = layer.h.copy(), layer.c.copy()
    layer.forward(xs[1:, :1], None)  # the short row alone, unpadded
    np.testing.assert_allclose(h[1], layer.h[0], rtol=1e-12)
    np.testing.assert_allclose(c[1], layer.c[0], rtol=1e-12)
    wh, wc = r.standard_normal(h.shape), r.standard_normal(c.shape)

    def objective():
        layer.forward(xs, MASK)
        return float((layer.h * wh).sum() + (layer.c * wc).sum())

    objective()
    dxs = layer.backward(np.zeros((2, 3, 5)), wh, wc)
    eps, numeric = 1e-6, np.zeros_like(xs)
    for idx in np.ndindex(*xs.shape):
        keep = xs[idx]
        xs[idx] = keep + eps
        plus = objective()
        xs[idx] = keep - eps
        minus = objective()
        xs[idx] = keep
        numeric[idx] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(dxs, numeric, rtol=1e-6, atol=1e-8)
    assert not dxs[1, 1:].any()  # padding gets no gradient


def test_masked_lstm_matches_torch_packed_sequence():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(2)
    D, H = 4, 5
    layer = _lstm(r, D, H)
    layer.params = [p.astype(np.float64) for p in layer.params]
    layer.grads = [p * 0 for p in layer.params]
    Wx, Wh, b = layer.params
    ref = torch.nn.LSTM(D, H, batch_first=True).double()
    order = lambda W: np.concatenate([W[..., 2 * H:3 * H], W[..., :H], W[..., H:2 * H], W[..., 3 * H:]], -1)  # fgio->ifgo
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(order(Wx).T.copy()))
        ref.weight_hh_l0.copy_(torch.from_numpy(order(Wh).T.copy()))
        ref.bias_ih_l0.copy_(torch.from_numpy(order(b)))
        ref.bias_hh_l0.zero_()
    xs = r.standard_normal((2, 3, D))
    hs = layer.forward(xs, MASK)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(xs), torch.tensor([3, 1]), batch_first=True)
    out, (h, c) = ref(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.h, h[0].detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.c, c[0].detach().numpy(), rtol=1e-10)


# ---------------------------------------------------------------------------------------- models
XS = np.array([[2, 5, 6, 3, 0], [2, 4, 3, 0, 0]], np.int32)
TS = np.array([[2, 5, 4, 6, 3], [2, 7, 3, 0, 0]], np.int32)
MODELS = {
    "lstm": lambda tf=1.0, drop=0.0: TranslationLSTM(8, 9, 4, 5, 2, drop, tf, init_scale=0.5),
    "additive": lambda tf=1.0, drop=0.0: TranslationAttention(8, 9, 4, 6, drop, tf, init_std=0.5),
    "dot": lambda tf=1.0, drop=0.0: TranslationAttention(8, 9, 4, 6, drop, tf, "dot", init_std=0.5),
    "transformer": lambda tf=1.0, drop=0.0: TranslationTransformer(8, 9, 8, 2, 1, 16, drop, 12, label_smoothing=0.1),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("forcing", [1.0, 0.0])
def test_model_gradients(name, forcing):
    zeronlp.seed(0)
    model = MODELS[name](forcing, 0.0)
    errors = assert_gradients(model, [XS, TS], tol=1e-5, before_forward=lambda: zeronlp.seed(3))
    assert max(errors.values()) < 1e-5


@pytest.mark.parametrize("name", MODELS)
def test_extra_padding_changes_neither_loss_nor_translation(name):
    zeronlp.seed(0)
    model = MODELS[name](0.5, 0.3).eval()
    pad = lambda a, k: np.concatenate([a, np.zeros((len(a), k), a.dtype)], axis=1)  # noqa: E731
    loss = model.forward(XS, TS)
    np.testing.assert_allclose(model.forward(pad(XS, 3), pad(TS, 2)), loss, rtol=1e-6)
    for beam in (1, 3):
        ids, _ = tr.beam_search(model, XS, 6, beam)
        more, _ = tr.beam_search(model, pad(XS, 3), 6, beam)
        np.testing.assert_array_equal(ids, more)
    alone, _ = tr.greedy(model, XS[1:, :3], 6)  # the short sentence without any padding
    np.testing.assert_array_equal(tr.greedy(model, XS, 6)[0][1, :alone.shape[1]], alone[0])


@pytest.mark.parametrize("name", ["lstm", "additive"])
def test_teacher_forcing_one_equals_gold_inputs_and_zero_runs_free(name):
    zeronlp.seed(0)
    model = MODELS[name](1.0, 0.0)
    loss_gold = model.forward(XS, TS)
    model.teacher_forcing = 0.0
    loss_free = model.forward(XS, TS)
    assert loss_free != loss_gold
    model.eval()
    assert model.forward(XS, TS) == pytest.approx(loss_gold, rel=1e-6)  # eval: teacher-forced


@pytest.mark.parametrize("name", ["lstm", "additive"])
def test_free_running_draws_nothing_from_the_random_stream(name):
    """Measuring free-running perplexity between epochs must not change the training that follows."""
    zeronlp.seed(0)
    model = MODELS[name](1.0, 0.0)
    model.eval()
    model.eval_teacher_forcing = 0.0
    before = zeronlp.backend.rng().bit_generator.state
    model.forward(XS, TS)
    assert zeronlp.backend.rng().bit_generator.state == before


def test_beam_search_finishes_at_eos_and_normalises_length():
    class Toy:
        """Scores favour <eos> first with p 0.4, else 'a a <eos>' each at p 0.9."""
        xp = np

        def walk(self):
            return iter(())

        def start_decoding(self, xs):
            return {"t": np.zeros(len(xs))}

        def decode_step(self, ids, state):
            t = state["t"]
            p = np.full((len(ids), 6), 1e-3)
            p[:, 3] = np.where(t == 0, 0.4, np.where(t >= 2, 0.9, 0.05))
            p[:, 4] = np.where(t == 0, 0.35, np.where(t >= 2, 0.05, 0.9))
            return np.log(p), {"t": t + 1}

    xs = np.array([[2, 4, 3]], np.int32)
    greedy, _ = tr.greedy(Toy(), xs, 10)
    assert greedy.tolist() == [[3]]
    best, _ = tr.beam_search(Toy(), xs, 10, beam=3, alpha=1.0)
    assert best[0].tolist()[:4] in ([4, 4, 3], [4, 4, 3, 0])  # (log .35 + log .9 + log .9) / 3 beats log .4
    raw, _ = tr.beam_search(Toy(), xs, 10, beam=3, alpha=0.0)
    assert raw[0].tolist()[:1] == [3]
    with pytest.raises(ValueError, match="beam must be a positive integer"):
        tr.beam_search(Toy(), xs, 10, beam=0)


# ---------------------------------------------------------------------------------------- data and text
SRC = ["Zwei Hunde spielen im Schnee.", "Ein Mann fährt Fahrrad.", "Zwei Männer spielen Fußball.",
       "Ein Hund läuft im Schnee.", "Ein Mann spielt Fußball im Park."]
TGT = ["Two dogs play in the snow.", "A man rides a bike.", "Two men play soccer.", "A dog runs in the snow.",
       "A man plays soccer in the park."]


def test_transformer_embedding_init():
    """``xavier`` (the reference's) draws token and position tables within sqrt(6 / (rows + D)); ``normal``
    keeps chapter 9's N(0, 1/D) tokens and N(0, 0.02^2) positions."""
    zeronlp.seed(0)
    xavier = TranslationTransformer(300, 200, 64, 4, 1, 32, max_len=50, embedding_init="xavier")
    for table, rows in ((xavier.src_embed.params[0], 300), (xavier.tgt_embed.params[0], 200),
                        (xavier.src_pos.params[0], 50), (xavier.tgt_pos.params[0], 50)):
        bound = np.sqrt(6 / (rows + 64))
        assert np.abs(table).max() <= bound and table.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    normal = TranslationTransformer(300, 200, 64, 4, 1, 32, max_len=50, embedding_init="normal")
    assert normal.src_embed.params[0].std() == pytest.approx(64 ** -0.5, rel=0.05)
    assert normal.src_pos.params[0].std() == pytest.approx(0.02, rel=0.05)
    with pytest.raises(ValueError, match="embedding_init"):
        TranslationTransformer(3, 3, 8, 2, 1, 8, embedding_init="zeros")


def test_vocabulary_specials_counts_and_decoding():
    vocab = tr.Vocabulary.build([["b", "a", "a"], ["c", "a", "b"]], min_freq=2)
    assert vocab.tokens == ["<pad>", "<unk>", "<sos>", "<eos>", "a", "b"]
    assert vocab.encode(["a", "z"]) == [4, tr.UNK]
    assert vocab.decode([2, 4, 5, 3, 4]) == ["a", "b"]
    with pytest.raises(ValueError, match="starts with <pad>"):
        tr.Vocabulary(["a", "b"])


def test_long_pairs_are_reported_not_silently_dropped():
    src, tgt = tr.build_sides(SRC, TGT, "de", "en", min_freq=1)
    pairs = tr.encode_pairs(src, tgt, SRC, TGT, max_tokens=6, drop=True)  # "two dogs play in the snow ." has 7
    assert pairs.dropped == [0, 3, 4] and len(pairs) == 2 and pairs.src_texts == SRC[1:3]
    cut = tr.encode_pairs(src, tgt, SRC, TGT, max_tokens=6, drop=False)
    assert cut.cut == [0, 3, 4] and len(cut) == 5 and max(len(t) for t in cut.tgt) == 8


@pytest.mark.parametrize("text, message", [("", "empty"), ("   ", "empty"), ("Дети играют.", "not in the Latin script"),
                                           ("Quixotisch Blubberwerk", "none of its words")])
def test_bad_sources(text, message):
    src, _ = tr.build_sides(SRC, TGT, "de", "en", min_freq=1)
    with pytest.raises(ValueError, match=message):
        tr.check_source(src, text)


def test_bpe_sides_decode_back():
    src, tgt = tr.build_sides(SRC, TGT, "de", "en", tokenizer="bpe", merges=30, min_freq=1, lower=False)
    assert tgt.text(tgt.tokens(TGT[0])) == TGT[0]
    assert src.vocab.tokens[:4] == list(tr.SPECIALS)
    # lower-cased subwords read as a sentence, as lower-cased words do (sacreBLEU is case-sensitive)
    _, lower = tr.build_sides(SRC, TGT, "de", "en", tokenizer="bpe", merges=30, min_freq=1, lower=True)
    _, words = tr.build_sides(SRC, TGT, "de", "en", min_freq=1, lower=True)
    for sentence in TGT:
        assert lower.text(lower.tokens(sentence)) == sentence.lower()[:1].upper() + sentence.lower()[1:]
        assert lower.text(lower.tokens(sentence))[:1] == words.text(words.tokens(sentence))[:1]


def _tiny_translator(name="transformer", steps=60):
    """A tiny model trained for a few steps on the five pairs above (to have real, imperfect outputs)."""
    zeronlp.seed(0)
    config = tr.make_config(name if name != "dot" else "attention", min_freq=1, layers=1, hidden=16, wordvec=8,
                            d_model=16, heads=2, d_ff=32, dropout=0.0, epochs=1, warmup=0)
    sides = tr.build_sides(SRC, TGT, "de", "en", min_freq=1)
    model = tr.build_model(config, len(sides[0].vocab), len(sides[1].vocab))
    pairs = tr.encode_pairs(*sides, SRC, TGT, 100, drop=True)
    source = tr.batches(pairs, 5, shuffle=False)
    opt = zeronlp.optim.Adam(0.01)
    for _ in range(steps):
        model.forward(*source.batch(0))
        model.backward()
        opt.update(model.params, model.grads)
    return tr.Translator(model, *sides, config)


def test_bleu_of_a_tiny_model_equals_sacrebleu(tmp_path):
    sacrebleu = pytest.importorskip("sacrebleu")
    translator = _tiny_translator(steps=12)
    result = translator.evaluate(SRC, TGT, beam=2)
    expected = sacrebleu.corpus_bleu(result["hypotheses"], [TGT])
    assert result["bleu"] == pytest.approx(expected.score, abs=1e-6)
    assert result["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp")
    assert 0 < result["bleu"] < 100 and 1 < result["perplexity"] < 9  # real, imperfect output
    path = tmp_path / "m.npz"
    tr.save(translator.model, path, (translator.src_side, translator.tgt_side), translator.config)
    again = tr.load(path)
    assert again.translate(SRC[:2], beam=2) == translator.translate(SRC[:2], beam=2)
    with pytest.raises(ValueError, match="2 source sentences but 1 references"):
        translator.evaluate(SRC[:2], TGT[:1])


def test_perplexity_averages_tokens_or_batches():
    translator = _tiny_translator("attention", steps=12)
    model = translator.model.eval()
    pairs = tr.encode_pairs(translator.src_side, translator.tgt_side, SRC, TGT, 100, drop=True)
    order = np.argsort([len(s) for s in pairs.src], kind="stable")
    losses, counts = [], []
    for lo in (0, 2, 4):  # batches of two, sorted by source length, as perplexity() cuts them
        sub = tr.PairSet([pairs.src[i] for i in order[lo:lo + 2]], [pairs.tgt[i] for i in order[lo:lo + 2]], [], [])
        xs, ts = tr.batches(sub, 2, shuffle=False).batch(0)
        losses.append(float(model.forward(xs, ts)))
        counts.append(int((ts[:, 1:] != 0).sum()))
    by_token = np.exp(np.dot(losses, counts) / sum(counts))
    assert tr.perplexity(model, pairs, batch_size=2) == pytest.approx(by_token, rel=1e-6)
    assert tr.perplexity(model, pairs, batch_size=2, average="batches") == pytest.approx(np.exp(np.mean(losses)),
                                                                                         rel=1e-6)
    assert tr.perplexity(model, pairs, batch_size=5) == pytest.approx(by_token, rel=1e-6)  # one batch: same
    with pytest.raises(ValueError, match="average must be"):
        tr.perplexity(model, pairs, average="sentences")


@pytest.mark.parametrize("name", ["additive", "transformer"])
def test_attention_map_and_unk_copy(name):
    translator = _tiny_translator("attention" if name == "additive" else name, steps=40)
    src, out, weights = translator.attention(SRC[0])
    assert src[0] == "<sos>" and src[-1] == "<eos>" and out[-1] == "<eos>"
    assert weights.shape[-2:] == (len(out), len(src))
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    att = np.zeros((3, 4))
    att[0, 2] = 1.0
    assert translator._tokens(np.array([tr.UNK, 3]), att, ["x", "y"]) == ["y"]  # position 2 = second token


def test_attention_map_of_a_decoding_cut_at_the_length_limit():
    """No <eos> label is added when decoding stopped at the limit: one output label per row of weights."""
    translator = _tiny_translator("transformer", steps=0)
    translator.config.max_tokens = 2  # at most 3 decoding steps
    src, out, weights = translator.attention(SRC[0])
    assert len(out) == 3 and "<eos>" not in out  # the untrained model never chose <eos>
    assert weights.shape[-2:] == (len(out), len(src))


def test_lstm_model_has_no_attention_map():
    translator = _tiny_translator("lstm", steps=2)
    with pytest.raises(ValueError, match="has no attention"):
        translator.attention(SRC[0])


def test_example_quick(shared_data, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "ch11_translate.py"
    spec = importlib.util.spec_from_file_location("ch11_translate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick"])
    assert 1 < result["perplexity"] and 0 <= result["bleu"] <= 100
    out = capsys.readouterr().out
    assert "Zwei Hunde spielen im Schnee. ->" in out and "vocabularies" in out
