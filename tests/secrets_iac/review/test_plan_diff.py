"""`secrets-iac diff` on fixture plans: an app added, a role widened, a store's namespaces changed."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.offline_plan import plan_stack
from secrets_iac.cli import main
from secrets_iac.errors import UserError
from secrets_iac.review.access_analyzer import confirm_with_access_analyzer
from secrets_iac.review.grants import admitted_principals, describe, grants
from secrets_iac.review.plan_diff import diff_plans, load_plan_output, render_markdown
from tests.fixtures.stages import stage_values, write_project


def _plan(tmp: Path, name: str, values: dict[str, Any]) -> Path:
    project = write_project(tmp / f"{name}-project", "qa", values)
    out = tmp / name
    plan_stack(project, "qa", out)
    return out


def _shared_store(values: dict[str, Any], namespaces: tuple[str, ...] | None = None) -> dict[str, Any]:
    values = copy.deepcopy(values)
    values["store"] = {"kind": "ClusterSecretStore", "auth": "irsa"}
    if namespaces:
        for app, ns in zip(values["apps"], namespaces, strict=False):
            app["namespace"] = ns
    return values


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _plan(tmp_path_factory.mktemp("diff"), "base", stage_values())


def test_identical_plans_have_no_changes(base: Path) -> None:
    diff = diff_plans(load_plan_output(base), load_plan_output(base))
    assert diff.empty and not diff.widens_access
    assert "No changes." in render_markdown(diff)


def test_an_added_app_is_a_new_role_with_its_grants_and_trust(base: Path, tmp_path: Path) -> None:
    values = stage_values()
    values["apps"].append(
        {
            "name": "search",
            "namespace": "search",
            "serviceAccount": "search-secrets",
            "secrets": [{"name": "es"}],
        }
    )
    diff = diff_plans(load_plan_output(base), load_plan_output(_plan(tmp_path, "head", values)))
    [role] = diff.roles
    assert (role.role, role.status) == ("secrets-iac-qa-search-reader", "added")
    assert "read `secrets-iac/qa/search/*`" in role.can_now
    assert any(line.startswith("kms:Decrypt `arn:aws:kms:eu-west-1:") for line in role.can_now)
    assert role.trust_now_admits == ["search:search-secrets"]
    assert "aws:secretsmanager/secret:Secret::search-es-secret" in diff.added
    assert diff.stores[0].store == "SecretStore search/aws-secrets-manager"
    assert diff.stores[0].now_serves == ["search"]
    text = render_markdown(diff)
    assert "- role `secrets-iac-qa-search-reader` can now read `secrets-iac/qa/search/*`" in text
    assert "- trust of `secrets-iac-qa-search-reader` now admits `search:search-secrets`" in text
    assert "**This change widens access.**" in text


def test_a_role_widened_to_another_apps_prefix_is_stated(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(base, head)
    policy_file = head / "iam" / "secrets-iac-qa-billing-reader.read-secrets.json"
    document = json.loads(policy_file.read_text())
    statement = document["Statement"][0]
    statement["Resource"] = [statement["Resource"], statement["Resource"].replace("/billing/", "/orders/")]
    policy_file.write_text(json.dumps(document))
    diff = diff_plans(load_plan_output(base), load_plan_output(head))
    [role] = diff.roles
    assert role.role == "secrets-iac-qa-billing-reader" and role.status == "changed"
    assert role.can_now == ["read `secrets-iac/qa/orders/*`"]
    assert role.can_no_longer == []
    assert "role `secrets-iac-qa-billing-reader` can now read `secrets-iac/qa/orders/*`" in render_markdown(
        diff
    )


def test_a_store_serving_other_namespaces_is_stated(tmp_path: Path) -> None:
    before = _plan(tmp_path, "base", _shared_store(stage_values()))
    after = _plan(tmp_path, "head", _shared_store(stage_values(), ("orders", "billing-eu")))
    diff = diff_plans(load_plan_output(before), load_plan_output(after))
    [store] = diff.stores
    assert store.store == "ClusterSecretStore aws-secrets-manager"
    assert (store.now_serves, store.no_longer_serves) == (["billing-eu"], ["billing"])
    text = render_markdown(diff)
    assert "- store `ClusterSecretStore aws-secrets-manager` now serves namespace `billing-eu`" in text
    assert "- store `ClusterSecretStore aws-secrets-manager` no longer serves namespace `billing`" in text


def test_reordered_statements_are_not_an_access_change() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": ["a:B", "a:A"], "Resource": "r"},
            {"Effect": "Allow", "Action": "a:C", "Resource": ["r2", "r"], "Condition": {"X": {"k": "v"}}},
        ]
    }
    reordered = {"Statement": list(reversed(doc["Statement"]))}
    assert grants(doc) == grants(reordered)
    assert len(grants(doc)) == 4
    assert describe(grants(doc)) == [
        "a:A, a:B `r`",
        'a:C `r` when {"X":{"k":"v"}}',
        'a:C `r2` when {"X":{"k":"v"}}',
    ]


def test_trust_principals_in_reviewer_words() -> None:
    irsa = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
                "Condition": {"StringEquals": {"x:sub": "system:serviceaccount:ns:sa", "x:aud": "sts"}},
            }
        ]
    }
    pod = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}}]}
    assert admitted_principals(irsa) == {"ns:sa"}
    assert admitted_principals(pod) == {"service pods.eks.amazonaws.com"}


def test_cli_markdown_json_and_exit_codes(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(base), str(base), "--detailed-exitcode"]) == 0
    values = stage_values()
    values["apps"] = values["apps"][:1]
    head = _plan(tmp_path, "head", values)
    capsys.readouterr()
    assert main(["diff", str(base), str(head), "--json", "--detailed-exitcode"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["widensAccess"] is False
    assert [r["role"] for r in report["roles"]] == ["secrets-iac-qa-billing-reader"]
    assert report["roles"][0]["status"] == "removed"
    assert main(["diff", str(base), str(tmp_path / "missing")]) == 1
    assert "not a plan output" in capsys.readouterr().err


def test_not_a_plan_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a plan output"):
        load_plan_output(tmp_path)


def test_access_analyzer_confirms_each_changed_policy(base: Path, tmp_path: Path) -> None:

    head = tmp_path / "head"
    shutil.copytree(base, head)
    policy_file = head / "iam" / "secrets-iac-qa-billing-reader.read-secrets.json"
    document = json.loads(policy_file.read_text())
    document["Statement"][0]["Resource"] = (
        "arn:aws:secretsmanager:eu-west-1:444455556666:secret:secrets-iac/*"
    )
    policy_file.write_text(json.dumps(document))
    old_plan, new_plan = load_plan_output(base), load_plan_output(head)
    diff = diff_plans(old_plan, new_plan)
    client = boto3.client(
        "accessanalyzer", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "check_no_new_access",
            {"result": "FAIL", "message": "m", "reasons": [{"description": "new access to secrets-iac/*"}]},
            {
                "existingPolicyDocument": json.dumps(
                    old_plan.policies["secrets-iac-qa-billing-reader"]["read-secrets"]
                ),
                "newPolicyDocument": json.dumps(document),
                "policyType": "IDENTITY_POLICY",
            },
        )
        results = confirm_with_access_analyzer(client, old_plan, new_plan, diff)
    assert results == {"secrets-iac-qa-billing-reader.read-secrets": "FAIL: new access to secrets-iac/*"}
