import pytest

from domain.notify import (
    CHANNELS,
    DEFAULT_CHANNELS,
    MARKETING_TRIGGERS,
    TRIGGERS,
    channels_for,
    opted_out,
    skip_reason,
    stale_reason,
)

SPEC_TRIGGERS = {"code_published", "customer_referred", "customer_rewarded", "reward_completed", "referee_welcome"}


def test_the_triggers_are_the_five_the_spec_names():
    assert set(TRIGGERS) == SPEC_TRIGGERS == set(DEFAULT_CHANNELS)


def test_without_settings_a_campaign_emails_published_codes_and_rewards_only():
    assert {trigger: channels_for(None, trigger) for trigger in TRIGGERS} == {
        "code_published": ("email",),
        "referee_welcome": (),
        "customer_referred": (),
        "customer_rewarded": ("email",),
        "reward_completed": (),
    }


def test_empty_settings_fall_back_to_the_defaults():
    assert channels_for({}, "code_published") == ("email",)


def test_a_campaigns_own_choice_replaces_the_default_for_that_trigger_only():
    settings = {"reward_completed": ["email", "webhook"], "code_published": []}

    assert channels_for(settings, "reward_completed") == ("email", "webhook")
    assert channels_for(settings, "code_published") == ()
    assert channels_for(settings, "customer_rewarded") == ("email",)


def test_unknown_channels_in_a_campaigns_settings_are_dropped():
    assert channels_for({"customer_referred": ["sms", "webhook", "push"]}, "customer_referred") == ("webhook",)


def test_an_unknown_trigger_is_sent_nowhere():
    assert channels_for(None, "customer_birthday") == ()


def test_a_notification_with_a_recipient_is_sent():
    assert skip_reason("customer_rewarded", "email", "ann@example.com", {}) is None


def test_an_email_to_a_customer_without_an_address_is_skipped_and_says_why():
    assert skip_reason("customer_rewarded", "email", None, None) == "customer has no email address"


def test_a_webhook_of_a_campaign_without_a_url_is_skipped_and_says_why():
    assert skip_reason("customer_rewarded", "webhook", None, None) == "campaign has no webhook URL"


@pytest.mark.parametrize("trigger", sorted(MARKETING_TRIGGERS))
def test_a_customer_who_opted_out_gets_no_marketing_messages(trigger):
    assert (
        skip_reason(trigger, "email", "ann@example.com", {"unsubscribed": True})
        == "customer opted out of marketing messages"
    )


@pytest.mark.parametrize("trigger", sorted(set(TRIGGERS) - MARKETING_TRIGGERS))
def test_a_customer_who_opted_out_still_hears_about_their_rewards(trigger):
    assert skip_reason(trigger, "email", "ann@example.com", {"unsubscribed": True, "marketing_opt_out": "yes"}) is None


def test_the_marketing_triggers_are_the_invitation_welcome_and_referral_messages():
    assert {"code_published", "referee_welcome", "customer_referred"} == MARKETING_TRIGGERS


def test_a_missing_recipient_is_reported_before_an_opt_out():
    assert skip_reason("code_published", "email", None, {"unsubscribed": True}) == "customer has no email address"


@pytest.mark.parametrize("value", [True, "true", "True", "TRUE", "1", 1, "yes", "Yes"])
def test_either_opt_out_key_with_a_truthy_value_opts_out(value):
    assert opted_out({"unsubscribed": value})
    assert opted_out({"marketing_opt_out": value})


@pytest.mark.parametrize("value", [False, "false", "0", 0, "no", "", None, "maybe"])
def test_a_falsy_or_unknown_opt_out_value_does_not_opt_out(value):
    assert not opted_out({"unsubscribed": value, "marketing_opt_out": value})


def test_a_customer_without_metadata_has_not_opted_out():
    assert not opted_out({})
    assert skip_reason("code_published", "email", "ann@example.com", None) is None


def test_the_channels_are_email_and_webhook():
    assert CHANNELS == ("email", "webhook")


@pytest.mark.parametrize(
    "trigger, reward_status, referral_status, stale",
    [
        ("customer_rewarded", "rolled_back", "active", "reward"),
        ("reward_completed", "rolled_back", None, "reward"),
        ("customer_referred", None, "rolled_back", "referral"),
        ("referee_welcome", None, "rolled_back", "referral"),
        ("customer_rewarded", "pending", "rolled_back", None),  # a reward's notification goes by the reward alone
        ("customer_rewarded", "completed", None, None),
        ("customer_referred", None, "active", None),
        ("code_published", "rolled_back", "rolled_back", None),
    ],
)
def test_a_notification_whose_reward_or_referral_was_rolled_back_is_stale(
    trigger, reward_status, referral_status, stale
):
    reason = stale_reason(trigger, reward_status, referral_status)
    assert (reason is None) == (stale is None)
    assert stale is None or f"the {stale} was rolled back" in reason
