"""Dashboard operators: create, disable, and check a login (argon2id password hashes; passwords are never stored)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import Operator
from db.queries.errors import Conflict, Invalid, NotFound
from db.types import utcnow

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a megabyte of "password" is work an attacker could make us do
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified when the email is unknown, so a wrong email takes as long as a wrong password
_UNKNOWN = _hasher.hash(secrets.token_urlsafe(16))


def operator_email(text: str) -> str:
    """The stored form of an operator's email: trimmed, lower case; Invalid when it is not an address."""
    email = (text or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(char.isspace() for char in email) or len(email) > 255:
        raise Invalid(f"email: {text!r} is not an email address")
    return email


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    return password


def create(uow: UnitOfWork, email: str, password: str) -> Operator:
    """A new active operator; Conflict when the email is taken (disabled operators keep theirs)."""
    email = operator_email(email)
    if _by_email(uow, email) is not None:
        raise Conflict(f"an operator with email {email!r} already exists")
    operator = Operator(id=new_id("op"), email=email, password_hash=_hasher.hash(check_password(password)))
    uow.session.add(operator)
    return operator


def ensure(uow: UnitOfWork, email: str, password: str) -> Operator:
    """The operator with this email, created when missing (`referrals up`'s demo operator); never changes one."""
    return _by_email(uow, operator_email(email)) or create(uow, email, password)


def disable(uow: UnitOfWork, email: str) -> Operator:
    """The operator can no longer sign in, and the sessions it has end at their next request."""
    operator = _by_email(uow, operator_email(email), for_update=True)
    if operator is None:
        raise NotFound("operator", email)
    if operator.active:
        operator.active, operator.disabled_at = False, utcnow()
    return operator


def verify_login(uow: UnitOfWork, email: str, password: str) -> Operator | None:
    """The active operator these credentials belong to (its last login noted, its hash renewed when the
    parameters changed), or None; as slow for an unknown email as for a wrong password."""
    try:
        operator = _by_email(uow, operator_email(email), for_update=True)
    except Invalid:
        operator = None
    try:
        _hasher.verify(operator.password_hash if operator else _UNKNOWN, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if operator is None or not operator.active:
        return None
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    operator.last_login_at = utcnow()
    return operator


def _by_email(uow: UnitOfWork, email: str, *, for_update: bool = False) -> Operator | None:
    query = select(Operator).where(Operator.email == email)
    return uow.session.scalars(query.with_for_update() if for_update else query).one_or_none()
