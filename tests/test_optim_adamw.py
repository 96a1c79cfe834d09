"""AdamW against torch.optim.AdamW, and the Noam warm-up schedule."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.optim import Adam, AdamW, NoamSchedule, make_optimizer


def test_adamw_matches_torch_over_steps():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    params = [r.standard_normal((3, 4)), r.standard_normal(4)]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt_t = torch.optim.AdamW(theirs, lr=0.01, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.1)
    ours = AdamW(lr=0.01, beta1=0.9, beta2=0.98, eps=1e-9, weight_decay=0.1)
    for _ in range(5):
        grads = [r.standard_normal(p.shape) for p in params]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g)
        opt_t.step()
        ours.update(params, grads)
    for p, t in zip(params, theirs):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adamw_without_decay_is_adam_and_state_round_trips():
    r = np.random.default_rng(1)
    a, b = [r.standard_normal(5)], [None]
    b[0] = a[0].copy()
    g = r.standard_normal(5)
    AdamW(lr=0.1, weight_decay=0.0).update(a, [g])
    Adam(lr=0.1).update(b, [g])
    np.testing.assert_allclose(a[0], b[0])
    opt = make_optimizer("adamw", 0.01)
    opt.update(a, [g])
    arrays, scalars = opt.state_dict()
    again = AdamW(lr=0.5)
    again.load_state_dict(arrays, scalars, a)
    assert again.iterations == 1 and again.lr == 0.01
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=-1)


def test_noam_schedule_warms_up_then_decays():
    sched = NoamSchedule(d_model=512, warmup=4000)
    assert sched.lr_at(0) == pytest.approx(512 ** -0.5 * 4000 ** -1.5)
    lrs = [sched.lr_at(k) for k in range(8000)]
    assert int(np.argmax(lrs)) + 1 == 4000  # lrs[k] is the rate of update k + 1
    assert lrs[3999] == pytest.approx(512 ** -0.5 * 4000 ** -0.5)
    assert lrs[-1] == pytest.approx(512 ** -0.5 * 8000 ** -0.5)
    with pytest.raises(ValueError, match="warmup"):
        NoamSchedule(512, warmup=0)


def test_linear_decay_with_warmup():
    from zeronlp.optim import LinearDecay

    sched = LinearDecay(1.0, total_steps=10, final_ratio=0.0, warmup=4)
    lrs = [sched.lr_at(k) for k in range(11)]
    assert lrs[:4] == pytest.approx([0.25, 0.5 * 0.9, 0.75 * 0.8, 1.0 * 0.7])
    assert lrs[-1] == 0.0
