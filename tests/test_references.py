"""Every reference is cited and every citation resolves."""

from __future__ import annotations

from stentguide.references import cited_keys, load_references, reference


def test_no_dangling_citation() -> None:
    refs = load_references()
    dangling = {k: sorted(files) for k, files in cited_keys().items() if k not in refs}
    assert dangling == {}


def test_no_unused_reference() -> None:
    cited = cited_keys()
    unused = sorted(k for k in load_references() if k not in cited)
    assert unused == []


def test_every_reference_can_be_found() -> None:
    for ref in load_references().values():
        assert ref.citation().strip()
        assert ref.doi or ref.url or ref.pmid or ref.identifier


def test_reference_lookup() -> None:
    assert reference("PCR-PARTIAL").url is not None
