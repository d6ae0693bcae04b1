"""The rendered plan, not the builders: what `secrets-iac plan` writes for every stage is checked as a whole.

* manifests/: parse, ESO objects validate strictly against the v2.9 CRDs, every reference resolves inside
  the plan (ExternalSecret -> store -> ServiceAccount -> IAM role whose trust names that ServiceAccount),
  remote keys stay under the stage prefix, PushSecret metadata is the wrapped form.
* iam/: identity policies pass parliament with zero findings; trust documents are pinned structurally
  (parliament cannot audit them; see tests/components/test_trust.py).
* plan.json: tree shape, stage differences, and secrets masked (an initial value never appears in plain text).
* bad stack config: one clear error naming the file and key path, and no (or the previous) output.
* Pulumi.yaml against the Pulumi CLI's own project schema.

Plans are rendered in-process, all three stages in one process (the mock runtime is process-global):
`test_sequential_plans_in_one_process_are_independent` shows that works.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import parliament
import pytest
import yaml

import components.offline_plan as plan_module
from components.offline_plan import MASK, mock_outputs, plan_stack
from secrets_iac.cli import main as cli_main
from secrets_iac.config import NAMESPACE, StageConfig, load_stage_config
from secrets_iac.outputs import MARKER, replace_output_dir
from tests.conftest import REPO_ROOT, shared_path
from tests.eso_schema import schema_errors, validate_manifest
from tests.fixtures.example import EXAMPLE, STAGES, example_project
from tests.plan_render import RenderedPlan, copy_project, edit_stack, render, rendered

ESO_GROUP = "external-secrets.io/"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
EXPECTED_RECOVERY = {"alpha": 7, "beta": 14, "gamma": 30}
EXPECTED_REFRESH = {"alpha": "5m", "beta": "15m", "gamma": "1h"}


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderedPlan]:
    """dev, staging and prod rendered once each, sequentially in this process."""
    return {stage: rendered(tmp_path_factory, stage) for stage in STAGES}


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plan(plans: dict[str, RenderedPlan], stage: str) -> RenderedPlan:
    return plans[stage]


@pytest.fixture
def config(stage: str) -> StageConfig:
    return load_stage_config(EXAMPLE, stage)


def eso_objects(plan: RenderedPlan) -> list[dict[str, Any]]:
    return [m for m in plan.manifests.values() if str(m.get("apiVersion", "")).startswith(ESO_GROUP)]


def stores(plan: RenderedPlan) -> dict[tuple[str, str | None, str], dict[str, Any]]:
    """(kind, namespace or None for cluster-scoped, name) -> store manifest."""
    return {
        (
            m["kind"],
            m["metadata"].get("namespace") if m["kind"] == "SecretStore" else None,
            m["metadata"]["name"],
        ): m
        for m in plan.manifests.values()
        if m.get("kind") in STORE_KINDS
    }


def resolve_store(plan: RenderedPlan, namespace: str, ref: dict[str, Any]) -> dict[str, Any]:
    """The store a `secretStoreRef` in `namespace` names; fails the test if the plan renders none."""
    kind = ref.get("kind", "SecretStore")
    key = (kind, namespace if kind == "SecretStore" else None, ref["name"])
    found = stores(plan).get(key)
    assert found is not None, (
        f"{namespace}: secretStoreRef {ref} names no store in the plan ({sorted(stores(plan))})"
    )
    return found


def namespace_allowed(store: dict[str, Any], namespace: str, plan: RenderedPlan) -> bool:
    """Whether a ClusterSecretStore's `spec.conditions` admit `namespace` (no conditions admit all)."""
    conditions = store["spec"].get("conditions")
    if not conditions:
        return True
    labels = {m["metadata"]["name"]: (m["metadata"].get("labels") or {}) for m in plan.of_kind("Namespace")}
    for condition in conditions:
        if namespace in condition.get("namespaces", []):
            return True
        if any(re.fullmatch(rx, namespace) for rx in condition.get("namespaceRegexes", [])):
            return True
        selector = condition.get("namespaceSelector")
        if selector:
            assert set(selector) <= {"matchLabels"}, f"selector {selector} not supported by this test"
            ns_labels = labels.get(namespace, {})
            if all(ns_labels.get(k) == v for k, v in selector["matchLabels"].items()):
                return True
    return False


def remote_keys(manifest: dict[str, Any]) -> list[str]:
    if not str(manifest.get("apiVersion", "")).startswith(ESO_GROUP):
        return []
    spec = manifest["spec"]
    if manifest["kind"] == "ExternalSecret":
        keys = [d["remoteRef"]["key"] for d in spec.get("data", [])]
        for source in spec.get("dataFrom", []):
            if "extract" in source:
                keys.append(source["extract"]["key"])
            if "find" in source:
                keys.append(source["find"].get("path", ""))
        return keys
    if manifest["kind"] == "PushSecret":
        return [d["match"]["remoteRef"]["remoteKey"] for d in spec["data"]]
    return []


def ancestors(plan: RenderedPlan, resource: dict[str, Any]) -> list[str]:
    """Parent labels (`type::name`) from `resource` up to the root."""
    by_label = {f"{r['type']}::{r['name']}": r for r in plan.resources}
    chain: list[str] = []
    parent = resource["parent"]
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = by_label[parent]["parent"] if parent in by_label else None
    return chain


def irsa_condition(trust: dict[str, Any]) -> dict[str, str]:
    statements = trust["Statement"]
    assert len(statements) == 1, statements
    condition: dict[str, str] = statements[0]["Condition"]["StringEquals"]
    return condition


# -- 1. rendering ------------------------------------------------------------------------------------------


def test_sequential_plans_in_one_process_are_independent(
    plans: dict[str, RenderedPlan], tmp_path: Path
) -> None:
    """dev rendered again after staging and prod (same process, same mock runtime) equals the first dev:
    no registrations, config or mocks leak from one run into the next."""
    again = render("alpha", tmp_path / "dev-again")
    first = plans["alpha"]
    assert again.manifests == first.manifests
    assert again.iam == first.iam

    def key(r: dict[str, Any]) -> tuple[str, str]:
        return (r["type"], r["name"])

    assert sorted(again.resources, key=key) == sorted(first.resources, key=key)
    assert {r["type"] for r in plans["gamma"].resources} != {
        r["type"] for r in first.resources
    }  # really other stages


def test_stages_render_their_own_account(plan: RenderedPlan, config: StageConfig) -> None:
    text = json.dumps(plan.resources)
    assert config.account_id in text
    for other in STAGES:
        if other != plan.stage:
            assert load_stage_config(EXAMPLE, other).account_id not in text


# -- 2. manifests ------------------------------------------------------------------------------------------


def test_every_manifest_is_a_kubernetes_object(plan: RenderedPlan) -> None:
    assert plan.manifests, "no manifests"
    for name, manifest in plan.manifests.items():
        assert isinstance(manifest.get("apiVersion"), str) and manifest["apiVersion"], name
        assert isinstance(manifest.get("kind"), str) and manifest["kind"], name
        assert isinstance(manifest.get("metadata", {}).get("name"), str) and manifest["metadata"]["name"], (
            name
        )


def test_eso_objects_validate_strictly_and_use_served_versions(plan: RenderedPlan) -> None:
    objects = eso_objects(plan)
    assert {m["kind"] for m in objects} >= {"ExternalSecret", "PushSecret"}
    assert any(m["kind"] in STORE_KINDS for m in objects)
    for manifest in objects:
        validate_manifest(manifest)
        expected = (
            "external-secrets.io/v1alpha1" if manifest["kind"] == "PushSecret" else "external-secrets.io/v1"
        )
        assert manifest["apiVersion"] == expected, (manifest["kind"], manifest["metadata"]["name"])


def test_external_secrets_reference_rendered_stores_they_may_use(plan: RenderedPlan) -> None:
    external = plan.of_kind("ExternalSecret")
    assert external
    for es in external:
        namespace = es["metadata"]["namespace"]
        store = resolve_store(plan, namespace, es["spec"]["secretStoreRef"])
        if store["kind"] == "ClusterSecretStore":
            assert namespace_allowed(store, namespace, plan), (
                f"ExternalSecret {namespace}/{es['metadata']['name']} uses ClusterSecretStore "
                f"{store['metadata']['name']} whose conditions exclude {namespace}"
            )


def test_push_secrets_reference_rendered_stores(plan: RenderedPlan) -> None:
    pushes = plan.of_kind("PushSecret")
    assert pushes
    for push in pushes:
        namespace = push["metadata"]["namespace"]
        for ref in push["spec"]["secretStoreRefs"]:
            store = resolve_store(plan, namespace, ref)
            if store["kind"] == "ClusterSecretStore":
                assert namespace_allowed(store, namespace, plan)


def test_namespace_allowed_helper_has_teeth(plans: dict[str, RenderedPlan]) -> None:
    dev = plans["alpha"]
    (store,) = dev.of_kind("ClusterSecretStore")
    assert namespace_allowed(store, "payments-dev", dev)
    assert not namespace_allowed(store, "kube-system", dev)


def test_store_service_accounts_are_bound_to_roles_trusting_exactly_them(
    plan: RenderedPlan, config: StageConfig
) -> None:
    """The pain point: an IRSA store's serviceAccountRef names a rendered ServiceAccount, whose role-arn
    annotation names a rendered role, whose trust `sub` is that very ServiceAccount and `aud` is STS."""
    host_path = config.cluster.oidc_issuer_url.removeprefix("https://").rstrip("/")
    service_accounts = {
        (m["metadata"]["namespace"], m["metadata"]["name"]): m for m in plan.of_kind("ServiceAccount")
    }
    checked = 0
    for store in (m for m in plan.manifests.values() if m.get("kind") in STORE_KINDS):
        auth = store["spec"]["provider"]["aws"].get("auth", {})
        ref = auth.get("jwt", {}).get("serviceAccountRef")
        if ref is None:
            continue
        if store["kind"] == "ClusterSecretStore":
            assert "namespace" in ref, "a ClusterSecretStore's serviceAccountRef needs its namespace"
            namespace = ref["namespace"]
        else:
            namespace = store["metadata"]["namespace"]
            assert ref.get("namespace", namespace) == namespace, (
                "a SecretStore can only use its own namespace"
            )
        sa = service_accounts.get((namespace, ref["name"]))
        assert sa is not None, (
            f"store {store['metadata']['name']} uses {namespace}/{ref['name']}, not rendered"
        )
        role_arn = sa["metadata"]["annotations"][ROLE_ARN_ANNOTATION]
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)", role_arn)
        assert match, role_arn
        assert match.group(1) == config.account_id
        trust = plan.trust(match.group(2))
        statement = trust["Statement"][0]
        assert statement["Principal"] == {"Federated": config.cluster.oidc_provider_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert irsa_condition(trust) == {
            f"{host_path}:sub": f"system:serviceaccount:{namespace}:{ref['name']}",
            f"{host_path}:aud": "sts.amazonaws.com",
        }
        checked += 1
    assert checked >= 1


def test_every_role_trusts_a_rendered_service_account_pointing_back(plan: RenderedPlan) -> None:
    """No orphan roles: each trust `sub` is a rendered ServiceAccount annotated with that role."""
    annotated = {
        f"system:serviceaccount:{m['metadata']['namespace']}:{m['metadata']['name']}": m["metadata"]
        .get("annotations", {})
        .get(ROLE_ARN_ANNOTATION)
        for m in plan.of_kind("ServiceAccount")
    }
    trusts = {
        name.removesuffix(".trust.json"): doc
        for name, doc in plan.iam.items()
        if name.endswith(".trust.json")
    }
    assert trusts
    for role, trust in trusts.items():
        (sub,) = (v for k, v in irsa_condition(trust).items() if k.endswith(":sub"))
        assert sub in annotated, f"{role} trusts {sub}, which the plan does not render"
        assert str(annotated[sub]).endswith(f":role/{role}"), (role, annotated[sub])


def test_remote_keys_stay_under_the_stage_prefix(plan: RenderedPlan) -> None:
    prefix = f"secrets-iac/{plan.stage}/"
    keys = [k for m in plan.manifests.values() for k in remote_keys(m)]
    assert keys
    for key in keys:
        assert key.startswith(prefix), key


def test_push_secret_metadata_is_wrapped_and_not_managed_by_tagged(plan: RenderedPlan) -> None:
    for push in plan.of_kind("PushSecret"):
        for item in push["spec"]["data"]:
            metadata = item["metadata"]
            assert metadata["apiVersion"] == "kubernetes.external-secrets.io/v1alpha1"
            assert metadata["kind"] == "PushSecretMetadata"
            assert set(metadata) == {"apiVersion", "kind", "spec"}
            assert "managed-by" not in metadata["spec"].get("tags", {})  # ESO sets it itself


def _add_version_stage(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["remoteRef"]["versionStage"] = "AWSPREVIOUS"


def _misspell_service_account_ref(m: dict[str, Any]) -> None:
    jwt = m["spec"]["provider"]["aws"]["auth"]["jwt"]
    jwt["serviceAccount"] = jwt.pop("serviceAccountRef")


def _flatten_push_metadata(m: dict[str, Any]) -> None:
    m["spec"]["data"][0]["metadata"] = {"tags": {"app": "x"}}


@pytest.mark.parametrize(
    ("kind", "breaker", "path"),
    [
        ("ExternalSecret", _add_version_stage, "spec.data[0].remoteRef"),
        ("SecretStore", _misspell_service_account_ref, "spec.provider.aws.auth.jwt"),
    ],
)
def test_a_broken_copy_of_a_rendered_manifest_is_rejected(
    plans: dict[str, RenderedPlan],
    kind: str,
    breaker: Callable[[dict[str, Any]], None],
    path: str,
) -> None:
    """The strict gate has teeth on the real rendered objects, not only on hand-written ones."""
    original = plans["beta"].of_kind(kind)[0]
    assert schema_errors(original) == []
    broken = copy.deepcopy(original)
    breaker(broken)
    errors = schema_errors(broken)
    assert errors and all(e.startswith(path) for e in errors), errors
    with pytest.raises(AssertionError, match="fails the strict ESO schema"):
        validate_manifest(broken)


def test_flat_push_secret_metadata_is_caught_by_the_wrapped_form_check(
    plans: dict[str, RenderedPlan],
) -> None:
    """PushSecret `metadata` is free-form in the CRD (x-kubernetes-preserve-unknown-fields), so the flat,
    pre-v0.10 form passes the schema; the wrapped-form assertion above is what catches it."""
    broken = copy.deepcopy(plans["alpha"].of_kind("PushSecret")[0])
    _flatten_push_metadata(broken)
    assert schema_errors(broken) == []
    assert broken["spec"]["data"][0]["metadata"].get("kind") != "PushSecretMetadata"


# -- 3. IAM documents --------------------------------------------------------------------------------------


def test_every_identity_policy_passes_parliament(plan: RenderedPlan) -> None:
    policies = {n: d for n, d in plan.iam.items() if not n.endswith(".trust.json")}
    assert policies
    for name, doc in policies.items():
        findings = [
            (f.issue, f.detail, f.location)
            for f in parliament.analyze_policy_string(json.dumps(doc)).findings
        ]
        assert findings == [], f"{plan.stage}/{name}: {findings}"


def test_trust_documents_are_irsa_only_and_parliament_still_cannot_audit_them(
    plan: RenderedPlan, config: StageConfig
) -> None:
    """Same precedent as tests/components/test_trust.py: parliament stops at MALFORMED for trust
    documents, so each is pinned structurally instead (one IRSA statement, this stage's provider, exactly
    sub + aud); moto's IAM validates their syntax in tests/aws/test_plan_least_privilege.py."""
    host_path = config.cluster.oidc_issuer_url.removeprefix("https://").rstrip("/")
    trusts = {n: d for n, d in plan.iam.items() if n.endswith(".trust.json")}
    assert trusts
    for name, doc in trusts.items():
        assert doc["Version"] == "2012-10-17"
        (statement,) = doc["Statement"]
        assert set(statement) == {"Sid", "Effect", "Principal", "Action", "Condition"}, name
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Federated": config.cluster.oidc_provider_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert set(statement["Condition"]) == {"StringEquals"}
        condition = statement["Condition"]["StringEquals"]
        assert set(condition) == {f"{host_path}:sub", f"{host_path}:aud"}, name
        assert condition[f"{host_path}:aud"] == "sts.amazonaws.com"
        assert re.fullmatch(r"system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+", condition[f"{host_path}:sub"])
        issues = {
            (f.issue, str(f.detail)) for f in parliament.analyze_policy_string(json.dumps(doc)).findings
        }
        assert issues == {
            ("UNKNOWN_FEDERATION_SOURCE", config.cluster.oidc_provider_arn),
            ("MALFORMED", "Statement contains neither Resource nor NotResource"),
        }, name


def test_iam_files_match_plan_roles(plan: RenderedPlan) -> None:
    """Each rendered Role has its trust file and each RolePolicy its policy file, nothing else."""
    expected = {f"{r['inputs']['name']}.trust.json" for r in plan.of_type("aws:iam/role:Role")}
    expected |= {
        f"{r['inputs']['role']}.{r['inputs']['name']}.json"
        for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    assert set(plan.iam) == expected


# -- 4. plan.json --------------------------------------------------------------------------------------------


def test_every_resource_has_type_name_and_a_real_parent(plan: RenderedPlan) -> None:
    labels = {f"{r['type']}::{r['name']}" for r in plan.resources}
    roots = []
    for resource in plan.resources:
        assert {"type", "name", "parent", "inputs"} <= set(resource), resource
        assert isinstance(resource["type"], str) and resource["type"]
        assert isinstance(resource["name"], str) and resource["name"]
        if resource["parent"] is None:
            roots.append(resource)
        else:
            assert resource["parent"] in labels, (
                f"{resource['name']}: parent {resource['parent']} not in plan"
            )
        if resource["type"].startswith(("aws:", "kubernetes:")):
            assert resource["parent"] is not None, (
                f"{resource['type']} {resource['name']} has no parent component"
            )
    assert [(r["type"], r["name"]) for r in roots] == [("secrets-iac:stage:SecretsStage", plan.stage)]


def test_recovery_window_per_stage(plan: RenderedPlan) -> None:
    secrets = plan.of_type("aws:secretsmanager/secret:Secret")
    assert secrets
    for secret in secrets:
        assert secret["inputs"]["recoveryWindowInDays"] == EXPECTED_RECOVERY[plan.stage], secret["name"]
        assert secret["inputs"]["name"].startswith(f"secrets-iac/{plan.stage}/")


def test_kms_key_per_stage(plans: dict[str, RenderedPlan]) -> None:
    def key_ids(stage: str) -> set[Any]:
        return {s["inputs"].get("kmsKeyId") for s in plans[stage].of_type("aws:secretsmanager/secret:Secret")}

    assert key_ids("alpha") == {None}
    assert plans["alpha"].of_type("aws:kms/key:Key") == []
    prod_key = load_stage_config(EXAMPLE, "gamma").kms.key_arn
    assert key_ids("gamma") == {prod_key}
    assert plans["gamma"].of_type("aws:kms/key:Key") == []
    (created,) = plans["beta"].of_type("aws:kms/key:Key")
    staging = load_stage_config(EXAMPLE, "beta")
    _, outputs = mock_outputs(
        created["type"], created["name"], created["inputs"], staging.region, staging.account_id
    )
    assert key_ids("beta") == {outputs["arn"]}
    assert created["inputs"]["deletionWindowInDays"] == 30
    # The readers may decrypt with exactly that key (and only through Secrets Manager).
    kms = [
        s
        for s in plans["beta"].policy("secrets-iac-beta-payments-reader", "read-secrets")["Statement"]
        if s["Action"] == ["kms:Decrypt"]
    ]
    assert [s["Resource"] for s in kms] == [outputs["arn"]]


def test_refresh_intervals_per_stage(plan: RenderedPlan, config: StageConfig) -> None:
    by_namespace = {app.namespace: app.refresh_interval for app in config.apps}
    objects = plan.of_kind("ExternalSecret") + plan.of_kind("PushSecret")
    assert objects
    for manifest in objects:
        assert manifest["spec"]["refreshInterval"] == by_namespace[manifest["metadata"]["namespace"]]
        assert manifest["spec"]["refreshInterval"] == EXPECTED_REFRESH[plan.stage]


def test_eso_installed_where_configured(plans: dict[str, RenderedPlan]) -> None:
    for stage, plan in plans.items():
        releases = plan.of_type("kubernetes:helm.sh/v3:Release")
        if load_stage_config(EXAMPLE, stage).eso.install:
            assert [(r["inputs"]["chart"], r["inputs"]["version"]) for r in releases] == [
                ("external-secrets", "2.9.0")
            ]
        else:
            assert releases == []
    assert not load_stage_config(EXAMPLE, "gamma").eso.install


SEED_KEY = "dbSeed"
CIPHERTEXT = "v1:CIPHERTEXT-CANARY-0123456789abcdef=="
PLAINTEXT = "PLAINTEXT-CANARY-s3cr3t-value"


def _all_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file())


def test_initial_value_is_masked_in_plan_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `secure:` config value seeding a secret reaches the program as a Pulumi secret and leaves the plan
    only as the mask. The plan normally hands the program the mask itself as the value; here the engine
    config is wrapped to hand it a plaintext canary instead, so a leak would be visible."""
    project = copy_project(tmp_path / "project")

    def seed(config: dict[str, Any]) -> None:
        config[f"{NAMESPACE}:apps"][0]["secrets"][0]["initialValueConfigKey"] = SEED_KEY
        config[f"{NAMESPACE}:{SEED_KEY}"] = {"secure": CIPHERTEXT}

    edit_stack(project, "gamma", seed)
    original_engine_config = plan_module._engine_config

    def engine_config_with_plaintext(
        stack_config: Mapping[str, Any], config: StageConfig, *, source: str
    ) -> tuple[dict[str, str], list[str]]:
        values, secret_keys = original_engine_config(stack_config, config, source=source)
        assert secret_keys == [f"{NAMESPACE}:{SEED_KEY}"] and values[secret_keys[0]] == MASK
        return {**values, secret_keys[0]: PLAINTEXT}, secret_keys

    raw_secret_strings: list[Any] = []
    original_mask = plan_module.mask_secrets

    def recording_mask(value: Any) -> Any:
        if isinstance(value, dict) and "secretString" in value:
            raw_secret_strings.append(value["secretString"])
        return original_mask(value)

    monkeypatch.setattr(plan_module, "_engine_config", engine_config_with_plaintext)
    monkeypatch.setattr(plan_module, "mask_secrets", recording_mask)
    out = tmp_path / "out"
    plan_stack(project, "gamma", out)

    # The canary really flowed into the SecretVersion, wrapped as a Pulumi secret...
    assert raw_secret_strings and all(
        isinstance(v, dict) and v.get("value") == PLAINTEXT and plan_module._SECRET_SIG_KEY in v
        for v in raw_secret_strings
    ), raw_secret_strings
    # ...and the plan shows only the mask, on the right secret.
    result = RenderedPlan("gamma", out)
    (version,) = result.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretString"] == MASK
    assert "secrets-iac:aws:SecretEntry::payments-db" in ancestors(result, version)
    text = _all_text(out)
    assert PLAINTEXT not in text
    assert CIPHERTEXT not in text and "CIPHERTEXT-CANARY" not in text


def test_unseeded_stage_has_no_secret_versions(plan: RenderedPlan) -> None:
    assert plan.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []


# -- 5. bad config ----------------------------------------------------------------------------------------


def _app1_refresh(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:apps"][1]["refreshInterval"] = "1 hour"


def _unknown_top_key(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:recoveryWindow"] = 7


def _unknown_app_key(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:apps"][0]["refreshIntervall"] = "1h"


def _unquoted_account(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:accountId"] = 777788889999


def _short_recovery(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:recoveryWindowInDays"] = 3


def _delete_with_merge(c: dict[str, Any]) -> None:
    c[f"{NAMESPACE}:apps"][0].update(deletionPolicy="Delete", creationPolicy="Merge")


BAD_CONFIGS = [
    pytest.param(_app1_refresh, "secrets-iac:apps[1].refreshInterval", "1 hour", id="refresh"),
    pytest.param(_unknown_top_key, "secrets-iac:recoveryWindow", "is not a known setting", id="unknown-key"),
    pytest.param(
        _unknown_app_key, "secrets-iac:apps[0].refreshIntervall", "is not a known setting", id="app-typo"
    ),
    pytest.param(_unquoted_account, "secrets-iac:accountId", "quote it in YAML", id="unquoted-account"),
    pytest.param(
        _short_recovery, "secrets-iac:recoveryWindowInDays", "3 is outside the 7-30", id="recovery-3"
    ),
    pytest.param(
        _delete_with_merge,
        "secrets-iac:apps[0]",
        "deletionPolicy Delete needs creationPolicy Owner",
        id="delete-merge",
    ),
]


@pytest.fixture
def prod_copy(tmp_path: Path) -> Iterator[Path]:
    yield copy_project(tmp_path / "project")


@pytest.mark.parametrize(("edit", "key_path", "fragment"), BAD_CONFIGS)
@pytest.mark.parametrize("previous", [False, True], ids=["fresh-out", "previous-out"])
def test_bad_prod_config_fails_with_one_clear_message_and_no_output(
    prod_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], None],
    key_path: str,
    fragment: str,
    previous: bool,
) -> None:
    edit_stack(prod_copy, "gamma", edit)
    out = tmp_path / "out"
    if previous:
        with replace_output_dir(out, owner="secrets-iac plan") as version:
            (version / "manifests").mkdir()
            (version / "plan.json").write_text("previous\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code = cli_main(["plan", "--stack", "gamma", "--out", str(out), "--project-dir", str(prod_copy)])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"secrets-iac: error: stacks/Pulumi.gamma.yaml: {key_path}: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no leftover staging folder
    if previous:
        assert (out / "plan.json").read_text(encoding="utf-8") == "previous\n"
        assert sorted(p.name for p in out.iterdir()) == [MARKER, "manifests", "plan.json"]
    else:
        assert not out.exists()


def test_unedited_copy_plans_fine(
    prod_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Control for the bad-config tests: the copied project itself is valid."""
    out = tmp_path / "out"
    assert cli_main(["plan", "--stack", "gamma", "--out", str(out), "--project-dir", str(prod_copy)]) == 0
    assert capsys.readouterr().out.startswith("gamma: ")
    assert (out / "plan.json").is_file()


# -- 6. Pulumi.yaml and stack files --------------------------------------------------------------------------


def _project_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(shared_path("schemas", "pulumi", "project.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_pulumi_yaml_validates_against_the_cli_schema() -> None:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _project_validator().iter_errors(project)]
    assert errors == []
    assert project["name"] == NAMESPACE  # the config namespace of every stack key
    runtime = project["runtime"]
    assert (runtime["name"] if isinstance(runtime, dict) else runtime) == "python"
    assert project["stackConfigDir"] == "stacks"


def test_project_schema_has_teeth() -> None:
    validator = _project_validator()
    assert list(validator.iter_errors({"runtime": "python"}))  # name is required
    assert list(validator.iter_errors({"name": "x", "runtime": "python", "stackConfigDir": 5}))


def test_stack_files_are_named_by_stage() -> None:
    names = sorted(p.name for p in (EXAMPLE / "stacks").glob("*.yaml"))
    assert names == sorted(f"Pulumi.{s}.yaml" for s in STAGES)
    # Each stage's values sit beside its config, encrypted.
    assert sorted(p.name for p in (EXAMPLE / "stacks" / "secrets").iterdir()) == sorted(
        f"{s}.enc.yaml" for s in STAGES
    )
    for name in names:
        match = re.fullmatch(r"Pulumi\.([a-z0-9-]+)\.yaml", name)
        assert match, name
        load_stage_config(EXAMPLE, match.group(1))


# -- reproducibility -----------------------------------------------------------------------------------------


def test_plan_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    project = example_project(tmp_path / "project")
    outs = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        subprocess.run(
            [sys.executable, "-m", "secrets_iac", "plan", "--stack", "alpha", "--out", str(out)],
            cwd=project,
            check=True,
            capture_output=True,
        )
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0].keys() == outs[1].keys()
    differing = sorted(k for k in outs[0] if outs[0][k] != outs[1][k])
    assert differing == []
