"""ESO custom resources (and the stage's other planned Kubernetes objects) as components: each wraps one
complete manifest built by the library (`secrets_iac.eso`, `secrets_iac.planner.admission`)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s


class _EsoObject(pulumi.ComponentResource):
    """Declares one ESO object from a complete manifest (apiVersion, kind, metadata, spec)."""

    TYPE = "secrets-iac:eso:Object"

    resource: k8s.apiextensions.CustomResource
    name: str

    def __init__(
        self, name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        metadata = manifest["metadata"]
        self.resource = k8s.apiextensions.CustomResource(
            f"{name}-cr",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=metadata["name"], namespace=metadata.get("namespace"), labels=metadata.get("labels")
            ),
            spec=manifest["spec"],
            # Children don't inherit the component's depends_on: the CRDs and stores must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None),
        )
        self.name = metadata["name"]
        self.register_outputs({"name": self.name, "kind": manifest["kind"]})


class SecretStore(_EsoObject):
    TYPE = "secrets-iac:eso:SecretStore"


class ClusterSecretStore(_EsoObject):
    TYPE = "secrets-iac:eso:ClusterSecretStore"


class ExternalSecret(_EsoObject):
    TYPE = "secrets-iac:eso:ExternalSecret"


class PushSecret(_EsoObject):
    TYPE = "secrets-iac:eso:PushSecret"


class Generator(_EsoObject):
    TYPE = "secrets-iac:eso:Generator"


class AdmissionPolicy(_EsoObject):
    """A ValidatingAdmissionPolicy or its binding (admissionregistration.k8s.io/v1, built in since 1.30)."""

    TYPE = "secrets-iac:k8s:AdmissionPolicy"


COMPONENT_BY_KIND: dict[str, type[_EsoObject]] = {
    "SecretStore": SecretStore,
    "ClusterSecretStore": ClusterSecretStore,
    "ExternalSecret": ExternalSecret,
    "PushSecret": PushSecret,
    "Password": Generator,
    "ValidatingAdmissionPolicy": AdmissionPolicy,
    "ValidatingAdmissionPolicyBinding": AdmissionPolicy,
}


def eso_component(
    name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions | None = None
) -> _EsoObject:
    return COMPONENT_BY_KIND[manifest["kind"]](name, manifest, opts)
