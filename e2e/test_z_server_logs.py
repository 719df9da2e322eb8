"""Runs last (file name): the logs of every server this session started hold no student name or id,
and no Python traceback."""

from __future__ import annotations

import re

from e2e.conftest import STARTED
from e2e.test_import import NAMES


def test_server_logs_hold_no_student_data_or_tracebacks(demo_data):
    """Student names and ids of the demo and of uploaded files never reach the server's output."""
    assert STARTED, "no server was started in this session"
    words = demo_data.student_names | demo_data.student_ids | {n for pair in NAMES for n in pair}
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
                         + r")(?![A-Za-z0-9])")
    for server in STARTED:
        text = server.log.read_text(errors="replace")
        assert not pattern.findall(text), f"student data in {server.log}: {sorted(set(pattern.findall(text)))[:10]}"
        assert "Traceback" not in text, f"a traceback in {server.log}:\n{text[-3000:]}"
