"""Esendex US (formerly CDYNE) wire-protocol emulator: Messaging (WCF REST) and Voice (ASMX GET/POST/SOAP, WSDL).

Messaging: CancelAllMessages, CancelMessage, GetMessageStatus, SendMessage. Voice: CancelNotifyByReferenceID, CancelNotify,
GetMultipleQueueIdStatus, NotifyMultiplePhoneBasicWithCPMandReferenceID, NotifyPhoneAdvanced (SOAP only).

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
CALL_STATUS_ALIASES = {"queued": "scheduled", "in progress": "in_progress", "in-progress": "in_progress"}
# Voice operations and their parameters in signature order (C/3P: the svcutil contract of PhoneNotify.asmx).
VOICE_OPERATIONS: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "CancelNotifyByReferenceID": (("ReferenceID", "string"), ("LicenseKey", "string")),
    "CancelNotify": (("QueueID", "long"), ("LicenseKey", "string")),
    "GetMultipleQueueIdStatus": (("QueueIDs", "string"), ("LicenseKey", "string")),
    "NotifyMultiplePhoneBasicWithCPMandReferenceID": (
        ("PhoneNumbersToDial", "string"), ("TextToSay", "string"), ("CallerID", "string"), ("CallerIDname", "string"),
        ("VoiceID", "string"), ("CallsPerMinute", "int"), ("ReferenceID", "string"), ("LicenseKey", "string")),
    "NotifyPhoneAdvanced": (("anr", "AdvancedNotifyRequest"),),
}
VOICE_RESULT_TYPES = {"CancelNotifyByReferenceID": "int", "CancelNotify": "boolean", "GetMultipleQueueIdStatus": "ArrayOfNotifyReturn",
                      "NotifyMultiplePhoneBasicWithCPMandReferenceID": "ArrayOfNotifyReturn", "NotifyPhoneAdvanced": "NotifyReturn"}
# AdvancedNotifyRequest fields (3P, Reference.cs); the XSD types other than string are INFERRED.
ANR_FIELDS = (("PhoneNumberToDial", "string"), ("TransferNumber", "string"), ("VoiceID", "int"), ("CallerIDNumber", "string"),
              ("CallerIDName", "string"), ("TextToSay", "string"), ("LicenseKey", "string"), ("TryCount", "unsignedByte"),
              ("NextTryInSeconds", "int"), ("UTCScheduledDateTime", "dateTime"), ("TTSrate", "unsignedByte"),
              ("TTSvolume", "unsignedByte"), ("MaxCallLength", "int"), ("StatusChangePostUrl", "string"), ("ReferenceID", "string"))
# NotifyReturn children in their documented order (3P, Reference.cs / cdyne4j mock data).
NOTIFY_RETURN_FIELDS = (("ResponseCode", "int"), ("ResponseText", "string"), ("CallAnswered", "boolean"), ("QueueID", "long"),
                        ("TryCount", "int"), ("Demo", "boolean"), ("DigitsPressed", "string"), ("MachineDetection", "string"),
                        ("Duration", "int"), ("StartTime", "dateTime"), ("EndTime", "dateTime"), ("MinuteRate", "decimal"),
                        ("Country", "string"), ("CallComplete", "boolean"), ("TextToSay", "string"))
# ResponseCode/ResponseText per emulated call status (codes and texts 3P, GetResponseCodes; the mapping is INFERRED).
CALL_RESPONSE = {"scheduled": (0, "Queued"), "in_progress": (12, "Dialing"), "completed": (1, "Call Answered"), "cancelled": (22, "Cancelled")}
KEY_INVALID = (14, "Key Invalid. IP Address has been suspended.")
MESSAGING_OPERATIONS = ("CancelAllMessages", "CancelMessage", "GetMessageStatus", "SendMessage")
MESSAGE_ID_OPERATIONS = ("cancelmessage", "getmessagestatus")  # lower-case names of the operations that take a bare MessageID
DOTNET_MIN_DATE = "0001-01-01T00:00:00"
WCF_MIN_DATE_MS = -62135596800000  # .NET DateTime.MinValue as WCF JSON milliseconds
SEEDED_SENT_MS = 1796115600000  # 2026-12-01T09:00:00Z: SentDateTime of a message seeded as sent without sent_time_ms
# SMSError values (C, SMSResponse type page); WCF writes an enum as its number in JSON and its member name in XML.
SMS_ERRORS = {0: "NoError", 7: "NotFound"}
SMS_NS = "http://sms2.cdyne.com"  # INFERRED: the data-contract namespace of the 2018 Messaging.svc WSDL copy
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Optional NotifyReturn fields a stored call may carry, and their types (state document, add_account, set_call_status).
CALL_FIELDS = {"duration": "int", "try_count": "int", "start_time": "datetime", "end_time": "datetime", "machine_detection": "string",
               "digits_pressed": "string", "country": "string", "minute_rate": "decimal", "call_answered": "bool"}
# INFERRED: what a completed call reads when the state gives nothing else (a 42-second answered call, local times, no zone).
COMPLETED_CALL_DEFAULTS = {"machine_detection": "HUMAN", "duration": 42, "start_time": "2026-12-07T10:15:03.57",
                           "end_time": "2026-12-07T10:15:45.57", "try_count": 1, "minute_rate": "0.0900"}
INT64_MAX = 2 ** 63 - 1
FIRST_QUEUE_ID = 100001
ID_NAMESPACE = uuid.UUID("5b3f1c2a-9d4e-4f60-8a71-6c2e0b9d1e11")  # for deterministic MessageIDs
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
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


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


def _check_call_fields(fields: Dict[str, Any]) -> None:
    """Validate the optional NotifyReturn fields of a call (CALL_FIELDS); null means not given."""
    checks = {"int": lambda v: _is_number(v, True) and 0 <= v <= 2 ** 31 - 1, "bool": lambda v: isinstance(v, bool),
              "string": lambda v: isinstance(v, str), "datetime": lambda v: isinstance(v, str) and bool(_DATETIME.fullmatch(v)),
              "decimal": lambda v: _is_number(v) or (isinstance(v, str) and bool(_DECIMAL.fullmatch(v)))}
    hints = {"int": "an integer from 0 to 2147483647", "bool": "true or false", "string": "a string",
             "datetime": "a date and time like 2026-12-07T10:15:03.57", "decimal": "a number or a decimal string like 0.0900"}
    for name, kind in CALL_FIELDS.items():
        if fields.get(name) is not None and not checks[kind](fields[name]):
            raise ValueError(f"call field {name} must be {hints[kind]}")


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
        (isinstance(spec.get("match", {}), dict) and set(spec.get("match", {})) <= set(MATCH_FIELDS)
         and all(isinstance(v, str) or (k == "queue_id" and _is_number(v, True)) for k, v in spec.get("match", {}).items()),
         f"match takes {', '.join(MATCH_FIELDS)} (strings; queue_id may be an integer)"),
        (isinstance(spec.get("seed"), (int, str, type(None))), "seed must be an integer or a string"),
    ]
    for passed, message in checks:
        if not passed:
            raise ValueError(message)
    rng = random.Random(spec.get("seed")) if "probability" in spec else None
    return {"spec": dict(spec), "remaining": count, "applied": 0, "rng": rng}


MATCH_FIELDS = ("path_contains", "method", "operation", "reference_id", "queue_id", "message_id")


def _fault_matches(entry: Dict[str, Any], method: str, route: str, info: Optional[Dict[str, Any]] = None) -> bool:
    """True when a queued fault's ``match`` accepts this request and its probability draw hits.

    ``method`` is the HTTP method; ``operation`` the service method name (from the path, SOAPAction or SOAP body);
    ``reference_id``/``queue_id``/``message_id`` match when the request carries that ID (one of several counts).
    """
    match = entry["spec"].get("match") or {}
    if "method" in match and match["method"].upper() != method.upper():
        return False
    if "path_contains" in match and match["path_contains"].lower() not in route.lower():
        return False
    info = info or {}
    if "operation" in match and match["operation"].lower() != (info.get("operation") or "").lower():
        return False
    if "reference_id" in match and match["reference_id"] not in info.get("reference_ids", ()):
        return False
    if "queue_id" in match and str(match["queue_id"]).strip() not in {str(q) for q in info.get("queue_ids", ())}:
        return False
    if "message_id" in match and (parse_guid(match["message_id"]) or match["message_id"]) not in info.get("message_ids", ()):
        return False
    return entry["rng"] is None or entry["rng"].random() < entry["spec"]["probability"]


class Emulator:
    """Thread-safe model: accounts, request log, cancellation record, fault queue and latency."""

    def __init__(self, state: Optional[Dict[str, Any]] = None, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._message_seq = itertools.count(1)
        self._wake = threading.Event()
        self._accounts: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
        self._requests: List[Dict[str, Any]] = []
        self._cancellations: List[Dict[str, Any]] = []
        self._faults: List[Dict[str, Any]] = []
        self._latency = 0.0
        self._message_status_available = True
        # Indexes over self._accounts (the same dicts), rebuilt by _reindex whenever accounts are replaced.
        self._calls_by_id: Dict[int, Tuple[str, Dict[str, Any]]] = {}
        self._messages_by_id: Dict[str, Dict[str, Any]] = {}
        self._max_queue_id = FIRST_QUEUE_ID - 1
        self.reset(state)
        self.set_latency(latency)

    def _normalize_accounts(self, state: Any, taken: Optional[Dict[str, Dict[str, List[Dict[str, Any]]]]] = None
                            ) -> Dict[str, Dict[str, List[Dict[str, Any]]]]:
        """Validate a state document, fill in defaults and IDs; error messages never echo a key.

        A message without ``id`` (its MessageID) gets a GUID derived from its account and position; a call without
        ``queue_id`` gets the next integer after the largest QueueID in ``taken`` and the document (at least 100001),
        in document order. So a document without IDs loads the same way every time.
        """
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
        used = [c["queue_id"] for acc in list((taken or {}).values()) + list(accounts.values()) for c in acc["calls"] if "queue_id" in c]
        next_queue_id = max([FIRST_QUEUE_ID - 1] + used) + 1
        for key, account in accounts.items():
            for index, message in enumerate(account["messages"]):
                if "id" not in message:
                    message["id"] = str(uuid.uuid5(ID_NAMESPACE, f"{key}/messages/{index}"))
            for call in account["calls"]:
                if "queue_id" not in call:
                    call["queue_id"], next_queue_id = next_queue_id, next_queue_id + 1
        queue_ids = {c["queue_id"] for acc in (taken or {}).values() for c in acc["calls"]}
        message_ids = {m["id"] for acc in (taken or {}).values() for m in acc["messages"]}
        for account in accounts.values():
            for call in account["calls"]:
                if call["queue_id"] in queue_ids:
                    raise ValueError(f"QueueID {call['queue_id']} is used more than once: every call, in any account, needs its own queue_id")
                queue_ids.add(call["queue_id"])
            for message in account["messages"]:
                if message["id"] in message_ids:
                    raise ValueError(f"MessageID {message['id']} is used more than once: every message, in any account, needs its own id")
                message_ids.add(message["id"])
        return accounts

    def _reindex(self) -> None:
        """Rebuild the QueueID and MessageID indexes from the accounts (caller holds the lock)."""
        self._calls_by_id = {c["queue_id"]: (key, c) for key, acc in self._accounts.items() for c in acc["calls"]}
        self._messages_by_id = {m["id"]: m for acc in self._accounts.values() for m in acc["messages"]}
        self._max_queue_id = max([FIRST_QUEUE_ID - 1] + list(self._calls_by_id))

    def _item(self, raw: Any, kind: str) -> Dict[str, Any]:
        """One message or call with defaults (status scheduled); IDs are filled in by _normalize_accounts."""
        if not isinstance(raw, dict):
            raise ValueError(f"{kind} entries must be JSON objects")
        if kind == "messages":
            item, statuses = {"to": "", "body": "", "status": "scheduled", **raw}, MESSAGE_STATUSES
            if "id" not in item and "message_id" in item:
                item["id"] = item.pop("message_id")
            if "id" in item:
                if parse_guid(item["id"]) is None:
                    raise ValueError("a message id (MessageID) must be a GUID")
                item["id"] = parse_guid(item["id"])
            if "sent_time_ms" in item and not _is_number(item["sent_time_ms"], True):
                raise ValueError("a message's sent_time_ms must be an integer (milliseconds since 1970)")
        else:
            item, statuses = {"reference_id": "", "to": "", "status": "scheduled", **raw}, CALL_STATUSES
            item["status"] = CALL_STATUS_ALIASES.get(item["status"], item["status"]) if isinstance(item["status"], str) else item["status"]
            if ("queue_id" in item and not (_is_number(item["queue_id"], True) and 0 < item["queue_id"] <= INT64_MAX)) \
                    or not isinstance(item["reference_id"], str):
                raise ValueError("queue_id must be an integer from 1 to 9223372036854775807 and reference_id a string")
            _check_call_fields(item)
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
            self._reindex()
        return self.get_state()

    def add_account(self, license_key: str, messages: Any = (), calls: Any = ()) -> Dict[str, Any]:
        """Add or replace one account."""
        with self._lock:
            others = {k: v for k, v in self._accounts.items() if k != parse_guid(license_key)}
            accounts = self._normalize_accounts({"accounts": {license_key: {"messages": list(messages), "calls": list(calls)}}}, others)
            self._accounts.update(accounts)
            self._reindex()
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
            self._reindex()
            self._requests.clear()
            self._cancellations.clear()
            self._faults.clear()
            self._latency = 0.0
            self._message_status_available = True
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

    def faults_pending(self) -> bool:
        """True when any fault is queued."""
        with self._lock:
            return bool(self._faults)

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

    @property
    def message_status_available(self) -> bool:
        """False when GetMessageStatus answers 404 Endpoint not found (the day the deprecated method is removed)."""
        return self._message_status_available

    def set_message_status_available(self, available: Any) -> bool:
        """Switch GetMessageStatus on (true, the default after reset) or off (404, as WCF answers an unknown endpoint)."""
        if not isinstance(available, bool):
            raise ValueError("message_status_available must be true or false")
        with self._lock:
            self._message_status_available = available
        return available

    def settings(self) -> Dict[str, Any]:
        """The switchable behaviours, as the control API shows them."""
        return {"message_status_available": self.message_status_available}

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

    def take_fault(self, method: str, route: str, info: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        """Consume and return the first queued fault that applies to this request (``info``: see request_info)."""
        with self._lock:
            for entry in self._faults:
                if not _fault_matches(entry, method, route, info):
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

    def cancel_message(self, message_id: Optional[str], transport: str, commit: bool = True) -> bool:
        """CancelMessage: cancel the scheduled message with this MessageID, whatever its account (no key, as documented)."""
        with self._lock:
            # INFERRED: false for an unknown, sent, queued or already cancelled message.
            message = self._messages_by_id.get(message_id or "")
            targets = [message] if message is not None and message["status"] == "scheduled" else []
            if commit:
                for message in targets:
                    message["status"] = "cancelled"
                self._record("CancelMessage", transport, None, None, [m["id"] for m in targets], message_id=message_id)
        return bool(targets)

    def cancel_call(self, license_key: Optional[str], queue_id: int, transport: str, commit: bool = True) -> bool:
        """CancelNotify: cancel the key's call with this QueueID if it is still scheduled (Queued)."""
        with self._lock:
            owner, call = self._calls_by_id.get(queue_id, (None, None))
            # C: completed calls and calls in progress are not cancelled; INFERRED: false for unknown or another key's IDs.
            targets = [call] if call is not None and owner == parse_guid(license_key) and call["status"] == "scheduled" else []
            if commit:
                for call in targets:
                    call["status"] = "cancelled"
                self._record("CancelNotify", transport, license_key, None, [c["queue_id"] for c in targets], queue_id=queue_id)
        return bool(targets)

    def call_statuses(self, license_key: Optional[str], queue_ids: List[int]) -> List[Dict[str, Any]]:
        """GetMultipleQueueIdStatus: copies of the key's calls with these QueueIDs, in request order, each once.

        INFERRED: IDs the key does not own (unknown, or another account's) are left out of the answer.
        """
        key = parse_guid(license_key)
        with self._lock:
            found: Dict[int, Dict[str, Any]] = {}
            for queue_id in queue_ids:
                owner, call = self._calls_by_id.get(queue_id, (None, None))
                if call is not None and owner == key and queue_id not in found:
                    found[queue_id] = copy.deepcopy(call)
            return list(found.values())

    def message_status(self, message_id: Optional[str]) -> Optional[Dict[str, Any]]:
        """GetMessageStatus: a copy of the message with this MessageID, whatever its account (no key, C); None when unknown."""
        with self._lock:
            message = self._messages_by_id.get(parse_guid(message_id) or "")
            return None if message is None else copy.deepcopy(message)

    def _next_queue_id(self) -> int:
        """The next free QueueID (caller holds the lock)."""
        return self._max_queue_id + 1

    def schedule_calls(self, license_key: Optional[str], calls: List[Dict[str, Any]], transport: str,
                       commit: bool = True) -> Optional[List[Dict[str, Any]]]:
        """Notify*: store scheduled calls (``to``, ``reference_id``, ``text`` ...) and return them with QueueIDs.

        None when the key has no account (the caller answers ResponseCode 14, INFERRED).
        """
        with self._lock:
            account = self._accounts.get(parse_guid(license_key) or "")
            if account is None:
                return None
            queue_id, stored = self._next_queue_id(), []
            for call in calls:
                stored.append({"queue_id": queue_id, "reference_id": "", "to": "", "status": "scheduled", **call,
                               "scheduled_by": transport})
                queue_id += 1
            if commit:
                account["calls"].extend(stored)
                self._calls_by_id.update((c["queue_id"], (parse_guid(license_key) or "", c)) for c in stored)
                self._max_queue_id = max([self._max_queue_id] + [c["queue_id"] for c in stored])
            return copy.deepcopy(stored)

    def send_messages(self, license_key: Optional[str], messages: List[Dict[str, Any]], commit: bool = True) -> Optional[List[Dict[str, Any]]]:
        """SendMessage: store one message per recipient with a new MessageID; None when the key has no account."""
        with self._lock:
            account = self._accounts.get(parse_guid(license_key) or "")
            if account is None:
                return None
            stored = []
            for message in messages:
                # A fresh GUID per message, derived from a per-emulator sequence so runs are reproducible.
                message_id = str(uuid.uuid5(ID_NAMESPACE, f"sent/{next(self._message_seq)}"))
                stored.append({"id": message_id, "to": "", "body": "", "status": "scheduled", **message})
            if commit:
                account["messages"].extend(stored)
                self._messages_by_id.update((m["id"], m) for m in stored)
            return copy.deepcopy(stored)

    def items(self, kind: str) -> List[Dict[str, Any]]:
        """Every call or message of every account, flat, with its account's key digest (never the key).

        Calls carry ``response_code``/``response_text`` as GetMultipleQueueIdStatus would report them; messages carry
        ``message_id`` (the same value as ``id``).
        """
        with self._lock:
            found = []
            for key, account in self._accounts.items():
                for item in account[kind]:
                    entry = dict(copy.deepcopy(item), license_key_sha256=_key_digest(key))
                    if kind == "calls":
                        entry["response_code"], entry["response_text"] = CALL_RESPONSE[item["status"]]
                    else:
                        entry["message_id"] = item["id"]
                    found.append(entry)
            return found

    def set_call_status(self, queue_ids: Any, status: Any, **fields: Any) -> List[int]:
        """Move calls (any account) to a status: scheduled (alias queued), in_progress, completed or cancelled; all or none.

        ``fields`` (CALL_FIELDS: duration, start_time, ...) are stored on each call too; a null value removes that field, so
        the call reads its default again (a completed call's defaults are COMPLETED_CALL_DEFAULTS).
        """
        status = CALL_STATUS_ALIASES.get(status, status) if isinstance(status, str) else status
        if status not in CALL_STATUSES:
            raise ValueError(f"call status must be one of {list(CALL_STATUSES) + list(CALL_STATUS_ALIASES)}")
        if not isinstance(queue_ids, list) or not all(_is_number(q, True) for q in queue_ids):
            raise ValueError("queue_ids must be a list of integers")
        if set(fields) - set(CALL_FIELDS):
            raise ValueError(f"unknown call fields: {sorted(set(fields) - set(CALL_FIELDS))}; known: {list(CALL_FIELDS)}")
        _check_call_fields(fields)
        with self._lock:
            unknown = [q for q in queue_ids if q not in self._calls_by_id]
            if unknown:
                raise ValueError(f"unknown queue_ids: {unknown[:10]}")
            for queue_id in queue_ids:
                call = self._calls_by_id[queue_id][1]
                call["status"] = status
                for name, value in fields.items():
                    if value is None:
                        call.pop(name, None)
                    else:
                        call[name] = value
        return list(queue_ids)

    def set_message_status(self, message_ids: Any, status: Any) -> List[str]:
        """Move messages (any account) to a status in MESSAGE_STATUSES; all or none."""
        if status not in MESSAGE_STATUSES:
            raise ValueError(f"message status must be one of {list(MESSAGE_STATUSES)}")
        if not isinstance(message_ids, list) or not all(parse_guid(m) for m in message_ids):
            raise ValueError("message_ids must be a list of GUIDs")
        wanted = [parse_guid(m) for m in message_ids]
        with self._lock:
            unknown = [m for m in wanted if m not in self._messages_by_id]
            if unknown:
                raise ValueError(f"unknown message_ids: {unknown[:10]}")
            for message_id in wanted:
                message = self._messages_by_id[message_id or ""]
                if status == "sent" and message["status"] != "sent":
                    message["sent_time_ms"] = int(time.time() * 1000)
                message["status"] = status
        return [str(m) for m in wanted]

    def _record(self, method: str, transport: str, license_key: Optional[str], reference_id: Optional[str], ids: List[Any],
                **extra: Any) -> None:
        """Append to the cancellation record (caller holds the lock); ``extra`` adds queue_id / message_id."""
        self._cancellations.append({"seq": len(self._cancellations) + 1, "time": time.time(), "method": method, "transport": transport,
                                    "license_key": license_key, "license_key_sha256": _key_digest(license_key),
                                    "reference_id": reference_id, "count": len(ids), "cancelled_ids": ids, **extra})


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


_UNQUOTED_TOKEN = re.compile(r"[^\s,:\[\]{}\"]+")


def _posted_guid(req: ServiceRequest) -> Tuple[Optional[str], str]:
    """The GUID from a JSON string or DataContract <guid> body, and the body's format."""
    media = _media_type(req.headers.get("Content-Type"))[0]
    if media == "application/json":
        text = req.body.decode("utf-8-sig", "replace").strip()
        try:
            value = json.loads(text)
        except ValueError:
            # INFERRED: .NET's JSON reader (used by WCF) reads an unquoted token that starts with a digit up to the next
            # delimiter as a number without checking its syntax, and the GUID converter then parses that text; so the
            # JavaScript and Ruby samples' unquoted `00000000-...` works. A token starting with a letter is refused (400).
            if text[:1].isdigit() and _UNQUOTED_TOKEN.fullmatch(text):
                return parse_guid(text), "json"
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


_WCF_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def _send_message_request(req: ServiceRequest) -> Optional[Dict[str, Any]]:
    """The SendMessage JSON object, checked like the WCF deserializer would (None: 400 Request Error)."""
    # INFERRED: the request type's field types (To: string[], LicenseKey: Guid, ScheduledDateTime: WCF JSON date).
    if _media_type(req.headers.get("Content-Type"))[0] != "application/json":
        return None
    try:
        doc = json.loads(req.body.decode("utf-8-sig"))
    except ValueError:
        return None
    if not isinstance(doc, dict) or parse_guid(doc.get("LicenseKey")) is None:
        return None
    to = doc.get("To")
    if not (to is None or (isinstance(to, list) and all(isinstance(n, str) for n in to))):
        return None
    if not all(isinstance(doc.get(k), (str, type(None))) for k in ("Body", "From", "ReferenceID", "Subject", "ScheduledDateTime")):
        return None
    scheduled = doc.get("ScheduledDateTime")
    if scheduled is not None:
        match = _WCF_DATE.fullmatch(scheduled)
        if match is None:
            return None
        doc["_scheduled_ms"] = int(match.group(1))
    return doc


def _wcf_date(ms: int) -> str:
    """A WCF JSON date, "/Date(ms)/" (written with escaped slashes by _wcf_json)."""
    return f"/Date({ms})/"


def _wcf_json(payload: Any) -> Response:
    """A JSON answer as DataContractJsonSerializer writes it: compact, every "/" in a string escaped as "\\/"."""
    # "/" only occurs inside strings in JSON text, so escaping all of them matches WCF's output byte for byte.
    return Response(200, json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode("utf-8"), JSON_TYPE)


def sms_response(message: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The SMSResponse GetMessageStatus answers for a stored message (None: not found), as a JSON object.

    Field names C (SMSResponse type page); INFERRED: the object shape, DataContract member order (alphabetical), the
    SMSError enum as a number, SentDateTime as a WCF date (DateTime.MinValue unless sent), ReferenceID null when the
    message has none, the status mapping (scheduled: all false; queued: Queued; sent: Sent; cancelled: Cancelled) and,
    for an unknown MessageID or Guid.Empty, SMSError 7 (NotFound) with the all-zero MessageID.
    """
    status = (message or {}).get("status")
    sent_ms = message.get("sent_time_ms", SEEDED_SENT_MS) if message is not None and status == "sent" else WCF_MIN_DATE_MS
    return {"Cancelled": status == "cancelled", "MessageID": message["id"] if message else ZERO_GUID, "Queued": status == "queued",
            "ReferenceID": (message or {}).get("reference_id") or None, "SMSError": 0 if message else 7, "SMSIncomingMessages": None,
            "Sent": status == "sent", "SentDateTime": _wcf_date(sent_ms)}


def _sms_response_xml(answer: Dict[str, Any]) -> Response:
    """The SMSResponse as DataContract XML (INFERRED: namespace SMS_NS, enum as its member name, nulls as i:nil)."""
    parts = []
    for name, value in answer.items():
        if value is None:
            parts.append(f'<{name} i:nil="true" />')
            continue
        if isinstance(value, bool):
            text = _xml_bool(value)
        elif name == "SMSError":
            text = SMS_ERRORS.get(value, str(value))
        elif name == "SentDateTime":
            ms = int(value[6:-2])
            text = DOTNET_MIN_DATE if ms == WCF_MIN_DATE_MS else time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + "Z"
        else:
            text = xml_escape(str(value))
        parts.append(f"<{name}>{text}</{name}>")
    xml = f'<SMSResponse xmlns="{SMS_NS}" xmlns:i="{XSI_NS}">{"".join(parts)}</SMSResponse>'
    return Response(200, xml.encode("utf-8"), "application/xml; charset=utf-8")


def _messaging(emulator: Emulator, req: ServiceRequest, operation: str, commit: bool) -> Response:
    """Messaging.svc/<operation>: CancelAllMessages, CancelMessage, GetMessageStatus, SendMessage."""
    names = {name.lower(): name for name in MESSAGING_OPERATIONS}
    name = names.get(operation.lower())
    if name == "GetMessageStatus" and not emulator.message_status_available:
        name = None  # switched off: answered as WCF answers a method the service no longer has
    if name is None:
        return _wcf_page(404, "Service", "Endpoint not found. Please see the service help page for constructing valid requests to the service.")
    if name == "SendMessage":
        return _send_message(emulator, req, commit)
    param = "licensekey" if name == "CancelAllMessages" else "messageid"
    if req.method == "GET":
        raw = _params(req.query).get(param)
        # INFERRED: WCF binds a missing query variable to Guid.Empty, which matches no account or message.
        value, body_format, transport = (ZERO_GUID if raw is None else parse_guid(raw)), "xml", "http-get"
    elif req.method == "POST":
        value, body_format = _posted_guid(req)
        transport = body_format
    else:
        return _wcf_page(405, "Service", "Method not allowed. Please see the service help page for constructing valid requests to the service.")
    if value is None:
        # INFERRED: WCF answers an undeserializable body with its generic 400 HTML "Request Error" page.
        return _wcf_page(400, "Request Error", WCF_REQUEST_ERROR)
    if name == "GetMessageStatus":
        # C: no license key, so any account's message is read; it never changes state.
        message = None if value == ZERO_GUID else emulator.message_status(value)
        answer = sms_response(message)
        return _wcf_json(answer) if _negotiate(req.headers.get("Accept"), body_format) == "json" else _sms_response_xml(answer)
    if name == "CancelMessage":
        # C: no license key; INFERRED: true only when that scheduled message was cancelled now.
        result = emulator.cancel_message(value, transport, commit)
    else:
        # INFERRED: true when at least one message was cancelled, false when none (re-runs and unknown keys).
        result = emulator.cancel_messages(value, transport, commit) > 0
    return _wcf_boolean(result, _negotiate(req.headers.get("Accept"), body_format))


def _send_message(emulator: Emulator, req: ServiceRequest, commit: bool) -> Response:
    """SendMessage: JSON object in, JSON array of OutgoingMessageResponse out (one per recipient, C)."""
    if req.method != "POST":
        return _wcf_page(405, "Service", "Method not allowed. Please see the service help page for constructing valid requests to the service.")
    doc = _send_message_request(req)
    if doc is None:
        return _wcf_page(400, "Request Error", WCF_REQUEST_ERROR)
    recipients = doc.get("To") or []
    # INFERRED: a ScheduledDateTime in the future stores a scheduled message (MessageStatus 201 Ready); otherwise the
    # message counts as sent at once (200 Sent). An unknown key gets 401 InvalidLicenseKey and an empty MessageID.
    now_ms = int(time.time() * 1000)
    future = doc.get("_scheduled_ms") is not None and doc["_scheduled_ms"] > now_ms
    sent = {} if future else {"sent_time_ms": now_ms}
    stored = emulator.send_messages(doc["LicenseKey"], [
        {"to": number, "body": doc.get("Body") or "", "status": "scheduled" if future else "sent",
         "reference_id": doc.get("ReferenceID") or "", "from": doc.get("From") or "", **sent} for number in recipients], commit)
    answers = []
    for index, number in enumerate(recipients):
        message_id, status = (ZERO_GUID, 401) if stored is None else (stored[index]["id"], 201 if future else 200)
        # The field set beyond MessageID, MessageStatus, To, From, SentTime and Attachments is INFERRED.
        answers.append({"Attachments": None, "From": doc.get("From"), "MessageID": message_id, "MessageStatus": status,
                        "ReferenceID": doc.get("ReferenceID"), "SentTime": None if future or stored is None else
                        _wcf_date(now_ms), "Subject": doc.get("Subject"), "To": number})
    return _json_response(200, answers)


def _xml_bool(value: bool) -> str:
    """An xs:boolean."""
    return "true" if value else "false"


def notify_return_fields(call: Optional[Dict[str, Any]], code: Optional[Tuple[int, str]] = None) -> List[Tuple[str, str]]:
    """A NotifyReturn as (element, text) pairs in the documented order; null (and empty) strings are left out (3P).

    A call's own CALL_FIELDS win; a completed call fills the rest from COMPLETED_CALL_DEFAULTS (INFERRED), any other
    status reads Duration 0, DateTime.MinValue and MinuteRate 0 as before.
    """
    call = call or {}
    status = call.get("status", "scheduled")
    response_code, response_text = code or CALL_RESPONSE[status]
    finished = status in ("completed", "cancelled")  # INFERRED: a cancelled call also reads CallComplete true
    given = dict(COMPLETED_CALL_DEFAULTS) if status == "completed" else {}
    given.update((name, value) for name, value in call.items() if name in CALL_FIELDS and value is not None)
    values = {"ResponseCode": str(response_code), "ResponseText": response_text,
              "CallAnswered": _xml_bool(given.get("call_answered", status == "completed")), "QueueID": str(call.get("queue_id", 0)),
              "TryCount": str(given.get("try_count", 1 if status in ("in_progress", "completed") else 0)), "Demo": "false",
              "DigitsPressed": given.get("digits_pressed"), "MachineDetection": given.get("machine_detection"),
              "Duration": str(given.get("duration", 0)), "StartTime": given.get("start_time", DOTNET_MIN_DATE),
              "EndTime": given.get("end_time", DOTNET_MIN_DATE), "MinuteRate": str(given.get("minute_rate", 0)),
              "Country": given.get("country"), "CallComplete": _xml_bool(finished), "TextToSay": str(call.get("text") or "")}
    return [(name, values[name]) for name, _type in NOTIFY_RETURN_FIELDS if values.get(name)]


def _notify_return_xml(call: Optional[Dict[str, Any]], tag: str = "NotifyReturn", attrs: str = "",
                       code: Optional[Tuple[int, str]] = None) -> str:
    """A NotifyReturn element (or the SOAP result element carrying one)."""
    inner = "".join(f"<{name}>{xml_escape(text)}</{name}>" for name, text in notify_return_fields(call, code))
    return f"<{tag}{attrs}>{inner}</{tag}>"


class _BadValue(ValueError):
    """A parameter the ASMX runtime cannot convert (HTTP 500 text / SOAP Client fault)."""


def _to_int(text: Optional[str], bits: int = 64) -> int:
    """Int32/Int64 conversion as .NET does it: white space and a sign allowed, nothing else (INFERRED)."""
    value = (text or "").strip()
    if not re.fullmatch(r"[+-]?\d+", value):
        raise _BadValue(f"Cannot convert {text} to System.Int{bits}.\r\nParameter name: type ---> "
                        "System.FormatException: Input string was not in a correct format.")
    number = int(value)
    if not -2 ** (bits - 1) <= number < 2 ** (bits - 1):
        raise _BadValue(f"Cannot convert {text} to System.Int{bits}.\r\nParameter name: type ---> "
                        f"System.OverflowException: Value was either too large or too small for an Int{bits}.")
    return number


def _split_ids(text: str) -> List[int]:
    """QueueIDs "1;2;3": INFERRED, items that are not integers are skipped."""
    found = []
    for item in (text or "").split(";"):
        item = item.strip()
        if re.fullmatch(r"\d+", item) and int(item) <= INT64_MAX:
            found.append(int(item))
    return found


def _voice_invoke(emulator: Emulator, operation: str, params: Dict[str, Optional[str]], transport: str, commit: bool
                  ) -> Tuple[str, Any]:
    """Run one voice operation on named parameters (None = absent, SOAP only); return (result type, value)."""
    key = params.get("LicenseKey")
    if operation == "CancelNotifyByReferenceID":
        # INFERRED: a non-GUID or unknown key cancels nothing and answers 0.
        return "int", emulator.cancel_calls(key, params.get("ReferenceID"), transport, commit)
    if operation == "CancelNotify":
        queue_id = 0 if params.get("QueueID") is None else _to_int(params["QueueID"])
        return "boolean", emulator.cancel_call(key, queue_id, transport, commit)
    if operation == "GetMultipleQueueIdStatus":
        return "array", [(c, None) for c in emulator.call_statuses(key, _split_ids(params.get("QueueIDs") or ""))]
    if operation == "NotifyMultiplePhoneBasicWithCPMandReferenceID":
        if params.get("CallsPerMinute") is not None:
            _to_int(params["CallsPerMinute"], 32)
        # INFERRED: numbers are separated by semicolons (or commas); empty items are skipped.
        numbers = [n.strip() for n in re.split(r"[;,]", params.get("PhoneNumbersToDial") or "") if n.strip()]
        calls = [{"to": n, "reference_id": params.get("ReferenceID") or "", "text": params.get("TextToSay") or ""} for n in numbers]
        stored = emulator.schedule_calls(key, calls, transport, commit)
        if stored is None:
            return "array", [(None, KEY_INVALID) for unused in numbers]  # INFERRED: code 14 per number, QueueID 0
        return "array", [(c, None) for c in stored]
    # NotifyPhoneAdvanced
    anr = params.get("anr") or {}
    stored = emulator.schedule_calls(anr.get("LicenseKey"), [{
        "to": anr.get("PhoneNumberToDial") or "", "reference_id": anr.get("ReferenceID") or "", "text": anr.get("TextToSay") or "",
        "scheduled_for": anr.get("UTCScheduledDateTime") or ""}], transport, commit)
    return "notify", (None, KEY_INVALID) if stored is None else (stored[0], None)


def _voice_plain(result_type: str, value: Any) -> Response:
    """The HttpGet/HttpPost answer: one root element in the service namespace."""
    if result_type == "int":
        xml = f'<int xmlns="{NS}">{value}</int>'
    elif result_type == "boolean":
        xml = f'<boolean xmlns="{NS}">{_xml_bool(value)}</boolean>'
    else:
        items = "".join(_notify_return_xml(call, code=code) for call, code in value)
        xml = f'<ArrayOfNotifyReturn {SOAP_XMLNS} xmlns="{NS}">{items}</ArrayOfNotifyReturn>'
    return Response(200, f"{XML_DECL}\n{xml}".encode("utf-8"), TEXT_XML)


def _voice_soap_result(version: int, operation: str, result_type: str, value: Any) -> Response:
    """The SOAP answer: <OpResponse><OpResult>...</OpResult></OpResponse> (INFERRED: ASMX doc/literal wrapped)."""
    result = f"{operation}Result"
    if result_type in ("int", "boolean"):
        inner = f"<{result}>{value if result_type == 'int' else _xml_bool(value)}</{result}>"
    elif result_type == "notify":
        inner = _notify_return_xml(value[0], tag=result, code=value[1])
    else:
        inner = f"<{result}>" + "".join(_notify_return_xml(call, code=code) for call, code in value) + f"</{result}>"
    return _soap(version, f'<{operation}Response xmlns="{NS}">{inner}</{operation}Response>')


def _voice_http(emulator: Emulator, req: ServiceRequest, operation: str, commit: bool) -> Response:
    """PhoneNotify.asmx/<operation> over HttpGet or HttpPost (form)."""
    names = {name.lower(): name for name in VOICE_OPERATIONS if name != "NotifyPhoneAdvanced"}  # complex type: SOAP only
    name = names.get(operation.lower())
    if name is None or req.method not in ("GET", "POST"):
        return _asmx_unrecognized(operation)
    reader = "UrlParameterReader"
    if req.method == "GET":
        params = _params(req.query)
    else:
        media = _media_type(req.headers.get("Content-Type"))[0]
        if media != "application/x-www-form-urlencoded":
            return _asmx_text(f"Request format is invalid: {media}.", "HtmlFormParameterReader")
        params, reader = _params(req.body.decode("utf-8", "replace")), "HtmlFormParameterReader"
    for param, _type in VOICE_OPERATIONS[name]:
        # INFERRED: standard ASMX parameter reader error, in signature order.
        if param.lower() not in params:
            return _asmx_text(f"Missing parameter: {param}.", reader)
    named = {param: params[param.lower()] for param, _type in VOICE_OPERATIONS[name]}
    try:
        result_type, value = _voice_invoke(emulator, name, named, "http-" + req.method.lower(), commit)
    except _BadValue as exc:
        # INFERRED: ASMX's parameter conversion error, HTTP 500 text/plain.
        return _asmx_text(str(exc), reader)
    return _voice_plain(result_type, value)


def _soap_params(operation: str, element: ET.Element) -> Dict[str, Any]:
    """Named parameters from a SOAP operation element (qualified children; absent = None)."""
    if operation == "NotifyPhoneAdvanced":
        anr = element.find(f"{{{NS}}}anr")
        return {"anr": None if anr is None else {name: anr.findtext(f"{{{NS}}}{name}") for name, _type in ANR_FIELDS}}
    return {name: element.findtext(f"{{{NS}}}{name}") for name, _type in VOICE_OPERATIONS[operation]}


def _voice_soap(emulator: Emulator, req: ServiceRequest, commit: bool) -> Response:
    """PhoneNotify.asmx over SOAP 1.1 (dispatch on SOAPAction) or SOAP 1.2 (dispatch on the body element)."""
    if req.method == "GET":
        if req.query.strip().lower() == "wsdl":
            return Response(200, phone_notify_wsdl(_request_host(req)).encode("utf-8"), TEXT_XML)
        links = "".join(f'<li><a href="PhoneNotify.asmx?op={op}">{op}</a></li>' for op in VOICE_OPERATIONS)
        html = (f'<html><head><title>PhoneNotify Web Service</title></head><body><h1>PhoneNotify</h1>'
                f'<p>Emulated operations:</p><ul>{links}</ul><p><a href="PhoneNotify.asmx?WSDL">Service Description</a></p></body></html>')
        return Response(200, html.encode("utf-8"), "text/html; charset=utf-8")
    media = _media_type(req.headers.get("Content-Type"))[0]
    version = {"text/xml": 11, "application/soap+xml": 12}.get(media)
    if req.method != "POST" or version is None:
        return _asmx_text(f"Request format is invalid: {media}.")
    expected = None
    if version == 11:
        action = (req.headers.get("SOAPAction") or "").strip().strip('"')
        expected = action[len(NS):] if action.startswith(NS) else None
        if expected not in VOICE_OPERATIONS:
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
    element = body[0] if body is not None and len(body) else None
    name = element.tag[len(NS) + 2:] if element is not None and element.tag.startswith(f"{{{NS}}}") else None
    if element is None or name not in VOICE_OPERATIONS or (expected is not None and name != expected):
        found = "no operation element" if element is None else f"<{element.tag.split('}')[-1]} xmlns='{element.tag[1:].split('}')[0]}'>"
        return _soap_fault(version, "Client", f"Server was unable to read request. ---> There is an error in XML document (1, 1). "
                                              f"---> {found} was not expected.")
    # INFERRED: an absent parameter element arrives as null (0 for a number) and matches nothing.
    try:
        result_type, value = _voice_invoke(emulator, name, _soap_params(name, element), f"soap1.{1 if version == 11 else 2}", commit)
    except _BadValue as exc:
        return _soap_fault(version, "Client", f"Server was unable to read request. ---> There is an error in XML document (1, 1). ---> {exc}")
    return _voice_soap_result(version, name, result_type, value)


_HOST_HEADER = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


def _request_host(req: ServiceRequest) -> str:
    """The Host the request came to (for WSDL addresses); a malformed header falls back to localhost."""
    host = (req.headers.get("Host") or "").strip()
    return host if _HOST_HEADER.fullmatch(host) else "localhost"


def _xsd_element(name: str, xsd_type: str, optional: bool = True) -> str:
    """One xs:element of the PhoneNotify schema."""
    prefix = "tns" if xsd_type in ("AdvancedNotifyRequest", "ArrayOfNotifyReturn", "NotifyReturn") else "s"
    return f'<s:element minOccurs="{0 if optional else 1}" maxOccurs="1" name="{name}" type="{prefix}:{xsd_type}" />'


def phone_notify_wsdl(host: str) -> str:
    """A WSDL 1.1 for the emulated PhoneNotify operations (doc/literal wrapped, SOAP 1.1 and 1.2 bindings).

    INFERRED: modelled on what ASMX generates (elementFormDefault qualified, target namespace NS, SOAPAction NS+name);
    it lists only the operations the emulator answers. The service address is http://<Host header>/NotifyWS/PhoneNotify.asmx.
    """
    address = xml_escape(f"http://{host}/NotifyWS/PhoneNotify.asmx", {'"': "&quot;"})
    elements = []
    for operation, params in VOICE_OPERATIONS.items():
        # Value-type parameters are required (minOccurs 1) in ASMX schemas; strings and classes are optional.
        fields = "".join(_xsd_element(p, t, t in ("string", "AdvancedNotifyRequest")) for p, t in params)
        elements.append(f'<s:element name="{operation}"><s:complexType><s:sequence>{fields}</s:sequence></s:complexType></s:element>')
        result_type = VOICE_RESULT_TYPES[operation]
        result = _xsd_element(f"{operation}Result", result_type, result_type not in ("int", "boolean"))
        elements.append(f'<s:element name="{operation}Response"><s:complexType><s:sequence>{result}</s:sequence></s:complexType></s:element>')
    anr = "".join(_xsd_element(n, t, t == "string") for n, t in ANR_FIELDS)
    notify = "".join(_xsd_element(n, t, t == "string") for n, t in NOTIFY_RETURN_FIELDS)
    types = (f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{NS}">{"".join(elements)}'
             f'<s:complexType name="AdvancedNotifyRequest"><s:sequence>{anr}</s:sequence></s:complexType>'
             f'<s:complexType name="NotifyReturn"><s:sequence>{notify}'
             f'<s:element minOccurs="0" maxOccurs="1" name="VariableArray" type="tns:ArrayOfVariable" /></s:sequence></s:complexType>'
             f'<s:complexType name="ArrayOfVariable"><s:sequence><s:element minOccurs="0" maxOccurs="unbounded" name="Variable" '
             f'nillable="true" type="tns:Variable" /></s:sequence></s:complexType>'
             f'<s:complexType name="Variable"><s:sequence><s:element minOccurs="0" maxOccurs="1" name="VariableName" type="s:string" />'
             f'<s:element minOccurs="0" maxOccurs="1" name="VariableValue" type="s:string" /></s:sequence></s:complexType>'
             f'<s:complexType name="ArrayOfNotifyReturn"><s:sequence><s:element minOccurs="0" maxOccurs="unbounded" name="NotifyReturn" '
             f'nillable="true" type="tns:NotifyReturn" /></s:sequence></s:complexType></s:schema></wsdl:types>')
    messages = "".join(f'<wsdl:message name="{op}SoapIn"><wsdl:part name="parameters" element="tns:{op}" /></wsdl:message>'
                       f'<wsdl:message name="{op}SoapOut"><wsdl:part name="parameters" element="tns:{op}Response" /></wsdl:message>'
                       for op in VOICE_OPERATIONS)
    port_ops = "".join(f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}SoapIn" /><wsdl:output message="tns:{op}SoapOut" />'
                       f'</wsdl:operation>' for op in VOICE_OPERATIONS)
    bindings = ""
    for suffix, prefix in (("", "soap"), ("12", "soap12")):
        ops = "".join(f'<wsdl:operation name="{op}"><{prefix}:operation soapAction="{NS}{op}" style="document" />'
                      f'<wsdl:input><{prefix}:body use="literal" /></wsdl:input><wsdl:output><{prefix}:body use="literal" /></wsdl:output>'
                      f'</wsdl:operation>' for op in VOICE_OPERATIONS)
        bindings += (f'<wsdl:binding name="PhoneNotifySoap{suffix}" type="tns:PhoneNotifySoap">'
                     f'<{prefix}:binding transport="http://schemas.xmlsoap.org/soap/http" />{ops}</wsdl:binding>')
    return (f'{XML_DECL}\n<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
            f'xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:s="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:tns="{NS}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="{NS}">'
            f'{types}{messages}<wsdl:portType name="PhoneNotifySoap">{port_ops}</wsdl:portType>{bindings}'
            f'<wsdl:service name="PhoneNotify">'
            f'<wsdl:port name="PhoneNotifySoap" binding="tns:PhoneNotifySoap"><soap:address location="{address}" /></wsdl:port>'
            f'<wsdl:port name="PhoneNotifySoap12" binding="tns:PhoneNotifySoap12"><soap12:address location="{address}" /></wsdl:port>'
            f'</wsdl:service></wsdl:definitions>')


def messaging_wsdl(host: str, message_status: bool = True) -> str:
    """A WSDL 1.1 for the emulated Messaging operations, as an HTTP GET binding (what the emulator answers).

    INFERRED: the real Messaging.svc?wsdl publishes SOAP bindings (mms2wsHttpBindingSecure) that the emulator does not
    speak; this one describes CancelAllMessages and CancelMessage over GET, answering DataContract <boolean>, and
    GetMessageStatus (unless ``message_status`` is false) answering a DataContract <SMSResponse>.
    """
    address = xml_escape(f"http://{host}/Messaging.svc", {'"': "&quot;"})
    tns = "http://tempuri.org/"  # INFERRED: WCF's default contract namespace
    ops = [("CancelAllMessages", "LicenseKey", "ser:boolean"), ("CancelMessage", "MessageID", "ser:boolean")]
    if message_status:
        ops.append(("GetMessageStatus", "MessageID", "sms:SMSResponse"))
    messages = "".join(f'<wsdl:message name="{op}HttpGetIn"><wsdl:part name="{param}" type="s:string" /></wsdl:message>'
                       f'<wsdl:message name="{op}HttpGetOut"><wsdl:part name="Body" element="{element}" /></wsdl:message>'
                       for op, param, element in ops)
    sms_fields = "".join(f'<s:element minOccurs="0" name="{name}" type="{xsd_type}" nillable="{str(nillable).lower()}" />'
                         for name, xsd_type, nillable in (("Cancelled", "s:boolean", False), ("MessageID", "s:string", False),
                                                          ("Queued", "s:boolean", False), ("ReferenceID", "s:string", True),
                                                          ("SMSError", "s:string", False), ("SMSIncomingMessages", "s:anyType", True),
                                                          ("Sent", "s:boolean", False), ("SentDateTime", "s:dateTime", False)))
    port_ops = "".join(f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}HttpGetIn" /><wsdl:output message="tns:{op}HttpGetOut" />'
                       f'</wsdl:operation>' for op, _param, _element in ops)
    binding_ops = "".join(f'<wsdl:operation name="{op}"><http:operation location="/{op}" /><wsdl:input><http:urlEncoded /></wsdl:input>'
                          f'<wsdl:output><mime:mimeXml part="Body" /></wsdl:output></wsdl:operation>' for op, _param, _element in ops)
    return (f'{XML_DECL}\n<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" '
            f'xmlns:ser="{SERIALIZATION_NS}" xmlns:sms="{SMS_NS}" xmlns:tns="{tns}" targetNamespace="{tns}" name="Messaging">'
            f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{SERIALIZATION_NS}">'
            f'<s:element name="boolean" type="s:boolean" /></s:schema>'
            f'<s:schema elementFormDefault="qualified" targetNamespace="{SMS_NS}"><s:complexType name="SMSResponse"><s:sequence>'
            f'{sms_fields}</s:sequence></s:complexType><s:element name="SMSResponse" nillable="true" type="sms:SMSResponse" />'
            f'</s:schema></wsdl:types>{messages}'
            f'<wsdl:portType name="IMessagingHttpGet">{port_ops}</wsdl:portType>'
            f'<wsdl:binding name="MessagingHttpGet" type="tns:IMessagingHttpGet"><http:binding verb="GET" />{binding_ops}</wsdl:binding>'
            f'<wsdl:service name="Messaging"><wsdl:port name="MessagingHttpGet" binding="tns:MessagingHttpGet">'
            f'<http:address location="{address}" /></wsdl:port></wsdl:service></wsdl:definitions>')


def handle_service(emulator: Emulator, req: ServiceRequest, commit: bool = True) -> Response:
    """Route one service request; with ``commit=False`` compute the answer without changing state (HEAD never commits)."""
    if req.method == "HEAD":
        req, commit = req._replace(method="GET"), False
    route = req.route.lower()
    if route == MESSAGING_BASE:
        if req.method == "GET" and req.query.strip().lower() == "wsdl":
            return Response(200, messaging_wsdl(_request_host(req), emulator.message_status_available).encode("utf-8"), TEXT_XML)
        return _wcf_page(200, "Service", "This is an emulated Messaging.svc endpoint (webHttp).")
    if route.startswith(MESSAGING_BASE + "/"):
        return _messaging(emulator, req, req.route[len(MESSAGING_BASE) + 1:], commit)
    if route == VOICE_BASE:
        return _voice_soap(emulator, req, commit)
    if route.startswith(VOICE_BASE + "/"):
        return _voice_http(emulator, req, req.route[len(VOICE_BASE) + 1:], commit)
    return Response(404, b"<html><body><h2>404 - File or directory not found.</h2></body></html>", "text/html")


def request_info(req: ServiceRequest) -> Dict[str, Any]:
    """What a request is about, for fault matching: operation name and the reference, queue and message IDs it carries."""
    try:
        return _request_info(req)
    except Exception:  # pylint: disable=broad-exception-caught  # a request we cannot read matches no ID
        return {"operation": "", "reference_ids": [], "queue_ids": [], "message_ids": []}


def _request_info(req: ServiceRequest) -> Dict[str, Any]:
    """request_info without the safety net."""
    params = request_params(req)
    route = req.route.lower()
    operation = ""
    for base in (MESSAGING_BASE, VOICE_BASE):
        if route.startswith(base + "/"):
            operation = req.route[len(base) + 1:].split("/")[0]
    if route == VOICE_BASE:
        operation = params.get("_operation", "")
    queue_ids = _split_ids(";".join(v for k, v in params.items() if k in ("queueid", "queueids")))
    message_ids = [parse_guid(params["messageid"])] if parse_guid(params.get("messageid")) else []
    if operation.lower() in MESSAGE_ID_OPERATIONS and params.get("_posted_guid"):
        message_ids.append(params["_posted_guid"])
    return {"operation": operation, "reference_ids": [params["referenceid"]] if "referenceid" in params else [],
            "queue_ids": queue_ids, "message_ids": message_ids}


def request_params(req: ServiceRequest) -> Dict[str, str]:
    """Best-effort parameters of any service request (license key, reference ID, QueueID(s), MessageID), lower-case names."""
    found = _params(req.query)
    if _media_type(req.headers.get("Content-Type"))[0] == "application/x-www-form-urlencoded":
        found.update(_params(req.body.decode("utf-8", "replace")))
    posted = _posted_guid(req)[0]
    if posted:
        found["_posted_guid"] = posted
        if not any(operation in req.route.lower() for operation in MESSAGE_ID_OPERATIONS):
            found["licensekey"] = posted
    try:
        for element in parse_xml(req.body).iter():
            local = element.tag.split("}")[-1]
            if local in VOICE_OPERATIONS and "_operation" not in found:
                found["_operation"] = local
            if local.lower() in ("licensekey", "referenceid", "queueid", "queueids"):
                found[local.lower()] = element.text or ""
    except XmlRefused:
        pass
    return found


def _fault_response(fault: Dict[str, Any], req: ServiceRequest) -> Response:
    """The canned answer of a ``respond`` fault."""
    body = fault.get("body", "")
    if "body_template" in fault:
        params, info = request_params(req), request_info(req)
        values = {"license_key": params.get("licensekey", ""), "reference_id": params.get("referenceid", ""),
                  "queue_id": str(info["queue_ids"][0]) if info["queue_ids"] else "",
                  "message_id": info["message_ids"][0] if info["message_ids"] else ""}
        body = fault["body_template"]
        for name, value in values.items():
            body = body.replace("{" + name + "}", value)
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
    if name in ("calls", "messages") and method == "GET":
        return 200, emulator.items(name)
    if name == "calls/status" and method == "POST" and isinstance(payload, dict):
        fields = {k: v for k, v in payload.items() if k not in ("queue_ids", "status")}
        return 200, {"updated": emulator.set_call_status(payload.get("queue_ids"), payload.get("status"), **fields)}
    if name == "messages/status" and method == "POST" and isinstance(payload, dict):
        return 200, {"updated": emulator.set_message_status(payload.get("message_ids"), payload.get("status"))}
    if name in ("calls/status", "messages/status") and method == "POST":
        raise ValueError('the body must be {"queue_ids"|"message_ids": [...], "status": "..."}')
    if name == "settings" and method in ("GET", "PUT"):
        if method == "PUT":
            if not isinstance(payload, dict) or set(payload) - {"message_status_available"}:
                raise ValueError('the body must be {"message_status_available": true|false}')
            if "message_status_available" in payload:
                emulator.set_message_status_available(payload["message_status_available"])
        return 200, emulator.settings()
    if name == "latency" and method in ("GET", "PUT"):
        if method == "PUT":
            emulator.set_latency(payload.get("seconds") if isinstance(payload, dict) else payload)
        return 200, {"seconds": emulator.latency}
    return 404, {"error": f"no control endpoint {method} /_emulator/{name}"}


class _FramingError(ValueError):
    """A request body that cannot be read: the status and reason to answer with before closing."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


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
        """Read a Content-Length or chunked body (IIS accepts both).

        Raises _FramingError with the status to answer: 400 for a malformed length or chunk, 413 over MAX_BODY.
        """
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            raise _FramingError(400, "Bad Request")
        length = int(raw)
        if length > MAX_BODY:
            raise _FramingError(413, "Request Entity Too Large")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        """Decode a chunked request body (chunk extensions and trailers are read and ignored)."""
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
                raise _FramingError(400, "Bad Request")
            size = int(size_text, 16)
            total += size
            if total > MAX_BODY:
                raise _FramingError(413, "Request Entity Too Large")
            if size == 0:
                break
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _FramingError(400, "Bad Request")
            chunks.append(data)
        for _trailer in range(100):
            if self.rfile.readline(8194) in (b"\r\n", b"\n", b""):
                break
        return b"".join(chunks)

    def _send(self, resp: Response, truncate: Optional[int] = None, head: bool = False) -> None:
        """Write a response with a correct Content-Length; with ``truncate`` send only that many body bytes and close.

        ``Connection: close`` is sent whenever the connection will be closed after this answer; an HTTP/1.0 client that
        asked for keep-alive gets ``Connection: keep-alive`` (and the connection stays open). HEAD sends no body.
        """
        if truncate is not None:
            self.close_connection = True
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if not head:
            self.wfile.write(resp.body if truncate is None else resp.body[:truncate])
        self.wfile.flush()

    def _handle(self) -> None:
        """Entry point for every HTTP method."""
        parts = urlsplit(self.path)
        route = _clean_route(parts.path)
        try:
            body = self._read_body()
        except _FramingError as exc:
            self.close_connection = True
            self._send(Response(exc.status, exc.reason.encode("ascii"), "text/plain"))
            self._access_log(parts.path, str(exc.status))
            return
        if self.command == "OPTIONS":
            # IIS answers OPTIONS itself: 200, no body, the allowed methods.
            self._send(Response(200, b"", "text/plain", (("Allow", "OPTIONS, GET, HEAD, POST"), ("Public", "OPTIONS, GET, HEAD, POST"))))
            self._access_log(parts.path, "200")
        elif route.lower() == CONTROL_BASE or route.lower().startswith(CONTROL_BASE + "/"):
            self._handle_control(route[len(CONTROL_BASE) + 1:].lower(), body)
        else:
            self._handle_service(ServiceRequest(self.command, route, parts.query, self.headers, body), parts.path)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def _handle_control(self, name: str, body: bytes) -> None:
        """Answer a control request (never logged, faulted or delayed); HEAD reads like GET without a body."""
        command = "GET" if self.command == "HEAD" else self.command
        try:
            status, payload = _control(self.server.emulator, command, name, json.loads(body) if body.strip() else None)
        except ValueError as exc:
            status, payload = 400, {"error": str(exc)}
        self._send(_json_response(status, payload), head=self.command == "HEAD")
        self._access_log(CONTROL_BASE + "/" + name, str(status))

    def _handle_service(self, req: ServiceRequest, raw_path: str) -> None:
        """Apply latency and any queued fault, then answer a service request."""
        emulator = self.server.emulator
        entry = emulator.record_request(req.method, raw_path, req.query, req.headers, req.body)
        fault = emulator.take_fault(req.method, req.route, request_info(req) if emulator.faults_pending() else None) or {}
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
        self._send(resp, truncate, head=req.method == "HEAD")
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
