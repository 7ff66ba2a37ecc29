# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_message_info run in-process against the emulator: check mode and the real run read alike, and change nothing."""

from __future__ import annotations

import json
import threading

import pytest
import yaml

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexClient
from ansible_collections.esendex.us.plugins.modules import esendex_message_info
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import (
    KEY,
    M1,
    M2,
    M3,
    M4,
    M5,
    M6,
    OTHER_KEY,
    ZERO,
    failing,
    method,
    run_both,
    sms_response,
)

main = esendex_message_info.main
UNSENT = {'cancelled': False, 'queued': False, 'sent': False, 'sent_date_time': None, 'reference_id': None, 'error': 'NoError'}
MESSAGES = {
    M1: {**UNSENT, 'reference_id': 'spring-sale-2026', 'cancellable': True},
    M2: {**UNSENT, 'sent': True, 'sent_date_time': '2026-12-01T09:00:00.570000+00:00', 'cancellable': False},
    M3: {**UNSENT, 'queued': True, 'cancellable': False},
    M4: {**UNSENT, 'cancelled': True, 'cancellable': False},
    M5: {**UNSENT, 'cancellable': True},
}


@pytest.fixture
def messages(emulator):
    """KEY: M1 scheduled ('spring-sale-2026'), M2 sent, M3 queued, M4 cancelled; OTHER_KEY: M5 scheduled (no key is needed to read it)."""
    emulator.add_account(KEY, messages=[{'id': M1, 'reference_id': 'spring-sale-2026'}, {'id': M2, 'status': 'sent', 'sent_time_ms': 1796115600570},
                                        {'id': M3, 'status': 'queued'}, {'id': M4, 'status': 'cancelled'}])
    emulator.add_account(OTHER_KEY, messages=[{'id': M5}])
    return emulator


def args_for(emulator, message_ids, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.messaging_url, 'message_ids': message_ids, **options}


def test_every_documented_key_in_input_order_and_the_same_in_check_mode(messages):
    ids = [M2, M1.upper(), M6, M5, M3, ZERO, M4, M2]
    check, result = run_both(main, messages, args_for(messages, ids), reads=7)
    expected = [{'message_id': mid, **MESSAGES[mid]} for mid in (M2, M1, M5, M3, M4)]
    assert result == check == {'changed': False, 'failed': False, 'messages': expected, 'not_found_message_ids': [M6, ZERO], 'warnings': check['warnings']}
    documented = yaml.safe_load(esendex_message_info.RETURN)['messages']['contains']
    assert all(list(message) == list(documented) for message in result['messages'])  # every documented key, and only those, in that order
    # one POST per MessageID, its bare JSON string, no license key (run_both checks the body too), nothing else
    requests = messages.requests()[7:]
    assert sorted(json.loads(entry['body']) for entry in requests) == sorted(ids[:-1])
    assert {(entry['method'], method(entry), entry['query'], entry['headers']['Content-Type']) for entry in requests} == {
        ('POST', 'GetMessageStatus', '', 'application/json')}


@pytest.mark.parametrize('fields, sent_date_time', [
    ({'Sent': True, 'SentDateTime': '/Date(1796115600000+0100)/'}, '2026-12-01T09:00:00+00:00'),  # ms since the epoch are UTC
    ({'Sent': True, 'SentDateTime': '/Date(-62135596800000)/'}, None),  # .NET's minimum date
    ({'SentDateTime': None}, None),
])
def test_sent_date_time_is_iso_in_utc_or_null(emulator, fields, sent_date_time):
    emulator.add_faults({**sms_response(M1, **fields), 'count': 2})
    check, result = run_both(main, emulator, args_for(emulator, [M1]), reads=1)
    assert result == check and result['messages'][0]['sent_date_time'] == sent_date_time


def test_not_found_by_error_name_or_zero_message_id(emulator):
    emulator.add_faults({**sms_response(M1, SMSError='NotFound'), 'count': 2}, {**sms_response(M2, MessageID=ZERO), 'count': 2})
    check, result = run_both(main, emulator, args_for(emulator, [M1, M2]), reads=2)
    assert result == check and (result['messages'], result['not_found_message_ids']) == ([], [M1, M2])


def test_one_request_per_message_id_concurrency_at_a_time(messages, monkeypatch):
    barrier, lock, flight = threading.Barrier(2, timeout=30), threading.Lock(), {'now': 0, 'most': 0}
    read = EsendexClient.message_status

    def message_status(self, message_id):
        with lock:
            flight['now'] += 1
            flight['most'] = max(flight['most'], flight['now'])
        barrier.wait()  # two reads at the same time, or this fails
        try:
            return read(self, message_id)
        finally:
            with lock:
                flight['now'] -= 1
    monkeypatch.setattr(EsendexClient, 'message_status', message_status)
    check, result = run_both(main, messages, args_for(messages, [M1, M2, M3, M4], concurrency=2), reads=4)
    assert result['failed'] is False and len(result['messages']) == 4 and flight['most'] == 2


def test_an_unavailable_method_fails_saying_so(messages):
    messages.set_message_status_available(False)
    check, result = run_both(main, messages, args_for(messages, [M1, M2], concurrency=1))
    assert result == check and (result['failed'], result['changed'], result['messages']) == (True, False, [])
    assert result['msg'].startswith(f'The status of 2 MessageIDs could not be read ({M1}, {M2}): the service does not offer '
                                    'GetMessageStatus, or no longer does: GetMessageStatus at ')
    assert 'failed: HTTP 404: ' in result['msg'] and result['msg'].endswith('.')


def test_a_failed_read_fails_with_the_messages_read_so_far(messages, waits):
    messages.add_faults(failing('GetMessageStatus', status=503, message_id=M3))
    check, result = run_both(main, messages, args_for(messages, [M1, M2, M3, M4], retries=2), reads=6)
    assert result == check and (result['failed'], result['changed']) == (True, False)
    assert [message['message_id'] for message in result['messages']] == [M1, M2, M4] and waits == [0.5, 1.0] * 2
    assert result['msg'] == (f'The status of 1 MessageID could not be read ({M3}): GetMessageStatus at 127.0.0.1:{messages.port} failed '
                             'after 3 attempts: HTTP 503: Server Error.')


@pytest.mark.parametrize('given', [{'message_ids': None}, {'message_id': None}, {}])
def test_message_ids_are_required_and_not_null(emulator, given):
    result = run_both(main, emulator, {'license_key': KEY, 'api_url': emulator.messaging_url, **given}, invalid=True)[1]
    assert 'message_id' in result['msg'] and 'messages' not in result  # ansible-core 2.19+ refuses null itself, in its own words
