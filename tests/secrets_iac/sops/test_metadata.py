"""The `sops` block: parsing rules, foreign keys kept (spec §5)."""

from __future__ import annotations

from typing import Any

import pytest

from secrets_iac.sops.errors import MetadataError
from secrets_iac.sops.metadata import metadata_from_plain

AGE = [
    {
        "recipient": "age1abc",
        "enc": "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n",
    }
]


def _meta(**extra: Any) -> dict[str, Any]:
    return {"age": AGE, "lastmodified": "2024-01-01T00:00:00Z", "mac": "", "version": "3.11.0", **extra}


def test_old_empty_lists_and_foreign_keys() -> None:
    meta = metadata_from_plain(_meta(kms=[], pgp=None, gcp_kms=[{"resource_id": "r", "enc": "e"}]))
    assert meta.key_groups[0].others == {"gcp_kms": [{"resource_id": "r", "enc": "e"}]}
    assert meta.rule.kind == "unencrypted_suffix"  # sops's default when reading
    plain = meta.to_plain()
    assert plain["gcp_kms"] == [{"resource_id": "r", "enc": "e"}] and list(plain)[-1] == "version"


def test_key_groups_used_when_no_top_level_keys() -> None:
    raw = _meta(age=[], key_groups=[{"age": AGE}, {"age": AGE}], shamir_threshold=2)
    meta = metadata_from_plain(raw)
    assert len(meta.key_groups) == 2 and meta.threshold == 2
    assert metadata_from_plain({**raw, "shamir_threshold": 0}).threshold == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": None}, "Version string empty"),
        ({"version": "pysops"}, "semver"),
        ({"age": []}, "No keys found"),
        ({"lastmodified": "yesterday"}, "RFC3339"),
        ({"encrypted_regex": "a", "unencrypted_regex": "b"}, "only one of"),
    ],
)
def test_invalid_metadata(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MetadataError, match=message):
        metadata_from_plain({k: v for k, v in {**_meta(), **change}.items() if v is not None})
