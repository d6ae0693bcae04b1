"""The stage diagram on a fixture stage: nodes and edges, push paths dashed, Mermaid and DOT."""

from __future__ import annotations

from pathlib import Path

from components.offline_plan import plan_stack
from secrets_iac.config import parse_stage_config
from secrets_iac.diagram import stage_graph, to_dot, to_mermaid
from secrets_iac.planner import render_stage
from tests.fixtures.stages import stage_values, write_project


def _labelled_edges(values: dict[str, object]) -> set[tuple[str, str, bool]]:
    graph = stage_graph(render_stage(parse_stage_config(values, source="t"), "qa"))
    return {(graph.nodes[e.source].label, graph.nodes[e.target].label, e.push) for e in graph.edges}


def test_per_app_stores_read_and_push_paths() -> None:
    edges = _labelled_edges(stage_values())
    assert edges == {
        ("namespace orders", "ExternalSecret orders-secrets", False),
        ("ExternalSecret orders-secrets", "SecretStore orders/aws-secrets-manager", False),
        ("SecretStore orders/aws-secrets-manager", "role secrets-iac-qa-orders-reader", False),
        ("role secrets-iac-qa-orders-reader", "secrets-iac/qa/orders/*", False),
        ("namespace billing", "ExternalSecret billing-secrets", False),
        ("ExternalSecret billing-secrets", "SecretStore billing/aws-secrets-manager", False),
        ("SecretStore billing/aws-secrets-manager", "role secrets-iac-qa-billing-reader", False),
        ("role secrets-iac-qa-billing-reader", "secrets-iac/qa/billing/*", False),
        ("namespace orders", "PushSecret orders-push-orders-token", True),
        ("PushSecret orders-push-orders-token", "SecretStore orders/aws-secrets-manager-push", True),
        ("SecretStore orders/aws-secrets-manager-push", "role secrets-iac-qa-orders-pusher", True),
        ("role secrets-iac-qa-orders-pusher", "secrets-iac/qa/orders/token", True),
    }


def test_shared_cluster_store_and_find() -> None:
    values = stage_values(store={"kind": "ClusterSecretStore", "auth": "irsa"})
    values["apps"][1]["find"] = {"path": "certs"}
    edges = _labelled_edges(values)
    assert ("ExternalSecret billing-secrets", "ClusterSecretStore aws-secrets-manager", False) in edges
    assert ("ExternalSecret orders-secrets", "ClusterSecretStore aws-secrets-manager", False) in edges
    assert ("role secrets-iac-qa-store-reader", "secrets-iac/qa/* + find", False) in edges


def test_mermaid_and_dot_text(tmp_path: Path) -> None:
    graph = stage_graph(render_stage(parse_stage_config(stage_values(), source="t"), "qa"))
    mermaid = to_mermaid(graph)
    assert mermaid.startswith("flowchart LR\n")
    assert mermaid.count("-.->") == 4 and mermaid.count(" --> ") == 8
    assert '{{"role secrets-iac-qa-orders-reader"}}' in mermaid
    dot = to_dot(graph, "qa")
    assert dot.startswith('digraph "qa" {') and dot.count("[style=dashed]") == 4
    project = write_project(tmp_path / "p", "qa", stage_values())
    plan_stack(project, "qa", tmp_path / "out", graph=True)
    assert (tmp_path / "out" / "graph.mmd").read_text() == mermaid
    assert (tmp_path / "out" / "graph.dot").read_text() == dot


def test_every_store_layout_session_tag_chain_and_generated_values() -> None:
    from tests.fixtures.stores import STAGE, layered_values

    graph = stage_graph(render_stage(parse_stage_config(layered_values(), source="t"), STAGE))
    edges = {(graph.nodes[e.source].label, graph.nodes[e.target].label, e.push) for e in graph.edges}
    readers = {target for source, target, _ in edges if source == "ClusterSecretStore shared"}
    assert readers == {"role secrets-iac-layers-shared-store-reader"}
    assert {t for s, t, _ in edges if s == "role secrets-iac-layers-shared-store-reader"} == {
        "secrets-iac/layers/billing/*",
        "secrets-iac/layers/shipping/*",
    }
    assert ("ClusterSecretStore tenants", "role secrets-iac-layers-tenants-store-identity", False) in edges
    identity = "role secrets-iac-layers-tenants-store-identity"
    assert {t for s, t, _ in edges if s == identity} == {"role secrets-iac-layers-tenants-store-reader"}
    assert {t for s, t, _ in edges if s == "role secrets-iac-layers-tenants-store-reader"} == {
        "secrets-iac/layers/alpha/* (tag namespace = session)",
        "secrets-iac/layers/beta/* (tag namespace = session)",
    }
    generated = [n.label for n in graph.nodes.values() if n.label.endswith("(generated value)")]
    assert len(generated) == 1 and generated[0].startswith("PushSecret orders-")
