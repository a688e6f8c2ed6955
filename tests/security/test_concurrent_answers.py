"""Simultaneous answers to one step: exactly one is recorded, the others get 409, never 503.

Several clients answer the same step of the same run at the same moment, on a
live server over SQLite and over PostgreSQL; the run must end with one answer
recorded and every other request told that the step has moved on (409).
"""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from tests.web_cases.conftest import Live, login

CLIENTS = 8
ROUNDS = 3


def _race(clients: list[httpx.Client], run_id: str, body: dict[str, object]) -> Counter[int]:
    """Every client posts ``body`` at the same moment; the statuses they got."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    lock = threading.Lock()

    def answer(client: httpx.Client) -> None:
        barrier.wait()
        status = client.post(f"/api/sessions/{run_id}/answers", json=body).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=answer, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def test_simultaneous_answers_give_one_200_and_409s(live: Live) -> None:
    clients = [httpx.Client(base_url=live.url, timeout=120) for _ in range(CLIENTS)]
    try:
        for client in clients:
            assert login(client, "otto").status_code == 303
        for _round in range(ROUNDS):
            started = clients[0].post(
                "/api/sessions", json={"protocol_id": "stent-loss-wire-in-place"}
            )
            assert started.status_code == 201, started.text
            run = started.json()
            step = run["step"]
            body = {"node": step["node"], "answer": step["options"][0]["id"], "acknowledge": "all"}
            counts = _race(clients, run["session_id"], body)
            assert counts[200] == 1 and counts[409] == CLIENTS - 1, counts
            stored = clients[0].get(f"/api/sessions/{run['session_id']}").json()
            assert len(stored["answers"]) == 1
    finally:
        for client in clients:
            client.close()
