"""Runs several feasibility configurations side by side, each on its own few CPU threads.

  python -m oneshot_tools.synthetic.sweep --model DIR --bench FILE --out DIR --timeout 240 CONFIGS.json

CONFIGS.json is a list of {"name": ..., <feasibility flag without dashes>: value, ...}; a true
boolean becomes a bare flag. Each run's log and result land in --out; a summary of all of
them (runs cut by the timeout included, with their last progress line) goes to summary.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def command(cfg: dict, model: Path, bench: Path, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "oneshot_tools.synthetic.feasibility", "--model", str(model),
           "--bench", str(bench), "--out", str(out / f"{cfg['name']}.json")]
    for k, v in cfg.items():
        if k == "name" or v is False:
            continue
        cmd.append("--" + k.replace("_", "-"))
        if v is not True:
            cmd.append(str(v))
    return cmd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", type=Path)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--bench", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--timeout", type=float, default=240)
    args = ap.parse_args()
    configs = json.loads(args.configs.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    procs = []
    for cfg in configs:
        log = (args.out / f"{cfg['name']}.log").open("w")
        procs.append((cfg, subprocess.Popen(command(cfg, args.model, args.bench, args.out), stdout=log,
                                            stderr=subprocess.STDOUT)))
    deadline = time.time() + args.timeout
    for _, p in procs:
        try:
            p.wait(timeout=max(1.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    summary = []
    for cfg, p in procs:
        res_path = args.out / f"{cfg['name']}.json"
        lines = (args.out / f"{cfg['name']}.log").read_text().splitlines()
        entry: dict = {"config": cfg, "returncode": p.returncode}
        if res_path.exists():
            r = json.loads(res_path.read_text())
            entry.update({k: r[k] for k in ("initial", "base_sampled", "final", "lift", "evals", "time_s")})
            entry["rewards"] = [s["reward"] for s in r["steps"]]
        else:
            entry["log_tail"] = lines[-6:]
        summary.append(entry)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for e in summary:
        print(e["config"]["name"], e.get("lift"), e.get("initial", {}).get("acc"), e.get("final", {}).get("acc"),
              e.get("time_s"), flush=True)


if __name__ == "__main__":
    main()
