"""A server that cannot store written reports (a broken key file) refuses the batch with
a 503 the terminal retries later: never a 500, never a report dropped."""
from __future__ import annotations

from tests.server.central_helpers import TerminalClient, b64, enrol, event, jpeg_bytes
from tests.staff_console import StaffConsole, make_id_number, start_server


def test_a_broken_report_key_file_makes_the_terminal_send_again_later(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "report.key").write_bytes(b"short")  # not a 32-byte key
    base_url, password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}", data_dir)
    try:
        admin = StaffConsole(base_url)
        admin.login("admin", password)
        centre = admin.create_centre("城关司法所")
        person = admin.create_person(centre, "张三", make_id_number(1), "缓刑")
        answer = enrol(base_url, admin.create_token(centre)).json()
        terminal = TerminalClient(base_url, answer["terminal_id"], answer["secret"], centre)
        report = event("written_report", person, form="pages",
                       pages_jpeg_b64=[b64(jpeg_bytes())])
        refused = terminal.post_events(event("checkin", person, match_score=0.9), report)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "report_storage_unavailable"
        # nothing of the batch was kept, so sending it again once fixed stores it all
        (data_dir / "report.key").unlink()
        again = terminal.post_events(event("checkin", person, match_score=0.9), report)
        assert [r["status"] for r in again.json()["results"]] == ["stored", "stored"]
    finally:
        stop()
