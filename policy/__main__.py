"""`pulumi preview --policy-pack policy`: the secrets-iac guard rails as a Pulumi policy pack (mandatory)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.rules import POLICIES

PolicyPack(name="secrets-iac", enforcement_level=EnforcementLevel.MANDATORY, policies=list(POLICIES))
