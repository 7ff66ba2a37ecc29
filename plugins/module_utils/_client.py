# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils serves the modules of esendex.us only. It is not a public API
# and may change in any release. It is the only place in the collection that speaks HTTP.

"""HTTP client for the Esendex US Messaging and Voice Broadcast (PhoneNotify) APIs."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit, urlunsplit

try:
    import requests
    import urllib3
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = '1.0.0'

MAX_BODY_BYTES = 1024 * 1024
FIRST_WAIT = 0.5
MAX_WAIT = 60.0
RETRY_STATUSES = frozenset((429, 502, 503, 504))
MAX_CALL_COUNT = 2 ** 31 - 1  # the service's .NET Int32
EXCERPT_CHARS = 200
REDACTED = '********'

_GUID = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
_COUNT = re.compile(r'[0-9]{1,10}')
_DTD = re.compile(r'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)
_CONTROL = re.compile(r'[\x00-\x1f\x7f-\x9f]')
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


class EsendexInputError(EsendexError):
    """An option is invalid; raised before any request is sent."""


class EsendexHTTPError(EsendexError):
    """The service answered with an HTTP error status."""

    def __init__(self, msg: str, status: int, outcome_unknown: bool = False) -> None:
        super().__init__(msg, outcome_unknown)
        self.status = status


class EsendexTransportError(EsendexError):
    """No answer: connection refused, name not resolved, timed out or dropped."""


class EsendexResponseError(EsendexError):
    """The service answered, but not with what the method returns."""


class EsendexBulkError(EsendexError):
    """Cancelling one reference ID failed; carries what was done before and beside it."""

    def __init__(self, msg: str, done: dict, failed_id: str, not_attempted: list, outcome_unknown: bool) -> None:
        super().__init__(msg, outcome_unknown)
        self.done = done
        self.failed_id = failed_id
        self.not_attempted = not_attempted


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


# ---------------------------------------------------------------- input validation

def validate_license_key(value: object) -> str:
    """Return the key if it is a GUID, else raise without echoing it."""
    if not isinstance(value, str) or not _GUID.fullmatch(value):
        raise EsendexInputError(
            'license_key must be an Esendex license key: a GUID of 32 hexadecimal digits in groups of 8-4-4-4-12 '
            '(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), with no spaces or braces; the value given is not')
    return value


def display_url(url: str) -> str:
    """Return the URL with any password in it replaced."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit('@', 1)
        user = (parts.username or '')
        return urlunsplit(parts._replace(netloc=f'{user}:{REDACTED}@{netloc[-1]}'))
    except ValueError:
        return '(unparsable URL)'


def validate_api_url(value: str) -> str:
    """Return the URL without a trailing slash if it is a usable http(s) base URL."""
    problem = None
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError:
        parts, problem = None, 'it cannot be parsed'
    if parts is not None:
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            problem = 'it needs an http:// or https:// scheme and a host name'
        elif parts.query or parts.fragment or value.endswith(('?', '#')):
            problem = 'a base URL takes no query string or fragment'
        elif any(c.isspace() for c in value) or _CONTROL.search(value):
            problem = 'it contains white space or control characters'
    if problem:
        raise EsendexInputError(f'api_url {display_url(value)!r} is not a valid service base URL: {problem}')
    return value.rstrip('/')


def is_clear_text_url(url: str) -> bool:
    """Tell whether the URL is plain http:// to a host that is not loopback."""
    parts = urlsplit(url)
    if parts.scheme != 'http':
        return False
    host = (parts.hostname or '').rstrip('.')
    if host == 'localhost' or host.endswith('.localhost'):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def validate_settings(timeout: float, retries: int) -> None:
    """Check the numeric options."""
    if not 0 < timeout < float('inf'):
        raise EsendexInputError(f'timeout must be a number of seconds greater than 0, got {timeout}')
    if retries < 0:
        raise EsendexInputError(f'retries must be 0 or more, got {retries}')


def normalize_reference_ids(values: list) -> list:
    """Strip each reference ID, refuse empty ones and control characters, drop repeats."""
    if not values:
        raise EsendexInputError('reference_ids must name at least one reference ID')
    seen = {}
    for index, value in enumerate(values, start=1):
        text = value.strip() if isinstance(value, str) else ''
        if not text:
            raise EsendexInputError(f'reference_ids item {index} is empty or only white space')
        if _CONTROL.search(text):
            raise EsendexInputError(f'reference_ids item {index} contains a control character')
        seen.setdefault(text, None)
    return list(seen)


# ---------------------------------------------------------------- response parsing

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


def parse_count(body: bytes) -> int:
    """Return N from <int xmlns="...">N</int>, a single non-negative Int32."""
    root = parse_xml(body)
    text = (root.text or '').strip()
    if _local(root.tag) != 'int' or len(root) or not _COUNT.fullmatch(text) or int(text) > MAX_CALL_COUNT:
        raise EsendexResponseError(f'expected <int>N</int> with a count of calls, got {excerpt(body, "text/xml")!r}')
    return int(text)


def parse_json_bool(body: bytes) -> bool:
    """Return the JSON literal true or false, and nothing else."""
    text = _decode(body).strip(_JSON_SPACE)
    if text in ('true', 'false'):
        return text == 'true'
    raise EsendexResponseError(f'expected the JSON literal true or false, got {excerpt(body, "application/json")!r}')


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


def _cause(exc: BaseException) -> str:
    """Name the low-level cause of a transport failure in a few words: an errno text, else the innermost error."""
    found = _ERRNO.search(str(exc))
    if found:
        return found.group(1).strip()
    inner, seen = exc, set()
    while id(inner) not in seen:
        seen.add(id(inner))
        nested = [arg for arg in inner.args if isinstance(arg, BaseException)] + [inner.__cause__ or inner.__context__]
        nested = [item for item in nested if item is not None]
        if not nested:
            break
        inner = nested[0]
        found = _ERRNO.search(str(inner))
        if found:
            return found.group(1).strip()
    words = ' '.join(str(inner).split())[:120]
    return f'{type(inner).__name__}: {words}' if words else type(inner).__name__


class _Attempt(Exception):
    """One failed attempt: what to say, whether to retry, whether the service may have acted on it, and what error it becomes."""

    def __init__(self, msg: str, retry: bool, unknown: bool, status: int | None = None, wait: str | None = None,
                 error: type = EsendexTransportError) -> None:
        super().__init__(msg)
        self.msg, self.retry, self.unknown, self.status, self.wait, self.error = msg, retry, unknown, status, wait, error


def _bad_answer(msg: str) -> _Attempt:
    return _Attempt(msg, retry=False, unknown=False, error=EsendexResponseError)


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
        self.host = parts.hostname if parts.port is None else f'{parts.hostname}:{parts.port}'
        self._secrets = [s for s in (license_key, license_key.replace('-', ''), parts.password) if s]
        self._secret_bytes = [re.compile(re.escape(s.encode()), re.IGNORECASE) for s in self._secrets]
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

    def _redact_body(self, body: bytes) -> bytes:
        """Remove secrets from an answer before any excerpt of it is cut, so no part of one survives."""
        for pattern in self._secret_bytes:
            body = pattern.sub(REDACTED.encode(), body)
        return body

    # -- the two methods ------------------------------------------------------------

    def cancel_all_messages(self) -> Answer:
        """Messaging CancelAllMessages: True if the service says messages were cancelled."""
        body = json.dumps(self._key).encode()
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        return self._call('CancelAllMessages', body, headers, parse_json_bool)

    def cancel_by_reference_id(self, reference_id: str) -> Answer:
        """Voice CancelNotifyByReferenceID: the number of calls cancelled."""
        body = urlencode({'ReferenceID': reference_id, 'LicenseKey': self._key}).encode()
        headers = {'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'text/xml'}
        return self._call('CancelNotifyByReferenceID', body, headers, parse_count)

    def cancel_by_reference_ids(self, reference_ids: list, concurrency: int = 1) -> dict:
        """Cancel each reference ID, `concurrency` at a time; return {id: Answer} in input order.

        After the first failure no further ID is started; those in flight finish, and the
        EsendexBulkError raised carries every answer received, so no cancellation goes unreported.
        """
        lock = threading.Lock()
        pending = iter(enumerate(reference_ids))
        answers, failures = {}, {}

        def work() -> None:
            while True:
                with lock:
                    item = None if failures else next(pending, None)
                if item is None:
                    return
                index, reference_id = item
                try:
                    answer = self.cancel_by_reference_id(reference_id)
                except Exception as exc:  # pylint: disable=broad-exception-caught  # reported with the partial results
                    with lock:
                        failures[index] = exc
                    return
                with lock:
                    answers[index] = answer

        helpers = [threading.Thread(target=work, daemon=True) for unused in range(min(concurrency, len(reference_ids)) - 1)]
        for thread in helpers:
            thread.start()
        work()
        for thread in helpers:
            thread.join()
        done = {reference_ids[i]: answers[i] for i in sorted(answers)}
        if not failures:
            return done
        first = min(failures)
        cause = failures[first]
        attempted = set(answers) | set(failures)
        not_attempted = [rid for i, rid in enumerate(reference_ids) if i not in attempted]
        msg = self.redact(f'cancelling reference ID {reference_ids[first]!r} failed: {cause}')
        raise EsendexBulkError(msg, done, reference_ids[first], not_attempted, getattr(cause, 'outcome_unknown', False))

    # -- one call, with retries -------------------------------------------------------

    def _call(self, method: str, body: bytes, headers: dict, parse) -> Answer:
        """POST to one method, retrying as documented; every error message leaves here redacted."""
        try:
            answer = self._retrying(method, body, headers, parse)
            answer.notes = [self.redact(note) for note in answer.notes]
            return answer
        except EsendexError as exc:
            exc.msg = self.redact(exc.msg)
            exc.args = (exc.msg,)
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
                        raise _bad_answer(f'HTTP {status} answer could not be understood: {exc.msg}') from None
                raise _Attempt(f'HTTP {status}: {excerpt(answer, content_type)}', retry=status in RETRY_STATUSES,
                               unknown=status in (502, 504), status=status, wait=retry_after)
            except _Attempt as failed:
                last = failed
            if last.unknown:
                notes.append(f'attempt {attempt} may have reached the service without a complete answer ({last.msg})')
            if not last.retry or attempt == attempts:
                break
            self._sleep(backoff(attempt, last.wait))
        tries = f' after {attempt} attempts' if attempt > 1 else ''
        if last.status is not None:
            raise EsendexHTTPError(f'{where} failed{tries}: {last.msg}', last.status, bool(notes))
        raise last.error(f'{where} failed{tries}: {last.msg}', bool(notes))

    def _send(self, url: str, body: bytes, headers: dict) -> tuple:
        """POST once; return (status, content type, Retry-After, body) or raise _Attempt."""
        started = time.monotonic()
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.timeout,
                                          verify=self.validate_certs, allow_redirects=False, stream=True)
        except requests.exceptions.RequestException as exc:
            raise self._transport_failure(exc) from None
        try:
            status = response.status_code
            if 300 <= status < 400:
                location = display_url(response.headers.get('Location', '(none)'))
                raise _Attempt(f'HTTP {status} redirect to {location}, which is not followed', retry=False, unknown=False, status=status)
            body = self._redact_body(self._read(response, started))
            return status, response.headers.get('Content-Type', ''), response.headers.get('Retry-After'), body
        finally:
            response.close()

    def _read(self, response, started: float) -> bytes:
        """Read the body, refusing compression, more than 1 MiB, or a trickle past the timeout."""
        status = response.status_code
        encoding = response.headers.get('Content-Encoding', '').strip().lower()
        if encoding not in ('', 'identity'):
            raise _bad_answer(f'HTTP {status} answer uses Content-Encoding {encoding!r}, which was not asked for')
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
            raise self._transport_failure(exc) from None
        if declared.isdigit() and size < int(declared) and status not in (204, 304):  # these carry no body, whatever they declare
            raise _Attempt(f'the connection to {self.host} closed after {size} of {declared} bytes of the answer', retry=True, unknown=True)
        return b''.join(chunks)

    def _transport_failure(self, exc: BaseException) -> _Attempt:
        """Say what went wrong below HTTP, and whether the service may have acted on the request."""
        host = self.host
        if isinstance(exc, requests.exceptions.SSLError):
            return _Attempt(f'TLS error talking to {host}: {_tls_reason(exc)}', retry=False, unknown=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return _Attempt(f'timed out connecting to {host} after {self.timeout:g} s', retry=True, unknown=False)
        if isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)):
            return _Attempt(f'no answer from {host} within {self.timeout:g} s', retry=True, unknown=True)
        if isinstance(exc, requests.exceptions.ConnectionError) and _never_sent(exc):
            return _Attempt(f'could not connect to {host}: {_cause(exc)}', retry=True, unknown=False)
        return _Attempt(f'the connection to {host} was dropped before a complete answer ({_cause(exc)})', retry=True, unknown=True)


def _never_sent(exc: BaseException) -> bool:
    """Tell whether a requests ConnectionError happened before the request left (refused, DNS, proxy)."""
    reason = getattr(exc.args[0], 'reason', None) if exc.args else None
    return isinstance(exc, requests.exceptions.ProxyError) or isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _tls_reason(exc: BaseException) -> str:
    if 'CERTIFICATE_VERIFY_FAILED' in str(exc):
        return 'certificate verify failed (validate_certs=false turns the check off, for test services only)'
    return _cause(exc)
