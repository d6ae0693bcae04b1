"""A seeded, dependency-free input fuzzer for the readers (stack files, SOPS files).

`Mutator(seed)` turns a valid seed file into hostile variants, byte-level (flips, cuts, splices,
non-UTF-8, YAML tokens such as anchors, aliases, tags and flow brackets) and by splicing in known
attacks (alias bombs, deep nesting, recursive aliases, huge scalars). `run_cases` runs a callable on
each case under a per-case time limit (SIGALRM) and collects every outcome that is not a clean
result or a `UserError`: tracebacks and hangs. Same seed, same cases: a failure names the seed and
the case index, and `case(i)` rebuilds it.
"""

from __future__ import annotations

import copy
import datetime
import random
import re
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

from secrets_iac.errors import UserError

TOKENS: tuple[bytes, ...] = (
    b"&a ", b"*a", b"&b ", b"*b", b"!!binary ", b"!!set ", b"!!omap ", b"!!int ", b"!!float ", b"!!bool ",
    b"!!timestamp ", b"!!str ", b"!custom ", b"!!python/object ", b"<<: *a\n", b"[", b"]", b"{", b"}",
    b"- ", b": ", b"? ", b"\t", b"'", b'"', b"%YAML 1.1\n", b"%TAG ! tag:x,2024:\n", b"---\n", b"...\n",
    b"|\n", b">-\n", b"#", b"\\", b"0x_", b"0o_", b"1e99999", b"-.inf", b".nan", b"~", b"2024-01-01",
    b"2024-01-01T00:00:00Z", b"\xef\xbb\xbf", b"\x00", b"\xff\xfe", b"\xc3", b"\r", b"\x85", b"\xe2\x80\xa8",
    b"null", b"true", b"yes", b"0b_", b"1:2:3", b"=", b"ENC[AES256_GCM,data:,iv:,tag:,type:str]",
)  # fmt: skip


def alias_bomb(levels: int, fan: int = 10) -> bytes:
    """`levels` anchored lists, each aliasing the previous `fan` times: fan**levels leaves in a few bytes."""
    lines = [b"bomb0: &b0 [" + b",".join([b'"x"'] * fan) + b"]"]
    for level in range(1, levels):
        refs = b",".join([f"*b{level - 1}".encode()] * fan)
        lines.append(f"bomb{level}: &b{level} [".encode() + refs + b"]")
    return b"\n".join(lines) + b"\n"


def deep_flow(depth: int) -> bytes:
    return b"deep: " + b"[" * depth + b"]" * depth + b"\n"


def deep_block(depth: int) -> bytes:
    return b"".join(b"  " * i + f"k{i}:\n".encode() for i in range(depth)) + b"  " * depth + b"leaf\n"


ATTACKS: tuple[Callable[[random.Random], bytes], ...] = (
    lambda r: alias_bomb(r.randint(3, 9)),
    lambda r: deep_flow(r.choice((99, 101, 150, 600, 1200, 5000))),
    lambda r: deep_block(r.choice((99, 101, 150, 600, 1200))),
    lambda r: b"rec: &r [*r]\n",
    lambda r: b"rec: &r {k: *r}\n",
    lambda r: b"big: " + b"a" * r.choice((200, 100_000, 400_000)) + b"\n",
    lambda r: b"num: " + b"9" * r.choice((50, 5000, 100_000)) + b"\n",
    lambda r: b"bin: !!binary " + r.choice((b"AAAA", b"not base64!", b"")) + b"\n",
    lambda r: b"when: 2024-13-45\nset: !!set {a, b}\n",
    lambda r: b"? [a, b]\n: complex\n",
    lambda r: bytes(r.getrandbits(8) for _ in range(r.randint(1, 64))),
)


@dataclass
class Mutator:
    """Hostile variants of seed files, reproducible from `seed`."""

    seeds: Sequence[bytes]
    seed: int

    def case(self, index: int) -> bytes:
        rng = random.Random(f"{self.seed}:{index}")
        data = bytearray(rng.choice(self.seeds))
        if rng.random() < 0.25:  # an attack where a key may stand, and nothing else: well-formed YAML
            self._splice_at_a_key(rng, data)
            return bytes(data)
        for _ in range(rng.randint(1, 4)):
            self._mutate(rng, data)
        return bytes(data)

    def _splice_at_a_key(self, rng: random.Random, data: bytearray) -> None:
        starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
        keys = [i for i in starts if re.match(rb" *[A-Za-z_][\w:-]*:( |\n)", data[i : i + 80])]
        at = rng.choice(keys) if keys else 0
        indent = len(data[at:]) - len(data[at:].lstrip(b" "))
        attack = ATTACKS[rng.randrange(len(ATTACKS) - 1)](rng)  # not the random-bytes one
        data[at:at] = b"".join(b" " * indent + row + b"\n" for row in attack.splitlines())

    def _mutate(self, rng: random.Random, data: bytearray) -> None:
        at = rng.randint(0, len(data))
        choice = rng.random()
        if choice < 0.3:
            data[at:at] = rng.choice(TOKENS)
        elif choice < 0.45 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randint(0, 7)
        elif choice < 0.6 and data:
            end = min(len(data), at + rng.randint(1, 40))
            del data[at:end]
        elif choice < 0.7 and data:
            start = rng.randint(0, len(data) - 1)
            data[at:at] = data[start : start + rng.randint(1, 80)]
        elif choice < 0.85:
            line = data.rfind(b"\n", 0, at) + 1  # an attack at the start of a line, indented like it
            indent = len(data[line:at]) - len(data[line:at].lstrip(b" "))
            attack = ATTACKS[rng.randrange(len(ATTACKS))](rng)
            data[line:line] = b"".join(b" " * indent + row + b"\n" for row in attack.splitlines())
        else:
            data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))


class CaseTimeout(BaseException):
    """Raised by the alarm inside a case that ran past its time limit (not an `Exception`: nothing
    in the code under test may swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class FuzzReport:
    cases: int = 0
    refused: int = 0
    accepted: int = 0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)
    """`case <i>: <what>` for each traceback, hang or bad message."""


class CaseSource(Protocol):
    seed: int

    def case(self, index: int) -> bytes: ...


def run_cases(
    mutator: CaseSource,
    count: int,
    run: Callable[[bytes], None],
    *,
    per_case_seconds: float,
    check_error: Callable[[UserError], str | None] = lambda err: None,
) -> FuzzReport:
    """Run `run` on `count` cases; only a clean return or a `UserError` passing `check_error` is fine."""
    report = FuzzReport()
    for index in range(count):
        data = mutator.case(index)
        started = time.perf_counter()
        try:
            with time_limit(per_case_seconds):
                run(data)
            report.accepted += 1
        except UserError as err:
            report.refused += 1
            problem = check_error(err)
            if problem:
                report.failures.append(f"case {index} (seed {mutator.seed}): {problem}")
        except CaseTimeout:
            report.failures.append(f"case {index} (seed {mutator.seed}): no answer in {per_case_seconds} s")
        except Exception as err:  # a traceback is exactly what is being searched for
            report.failures.append(f"case {index} (seed {mutator.seed}): {type(err).__name__}: {err!s:.200}")
        report.slowest = max(report.slowest, time.perf_counter() - started)
        report.cases += 1
    return report


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    """A value of a random, often wrong, shape: huge, empty, odd types, nested containers."""
    kind = rng.randrange(14 if depth < 3 else 10)
    if kind == 0:
        return "v" * rng.choice((0, 1, 64, 65, 300, 100_000))
    if kind == 1:
        return rng.choice((0, -1, 7, 31, 2**63, -(2**70), 10**40))
    if kind == 2:
        return rng.choice((0.5, float("inf"), float("nan"), 1e308, -0.0))
    if kind == 3:
        return rng.choice((True, False, None))
    if kind == 4:
        return datetime.date(2024, 1, 1)
    if kind == 5:
        return rng.choice((b"\x00\xff", b"bytes"))
    if kind == 6:
        return rng.choice(
            ("1h", "5m", "-1s", "1h1h", "999999999999h", "0", "Owner", "Delete", "None", "Merge")
        )
    if kind == 7:
        return rng.choice(
            ("arn:aws:iam::444455556666:role/x", "arn:aws-cn:kms:cn-north-1:1:key/x", "a/b", "/")
        )
    if kind == 8:
        return rng.choice(("UPPER", "a_b", "a..b", "-x", "x-", "é", "a\nb", "\t", "a" * 64, "ok"))
    if kind == 9:
        return rng.choice(({}, [], [{}], {"": ""}))
    if kind == 10:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    return {f"k{i}": hostile_value(rng, depth + 1) for i in range(rng.randint(1, 3))}


def mutate_tree(rng: random.Random, tree: Any) -> Any:
    """A deep copy of `tree` with one to three nodes replaced, deleted or renamed."""
    tree = copy.deepcopy(tree)
    for _ in range(rng.randint(1, 3)):
        parent, key = _random_slot(rng, tree)
        if parent is None:
            continue
        action = rng.random()
        if action < 0.7 or isinstance(parent, list):
            parent[key] = hostile_value(rng)
        elif action < 0.85:
            del parent[key]
        else:
            parent[f"{key}{rng.choice(('X', 's', '_', ''))}"] = parent.pop(key)
    return tree


def _random_slot(rng: random.Random, tree: Any) -> tuple[Any, Any]:
    """A random (container, key) pair, chosen by a random walk down from the root."""
    parent: Any = None
    key: Any = None
    node = tree
    while isinstance(node, dict | list) and node and (parent is None or rng.random() < 0.7):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, rng.choice(keys)
        node = node[key]
    return parent, key


@dataclass
class TreeMutator:
    """Valid YAML with hostile values: the seeds' trees mutated by `mutate_tree`, reproducible from `seed`."""

    seeds: Sequence[Any]
    seed: int
    dump: Callable[[Any], bytes]

    def case(self, index: int) -> bytes:
        rng = random.Random(f"{self.seed}:{index}")
        return self.dump(mutate_tree(rng, rng.choice(self.seeds)))
