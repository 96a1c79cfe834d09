"""Neural machine translation (Multi30k German -> English): data, recipes, decoding, BLEU, files.

    from zeronlp import translate
    config = translate.make_config("transformer", epochs=10)
    data = translate.load_data(config)
    trainer = translate.make_trainer(config, data);  trainer.fit()
    translator = translate.Translator(trainer.model, data.src_side, data.tgt_side, config)
    translator.translate(["Zwei Hunde spielen im Schnee."])      # ['Two dogs are playing in the snow.']

The models live in ``models.translation`` (LSTM, attention) and ``models.translation_transformer``.
"""
from .data import EOS, PAD, SOS, SPECIALS, UNK, PairSet, Side, Vocabulary, build_sides, check_source, encode_pairs
from .decode import beam_search, check_beam, greedy
from .recipe import (MODELS, PRESETS, TranslateConfig, TranslationData, batches, best_params, build_model,
                     config_from_dict, load_data, load_texts, make_config, make_trainer, perplexity)
from .use import Translator, load, model_meta, read_lines, save

__all__ = ["SPECIALS", "PAD", "UNK", "SOS", "EOS", "Vocabulary", "Side", "PairSet", "build_sides", "encode_pairs",
           "check_source", "greedy", "beam_search", "check_beam", "TranslateConfig", "PRESETS", "MODELS",
           "make_config", "config_from_dict", "TranslationData", "load_data", "load_texts", "build_model", "batches",
           "perplexity", "make_trainer", "best_params", "Translator", "save", "load", "model_meta", "read_lines"]
