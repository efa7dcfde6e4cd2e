"""The API's own page: the OpenAPI document of /api/v1, built from the views' declarations."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from kb.api.docs import ANY_OBJECT, STRING, api_doc, obj
from kb.api.openapi import build

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
@api_doc(response=obj({"openapi": STRING, "paths": ANY_OBJECT}, required=["openapi", "paths"]))
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(build(current_app))
