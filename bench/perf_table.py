"""README's Performance table, built from the newest complete results in bench/results/.

A rollout result counts when it compares against a warm HF generate (`hf_warmup.mode` "full"); a
step result when it has TRL's step beside ours. The newest such file per batch size / per step wins.
The paper step's row (when both exist): the newest `memory` result that measured the `paper` preset
on a whole card through `oneshot train`, against the floors of the newest `paper_step` result
(the rollout's KV reads at the measured copy bandwidth plus training at the measured matmul rate).

    python3 bench/perf_table.py                   # print the table
    python3 bench/perf_table.py --write README.md  # replace the table between its markers
    python3 bench/perf_table.py --check README.md  # exit 1 when README's table is not this one
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
START, END = "<!-- perf-table:start -->", "<!-- perf-table:end -->"
BATCHES = (256, 64)


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for f in sorted(RESULTS.glob("*.json")):
        d = json.loads(f.read_text())
        if isinstance(d, dict) and d.get("bench") in ("rollout", "step", "memory", "paper_step"):
            out.append((f.name, d))
    return out


def _newest(rows: list[tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    return max(rows, key=lambda r: r[1]["date"])


def pick() -> tuple[dict[int, tuple[str, dict[str, Any]]], tuple[str, dict[str, Any]]]:
    results = _load()
    rollouts = {}
    for batch in BATCHES:
        ok = [
            r for r in results
            if r[1]["bench"] == "rollout" and r[1].get("batch") == batch and r[1].get("speedup_vs_hf")
            and r[1].get("hf_warmup", {}).get("mode") == "full"
        ]  # fmt: skip
        if not ok:
            raise SystemExit(f"no rollout result at batch {batch} with a warm HF generate in {RESULTS}.")
        rollouts[batch] = _newest(ok)
    steps = [r for r in results if r[1]["bench"] == "step" and r[1].get("speedup_vs_trl")]
    if not steps:
        raise SystemExit(f"no step result with TRL beside ours in {RESULTS}.")
    return rollouts, _newest(steps)


def paper_step() -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]] | None:
    """(file, measured case) of the newest whole-card `paper` run and (file, record) of the newest floors."""
    results = _load()
    runs = [
        (f, dict(c, date=d["date"], commit=d["commit"], device=d["device"]))
        for f, d in results if d["bench"] == "memory"
        for c in d["cases"] if c["case"] == "1.5b:paper:card" and c.get("run", {}).get("end") == "measured"
    ]  # fmt: skip
    floors = [r for r in results if r[1]["bench"] == "paper_step" and r[1].get("train")]
    if not runs or not floors:
        return None
    return _newest(runs), _newest(floors)


def _paper_row(run: dict[str, Any], floors: dict[str, Any]) -> str:
    train_floor = min(t["floor_s"] for t in floors["train"] if t.get("floor_s"))
    rollout_floor = floors["rollout"]["floor_s"]
    floor = rollout_floor + train_floor
    r = run["run"]
    step, ph = r["step_time_s"], r["phases_s"]
    last = r.get("last_step", {})
    return (
        f"| `paper` step, 1,024 rollouts × up to 3,072 tokens, through `oneshot train` "
        f"| this card's floor: {floor:.0f} s (rollout {rollout_floor:.0f} s of KV reads, training {train_floor:.0f} s of matmuls) "
        f"| {step:.1f} s (rollout {ph['rollout']:.1f}, train {ph['train']:.1f}), {r['peak_gb']:.1f} GB, "
        f"{last.get('response_len_mean', 0):,.0f} tokens a rollout on average | {100 * floor / step:.0f}% of floor |"
    )


def table() -> str:
    rollouts, (step_file, step) = pick()
    lines = ["| | peer | ours | ratio |", "|---|---|---|---|"]
    for batch, (_, r) in rollouts.items():
        lines.append(
            f"| rollouts, batch {batch}, {r['prompt_len']} + {r['new_tokens']:,} tokens "
            f"| HF `generate` (warm, SDPA, no mask): {r['hf_ms_per_step']:.2f} ms/step "
            f"| {r['ours_ms_per_step']:.2f} ms/step, {r['ours_tokens_per_s'] / 1e3:.1f}k tok/s, "
            f"{100 * r['roofline_fraction']:.0f}% of roofline | {r['speedup_vs_hf']:.1f}× |"
        )
    trl = step.get("trl", {}).get("trl_version", "?")
    lines.append(
        f"| full step, {step['rollouts']} rollouts × {step['new_tokens']:,} tokens "
        f"| TRL {trl} `GRPOTrainer`: {step['trl_step_s']:.1f} s, {step['trl_peak_mem_gb']:.1f} GB "
        f"| {step['ours_step_s']:.2f} s, {step['peak_mem_gb']:.1f} GB; training at {100 * step['train_mfu']:.0f}% MFU "
        f"| {step['speedup_vs_trl']:.1f}× |"
    )
    used = [*rollouts.values(), (step_file, step)]
    paper = paper_step()
    if paper is not None:
        (run_file, run), (floor_file, floors) = paper
        lines.append(_paper_row(run, floors))
        used += [(run_file, run), (floor_file, floors)]
    files = [f for f, _ in used]
    devices = sorted({d["device"] for _, d in used})
    commits = sorted({d["commit"] for _, d in used})
    lines += ["", f"From {', '.join(f'`{f}`' for f in files)} ({', '.join(devices)}; commit {', '.join(commits)})."]
    return "\n".join(lines)


def _splice(text: str, body: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"the README has no {START} … {END} markers around its Performance table.")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{body}\n{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", metavar="README", help="replace the table between the markers in this file")
    mode.add_argument("--check", metavar="README", help="exit 1 when this file's table differs")
    args = ap.parse_args()
    body = table()
    target = args.write or args.check
    if target is None:
        print(body)
        return 0
    path = Path(target)
    text = path.read_text()
    new = _splice(text, body)
    if args.write:
        path.write_text(new)
        return 0
    if new != text:
        print(f"{target}'s Performance table is not the one bench/results/ gives: run `python3 bench/perf_table.py --write {target}`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
