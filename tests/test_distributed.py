"""Data parallelism over MPI: 2 ranks give the parameters of 1 process on the same global batches.

The MPI tests launch ``mpiexec -n 2`` on this file (``python tests/test_distributed.py MODE OUT``) and
compare with the same run in this process. They are skipped only when the ``mpi`` extra (mpi4py and an
``mpiexec``) is not installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import zeronlp
from zeronlp import distributed
from zeronlp.optim import SGD, Adam, AdamW, LinearDecay
from zeronlp.training import ArrayBatches, BPTTBatches, Callback, LearningRate, PaddedBatches, Trainer

STEPS = 6
# float32 parameters after 6 steps: the ranks sum the gradient halves in another order than one process's
# matrix products, so the parameters agree to float32 rounding (measured: at most 1.2e-7 apart, |p| < 1)
RTOL, ATOL = 1e-5, 1e-6
# ...except where the exact gradient is zero: softmax(q.k + c) = softmax(q.k), so the attention's key bias
# (the middle third of the q/k/v bias) gets a gradient of pure rounding noise, which Adam scales up to
# steps of size lr; one process and two ranks draw different noise there
NOISE_ONLY = {"transformer": (2, slice(8, 16))}


def make_trainer(case: str, **options) -> Trainer:
    """The tiny runs compared: an LSTM LM (no dropout, clipping), a recurrent classifier (row-sparse
    embedding, Adam, 2 shuffled epochs), a Transformer LM (AdamW, warm-up), an MLP (dense, 3 epochs)."""
    from zeronlp.models import build_lm
    from zeronlp.models.classifier import RecurrentClassifier
    from zeronlp.models.mlp import TwoLayerNet
    from zeronlp.models.transformer import make_transformer

    data = np.random.default_rng(0)
    zeronlp.seed(7)
    common = dict(verbose=False, record_every=None, **options)
    if case == "lstm":
        ids = data.integers(0, 23, 400).astype(np.int32)
        return Trainer(build_lm("lstm", 23, 8, 8), SGD(lr=1.0), BPTTBatches(ids, 4, 5), epochs=2, max_grad=0.25,
                       **{"stop_after": STEPS, **common})
    if case == "classifier":
        docs = [data.integers(1, 30, data.integers(2, 9)) for _ in range(24)]
        labels = data.integers(0, 3, 24)
        model = RecurrentClassifier(30, 3, wordvec_size=6, hidden_size=5, dropout=0.0, pooling="mean")
        return Trainer(model, Adam(lr=0.05), PaddedBatches(docs, labels=labels, batch_size=8, bucket=2), epochs=2,
                       **common)
    if case == "transformer":
        ids = data.integers(0, 23, 400).astype(np.int32)
        model = make_transformer(23, "ptb-small", decoder_only=True, d_model=8, num_heads=2, d_ff=16, num_layers=1,
                                 dropout=0.0, tie_weights=True)
        return Trainer(model, AdamW(lr=1e-2), BPTTBatches(ids, 4, 5), epochs=1, max_grad=1.0,
                       callbacks=[LearningRate(LinearDecay(1e-2, STEPS, 0.1, 2))], **{"stop_after": STEPS, **common})
    if case == "mlp":
        x = data.standard_normal((30, 2)).astype(np.float32)
        t = data.integers(0, 3, 30)
        return Trainer(TwoLayerNet(2, 5, 3), SGD(lr=0.5), ArrayBatches(x, t, batch_size=10), epochs=3, **common)
    raise ValueError(case)


CASES = ("lstm", "classifier", "transformer", "mlp")
VALID = np.random.default_rng(1).integers(0, 23, 200).astype(np.int32)


# ---------------------------------------------------------------------------- what each rank runs
class _Fail(Callback):
    """Rank 1 misbehaves at step 2: raises (an error on one rank) or stops answering (a hung rank)."""

    def __init__(self, how, rank):
        self.how, self.rank = how, rank

    def on_step_begin(self, trainer, batch):
        if trainer.step == 2 and self.rank == 1:
            if self.how == "raise":
                raise ValueError("rank 1 fails on purpose")
            time.sleep(60)


def worker(mode: str, out: str) -> int:
    """Under mpiexec: train every case data-parallel and save each rank's parameters, or misbehave."""
    comm = distributed.Communicator(timeout=float(os.environ.get("TEST_TIMEOUT", 60)))
    try:
        if mode == "equal":
            for case in CASES:
                trainer = make_trainer(case)
                distributed.wrap(trainer, comm, sparse=os.environ.get("TEST_SPARSE", "gather"))
                trainer.fit()
                np.savez(Path(out) / f"{case}_{comm.rank}.npz", *[np.asarray(p) for p in trainer.model.params])
                if case == "lstm":  # evaluation with the streams split over the ranks
                    ppl = distributed.perplexity(trainer.model, VALID, comm, batch_size=6, time_size=5)
                    (Path(out) / f"perplexity_{comm.rank}.json").write_text(str(ppl))
        elif mode == "resume":  # 3 steps, a checkpoint, 3 more steps in a new trainer == 6 steps at once
            from zeronlp.training import load_checkpoint

            path = Path(out) / "run.ckpt.npz"
            first = make_trainer("lstm", checkpoint=path, stop_after=3)
            distributed.wrap(first, comm)
            first.fit()
            comm.comm.Barrier()  # rank 0 has written the checkpoint
            saved = load_checkpoint(path)
            second = make_trainer("lstm")
            second.model, second.optimizer = saved.model, saved.optimizer
            distributed.wrap(second, comm)
            second.load_state(saved)
            second.fit()
            np.savez(Path(out) / f"resumed_{comm.rank}.npz", *[np.asarray(p) for p in second.model.params])
        elif mode == "mismatch":
            trainer = make_trainer("mlp", stop_after=2 + comm.rank)
            distributed.wrap(trainer, comm)
            trainer.fit()
        else:  # 'raise' or 'hang' on rank 1
            trainer = make_trainer("lstm", callbacks=[_Fail(mode, comm.rank)])
            distributed.wrap(trainer, comm)
            trainer.fit()
    except (ValueError, ConnectionError) as e:
        print(f"rank {comm.rank}: error: {e}", file=sys.stderr, flush=True)
        return 2
    return 0


# ---------------------------------------------------------------------------- launching
def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("the mpi extra is not installed (pip install 'zeronlp[mpi]': mpi4py and the mpich wheel)")
    path = shutil.which("mpiexec")
    if path is None:
        pytest.skip("mpiexec is not on PATH (pip install 'zeronlp[mpi]' brings the mpich wheel's mpiexec)")
    return path


def launch(mode: str, out, timeout: float = 120, **env):
    command = [_mpiexec(), "-n", "2", sys.executable, __file__, mode, str(out)]
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **env}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment)
    return done, time.perf_counter() - start


@pytest.fixture(scope="module")
def equal_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ranks")
    done, _ = launch("equal", out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_two_ranks_equal_one_process(equal_run, case):
    reference = make_trainer(case)
    reference.fit()
    ranks = [np.load(equal_run / f"{case}_{r}.npz") for r in (0, 1)]
    for i, p in enumerate(reference.model.params):
        a, b = ranks[0][f"arr_{i}"], ranks[1][f"arr_{i}"]
        np.testing.assert_array_equal(a, b, err_msg=f"{case}: the ranks differ in parameter {i}")
        if case in NOISE_ONLY and NOISE_ONLY[case][0] == i:
            keep = np.ones(len(p), bool)
            keep[NOISE_ONLY[case][1]] = False
            a, p = a[keep], p[keep]
        np.testing.assert_allclose(a, p, rtol=RTOL, atol=ATOL, err_msg=f"{case}: parameter {i}")
    assert reference.step == STEPS or case in ("classifier", "mlp")


@pytest.mark.slow
def test_perplexity_over_the_ranks_equals_one_process(equal_run):
    from zeronlp.evaluate import perplexity

    reference = make_trainer("lstm")
    reference.fit()
    expected = perplexity(reference.model, VALID, batch_size=6, time_size=5)
    for r in (0, 1):
        assert float((equal_run / f"perplexity_{r}.json").read_text()) == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_dense_sparse_reduction_equals_gathered(tmp_path):
    done, _ = launch("equal", tmp_path, TEST_SPARSE="dense")
    assert done.returncode == 0, done.stderr
    reference = make_trainer("classifier")
    reference.fit()
    for i, p in enumerate(reference.model.params):
        np.testing.assert_allclose(np.load(tmp_path / "classifier_0.npz")[f"arr_{i}"], p, rtol=RTOL, atol=ATOL)


@pytest.mark.slow
def test_a_resumed_distributed_run_equals_an_uninterrupted_one(equal_run, tmp_path):
    done, _ = launch("resume", tmp_path)
    assert done.returncode == 0, done.stderr
    for r in (0, 1):  # bit for bit: the carried state of every rank's streams is in the checkpoint
        resumed, straight = np.load(tmp_path / f"resumed_{r}.npz"), np.load(equal_run / f"lstm_{r}.npz")
        for name in straight.files:
            np.testing.assert_array_equal(resumed[name], straight[name])


@pytest.mark.slow
def test_ranks_that_disagree_fail_on_every_rank(tmp_path):
    done, seconds = launch("mismatch", tmp_path, timeout=60)
    assert done.returncode != 0
    for rank in (0, 1):
        assert f"rank {rank}: error: the ranks do not run the same configuration" in done.stderr, done.stderr
    assert "differ from rank 0 in: run" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("how", ["raise", "hang"])
def test_a_failing_rank_stops_the_others(tmp_path, how):
    done, seconds = launch(how, tmp_path, timeout=50, TEST_TIMEOUT="3")
    assert done.returncode != 0
    assert seconds < 30
    if how == "raise":
        assert "rank 1: error: rank 1 fails on purpose" in done.stderr
    else:
        assert "rank 0: error: rank 0: no answer from the other ranks within 3s" in done.stderr


# ---------------------------------------------------------------------------- without MPI
def test_without_mpiexec_is_a_clear_error(monkeypatch):
    for name in distributed.LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="must be launched by MPI: mpiexec -n 2"):
        distributed.Communicator()


class _FakeComm:
    def __init__(self, rank, size):
        self.rank, self.size = rank, size


def test_shards_cover_the_global_batch():
    ids = np.arange(200, dtype=np.int32)
    source = BPTTBatches(ids, 5, 4)
    parts = [distributed.ShardedBatches(BPTTBatches(ids, 5, 4), _FakeComm(r, 2)) for r in (0, 1)]
    for s in (source, *parts):
        s.start_epoch(0)
    for i in range(len(source)):
        full = source.batch(i)
        shards = [p.batch(i) for p in parts]
        np.testing.assert_array_equal(np.concatenate([s[0] for s in shards]), full[0])
        np.testing.assert_array_equal(np.concatenate([s[1] for s in shards]), full[1])
        assert [p.weight for p in parts] == [2 / 5, 3 / 5]
        assert parts[0].size(shards[0]) == full[0].size  # throughput counts the global batch
    assert len(parts[0]) == len(source)


def test_a_batch_smaller_than_the_ranks_is_refused():
    source = distributed.ShardedBatches(ArrayBatches(np.zeros((3, 2)), batch_size=1), _FakeComm(0, 2))
    source.start_epoch(0)
    with pytest.raises(ValueError, match="fewer than the 2 ranks"):
        source.batch(0)


def test_the_configuration_summary_sees_options_and_data():
    a, b, c = make_trainer("lstm"), make_trainer("lstm"), make_trainer("lstm", stop_after=2)
    assert distributed.config_summary(a) == distributed.config_summary(b)
    assert [k for k, v in distributed.config_summary(c).items() if v != distributed.config_summary(a)[k]] == ["run"]
    b.source.corpus = b.source.corpus.copy()
    b.source.corpus[-1] += 1  # another corpus of the same length
    assert [k for k, v in distributed.config_summary(b).items() if v != distributed.config_summary(a)[k]] == ["data"]
    assert distributed.config_summary(a, {"lr": 1}) != distributed.config_summary(a, {"lr": 2})


def test_setup_leaves_a_run_without_distributed_alone():
    import argparse

    trainer = make_trainer("mlp")
    source = trainer.source
    assert distributed.setup(argparse.Namespace(distributed=False), trainer) is None
    assert trainer.source is source and not trainer.callbacks


def test_shard_bounds_split_evenly():
    for n in range(1, 12):
        for size in range(1, n + 1):
            bounds = [distributed.shard_bounds(n, size, r) for r in range(size)]
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            assert max(h - lo for lo, h in bounds) - min(h - lo for lo, h in bounds) <= 1


if __name__ == "__main__":  # the program each rank runs under mpiexec
    sys.exit(worker(sys.argv[1], sys.argv[2]))
