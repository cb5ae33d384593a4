"""How a file wrote its timestamps, so that forecasts are written the same way.

Ingest reads every timestamp to a naive datetime64, and ISO dates would write two kinds back
in another form than the user's:

* **Periods written without a day** (``1949-01``, ``1971Q2``, ``Q2 1971``, ``2019M01``,
  ``Jan-15``, ``01.2020``): ISO would write the first day of each period (``1983-04-01`` for
  ``1983Q2``). :func:`period_template` finds the pattern the file's cells follow, and it is
  kept only when it writes every distinct cell of the file back to the letter.
* **Stamps with a UTC offset** (``2020-03-29T01:00:00+01:00``, ``...Z``): read as UTC
  instants, so that a day the clocks change keeps an hourly grid; ISO would write them in UTC
  with no offset, hours off the user's clock and with nothing to say so. :func:`zone_of`
  keeps the offset of the file's last stamp, and forecasts are written at it, offset shown.
  The offset may change after a daylight-saving date that the file does not reach: each
  stamp written is still the right instant, since it says its offset.

Text output (csv, json) is written in the file's spelling (:func:`spelled`); the Python API's
frame keeps datetime64 stamps and carries the spelling in ``frame.attrs["spelling"]`` (a
plain dict, so that the frame still writes to parquet, whose metadata holds attrs as JSON).
"""

from __future__ import annotations

import calendar
import datetime
import re
import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# The placeholders of a period template: a field of the period's start, rendered per stamp.
_ABBR = [m.lower() for m in calendar.month_abbr]  # ["", "jan", ...]
_NAMES = [m.lower() for m in calendar.month_name]
_TOKENS = re.compile(r"\d+|[A-Za-z]+|[^0-9A-Za-z]+")
_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
# An offset ends a stamp only after its time of day: "01-Jan-2020" ends in a year, not -20:20
_STAMP_ZONE = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s?(?:Z|[+-]\d\d:?\d\d)$")
# Year n of a count of years with no calendar year (``1-01``: datespell.counted_years) is held
# as the calendar year COUNTED_BASE + n, and written back as n (the template field ``C``).
COUNTED_BASE = 2000
SAMPLE = 5000  # distinct cells a template is checked on (each is written back and compared)
MAX_CYCLE = 1_000_000  # the largest frequency of R's ts() times read (datespell.ts_cycles)


@dataclass(frozen=True)
class Spelling:
    """How the time column was written: a period template (``"{Y}Q{q}"``), or the offset
    text of zone-aware stamps (``"+02:00"``, ``"Z"``); neither means ISO output."""

    template: str | None = None
    zone: str | None = None
    cycle: int | None = None  # steps of R's ts() times of this frequency, written step / cycle

    def to_dict(self) -> dict:
        out: dict = {"template": self.template, "zone": self.zone}
        return out if self.cycle is None else {**out, "cycle": self.cycle}


def text_template(text: pd.Series, parsed: pd.Series) -> str | None:
    """The template of a time column's distinct cells ``text`` read as naive ``parsed``: a
    period (:func:`period_template`), an ISO week (:func:`week_template`) or a year
    (:func:`year_template`) spelled otherwise than ISO; None to write ISO."""
    t = _stamps(text, parsed)
    if t is None:
        return None
    return (
        counted_template(text, t)
        or period_template(text, t)
        or week_template(text, t)
        or year_template(text, t)
        or day_template(text, t)
    )


def _stamps(text: pd.Series, parsed: pd.Series) -> pd.DatetimeIndex | None:
    """``parsed`` as naive stamps, one per cell of ``text``; None where no template can hold."""
    if len(text) == 0 or len(text) != len(parsed) or parsed.isna().any():
        return None
    t = pd.DatetimeIndex(parsed)
    return None if t.tz is not None else t


def _verified(tries: list[str], text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """The first of ``tries`` that writes every sampled cell of ``text`` back to the letter
    (:func:`_sample`), its two-digit year then written in full (a forecast's ``Jan-27`` could
    read as 1927: ``Jan-2027``); None if none does, or if the model file could not hold it
    (long, or with control characters)."""
    idx, cells = _sample(text)
    template = next((f for f in tries if render(f, t[idx]) == cells), None)
    template = None if template is None else template.replace("{y}", "{Y}")
    return template if template is not None and _valid_template(template) else None


def period_template(text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """The pattern of months or quarters written without a day (``text``: distinct cells,
    ``t``: their first days), when it writes every cell back exactly; else None."""
    if not ((t.day == 1) & (t == t.normalize())).all() or t.to_period("M").nunique() != len(t):
        return None  # a day of its own, or several cells naming one month
    # The first cells' patterns (May is both a month's abbreviation and its name)
    found = [_template_of(str(text.iloc[i]).strip(), t[i]) for i in range(min(len(text), 3))]
    return _verified([v for f in found if f is not None for v in _widths(f)], text, t)


def counted_template(text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """``"{C}-{m02}"`` when ``text`` (distinct cells) are months of counted years (``1-01``,
    read as the first days ``t`` of the years ``COUNTED_BASE + n``) that it writes back."""
    if not ((t.day == 1) & (t == t.normalize()) & (t.year > COUNTED_BASE)).all():
        return None
    return _verified(["{C}-{m02}"], text, t)


def _sample(text: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Up to :data:`SAMPLE` of the distinct cells, spread over them (their positions, and
    the cells stripped): what a template must write back to the letter."""
    idx = np.unique(np.linspace(0, len(text) - 1, min(len(text), SAMPLE)).astype(int))
    return idx, text.iloc[idx].astype(str).str.strip().tolist()


def _template_of(cell: str, stamp: pd.Timestamp) -> str | None:
    """The pattern of one cell read as ``stamp``: the year, quarter and month's fields
    replaced by placeholders, or None when the cell names no month or quarter."""
    year, month, quarter = stamp.year, stamp.month, (stamp.month - 1) // 3 + 1
    tokens = _TOKENS.findall(cell)
    has_year4 = any(tok == f"{year:04d}" for tok in tokens)
    out: list[str] = []
    period = False
    for i, tok in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        if tok.isdigit():
            if tok == f"{year:04d}":
                out.append("{Y}")
            elif before.lower() == "q" and tok == str(quarter):
                out.append("{q}")
                period = True
            elif int(tok) == month and len(tok) <= 2:
                # October to December read the same in {m} and {m02}: both are tried
                out.append("{m02}" if tok.startswith("0") else "{m}" if len(tok) == 1 else "{m?}")
                period = True
            elif not has_year4 and len(tok) == 2 and int(tok) == year % 100:
                out.append("{y}")  # checked against the file, then written in full
            else:
                out.append(tok)
        elif (name := _month_name_field(tok, month)) is not None:
            out.append(name)
            period = True
        else:
            out.append(_literal(tok))
    return "".join(out) if period else None


def _month_name_field(tok: str, month: int) -> str | None:
    """The placeholder of ``tok`` written as month ``month``'s name or abbreviation, in its
    case (``{b}`` Jan, ``{bU}`` JAN, ``{Bl}`` january ...), or None when it names no such."""
    if tok.lower() not in (_ABBR[month], _NAMES[month]):
        return None
    kind = "b" if tok.lower() == _ABBR[month] else "B"
    case = "U" if tok.isupper() and len(tok) > 1 else ("l" if tok.islower() else "")
    return "{" + kind + case + "}"


# Y1, y1: the year after (financial years); U, Ums: Unix time in seconds, milliseconds; C: the
# year of a count of years (COUNTED_BASE)
FIELDS = frozenset(
    ("Y", "y", "Y1", "y1", "C", "q", "m", "m02", "b", "bU", "bl", "B", "BU", "Bl", "d", "d02",
     "G", "V02", "U", "Ums")
)  # fmt: skip


def checked_spelling(w: Any, value: Any, field: str) -> Spelling | None:
    """A spelling stored in a model file (``{"template": ..., "zone": ...}`` or null), checked
    before use: a template holds only :data:`FIELDS`, a zone is an offset within 18 hours.
    ``w.refuse(field, value, expected)`` makes the error that names the field at fault."""
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {"template", "zone", "cycle"}:
        raise w.refuse(field, value, 'null or an object {"template": ..., "zone": ...}')
    template, zone, cycle = value.get("template"), value.get("zone"), value.get("cycle")
    if cycle is not None:
        if type(cycle) is not int or not 2 <= cycle <= MAX_CYCLE:  # bool is no frequency
            raise w.refuse(f"{field}.cycle", cycle, f"null or a whole number 2 to {MAX_CYCLE}")
        if template is not None or zone is not None:
            raise w.refuse(field, value, "a cycle alone, without a template or a zone")
        return Spelling(cycle=int(cycle))
    if template is not None and not _valid_template(template):
        raise w.refuse(f"{field}.template", template, "null or a period template like '{Y}Q{q}'")
    if zone is not None and not (
        isinstance(zone, str) and _ZONE.fullmatch(zone) and abs(_offset(zone)) <= MAX_OFFSET
    ):
        raise w.refuse(f"{field}.zone", zone, "null or a UTC offset like '+02:00' or 'Z'")
    if template is not None and zone is not None:
        raise w.refuse(field, value, "a template or a zone, not both")
    return None if template is None and zone is None else Spelling(template, zone)


MAX_OFFSET = pd.Timedelta(hours=18)


def _valid_template(template: Any) -> bool:
    """Text of at most 64 characters with a replacement field, every one of them one of
    :data:`FIELDS`, bare (no attribute, index, conversion or format)."""
    if not isinstance(template, str) or not 0 < len(template) <= 64 or not template.isprintable():
        return False  # written into every forecast's stamp: no control characters
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return False
    fields = [(name, spec, conv) for _, name, spec, conv in parts if name is not None]
    return bool(fields) and all(
        name in FIELDS and not spec and conv is None for name, spec, conv in fields
    )


def _widths(template: str) -> list[str]:
    """A pattern whose month could be written with or without a leading zero (``{m?}``: read
    in October to December), both ways."""
    if "{m?}" not in template:
        return [template]
    return [template.replace("{m?}", "{m02}"), template.replace("{m?}", "{m}")]


def week_template(text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """``"{G}-W{V02}"``, ``"{G}W{V02}"`` or ``"{G} W{V02}"`` (R's tsibble) when ``text``
    (distinct cells) are ISO weeks with no day (``2020-W05``, read as their Mondays ``t``)
    that the pattern writes back exactly."""
    if not ((t.day_of_week == 0) & (t == t.normalize())).all():
        return None
    return _verified(["{G}-W{V02}", "{G}W{V02}", "{G} W{V02}"], text, t)


def year_template(text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """The pattern of years written as text (``2019-20``, ``2019/2020``, ``FY20``, read as
    the first day ``t`` of the year they start in or name), when it writes every cell back;
    a two-digit year named alone is written in full (``FY2021``)."""
    jan1 = (t.month == 1) & (t.day == 1) & (t == t.normalize())
    if not jan1.all() or t.year.nunique() != len(t):
        return None
    found = [_year_template_of(str(text.iloc[i]).strip(), t[i].year) for i in range(min(len(t), 3))]
    return _verified([f for f in found if f], text, t)


def _year_template_of(cell: str, year: int) -> str | None:
    """One cell's pattern as the year ``year`` (and the one after it: ``2019-20``), or None
    when it holds neither."""
    tokens = _TOKENS.findall(cell)
    fields = {f"{year:04d}": "{Y}"}
    if f"{year:04d}" in tokens:
        fields |= {f"{year + 1:04d}": "{Y1}", f"{(year + 1) % 100:02d}": "{y1}"}
    else:
        fields[f"{year % 100:02d}"] = "{y}"  # FY20
    out = [fields.get(tok, _literal(tok)) if tok.isdigit() else _literal(tok) for tok in tokens]
    template = "".join(out)
    return template if template != "{Y}" and any(f in out for f in fields.values()) else None


def day_template(text: pd.Series, t: pd.DatetimeIndex) -> str | None:
    """The pattern of dates written otherwise than ISO (``14-08-2018``, ``08/14/2018``,
    ``14.08.18``, ``14 Aug 2018``: read as the days ``t``, no time of day), when it writes
    every cell back; a two-digit year is written in full. None for ISO dates (written so)."""
    if not (t == t.normalize()).all() or _ISO_DAY.match(str(text.iloc[0]).strip()):
        return None
    tries: list[str] = []
    for i in range(min(len(text), 3)):
        cell = str(text.iloc[i]).strip()
        for f in _day_templates_of(cell, t[i]):
            if f not in tries and render(f, t[i : i + 1]) == [cell]:
                tries.append(f)
    return _verified(tries, text, t)


_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d(?:$|[ T])")
MAX_DAY_TRIES = 64  # patterns a cell's fields could make (day, month, two-digit year alike)


def _day_templates_of(cell: str, stamp: pd.Timestamp) -> list[str]:
    """The patterns one cell could follow as the day ``stamp``: each number read as the
    year, the month, the day (each with or without a leading zero) or itself, and a month's
    name as its name."""
    options: list[list[str]] = []
    for tok in _TOKENS.findall(cell):
        if tok.isdigit():
            v = int(tok)
            opts = ["{Y}"] if tok == f"{stamp.year:04d}" else []
            for value, field in ((stamp.day, "d"), (stamp.month, "m")):
                if v == value and len(tok) == 2:
                    opts.append(f"{{{field}02}}")
                if v == value and (len(tok) == 1 or (len(tok) == 2 and v >= 10)):
                    opts.append(f"{{{field}}}")  # 14 reads the same with or without a 0
            if len(tok) == 2 and v == stamp.year % 100:
                opts.append("{y}")
            options.append(opts or [tok])
        elif (name := _month_name_field(tok, stamp.month)) is not None:
            options.append([name])
        else:
            options.append([_literal(tok)])
    found = [""]
    for opts in options:
        found = [f + o for f in found for o in opts][:MAX_DAY_TRIES]
    return found


def _literal(tok: str) -> str:
    """Text of a cell kept as it is in a template (its braces doubled)."""
    return tok.replace("{", "{{").replace("}", "}}")


def render(template: str, stamps: pd.DatetimeIndex) -> list[str]:
    """``stamps`` written with ``template`` (see :func:`period_template`)."""
    out = []
    iso = stamps.isocalendar()
    unix = np.asarray(stamps.tz_localize(None), dtype="datetime64[ms]").astype(np.int64)
    for year, month, day, iso_year, week, ms in zip(
        stamps.year, stamps.month, stamps.day, iso["year"], iso["week"], unix, strict=True
    ):
        name = calendar.month_name[month]
        fields = {
            "U": str(ms // 1000),
            "Ums": str(ms),
            "d": str(day),
            "d02": f"{day:02d}",
            "G": f"{iso_year:04d}",
            "V02": f"{week:02d}",
            "Y": f"{year:04d}",
            "Y1": f"{year + 1:04d}",
            "C": str(year - COUNTED_BASE),
            "y1": f"{(year + 1) % 100:02d}",
            "y": f"{year % 100:02d}",
            "q": str((month - 1) // 3 + 1),
            "m": str(month),
            "m02": f"{month:02d}",
            "b": name[:3],
            "bU": name[:3].upper(),
            "bl": name[:3].lower(),
            "B": name,
            "BU": name.upper(),
            "Bl": name.lower(),
        }
        out.append(template.format(**fields))
    return out


def zone_of(text: pd.Series, parsed: pd.Series) -> str | None:
    """The UTC offset as the file wrote it at its last instant (``"+02:00"``, ``"+0200"``,
    ``"Z"``), for distinct cells ``text`` read as UTC ``parsed``; None without one."""
    if len(text) == 0 or parsed.isna().all():
        return None
    last = str(text.iloc[int(np.nanargmax(parsed.to_numpy().astype("int64")))]).strip()
    found = _ZONE.search(last) if _STAMP_ZONE.search(last) else None
    return None if found is None else found.group(0)


def has_zone(text: pd.Series) -> bool:
    """Whether the first cells of ``text`` end with a UTC offset or ``Z``."""
    sample = text.iloc[: min(len(text), 50)].astype(str).str.strip()
    return bool(sample.str.contains(_STAMP_ZONE.pattern, regex=True).any())


def offset_text(offset: datetime.timedelta | None) -> str:
    """A UTC offset as ISO 8601 writes it: ``+02:00``, ``-05:30``, ``+00:00``."""
    minutes = int((offset or datetime.timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset(zone: str) -> pd.Timedelta:
    if zone == "Z":
        return pd.Timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * pd.Timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def spelled(ds: pd.Series, spelling: Spelling | None, sep: str = " ") -> pd.Series | None:
    """``ds`` (naive datetime64) as text in ``spelling``, or None to write them as ISO; a
    zone's stamps are written date, ``sep``, time and offset."""
    if spelling is not None and spelling.cycle is not None:
        return cycle_times(ds, spelling.cycle) if np.issubdtype(ds.dtype, np.integer) else None
    if spelling is None or not np.issubdtype(ds.dtype, np.datetime64):
        return None
    stamps = pd.DatetimeIndex(ds)
    if spelling.template is not None:
        return pd.Series(render(spelling.template, stamps), index=ds.index, dtype=object)
    if spelling.zone is not None:
        local = stamps + _offset(spelling.zone)
        text = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + spelling.zone
        return pd.Series(np.asarray(text, dtype=object), index=ds.index, dtype=object)
    return None


def cycle_times(ds: pd.Series, cycle: int) -> pd.Series:
    """Integer steps ``ds`` as R writes the times of a ts of frequency ``cycle`` (``%.15g``
    of step / cycle: ``1.42857142857143``)."""
    text = [f"{s / cycle:.15g}" for s in ds.to_numpy(dtype=np.int64).tolist()]
    return pd.Series(text, index=ds.index, dtype=object)


def zoned(ds: pd.Series, zone: str) -> pd.Series:
    """Naive UTC ``ds`` as zone-aware stamps at the fixed offset ``zone`` (for parquet)."""
    tz = datetime.timezone(_offset(zone).to_pytimedelta())
    return pd.to_datetime(ds).dt.tz_localize("UTC").dt.tz_convert(tz)
