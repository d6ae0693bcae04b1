"""Fixtures for the sync tests: a throwaway project (stack file + SOPS file encrypted to a fresh age key)
and helpers that act as `pulumi up` and as an out-of-band writer against the session moto server."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pyrage
import pytest
import yaml

from secrets_iac.config import load_stage_config
from secrets_iac.planner import StagePlan, render_stage
from secrets_iac.sops import AgeIdentity, encrypt_file
from secrets_iac.sync import AwsClients, SyncOptions, SyncReport, sync_stage
from tests.conftest import MOTO_ACCOUNT_ID, MOTO_ROOT_CREDENTIALS, MotoServer
from tests.fault_proxy import FaultProxy, fault_proxy
from tests.fixtures.stages import bulk_sync_stage, write_sync_project

STACK = "test"
CANARY = "CANARY-plaintext-7f3a9c"
"""Part of every test value: it must never show up in any output, report or error."""


def default_values() -> dict[str, Any]:
    return {
        "payments": {
            "db": {"username": "payments", "password": f"{CANARY}-db", "port": 5432},
            "stripe-api-key": f"sk_test_{CANARY}",
            "db-rotated": {"username": "rotated", "password": f"{CANARY}-rotated"},
        },
        "web": {
            "tls": {
                "tls.crt": f"-----BEGIN CERTIFICATE-----\n{CANARY}crt\n-----END CERTIFICATE-----\n",
                "tls.key": f"-----BEGIN PRIVATE KEY-----\n{CANARY}key\n-----END PRIVATE KEY-----\n",
            }
        },
    }


def stack_document(kms: Mapping[str, Any] | None = None, account_id: str = MOTO_ACCOUNT_ID) -> dict[str, Any]:
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/SYNCTEST0123456789"
    return {
        "config": {
            "aws:region": "eu-west-1",
            "secrets-iac:region": "eu-west-1",
            "secrets-iac:accountId": account_id,
            "secrets-iac:cluster": {
                "name": "test-eks",
                "oidcProviderArn": f"arn:aws:iam::{account_id}:oidc-provider/{issuer}",
                "oidcIssuerUrl": f"https://{issuer}",
            },
            "secrets-iac:kms": dict(kms or {"mode": "aws-managed"}),
            "secrets-iac:store": {"kind": "ClusterSecretStore", "auth": "irsa"},
            "secrets-iac:tags": {"team": "platform"},
            "secrets-iac:apps": [
                {
                    "name": "payments",
                    "namespace": "payments-test",
                    "secrets": [
                        {"name": "db", "description": "Payments database credentials"},
                        {"name": "stripe-api-key", "keys": [{"secretKey": "STRIPE_API_KEY"}]},
                        {
                            "name": "db-rotated",
                            "rotation": {
                                "lambdaArn": f"arn:aws:lambda:eu-west-1:{account_id}:function:rotate-db"
                            },
                        },
                    ],
                },
                {
                    "name": "web",
                    "namespace": "web-test",
                    "secrets": [{"name": "tls"}],
                    "tls": {"secret": "tls"},
                },
            ],
        }
    }


@dataclass
class SyncProject:
    """A project folder with `stacks/Pulumi.test.yaml` and `stacks/secrets/test.enc.yaml`."""

    root: Path
    identity: AgeIdentity
    stack: str = STACK

    @property
    def age_secret_key(self) -> str:
        """The identity as a keys-file line, for SOPS_AGE_KEY."""
        return str(self.identity.pyrage_identity)

    @property
    def secrets_file(self) -> Path:
        return self.root / "stacks" / "secrets" / f"{self.stack}.enc.yaml"

    def write_stack(self, document: Mapping[str, Any]) -> None:
        path = self.root / "stacks" / f"Pulumi.{self.stack}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(dict(document), sort_keys=False))

    def write_secrets(self, values: Mapping[str, Any]) -> None:
        self.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        plain = yaml.safe_dump(dict(values), sort_keys=False).encode()
        self.secrets_file.write_bytes(
            encrypt_file(self.secrets_file, recipients=[self.identity.recipient], data=plain)
        )

    def plan(self) -> StagePlan:
        return render_stage(load_stage_config(self.root, self.stack), self.stack)

    def name(self, app: str, secret: str) -> str:
        return f"secrets-iac/{self.stack}/{app}/{secret}"

    def options(self, **kwargs: Any) -> SyncOptions:
        return SyncOptions(identities=[self.identity], max_workers=kwargs.pop("max_workers", 4), **kwargs)

    def sync(self, moto: MotoServer, **kwargs: Any) -> SyncReport:
        return sync_stage(self.root, self.stack, self.options(**kwargs), clients=clients_for(moto))


def clients_for(moto: MotoServer) -> AwsClients:
    return AwsClients(
        secretsmanager=moto.client("secretsmanager"), kms=moto.client("kms"), sts=moto.client("sts")
    )


def pulumi_up(
    moto: MotoServer, project: SyncProject, *, skip: tuple[str, ...] = (), kms_key_id: str | None = None
) -> None:
    """Create the declared secrets' metadata (no value), as `pulumi up` does."""
    sm = moto.client("secretsmanager")
    for spec in project.plan().secrets:
        if spec.name in skip:
            continue
        kwargs: dict[str, Any] = {
            "Name": spec.name,
            "Tags": [{"Key": k, "Value": v} for k, v in spec.tags.items()],
        }
        if spec.description:
            kwargs["Description"] = spec.description
        if kms_key_id:
            kwargs["KmsKeyId"] = kms_key_id
        sm.create_secret(**kwargs)


def snapshot(moto: MotoServer) -> dict[str, Any]:
    """Every secret: metadata, versions with labels, current value (to prove nothing was written)."""
    sm = moto.client("secretsmanager")
    state: dict[str, Any] = {}
    for entry in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]:
        name = entry["Name"]
        described = sm.describe_secret(SecretId=name)
        versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
        current = None
        if any("AWSCURRENT" in v.get("VersionStages", []) for v in versions):
            current = sm.get_secret_value(SecretId=name).get("SecretString")
        state[name] = {
            "tags": sorted((t["Key"], t["Value"]) for t in described.get("Tags", [])),
            "description": described.get("Description"),
            "kms": described.get("KmsKeyId"),
            "stages": {k: sorted(v) for k, v in (described.get("VersionIdsToStages") or {}).items()},
            "value": current,
        }
    return state


@pytest.fixture
def project(tmp_path: Path) -> SyncProject:
    identity = pyrage.x25519.Identity.generate()
    proj = SyncProject(tmp_path / "project", AgeIdentity.from_str(str(identity), "test"))
    proj.write_stack(stack_document())
    proj.write_secrets(default_values())
    return proj


@pytest.fixture
def moto(moto_fresh: MotoServer) -> Iterator[MotoServer]:
    """The emptied session moto server (short name for these tests)."""
    yield moto_fresh


# -- many secrets, many stages: projects built from tests/fixtures/stages.bulk_sync_stage ------------------


class CallCounter:
    """Counts HTTP requests per operation (retries included) on every client the sync creates."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def hook(self, client: Any) -> None:
        client.meta.events.register("before-send", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target")
        if target:
            operation = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
        else:
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
            operation = parse_qs(body).get("Action", ["?"])[0]
        with self._lock:
            self.counts[operation] += 1

    def total(self, *operations: str) -> int:
        return sum(self.counts[o] for o in operations) if operations else sum(self.counts.values())


@dataclass
class BulkProject:
    """A project with any number of generated stages (`add_stage`), all encrypted to one age identity."""

    root: Path
    identity: AgeIdentity
    stages: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Stack -> (secrets, account)."""

    def add_stage(
        self, stack: str, secrets: int, *, account: str = MOTO_ACCOUNT_ID, seed: str = "v1", **kw: Any
    ) -> None:
        stage, values = bulk_sync_stage(secrets, account=account, seed=seed, **kw)
        write_sync_project(self.root, stack, stage, values, self.identity.recipient)
        self.stages[stack] = (secrets, account)

    def reseed(self, stack: str, seed: str, **kw: Any) -> None:
        """New values for every secret of the stage (same declarations)."""
        secrets, account = self.stages[stack]
        self.add_stage(stack, secrets, account=account, seed=seed, **kw)

    def prefix(self, stack: str) -> str:
        return f"secrets-iac/{stack}"

    def options(self, endpoint_url: str, **kwargs: Any) -> SyncOptions:
        kwargs.setdefault("max_workers", 8)
        kwargs.setdefault("session", moto_session())
        return SyncOptions(identities=[self.identity], endpoint_url=endpoint_url, **kwargs)

    def sync(self, endpoint_url: str, stack: str, **kwargs: Any) -> SyncReport:
        return sync_stage(self.root, stack, self.options(endpoint_url, **kwargs))


def moto_session(**creds: str) -> boto3.Session:
    """A boto3 session with the dummy root credentials (or `creds`), never the environment's."""
    given = {**MOTO_ROOT_CREDENTIALS, **creds}
    return boto3.Session(
        aws_access_key_id=given["aws_access_key_id"],
        aws_secret_access_key=given["aws_secret_access_key"],
        aws_session_token=given.get("aws_session_token"),
    )


def versions_per_secret(moto: MotoServer, prefix: str, **creds: Any) -> dict[str, int]:
    """How many versions each secret under `prefix/` has (moto keeps every version)."""
    sm = moto.client("secretsmanager", **creds)
    names = [
        s["Name"]
        for page in sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [f"{prefix}/"]}], IncludePlannedDeletion=True
        )
        for s in page["SecretList"]
    ]
    return {n: len(sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)["Versions"]) for n in names}


@pytest.fixture
def bulk(tmp_path: Path) -> BulkProject:
    identity = pyrage.x25519.Identity.generate()
    return BulkProject(tmp_path / "bulk", AgeIdentity.from_str(str(identity), "bulk"))


@pytest.fixture(scope="session")
def session_fault_proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with fault_proxy(moto_server.endpoint_url, seed=7) as proxy:
        yield proxy


@pytest.fixture
def faults(session_fault_proxy: FaultProxy, moto: MotoServer) -> Iterator[FaultProxy]:
    """The fault proxy in front of the (emptied) session moto server, with no faults, before and after."""
    session_fault_proxy.clear()
    yield session_fault_proxy
    session_fault_proxy.clear()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: SyncProject) -> Iterator[None]:
    """What a platform engineer has: an age key in SOPS_AGE_KEY and AWS credentials in the environment."""
    for name in ("SOPS_AGE_KEY_FILE", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOPS_AGE_KEY", project.age_secret_key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_ROOT_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_ROOT_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    yield
