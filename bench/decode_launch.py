"""The decode step at one batch size with the Triton attention's per-length launch settings, swept at
1,024 rows (triton_decode.LAUNCH_BY_LENGTH), against decode_attention's defaults (DEFAULT_LAUNCH),
same model, same process: whether the sweep's settings also suit a batch of this size.

    PYTHONPATH=engine python3 bench/decode_launch.py --batch 256 --out bench/results/decode-launch-<date>.json
    PYTHONPATH=engine python3 bench/decode_launch.py --shape tiny --device cpu --dtype float32 --batch 8 --cols 100 --out /tmp/d.json
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import torch
from common import model_arguments, record_header, write_record
from lora_decode import compare, random_model, timing_arguments
from oneshot_engine import triton_decode as td
from oneshot_engine.decode import LEN_BUCKET, DecodeRunner, Sampler
from oneshot_engine.options import EngineOptions

# decode_attention's own defaults: what the decode step used before the per-length settings.
DEFAULT_LAUNCH = {"block_n": 64, "num_warps": 4, "num_stages": 2, "min_splits": 1}


class Launch:
    """A decode runner whose graphs are captured (and replayed) with the tuned settings or the defaults."""

    def __init__(self, runner: DecodeRunner, tuned: bool) -> None:
        self.runner, self.tuned = runner, tuned
        self.col, self.device, self.length_bucket = runner.col, runner.device, runner.length_bucket

    def run_step(self, b: int, length: int, sampler: Sampler, gen: torch.Generator | None) -> None:
        saved = td.launch_for
        if not self.tuned:
            td.launch_for = lambda _length: dict(DEFAULT_LAUNCH)
        try:
            self.runner.run_step(b, length, sampler, gen)
        finally:
            td.launch_for = saved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    model_arguments(ap)
    ap.add_argument("--batch", type=int, default=256)
    timing_arguments(ap, "192,640,1088,1600")
    args = ap.parse_args()
    device = torch.device(args.device)
    options = EngineOptions.from_env()
    options.apply_torch_settings()
    model = random_model(args)
    max_len = max(int(c) for c in args.cols.split(",")) + args.reps + LEN_BUCKET
    runners: dict[str, Any] = {
        name: Launch(DecodeRunner(model, args.batch, max_len, options=options), tuned)
        for name, tuned in (("default", False), ("tuned", True))
    }
    ms = compare(runners, args)
    record = record_header("decode_launch", device, " ".join(sys.argv), args.commit)
    record |= {"batch": args.batch, "attention": runners["default"].runner.attention, "ms_per_step": ms}
    print("| cache column | default launch ms/step | tuned launch ms/step | tuned / default |\n|---|---|---|---|")
    for col in ms["default"]:
        print(f"| {col} | {ms['default'][col]:.3f} | {ms['tuned'][col]:.3f} | {ms['tuned'][col] / ms['default'][col]:.3f} |")
    write_record(args.out, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
