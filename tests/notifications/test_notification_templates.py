"""Rendering: every trigger and locale, fallbacks, escaping, overrides and their errors."""

from __future__ import annotations

import pytest

from notifications.context import QR_CID, TRIGGERS
from notifications.render import TEMPLATES_DIR, Renderer, TemplateError, sample_context, validate_template

WORKER_KEYS = {
    "trigger",
    "campaign",
    "customer",
    "code",
    "share_url",
    "qr_png",
    "reward",
    "referee",
    "unsubscribe_url",
    "brand",
}


def context_for(trigger: str, **changes) -> dict:
    context = sample_context(trigger)
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = context
        for parent in parents:
            target = target[parent]
        target[key] = value
    return context


@pytest.mark.parametrize("locale", ["en", "de-DE"])
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_trigger_renders_a_subject_text_and_html_with_an_unsubscribe_link(trigger, locale):
    message = Renderer().render(trigger, sample_context(trigger), locale=locale)

    assert message.subject and "\n" not in message.subject
    unsubscribe = sample_context(trigger)["unsubscribe_url"]
    assert unsubscribe in message.text
    assert f'href="{unsubscribe}"' in message.html
    assert "None" not in message.text + message.html


def test_a_german_customer_gets_the_german_files_through_the_language_of_their_locale():
    message = Renderer().render("code_published", context_for("code_published", customer__locale="de-DE"))

    assert message.subject.startswith("Dein Empfehlungscode")
    assert "Hallo Ann Lee" in message.text
    assert '<html lang="de">' in message.html
    assert "E-Mails abbestellen" in message.html


def test_a_french_customer_falls_back_to_the_default_files():
    message = Renderer().render("customer_rewarded", context_for("customer_rewarded", customer__locale="fr-FR"))

    assert message.subject == "You earned 10.00 credits for your referral"
    assert '<html lang="en">' in message.html


def test_an_explicit_locale_wins_over_the_customers_locale():
    message = Renderer().render("reward_completed", sample_context("reward_completed"), locale="de")

    assert message.subject == "Deine Belohnung ist da: 10,00 Guthaben"


@pytest.mark.parametrize("locale", ["../../etc/passwd", "de/../../x", "", "x" * 40, "de DE"])
def test_a_malformed_locale_falls_back_to_the_default_files(locale):
    message = Renderer().render("code_published", sample_context("code_published"), locale=locale)

    assert message.subject.startswith("Your referral code")


def test_a_region_override_is_chosen_before_the_language_and_the_default():
    overrides = {"code_published/subject.de-AT.txt": "Servus {{ customer.name }}"}
    renderer = Renderer(overrides=overrides)

    assert (
        renderer.render("code_published", sample_context("code_published"), locale="de_at").subject == "Servus Ann Lee"
    )
    assert renderer.render("code_published", sample_context("code_published"), locale="de-DE").subject.startswith(
        "Dein"
    )


def test_an_override_replaces_only_the_part_it_names():
    renderer = Renderer(overrides={"referee_welcome/subject.txt": "Hello from {{ brand.name }}"})

    message = renderer.render("referee_welcome", sample_context("referee_welcome"), locale="en")

    assert message.subject == "Hello from Example Shop"
    assert "welcome to Example Shop" in message.text


def test_a_default_override_is_preferred_to_a_shipped_locale_variant():
    renderer = Renderer(overrides={"customer_referred/subject.txt": "Campaign-specific subject"})

    message = renderer.render("customer_referred", sample_context("customer_referred"), locale="de-DE")

    assert message.subject == "Campaign-specific subject"


def test_a_name_is_escaped_in_html_and_left_alone_in_text():
    context = context_for("code_published", customer__name="<script>alert(1)</script>")

    message = Renderer().render("code_published", context)

    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert "Hi <script>alert(1)</script>," in message.text


def test_customer_data_is_never_rendered_as_a_template():
    context = context_for("customer_referred", referee__name="{{ 7 * 7 }}{% raw %}", customer__name="{{ brand }}")

    message = Renderer().render("customer_referred", context)

    assert "{{ 7 * 7 }}{% raw %}" in message.subject
    assert "49" not in message.text
    assert "Hi {{ brand }}," in message.text


def test_the_subject_is_one_line_even_when_data_has_line_breaks():
    context = context_for("customer_referred", referee__name="Ben\r\nBcc: eve@evil.example\n\tOrtiz")

    message = Renderer().render("customer_referred", context, locale="en")

    assert message.subject == "Ben Bcc: eve@evil.example Ortiz used your referral code"


@pytest.mark.parametrize(
    ("reward", "expected"),
    [
        ({"type": "credits", "amount": 1000}, "10.00 credits"),
        ({"type": "credits", "amount": 123456}, "1,234.56 credits"),
        ({"type": "points", "amount": 500}, "500 points"),
        ({"type": "points", "amount": 1}, "1 point"),
        ({"type": "coupon", "amount": None}, "a coupon"),
        ({"type": "material", "amount": None}, "a gift"),
    ],
)
def test_rewards_read_as_amounts_in_major_units_or_counts(reward, expected):
    context = context_for("customer_rewarded", reward__type=reward["type"], reward__amount=reward["amount"])

    message = Renderer().render("customer_rewarded", context, locale="en")

    assert message.subject == f"You earned {expected} for your referral"
    assert expected in message.text and expected in message.html


def test_german_amounts_use_german_separators():
    context = context_for("customer_rewarded", reward__amount=123456)

    message = Renderer().render("customer_rewarded", context, locale="de")

    assert "1.234,56 Guthaben" in message.text


def test_a_held_reward_says_on_which_date_it_becomes_available():
    context = context_for(
        "customer_rewarded", campaign__reward_hold_days=14, reward__hold_until="2026-12-11T10:00:00+00:00"
    )

    english = Renderer().render("customer_rewarded", context, locale="en")
    german = Renderer().render("customer_rewarded", context, locale="de")

    assert "It will be available on 11 December 2026" in english.text
    assert "11 December 2026" in english.html
    assert "ab dem 11. Dezember 2026" in german.text


def test_a_reward_without_a_hold_mentions_no_date():
    context = context_for("customer_rewarded", campaign__reward_hold_days=0, reward__hold_until=None)

    message = Renderer().render("customer_rewarded", context, locale="en")

    assert "available on" not in message.text
    assert "added to your account shortly" in message.text


def test_missing_optional_values_print_as_nothing_rather_than_none():
    context = context_for("customer_referred", customer__name=None, referee=None, code=None, share_url=None)

    message = Renderer().render("customer_referred", context, locale="en")

    assert message.text.startswith("Hi,\n")
    assert message.subject == "A friend used your referral code"
    assert "None" not in message.text + message.html


def test_the_qr_image_is_referenced_by_cid_only_when_there_is_one():
    with_qr = Renderer().render("code_published", sample_context("code_published"))
    without_qr = Renderer().render("code_published", context_for("code_published", qr_png=None))

    assert f'src="cid:{QR_CID}"' in with_qr.html
    assert "cid:" not in without_qr.html


def test_a_broken_override_fails_with_the_template_name_and_line():
    source = "Hi {{ customer.name }},\n\n{% if code %}\nno endif here\n"
    renderer = Renderer(overrides={"code_published/body.txt": source})

    with pytest.raises(TemplateError) as raised:
        renderer.render("code_published", sample_context("code_published"))

    assert raised.value.name == "code_published/body.txt"
    assert raised.value.lineno == 4
    assert str(raised.value).startswith("code_published/body.txt line 4: ")


def test_an_override_that_fails_while_rendering_reports_its_line():
    source = "{% extends '_layout.html' %}\n{% block content %}\n<p>{{ customer.name }}</p>\n<p>{{ 1 // 0 }}</p>\n{% endblock %}"

    with pytest.raises(TemplateError, match=r"code_published/body\.html line 4: ZeroDivisionError"):
        validate_template("code_published/body.html", source)


def test_an_override_reading_an_unknown_variable_is_refused():
    source = "Hello\n{{ customer.name }}\n{{ coupon_code }}"

    with pytest.raises(TemplateError) as raised:
        validate_template("referee_welcome/body.txt", source)

    assert raised.value.lineno == 3
    assert "'coupon_code' is undefined" in str(raised.value)


def test_an_unknown_variable_in_a_branch_the_sample_skips_is_still_refused():
    source = "{% if false %}\n\n{{ secret_discount }}{% endif %}ok"

    with pytest.raises(TemplateError, match="line 3: 'secret_discount' is undefined"):
        validate_template("customer_referred/subject.txt", source)


def test_an_unknown_variable_is_also_refused_when_rendering_for_real():
    renderer = Renderer(overrides={"reward_completed/subject.txt": "Your {{ reward.colour }} reward"})

    with pytest.raises(TemplateError, match="reward_completed/subject.txt line 1"):
        renderer.render("reward_completed", sample_context("reward_completed"))


def test_an_override_may_use_loops_sets_and_the_layout_blocks():
    source = (
        "{% extends '_layout.html' %}{% block content %}{% set n = 2 %}"
        "{% for i in range(n) %}{{ loop.index }}{% endfor %}{{ super() }}{% endblock %}"
    )

    validate_template("customer_referred/body.html", source)


def test_the_sandbox_keeps_python_internals_out_of_reach():
    source = "{{ ''.__class__.__mro__[1].__subclasses__() }}"

    with pytest.raises(TemplateError):
        validate_template("code_published/subject.txt", source)


def test_templates_cannot_modify_the_context():
    source = "{{ customer.metadata.update({'segment': 'hacked'}) }}"

    with pytest.raises(TemplateError, match="line 1"):
        validate_template("code_published/body.txt", source)


@pytest.mark.parametrize(
    "name",
    [
        "code_published/subject.html",
        "unknown_trigger/body.txt",
        "code_published/footer.txt",
        "_layout.html",
        "code_published/body.de.md",
        "code_published/../../etc/body.txt",
    ],
)
def test_validation_refuses_names_that_are_not_trigger_templates(name):
    with pytest.raises(TemplateError, match="unknown template name"):
        validate_template(name, "Hello")


def test_every_shipped_template_passes_validation():
    names = [path.relative_to(TEMPLATES_DIR).as_posix() for path in TEMPLATES_DIR.glob("*/*.*")]

    for name in names:
        validate_template(name, (TEMPLATES_DIR / name).read_text("utf-8"))

    assert len(names) == len(TRIGGERS) * 6


def test_an_unknown_trigger_is_refused():
    with pytest.raises(TemplateError, match="unknown trigger"):
        Renderer().render("customer_waved", sample_context("code_published"))


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_sample_context_has_every_key_the_worker_passes(trigger):
    context = sample_context(trigger)

    assert set(context) == WORKER_KEYS
    assert context["trigger"] == trigger
    assert (context["qr_png"] is not None) == (trigger == "code_published")
    assert context["qr_png"] is None or context["qr_png"].startswith(b"\x89PNG")
