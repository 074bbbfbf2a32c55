"""Activity types (Voucherify's names) and the category each belongs to."""

from __future__ import annotations

ORDER_CREATED = "customer.order.created"
ORDER_PAID = "customer.order.paid"
ORDER_CANCELED = "customer.order.canceled"
ORDER_REFUNDED = "customer.order.refunded"
REDEMPTION_SUCCEEDED = "customer.redemption.succeeded"
REDEMPTION_FAILED = "customer.redemption.failed"
ROLLBACK_SUCCEEDED = "customer.redemption.rollback.succeeded"
ROLLBACK_FAILED = "customer.redemption.rollback.failed"
REFERRED = "customer.referred"
REWARDED = "customer.rewarded"
REWARD_CREATED = "customer.reward_redemptions.created"
REWARD_COMPLETED = "customer.reward_redemptions.completed"
REWARD_ROLLEDBACK = "customer.reward_redemptions.rolledback"
PUBLICATION_SUCCEEDED = "customer.publication.succeeded"
PUBLICATION_FAILED = "customer.publication.failed"
EMAIL_SENT = "customer.email.sent"
EMAIL_FAILED = "customer.email.failed"
WEBHOOK_SENT = "customer.webhook.sent"
WEBHOOK_FAILED = "customer.webhook.failed"
CAMPAIGN_CREATED = "campaign.created"
CAMPAIGN_UPDATED = "campaign.updated"
CAMPAIGN_ENABLED = "campaign.enabled"
CAMPAIGN_DISABLED = "campaign.disabled"
CAMPAIGN_DELETED = "campaign.deleted"
CODES_ADDED = "campaign.vouchers.added"
CODES_IMPORTED = "campaign.vouchers.imported"
CODES_DELETED = "campaign.vouchers.deleted"
RULES_UPDATED = "campaign.validation_rules.updated"
TIERS_UPDATED = "campaign.referral_tier.updated"

_CATEGORY_BY_PREFIX = (
    ("customer.order.", "order"),
    ("customer.redemption.", "redemption"),
    ("customer.referred.", "referral"),
    ("customer.rewarded.", "reward"),
    ("customer.reward_redemptions.", "reward"),
    ("customer.publication.", "publication"),
    ("customer.email.", "notification"),
    ("customer.webhook.", "notification"),
    ("campaign.", "campaign"),
)

CATEGORIES = tuple(sorted({category for _, category in _CATEGORY_BY_PREFIX}))


def category_of(activity_type: str) -> str:
    """The category an operator filters by, e.g. `customer.redemption.failed` → `redemption`."""
    for prefix, category in _CATEGORY_BY_PREFIX:
        if f"{activity_type}.".startswith(prefix):
            return category
    return "other"
