"""What the registry's pages share: who may see them, the registry, and the search they read.

Every registry page needs a login (:mod:`stentguide.web.auth`): a viewer reads
cases, exports and the dashboard; an operator also adds, edits and imports cases
and attaches protocol runs. A search comes from the query string and is read by
the core (:func:`stentguide.cases.search.parse_search`), exactly as the CLI's
options are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.search import parse_search, search_values
from stentguide.cases.users import Role
from stentguide.errors import InputError
from stentguide.web.auth import Login, require, require_form
from stentguide.web.deps import registry

__all__ = ["Db", "OperatorForm", "OperatorPage", "Viewer", "read_search"]

Db = Annotated[Registry, Depends(registry)]
Viewer = Annotated[Login, Depends(require(Role.viewer))]
OperatorPage = Annotated[Login, Depends(require(Role.operator))]
OperatorForm = Annotated[Login, Depends(require_form(Role.operator))]


def read_search(
    params: Mapping[str, str],
) -> tuple[CaseFilter | None, dict[str, str], dict[str, str]]:
    """The query named by ``params`` (``None`` if any field is bad), the values, the problems."""
    values = search_values(params)
    try:
        return parse_search(values), values, {}
    except InputError as exc:
        return None, values, dict(exc.problems)
