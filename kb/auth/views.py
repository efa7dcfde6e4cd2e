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
from flask_login import AnonymousUserMixin, current_user, login_required, login_user, logout_user

from kb.api.docs import BOOLEAN, STRING, api_doc, obj
from kb.auth import users
from kb.auth.forms import LoginForm
from kb.auth.policy import require
from kb.auth.schemas import SignIn
from kb.auth.users import authenticate, user_by_session_token, user_for_token
from kb.db import get_db
from kb.errors import Invalid, Unauthorized, wants_json
from kb.extensions import csrf, login_manager
from kb.models import User
from kb.redirects import local_target
from kb.schemas import from_form

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
    def _load_user(session_token: str) -> User | None:
        # Sessions and remember cookies hold the user's session token, not the id: a token
        # rotated by logout, deactivation or a password change loads nobody.
        return user_by_session_token(get_db(), session_token)

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
        # An approver needs no account: the signed link on the approval page is their proof.
        if request.endpoint in {
            "auth.login",
            "static",
            "articles.pygments_css_file",
            "requests.approve",
            "requests.approve_api",
        }:
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
    if request.method != "POST":
        return render_template("auth/login.html", form=form)
    try:
        given = from_form(SignIn, {"remember": bool(form.remember.data)})
    except Invalid as error:
        for name, problem in error.fields.items():
            getattr(form, name, form.email).errors = [problem]
        return render_template("auth/login.html", form=form), 422
    session = get_db()
    user = authenticate(session, given.email, given.password)
    if user is None:
        session.rollback()
        form.password.errors = ["E-mail or password is wrong."]
        return render_template("auth/login.html", form=form), 401
    session.commit()
    login_user(user, remember=given.remember)
    flash(f"Signed in as {user.display_name}.", "success")
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and not request.headers.get("Authorization"):
        # Ends this session, the remember cookie and the account's other sessions: a copy of
        # a cookie taken before signing out is worth nothing afterwards.
        current_user.end_sessions()
        get_db().commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("articles.home"))


@bp.get("/api/v1/me")
@api_doc(
    response=obj(
        {"authenticated": BOOLEAN, "email": STRING, "name": STRING, "role": STRING},
        required=["authenticated"],
    )
)
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


# --- accounts (admins) ----------------------------------------------------------------------


@bp.get("/admin/users")
@login_required
def users_page():
    require(current_user, "user.manage")
    session = get_db()
    people = users.list_users(session)
    tokens = users.tokens_by_user(session, people)
    return render_template("auth/users.html", people=people, tokens=tokens)


@bp.post("/admin/users/<int:user_id>/deactivate")
@login_required
def deactivate_user(user_id: int):
    require(current_user, "user.manage")
    session = get_db()
    person = users.set_active(users.get_user(session, user_id), False, by=current_user)
    session.commit()
    flash(f"{person.email} is deactivated; every session of it has ended.", "success")
    return redirect(url_for("auth.users_page"))


@bp.post("/admin/users/<int:user_id>/activate")
@login_required
def activate_user(user_id: int):
    require(current_user, "user.manage")
    session = get_db()
    person = users.set_active(users.get_user(session, user_id), True)
    session.commit()
    flash(f"{person.email} can sign in again.", "success")
    return redirect(url_for("auth.users_page"))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    require(current_user, "user.manage")
    session = get_db()
    row = users.revoke_token(session, token_id)
    session.commit()
    flash(f"API token “{row.name}” of {row.user.email} is revoked.", "success")
    return redirect(url_for("auth.users_page"))
