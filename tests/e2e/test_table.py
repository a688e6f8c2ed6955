"""At the table, in headless Chromium at 390x844 (phone) and 1280x800, on every pathway.

Counts the taps from the home page to the first action; on every step of every pathway
checks that the instruction, its parameters and the answer buttons are in the first
viewport of a phone, that the page chrome above the step is at most 15 % of the
viewport, the pressure type size, the flowchart (current step in view, text >= 12 px),
and runs axe-core (the pinned npm package in tests/a11y) for serious or critical
violations; screenshots of every step at both sizes go to test-output/screenshots.
The team display is followed from a second browser context.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from stentguide.protocols import (
    ActionNode,
    AssessNode,
    Session,
    get_protocol,
    load_protocols,
    start,
)
from tests.e2e.conftest import login
from tests.web.conftest import LoggedIn
from tests.web.live import LiveServer

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desk": (1280, 800)}
AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
OUT = Path(__file__).resolve().parents[2] / "test-output"


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/a11y-deps.sh (make test does)")
    return AXE.read_text(encoding="utf-8")


def check_axe(page: Any, where: str) -> None:
    """axe-core in the page: no serious or critical violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the browser's debugging protocol: the page's CSP allows no
        # inline script, and a script tag added by the test would be one
        page.evaluate(_axe_source() + "\n;true")
    result = page.evaluate("async () => (await axe.run(document)).violations")
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: {bad}"


@pytest.fixture
def context_for(browser: Any, server: LiveServer) -> Iterator[Any]:
    made: list[Any] = []

    def make(size: str, user: str = "olga") -> Any:
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        login(context, server, user)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _asked_before_first_action(protocol_id: str) -> int:
    session = start(protocol_id)
    asked = 0
    while not isinstance(session.current, ActionNode):
        session = session.record(session.current.id, session.options()[0][0])
        asked += 1
    return asked


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_first_action_in_at_most_two_taps_from_home(
    context_for: Any, server: LiveServer, screenshots: Path, protocol_id: str, size: str
) -> None:
    page = context_for(size).new_page()
    page.goto(server.url + "/")
    check_axe(page, f"home at {size}")
    taps = 0
    with page.expect_navigation():
        page.click(f"form.situation-form:has(input[value='{protocol_id}']) button")
    taps += 1
    while page.locator("h1.do").count() == 0:
        with page.expect_navigation():
            page.locator("button.answer").first.click()
        taps += 1
        assert taps <= 2, f"{protocol_id}: no action after {taps} taps"
    expected = 1 if _asked_before_first_action(protocol_id) == 0 else 2
    assert taps <= expected, f"{protocol_id} at {size}: {taps} taps to the first action"
    page.screenshot(path=str(screenshots / f"table-{size}-{protocol_id}-first-action.png"))
    _record("taps", f"{protocol_id} {size}", taps)


def _paths(protocol_id: str) -> dict[str, list[tuple[str, str | float]]]:
    """For every step a run can stand at, the answers that reach it (breadth first)."""
    found: dict[str, list[tuple[str, str | float]]] = {}
    queue: list[tuple[Session, list[tuple[str, str | float]]]] = [(start(protocol_id), [])]
    while queue:
        session, answers = queue.pop(0)
        node = session.current.id
        if node in found:
            continue
        found[node] = answers
        if session.finished:
            continue
        question = session.current
        choices: list[str | float] = [answer for answer, _label in session.options()]
        if isinstance(question, AssessNode | ActionNode) and question.number is not None:
            low = question.number.minimum
            choices = [low if b.min is None else b.min for b in question.number.branches]
        queue.extend(
            (session.record(node, answer), [*answers, (node, answer)]) for answer in choices
        )
    return found


def _run_at(
    client: httpx.Client, protocol_id: str, answers: list[tuple[str, str | float]]
) -> str:
    run = client.post("/api/sessions", json={"protocol_id": protocol_id}).json()["session_id"]
    for node, answer in answers:
        done = client.post(f"/api/sessions/{run}/answers", json={"node": node, "answer": answer})
        assert done.status_code == 200, done.text
    return str(run)


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_every_step_reads_at_arms_length(
    context_for: Any, server: LiveServer, screenshots: Path, protocol_id: str
) -> None:
    protocol = get_protocol(protocol_id)
    paths = _paths(protocol_id)
    assert {n.id for n in protocol.nodes} - set(paths) <= {
        n.id for n in protocol.nodes if isinstance(n, AssessNode) and n.for_record
    }
    pages = {size: context_for(size).new_page() for size in SIZES}
    with LoggedIn(server.url, "olga") as client:
        for index, (node_id, answers) in enumerate(sorted(paths.items(), key=lambda p: len(p[1]))):
            run = _run_at(client, protocol_id, answers)
            for size, page in pages.items():
                page.goto(f"{server.url}/runs/{run}")
                name = f"table-{size}-{protocol_id}-{index:02d}-{node_id}.png"
                page.screenshot(path=str(screenshots / name))
                check_axe(page, f"{protocol_id}/{node_id} at {size}")
                _check_chrome(page, size, node_id)
                if isinstance(protocol.node(node_id), ActionNode):
                    _check_action_step(page, size, node_id)
                _check_flowchart(page, size, node_id)
            if index == 0:
                pages["phone"].goto(f"{server.url}/runs/{run}/record")
                check_axe(pages["phone"], f"{protocol_id} record")
                pages["desk"].goto(f"{server.url}/protocols/{protocol_id}")
                check_axe(pages["desk"], f"{protocol_id} flowchart page")


def _check_chrome(page: Any, size: str, node_id: str) -> None:
    width, height = SIZES[size]
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width + 1, f"{node_id} at {size}: the page is {wide} px wide"
    top = page.evaluate("document.querySelector('#step').getBoundingClientRect().top")
    _record("chrome", f"{node_id} {size}", round(top / height, 3))
    assert top <= 0.15 * height, f"{node_id} at {size}: chrome {top:.0f} px above the step"


def _check_action_step(page: Any, size: str, node_id: str) -> None:
    boxes = page.evaluate(
        """() => {
        const r = (el) => { const b = el.getBoundingClientRect(); return [b.top, b.bottom]; };
        const q = (s) => Array.from(document.querySelectorAll(s)).map(r);
        return {instruction: q('#step .instruction'), title: q('#step-title'),
                parameters: q('#step .parameters li'), answers: q('#answer-form button.answer'),
                bar: q('#answer-form .answer-bar'),
                pressure: Array.from(document.querySelectorAll('.p-value'))
                  .filter((e) => e.textContent.includes('atm'))
                  .map((e) => parseFloat(getComputedStyle(e).fontSize))};
        }"""
    )
    height = SIZES[size][1]
    for size_px in boxes["pressure"]:
        assert size_px >= 32, f"{node_id}: pressure at {size_px} px"
    if size != "phone":
        return
    bar_top = min(top for top, _ in boxes["bar"])
    for what in ("title", "parameters", "instruction"):
        for top, bottom in boxes[what]:
            assert top >= 0 and bottom <= min(bar_top, height) + 1, (
                f"{node_id}: {what} {top:.0f}-{bottom:.0f} px not in the first viewport "
                f"above the answers at {bar_top:.0f} px"
            )
    assert boxes["answers"], node_id
    for top, bottom in boxes["answers"]:
        assert top >= 0 and bottom <= height + 1, f"{node_id}: answer at {top:.0f}-{bottom:.0f}"


def _check_flowchart(page: Any, size: str, node_id: str) -> None:
    found = page.evaluate(
        """() => {
        const box = document.querySelector('.flowchart');
        const cur = box.querySelector('.fc-current');
        const b = box.getBoundingClientRect(), c = cur.getBoundingClientRect();
        const px = (t) => parseFloat(getComputedStyle(t).fontSize);
        const sizes = Array.from(box.querySelectorAll('text')).map(
            (t) => t.getBoundingClientRect().height > 0 ? px(t) : 99);
        const inside = c.left < b.right && c.right > b.left && c.top < b.bottom;
        return {visible: inside && c.bottom > b.top,
                smallest: Math.min(...sizes)};
        }"""
    )
    assert found["visible"], f"{node_id} at {size}: the current step is scrolled out of view"
    assert found["smallest"] >= 12, f"{node_id} at {size}: flowchart text {found['smallest']} px"


def test_the_team_display_follows_an_answer_from_another_browser(
    context_for: Any, server: LiveServer, screenshots: Path
) -> None:
    nurse = context_for("phone").new_page()
    room = context_for("desk", "vic").new_page()
    nurse.goto(server.url + "/")
    with nurse.expect_navigation():
        nurse.click("form.situation-form:has(input[value='partial-stent-loss']) button")
    run = nurse.url.rsplit("/", 1)[1].split("#")[0]
    room.set_viewport_size({"width": 1280, "height": 800})
    room.goto(f"{server.url}/runs/{run}/display")
    check_axe(room, "team display")
    expect(room.locator("#display-status")).to_have_text("Live", timeout=30_000)
    seq = int(room.get_attribute("#display", "data-seq") or "-1")
    room.screenshot(path=str(screenshots / "table-display-before.png"))
    latencies = []
    for _ in range(3):
        before = room.inner_text(".display-panel h1")
        clicked = time.monotonic()
        nurse.locator("button.answer").first.click()
        _wait_for_seq_above(room, seq)
        latencies.append(time.monotonic() - clicked)
        seq = int(room.get_attribute("#display", "data-seq") or "-1")
        nurse.wait_for_load_state()
        assert room.inner_text(".display-panel h1") != before
    room.screenshot(path=str(screenshots / "table-display-after.png"))
    _record("display_latency_seconds", "partial-stent-loss", [round(x, 3) for x in latencies])


def _record(kind: str, key: str, value: object) -> None:
    """Measured figures for the reviewer (test-output/table-measurements.json)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / "table-measurements.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault(kind, {})[key] = value
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def _wait_for_seq_above(page: Any, seq: int, timeout: float = 30.0) -> None:
    """Wait until the display's ``data-seq`` passes ``seq`` (polled from the test, not by a
    script in the page: the app's Content Security Policy refuses evaluated strings)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(page.get_attribute("#display", "data-seq") or "-1") > seq:
            return
        time.sleep(0.02)
    raise AssertionError(f"the team display did not pass seq {seq} within {timeout:.0f} s")
