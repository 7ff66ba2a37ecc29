# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_cancel_calls run in-process against the emulator, every scenario with its check-mode twin."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from ansible_collections.esendex.us.plugins.modules.esendex_cancel_calls import main
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import (
    KEY,
    OTHER_KEY,
    answer,
    method,
    run_both,
    run_module,
    run_twins,
    statuses,
    xml_bool,
)

CANNOT_PREDICT = ('Check mode: no request was sent. No Esendex method lists the calls of a reference ID, so what would be cancelled '
                  'cannot be predicted; changed is true because a cancellation would be attempted.')
EMPTY = 'Nothing to cancel: the lists given are empty, so no request was sent.'


@pytest.fixture
def calls(emulator):
    """KEY: 1001, 1002 scheduled, 1003 in progress, 1004 completed, 1005 cancelled, 1006-1007 'window-17', 1008-1010 'spring'
    (and 1011 'spring' in progress); OTHER_KEY: 2001 'window-17' scheduled."""
    emulator.add_account(KEY, calls=[{'queue_id': 1001}, {'queue_id': 1002}, {'queue_id': 1003, 'status': 'in_progress'},
                                     {'queue_id': 1004, 'status': 'completed'}, {'queue_id': 1005, 'status': 'cancelled'}]
                         + [{'queue_id': qid, 'reference_id': 'window-17'} for qid in (1006, 1007)]
                         + [{'queue_id': qid, 'reference_id': 'spring'} for qid in (1008, 1009, 1010)]
                         + [{'queue_id': 1011, 'reference_id': 'spring', 'status': 'in_progress'}])
    emulator.add_account(OTHER_KEY, calls=[{'queue_id': 2001, 'reference_id': 'window-17'}])
    return emulator


def args_for(emulator, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.voice_url, **options}


def status_of(emulator) -> dict:
    return {call['queue_id']: call['status'] for call in emulator.items('calls')}


def forms(emulator, start: int = 0, key: str = KEY) -> list:
    """(method, form) of each request from `start`: form POSTs with the key in the body only."""
    said = []
    for entry in emulator.requests()[start:]:
        form = parse_qs(entry['body'], keep_blank_values=True, strict_parsing=True)
        assert form.pop('LicenseKey') == [key] and entry['headers']['Content-Type'] == 'application/x-www-form-urlencoded'
        said.append((method(entry), {name: values[0] for name, values in form.items()}))
    return said


def bulk(name: str, answered: dict, **extra) -> dict:
    """A successful result for one list."""
    return {f'cancelled_by_{name}': answered, f'errors_by_{name}': {}, f'not_attempted_{name}s': [], **extra}


@pytest.mark.parametrize('concurrency', [1, 4, 16])
def test_reference_ids_cancel_their_scheduled_calls_then_a_rerun_changes_nothing(calls, concurrency):
    args = args_for(calls, reference_ids=['spring', 'window-17', 'no-such'], concurrency=concurrency)
    first = run_twins(main, calls, args, check={'changed': True, 'failed': False, 'msg': CANNOT_PREDICT})
    assert first == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 5,
                     **bulk('reference_id', {'spring': 3, 'window-17': 2, 'no-such': 0})}
    assert list(first['cancelled_by_reference_id']) == ['spring', 'window-17', 'no-such']  # input order, whatever the concurrency
    assert status_of(calls)[2001] == 'scheduled' and status_of(calls)[1011] == 'in_progress'
    again = run_twins(main, calls, args, check={'changed': True, 'failed': False, 'msg': CANNOT_PREDICT})
    assert (again['changed'], again['cancelled_by_reference_id']) == (False, {'spring': 0, 'window-17': 0, 'no-such': 0})
    assert {method(entry) for entry in calls.requests()} == {'CancelNotifyByReferenceID'}


@pytest.mark.parametrize('given, sent', [
    ({'reference_id': 'spring'}, ['spring']),
    ({'reference_ids': 'window-17, spring'}, ['window-17', 'spring']),
    ({'reference_ids': [' spring', 'spring ', '\tspring\n', 'window-17']}, ['spring', 'window-17']),
    ({'reference_ids': [2026, '2026', ' 2026 ', 17.5]}, ['2026', '17.5']),
])
def test_reference_ids_are_stripped_and_sent_once(calls, given, sent):
    run_twins(main, calls, args_for(calls, concurrency=1, **given))
    assert forms(calls) == [('CancelNotifyByReferenceID', {'ReferenceID': rid}) for rid in sent]


@pytest.mark.parametrize('reference_ids, where', [
    (['spring', '   '], 'reference_ids item 2 is empty'), (['a', None], 'reference_ids item 2 is null'),
    (['bad\x1b[0mid'], 'reference_ids item 1 contains a control character'), ([True], 'reference_ids item 1 is a bool'),
    ([['a']], 'reference_ids item 1 is a list'), (['a', {'b': 1}], 'reference_ids item 2 is a dict'),
])
def test_invalid_reference_ids_fail_before_any_request_of_either_list(calls, reference_ids, where):
    result = run_twins(main, calls, args_for(calls, reference_ids=reference_ids, queue_ids=[1001]), invalid=True)
    assert result['msg'].startswith(where)


@pytest.mark.parametrize('given', [{}, {'reference_ids': None}, {'reference_ids': None, 'queue_ids': None}])
def test_neither_list_fails_before_any_request(calls, given):
    result = run_twins(main, calls, args_for(calls, **given), invalid=True)
    assert result['msg'] == 'Give reference_ids or queue_ids (or both): neither was given, or both are null.'


@pytest.mark.parametrize('given', [{'reference_ids': []}, {'queue_ids': []}, {'reference_ids': [], 'queue_ids': []},
                                   {'reference_ids': [], 'queue_ids': None}])
def test_empty_lists_send_nothing_and_change_nothing(calls, given):
    result = run_twins(main, calls, args_for(calls, **given), check={'changed': False, 'failed': False, 'msg': EMPTY})
    expected = {'changed': False, 'failed': False, 'warnings': [], 'msg': EMPTY, 'cancelled_count': 0}
    for name, ids in given.items():
        if ids is not None:
            expected.update(bulk(name[:-1], {}))
    assert result == dict(expected, **({'not_found_queue_ids': []} if given.get('queue_ids') == [] else {}))
    assert calls.requests() == []


def test_an_empty_reference_id_list_with_queue_ids_cancels_those(calls):
    result = run_twins(main, calls, args_for(calls, reference_ids=[], queue_ids=[1001]))
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 1, 'not_found_queue_ids': [],
                      **bulk('reference_id', {}), **bulk('queue_id', {'1001': True})}
    assert [name for name, form in forms(calls)] == ['GetMultipleQueueIdStatus', 'CancelNotify']  # the check-mode read, then one cancel


QUEUE_IDS = [1005, 1001, 1003, 2001, 1004, 9999, 1002, '1001', ' 1002 ']
BEFORE = '1005: Cancelled\n1001: Queued\n1003: Dialing\n2001: (not found)\n1004: Call Answered\n9999: (not found)\n1002: Queued\n'
AFTER = BEFORE.replace('1001: Queued', '1001: Cancelled').replace('1002: Queued', '1002: Cancelled')
SUMMARY = '1 Cancelled, 2 Queued → Cancelled, 1 Dialing, 2 not found, 1 Call Answered'


@pytest.mark.parametrize('diff', [False, True])
@pytest.mark.parametrize('concurrency', [1, 4])
def test_check_mode_predicts_exactly_what_the_real_run_cancels(calls, concurrency, diff):
    before = status_of(calls)
    msg = (f"Check mode: no cancellation was sent. GetMultipleQueueIdStatus says: {SUMMARY}. A real run would cancel 2 of 7 (Queued "
           "and not complete: INFERRED from the vendor's response codes).")
    check = {'changed': True, 'failed': False, 'msg': msg, 'would_cancel_queue_ids': [1001, 1002], 'not_found_queue_ids': [2001, 9999],
             **({'diff': {'before': BEFORE, 'after': AFTER}} if diff else {})}
    result = run_twins(main, calls, args_for(calls, queue_ids=QUEUE_IDS, concurrency=concurrency), diff=diff, check=check, reads=1)
    answered = {'1005': False, '1001': True, '1003': False, '2001': False, '1004': False, '9999': False, '1002': True}
    assert result == {'changed': True, 'failed': False, 'warnings': result['warnings'], 'cancelled_count': 2, **bulk('queue_id', answered),
                      'not_found_queue_ids': [2001, 9999],
                      **({'diff': {'before': BEFORE, 'after': AFTER}, 'msg': f'QueueIDs before and after: {SUMMARY}.'} if diff else {})}
    assert list(result['cancelled_by_queue_id']) == list(answered)  # input order
    assert status_of(calls) == {**before, 1001: 'cancelled', 1002: 'cancelled'}  # another account's 2001 untouched
    # with --diff the real run reads the statuses first; it then cancels, and reads the IDs answered false once more
    assert [name for name, form in forms(calls, 1)] == ['GetMultipleQueueIdStatus'] * diff + ['CancelNotify'] * 7 + ['GetMultipleQueueIdStatus']
    assert forms(calls)[-1][1] == {'QueueIDs': '1005;1003;2001;1004;9999'}
    rerun = BEFORE.replace('1001: Queued', '1001: Cancelled').replace('1002: Queued', '1002: Cancelled')
    check, again = run_both(main, calls, args_for(calls, queue_ids=QUEUE_IDS), diff=True, reads=1)
    assert (check['changed'], check['would_cancel_queue_ids'], again['changed'], again['diff']) == (False, [], False, {'before': rerun, 'after': rerun})


def test_a_call_that_starts_after_check_mode_is_not_cancelled(calls):
    assert run_module(main, args_for(calls, queue_ids=[1001, 1002]), check_mode=True)['would_cancel_queue_ids'] == [1001, 1002]
    calls.set_call_status([1001], 'in_progress')  # it started dialling meanwhile
    result = run_module(main, args_for(calls, queue_ids=[1001, 1002]), diff=True)
    assert (result['cancelled_by_queue_id'], result['changed'], status_of(calls)[1001]) == ({'1001': False, '1002': True}, True, 'in_progress')
    assert result['diff']['after'] == '1001: Dialing\n1002: Cancelled\n'  # after shows only what was cancelled


def test_both_lists_in_one_task(calls):
    msg = ("Check mode: no cancellation was sent. GetMultipleQueueIdStatus says: 1 Queued → Cancelled, 1 Call Answered. A real run would "
           "cancel 1 of 2 (Queued and not complete: INFERRED from the vendor's response codes). Calls by reference ID cannot be previewed, "
           'so changed is true because a cancellation would be attempted.')
    check = {'changed': True, 'failed': False, 'msg': msg, 'would_cancel_queue_ids': [1006], 'not_found_queue_ids': []}
    result = run_twins(main, calls, args_for(calls, queue_ids=[1006, 1004], reference_ids=['window-17'], concurrency=1), check=check, reads=1)
    # window-17 cancels 1006 and 1007 first; CancelNotify then finds 1006 no longer scheduled
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2, 'not_found_queue_ids': [],
                      **bulk('reference_id', {'window-17': 2}), **bulk('queue_id', {'1006': False, '1004': False})}


def test_a_wrong_but_well_formed_key_makes_every_queue_id_not_found(calls):
    calls.add_account(KEY, calls=[{'queue_id': qid} for qid in range(1, 251)])
    args = args_for(calls, license_key='0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b', queue_ids=list(range(1, 251)), concurrency=16)
    check, result = run_both(main, calls, args, reads=3)
    warning = ("The service does not know 250 of the QueueIDs given (1, 2, 3 and 247 more). Likely causes: a wrong license key, another "
               "account's calls, or a mistyped ID.")
    assert (check['changed'], check['would_cancel_queue_ids'], check['not_found_queue_ids'], check['warnings']) == (False, [], [*range(1, 251)], [warning])
    assert (result['changed'], result['cancelled_count'], result['not_found_queue_ids'], result['warnings']) == (False, 0, [*range(1, 251)], [warning])
    # one status read per 100 of the IDs answered false (batches in input order, read at the same time)
    reads = [form['QueueIDs'] for name, form in forms(calls, key=args['license_key']) if name == 'GetMultipleQueueIdStatus']
    assert sorted(reads) == sorted([';'.join(map(str, range(start, min(start + 100, 251)))) for start in (1, 101, 201)] * 2)


def test_300_ids_summarise_in_one_line(emulator):
    emulator.add_account(KEY, calls=[{'queue_id': qid, 'status': 'in_progress' if qid in (7, 8) else 'scheduled'} for qid in range(1, 300)])
    ids = [*range(1, 300), 5000]
    check, result = run_both(main, emulator, args_for(emulator, queue_ids=ids, concurrency=16), diff=True, reads=3)
    assert 'GetMultipleQueueIdStatus says: 297 Queued → Cancelled, 2 Dialing, 1 not found. A real run would cancel 297 of 300 ' in check['msg']
    assert result['msg'] == 'QueueIDs before and after: 297 Queued → Cancelled, 2 Dialing, 1 not found.' and result['cancelled_count'] == 297
    assert len(result['diff']['before'].splitlines()) == 300 and result['not_found_queue_ids'] == [5000]


def test_a_status_read_that_fails_after_cancelling_leaves_not_found_out_with_a_warning(calls):
    calls.add_faults({'type': 'delay', 'seconds': 0, 'match': {'operation': 'GetMultipleQueueIdStatus'}},  # the check-mode read
                     answer('GetMultipleQueueIdStatus', 'Server Error', status=500, content_type='text/plain'))
    result = run_twins(main, calls, args_for(calls, queue_ids=[1001, 9999], retries=0), reads=1)
    assert (result['failed'], result['changed'], result['cancelled_by_queue_id'], 'not_found_queue_ids' in result) == (
        False, True, {'1001': True, '9999': False}, False)
    assert result['warnings'] == [f'The status of 1 QueueID could not be read (9999): GetMultipleQueueIdStatus at 127.0.0.1:{calls.port} '
                                  'failed: HTTP 500: Server Error. not_found_queue_ids is left out of the result.']


@pytest.mark.parametrize('body, text', [
    ('<boolean xmlns="https://ws.esendex.us/NotifyWS/">True</boolean>', 'expected <boolean>true</boolean> or <boolean>false</boolean>'),
    ('<int xmlns="https://ws.esendex.us/NotifyWS/">1</int>', 'expected <boolean>true</boolean> or <boolean>false</boolean>'),
    ('<boolean>true', 'the answer is not well-formed XML'),
])
def test_anything_but_a_boolean_from_cancel_notify_is_that_ids_error(emulator, body, text):
    emulator.add_faults(statuses({1: 0, 2: 0}), answer('CancelNotify', body, queue_id=1), xml_bool(True))
    result = run_twins(main, emulator, args_for(emulator, queue_ids=[1, 2], concurrency=1), reads=1)
    assert (result['failed'], result['changed'], result['cancelled_by_queue_id']) == (True, True, {'2': True})
    assert text in result['errors_by_queue_id']['1'] and 'could not be understood' in result['msg']


def test_a_status_without_response_text_is_named_by_its_code(emulator):
    body = {8: {'ResponseCode': 0, 'CallComplete': 'false'}, 9: {'ResponseCode': 12, 'ResponseText': ' ', 'CallComplete': 'false'}}
    emulator.add_faults(statuses(body, count=2), xml_bool(True), xml_bool(False), statuses({9: 12}))
    diff = {'before': '8: ResponseCode 0\n9: ResponseCode 12\n', 'after': '8: Cancelled\n9: ResponseCode 12\n'}
    result = run_twins(main, emulator, args_for(emulator, queue_ids=[8, 9], concurrency=1), diff=True, reads=1)
    assert result['diff'] == diff and result['msg'] == 'QueueIDs before and after: 1 ResponseCode 0 → Cancelled, 1 ResponseCode 12.'


def test_a_huge_reference_id_gives_a_short_message(calls):
    calls.add_faults({'type': 'respond', 'status': 500, 'body_template': 'No calls for {reference_id}', 'count': 2})
    result = run_twins(main, calls, args_for(calls, reference_ids=['r' * 10000]))
    assert result['failed'] is True and len(result['msg']) < 600 and f"reference ID '{'r' * 57}...'" in result['msg']
