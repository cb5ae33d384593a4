"""Typed JSON fields with one-line refusals: the vocabulary of :mod:`forecastr.modelcheck`.

Stored JSON (a model's ``config.json``, an ONNX file's metadata) is read with
:func:`loads_bounded`, which cannot exhaust memory or the stack, and each field through a
reader that checks its type and bounds (a bool is not an integer, NaN is not a number) and
otherwise raises one :class:`~forecastr.errors.ArtifactError` line naming the file, the
field, what it holds and what was expected. Torch-free, numpy-free.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from forecastr.errors import ArtifactError, shown

# JSON: 64 MiB of text at most, and at most 8 million values (counted by their separators),
# which Python holds in at most ~100 bytes each; nesting beyond the parser's recursion
# limit is refused as corrupt rather than crashing.
MAX_JSON_CHARS = 64 * 2**20
MAX_JSON_VALUES = 8_000_000
MAX_TEXT_CHARS = 4_096  # free text: names, file names, column names
REQUIRED = object()  # no default: the field must be present
MISSING = object()  # shown as "missing"


@dataclass(frozen=True)
class Where:
    """Where checked values come from, for the one-line refusal.

    Attributes:
        file: the file named first in every message.
        label: ``"field"`` (config.json) or ``"metadata"`` (an ONNX file's metadata_props).
        fix: what the user can do, ending every message.
    """

    file: str
    fix: str
    label: str = "field"

    def refuse(self, name: str, value: Any, expected: str) -> ArtifactError:
        return ArtifactError(
            f"{self.file}: {self.label} {name} is {describe_value(value)}; "
            f"expected {expected}; {self.fix}"
        )

    def fail(self, text: str) -> ArtifactError:
        return ArtifactError(f"{self.file}: {text}; {self.fix}")


def describe_value(value: Any) -> str:
    """A short, unambiguous rendering of a JSON value: ``'1' (a string)``, ``true``, ``NaN``."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() <= 64:
            return str(value)
        try:  # str() of a huge int is slow (and refused past 4300 digits): say its size
            return f"about {float(value):.3g}"
        except OverflowError:
            return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return f"{shown(value, 40)} (a string)"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"an object with {len(value)} keys"
    return type(value).__name__


def key_text(key: str) -> str:
    """A JSON object key as it may appear in a one-line message (at most 40 characters)."""
    return key[:40] if key.isprintable() else repr(key[:40])


# -- JSON --------------------------------------------------------------------------------


def loads_bounded(text: str, max_chars: int = MAX_JSON_CHARS) -> Any:
    """``json.loads`` that cannot exhaust memory or the stack.

    Raises:
        ValueError: too long, too many values, nested too deeply, or not JSON (one line).
    """
    if len(text) > max_chars:
        raise ValueError(f"{len(text):,} characters; at most {max_chars:,} are read")
    # Every value but the first follows a ',' or ':' or opens with '[' / '{' (separators
    # inside strings count too, which only errs on the safe side).
    values = sum(text.count(c) for c in ",:[{")
    if values > MAX_JSON_VALUES:
        raise ValueError(f"about {values:,} values; at most {MAX_JSON_VALUES:,} are read")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as err:
        raise ValueError(str(err)) from None


# -- typed fields -------------------------------------------------------------------------


def _name(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def value_of(w: Where, d: dict, key: str, prefix: str, expected: str, default: Any) -> Any:
    if key in d:
        return d[key]
    if default is REQUIRED:
        raise w.refuse(_name(prefix, key), MISSING, expected)
    return default


def integer(w: Where, d: dict, key: str, lo: int, hi: int, prefix: str = "", default=REQUIRED):
    """``d[key]`` as an int in ``[lo, hi]`` (not a bool, not a float); ``default`` if absent."""
    expected = f"an integer from {lo} to {hi}"
    v = value_of(w, d, key, prefix, expected, default)
    if type(v) is not int or not lo <= v <= hi:
        raise w.refuse(_name(prefix, key), v, expected)
    return v


def optional_integer(w: Where, d: dict, key: str, lo: int, hi: int, prefix: str = "") -> int | None:
    """``d[key]``: null (or absent) or an int in ``[lo, hi]``."""
    v = d.get(key)
    if v is not None and (type(v) is not int or not lo <= v <= hi):
        raise w.refuse(_name(prefix, key), v, f"null or an integer from {lo} to {hi}")
    return v


def is_number(v: Any) -> bool:
    """A finite JSON number (int or float, not a bool)."""
    return type(v) in (int, float) and math.isfinite(v)


def number(
    w: Where,
    d: dict,
    key: str,
    lo: float,
    hi: float,
    prefix: str = "",
    default=REQUIRED,
    *,
    hi_open: bool = False,
    lo_open: bool = False,
) -> float:
    """``d[key]`` as a finite number in the interval (closed unless ``*_open``)."""
    interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    expected = f"a finite number in {interval}"
    v = value_of(w, d, key, prefix, expected, default)
    ok = is_number(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        raise w.refuse(_name(prefix, key), v, expected)
    return float(v)


def flag(w: Where, d: dict, key: str, prefix: str = "", default=REQUIRED) -> bool:
    v = value_of(w, d, key, prefix, "true or false", default)
    if not isinstance(v, bool):
        raise w.refuse(_name(prefix, key), v, "true or false")
    return v


def choice(w: Where, d: dict, key: str, options, prefix: str = "", default=REQUIRED) -> str:
    expected = "one of " + ", ".join(options)
    v = value_of(w, d, key, prefix, expected, default)
    if not isinstance(v, str) or v not in options:
        raise w.refuse(_name(prefix, key), v, expected)
    return v


def _chars(lo: int, hi: int) -> str:
    return (
        f"a string of at most {hi} characters"
        if lo == 0
        else f"a string of {lo} to {hi} characters"
    )


def text(
    w: Where,
    d: dict,
    key: str,
    prefix: str = "",
    default=REQUIRED,
    *,
    nullable: bool = False,
    min_chars: int = 0,
) -> str | None:
    """``d[key]`` as a string of ``min_chars`` to ``MAX_TEXT_CHARS`` characters (or null)."""
    expected = f"{'null or ' if nullable else ''}{_chars(min_chars, MAX_TEXT_CHARS)}"
    v = value_of(w, d, key, prefix, expected, default)
    if v is None and nullable:
        return None
    if not isinstance(v, str) or not min_chars <= len(v) <= MAX_TEXT_CHARS:
        raise w.refuse(_name(prefix, key), v, expected)
    return v


def section(
    w: Where, d: dict, key: str, prefix: str = "", *, optional: bool = False, nullable: bool = False
) -> dict:
    """``d[key]`` as an object; ``{}`` when it is absent (``optional``) or null (``nullable``)."""
    v = d.get(key, MISSING)
    if (optional and v is MISSING) or (nullable and v is None):
        return {}
    if not isinstance(v, dict):
        raise w.refuse(_name(prefix, key), v, "an object")
    return v


def string_list(
    w: Where, d: dict, key: str, prefix: str, limit: int, max_chars: int, min_chars: int = 0
) -> list:
    """``d[key]`` as a list of at most ``limit`` strings of ``min_chars`` to ``max_chars``."""
    expected = f"a list of at most {limit:,} strings"
    v = value_of(w, d, key, prefix, expected, REQUIRED)
    if not isinstance(v, list) or len(v) > limit:
        raise w.refuse(_name(prefix, key), v, expected)
    for i, s in enumerate(v):
        if not isinstance(s, str) or not min_chars <= len(s) <= max_chars:
            raise w.refuse(f"{_name(prefix, key)}[{i}]", s, _chars(min_chars, max_chars))
    return v


def settings_of(w: Where, d: Any, known: tuple[str, ...], prefix: str, what: str) -> None:
    """Refuse ``d`` unless it is an object whose every key is in ``known``."""
    if not isinstance(d, dict):
        raise w.refuse(prefix, d, "an object of model settings")
    unknown = sorted(k for k in d if k not in known)
    if unknown:
        raise w.fail(
            f"{w.label} {prefix}.{key_text(unknown[0])} is not {what} (a model from a newer "
            "forecastr, or an edited file)"
        )
