"""Several engine processes under torchrun: rank 0 serves, the other ranks follow.

`python -m torch.distributed.run --nproc-per-node N … -m oneshot_engine serve` starts one engine per
device. Rank 0 speaks JSON-RPC on stdio as a single engine does; before it runs a call it broadcasts
the method and params (torch.distributed.broadcast_object_list) and every other rank runs the same
Engine method, so the collectives inside (FSDP's all-gathers, the rollouts' gather) meet. After the
call every rank reports how it ended; an error on any rank becomes the call's one error, naming the
rank. Followers never read stdin nor write stdout.

Two process groups: the default one (nccl on CUDA, else gloo) for the work, whose collectives time
out after COLLECTIVE_TIMEOUT_S, and a gloo one for requests and outcomes, which a follower waits on
while the controller runs the verifier (so its timeout is long). When rank 0 stops (shutdown, stdin
closed, a signal) it broadcasts the end when idle and, in any case, posts a key in torch.distributed's
store: a follower busy inside a call polls it and exits, so no rank is left waiting for rank 0. A rank
that dies (kill -9) is torchrun's to notice: its agent stops the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from .errors import INTERNAL, OUT_OF_MEMORY, EngineError

# The work's collectives: longer than any gap between two of them inside a call (a rank loading its
# weights while another waits), short enough that a lost rank ends the run in minutes, not hours.
COLLECTIVE_TIMEOUT_S = 600
# Requests and outcomes: a follower waits here between calls while the controller verifies rollouts.
CONTROL_TIMEOUT = timedelta(days=7)
_STOP_KEY = "oneshot_engine/stop"
_BEAT_KEY = "oneshot_engine/beat"
_POLL_S = 0.5


@dataclass(frozen=True)
class World:
    """This process's place in a torchrun launch (RANK, WORLD_SIZE, LOCAL_RANK)."""

    rank: int
    size: int
    local_rank: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> World | None:
        """None when not started by torchrun (a plain single engine); ValueError for bad values."""
        if "RANK" not in env or "WORLD_SIZE" not in env:
            return None
        try:
            world = cls(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", "0")))
        except ValueError:
            raise ValueError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (torchrun sets them).") from None
        if not 0 <= world.rank < world.size:
            raise ValueError(f"RANK {world.rank} is not within WORLD_SIZE {world.size}.")
        return world


class Dist:
    """The process groups of one launch and the request/outcome exchange between rank 0 and the others."""

    def __init__(self, world: World) -> None:
        self.rank, self.size, self.local_rank = world.rank, world.size, world.local_rank
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(self.local_rank)
        self.device = torch.device("cuda", self.local_rank) if cuda else torch.device("cpu")
        dist.init_process_group("nccl" if cuda else "gloo", timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_S))
        self.control = dist.new_group(backend="gloo", timeout=CONTROL_TIMEOUT)
        # torch.distributed's own store (torchrun's rendezvous): where rank 0 posts that it stopped.
        self.store = dist.distributed_c10d._get_default_store()

    @property
    def leader(self) -> bool:
        return self.rank == 0

    # -- collectives on the control group --------------------------------------------------------------

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's `obj` on every rank."""
        box = [obj]
        dist.broadcast_object_list(box, src=0, group=self.control)
        return box[0]

    def all_gather(self, obj: Any) -> list[Any]:
        out: list[Any] = [None] * self.size
        dist.all_gather_object(out, obj, group=self.control)
        return out

    def gather(self, obj: Any) -> list[Any] | None:
        """Every rank's `obj` on rank 0 (None elsewhere)."""
        out: list[Any] | None = [None] * self.size if self.leader else None
        dist.gather_object(obj, out, dst=0, group=self.control)
        return out

    # -- rank 0 ----------------------------------------------------------------------------------------

    def exchange(self, run: Callable[[], Any], what: str) -> list[Any]:
        """Every rank's result of `run` on every rank (for the parts of a call that meet midway): a
        failure on any rank fails the call on all of them, the failing rank's message first."""
        return self._meet(run, what, share=True)

    def agree(self, run: Callable[[], Any], what: str) -> Any:
        """This rank's result of `run` once every rank's has succeeded (as exchange; the results
        themselves stay where they are): before a collective that a failed rank would not reach."""
        return self._meet(run, what, share=False)

    def _meet(self, run: Callable[[], Any], what: str, share: bool) -> Any:
        try:
            result, fields = run(), None
        except EngineError as e:
            result, fields = None, _error_fields(e)
        except Exception as e:  # noqa: BLE001 - reported as the call's error below, on every rank
            result, fields = None, (INTERNAL, f"{what} failed: {type(e).__name__}: {e}".rstrip(".") + ".", None, what)
            if _is_oom(e):
                fields = (OUT_OF_MEMORY, f"rank {self.rank} ran out of memory during {what}.", None, what)
        outcomes = self.all_gather((result if share else None, fields))
        for rank, (_, theirs) in enumerate(outcomes):
            if theirs is not None:
                code, message, reason, phase = theirs
                raise EngineError(code, message if rank == 0 else f"rank {rank}: {message}", reason, phase)
        return [r for r, _ in outcomes] if share else result

    def generate(
        self, run: Callable[[Any], tuple[list[Any], Any, float]], sp: Any, prompts: int, shares: list[int]
    ) -> tuple[list[Any], Any, float]:
        """Data-parallel rollouts: each rank samples its share of each prompt's rollouts with its own
        seed (sp: generate.SamplingParams, run: generate on this rank's model). Returns every rank's
        rollouts in the call's row order (prompt-major, then rank), this rank's batch (None with no
        share) and the slowest rank's seconds."""
        mine = shares[self.rank]
        seed = None if sp.seed is None else (sp.seed + self.rank) % 2**64
        local = dataclasses.replace(sp, rollouts=mine, seed=seed)
        batch: list[Any] = [None]

        def part() -> tuple[list[Any], float]:
            if not mine:
                return [], 0.0
            rollouts, batch[0], seconds = run(local)
            return rollouts, seconds

        parts = self.exchange(part, "generate")
        rollouts = []
        for i in range(prompts):
            for rank, (theirs, _) in enumerate(parts):
                for r in theirs[i * shares[rank] : (i + 1) * shares[rank]]:
                    rollouts.append(dataclasses.replace(r, prompt_index=i))
        return rollouts, batch[0], max(seconds for _, seconds in parts)

    def lead(self, method: str, params: Any, run: Callable[[], Any]) -> Any:
        """Rank 0: has every rank run `method` with `params` (rank 0 runs `run`), and returns rank 0's
        result, or raises the first error of any rank (rank 0's own first). LostRank when a collective
        failed: a rank is gone and the launch is over."""
        try:
            self.broadcast(("call", method, params))
            return self.settle(_attempt(run))
        except RuntimeError as e:  # torch.distributed's errors (DistError among them)
            cause = str(e).splitlines()[0].split(". ")[0].rstrip(".")[:200]
            raise LostRank(f"{method} failed: {self.lost_ranks()} ({cause}).") from e

    def lost_ranks(self) -> str:
        """Which ranks stopped beating (the followers count up a key in the store twice a second)."""
        def beats() -> list[int]:
            return [int(self.store.add(f"{_BEAT_KEY}/{r}", 0)) for r in range(1, self.size)]

        try:
            before = beats()
            time.sleep(3 * _POLL_S)
            gone = [r + 1 for r, (a, b) in enumerate(zip(before, beats(), strict=True)) if a == b]
        except Exception:  # noqa: BLE001 - the store went down with torchrun's agent
            return "the other engine processes are gone"
        if not gone:
            return "a collective between the engine processes failed"
        return f"rank {', '.join(map(str, gone))} stopped" if len(gone) == 1 else f"ranks {', '.join(map(str, gone))} stopped"

    def settle(self, outcome: tuple[Any, EngineError | None]) -> Any:
        """Every rank's outcome of the call meets on every rank: the first error (as rank 0 would say
        it) is raised on all of them, so no rank goes on as if the call had worked."""
        result, error = outcome
        errors = self.all_gather(None if error is None else _error_fields(error))
        if error is not None and self.leader:
            raise error
        for rank, fields in enumerate(errors):
            if fields is not None:
                code, message, reason, phase = fields
                named = rank == 0 or fields == errors[0] or message.startswith("rank ")
                raise EngineError(code, message if named else f"rank {rank}: {message}", reason, phase)
        return result

    def end(self, busy: bool) -> None:
        """Rank 0 is stopping: idle followers get the end as their next request; busy ones see the
        store's key."""
        with contextlib.suppress(Exception):
            self.store.set(_STOP_KEY, b"1")
        if not busy:
            with contextlib.suppress(Exception):
                self.broadcast(("end", None, None))

    # -- the other ranks -------------------------------------------------------------------------------

    def follow(self, call: Callable[[str, Any], Any]) -> int:
        """A follower's life: the requests rank 0 broadcasts, each run with `call(method, params)`,
        until the end. Returns the exit status."""
        threading.Thread(target=self._watch_stop, name="stop-watch", daemon=True).start()
        while True:
            try:
                kind, method, params = self.broadcast(None)
                if kind == "end" or method == "shutdown":
                    return 0
                with contextlib.suppress(EngineError):
                    self.settle(_attempt(lambda m=method, p=params: call(m, p)))
            except RuntimeError:
                if self.rank0_stopped():  # it left the call this rank was in: a normal end
                    return 0
                raise

    def rank0_stopped(self) -> bool:
        try:
            return self.store.check([_STOP_KEY])
        except Exception:  # noqa: BLE001 - the store went away with torchrun's agent
            return False

    def _watch_stop(self) -> None:
        """Beats (rank 0 names the ranks that stopped beating) and exits the follower once rank 0
        posted its stop and the main thread did not end by itself: rank 0 abandoned a call and will
        meet no further collective."""
        while True:
            time.sleep(_POLL_S)
            try:
                self.store.add(f"{_BEAT_KEY}/{self.rank}", 1)
            except Exception:  # noqa: BLE001 - the store went away with torchrun's agent: so must we
                os._exit(1)
            if self.rank0_stopped():
                time.sleep(2 * _POLL_S)
                print(f"oneshot_engine: rank {self.rank}: rank 0 stopped; exiting.", file=sys.stderr)
                os._exit(0)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


class LostRank(EngineError):
    """A collective failed: another rank died. The call's error; rank 0 then exits."""

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL, message)


def _is_oom(e: BaseException) -> bool:
    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in str(e)


def _attempt(run: Callable[[], Any]) -> tuple[Any, EngineError | None]:
    try:
        return run(), None
    except EngineError as e:
        return None, e


def _error_fields(e: EngineError) -> tuple[int, str, Any, Any]:
    return (e.code if e.code else INTERNAL, e.message, e.reason, e.phase)


def rollout_shares(rollouts: int, ranks: int) -> list[int]:
    """Rollouts of each prompt that each rank samples: as even as can be, the first ranks one more."""
    return [rollouts // ranks + (r < rollouts % ranks) for r in range(ranks)]


def call_rows(prompts: int, shares: list[int], rank: int) -> list[int]:
    """The rows of the whole call (prompt-major, `sum(shares)` rollouts a prompt) that `rank` holds, in
    its own batch's order."""
    n, first = sum(shares), sum(shares[:rank])
    return [i * n + first + j for i in range(prompts) for j in range(shares[rank])]
