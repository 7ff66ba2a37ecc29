"""Esendex US (formerly CDYNE) wire-protocol emulator for CancelAllMessages and CancelNotifyByReferenceID.

Run ``python3 tests/emulator/esendex_emulator.py --port 0`` or use :class:`EmulatorServer` in-process.
Standard library only; Python 3.9+. See README.md next to this file for the CLI, state format and control API.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from html import escape as html_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.parsers import expat
from xml.sax.saxutils import escape as xml_escape

NS = "https://ws.esendex.us/NotifyWS/"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SERIALIZATION_NS = "http://schemas.microsoft.com/2003/10/Serialization/"
VOICE_METHOD = "CancelNotifyByReferenceID"
SOAP_ACTION = NS + VOICE_METHOD
MESSAGING_METHOD = "CancelAllMessages"
MESSAGING_BASE = "/messaging.svc"
VOICE_BASE = "/notifyws/phonenotify.asmx"
CONTROL_BASE = "/_emulator"
MESSAGE_STATUSES = ("scheduled", "queued", "sent", "cancelled")
CALL_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")
FAULT_TYPES = ("respond", "delay", "hang", "drop", "truncate")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
MAX_BODY = 16 * 1024 * 1024
XML_DECL = '<?xml version="1.0" encoding="utf-8"?>'
SOAP_XMLNS = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
TEXT_XML = "text/xml; charset=utf-8"
SOAP12_XML = "application/soap+xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
WCF_REQUEST_ERROR = "The server encountered an error processing the request. See server logs for more details."

_GUID_D = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GUID_N = re.compile(r"[0-9a-fA-F]{32}")
_GUID_ANYWHERE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


class Response(NamedTuple):
    """One HTTP answer."""

    status: int
    body: bytes
    content_type: str
    headers: Tuple[Tuple[str, str], ...] = ()


class ServiceRequest(NamedTuple):
    """One request to a service path; ``route`` is the decoded path with slashes normalised."""

    method: str
    route: str
    query: str
    headers: Any
    body: bytes


class XmlRefused(ValueError):
    """A malformed XML body, or one declaring a DTD (never expanded)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.position = f"({line}, {column})"


def parse_guid(text: Any) -> Optional[str]:
    """Return the canonical lower-case GUID for a .NET-parsable D, N, B or P form, else None."""
    # INFERRED: the service parses keys like System.Guid (surrounding whitespace, any case, braces or parentheses).
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value[:1] + value[-1:] in ("{}", "()") and _GUID_D.fullmatch(value[1:-1]):
        value = value[1:-1]
    if _GUID_D.fullmatch(value) or _GUID_N.fullmatch(value):
        return str(uuid.UUID(value))
    return None


def parse_xml(data: bytes) -> ET.Element:
    """Parse XML with expat, refusing any DOCTYPE or entity declaration instead of expanding it."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def qname(name: str) -> str:
        return "{" + name if "}" in name else name

    def refuse(*_args: Any) -> None:
        raise XmlRefused("For security reasons DTD is prohibited in this XML document.",
                         parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = lambda name, attrs: builder.start(qname(name), {qname(k): v for k, v in attrs.items()})
    parser.EndElementHandler = lambda name: builder.end(qname(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlRefused(f"{expat.ErrorString(exc.code)}.", exc.lineno, exc.offset + 1)
    return builder.close()


def _media_type(value: Optional[str]) -> Tuple[str, Dict[str, str]]:
    """Split a Content-Type/Accept item into a lower-case media type and its parameters."""
    parts = (value or "").split(";")
    params = {}
    for part in parts[1:]:
        name, _sep, val = part.partition("=")
        params[name.strip().lower()] = val.strip().strip('"')
    return parts[0].strip().lower(), params


def _params(text: str) -> Dict[str, str]:
    """Parse a query string or form body; names are case-insensitive and the first value wins, as in ASP.NET."""
    found: Dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        found.setdefault(name.lower(), value)
    return found


def _clean_route(path: str) -> str:
    """Decode a request path, collapse repeated slashes and drop a trailing slash."""
    route = re.sub(r"/{2,}", "/", unquote(path))
    return route.rstrip("/") or "/"


def _printable_path(path: str) -> str:
    """Make a path safe to print: no GUIDs (license keys), no control characters, bounded length."""
    text = _GUID_ANYWHERE.sub("<redacted>", _clean_route(path))
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:200]


def _key_digest(license_key: Optional[str]) -> Optional[str]:
    """SHA-256 of the canonical key (or of the raw string when it is not a GUID)."""
    if license_key is None:
        return None
    return hashlib.sha256((parse_guid(license_key) or license_key).encode("utf-8")).hexdigest()


def _is_number(value: Any, integer: bool = False) -> bool:
    """True for an int (or float unless ``integer``), never a bool."""
    return isinstance(value, (int,) if integer else (int, float)) and not isinstance(value, bool)


def _check_fault(spec: Any) -> Dict[str, Any]:
    """Validate one fault specification and return its queue entry."""
    if not isinstance(spec, dict) or spec.get("type") not in FAULT_TYPES:
        raise ValueError(f"each fault needs a 'type' in {list(FAULT_TYPES)}")
    allowed = {"type", "count", "match", "probability", "seed", "status", "headers", "body", "body_template",
               "content_type", "repeat", "seconds", "process", "bytes"}
    if set(spec) - allowed:
        raise ValueError(f"unknown fault fields: {sorted(set(spec) - allowed)}")
    count = spec.get("count", None if "probability" in spec else 1)
    checks = [
        (count is None or (_is_number(count, True) and count >= 1), "count must be a positive integer or null"),
        (_is_number(spec.get("probability", 0)) and 0 <= spec.get("probability", 0) <= 1, "probability must be within 0..1"),
        (_is_number(spec.get("status", 500), True) and 100 <= spec.get("status", 500) <= 599, "status must be an HTTP status code"),
        (_is_number(spec.get("seconds", 0)) and spec.get("seconds", 0) >= 0, "seconds must be a non-negative number"),
        (_is_number(spec.get("repeat", 1), True) and spec.get("repeat", 1) >= 1, "repeat must be a positive integer"),
        (_is_number(spec.get("bytes", 0), True) and spec.get("bytes", 0) >= 0, "bytes must be a non-negative integer"),
        (isinstance(spec.get("process", False), bool), "process must be a boolean"),
        (all(isinstance(spec.get(k, ""), str) for k in ("body", "body_template", "content_type")), "body fields must be strings"),
        (isinstance(spec.get("headers", {}), dict) and all(isinstance(v, str) for v in spec.get("headers", {}).values()),
         "headers must map names to strings"),
        (isinstance(spec.get("match", {}), dict) and set(spec.get("match", {})) <= {"path_contains", "method"}
         and all(isinstance(v, str) for v in spec.get("match", {}).values()), "match takes path_contains and method strings"),
        (isinstance(spec.get("seed"), (int, str, type(None))), "seed must be an integer or a string"),
    ]
    for passed, message in checks:
        if not passed:
            raise ValueError(message)
    rng = random.Random(spec.get("seed")) if "probability" in spec else None
    return {"spec": dict(spec), "remaining": count, "applied": 0, "rng": rng}


def _fault_matches(entry: Dict[str, Any], method: str, route: str) -> bool:
    """True when a queued fault's ``match`` accepts this request and its probability draw hits."""
    match = entry["spec"].get("match") or {}
    if "method" in match and match["method"].upper() != method.upper():
        return False
    if "path_contains" in match and match["path_contains"].lower() not in route.lower():
        return False
    return entry["rng"] is None or entry["rng"].random() < entry["spec"]["probability"]


class Emulator:
    """Thread-safe model: accounts, request log, cancellation record, fault queue and latency."""

    def __init__(self, state: Optional[Dict[str, Any]] = None, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._queue_ids = itertools.count(100001)
        self._seq = itertools.count(1)
        self._wake = threading.Event()
        self._accounts: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
        self._requests: List[Dict[str, Any]] = []
        self._cancellations: List[Dict[str, Any]] = []
        self._faults: List[Dict[str, Any]] = []
        self._latency = 0.0
        self.reset(state)
        self.set_latency(latency)

    def _normalize_accounts(self, state: Any) -> Dict[str, Dict[str, List[Dict[str, Any]]]]:
        """Validate a state document and fill in defaults; error messages never echo a key."""
        if not isinstance(state, dict) or not isinstance(state.get("accounts", {}), dict):
            raise ValueError("state must be a JSON object with an 'accounts' object")
        accounts: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
        for raw_key, account in state.get("accounts", {}).items():
            key = parse_guid(raw_key)
            if key is None or key in accounts:
                raise ValueError("account keys must be distinct license-key GUIDs")
            if not isinstance(account, dict) or not all(isinstance(account.get(k, []), list) for k in ("messages", "calls")):
                raise ValueError("an account is an object with 'messages' and 'calls' lists")
            accounts[key] = {kind: [self._item(raw, kind) for raw in account.get(kind, [])] for kind in ("messages", "calls")}
        return accounts

    def _item(self, raw: Any, kind: str) -> Dict[str, Any]:
        """One message or call with defaults (generated id / queue_id, status scheduled)."""
        if not isinstance(raw, dict):
            raise ValueError(f"{kind} entries must be JSON objects")
        if kind == "messages":
            item, statuses = {"id": str(uuid.uuid4()), "to": "", "body": "", "status": "scheduled", **raw}, MESSAGE_STATUSES
        else:
            item, statuses = {"reference_id": "", "to": "", "status": "scheduled", **raw}, CALL_STATUSES
            if "queue_id" not in item:
                item["queue_id"] = next(self._queue_ids)
            if not _is_number(item["queue_id"], True) or not isinstance(item["reference_id"], str):
                raise ValueError("queue_id must be an integer and reference_id a string")
        if item["status"] not in statuses:
            raise ValueError(f"{kind} status must be one of {list(statuses)}")
        return item

    def get_state(self) -> Dict[str, Any]:
        """A copy of the state document."""
        with self._lock:
            return {"accounts": copy.deepcopy(self._accounts)}

    def set_state(self, state: Any) -> Dict[str, Any]:
        """Replace all accounts."""
        accounts = self._normalize_accounts(state)
        with self._lock:
            self._accounts = accounts
        return self.get_state()

    def add_account(self, license_key: str, messages: Any = (), calls: Any = ()) -> Dict[str, Any]:
        """Add or replace one account."""
        accounts = self._normalize_accounts({"accounts": {license_key: {"messages": list(messages), "calls": list(calls)}}})
        with self._lock:
            self._accounts.update(accounts)
        return self.get_state()

    def load_state_file(self, path: str) -> Dict[str, Any]:
        """Replace all accounts from a JSON state file."""
        with open(path, encoding="utf-8") as handle:
            return self.set_state(json.load(handle))

    def reset(self, state: Any = None) -> Dict[str, Any]:
        """Empty (or replace) the state and clear the request log, faults, cancellation record and latency."""
        accounts = self._normalize_accounts(state or {})
        with self._lock:
            self._accounts = accounts
            self._requests.clear()
            self._cancellations.clear()
            self._faults.clear()
            self._latency = 0.0
        self.wake()
        return self.get_state()

    def requests(self) -> List[Dict[str, Any]]:
        """Every service request received, in order."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def clear_requests(self) -> int:
        """Forget the request log; return how many entries it held."""
        with self._lock:
            count = len(self._requests)
            self._requests.clear()
        return count

    def cancellations(self) -> List[Dict[str, Any]]:
        """The cancellation record (contains license keys: for trusted tests only, never printed)."""
        with self._lock:
            return copy.deepcopy(self._cancellations)

    def faults(self) -> List[Dict[str, Any]]:
        """The fault queue with remaining and applied counts."""
        with self._lock:
            return [dict(e["spec"], remaining=e["remaining"], applied=e["applied"]) for e in self._faults]

    def add_faults(self, *faults: Any) -> List[Dict[str, Any]]:
        """Append faults (dicts, or lists of dicts) to the queue, all or none."""
        entries = [_check_fault(f) for item in faults for f in (item if isinstance(item, list) else [item])]
        with self._lock:
            self._faults.extend(entries)
        return self.faults()

    def clear_faults(self) -> None:
        """Empty the fault queue."""
        with self._lock:
            self._faults.clear()

    @property
    def latency(self) -> float:
        """Fixed delay in seconds added to every service request."""
        return self._latency

    def set_latency(self, seconds: Any) -> float:
        """Set the fixed per-request delay."""
        if not _is_number(seconds) or seconds < 0:
            raise ValueError("latency seconds must be a non-negative number")
        with self._lock:
            self._latency = float(seconds)
        return self._latency

    def wait(self, seconds: float) -> None:
        """Sleep, but wake early on reset() or stop()."""
        with self._lock:
            event = self._wake
        if seconds > 0:
            event.wait(seconds)

    def wake(self) -> None:
        """End pending hangs and delays now."""
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()

    def record_request(self, method: str, path: str, query: str, headers: Any, body: bytes) -> Dict[str, Any]:
        """Append a request-log entry; the handler fills in status and fault."""
        entry = {"seq": 0, "time": time.time(), "method": method, "path": path, "query": query,
                 "headers": dict(headers.items()), "body": body.decode("utf-8", "replace"), "status": None, "fault": None}
        with self._lock:
            entry["seq"] = next(self._seq)
            self._requests.append(entry)
        return entry

    def update_request(self, entry: Dict[str, Any], **fields: Any) -> None:
        """Set fields of a request-log entry."""
        with self._lock:
            entry.update(fields)

    def take_fault(self, method: str, route: str) -> Optional[Dict[str, Any]]:
        """Consume and return the first queued fault that applies to this request."""
        with self._lock:
            for entry in self._faults:
                if not _fault_matches(entry, method, route):
                    continue
                entry["applied"] += 1
                if entry["remaining"] is not None:
                    entry["remaining"] -= 1
                    if entry["remaining"] <= 0:
                        self._faults.remove(entry)
                return dict(entry["spec"])
        return None

    def cancel_messages(self, license_key: Optional[str], transport: str, commit: bool = True) -> int:
        """CancelAllMessages: cancel the key's scheduled messages (never queued or sent ones)."""
        with self._lock:
            account = self._accounts.get(parse_guid(license_key) or "", {})
            targets = [m for m in account.get("messages", []) if m["status"] == "scheduled"]
            if commit:
                for message in targets:
                    message["status"] = "cancelled"
                self._record(MESSAGING_METHOD, transport, license_key, None, [m["id"] for m in targets])
        return len(targets)

    def cancel_calls(self, license_key: Optional[str], reference_id: Optional[str], transport: str, commit: bool = True) -> int:
        """CancelNotifyByReferenceID: cancel the key's scheduled calls with exactly this reference ID."""
        with self._lock:
            account = self._accounts.get(parse_guid(license_key) or "", {})
            # INFERRED: exact, case-sensitive match; an empty ReferenceID matches calls stored without one.
            targets = [c for c in account.get("calls", [])
                       if reference_id is not None and c["status"] == "scheduled" and c["reference_id"] == reference_id]
            if commit:
                for call in targets:
                    call["status"] = "cancelled"
                self._record(VOICE_METHOD, transport, license_key, reference_id, [c["queue_id"] for c in targets])
        return len(targets)

    def _record(self, method: str, transport: str, license_key: Optional[str], reference_id: Optional[str], ids: List[Any]) -> None:
        """Append to the cancellation record (caller holds the lock)."""
        self._cancellations.append({"seq": len(self._cancellations) + 1, "time": time.time(), "method": method, "transport": transport,
                                    "license_key": license_key, "license_key_sha256": _key_digest(license_key),
                                    "reference_id": reference_id, "count": len(ids), "cancelled_ids": ids})


def _json_response(status: int, payload: Any) -> Response:
    """A JSON answer."""
    return Response(status, json.dumps(payload).encode("utf-8"), JSON_TYPE)


def _wcf_page(status: int, title: str, message: str) -> Response:
    """A WCF webHttp HTML error/help page."""
    html = (f'{XML_DECL}\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>'
            f'<body><div id="content"><p class="heading1">{title}</p><p>{message}</p></div></body></html>')
    return Response(status, html.encode("utf-8"), "text/html")


def _wcf_boolean(value: bool, fmt: str) -> Response:
    """A WCF bare Boolean in JSON or DataContract XML."""
    text = "true" if value else "false"
    if fmt == "json":
        return Response(200, text.encode("ascii"), JSON_TYPE)
    return Response(200, f'<boolean xmlns="{SERIALIZATION_NS}">{text}</boolean>'.encode("ascii"), "application/xml; charset=utf-8")


def _asmx_text(message: str, reader: str = "UrlParameterReader") -> Response:
    """ASMX HttpGet/HttpPost error: HTTP 500, text/plain exception text with a stack trace."""
    trace = ["   at System.Web.Services.Protocols.ValueCollectionParameterReader.Read(NameValueCollection collection)",
             f"   at System.Web.Services.Protocols.{reader}.Read(HttpRequest request)",
             "   at System.Web.Services.Protocols.HttpServerProtocol.ReadParameters()",
             "   at System.Web.Services.Protocols.WebServiceHandler.CoreProcessRequest()"]
    text = "\r\n".join([f"System.InvalidOperationException: {message}"] + trace) + "\r\n"
    return Response(500, text.encode("utf-8"), "text/plain; charset=utf-8")


def _asmx_unrecognized(operation: str) -> Response:
    """ASP.NET error page for an unknown ASMX method (INFERRED: the handler factory's HTML error page)."""
    message = html_escape(f"Request format is unrecognized for URL unexpectedly ending in '/{operation}'.", quote=False)
    html = (f"<html><head><title>{message}</title></head><body><h1>Server Error in '/NotifyWS' Application.</h1>"
            f"<h2><i>{message}</i></h2><b>Exception Details: </b>System.InvalidOperationException: {message}</body></html>")
    return Response(500, html.encode("utf-8"), "text/html; charset=utf-8")


def _soap(version: int, inner: str, status: int = 200) -> Response:
    """Wrap a body in a SOAP 1.1 or 1.2 envelope (prefix 'soap' for both, as the ASMX runtime writes it)."""
    env_ns, content_type = (SOAP11_NS, TEXT_XML) if version == 11 else (SOAP12_NS, SOAP12_XML)
    xml = f'{XML_DECL}<soap:Envelope {SOAP_XMLNS} xmlns:soap="{env_ns}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    return Response(status, xml.encode("utf-8"), content_type)


def _soap_fault(version: int, code: str, message: str) -> Response:
    """An ASMX SOAP fault, HTTP 500; code Client/Server is mapped to Sender/Receiver for SOAP 1.2."""
    text = xml_escape(message)
    if version == 11:
        return _soap(11, f"<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{text}</faultstring><detail /></soap:Fault>", 500)
    code = {"Client": "Sender", "Server": "Receiver"}.get(code, code)
    return _soap(12, f'<soap:Fault><soap:Code><soap:Value>soap:{code}</soap:Value></soap:Code><soap:Reason>'
                     f'<soap:Text xml:lang="en">{text}</soap:Text></soap:Reason><soap:Detail /></soap:Fault>', 500)


def _negotiate(accept: Optional[str], fallback: str) -> str:
    """WCF automatic format selection: the best Accept type we serve, else the fallback."""
    # INFERRED: automaticFormatSelectionEnabled (Accept first, then the request's format, then XML).
    ranked = []
    for index, item in enumerate((accept or "").split(",")):
        media, params = _media_type(item)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, media))
    for _quality, _index, media in sorted(ranked):
        if media == "application/json":
            return "json"
        if media in ("application/xml", "text/xml"):
            return "xml"
    return fallback


def _posted_guid(req: ServiceRequest) -> Tuple[Optional[str], str]:
    """The GUID from a JSON string or DataContract <guid> body, and the body's format."""
    media = _media_type(req.headers.get("Content-Type"))[0]
    if media == "application/json":
        try:
            value = json.loads(req.body.decode("utf-8-sig"))
        except ValueError:
            return None, "json"
        return parse_guid(value) if isinstance(value, str) else None, "json"
    if media in ("application/xml", "text/xml"):
        try:
            root = parse_xml(req.body)
        except XmlRefused:
            return None, "xml"
        valid = root.tag == f"{{{SERIALIZATION_NS}}}guid" and not list(root)
        return parse_guid(root.text or "") if valid else None, "xml"
    return None, "xml"


def _messaging(emulator: Emulator, req: ServiceRequest, operation: str, commit: bool) -> Response:
    """Messaging.svc/<operation>."""
    if operation.lower() != MESSAGING_METHOD.lower():
        return _wcf_page(404, "Service", "Endpoint not found. Please see the service help page for constructing valid requests to the service.")
    if req.method == "GET":
        raw = _params(req.query).get("licensekey")
        # INFERRED: WCF binds a missing query variable to Guid.Empty, which matches no account.
        key, body_format, transport = (ZERO_GUID if raw is None else parse_guid(raw)), "xml", "http-get"
    elif req.method == "POST":
        key, body_format = _posted_guid(req)
        transport = body_format
    else:
        return _wcf_page(405, "Service", "Method not allowed. Please see the service help page for constructing valid requests to the service.")
    if key is None:
        # INFERRED: WCF answers an undeserializable body with its generic 400 HTML "Request Error" page.
        return _wcf_page(400, "Request Error", WCF_REQUEST_ERROR)
    cancelled = emulator.cancel_messages(key, transport, commit)
    # INFERRED: true when at least one message was cancelled, false when none (re-runs and unknown keys).
    return _wcf_boolean(cancelled > 0, _negotiate(req.headers.get("Accept"), body_format))


def _voice_http(emulator: Emulator, req: ServiceRequest, operation: str, commit: bool) -> Response:
    """PhoneNotify.asmx/<operation> over HttpGet or HttpPost (form)."""
    if operation.lower() != VOICE_METHOD.lower() or req.method not in ("GET", "POST"):
        return _asmx_unrecognized(operation)
    reader = "UrlParameterReader"
    if req.method == "GET":
        params = _params(req.query)
    else:
        media = _media_type(req.headers.get("Content-Type"))[0]
        if media != "application/x-www-form-urlencoded":
            return _asmx_text(f"Request format is invalid: {media}.", "HtmlFormParameterReader")
        params, reader = _params(req.body.decode("utf-8", "replace")), "HtmlFormParameterReader"
    for name in ("ReferenceID", "LicenseKey"):
        # INFERRED: standard ASMX parameter reader error, in signature order.
        if name.lower() not in params:
            return _asmx_text(f"Missing parameter: {name}.", reader)
    # INFERRED: a non-GUID or unknown key cancels nothing and answers 0.
    count = emulator.cancel_calls(params["licensekey"], params["referenceid"], "http-" + req.method.lower(), commit)
    return Response(200, f'{XML_DECL}\n<int xmlns="{NS}">{count}</int>'.encode("utf-8"), TEXT_XML)


def _voice_soap(emulator: Emulator, req: ServiceRequest, commit: bool) -> Response:
    """PhoneNotify.asmx over SOAP 1.1 (dispatch on SOAPAction) or SOAP 1.2 (dispatch on the body element)."""
    if req.method == "GET":
        html = (f'<html><head><title>PhoneNotify Web Service</title></head><body><h1>PhoneNotify</h1>'
                f'<p>Emulated operation: <a href="PhoneNotify.asmx?op={VOICE_METHOD}">{VOICE_METHOD}</a></p></body></html>')
        return Response(200, html.encode("utf-8"), "text/html; charset=utf-8")
    media = _media_type(req.headers.get("Content-Type"))[0]
    version = {"text/xml": 11, "application/soap+xml": 12}.get(media)
    if req.method != "POST" or version is None:
        return _asmx_text(f"Request format is invalid: {media}.")
    if version == 11:
        action = (req.headers.get("SOAPAction") or "").strip().strip('"')
        if action != SOAP_ACTION:
            # INFERRED: the standard ASMX SOAP 1.1 routing fault (also for a missing header, as specified for this emulator).
            return _soap_fault(11, "Client", f"Server did not recognize the value of HTTP Header SOAPAction: {action}.")
    try:
        root = parse_xml(req.body)
    except XmlRefused as exc:
        # INFERRED: ASMX reports unreadable XML (and any DTD, which .NET prohibits) as a Client/Sender fault.
        return _soap_fault(version, "Client", f"Server was unable to read request. ---> There is an error in XML document {exc.position}. ---> {exc}")
    env_ns = SOAP11_NS if version == 11 else SOAP12_NS
    if root.tag in (f"{{{SOAP11_NS}}}Envelope", f"{{{SOAP12_NS}}}Envelope") and root.tag != f"{{{env_ns}}}Envelope":
        other = root.tag[1:].split("}")[0]
        return _soap_fault(version, "VersionMismatch", f"Possible SOAP version mismatch: Envelope namespace {other} was unexpected. Expecting {env_ns}.")
    body = root.find(f"{{{env_ns}}}Body") if root.tag == f"{{{env_ns}}}Envelope" else None
    operation = body[0] if body is not None and len(body) else None
    if operation is None or operation.tag != f"{{{NS}}}{VOICE_METHOD}":
        found = "no operation element" if operation is None else f"<{operation.tag.split('}')[-1]} xmlns='{operation.tag[1:].split('}')[0]}'>"
        return _soap_fault(version, "Client", f"Server was unable to read request. ---> There is an error in XML document (1, 1). "
                                              f"---> {found} was not expected.")
    # INFERRED: an absent ReferenceID/LicenseKey element arrives as null and cancels nothing (0).
    reference_id, license_key = operation.findtext(f"{{{NS}}}ReferenceID"), operation.findtext(f"{{{NS}}}LicenseKey")
    count = emulator.cancel_calls(license_key, reference_id, f"soap1.{1 if version == 11 else 2}", commit)
    return _soap(version, f'<{VOICE_METHOD}Response xmlns="{NS}"><{VOICE_METHOD}Result>{count}</{VOICE_METHOD}Result></{VOICE_METHOD}Response>')


def handle_service(emulator: Emulator, req: ServiceRequest, commit: bool = True) -> Response:
    """Route one service request; with ``commit=False`` compute the answer without changing state."""
    route = req.route.lower()
    if route == MESSAGING_BASE:
        return _wcf_page(200, "Service", "This is an emulated Messaging.svc endpoint (webHttp).")
    if route.startswith(MESSAGING_BASE + "/"):
        return _messaging(emulator, req, req.route[len(MESSAGING_BASE) + 1:], commit)
    if route == VOICE_BASE:
        return _voice_soap(emulator, req, commit)
    if route.startswith(VOICE_BASE + "/"):
        return _voice_http(emulator, req, req.route[len(VOICE_BASE) + 1:], commit)
    return Response(404, b"<html><body><h2>404 - File or directory not found.</h2></body></html>", "text/html")


def request_params(req: ServiceRequest) -> Dict[str, str]:
    """Best-effort license key and reference ID of any service request (for fault body templates)."""
    found = _params(req.query)
    if _media_type(req.headers.get("Content-Type"))[0] == "application/x-www-form-urlencoded":
        found.update(_params(req.body.decode("utf-8", "replace")))
    posted = _posted_guid(req)[0]
    if posted:
        found["licensekey"] = posted
    try:
        for element in parse_xml(req.body).iter():
            local = element.tag.split("}")[-1].lower()
            if local in ("licensekey", "referenceid"):
                found[local] = element.text or ""
    except XmlRefused:
        pass
    return found


def _fault_response(fault: Dict[str, Any], req: ServiceRequest) -> Response:
    """The canned answer of a ``respond`` fault."""
    body = fault.get("body", "")
    if "body_template" in fault:
        params = request_params(req)
        body = fault["body_template"].replace("{license_key}", params.get("licensekey", "")).replace("{reference_id}", params.get("referenceid", ""))
    headers = tuple(fault.get("headers", {}).items())
    return Response(fault.get("status", 500), body.encode("utf-8") * fault.get("repeat", 1), fault.get("content_type", "text/plain; charset=utf-8"), headers)


def _control(emulator: Emulator, method: str, name: str, payload: Any) -> Tuple[int, Any]:
    """The /_emulator/<name> control API."""
    if name == "state" and method in ("GET", "PUT"):
        return 200, emulator.set_state(payload) if method == "PUT" else emulator.get_state()
    if name == "reset" and method == "POST":
        return 200, emulator.reset(payload)
    if name == "requests" and method in ("GET", "DELETE"):
        return 200, emulator.requests() if method == "GET" else {"cleared": emulator.clear_requests()}
    if name == "cancellations" and method == "GET":
        return 200, emulator.cancellations()
    if name == "faults" and method == "POST":
        faults = payload.get("faults") if isinstance(payload, dict) and "faults" in payload else payload
        return 200, {"faults": emulator.add_faults(faults if isinstance(faults, list) else [faults])}
    if name == "faults" and method in ("GET", "DELETE"):
        if method == "DELETE":
            emulator.clear_faults()
        return 200, {"faults": emulator.faults()}
    if name == "latency" and method in ("GET", "PUT"):
        if method == "PUT":
            emulator.set_latency(payload.get("seconds") if isinstance(payload, dict) else payload)
        return 200, {"seconds": emulator.latency}
    return 404, {"error": f"no control endpoint {method} /_emulator/{name}"}


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler for service and control paths."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    timeout = 120
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid delayed-ACK stalls on keep-alive
    server: _HTTPServer

    def version_string(self) -> str:
        """Server header without a Python version."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Silence the default logger: it prints request lines, query strings included (so license keys)."""

    def _access_log(self, path: str, outcome: str) -> None:
        """Print method, redacted path without query, and status to stderr unless quiet."""
        if not self.server.quiet:
            sys.stderr.write(f"[{self.log_date_time_string()}] {self.command} {_printable_path(path)} {outcome}\n")
            sys.stderr.flush()

    def _read_body(self) -> bytes:
        """Read a Content-Length body (ValueError when chunked, malformed or too large; clients here send a length)."""
        length = int(self.headers.get("Content-Length") or 0)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower() or not 0 <= length <= MAX_BODY:
            raise ValueError("unsupported request body framing")
        return self.rfile.read(length) if length else b""

    def _send(self, resp: Response, truncate: Optional[int] = None) -> None:
        """Write a response with a correct Content-Length; with ``truncate`` send only that many body bytes and close."""
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(resp.body if truncate is None else resp.body[:truncate])
        self.wfile.flush()
        if truncate is not None:
            self.close_connection = True

    def _handle(self) -> None:
        """Entry point for every HTTP method."""
        parts = urlsplit(self.path)
        route = _clean_route(parts.path)
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(Response(411, b"Length Required", "text/plain"))
            self._access_log(parts.path, "411")
            return
        if route.lower() == CONTROL_BASE or route.lower().startswith(CONTROL_BASE + "/"):
            self._handle_control(route[len(CONTROL_BASE) + 1:].lower(), body)
        else:
            self._handle_service(ServiceRequest(self.command, route, parts.query, self.headers, body), parts.path)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _handle_control(self, name: str, body: bytes) -> None:
        """Answer a control request (never logged, faulted or delayed)."""
        try:
            status, payload = _control(self.server.emulator, self.command, name, json.loads(body) if body.strip() else None)
        except ValueError as exc:
            status, payload = 400, {"error": str(exc)}
        self._send(_json_response(status, payload))
        self._access_log(CONTROL_BASE + "/" + name, str(status))

    def _handle_service(self, req: ServiceRequest, raw_path: str) -> None:
        """Apply latency and any queued fault, then answer a service request."""
        emulator = self.server.emulator
        entry = emulator.record_request(req.method, raw_path, req.query, req.headers, req.body)
        fault = emulator.take_fault(req.method, req.route) or {}
        kind = fault.get("type")
        emulator.update_request(entry, fault=kind)
        emulator.wait(emulator.latency + (fault.get("seconds", 1.0) if kind == "delay" else 0.0))
        if kind in ("hang", "drop"):
            if fault.get("process"):
                self._process(req, True)
            if kind == "hang":
                emulator.wait(fault.get("seconds", 30.0))
            self.close_connection = True
            self._access_log(raw_path, f"- ({kind})")
            return
        if kind == "respond":
            resp = _fault_response(fault, req)
        else:
            resp = self._process(req, not (kind == "truncate" and fault.get("process") is False))
        truncate = min(fault.get("bytes", len(resp.body) // 2), max(len(resp.body) - 1, 0)) if kind == "truncate" else None
        emulator.update_request(entry, status=resp.status)
        self._send(resp, truncate)
        self._access_log(raw_path, str(resp.status) + (f" ({kind})" if kind else ""))

    def _process(self, req: ServiceRequest, commit: bool) -> Response:
        """Run the service logic; an emulator bug becomes a 500 rather than a dropped connection."""
        try:
            return handle_service(self.server.emulator, req, commit)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self.server.report(exc)
            return Response(500, f"Emulator internal error: {type(exc).__name__}".encode("utf-8"), "text/plain")


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server carrying the emulator model."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default backlog of 5 drops SYNs under concurrent load (1 s retransmit stalls)

    def __init__(self, address: Tuple[str, int], emulator: Emulator, quiet: bool) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.quiet = quiet

    def report(self, exc: Optional[BaseException]) -> None:
        """Print a traceback without the exception message (it could carry request data); ignore clients going away."""
        if exc is not None and not self.quiet and not isinstance(exc, (ConnectionError, socket.timeout, TimeoutError)):
            sys.stderr.write("".join(traceback.format_tb(exc.__traceback__)) + f"emulator error: {type(exc).__name__}\n")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report a handler crash safely."""
        self.report(sys.exc_info()[1])


class EmulatorServer(Emulator):
    """The emulator served over real HTTP from a background thread; also a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: Optional[Dict[str, Any]] = None,
                 latency: float = 0.0, quiet: bool = True) -> None:
        super().__init__(state, latency)
        self.host, self.port, self.quiet = host, port, quiet
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> str:
        """Bind, serve in a daemon thread and return the base URL."""
        self._httpd = _HTTPServer((self.host, self.port), self, self.quiet)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="esendex-emulator", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, wake hung requests and close the listening socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.wake()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def base_url(self) -> str:
        """http://HOST:PORT"""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def messaging_url(self) -> str:
        """Messaging service base URL."""
        return self.base_url + "/Messaging.svc"

    @property
    def voice_url(self) -> str:
        """Voice (PhoneNotify) service base URL."""
        return self.base_url + "/NotifyWS/PhoneNotify.asmx"

    def __enter__(self) -> EmulatorServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def _write_url_file(path: str, url: str) -> None:
    """Write the URL atomically so a polling shell script never reads half of it."""
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "w", encoding="utf-8") as stream:
        stream.write(url)
    os.replace(temp, path)


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Esendex US (CDYNE) Messaging + PhoneNotify emulator on loopback.")
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", help="JSON state file to load")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every service request")
    parser.add_argument("--url-file", help="write http://HOST:PORT here once listening")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    args = parser.parse_args(argv)
    server = EmulatorServer(args.host, args.port, quiet=args.quiet)
    try:
        if args.state:
            server.load_state_file(args.state)
        server.set_latency(args.latency)
        url = server.start()
    except (OSError, ValueError) as exc:
        print(f"esendex_emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    print(f"Esendex US emulator listening on {url}", flush=True)
    if args.url_file:
        _write_url_file(args.url_file, url)
    while not stop.is_set():
        stop.wait(0.5)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
