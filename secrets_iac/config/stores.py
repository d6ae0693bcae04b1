"""Stores as first-class config: `stores[]`, each a SecretStore or ClusterSecretStore serving the apps
that name it (`apps[].store`). An app naming no store gets its own per-app SecretStore.

The stage-wide `store:` key stays as shorthand (see `StoreConfig` in `model.py`): with `kind:
SecretStore` it sets the defaults of the per-app stores; with `kind: ClusterSecretStore` it declares one
store serving every app and cannot be combined with `stores[]`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from secrets_iac.config.base import StrictModel, dns_subdomain
from secrets_iac.rules.durations import is_interval
from secrets_iac.rules.eso import anchoring_problem, go_regexp_problem
from secrets_iac.rules.k8s import is_label_value, is_qualified_name

if TYPE_CHECKING:
    from secrets_iac.config.model import StageConfig


class StoreKind(StrEnum):
    SECRET_STORE = "SecretStore"
    CLUSTER_SECRET_STORE = "ClusterSecretStore"


class StoreAuth(StrEnum):
    IRSA = "irsa"
    """`auth.jwt.serviceAccountRef`: a dedicated ServiceAccount whose role the store uses (recommended)."""
    CONTROLLER = "controller"
    """No auth block: the ESO controller's own IRSA role."""
    POD_IDENTITY = "podIdentity"
    """No auth block: the controller's identity through EKS Pod Identity."""
    STATIC = "static"
    """`auth.secretRef`: long-lived access keys in a Kubernetes Secret (discouraged)."""


class StoreAccess(StrEnum):
    ROLE = "role"
    """The store's role reads exactly the prefixes of the apps it serves."""
    SESSION_TAGS = "sessionTags"
    """ABAC: one reader role, assumed with ESO's `esoNamespace` session tag, reads only secrets whose
    `namespace` tag equals that namespace (ESO >= v2.5 `sessionTagsPolicy: Simple`)."""


class StaticKeysRef(StrictModel):
    """Where a `static` store finds its access keys."""

    secret_name: str
    access_key_id_key: str = "access-key-id"
    secret_access_key_key: str = "secret-access-key"


def _label_key(value: str) -> str:
    if not is_qualified_name(value):
        raise ValueError(f"{value!r} is not a label key ([prefix/]name)")
    return value


def _label_value(value: str) -> str:
    if not is_label_value(value):
        raise ValueError(f"{value!r} is not a label value (<= 63 letters, digits, '-', '_', '.')")
    return value


def _namespace_regex(value: str) -> str:
    problem = go_regexp_problem(value) or anchoring_problem(value)
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
NamespaceRegex = Annotated[str, AfterValidator(_namespace_regex)]


class LabelRequirementConfig(StrictModel):
    """One `matchExpressions` entry."""

    key: LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[LabelValue, ...] = ()

    @model_validator(mode="after")
    def _values_match_operator(self) -> LabelRequirementConfig:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs at least one value")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values")
        return self


class NamespaceSelectorConfig(StrictModel):
    """A Kubernetes label selector on Namespace objects (matchLabels AND matchExpressions)."""

    match_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    match_expressions: tuple[LabelRequirementConfig, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> NamespaceSelectorConfig:
        if not self.match_labels and not self.match_expressions:
            raise ValueError(
                "an empty selector matches every namespace; give matchLabels or matchExpressions"
            )
        return self


class StoreConditionConfig(StrictModel):
    """Extra namespaces a ClusterSecretStore admits besides its apps' namespaces (ESO ORs conditions).

    Namespaces admitted this way may use the store for the prefixes of the apps it serves (what its role
    reads); the stage's admission policy holds them to those prefixes.
    """

    namespace_selector: NamespaceSelectorConfig | None = None
    namespace_regexes: tuple[NamespaceRegex, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> StoreConditionConfig:
        if self.namespace_selector is None and not self.namespace_regexes:
            raise ValueError("a condition needs namespaceSelector or namespaceRegexes")
        return self


class RetrySettingsConfig(StrictModel):
    """`spec.retrySettings` of a store: how ESO's AWS provider retries."""

    max_retries: int | None = Field(None, ge=0, lt=2**31)
    retry_interval: str | None = Field(None, description="Go duration between attempts, e.g. 10s")

    @field_validator("retry_interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None and not is_interval(value):
            raise ValueError(f'"{value}" is not a duration like 10s or 1m')
        return value


def refresh_interval_problem(value: int | str) -> str | None:
    """Stores accept int seconds or (ESO >= v2.8) a Go duration."""
    if isinstance(value, bool):
        return f"{value!r} is not seconds or a duration"
    if isinstance(value, int):
        return None if value >= 0 else f"{value} must be >= 0 seconds"
    return None if is_interval(value) else f'"{value}" is not seconds or a duration like 5m'


class StoreDefinition(StrictModel):
    """One entry of `stores[]`: a named store that the apps naming it (`apps[].store`) share."""

    name: str
    kind: StoreKind
    auth: StoreAuth = StoreAuth.IRSA
    access: StoreAccess = Field(StoreAccess.ROLE, description="role (prefix-scoped) or sessionTags (ABAC)")
    service_account: str | None = Field(
        None,
        description="IRSA ServiceAccount of the store: in eso.namespace for a ClusterSecretStore, in the "
        "apps' namespace for a SecretStore; default <name>-reader",
    )
    conditions: tuple[StoreConditionConfig, ...] = Field(
        (), description="ClusterSecretStore: namespaces admitted besides the served apps' namespaces"
    )
    refresh_interval: int | str = Field(0, description="Store re-validation: seconds or a duration")
    retry_settings: RetrySettingsConfig | None = None
    static_keys: StaticKeysRef | None = None

    @field_validator("name", "service_account")
    @classmethod
    def _dns(cls, value: str | None) -> str | None:
        return None if value is None else dns_subdomain(value)

    @field_validator("refresh_interval")
    @classmethod
    def _refresh(cls, value: int | str) -> int | str:
        problem = refresh_interval_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _combinations(self) -> StoreDefinition:
        cluster = self.kind is StoreKind.CLUSTER_SECRET_STORE
        if self.conditions and not cluster:
            raise ValueError("conditions are only used by a ClusterSecretStore")
        if self.access is StoreAccess.SESSION_TAGS:
            if not cluster:
                raise ValueError(
                    "access sessionTags needs kind ClusterSecretStore (one store, many namespaces)"
                )
            if self.auth is not StoreAuth.IRSA:
                raise ValueError(
                    f"access sessionTags needs auth irsa: the store's IRSA identity assumes the reader role "
                    f"with the session tags (auth is {self.auth.value})"
                )
        if self.auth is StoreAuth.STATIC and self.static_keys is None:
            raise ValueError("staticKeys is required when auth is static")
        if self.auth is not StoreAuth.STATIC and self.static_keys is not None:
            raise ValueError(f"staticKeys is only used when auth is static (auth is {self.auth.value})")
        if self.service_account is not None and self.auth is not StoreAuth.IRSA:
            raise ValueError(f"serviceAccount is only used when auth is irsa (auth is {self.auth.value})")
        return self

    @property
    def irsa_service_account(self) -> str:
        return self.service_account or f"{self.name}-reader"


def store_problems(config: StageConfig) -> list[str]:
    """What is wrong between `store`, `stores[]` and `apps[].store`, each naming its key path."""
    problems: list[str] = []
    by_name: dict[str, int] = {}
    for index, store in enumerate(config.stores):
        if store.name in by_name:
            problems.append(f"stores[{index}].name {store.name!r} is also stores[{by_name[store.name]}].name")
        by_name.setdefault(store.name, index)
    shorthand_cluster = config.store.kind is StoreKind.CLUSTER_SECRET_STORE
    if shorthand_cluster and (config.stores or any(app.store for app in config.apps)):
        problems.append(
            "store.kind ClusterSecretStore is shorthand for one store serving every app; with stores[] "
            "declare that store there (kind: ClusterSecretStore) and name it from apps[].store"
        )
    served: dict[str, list[int]] = {}
    for index, app in enumerate(config.apps):
        if app.store is None:
            if (
                not shorthand_cluster
                and config.store.auth is StoreAuth.IRSA
                and app.reads
                and app.service_account is None
            ):
                problems.append(
                    f"apps[{index}].serviceAccount is required with a SecretStore using irsa auth"
                )
            continue
        if app.store not in by_name:
            known = ", ".join(sorted(by_name)) or "none declared"
            problems.append(f"apps[{index}].store {app.store!r} is not a stores[] name ({known})")
        elif not app.reads:
            problems.append(
                f"apps[{index}].store is set but the app reads nothing (no secrets, find or generated)"
            )
        else:
            served.setdefault(app.store, []).append(index)
    cluster_accounts: dict[str, int] = {}
    for index, store in enumerate(config.stores):
        apps = [config.apps[i] for i in served.get(store.name, [])]
        if not apps:
            problems.append(
                f"stores[{index}] {store.name!r} serves no app: name it from apps[].store or remove it "
                "(a ClusterSecretStore without apps would admit every namespace)"
            )
        namespaces = sorted({app.namespace for app in apps})
        if store.kind is StoreKind.SECRET_STORE and len(namespaces) > 1:
            problems.append(
                f"stores[{index}] {store.name!r} is a SecretStore but its apps are in namespaces "
                f"{', '.join(namespaces)}: a SecretStore serves one namespace (use a ClusterSecretStore)"
            )
        if store.kind is StoreKind.CLUSTER_SECRET_STORE and store.auth is StoreAuth.IRSA:
            account = store.irsa_service_account
            if account in cluster_accounts:
                problems.append(
                    f"stores[{index}] {store.name!r} uses ServiceAccount {account!r} like "
                    f"stores[{cluster_accounts[account]}]: each IRSA store needs its own"
                )
            cluster_accounts.setdefault(account, index)
    pod_identity = config.store.auth is StoreAuth.POD_IDENTITY and any(
        app.store is None and (app.reads or app.pushes) for app in config.apps
    )
    if (
        pod_identity or any(s.auth is StoreAuth.POD_IDENTITY for s in config.stores)
    ) and not config.eso.install:
        # The association targets the controller's ServiceAccount, which this stack then owns.
        problems.append("store.auth podIdentity needs eso.install true (the controller's ServiceAccount)")
    return problems
