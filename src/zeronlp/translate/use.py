"""Using a trained translation model: files, translating text, BLEU, attention maps.

``save(model, path, data, config)`` writes one model file holding both sides (tokenizers and
vocabularies) and the run's config; ``load(path)`` gives a ``Translator`` back. ``<unk>`` in an output
is replaced by the source token the model attended to most when it has attention (the Transformer: the
last layer's heads averaged), as Luong et al. (2015, "Addressing the Rare Word Problem") do; the LSTM
model has no alignment, so its <unk> is left out of the text.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .. import backend
from ..evaluate import bleu, bleu_tokenized
from ..io import ModelFileError
from ..training import pad
from .data import PAD, UNK, PairSet, Side, check_source, encode_pairs, source_ids
from .decode import beam_search, check_beam
from .recipe import TranslateConfig, config_from_dict, perplexity


class Translator:
    """A model with its two sides and config: ``translate(texts)``, ``evaluate(src, refs)``, ``attention(text)``."""

    def __init__(self, model, src_side: Side, tgt_side: Side, config: TranslateConfig, path: str = "<model>"):
        self.model, self.src_side, self.tgt_side, self.config, self.path = model, src_side, tgt_side, config, path
        model.eval()

    # ------------------------------------------------------------------ translating
    def _encode(self, tokens_list):
        ids = [source_ids(self.src_side, t, self.config.max_tokens, self.config.reverse_source) for t in tokens_list]
        return ids, pad(ids, PAD)

    def translate_tokens(self, tokens_list, beam: int = 1, alpha: float | None = None, batch_size: int = 128):
        """Source token lists -> (output token lists, attention per sentence (T_out, S) or None, source tokens)."""
        beam = check_beam(beam)
        alpha = self.config.alpha if alpha is None else alpha
        order = np.argsort([len(t) for t in tokens_list], kind="stable")
        outputs, maps = [None] * len(tokens_list), [None] * len(tokens_list)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            lists, xs = self._encode([tokens_list[i][:self.config.max_tokens] for i in idx])
            max_length = min(int(1.5 * xs.shape[1]) + 10, self.config.max_tokens + 1)
            ids, state = beam_search(self.model, xs, max_length, beam, alpha)
            att = self._attention(state)
            for row, i in enumerate(idx):
                n = len(lists[row])
                out = self._tokens(ids[row], None if att is None else self.alignment(att[row])[:, :n], tokens_list[i])
                outputs[i] = out
                if att is not None:
                    steps = int(np.argmax(ids[row] == 3)) + 1 if (ids[row] == 3).any() else ids.shape[1]
                    maps[i] = att[row][..., :steps, :n]
        return outputs, maps

    @staticmethod
    def _attention(state):
        """Host attention of the chosen outputs: (N, T_out, S), or (N, layers, heads, T_out, S) for a
        Transformer; None for a model without attention."""
        if not isinstance(state, dict) or "attention" not in state:
            return None
        return backend.to_cpu(state["attention"])

    @staticmethod
    def alignment(att):
        """One sentence's attention -> (T_out, S): a Transformer's last layer with its heads averaged."""
        return att[-1].mean(axis=0) if att.ndim == 4 else att

    def _tokens(self, ids, att, source_tokens):
        """Output ids -> tokens up to <eos>, each <unk> replaced by the most attended source token (or dropped)."""
        words = []
        for t, i in enumerate(ids):
            i = int(i)
            if i == 3:  # <eos>
                break
            if i == UNK:
                if att is None:
                    continue
                j = int(att[t].argmax())
                j = att.shape[1] - 1 - j if self.config.reverse_source else j
                if 1 <= j <= len(source_tokens):  # not <sos> or <eos>
                    words.append(source_tokens[j - 1])
                continue
            if i > 3:
                words.append(self.tgt_side.vocab.tokens[i])
        return words

    def translate(self, texts, beam: int = 1, alpha: float | None = None) -> list[str]:
        """Sentences -> translations (bad input: ValueError naming the sentence)."""
        tokens = [check_source(self.src_side, t, f"line {k + 1}" if len(texts) > 1 else "text")
                  for k, t in enumerate(texts)]
        outputs, _ = self.translate_tokens(tokens, beam, alpha)
        return [self.tgt_side.text(o) for o in outputs]

    def attention(self, text: str):
        """One sentence -> (source tokens, output tokens, weights) with <sos>/<eos> around the source and <eos>
        after the output when decoding ended there (not at the length limit); weights (outputs, sources), or
        (layers, heads, outputs, sources) for a Transformer: one row per decoding step."""
        tokens = check_source(self.src_side, text)
        outputs, maps = self.translate_tokens([tokens])
        if maps[0] is None:
            raise ValueError(f"{self.path} holds a {type(self.model).__name__}, which has no attention; "
                             "train one with --model attention or transformer")
        src = ["<sos>", *tokens[:self.config.max_tokens], "<eos>"]
        weights = maps[0][..., ::-1] if self.config.reverse_source else maps[0]
        ended = weights.shape[-2] > len(outputs[0])  # the last step chose <eos>
        return src, outputs[0] + ["<eos>"] * ended, weights

    # ------------------------------------------------------------------ scoring
    def evaluate(self, src_texts, ref_texts, beam: int = 1, alpha: float | None = None, with_perplexity=True) -> dict:
        """BLEU (sacreBLEU's, with its signature) of the detokenised outputs against the raw references, the
        tutorials' BLEU-4 on lower-cased tokens, and the teacher-forced perplexity of the references."""
        if len(src_texts) != len(ref_texts):
            raise ValueError(f"{len(src_texts)} source sentences but {len(ref_texts)} references: the files must be "
                             "parallel, one sentence a line")
        if not src_texts:
            raise ValueError("nothing to evaluate: no sentences")
        for k, (s, r) in enumerate(zip(src_texts, ref_texts)):
            if not s.strip() or not r.strip():
                raise ValueError(f"line {k + 1} is empty in the {'source' if not s.strip() else 'references'}")
        pairs = encode_pairs(self.src_side, self.tgt_side, src_texts, ref_texts, self.config.max_tokens, drop=False,
                             reverse_source=self.config.reverse_source)
        src_tokens = self.src_side.tokenizer.tokenize_all(_cased(self.src_side, src_texts))
        outputs, _ = self.translate_tokens(src_tokens, beam, alpha)
        hypotheses = [self.tgt_side.text(o) for o in outputs]
        score = bleu(hypotheses, list(ref_texts))
        words = _word_tokenizer(self.tgt_side.lang)
        hyp_tokens = outputs if not self.tgt_side.subwords else words.tokenize_all(hypotheses)
        ref_tokens = [words(r) for r in ref_texts]
        result = {"bleu": score.score, "signature": score.signature, "bleu_tokenized": bleu_tokenized(hyp_tokens, ref_tokens),
                  "n": len(src_texts), "beam": beam, "cut": len(pairs.cut), "hypotheses": hypotheses}
        if with_perplexity:
            result["perplexity"] = perplexity(self.model, pairs)
        return result


def _cased(side: Side, texts):
    return [t.lower() for t in texts] if side.lower and side.subwords else texts


def _word_tokenizer(lang: str):
    from ..text.tokenize import make_tokenizer

    return make_tokenizer("translation", lang=lang, lower=True)


# ---------------------------------------------------------------------------------------- files
def model_meta(data_or_sides, config: TranslateConfig) -> dict:
    """What translating needs, stored in a model file or checkpoint: both sides and the run's config."""
    import dataclasses

    src_side, tgt_side = data_or_sides
    return {"translation": True, "src_side": src_side.to_dict(), "tgt_side": tgt_side.to_dict(),
            "train_config": dataclasses.asdict(config)}


def save(model, path, sides, config: TranslateConfig, meta: dict | None = None) -> None:
    """One model file: parameters, both sides, the config and ``meta`` (figures)."""
    model.save(path, vocab=sides[1].vocab.tokens, meta={**model_meta(sides, config), **(meta or {})})


def load(path) -> Translator:
    """A ``Translator`` from a file written by ``save`` (or a training checkpoint); a clear error otherwise."""
    from ..models.base import load as load_model

    model, info = load_model(path, with_info=True)
    meta = info["meta"]
    if not meta.get("translation") or not hasattr(model, "start_decoding"):
        raise ModelFileError(path, f"holds a {type(model).__name__}, not a translation model "
                                   "(train one with `zeronlp translate train`)")
    try:
        sides = Side.from_dict(meta["src_side"]), Side.from_dict(meta["tgt_side"])
        config = config_from_dict(meta["train_config"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(path, f"has a damaged translation header ({e})") from None
    return Translator(model, *sides, config, str(path))


def read_lines(path, what: str) -> list[str]:
    """The lines of a plain-text file (gzip accepted), UTF-8, one sentence a line."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} file {str(path)!r} does not exist")
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ValueError(f"{what} file {str(path)!r} is a damaged gzip file ({e})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} file {str(path)!r} is not UTF-8 text (byte {e.start})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


__all__ = ["Translator", "save", "load", "model_meta", "read_lines", "PairSet"]
