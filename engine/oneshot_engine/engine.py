"""The engine's state between calls (model, tokenizer, optimizer, kept rollout batches) and its methods.

Each public method takes a parsed params dataclass (protocol.py) and returns its typed result (a
TypedDict of protocol.py, the JSON of the matching TypeScript interface); the params travel on to the
trainer as they are. The engine's options (options.py) are given once at construction and passed down;
the loaded model's runtime state (decode runner, CUDA graphs, compiled training layers, activation
sizes) lives in a runtime.ModelRuntime the engine owns, released with the model.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from . import __version__, lora, protocol
from .checkpoint import save_checkpoint
from .distributed import Dist, call_rows, rollout_shares
from .errors import BAD_CONFIG, MODEL_NOT_FOUND, NO_BATCH, EngineError, bad_config, invalid_params
from .generate import Rollout, RolloutBatch, SamplingParams, generate
from .hub import resolve_model_dir
from .loading import DTYPES, damaged, load_model
from .model import Transformer
from .options import EngineOptions
from .runtime import ModelRuntime
from .sharded import SHARDED_DIR, Placement, restore_state, save_state, sharded_trainer
from .tokenizer import TextTokenizer, format_prompt
from .train import Trainer, peak_memory_gb

KEPT_BATCHES = 4
STATE_FILE = "engine_state.pt"

Notify = Callable[[str, dict[str, Any]], None]


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


class Engine:
    def __init__(
        self,
        notify: Notify,
        check_abort: Callable[[], None] = lambda: None,
        options: EngineOptions | None = None,
        dist: Dist | None = None,
    ) -> None:
        """options: read from the environment once by the caller (server.serve); the defaults otherwise.
        dist: this process's place among several engines under torchrun (distributed.py), or None."""
        self.dist = dist
        self.notify = notify
        self.check_abort = check_abort
        self.options = options or EngineOptions()
        self.options.apply_torch_settings()
        self.model: Transformer | None = None
        self.runtime: ModelRuntime | None = None
        self.tok: TextTokenizer | None = None
        self.trainer: Trainer | None = None
        self.source_dir: Path | None = None
        self.raw_config: dict[str, Any] = {}
        self.reference_source: dict[str, Any] | None = None
        # A LoRA run's adapters and the source of its base weights (which a resume loads again: the
        # checkpoint folder holds merged weights).
        self.lora: protocol.LoraParams | None = None
        self.base_source: dict[str, Any] = {}
        self.batches: OrderedDict[str, RolloutBatch] = OrderedDict()
        # Under torchrun: the rows of each kept batch's generate call that this rank's batch holds.
        self.batch_rows: dict[str, Placement] = {}

    def progress(self, phase: str, done: int, total: int) -> None:
        self.check_abort()
        self.notify("progress", {"phase": phase, "done": done, "total": total})

    def log(self, level: str, message: str) -> None:
        self.notify("log", {"level": level, "message": message})

    # -- hello / shutdown ------------------------------------------------------------------------------

    def hello(self, _: protocol.NoParams) -> protocol.HelloResult:
        cuda = torch.cuda.is_available()
        return {
            "protocol_version": protocol.PROTOCOL_VERSION,
            "engine_version": __version__,
            "torch_version": torch.__version__,
            "device": device_label(torch.device("cuda" if cuda else "cpu")),
            "cuda_available": cuda,
            "options": self.options.report(),
            "gpu_memory": gpu_memory(self.options.memory_limit_gb) if cuda else None,
            "world_size": self.dist.size if self.dist is not None else 1,
        }

    # -- load ------------------------------------------------------------------------------------------

    def _release(self) -> None:
        if self.runtime is not None:
            self.runtime.release_decoder()
        self.model = self.tok = self.trainer = self.runtime = None
        self.reference_source = self.lora = None
        self.batches.clear()
        self.batch_rows.clear()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def load(self, p: protocol.LoadParams) -> protocol.LoadResult:
        self._release()
        device = _pick_device(p.device)
        if self.dist is not None and device.type != self.dist.device.type:
            raise bad_config(f"under torchrun each engine process computes on {self.dist.device}, not {device}.")
        dtype = DTYPES[p.dtype]
        if p.train and p.optimizer is None:
            raise bad_config("load with train=true needs optimizer settings.")
        state_file = _state_file(p.resume_state) if p.resume_state else None
        lora_params = p.lora if p.train and lora.active(p.lora) else None
        if lora_params is not None:
            if self.dist is not None:
                raise bad_config("LoRA does not run under torchrun yet; use --devices 1.")
            lora.check_settings(lora_params)
        # Each rank its own random stream (unseeded rollouts must differ between ranks); rank 0 keeps p.seed.
        torch.manual_seed((p.seed + (self.dist.rank if self.dist else 0)) % 2**64)
        self.progress("load", 0, 2)

        def read() -> tuple[dict[str, Any] | None, dict[str, Any], Path, Transformer, dict[str, Any], TextTokenizer]:
            state = _read_state(state_file) if state_file else None
            if state is not None and p.train:
                lora.check_resume(state.get("lora"), lora_params)
            source = lora.base_source(state, p.model, p.revision)
            with _resumed_files(state_file, source["model"]), lora.loading_base(state):
                model_dir = resolve_model_dir(source["model"], source["revision"])
                model, raw = load_model(model_dir, dtype, device, lambda d, t: self.progress("load_weights", d, t))
                tok = TextTokenizer(model_dir)
            return state, source, model_dir, model, raw, tok

        # Under torchrun every rank reads its files; all must have them before sharding meets.
        state, source, model_dir, model, raw, tok = self.dist.agree(read, "load") if self.dist else read()
        if tok.vocab_size > model.cfg.vocab_size:
            raise bad_config(
                f"the tokenizer has {tok.vocab_size} tokens but the model only {model.cfg.vocab_size} embeddings."
            )
        self.progress("load", 1, 2)
        model.requires_grad_(p.train)
        model.gradient_checkpointing = p.gradient_checkpointing
        n_params = sum(t.numel() for t in model.parameters())
        if lora_params is not None:
            trainable = lora.attach(model, lora_params)
            self.log("info", f"LoRA rank {lora_params.rank}: {trainable:,} trainable parameters ({trainable / n_params:.2%} of {n_params:,})")
        runtime = ModelRuntime(model, self.options)
        reference = None
        if p.reference_model and p.train:
            # LoRA: the policy with its adapters off is the base model (train.py switches them off).
            reference = model if lora_params is not None else self._reference(model, state, p, dtype, device)
            self.reference_source = (state or {}).get("reference") or source
        if p.train:
            assert p.optimizer is not None
            if self.dist is not None:
                self.trainer = sharded_trainer(model, runtime, p.optimizer, reference, self.dist)
            else:
                self.trainer = Trainer(model, p.optimizer, reference, runtime)
            self.log("info", f"optimizer state: {self.trainer.optimizer_state}, {self.trainer.state_gb():.2f} GB")
            if state is not None:
                assert state_file is not None
                self._restore(state, device, state_file)
        elif state is not None:
            raise bad_config("resume_state needs train=true (it restores the optimizer).")
        self.model, self.runtime, self.tok, self.source_dir, self.raw_config = model, runtime, tok, model_dir, raw
        self.lora, self.base_source = lora_params, source
        self.progress("load", 2, 2)
        return {
            "model_type": model.cfg.model_type,
            "params": n_params,
            "device": device_label(device),
            "dtype": p.dtype,
            "vocab_size": model.cfg.vocab_size,
            "max_position_embeddings": model.cfg.max_position_embeddings,
            "has_chat_template": tok.chat_template is not None,
            "options": self.options.effective(device).report(),
        }

    def _reference(
        self,
        model: Transformer,
        state: dict[str, Any] | None,
        p: protocol.LoadParams,
        dtype: torch.dtype,
        device: torch.device,
    ) -> Transformer:
        """A frozen copy of the initial policy. On resume the KL still measures against the run's start."""
        source = (state or {}).get("reference")
        if source and source.get("model") != p.model:
            try:
                ref, _ = load_model(resolve_model_dir(source["model"], source.get("revision")), dtype, device)
            except EngineError as e:
                self.log("warn", f"reference model {source['model']} unavailable ({e.message}); using the resumed weights.")
            else:
                return ref.requires_grad_(False).eval()
        return copy.deepcopy(model).requires_grad_(False).eval()

    def _restore(self, state: dict[str, Any], device: torch.device, state_file: Path) -> None:
        trainer = self.trainer
        assert trainer is not None
        if state.get("lora"):
            lora.restore(trainer.model, state["lora"])
        master = state.get("master")
        # Checkpoints from before optimizer_state existed: fp32 masters, or none on an fp32 model.
        saved_kind = state.get("optimizer_state", "fp32")
        if saved_kind != trainer.optimizer_state:
            raise bad_config(
                f"resume_state was saved with optimizer_state: {saved_kind} but this run asks for "
                f"{trainer.optimizer_state}; resume with optimizer_state: {saved_kind}."
            )
        if trainer.shard is not None:
            restore_state(trainer, state, state_file.parent)
            trainer.steps = state["steps"]
            return
        if "sharded" in state:
            raise bad_config(
                f"resume_state was saved by {state['sharded']['world_size']} engine processes under torchrun; "
                "resume it under torchrun."
            )
        if trainer.use_master:
            if master is None or len(master) != len(trainer.master):
                raise bad_config("resume_state does not hold fp32 master weights for this model.")
            with torch.no_grad():
                for m, saved in zip(trainer.master, master, strict=True):
                    if m.shape != saved.shape:
                        raise bad_config("resume_state was saved for a model of another shape.")
                    m.copy_(saved)
        try:
            trainer.optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError) as e:
            raise bad_config(f"resume_state's optimizer state does not fit this model: {e}.") from None
        trainer.steps = state["steps"]
        rng = state["rng"]
        try:
            if rng.get("cpu") is not None:
                torch.set_rng_state(rng["cpu"])
            if device.type == "cuda" and rng.get("cuda") is not None:
                torch.cuda.set_rng_state_all(rng["cuda"])
        except (RuntimeError, TypeError, ValueError):
            raise damaged(state_file.parent, f"the random generator states in {state_file.name} are invalid") from None

    # -- prompts and rollouts --------------------------------------------------------------------------

    def _loaded(self) -> tuple[Transformer, TextTokenizer]:
        if self.model is None or self.tok is None:
            raise bad_config("no model is loaded (call load first).")
        return self.model, self.tok

    def format_prompt(self, p: protocol.FormatPromptParams) -> protocol.FormatPromptResult:
        _, tok = self._loaded()
        messages = [{"role": m.role, "content": m.content} for m in p.messages]
        text = format_prompt(tok, messages, p.prompt_template)
        context = self._context()
        if p.max_prompt_tokens is not None and p.max_prompt_tokens < context:
            limit = p.max_prompt_tokens
            ids = tok.encode_within(text, limit, "the formatted prompt", f"max_prompt_tokens ({limit})")
        else:
            ids = tok.encode_within(text, context, "the formatted prompt", _context_text(context))
        return {"text": text, "tokens": len(ids)}

    def _context(self) -> int:
        model, _ = self._loaded()
        return model.cfg.max_position_embeddings

    def generate(self, p: protocol.GenerateParams) -> protocol.GenerateResult:
        model, tok = self._loaded()
        if not p.prompts:
            raise bad_config("generate needs at least one prompt.")
        context = self._context()
        limit = p.max_response_tokens
        if limit >= context:
            raise invalid_params(f"params.max_response_tokens must be < {_context_text(context)}, not {limit:,}.")
        room = context - limit
        room_text = f"{_context_text(context)} with max_response_tokens {limit}"
        # A run sends its prompt prompt_copies times (128 in the paper's recipe): each distinct text
        # is tokenised once, tens of ms less on the host before every step's prefill.
        distinct: dict[str, list[int]] = {}
        for i, text in enumerate(p.prompts):
            if text not in distinct:
                distinct[text] = tok.encode_within(text, room, f"prompt {i}", room_text)
        prompts = [distinct[text] for text in p.prompts]
        if any(not ids for ids in prompts):
            raise bad_config("a prompt is empty after tokenisation.")
        # generate's options: GenerateParams' sampling fields, under the same names, plus what only the
        # bench tools set (ignore_eos).
        sp = SamplingParams(
            rollouts=p.rollouts,
            temperature=p.temperature,
            top_p=p.top_p,
            top_k=p.top_k,
            max_response_tokens=p.max_response_tokens,
            stop=p.stop,
            seed=p.seed,
        )
        if self.runtime is not None and self.runtime.fast_decode() and not self.runtime.decoder_built:
            # The first fast generate builds the decode runner and captures its CUDA graphs (compiling
            # kernels on the way): tens of seconds a watcher should see named, until "generate" follows.
            self.progress("compile", 0, 1)
        device = next(model.parameters()).device
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)

        rows = None
        stream = self._stream_outputs if p.stream_outputs else None
        if self.dist is not None:
            shares = rollout_shares(sp.rollouts, self.dist.size)
            if p.keep_for_training and 0 in shares:
                raise bad_config(
                    f"rollouts ({sp.rollouts}) must be at least the number of processes ({self.dist.size}) "
                    "to train on the rollouts: each trains on its own."
                )
            rows = Placement(call_rows(len(prompts), shares, self.dist.rank), len(prompts) * sp.rollouts)
            if stream is not None:  # rank 0 streams its own rows, at their places in the whole call
                stream = lambda done, mine=rows.rows, send=stream: send([(mine[i], r) for i, r in done])  # noqa: E731

        def run(sp: SamplingParams) -> tuple[list[Rollout], RolloutBatch, float]:
            return generate(
                model,
                tok,
                prompts,
                sp,
                on_step=lambda d, t: self.progress("generate", d, t),
                runtime=self.runtime,
                wave_rows=p.rollout_wave_size,
                on_rows=stream,
            )

        if self.dist is None:
            rollouts, batch, seconds = run(sp)
        else:
            rollouts, batch, seconds = self.dist.generate(run, sp, len(prompts), shares)
        tokens = sum(r.tokens for r in rollouts)
        result: protocol.GenerateResult = {
            "outputs": [_output(r) for r in rollouts],
            "time_s": seconds,
            "generated_tokens": tokens,
            "tokens_per_s": tokens / seconds if seconds > 0 else 0.0,
            "peak_mem_gb": peak_memory_gb(device),
        }
        if self.dist is not None:
            batch_id = self.dist.broadcast(uuid.uuid4().hex[:12])
            result["peak_mem_gb"] = max(self.dist.all_gather(result["peak_mem_gb"]))
        else:
            batch_id = uuid.uuid4().hex[:12]
        if p.keep_for_training:
            self.batches[batch_id] = batch
            if rows is not None:
                self.batch_rows[batch_id] = rows
            while len(self.batches) > KEPT_BATCHES:
                self.batch_rows.pop(self.batches.popitem(last=False)[0], None)
            result["batch_id"] = batch_id
        return result

    def _stream_outputs(self, rows: list[tuple[int, Rollout]]) -> None:
        outputs: list[protocol.StreamedOutput] = [{"index": i, **_output(r)} for i, r in rows]
        self.notify("outputs", {"outputs": outputs})

    # -- training --------------------------------------------------------------------------------------

    def train_step(self, p: protocol.TrainStepParams) -> protocol.TrainStepResult:
        self._loaded()
        if self.trainer is None:
            raise bad_config("the model was loaded for evaluation only (load with train=true to train).")
        batch = self.batches.get(p.batch_id)
        if batch is None:
            raise EngineError(
                NO_BATCH,
                f"no rollout batch '{p.batch_id}' is kept (the engine keeps the last {KEPT_BATCHES} generate "
                "calls made with keep_for_training, and load clears them).",
            )
        placement = self.batch_rows.get(p.batch_id)
        result = self.trainer.step(batch, p, lambda d, t: self.progress("train", d, t), placement)
        if result["grad_norm"] != result["grad_norm"] or abs(result["grad_norm"]) == float("inf"):
            self.log("warn", "the gradient norm is not finite; the optimizer step was skipped.")
        return result

    # -- checkpoints -----------------------------------------------------------------------------------

    def save(self, p: protocol.SaveParams) -> protocol.SaveResult:
        model, _ = self._loaded()
        t0 = time.perf_counter()
        out = Path(p.path).expanduser()
        leader = self.dist is None or self.dist.leader  # under torchrun rank 0 writes the whole weights
        files = save_checkpoint(model, self.raw_config, self.source_dir, out) if leader else []
        if self.lora is not None:
            files += lora.write_peft_adapter(model, self.lora, self.base_source["model"], out)
        if p.include_state:
            if self.trainer is None:
                raise bad_config("include_state needs a model loaded with train=true.")
            state = self._state(out)
            if leader:
                _write_state(out / STATE_FILE, state)
                files += [SHARDED_DIR, STATE_FILE] if "sharded" in state else [STATE_FILE]
        return {"path": str(out), "files": files, "time_s": time.perf_counter() - t0}

    def _state(self, out: Path) -> dict[str, Any]:
        trainer = self.trainer
        assert trainer is not None
        cuda = torch.cuda.is_available()
        common = {
            "version": 1,
            "optimizer_state": trainer.optimizer_state,
            "steps": trainer.steps,
            "rng": {"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if cuda else None},
            "reference": self.reference_source if trainer.reference is not None else None,
            "lora": lora.state(trainer.model, self.lora, self.base_source) if self.lora is not None else None,
        }
        if trainer.shard is not None:  # the weights and moments go to out/SHARDED_DIR, each rank its shards
            return {**common, **save_state(trainer, out)}
        return {
            **common,
            "optimizer": trainer.optimizer.state_dict(),
            "master": [m.detach() for m in trainer.master] if trainer.use_master else None,
        }


def _output(r: Rollout) -> protocol.GenerateOutput:
    return {"prompt_index": r.prompt_index, "text": r.text, "tokens": r.tokens, "finish_reason": r.finish_reason}


def gpu_memory(limit_gb: float | None) -> protocol.GpuMemory:
    """The current GPU's memory in GiB, within `limit_gb` (EngineOptions.memory_limit_gb) when set: the
    card the planner plans for."""
    index = torch.cuda.current_device()
    free, total = torch.cuda.mem_get_info(index)
    if limit_gb is not None and limit_gb * 1024**3 < total:
        total = int(limit_gb * 1024**3)
        free = max(0, min(free, total - torch.cuda.memory_reserved(index)))
    return {"total_gb": total / 1024**3, "free_gb": free / 1024**3, "name": torch.cuda.get_device_name(index)}


def _context_text(context: int) -> str:
    return f"the model's context of {context} tokens (max_position_embeddings)"


def _pick_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise bad_config("device 'cuda' was requested but PyTorch sees no GPU.", "no_cuda")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _state_file(path_text: str) -> Path:
    """`resume_state` names a checkpoint folder or its state file."""
    path = Path(path_text).expanduser()
    return path if path.is_file() or path.name == STATE_FILE else path / STATE_FILE


def _read_state(path: Path) -> dict[str, Any]:
    folder = path.parent
    if not path.is_file():
        raise damaged(folder, f"{path.name} is missing" if folder.is_dir() else "the folder does not exist")
    try:
        # On the CPU: optimizer.load_state_dict moves each tensor to its parameter's device, except Adam's
        # step counters, which must stay on the CPU.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - torch's own messages advise unsafe loading; the cause is one thing
        raise damaged(folder, f"{path.name} is truncated or corrupt (it cannot be unpickled)") from None
    optimizer = state.get("optimizer") if isinstance(state, dict) else None
    complete = (
        isinstance(state, dict)
        and state.get("version") == 1
        and (isinstance(state.get("sharded"), dict) or (isinstance(optimizer, dict) and {"state", "param_groups"} <= optimizer.keys()))
        and isinstance(state.get("steps"), int)
        and isinstance(state.get("rng"), dict)
    )
    if not complete:
        raise damaged(folder, f"{path.name} is not a complete engine state of version 1")
    return state


@contextlib.contextmanager
def _resumed_files(state_file: Path | None, model: str) -> Iterator[None]:
    """Loading the checkpoint folder being resumed (its weights beside its state): a missing or
    unusable file there is damage (-32006), not a wrong model argument."""
    folder = state_file.parent if state_file else None
    if folder is None or Path(model).expanduser().resolve() != folder.resolve():
        yield
        return
    try:
        yield
    except EngineError as e:
        if e.code not in (MODEL_NOT_FOUND, BAD_CONFIG):
            raise
        what = e.message.rstrip(".").replace(f"{folder}{os.sep}", "").replace(str(folder), "the folder")
        raise damaged(folder, what) from None
