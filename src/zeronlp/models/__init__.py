"""Networks assembled from layers; each file one family."""
from .base import Model, load
from .attention_seq2seq import AttentionSeq2seq
from .classifier import ConvClassifier, RecurrentClassifier
from .doc2vec import Doc2Vec
from .fasttext import FastText
from .glove import GloVe
from .linear import NBSVM, LogisticRegression
from .mlp import TwoLayerNet
from .rnnlm import BetterRnnlm, Rnnlm, SimpleRnnlm, build_lm
from .seq2seq import PeekySeq2seq, Seq2seq
from .word2vec import CBOW, SimpleCBOW, SimpleSkipGram, SkipGram
from .transformer import Transformer, TransformerLM, make_transformer

__all__ = ["Model", "load", "TwoLayerNet", "SimpleRnnlm", "Rnnlm", "BetterRnnlm", "build_lm", "Seq2seq", "PeekySeq2seq", "AttentionSeq2seq", "Transformer", "TransformerLM", "make_transformer", "SimpleCBOW", "SimpleSkipGram", "CBOW", "SkipGram",
           "RecurrentClassifier", "ConvClassifier", "LogisticRegression", "NBSVM",
           "GloVe", "FastText", "Doc2Vec"]
