"""The pinned Pod Identity trust on moto's IAM: accepted as written (UpdateAssumeRolePolicy validates it like
IAM). moto does not evaluate trust conditions, so who may assume the role is proven on the document itself
(tests/secrets_iac/iam/test_trust.py: exact conditions, and parliament on every condition key)."""

from __future__ import annotations

import json
from urllib.parse import unquote

from secrets_iac.iam.trust import pod_identity_trust_policy
from tests.aws.test_least_privilege import provision_role
from tests.conftest import MotoServer


def test_iam_accepts_the_pinned_trust_and_keeps_every_condition(moto_fresh: MotoServer) -> None:
    trust = pod_identity_trust_policy(
        region="eu-west-1",
        account_id=moto_fresh.account_id,
        cluster_name="fixture-eks",
        namespace="external-secrets",
        service_account="external-secrets",
    )
    iam = moto_fresh.client("iam")
    provision_role(iam, "fixture-eso-controller", trust, {})
    stored = iam.get_role(RoleName="fixture-eso-controller")["Role"]["AssumeRolePolicyDocument"]
    document = json.loads(unquote(stored)) if isinstance(stored, str) else stored
    assert document == trust
