"""IAM documents secrets-iac renders: least-privilege identity policies and role trust policies.

Pure builders: plain data in, plain ``dict`` out; the planner calls them, the Pulumi layer only serialises.
"""
