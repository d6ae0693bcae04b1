"""Demo only: create a stage's planned IAM (OIDC provider, roles, trust and inline policies) in the local
moto server, standing in for `pulumi up`, so `secrets-iac verify` can assume the roles as ESO would.

Usage: python demo/moto_iam.py --stack dev   (AWS_ENDPOINT_URL points at moto)
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import boto3

from secrets_iac.config import read_stack_config, stack_file
from secrets_iac.planner import plan_stage, policy_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True)
    args = parser.parse_args()
    path = stack_file(Path.cwd(), args.stack)
    _, plan = plan_stage(read_stack_config(path), args.stack, source=f"stacks/{path.name}")
    iam = boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=plan.region)
    iam.create_open_id_connect_provider(
        Url=plan.cluster.oidc_issuer_url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40]
    )
    for role in plan.roles:
        iam.create_role(RoleName=role.role_name, AssumeRolePolicyDocument=json.dumps(role.trust_policy))
        for policy in role.policies:
            document = policy_document(policy, plan, plan.kms.key_arn)
            iam.put_role_policy(
                RoleName=role.role_name, PolicyName=policy.name, PolicyDocument=json.dumps(document)
            )
        print(f"role {role.role_name}: {', '.join(p.name for p in role.policies)}")


if __name__ == "__main__":
    main()
