"""Each visitor's signed CSRF token, signed once per process instead of once per page.

Flask-WTF signs the session's raw token anew on every request that shows a form or the meta
tag (a serializer built and a signature made: a tenth of a kept article page's cost). While
tokens never expire (``WTF_CSRF_TIME_LIMIT = None``, kb's setting) any token signed for a
session's raw token stays valid for that session, so the one signed first is reused: it is put
where Flask-WTF keeps the request's token (``g.<WTF_CSRF_FIELD_NAME>``, as its documentation
describes) before the view runs. A new session, a new raw token or another secret key gets a
new signature; with a time limit set nothing is reused.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session

from kb.lru import LRU

_EXTENSION = "kb_csrf_tokens"
KEPT = 20_000  # visitors whose signed token a process keeps (about 2 MB)


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _reusable() -> bool:
    return current_app.config.get("WTF_CSRF_TIME_LIMIT") is None


def init_app(app: Flask) -> None:
    tokens: LRU[str, str] = LRU(KEPT)  # raw token -> the signed token
    app.extensions[_EXTENSION] = tokens

    @app.before_request
    def _reuse_signed_token() -> None:
        if request.endpoint == "static" or not _reusable():
            return
        raw = session.get(_field())
        if isinstance(raw, str):
            signed = tokens.get(raw)
            if signed is not None:
                setattr(g, _field(), signed)
                g.kb_csrf_reused = True

    @app.after_request
    def _keep_signed_token(response: Response) -> Response:
        field = _field()
        signed, raw = g.get(field), session.get(field)
        if signed and isinstance(raw, str) and not g.get("kb_csrf_reused") and _reusable():
            tokens.put(raw, signed)
        return response
