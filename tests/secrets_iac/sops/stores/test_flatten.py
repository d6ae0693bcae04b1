"""sops's Flatten/Unflatten for the dotenv and INI metadata (spec §2.4, §2.5)."""

from __future__ import annotations

from secrets_iac.sops.stores.flatten import flatten, unflatten

AGE = [
    {
        "recipient": "age1abc",
        "enc": "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n",
    }
]


def test_flatten_round_trip() -> None:
    plain = {"key_groups": [{"age": AGE}], "mac_only_encrypted": True, "version": "3.11.0"}
    flat = flatten(plain)
    assert "key_groups__list_0__map_age__list_0__map_enc" in flat
    assert unflatten(flat) == plain
