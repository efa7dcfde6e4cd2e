"""Sign in and out; who the current person is (session cookie or API token)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user

from kb.auth.forms import LoginForm
from kb.auth.users import authenticate, user_for_token
from kb.db import get_db
from kb.errors import Unauthorized, wants_json
from kb.extensions import csrf, login_manager
from kb.models import User
from kb.redirects import local_target

bp = Blueprint("auth", __name__)


class Anonymous(AnonymousUserMixin):
    role = None
    id = None
    email = ""
    name = ""
    display_name = "Guest"


def init_login(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        try:
            return get_db().get(User, int(user_id))
        except ValueError:
            return None

    @login_manager.request_loader
    def _load_from_token(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        user = user_for_token(get_db(), header.removeprefix("Bearer ").strip())
        if user is not None:
            get_db().commit()
            g.kb_token_authenticated = True  # flask-login asks only when no cookie signed in
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            raise Unauthorized("Sign in or send an API token (Authorization: Bearer ...).")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _csrf_and_public_access():
        if request.endpoint is None:
            return None  # no view matched: the answer is a 404 or 405 and changes nothing
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "kb_authenticates_itself", False):
            return None  # a machine endpoint that checks its caller's signature itself
        check_csrf()
        if app.config["PUBLIC_ACCESS"] or current_user.is_authenticated:
            return None
        if request.endpoint in {"auth.login", "static", "articles.pygments_css_file"}:
            return None
        return login_manager.unauthorized()


def authenticated_by_token() -> bool:
    """Whether a valid API token, not a session or remember cookie, signed this request in."""
    return bool(current_user.is_authenticated and g.get("kb_token_authenticated"))


def check_csrf() -> None:
    """Browsers prove a write came from kb's own pages with the CSRF token. Only a request a
    valid API token authenticated (and no cookie) goes without: a browser cannot be made to
    send that header, and an ``Authorization`` header alone proves nothing."""
    if authenticated_by_token():
        return
    writes = current_app.config.get("WTF_CSRF_METHODS") or ("POST", "PUT", "PATCH", "DELETE")
    if (
        request.method in writes
        and request.headers.get("Authorization", "").startswith("Bearer")
        and not current_user.is_authenticated
    ):
        raise Unauthorized("The API token is not valid (wrong, revoked or expired).")
    csrf.protect()


def safe_next(target: str | None) -> str:
    """Only same-site paths, so sign-in can't bounce people to another site."""
    return local_target(target, url_for("articles.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_db()
        user = authenticate(session, form.email.data or "", form.password.data or "")
        if user is None:
            session.rollback()
            form.password.errors = ["E-mail or password is wrong."]
            return render_template("auth/login.html", form=form), 401
        session.commit()
        login_user(user, remember=bool(form.remember.data))
        flash(f"Signed in as {user.display_name}.", "success")
        return redirect(safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("articles.home"))


@bp.get("/api/v1/me")
def me():
    if not current_user.is_authenticated:
        return jsonify({"authenticated": False})
    return jsonify(
        {
            "authenticated": True,
            "email": current_user.email,
            "name": current_user.name,
            "role": current_user.role,
        }
    )
