# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_cancel_messages run in-process against the emulator, every scenario with its check-mode twin."""

from __future__ import annotations

import json

import pytest

from ansible_collections.esendex.us.plugins.modules.esendex_cancel_messages import main
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import (
    JSON,
    KEY,
    M1,
    M2,
    M3,
    M4,
    M5,
    M6,
    OTHER_KEY,
    answer,
    json_bool,
    method,
    run_both,
    run_module,
    run_twins,
)

CHECK_MODE_ALL = ('Check mode: no request was sent. cancel_all: true would cancel every scheduled message of the account; the Messaging '
                  'API has no listing of scheduled messages, so which ones cannot be predicted; changed is true.')
EMPTY = 'message_ids is empty: no request was sent. An empty list never means "all messages".'
UNOFFERED = 'the service does not offer GetMessageStatus, or no longer does: GetMessageStatus at '


@pytest.fixture
def messages(emulator):
    """KEY: M1, M2 scheduled, M3 sent, M4 queued; OTHER_KEY: M5 scheduled. M6 is unknown."""
    emulator.add_account(KEY, messages=[{'id': M1}, {'id': M2}, {'id': M3, 'status': 'sent'}, {'id': M4, 'status': 'queued'}])
    emulator.add_account(OTHER_KEY, messages=[{'id': M5}])
    return emulator


def args_for(emulator, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.messaging_url, **options}


def status_of(emulator) -> dict:
    return {message['id']: message['status'] for message in emulator.items('messages')}


def posted(emulator, start: int = 0) -> list:
    """(method, MessageID) of each request from `start`: the bare JSON string of the ID, asking for JSON."""
    said = []
    for entry in emulator.requests()[start:]:
        assert (entry['headers']['Content-Type'], entry['headers']['Accept']) == ('application/json', 'application/json')
        said.append((method(entry), json.loads(entry['body'])))
    return said


def bulk(answered: dict, **extra) -> dict:
    return {'cancelled_by_message_id': answered, 'errors_by_message_id': {}, 'not_attempted_message_ids': [], **extra}


# ---------------------------------------------------------------- cancel_all, and what never means "all"

@pytest.mark.parametrize('given', [{'cancel_all': True}, {'cancel_all': True, 'message_ids': None}, {'cancel_all': 'yes', 'message_id': None}])
def test_cancel_all_cancels_every_scheduled_message_of_the_account_once(messages, given):
    before = status_of(messages)
    check = {'changed': True, 'failed': False, 'msg': CHECK_MODE_ALL}
    assert run_twins(main, messages, args_for(messages, **given), check=check) == {'changed': True, 'cancelled': True, 'failed': False, 'warnings': []}
    assert status_of(messages) == {**before, M1: 'cancelled', M2: 'cancelled'}  # not sent, queued, or another account's
    assert run_twins(main, messages, args_for(messages, **given), check=check) == {'changed': False, 'cancelled': False, 'failed': False, 'warnings': []}
    assert [(method(entry), entry['body']) for entry in messages.requests()] == [('CancelAllMessages', f'"{KEY}"')] * 2


@pytest.mark.parametrize('given', [{}, {'message_ids': None}, {'cancel_all': False}, {'message_ids': None, 'cancel_all': False},
                                   {'message_id': None, 'cancel_all': 'no'}])
def test_no_message_ids_without_cancel_all_fails_naming_both(messages, given):
    result = run_twins(main, messages, args_for(messages, **given), invalid=True)
    assert 'message_ids' in result['msg'] and 'cancel_all: true' in result['msg'] and 'never means "all"' in result['msg']


@pytest.mark.parametrize('message_ids', [[], [M1], M1])
def test_cancel_all_with_message_ids_fails(messages, message_ids):
    result = run_twins(main, messages, args_for(messages, cancel_all=True, message_ids=message_ids), invalid=True)
    assert result['msg'].startswith('cancel_all: true cancels every scheduled message of the account, so message_ids must be left out')


@pytest.mark.parametrize('given', [{}, {'cancel_all': False}])
def test_an_empty_list_sends_nothing_and_never_means_all(messages, given):
    result = run_twins(main, messages, args_for(messages, message_ids=[], **given), check={'changed': False, 'failed': False, 'msg': EMPTY})
    assert result == {'changed': False, 'failed': False, 'warnings': [], 'msg': EMPTY, 'cancelled_count': 0, 'not_found_message_ids': [], **bulk({})}
    assert messages.requests() == []


# ---------------------------------------------------------------- by MessageID: predict, then cancel exactly those

IDS = [M1, M3.upper(), M4, M5, M6, f' {M2}\n', M1.upper()]  # M5: another account's (CancelMessage takes no key); M6: unknown
BEFORE = f'{M1}: Scheduled\n{M3.upper()}: Sent\n{M4}: Queued\n{M5}: Scheduled\n{M6}: (not found)\n{M2}: Scheduled\n'
AFTER = BEFORE.replace(f'{M1}: Scheduled', f'{M1}: Cancelled').replace(f'{M5}: Scheduled', f'{M5}: Cancelled').replace(f'{M2}: Scheduled', f'{M2}: Cancelled')
SUMMARY = '3 Scheduled → Cancelled, 1 Sent, 1 Queued, 1 not found'


@pytest.mark.parametrize('diff', [False, True])
@pytest.mark.parametrize('concurrency', [1, 4])
def test_check_mode_predicts_exactly_what_the_real_run_cancels(messages, concurrency, diff):
    before = status_of(messages)
    msg = (f'Check mode: no cancellation was sent. GetMessageStatus says: {SUMMARY}. A real run would cancel 3 of 6 (not sent, queued or '
           'cancelled, and no error: INFERRED).')
    check = {'changed': True, 'failed': False, 'msg': msg, 'would_cancel_message_ids': [M1, M5, M2], 'not_found_message_ids': [M6],
             **({'diff': {'before': BEFORE, 'after': AFTER}} if diff else {})}
    result = run_twins(main, messages, args_for(messages, message_ids=IDS, concurrency=concurrency), diff=diff, check=check, reads=6)
    answered = {M1: True, M3.upper(): False, M4: False, M5: True, M6: False, M2: True}
    assert result == {'changed': True, 'failed': False, 'warnings': result['warnings'], 'cancelled_count': 3, 'not_found_message_ids': [M6],
                      **bulk(answered), **({'diff': {'before': BEFORE, 'after': AFTER}, 'msg': f'MessageIDs before and after: {SUMMARY}.'} if diff else {})}
    assert list(result['cancelled_by_message_id']) == list(answered)  # input order, as given, without white space or repeats
    assert status_of(messages) == {**before, M1: 'cancelled', M2: 'cancelled', M5: 'cancelled'}
    # with --diff the real run reads first; it cancels each ID once, then reads those answered false once more
    said = posted(messages, 6)
    assert sorted(said) == sorted([('GetMessageStatus', mid) for mid in answered] * diff + [('CancelMessage', mid) for mid in answered]
                                  + [('GetMessageStatus', mid) for mid in (M3.upper(), M4, M6)])
    assert [name for name, unused in said][6 * diff:6 * diff + 6] == ['CancelMessage'] * 6
    check, again = run_both(main, messages, args_for(messages, message_ids=IDS), reads=6)
    assert (check['changed'], check['would_cancel_message_ids'], again['changed'], again['cancelled_count']) == (False, [], False, 0)


def test_a_message_sent_after_check_mode_is_not_cancelled(messages):
    assert run_module(main, args_for(messages, message_ids=[M1, M2]), check_mode=True)['would_cancel_message_ids'] == [M1, M2]
    messages.set_message_status([M1], 'sent')
    result = run_module(main, args_for(messages, message_ids=[M1, M2]), diff=True)
    assert (result['cancelled_by_message_id'], result['not_found_message_ids'], status_of(messages)[M1]) == ({M1: False, M2: True}, [], 'sent')
    assert result['diff']['after'] == f'{M1}: Sent\n{M2}: Cancelled\n'


@pytest.mark.parametrize('fault', [
    None,  # the emulator's switch: 404 "Endpoint not found", as once the deprecated method is removed
    answer('GetMessageStatus', 'Bad Request', status=400, count=None),
    answer('GetMessageStatus', 'Method Not Allowed', status=405, count=None),
    answer('GetMessageStatus', 'true', content_type=JSON, count=None),  # an answer, but not an SMSResponse
])
@pytest.mark.parametrize('diff', [False, True])
def test_without_get_message_status_check_mode_says_it_cannot_predict(messages, fault, diff):
    if fault is None:
        messages.set_message_status_available(False)
    else:
        messages.add_faults(fault)
    check, result = run_both(main, messages, args_for(messages, message_ids=[M1, M6, M3]), diff=diff)
    [warning] = check['warnings']
    assert warning.startswith(f'Check mode cannot predict which messages would be cancelled: {UNOFFERED}') and warning.endswith('.')
    assert (check['failed'], check['changed'], sorted(check)) == (False, True, ['changed', 'failed', 'msg', 'warnings'])
    assert check['msg'].startswith(f'Check mode: no cancellation was sent, and what would be cancelled cannot be predicted: {UNOFFERED}')
    assert check['msg'].endswith('. changed is true because each of the 3 MessageIDs would be cancelled if it is still scheduled.')
    # the real run cancels all the same; the IDs answered false cannot be read again, so not_found_message_ids is left out
    assert (result['failed'], result['cancelled_by_message_id'], 'not_found_message_ids' in result) == (False, {M1: True, M6: False, M3: False}, False)
    assert result['warnings'][-1].startswith('The status of 2 MessageIDs could not be read') and status_of(messages)[M1] == 'cancelled'
    assert UNOFFERED in result['warnings'][-1] and result['warnings'][-1].endswith('. not_found_message_ids is left out of the result.')
    assert len(result['warnings']) == 1 + diff and 'diff' not in check and (result['diff']['before'] if diff else '').count('unknown') == 3 * diff


def test_statuses_the_service_sends_otherwise(emulator):
    ids = ['a1c9a2e0-3b7d-4e58-a0c4-9d2e7b1f5a38', 'b2c9a2e0-3b7d-4e58-a0c4-9d2e7b1f5a38', 'c3c9a2e0-3b7d-4e58-a0c4-9d2e7b1f5a38']
    emulator.add_faults(*[answer('GetMessageStatus', json.dumps(doc), content_type=JSON, count=1, message_id=mid) for mid, doc in zip(ids, [
        {'Cancelled': False, 'MessageID': ids[0].upper(), 'Queued': False, 'Sent': False, 'SMSError': 'NoError', 'SentDateTime': None},
        {'Cancelled': False, 'MessageID': ids[1], 'Queued': False, 'Sent': False, 'SMSError': 'InternalError'},
        {'Cancelled': False, 'MessageID': '00000000-0000-0000-0000-000000000000', 'Queued': False, 'Sent': False, 'SMSError': 0},
    ])])
    check = run_module(main, args_for(emulator, message_ids=ids), check_mode=True, diff=True)
    assert (check['would_cancel_message_ids'], check['not_found_message_ids']) == (ids[:1], ids[2:])  # an error is not cancellable
    assert check['diff']['before'] == f'{ids[0]}: Scheduled\n{ids[1]}: InternalError\n{ids[2]}: (not found)\n'


@pytest.mark.parametrize('fault', [answer('GetMessageStatus', 'Server Error', status=500, count=None),
                                   answer('GetMessageStatus', 'Busy', status=503, count=None), {'type': 'drop', 'count': None}])
def test_any_other_failed_read_fails_check_mode_and_cancels_nothing(messages, fault, waits):
    messages.add_faults(fault if 'match' in fault else {**fault, 'match': {'operation': 'GetMessageStatus', 'message_id': M6}})
    check, result = run_both(main, messages, args_for(messages, message_ids=[M1, M6], retries=1))
    assert check['failed'] is True and 'changed' not in check and check['msg'].endswith('Check mode predicts from it; nothing was cancelled.')
    assert UNOFFERED not in check['msg'] and result['cancelled_by_message_id'] == {M1: True, M6: False} and 'not_found_message_ids' not in result


def test_duplicates_are_sent_once_as_given(emulator):
    emulator.add_faults(json_bool(True), json_bool(False), json_bool(True))
    result = run_module(main, args_for(emulator, message_ids=[M1, M2.upper(), f' {M3}\n', M1.upper(), M2], concurrency=1))
    assert posted(emulator)[:3] == [('CancelMessage', M1), ('CancelMessage', M2.upper()), ('CancelMessage', M3)]
    assert [entry['body'] for entry in emulator.requests()[:3]] == [f'"{M1}"', f'"{M2.upper()}"', f'"{M3}"']
    assert result['cancelled_by_message_id'] == {M1: True, M2.upper(): False, M3: True}


@pytest.mark.parametrize('body, text', [
    ('"true"', 'expected the JSON literal true or false'),
    ('<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">true</boolean>', 'expected the JSON literal true or false'),
])
def test_anything_but_a_json_boolean_from_cancel_message_is_that_ids_error(messages, body, text):
    messages.add_faults(answer('CancelMessage', body, content_type=JSON, message_id=M1))
    result = run_twins(main, messages, args_for(messages, message_ids=[M1, M2], concurrency=1), reads=2)
    assert (result['failed'], result['changed'], result['cancelled_by_message_id']) == (True, True, {M2: True})
    assert text in result['errors_by_message_id'][M1] and status_of(messages)[M1] == 'scheduled'


def test_a_lost_answer_to_cancel_all_that_was_never_processed_still_warns(messages, waits):
    messages.add_faults({'type': 'drop', 'process': False})
    result = run_twins(main, messages, args_for(messages, cancel_all=True, retries=1))
    assert (result['failed'], result['changed'], result['cancelled']) == (False, True, True) and waits == [0.5]
    assert result['warnings'][0].startswith('CancelAllMessages: an earlier attempt may have reached the service without a complete answer')
