"""Accounts: create, authenticate, tokens. Services take a session and plain arguments."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from kb.db import in_batches
from kb.errors import Conflict, Invalid, NotFound
from kb.models import ApiToken, Role, User, utcnow

# NIST SP 800-63B: a minimum length, a maximum well above 64, no composition rules, and no
# password that is common, breached or made of the account's own words. zxcvbn ships its lists
# (common and leaked passwords, words, names, keyboard patterns) offline and scores 0-4.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_SCORE = 3
_ZXCVBN_CHARACTERS = 100  # zxcvbn's cost grows with length; the first 100 decide the score
# werkzeug's default (scrypt). Tests lower it so thousands of sign-ins stay fast.
PASSWORD_METHOD = "scrypt"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def context_words(*values: str) -> list[str]:
    """The words a guesser tries first for this account: its e-mail, the parts of it, the
    person's name, and the site's own name."""
    words = {"kb", "knowledge base", "help desk", "helpdesk"}
    for value in values:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.add(value)
        words.update(part for part in re.split(r"[@.\s_+-]+", value) if len(part) >= 3)
        local = value.partition("@")[0]
        words.add(re.sub(r"[^a-z0-9]", "", local))
    return sorted(word for word in words if word)


def validate_password(password: str, context: list[str] | tuple[str, ...] = ()) -> None:
    """Raise Invalid for a password that is too short, too long, or too easy to guess
    (common or breached, a pattern like "aaaa" or "qwerty", or built from ``context``)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.",
            fields={"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters.",
            fields={"password": f"at most {MAX_PASSWORD_LENGTH} characters"},
        )
    result = zxcvbn(password[:_ZXCVBN_CHARACTERS], user_inputs=list(context))
    if password.strip() == "" or result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        hint = feedback.get("warning") or "It is a common password or an easy pattern."
        advice = " ".join(feedback.get("suggestions") or [])
        raise Invalid(
            f"That password is too easy to guess. {hint} {advice}".strip()
            + " A few unrelated words make a strong password.",
            fields={"password": "too easy to guess"},
        )


def create_user(
    session: Session, email: str, password: str, role: str = "requester", name: str = ""
) -> User:
    """Add an account; raises Invalid for a bad e-mail, weak password, unknown role or duplicate."""
    email = normalise_email(email)
    if not EMAIL.match(email):
        raise Invalid(f"{email!r} is not an e-mail address.", fields={"email": "not an e-mail"})
    try:
        role = Role(role).value
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise Invalid(
            f"Unknown role {role!r}; choose one of {roles}.", fields={"role": roles}
        ) from None
    validate_password(password, context_words(email, name))
    if find_user(session, email) is not None:
        raise Invalid(f"A user {email} already exists.", fields={"email": "already exists"})
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Change the password; every session of the account ends (a stolen one with it)."""
    validate_password(password, context_words(user.email, user.name))
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.end_sessions()


def user_by_session_token(session: Session, token: str) -> User | None:
    """The active user a session or remember cookie belongs to, or None once it was ended
    (logout, deactivation, password change) or the account is inactive."""
    if not token:
        return None
    user = session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def require_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"No user {normalise_email(email)}.")
    return user


def set_active(user: User, active: bool, *, by: User | None = None) -> User:
    """Deactivate (every session, remember cookie and API token of the account stops working
    at once; it cannot sign in) or activate again. Nobody deactivates themselves."""
    if not active and by is not None and by.id == user.id:
        raise Conflict("You cannot deactivate your own account; ask another admin.")
    user.active = active
    if not active:
        user.end_sessions()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_role(session: Session, email: str, role: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"No user {email}.")
    try:
        user.role = Role(role).value
    except ValueError:
        raise Invalid(f"Unknown role {role!r}.", fields={"role": "unknown"}) from None
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> str:
    """Issue an API token; the caller shows it once, kb keeps only its hash."""
    token = "kb_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=_hash_token(token)))
    session.flush()
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return tokens_by_user(session, [user]).get(user.id, [])


def tokens_by_user(session: Session, people: list[User]) -> dict[int, list[ApiToken]]:
    """Each person's API tokens, oldest first, in one query for a whole list of people."""
    found: dict[int, list[ApiToken]] = {person.id: [] for person in people}
    for chunk in in_batches(list(found)):
        query = select(ApiToken).where(ApiToken.user_id.in_(chunk)).order_by(ApiToken.id)
        for token in session.scalars(query):
            found[token.user_id].append(token)
    return found


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke one API token by its number (``kb user token list``, the users page)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No API token {token_id}.")
    row.revoked = True
    return row


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every API token of ``user``; returns how many were still live."""
    live = [row for row in tokens_of(session, user) if not row.revoked]
    for row in live:
        row.revoked = True
    return len(live)


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user
