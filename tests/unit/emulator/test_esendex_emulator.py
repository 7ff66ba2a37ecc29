"""Fidelity tests for the Esendex US emulator: the vendor pages' sample requests over real HTTP, faults, control API, CLI."""

from __future__ import annotations

import http.client
import json
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional
from urllib.parse import urlencode

import pytest

KEY = "2b7e1516-28ae-4d2a-a6f7-15880c09cf4f"  # demo account
OTHER_KEY = "6a09e667-f3bc-4e5a-9b1d-3c6ef372fe94"  # second demo account
UNKNOWN_KEY = "1627aea5-8e0a-4371-9022-9b504344e724"  # the vendor page's sample GUID; no such account
NS = "https://ws.esendex.us/NotifyWS/"
SER_NS = "http://schemas.microsoft.com/2003/10/Serialization/"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
MESSAGING = "/Messaging.svc/CancelAllMessages"
VOICE = "/NotifyWS/PhoneNotify.asmx"
VOICE_GET = VOICE + "/CancelNotifyByReferenceID"
SOAP_ACTION = '"https://ws.esendex.us/NotifyWS/CancelNotifyByReferenceID"'
EMULATOR_DIR = Path(__file__).resolve().parents[2] / "emulator"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

SOAP11_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n'
    '  <soap:Body>\n'
    '    <CancelNotifyByReferenceID xmlns="https://ws.esendex.us/NotifyWS/">\n'
    '      <ReferenceID>{ref}</ReferenceID>\n'
    '      <LicenseKey>{key}</LicenseKey>\n'
    '    </CancelNotifyByReferenceID>\n'
    '  </soap:Body>\n'
    '</soap:Envelope>'
)

SOAP12_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">\n'
    '  <soap12:Body>\n'
    '    <CancelNotifyByReferenceID xmlns="https://ws.esendex.us/NotifyWS/">\n'
    '      <ReferenceID>{ref}</ReferenceID>\n'
    '      <LicenseKey>{key}</LicenseKey>\n'
    '    </CancelNotifyByReferenceID>\n'
    '  </soap12:Body>\n'
    '</soap12:Envelope>'
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY ref "spring-sale-2026">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<CancelNotifyByReferenceID xmlns="https://ws.esendex.us/NotifyWS/"><ReferenceID>&ref;</ReferenceID>
<LicenseKey>2b7e1516-28ae-4d2a-a6f7-15880c09cf4f</LicenseKey><Junk>&lol3;</Junk></CancelNotifyByReferenceID>
</soap:Body></soap:Envelope>"""

BARE_DOCTYPE = SOAP11_REQUEST.format(ref="spring-sale-2026", key=KEY).replace("?>\n", "?>\n<!DOCTYPE soap:Envelope>\n", 1)


class Reply(NamedTuple):
    """A complete HTTP answer."""

    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")


def call(emulator: Any, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None, timeout: float = 5.0) -> Reply:
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def control(emulator: Any, method: str, name: str, payload: Any = None) -> Any:
    """Call the JSON control API over HTTP."""
    reply = call(emulator, method, f"/_emulator/{name}", None if payload is None else json.dumps(payload),
                 {"Content-Type": "application/json"})
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    return reply.status, json.loads(reply.body)


def voice_get(emulator: Any, ref: str, key: str = KEY, path: str = VOICE_GET) -> Reply:
    """The vendor's GET request."""
    return call(emulator, "GET", f"{path}?{urlencode({'ReferenceID': ref, 'LicenseKey': key})}")


def soap11(emulator: Any, body: str, action: Optional[str] = SOAP_ACTION) -> Reply:
    """POST a SOAP 1.1 request."""
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = action
    return call(emulator, "POST", VOICE, body.encode("utf-8"), headers)


def soap12(emulator: Any, body: str) -> Reply:
    """POST a SOAP 1.2 request."""
    return call(emulator, "POST", VOICE, body.encode("utf-8"), {"Content-Type": "application/soap+xml; charset=utf-8"})


def statuses(emulator: Any, key: str, kind: str, reference_id: Optional[str] = None) -> List[str]:
    """Statuses of an account's messages or calls (optionally of one reference ID)."""
    items = emulator.get_state()["accounts"][key][kind]
    return sorted(i["status"] for i in items if reference_id is None or i["reference_id"] == reference_id)


def int_result(reply: Reply) -> int:
    """The <int> of an ASMX GET/POST answer."""
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{NS}}}int"
    return int(root.text or "")


def soap_parts(reply: Reply, env_ns: str) -> ET.Element:
    """The single child of the SOAP Body."""
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{env_ns}}}Envelope"
    body = root.find(f"{{{env_ns}}}Body")
    assert body is not None and len(body) == 1
    return body[0]


# ---- Messaging CancelAllMessages -------------------------------------------------------------------------------


def test_messaging_json_post_like_python_sample_then_idempotent(demo_emulator):
    first = call(demo_emulator, "POST", MESSAGING, json.dumps(KEY), {"Accept": "application/json", "Content-Type": "application/json"})
    assert (first.status, first.headers["Content-Type"], first.body) == (200, "application/json; charset=utf-8", b"true")
    assert statuses(demo_emulator, KEY, "messages") == ["cancelled"] * 5 + ["queued"] + ["sent"] * 2
    assert statuses(demo_emulator, OTHER_KEY, "messages") == ["scheduled", "scheduled", "sent"]
    second = call(demo_emulator, "POST", MESSAGING, json.dumps(KEY), JSON_HEADERS)
    assert (second.status, second.body) == (200, b"false")
    records = demo_emulator.cancellations()
    assert [(r["method"], r["transport"], r["license_key"], r["count"]) for r in records] == [
        ("CancelAllMessages", "json", KEY, 5), ("CancelAllMessages", "json", KEY, 0)]
    assert records[0]["cancelled_ids"] == [f"9d0c4f2e-5a1b-4c3d-8e7f-00000000010{i}" for i in range(1, 6)]


def test_messaging_xml_post_answers_datacontract_boolean(demo_emulator):
    body = f'<guid xmlns="{SER_NS}">{KEY}</guid>'
    reply = call(demo_emulator, "POST", MESSAGING, body, {"Content-Type": "application/xml"})
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/xml")
    assert reply.text == f'<boolean xmlns="{SER_NS}">true</boolean>'
    again = call(demo_emulator, "POST", MESSAGING, body, {"Content-Type": "text/xml; charset=utf-8"})
    assert again.text == f'<boolean xmlns="{SER_NS}">false</boolean>'


@pytest.mark.parametrize("content_type, accept, expected", [
    ("application/json", "application/xml", "xml"),
    ("application/json", "*/*", "json"),
    ("application/json", None, "json"),
    ("application/xml", "application/json", "json"),
    ("application/xml", "text/html, application/json;q=0.5", "json"),
    ("application/xml", "application/json;q=0.2, text/xml", "xml"),
    ("application/xml", None, "xml"),
])
def test_messaging_answer_format_follows_accept_then_body(emulator, content_type, accept, expected):
    body = json.dumps(UNKNOWN_KEY) if content_type == "application/json" else f'<guid xmlns="{SER_NS}">{UNKNOWN_KEY}</guid>'
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    reply = call(emulator, "POST", MESSAGING, body, headers)
    if expected == "json":
        assert (reply.headers["Content-Type"], reply.body) == ("application/json; charset=utf-8", b"false")
    else:
        assert reply.headers["Content-Type"].startswith("application/xml") and reply.text == f'<boolean xmlns="{SER_NS}">false</boolean>'


def test_messaging_get_with_license_key(demo_emulator):
    reply = call(demo_emulator, "GET", f"/messaging.svc/CancelAllMessages?LicenseKey={KEY}")
    assert reply.status == 200 and reply.text == f'<boolean xmlns="{SER_NS}">true</boolean>'
    assert call(demo_emulator, "GET", f"{MESSAGING}?licensekey={KEY}", headers={"Accept": "application/json"}).body == b"false"
    assert call(demo_emulator, "GET", MESSAGING, headers={"Accept": "application/json"}).body == b"false"
    assert call(demo_emulator, "GET", f"{MESSAGING}?LicenseKey=nope").status == 400


@pytest.mark.parametrize("content_type, body", [
    ("application/json", "abcdef00-0000-0000-0000-000000000000"),  # unquoted and starting with a letter (INFERRED refusal)
    ("application/json", "0x0000"),  # unquoted, starts with a digit, not a GUID
    ("application/json", ""),
    ("application/json", "42"),
    ("application/json", json.dumps({"LicenseKey": KEY})),
    ("application/json", '"not-a-guid"'),
    ("application/xml", f'<guid xmlns="{SER_NS}">{KEY}'),
    ("application/xml", f"<guid>{KEY}</guid>"),
    ("application/xml", f'<!DOCTYPE g [<!ENTITY k "{KEY}">]><guid xmlns="{SER_NS}">&k;</guid>'),
    ("text/plain", json.dumps(KEY)),
])
def test_messaging_bad_body_gets_wcf_request_error(demo_emulator, content_type, body):
    reply = call(demo_emulator, "POST", MESSAGING, body, {"Content-Type": content_type, "Accept": "application/json"})
    assert (reply.status, reply.headers["Content-Type"]) == (400, "text/html")
    assert "Request Error" in reply.text
    assert "The server encountered an error processing the request. See server logs for more details." in reply.text
    assert statuses(demo_emulator, KEY, "messages").count("scheduled") == 5 and not demo_emulator.cancellations()


def test_messaging_guid_forms_and_unknown_key(demo_emulator):
    assert call(demo_emulator, "POST", MESSAGING, json.dumps(UNKNOWN_KEY), JSON_HEADERS).body == b"false"
    assert call(demo_emulator, "POST", MESSAGING, json.dumps("{" + KEY.upper() + "}"), JSON_HEADERS).body == b"true"
    assert statuses(demo_emulator, OTHER_KEY, "messages").count("scheduled") == 2


def test_messaging_unknown_operation_is_wcf_endpoint_not_found(emulator):
    reply = call(emulator, "POST", "/Messaging.svc/CancelEverything", json.dumps(KEY), JSON_HEADERS)
    assert reply.status == 404 and "Endpoint not found." in reply.text


# ---- Voice CancelNotifyByReferenceID ---------------------------------------------------------------------------


def test_voice_get_cancels_only_scheduled_calls_of_that_reference_and_key(demo_emulator):
    reply = voice_get(demo_emulator, "spring-sale-2026")
    assert (reply.status, reply.headers["Content-Type"]) == (200, "text/xml; charset=utf-8")
    assert reply.text == f'<?xml version="1.0" encoding="utf-8"?>\n<int xmlns="{NS}">6</int>'
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026") == ["cancelled"] * 6 + ["completed"] + ["in_progress"] * 2
    assert statuses(demo_emulator, KEY, "calls", "maintenance-window-17") == ["scheduled"] * 3
    assert statuses(demo_emulator, OTHER_KEY, "calls", "spring-sale-2026") == ["completed"] + ["scheduled"] * 3
    assert int_result(voice_get(demo_emulator, "spring-sale-2026")) == 0
    record = demo_emulator.cancellations()[0]
    assert (record["method"], record["reference_id"], record["count"], record["cancelled_ids"]) == (
        "CancelNotifyByReferenceID", "spring-sale-2026", 6, [1001, 1002, 1003, 1004, 1005, 1006])


def test_voice_form_post(demo_emulator):
    body = urlencode({"ReferenceID": "maintenance-window-17", "LicenseKey": KEY})
    reply = call(demo_emulator, "POST", VOICE_GET, body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200 and int_result(reply) == 3
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == 6


def test_voice_soap11_vendor_envelope(demo_emulator):
    reply = soap11(demo_emulator, SOAP11_REQUEST.format(ref="spring-sale-2026", key=KEY))
    assert (reply.status, reply.headers["Content-Type"]) == (200, "text/xml; charset=utf-8")
    response = soap_parts(reply, SOAP11_NS)
    assert response.tag == f"{{{NS}}}CancelNotifyByReferenceIDResponse"
    assert response.findtext(f"{{{NS}}}CancelNotifyByReferenceIDResult") == "6"
    assert statuses(demo_emulator, OTHER_KEY, "calls", "spring-sale-2026").count("scheduled") == 3


def test_voice_soap12_envelope(demo_emulator):
    reply = soap12(demo_emulator, SOAP12_REQUEST.format(ref="maintenance-window-17", key=KEY))
    assert (reply.status, reply.headers["Content-Type"]) == (200, "application/soap+xml; charset=utf-8")
    assert soap_parts(reply, SOAP12_NS).findtext(f"{{{NS}}}CancelNotifyByReferenceIDResult") == "3"
    assert demo_emulator.cancellations()[0]["transport"] == "soap1.2"


@pytest.mark.parametrize("params, missing", [({"LicenseKey": KEY}, "ReferenceID"), ({"ReferenceID": "x"}, "LicenseKey"), ({}, "ReferenceID")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_voice_missing_parameter_is_asmx_500(demo_emulator, params, missing, method):
    if method == "GET":
        reply = call(demo_emulator, "GET", f"{VOICE_GET}?{urlencode(params)}")
    else:
        reply = call(demo_emulator, "POST", VOICE_GET, urlencode(params), {"Content-Type": "application/x-www-form-urlencoded"})
    assert (reply.status, reply.headers["Content-Type"]) == (500, "text/plain; charset=utf-8")
    assert reply.text.startswith(f"System.InvalidOperationException: Missing parameter: {missing}.\r\n   at System.Web.Services.")
    assert not demo_emulator.cancellations()


def test_voice_unknown_method_is_unrecognized_request_format(emulator):
    reply = call(emulator, "GET", f"{VOICE}/Xyz?ReferenceID=a&LicenseKey={KEY}")
    assert reply.status == 500
    assert "Request format is unrecognized for URL unexpectedly ending in '/Xyz'." in reply.text


@pytest.mark.parametrize("action", ['"http://ws.cdyne.com/NotifyWS/CancelNotifyByReferenceID"', "CancelNotify", None])
def test_voice_soap11_wrong_or_missing_soapaction_faults(demo_emulator, action):
    reply = soap11(demo_emulator, SOAP11_REQUEST.format(ref="spring-sale-2026", key=KEY), action)
    assert (reply.status, reply.headers["Content-Type"]) == (500, "text/xml; charset=utf-8")
    fault = soap_parts(reply, SOAP11_NS)
    assert fault.tag == f"{{{SOAP11_NS}}}Fault" and fault.findtext("faultcode") == "soap:Client"
    shown = (action or "").strip('"')
    assert fault.findtext("faultstring") == f"Server did not recognize the value of HTTP Header SOAPAction: {shown}."
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == 6


def test_voice_malformed_soap_gets_fault_of_the_right_version(demo_emulator):
    broken = SOAP11_REQUEST.format(ref="spring-sale-2026", key=KEY)[:-30]
    fault11 = soap_parts(soap11(demo_emulator, broken), SOAP11_NS)
    assert fault11.findtext("faultcode") == "soap:Client" and "Server was unable to read request." in fault11.findtext("faultstring")
    reply12 = soap12(demo_emulator, SOAP12_REQUEST.format(ref="spring-sale-2026", key=KEY)[:-30])
    assert (reply12.status, reply12.headers["Content-Type"]) == (500, "application/soap+xml; charset=utf-8")
    fault12 = soap_parts(reply12, SOAP12_NS)
    assert fault12.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") == "soap:Sender"
    wrong_version = soap11(demo_emulator, SOAP12_REQUEST.format(ref="spring-sale-2026", key=KEY))
    assert soap_parts(wrong_version, SOAP11_NS).findtext("faultcode") == "soap:VersionMismatch"
    assert not demo_emulator.cancellations()


@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, BARE_DOCTYPE])
@pytest.mark.parametrize("send", [soap11, soap12])
def test_voice_doctype_is_refused_not_expanded(demo_emulator, send, doctype):
    body = doctype if send is soap11 else doctype.replace(SOAP11_NS, SOAP12_NS)
    started = time.monotonic()
    reply = send(demo_emulator, body)
    assert reply.status == 500 and time.monotonic() - started < 2
    assert "DTD is prohibited" in reply.text
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == 6 and not demo_emulator.cancellations()


@pytest.mark.parametrize("key", [UNKNOWN_KEY, "not-a-guid", ""])
def test_voice_unknown_or_malformed_key_cancels_nothing(demo_emulator, key):
    assert int_result(voice_get(demo_emulator, "spring-sale-2026", key)) == 0
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == 6


def test_voice_reference_id_match_is_exact(demo_emulator):
    assert int_result(voice_get(demo_emulator, "SPRING-SALE-2026")) == 0
    assert int_result(voice_get(demo_emulator, "spring-sale")) == 0
    assert int_result(voice_get(demo_emulator, "spring-sale-2026", KEY.upper())) == 6


@pytest.mark.parametrize("path", [
    f"/messaging.svc/cancelallmessages?LicenseKey={KEY}",
    f"//MESSAGING.SVC//CancelAllMessages/?LicenseKey={KEY}",
    f"/notifyws/phonenotify.asmx/cancelnotifybyreferenceid?ReferenceID=spring-sale-2026&LicenseKey={KEY}",
    f"/NotifyWS//PhoneNotify.asmx/CancelNotifyByReferenceID/?ReferenceID=spring-sale-2026&LicenseKey={KEY}",
])
def test_paths_are_case_insensitive_and_tolerate_extra_slashes(demo_emulator, path):
    reply = call(demo_emulator, "GET", path)
    assert reply.status == 200 and (reply.text.endswith(">true</boolean>") or reply.text.endswith(">6</int>"))


def test_unknown_path_is_404(emulator):
    assert call(emulator, "GET", "/NotifyWS/Other.asmx").status == 404


def test_keep_alive_reuses_one_connection(demo_emulator):
    conn = http.client.HTTPConnection("127.0.0.1", demo_emulator.port, timeout=5)
    try:
        seen = set()
        for ref in ("spring-sale-2026", "maintenance-window-17", "none"):
            conn.request("GET", f"{VOICE_GET}?ReferenceID={ref}&LicenseKey={KEY}")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read().endswith(b"</int>") and not resp.will_close
            seen.add(id(conn.sock))
        assert len(seen) == 1
    finally:
        conn.close()


def test_concurrent_cancellations_count_each_call_once(demo_emulator):
    results: List[int] = []

    def worker() -> None:
        results.append(int_result(voice_get(demo_emulator, "spring-sale-2026")))

    threads = [threading.Thread(target=worker) for _attempt in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 8 and sum(results) == 6
    assert sorted(r["count"] for r in demo_emulator.cancellations()) == [0] * 7 + [6]


# ---- faults and latency ------------------------------------------------------------------------------------------


def test_fault_respond_with_retry_after_does_not_process(demo_emulator):
    demo_emulator.add_faults({"type": "respond", "status": 503, "headers": {"Retry-After": "1"}, "body": "busy"})
    reply = voice_get(demo_emulator, "spring-sale-2026")
    assert (reply.status, reply.headers["Retry-After"], reply.body) == (503, "1", b"busy")
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == 6
    assert int_result(voice_get(demo_emulator, "spring-sale-2026")) == 6
    log = demo_emulator.requests()
    assert [(e["status"], e["fault"]) for e in log] == [(503, "respond"), (200, None)]
    assert log[0]["method"] == "GET" and log[0]["path"] == VOICE_GET and "LicenseKey=" in log[0]["query"]


def test_fault_count_and_match(demo_emulator):
    demo_emulator.add_faults({"type": "respond", "status": 500, "count": 2, "match": {"path_contains": "phonenotify", "method": "GET"}})
    assert call(demo_emulator, "GET", f"{MESSAGING}?LicenseKey={UNKNOWN_KEY}").status == 200
    form = urlencode({"ReferenceID": "none", "LicenseKey": KEY})
    assert call(demo_emulator, "POST", VOICE_GET, form, {"Content-Type": "application/x-www-form-urlencoded"}).status == 200
    assert [voice_get(demo_emulator, "none").status for _attempt in range(3)] == [500, 500, 200]
    assert demo_emulator.faults() == []


def test_fault_first_matching_wins_and_null_count_is_unlimited(emulator):
    emulator.add_faults([{"type": "respond", "status": 502, "count": None, "match": {"path_contains": "Messaging.svc"}},
                         {"type": "respond", "status": 504}])
    assert [call(emulator, "GET", MESSAGING).status for _attempt in range(3)] == [502, 502, 502]
    assert voice_get(emulator, "x").status == 504
    assert [f["applied"] for f in emulator.faults()] == [3]
    emulator.clear_faults()
    assert call(emulator, "GET", MESSAGING).status == 200


def test_fault_body_template_echoes_the_license_key(emulator):
    template = "<int>{license_key}|{reference_id}</int>"
    emulator.add_faults({"type": "respond", "status": 200, "body_template": template, "content_type": "text/xml", "count": 3})
    assert voice_get(emulator, "ref-1").text == f"<int>{KEY}|ref-1</int>"
    assert call(emulator, "POST", MESSAGING, json.dumps(KEY), JSON_HEADERS).text == f"<int>{KEY}|</int>"
    assert soap11(emulator, SOAP11_REQUEST.format(ref="r2", key=KEY)).text == f"<int>{KEY}|r2</int>"


def test_fault_repeat_makes_a_body_over_one_mebibyte(emulator):
    emulator.add_faults({"type": "respond", "status": 200, "body": "<int>", "repeat": 250000, "content_type": "text/xml"})
    reply = voice_get(emulator, "x")
    assert len(reply.body) == int(reply.headers["Content-Length"]) == 1250000 > 1024 * 1024


def test_fault_delay_then_processes(demo_emulator):
    demo_emulator.add_faults({"type": "delay", "seconds": 0.3})
    started = time.monotonic()
    reply = voice_get(demo_emulator, "spring-sale-2026")
    assert time.monotonic() - started >= 0.29 and int_result(reply) == 6
    assert demo_emulator.requests()[0]["fault"] == "delay"


@pytest.mark.parametrize("process", [False, True])
def test_fault_hang_times_out_the_client(demo_emulator, process):
    demo_emulator.add_faults({"type": "hang", "seconds": 5, "process": process})
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        call(demo_emulator, "GET", f"{VOICE_GET}?ReferenceID=spring-sale-2026&LicenseKey={KEY}", timeout=0.3)
    assert time.monotonic() - started < 2
    expected = 0 if process else 6
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == expected
    assert demo_emulator.requests()[0]["status"] is None


@pytest.mark.parametrize("process", [False, True])
def test_fault_drop_closes_without_answer(demo_emulator, process):
    demo_emulator.add_faults({"type": "drop", "process": process})
    with pytest.raises(http.client.RemoteDisconnected):
        voice_get(demo_emulator, "spring-sale-2026")
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == (0 if process else 6)
    assert voice_get(demo_emulator, "none").status == 200


@pytest.mark.parametrize("process", [True, False])
def test_fault_truncate_sends_part_of_the_body(demo_emulator, process):
    demo_emulator.add_faults({"type": "truncate", "process": process})
    with pytest.raises(http.client.IncompleteRead):
        voice_get(demo_emulator, "spring-sale-2026")
    assert statuses(demo_emulator, KEY, "calls", "spring-sale-2026").count("scheduled") == (0 if process else 6)


def test_fault_probability_with_seed_is_deterministic(emulator):
    emulator.add_faults({"type": "respond", "status": 503, "probability": 0.3, "seed": 42})
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    try:
        seen = []
        for _attempt in range(60):
            conn.request("GET", f"{MESSAGING}?LicenseKey={UNKNOWN_KEY}")
            resp = conn.getresponse()
            resp.read()
            seen.append(resp.status)
    finally:
        conn.close()
    rng = random.Random(42)
    assert seen == [503 if rng.random() < 0.3 else 200 for _attempt in range(60)]
    assert 5 < seen.count(503) < 35 and emulator.faults()[0]["remaining"] is None


def test_latency_delays_service_requests_only(emulator):
    emulator.set_latency(0.25)
    started = time.monotonic()
    assert call(emulator, "GET", MESSAGING).status == 200
    assert time.monotonic() - started >= 0.24
    started = time.monotonic()
    assert control(emulator, "GET", "latency") == (200, {"seconds": 0.25})
    assert time.monotonic() - started < 0.2
    assert len(emulator.requests()) == 1


# ---- control API ---------------------------------------------------------------------------------------------------


def test_control_api_round_trip(emulator, demo_state):
    assert control(emulator, "PUT", "state", demo_state)[0] == 200
    state = control(emulator, "GET", "state")[1]
    assert sorted(state["accounts"]) == sorted([KEY, OTHER_KEY]) and len(state["accounts"][KEY]["calls"]) == 12
    assert control(emulator, "POST", "faults", {"faults": [{"type": "respond", "status": 429}]})[1]["faults"][0]["remaining"] == 1
    assert control(emulator, "DELETE", "faults") == (200, {"faults": []})
    assert control(emulator, "PUT", "latency", {"seconds": 0.01}) == (200, {"seconds": 0.01})
    voice_get(emulator, "maintenance-window-17")
    entry = control(emulator, "GET", "requests")[1][0]
    assert {k: entry[k] for k in ("method", "path", "status", "fault")} == {"method": "GET", "path": VOICE_GET, "status": 200, "fault": None}
    assert "Host" in entry["headers"] and entry["body"] == "" and "ReferenceID=maintenance-window-17" in entry["query"]
    record = control(emulator, "GET", "cancellations")[1][0]
    assert (record["license_key"], record["reference_id"], record["count"]) == (KEY, "maintenance-window-17", 3)
    assert len(record["license_key_sha256"]) == 64 and record["cancelled_ids"] == [1010, 1011, 1012]
    assert control(emulator, "DELETE", "requests") == (200, {"cleared": 1})
    assert control(emulator, "POST", "reset", {"accounts": {OTHER_KEY: {"calls": [{"reference_id": "x"}]}}})[0] == 200
    state = control(emulator, "GET", "state")[1]["accounts"]
    assert list(state) == [OTHER_KEY] and state[OTHER_KEY]["calls"][0]["status"] == "scheduled"
    assert isinstance(state[OTHER_KEY]["calls"][0]["queue_id"], int) and state[OTHER_KEY]["messages"] == []
    assert emulator.latency == 0 and emulator.cancellations() == [] and emulator.requests() == []


@pytest.mark.parametrize("method, name, payload", [
    ("POST", "faults", {"faults": [{"type": "explode"}]}),
    ("POST", "faults", {"faults": [{"type": "respond", "count": 0}]}),
    ("POST", "faults", {"faults": [{"type": "respond", "probability": 2}]}),
    ("PUT", "state", {"accounts": {"not-a-guid": {}}}),
    ("PUT", "state", {"accounts": {KEY: {"calls": [{"status": "ringing"}]}}}),
    ("PUT", "latency", {"seconds": -1}),
])
def test_control_api_rejects_invalid_input(emulator, method, name, payload):
    status, answer = control(emulator, method, name, payload)
    assert status == 400 and answer["error"]
    assert emulator.faults() == [] and emulator.get_state() == {"accounts": {}}


def test_control_api_unknown_endpoint_and_malformed_json(emulator):
    assert control(emulator, "GET", "nothing")[0] == 404
    reply = call(emulator, "PUT", "/_emulator/state", "{", {"Content-Type": "application/json"})
    assert reply.status == 400 and "error" in json.loads(reply.body)


def test_emulator_server_context_manager(emulator_module):
    with emulator_module.EmulatorServer(state={"accounts": {KEY: {"messages": [{}]}}}) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}" and server.voice_url.endswith(VOICE)
        assert call(server, "GET", f"{MESSAGING}?LicenseKey={KEY}").text.endswith(">true</boolean>")
    with pytest.raises(ConnectionRefusedError):
        call(server, "GET", MESSAGING, timeout=1)


# ---- command line ------------------------------------------------------------------------------------------------


def _wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 10.0) -> str:
    """Poll for the --url-file like a shell script would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_text(encoding="utf-8"):
            return path.read_text(encoding="utf-8")
        time.sleep(0.02)
    raise AssertionError("the emulator did not write its URL file")


def test_cli_serves_state_file_and_exits_cleanly_without_printing_the_key(tmp_path):
    url_file = tmp_path / "url"
    command = [sys.executable, str(EMULATOR_DIR / "esendex_emulator.py"), "--port", "0", "--state", str(EMULATOR_DIR / "demo_state.json"),
               "--url-file", str(url_file)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _wait_for_file(url_file, proc)
        port = int(url.rsplit(":", 1)[1])
        server = type("Peer", (), {"port": port})()
        assert url == f"http://127.0.0.1:{port}"
        assert int_result(voice_get(server, "spring-sale-2026")) == 6
        assert call(server, "POST", MESSAGING, json.dumps(KEY), JSON_HEADERS).body == b"true"
        assert call(server, "GET", f"/Messaging.svc/{KEY}?LicenseKey={KEY}").status == 404
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == f"Esendex US emulator listening on {url}\n"
    assert "GET /NotifyWS/PhoneNotify.asmx/CancelNotifyByReferenceID 200" in err and "Traceback" not in err
    for secret in (KEY, KEY.upper(), KEY.replace("-", "")):
        assert secret not in out + err


def test_cli_bad_state_file_fails_without_echoing_it(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"accounts": {KEY: {"calls": [{"status": "ringing"}]}}}), encoding="utf-8")
    command = [sys.executable, str(EMULATOR_DIR / "esendex_emulator.py"), "--port", "0", "--state", str(state), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 2 and "cannot start" in done.stderr and KEY not in done.stderr + done.stdout


# ---- IDs in the state --------------------------------------------------------------------------------------------


def test_state_without_ids_gets_the_same_ids_every_time(emulator):
    doc = {"accounts": {KEY: {"messages": [{"to": "+1"}, {"to": "+2"}], "calls": [{"reference_id": "r"}, {"queue_id": 100005}, {}]},
                        OTHER_KEY: {"calls": [{}]}}}
    first = emulator.set_state(doc)["accounts"]
    second = emulator.set_state(doc)["accounts"]
    assert first == second
    ids = [m["id"] for m in first[KEY]["messages"]]
    assert len(set(ids)) == 2 and all(str(uuid.UUID(i)) == i for i in ids)
    # calls without a QueueID are numbered after the largest one given, in document order
    assert [c["queue_id"] for c in first[KEY]["calls"]] == [100006, 100005, 100007]
    assert [c["queue_id"] for c in first[OTHER_KEY]["calls"]] == [100008]
    emulator.add_account(UNKNOWN_KEY, calls=[{}])
    assert emulator.get_state()["accounts"][UNKNOWN_KEY]["calls"][0]["queue_id"] == 100009


def test_state_accepts_message_id_alias_and_queued_call_status(emulator):
    mid = "9D0C4F2E-5A1B-4C3D-8E7F-0000000009AA"
    state = emulator.set_state({"accounts": {KEY: {"messages": [{"message_id": mid}], "calls": [{"queue_id": 7, "status": "queued"}]}}})
    account = state["accounts"][KEY]
    assert account["messages"][0]["id"] == mid.lower() and account["calls"][0]["status"] == "scheduled"


@pytest.mark.parametrize("doc", [
    {"accounts": {KEY: {"calls": [{"queue_id": 0}]}}},
    {"accounts": {KEY: {"calls": [{"queue_id": 2 ** 63}]}}},
    {"accounts": {KEY: {"calls": [{"queue_id": "7"}]}}},
    {"accounts": {KEY: {"messages": [{"id": "not-a-guid"}]}}},
])
def test_state_refuses_bad_ids(emulator, doc):
    with pytest.raises(ValueError):
        emulator.set_state(doc)


def test_demo_state_file_carries_message_and_queue_ids():
    doc = json.loads((EMULATOR_DIR / "demo_state.json").read_text(encoding="utf-8"))
    messages = [m for a in doc["accounts"].values() for m in a["messages"]]
    calls = [c for a in doc["accounts"].values() for c in a["calls"]]
    assert all(str(uuid.UUID(m["id"])) == m["id"] for m in messages) and len({m["id"] for m in messages}) == len(messages)
    assert all(isinstance(c["queue_id"], int) for c in calls) and len({c["queue_id"] for c in calls}) == len(calls)


# ---- Messaging CancelMessage ---------------------------------------------------------------------------------------

MID = "9d0c4f2e-5a1b-4c3d-8e7f-000000000101"  # demo key, scheduled
CANCEL_MESSAGE = "/Messaging.svc/CancelMessage"


def message_status(emulator: Any, message_id: str) -> str:
    return next(m["status"] for a in emulator.get_state()["accounts"].values() for m in a["messages"] if m["id"] == message_id)


def test_cancel_message_json_post_needs_no_key_and_touches_only_that_message(demo_emulator):
    reply = call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS)
    assert (reply.status, reply.headers["Content-Type"], reply.body) == (200, "application/json; charset=utf-8", b"true")
    assert statuses(demo_emulator, KEY, "messages") == ["cancelled"] + ["queued"] + ["scheduled"] * 4 + ["sent"] * 2
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS).body == b"false"
    records = demo_emulator.cancellations()
    assert [(r["method"], r["transport"], r["license_key"], r["message_id"], r["cancelled_ids"]) for r in records] == [
        ("CancelMessage", "json", None, MID, [MID]), ("CancelMessage", "json", None, MID, [])]


def test_cancel_message_xml_post_and_get(demo_emulator):
    other = "4f1bbcdc-1a2b-4c3d-9e8f-000000000201"  # second key's message: a MessageID is enough
    reply = call(demo_emulator, "POST", CANCEL_MESSAGE, f'<guid xmlns="{SER_NS}">{other.upper()}</guid>', {"Content-Type": "application/xml"})
    assert reply.text == f'<boolean xmlns="{SER_NS}">true</boolean>' and message_status(demo_emulator, other) == "cancelled"
    got = call(demo_emulator, "GET", f"/messaging.svc/cancelmessage?MessageID={MID}")
    assert got.text == f'<boolean xmlns="{SER_NS}">true</boolean>' and message_status(demo_emulator, MID) == "cancelled"
    assert call(demo_emulator, "GET", CANCEL_MESSAGE, headers={"Accept": "application/json"}).body == b"false"  # Guid.Empty
    assert call(demo_emulator, "GET", f"{CANCEL_MESSAGE}?MessageID=nope").status == 400


@pytest.mark.parametrize("message_id", [
    "9d0c4f2e-5a1b-4c3d-8e7f-000000000106",  # sent
    "9d0c4f2e-5a1b-4c3d-8e7f-000000000108",  # queued
    UNKNOWN_KEY,  # no such message
])
def test_cancel_message_false_for_sent_queued_or_unknown(demo_emulator, message_id):
    before = demo_emulator.get_state()
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(message_id), JSON_HEADERS).body == b"false"
    assert demo_emulator.get_state() == before


@pytest.mark.parametrize("body, status", [
    ("9d0c4f2e-5a1b-4c3d-8e7f-000000000101", 200),  # unquoted, starts with a digit: read as a number token (INFERRED)
    ("  9d0c4f2e-5a1b-4c3d-8e7f-000000000101\n", 200),
    ("abcdef01-5a1b-4c3d-8e7f-000000000101", 400),  # unquoted, starts with a letter: refused (INFERRED)
    ('{"MessageID": "9d0c4f2e-5a1b-4c3d-8e7f-000000000101"}', 400),
])
def test_cancel_message_unquoted_guid_rule(demo_emulator, body, status):
    reply = call(demo_emulator, "POST", CANCEL_MESSAGE, body, JSON_HEADERS)
    assert reply.status == status
    assert message_status(demo_emulator, MID) == ("cancelled" if status == 200 else "scheduled")


def test_cancel_all_messages_accepts_the_javascript_samples_unquoted_guid(demo_emulator):
    reply = call(demo_emulator, "POST", MESSAGING, KEY, JSON_HEADERS)  # the demo key starts with a digit
    assert (reply.status, reply.body) == (200, b"true")
    assert call(demo_emulator, "POST", MESSAGING, "6a09e667-f3bc-4e5a-9b1d-3c6ef372fe94"[::-1], JSON_HEADERS).status == 400


# ---- Messaging SendMessage -----------------------------------------------------------------------------------------

SEND = "/Messaging.svc/SendMessage"


def send_message(emulator: Any, **fields: Any) -> Reply:
    doc = {"LicenseKey": KEY, "To": ["+15555550199", "+15555550198"], "Body": "Hi", "From": "+15555550100",
           "ScheduledDateTime": "/Date(4102444800000)/", **fields}  # 2100-01-01
    return call(emulator, "POST", SEND, json.dumps(doc), JSON_HEADERS)


def test_send_message_returns_a_message_id_per_recipient_that_cancel_message_cancels(demo_emulator):
    reply = send_message(demo_emulator, ReferenceID="batch-7")
    answers = json.loads(reply.body)
    assert reply.status == 200 and [a["To"] for a in answers] == ["+15555550199", "+15555550198"]
    assert all(a["MessageStatus"] == 201 and str(uuid.UUID(a["MessageID"])) == a["MessageID"] for a in answers)
    stored = demo_emulator.get_state()["accounts"][KEY]["messages"][-2:]
    assert [(m["id"], m["to"], m["status"], m["reference_id"]) for m in stored] == [
        (a["MessageID"], a["To"], "scheduled", "batch-7") for a in answers]
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(answers[0]["MessageID"]), JSON_HEADERS).body == b"true"
    assert [m["status"] for m in demo_emulator.get_state()["accounts"][KEY]["messages"][-2:]] == ["cancelled", "scheduled"]


def test_send_message_without_future_date_is_sent_and_cannot_be_cancelled(demo_emulator):
    answers = json.loads(send_message(demo_emulator, ScheduledDateTime=None, To=["+15555550199"]).body)
    assert answers[0]["MessageStatus"] == 200 and message_status(demo_emulator, answers[0]["MessageID"]) == "sent"
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(answers[0]["MessageID"]), JSON_HEADERS).body == b"false"


def test_send_message_unknown_key_gets_invalid_license_key_and_stores_nothing(demo_emulator):
    before = demo_emulator.get_state()
    answers = json.loads(send_message(demo_emulator, LicenseKey=UNKNOWN_KEY).body)
    assert [(a["MessageStatus"], a["MessageID"]) for a in answers] == [(401, "00000000-0000-0000-0000-000000000000")] * 2
    assert demo_emulator.get_state() == before


@pytest.mark.parametrize("fields", [{"LicenseKey": "nope"}, {"To": "+15555550199"}, {"ScheduledDateTime": "2100-01-01T00:00:00Z"}])
def test_send_message_undeserializable_body_is_400(demo_emulator, fields):
    assert send_message(demo_emulator, **fields).status == 400


# ---- Voice CancelNotify --------------------------------------------------------------------------------------------


def bool_result(reply: Reply) -> bool:
    root = ET.fromstring(reply.body)
    assert reply.status == 200 and root.tag == f"{{{NS}}}boolean" and root.text in ("true", "false")
    return root.text == "true"


def call_status(emulator: Any, queue_id: int) -> str:
    return next(c["status"] for a in emulator.get_state()["accounts"].values() for c in a["calls"] if c["queue_id"] == queue_id)


def soap_request(version: int, operation: str, inner: str) -> str:
    env = SOAP11_NS if version == 11 else SOAP12_NS
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{env}"><soap:Body>'
            f'<{operation} xmlns="{NS}">{inner}</{operation}></soap:Body></soap:Envelope>')


def soap_call(emulator: Any, version: int, operation: str, inner: str) -> Reply:
    body = soap_request(version, operation, inner)
    if version == 11:
        return soap11(emulator, body, f'"{NS}{operation}"')
    return soap12(emulator, body)


def form_post(emulator: Any, operation: str, params: Dict[str, str]) -> Reply:
    return call(emulator, "POST", f"{VOICE}/{operation}", urlencode(params), {"Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("transport", ["get", "post", "soap11", "soap12"])
def test_cancel_notify_every_transport(demo_emulator, transport):
    def send(queue_id, key=KEY):
        if transport == "get":
            return bool_result(call(demo_emulator, "GET", f"{VOICE}/CancelNotify?{urlencode({'QueueID': queue_id, 'LicenseKey': key})}"))
        if transport == "post":
            return bool_result(form_post(demo_emulator, "CancelNotify", {"QueueID": str(queue_id), "LicenseKey": key}))
        version = 11 if transport == "soap11" else 12
        part = soap_parts(soap_call(demo_emulator, version, "CancelNotify", f"<QueueID>{queue_id}</QueueID><LicenseKey>{key}</LicenseKey>"),
                          SOAP11_NS if version == 11 else SOAP12_NS)
        assert part.tag == f"{{{NS}}}CancelNotifyResponse"
        return part.findtext(f"{{{NS}}}CancelNotifyResult") == "true"

    assert send(1001) is True and call_status(demo_emulator, 1001) == "cancelled"
    assert send(1001) is False  # already cancelled
    assert send(1007) is False and call_status(demo_emulator, 1007) == "in_progress"
    assert send(1009) is False and call_status(demo_emulator, 1009) == "completed"
    assert send(2001) is False and call_status(demo_emulator, 2001) == "scheduled"  # another key's call
    assert send(2001, OTHER_KEY) is True
    assert send(999999) is False
    assert [c["cancelled_ids"] for c in demo_emulator.cancellations() if c["count"]] == [[1001], [2001]]
    assert demo_emulator.cancellations()[0]["queue_id"] == 1001


@pytest.mark.parametrize("value", ["abc", "1.5", "9223372036854775808", ""])
def test_cancel_notify_queue_id_not_an_int64_is_asmx_500(demo_emulator, value):
    reply = form_post(demo_emulator, "CancelNotify", {"QueueID": value, "LicenseKey": KEY})
    assert (reply.status, reply.headers["Content-Type"]) == (500, "text/plain; charset=utf-8")
    assert reply.text.startswith(f"System.InvalidOperationException: Cannot convert {value} to System.Int64.")
    fault = soap_call(demo_emulator, 11, "CancelNotify", f"<QueueID>{value}</QueueID><LicenseKey>{KEY}</LicenseKey>")
    assert fault.status == 500 and soap_parts(fault, SOAP11_NS).findtext("faultcode") == "soap:Client"
    assert statuses(demo_emulator, KEY, "calls").count("scheduled") == 9


def test_cancel_notify_missing_parameter(demo_emulator):
    reply = call(demo_emulator, "GET", f"{VOICE}/CancelNotify?LicenseKey={KEY}")
    assert reply.status == 500 and reply.text.startswith("System.InvalidOperationException: Missing parameter: QueueID.")


# ---- Voice GetMultipleQueueIdStatus --------------------------------------------------------------------------------

NOTIFY_RETURN_ORDER = ["ResponseCode", "ResponseText", "CallAnswered", "QueueID", "TryCount", "Demo", "DigitsPressed",
                       "MachineDetection", "Duration", "StartTime", "EndTime", "MinuteRate", "Country", "CallComplete",
                       "TextToSay", "VariableArray"]


def notify_returns(parent: ET.Element) -> List[Dict[str, str]]:
    """NotifyReturn entries as dicts, checking the children keep the documented order."""
    found = []
    for item in parent:
        assert item.tag == f"{{{NS}}}NotifyReturn"
        names = [child.tag.split("}")[1] for child in item]
        assert names == [n for n in NOTIFY_RETURN_ORDER if n in names]
        found.append({child.tag.split("}")[1]: child.text or "" for child in item})
    return found


def test_get_multiple_queue_id_status_form_post(demo_emulator):
    demo_emulator.cancel_call(KEY, 1002, "test")
    reply = form_post(demo_emulator, "GetMultipleQueueIdStatus", {"QueueIDs": "1001;1007; 1009;1002;2001;424242;x;1001", "LicenseKey": KEY})
    root = ET.fromstring(reply.body)
    assert (reply.status, reply.headers["Content-Type"], root.tag) == (200, "text/xml; charset=utf-8", f"{{{NS}}}ArrayOfNotifyReturn")
    entries = notify_returns(root)
    got = [(e["QueueID"], e["ResponseCode"], e["ResponseText"], e["CallComplete"], e["CallAnswered"]) for e in entries]
    assert got == [("1001", "0", "Queued", "false", "false"), ("1007", "12", "Dialing", "false", "false"),
                   ("1009", "1", "Call Answered", "true", "true"), ("1002", "22", "Cancelled", "true", "false")]
    assert entries[0]["StartTime"] == "0001-01-01T00:00:00" and "DigitsPressed" not in entries[0]  # null strings left out
    assert form_post(demo_emulator, "GetMultipleQueueIdStatus", {"QueueIDs": "1001", "LicenseKey": UNKNOWN_KEY}).text.endswith(
        f'xmlns="{NS}"></ArrayOfNotifyReturn>')
    assert demo_emulator.cancellations()[-1]["queue_id"] == 1002  # reading changed nothing


@pytest.mark.parametrize("version", [11, 12])
def test_get_multiple_queue_id_status_soap_and_get(demo_emulator, version):
    reply = soap_call(demo_emulator, version, "GetMultipleQueueIdStatus", f"<QueueIDs>1003;2002</QueueIDs><LicenseKey>{KEY}</LicenseKey>")
    part = soap_parts(reply, SOAP11_NS if version == 11 else SOAP12_NS)
    assert part.tag == f"{{{NS}}}GetMultipleQueueIdStatusResponse"
    assert [e["QueueID"] for e in notify_returns(part.find(f"{{{NS}}}GetMultipleQueueIdStatusResult"))] == ["1003"]
    got = call(demo_emulator, "GET", f"{VOICE}/GetMultipleQueueIdStatus?{urlencode({'QueueIDs': '2002;2004', 'LicenseKey': OTHER_KEY})}")
    assert [(e["QueueID"], e["ResponseCode"]) for e in notify_returns(ET.fromstring(got.body))] == [("2002", "0"), ("2004", "1")]


# ---- call status through the control API ---------------------------------------------------------------------------


def test_control_moves_calls_through_their_statuses(demo_emulator):
    status, body = control(demo_emulator, "POST", "calls/status", {"queue_ids": [1001, 1002], "status": "in_progress"})
    assert (status, body) == (200, {"updated": [1001, 1002]})
    assert bool_result(form_post(demo_emulator, "CancelNotify", {"QueueID": "1001", "LicenseKey": KEY})) is False
    control(demo_emulator, "POST", "calls/status", {"queue_ids": [1002], "status": "completed"})
    control(demo_emulator, "POST", "calls/status", {"queue_ids": [1001], "status": "queued"})
    assert bool_result(form_post(demo_emulator, "CancelNotify", {"QueueID": "1001", "LicenseKey": KEY})) is True
    status, calls = control(demo_emulator, "GET", "calls")
    by_id = {c["queue_id"]: c for c in calls}
    assert (by_id[1001]["status"], by_id[1001]["response_code"]) == ("cancelled", 22)
    assert (by_id[1002]["status"], by_id[1002]["response_code"], by_id[1002]["response_text"]) == ("completed", 1, "Call Answered")
    assert all("license_key" not in c and len(c["license_key_sha256"]) == 64 for c in calls)
    # CancelNotifyByReferenceID honours the new statuses too
    assert int_result(voice_get(demo_emulator, "spring-sale-2026")) == 4


@pytest.mark.parametrize("payload", [{"queue_ids": [1001, 5], "status": "completed"}, {"queue_ids": [1001], "status": "ringing"},
                                     {"queue_ids": "1001", "status": "completed"}, [1001]])
def test_control_call_status_is_all_or_nothing(demo_emulator, payload):
    status, body = control(demo_emulator, "POST", "calls/status", payload)
    assert status == 400 and "error" in body and call_status(demo_emulator, 1001) == "scheduled"


def test_control_message_status_and_listing(demo_emulator):
    status, body = control(demo_emulator, "POST", "messages/status", {"message_ids": [MID.upper()], "status": "sent"})
    assert (status, body) == (200, {"updated": [MID]})
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS).body == b"false"
    _status, messages = control(demo_emulator, "GET", "messages")
    assert next(m for m in messages if m["message_id"] == MID)["status"] == "sent" and len(messages) == 11
    assert control(demo_emulator, "POST", "messages/status", {"message_ids": [UNKNOWN_KEY], "status": "sent"})[0] == 400


# ---- Voice scheduling: NotifyMultiplePhoneBasicWithCPMandReferenceID and NotifyPhoneAdvanced -----------------------

NOTIFY_MULTIPLE = "NotifyMultiplePhoneBasicWithCPMandReferenceID"


def notify_multiple_params(**extra: str) -> Dict[str, str]:
    return {"PhoneNumbersToDial": "15555550130;15555550131;15555550132", "TextToSay": "Drill at 10.", "CallerID": "5555550100",
            "CallerIDname": "Ops", "VoiceID": "1", "CallsPerMinute": "10", "ReferenceID": "drill-1", "LicenseKey": KEY, **extra}


def test_notify_multiple_schedules_calls_with_queue_ids_then_they_cancel(demo_emulator):
    reply = form_post(demo_emulator, NOTIFY_MULTIPLE, notify_multiple_params())
    entries = notify_returns(ET.fromstring(reply.body))
    assert [(e["ResponseCode"], e["ResponseText"], e["QueueID"], e["CallComplete"]) for e in entries] == [
        ("0", "Queued", str(q), "false") for q in (100001, 100002, 100003)]  # from 100001 (or after the largest in use)
    stored = demo_emulator.get_state()["accounts"][KEY]["calls"][-3:]
    assert [(c["queue_id"], c["to"], c["reference_id"], c["status"]) for c in stored] == [
        (100001, "15555550130", "drill-1", "scheduled"), (100002, "15555550131", "drill-1", "scheduled"),
        (100003, "15555550132", "drill-1", "scheduled")]
    control(demo_emulator, "POST", "calls/status", {"queue_ids": [100002], "status": "in_progress"})
    assert int_result(voice_get(demo_emulator, "drill-1")) == 2


def test_notify_multiple_get_unknown_key_and_bad_cpm(demo_emulator):
    got = call(demo_emulator, "GET", f"{VOICE}/{NOTIFY_MULTIPLE}?{urlencode(notify_multiple_params(LicenseKey=UNKNOWN_KEY))}")
    entries = notify_returns(ET.fromstring(got.body))
    assert [(e["ResponseCode"], e["QueueID"]) for e in entries] == [("14", "0")] * 3
    bad = form_post(demo_emulator, NOTIFY_MULTIPLE, notify_multiple_params(CallsPerMinute="ten"))
    assert bad.status == 500 and "System.Int32" in bad.text
    missing = form_post(demo_emulator, NOTIFY_MULTIPLE, {k: v for k, v in notify_multiple_params().items() if k != "ReferenceID"})
    assert missing.status == 500 and "Missing parameter: ReferenceID." in missing.text
    assert len(demo_emulator.get_state()["accounts"][KEY]["calls"]) == 12


@pytest.mark.parametrize("version", [11, 12])
def test_notify_phone_advanced_over_soap(demo_emulator, version):
    anr = (f"<anr><PhoneNumberToDial>17575559999</PhoneNumberToDial><VoiceID>1</VoiceID><TextToSay>Hello</TextToSay>"
           f"<LicenseKey>{KEY}</LicenseKey><TryCount>2</TryCount><UTCScheduledDateTime>2100-01-01T00:00:00Z</UTCScheduledDateTime>"
           f"<ReferenceID>notify1</ReferenceID></anr>")
    part = soap_parts(soap_call(demo_emulator, version, "NotifyPhoneAdvanced", anr), SOAP11_NS if version == 11 else SOAP12_NS)
    result = part.find(f"{{{NS}}}NotifyPhoneAdvancedResult")
    assert part.tag == f"{{{NS}}}NotifyPhoneAdvancedResponse" and result is not None
    fields = {child.tag.split("}")[1]: child.text for child in result}
    assert (fields["ResponseCode"], fields["ResponseText"], fields["QueueID"], fields["TextToSay"]) == ("0", "Queued", "100001", "Hello")
    (stored,) = [c for c in demo_emulator.get_state()["accounts"][KEY]["calls"] if c["reference_id"] == "notify1"]
    assert (stored["queue_id"], stored["to"], stored["scheduled_for"]) == (100001, "17575559999", "2100-01-01T00:00:00Z")
    assert call(demo_emulator, "GET", f"{VOICE}/NotifyPhoneAdvanced").status == 500  # complex parameter: SOAP only


# ---- fault targeting by operation and ID ---------------------------------------------------------------------------


def test_fault_targets_operation_and_queue_id(demo_emulator):
    demo_emulator.add_faults({"type": "respond", "status": 503, "count": None, "match": {"operation": "CancelNotify", "queue_id": 1003}})
    assert form_post(demo_emulator, "CancelNotify", {"QueueID": "1003", "LicenseKey": KEY}).status == 503
    assert soap_call(demo_emulator, 12, "CancelNotify", f"<QueueID>1003</QueueID><LicenseKey>{KEY}</LicenseKey>").status == 503
    assert bool_result(form_post(demo_emulator, "CancelNotify", {"QueueID": "1004", "LicenseKey": KEY})) is True
    # CancelNotifyByReferenceID is another operation even though its path contains "CancelNotify"
    assert voice_get(demo_emulator, "maintenance-window-17").status == 200
    # a status read carrying that ID among others is another operation too
    assert form_post(demo_emulator, "GetMultipleQueueIdStatus", {"QueueIDs": "1003;1004", "LicenseKey": KEY}).status == 200
    assert call_status(demo_emulator, 1003) == "scheduled" and demo_emulator.faults()[0]["applied"] == 2


def test_fault_targets_queue_id_inside_a_status_read_and_reference_id(demo_emulator):
    demo_emulator.add_faults({"type": "drop", "match": {"queue_id": "1005"}},
                             {"type": "respond", "status": 500, "match": {"reference_id": "maintenance-window-17"}})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        form_post(demo_emulator, "GetMultipleQueueIdStatus", {"QueueIDs": "1004;1005", "LicenseKey": KEY})
    assert voice_get(demo_emulator, "spring-sale-2026").status == 200
    assert soap11(demo_emulator, SOAP11_REQUEST.format(ref="maintenance-window-17", key=KEY)).status == 500
    assert statuses(demo_emulator, KEY, "calls", "maintenance-window-17") == ["scheduled"] * 3
    assert demo_emulator.faults() == []


def test_fault_targets_message_id(demo_emulator):
    demo_emulator.add_faults({"type": "respond", "status": 502, "match": {"message_id": MID.upper()}})
    other = "9d0c4f2e-5a1b-4c3d-8e7f-000000000102"
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(other), JSON_HEADERS).body == b"true"
    assert call(demo_emulator, "GET", f"{CANCEL_MESSAGE}?MessageID={MID}").status == 502
    assert message_status(demo_emulator, MID) == "scheduled"


def test_fault_body_template_echoes_queue_and_message_ids(emulator):
    emulator.add_faults({"type": "respond", "status": 200, "count": 2, "body_template": "q={queue_id} m={message_id}"})
    assert form_post(emulator, "CancelNotify", {"QueueID": "77", "LicenseKey": KEY}).text == "q=77 m="
    assert call(emulator, "POST", CANCEL_MESSAGE, json.dumps(MID.upper()), JSON_HEADERS).text == f"q= m={MID}"


@pytest.mark.parametrize("match", [{"queue": 1}, {"queue_id": 1.5}, {"reference_id": 7}, {"operation": None}])
def test_fault_match_fields_are_checked(emulator, match):
    with pytest.raises(ValueError):
        emulator.add_faults({"type": "drop", "match": match})


# ---- WSDL ----------------------------------------------------------------------------------------------------------

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


@pytest.mark.parametrize("path", [f"{VOICE}?wsdl", f"{VOICE}?WSDL", "/notifyws/phonenotify.asmx?Wsdl"])
def test_phone_notify_wsdl_describes_the_emulated_operations(emulator, path):
    reply = call(emulator, "GET", path, headers={"Host": "voice.example.test:8443"})
    root = ET.fromstring(reply.body)
    assert (reply.status, root.tag, root.get("targetNamespace")) == (200, f"{{{WSDL_NS}}}definitions", NS)
    schema = root.find(f"{{{WSDL_NS}}}types/{{http://www.w3.org/2001/XMLSchema}}schema")
    assert schema is not None and schema.get("elementFormDefault") == "qualified"
    soap_ns = "http://schemas.xmlsoap.org/wsdl/soap/"
    actions = {op.get("name"): op.find(f"{{{soap_ns}}}operation").get("soapAction")
               for op in root.find(f"{{{WSDL_NS}}}binding").findall(f"{{{WSDL_NS}}}operation")}
    assert actions == {op: NS + op for op in ("CancelNotifyByReferenceID", "CancelNotify", "GetMultipleQueueIdStatus",
                                              NOTIFY_MULTIPLE, "NotifyPhoneAdvanced")}
    locations = [a.get("location") for a in root.iter() if a.tag.endswith("}address")]
    assert locations == ["http://voice.example.test:8443/NotifyWS/PhoneNotify.asmx"] * 2


def test_messaging_wsdl_and_a_bad_host_header(emulator):
    reply = call(emulator, "GET", "/Messaging.svc?wsdl", headers={"Host": 'evil"><x'})
    root = ET.fromstring(reply.body)
    assert [op.get("name") for op in root.find(f"{{{WSDL_NS}}}portType")] == ["CancelAllMessages", "CancelMessage", "GetMessageStatus"]
    assert [a.get("location") for a in root.iter() if a.tag.endswith("}address")] == ["http://localhost/Messaging.svc"]
    assert call(emulator, "GET", VOICE).headers["Content-Type"].startswith("text/html")  # the help page without ?wsdl


# ---- HTTP framing --------------------------------------------------------------------------------------------------


def raw_exchange(emulator: Any, data: bytes, timeout: float = 2.0) -> bytes:
    """Send raw bytes and read until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            chunks.append(b"<quiet>")
        return b"".join(chunks)


def test_http10_keep_alive_is_answered_and_honoured(demo_emulator):
    request = f"GET {VOICE_GET}?ReferenceID=none&LicenseKey={KEY} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", demo_emulator.port), timeout=2) as sock:
        for unused in range(2):  # the same connection serves a second request
            sock.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            assert b"\r\nConnection: keep-alive\r\n" in head
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            body = b""
            while len(body) < length:
                body += sock.recv(length - len(body))
            assert body.endswith(b">0</int>")


def test_http10_without_keep_alive_gets_connection_close(demo_emulator):
    answer = raw_exchange(demo_emulator, f"GET {VOICE_GET}?ReferenceID=none&LicenseKey={KEY} HTTP/1.0\r\n\r\n".encode())
    assert b"\r\nConnection: close\r\n" in answer and answer.endswith(b">0</int>")  # closed, not quiet


def test_chunked_request_body_is_accepted_and_logged(demo_emulator):
    body = json.dumps(KEY).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    answer = raw_exchange(demo_emulator, b"POST " + MESSAGING.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Accept: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\ntrue")
    assert demo_emulator.requests()[-1]["body"] == json.dumps(KEY)


def test_malformed_chunked_body_is_400_with_connection_close(emulator):
    answer = raw_exchange(emulator, b"POST " + MESSAGING.encode() + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b"\r\nConnection: close\r\n" in answer


def test_body_over_the_cap_is_413_and_closed(emulator, emulator_module):
    head = f"POST {MESSAGING} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {emulator_module.MAX_BODY + 1}\r\n\r\n"
    answer = raw_exchange(emulator, head.encode())
    assert answer.startswith(b"HTTP/1.1 413 ") and b"\r\nConnection: close\r\n" in answer and not answer.endswith(b"<quiet>")
    assert emulator.requests() == []


def test_head_answers_headers_only_and_changes_nothing(demo_emulator):
    before = demo_emulator.get_state()
    conn = http.client.HTTPConnection("127.0.0.1", demo_emulator.port, timeout=5)
    try:
        conn.request("HEAD", f"{MESSAGING}?LicenseKey={KEY}")
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, b"") and int(resp.headers["Content-Length"]) > 0
        conn.request("GET", f"{VOICE}?wsdl")  # the connection is still usable
        assert conn.getresponse().read().startswith(b"<?xml")
    finally:
        conn.close()
    raw = raw_exchange(demo_emulator, f"HEAD {MESSAGING}?LicenseKey={KEY} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(b"\r\n\r\n")  # headers only
    assert demo_emulator.get_state() == before


def test_options_lists_the_methods(emulator):
    reply = call(emulator, "OPTIONS", VOICE)
    assert (reply.status, reply.body) == (200, b"") and "POST" in reply.headers["Allow"]


def test_truncate_fault_says_connection_close(demo_emulator):
    demo_emulator.add_faults({"type": "truncate", "bytes": 5})
    answer = raw_exchange(demo_emulator, f"GET {VOICE_GET}?ReferenceID=none&LicenseKey={KEY} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert b"\r\nConnection: close\r\n" in answer and not answer.endswith(b"<quiet>")


# ---- Messaging GetMessageStatus ------------------------------------------------------------------------------------

STATUS = "/Messaging.svc/GetMessageStatus"
MIN_DATE = "/Date(-62135596800000)/"
SEEDED_SENT = "/Date(1796115600000)/"  # a message seeded as sent without sent_time_ms


def message_status_json(emulator: Any, message_id: str, path: str = STATUS) -> Dict[str, Any]:
    """POST a bare JSON string MessageID, as the collection does, and decode the SMSResponse."""
    reply = call(emulator, "POST", path, json.dumps(message_id), JSON_HEADERS)
    assert (reply.status, reply.headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert reply.body.count(b"\\/Date(") == 1  # WCF escapes the slashes of a date
    return json.loads(reply.body)


def sms_response(message_id: str, status: str = "", sent: str = MIN_DATE, error: int = 0, reference_id: Optional[str] = None) -> Dict[str, Any]:
    return {"Cancelled": status == "cancelled", "MessageID": message_id, "Queued": status == "queued", "ReferenceID": reference_id,
            "SMSError": error, "SMSIncomingMessages": None, "Sent": status == "sent", "SentDateTime": sent}


@pytest.mark.parametrize("message_id, status, sent", [
    (MID, "scheduled", MIN_DATE),
    ("9d0c4f2e-5a1b-4c3d-8e7f-000000000106", "sent", SEEDED_SENT),
    ("9d0c4f2e-5a1b-4c3d-8e7f-000000000108", "queued", MIN_DATE),
    ("4f1bbcdc-1a2b-4c3d-9e8f-000000000201", "scheduled", MIN_DATE),  # another account's message: no key needed
])
def test_get_message_status_maps_each_stored_status(demo_emulator, message_id, status, sent):
    assert message_status_json(demo_emulator, message_id.upper()) == sms_response(message_id, status, sent)


def test_get_message_status_answer_is_wcf_json_text(demo_emulator):
    reply = call(demo_emulator, "POST", STATUS, json.dumps(MID), JSON_HEADERS)
    assert reply.text == ('{"Cancelled":false,"MessageID":"' + MID + '","Queued":false,"ReferenceID":null,"SMSError":0,'
                          '"SMSIncomingMessages":null,"Sent":false,"SentDateTime":"\\/Date(-62135596800000)\\/"}')


def test_get_message_status_reads_cancelled_and_sent_messages_with_their_times(demo_emulator):
    call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS)
    assert message_status_json(demo_emulator, MID) == sms_response(MID, "cancelled")
    before = int(time.time() * 1000)
    answers = json.loads(send_message(demo_emulator, ScheduledDateTime=None, To=["+15555550199"], ReferenceID="batch-9").body)
    sent_id, sent_time = answers[0]["MessageID"], answers[0]["SentTime"]
    assert before <= int(sent_time[6:-2]) <= time.time() * 1000
    assert message_status_json(demo_emulator, sent_id) == sms_response(sent_id, "sent", sent_time, reference_id="batch-9")
    later = json.loads(send_message(demo_emulator, To=["+15555550198"], ReferenceID="batch-10").body)[0]["MessageID"]
    assert message_status_json(demo_emulator, later) == sms_response(later, "scheduled", reference_id="batch-10")
    demo_emulator.set_message_status([later], "sent")  # sent now: SentDateTime is when it was moved
    assert before <= int(message_status_json(demo_emulator, later)["SentDateTime"][6:-2]) <= time.time() * 1000


def test_get_message_status_takes_a_seeded_sent_time(emulator):
    emulator.set_state({"accounts": {KEY: {"messages": [{"id": MID, "status": "sent", "sent_time_ms": 1767225600000, "reference_id": "r1"}]}}})
    assert message_status_json(emulator, MID) == sms_response(MID, "sent", "/Date(1767225600000)/", reference_id="r1")
    with pytest.raises(ValueError):
        emulator.set_state({"accounts": {KEY: {"messages": [{"id": MID, "sent_time_ms": "yesterday"}]}}})


@pytest.mark.parametrize("message_id", [UNKNOWN_KEY, "00000000-0000-0000-0000-000000000000"])
def test_get_message_status_unknown_or_empty_id_is_not_found(demo_emulator, message_id):
    assert message_status_json(demo_emulator, message_id) == sms_response("00000000-0000-0000-0000-000000000000", error=7)


def test_get_message_status_get_form_and_formats(demo_emulator):
    got = call(demo_emulator, "GET", f"/messaging.svc/getmessagestatus?MessageID={MID}", headers={"Accept": "application/json"})
    assert json.loads(got.body) == sms_response(MID, "scheduled")
    empty = call(demo_emulator, "GET", STATUS, headers={"Accept": "application/json"})  # no MessageID: Guid.Empty
    assert json.loads(empty.body)["SMSError"] == 7
    xml = call(demo_emulator, "GET", f"{STATUS}?MessageID=9d0c4f2e-5a1b-4c3d-8e7f-000000000106")  # no Accept: XML, as for CancelMessage
    root = ET.fromstring(xml.body)
    fields = {child.tag.split("}")[1]: child.text for child in root}
    assert root.tag == "{http://sms2.cdyne.com}SMSResponse" and xml.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert (fields["Sent"], fields["SMSError"], fields["SentDateTime"], fields["ReferenceID"]) == ("true", "NoError", "2026-12-01T09:00:00Z", None)
    assert call(demo_emulator, "GET", f"{STATUS}?MessageID=nope").status == 400
    assert call(demo_emulator, "POST", STATUS, json.dumps({"MessageID": MID}), JSON_HEADERS).status == 400
    assert call(demo_emulator, "PUT", STATUS, json.dumps(MID), JSON_HEADERS).status == 405


def test_get_message_status_is_read_only_and_logged(demo_emulator):
    before = demo_emulator.get_state()
    for message_id in (MID, "9d0c4f2e-5a1b-4c3d-8e7f-000000000106", UNKNOWN_KEY):
        message_status_json(demo_emulator, message_id)
    assert call(demo_emulator, "HEAD", f"{STATUS}?MessageID={MID}").body == b""
    assert demo_emulator.get_state() == before and demo_emulator.cancellations() == []
    logged = demo_emulator.requests()
    assert [(r["method"], r["path"], r["status"]) for r in logged] == [("POST", STATUS, 200)] * 3 + [("HEAD", STATUS, 200)]
    assert logged[0]["body"] == json.dumps(MID)


def test_get_message_status_can_be_switched_off_to_endpoint_not_found(demo_emulator):
    assert control(demo_emulator, "GET", "settings") == (200, {"message_status_available": True})
    assert control(demo_emulator, "PUT", "settings", {"message_status_available": False}) == (200, {"message_status_available": False})
    for reply in (call(demo_emulator, "POST", STATUS, json.dumps(MID), JSON_HEADERS), call(demo_emulator, "GET", f"{STATUS}?MessageID={MID}")):
        assert (reply.status, reply.headers["Content-Type"]) == (404, "text/html") and "Endpoint not found." in reply.text
    wsdl = ET.fromstring(call(demo_emulator, "GET", "/Messaging.svc?wsdl").body)
    assert [op.get("name") for op in wsdl.find(f"{{{WSDL_NS}}}portType")] == ["CancelAllMessages", "CancelMessage"]
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS).body == b"true"  # the rest still works
    assert [r["status"] for r in demo_emulator.requests()][:2] == [404, 404]
    assert control(demo_emulator, "PUT", "settings", {"message_status_available": "no"})[0] == 400
    assert control(demo_emulator, "PUT", "settings", {"status_available": False})[0] == 400
    demo_emulator.set_message_status_available(True)
    assert message_status_json(demo_emulator, MID)["Cancelled"] is True
    demo_emulator.set_message_status_available(False)
    demo_emulator.reset()  # a reset switches it back on
    assert demo_emulator.message_status_available is True and message_status_json(demo_emulator, MID)["SMSError"] == 7


def test_get_message_status_404_can_also_come_from_a_respond_fault(demo_emulator):
    demo_emulator.add_faults({"type": "respond", "status": 404, "count": None, "match": {"operation": "GetMessageStatus"}})
    assert call(demo_emulator, "POST", STATUS, json.dumps(MID), JSON_HEADERS).status == 404
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS).status == 200


def test_fault_targets_get_message_status_by_message_id(demo_emulator):
    other = "9d0c4f2e-5a1b-4c3d-8e7f-000000000102"
    demo_emulator.add_faults({"type": "respond", "status": 503, "count": None, "body_template": "busy {message_id}",
                              "match": {"operation": "GetMessageStatus", "message_id": MID.upper()}})
    refused = call(demo_emulator, "POST", STATUS, json.dumps(MID), JSON_HEADERS)
    assert (refused.status, refused.text) == (503, f"busy {MID}")
    assert call(demo_emulator, "GET", f"{STATUS}?MessageID={MID}").status == 503
    assert message_status_json(demo_emulator, other)["MessageID"] == other
    assert call(demo_emulator, "POST", CANCEL_MESSAGE, json.dumps(MID), JSON_HEADERS).body == b"true"  # another operation
    demo_emulator.clear_faults()
    demo_emulator.add_faults({"type": "drop", "match": {"message_id": other}})  # no operation: any request carrying the ID
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(demo_emulator, "POST", STATUS, json.dumps(other), JSON_HEADERS)
    assert demo_emulator.faults() == []


# ---- NotifyReturn call details -------------------------------------------------------------------------------------

COMPLETED_DEFAULTS = [("ResponseCode", "1"), ("ResponseText", "Call Answered"), ("CallAnswered", "true"), ("QueueID", "1009"),
                      ("TryCount", "1"), ("Demo", "false"), ("MachineDetection", "HUMAN"), ("Duration", "42"),
                      ("StartTime", "2026-12-07T10:15:03.57"), ("EndTime", "2026-12-07T10:15:45.57"), ("MinuteRate", "0.0900"),
                      ("CallComplete", "true")]


def status_pairs(emulator: Any, queue_ids: str, key: str = KEY) -> List[List[Any]]:
    """GetMultipleQueueIdStatus over GET: each NotifyReturn as (element, text) pairs in document order."""
    reply = call(emulator, "GET", f"{VOICE}/GetMultipleQueueIdStatus?{urlencode({'QueueIDs': queue_ids, 'LicenseKey': key})}")
    root = ET.fromstring(reply.body)
    assert reply.status == 200 and len(notify_returns(root)) == len(root)  # notify_returns checks the documented order
    return [[(child.tag.split("}")[1], child.text or "") for child in item] for item in root]


def test_completed_call_reads_realistic_defaults_in_documented_order(demo_emulator):
    assert status_pairs(demo_emulator, "1009") == [COMPLETED_DEFAULTS]  # seeded completed, no details given
    control(demo_emulator, "POST", "calls/status", {"queue_ids": [1001], "status": "completed"})
    assert status_pairs(demo_emulator, "1001") == [[p if p[0] != "QueueID" else ("QueueID", "1001") for p in COMPLETED_DEFAULTS]]
    # other statuses keep the empty details: no MachineDetection or DigitsPressed (null strings are left out)
    assert [dict(p) for p in status_pairs(demo_emulator, "1002;1007")] == [
        {"ResponseCode": "0", "ResponseText": "Queued", "CallAnswered": "false", "QueueID": "1002", "TryCount": "0", "Demo": "false",
         "Duration": "0", "StartTime": "0001-01-01T00:00:00", "EndTime": "0001-01-01T00:00:00", "MinuteRate": "0", "CallComplete": "false"},
        {"ResponseCode": "12", "ResponseText": "Dialing", "CallAnswered": "false", "QueueID": "1007", "TryCount": "1", "Demo": "false",
         "Duration": "0", "StartTime": "0001-01-01T00:00:00", "EndTime": "0001-01-01T00:00:00", "MinuteRate": "0", "CallComplete": "false"}]


def test_seeded_call_details_are_reported_over_soap_too(emulator):
    details = {"duration": 17, "start_time": "2026-12-07T09:00:01.2", "end_time": "2026-12-07T09:00:18.2", "machine_detection": "MACHINE",
               "digits_pressed": "1#", "try_count": 3, "minute_rate": 0.12, "call_answered": False, "country": "US"}
    calls = [{"queue_id": 5, "status": "completed", "text": "Hi", **details}, {"queue_id": 6, "status": "cancelled", "try_count": 2}]
    emulator.add_account(KEY, calls=calls)
    part = soap_parts(soap_call(emulator, 11, "GetMultipleQueueIdStatus", f"<QueueIDs>5;6</QueueIDs><LicenseKey>{KEY}</LicenseKey>"), SOAP11_NS)
    first, second = notify_returns(part.find(f"{{{NS}}}GetMultipleQueueIdStatusResult"))
    assert first == {"ResponseCode": "1", "ResponseText": "Call Answered", "CallAnswered": "false", "QueueID": "5", "TryCount": "3",
                     "Demo": "false", "DigitsPressed": "1#", "MachineDetection": "MACHINE", "Duration": "17",
                     "StartTime": "2026-12-07T09:00:01.2", "EndTime": "2026-12-07T09:00:18.2", "MinuteRate": "0.12", "Country": "US",
                     "CallComplete": "true", "TextToSay": "Hi"}
    assert (second["ResponseCode"], second["TryCount"], second["Duration"], "MachineDetection" in second) == ("22", "2", "0", False)


def test_control_sets_call_details_with_the_status(demo_emulator):
    status, body = control(demo_emulator, "POST", "calls/status", {"queue_ids": [1001, 1002], "status": "completed", "duration": 7,
                                                                   "machine_detection": "MACHINE", "digits_pressed": ""})
    assert (status, body) == (200, {"updated": [1001, 1002]})
    first = dict(status_pairs(demo_emulator, "1001")[0])
    got = (first["Duration"], first["MachineDetection"], first["StartTime"], "DigitsPressed" in first)
    assert got == ("7", "MACHINE", "2026-12-07T10:15:03.57", False)
    demo_emulator.set_call_status([1001], "completed", duration=None, machine_detection=None)  # null: back to the defaults
    assert status_pairs(demo_emulator, "1001")[0] == [p if p[0] != "QueueID" else ("QueueID", "1001") for p in COMPLETED_DEFAULTS]
    assert next(c for c in control(demo_emulator, "GET", "calls")[1] if c["queue_id"] == 1002)["duration"] == 7


@pytest.mark.parametrize("fields", [{"duration": -1}, {"duration": "42"}, {"start_time": "yesterday"}, {"minute_rate": "cheap"},
                                    {"call_answered": "yes"}, {"ringtone": "x"}])
def test_call_details_are_checked(demo_emulator, fields):
    status, body = control(demo_emulator, "POST", "calls/status", {"queue_ids": [1001], "status": "completed", **fields})
    assert status == 400 and body["error"] and call_status(demo_emulator, 1001) == "scheduled"
    if "ringtone" not in fields:
        with pytest.raises(ValueError):
            demo_emulator.add_account(UNKNOWN_KEY, calls=[{"status": "completed", **fields}])


# ---- QueueID index and duplicate IDs -------------------------------------------------------------------------------


def test_many_calls_cancel_then_status_read_through_the_index(emulator):
    emulator.add_account(KEY, calls=[{"queue_id": q, "reference_id": "bulk"} for q in range(1, 20001)])
    emulator.add_account(OTHER_KEY, calls=[{"queue_id": 30001}])
    for queue_id in range(1, 20001, 2):  # the speed of this lookup is measured by the benchmark, not here
        assert emulator.cancel_call(KEY, queue_id, "test") is True
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    for queue_id in (2, 4, 30001):
        conn.request("POST", f"{VOICE}/CancelNotify", urlencode({"QueueID": queue_id, "LicenseKey": KEY}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        assert bool_result(Reply(answer.status, answer.headers, answer.read())) is (queue_id != 30001)
    conn.close()
    ids = ";".join(str(q) for q in list(range(1, 10001)) + [30001, 424242])
    reply = form_post(emulator, "GetMultipleQueueIdStatus", {"QueueIDs": ids, "LicenseKey": KEY})
    entries = notify_returns(ET.fromstring(reply.body))
    assert [int(e["QueueID"]) for e in entries] == list(range(1, 10001))  # another key's and unknown IDs left out
    assert [e["ResponseCode"] for e in entries[:6]] == ["22", "22", "22", "22", "22", "0"]
    assert sum(e["ResponseCode"] == "22" for e in entries) == 5002


def test_index_follows_state_replacement_and_new_calls(demo_emulator):
    demo_emulator.add_account(KEY, calls=[{"queue_id": 7001}])  # replaces the demo key's account: 1001 is gone
    assert demo_emulator.cancel_call(KEY, 1001, "test") is False and demo_emulator.cancel_call(KEY, 7001, "test") is True
    assert demo_emulator.cancel_call(OTHER_KEY, 2001, "test") is True
    entries = notify_returns(ET.fromstring(form_post(demo_emulator, NOTIFY_MULTIPLE, notify_multiple_params(PhoneNumbersToDial="1555")).body))
    assert entries[0]["QueueID"] == "100001"
    assert bool_result(form_post(demo_emulator, "CancelNotify", {"QueueID": "100001", "LicenseKey": KEY})) is True
    sent = json.loads(send_message(demo_emulator, To=["+15555550197"]).body)[0]["MessageID"]
    assert message_status_json(demo_emulator, sent)["SMSError"] == 0
    demo_emulator.reset({"accounts": {OTHER_KEY: {"calls": [{"queue_id": 1001}]}}})
    assert demo_emulator.cancel_call(KEY, 1001, "test") is False and demo_emulator.cancel_call(OTHER_KEY, 1001, "test") is True
    assert message_status_json(demo_emulator, sent)["SMSError"] == 7
    demo_emulator.set_call_status([1001], "completed")
    with pytest.raises(ValueError):
        demo_emulator.set_call_status([7001], "completed")


@pytest.mark.parametrize("doc, what", [
    ({"accounts": {KEY: {"calls": [{"queue_id": 1001}]}, OTHER_KEY: {"calls": [{"queue_id": 1001}]}}}, "QueueID 1001"),
    ({"accounts": {KEY: {"calls": [{"queue_id": 5}, {"queue_id": 5}]}}}, "QueueID 5"),
    ({"accounts": {KEY: {"messages": [{"id": MID}]}, OTHER_KEY: {"messages": [{"message_id": MID.upper()}]}}}, f"MessageID {MID}"),
])
def test_state_refuses_duplicate_ids_across_accounts(demo_emulator, doc, what):
    before = demo_emulator.get_state()
    with pytest.raises(ValueError, match=what):
        demo_emulator.set_state(doc)
    status, body = control(demo_emulator, "PUT", "state", doc)
    assert status == 400 and what in body["error"] and KEY not in body["error"]
    assert demo_emulator.get_state() == before


def test_add_account_refuses_ids_of_another_account(demo_emulator):
    before = demo_emulator.get_state()
    with pytest.raises(ValueError, match="QueueID 2001"):
        demo_emulator.add_account(KEY, calls=[{"queue_id": 2001}])
    with pytest.raises(ValueError, match="MessageID"):
        demo_emulator.add_account(UNKNOWN_KEY, messages=[{"id": MID}])
    assert demo_emulator.get_state() == before
    demo_emulator.add_account(KEY, calls=[{"queue_id": 1001}])  # replacing an account may reuse its own IDs
