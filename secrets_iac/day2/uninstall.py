"""The uninstall check: a stage may be destroyed only with a backup that holds what AWS holds now.

A backup passes when it decrypts (the key to restore it is at hand), is of this stage, was taken after
the last sync (the newest `LastChangedDate` of a secret whose current version carries the sync's label
`SECRETS-IAC-SYNCED`), and covers every secret of the stage that exists now at its current version (a
value written after the backup, by ESO or by hand, fails the check even when no sync ran since).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from secrets_iac.config import KmsMode
from secrets_iac.day2.backup_file import Backup
from secrets_iac.planner import StagePlan
from secrets_iac.sync.reconcile import SYNCED_STAGE
from secrets_iac.sync.responses import SecretMeta


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]
    last_sync: str | None
    """ISO 8601 time of the last sync write seen in AWS; None when the sync never wrote."""
    live: int
    """Secrets of the stage that exist now (not scheduled for deletion)."""
    deleted: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def last_sync(metas: Mapping[str, SecretMeta]) -> str | None:
    """The newest change of a secret whose current version the sync wrote (or labelled)."""
    times = [
        m.last_changed
        for m in metas.values()
        if m.last_changed and m.current_version and SYNCED_STAGE in m.versions.get(m.current_version, ())
    ]
    return max(times, key=_when) if times else None


def check_backup(backup: Backup, metas: Mapping[str, SecretMeta]) -> Verdict:
    """Compare the backup with what exists now (`metas`: the stage's secrets from the listing)."""
    live = {n: m for n, m in metas.items() if m.deleted is None}
    problems: list[str] = []
    synced = last_sync(live)
    if synced is not None and _when(backup.taken_at) <= _when(synced):
        problems.append(f"the backup was taken {backup.taken_at}, not after the last sync ({synced})")
    by_name = {s.name: s for s in backup.secrets}
    missing = sorted(n for n in live if n not in by_name)
    if missing:
        problems.append(f"not in the backup: {', '.join(missing)}")
    changed = sorted(
        n for n, m in live.items() if n in by_name and m.current_version != by_name[n].version_id
    )
    if changed:
        problems.append(f"changed since the backup (another current version): {', '.join(changed)}")
    deleted = tuple(sorted(n for n, m in metas.items() if m.deleted is not None))
    return Verdict(tuple(problems), synced, len(live), deleted)


def _retained(plan: StagePlan) -> list[tuple[str, bool, bool]]:
    """(what, protect, retainOnDelete) for the stateful resources this stage declares."""
    protection = plan.protection
    what = [(f"{len(plan.secrets) + len(plan.generated_secrets)} secrets", protection.secrets)]
    if plan.kms.mode is KmsMode.CREATE:
        what.append(("the KMS key and its alias", protection.kms_key))
    if plan.namespaces:
        what.append((f"namespaces {', '.join(plan.namespaces)}", protection.namespaces))
    if plan.eso_install is not None:
        what.append(("the ESO Helm release (and its CRDs)", protection.eso_release))
    return [(name, p.protect, p.retain_on_delete) for name, p in what]


def destroy_steps(plan: StagePlan, stack: str, backup_file: str) -> list[str]:
    """What to run next, and what stays where after `pulumi destroy` (README "Uninstall")."""
    retained = _retained(plan)
    protected = [name for name, protect, _ in retained if protect]
    kept = [name for name, _, retain in retained if retain]
    deleted = [name for name, _, retain in retained if not retain]
    steps = [
        f"1. keep {backup_file} and an age identity that decrypts it outside this cluster and account",
        f"2. pulumi stack select {stack}",
    ]
    if protected:
        steps.append(
            f"3. protected ({'; '.join(protected)}): pulumi destroy refuses them; set secrets-iac:protection "
            "{protect: false} and pulumi up (state only), or pulumi state unprotect <urn>"
        )
    else:
        steps.append("3. nothing is protected (secrets-iac:protection.protect is false)")
    steps.append(f"4. pulumi destroy --stack {stack}")
    if kept:
        steps.append(
            f"   retained (retainOnDelete: left in AWS and the cluster, out of state): {'; '.join(kept)}"
        )
    if deleted:
        steps.append(
            f"   deleted: {'; '.join(deleted)} (secrets wait recoveryWindowInDays = "
            f"{plan.recovery_window_in_days}; secrets-iac restore puts a backup back)"
        )
    steps.append(
        "   always deleted: roles, ServiceAccounts, stores, ExternalSecrets (target Secrets with "
        "creationPolicy Owner go with them), PushSecrets, generators, the admission policy"
    )
    steps.append(f"5. pulumi stack rm {stack} (the stack's state; the backup stays your copy of the values)")
    return steps
