"""The quick listings say exactly what the validated catalogues say."""

from __future__ import annotations

from stentguide import listing
from stentguide.protocols import load_protocols
from stentguide.risk import list_scores


def test_score_listing_matches_the_validated_catalogue() -> None:
    assert [s.as_dict() for s in listing.score_listing()] == [
        i.model_dump() for i in list_scores()
    ]


def test_protocol_listing_matches_the_validated_library() -> None:
    assert [p.as_dict() for p in listing.protocol_listing()] == [
        {"id": p.id, "version": p.version, "title": p.title, "when_to_use": p.when_to_use}
        for p in load_protocols().values()
    ]


def test_header_reader_leaves_anything_unusual_to_yaml() -> None:
    keys = frozenset({"id", "title"})
    assert listing._header("id: a-b\ntitle: >-\n  Two\n  lines\nnodes: []\n", keys) == {
        "id": "a-b",
        "title": "Two lines",
    }
    for unusual in (
        "id: yes\ntitle: T\n",  # YAML 1.1 reads yes as a boolean
        "id: 'quoted'\ntitle: T\n",
        "id: a\ntitle: |\n  literal\n",
        "id: a\ntitle: plain\n  continued\n",
        "id: a\nnodes: []\n",  # title missing from the header
    ):
        assert listing._header(unusual, keys) is None, unusual
