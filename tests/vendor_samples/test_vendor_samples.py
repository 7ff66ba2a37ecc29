# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vendor's own code samples, run against the emulator with only the service root (scheme and host) changed."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from vendor_samples_support import SAMPLES, SHARED, sample_code

ZERO_KEY = "00000000-0000-0000-0000-000000000000"  # the key every sample uses
OTHER_KEY = "6a09e667-f3bc-4e5a-9b1d-3c6ef372fe94"
HOSTS = ("https://messaging.esendex.us", "https://ws.esendex.us")
# sample file -> the saved vendor page it was copied from
SOURCES = {
    "messaging_CancelAllMessages_python.py.txt": "messaging-CancelAllMessages.txt",
    "messaging_CancelAllMessages_javascript.mjs.txt": "messaging-CancelAllMessages.txt",
    "voice_CancelNotifyByReferenceID_python.py.txt": "voice-CancelNotifyByReferenceID.txt",
}
_BRACKETS_ONLY = re.compile(r"[\s{}()\[\];,]*")


def retarget(code: str, base_url: str) -> str:
    """Replace the vendor's service roots with the emulator's; nothing else changes."""
    for host in HOSTS:
        code = code.replace(host, base_url)
    assert not any(host in code for host in HOSTS) and base_url in code
    return code


def run_python(code: str) -> Dict[str, Any]:
    """exec() the sample in a fresh namespace; return its globals and what it printed."""
    namespace: Dict[str, Any] = {"__name__": "__vendor_sample__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<vendor sample>", "exec"), namespace)  # pylint: disable=exec-used
    namespace["__stdout__"] = out.getvalue()
    return namespace


def seed(emulator: Any) -> None:
    """The samples' key owns 3 scheduled messages, 1 sent; another key owns 1 scheduled message."""
    emulator.set_state({"accounts": {
        ZERO_KEY: {"messages": [{"status": "scheduled"}, {"status": "scheduled"}, {"status": "scheduled"}, {"status": "sent"}]},
        OTHER_KEY: {"messages": [{"status": "scheduled"}], "calls": [{"reference_id": "notify1"}]}}})


def message_statuses(emulator: Any, key: str) -> List[str]:
    return [m["status"] for m in emulator.get_state()["accounts"][key]["messages"]]


def normalized(text: str) -> List[str]:
    """Code lines as the saved pages keep them: stripped, without blank or bracket-only lines."""
    return [line.strip() for line in text.splitlines() if not _BRACKETS_ONLY.fullmatch(line)]


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the saved vendor pages ({SHARED}) are not beside the repository")
@pytest.mark.parametrize("sample", sorted(SOURCES))
def test_sample_copy_matches_the_saved_vendor_page(sample):
    copy, page = normalized(sample_code(sample)), normalized((SHARED / SOURCES[sample]).read_text(encoding="utf-8"))
    assert copy, sample
    starts = [i for i, line in enumerate(page) if line == copy[0]]
    assert any(page[i:i + len(copy)] == copy for i in starts), f"{sample} no longer matches {SOURCES[sample]}"


def test_every_sample_file_is_checked():
    assert sorted(p.name for p in SAMPLES.iterdir() if p.is_file()) == sorted(SOURCES)


def test_python_httpx_cancel_all_messages(emulator):
    seed(emulator)
    first = run_python(retarget(sample_code("messaging_CancelAllMessages_python.py.txt"), emulator.base_url))
    assert first["__stdout__"] == "True\n"  # documented JSON Response: true
    assert message_statuses(emulator, ZERO_KEY) == ["cancelled"] * 3 + ["sent"]
    assert message_statuses(emulator, OTHER_KEY) == ["scheduled"]
    (request,) = emulator.requests()
    assert (request["method"], request["path"], request["body"]) == ("POST", "/Messaging.svc/CancelAllMessages", f'"{ZERO_KEY}"')
    assert request["headers"]["Content-Type"] == "application/json" and request["status"] == 200
    again = run_python(retarget(sample_code("messaging_CancelAllMessages_python.py.txt"), emulator.base_url))
    assert again["__stdout__"] == "False\n"  # nothing left to cancel (INFERRED answer)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_fetch_cancel_all_messages_sends_the_guid_unquoted(emulator, tmp_path: Path):
    seed(emulator)
    script = tmp_path / "sample.mjs"
    script.write_text(retarget(sample_code("messaging_CancelAllMessages_javascript.mjs.txt"), emulator.base_url), encoding="utf-8")
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (0, "true\n"), done.stderr
    (request,) = emulator.requests()
    assert request["body"] == ZERO_KEY  # unquoted: accepted as .NET's reader does for a leading digit (INFERRED)
    assert message_statuses(emulator, ZERO_KEY) == ["cancelled"] * 3 + ["sent"]


def test_python_zeep_notify_phone_advanced_then_cancel_by_reference_id(emulator):
    seed(emulator)
    namespace = run_python(retarget(sample_code("voice_CancelNotifyByReferenceID_python.py.txt"), emulator.base_url))
    assert namespace["result"] == 1  # "Total number of calls that were cancelled"
    calls = emulator.get_state()["accounts"][ZERO_KEY]["calls"]
    assert [(c["to"], c["reference_id"], c["status"], c["text"]) for c in calls] == [
        ("17575559999", "notify1", "cancelled", "Hello, this call was sent with Python.")]
    assert calls[0]["scheduled_for"].endswith("Z")
    assert [c["status"] for c in emulator.get_state()["accounts"][OTHER_KEY]["calls"]] == ["scheduled"]  # same reference ID, other key
    log = emulator.requests()
    assert [(r["method"], r["query"].lower(), r["headers"].get("SOAPAction")) for r in log] == [
        ("GET", "wsdl", None),
        ("POST", "", '"https://ws.esendex.us/NotifyWS/NotifyPhoneAdvanced"'),
        ("POST", "", '"https://ws.esendex.us/NotifyWS/CancelNotifyByReferenceID"'),
    ]
    assert all(r["status"] == 200 for r in log)
    (record,) = emulator.cancellations()
    assert (record["method"], record["transport"], record["cancelled_ids"]) == ("CancelNotifyByReferenceID", "soap1.1", [calls[0]["queue_id"]])


def test_zeep_sees_the_queue_id_notify_phone_advanced_returns(emulator):
    seed(emulator)
    code = sample_code("voice_CancelNotifyByReferenceID_python.py.txt")
    first_call_only = code.split("# We can cancel", maxsplit=1)[0]
    namespace = run_python(retarget(first_call_only, emulator.base_url))
    result = namespace["result"]
    (call,) = emulator.get_state()["accounts"][ZERO_KEY]["calls"]
    assert (result.ResponseCode, result.ResponseText, result.QueueID, result.CallComplete) == (0, "Queued", call["queue_id"], False)


def test_zeep_client_built_from_the_messaging_wsdl_works(emulator):
    zeep = pytest.importorskip("zeep")
    seed(emulator)
    client = zeep.Client(wsdl=f"{emulator.base_url}/Messaging.svc?wsdl")
    assert client.service.CancelAllMessages(ZERO_KEY) is True
    assert message_statuses(emulator, ZERO_KEY) == ["cancelled"] * 3 + ["sent"]
    assert client.service.CancelAllMessages(ZERO_KEY) is False
    assert client.service.CancelMessage(OTHER_KEY) is False  # no message has that ID


def test_zeep_client_sees_every_emulated_voice_operation(emulator):
    zeep = pytest.importorskip("zeep")
    seed(emulator)
    client = zeep.Client(wsdl=f"{emulator.base_url}/NotifyWS/PhoneNotify.asmx?WSDL")
    returns = client.service.NotifyMultiplePhoneBasicWithCPMandReferenceID(
        "17575550001;17575550002", "Hi", "7575550000", "Ops", "1", 10, "batch", ZERO_KEY)
    queue_ids = [r.QueueID for r in returns]
    assert [r.ResponseText for r in returns] == ["Queued", "Queued"] and len(set(queue_ids)) == 2
    emulator.set_call_status([queue_ids[1]], "in_progress")
    statuses = client.service.GetMultipleQueueIdStatus(";".join(map(str, queue_ids)), ZERO_KEY)
    assert [(s.QueueID, s.ResponseCode, s.CallComplete) for s in statuses] == [(queue_ids[0], 0, False), (queue_ids[1], 12, False)]
    assert [client.service.CancelNotify(q, ZERO_KEY) for q in queue_ids] == [True, False]
    assert client.service.CancelNotifyByReferenceID("batch", ZERO_KEY) == 0
