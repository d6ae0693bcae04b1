"""What keeps `pulumi up` from harming a stage: where it may deploy, and what it must not delete by itself."""

from __future__ import annotations

from secrets_iac.config import StageConfig
from secrets_iac.planner.specs import DeployTarget, Protection, ProtectionPlan
from secrets_iac.rules.aws import eks_cluster_arn


def protection_plan(config: StageConfig) -> ProtectionPlan:
    """One switch per stage (`secrets-iac:protection`) for everything stateful a team would lose: secrets
    (their values), a created KMS key (deleting it makes every secret unreadable), created namespaces
    (deleting one deletes every workload in it) and the ESO release (uninstalling deletes its CRDs, and with
    them every ExternalSecret and the Secrets they own)."""
    chosen = Protection(config.protection.protect, config.protection.retain_on_delete)
    return ProtectionPlan(secrets=chosen, kms_key=chosen, namespaces=chosen, eso_release=chosen)


def deploy_target(config: StageConfig) -> DeployTarget:
    """The stage's account, region and cluster, for its explicit providers. The default context is the
    cluster's ARN, the name `aws eks update-kubeconfig` gives it, so a kubeconfig holding several clusters
    still resolves to this stage's."""
    context = config.kubernetes.context or eks_cluster_arn(
        config.region, config.account_id, config.cluster.name
    )
    return DeployTarget(
        region=config.region,
        allowed_account_ids=(config.account_id,),
        kube_context=context,
        kubeconfig=config.kubernetes.kubeconfig,
    )
