"""Datasets: spiral (chapter 1), Penn Treebank (embedded), the seq2seq toy tasks."""
