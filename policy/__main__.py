"""`pulumi preview --policy-pack policy`: the secrets-iac guard rails as a Pulumi policy pack (mandatory).

Pulumi runs this file with `policy/` as the script's folder; the repository root goes on the path so the
rules import as `policy.rules`, as the tests import them.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.rules import POLICIES

PolicyPack(name="secrets-iac", enforcement_level=EnforcementLevel.MANDATORY, policies=list(POLICIES))
