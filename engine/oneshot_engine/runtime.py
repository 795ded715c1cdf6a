"""What the engine keeps beside a loaded model for its fast paths, in one object it owns.

The decode runner (static KV cache and captured CUDA graphs), the compiled twins of the layers for the
training pass and the measured activation sizes live here, not on the nn.Module: the model is weights
and math; releasing a load releases this object with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .decode import DecodeRunner
from .model import Transformer
from .options import EngineOptions


class ModelRuntime:
    def __init__(self, model: Transformer, options: EngineOptions | None = None) -> None:
        self.model = model
        self.options = options or EngineOptions()
        self.decoder: DecodeRunner | None = None
        # Whether a decode runner was built since the load (a later one, after the training pass freed
        # the cache, compiles nothing new: only its graphs are captured again).
        self.decoder_built = False
        # The most KV cache bytes the last generate call held at once (its prefill cache and the decode
        # runner's or the eager loop's cache): what rollout waves bound.
        self.kv_cache_peak_bytes = 0
        # Bytes per token one layer keeps for backward, per micro-batch shape (train.measured_activation_bytes).
        self.activation_bytes: dict[tuple[int, int], int] = {}
        # Compiled twins of the layers (a plain list: their parameters are the model's).
        self._train_layers: list[nn.Module] = []
        # Compiled twins of the frozen reference's layers (reference_layers).
        self._ref_layers: tuple[Transformer, list[nn.Module]] | None = None

    @property
    def device(self) -> torch.device:
        return self.model.model.embed_tokens.weight.device

    def fast_decode(self) -> bool:
        """Whether generate takes the decode runner: on CUDA, unless the options turn it off."""
        return self.device.type == "cuda" and self.options.fast_decode

    def decode_runner(self, rows: int, max_len: int) -> DecodeRunner:
        """The decode runner, reused across calls (its graphs stay valid: weights update in place) and
        rebuilt only when a call needs more rows or columns than it holds."""
        r = self.decoder
        if r is not None and r.rows_max >= rows and r.max_len >= max_len:
            r.refresh_weights()
            return r
        if r is not None:
            self.release_decoder()
        self.decoder = DecodeRunner(self.model, rows, max_len, options=self.options)
        self.decoder_built = True
        return self.decoder

    def release_decoder(self) -> None:
        """Frees the decode buffers and graphs (memory goes back to the caching allocator)."""
        if self.decoder is not None:
            self.decoder = None
            if torch.cuda.is_available():
                torch.cuda.synchronize()
                torch.cuda.empty_cache()

    def training_layers(self) -> Sequence[nn.Module]:
        """The layers the training pass runs: through torch.compile on CUDA, where the generated kernels
        fuse RMSNorm, RoPE and SiLU forward and backward and save fewer activations (a 1.5B step's
        training phase went from 3.4 to 2.7 s on an H200). One compiled graph serves every layer:
        parameters are its inputs. The CPU, or the compile options off, keep the eager layers."""
        layers = self.model.model.layers
        if not self.options.compiles_training or self.device.type != "cuda":
            return layers
        if len(self._train_layers) != len(layers):
            # EngineOptions.apply_torch_settings, at engine start, lets a compiler failure fall back to eager.
            self._train_layers = [torch.compile(layer) for layer in layers]
        return self._train_layers

    def reference_layers(self, reference: Transformer) -> Sequence[nn.Module]:
        """The frozen reference's layers for its log-prob pass, compiled as training_layers compiles the
        policy's (the same layer code: its eager RMSNorm, RoPE and SiLU made that pass 1.3x slower per
        token than the policy's forward with autograd, 24.6 s of the paper step on an H200)."""
        layers = reference.model.layers
        if not self.options.compiles_training or self.device.type != "cuda":
            return layers
        if self._ref_layers is None or self._ref_layers[0] is not reference:
            self._ref_layers = (reference, [torch.compile(layer) for layer in layers])
        return self._ref_layers[1]
