"""Least privilege of the *rendered plan*: the IAM documents `secrets-iac plan` writes to `iam/` are
provisioned in moto as they are, in the stage's own account, assumed, and exercised with IAM enforced.

Roles and secrets live in the account the plan names (dev 111122223333, staging 444455556666): setup calls
carry moto's `x-moto-account-id` header, and credentials of a role assumed there act in that account, so the
rendered ARNs (`arn:aws:secretsmanager:eu-west-1:<account>:secret:secrets-iac/<stage>/...`) are matched
unchanged. What moto does and does not enforce is described in tests/aws/test_least_privilege.py (conditions
and trust conditions are not evaluated; resource scoping comes from moto_sm_resource_server.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from secrets_iac.config import StageConfig, load_stage_config
from tests.aws.test_least_privilege import (
    ESO_TAG,
    assume_with_web_identity,
    create_oidc_provider,
    iam_error_code,
    provision_role,
)
from tests.conftest import MotoServer
from tests.fixtures.example import EXAMPLE, STAGES
from tests.plan_render import RenderedPlan, rendered

DEV_READER = "secrets-iac-alpha-store-reader"
STAGING_READER = "secrets-iac-beta-payments-reader"
STAGING_WEB_READER = "secrets-iac-beta-web-reader"
STAGING_PUSHER = "secrets-iac-beta-payments-pusher"

DEV_OWN = ("secrets-iac/alpha/payments/db", "secrets-iac/alpha/web/tls")
DEV_FOREIGN = ("secrets-iac/alpha-other/payments/db", "secrets-iac/beta/payments/db", "secrets-iac/devx")
STAGING_OWN = ("secrets-iac/beta/payments/db", "secrets-iac/beta/payments/stripe-api-key")
STAGING_FOREIGN = (
    "secrets-iac/beta/web/tls",  # the other app of the same stage
    "secrets-iac/beta/payments-other/db",  # shares the "payments" string prefix
    "secrets-iac/gamma/payments/db",
    "secrets-iac/alpha/payments/db",
)


def in_account(client: Any, account_id: str) -> Any:
    """Make every request of `client` act in `account_id` (moto's `x-moto-account-id` header)."""

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    client.meta.events.register("before-sign.*.*", add_header)
    return client


def assert_denied(role: str, call: Callable[[], Any]) -> None:
    """`call` fails with IAM AccessDenied (HTTP 403) for the assumed `role`, not with any other error."""
    with pytest.raises(ClientError) as excinfo:
        call()
    response = excinfo.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403, response
    assert iam_error_code(excinfo.value) == "AccessDenied", response
    assert f":assumed-role/{role}/" in str(response["Error"]["Message"]), response


def role_documents(plan: RenderedPlan, role: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(trust document, {policy name: document}) of `role` exactly as the plan wrote them."""
    policies = {
        name.removeprefix(f"{role}.").removesuffix(".json"): doc
        for name, doc in plan.iam.items()
        if name.startswith(f"{role}.") and not name.endswith(".trust.json")
    }
    assert policies, f"{plan.stage}: no policy files for {role}"
    return plan.trust(role), policies


def eso_push_tags(plan: RenderedPlan) -> tuple[str, list[dict[str, str]]]:
    """Remote key and tags of the plan's first PushSecret entry, as ESO sends them on CreateSecret:
    the PushSecretMetadata tags plus managed-by=external-secrets."""
    (push,) = plan.of_kind("PushSecret")
    (item,) = push["spec"]["data"]
    tags = item["metadata"]["spec"]["tags"]
    return item["match"]["remoteRef"]["remoteKey"], [
        ESO_TAG,
        *({"Key": k, "Value": v} for k, v in tags.items()),
    ]


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory: pytest.TempPathFactory) -> RenderedPlan:
    return rendered(tmp_path_factory, "alpha")


@pytest.fixture(scope="module")
def staging_plan(tmp_path_factory: pytest.TempPathFactory) -> RenderedPlan:
    return rendered(tmp_path_factory, "beta")


@dataclass
class Stage:
    config: StageConfig
    clients: dict[str, Any]  # role name -> secretsmanager client acting as the assumed role


@dataclass
class World:
    server: MotoServer
    dev: Stage
    staging: Stage


def provision_stage(
    server: MotoServer, plan: RenderedPlan, roles: tuple[str, ...], secrets: tuple[str, ...]
) -> tuple[StageConfig, dict[str, str]]:
    """In the stage's account: its OIDC provider, `roles` from the plan, `secrets`; returns role ARNs."""
    config = load_stage_config(EXAMPLE, plan.stage)
    iam = in_account(server.client("iam"), config.account_id)
    sm = in_account(server.client("secretsmanager"), config.account_id)
    assert create_oidc_provider(iam, config.cluster.oidc_issuer_url) == config.cluster.oidc_provider_arn
    arns = {role: provision_role(iam, role, *role_documents(plan, role)) for role in roles}
    for name in secrets:
        arn = sm.create_secret(Name=name, SecretString="s3cr3t")["ARN"]
        assert arn.startswith(f"arn:aws:secretsmanager:{config.region}:{config.account_id}:secret:{name}-")
    return config, arns


@pytest.fixture
def world(moto_sm: MotoServer, dev_plan: RenderedPlan, staging_plan: RenderedPlan) -> Iterator[World]:
    dev_config, dev_arns = provision_stage(moto_sm, dev_plan, (DEV_READER,), DEV_OWN + DEV_FOREIGN)
    staging_config, staging_arns = provision_stage(
        moto_sm,
        staging_plan,
        (STAGING_READER, STAGING_WEB_READER, STAGING_PUSHER),
        STAGING_OWN + STAGING_FOREIGN,
    )
    sessions = {
        role: assume_with_web_identity(moto_sm, arn) for role, arn in {**dev_arns, **staging_arns}.items()
    }
    moto_sm.enforce_iam()
    yield World(
        server=moto_sm,
        dev=Stage(dev_config, {r: moto_sm.client("secretsmanager", **sessions[r]) for r in dev_arns}),
        staging=Stage(
            staging_config, {r: moto_sm.client("secretsmanager", **sessions[r]) for r in staging_arns}
        ),
    )


# -- the harness acts in the rendered accounts --------------------------------------------------------------


def test_assumed_roles_act_in_the_plan_account(world: World) -> None:
    arn = world.dev.clients[DEV_READER].describe_secret(SecretId=DEV_OWN[0])["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:eu-west-1:{world.dev.config.account_id}:secret:")
    arn = world.staging.clients[STAGING_READER].describe_secret(SecretId=STAGING_OWN[0])["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:eu-west-1:{world.staging.config.account_id}:secret:")


# -- dev: the ClusterSecretStore's reader ------------------------------------------------------------------


@pytest.mark.parametrize("secret_id", DEV_OWN)
def test_dev_reader_reads_dev_secrets(world: World, secret_id: str) -> None:
    reader = world.dev.clients[DEV_READER]
    assert reader.get_secret_value(SecretId=secret_id)["SecretString"] == "s3cr3t"
    arn = reader.describe_secret(SecretId=secret_id)["ARN"]
    assert reader.get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"
    assert reader.list_secret_version_ids(SecretId=secret_id)["Versions"]


@pytest.mark.parametrize("secret_id", DEV_FOREIGN)
def test_dev_reader_denied_outside_dev(world: World, secret_id: str) -> None:
    reader = world.dev.clients[DEV_READER]
    assert_denied(DEV_READER, lambda: reader.get_secret_value(SecretId=secret_id))
    assert_denied(DEV_READER, lambda: reader.describe_secret(SecretId=secret_id))


def test_dev_reader_cannot_write(world: World) -> None:
    reader = world.dev.clients[DEV_READER]
    own = DEV_OWN[0]
    assert_denied(DEV_READER, lambda: reader.put_secret_value(SecretId=own, SecretString="x"))
    assert_denied(
        DEV_READER, lambda: reader.create_secret(Name="secrets-iac/alpha/payments/new", SecretString="x")
    )
    assert_denied(DEV_READER, lambda: reader.tag_resource(SecretId=own, Tags=[ESO_TAG]))
    assert_denied(DEV_READER, lambda: reader.delete_secret(SecretId=own, ForceDeleteWithoutRecovery=True))
    assert_denied(DEV_READER, lambda: reader.list_secrets())


# -- staging: per-app reader --------------------------------------------------------------------------------


@pytest.mark.parametrize("secret_id", STAGING_OWN)
def test_staging_payments_reader_reads_its_app(world: World, secret_id: str) -> None:
    reader = world.staging.clients[STAGING_READER]
    assert reader.get_secret_value(SecretId=secret_id)["SecretString"] == "s3cr3t"
    assert reader.list_secret_version_ids(SecretId=secret_id)["Versions"]


@pytest.mark.parametrize("secret_id", STAGING_FOREIGN)
def test_staging_payments_reader_denied_other_apps_and_stages(world: World, secret_id: str) -> None:
    reader = world.staging.clients[STAGING_READER]
    assert_denied(STAGING_READER, lambda: reader.get_secret_value(SecretId=secret_id))
    assert_denied(STAGING_READER, lambda: reader.describe_secret(SecretId=secret_id))


def test_staging_web_reader_is_the_mirror_image(world: World) -> None:
    web = world.staging.clients[STAGING_WEB_READER]
    assert web.get_secret_value(SecretId="secrets-iac/beta/web/tls")["SecretString"] == "s3cr3t"
    assert_denied(STAGING_WEB_READER, lambda: web.get_secret_value(SecretId=STAGING_OWN[0]))


def test_staging_payments_reader_cannot_write(world: World) -> None:
    reader = world.staging.clients[STAGING_READER]
    own = STAGING_OWN[0]
    assert_denied(STAGING_READER, lambda: reader.put_secret_value(SecretId=own, SecretString="x"))
    assert_denied(
        STAGING_READER,
        lambda: reader.create_secret(Name="secrets-iac/beta/payments/new", SecretString="x", Tags=[ESO_TAG]),
    )
    assert_denied(STAGING_READER, lambda: reader.delete_resource_policy(SecretId=own))


# -- staging: the PushSecret's pusher ---------------------------------------------------------------------


def test_staging_pusher_does_what_the_rendered_push_secret_does(
    world: World, staging_plan: RenderedPlan
) -> None:
    """CreateSecret of the PushSecret's remote key with the tags ESO sends, then the reconcile calls."""
    pusher = world.staging.clients[STAGING_PUSHER]
    remote_key, tags = eso_push_tags(staging_plan)
    assert remote_key == "secrets-iac/beta/payments/webhook-signing-key"
    arn = pusher.create_secret(Name=remote_key, SecretString="v1", Tags=tags)["ARN"]
    assert pusher.describe_secret(SecretId=arn)["Tags"]
    assert pusher.get_secret_value(SecretId=arn)["SecretString"] == "v1"
    pusher.put_secret_value(SecretId=arn, SecretString="v2")
    pusher.tag_resource(SecretId=arn, Tags=[ESO_TAG])
    pusher.get_resource_policy(SecretId=arn)
    pusher.delete_resource_policy(SecretId=arn)
    pusher.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


@pytest.mark.parametrize(
    "name",
    [
        "secrets-iac/beta/web/webhook-signing-key",
        "secrets-iac/beta/payments-other/webhook-signing-key",
        "secrets-iac/beta/payments",  # no "/" boundary
        "secrets-iac/gamma/payments/webhook-signing-key",
        "secrets-iac/alpha/payments/webhook-signing-key",
    ],
)
def test_staging_pusher_cannot_create_outside_its_app(
    world: World, staging_plan: RenderedPlan, name: str
) -> None:
    pusher = world.staging.clients[STAGING_PUSHER]
    _, tags = eso_push_tags(staging_plan)
    assert_denied(STAGING_PUSHER, lambda: pusher.create_secret(Name=name, SecretString="x", Tags=tags))


@pytest.mark.parametrize("secret_id", STAGING_FOREIGN)
def test_staging_pusher_cannot_touch_other_apps_and_stages(world: World, secret_id: str) -> None:
    pusher = world.staging.clients[STAGING_PUSHER]
    assert_denied(STAGING_PUSHER, lambda: pusher.get_secret_value(SecretId=secret_id))
    assert_denied(STAGING_PUSHER, lambda: pusher.put_secret_value(SecretId=secret_id, SecretString="x"))
    assert_denied(STAGING_PUSHER, lambda: pusher.tag_resource(SecretId=secret_id, Tags=[ESO_TAG]))
    assert_denied(STAGING_PUSHER, lambda: pusher.delete_resource_policy(SecretId=secret_id))


def test_staging_pusher_cannot_list_or_attach_policies(world: World) -> None:
    pusher = world.staging.clients[STAGING_PUSHER]
    assert_denied(STAGING_PUSHER, lambda: pusher.list_secrets())
    assert_denied(
        STAGING_PUSHER, lambda: pusher.put_resource_policy(SecretId=STAGING_OWN[0], ResourcePolicy="{}")
    )


# -- every rendered document is valid IAM ------------------------------------------------------------------


def test_every_rendered_role_of_every_stage_is_accepted_by_iam(
    moto_sm: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """moto validates trust documents (UpdateAssumeRolePolicy) and identity policies (PutRolePolicy) like
    IAM; the roles read back carry exactly the rendered documents."""
    for stage in STAGES:
        plan = rendered(tmp_path_factory, stage)
        config = load_stage_config(EXAMPLE, stage)
        iam = in_account(moto_sm.client("iam"), config.account_id)
        roles = sorted(n.removesuffix(".trust.json") for n in plan.iam if n.endswith(".trust.json"))
        assert roles
        for role in roles:
            trust, policies = role_documents(plan, role)
            arn = provision_role(iam, role, trust, policies)
            assert arn == f"arn:aws:iam::{config.account_id}:role/{role}"
            stored = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
            assert stored == trust
            for name, doc in policies.items():
                assert iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"] == doc


def test_denials_come_from_the_rendered_resource_scope(moto_sm: MotoServer, dev_plan: RenderedPlan) -> None:
    """Control: the same dev reader with its rendered Resource widened to the whole project reads staging's
    secret: the denials above are the rendered `secrets-iac/alpha/*` scope at work, not a harness artefact."""
    config = load_stage_config(EXAMPLE, "alpha")
    iam = in_account(moto_sm.client("iam"), config.account_id)
    sm = in_account(moto_sm.client("secretsmanager"), config.account_id)
    create_oidc_provider(iam, config.cluster.oidc_issuer_url)
    trust, policies = role_documents(dev_plan, DEV_READER)
    (statement,) = policies["read-secrets"]["Statement"]
    assert statement["Resource"].endswith(":secret:secrets-iac/alpha/*")
    widened = {**statement, "Resource": statement["Resource"].replace("secrets-iac/alpha/*", "secrets-iac/*")}
    arn = provision_role(
        iam, DEV_READER, trust, {"read-secrets": {**policies["read-secrets"], "Statement": [widened]}}
    )
    sm.create_secret(Name="secrets-iac/beta/payments/db", SecretString="s3cr3t")
    session = assume_with_web_identity(moto_sm, arn)
    moto_sm.enforce_iam()
    reader = moto_sm.client("secretsmanager", **session)
    assert reader.get_secret_value(SecretId="secrets-iac/beta/payments/db")["SecretString"] == "s3cr3t"
