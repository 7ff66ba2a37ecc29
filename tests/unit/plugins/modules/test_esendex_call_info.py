# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_call_info run in-process against the emulator: check mode and the real run read alike, and change nothing."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import pytest
import yaml

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexClient
from ansible_collections.esendex.us.plugins.modules import esendex_call_info, esendex_cancel_calls
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import KEY, OTHER_KEY, failing, method, run_both, run_module, statuses

main = esendex_call_info.main
NOT_STARTED = {'call_answered': False, 'machine_detection': None, 'duration': 0, 'start_time': '0001-01-01T00:00:00',
               'end_time': '0001-01-01T00:00:00', 'digits_pressed': None, 'try_count': 0, 'minute_rate': 0.0}
CALLS = {
    1001: {'response_code': 0, 'response_text': 'Queued', 'call_complete': False, **NOT_STARTED, 'cancellable': True},
    1002: {'response_code': 1, 'response_text': 'Call Answered', 'call_complete': True, 'call_answered': True, 'machine_detection': 'MACHINE',
           'duration': 30, 'start_time': '2026-12-07T09:00:00', 'end_time': '2026-12-07T09:00:30.5', 'digits_pressed': '12', 'try_count': 2,
           'minute_rate': 0.125, 'cancellable': False},
    1003: {'response_code': 1, 'response_text': 'Call Answered', 'call_complete': True, 'call_answered': True, 'machine_detection': 'HUMAN',
           'duration': 42, 'start_time': '2026-12-07T10:15:03.57', 'end_time': '2026-12-07T10:15:45.57', 'digits_pressed': None, 'try_count': 1,
           'minute_rate': 0.09, 'cancellable': False},
    1004: {'response_code': 12, 'response_text': 'Dialing', 'call_complete': False, **NOT_STARTED, 'try_count': 1, 'cancellable': False},
    1005: {'response_code': 22, 'response_text': 'Cancelled', 'call_complete': True, **NOT_STARTED, 'cancellable': False},
}


@pytest.fixture
def calls(emulator):
    """KEY: 1001 scheduled, 1002 completed with its details, 1003 completed (the emulator's details), 1004 in progress, 1005 cancelled;
    OTHER_KEY: 2001."""
    emulator.add_account(KEY, calls=[{'queue_id': qid} for qid in CALLS])
    emulator.add_account(OTHER_KEY, calls=[{'queue_id': 2001}])
    emulator.set_call_status([1002], 'completed', duration=30, machine_detection='MACHINE', digits_pressed='12', try_count=2,
                             minute_rate='0.1250', start_time='2026-12-07T09:00:00', end_time='2026-12-07T09:00:30.5')
    emulator.set_call_status([1003], 'completed')
    emulator.set_call_status([1004], 'in_progress')
    emulator.set_call_status([1005], 'cancelled')
    return emulator


def args_for(emulator, queue_ids, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.voice_url, 'queue_ids': queue_ids, **options}


def test_every_documented_key_in_input_order_and_the_same_in_check_mode(calls):
    ids = [1003, 1001, 9999, 1005, 2001, 1002, 1004, '1001']
    check, result = run_both(main, calls, args_for(calls, ids), reads=1)
    expected = [{'queue_id': qid, **CALLS[qid]} for qid in (1003, 1001, 1005, 1002, 1004)]
    assert result == check == {'changed': False, 'failed': False, 'calls': expected, 'not_found_queue_ids': [9999, 2001], 'warnings': check['warnings']}
    documented = yaml.safe_load(esendex_call_info.RETURN)['calls']['contains']
    assert all(list(call) == list(documented) for call in result['calls'])  # every documented key, and only those, in that order
    assert [method(entry) for entry in calls.requests()] == ['GetMultipleQueueIdStatus'] * 2
    # cancellable is what esendex_cancel_calls' check mode predicts for the same IDs
    predicted = run_module(esendex_cancel_calls.main, args_for(calls, ids), check_mode=True)
    assert predicted['would_cancel_queue_ids'] == [call['queue_id'] for call in result['calls'] if call['cancellable']] == [1001]


def test_a_field_the_answer_lacks_is_null(emulator):
    emulator.add_faults(statuses({7: {'ResponseCode': 0, 'CallComplete': 'false'}, 8: {'ResponseCode': 46, 'Duration': '', 'CallComplete': 'false'}},
                                 count=2))
    check, result = run_both(main, emulator, args_for(emulator, [8, 7]), reads=1)
    nothing = dict.fromkeys(('response_text', 'call_answered', 'machine_detection', 'duration', 'start_time', 'end_time', 'digits_pressed',
                             'try_count', 'minute_rate'))
    assert result['calls'] == check['calls'] == [{'queue_id': 8, 'response_code': 46, 'call_complete': False, **nothing, 'cancellable': False},
                                                 {'queue_id': 7, 'response_code': 0, 'call_complete': False, **nothing, 'cancellable': True}]


def test_250_ids_are_read_100_a_request_concurrency_at_a_time(emulator, monkeypatch):
    emulator.add_account(KEY, calls=[{'queue_id': qid} for qid in range(1, 251)])
    ids = list(range(250, 0, -1))
    barrier, lock, flight = threading.Barrier(3, timeout=30), threading.Lock(), {'now': 0, 'most': 0}
    read = EsendexClient.call_statuses

    def call_statuses(self, batch):
        with lock:
            flight['now'] += 1
            flight['most'] = max(flight['most'], flight['now'])
        barrier.wait()  # the three batches are read at the same time, or this fails
        try:
            return read(self, batch)
        finally:
            with lock:
                flight['now'] -= 1
    monkeypatch.setattr(EsendexClient, 'call_statuses', call_statuses)
    check, result = run_both(main, emulator, args_for(emulator, ids, concurrency=3), reads=3)
    assert result['failed'] is False and [call['queue_id'] for call in result['calls']] == ids and flight['most'] == 3
    batches = sorted(parse_qs(entry['body'])['QueueIDs'][0] for entry in emulator.requests())
    assert batches == sorted([';'.join(map(str, ids[start:start + 100])) for start in (0, 100, 200)] * 2)


def test_a_failed_read_fails_with_the_calls_read_so_far(emulator):
    emulator.add_account(KEY, calls=[{'queue_id': qid} for qid in range(1, 251)])
    emulator.add_faults(failing('GetMultipleQueueIdStatus', queue_id=150))
    check, result = run_both(main, emulator, args_for(emulator, list(range(1, 251)), concurrency=1, retries=0), reads=3)
    assert result == check and (result['failed'], result['changed']) == (True, False)
    assert [call['queue_id'] for call in result['calls']] == [*range(1, 101), *range(201, 251)]  # the third batch is still read
    assert result['msg'] == (f'The status of 100 QueueIDs could not be read (101, 102, 103 and 97 more): GetMultipleQueueIdStatus at '
                             f'127.0.0.1:{emulator.port} failed: HTTP 500: Server Error.')


@pytest.mark.parametrize('given', [{'queue_ids': None}, {'queue_id': None}, {}])
def test_queue_ids_are_required_and_not_null(emulator, given):
    result = run_both(main, emulator, {'license_key': KEY, 'api_url': emulator.voice_url, **given}, invalid=True)[1]
    assert 'queue_id' in result['msg'] and 'calls' not in result  # ansible-core 2.19+ refuses null itself, in its own words


def test_an_empty_list_reads_nothing(emulator):
    check, result = run_both(main, emulator, args_for(emulator, []), reads=0)
    assert result == check == {'changed': False, 'failed': False, 'calls': [], 'not_found_queue_ids': [], 'warnings': []}
    assert emulator.requests() == []
