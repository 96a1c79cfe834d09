"""Neural machine translation: German -> English on Multi30k with the LSTM encoder-decoder, Bahdanau
attention or the Transformer, scored with BLEU (sacreBLEU's and the tutorials' tokenised one).

    python examples/ch11_translate.py --model transformer [--epochs 10] [--beam 5]   # about an hour on 1 core
    python examples/ch11_translate.py --quick                                          # smoke test

Needs the Multi30k files in the data directory (``zeronlp data fetch multi30k``).
"""
from __future__ import annotations

import argparse

import zeronlp
from zeronlp import translate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=translate.MODELS, default="transformer")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (the reference)")
    parser.add_argument("--beam", type=int, default=1, help="beam width for the test BLEU (1: greedy)")
    parser.add_argument("--quick", action="store_true", help="300 pairs, a tiny model, one epoch")
    args = parser.parse_args(argv)

    zeronlp.seed(1)
    options = {"epochs": args.epochs}
    if args.quick:  # tiny everything: a smoke test of the whole pipeline
        options = dict(epochs=1, size=300, batch_size=32, layers=1, d_model=32, heads=2, d_ff=64, hidden=32,
                       wordvec=16, warmup=10)
    config = translate.make_config(args.model, **options)  # the reference settings of the model
    data = translate.load_data(config)  # lower-cased words seen twice in training, <pad> <unk> <sos> <eos>
    print(f"vocabularies: {len(data.src_side.vocab)} de / {len(data.tgt_side.vocab)} en, "
          f"{len(data.splits['train'])} training pairs")
    trainer = translate.make_trainer(config, data)
    trainer.fit()
    translate.best_params(trainer).restore(trainer.model)  # the epoch with the best validation perplexity

    translator = translate.Translator(trainer.model, data.src_side, data.tgt_side, config)
    test = data.splits["test"]
    n = 100 if args.quick else len(test)
    result = translator.evaluate(test.src_texts[:n], test.tgt_texts[:n], beam=args.beam)
    print(f"test: perplexity {result['perplexity']:.2f}, BLEU {result['bleu']:.2f} ({result['signature']}), "
          f"tokenised lower-cased BLEU {result['bleu_tokenized']:.2f}")
    for source in ["Zwei Hunde spielen im Schnee.", "Ein Mann fährt Fahrrad."]:
        print(f"  {source} -> {translator.translate([source], beam=args.beam)[0]}")
    return result


if __name__ == "__main__":
    main()
