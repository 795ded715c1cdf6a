"""What fits where: `oneshot train` under emulated card sizes, against `oneshot plan`'s estimate.

Each case is a model shape × a preset × a memory cap. For each, `oneshot plan --json` says whether it
fits and its planned peak; a case that fits then trains through the Node controller with
`--gpu-memory CAP`, which makes the engine cap its caching allocator at CAP GB
(torch.cuda.set_per_process_memory_fraction: past the cap it refuses, as a smaller card would). The
run is stopped (SIGKILL of its process group, so no checkpoint is written) once it has logged
`--steps` steps. Per case: fits or not, measured peak (the larger of the rollout and training
phases' peaks), planned peak and their ratio, the last step's time and its phase split.
`--reference` adds, per shape × preset, today's path (optimizer_state fp32, every rollout in one
wave) without a cap, where the plan says it fits the whole card: the step time compact state and
waves are compared against.

    ONESHOT_PYTHON=python3 python3 bench/memory.py --node NODE --out result.json \
        --cases 1.5b:local:24,7b:local:80,1.5b:local:12:lora_rank=32 --reference

Random-init models never stop early, so every row runs to max_response_tokens (the worst case).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "bench"))

import train_smoke
from common import SHAPES
from train_smoke import cli, events, example

# Short names of the shapes in common.SHAPES.
SHAPE_NAMES = {"0.5b": "qwen2.5-0.5b", "1.5b": "qwen2.5-1.5b", "7b": "qwen2.5-7b", "tiny": "tiny"}
# Per preset: settings every case of it gets (the 7B `local` runs at 1,024 tokens).
PRESET_SETS = {"local": [], "paper": []}
SHAPE_SETS = {"7b": ["max_response_tokens=1024"]}


@dataclass(frozen=True)
class Case:
    shape: str  # a key of SHAPE_NAMES
    preset: str
    cap_gb: float | None  # None: the whole card
    sets: tuple[str, ...] = ()  # the case's own --set KEY=VALUE settings

    @property
    def name(self) -> str:
        base = f"{self.shape}:{self.preset}:{'card' if self.cap_gb is None else int(self.cap_gb)}"
        return ":".join([base, *self.sets])


def parse_cases(text: str) -> list[Case]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        shape, preset, cap, *sets = part.split(":")
        if shape not in SHAPE_NAMES:
            raise SystemExit(f"unknown shape {shape!r}: one of {', '.join(SHAPE_NAMES)}")
        out.append(Case(shape, preset, None if cap == "card" else float(cap), tuple(sets)))
    return out


def case_args(case: Case, ex: Path, model: Path, extra: list[str]) -> list[str]:
    args = [str(ex), "--preset", case.preset]
    if case.cap_gb is not None:
        args += ["--gpu-memory", str(case.cap_gb)]
    sets = [f"model={model}", "eval_benchmarks=[]", *PRESET_SETS.get(case.preset, []), *SHAPE_SETS.get(case.shape, []), *case.sets, *extra]
    for s in sets:
        args += ["--set", s]
    return args


def plan(node: str, args: list[str]) -> dict[str, Any]:
    done = cli(node, "plan", *args, "--json", timeout=120)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": (done.stdout + done.stderr)[-800:], "exit": done.returncode}


def peak_of(step: dict[str, Any]) -> float:
    """The step's peak over every phase that reports one (rollout and training)."""
    return max((float(v) for k, v in step.items() if "peak_mem" in k and isinstance(v, (int, float))), default=0.0)


def train(node: str, args: list[str], run_dir: Path, steps: int, timeout: float) -> dict[str, Any]:
    """`oneshot train` until `steps` steps are logged or it ends; then its process group is killed."""
    cmd = [node, str(ROOT / "dist" / "cli.js"), "train", *args, "--steps", str(steps + 1), "--run-dir", str(run_dir)]
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    reason = "timeout"
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            reason = f"exited {proc.returncode}"
            break
        if sum(e.get("type") == "step" for e in events(run_dir)) >= steps:
            reason = "measured"
            break
        time.sleep(0.5)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    tail = proc.communicate()[0][-1500:]
    evs = events(run_dir)
    step_events = [e for e in evs if e.get("type") == "step"]
    failed = [e for e in evs if e.get("type") in ("error", "run_finished")]
    out: dict[str, Any] = {"end": reason, "wall_s": round(time.time() - t0, 1), "steps": len(step_events)}
    if step_events:
        last = step_events[-1]
        out["peak_gb"] = round(max(peak_of(e) for e in step_events), 2)
        out["step_time_s"] = round(sum(float(last.get(f"time_{k}_s", 0)) for k in ("rollout", "reward", "train")), 2)
        out["phases_s"] = {k: round(float(last.get(f"time_{k}_s", 0)), 2) for k in ("rollout", "reward", "train")}
        out["rollout_tokens_per_s"] = round(float(last.get("rollout_tokens_per_s", 0)))
        out["last_step"] = last
    started = [e for e in evs if e.get("type") == "run_started"]
    if started:
        out["run_started"] = started[0]
    if reason != "measured":
        out["tail"] = tail
        out["end_events"] = failed[-2:]
    return out


def write_model(out: Path, shape: str, context: int) -> None:
    """The shape's random model on the GPU, once: a later call (or case) reuses it."""
    if not (out / "config.json").exists():
        train_smoke.write_model(out, SHAPE_NAMES[shape], context, "cuda")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", required=True, help="shape:preset:cap[:KEY=VALUE…],… (cap in GB or 'card'; KEY=VALUE: the case's own --set)")
    ap.add_argument("--reference", action="store_true", help="also today's fp32 path without a cap, per shape × preset")
    ap.add_argument("--steps", type=int, default=2, help="steps per case; the last one is timed")
    ap.add_argument("--context", type=int, default=4096)
    ap.add_argument("--timeout", type=float, default=420, help="seconds per case")
    ap.add_argument("--plan-only", action="store_true", help="record the plans, train nothing (CPU check)")
    ap.add_argument("--models", default="", help="folder for the random models (kept between calls)")
    ap.add_argument("--commit", default="")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    models = Path(args.models) if args.models else work / "models"
    ex = example(work / "pipe.rlvr.md")
    record: dict[str, Any] = {
        "bench": "memory",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": args.commit,
        "command": " ".join(sys.argv),
        "host": platform.node(),
        "steps": args.steps,
        "cases": [],
    }
    try:
        import torch

        record["device"] = torch.cuda.get_device_name(0)
    except Exception as e:  # noqa: BLE001 - a record without a device name is still a record
        record["device"] = f"unknown ({e})"

    cases = parse_cases(args.cases)
    if args.reference:
        refs = {(c.shape, c.preset) for c in cases}
        cases += [Case(s, p, None) for s, p in sorted(refs)]
    for case in cases:
        reference = case.cap_gb is None and args.reference
        extra = ["optimizer_state=fp32"] if reference else []
        model = models / case.shape
        entry: dict[str, Any] = {"case": case.name, "reference_fp32": reference}
        t0 = time.time()
        if not args.plan_only:
            write_model(model, case.shape, args.context)
        else:
            model.mkdir(parents=True, exist_ok=True)
            cfg = dict(SHAPES[SHAPE_NAMES[case.shape]], max_position_embeddings=args.context)
            (model / "config.json").write_text(json.dumps(cfg))
        entry["model_write_s"] = round(time.time() - t0, 1)
        argv = case_args(case, ex, model, extra)
        entry["plan"] = plan(args.node, argv)
        fits = bool(entry["plan"].get("fits"))
        if fits and not args.plan_only:
            entry["run"] = train(args.node, argv, work / "runs" / case.name.replace(":", "-").replace("=", "_"), args.steps, args.timeout)
            peak, planned = entry["run"].get("peak_gb"), entry["plan"].get("peak_gb")
            if peak and planned:
                entry["planned_over_measured"] = round(float(planned) / float(peak), 3)
        record["cases"].append(entry)
        Path(args.out).write_text(json.dumps(record, indent=2, default=str))  # kept if a later case overruns
        run = entry.get("run", {})
        print(
            f"{case.name:18} ref={reference!s:5} fits={fits!s:5} planned={entry['plan'].get('peak_gb')} "
            f"measured={run.get('peak_gb')} step={run.get('step_time_s')}s end={run.get('end')}",
            flush=True,
        )
    Path(args.out).write_text(json.dumps(record, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
