"""secrets-iac: the runtime library and CLI (importable without a Pulumi engine)."""

__version__ = "0.1.0"
