"""Dashboard sessions: a signed (itsdangerous, HMAC-SHA1 over the payload and a timestamp), expiring cookie that
holds a random session id, the CSRF token, the signed-in operator and the flash messages. Nothing is stored on
the server: disabling an operator ends its sessions because every page loads the operator and checks it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "referrals_session"


@dataclass
class Session:
    """One browser's session; `modified` says whether its cookie must be written again."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    operator_id: str | None = None
    signed_in_at: float | None = None
    flashes: list[list[str]] = field(default_factory=list)
    modified: bool = True

    def sign_in(self, operator_id: str) -> Session:
        """A fresh session (new id and CSRF token: nothing chosen before the login survives it)."""
        return Session(operator_id=operator_id, signed_in_at=time.time())

    def flash(self, text: str, kind: str = "success") -> None:
        self.flashes.append([kind, text])
        self.modified = True

    def pop_flashes(self) -> list[list[str]]:
        flashes, self.flashes = self.flashes, []
        self.modified = self.modified or bool(flashes)
        return flashes

    def payload(self) -> dict[str, Any]:
        return {"sid": self.sid, "csrf": self.csrf, "op": self.operator_id, "at": self.signed_in_at, "f": self.flashes}


class Sessions:
    """Reads and writes the session cookie; `max_age` bounds both a cookie's age and a login's."""

    def __init__(self, secret: str, *, max_age: int, trusted_proxies: frozenset[str]) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="referrals.dashboard.session")
        self.max_age, self.trusted_proxies = max_age, trusted_proxies

    def load(self, request: Request) -> Session:
        """The request's session, or a new one when the cookie is missing, forged, expired or its login too old."""
        try:
            data = self.serializer.loads(request.cookies.get(COOKIE, ""), max_age=self.max_age)
            session = Session(data["sid"], data["csrf"], data["op"], data["at"], data["f"], modified=False)
        except (BadSignature, KeyError, TypeError, ValueError):
            return Session()
        if session.signed_in_at is not None and time.time() - session.signed_in_at > self.max_age:
            return Session()
        return session

    def save(self, session: Session, request: Request, response: Response) -> None:
        if session.modified:
            response.set_cookie(
                COOKIE,
                self.serializer.dumps(session.payload()),
                max_age=self.max_age,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.is_https(request),
            )

    def is_https(self, request: Request) -> bool:
        """HTTPS to the browser: this connection, or X-Forwarded-Proto set by a trusted proxy."""
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return request.url.scheme == "https" or (self._from_trusted_proxy(request) and forwarded == "https")

    def client_address(self, request: Request) -> str:
        """The browser's address: the connection's, or the last X-Forwarded-For hop a trusted proxy added."""
        address = request.client.host if request.client else ""
        if self._from_trusted_proxy(request):
            hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
            untrusted = [hop for hop in hops if hop not in self.trusted_proxies]
            address = untrusted[-1] if untrusted else address
        return address

    def _from_trusted_proxy(self, request: Request) -> bool:
        return request.client is not None and request.client.host in self.trusted_proxies
