# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""EsendexClient over real HTTP against the in-process emulator (the `emulator` fixture of tests/unit/conftest.py), and run_all."""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple
from urllib.parse import parse_qs

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.esendex.us.plugins.module_utils._client import (
    COLLECTION_VERSION,
    Answer,
    CallStatus,
    EsendexClient,
    EsendexError,
    EsendexHTTPError,
    EsendexResponseError,
    EsendexTransportError,
    EsendexUnavailableError,
    MessageStatus,
    _cause,
    _chain,
)

KEY = '3d8b5f1e-c27a-4e96-8f40-a1b9c6d2e7f5'
OTHER_KEY = 'e0a4c9d7-1b36-4f58-92ce-7d5a08b3f1c6'
PASSWORD = 'Vw9-apiurl-secret-Lq2x'
RID = 'spring-sale-2026'
MID = '6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'  # a scheduled message of KEY
QID = 4096001  # a scheduled call of KEY, with reference ID RID
MIB = 1024 * 1024
GALAXY_YML = Path(__file__).resolve().parents[4] / 'galaxy.yml'  # the collection root, here and in ansible-test's copy


class Method(NamedTuple):
    """One cancelling method on an account seeded with something to cancel."""

    url: str
    path: str
    run: Callable[[EsendexClient], Any]
    content_type: str
    body: str
    done: object  # the answer when something was cancelled
    nothing: object  # the answer when nothing was left
    cancelled: int  # how many items the emulator records as cancelled by the first call


METHODS = {
    'messages': lambda em: Method(em.messaging_url, '/Messaging.svc/CancelAllMessages', EsendexClient.cancel_all_messages,
                                  'application/json', f'"{KEY}"', True, False, 2),
    'calls': lambda em: Method(em.voice_url, '/NotifyWS/PhoneNotify.asmx/CancelNotifyByReferenceID',
                               lambda client: client.cancel_by_reference_id(RID),
                               'application/x-www-form-urlencoded', f'ReferenceID={RID}&LicenseKey={KEY}', 3, 0, 3),
    'message': lambda em: Method(em.messaging_url, '/Messaging.svc/CancelMessage', lambda client: client.cancel_message(MID),
                                 'application/json', f'"{MID}"', True, False, 1),
    'queue': lambda em: Method(em.voice_url, '/NotifyWS/PhoneNotify.asmx/CancelNotify', lambda client: client.cancel_by_queue_id(QID),
                               'application/x-www-form-urlencoded', f'QueueID={QID}&LicenseKey={KEY}', True, False, 1),
}
READS = {'message_status': (lambda em: em.messaging_url, lambda client: client.message_status(MID)),
         'call_statuses': (lambda em: em.voice_url, lambda client: client.call_statuses([QID]))}


def target(emulator, name: str) -> tuple:
    """(URL, call) of a cancelling method of METHODS or a read-only one of READS."""
    if name in METHODS:
        return METHODS[name](emulator).url, METHODS[name](emulator).run
    return READS[name][0](emulator), READS[name][1]


def seed(emulator) -> None:
    """Two messages and three calls to cancel on KEY; others on another account, or not scheduled."""
    emulator.add_account(KEY, messages=[{'to': '+15550100', 'id': MID, 'reference_id': RID}, {'to': '+15550101'},
                                        {'to': '+15550102', 'status': 'sent'}],
                         calls=[{'reference_id': RID, 'queue_id': QID}] + [{'reference_id': RID}] * 2
                         + [{'reference_id': RID, 'status': 'in_progress'}, {'reference_id': 'other'}])
    emulator.add_account(OTHER_KEY, messages=[{'to': '+15550199'}], calls=[{'reference_id': RID}])


@pytest.fixture(params=sorted(METHODS))
def method(request, emulator) -> Method:
    """Each cancelling method (or the one given by indirect parametrization), on the seeded accounts."""
    seed(emulator)
    return METHODS[request.param](emulator)


@pytest.fixture
def waits() -> list:
    """The back-off waits the clients made (their injected sleep)."""
    return []


@pytest.fixture
def connect(waits):
    """Make clients that record their waits instead of sleeping; close them afterwards."""
    clients = []

    def make(url: str, **options) -> EsendexClient:
        clients.append(EsendexClient(KEY, url, **{'timeout': 5.0, 'retries': 3, 'sleep': waits.append, **options}))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def sent(emulator) -> list:
    """The requests the emulator received: every one a POST, none with the key in its path or query string."""
    log = emulator.requests()
    for entry in log:
        assert entry['method'] == 'POST' and KEY not in (entry['path'] + '?' + entry['query']).lower()
    return log


def leaks(text: str, secret: str = KEY) -> bool:
    """Tell whether any 8 characters of the secret, in any case, are in the text."""
    return any(secret[i:i + 8].lower() in text.lower() for i in range(len(secret) - 7))


def respond(status: int, count: int | None = 1, **fields) -> dict:
    return {'type': 'respond', 'status': status, 'count': count, **fields}


def fails(call, client, error=EsendexError) -> EsendexError:
    """Run call(client), expect `error`; check its message is one line without the key; return it."""
    with pytest.raises(error) as caught:
        call(client)
    msg = str(caught.value)
    assert len(msg.splitlines()) == 1 and not leaks(msg) and not leaks(msg, KEY.replace('-', '')), msg
    return caught.value


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return f'http://127.0.0.1:{sock.getsockname()[1]}/Messaging.svc'


# ---------------------------------------------------------------- the exact requests

def test_each_method_makes_one_post_with_the_key_only_in_the_body(method, emulator, connect):
    client = connect(method.url)
    first, second = method.run(client), method.run(client)
    assert (first.value, first.attempts, first.outcome_unknown) == (method.done, 1, False)
    assert (second.value, second.attempts) == (method.nothing, 1)
    log = sent(emulator)
    assert len(log) == 2
    for entry in log:
        headers = {name.lower(): value for name, value in entry['headers'].items()}
        assert (entry['path'], entry['query'], entry['body']) == (method.path, '', method.body)
        assert headers['content-type'] == method.content_type
        assert headers['accept'] == ('application/json' if method.content_type == 'application/json' else 'text/xml')
    key = None if method.path.endswith('/CancelMessage') else KEY
    assert [(c['license_key'], c['count']) for c in emulator.cancellations()] == [(key, method.cancelled), (key, 0)]


def test_the_user_agent_names_the_version_galaxy_yml_gives(emulator):
    [version] = re.findall(r'^version:\s*[\'"]?([^\s\'"#]+)', GALAXY_YML.read_text(encoding='utf-8'), re.MULTILINE)
    assert COLLECTION_VERSION == version
    with EsendexClient(KEY, emulator.messaging_url + '/') as client:  # a trailing slash is dropped
        client.cancel_all_messages()
    [entry] = sent(emulator)
    assert entry['path'] == '/Messaging.svc/CancelAllMessages'
    agent = {name.lower(): value for name, value in entry['headers'].items()}['user-agent']
    assert agent.startswith(f'esendex.us/{version} (Ansible collection) python-requests/')


@pytest.mark.parametrize('reference_id', ['a&b=c d+e%20/?#;', 'caf\u00e9-\u65e5\u672c-\U0001f4de', 'LicenseKey=' + OTHER_KEY])
def test_reference_ids_are_form_encoded(emulator, connect, reference_id):
    emulator.add_account(KEY, calls=[{'reference_id': reference_id}] * 2 + [{'reference_id': 'a'}])
    emulator.add_account(OTHER_KEY, calls=[{'reference_id': 'a'}])
    assert connect(emulator.voice_url).cancel_by_reference_id(reference_id).value == 2
    assert [(c['license_key'], c['reference_id'], c['count']) for c in emulator.cancellations()] == [(KEY, reference_id, 2)]


def test_targeted_methods_act_on_the_emulators_state(emulator, connect):
    sent_mid, other_mid = '0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75', 'c3a7e912-54b0-4d6f-8e21-7f9b0a3d5c16'
    emulator.add_account(KEY, messages=[{'id': MID}, {'id': sent_mid, 'status': 'sent'}],
                         calls=[{'queue_id': 1}, {'queue_id': 2, 'status': 'in_progress'}, {'queue_id': 3, 'status': 'completed'},
                                {'queue_id': 4, 'status': 'cancelled'}])
    emulator.add_account(OTHER_KEY, messages=[{'id': other_mid}], calls=[{'queue_id': 900}])
    voice, messaging = connect(emulator.voice_url), connect(emulator.messaging_url)
    # only the key's scheduled call, once: not one in progress, completed, cancelled, another key's or unknown
    assert [voice.cancel_by_queue_id(qid).value for qid in (1, 1, 2, 3, 4, 900, 7777)] == [True] + [False] * 6
    # CancelMessage takes no key: it cancels any account's scheduled message, once
    assert [messaging.cancel_message(mid).value for mid in (MID, MID.upper(), other_mid, sent_mid)] == [True, False, True, False]
    assert [c['license_key'] for c in emulator.cancellations() if c['method'] == 'CancelMessage'] == [None] * 4
    assert [call['status'] for call in emulator.get_state()['accounts'][OTHER_KEY]['calls']] == ['scheduled']


# ---------------------------------------------------------------- retries

@pytest.mark.parametrize('statuses', [(503,), (502, 504), (503, 502, 504), (429,)])
def test_retryable_statuses_then_success(method, emulator, connect, waits, statuses):
    emulator.add_faults(*[respond(status, body='Service Unavailable') for status in statuses])
    answer = method.run(connect(method.url))
    assert (answer.value, answer.attempts) == (method.done, len(statuses) + 1)
    assert answer.outcome_unknown is bool({502, 504} & set(statuses))
    assert [note.split(':')[0] for note in answer.notes] == [f'attempt {n}' for n, status in enumerate(statuses, 1) if status in (502, 504)]
    assert waits == [0.5, 1.0, 2.0][:len(statuses)] and len(sent(emulator)) == len(statuses) + 1


@pytest.mark.parametrize('retry_after, wait', [('1', 1.0), ('0', 0.0), ('120', 60.0), ('Fri, 31 Dec 1999 23:59:59 GMT', 0.5), ('nan', 0.5)])
def test_retry_after_is_honoured_and_capped(emulator, connect, waits, retry_after, wait):
    emulator.add_account(KEY, messages=[{}])
    emulator.add_faults(respond(429, headers={'Retry-After': retry_after}))
    assert connect(emulator.messaging_url).cancel_all_messages().value is True
    assert waits == [wait]


@pytest.mark.parametrize('retries', [0, 1, 3])
def test_persistent_503_gives_up_after_retries_plus_one_attempts(method, emulator, connect, waits, retries):
    emulator.add_faults(respond(503, count=10, body='Service Unavailable'))
    error = fails(method.run, connect(method.url, retries=retries), EsendexHTTPError)
    assert error.status == 503 and 'HTTP 503: Service Unavailable' in str(error)
    assert (f'after {retries + 1} attempts' in str(error)) is (retries > 0)
    assert len(sent(emulator)) == retries + 1 and waits == [0.5, 1.0, 2.0][:retries] and emulator.cancellations() == []


SOAP_FAULT = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
              '<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; Timeout expired.'
              '</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>')
ASMX_TEXT = ('System.InvalidOperationException: Missing parameter: ReferenceID.\r\n'
             '   at System.Web.Services.Protocols.ValueCollectionParameterReader.Read(NameValueCollection collection)\r\n')
WCF_HTML = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Request Error</title></head><body><div id="content">'
            '<p class="heading1">Request Error</p><p>The server encountered an error processing the request.</p></div></body></html>')


@pytest.mark.parametrize('status, body, content_type, text', [
    (500, SOAP_FAULT, 'text/xml; charset=utf-8', 'HTTP 500: Server was unable to process request. ---> Timeout expired.'),
    (500, ASMX_TEXT, 'text/plain; charset=utf-8', 'HTTP 500: System.InvalidOperationException: Missing parameter: ReferenceID.'),
    (400, WCF_HTML, 'text/html', 'HTTP 400: Request Error The server encountered an error processing the request.'),
    (401, '', 'text/plain', 'HTTP 401: (empty body)'), (404, 'Not Found', 'text/plain', 'HTTP 404: Not Found'),
])
def test_other_errors_fail_at_once_with_the_fault_text(method, emulator, connect, waits, status, body, content_type, text):
    emulator.add_faults(respond(status, count=5, body=body, content_type=content_type))
    error = fails(method.run, connect(method.url), EsendexHTTPError)
    assert error.status == status and str(error).endswith(text) and 'attempts' not in str(error)
    assert len(sent(emulator)) == 1 and waits == []


# ---------------------------------------------------------------- no answer at all

@pytest.mark.parametrize('url, host, cause', [
    (closed_port_url, r'127\.0\.0\.1:\d+', 'Connection refused'),
    (lambda: 'https://esendex-unit-test.invalid/Messaging.svc', r'esendex-unit-test\.invalid', r'\w+'),
])
def test_no_connection_names_host_and_cause(connect, waits, url, host, cause):
    error = fails(EsendexClient.cancel_all_messages, connect(url(), retries=2), EsendexTransportError)
    assert re.search(rf'after 3 attempts: could not connect to {host}: {cause}', str(error)), str(error)
    assert error.outcome_unknown is False and waits == [0.5, 1.0]


LOST = {
    'drop': r'the connection to {host} was dropped before a complete answer: RemoteDisconnected: ',
    'truncate': r'the connection to {host} (closed after \d+ of \d+ bytes of the answer|was dropped before a complete answer: )',
    'hang': r'no answer from {host} within 1 s',
}


@pytest.mark.parametrize('fault, processed', [
    ({'type': 'drop'}, False), ({'type': 'drop', 'process': True}, True), ({'type': 'truncate', 'process': False}, False),
    ({'type': 'truncate'}, True), ({'type': 'hang', 'seconds': 30, 'process': True}, True),
])
def test_a_lost_answer_is_retried_and_reported_as_unknown(method, emulator, connect, fault, processed):
    emulator.add_faults(dict(fault, count=1))
    answer = method.run(connect(method.url, timeout=1.0))  # time for the emulator to process the hung request first
    assert answer.value == (method.nothing if processed else method.done)
    assert answer.attempts == 2 and answer.outcome_unknown is True
    pattern = 'attempt 1: ' + LOST[fault['type']].format(host=re.escape(f'127.0.0.1:{emulator.port}'))
    assert len(answer.notes) == 1 and re.match(pattern, answer.notes[0]) and not leaks(answer.notes[0]), answer.notes
    assert [c['count'] for c in emulator.cancellations()] == ([method.cancelled, 0] if processed else [method.cancelled])


@pytest.mark.parametrize('fault', [{'type': 'drop'}, {'type': 'truncate'}, {'type': 'truncate', 'bytes': 0}])
def test_a_connection_lost_every_time_fails_cleanly(method, emulator, connect, waits, fault):
    emulator.add_faults(dict(fault, count=10))
    error = fails(method.run, connect(method.url, retries=2), EsendexTransportError)
    assert 'after 3 attempts' in str(error) and error.outcome_unknown is True
    assert len(sent(emulator)) == 3 and waits == [0.5, 1.0]


@pytest.mark.parametrize('method', ['messages', 'queue'], indirect=True)  # one JSON and one form method: each costs the timeouts
def test_hang_past_the_timeout_fails_after_each_attempt_timed_out(method, emulator, connect, waits):
    emulator.add_faults({'type': 'hang', 'seconds': 30, 'count': 3})
    started = time.monotonic()
    error = fails(method.run, connect(method.url, timeout=0.25, retries=2), EsendexTransportError)
    assert time.monotonic() - started < 3 * 0.25 + 5  # the emulator would hang for 30 s per attempt
    assert 'after 3 attempts: no answer from' in str(error) and 'within 0.25 s' in str(error)
    assert error.outcome_unknown is True and waits == [0.5, 1.0]


def test_a_dropped_connection_is_explained_by_its_real_cause(emulator, connect):
    emulator.add_faults({'type': 'drop', 'count': 5})
    msg = str(fails(EsendexClient.cancel_all_messages, connect(emulator.messaging_url, retries=0), EsendexTransportError))
    assert msg == (f'CancelAllMessages at 127.0.0.1:{emulator.port} failed: the connection to 127.0.0.1:{emulator.port} was dropped '
                   'before a complete answer: RemoteDisconnected: Remote end closed connection without response')


# ---------------------------------------------------------------- read-only methods: their outcome is never unknown

@pytest.mark.parametrize('name', ['message_status', 'call_statuses', 'message', 'queue'])
@pytest.mark.parametrize('fault', [{'type': 'hang', 'seconds': 30}, {'type': 'drop'}, respond(502)])
def test_only_a_cancellation_can_have_an_unknown_outcome(emulator, connect, waits, name, fault):
    seed(emulator)
    (url, call), unknown = target(emulator, name), name in METHODS
    emulator.add_faults(dict(fault, count=1))
    answer = call(connect(url, timeout=1.0, retries=1))  # time for the second attempt on a busy machine
    assert answer.attempts == 2 and answer.outcome_unknown is unknown and bool(answer.notes) is unknown
    emulator.add_faults(dict(fault, count=2))
    error = fails(call, connect(url, timeout=0.25, retries=1))
    assert 'after 2 attempts' in str(error) and error.outcome_unknown is unknown and waits == [0.5, 0.5]


# ---------------------------------------------------------------- GetMessageStatus

def test_message_status_posts_the_bare_message_id_without_the_key(emulator, connect):
    seed(emulator)
    client = connect(emulator.messaging_url)
    assert client.message_status(MID.upper()).value == MessageStatus(MID, False, False, False, None, RID, 'NoError')
    unknown = client.message_status('0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75').value
    assert unknown.not_found and not unknown.cancellable
    log = sent(emulator)
    assert [(e['path'], e['query'], e['body']) for e in log] == [('/Messaging.svc/GetMessageStatus', '', f'"{MID.upper()}"'),
                                                                 ('/Messaging.svc/GetMessageStatus', '', '"0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75"')]
    for entry in log:
        headers = {name.lower(): value for name, value in entry['headers'].items()}
        assert headers['content-type'] == 'application/json' and not leaks(repr(entry)) and not leaks(repr(entry), KEY.replace('-', ''))
    assert emulator.cancellations() == []


@pytest.mark.parametrize('fault', [respond(404, body='Endpoint not found.'), respond(400, body=WCF_HTML, content_type='text/html'),
                                   respond(405, body='Method Not Allowed'), respond(200, body='true', content_type='application/json'),
                                   respond(200, body='{"d": null}', content_type='application/json'), None])
def test_message_status_unavailable(emulator, connect, waits, fault):
    seed(emulator)
    if fault:
        emulator.add_faults(dict(fault, count=None))
    else:
        emulator.set_message_status_available(False)  # the method removed: WCF's 404 "Endpoint not found"
    error = fails(lambda c: c.message_status(MID), connect(emulator.messaging_url), EsendexUnavailableError)
    assert 'the service does not offer GetMessageStatus' in str(error) and error.outcome_unknown is False
    assert len(sent(emulator)) == 1 and waits == []


@pytest.mark.parametrize('status, attempts', [(500, 1), (503, 3)])
def test_a_failing_message_status_is_not_unavailable(emulator, connect, status, attempts):
    seed(emulator)
    emulator.add_faults(respond(status, count=None, body='Server Error'))
    error = fails(lambda c: c.message_status(MID), connect(emulator.messaging_url, retries=2), EsendexHTTPError)
    assert type(error) is EsendexHTTPError and error.status == status  # pylint: disable=unidiomatic-typecheck
    assert 'does not offer' not in str(error) and error.outcome_unknown is False and len(sent(emulator)) == attempts


@pytest.mark.parametrize('fault', [respond(200, body='{}', headers={'Content-Encoding': 'gzip'}),
                                   respond(200, body='x' * (1024 * 1024 + 1), content_type='application/json')])
def test_an_answer_that_cannot_be_read_is_not_unavailable(emulator, connect, fault):
    seed(emulator)
    emulator.add_faults(fault)
    error = fails(lambda c: c.message_status(MID), connect(emulator.messaging_url), EsendexResponseError)
    assert not isinstance(error, EsendexUnavailableError) and 'does not offer' not in str(error)


def test_read_message_statuses_gives_an_outcome_per_id(emulator, connect):
    seed(emulator)
    other = '0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75'
    emulator.add_faults(respond(500, count=None, body='Server Error', match={'message_id': other}))
    outcomes = connect(emulator.messaging_url, max_connections=2).read_message_statuses([MID, other, MID.upper()], 2)
    assert [o.id for o in outcomes] == [MID, other, MID.upper()]
    assert [(o.answer.value.label if o.answer else None, o.error.status if o.error else None) for o in outcomes] == [
        ('Scheduled', None), (None, 500), ('Scheduled', None)]


# ---------------------------------------------------------------- GetMultipleQueueIdStatus

def test_call_statuses_reads_100_ids_a_request_in_input_order(emulator, connect):
    def status(qid):
        return 'cancelled' if qid % 11 == 0 else 'completed' if qid % 7 == 0 else 'in_progress' if qid % 5 == 0 else 'scheduled'
    emulator.add_account(KEY, calls=[{'queue_id': qid, 'reference_id': RID, 'status': status(qid)} for qid in range(1, 251)])
    emulator.add_account(OTHER_KEY, calls=[{'queue_id': 900, 'reference_id': RID}])
    ids = list(range(250, 0, -1)) + [900, 7777]  # another account's and an unknown ID are left out of the answer
    outcomes = connect(emulator.voice_url, max_connections=2).read_call_statuses(ids, 2)
    assert [o.id for o in outcomes] == [ids[:100], ids[100:200], ids[200:]] and all(o.error is None for o in outcomes)
    found = {qid: s for o in outcomes for qid, s in o.answer.value.items()}
    assert [list(o.answer.value) for o in outcomes] == [ids[:100], ids[100:200], ids[200:250]]
    expected = {'scheduled': (0, 'Queued', False), 'in_progress': (12, 'Dialing', False), 'completed': (1, 'Call Answered', True),
                'cancelled': (22, 'Cancelled', True)}
    assert all((s.queue_id, s.response_code, s.response_text, s.call_complete) == (q, *expected[status(q)]) for q, s in found.items())
    assert [s.cancellable for s in found.values()] == [status(q) == 'scheduled' for q in found]
    forms = [parse_qs(entry['body'], strict_parsing=True) for entry in sent(emulator)]
    assert sorted(form['QueueIDs'][0] for form in forms) == sorted(';'.join(map(str, ids[i:i + 100])) for i in (0, 100, 200))
    assert all(form['LicenseKey'] == [KEY] for form in forms) and emulator.cancellations() == []  # a status read changes nothing


def test_call_statuses_keep_only_the_ids_asked_for(emulator, connect):
    body = ('<ArrayOfNotifyReturn xmlns="https://ws.esendex.us/NotifyWS/">' + ''.join(
        f'<NotifyReturn><ResponseCode>0</ResponseCode><QueueID>{qid}</QueueID><CallComplete>false</CallComplete></NotifyReturn>'
        for qid in (9, 3, 1)) + '</ArrayOfNotifyReturn>')
    emulator.add_faults(respond(200, body=body, content_type='text/xml'))
    assert connect(emulator.voice_url).call_statuses([1, 2, 3]).value == {1: CallStatus(1, 0, None, False), 3: CallStatus(3, 0, None, False)}


def test_a_failed_status_batch_leaves_the_others_read(emulator, connect, waits):
    emulator.add_account(KEY, calls=[{'queue_id': qid} for qid in range(1, 151)])
    emulator.add_faults(respond(500, body='Server Error', match={'operation': 'GetMultipleQueueIdStatus', 'queue_id': 120}))
    first, second = connect(emulator.voice_url).read_call_statuses(list(range(1, 151)))
    assert list(first.answer.value) == list(range(1, 101)) and first.error is None
    assert second.answer is None and str(second.error) == f'GetMultipleQueueIdStatus at 127.0.0.1:{emulator.port} failed: HTTP 500: Server Error'
    assert second.error.outcome_unknown is False and waits == []


# ---------------------------------------------------------------- answers that are refused

@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(method, emulator, connect, waits, status):
    target = method.url.replace('http://', f'http://user:{PASSWORD}@') + '/Elsewhere'
    emulator.add_faults(respond(status, headers={'Location': target}))
    error = fails(method.run, connect(method.url), EsendexHTTPError)
    assert error.status == status and 'not followed' in str(error) and PASSWORD not in str(error)
    assert [entry['path'] for entry in sent(emulator)] == [method.path] and waits == []


BILLION_LAUGHS = ('<!DOCTYPE int [<!ENTITY a "1"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                  '<int>&c;</int>')


@pytest.mark.parametrize('method, status, body, content_type', [
    ('calls', 200, '<int xmlns="https://ws.esendex.us/NotifyWS/">-1</int>', 'text/xml'), ('calls', 200, '<int>' + '7' * 5000 + '</int>', 'text/xml'),
    ('calls', 200, BILLION_LAUGHS, 'text/xml'), ('calls', 200, '<html><body>Maintenance</body></html>', 'text/html'),
    ('calls', 204, '<int>3</int>', 'text/xml'), ('messages', 200, '"true"', 'application/json'),
    ('messages', 200, '<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">true</boolean>', 'application/xml'),
    ('messages', 204, 'true', 'application/json'),  # a 204 has no content, whatever its Content-Length says: nothing was cut off
    ('queue', 200, '<boolean xmlns="https://ws.esendex.us/NotifyWS/">True</boolean>', 'text/xml'), ('queue', 200, 'true', 'application/json'),
    ('message', 200, '', 'application/json'),
], indirect=['method'])
def test_answers_that_are_not_what_the_method_returns_fail_at_once(method, emulator, connect, waits, status, body, content_type):
    emulator.add_faults(respond(status, count=5, body=body, content_type=content_type))
    assert 'could not be understood' in str(fails(method.run, connect(method.url), EsendexResponseError))
    assert len(sent(emulator)) == 1 and waits == []


def test_compressed_answer_is_refused(method, emulator, connect):
    emulator.add_faults(respond(200, body='true', headers={'Content-Encoding': 'gzip'}))
    assert "Content-Encoding 'gzip'" in str(fails(method.run, connect(method.url), EsendexResponseError))
    assert len(sent(emulator)) == 1


@contextlib.contextmanager
def raw_server(head: bytes, chunks: int, chunk: bytes):
    """Serve one connection: read the request, answer `head` then `chunks` times `chunk`; count the bytes it got out."""
    listener = socket.create_server(('127.0.0.1', 0))
    written = [0]

    def serve() -> None:
        with contextlib.suppress(OSError), listener.accept()[0] as conn:  # OSError: the client went away, or never came
            conn.recv(65536)
            conn.sendall(head)
            for count in range(1, chunks + 1):
                conn.sendall(chunk)
                written[0] = count * len(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{listener.getsockname()[1]}/Messaging.svc', written
    finally:
        listener.close()
        thread.join(10)


@pytest.mark.parametrize('framing, chunk', [
    (b'Content-Length: %d\r\n' % (256 * MIB), b'x' * 65536), (b'Transfer-Encoding: chunked\r\n', b'10000\r\n' + b'x' * 65536 + b'\r\n'),
    (b'Connection: close\r\n', b'x' * 65536),
])
def test_answers_over_1_mib_are_refused_without_reading_them_all(connect, waits, framing, chunk):
    head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n' + framing + b'\r\n'
    with raw_server(head, 4096, chunk) as (url, written):
        error = fails(EsendexClient.cancel_all_messages, connect(url, retries=2), EsendexResponseError)
    assert 'over the 1 MiB limit' in str(error) and waits == []
    assert written[0] < 64 * MIB  # 256 MiB were on offer; socket buffers hold a few MiB at most


@pytest.mark.parametrize('head', [b'HTTP/1.1 2OO OK\r\n\r\n', b'SSH-2.0-OpenSSH_9.6\r\n', b'HTTP/1.1 200 OK\r\nX-Long: ' + b'a' * 70000 + b'\r\n\r\n'])
def test_a_malformed_status_line_is_not_a_dropped_connection(connect, waits, head):
    with raw_server(head, 0, b'') as (url, unused):
        error = fails(EsendexClient.cancel_all_messages, connect(url, timeout=5, retries=3), EsendexResponseError)
    assert 'answered with a malformed HTTP status line' in str(error) and 'dropped' not in str(error)
    assert error.outcome_unknown is True and waits == [] and 'attempts' not in str(error) and len(str(error)) < 300


# ---------------------------------------------------------------- secrets in answers and in api_url

ECHOES = [
    (500, 'Invalid license key {license_key} for this account.'),
    (500, SOAP_FAULT.replace('Timeout expired.', 'License key {license_key} is not valid.')), (500, 'Invalid license key ' + KEY.upper() + '.'),
    (500, 'E' * 150 + ' license key {license_key} rejected'),  # the key sits where the excerpt is cut
    (500, 'E' * 150 + ' license key ' + KEY.upper().replace('-', '') + ' rejected'), (200, 'Unexpected: ' + 'E' * 160 + ' {license_key}'),
]


@pytest.mark.parametrize('status, template', ECHOES)
def test_a_key_echoed_by_the_service_is_removed(method, emulator, connect, status, template):
    template = template.replace('{license_key}', KEY) if method.path.endswith('/CancelMessage') else template  # it is not sent
    emulator.add_faults(respond(status, count=5, body_template=template, content_type='text/plain'))
    msg = str(fails(method.run, connect(method.url, retries=0)))
    assert status == 200 or '********' in msg  # an error status is always quoted; a 200 answer only when it is not XML


@pytest.mark.parametrize('fault, url', [
    (respond(503, count=5, body_template='no access for {license_key}'), lambda em: em.messaging_url),
    (respond(307, headers={'Location': f'http://user:{PASSWORD}@elsewhere.example/x'}), lambda em: em.messaging_url),
    ({'type': 'drop', 'count': 5}, lambda em: em.messaging_url), ({'type': 'hang', 'count': 5}, lambda em: em.messaging_url),
    (None, lambda em: closed_port_url()), (None, lambda em: 'http://esendex-unit-test.invalid/Messaging.svc'),
])
def test_a_password_in_api_url_is_never_shown(emulator, connect, fault, url):
    emulator.add_faults(*[fault] if fault else [])
    client = connect(url(emulator).replace('http://', f'http://user:{PASSWORD}@', 1), retries=1, timeout=0.25)
    assert not leaks(str(fails(EsendexClient.cancel_all_messages, client)), PASSWORD)


@pytest.mark.parametrize('password', ['True', 'true', '1', '0', 'false', '2'])
def test_a_short_url_password_does_not_change_what_the_answer_says(emulator, connect, password):
    emulator.add_account(KEY, messages=[{}] * 2, calls=[{'reference_id': '1'}] * 9 + [{'reference_id': 'True'}])
    messaging = connect(emulator.messaging_url.replace('http://', f'http://ops:{password}@', 1))
    voice = connect(emulator.voice_url.replace('http://', f'http://ops:{password}@', 1))
    assert [messaging.cancel_all_messages().value, messaging.cancel_all_messages().value] == [True, False]
    assert [voice.cancel_by_reference_id('1').value, voice.cancel_by_reference_id('True').value] == [9, 1]
    emulator.add_faults(respond(500, count=5, body='True, the service failed', content_type='text/plain'))
    if password == 'True':  # removed from messages all the same
        assert str(fails(EsendexClient.cancel_all_messages, messaging)).endswith('HTTP 500: ********, the service failed')


# ---------------------------------------------------------------- why the connection failed

def _raised(error: BaseException, context: BaseException | None = None, cause: BaseException | None = None) -> BaseException:
    """error, raised (with an implicit context, if given, and an explicit cause, if given) and caught."""
    try:
        try:
            raise context or ValueError('no context')
        except BaseException:  # pylint: disable=broad-exception-caught
            if cause is not None:
                raise error from cause
            raise error  # pylint: disable=raise-missing-from  # the implicit context is what is tested
    except BaseException as caught:  # pylint: disable=broad-exception-caught
        return caught


def test_the_chain_follows_args_reason_and_cause_but_never_context():
    disconnected = _raised(http.client.RemoteDisconnected('Remote end closed connection without response'),
                           context=TypeError("getresponse() got an unexpected keyword argument 'buffering'"))
    protocol = urllib3.exceptions.ProtocolError('Connection aborted.', disconnected)
    outer = requests.exceptions.ConnectionError(protocol)
    assert _chain(outer) == [outer, protocol, disconnected]
    assert _cause(outer) == 'RemoteDisconnected: Remote end closed connection without response'
    pool = urllib3.exceptions.MaxRetryError(None, '/x', reason=urllib3.exceptions.NewConnectionError(None, '[Errno 111] Connection refused'))
    assert _chain(pool)[:2] == [pool, pool.reason] and _cause(pool) == 'Connection refused'
    caused = _raised(RuntimeError('outer'), context=KeyError('context'), cause=OSError('the cause'))
    assert [type(item) for item in _chain(caused)] == [RuntimeError, OSError]
    first, second = ValueError('a'), ValueError('b')
    first.args, second.args = (second,), (first,)
    assert _chain(first) == [first, second]  # a loop ends


@contextlib.contextmanager
def dead_proxy(monkeypatch, scheme: str = 'http', userinfo: str = ''):
    """Point both proxy variables at a closed loopback port, with no NO_PROXY; yield the proxy URL."""
    proxy = closed_port_url().rsplit('/', 1)[0].replace('http://', f'{scheme}://{userinfo}')
    for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('http_proxy', proxy)
    monkeypatch.setenv('https_proxy', proxy)
    yield proxy


@pytest.mark.parametrize('url, host', [
    ('http://esendex-unit-test.invalid/Messaging.svc', 'esendex-unit-test.invalid'),
    ('https://esendex-unit-test.invalid:8443/Messaging.svc', 'esendex-unit-test.invalid:8443'),
])
def test_a_dead_proxy_is_named(monkeypatch, connect, waits, url, host):
    # the proxy failed, not the service: nothing reached the service, so it is retried and not outcome-unknown
    with dead_proxy(monkeypatch, userinfo=f'px:{PASSWORD}@') as proxy:
        error = fails(EsendexClient.cancel_all_messages, connect(url, retries=2), EsendexTransportError)
    shown = proxy.replace(PASSWORD, '********')
    assert re.search(rf"after 3 attempts: could not connect through the proxy '{re.escape(shown)}' to {re.escape(host)}: "
                     r'Connection refused$', str(error)), str(error)
    assert error.outcome_unknown is False and waits == [0.5, 1.0] and PASSWORD not in str(error)


def test_a_socks_proxy_without_pysocks_fails_at_once_saying_what_is_missing(monkeypatch, connect, waits):
    try:
        import socks  # noqa: F401  # pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        pass
    else:
        pytest.skip('PySocks is installed here, so a SOCKS proxy is usable and there is nothing missing to report')
    with dead_proxy(monkeypatch, 'socks5') as proxy:
        error = fails(EsendexClient.cancel_all_messages, connect('http://esendex-unit-test.invalid/Messaging.svc'), EsendexTransportError)
    assert str(error) == (f"CancelAllMessages at esendex-unit-test.invalid failed: the proxy '{proxy}' is a SOCKS proxy, which needs "
                          'the Python package PySocks (pip install "requests[socks]") on the host that runs the module; nothing was sent')
    assert error.outcome_unknown is False and waits == []


@pytest.fixture
def ipv6_emulator(emulator_module):
    """An emulator on ::1, if this machine has IPv6 loopback."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(('::1', 0))
    except OSError:
        pytest.skip('no IPv6 loopback (::1) on this machine')
    with emulator_module.EmulatorServer(host='::1', port=0, quiet=True) as server:
        yield server


def test_ipv6_hosts_are_named_with_brackets(ipv6_emulator, connect):
    ipv6_emulator.add_account(KEY, calls=[{'reference_id': RID}] * 2)
    client = connect(ipv6_emulator.voice_url, retries=0)
    assert client.cancel_by_reference_id(RID).value == 2
    ipv6_emulator.add_faults(respond(500, body='Server Error'))
    error = fails(lambda c: c.cancel_by_reference_id(RID), client, EsendexHTTPError)
    assert str(error) == f'CancelNotifyByReferenceID at [::1]:{ipv6_emulator.port} failed: HTTP 500: Server Error'
    port = ipv6_emulator.port
    ipv6_emulator.stop()
    error = fails(lambda c: c.cancel_by_reference_id(RID), connect(f'http://[::1]:{port}/NotifyWS/PhoneNotify.asmx', retries=0))
    assert f'could not connect to [::1]:{port}: ' in str(error)


# ---------------------------------------------------------------- run_all: many IDs, best effort

def plan(*steps: str) -> tuple:
    """Jobs for run_all from steps ('ok' answers, 'fail' fails) and the list of IDs called, in call order."""
    called = []

    def call(ident):
        called.append(ident)
        if steps[ident] == 'fail':
            raise EsendexHTTPError(f'HTTP 500 for {ident}', 500)
        return Answer(ident)
    return [(call, index) for index in range(len(steps))], called


def kinds(outcomes: list) -> list:
    return ['ok' if o.answer is not None else 'fail' if o.error is not None else '-' for o in outcomes]


@pytest.fixture
def client():
    with EsendexClient(KEY, 'http://127.0.0.1:9/x') as made:  # run_all's own logic needs no HTTP
        yield made


@pytest.mark.parametrize('steps, expected', [
    (('fail', 'fail', 'ok', 'fail', 'fail', 'fail', 'ok', 'ok'), ['fail', 'fail', 'ok', 'fail', 'fail', 'fail', '-', '-']),
    (('ok', 'fail', 'ok', 'fail', 'fail', 'ok', 'fail', 'ok'), ['ok', 'fail', 'ok', 'fail', 'fail', 'ok', 'fail', 'ok']),
    (('fail', 'fail', 'fail', 'ok'), ['fail', 'fail', 'fail', '-']), (('fail', 'fail', 'fail'), ['fail', 'fail', 'fail']), ((), []),
])
def test_run_all_is_best_effort_and_stops_only_after_three_failures_in_a_row(client, steps, expected):
    jobs, called = plan(*steps)
    outcomes = client.run_all(jobs, 1)
    assert [o.id for o in outcomes] == list(range(len(steps))) and kinds(outcomes) == expected
    assert called == [i for i, kind in enumerate(expected) if kind != '-']  # what was not attempted was never called
    assert all(o.answer.value == o.id for o in outcomes if o.answer) and all(str(o.error) == f'HTTP 500 for {o.id}' for o in outcomes if o.error)


class Gate:
    """Jobs that each wait to be released, then fail: the test decides the order in which they finish."""

    def __init__(self, count: int) -> None:
        self.started, self.cond = [], threading.Condition()
        self.release = [threading.Event() for unused in range(count)]

    def call(self, ident):
        with self.cond:
            self.started.append(ident)
            self.cond.notify_all()
        assert self.release[ident].wait(30)
        raise EsendexTransportError(f'no answer for {ident}')

    def wait_started(self, count: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.started) >= count, 30)


@pytest.mark.parametrize('concurrency', [4, 6])
def test_with_more_workers_the_limit_is_the_concurrency_and_jobs_in_flight_finish(client, concurrency):
    total = 2 * concurrency + 3
    gate, outcomes = Gate(total), []
    runner = threading.Thread(target=lambda: outcomes.extend(client.run_all([(gate.call, i) for i in range(total)], concurrency)))
    runner.start()
    assert gate.wait_started(concurrency)
    for finished in range(concurrency - 1):  # each failure short of the limit lets its worker start the next job
        gate.release[finished].set()
        assert gate.wait_started(concurrency + finished + 1), f'no job started after {finished + 1} failures in a row'
    for event in gate.release:  # the limit is reached: the jobs in flight finish, and no job starts
        event.set()
    runner.join(30)
    assert sorted(gate.started) == list(range(2 * concurrency - 1))
    assert kinds(outcomes) == ['fail'] * (2 * concurrency - 1) + ['-'] * 4


def test_an_unexpected_exception_becomes_the_clients_own_error_without_the_key(client):
    def broken(ident):
        raise ValueError(f'boom {ident} {KEY.upper()} {KEY.replace("-", "")}')
    [outcome] = client.run_all([(broken, 'a')], 1)
    assert type(outcome.error) is EsendexError and outcome.error.outcome_unknown is True  # pylint: disable=unidiomatic-typecheck
    assert str(outcome.error) == "unexpected ValueError: 'boom a ******** ********'"


IDS = ['window-1', 'window-2', 'window-3', 'window-4', 'window-5']


@pytest.fixture
def campaigns(emulator):
    """KEY's calls for window-1..5 (with 2, 0, 1, 3, 1 of them scheduled), the same IDs on another account."""
    counts = dict(zip(IDS, [2, 0, 1, 3, 1]))
    emulator.add_account(KEY, calls=[{'reference_id': rid} for rid, n in counts.items() for unused in range(n)]
                         + [{'reference_id': rid, 'status': 'in_progress'} for rid in IDS])
    emulator.add_account(OTHER_KEY, calls=[{'reference_id': rid} for rid in IDS])
    return counts


@pytest.mark.parametrize('concurrency', [1, 4])
def test_run_all_over_http_answers_in_input_order_and_a_failure_stops_nothing(emulator, campaigns, connect, concurrency):
    emulator.add_faults(respond(500, count=None, body='Server Error', match={'reference_id': 'window-3'}),
                        {'type': 'delay', 'seconds': 0.2})  # the first other request to arrive finishes last
    client = connect(emulator.voice_url, max_connections=concurrency)
    outcomes = client.run_all([(client.cancel_by_reference_id, rid) for rid in IDS], concurrency)
    assert [o.id for o in outcomes] == IDS and kinds(outcomes) == ['ok', 'ok', 'fail', 'ok', 'ok']
    assert [o.answer.value for o in outcomes if o.answer] == [2, 0, 3, 1] and outcomes[2].error.status == 500
    assert sorted((c['reference_id'], c['count']) for c in emulator.cancellations()) == sorted(
        (rid, n) for rid, n in campaigns.items() if rid != 'window-3')


@pytest.mark.parametrize('concurrency, most', [(1, 1), (4, 4)])
def test_connections_are_reused(emulator, campaigns, connect, monkeypatch, concurrency, most):
    opened = []
    create = urllib3.util.connection.create_connection
    monkeypatch.setattr(urllib3.util.connection, 'create_connection', lambda *args, **kwargs: opened.append(args) or create(*args, **kwargs))
    emulator.add_faults(respond(503))  # a retried error answer keeps the connection too
    emulator.set_latency(0.02)  # so that concurrent requests overlap
    ids = [f'{rid}-{n}' for n in range(3) for rid in IDS]
    client = connect(emulator.voice_url, max_connections=concurrency)
    outcomes = client.run_all([(client.cancel_by_reference_id, rid) for rid in ids], concurrency)
    assert kinds(outcomes) == ['ok'] * 15 and len(sent(emulator)) == 16 and 1 <= len(opened) <= most


# ---------------------------------------------------------------- any answer at all

@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(METHODS) + sorted(READS)), status=st.integers(200, 599),
       body=st.lists(st.one_of(st.text(max_size=20), st.sampled_from(['{license_key}', 'true', '<int>', '</int>', '7', '<!DOCTYPE',
                                                                      '{"Cancelled":false,"Queued":false,"Sent":false,',
                                                                      f'"MessageID":"{MID}","SMSError":0}}'])), max_size=6).map(''.join),
       content_type=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_any_answer_gives_a_valid_value_or_the_clients_own_error(emulator, kind, status, body, content_type):
    emulator.reset()
    seed(emulator)
    emulator.add_faults(respond(status, count=2, body_template=body, content_type=content_type))
    url, call = target(emulator, kind)
    waits = []
    with EsendexClient(KEY, url, timeout=5, retries=1, sleep=waits.append) as made:
        try:
            answer = call(made)
        except EsendexError as exc:
            assert len(str(exc).splitlines()) == 1 and not leaks(str(exc))
            assert getattr(exc, 'status', status) == status
        else:
            assert 200 <= status < 300
            valid = {'calls': lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, 'message_status': lambda v: isinstance(v, MessageStatus),
                     'call_statuses': lambda v: isinstance(v, dict) and set(v) <= {QID}}.get(kind, lambda v: isinstance(v, bool))
            assert valid(answer.value), answer.value
    assert len(emulator.requests()) == (2 if status in (429, 502, 503, 504) else 1)
    assert waits == ([0.5] if status in (429, 502, 503, 504) else [])
