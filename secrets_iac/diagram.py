"""A stage as a diagram: namespaces -> ExternalSecrets -> stores -> roles -> secret prefixes.

Push paths (PushSecret -> push store -> pusher role -> prefix) are dashed. Built from the `StagePlan`, so
it shows exactly what `pulumi up` would declare. Rendered as Mermaid (GitHub renders it in a PR comment)
and Graphviz DOT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from secrets_iac.planner import PolicySpec, RoleSpec, StagePlan, identity_role, store_role


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    kind: str
    """namespace, externalsecret, pushsecret, store, role, prefix, credentials."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    push: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def node(self, key: str, label: str, kind: str) -> str:
        self.nodes.setdefault(key, Node(key, label, kind))
        return key

    def edge(self, source: str, target: str, *, push: bool = False) -> None:
        edge = Edge(source, target, push)
        if edge not in self.edges:
            self.edges.append(edge)


def _store_key(manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    return f"store:{meta.get('namespace') or ''}/{meta['name']}"


def _targets(policy: PolicySpec) -> list[tuple[str, str]]:
    """(node key, label) of what one policy reaches: prefixes, exact names, or the reader it assumes."""
    find = " + find" if policy.find else ""
    if policy.access == "assume-reader":
        return []
    if policy.access == "push":
        return [(f"name:{n}", n) for n in policy.names]
    tag = " (tag namespace = session)" if policy.access == "read-by-namespace-tag" else ""
    prefixes = policy.prefixes or (policy.prefix,)
    return [(f"prefix:{p}", f"{p}/*{find}{tag}") for p in prefixes]


def _role_node(graph: Graph, role: RoleSpec, *, push: bool) -> str:
    node = graph.node(f"role:{role.role_name}", f"role {role.role_name}", "role")
    for policy in role.policies:
        if (policy.access == "push") == push:
            for key, label in _targets(policy):
                graph.edge(node, graph.node(key, label, "prefix"), push=push)
    return node


def _link_store(graph: Graph, plan: StagePlan, manifest: dict[str, Any], *, push: bool) -> str:
    meta = manifest["metadata"]
    where = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
    store = graph.node(_store_key(manifest), f"{manifest['kind']} {where}", "store")
    aws = manifest["spec"]["provider"]["aws"]
    role = store_role(plan, manifest)
    if role is None:
        secret = aws.get("auth", {}).get("secretRef", {})
        name = secret.get("accessKeyIDSecretRef", {}).get("name", "?")
        graph.edge(store, graph.node(f"static:{name}", f"static keys {name}", "credentials"), push=push)
        return store
    reader = _role_node(graph, role, push=push)
    if aws.get("role"):  # sessionTags: the store's IRSA identity assumes the reader with session tags
        identity = identity_role(plan, manifest)
        if identity is not None:
            middle = graph.node(f"role:{identity.role_name}", f"role {identity.role_name}", "role")
            graph.edge(store, middle, push=push)
            graph.edge(middle, reader, push=push)
            return store
    graph.edge(store, reader, push=push)
    return store


def stage_graph(plan: StagePlan) -> Graph:
    graph = Graph()
    stores = {(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]): m for m in plan.stores}
    for external in plan.external_secrets:
        meta = external["metadata"]
        namespace = graph.node(f"ns:{meta['namespace']}", f"namespace {meta['namespace']}", "namespace")
        node = graph.node(
            f"es:{meta['namespace']}/{meta['name']}", f"ExternalSecret {meta['name']}", "externalsecret"
        )
        graph.edge(namespace, node)
        ref = external["spec"]["secretStoreRef"]
        store_ns = meta["namespace"] if ref["kind"] == "SecretStore" else None
        manifest = stores.get((ref["kind"], store_ns, ref["name"]))
        if manifest is not None:
            graph.edge(node, _link_store(graph, plan, manifest, push=False))
    for push in plan.push_secrets:
        meta = push["metadata"]
        namespace = graph.node(f"ns:{meta['namespace']}", f"namespace {meta['namespace']}", "namespace")
        generated = "generatorRef" in push["spec"]["selector"]
        label = f"PushSecret {meta['name']}" + (" (generated value)" if generated else "")
        node = graph.node(f"ps:{meta['namespace']}/{meta['name']}", label, "pushsecret")
        graph.edge(namespace, node, push=True)
        for ref in push["spec"]["secretStoreRefs"]:
            store_ns = meta["namespace"] if ref["kind"] == "SecretStore" else None
            manifest = stores.get((ref["kind"], store_ns, ref["name"]))
            if manifest is not None:
                graph.edge(node, _link_store(graph, plan, manifest, push=True), push=True)
    return graph


def _ids(nodes: Iterable[Node]) -> dict[str, str]:
    return {node.key: f"n{index}" for index, node in enumerate(sorted(nodes, key=lambda n: n.key))}


_MERMAID_SHAPES = {
    "namespace": ('(["', '"])'),
    "externalsecret": ('["', '"]'),
    "pushsecret": ('["', '"]'),
    "store": ('[("', '")]'),
    "role": ('{{"', '"}}'),
    "prefix": ('[/"', '"/]'),
    "credentials": ('>"', '"]'),
}


def to_mermaid(graph: Graph) -> str:
    ids = _ids(graph.nodes.values())
    lines = ["flowchart LR"]
    for node in sorted(graph.nodes.values(), key=lambda n: n.key):
        open_, close = _MERMAID_SHAPES[node.kind]
        lines.append(f"  {ids[node.key]}{open_}{node.label.replace(chr(34), '#quot;')}{close}")
    for edge in graph.edges:
        arrow = "-.->" if edge.push else "-->"
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {
    "namespace": "folder",
    "externalsecret": "note",
    "pushsecret": "note",
    "store": "cylinder",
    "role": "hexagon",
    "prefix": "parallelogram",
    "credentials": "box",
}


def to_dot(graph: Graph, name: str = "stage") -> str:
    ids = _ids(graph.nodes.values())
    lines = [f'digraph "{name}" {{', "  rankdir=LR;"]
    for node in sorted(graph.nodes.values(), key=lambda n: n.key):
        label = node.label.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  {ids[node.key]} [label="{label}", shape={_DOT_SHAPES[node.kind]}];')
    for edge in graph.edges:
        style = " [style=dashed]" if edge.push else ""
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"
