"""The allow/deny matrix of a stage with every store layout, on moto with IAM enforced.

The test-owned stage `layers` (tests/fixtures/stores.py) is rendered by the real program under the mock
engine (`secrets-iac plan`); the IAM documents it writes to `iam/` are provisioned in moto unchanged, each
role is assumed the way ESO assumes it (IRSA web identity; for the session-tag store the identity role then
assumes the reader with ESO's session tags), and every (role, secret) pair is tried. A reader must read
exactly the secrets of the apps its store serves; the pusher must write exactly its push targets and
generated credentials, never the app's git-managed secrets.

moto ignores policy conditions: the session-tag reader is shown here reading exactly its apps' prefixes;
that a namespace reads only secrets tagged with it is proven with the documents as data in
tests/secrets_iac/iam/test_abac.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from botocore.exceptions import ClientError

from tests.aws.test_least_privilege import (
    assume_with_web_identity,
    create_oidc_provider,
    iam_error_code,
    provision_role,
)
from tests.aws.test_plan_least_privilege import in_account, role_documents
from tests.conftest import MotoServer
from tests.eso_schema import validate_manifest
from tests.fixtures.stages import write_project
from tests.fixtures.stores import ACCOUNT, ISSUER, PREFIX, STAGE, layered_values
from tests.plan_render import RenderedPlan, render

ROLE = f"secrets-iac-{STAGE}-"
READERS = {
    f"{ROLE}orders-reader": {"orders"},
    f"{ROLE}reports-reader": {"reports"},
    f"{ROLE}shared-store-reader": {"billing", "shipping"},
    f"{ROLE}tenants-store-reader": {"alpha", "beta"},
    f"{ROLE}tenants-store-identity": set(),
    f"{ROLE}orders-pusher": set(),
}
GIT_MANAGED = (
    f"{PREFIX}/orders/db",
    f"{PREFIX}/billing/api-key",
    f"{PREFIX}/shipping/carrier",
    f"{PREFIX}/reports/warehouse",
    f"{PREFIX}/reports/exports/daily",
    f"{PREFIX}/alpha/token",
    f"{PREFIX}/beta/token",
)
PUSHED = (f"{PREFIX}/orders/token", f"{PREFIX}/orders/admin-password")
FOREIGN = (
    "secrets-iac/other-stage/billing/api-key",  # another stage
    f"{PREFIX}-other/billing/api-key",  # `<prefix>-other`
    f"{PREFIX}/billing-other/api-key",  # shares the app's string prefix
)
NEAR_PUSH = (f"{PREFIX}/orders/token-old",)  # the app's (its reader reads it), but not a push target
ALL = GIT_MANAGED + PUSHED + NEAR_PUSH + FOREIGN
SESSION_TAGS = [
    {"Key": "esoNamespace", "Value": "alpha"},
    {"Key": "esoStoreName", "Value": "tenants"},
    {"Key": "esoStoreKind", "Value": "ClusterSecretStore"},
]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> RenderedPlan:
    project = write_project(tmp_path_factory.mktemp("layers-project"), STAGE, layered_values())
    return render(STAGE, tmp_path_factory.mktemp("layers-plan") / "out", project)


@dataclass
class World:
    server: MotoServer
    clients: dict[str, Any]  # role -> secretsmanager client acting as it


@pytest.fixture
def world(moto_sm: MotoServer, plan: RenderedPlan) -> World:
    iam = in_account(moto_sm.client("iam"), ACCOUNT)
    sm = in_account(moto_sm.client("secretsmanager"), ACCOUNT)
    assert create_oidc_provider(iam, f"https://{ISSUER}").endswith(ISSUER)
    roles = sorted(n.removesuffix(".trust.json") for n in plan.iam if n.endswith(".trust.json"))
    assert set(roles) == set(READERS)
    arns = {role: provision_role(iam, role, *role_documents(plan, role)) for role in roles}
    for name in ALL:
        sm.create_secret(Name=name, SecretString="s3cr3t")
    sessions = {
        role: assume_with_web_identity(moto_sm, arn)
        for role, arn in arns.items()
        if "tenants-store-reader" not in role
    }
    moto_sm.enforce_iam()
    # ESO's hop for sessionTagsPolicy Simple: the store's IRSA identity assumes the reader with the tags.
    sts = moto_sm.client("sts", **sessions[f"{ROLE}tenants-store-identity"])
    creds = sts.assume_role(
        RoleArn=arns[f"{ROLE}tenants-store-reader"],
        RoleSessionName="external-secrets-provider-aws",
        Tags=SESSION_TAGS,
    )["Credentials"]
    sessions[f"{ROLE}tenants-store-reader"] = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    return World(moto_sm, {role: moto_sm.client("secretsmanager", **s) for role, s in sessions.items()})


def _allowed(call: Callable[..., Any], /, **kwargs: Any) -> bool:
    """True if `call(**kwargs)` succeeds; False on IAM AccessDenied (anything else fails the test)."""
    try:
        call(**kwargs)
    except ClientError as err:
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403, err.response
        assert iam_error_code(err) == "AccessDenied", err.response
        return False
    return True


def _app(secret: str) -> str | None:
    return secret.removeprefix(f"{PREFIX}/").split("/")[0] if secret.startswith(f"{PREFIX}/") else None


def test_every_reader_reads_exactly_what_its_apps_own(world: World) -> None:
    matrix = {
        (role, secret): _allowed(client.get_secret_value, SecretId=secret)
        for role, client in world.clients.items()
        for secret in ALL
    }
    expected = {(role, secret): _app(secret) in READERS[role] for role in world.clients for secret in ALL}
    pusher = f"{ROLE}orders-pusher"
    for secret in PUSHED:  # the pusher reads back what it pushes (IfNotExists, ownership check)
        expected[(pusher, secret)] = True
    wrong = sorted(pair for pair in matrix if matrix[pair] != expected[pair])
    assert wrong == [], f"(role, secret) pairs that differ from ownership: {wrong}"
    assert sum(matrix.values()) == 12  # orders 4, reports 2, shared 2, tenants 2; the pusher its 2


def test_readers_never_write(world: World) -> None:
    for role in READERS:
        if role.endswith("-pusher"):
            continue
        client = world.clients[role]
        for secret in GIT_MANAGED:
            assert not _allowed(client.put_secret_value, SecretId=secret, SecretString="x")
            assert not _allowed(
                client.tag_resource, SecretId=secret, Tags=[{"Key": "namespace", "Value": "x"}]
            )


def test_the_pusher_writes_exactly_its_push_targets(world: World, plan: RenderedPlan) -> None:
    pusher = world.clients[f"{ROLE}orders-pusher"]
    writable = {
        secret: _allowed(pusher.put_secret_value, SecretId=secret, SecretString="v2") for secret in ALL
    }
    assert [s for s, ok in writable.items() if ok] == list(PUSHED)
    # issue 11 item 8: the app's git-managed secret is out of reach (was writable with the prefix grant)
    db = f"{PREFIX}/orders/db"
    assert not _allowed(lambda: pusher.put_secret_value(SecretId=db, SecretString="x"))
    assert not _allowed(
        lambda: pusher.tag_resource(SecretId=db, Tags=[{"Key": "managed-by", "Value": "external-secrets"}])
    )
    assert not _allowed(lambda: pusher.delete_secret(SecretId=db, ForceDeleteWithoutRecovery=True))
    assert not _allowed(lambda: pusher.create_secret(Name=f"{PREFIX}/orders/new", SecretString="x"))
    # what ESO does for the generated credential: describe, read (IfNotExists), put, tag, drop resource policy
    generated = f"{PREFIX}/orders/admin-password"
    push = next(
        m for m in plan.of_kind("PushSecret") if m["metadata"]["name"] == "orders-generate-admin-password"
    )
    assert push["spec"]["data"][0]["match"]["remoteRef"]["remoteKey"] == generated
    pusher.describe_secret(SecretId=generated)
    pusher.get_secret_value(SecretId=generated)
    tags = push["spec"]["data"][0]["metadata"]["spec"]["tags"]
    pusher.tag_resource(SecretId=generated, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    pusher.delete_resource_policy(SecretId=generated)


def test_the_rendered_plan_holds_the_stage(plan: RenderedPlan) -> None:
    kinds = sorted({m["kind"] for m in plan.manifests.values()})
    assert kinds == [
        "ClusterSecretStore",
        "ExternalSecret",
        "Password",
        "PushSecret",
        "SecretStore",
        "ServiceAccount",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ]
    secrets = {
        r["inputs"]["name"]: r["inputs"]["tags"] for r in plan.of_type("aws:secretsmanager/secret:Secret")
    }
    assert secrets[f"{PREFIX}/orders/admin-password"]["managed-by"] == "external-secrets"
    assert secrets[f"{PREFIX}/alpha/token"]["namespace"] == "alpha"
    reader = next(r for r in plan.of_type("aws:iam/role:Role") if r["name"] == "tenants-store-reader-role")
    assert "aws:iam/role:Role::tenants-store-identity-role" in reader["dependsOn"]
    push = next(
        r for r in plan.resources if r["name"] == "pushsecret-orders-orders-generate-admin-password-cr"
    )
    assert any("orders-admin-password-secret" in d for d in push["dependsOn"]), push["dependsOn"]


def test_rendered_objects_validate_as_applied(plan: RenderedPlan) -> None:
    """What the program declares (through CustomResource) is what the schemas accept: Kubernetes' own for
    the admission objects, ESO's CRDs (strict) for the rest."""
    for name, manifest in plan.manifests.items():
        if manifest["apiVersion"].startswith("admissionregistration.k8s.io/"):
            kubernetes_validate.validate(manifest, "1.30", strict=True)
        elif "external-secrets.io" in manifest["apiVersion"]:
            validate_manifest(manifest)
        else:
            assert manifest["kind"] == "ServiceAccount", name
    assert Path(plan.out, "plan.json").is_file()


def test_only_the_store_identity_may_assume_the_session_tag_reader(world: World, plan: RenderedPlan) -> None:
    """A role whose own policy allows assuming the reader is still refused by the reader's trust, which names
    only the store's identity (moto checks the trust principal; its conditions are tested as data)."""
    world.server.disable_iam()
    iam = in_account(world.server.client("iam"), ACCOUNT)
    reader_arn = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}tenants-store-reader"
    trust, _ = role_documents(plan, f"{ROLE}tenants-store-identity")
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": reader_arn}
        ],
    }
    intruder = provision_role(iam, "intruder", trust, {"assume": assume})
    session = assume_with_web_identity(world.server, intruder)
    world.server.enforce_iam()
    sts = world.server.client("sts", **session)
    assert not _allowed(
        lambda: sts.assume_role(RoleArn=reader_arn, RoleSessionName="intruder", Tags=SESSION_TAGS)
    )
