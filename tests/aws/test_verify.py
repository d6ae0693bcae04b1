"""`secrets-iac verify` on the moto server with IAM enforced: roles assumed as ESO would assume them.

A fixture stage whose ExternalSecrets all resolve passes; the same stage with one secret missing, one
property missing and one role narrowed reports exactly those three, with the reason, and fails. Where the
role cannot be assumed, SimulateCustomPolicy decides access (moto has no simulator: stubbed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from secrets_iac.cli import main
from secrets_iac.config import parse_stage_config
from secrets_iac.planner import StagePlan, policy_document, render_stage
from secrets_iac.review.verify import Credentials, KeyStatus, verify_stage
from tests.aws.test_least_privilege import create_oidc_provider, provision_role
from tests.aws.test_plan_least_privilege import in_account
from tests.conftest import MotoServer
from tests.fixtures.stages import ACCOUNT, stage_values, write_project

VALUES = {
    "secrets-iac/qa/orders/db": json.dumps({"password": "s3cr3t-db", "username": "orders"}),
    "secrets-iac/qa/billing/api-key": json.dumps({"API_KEY": "k-123", "API_URL": "https://billing"}),
}


def _values() -> dict[str, Any]:
    return stage_values(kms={"mode": "aws-managed"})


def _plan() -> StagePlan:
    return render_stage(parse_stage_config(_values(), source="t"), "qa")


def _provision(server: MotoServer, plan: StagePlan, secrets: dict[str, str]) -> None:
    iam = in_account(server.client("iam"), ACCOUNT)
    sm = in_account(server.client("secretsmanager"), ACCOUNT)
    create_oidc_provider(iam, plan.cluster.oidc_issuer_url)
    for role in plan.roles:
        documents = {p.name: policy_document(p, plan, None) for p in role.policies}
        provision_role(iam, role.role_name, role.trust_policy, documents)
    for name, value in secrets.items():
        sm.create_secret(Name=name, SecretString=value)


def _credentials(
    server: MotoServer, token_command: str | None = "printf dummy-projected-token"
) -> Credentials:
    return Credentials(lambda service, **creds: server.client(service, **creds), token_command)


@pytest.fixture
def world(moto_sm: MotoServer) -> Iterator[MotoServer]:
    yield moto_sm


def test_a_stage_whose_external_secrets_resolve_passes(world: MotoServer) -> None:
    plan = _plan()
    _provision(world, plan, VALUES)
    world.enforce_iam(after_requests=2)  # the two readers' AssumeRoleWithWebIdentity (unsigned in AWS)
    report = verify_stage(plan, _credentials(world))
    assert report.ok, report.table()
    by_target = {t.target: t for t in report.targets}
    assert set(by_target) == {"orders-secrets", "billing-secrets"}
    assert all(t.method == "assumed" for t in report.targets)
    assert [(k.key, k.status) for k in by_target["orders-secrets"].keys] == [
        ("DB_PASSWORD", KeyStatus.RESOLVES)
    ]
    [extract] = by_target["billing-secrets"].keys
    assert extract.reason == "keys API_KEY, API_URL"
    assert "s3cr3t" not in report.table() and "k-123" not in json.dumps(report.to_json())


def test_missing_secret_missing_property_and_narrow_role_are_each_reported(world: MotoServer) -> None:
    values = _values()
    values["apps"].append(
        {
            "name": "search",
            "namespace": "search",
            "serviceAccount": "search-secrets",
            "secrets": [{"name": "es", "keys": [{"secretKey": "ES_URL", "property": "url"}]}],
        }
    )
    plan = render_stage(parse_stage_config(values, source="t"), "qa")
    secrets = dict(VALUES)  # search/es is never created: secret missing
    secrets["secrets-iac/qa/orders/db"] = json.dumps({"username": "orders"})  # property missing
    _provision(world, plan, secrets)
    other = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:secrets-iac/qa/billing/other-*"
    narrowed = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": other}],
    }
    in_account(world.client("iam"), ACCOUNT).put_role_policy(
        RoleName="secrets-iac-qa-billing-reader",
        PolicyName="read-secrets",
        PolicyDocument=json.dumps(narrowed),
    )
    world.enforce_iam(after_requests=3)
    report = verify_stage(plan, _credentials(world))
    assert not report.ok
    failures = {
        (t.target, k.key, k.status)
        for t in report.targets
        for k in t.keys
        if k.status is not KeyStatus.RESOLVES
    }
    assert failures == {
        ("orders-secrets", "DB_PASSWORD", KeyStatus.PROPERTY_MISSING),
        ("billing-secrets", "dataFrom.extract secrets-iac/qa/billing/api-key", KeyStatus.ACCESS_DENIED),
        ("search-secrets", "ES_URL", KeyStatus.SECRET_MISSING),
    }
    reasons = {k.key: k.reason for t in report.targets for k in t.keys}
    assert "property 'password' is not in the value" in reasons["DB_PASSWORD"]
    assert "does not allow reading it" in reasons["dataFrom.extract secrets-iac/qa/billing/api-key"]
    assert "does not exist" in reasons["ES_URL"]
    assert "s3cr3t" not in report.table()


def test_cli_exit_codes_and_json(
    world: MotoServer, tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan()
    _provision(world, plan, VALUES)
    project = write_project(tmp_path / "p", "qa", _values())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    args = ["verify", "--stack", "qa", "--project-dir", str(project), "--endpoint-url", world.endpoint_url]
    assert main([*args, "--web-identity-token-command", "printf dummy-projected-token", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    sm = in_account(world.client("secretsmanager"), ACCOUNT)
    sm.delete_secret(SecretId="secrets-iac/qa/orders/db", ForceDeleteWithoutRecovery=True)
    assert main([*args, "--web-identity-token-command", "printf dummy-projected-token"]) == 1
    out = capsys.readouterr().out
    assert "FAIL orders/orders-secrets" in out and "secret-missing" in out


def test_without_a_token_access_is_simulated_with_the_planned_documents(world: MotoServer) -> None:
    plan = _plan()
    _provision(world, plan, VALUES)
    iam = world.client("iam")
    clients = {"iam": iam}

    def client(service: str, **creds: Any) -> Any:
        if service in clients:
            return clients[service]
        return in_account(world.client(service, **creds), ACCOUNT)

    with Stubber(iam) as stub:
        for decision in ("allowed", "implicitDeny"):
            stub.add_response(
                "simulate_custom_policy",
                {
                    "EvaluationResults": [
                        {"EvalActionName": "secretsmanager:GetSecretValue", "EvalDecision": decision}
                    ]
                },
            )
        report = verify_stage(plan, Credentials(client, None))
    by_target = {t.target: t for t in report.targets}
    assert by_target["orders-secrets"].method.startswith("simulated: no ServiceAccount token")
    assert by_target["orders-secrets"].ok
    [denied] = by_target["billing-secrets"].keys
    assert denied.status is KeyStatus.ACCESS_DENIED
    assert "simulated: implicitDeny" not in denied.reason  # reasons carry codes, not messages


def test_a_session_tag_store_is_read_through_its_identity_and_tagged_reader(world: MotoServer) -> None:
    """ESO's chain: the store's IRSA identity assumes the reader with esoNamespace=<the ExternalSecret's>.
    (moto ignores the tag conditions; the documents are tested as data in tests/iam_eval.py.)"""
    from tests.fixtures.stores import STAGE, layered_config

    plan = render_stage(layered_config(), STAGE)
    secrets = {s.name: json.dumps({"v": s.name}) for s in plan.secrets}
    _provision(world, plan, secrets)
    world.enforce_iam(after_requests=7)  # 3 readers, and per tenant namespace its identity and reader
    report = verify_stage(plan, _credentials(world))
    tenants = [t for t in report.targets if t.store == "ClusterSecretStore tenants"]
    assert sorted(t.namespace for t in tenants) == ["alpha", "beta"]
    assert all(t.ok and t.method == "assumed" for t in tenants), report.table()
    shared = [t for t in report.targets if t.store == "ClusterSecretStore shared"]
    assert len(shared) == 2 and all(t.ok for t in shared), report.table()
