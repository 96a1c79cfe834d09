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
    opt = Adam(lr=1.0)
    sched = NoamSchedule(opt, d_model=512, warmup=4000)
    assert opt.lr == pytest.approx(512 ** -0.5 * 4000 ** -1.5)
    lrs = [sched.step() for _ in range(8000)]
    peak = int(np.argmax(lrs)) + 2  # lrs[i] is the rate of step i + 2
    assert peak == 4000
    assert lrs[3998] == pytest.approx(512 ** -0.5 * 4000 ** -0.5)
    assert lrs[-1] == pytest.approx(512 ** -0.5 * 8001 ** -0.5)
    with pytest.raises(ValueError, match="warmup"):
        NoamSchedule(opt, 512, warmup=0)


def test_step_schedule_steps_after_every_update():
    from zeronlp.models import TwoLayerNet
    from zeronlp.optim import LinearDecay
    from zeronlp.training import StepSchedule, Trainer

    r = np.random.default_rng(0)
    x, t = r.standard_normal((40, 2)).astype(np.float32), r.integers(0, 3, 40)
    model = TwoLayerNet(2, 4, 3)
    seen = []

    class Spy(StepSchedule):
        def on_step(self, trainer, iteration):
            super().on_step(trainer, iteration)
            seen.append((iteration, trainer.optimizer.lr))

    trainer = Trainer(model, Adam(lr=0.1), callbacks=[Spy(lambda opt: LinearDecay(opt, 8, final_ratio=0.25))],
                      verbose=False)
    trainer.fit(x, t, max_epoch=2, batch_size=10, eval_interval=None)
    assert [i for i, _ in seen] == list(range(1, 9))
    assert seen[0][1] == pytest.approx(0.1 * 7 / 8) and seen[-1][1] == pytest.approx(0.025)
    with pytest.raises(TypeError, match="StepSchedule"):
        StepSchedule(3)


def test_linear_decay_with_warmup():
    from zeronlp.optim import LinearDecay

    opt = Adam(lr=1.0)
    sched = LinearDecay(opt, total_steps=10, final_ratio=0.0, warmup=4)
    assert opt.lr == pytest.approx(0.25)
    lrs = [sched.step() for _ in range(10)]
    assert lrs[:3] == pytest.approx([0.5 * 0.9, 0.75 * 0.8, 1.0 * 0.7])
    assert lrs[-1] == 0.0
