"""The secrets-iac policy pack (`pulumi preview --policy-pack policy`)."""
