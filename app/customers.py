"""Customer commands that come from the customers themselves (the unsubscribe link of an email)."""

from __future__ import annotations

from app.unit_of_work import UnitOfWork
from db.models import Customer


def opt_out(uow: UnitOfWork, customer_id: str) -> bool:
    """Stop every notification to this customer; False when there is no such customer."""
    customer = uow.session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        return False
    customer.meta = {**customer.meta, "unsubscribed": True}
    return True
