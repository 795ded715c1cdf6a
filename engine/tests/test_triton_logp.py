"""The fused log-prob/entropy kernels against train._logp_entropy: compiled on a CUDA device, else on the
CPU through Triton's interpreter.

Blocks are shrunk so that small vocabularies take several loop iterations with a ragged tail.
"""

from __future__ import annotations

import os

import pytest
import torch

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
INTERPRET = DEVICE.type == "cpu"

# Triton picks interpreted or compiled versions of its own library functions (tl.max, tl.sum) when it is
# first imported, so on the CPU the interpreter must be on then; it is switched off again so that the rest
# of the suite keeps the torch path (triton_logp.available reads it at call time). With CUDA the tests run
# compiled kernels and leave Triton as it is, since torch.compile in other tests needs it compiled.
_before = os.environ.get("TRITON_INTERPRET")
if INTERPRET:
    os.environ["TRITON_INTERPRET"] = "1"
try:
    triton = pytest.importorskip("triton")
finally:
    if _before is None:
        os.environ.pop("TRITON_INTERPRET", None)
    else:
        os.environ["TRITON_INTERPRET"] = _before

import triton.language as tl  # noqa: E402
from triton.runtime.interpreter import InterpretedFunction  # noqa: E402

if INTERPRET and not isinstance(tl.max, InterpretedFunction):
    pytest.skip(
        "triton was imported before its interpreter was enabled; run this file in its own pytest process",
        allow_module_level=True,
    )

from oneshot_engine import train, triton_logp  # noqa: E402


@pytest.fixture(autouse=True)
def kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    if INTERPRET:
        monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setattr(triton_logp, "FWD_BLOCK", 128)
    monkeypatch.setattr(triton_logp, "BWD_BLOCK", 256)


def make(n, d, v, dtype, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(n, d, generator=g) * scale
    w = torch.randn(v, d, generator=g) * d**-0.5 * 3
    targets = torch.randint(0, v, (n,), generator=g)
    targets[0] = 0
    targets[-1] = v - 1
    a, b = torch.randn(n, generator=g), torch.randn(n, generator=g)
    h, w = (x.to(DEVICE, dtype).requires_grad_() for x in (h, w))
    return h, w, targets.to(DEVICE), a.to(DEVICE), b.to(DEVICE)


def run(fn, h, w, targets, a, b):
    h.grad = w.grad = None
    logp, ent = fn(h, w, targets)
    (a * logp + b * ent).sum().backward()
    grad_w = None if w.grad is None else w.grad.clone()
    return logp.detach(), ent.detach(), h.grad.clone(), grad_w


def close(got, want, rtol, atol_frac):
    """Within rtol, plus atol_frac of the reference's largest magnitude (bf16 gradients differ by ulps)."""
    torch.testing.assert_close(got.to(want.dtype), want, rtol=rtol, atol=atol_frac * float(want.abs().max()) + 1e-6)


TOL = {torch.float32: (1e-5, 1e-5), torch.bfloat16: (0, 2e-2)}


@pytest.mark.parametrize(
    "n,d,v,dtype",
    [
        (1, 16, 50, torch.float32),
        (5, 64, 256, torch.float32),
        (37, 16, 1000, torch.float32),
        (7, 64, 257, torch.bfloat16),
        (37, 64, 1000, torch.bfloat16),
    ],
)
def test_matches_reference(n, d, v, dtype):
    h, w, targets, a, b = make(n, d, v, dtype)
    got = run(triton_logp.fused_logp_entropy, h, w, targets, a, b)
    want = run(train._logp_entropy, h, w, targets, a, b)
    rtol, atol = TOL[dtype]
    for x, y in zip(got[:2], want[:2], strict=True):
        close(x, y, 1e-5, 1e-6)
    for x, y in zip(got[2:], want[2:], strict=True):
        close(x, y, rtol, atol)


def float64_logp_entropy(h, w, targets):
    logits = h @ w.t()
    lse = logits.logsumexp(-1)
    probs = (logits - lse[:, None]).exp()
    return logits.gather(-1, targets[:, None]).squeeze(-1) - lse, lse - (probs * logits).sum(-1)


def test_chunked():
    # chunk 4 of 37 rows leaves a last chunk of one row; grad_w sums over the chunks. Against float64,
    # since with logits this spread the fp32 reference is itself off by ~2e-5 of the gradients' scale.
    h, w, targets, a, b = make(37, 16, 300, torch.float32, seed=1, scale=2.0)
    got = run(lambda *x: triton_logp.fused_logp_entropy(*x, chunk=4), h, w, targets, a, b)
    h64, w64 = h.detach().double().requires_grad_(), w.detach().double().requires_grad_()
    true = run(float64_logp_entropy, h64, w64, targets, a.double(), b.double())
    for x, z in zip(got, true, strict=True):
        close(x.double(), z, 0, 2e-6)


def test_peaked_rows_against_float64():
    # Logits of spread 30 (entropies down to ~0): the reference's fp32 lse - sum(p * logit) cancels two
    # large numbers; the kernel's log S - T / S does not. w = I makes h the logits and grad_h their grad.
    g = torch.Generator().manual_seed(3)
    logits = (torch.randn(37, 300, generator=g) * 30).to(DEVICE)
    targets = torch.randint(0, 300, (37,), generator=g).to(DEVICE)
    a, b = torch.randn(37, generator=g).to(DEVICE), torch.randn(37, generator=g).to(DEVICE)
    eye = torch.eye(300, device=DEVICE)
    got = run(lambda *x: triton_logp.fused_logp_entropy(*x, chunk=8), logits.clone().requires_grad_(), eye, targets, a, b)
    ref = run(train._logp_entropy, logits.clone().requires_grad_(), eye, targets, a, b)
    true = run(float64_logp_entropy, logits.double().requires_grad_(), eye.double(), targets, a.double(), b.double())
    assert float(true[1].min()) < 1e-3
    for x, y, z, tol in zip(got[:3], ref[:3], true[:3], (2e-5, 1e-5, 1e-4), strict=True):
        err = float((x.double() - z).abs().max())
        assert err <= tol and err <= 1.01 * float((y.double() - z).abs().max()) + 1e-7


def test_train_path_uses_kernel_and_frozen_weight():
    h, w, targets, a, b = make(9, 16, 130, torch.float32, seed=2)
    w.requires_grad_(False)
    logp, ent = train.token_logp_entropy(h, w, targets)
    assert logp.grad_fn is not None and "LogpEntropy" in type(logp.grad_fn).__name__
    (a * logp + b * ent).sum().backward()
    assert w.grad is None
    ref_logp, ref_ent = train._logp_entropy(h, w, targets)
    close(logp.detach(), ref_logp.detach(), 1e-5, 1e-6)
    close(ent.detach(), ref_ent.detach(), 1e-5, 1e-6)
    with torch.no_grad():
        logp_ng, _ = train.token_logp_entropy(h, w, targets)
    assert logp_ng.grad_fn is None
    torch.testing.assert_close(logp_ng, logp.detach())


def test_availability_and_empty(monkeypatch):
    assert triton_logp.available(DEVICE)
    h, w, targets = torch.randn(4, 8, device=DEVICE), torch.randn(5, 8, device=DEVICE), torch.zeros(4, dtype=torch.long, device=DEVICE)
    with monkeypatch.context() as m:  # the triton option off (ONESHOT_TRITON=0) keeps the torch path
        m.setattr(triton_logp, "fused_logp_entropy", lambda *a: pytest.fail("the fused path ran with triton off"))
        assert train.token_logp_entropy(h, w, targets, triton=False)[0].shape == (4,)
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    assert not triton_logp.available(torch.device("cpu"))
    empty = torch.zeros(0, 8, device=DEVICE)
    logp, ent = triton_logp.fused_logp_entropy(empty, torch.zeros(5, 8, device=DEVICE), torch.zeros(0, dtype=torch.long, device=DEVICE))
    assert logp.shape == ent.shape == (0,)


def test_chunk_rows():
    # Qwen2.5's vocabulary in bf16: at most 1,766 rows of 512 MiB, split evenly.
    assert triton_logp.chunk_rows(2048, 151936, 2) == 1024
    assert triton_logp.chunk_rows(1000, 151936, 2) == 1000
    assert triton_logp.chunk_rows(5, 10**9, 4) == 1
    assert triton_logp.chunk_rows(37, 300, 4, chunk_bytes=4 * 300 * 4) == 4


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
def test_kept_logits_give_the_same_values_and_gradients_without_the_recompute(dtype, monkeypatch):
    """keep=True: backward uses the forward's logits chunks instead of recomputing h @ w.t(); values
    and gradients are the recomputing path's (bit for bit: the same GEMM made the same chunks)."""
    h, w, targets, a, b = make(37, 16, 300, dtype, seed=4)
    plain = run(lambda *x: triton_logp.fused_logp_entropy(*x, chunk=8), h, w, targets, a, b)
    products: list[tuple[int, ...]] = []
    inner = torch.Tensor.__matmul__

    def counted(x, y):
        products.append(tuple(x.shape))
        return inner(x, y)

    monkeypatch.setattr(torch.Tensor, "__matmul__", counted)
    kept = run(lambda *x: triton_logp.fused_logp_entropy(*x, chunk=8, keep=True), h, w, targets, a, b)
    assert len(products) == 5  # the forward's 5 chunks only: backward recomputed none
    for x, y in zip(kept, plain, strict=True):
        assert torch.equal(x, y)
    with torch.no_grad():  # nothing to keep for: no graph
        logp, _ = triton_logp.fused_logp_entropy(h, w, targets, chunk=8, keep=True)
    torch.testing.assert_close(logp, plain[0])
