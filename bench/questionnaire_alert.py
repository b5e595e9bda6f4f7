"""How long a critical questionnaire answer takes to reach the staff dashboard.

Starts a central server (SQLite, temporary), enrols a terminal, assigns PHQ-9, then
answers it through the kiosk's own code (``QuestionnaireMixin`` over a real store and
the outbox ``Syncer`` thread, as the kiosk runs it) and polls the dashboard's live
fragment until the call for staff shows. Prints the figures; not a timed test.

    PYTHONPATH=. .venv/bin/python bench/questionnaire_alert.py [runs]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from kiosk.clock import Clock
from kiosk.store import open_store
from kiosk.store.models import Person
from kiosk.sync import Syncer
from server_api.client import CentralClient
from tests.kiosk.test_questionnaires import Host
from tests.server.central_helpers import enrol
from tests.staff_console import StaffConsole, make_id_number, start_server


def main(runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_url, password, stop = start_server(f"sqlite:///{tmp / 'c.db'}", tmp / "data")
        try:
            admin = StaffConsole(base_url)
            admin.login("admin", password)
            centre = admin.create_centre("城关司法所")
            answer = enrol(base_url, admin.create_token(centre)).json()
            client = CentralClient(base_url, answer["terminal_id"], answer["secret"])
            seconds = []
            for run in range(runs):
                person = admin.create_person(centre, "王建国", make_id_number(100 + run), "缓刑")
                admin.post("/console/questionnaires/assign",
                           {"person_id": str(person), "questionnaire_id": "phq9"})
                store = open_store(tmp / f"kiosk-{run}.db")
                with store.session() as s:
                    s.add(Person(id=person, name="王建国", id_number="x", case_type="缓刑"))
                syncer = Syncer(store, client, Clock(), interval_s=3.0)
                host = Host(store, client, person)
                host._poke = syncer.poke
                [(assignment, _t)] = host.questionnaires()
                host.start_questionnaire(assignment)
                syncer.start()
                for value in [0] * 8:
                    host.answer_question(value)
                started = time.monotonic()
                host.answer_question(1)  # item 9: critical
                while True:
                    live = admin.get("/console/dashboard/live").text
                    if "questionnaire_critical" in live and f"王*国" in live:
                        break
                    time.sleep(0.02)
                seconds.append(time.monotonic() - started)
                syncer.stop()
                store.close()
                for call in admin.open_staff_calls():
                    admin.resolve_staff_call(call["id"])
            seconds.sort()
            print(f"critical answer -> dashboard fragment: runs={runs} "
                  f"median={seconds[len(seconds) // 2] * 1000:.0f} ms max={seconds[-1] * 1000:.0f} ms")
        finally:
            stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
