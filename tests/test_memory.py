"""Memory estimates: arithmetic, the machine's available memory, check_fits, and honesty against measured RSS.

The stated factor: every estimate lies within FACTOR = 2 of the peak resident memory a fresh process
adds while doing the work (building a model, one training step, counting co-occurrences).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from zeronlp import memory
from zeronlp.memory import (InsufficientMemoryError, array_bytes, check_fits, estimate_model_bytes,
                            estimate_training_bytes, format_bytes, limit_allocations, sequence_activation_bytes)
from zeronlp.optim import SGD, Adam, Momentum

FACTOR = 2.0


def test_arithmetic():
    assert array_bytes((3, 4)) == 48 and array_bytes((3, 4), np.float64) == 96 and array_bytes(5, np.int32) == 20
    assert array_bytes((10 ** 9, 10 ** 9)) == 4 * 10 ** 18  # Python ints: no overflow
    with pytest.raises(ValueError, match="non-negative integers"):
        array_bytes((2, -1))
    shapes = [(10, 20), (20,)]
    assert estimate_model_bytes(shapes) == 2 * 220 * 4
    assert estimate_model_bytes(shapes, grads=False, optimizer_slots=2, activations=8) == 3 * 880 + 8
    assert estimate_training_bytes(shapes, "adam", activations=100, data_bytes=10) == 4 * 880 + 110
    assert estimate_training_bytes(shapes, Adam()) == estimate_training_bytes(shapes, "AdamW")
    assert estimate_training_bytes(shapes, SGD) == 2 * 880 and estimate_training_bytes(shapes, Momentum()) == 3 * 880
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        estimate_training_bytes(shapes, "lbfgs")
    assert sequence_activation_bytes(2, 3, [4, 5]) == 2 * 3 * 9 * 4
    assert format_bytes(512) == "512 B" and format_bytes(1536) == "1.5 KiB" and format_bytes(3 * 2 ** 40) == "3.0 TiB"


def test_available_memory_and_check_fits(monkeypatch):
    available = memory.available_memory()
    assert isinstance(available, int) and available > 2 ** 20
    check_fits(1024, "a tiny thing")
    with pytest.raises(InsufficientMemoryError, match=r"^lm train \(hidden 10\) needs about 2.0 GiB, only 1.0 GiB available$"):
        check_fits(2 * 2 ** 30, "lm train (hidden 10)", available=2 ** 30)
    assert issubclass(InsufficientMemoryError, ValueError)
    monkeypatch.setenv("ZERONLP_MEMORY_CHECK", "0")
    check_fits(2 ** 80, "anything")


@pytest.mark.parametrize("version", [1, 2])
def test_cgroup_limit_lowers_the_available_memory(tmp_path, version):
    if version == 2:
        (tmp_path / "memory.max").write_text("1073741824\n")
        (tmp_path / "memory.current").write_text("536870912\n")
        (tmp_path / "memory.stat").write_text("anon 1\ninactive_file 268435456\n")
    else:
        (tmp_path / "memory").mkdir()
        (tmp_path / "memory" / "memory.limit_in_bytes").write_text("1073741824\n")
        (tmp_path / "memory" / "memory.usage_in_bytes").write_text("536870912\n")
        (tmp_path / "memory" / "memory.stat").write_text("total_inactive_file 268435456\n")
    assert memory._cgroup_available(str(tmp_path)) == 2 ** 30 - 2 ** 28
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory").mkdir(exist_ok=True)
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert memory._cgroup_available(str(tmp_path)) is None


def test_limit_allocations_refuses_at_once_and_restores():
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError):
        with limit_allocations(64 * 2 ** 20):
            np.ones(2 ** 28)  # 2 GiB
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    np.ones(2 ** 25)  # 256 MiB again fine


# ------------------------------------------------------------------------ estimates vs measured RSS
_MEASURE = """
import json, resource, sys
import numpy as np
from zeronlp import memory
kind, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
def rss():
    # the high-water mark VmHWM, reset below so transient peaks of the imports do not hide the work's
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
def reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
if kind == "count":
    from zeronlp.text.count import count_memory_bytes, count_vectors
    import scipy.linalg, scipy.sparse
    T, V, W = sizes
    corpus = (np.random.default_rng(0).zipf(1.3, T) % V).astype(np.int32)
    reset(); base = rss()
    count_vectors(corpus, V, W, 20)
    estimate = count_memory_bytes(T, V, W, 20)
else:
    from zeronlp.models.mlp import TwoLayerNet
    from zeronlp.models.rnnlm import Rnnlm
    from zeronlp.optim import Adam
    train = kind.endswith("train")
    N, T = 20, 35
    xs = np.random.default_rng(0).integers(0, sizes[0], (N, T))
    reset(); base = rss()
    model = TwoLayerNet(*sizes) if kind.startswith("mlp") else Rnnlm(*sizes)
    activations = 0
    if train:
        optimizer = Adam()
        model.forward(xs, xs); model.backward(); optimizer.update(model.params, model.grads)
        V, D, H = sizes
        activations = memory.sequence_activation_bytes(N, T, [D, 4 * H, 2 * H, H, V, V, D])
    shapes = [p.shape for p in model.params]
    estimate = (memory.estimate_training_bytes(shapes, "adam", activations=activations) if train
                else memory.estimate_model_bytes(shapes))
print(json.dumps({"measured": rss() - base, "estimate": estimate}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind, sizes", [
    ("mlp", (1000, 2000, 1000)),
    ("rnnlm", (10000, 650, 650)),
    ("rnnlm", (2000, 1000, 1000)),
    pytest.param("rnnlm-train", (10000, 650, 650), marks=pytest.mark.slow),
    pytest.param("rnnlm-train", (2000, 1000, 1000), marks=pytest.mark.slow),
    ("count", (200000, 1500, 50)),       # dense: pair lists and (V, V) SVD
    ("count", (300000, 8000, 20)),       # sparse PPMI and randomised SVD
])
def test_estimate_within_a_factor_of_measured_rss(kind, sizes):
    out = subprocess.run([sys.executable, "-c", _MEASURE, kind, *map(str, sizes)], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = figures["estimate"] / figures["measured"]
    assert 1 / FACTOR <= ratio <= FACTOR, (kind, sizes, figures, ratio)


def test_count_refuses_an_absurd_window(monkeypatch):
    from zeronlp.text.count import count_memory_bytes, count_vectors, co_occurrence_pairs

    assert co_occurrence_pairs(5, 2) == 2 * (4 + 3) and co_occurrence_pairs(5, 100) == 2 * (4 + 3 + 2 + 1)
    assert count_memory_bytes(929_589, 10_000, 100_000, 100) > 2 ** 40  # ~5.8 TiB: PTB with --window 100000
    corpus = np.arange(1000) % 50
    monkeypatch.setattr(memory, "available_memory", lambda: 10 ** 6)
    with pytest.raises(InsufficientMemoryError, match=r"counting co-occurrences \(window 100000, 50 words, "
                                                      r"1,000 tokens\) needs about .* only 976.6 KiB available"):
        count_vectors(corpus, 50, window_size=100_000, wordvec_size=5)
