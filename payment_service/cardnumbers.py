"""Card numbers (PANs) where none may be: references, request IDs, idempotency keys, log lines.

A PAN is 13 to 19 digits that pass the Luhn check, printed plain or grouped by single spaces or
dashes ("4111 1111 1111 1111"). A run is bounded by anything that is not a digit or such a
separator, so an order number inside a longer reference is judged on its own digits.
"""

from __future__ import annotations

import re

MIN_DIGITS, MAX_DIGITS = 13, 19
# Digits, optionally grouped by single spaces or dashes; the pattern is linear, never backtracks.
_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9])*")
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


def contains_card_number(text: str) -> bool:
    return any(_is_card_number(match.group()) for match in _DIGIT_RUN.finditer(text))


def mask_card_numbers(text: str) -> str:
    """The text with every card number replaced by MASK; other digits stay as they are."""
    return _DIGIT_RUN.sub(lambda match: MASK if _is_card_number(match.group()) else match.group(), text)
