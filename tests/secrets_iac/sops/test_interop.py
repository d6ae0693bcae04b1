"""Both directions against the real sops 3.11: it decrypts what we write, we decrypt what it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings

from secrets_iac.sops import decrypt_file, encrypt_file
from secrets_iac.sops.keys import AgeIdentity
from secrets_iac.sops.stores.yaml_read import load_yaml
from secrets_iac.sops.stores.yaml_write import dump_yaml
from secrets_iac.sops.tree import TreeMap, from_plain, to_plain
from tests.secrets_iac.sops.conftest import KeyPair, RealSops
from tests.secrets_iac.sops.stores.test_yaml import YAML_V3_RENDERINGS
from tests.secrets_iac.sops.test_roundtrip import (
    _IDENTITY,
    RECIPIENT,
    TRICKY_STRINGS,
    _canonical_yaml,
    json_safe_documents,
)

pytestmark = pytest.mark.interop

YAML_DOC = """\
# top comment
app:
    db:
        user: admin # who
        password: "s3cr3t: with colon"
        port: 5432
    ratio: 0.25
    big: 1e+21
    enabled: true
    when: 2024-02-29T10:00:00.5+01:00
    word: yes
    hosts:
        - a.example.com
        # a comment inside a list: we write it as an encrypted YAML comment, sops as a list item
        - b.example.com
    nested_list:
        - name: one
          token: t1
        - [x, 1, false]
    text: |
        line one
          indented
    banner: " indented first line\nsecond"
    empty: ""
    nothing: null
plain_unencrypted: visible
"""

JSON_DOC = """{
  "name": "svc", "port": 8080, "ratio": 1.5, "on": true, "none": null, "empty": "",
  "list": [1, "two", {"three": 3}], "html": "<b>&amp;</b>", "skip_unencrypted": "x"
}
"""

DOTENV_DOC = "# comment line\nDB_USER=admin\nDB_PASS=p=a=s=s\nEMPTY=\nMULTI=a\\nb\nPUBLIC_unencrypted=hi\n"

CASES: dict[str, tuple[str, str, bytes]] = {
    # name: (file name, rule yaml lines, content)
    "yaml": ("secrets.yaml", "", YAML_DOC.encode()),
    "json": ("secrets.json", "", JSON_DOC.encode()),
    "dotenv": ("secrets.env", "", DOTENV_DOC.encode()),
    "binary": ("blob.bin", "", b"\x00\x01binary\xff\xfe data\n"),
    "text": ("notes.txt", "", "plain text ✓\nsecond line\n".encode()),
    "ini": ("settings.ini", "", b"; about\n[db]\nuser     = admin\npassword = hunter2\n\n[web]\nport = 80\n"),
    "multidoc": ("multi.yaml", "", b"a: 1\nb: two\n---\nc: [x, y]\n---\nd:\n    e: true\n"),
    "unencrypted_regex": ("ur.yaml", "    unencrypted_regex: ^(public|meta)", YAML_DOC.encode()),
    "encrypted_regex_mac_only": (
        "k8s.yaml",
        "    encrypted_regex: ^(data|stringData)$\n    mac_only_encrypted: true",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n    name: s\n"
        b"data:\n    a: YWI=\nstringData:\n    b: c\n    n: 3\n",
    ),
    "encrypted_suffix": (
        "suffix.yaml",
        "    encrypted_suffix: _secret",
        b"a_secret: 1\nb: 2\nc:\n    d_secret: [x, y]\n",
    ),
    "encrypted_comment_regex": (
        "ecr.yaml",
        "    encrypted_comment_regex: sops:enc",
        b"# sops:enc\nsecret: hidden\nvisible: shown\nmap:\n"
        b"    # sops:enc\n    # another comment\n    inner: v\n    other: w\n",
    ),
    # Raw LS/PS/NEL are line breaks to yaml.v3 (and libyaml): the comments after them keep their place.
    "line_separators": (
        "separators.yaml",
        "",
        "a:\n    b: 'x\u2028        y'\n    # comment in a\nc: 1 # inline c\n# top\nd:\n"
        "    - 'p\u2029      q'\n    # in list\n    - r\ne: 1 # inline e\n"
        "f: |-\n    g\u2028    h # not a comment\ni: 2 # inline i\n".encode(),
    ),
    "unencrypted_comment_regex": (
        "ucr.yaml",
        "    unencrypted_comment_regex: sops:plain",
        b"# sops:plain\nvisible: shown\nsecret: hidden\nmap:\n    # note\n    inner: v\n",
    ),
}


def _typed(data: bytes) -> list[object]:
    """YAML documents as plain data, typed the yaml.v3 way (PyYAML would read `1e+21` as a str)."""
    return [to_plain(branch) for branch in load_yaml(data, "test")]


def _write_case(folder: Path, name: str, recipients: list[str]) -> Path:
    filename, rule, content = CASES[name]
    config = f"creation_rules:\n  - age: {','.join(recipients)}\n" + (rule + "\n" if rule else "")
    (folder / ".sops.yaml").write_text(config)
    path = folder / filename
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_sops_decrypts_what_we_write(
    name: str, tmp_path: Path, keys: list[KeyPair], real_sops: RealSops, age_env: KeyPair
) -> None:
    plain = _write_case(tmp_path, name, [keys[0].recipient])
    encrypted = tmp_path / ("enc-" + plain.name)
    encrypted.write_bytes(encrypt_file(plain, config_path=tmp_path / ".sops.yaml"))
    theirs = real_sops.run(["decrypt", str(encrypted)], key_files=[keys[0].key_file], cwd=tmp_path).stdout
    ours = decrypt_file(encrypted)
    assert theirs == ours
    if plain.suffix in (".bin", ".txt", ".env", ".ini"):
        assert theirs == plain.read_bytes()
    elif plain.suffix == ".json":
        assert json.loads(theirs) == json.loads(plain.read_bytes())
    else:
        assert _typed(theirs) == _typed(plain.read_bytes())


@pytest.mark.parametrize("name", sorted(CASES))
def test_we_decrypt_what_real_sops_writes(
    name: str, tmp_path: Path, keys: list[KeyPair], real_sops: RealSops, age_env: KeyPair
) -> None:
    plain = _write_case(tmp_path, name, [keys[0].recipient, keys[1].recipient])
    encrypted_bytes = real_sops.run(["encrypt", plain.name], cwd=tmp_path).stdout
    encrypted = tmp_path / ("enc-" + plain.name)
    encrypted.write_bytes(encrypted_bytes)
    expected = real_sops.run(["decrypt", str(encrypted)], key_files=[keys[0].key_file], cwd=tmp_path).stdout
    assert decrypt_file(encrypted) == expected
    assert decrypt_file(encrypted, identities=[keys[1].identity]) == expected


@pytest.mark.parametrize("name", ["yaml", "json", "dotenv"])
def test_shamir_key_groups_both_directions(
    name: str, tmp_path: Path, keys: list[KeyPair], real_sops: RealSops, age_env: KeyPair
) -> None:
    groups = "".join(f"      - age:\n          - {k.recipient}\n" for k in keys)
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n{groups}"
    )
    filename, _, content = CASES[name]
    suffix = Path(filename).suffix
    plain = tmp_path / f"shamir{suffix}"
    plain.write_bytes(content)
    theirs = tmp_path / f"theirs{suffix}"
    theirs.write_bytes(real_sops.run(["encrypt", plain.name], cwd=tmp_path).stdout)
    ours = tmp_path / f"ours{suffix}"
    ours.write_bytes(encrypt_file(plain, config_path=tmp_path / ".sops.yaml"))
    if name == "yaml":
        meta = yaml.safe_load(ours.read_text())["sops"]
        assert meta["shamir_threshold"] == 2 and len(meta["key_groups"]) == 3
    expected = real_sops.run(
        ["decrypt", str(theirs)], key_files=[k.key_file for k in keys[:2]], cwd=tmp_path
    ).stdout
    for pair in ([keys[0], keys[1]], [keys[1], keys[2]], [keys[0], keys[2]]):
        identities = [k.identity for k in pair]
        assert decrypt_file(theirs, identities=identities) == expected
        assert decrypt_file(ours, identities=identities) == expected
        got = real_sops.run(["decrypt", str(ours)], key_files=[k.key_file for k in pair], cwd=tmp_path).stdout
        assert got == expected
    one_key = real_sops.run(["decrypt", str(ours)], key_files=[keys[0].key_file], cwd=tmp_path, check=False)
    assert one_key.returncode != 0


def test_real_sops_reads_updatekeys_and_rotate_output(
    tmp_path: Path, keys: list[KeyPair], real_sops: RealSops, age_env: KeyPair
) -> None:
    from secrets_iac.sops import rotate_file, updatekeys_file

    plain = _write_case(tmp_path, "yaml", [keys[0].recipient])
    encrypted = tmp_path / "enc.yaml"
    encrypted.write_bytes(encrypt_file(plain, config_path=tmp_path / ".sops.yaml"))
    expected = decrypt_file(encrypted)
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {keys[0].recipient},{keys[2].recipient}\n"
    )
    updated, changed = updatekeys_file(encrypted, config_path=tmp_path / ".sops.yaml")
    assert changed
    encrypted.write_bytes(updated)
    got = real_sops.run(["decrypt", str(encrypted)], key_files=[keys[2].key_file], cwd=tmp_path).stdout
    assert got == expected
    encrypted.write_bytes(rotate_file(encrypted))
    got = real_sops.run(["decrypt", str(encrypted)], key_files=[keys[2].key_file], cwd=tmp_path).stdout
    assert got == expected


def _encryption_mask(data: bytes, fmt: str) -> list[tuple[tuple[str, ...], bool]]:
    from secrets_iac.sops.cipher import is_encrypted
    from secrets_iac.sops.scalars import Comment
    from secrets_iac.sops.stores import load_encrypted
    from secrets_iac.sops.tree import leaves

    branches, _ = load_encrypted(data, fmt, "test")
    return [
        (path, is_encrypted(leaf.text if isinstance(leaf, Comment) else leaf))
        for path, leaf in leaves(branches)
    ]


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0].endswith(".yaml")))
def test_rules_select_the_same_leaves_as_real_sops(
    name: str, tmp_path: Path, keys: list[KeyPair], real_sops: RealSops, age_env: KeyPair
) -> None:
    plain = _write_case(tmp_path, name, [keys[0].recipient])
    theirs = real_sops.run(["encrypt", plain.name], cwd=tmp_path).stdout
    ours = encrypt_file(plain, config_path=tmp_path / ".sops.yaml")
    mask = _encryption_mask(ours, "yaml")
    assert mask == _encryption_mask(theirs, "yaml")
    assert any(encrypted for _, encrypted in mask)
    if CASES[name][1]:
        assert not all(encrypted for _, encrypted in mask)


def _sops_json_equal(ours: Any, theirs: Any) -> bool:
    """Equal as JSON data. Numbers are compared as floats: Go prints a whole float without a dot
    (`60613771565079980` for 6.061377156507998e16), which Python would otherwise read as an int."""
    return bool(ours == theirs)


# Found by the property tests below: a NEL after a newline (we wrote a literal block holding it, read
# back as ''), and keys the real sops writes unquoted that we typed as floats.
_TRICKY_VALUES = {"0": "\n\x85", ".0_": "v", "x": {"._0": 1, "1e999": [".5_e1", "-1e999"]}}


def _identity() -> AgeIdentity:
    return AgeIdentity.from_str(str(_IDENTITY))


def _sops_decrypts_to_json(real_sops: RealSops, encrypted: Path, folder: Path) -> Any:
    key_file = folder / "roundtrip-key.txt"
    key_file.write_text(f"{_IDENTITY}\n")
    out = real_sops.run(
        ["decrypt", "--output-type", "json", str(encrypted)], key_files=[key_file], cwd=folder
    )
    return json.loads(out.stdout, parse_int=float)


def _sops_encrypts_json(real_sops: RealSops, document: Any, folder: Path) -> Path:
    plain = folder / "random.json"
    plain.write_text(json.dumps(document))
    out = real_sops.run(["encrypt", "--age", RECIPIENT, "--output-type", "yaml", plain.name], cwd=folder)
    encrypted = folder / "random.enc.yaml"
    encrypted.write_bytes(out.stdout)
    return encrypted


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=json_safe_documents)
@example(doc=_TRICKY_VALUES)
def test_real_sops_reads_random_documents_we_write(
    doc: dict[str, Any], tmp_path: Path, keys: list[KeyPair], real_sops: RealSops
) -> None:
    plain = tmp_path / "random.yaml"
    plain.write_bytes(_canonical_yaml([doc]))
    encrypted = tmp_path / "random.enc.yaml"
    encrypted.write_bytes(encrypt_file(plain, recipients=[RECIPIENT]))
    assert _sops_json_equal(doc, _sops_decrypts_to_json(real_sops, encrypted, tmp_path))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=json_safe_documents)
@example(doc=_TRICKY_VALUES)
def test_we_read_random_documents_real_sops_writes(
    doc: dict[str, Any], tmp_path: Path, real_sops: RealSops
) -> None:
    encrypted = _sops_encrypts_json(real_sops, doc, tmp_path)
    decrypted = decrypt_file(encrypted, identities=[_identity()], output_type="json")
    assert _sops_json_equal(doc, json.loads(decrypted, parse_int=float))


def test_strings_are_written_as_the_real_sops_writes_them(tmp_path: Path, real_sops: RealSops) -> None:
    """The table of yaml.v3 renderings in test_yaml.py, checked against the binary."""
    document = {"k": "first", **{f"k{i}": value for i, value in enumerate(YAML_V3_RENDERINGS)}}
    encrypted = _sops_encrypts_json(real_sops, document, tmp_path)
    key_file = tmp_path / "roundtrip-key.txt"
    key_file.write_text(f"{_IDENTITY}\n")
    theirs = real_sops.run(["decrypt", str(encrypted)], key_files=[key_file], cwd=tmp_path).stdout
    assert theirs == dump_yaml([TreeMap(from_plain(document).items)])  # type: ignore[union-attr]
    assert decrypt_file(encrypted, identities=[_identity()]) == theirs
    for i, value in enumerate(YAML_V3_RENDERINGS):
        assert dump_yaml([TreeMap([("k", value)])]) == YAML_V3_RENDERINGS[value], repr(value)
        assert f"k{i}".encode() + YAML_V3_RENDERINGS[value][1:] in theirs


_TRICKY_KEYS = [".0_", "._0", ".5_e1", "1e999", "-1e999", "0b-2", "x\x85y", "a\u2028b", "\U0001f600", "a\nb"]


def test_tricky_strings_and_keys_both_directions(tmp_path: Path, real_sops: RealSops) -> None:
    """Values and keys that yaml.v3 writes in a particular style or types otherwise than YAML 1.1:
    the real sops reads what we write (plaintext and encrypted), we read what it writes."""
    document: dict[str, Any] = {
        "values": {f"v{i}": value for i, value in enumerate(TRICKY_STRINGS)},
        "in_a_list": list(TRICKY_STRINGS),
        "keys": {key: key for key in _TRICKY_KEYS},
    }
    ours = dump_yaml([TreeMap(from_plain(document).items)])  # type: ignore[union-attr]
    plain = tmp_path / "tricky.yaml"
    plain.write_bytes(ours)
    # The real sops reads our plaintext YAML (yaml.v3 typing and styles) ...
    theirs_of_ours = tmp_path / "theirs-of-ours.yaml"
    theirs_of_ours.write_bytes(
        real_sops.run(["encrypt", "--age", RECIPIENT, plain.name], cwd=tmp_path).stdout
    )
    assert _sops_decrypts_to_json(real_sops, theirs_of_ours, tmp_path) == document
    # ... and decrypts the file we encrypted; we decrypt the file it encrypted.
    encrypted = tmp_path / "tricky.enc.yaml"
    encrypted.write_bytes(encrypt_file(plain, recipients=[RECIPIENT]))
    assert _sops_decrypts_to_json(real_sops, encrypted, tmp_path) == document
    assert decrypt_file(theirs_of_ours, identities=[_identity()]) == ours
    from_json = _sops_encrypts_json(real_sops, document, tmp_path)
    assert json.loads(decrypt_file(from_json, identities=[_identity()], output_type="json")) == document
    assert to_plain(load_yaml(decrypt_file(from_json, identities=[_identity()]), "t")[0]) == document
