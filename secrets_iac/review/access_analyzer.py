"""Optional confirmation of the access diff by IAM Access Analyzer's `CheckNoNewAccess` (AWS credentials).

The grant diff is computed from the documents as data; Access Analyzer proves the same with its policy
reasoning (Zelkova), e.g. that a rewritten document grants nothing new. Each call compares one inline
policy of one role, base against head.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secrets_iac.errors import UserError
from secrets_iac.review.plan_diff import PlanDiff, PlanOutput


def confirm_with_access_analyzer(
    client: Any, base: PlanOutput, head: PlanOutput, diff: PlanDiff
) -> dict[str, str]:
    """`role.policy` -> `PASS`, `FAIL: <reasons>` or `new policy` for every changed inline policy."""
    results: dict[str, str] = {}
    for role in diff.roles:
        for name in role.policies_changed:
            old = base.policies.get(role.role, {}).get(name)
            new = head.policies.get(role.role, {}).get(name)
            key = f"{role.role}.{name}"
            if new is None:
                results[key] = "removed"
                continue
            if old is None:
                results[key] = "new policy"
                continue
            try:
                answer = client.check_no_new_access(
                    existingPolicyDocument=json.dumps(old),
                    newPolicyDocument=json.dumps(new),
                    policyType="IDENTITY_POLICY",
                )
            except (BotoCoreError, ClientError) as err:
                raise UserError(f"CheckNoNewAccess {key}: {err}") from None
            reasons = "; ".join(r.get("description", "") for r in answer.get("reasons", []))
            results[key] = answer["result"] if answer["result"] == "PASS" else f"FAIL: {reasons}".rstrip(": ")
    return results
