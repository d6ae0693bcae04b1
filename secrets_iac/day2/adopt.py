"""Adopting existing secrets: the `pulumi import` file for secrets that exist in AWS under the stage's names.

The file names each `aws:secretsmanager/secret:Secret` exactly as the program declares it: logical name
`<entry>-secret` (`secrets_iac.naming.secret_resource_name` gives `<entry>`), parent the `SecretEntry`
`<entry>`, whose parent is the stage's `SecretsStage` (named after the environment). Pulumi's import file
(CLI >= 3.94) refers to a parent by a `name` in the same file or in `nameTable` (name -> URN of a resource
already in state); `logicalName` is the resource's real name, so the reference names can stay unique.
Components missing from state are imported as empty components (`component: true`); the stage's own AWS
provider is referenced only when it is already in state (an import file cannot create a provider).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from secrets_iac.planner import StagePlan
from secrets_iac.sync.responses import SecretMeta

SECRET_TYPE = "aws:secretsmanager/secret:Secret"
ENTRY_TYPE = "secrets-iac:aws:SecretEntry"
STAGE_TYPE = "secrets-iac:stage:SecretsStage"
AWS_PROVIDER_TYPE = "pulumi:providers:aws"


@dataclass(frozen=True)
class Names:
    """URNs of the stage's resources in one stack of one project."""

    stack: str
    project: str
    environment: str

    def _urn(self, types: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{types}::{name}"

    def stage(self) -> str:
        return self._urn(STAGE_TYPE, self.environment)

    def provider(self) -> str:
        return self._urn(f"{STAGE_TYPE}${AWS_PROVIDER_TYPE}", f"{self.environment}-aws")

    def entry(self, key: str) -> str:
        return self._urn(f"{STAGE_TYPE}${ENTRY_TYPE}", key)

    def secret(self, key: str) -> str:
        return self._urn(f"{STAGE_TYPE}${ENTRY_TYPE}${SECRET_TYPE}", f"{key}-secret")


@dataclass
class ImportPlan:
    document: dict[str, Any]
    adopted: list[str] = field(default_factory=list)
    """Secret names the file imports."""
    in_state: list[str] = field(default_factory=list)
    scheduled_for_deletion: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def state_urns(export: Mapping[str, Any]) -> set[str]:
    """URNs of `pulumi stack export` (`deployment.resources[].urn`), pending deletes left out."""
    deployment = export.get("deployment")
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    if not isinstance(resources, list):
        raise ValueError("deployment.resources: missing: not the output of `pulumi stack export`")
    return {str(r["urn"]) for r in resources if isinstance(r, Mapping) and "urn" in r and not r.get("delete")}


def import_plan(
    plan: StagePlan, names: Names, existing: Mapping[str, SecretMeta], state: Collection[str] | None
) -> ImportPlan:
    """The import file for the stage's declared secrets that exist in AWS and are not in `state`."""
    in_state = set(state or ())
    result = ImportPlan(document={})
    resources: list[dict[str, Any]] = []
    name_table: dict[str, str] = {}
    stage_ref = "stage"

    def need_stage() -> None:
        if stage_ref in name_table or any(r["name"] == stage_ref for r in resources):
            return
        if names.stage() in in_state:
            name_table[stage_ref] = names.stage()
        else:
            resources.append(
                {"type": STAGE_TYPE, "name": stage_ref, "logicalName": names.environment, "component": True}
            )

    provider = names.provider() in in_state
    if provider:
        name_table["aws-provider"] = names.provider()
    for spec in (*plan.secrets, *plan.generated_secrets):
        meta = existing.get(spec.name)
        if meta is None:
            continue
        if names.secret(spec.key) in in_state:
            result.in_state.append(spec.name)
            continue
        if meta.deleted is not None:
            result.scheduled_for_deletion.append(spec.name)
            continue
        entry_ref = f"entry:{spec.key}"
        if names.entry(spec.key) in in_state:
            name_table[entry_ref] = names.entry(spec.key)
        else:
            need_stage()
            resources.append(
                {
                    "type": ENTRY_TYPE,
                    "name": entry_ref,
                    "logicalName": spec.key,
                    "component": True,
                    "parent": stage_ref,
                }
            )
        secret: dict[str, Any] = {
            "type": SECRET_TYPE,
            "name": f"secret:{spec.key}",
            "logicalName": f"{spec.key}-secret",
            "id": meta.arn,
            "parent": entry_ref,
        }
        if provider:
            secret["provider"] = "aws-provider"
        resources.append(secret)
        result.adopted.append(spec.name)
    if result.adopted and not provider:
        result.notes.append(
            f"the stage's AWS provider ({names.environment}-aws) is not in state: the secrets are imported "
            "with the default aws provider; the next pulumi up moves them to the stage's provider (same "
            "region and account: no replacement; check with pulumi preview --diff)"
        )
    if result.scheduled_for_deletion:
        result.notes.append(
            "scheduled for deletion, not imported (restore them first: aws secretsmanager restore-secret): "
            + ", ".join(result.scheduled_for_deletion)
        )
    result.document = (
        {"nameTable": name_table, "resources": resources} if name_table else {"resources": resources}
    )
    return result
