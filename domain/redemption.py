"""Validating one redemption of a referral code: a decision, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.emails import normalize_email
from domain.model import CampaignState, CodeState, FailureCode, Redeemer, RuleSet
from domain.money import Conversion, Converted, Unconvertible
from domain.rules import RuleLog, evaluate_rules

CONVERSION_RULE = "currency conversion"  # the name of the log line that says which exchange rate was used


@dataclass(frozen=True)
class Redeemed:
    """The code may be redeemed; `logs` are the rules that were evaluated."""

    logs: tuple[RuleLog, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """The redemption fails with a Voucherify-compatible failure code and a human message."""

    failure_code: FailureCode
    message: str
    logs: tuple[RuleLog, ...] = ()


Decision = Redeemed | Rejected


def decide_redemption(
    campaign: CampaignState | None,
    code: CodeState | None,
    redeemer: Redeemer,
    rules: RuleSet,
    *,
    amount: int | None,
    now: datetime,
    conversion: Conversion | None = None,
) -> Decision:
    """Check code, campaign, customer and rules in Voucherify's order; the first failure wins. `amount` is in the
    campaign's currency; `conversion` says how it was obtained from the order's (or that it could not be)."""
    if code is None or campaign is None:
        return Rejected(FailureCode.RESOURCE_NOT_FOUND, "Code not found")
    rejection = (
        _code_problem(code, now)
        or _campaign_problem(campaign, now)
        or _code_timing_problem(code, now)
        or _amount_problem(amount, conversion)
        or _redeemer_problem(code, redeemer)
    )
    if rejection:
        return rejection
    return _rules_decision(rules, _conversion_logs(conversion))


def _code_problem(code: CodeState, now: datetime) -> Rejected | None:
    if code.deleted:
        return Rejected(FailureCode.VOUCHER_DISABLED, "Code has been deleted")
    if not code.active:
        return Rejected(FailureCode.VOUCHER_NOT_ACTIVE, "Code is not active")
    if code.holder_id is None:
        return Rejected(FailureCode.VOUCHER_NOT_ACTIVE, "Code has not been published to a referrer")
    if code.redemption_limit is not None and code.redeemed_count >= code.redemption_limit:
        return Rejected(
            FailureCode.QUANTITY_EXCEEDED, f"Code has reached its limit of {code.redemption_limit} redemptions"
        )
    return None


def _campaign_problem(campaign: CampaignState, now: datetime) -> Rejected | None:
    if campaign.deleted or not campaign.active:
        return Rejected(FailureCode.CAMPAIGN_NOT_ACTIVE, "Campaign is not active")
    if campaign.start_date and now < campaign.start_date:
        return Rejected(FailureCode.CAMPAIGN_NOT_ACTIVE, "Campaign has not started yet")
    if campaign.expiration_date and now >= campaign.expiration_date:
        return Rejected(FailureCode.CAMPAIGN_NOT_ACTIVE, "Campaign has expired")
    if campaign.days_of_week is not None and now.weekday() not in campaign.days_of_week:
        return Rejected(FailureCode.CAMPAIGN_NOT_ACTIVE, "Campaign is not active on this day of the week")
    return None


def _code_timing_problem(code: CodeState, now: datetime) -> Rejected | None:
    if code.start_date and now < code.start_date:
        return Rejected(FailureCode.VOUCHER_NOT_ACTIVE, "Code is not active yet")
    if code.expiration_date and now >= code.expiration_date:
        return Rejected(FailureCode.VOUCHER_EXPIRED, "Code has expired")
    return None


def _amount_problem(amount: int | None, conversion: Conversion | None) -> Rejected | None:
    if isinstance(conversion, Unconvertible):
        return Rejected(
            FailureCode.INVALID_AMOUNT, conversion.message, (RuleLog(CONVERSION_RULE, False, conversion.message),)
        )
    if amount is not None and amount < 0:
        return Rejected(FailureCode.INVALID_AMOUNT, "Order amount must not be negative")
    return None


def _redeemer_problem(code: CodeState, redeemer: Redeemer) -> Rejected | None:
    if redeemer.customer_id is None:
        return Rejected(FailureCode.MISSING_CUSTOMER, "The redemption names no customer")
    if is_self_referral(code, redeemer):
        return Rejected(FailureCode.REFERRER_NOT_PERMITTED, "Referrers cannot redeem their own code")
    if redeemer.already_referred:
        return Rejected(FailureCode.CUSTOMER_ALREADY_REFERRED, "Customer has already been referred in this campaign")
    return None


def is_self_referral(code: CodeState, redeemer: Redeemer) -> bool:
    """The code's holder redeeming it, by customer or by an alias of the holder's email."""
    if code.holder_id == redeemer.customer_id:
        return True
    holder_email, redeemer_email = normalize_email(code.holder_email), normalize_email(redeemer.email)
    return holder_email is not None and holder_email == redeemer_email


def _conversion_logs(conversion: Conversion | None) -> tuple[RuleLog, ...]:
    """The log line of the rate used, when the order was in another currency than the campaign."""
    if isinstance(conversion, Converted) and conversion.detail:
        return (RuleLog(CONVERSION_RULE, True, conversion.detail),)
    return ()


def _rules_decision(rules: RuleSet, conversion_logs: tuple[RuleLog, ...]) -> Decision:
    if not rules.rules:
        return Redeemed(conversion_logs)
    outcome = evaluate_rules(rules.rules, rules.facts, logic=rules.logic)
    logs = conversion_logs + outcome.logs
    if outcome.passed:
        return Redeemed(logs)
    assert outcome.failure_code is not None, "a failed outcome names its failure code"
    return Rejected(FailureCode(outcome.failure_code), outcome.failure_message or "Validation rules not met", logs)
