"""Day-2 operations on a stage's secrets: backup, restore, the uninstall check, adopting existing secrets.

Library code only (boto3, SOPS); no Pulumi. AWS is read through the sync's batched reads and written
through the sync's reconcile, so one set of rules (checked answers, retries, drift) holds everywhere.
"""
