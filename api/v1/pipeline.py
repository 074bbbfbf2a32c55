"""What the pipeline produced: redemptions, rewards and customers; and side-effect-free validations."""

from __future__ import annotations

from typing import Literal

from api.v1 import responses as shapes
from api.v1.common import PageDep, RuntimeDep, page, read, returns, router, write
from api.v1.schemas import ValidationIn
from app import operations
from app.validations import Check, validate
from db.models import Customer, Redemption
from db.queries import lists, serializers
from db.queries.lookups import get

RedemptionStatus = Literal["succeeded", "failed", "rolled_back"]


def pipeline_router():
    api = router("", "pipeline")
    _redemptions(api)
    _rewards(api)
    _customers(api)

    @api.post(
        "/distributions/{distribution_id}/resend",
        tags=["notifications"],
        responses=returns(shapes.Distribution),
        summary="Send a failed notification again",
    )
    def resend_distribution(distribution_id: str, runtime: RuntimeDep) -> dict:
        return serializers.distribution(write(runtime, operations.resend_distribution, distribution_id))

    @api.post(
        "/validations",
        tags=["validations"],
        responses=returns(shapes.Validation),
        summary="Would this code redeem for this customer and order? (no writes)",
    )
    def validations(body: ValidationIn, runtime: RuntimeDep) -> dict:
        check = Check(
            body.code,
            body.customer.model_dump() if body.customer else None,
            body.order.model_dump() if body.order else None,
        )
        return read(runtime, validate, check)

    return api


def _redemptions(api) -> None:
    @api.get(
        "/redemptions",
        summary="Redemptions across campaigns, newest first",
        responses=returns(shapes.Page[shapes.Redemption]),
    )
    def list_redemptions(
        runtime: RuntimeDep,
        params: PageDep,
        customer_id: str | None = None,
        code: str | None = None,
        status: RedemptionStatus | None = None,
    ) -> dict:
        return page(
            runtime,
            lambda session: lists.redemptions(session, customer_id=customer_id, code=code, status=status),
            params,
        )

    @api.get(
        "/redemptions/{redemption_id}",
        summary="One redemption with the logs of every rule evaluated",
        responses=returns(shapes.RedemptionDetail),
    )
    def show_redemption(redemption_id: str, runtime: RuntimeDep) -> dict:
        return serializers.redemption_detail(read(runtime, get, Redemption, redemption_id, "redemption"))

    @api.post(
        "/redemptions/{redemption_id}/rollback",
        summary="Roll back a succeeded redemption and its referral",
        responses=returns(shapes.RedemptionDetail),
    )
    def rollback_redemption(redemption_id: str, runtime: RuntimeDep) -> dict:
        return serializers.redemption_detail(write(runtime, operations.rollback_redemption, redemption_id))


def _rewards(api) -> None:
    @api.get("/rewards/{reward_id}", summary="One reward redemption", responses=returns(shapes.Reward))
    def show_reward(reward_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, lists.reward, reward_id)

    @api.post(
        "/rewards/{reward_id}/complete",
        summary="Complete a pending reward (material, or held)",
        responses=returns(shapes.Reward),
    )
    def complete_reward(reward_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, lists.reward, write(runtime, operations.complete_reward, reward_id).id)

    @api.post(
        "/rewards/{reward_id}/rollback",
        summary="Roll back a reward (completed balances are reversed)",
        responses=returns(shapes.Reward),
    )
    def rollback_reward(reward_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, lists.reward, write(runtime, operations.rollback_reward, reward_id).id)


def _customers(api) -> None:
    @api.get(
        "/customers",
        summary="Customers with their credits and points balances",
        responses=returns(shapes.Page[shapes.Customer]),
    )
    def list_customers(
        runtime: RuntimeDep, params: PageDep, source_id: str | None = None, email: str | None = None
    ) -> dict:
        return page(
            runtime,
            lists.customers(currency=runtime.settings.default_currency, source_id=source_id, email=email),
            params,
        )

    @api.get("/customers/{customer_id}", summary="One customer", responses=returns(shapes.Customer))
    def show_customer(customer_id: str, runtime: RuntimeDep) -> dict:
        return read(runtime, lists.customer, customer_id, runtime.settings.default_currency)

    @api.get(
        "/customers/{customer_id}/activity",
        summary="The customer's activity across campaigns",
        responses=returns(shapes.Page[shapes.Activity]),
    )
    def customer_activity(
        customer_id: str,
        runtime: RuntimeDep,
        params: PageDep,
        campaign_id: str | None = None,
        type: str | None = None,
        category: str | None = None,
    ) -> dict:
        read(runtime, get, Customer, customer_id, "customer")
        return page(
            runtime,
            lists.activity(customer_id=customer_id, campaign_id=campaign_id, activity_type=type, category=category),
            params,
        )
