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
