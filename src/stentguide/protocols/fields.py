"""The field types the pathway models share: a strict frozen base, ids, fact names, sources."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FactName", "FactValue", "RoleName", "Slug", "Sources", "StrictModel"]

FactValue = bool | int | float | str
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
FactName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RoleName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Sources = Annotated[list[str], Field(min_length=1)]


class StrictModel(BaseModel):
    """A frozen model that refuses unknown fields: a typo in a pathway file is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)
