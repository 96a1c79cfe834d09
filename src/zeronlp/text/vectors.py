"""Word vectors after training: nearest words, analogies, benchmark evaluations, word2vec file formats.

Analogies follow Mikolov et al. (2013), "Linguistic Regularities in Continuous
Space Word Representations": a:b = c:? is answered by the word whose unit vector
is closest in cosine to b - a + c (all unit vectors, the query words excluded),
the 3CosAdd rule gensim's ``KeyedVectors`` also uses. Files are the word2vec C
tool's formats: a ``"V D"`` header line, then per word either ``word v1 ... vD``
(text) or ``word`` + space + D little-endian float32 (binary, newline after).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..backend import to_cpu
from ..io import atomic_write, word2vec_kind

_SPACE = re.compile(r"\s")
_BATCH = 1024  # analogy questions scored per matrix product


def unit_rows(x):
    """x (..., D) float rows scaled to unit length (zero rows stay zero); each row is first divided by its
    largest magnitude, so finite values near the float limit (1e38 in float32) do not overflow the norm."""
    scale = np.abs(x).max(axis=-1, keepdims=True)
    scaled = x / np.where(scale > 0, scale, 1)
    return scaled / np.maximum(np.linalg.norm(scaled, axis=-1, keepdims=True), 1e-12)


class WordVectors:
    """``WordVectors(vectors (V, D), words (V,))``: one row per word, looked up by word."""

    def __init__(self, vectors, words):
        vectors = to_cpu(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array (V, D), got shape {vectors.shape}")
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float32)
        if isinstance(words, dict):  # the book's id_to_word
            words = [words[i] for i in range(len(words))]
        words = [str(w) for w in words]
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words for {len(vectors)} vectors")
        index = {w: i for i, w in enumerate(words)}
        if len(index) != len(words):
            seen = set()
            dup = next(w for w in words if w in seen or seen.add(w))
            raise ValueError(f"word {dup!r} appears more than once")
        bad = next((w for w in words if not w or _SPACE.search(w)), None)
        if bad is not None:
            raise ValueError(f"word {bad!r} is empty or contains whitespace (not storable in word2vec files)")
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            i = int(np.argmin(finite))
            what = "NaN" if np.isnan(vectors[i]).any() else "Inf"
            raise ValueError(f"the vector of word {words[i]!r} holds {what} "
                             f"({int((~finite).sum())} non-finite vectors in all)")
        self.vectors = vectors
        self.words = words
        self.word_to_id = index
        self._unit = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.word_to_id

    def __getitem__(self, word: str) -> np.ndarray:
        """(D,) vector of ``word``; KeyError naming an unknown word."""
        return self.vectors[self.index(word)]

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.dim} dims, {self.vectors.dtype})"

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def index(self, word: str) -> int:
        try:
            return self.word_to_id[word]
        except KeyError:
            raise KeyError(f"word {word!r} is not in the vocabulary") from None

    @property
    def unit_vectors(self) -> np.ndarray:
        """(V, D) rows scaled to unit length (zero rows stay zero)."""
        if self._unit is None:
            self._unit = unit_rows(self.vectors)
        return self._unit

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors
        return float(u[self.index(a)] @ u[self.index(b)])

    def _top(self, query, exclude, topn: int):
        if not isinstance(topn, (int, np.integer)) or topn < 1:
            raise ValueError(f"topn must be a positive integer, got {topn!r}")
        scores = self.unit_vectors @ unit_rows(query)  # (V,)
        scores[list(exclude)] = -np.inf
        k = min(topn, len(self) - len(exclude))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in top]

    def most_similar(self, word, topn: int = 5):
        """Nearest ``topn`` words by cosine to ``word`` (itself excluded) or to a (D,) vector: [(word, score)]."""
        if isinstance(word, str):
            i = self.index(word)
            return self._top(self.unit_vectors[i], {i}, topn)
        query = np.asarray(word, dtype=self.vectors.dtype)
        if query.shape != (self.dim,):
            raise ValueError(f"query vector must have shape ({self.dim},), got {query.shape}")
        return self._top(query, set(), topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 5):
        """a:b = c:? -> [(word, score)] nearest to unit(b) - unit(a) + unit(c), the three query words excluded."""
        ia, ib, ic = self.index(a), self.index(b), self.index(c)
        u = self.unit_vectors
        return self._top(u[ib] - u[ia] + u[ic], {ia, ib, ic}, topn)

    def _lookup(self, restrict_vocab, case_insensitive):
        """word -> id over the first ``restrict_vocab`` words; upper-cased keys, earliest id wins, when case-insensitive."""
        n = len(self) if restrict_vocab is None else int(restrict_vocab)
        if n < 1:
            raise ValueError(f"restrict_vocab must be a positive integer or None, got {restrict_vocab!r}")
        words = self.words[:n]
        if case_insensitive:
            return {w.upper(): i for i, w in reversed(list(enumerate(words)))}, n
        return {w: i for i, w in enumerate(words)}, n

    def evaluate_analogies(self, path, restrict_vocab: int | None = None, case_insensitive: bool = True) -> dict:
        """Top-1 accuracy on a ``questions-words.txt`` file: {"sections": [...], "total": {...}} with skipped OOV counts.

        Each section and the total hold ``correct``, ``total`` (questions
        answered), ``accuracy`` (None when nothing was answered) and ``skipped``
        (questions with a word outside the first ``restrict_vocab`` words).
        """
        lookup, n = self._lookup(restrict_vocab, case_insensitive)
        sections, questions, invalid = [], [], 0
        for number, line in enumerate(_read_lines(path, "an analogies"), 1):
            if line.startswith(":"):
                sections.append({"section": line[1:].strip(), "correct": 0, "total": 0, "skipped": 0})
                continue
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                invalid += 1
                continue
            if not sections:
                raise ValueError(f"{path}: line {number}: a question before any ': section' header")
            if case_insensitive:
                parts = [p.upper() for p in parts]
            ids = [lookup.get(p) for p in parts]
            if None in ids:
                sections[-1]["skipped"] += 1
            else:
                questions.append((len(sections) - 1, *ids))
        if not sections:
            raise ValueError(f"{path}: no ': section' header; not a questions-words file")
        if not questions and not any(sec["skipped"] for sec in sections):
            raise ValueError(f"{path}: no usable analogy question (expected lines of four words 'a b c d' "
                             f"under ': section' headers; {invalid} malformed lines)")
        q = np.array(questions, dtype=np.int64).reshape(-1, 5)
        u = self.unit_vectors[:n]
        hits = np.zeros(len(q), dtype=bool)
        for s in range(0, len(q), _BATCH):  # 3CosAdd for a batch of questions at once
            batch = q[s:s + _BATCH]
            query = u[batch[:, 2]] - u[batch[:, 1]] + u[batch[:, 3]]  # (B, D): b - a + c
            query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
            scores = query @ u.T  # (B, n)
            rows = np.arange(len(batch))[:, None]
            scores[rows, batch[:, 1:4]] = -np.inf
            hits[s:s + _BATCH] = scores.argmax(axis=1) == batch[:, 4]
        for sec, hit in zip(q[:, 0].tolist(), hits.tolist()):
            sections[sec]["total"] += 1
            sections[sec]["correct"] += hit
        for sec in sections:
            sec["accuracy"] = sec["correct"] / sec["total"] if sec["total"] else None
        correct, total = int(hits.sum()), len(q)
        skipped = sum(sec["skipped"] for sec in sections)
        return {"sections": sections,
                "total": {"correct": correct, "total": total, "skipped": skipped,
                          "accuracy": correct / total if total else None},
                "invalid_lines": invalid}

    def evaluate_word_pairs(self, path, delimiter: str = "\t", restrict_vocab: int | None = None,
                            case_insensitive: bool = True) -> dict:
        """Spearman (and Pearson) correlation of cosine with human scores on a ``word1<TAB>word2<TAB>score`` file.

        Lines starting with ``#`` are comments; pairs with an unknown word are
        skipped and counted: ``oov_ratio`` = skipped / all pairs (a fraction).
        """
        from scipy import stats

        lookup, n = self._lookup(restrict_vocab, case_insensitive)
        gold, left, right, oov, invalid = [], [], [], 0, 0
        for line in _read_lines(path, "a word pairs"):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(delimiter)
            try:
                a, b, score = parts
                score = float(score)
            except ValueError:
                invalid += 1
                continue
            a, b = (a.strip().upper(), b.strip().upper()) if case_insensitive else (a.strip(), b.strip())
            if a not in lookup or b not in lookup:
                oov += 1
                continue
            gold.append(score)
            left.append(lookup[a])
            right.append(lookup[b])
        pairs = len(gold) + oov
        if pairs == 0:
            raise ValueError(f"{path}: no word pairs found (expected lines 'word1{delimiter}word2{delimiter}score')")
        result = {"pairs": len(gold), "oov": oov, "oov_ratio": oov / pairs, "invalid_lines": invalid,
                  "spearman": None, "pearson": None}
        if len(gold) >= 2:
            u = self.unit_vectors
            model = np.einsum("ij,ij->i", u[left], u[right]).astype(np.float64)
            result["spearman"] = float(stats.spearmanr(gold, model)[0])
            result["pearson"] = float(stats.pearsonr(gold, model)[0])
        return result

    def save_word2vec(self, path, binary: bool = False) -> None:
        """Write the word2vec text (``binary=False``) or binary format, atomically; gensim reads both."""
        V, D = self.vectors.shape
        vectors = np.ascontiguousarray(self.vectors, dtype="<f4")

        def write(f):
            f.write(f"{V} {D}\n".encode())
            if binary:
                for w, row in zip(self.words, vectors):
                    f.write(w.encode("utf-8") + b" " + row.tobytes() + b"\n")
            else:
                fmt = " ".join(["%.9g"] * D)
                for start in range(0, V, 4096):
                    block = vectors[start:start + 4096]
                    lines = [f"{w} " + fmt % tuple(row) for w, row in zip(self.words[start:start + 4096],
                                                                         block.tolist())]
                    f.write(("\n".join(lines) + "\n").encode("utf-8"))

        atomic_write(path, write)

    @classmethod
    def load_word2vec(cls, path, binary: bool = False) -> "WordVectors":
        """Read a word2vec text or binary file (ours, gensim's, the C tool's) -> WordVectors (float32)."""
        path = _existing_file(path, "a word vectors")
        data = path.read_bytes()
        end = data.find(b"\n")
        try:
            V, D = (int(x) for x in data[:end if end >= 0 else len(data)].split())
            assert V >= 0 and D > 0
        except (ValueError, AssertionError):
            if data.startswith(b"PK\x03\x04"):
                raise ValueError(f"{path}: is a .npz archive (a zeronlp model?), not a word2vec vectors file") from None
            raise ValueError(f"{path}: the first line must be 'V D' (number of words and dimensions); "
                             f"not a word2vec{' binary' if binary else ' text'} file") from None
        kind = word2vec_kind(data[:end + 1 + 256 + 64 * D])  # the header and (more than) the first record
        if kind is not None and kind != ("binary" if binary else "text"):
            fix = "drop --binary (binary=False)" if binary else "add --binary (binary=True)"
            raise ValueError(f"{path}: this is a word2vec {kind} file, but it is being read as "
                             f"{'binary' if binary else 'text'}: {fix}")
        reader = _read_binary if binary else _read_text
        words, vectors = reader(path, data, end + 1, V, D)
        try:
            return cls(vectors, words)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None


def _read_text(path, data, pos, V, D):
    try:
        lines = data[pos:].decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text at byte {pos + e.start} (use --binary for binary files?)") from None
    lines = [line for line in lines if line.strip()]
    if len(lines) != V:
        raise ValueError(f"{path}: header says {V} words but {len(lines)} lines follow")
    words, numbers = [], []
    for number, line in enumerate(lines, 2):
        parts = line.rstrip().split(" ")
        if len(parts) != D + 1:
            raise ValueError(f"{path}: line {number} has {len(parts) - 1} values, expected {D}")
        words.append(parts[0])
        numbers.append(" ".join(parts[1:]))
    try:
        vectors = np.array(" ".join(numbers).split(), dtype=np.float32).reshape(V, D)
    except ValueError as e:
        raise ValueError(f"{path}: a vector value is not a number ({e})") from None
    return words, vectors


def _read_binary(path, data, pos, V, D):
    size = 4 * D
    words, vectors = [], np.empty((V, D), dtype=np.float32)
    for i in range(V):
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b" "):
            pos += 1  # the C tool's newline after each vector (gensim 4 writes none)
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + size > len(data):
            raise ValueError(f"{path}: truncated binary file: header says {V} words, only {i} found")
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"{path}: word {i} is not UTF-8 (is this a text file? drop --binary)") from None
        vectors[i] = np.frombuffer(data, dtype="<f4", count=D, offset=space + 1)
        pos = space + 1 + size
    return words, vectors


def _existing_file(path, what: str) -> Path:
    """``path`` as a Path; IsADirectoryError or FileNotFoundError naming it otherwise."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not {what} file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path


def _read_lines(path, what: str = "a text") -> list[str]:
    path = _existing_file(path, what)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None


__all__ = ["WordVectors"]
