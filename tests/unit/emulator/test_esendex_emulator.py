"""Fidelity tests for the Esendex US emulator: the vendor pages' sample requests over real HTTP, faults, control API, CLI."""

from __future__ import annotations

import http.client
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
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
