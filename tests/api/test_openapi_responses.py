"""Every JSON success answer of /api/v1 has a body schema listing its fields exactly, so schemathesis checks it."""

from __future__ import annotations

from typing import Any


def json_success_bodies(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The application/json schema of every 2xx answer of the JSON API, by "METHOD path status"."""
    return {
        f"{method.upper()} {path} {status}": answer["content"]["application/json"].get("schema") or {}
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2") and "application/json" in answer.get("content", {})
    }


def lists_its_fields(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A schema naming a model that forbids undocumented fields, or a choice between such models."""
    options = schema.get("anyOf") or [schema]
    names = [option.get("$ref", "").removeprefix("#/components/schemas/") for option in options]
    return all(components.get(name, {}).get("additionalProperties") is False for name in names)


def test_every_json_success_answer_of_the_api_documents_its_body(client):
    spec = client.get("/openapi.json").json()
    bodies = json_success_bodies(spec)

    undocumented = [
        name for name, schema in bodies.items() if not lists_its_fields(schema, spec["components"]["schemas"])
    ]

    assert bodies and undocumented == []
