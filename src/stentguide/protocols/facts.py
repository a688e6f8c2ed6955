"""Facts about the case: what answers set and preconditions read, each with a declared type.

A fact typed as text (a form field, ``--fact NAME=VALUE``) is parsed here, by its
declared type, so the CLI and the web read a fact the same way.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from stentguide.protocols.fields import FactName, FactValue, StrictModel

__all__ = ["FactSpec", "FactValue", "Precondition"]


class FactSpec(StrictModel):
    """A fact about the case that answers set and preconditions read."""

    type: Literal["bool", "number", "text"]
    description: str = Field(min_length=3)

    def accepts(self, value: FactValue) -> bool:
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        return isinstance(value, str)

    def parse(self, raw: str) -> FactValue:
        """The value typed as text (a form field, ``--fact NAME=VALUE``), by the declared type.

        ``bool`` takes yes/no/true/false; ``number`` a finite number; ``text`` any
        non-empty text. Anything else raises :class:`ValueError` saying what is expected.
        """
        text = raw.strip()
        if not text:
            raise ValueError("empty: give a value or leave the fact out")
        if self.type == "bool":
            lowered = text.lower()
            if lowered in ("true", "yes", "y"):
                return True
            if lowered in ("false", "no", "n"):
                return False
            raise ValueError(f"{text!r} is not yes or no (true/false)")
        if self.type == "number":
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a number") from None
            if not math.isfinite(number):
                raise ValueError(f"{text!r} is not a finite number")
            return number
        return text


class Precondition(StrictModel):
    """A fact the step assumes. Unmet or undeclared, it is shown as a warning at the step."""

    fact: FactName
    equals: FactValue
    message: str = Field(min_length=3, description="Why the step needs it, shown when unmet.")
