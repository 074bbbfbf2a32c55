"""GET/POST /login and POST /logout: an operator's email and password in, a fresh signed session out."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.pages import Dashboard, flash, local_path, redirect, render, router, run_command
from api.dashboard.sessions import Session
from app import operators

WRONG = "Wrong email or password."


def login_router() -> APIRouter:
    public = router(signed_in=False)

    @public.get("/login")
    def login_page(request: Request, next: str | None = None) -> Response:
        return render(request, "login.html", title="Sign in", next=local_path(next), email="")

    @public.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        target = local_path(str(form.get("next", "")) or None)
        dashboard: Dashboard = request.app.state.dashboard
        address = dashboard.sessions.client_address(request)
        wait = dashboard.throttle.retry_after(email, address)
        if wait:
            return _refused(request, email, target, wait)
        operator = await anyio.to_thread.run_sync(
            run_command, request, operators.verify_login, email, password, limiter=dashboard.password_checks
        )
        if operator is None:
            await anyio.sleep(dashboard.throttle.failed(email, address))
            flash(request, WRONG, "error")
            return render(request, "login.html", status=400, title="Sign in", next=target, email=email)
        dashboard.throttle.succeeded(email)
        request.state.session = request.state.session.sign_in(operator.id)
        return redirect(target)

    return public


def logout_router() -> APIRouter:
    signed_in = router()

    @signed_in.post("/logout")
    def logout(request: Request) -> Response:
        request.state.session = Session()
        flash(request, "You are signed out.")
        return redirect("/login")

    return signed_in


def _refused(request: Request, email: str, target: str, wait: int) -> Response:
    minutes = max(1, round(wait / 60))
    flash(request, f"Too many failed sign-ins. Try again in about {minutes} minute(s).", "error")
    response = render(request, "login.html", status=429, title="Sign in", next=target, email=email)
    response.headers["Retry-After"] = str(wait)
    return response
