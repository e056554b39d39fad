"""How each currency rounds and counts its minor units, in one place: prices, payments and reports agree."""
from decimal import ROUND_HALF_UP, Decimal

# Currencies without minor units, as Stripe lists them (HUF, ISK and TWD keep two decimals in its API).
ZERO_DECIMAL_CURRENCIES = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                           "XAF", "XOF", "XPF"}


def decimals(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-decimals(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """The whole number of minor units a provider counts (cents; yen themselves)."""
    return int(round_money(amount, currency).scaleb(decimals(currency)))


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount) / 10 ** decimals(currency)
