"""The command line and the web app give the same answer for the same action.

A typed fact is parsed by the pathway's declared type in the core
(:meth:`Protocol.parse_facts`), so ``--fact`` and the start form accept and
refuse the same values with the same words.
"""

from __future__ import annotations

import httpx
import pytest

from stentguide.protocols import get_protocol
from tests.conftest import CliRun

PARTIAL = "partial-stent-loss"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("maybe", "'maybe' is not yes or no (true/false)"), ("", None), ("yes", None)],
)
def test_a_typed_fact_is_parsed_the_same_by_both_faces(
    cli: CliRun, client: httpx.Client, raw: str, problem: str | None
) -> None:
    fact = next(
        name for name, spec in get_protocol(PARTIAL).facts.items() if spec.type == "bool"
    )
    result = cli("run", PARTIAL, "--fact", f"{fact}={raw}", "--answers", "/dev/null")
    page = client.post("/runs", data={"protocol": PARTIAL, f"fact.{fact}": raw})
    if problem is None:
        assert page.status_code == 200, page.text[:300]
        assert "not yes or no" not in result.stderr
    else:
        assert page.status_code == 422
        assert problem in page.text.replace("&#39;", "'")
        assert result.returncode == 2
        assert f"facts.{fact}: {problem}" in result.stderr
