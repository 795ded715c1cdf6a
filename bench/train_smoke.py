"""`oneshot train` on a GPU, end to end through the Node controller, with a random-init model.

What the hardening work (issue 23) must not have broken where only a GPU runs it: the controller's
pre-flight checks, the engine's parameter ranges and prompt-length limits with a real preset, the
CUDA-graph decode and compiled training behind them, and the engine's exit when its controller dies.

1. `oneshot train --preset P --steps N` with a random model of a real shape (its context set to
   `--context`, 4,096 as Qwen2.5-Math-1.5B's): step times, peak GPU memory, the run's end.
2. The same run detached, the controller killed with SIGKILL after its first step: how long the
   engine lives on (it watches its parent), what `oneshot runs` says, then `--resume` to the end.

    ONESHOT_PYTHON=python3 python3 bench/train_smoke.py --node NODE --out result.json

Needs `node esbuild.mjs` output in dist/ and a Node binary (the device machine has none: carry it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "bench"))

from common import SHAPES


def write_model(out: Path, shape: str, context: int, device: str) -> None:
    from oneshot_tools.randmodel import write_random_checkpoint

    cfg = dict(SHAPES[shape], max_position_embeddings=context)
    write_random_checkpoint(
        out, cfg, dtype="bfloat16" if device == "cuda" else "float32", device=device
    )


def example(path: Path) -> Path:
    path.write_text(
        "---\nanswer: '\\frac{7}{2}'\n---\nA pipe fills $\\frac{2}{7}$ of a tank per hour. How many hours does it take?\n"
    )
    return path


def events(run_dir: Path) -> list[dict[str, Any]]:
    """The run's events so far: none before its log exists; a line still being written is left out."""
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the line being written
    return out


def cli(
    node: str, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(ROOT / "dist" / "cli.js"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def train_args(
    ex: Path, model: Path, run_dir: Path, preset: str, steps: int, sets: list[str]
) -> list[str]:
    base = [
        "train",
        str(ex),
        "--preset",
        preset,
        "--steps",
        str(steps),
        "--run-dir",
        str(run_dir),
    ]
    for s in [f"model={model}", "eval_benchmarks=[]", "checkpoint_every=1", *sets]:
        base += ["--set", s]
    return base


def step_summary(evs: list[dict[str, Any]]) -> dict[str, Any]:
    steps = [e for e in evs if e.get("type") == "step"]
    finished = [e for e in evs if e.get("type") == "run_finished"]
    return {
        "steps": len(steps),
        "time_s": [
            {
                k: round(float(e.get(f"time_{k}_s", 0)), 2)
                for k in ("rollout", "reward", "train")
            }
            for e in steps
        ],
        "rollout_tokens_per_s": [
            round(float(e.get("rollout_tokens_per_s", 0))) for e in steps
        ],
        "peak_mem_gb": max(
            (float(e.get("peak_mem_gb", 0) or 0) for e in steps), default=None
        ),
        "finished": finished[-1] if finished else None,
        "first_step": steps[0] if steps else None,
    }


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc), so only this run's engine is watched."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_and_resume(node: str, args: list[str], run_dir: Path) -> dict[str, Any]:
    started = cli(node, *args, "--detach", timeout=120)
    result: dict[str, Any] = {
        "detach_exit": started.returncode,
        "detach_out": started.stdout[-400:] + started.stderr[-400:],
    }
    deadline = time.time() + 400
    while time.time() < deadline:
        if (run_dir / "events.jsonl").exists() and any(
            e.get("type") == "step" for e in events(run_dir)
        ):
            break
        time.sleep(1)
    lock = (run_dir / "lock").read_text().split()
    pid = int(lock[0])
    engines = children(pid)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    while any(alive(e) for e in engines) and time.time() - killed_at < 60:
        time.sleep(0.1)
    result["engine_pids"] = engines
    result["engine_alive_after_kill_s"] = round(time.time() - killed_at, 1)
    result["engine_left"] = [e for e in engines if alive(e)]
    runs = cli(node, "runs", str(run_dir.parent), "--json")
    listed = json.loads(runs.stdout or "[]")
    result["runs_status"] = [
        r.get("status") for r in listed if Path(r.get("dir", "")).name == run_dir.name
    ]
    resumed = cli(node, "train", "--resume", str(run_dir), timeout=600)
    result["resume_exit"] = resumed.returncode
    result["resume_tail"] = (resumed.stdout + resumed.stderr)[-600:]
    result["after_resume"] = step_summary(events(run_dir))
    return result


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--node", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", default="qwen2.5-1.5b")
    ap.add_argument("--context", type=int, default=4096)
    ap.add_argument("--preset", default="local")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument(
        "--device",
        default="cuda",
        help="where the random model is made (cpu: a quick check of this script)",
    )
    ap.add_argument("--commit", default="")
    ap.add_argument("--no-kill", action="store_true", help="only the plain run")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="train-smoke-"))
    model = work / "model"
    t0 = time.time()
    write_model(model, args.shape, args.context, args.device)
    ex = example(work / "pipe.rlvr.md")
    record: dict[str, Any] = {
        "bench": "train_smoke",
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "commit": args.commit,
        "command": " ".join(sys.argv),
        "host": platform.node(),
        "shape": args.shape,
        "context": args.context,
        "preset": args.preset,
        "model_write_s": round(time.time() - t0, 1),
    }
    try:
        import torch

        record["device"] = torch.cuda.get_device_name(0)
    except Exception as e:  # noqa: BLE001 - a record without a device name is still a record
        record["device"] = f"unknown ({e})"

    run1 = work / "runs" / "plain"
    t1 = time.time()
    plain = cli(
        args.node,
        *train_args(ex, model, run1, args.preset, args.steps, args.sets),
        timeout=900,
    )
    record["plain"] = {
        "exit": plain.returncode,
        "wall_s": round(time.time() - t1, 1),
        "tail": (plain.stdout + plain.stderr)[-1500:],
    }
    if (run1 / "events.jsonl").exists():
        record["plain"].update(step_summary(events(run1)))
        started = [e for e in events(run1) if e.get("type") == "run_started"]
        record["plain"]["run_started"] = started[0] if started else None

    Path(args.out).write_text(json.dumps(record, indent=2, default=str))  # kept if the second part overruns
    if not args.no_kill:
        run2 = work / "runs" / "killed"
        record["kill_resume"] = kill_and_resume(
            args.node, train_args(ex, model, run2, args.preset, args.steps, args.sets), run2
        )
    Path(args.out).write_text(json.dumps(record, indent=2, default=str))
    print(
        json.dumps(
            {k: v for k, v in record.items() if k != "plain"}, indent=2, default=str
        )[:6000]
    )
    print(record["plain"]["tail"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
