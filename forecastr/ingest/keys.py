"""Series told apart by columns named like keys: a store and an item, a store and a family.

Retail and sensor files are long files whose series id is spread over columns named for what
they are (``date,store,item,sales``; Favorita's ``id,date,store_nbr,family,sales`` with ``id``
a row number), so no column is named like an id, or the one that is does not tell the series
apart. Such a file first reads with the id it seems to have; when the full read shows a
timestamp repeating within a series, or every series with a single point,
:func:`forecastr.data.load_csv` reads it again with the columns named like keys
(:func:`is_key_name`) as the id, and says so in a note. :func:`value_name` picks the value
column of a long file among the usual names (``sales``, ``demand`` ...) when no other rule
can.
"""

from __future__ import annotations

import re

from forecastr.errors import shown

# What a column telling series apart is named for, alone or with a suffix (store, store_id,
# StoreNbr, item_code ...): a place, a product or a party.
KEY_WORDS = frozenset(
    ("store", "shop", "outlet", "branch", "warehouse", "item", "sku", "product", "family",
     "category", "brand", "department", "dept", "station", "site", "location", "region",
     "country", "state", "city", "zone", "area", "meter", "sensor", "building", "household",
     "customer", "client", "account", "ticker", "symbol")
)  # fmt: skip
KEY_SUFFIXES = frozenset(("id", "nbr", "no", "num", "number", "code", "name", "key"))
# The usual names of a long file's value column, where none is named y or value.
VALUE_NAMES = frozenset(
    ("sales", "unitsales", "demand", "quantity", "qty", "units", "volume", "revenue", "load",
     "consumption", "count", "visitors", "orders")
)  # fmt: skip


def words(name: str) -> list[str]:
    """A column name's words, lower case: ``store_nbr`` and ``StoreNbr`` are store, nbr."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name.strip())
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def is_key_name(name: str) -> bool:
    """Whether a column is named like a key of the series: one of :data:`KEY_WORDS`, alone or
    followed by one of :data:`KEY_SUFFIXES` (``StateHoliday`` is not)."""
    w = words(name)
    return bool(w) and w[0] in KEY_WORDS and (len(w) == 1 or (len(w) == 2 and w[1] in KEY_SUFFIXES))


# A market's bars (Yahoo's and Stooq's Open,High,Low,Close,Volume): the close is the series.
PRICE_BARS = ("open", "high", "low", "close")


def value_name(names: list[str]) -> str | None:
    """The one of ``names`` named like the values (:data:`VALUE_NAMES`), or None for none or
    several; the close among a market's bars (:data:`PRICE_BARS`), not its volume."""
    joined = {"".join(words(n)): n for n in names}
    if all(p in joined for p in PRICE_BARS):
        return joined["close"]
    hits = [n for n in names if "".join(words(n)) in VALUE_NAMES]
    return hits[0] if len(hits) == 1 else None


def others_note(names: list[str], value: str, used: list[str]) -> tuple[str, ...]:
    """A note naming the columns of ``names`` a long file leaves out beside its ``value``
    (columns of numbers not among ``used``: its id, time and text columns), where any is;
    a long file forecasts one column, and which one was judged from the names."""
    others = [n for n in names if n not in (value, *used) and not n.startswith("Unnamed: ")]
    if not others:
        return ()
    listed = ", ".join(shown(n) for n in others)
    return (
        f"column {shown(value)} forecast, {listed} left out: a long file forecasts one "
        "column (pass --target to choose another)",
    )
