"""Card numbers (PANs) where none may be: references, idempotency keys, request IDs, log lines.

A PAN is a run of 13 to 19 digits that passes the Luhn check. Values the service stores
(references, idempotency keys) are refused when a plain run of digits is one. Where a false
alarm costs nothing (a caller's request ID is replaced, a log fragment is masked) runs grouped by
single spaces or dashes ("4111 1111 1111 1111") count too; they are not applied to stored values
because a random UUID's dash-separated digit groups would then be refused about once in 450.
"""

from __future__ import annotations

import re

MIN_DIGITS, MAX_DIGITS = 13, 19
# Maximal runs of digits long enough to be a PAN: shorter runs (a UUID's) never make a match object.
_PLAIN_RUN = re.compile(rf"[0-9]{{{MIN_DIGITS},}}")
# Digits, optionally grouped by single spaces or dashes; linear, never backtracks.
_GROUPED_RUN = re.compile(r"[0-9](?:[ -]?[0-9])*")
MASK = "[card number removed]"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = ord(character) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card_number(run: str) -> bool:
    digits = run.replace(" ", "").replace("-", "")
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn_valid(digits)


def contains_card_number(text: str, *, grouped: bool = False) -> bool:
    runs = (_GROUPED_RUN if grouped else _PLAIN_RUN).finditer(text)
    return any(_is_card_number(match.group()) for match in runs)


def mask_card_numbers(text: str) -> str:
    """The text with every card number, plain or grouped, replaced by MASK; other digits stay."""
    return _GROUPED_RUN.sub(lambda match: MASK if _is_card_number(match.group()) else match.group(), text)
