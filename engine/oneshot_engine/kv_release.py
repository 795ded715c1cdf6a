"""Whether the training pass frees the rollout's decode cache before it starts.

The decode runner (ModelRuntime.decoder) keeps its static KV cache and captured graphs between
generate calls, so the next rollout reuses them. At long rollouts that cache is most of the card
(the paper step, 1,024 rows x 3,200 columns: 88 GB) and the training pass beside it has to
checkpoint most layers. Freeing it costs the next rollout a new cache and its graph captures (4 of
them for the paper step's 3,200 columns on the Triton path; the 25 of 128-column buckets took 2.3 s
for those 1,024 rows on an H200); each checkpointed layer costs one more forward of that
layer over every token of the batch (about 0.8 s a layer at the paper's shape). The trainer frees it
when the layers it saves are worth at least RELEASE_MIN_FLOPS of recomputation.
src/core/plan/memory.ts (engineTraining) mirrors this rule.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from .runtime import ModelRuntime

# ~2.5 s of recomputation at 400 TFLOP/s: more than the paper step's graph captures cost.
RELEASE_MIN_FLOPS = 1e15


def layer_matmul_params(model: nn.Module) -> int:
    """Weights of one decoder layer's matrix products (what recomputing it multiplies per token)."""
    layer = model.model.layers[0]
    return sum(m.weight.numel() for m in layer.modules() if isinstance(m, nn.Linear))


def release_pays(saved_layers: int, layer_params: int, tokens: int) -> bool:
    """Whether not recomputing `saved_layers` layers over `tokens` tokens is worth a new decode cache."""
    return saved_layers > 0 and 2 * layer_params * tokens * saved_layers >= RELEASE_MIN_FLOPS


def runner_bytes(runtime: ModelRuntime) -> int:
    """Device bytes the decode runner's tensors hold (its cache, sampling noise, token buffers)."""
    r = runtime.decoder
    if r is None:
        return 0
    tensors = [*r.k, *r.v, r.tok, r.pos, r.col, r.cols, r.pad_bias, r.out, r.noise]
    return sum(t.numel() * t.element_size() for t in tensors)


def release_decoder_if_it_pays(runtime: ModelRuntime, tokens: int, layers_for: Callable[[int], int]) -> bool:
    """Frees the decode runner when that lets the training pass checkpoint enough fewer layers.

    tokens: the batch's tokens (rows x padded width); layers_for(extra_bytes): the layers the
    trainer's rule checkpoints with extra_bytes more free memory. Returns whether it freed it."""
    model = runtime.model
    if runtime.decoder is None or model.gradient_checkpointing or runtime.device.type != "cuda":
        return False
    held = layers_for(0)
    if held == 0:
        return False
    free = layers_for(runner_bytes(runtime))
    if not release_pays(held - free, layer_matmul_params(model), tokens):
        return False
    runtime.release_decoder()
    return True
