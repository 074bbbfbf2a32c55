"""Who may use the JSON API: tokens made by `referrals tokens create` (only their hashes are stored)."""

from __future__ import annotations

import hashlib
import secrets

from app.unit_of_work import UnitOfWork
from db.ids import new_id
from db.models import ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(uow: UnitOfWork, name: str) -> str:
    """Store a new token's hash and return the token itself (shown once)."""
    token = "rp_" + secrets.token_urlsafe(32)
    uow.session.add(ApiToken(id=new_id("tok"), name=name, token_hash=hash_token(token)))
    return token
