"""Everything about words before and after the network (chapter 2 and the text-processing basics).

- ``corpus``: ``preprocess``, ``Vocab``, text files as corpora, ``load_corpus('ptb' | PATH)``
- ``count``: co-occurrence matrix, PPMI, SVD (full and randomised), cosine similarity
- ``vectors``: ``WordVectors`` (most_similar, analogy, evaluations, word2vec file formats)
- ``vectorize``: ``CountVectorizer``, ``TfidfVectorizer`` (scikit-learn's interface)
- ``tokenize`` (also as ``tokenizers``; the name ``zeronlp.text.tokenize`` is corpus's function): words, character
  n-grams, Korean morphemes, translation rules; ``clean``; ``bpe``
"""
from . import tokenize as tokenizers  # first: a later ``import zeronlp.text.tokenize`` must not rebind ``tokenize``
from .corpus import EOS, UNK, TextCorpus, Vocab, load_corpus, preprocess, read_text_corpus, tokenize
from .count import count_vectors, cos_similarity, create_co_matrix, most_similar, ppmi, randomized_svd, svd
from .vectorize import CountVectorizer, TfidfVectorizer
from .vectors import WordVectors

__all__ = ["tokenizers", "EOS", "UNK", "TextCorpus", "Vocab", "load_corpus", "preprocess", "read_text_corpus", "tokenize",
           "WordVectors", "count_vectors", "cos_similarity", "create_co_matrix", "most_similar", "ppmi",
           "randomized_svd", "svd", "CountVectorizer", "TfidfVectorizer"]
