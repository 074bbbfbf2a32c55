"""Each campaign's tiers and validation rules, kept in memory between transactions.

Every referral order needs them and they rarely change. The cache is keyed by (campaign id, `config_version`):
triggers raise the version in the same transaction as any change to the campaign's tiers or rules (migration
0003), and the version is read with the campaign row the transaction loads anyway. A change is therefore seen by
the next transaction that reads the campaign after it committed, exactly as a query would see it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.models import Campaign, Tier, ValidationRule
from domain.rules import Rule, effective_rules, parse_rule
from domain.tiers import TierKind, TierSpec

CONFIG_CACHE = "campaign_config_cache"  # session.info key: the factory's shared cache (db.engine.build_session_factory)
CACHED_CAMPAIGNS = 256

_TIERS = (
    select(Tier)
    .where(Tier.campaign_id == bindparam("campaign_id"), Tier.deleted_at.is_(None))
    .order_by(Tier.threshold, Tier.id)
)
_RULES = (
    select(ValidationRule)
    .where(ValidationRule.campaign_id == bindparam("campaign_id"))
    .order_by(ValidationRule.position, ValidationRule.id)
)


@dataclass(frozen=True)
class CampaignConfig:
    """A campaign's live tiers, and its rules: campaign-wide ones and each code's own. Shared by every thread
    of the process: read it, never change it (a tier's `reward` dict included)."""

    tiers: tuple[TierSpec, ...]
    campaign_rules: tuple[Rule, ...]
    code_rules: dict[str, tuple[Rule, ...]]

    def rules_for(self, code_id: str) -> list[Rule]:
        """Campaign rules, overridden by the code's own rules of the same name."""
        return effective_rules(self.campaign_rules, self.code_rules.get(code_id, ()))


class ConfigCache:
    """The most recently used campaigns' configs, shared by the threads of one process."""

    def __init__(self, size: int = CACHED_CAMPAIGNS) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, int], CampaignConfig] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, campaign: Campaign) -> CampaignConfig:
        key = (campaign.id, campaign.config_version)
        with self._lock:
            config = self._entries.get(key)
            if config is not None:
                self._entries.move_to_end(key)
                return config
        config = load_config(session, campaign.id)
        with self._lock:
            self._entries[key] = config
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return config


def campaign_config(session: Session, campaign: Campaign) -> CampaignConfig:
    """The campaign's tiers and rules: from the session factory's cache when it has one, else read now."""
    cache = session.info.get(CONFIG_CACHE)
    return cache.get(session, campaign) if cache is not None else load_config(session, campaign.id)


def load_config(session: Session, campaign_id: str) -> CampaignConfig:
    tiers = tuple(
        TierSpec(row.id, TierKind(row.kind), row.threshold, row.reward)
        for row in session.scalars(_TIERS, {"campaign_id": campaign_id})
    )
    campaign_rules: list[Rule] = []
    code_rules: dict[str, list[Rule]] = {}
    for row in session.scalars(_RULES, {"campaign_id": campaign_id}):
        rule = parse_rule(row.name, row.conditions, row.error_message)
        (campaign_rules if row.code_id is None else code_rules.setdefault(row.code_id, [])).append(rule)
    return CampaignConfig(
        tiers, tuple(campaign_rules), {code_id: tuple(rules) for code_id, rules in code_rules.items()}
    )
