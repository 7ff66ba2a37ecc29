# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils serves the modules of esendex.us only. It is not a public API
# and may change in any release. It is the only place in the collection that speaks HTTP.

"""HTTP client for the Esendex US Messaging and Voice Broadcast (PhoneNotify) APIs."""

from __future__ import annotations

import http.client
import json
import math
import re
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from datetime import datetime, timedelta, timezone
from typing import Callable, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

try:
    import requests
    import urllib3
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = '2.0.0'

MAX_BODY_BYTES = 1024 * 1024
FIRST_WAIT = 0.5
MAX_WAIT = 60.0
RETRY_STATUSES = frozenset((429, 502, 503, 504))
UNAVAILABLE_STATUSES = frozenset((400, 404, 405))  # how WCF answers a method it does not offer
MAX_CALL_COUNT = 2 ** 31 - 1  # the service's .NET Int32
MAX_QUEUE_ID = 2 ** 63 - 1  # the service's .NET Int64
STATUS_BATCH = 100  # queue IDs per GetMultipleQueueIdStatus request; the vendor documents no limit (INFERRED)
QUEUED = 0  # ResponseCode "Queued": a call scheduled and not yet dialled
EXCERPT_CHARS = 200
QUOTE_CHARS = 60
REDACTED = '********'

GUID = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')  # a license key, a MessageID
_COUNT = re.compile(r'[0-9]{1,10}')
_CODE = re.compile(r'-?[0-9]{1,10}')
_QUEUE_ID = re.compile(r'[0-9]{1,19}')
_DECIMAL = re.compile(r'-?[0-9]{1,15}(\.[0-9]{1,15})?')
_WCF_DATE = re.compile(r'/Date\((-?[0-9]{1,15})(?:[+-][0-9]{4})?\)/')
_DOTNET_MIN_DAY = datetime(1, 1, 2, tzinfo=timezone.utc)  # .NET's DateTime.MinValue, in any time zone
_DTD = re.compile(r'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)
_ERRNO = re.compile(r'\[Errno -?\d+\] ([^)\'"]+)')
_JSON_SPACE = ' \t\r\n'


class EsendexError(Exception):
    """Base of every error the client raises; its message never holds the license key."""

    def __init__(self, msg: str, outcome_unknown: bool = False) -> None:
        super().__init__(msg)
        self.msg = msg
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.msg


class EsendexHTTPError(EsendexError):
    """The service answered with an HTTP error status."""

    def __init__(self, msg: str, status: int, outcome_unknown: bool = False) -> None:
        super().__init__(msg, outcome_unknown)
        self.status = status


class EsendexTransportError(EsendexError):
    """No answer: connection refused, name not resolved, timed out or dropped."""


class EsendexResponseError(EsendexError):
    """The service answered, but not with what the method returns."""


class EsendexUnavailableError(EsendexResponseError):
    """The service does not offer the method: HTTP 400, 404 or 405, or an answer of another type."""


@dataclass
class Answer:
    """A method's parsed result and how it was reached."""

    value: object
    attempts: int = 1
    notes: list = field(default_factory=list)  # one per attempt that may have reached the service unanswered

    @property
    def outcome_unknown(self) -> bool:
        """Whether an earlier attempt may have acted without its answer being counted."""
        return bool(self.notes)


@dataclass
class Outcome:
    """What became of one job of a bulk run: an answer, an error, or neither (not attempted)."""

    id: object
    answer: Answer | None = None
    error: EsendexError | None = None


class CallStatus(NamedTuple):
    """One NotifyReturn of GetMultipleQueueIdStatus; a field the answer lacks is None."""

    queue_id: int
    response_code: int
    response_text: str | None
    call_complete: bool
    call_answered: bool | None = None
    machine_detection: str | None = None
    duration: int | None = None
    start_time: str | None = None
    end_time: str | None = None
    digits_pressed: str | None = None
    try_count: int | None = None
    minute_rate: float | None = None

    @property
    def cancellable(self) -> bool:
        """Queued and not complete: the only state the vendor says a cancellation acts on (INFERRED from its codes)."""
        return self.response_code == QUEUED and not self.call_complete

    @property
    def label(self) -> str:
        """How a diff names the status."""
        return self.response_text or f'ResponseCode {self.response_code}'


class MessageStatus(NamedTuple):
    """One SMSResponse of GetMessageStatus (its shape is INFERRED)."""

    message_id: str
    cancelled: bool
    queued: bool
    sent: bool
    sent_date_time: str | None
    reference_id: str | None
    error: str

    @property
    def not_found(self) -> bool:
        """The service does not know the MessageID: SMSError NotFound, or the all-zero MessageID."""
        return self.error == 'NotFound' or self.message_id.strip('0-') == ''

    @property
    def cancellable(self) -> bool:
        """Known, not sent, not queued, not cancelled and no error (INFERRED)."""
        return not (self.not_found or self.sent or self.queued or self.cancelled) and self.error == 'NoError'

    @property
    def label(self) -> str:
        """How a diff names the status."""
        if self.cancelled or self.sent or self.queued:
            return 'Cancelled' if self.cancelled else 'Sent' if self.sent else 'Queued'
        return 'Scheduled' if self.error == 'NoError' else self.error


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """Quote a value for a message, cut to a bounded length."""
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= limit else text[:limit - 3] + '...')


# ---------------------------------------------------------------- response parsing: one parser per answer shape

def display_url(url: str) -> str:
    """Return the URL with any password in it replaced."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ''
        return urlunsplit(parts._replace(netloc=f'{user}:{REDACTED}@{parts.netloc.rsplit("@", 1)[-1]}'))
    except ValueError:
        return '(unparsable URL)'


def _decode(body: bytes) -> str:
    try:
        return body.decode('utf-8-sig')
    except UnicodeDecodeError:
        raise EsendexResponseError('the answer is not valid UTF-8 text') from None


def _local(tag: object) -> str:
    return tag.rsplit('}', 1)[-1] if isinstance(tag, str) else ''


def parse_xml(body: bytes) -> ET.Element:
    """Parse an XML answer, refusing DTDs and entity declarations."""
    text = _decode(body)
    if _DTD.search(text):
        raise EsendexResponseError('the answer is XML with a DOCTYPE or entity declaration, which is refused')
    try:
        return ET.fromstring(text)
    except (ET.ParseError, ValueError, LookupError):
        raise EsendexResponseError('the answer is not well-formed XML') from None


def _leaf(body: bytes, name: str, pattern: re.Pattern, expected: str) -> str:
    """Return the text of a lone <name xmlns="...">text</name> answer that matches pattern."""
    root = parse_xml(body)
    text = (root.text or '').strip()
    if _local(root.tag) != name or len(root) or not pattern.fullmatch(text):
        raise EsendexResponseError(f'expected {expected}')
    return text


def parse_count(body: bytes) -> int:
    """Return N from <int xmlns="...">N</int>, a single non-negative Int32."""
    count = int(_leaf(body, 'int', _COUNT, '<int>N</int> with a count of calls'))
    if count > MAX_CALL_COUNT:
        raise EsendexResponseError('expected <int>N</int> with a count of calls')
    return count


_XML_BOOL = re.compile(r'true|false')


def parse_xml_bool(body: bytes) -> bool:
    """Return the value of <boolean xmlns="...">true|false</boolean>."""
    return _leaf(body, 'boolean', _XML_BOOL, '<boolean>true</boolean> or <boolean>false</boolean>') == 'true'


def parse_json_bool(body: bytes) -> bool:
    """Return the JSON literal true or false, and nothing else."""
    text = _decode(body).strip(_JSON_SPACE)
    if text in ('true', 'false'):
        return text == 'true'
    raise EsendexResponseError('expected the JSON literal true or false')


def _fields(entry: ET.Element) -> dict:
    """{child name: stripped text} of an entry, read in one pass; a name given twice reads as absent."""
    fields = {}
    for child in entry:
        name = _local(child.tag)
        fields[name] = None if name in fields else (child.text or '').strip()
    return fields


def _typed(text: str | None, kind: type) -> object:
    """A NotifyReturn field as its XSD type; None if absent or not of that type."""
    if text is None:
        return None
    if kind is bool:
        return {'true': True, 'false': False}.get(text)
    if kind is int:
        return int(text) if _CODE.fullmatch(text) else None
    if kind is float:
        return float(text) if _DECIMAL.fullmatch(text) else None
    return ' '.join(text.split())[:EXCERPT_CHARS] or None


# CallStatus field -> (NotifyReturn element, type), named one by one: the wire's names are not the result's
NOTIFY_RETURN = {
    'call_answered': ('CallAnswered', bool),
    'machine_detection': ('MachineDetection', str),
    'duration': ('Duration', int),
    'start_time': ('StartTime', str),
    'end_time': ('EndTime', str),
    'digits_pressed': ('DigitsPressed', str),
    'try_count': ('TryCount', int),
    'minute_rate': ('MinuteRate', float),
}


def parse_notify_returns(body: bytes) -> dict:
    """Return {queue ID: CallStatus} from <ArrayOfNotifyReturn>; entries are matched by QueueID, never by position."""
    root = parse_xml(body)
    expected = 'ArrayOfNotifyReturn with a QueueID, ResponseCode and CallComplete in each NotifyReturn'
    if _local(root.tag) != 'ArrayOfNotifyReturn':
        raise EsendexResponseError(f'expected {expected}')
    statuses = {}
    for entry in root:
        fields = _fields(entry)
        queue_id, code, complete = (fields.get(name) for name in ('QueueID', 'ResponseCode', 'CallComplete'))
        well_formed = _QUEUE_ID.fullmatch(queue_id or '') and _CODE.fullmatch(code or '') and complete in ('true', 'false')
        if _local(entry.tag) != 'NotifyReturn' or not well_formed:
            raise EsendexResponseError(f'expected {expected}')
        extra = {name: _typed(fields.get(element), kind) for name, (element, kind) in NOTIFY_RETURN.items()}
        statuses[int(queue_id)] = CallStatus(int(queue_id), int(code), _typed(fields.get('ResponseText'), str), complete == 'true', **extra)
    return statuses


# SMSResponse.SMSError, by number (the vendor's SMSResponse type page)
SMS_ERRORS = ('NoError', 'STOPfromPhoneNumber', 'LicenseKeyInvalid', 'PhoneNumberInvalid', 'MessageInvalid',
              'ScheduledDateTimeIsNotUTC', 'InvalidAssignedDID', 'NotFound', 'InternalError', 'ContactEsendexAccountSuspended',
              'AssignedDIDRequired')


def _wcf_date(value: object) -> str | None:
    """ISO 8601 in UTC from WCF's "/Date(ms)/" or "/Date(ms+hhmm)/" (ms since the epoch, UTC); None for .NET's minimum date."""
    found = _WCF_DATE.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise EsendexResponseError('expected SentDateTime as "/Date(milliseconds)/"')
    try:
        when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(found.group(1)))
    except OverflowError:
        when = None
    return None if when is None or when < _DOTNET_MIN_DAY else when.isoformat()


def parse_sms_response(body: bytes) -> MessageStatus:
    """Return the MessageStatus of an SMSResponse JSON object; anything else is not this method's answer."""
    try:
        doc = json.loads(_decode(body))
    except (ValueError, EsendexResponseError):
        doc = None
    flags = [doc.get(name) for name in ('Cancelled', 'Queued', 'Sent')] if isinstance(doc, dict) else []
    message_id, error = (doc.get('MessageID'), doc.get('SMSError')) if isinstance(doc, dict) else (None, None)
    if isinstance(error, int) and not isinstance(error, bool) and 0 <= error < len(SMS_ERRORS):
        error = SMS_ERRORS[error]
    if (not all(isinstance(flag, bool) for flag in flags) or len(flags) != 3 or not isinstance(message_id, str)
            or not GUID.fullmatch(message_id) or error not in SMS_ERRORS):
        raise EsendexUnavailableError('expected an SMSResponse: a JSON object with MessageID, SMSError, Cancelled, Queued and Sent')
    reference = doc.get('ReferenceID')
    return MessageStatus(message_id.lower(), *flags, _wcf_date(doc.get('SentDateTime')) if doc.get('SentDateTime') else None,
                         ' '.join(reference.split())[:EXCERPT_CHARS] if isinstance(reference, str) else None, error)


def _fault_text(body: bytes) -> str | None:
    try:
        root = parse_xml(body)
    except EsendexError:
        return None
    for elem in root.iter():
        if _local(elem.tag) == 'faultstring' and (elem.text or '').strip():
            return elem.text
        if _local(elem.tag) == 'Reason':
            texts = [child.text for child in elem if (child.text or '').strip()]
            if texts:
                return texts[0]
    return None


class _HTMLText(HTMLParser):
    """Collect the visible text of an HTML page, in linear time."""

    HIDDEN = frozenset(('head', 'script', 'style', 'title'))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag) -> None:
        self.hidden -= tag in self.HIDDEN and self.hidden > 0

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(text: str) -> str:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    return ' '.join(parser.parts)


def excerpt(body: bytes, content_type: str = '') -> str:
    """Return one short line that tells a person what the answer said."""
    raw = body[:64 * 1024].decode('utf-8', 'replace')
    text, kind = raw, content_type.lower()
    if not text.strip():
        return '(empty body)'
    if 'html' in kind or text.lstrip()[:15].lower().startswith(('<!doctype html', '<html')):
        text = _html_text(text[:16 * 1024])  # a page's message is near its top; the parser slows on long broken tags
    elif 'xml' in kind or text.lstrip().startswith('<'):
        text = _fault_text(body[:64 * 1024]) or text
    elif 'plain' in kind:
        text = text.strip().splitlines()[0]
    line = ' '.join(text.split()) or ' '.join(raw.split())
    return line if len(line) <= EXCERPT_CHARS else line[:EXCERPT_CHARS - 3] + '...'


# ---------------------------------------------------------------- transport

def backoff(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait before the next attempt: Retry-After if given, else 0.5 s doubling; at most 60 s."""
    if retry_after is not None:
        try:
            seconds = float(retry_after.strip())
        except ValueError:
            seconds = math.nan  # an HTTP-date or garbage: fall back to the exponential wait
        if not math.isnan(seconds):
            return min(max(seconds, 0.0), MAX_WAIT)
    return min(FIRST_WAIT * 2 ** min(attempt - 1, 16), MAX_WAIT)


def _chain(exc: BaseException) -> list:
    """The exception and the ones it wraps (arguments and explicit causes), outermost first.

    Implicit context (an error raised while another was handled) is not followed: urllib3 1.26 on Python 3 first
    tries getresponse(buffering=True), and the TypeError it handles is not the cause of what follows.
    """
    chain, seen = [], set()
    inner = exc
    while inner is not None and id(inner) not in seen:
        seen.add(id(inner))
        chain.append(inner)
        nested = [arg for arg in getattr(inner, 'args', ()) if isinstance(arg, BaseException)]
        reason = getattr(inner, 'reason', None)
        inner = next(iter(nested), reason if isinstance(reason, BaseException) else inner.__cause__)
    return chain


def _cause(exc: BaseException) -> str:
    """Name the low-level cause of a transport failure in a few words: an errno text, else the innermost error."""
    chain = _chain(exc)
    for item in chain:
        found = _ERRNO.search(str(item))
        if found:
            return found.group(1).strip()
    inner = chain[-1]
    words = ' '.join(str(inner).split())[:120]
    return f'{type(inner).__name__}: {words}' if words else type(inner).__name__


class _Attempt(Exception):
    """One failed attempt: what to say, whether to retry, whether the service may have acted on it, and what error it becomes."""

    def __init__(self, msg: str, retry: bool, unknown: bool, status: int | None = None, wait: str | None = None,
                 error: type = EsendexTransportError) -> None:
        super().__init__(msg)
        self.msg, self.retry, self.unknown, self.status, self.wait, self.error = msg, retry, unknown, status, wait, error


def _bad_answer(msg: str, unknown: bool = False, error: type = EsendexResponseError) -> _Attempt:
    return _Attempt(msg, retry=False, unknown=unknown, error=error)


class EsendexClient:
    """Calls one Esendex US service at api_url with one HTTP session, retrying as documented."""

    def __init__(self, license_key: str, api_url: str, timeout: float = 30.0, retries: int = 3,
                 validate_certs: bool = True, max_connections: int = 1, sleep=time.sleep) -> None:
        self._key = license_key
        self.api_url = api_url.rstrip('/')
        self.timeout = timeout
        self.retries = retries
        self.validate_certs = validate_certs
        self._sleep = sleep
        parts = urlsplit(self.api_url)
        self.host = parts.netloc.rpartition('@')[2]  # as written: [::1]:8080 keeps its brackets
        self._secrets = [s for s in (license_key, license_key.replace('-', ''), parts.password) if s]
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(1, max_connections), max_retries=0)
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)
        self._session.headers.update({
            'User-Agent': f'esendex.us/{COLLECTION_VERSION} (Ansible collection) python-requests/{requests.__version__}',
            'Accept-Encoding': 'identity',
        })

    def __enter__(self) -> EsendexClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Release the session's connections."""
        self._session.close()

    def redact(self, text: str) -> str:
        """Remove the license key (and any URL password) from text, whatever its case."""
        for secret in self._secrets:
            text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
        return text

    # -- one method per wire method ---------------------------------------------------------

    def cancel_all_messages(self) -> Answer:
        """Messaging CancelAllMessages: True if the service says messages were cancelled."""
        return self._json('CancelAllMessages', self._key, parse_json_bool)

    def cancel_message(self, message_id: str) -> Answer:
        """Messaging CancelMessage: True if the service says the message was cancelled. It takes no license key."""
        return self._json('CancelMessage', message_id, parse_json_bool)

    def message_status(self, message_id: str) -> Answer:
        """Messaging GetMessageStatus (read-only, no license key): a MessageStatus; EsendexUnavailableError if not offered."""
        try:
            return self._json('GetMessageStatus', message_id, parse_sms_response, read_only=True)
        except (EsendexHTTPError, EsendexUnavailableError) as exc:
            if isinstance(exc, EsendexUnavailableError) or exc.status in UNAVAILABLE_STATUSES:
                raise EsendexUnavailableError(f'the service does not offer GetMessageStatus, or no longer does: {exc.msg}') from None
            raise

    def read_message_statuses(self, message_ids: list, concurrency: int = 1) -> list:
        """GetMessageStatus of each MessageID, `concurrency` at a time: an Outcome per ID."""
        return self.run_all([(self.message_status, message_id) for message_id in message_ids], concurrency)

    def cancel_by_reference_id(self, reference_id: str) -> Answer:
        """Voice CancelNotifyByReferenceID: the number of calls cancelled."""
        return self._form('CancelNotifyByReferenceID', {'ReferenceID': reference_id}, parse_count)

    def cancel_by_queue_id(self, queue_id: int) -> Answer:
        """Voice CancelNotify: True if the service says the call was cancelled."""
        return self._form('CancelNotify', {'QueueID': str(queue_id)}, parse_xml_bool)

    def call_statuses(self, queue_ids: list) -> Answer:
        """Voice GetMultipleQueueIdStatus (read-only) of up to 100 IDs: {queue ID: CallStatus} for those the service mentions."""
        answer = self._form('GetMultipleQueueIdStatus', {'QueueIDs': ';'.join(map(str, queue_ids))}, parse_notify_returns, read_only=True)
        answer.value = {qid: answer.value[qid] for qid in queue_ids if qid in answer.value}
        return answer

    def read_call_statuses(self, queue_ids: list, concurrency: int = 1) -> list:
        """GetMultipleQueueIdStatus for any number of IDs, 100 a request: an Outcome per batch (its id is the batch)."""
        batches = [queue_ids[start:start + STATUS_BATCH] for start in range(0, len(queue_ids), STATUS_BATCH)]
        return self.run_all([(self.call_statuses, batch) for batch in batches], concurrency)

    def _json(self, method: str, value: str, parse: Callable, read_only: bool = False) -> Answer:
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        return self._call(method, json.dumps(value).encode(), headers, parse, read_only)

    def _form(self, method: str, fields: dict, parse: Callable, read_only: bool = False) -> Answer:
        headers = {'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'text/xml'}
        return self._call(method, urlencode({**fields, 'LicenseKey': self._key}).encode(), headers, parse, read_only)

    # -- many IDs, `concurrency` at a time ---------------------------------------------------

    def run_all(self, jobs: list, concurrency: int = 1) -> list:
        """Run call(id) for each (call, id) of jobs, `concurrency` at a time; return an Outcome per job, in input order.

        A failure does not stop the others. Only when the service itself is failing (max(3, concurrency) IDs in a row
        failed, in completion order, with no answer between) are no further jobs started; those in flight finish.
        """
        outcomes = [Outcome(ident) for unused, ident in jobs]
        lock, pending, limit = threading.Lock(), iter(range(len(jobs))), max(3, concurrency)
        failed_in_a_row = 0

        def work() -> None:
            nonlocal failed_in_a_row
            while True:
                with lock:
                    index = next(pending, None) if failed_in_a_row < limit else None
                if index is None:
                    return
                call, ident = jobs[index]
                try:
                    outcomes[index].answer = call(ident)
                except Exception as exc:  # pylint: disable=broad-exception-caught  # reported with the other outcomes
                    outcomes[index].error = exc if isinstance(exc, EsendexError) else EsendexError(
                        self.redact(f'unexpected {type(exc).__name__}: {quote(str(exc), EXCERPT_CHARS)}'), True)
                with lock:
                    failed_in_a_row = 0 if outcomes[index].error is None else failed_in_a_row + 1

        helpers = [threading.Thread(target=work, daemon=True) for unused in range(min(concurrency, len(jobs)) - 1)]
        for thread in helpers:
            thread.start()
        work()
        for thread in helpers:
            thread.join()
        return outcomes

    # -- one call, with retries -------------------------------------------------------------

    def _call(self, method: str, body: bytes, headers: dict, parse: Callable, read_only: bool) -> Answer:
        """POST to one method, retrying as documented; every message leaves here redacted.

        A read-only method changes nothing, whatever reached the service: its outcome is never unknown.
        """
        try:
            answer = self._retrying(method, body, headers, parse)
            answer.notes = [] if read_only else [self.redact(note) for note in answer.notes]
            return answer
        except EsendexError as exc:
            exc.msg = self.redact(exc.msg)
            exc.args = (exc.msg,)
            exc.outcome_unknown = exc.outcome_unknown and not read_only
            raise

    def _retrying(self, method: str, body: bytes, headers: dict, parse) -> Answer:
        where = f'{method} at {self.host}'
        notes, last = [], None
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                status, content_type, retry_after, answer = self._send(f'{self.api_url}/{method}', body, headers)
                if 200 <= status < 300:
                    try:
                        return Answer(parse(answer), attempt, notes)
                    except EsendexResponseError as exc:
                        raise _bad_answer(f'HTTP {status} answer could not be understood: {exc.msg}, '
                                          f'got {self._said(answer, content_type)!r}', error=type(exc)) from None
                raise _Attempt(f'HTTP {status}: {self._said(answer, content_type)}',
                               retry=status in RETRY_STATUSES, unknown=status in (502, 504), status=status, wait=retry_after)
            except _Attempt as failed:
                last = failed
            if last.unknown:
                notes.append(f'attempt {attempt}: {last.msg}')
            if not last.retry or attempt == attempts:
                break
            self._sleep(backoff(attempt, last.wait))
        tries = f' after {attempt} attempts' if attempt > 1 else ''
        if last.status is not None:
            raise EsendexHTTPError(f'{where} failed{tries}: {last.msg}', last.status, bool(notes))
        raise last.error(f'{where} failed{tries}: {last.msg}', bool(notes))

    def _said(self, body: bytes, content_type: str) -> str:
        """An excerpt of an answer, with secrets removed before it is cut, so no part of one survives the cut."""
        for secret in self._secrets:
            body = re.sub(re.escape(secret.encode()), REDACTED.encode(), body, flags=re.IGNORECASE)
        return excerpt(body, content_type)

    def _send(self, url: str, body: bytes, headers: dict) -> tuple:
        """POST once; return (status, content type, Retry-After, body) or raise _Attempt."""
        started = time.monotonic()
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.timeout,
                                          verify=self.validate_certs, allow_redirects=False, stream=True)
        except requests.exceptions.RequestException as exc:
            raise self._transport_failure(exc, url) from None
        try:
            status = response.status_code
            if 300 <= status < 400:
                location = quote(display_url(response.headers.get('Location', '(none)')), 120)
                raise _Attempt(f'HTTP {status} redirect to {location}, which is not followed', retry=False, unknown=False, status=status)
            body = self._read(response, started)
            return status, response.headers.get('Content-Type', ''), response.headers.get('Retry-After'), body
        finally:
            response.close()

    def _read(self, response, started: float) -> bytes:
        """Read the body, refusing compression, more than 1 MiB, or a trickle past the timeout."""
        status = response.status_code
        encoding = response.headers.get('Content-Encoding', '').strip().lower()
        if encoding not in ('', 'identity'):
            raise _bad_answer(f'HTTP {status} answer uses Content-Encoding {quote(encoding)}, which was not asked for')
        declared = response.headers.get('Content-Length', '').strip()
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _bad_answer(f'HTTP {status} answer of {int(declared)} bytes is over the 1 MiB limit')
        chunks, size = [], 0
        try:
            while True:
                chunk = response.raw.read(64 * 1024, decode_content=False)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _bad_answer(f'HTTP {status} answer is over the 1 MiB limit')
                if time.monotonic() - started > self.timeout:
                    raise _Attempt(f'the answer from {self.host} did not arrive within {self.timeout:g} s', retry=True, unknown=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            short = next((item for item in _chain(exc) if type(item).__name__ == 'IncompleteRead'), None)
            if short is None or not declared.isdigit():
                raise self._transport_failure(exc) from None
            partial = getattr(short, 'partial', 0)  # urllib3 2: bytes read in all; http.client: the bytes of this read
            size = max(size, partial) if isinstance(partial, int) else size + len(partial)
        if declared.isdigit() and size < int(declared) and status not in (204, 304):  # these carry no body, whatever they declare
            raise _Attempt(f'the connection to {self.host} closed after {size} of {declared} bytes of the answer', retry=True, unknown=True)
        return b''.join(chunks)

    def _transport_failure(self, exc: BaseException, url: str = '') -> _Attempt:
        """Say what went wrong below HTTP, and whether the service may have acted on the request."""
        host = self.host
        chain = _chain(exc)
        proxy = self._proxy(url) if url else None
        if isinstance(exc, (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL)) or any(
                isinstance(item, ImportError) for item in chain):
            if proxy and proxy.lower().startswith('socks'):
                return _Attempt(f'the proxy {quote(display_url(proxy), 120)} is a SOCKS proxy, which needs the Python package '
                                f'PySocks (pip install "requests[socks]") on the host that runs the module; nothing was sent',
                                retry=False, unknown=False)
            return _Attempt(f'the request could not be prepared, nothing was sent: {_cause(exc)}', retry=False, unknown=False)
        if isinstance(exc, requests.exceptions.ProxyError) and proxy:
            return _Attempt(f'could not connect through the proxy {quote(display_url(proxy), 120)} to {host}: {_cause(exc)}',
                            retry=True, unknown=False)
        if isinstance(exc, requests.exceptions.SSLError):
            return _Attempt(f'TLS error talking to {host}: {_tls_reason(exc)}', retry=False, unknown=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return _Attempt(f'timed out connecting to {host} after {self.timeout:g} s', retry=True, unknown=False)
        if isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)):
            return _Attempt(f'no answer from {host} within {self.timeout:g} s', retry=True, unknown=True)
        if isinstance(exc, requests.exceptions.ConnectionError) and _never_sent(exc):
            return _Attempt(f'could not connect to {host}: {_cause(exc)}', retry=True, unknown=False)
        garbled = [item for item in chain if isinstance(item, (http.client.BadStatusLine, http.client.LineTooLong))]
        bad_line = next((item for item in garbled if not isinstance(item, http.client.RemoteDisconnected)), None)
        if bad_line is not None:
            return _bad_answer(f'{host} answered with a malformed HTTP status line or header: {quote(str(bad_line))}', unknown=True)
        return _Attempt(f'the connection to {host} was dropped before a complete answer: {_cause(exc)}', retry=True, unknown=True)

    def _proxy(self, url: str) -> str | None:
        """The proxy requests uses for url (from the environment), if any."""
        try:
            proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
            return requests.utils.select_proxy(url, proxies)
        except Exception:  # pylint: disable=broad-exception-caught  # only to name the proxy in a message
            return None


def _never_sent(exc: BaseException) -> bool:
    """Tell whether a requests ConnectionError happened before the request left (refused, DNS, proxy)."""
    reason = getattr(exc.args[0], 'reason', None) if exc.args else None
    return isinstance(exc, requests.exceptions.ProxyError) or isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _tls_reason(exc: BaseException) -> str:
    if 'CERTIFICATE_VERIFY_FAILED' in str(exc):
        return 'certificate verify failed (validate_certs=false turns the check off, for test services only)'
    return _cause(exc)
