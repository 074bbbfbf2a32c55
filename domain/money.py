"""Money: ISO 4217 currencies and their minor units, exchange rates and converting an amount, no I/O.

Exponents come from the `iso4217` package (ISO 4217's own table as data, no I/O): JPY 0, USD 2, KWD 3, HUF 2,
IQD 3. (Babel's `get_currency_precision` was tried first: it gives CLDR's display digits, which differ from ISO 4217
for HUF, IQD, COP, IDR and others.) Amounts are integers in
minor units; a conversion works in Decimal and rounds once, half up, to the target currency's minor units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from iso4217 import Currency

UNKNOWN_EXPONENT = 2  # an amount whose currency is not stated is read with two decimals, as before
MAX_RATE_DIGITS = 18


class InvalidMoney(ValueError):
    """A currency code, rate or amount that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class ExchangeRate:
    """One operator-maintained rate: 1 `base` = `rate` `quote`, valid from `date` until a newer one."""

    base: str
    quote: str
    rate: Decimal
    date: date
    id: str | None = None


@dataclass(frozen=True)
class Converted:
    """An amount in the campaign's currency; `detail` says how it was obtained (None: no conversion needed)."""

    amount: int
    detail: str | None = None


@dataclass(frozen=True)
class Unconvertible:
    """No rate is known for the pair: the amount cannot be compared in the campaign's currency."""

    source: str
    target: str
    on: date

    @property
    def message(self) -> str:
        return (
            f"No exchange rate from {self.source} to {self.target} dated on or before {self.on.isoformat()}: "
            f"the order amount in {self.source} cannot be compared with the campaign's {self.target} amounts"
        )


Conversion = Converted | Unconvertible


def currency_code(value: object) -> str:
    """An ISO 4217 code of a currency with a minor unit (not gold or XXX), in upper case; or InvalidMoney."""
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or _iso_exponent(code) is None:
        raise InvalidMoney(f"{str(value)[:20]!r} is not an ISO 4217 currency code")
    return code


def exponent(currency: str | None) -> int:
    """The number of decimals of a currency's minor unit (JPY 0, USD 2, KWD 3); two for an unknown one."""
    found = _iso_exponent((currency or "").strip().upper())
    return UNKNOWN_EXPONENT if found is None else found


def iso_currencies() -> list[str]:
    """Every ISO 4217 currency with a minor unit, by code."""
    return sorted(code for code in Currency.__members__ if _iso_exponent(code) is not None)


def _iso_exponent(code: str) -> int | None:
    currency = Currency.__members__.get(code)
    return None if currency is None else currency.exponent


def to_minor_units(amount: Decimal, currency: str | None) -> int:
    """A decimal amount in major units ("129.00") as an integer of minor units (12900), rounded half up."""
    return int((amount.scaleb(exponent(currency))).to_integral_value(rounding=ROUND_HALF_UP))


def to_major_units(amount: int, currency: str | None) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def parse_rate(value: object) -> Decimal:
    """A positive, finite exchange rate given as a decimal string (never a float), or InvalidMoney."""
    if isinstance(value, (float, bool)) or not isinstance(value, (str, int, Decimal)):
        raise InvalidMoney(f'the rate must be a decimal string such as "0.1282", got {value!r}')
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidMoney(f"the rate must be a decimal number, got {str(value)[:40]!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise InvalidMoney(f"the rate must be a positive number, got {str(value)[:40]!r}")
    if len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS or abs(rate.adjusted()) > 9:
        raise InvalidMoney(
            f"the rate must have at most {MAX_RATE_DIGITS} significant digits and lie between 1e-9 and 1e9"
        )
    return rate


def pick_rate(rates: Iterable[ExchangeRate], source: str, target: str, on: date) -> ExchangeRate | None:
    """The rate to convert `source` into `target` on day `on`: the newest dated on or before it, the pair as
    asked (source → target) or its inverse (target → source, used as 1 / rate); on the same date the pair as
    asked wins. None when there is none."""
    usable = [rate for rate in rates if rate.date <= on and {rate.base, rate.quote} == {source, target}]
    return max(usable, key=lambda rate: (rate.date, rate.base == source), default=None)


def convert(amount: int, source: str | None, target: str, rate: ExchangeRate | None, on: date) -> Conversion:
    """`amount` (minor units of `source`) in minor units of `target`; the same amount when the currencies agree or
    the order does not state one (it is then taken to be in the campaign's currency)."""
    if source is None or source == target:
        return Converted(amount)
    if rate is None:
        return Unconvertible(source, target, on)
    with localcontext() as context:
        context.prec = 40  # exact for any amount and rate we accept; the one rounding is to minor units
        factor = rate.rate if rate.base == source else 1 / rate.rate
        converted = to_minor_units(to_major_units(amount, source) * factor, target)
    return Converted(converted, describe(amount, source, converted, target, rate))


def describe(amount: int, source: str, converted: int, target: str, rate: ExchangeRate) -> str:
    """The log line of a conversion: the amounts, the rate, its pair and its date."""
    used = (
        f"{rate.base}/{rate.quote} {rate.rate}"
        if rate.base == source
        else f"1 / {rate.base}/{rate.quote} {rate.rate} (the inverse pair)"
    )
    return (
        f"{source} {to_major_units(amount, source)} = {target} {to_major_units(converted, target)} "
        f"({converted} minor units) at {used}, rate dated {rate.date.isoformat()}"
    )


def totals_in(amounts: dict[str, int] | None, currency: str) -> tuple[int, dict[str, int]]:
    """A customer's order totals (currency → minor units, "" for orders that stated none) read in `currency`: the
    amount in it (orders without a currency count as in it) and the totals per currency, never added together."""
    merged: dict[str, int] = {}
    for code, amount in (amounts or {}).items():
        merged[code or currency] = merged.get(code or currency, 0) + int(amount)
    return merged.get(currency, 0), merged
