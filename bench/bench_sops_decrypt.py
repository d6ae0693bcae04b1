"""Benchmark: decrypt a 5,000-value SOPS YAML file in-process (target: under 1 s).

Run: python bench/bench_sops_decrypt.py
Builds the file in a temporary directory with a fresh age key, then times `decrypt_file`
(parse, data-key unwrap, 5,000 AES-GCM decryptions, MAC check, YAML output).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyrage

from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.keys import AgeIdentity

VALUES = 5_000
TARGET_SECONDS = 1.0


def build_plaintext(values: int) -> str:
    """50 apps x 100 secrets, mixed types, like a large stage file."""
    lines = ["# benchmark document"]
    per_app = 100
    for app in range(values // per_app):
        lines.append(f"app{app:03d}:")
        for i in range(per_app):
            value = i if i % 10 == 0 else f"secret-value-{app}-{i}-xxxxxxxxxxxxxxxx"
            lines.append(f"    key{i:03d}: {value}")
    return "\n".join(lines) + "\n"


def main() -> int:
    identity = pyrage.x25519.Identity.generate()
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "bench.yaml"
        plain.write_text(build_plaintext(VALUES))
        encrypted = Path(folder) / "bench.enc.yaml"
        encrypted.write_bytes(encrypt_file(plain, recipients=[str(identity.to_public())]))
        identities = [AgeIdentity.from_str(str(identity))]
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            out = decrypt_file(encrypted, identities=identities)
            timings.append(time.perf_counter() - start)
        assert out == plain.read_bytes(), "decrypted content differs"
    best, median = min(timings), statistics.median(timings)
    verdict = "OK" if median < TARGET_SECONDS else "TOO SLOW"
    print(
        f"decrypt {VALUES} values: best {best:.3f} s, median {median:.3f} s "
        f"(target < {TARGET_SECONDS:.0f} s) {verdict}"
    )
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
