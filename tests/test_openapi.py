"""The OpenAPI document lists every JSON route."""

import re


def test_openapi_document_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<[^>]*\b{argument}>", "{" + argument + "}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    search = document["paths"].get("/api/v1/articles/{slug}")
    assert search["get"]["parameters"][0] == {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }


def _api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]


def test_every_json_endpoint_describes_what_it_reads_and_answers(make_app):
    """A view under /api/v1 without @api_doc (or an entry in kb.api.docs.ELSEWHERE) fails
    here, so the document cannot fall behind the code. The integrations' endpoints are on."""
    from kb.api.docs import doc_of

    app = make_app(
        content="empty",
        RT_URL="http://rt.invalid",
        RT_TOKEN="t",
        WEBHOOK_INBOUND_SECRET="s",
    )
    client = app.test_client()
    assert {"request_tracker.rt_ticket_resolved", "webhooks.inbound_ticket_resolved"} <= {
        rule.endpoint for rule in _api_rules(app)
    }

    undocumented = [
        rule.endpoint
        for rule in _api_rules(app)
        if doc_of(app.view_functions[rule.endpoint], rule.endpoint) is None
    ]
    assert undocumented == []
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = [code for code in operation["responses"] if code in ("200", "201", "202")]
            assert success, (path, method)
            content = operation["responses"][success[0]].get("content", {})
            assert "schema" in content.get("application/json", {}), (path, method)


def test_query_parameters_are_described(client):
    document = client.get("/api/v1/openapi.json").get_json()

    def query(path):
        return {
            p["name"]: p["schema"]
            for p in document["paths"][path]["get"].get("parameters", [])
            if p["in"] == "query"
        }

    search = query("/api/v1/search")
    assert {"q", "kind", "category", "service", "tag", "page", "per_page"} <= search.keys()
    assert search["kind"]["enum"] == ["article", "tree"]
    assert search["per_page"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "default SEARCH_PER_PAGE",
    }
    assert {"page", "per_page", "category", "service", "tag"} <= query("/api/v1/articles").keys()
    assert {"state", "priority", "mine"} <= query("/api/v1/queue").keys()


def resolved(document, schema):
    """A schema with its ``$ref`` into components/schemas followed."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_request_bodies_name_their_fields(client):
    document = client.get("/api/v1/openapi.json").get_json()
    create = document["paths"]["/api/v1/articles"]["post"]["requestBody"]
    schema = resolved(document, create["content"]["application/json"]["schema"])
    assert create["required"] is True
    assert {"title", "slug"} <= set(schema["required"])
    assert schema["properties"]["tags"]["type"] == "array"
    feedback = document["paths"]["/api/v1/articles/{slug}/feedback"]["post"]["requestBody"]
    feedback_schema = resolved(document, feedback["content"]["application/json"]["schema"])
    assert feedback_schema["properties"]["helpful"] == {"type": "boolean"}
    # an endpoint that reads no body does not pretend to
    assert "requestBody" not in document["paths"]["/api/v1/sessions/{token}/back"]["post"]
