"""Writes the shipped benchmark and the per-skill training examples from the generator.

  python -m oneshot_tools.synthetic.build_assets --root .

examples/bench/synthetic.jsonl: 80 problems per sub-skill from the benchmark split.
examples/<skill>.rlvr.md: one problem per sub-skill from the example split (never pretrained
on, never benchmarked).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .generator import SKILLS, Problem, split_of, unique_problems

BENCH_SEED, BENCH_PER_SKILL = 2026, 80
EXAMPLE_SEED = 11
# Index into each skill's example-split draws; chosen once after pretraining (see README.md).
EXAMPLE_PICK = {"arithmetic": 1, "fractions": 3, "equations": 1, "rates": 2}


def benchmark() -> list[dict]:
    rows = []
    for i, p in enumerate(unique_problems(BENCH_SEED, "bench", BENCH_PER_SKILL)):
        rows.append({"id": f"synthetic-{i:04d}", "problem": p.problem, "answer": p.answer, "skill": p.skill})
    return rows


def example_candidates(n: int = 8) -> dict[str, list[Problem]]:
    draws = unique_problems(EXAMPLE_SEED, "example", n)
    return {s: [p for p in draws if p.skill == s] for s in SKILLS}


def example_file(p: Problem) -> str:
    answer = p.answer.replace("'", "''")
    return f"---\nanswer: '{answer}'\nverifier: math\npreset: cpu-demo\n---\n{p.problem}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path("."))
    args = ap.parse_args()
    rows = benchmark()
    bench_path = args.root / "examples" / "bench" / "synthetic.jsonl"
    bench_path.parent.mkdir(parents=True, exist_ok=True)
    bench_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cands = example_candidates()
    for skill in SKILLS:
        p = cands[skill][EXAMPLE_PICK[skill]]
        assert split_of(p.key) == "example"
        (args.root / "examples" / f"{skill}.rlvr.md").write_text(example_file(p))
    print(f"wrote {len(rows)} benchmark problems and {len(SKILLS)} examples under {args.root / 'examples'}")


if __name__ == "__main__":
    main()
