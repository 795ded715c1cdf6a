"""Seeded generator of grade-school word problems over four sub-skills.

Every problem has a canonical *key* (sub-skill, template and numbers, never names or items),
and the key's hash fixes its split once and for all: two problems that differ only in
wording share a split, so the benchmark's arithmetic never appears in the pretraining corpus.

A solution is a list of short steps plus a closing line whose *style* is sampled: that
mixture is the headroom of the tiny base model (see README.md in this folder).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

SKILLS = ("arithmetic", "fractions", "equations", "rates")
SPLITS = ("train", "bench", "example")
SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

NAMES = ("Ava", "Ben", "Cora", "Dan", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena",
         "Max", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Zoe")
ITEMS = ("apples", "pencils", "stickers", "marbles", "cards", "books", "shells", "coins",
         "stamps", "cookies", "beads", "eggs")
LIQUIDS = ("juice", "milk", "water", "tea", "soup")


@dataclass(frozen=True)
class Problem:
    skill: str
    key: str
    problem: str
    steps: tuple[str, ...]
    answer: str


def split_of(key: str) -> str:
    """The split a canonical key belongs to: 6% benchmark, 2% examples, the rest pretraining."""
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100
    if bucket < 6:
        return "bench"
    if bucket < 8:
        return "example"
    return "train"


def fmt_frac(q: Fraction) -> str:
    """LaTeX for a non-negative rational: integers bare, others as a reduced \\frac."""
    if q.denominator == 1:
        return str(q.numerator)
    return f"\\frac{{{q.numerator}}}{{{q.denominator}}}"


def fmt_dec(q: Fraction) -> str:
    """A terminating rational as a plain decimal with no trailing zeros."""
    if q.denominator == 1:
        return str(q.numerator)
    cents = q * 100
    assert cents.denominator == 1, q
    whole, frac = divmod(cents.numerator, 100)
    return f"{whole}.{frac:02d}".rstrip("0")


# ---------------------------------------------------------------- arithmetic


def _arith_bags(r: random.Random) -> Problem:
    a, b, c = r.randint(10, 99), r.randint(2, 9), r.randint(3, 19)
    name, item = r.choice(NAMES), r.choice(ITEMS)
    text = (f"{name} has {a} {item}. {name} buys {b} bags with {c} {item} in each bag. "
            f"How many {item} does {name} have now?")
    steps = (f"{name} buys {b} \\times {c} = {b * c} {item}.", f"{a} + {b * c} = {a + b * c}.")
    return Problem("arithmetic", f"arith-bags:{a}:{b}:{c}", text, steps, str(a + b * c))


def _arith_give(r: random.Random) -> Problem:
    a = r.randint(30, 99)
    b, c = r.randint(2, a - 5), r.randint(2, 60)
    name, item = r.choice(NAMES), r.choice(ITEMS)
    text = (f"{name} had {a} {item} and gave away {b} of them. Then {name} found {c} more. "
            f"How many {item} does {name} have now?")
    steps = (f"After giving away: {a} - {b} = {a - b}.", f"After finding more: {a - b} + {c} = {a - b + c}.")
    return Problem("arithmetic", f"arith-give:{a}:{b}:{c}", text, steps, str(a - b + c))


def _arith_boxes(r: random.Random) -> Problem:
    b, c = r.randint(2, 9), r.randint(4, 25)
    a = r.randint(1, b * c - 1)
    item = r.choice(ITEMS)
    text = (f"There are {b} boxes with {c} {item} in each box. {a} {item} are taken out. "
            f"How many {item} are left?")
    steps = (f"In all there are {b} \\times {c} = {b * c} {item}.", f"{b * c} - {a} = {b * c - a}.")
    return Problem("arithmetic", f"arith-boxes:{a}:{b}:{c}", text, steps, str(b * c - a))


# ---------------------------------------------------------------- fractions


def _proper(r: random.Random) -> Fraction:
    d = r.randint(2, 9)
    return Fraction(r.randint(1, d - 1), d)


def _frac_sum_steps(x: Fraction, y: Fraction, sign: str) -> tuple[tuple[str, ...], Fraction]:
    den = lcm(x.denominator, y.denominator)
    xn, yn = x.numerator * den // x.denominator, y.numerator * den // y.denominator
    raw = xn + yn if sign == "+" else xn - yn
    result = Fraction(raw, den)
    steps = [f"The common denominator is {den}.",
             f"\\frac{{{x.numerator}}}{{{x.denominator}}} {sign} \\frac{{{y.numerator}}}{{{y.denominator}}}"
             f" = \\frac{{{xn}}}{{{den}}} {sign} \\frac{{{yn}}}{{{den}}} = \\frac{{{raw}}}{{{den}}}."]
    if result.denominator != den:
        steps.append(f"\\frac{{{raw}}}{{{den}}} = {fmt_frac(result)}.")
    return tuple(steps), result


def _frac_add(r: random.Random) -> Problem:
    x, y = _proper(r), _proper(r)
    name, liquid = r.choice(NAMES), r.choice(LIQUIDS)
    text = (f"{name} drinks {fmt_frac(x)} liter of {liquid} in the morning and {fmt_frac(y)} liter "
            f"in the evening. How many liters does {name} drink in total?")
    steps, result = _frac_sum_steps(x, y, "+")
    return Problem("fractions", f"frac-add:{x}:{y}", text, steps, fmt_frac(result))


def _frac_sub(r: random.Random) -> Problem:
    x, y = _proper(r), _proper(r)
    while x == y:
        y = _proper(r)
    x, y = max(x, y), min(x, y)
    name = r.choice(NAMES)
    text = (f"A ribbon is {fmt_frac(x)} meter long. {name} cuts off {fmt_frac(y)} meter. "
            f"How many meters of ribbon are left?")
    steps, result = _frac_sum_steps(x, y, "-")
    return Problem("fractions", f"frac-sub:{x}:{y}", text, steps, fmt_frac(result))


def _frac_of(r: random.Random) -> Problem:
    x = _proper(r)
    n = r.randint(2, 12) * (x.denominator if r.random() < 0.6 else 1)
    item = r.choice(ITEMS)
    text = f"What is {fmt_frac(x)} of {n} {item}?"
    prod = x.numerator * n
    result = Fraction(prod, x.denominator)
    steps = [f"{fmt_frac(x)} \\times {n} = \\frac{{{x.numerator} \\times {n}}}{{{x.denominator}}}"
             f" = \\frac{{{prod}}}{{{x.denominator}}}."]
    if result.denominator != x.denominator:
        steps.append(f"\\frac{{{prod}}}{{{x.denominator}}} = {fmt_frac(result)}.")
    return Problem("fractions", f"frac-of:{x}:{n}", text, tuple(steps), fmt_frac(result))


# ---------------------------------------------------------------- linear equations


def _eq_plus(r: random.Random) -> Problem:
    a, x, b = r.randint(2, 9), r.randint(1, 15), r.randint(1, 40)
    c = a * x + b
    text = f"Solve for $x$: ${a}x + {b} = {c}$."
    steps = (f"Subtract {b} from both sides: {a}x = {c} - {b} = {c - b}.",
             f"Divide both sides by {a}: x = {c - b} \\div {a} = {x}.")
    return Problem("equations", f"eq-plus:{a}:{b}:{c}", text, steps, str(x))


def _eq_minus(r: random.Random) -> Problem:
    a, x = r.randint(2, 9), r.randint(2, 15)
    b = r.randint(1, a * x - 1)
    c = a * x - b
    text = f"Solve for $x$: ${a}x - {b} = {c}$."
    steps = (f"Add {b} to both sides: {a}x = {c} + {b} = {c + b}.",
             f"Divide both sides by {a}: x = {c + b} \\div {a} = {x}.")
    return Problem("equations", f"eq-minus:{a}:{b}:{c}", text, steps, str(x))


def _eq_word(r: random.Random) -> Problem:
    a, x, b = r.randint(2, 9), r.randint(2, 20), r.randint(1, 30)
    c = a * x + b
    name = r.choice(NAMES)
    text = (f"{name} thinks of a number, multiplies it by {a} and then adds {b}. "
            f"The result is {c}. What is the number?")
    steps = (f"Let the number be x. Then {a}x + {b} = {c}.",
             f"{a}x = {c} - {b} = {c - b}.", f"x = {c - b} \\div {a} = {x}.")
    return Problem("equations", f"eq-word:{a}:{b}:{c}", text, steps, str(x))


def _eq_frac(r: random.Random) -> Problem:
    a = r.randint(2, 9)
    c = r.randint(1, 30)
    while c % a == 0:
        c = r.randint(1, 30)
    result = Fraction(c, a)
    text = f"Solve for $x$: ${a}x = {c}$."
    steps = [f"Divide both sides by {a}: x = \\frac{{{c}}}{{{a}}}."]
    if result.denominator != a:
        steps.append(f"\\frac{{{c}}}{{{a}}} = {fmt_frac(result)}.")
    return Problem("equations", f"eq-frac:{a}:{c}", text, tuple(steps), fmt_frac(result))


# ---------------------------------------------------------------- unit rates


def _rate_speed(r: random.Random) -> Problem:
    t, v, t2 = r.randint(2, 6), r.randint(3, 30) * 5, r.randint(2, 9)
    d = v * t
    text = (f"A car travels {d} km in {t} hours. At the same speed, how many km does it travel "
            f"in {t2} hours?")
    steps = (f"Speed: {d} \\div {t} = {v} km per hour.", f"In {t2} hours: {v} \\times {t2} = {v * t2} km.")
    return Problem("rates", f"rate-speed:{d}:{t}:{t2}", text, steps, str(v * t2))


def _rate_price(r: random.Random) -> Problem:
    n, total = r.choice((2, 4, 5, 10, 20)), r.randint(3, 99)
    unit = Fraction(total, n)
    item = r.choice(ITEMS)
    text = f"{n} packs of {item} cost {total} dollars. How many dollars does one pack cost?"
    steps = (f"One pack costs {total} \\div {n} = {fmt_dec(unit)} dollars.",)
    return Problem("rates", f"rate-price:{n}:{total}", text, steps, fmt_dec(unit))


def _rate_work(r: random.Random) -> Problem:
    t, k, t2 = r.randint(2, 8), r.randint(2, 15), r.randint(2, 12)
    a = k * t
    name = r.choice(NAMES)
    text = (f"{name} makes {a} cards in {t} minutes. Working at the same rate, how many cards "
            f"does {name} make in {t2} minutes?")
    steps = (f"Rate: {a} \\div {t} = {k} cards per minute.", f"In {t2} minutes: {k} \\times {t2} = {k * t2} cards.")
    return Problem("rates", f"rate-work:{a}:{t}:{t2}", text, steps, str(k * t2))


TEMPLATES: dict[str, tuple[Callable[[random.Random], Problem], ...]] = {
    "arithmetic": (_arith_bags, _arith_give, _arith_boxes),
    "fractions": (_frac_add, _frac_sub, _frac_of),
    "equations": (_eq_plus, _eq_minus, _eq_word, _eq_frac),
    "rates": (_rate_speed, _rate_price, _rate_work),
}


def sample_problem(r: random.Random, skill: str, split: str) -> Problem:
    """Draw problems of one sub-skill until one falls in the wanted split."""
    templates = TEMPLATES[skill]
    while True:
        p = r.choice(templates)(r)
        if split_of(p.key) == split:
            return p


def unique_problems(seed: int, split: str, per_skill: int) -> list[Problem]:
    """`per_skill` problems of each sub-skill with distinct keys, interleaved by skill."""
    r = random.Random(seed)
    by_skill: dict[str, list[Problem]] = {}
    for skill in SKILLS:
        seen: set[str] = set()
        out: list[Problem] = []
        tries = 0
        while len(out) < per_skill:
            tries += 1
            if tries > per_skill * 1000:
                raise RuntimeError(f"The {split} split of {skill} has fewer than {per_skill} distinct problems.")
            p = sample_problem(r, skill, split)
            if p.key not in seen:
                seen.add(p.key)
                out.append(p)
        by_skill[skill] = out
    return [by_skill[s][i] for i in range(per_skill) for s in SKILLS]


# ---------------------------------------------------------------- solution styles (the headroom)

# Probability of each closing style per sub-skill. "boxed" is the only style the reward accepts;
# "plain" states the answer without \boxed{}; "recheck" repeats the last step, then closes
# boxed or plain at even odds; "ramble" rereads the problem several times before a boxed close,
# which is too long to finish inside the demo's token budget. The ramble repeats the problem,
# not the arithmetic, so that penalising it never pushes down correct computation.
STYLE_MIX: dict[str, dict[str, float]] = {
    "arithmetic": {"boxed": 0.50, "plain": 0.32, "recheck": 0.10, "ramble": 0.08},
    "rates": {"boxed": 0.38, "plain": 0.44, "recheck": 0.10, "ramble": 0.08},
    "fractions": {"boxed": 0.32, "plain": 0.50, "recheck": 0.10, "ramble": 0.08},
    "equations": {"boxed": 0.30, "plain": 0.52, "recheck": 0.10, "ramble": 0.08},
}


def boxed_solution(p: Problem) -> str:
    """The reference solution in the only style the reward accepts."""
    return " ".join(p.steps) + f" The answer is \\boxed{{{p.answer}}}."


def styled_solution(p: Problem, r: random.Random) -> str:
    mix = STYLE_MIX[p.skill]
    style = r.choices(list(mix), weights=list(mix.values()))[0]
    work = " ".join(p.steps)
    if style == "boxed":
        return work + f" The answer is \\boxed{{{p.answer}}}."
    if style == "plain":
        return work + f" The answer is {p.answer}."
    if style == "recheck":
        close = f"\\boxed{{{p.answer}}}" if r.random() < 0.5 else p.answer
        return work + f" Wait, let me recheck. {p.steps[-1]} The answer is {close}."
    again = " ".join(f"Hmm, let me read the problem again. {p.problem}" for _ in range(r.randint(2, 3)))
    return work + " " + again + f" The answer is \\boxed{{{p.answer}}}."


def corpus(seed: int) -> Iterator[tuple[Problem, str]]:
    """Endless pretraining pairs (problem, styled solution) from the train split."""
    r = random.Random(seed)
    while True:
        p = sample_problem(r, r.choice(SKILLS), "train")
        yield p, styled_solution(p, r)
