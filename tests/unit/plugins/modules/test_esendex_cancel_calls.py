# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_cancel_calls run in-process against the emulator, every scenario with its check-mode twin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

import pytest
import requests

from ansible_collections.esendex.us.plugins.module_utils import _common
from ansible_collections.esendex.us.plugins.modules.esendex_cancel_calls import main
from ansible_collections.esendex.us.tests.unit.plugins.modules import utils
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import (
    COMMON_INVALID,
    KEY,
    answer,
    depth,
    run_both,
    run_module,
    run_twins,
    statuses,
    xml_bool,
    xml_int,
)

OTHER_KEY = 'd4c7a1e9-0f35-4b82-9e6d-2a8c5b1f7e03'
CAMPAIGNS = {'spring-sale-2026': 3, 'window-17': 1, 'window-18': 0, 'caf\u00e9 \u65e5\u672c': 2, 'window-19': 2}
IDS = list(CAMPAIGNS)


@pytest.fixture
def account(emulator):
    """Scheduled calls for each of CAMPAIGNS on KEY, one in progress each, and the same reference IDs on another account."""
    calls = [{'reference_id': rid, 'to': f'+1555010{n}'} for rid, count in CAMPAIGNS.items() for n in range(count)]
    emulator.add_account(KEY, calls=calls + [{'reference_id': rid, 'status': 'in_progress'} for rid in IDS])
    emulator.add_account(OTHER_KEY, calls=[{'reference_id': rid} for rid in IDS])
    return emulator


def args_for(emulator, reference_ids, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.voice_url, 'reference_ids': reference_ids, **options}


def scheduled(emulator, key: str = KEY) -> dict:
    """Reference ID -> how many of its calls are still scheduled."""
    calls = emulator.get_state()['accounts'][key]['calls']
    return {rid: sum(call['reference_id'] == rid and call['status'] == 'scheduled' for call in calls) for rid in IDS}


def posted_ids(emulator) -> list:
    """The ReferenceID of each request, in the order received; each carries exactly these two fields."""
    forms = [parse_qs(entry['body'], keep_blank_values=True) for entry in emulator.requests()]
    assert all(sorted(form) == ['LicenseKey', 'ReferenceID'] and form['LicenseKey'] == [KEY] for form in forms)
    return [form['ReferenceID'][0] for form in forms]


@pytest.mark.parametrize('concurrency', [1, 4, 16])
def test_cancel_then_rerun_changes_nothing(account, concurrency):
    args = args_for(account, IDS, concurrency=concurrency)
    first = run_twins(main, account, args)
    assert first == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 8, 'cancelled_by_reference_id': CAMPAIGNS}
    assert list(first['cancelled_by_reference_id']) == IDS  # in the order of reference_ids, whatever the concurrency
    assert scheduled(account) == dict.fromkeys(IDS, 0) and scheduled(account, OTHER_KEY) == dict.fromkeys(IDS, 1)
    assert run_twins(main, account, args) == {
        'changed': False, 'failed': False, 'warnings': [], 'cancelled_count': 0, 'cancelled_by_reference_id': dict.fromkeys(IDS, 0)}
    assert sorted(posted_ids(account)) == sorted(IDS * 2)
    assert {entry['path'] for entry in account.requests()} == {'/NotifyWS/PhoneNotify.asmx/CancelNotifyByReferenceID'}


@pytest.mark.parametrize('given, sent, by_id', [
    ({'reference_id': 'spring-sale-2026'}, ['spring-sale-2026'], {'spring-sale-2026': 3}),
    ({'reference_ids': 'window-17, window-18'}, ['window-17', 'window-18'], {'window-17': 1, 'window-18': 0}),
    ({'reference_ids': [' window-19', 'window-19 ', 'window-17', '\twindow-19\n', 'window-17']}, ['window-19', 'window-17'],
     {'window-19': 2, 'window-17': 1}),
    ({'reference_ids': ['no-such-campaign']}, ['no-such-campaign'], {'no-such-campaign': 0}),
    ({'reference_ids': [2026, '2026', ' 2026 ', 17.5]}, ['2026', '17.5'], {'2026': 0, '17.5': 0}),  # issue 9 item 8: numbers as strings
])
def test_alias_string_and_duplicates_sent_once(account, given, sent, by_id):
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.voice_url, 'concurrency': 1, **given})
    assert result['cancelled_by_reference_id'] == by_id and result['cancelled_count'] == sum(by_id.values())
    assert result['changed'] is (result['cancelled_count'] > 0) and posted_ids(account) == sent


@pytest.mark.parametrize('env', [
    {'ESENDEX_LICENSE_KEY': KEY, 'ESENDEX_VOICE_API_URL': '{url}', 'ESENDEX_MESSAGING_API_URL': 'http://127.0.0.1:9/x'},
    {'ESENDEX_LICENSE_KEY': KEY, 'ESENDEX_VOICE_API_URL': '{url}/'},
])
def test_environment_fallbacks(account, env):
    env = {name: value.replace('{url}', account.voice_url) for name, value in env.items()}
    result = run_twins(main, account, {'reference_id': 'window-19'}, env)
    assert (result['changed'], result['cancelled_count']) == (True, 2) and posted_ids(account) == ['window-19']


@pytest.mark.parametrize('override, option', COMMON_INVALID + [
    ({'reference_ids': []}, 'reference_ids'),
    ({'reference_ids': ''}, 'reference_ids'),
    ({'reference_ids': ['window-17', '   ']}, 'reference_ids item 2'),
    ({'reference_ids': ['window-17', 'window-18\x00']}, 'reference_ids item 2'),
    ({'reference_ids': ['bad\x1b[0mid']}, 'reference_ids item 1'),
    ({'reference_ids': ['window-17', 'a\nb']}, 'reference_ids item 2'),
    ({'reference_ids': None}, 'one of reference_ids and queue_ids is required'),
    ({'reference_ids': None, 'queue_ids': None}, 'one of reference_ids and queue_ids is required'),
    ({'reference_ids': [['a']]}, 'reference_ids item 1 is a list, not a string or a number'),  # issue 9 item 8
    ({'reference_ids': [True]}, 'reference_ids item 1 is a bool, not a string or a number'),
    ({'reference_ids': ['window-17', {'a': 1}]}, 'reference_ids item 2 is a dict, not a string or a number'),
    ({'reference_ids': ['window-17', None]}, 'reference_ids item 2 is a NoneType, not a string or a number'),
    ({'concurrency': 0}, 'concurrency'),
    ({'concurrency': 17}, 'concurrency'),
    ({'concurrency': -4}, 'concurrency'),
])
def test_invalid_options_fail_before_any_request(account, override, option):
    result = run_twins(main, account, {**args_for(account, IDS), **override}, invalid=True)
    assert option in result['msg'] and 'cancelled_count' not in result
    assert account.requests() == [] and scheduled(account) == CAMPAIGNS


@pytest.mark.parametrize('url, warned', [
    (lambda em: 'http://esendex-unit-test.invalid/NotifyWS/PhoneNotify.asmx', True),
    (lambda em: 'https://esendex-unit-test.invalid/NotifyWS/PhoneNotify.asmx', False),
    (lambda em: em.voice_url, False),
    (lambda em: em.voice_url.replace('127.0.0.1', 'localhost'), False),
])
def test_clear_text_warning_only_off_loopback(account, url, warned):
    result = run_twins(main, account, args_for(account, ['window-17'], api_url=url(account), retries=0))
    assert sum('clear text' in warning for warning in result['warnings']) == int(warned)
    assert result['failed'] is ('invalid' in url(account))


@pytest.mark.parametrize('ids, changed', [(IDS, True), (['window-18', 'no-such-1', 'window-17', 'window-19', 'spring-sale-2026'], False)])
def test_a_failure_on_the_third_id_reports_what_was_cancelled(account, ids, changed):
    account.add_faults({'type': 'delay', 'seconds': 0, 'count': 2}, {'type': 'respond', 'status': 500, 'body': 'Server Error'})
    result = run_twins(main, account, args_for(account, ids, concurrency=1))
    done = {rid: CAMPAIGNS.get(rid, 0) for rid in ids[:2]}
    assert (result['failed'], result['changed']) == (True, changed)
    assert (result['cancelled_by_reference_id'], result['cancelled_count']) == (done, sum(done.values()))
    assert repr(ids[2]) in result['msg'] and 'HTTP 500: Server Error' in result['msg'] and '2 not attempted' in result['msg']
    assert posted_ids(account) == ids[:3] and scheduled(account) == {rid: CAMPAIGNS[rid] - done.get(rid, 0) for rid in IDS}


@pytest.mark.parametrize('faults, options, text', [
    ([{'type': 'respond', 'status': 503, 'count': 9, 'headers': {'Retry-After': '0'}}], {'retries': 2}, 'failed after 3 attempts: HTTP 503'),
    ([{'type': 'respond', 'status': 500, 'body_template': 'Bad key {license_key} for {reference_id}', 'count': 9}], {},
     'HTTP 500: Bad key ******** for spring-sale-2026'),
    ([{'type': 'respond', 'status': 200, 'body': '<int>-1</int>', 'content_type': 'text/xml'}], {}, 'expected <int>N</int>'),
    ([{'type': 'drop', 'process': True, 'count': 9}], {'retries': 1}, 'may have reached the service and cancelled calls'),
    ([{'type': 'hang', 'seconds': 30, 'count': 9}], {'retries': 0, 'timeout': 0.3}, 'within 0.3 s'),
])
def test_service_failures_fail_cleanly(account, faults, options, text):
    account.add_faults(*faults)
    result = run_twins(main, account, args_for(account, ['spring-sale-2026'], **options))
    assert result['failed'] is True and text in result['msg']
    assert (result['cancelled_count'], result['cancelled_by_reference_id'], result['changed']) == (0, {}, False)


def test_a_lost_answer_that_cancelled_warns_naming_the_id(account):
    account.add_faults({'type': 'truncate'})
    result = run_twins(main, account, args_for(account, ['spring-sale-2026'], retries=1))
    assert (result['failed'], result['cancelled_count'], result['cancelled_by_reference_id']) == (False, 0, {'spring-sale-2026': 0})
    assert result['changed'] is True  # issue 9 item 2: the lost attempt cancelled the 3 calls the retry did not count
    assert len(result['warnings']) == 1 and "'spring-sale-2026'" in result['warnings'][0] and 'so changed is true' in result['warnings'][0]
    assert scheduled(account)['spring-sale-2026'] == 0


# ---------------------------------------------------------------- issue 9

@pytest.mark.parametrize('password', ['1', 'True', '0'])
def test_a_short_password_in_api_url_does_not_corrupt_the_count(emulator, password):
    # issue 9 item 1: password `1` reported 0 of 9 cancelled calls
    emulator.add_account(KEY, calls=[{'reference_id': 'nine'}] * 9 + [{'reference_id': '1'}])
    args = args_for(emulator, ['nine', '1'], api_url=emulator.voice_url.replace('http://', f'http://ops:{password}@', 1))
    result = run_twins(main, emulator, args)
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 10, 'cancelled_by_reference_id': {'nine': 9, '1': 1}}
    assert password in utils.MODULES[-1].no_log_values


def test_a_key_with_a_trailing_newline_is_stripped_and_masked(account):
    result = run_twins(main, account, args_for(account, ['window-17'], license_key=KEY + '\n'))
    assert (result['failed'], result['cancelled_count']) == (False, 1) and posted_ids(account) == ['window-17']  # sent stripped
    assert KEY in utils.MODULES[-1].no_log_values


@pytest.mark.parametrize('fault', [
    {'type': 'drop', 'process': True},
    {'type': 'truncate'},
    {'type': 'truncate', 'bytes': 0},
    {'type': 'hang', 'seconds': 30, 'process': True},
    {'type': 'respond', 'status': 502, 'body': 'Bad Gateway'},
    {'type': 'respond', 'status': 504, 'body': '<html><head><title>504</title></head><body>Gateway Timeout</body></html>',
     'content_type': 'text/html'},
])
def test_the_outcome_unknown_warning_nests_no_parentheses(account, fault, waits):
    # issue 9 items 2 and 8: changed after a lost answer; the warning held the same words three parentheses deep
    account.add_faults(fault)
    result = run_twins(main, account, args_for(account, ['spring-sale-2026'], retries=1, timeout=1))
    [warning] = result['warnings']
    assert warning.startswith("Reference ID 'spring-sale-2026': an earlier attempt may have reached the service without a "
                              'complete answer (attempt 1: ') and warning.endswith('so changed is true.')
    assert depth(warning) == 1, warning
    assert result['changed'] is True and waits == [0.5]


def test_a_huge_reference_id_gives_a_short_message(account):
    # issue 9 item 8: a failure quoting a 10,000-character reference ID was 10,176 characters long
    account.add_faults({'type': 'respond', 'status': 500, 'body_template': 'No calls for {reference_id}', 'count': 2})
    result = run_twins(main, account, args_for(account, ['r' * 10000]))
    assert result['failed'] is True and len(result['msg']) < 600
    assert result['msg'].startswith(f"cancelling reference ID '{'r' * 57}...' failed: ")


def test_a_cut_excerpt_keeps_its_dots(account):
    # issue 9 item 8: the calls module dropped the '...' of a cut excerpt
    account.add_faults({'type': 'respond', 'status': 500, 'body': 'E' * 500, 'count': 2})
    result = run_twins(main, account, args_for(account, ['window-17']))
    assert f"HTTP 500: {'E' * 197}... 0 of 1 reference IDs were answered (0 calls cancelled), 0 not attempted." in result['msg']


def test_an_input_error_fails_without_a_traceback(account):
    # issue 9 item 7: `timeout: 0` printed the module's stack at -vvv on 2.16; run_twins checks no exception was being
    # handled when fail_json was called, and that no `exception` key came back
    result = run_twins(main, account, args_for(account, ['window-17'], timeout=0), invalid=True)
    assert result == {'msg': 'timeout must be a number of seconds greater than 0, got 0.0.', 'failed': True, 'warnings': []}


# ---------------------------------------------------------------- 1.1.0: queue_ids (issue 11), on canned answers

MAX = 9223372036854775807
CANCEL_NOTIFY = '/NotifyWS/PhoneNotify.asmx/CancelNotify'
STATUS = '/NotifyWS/PhoneNotify.asmx/GetMultipleQueueIdStatus'


def queue_args(emulator, queue_ids, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.voice_url, 'queue_ids': queue_ids, **options}


def conversation(emulator, start: int = 0) -> list:
    """(method, decoded form) of each request from `start`: form POSTs with the key in the body only, never in the URL."""
    said = []
    for entry in emulator.requests()[start:]:
        headers = {name.lower(): value for name, value in entry['headers'].items()}
        assert entry['method'] == 'POST' and entry['query'] == '' and not utils.leaks(entry['path'], KEY)
        assert headers['content-type'] == 'application/x-www-form-urlencoded' and headers['accept'] == 'text/xml'
        form = parse_qs(entry['body'], keep_blank_values=True, strict_parsing=True)
        assert form.pop('LicenseKey') == [KEY] and all(len(values) == 1 for values in form.values())
        said.append((entry['path'].rsplit('/', 1)[-1], {name: values[0] for name, values in form.items()}))
    return said


def predicted(would: list, total: int, both: bool = False, **extra) -> dict:
    """The check-mode result that predicts `would` of `total` queue IDs."""
    msg = (f'Check mode: no cancellation was sent. GetMultipleQueueIdStatus says {len(would)} of {total} queue IDs are Queued and '
           "not complete, so a real run would cancel them (INFERRED from the vendor's response codes).")
    if both:
        msg += ' Calls by reference ID cannot be previewed, so changed is true because a cancellation would be attempted.'
    return {'changed': bool(would) or both, 'failed': False, 'msg': msg, 'would_cancel_queue_ids': would, **extra}


def test_queue_ids_cancel_each_distinct_id_once(emulator):
    emulator.add_account(KEY)
    emulator.add_faults(statuses({4096001: 0, 4096002: 1, MAX: 0}), xml_bool(True), xml_bool(False), xml_bool(True))
    args = queue_args(emulator, [4096001, 4096002, 4096001, MAX, 4096002], concurrency=1)
    check, result = run_both(main, emulator, args, check=predicted([4096001, MAX], 3), reads=1)
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_queue_id': {'4096001': True, '4096002': False, str(MAX): True}}
    assert list(result['cancelled_by_queue_id']) == ['4096001', '4096002', str(MAX)]  # decimal strings, input order
    assert conversation(emulator) == [('GetMultipleQueueIdStatus', {'QueueIDs': f'4096001;4096002;{MAX}'})] + [
        ('CancelNotify', {'QueueID': str(qid)}) for qid in (4096001, 4096002, MAX)]
    assert emulator.requests()[1]['body'] == f'QueueID=4096001&LicenseKey={KEY}'  # the exact form, QueueID first
    assert 'cancelled_count' not in check and 'diff' not in result


@pytest.mark.parametrize('given', [{'queue_id': 7}, {'queue_ids': 7}, {'queue_ids': '7'}, {'queue_ids': ['7']}])
def test_the_alias_and_a_single_value(emulator, given):
    emulator.add_faults(statuses({7: 0}), xml_bool(True))
    result = run_twins(main, emulator, {'license_key': KEY, 'api_url': emulator.voice_url, **given}, check=predicted([7], 1), reads=1)
    assert (result['changed'], result['cancelled_by_queue_id'], result['cancelled_count']) == (True, {'7': True}, 1)


@pytest.mark.parametrize('concurrency', [4, 16])
def test_queue_ids_come_back_in_input_order_whatever_the_concurrency(emulator, concurrency):
    ids = [9, 3, 27, 1, 81, 5, 243, 7]
    emulator.add_faults(statuses(dict.fromkeys(ids, 0)), xml_bool(True, count=8))
    result = run_twins(main, emulator, queue_args(emulator, ids, concurrency=concurrency), check=predicted(ids, 8), reads=1)
    assert list(result['cancelled_by_queue_id'].items()) == [(str(qid), True) for qid in ids] and result['cancelled_count'] == 8
    assert sorted(int(form['QueueID']) for method, form in conversation(emulator, 1)) == sorted(ids)


def test_check_mode_predicts_only_queued_calls_that_are_not_complete(emulator):
    # Queued (0) and not complete: predicted; Dialing, Ready for Dialer, answered, unanswered, cancelled: not; unknown: not
    codes = {11: 12, 12: 0, 13: 46, 14: 1, 15: 22, 16: 0, 17: 2, 19: (0, True), 20: (12, False)}
    ids = [17, 16, 15, 14, 13, 12, 11, 18, 19, 20]  # 18: not in the answer; 19: Queued but complete
    emulator.add_faults(statuses(codes), xml_bool(True, count=10))
    result = run_twins(main, emulator, queue_args(emulator, ids, concurrency=1), check=predicted([16, 12], 10), reads=1)
    assert result['cancelled_count'] == 10  # the canned answers say true; the real run never consults the prediction


def test_check_mode_with_nothing_cancellable_is_not_changed(emulator):
    emulator.add_faults(statuses({1: 1, 2: 22}), xml_bool(False, count=3))
    result = run_twins(main, emulator, queue_args(emulator, [1, 2, 3], concurrency=1), check=predicted([], 3), reads=1)
    assert result == {'changed': False, 'failed': False, 'warnings': [], 'cancelled_count': 0,
                      'cancelled_by_queue_id': {'1': False, '2': False, '3': False}}


def test_an_entry_the_answer_repeats_for_another_batch_is_read_from_its_own_batch(emulator):
    ids = list(range(1, 251))
    first = {**{qid: 0 for qid in range(1, 101)}, 150: 0}  # a stray entry for an ID of the second batch
    second = {qid: (1 if qid == 150 else 0) for qid in range(101, 201)}
    third = {qid: 0 for qid in reversed(range(201, 251)) if qid % 10}  # in another order, and without every tenth ID
    emulator.add_faults(statuses(first), statuses(second), statuses(third))
    would = [qid for qid in ids if qid != 150 and not (qid > 200 and qid % 10 == 0)]
    check = run_both(main, emulator, queue_args(emulator, ids), check=predicted(would, 250), reads=3)[0]
    # issue 11: at most 100 IDs per GetMultipleQueueIdStatus request, in input order
    batches = [form['QueueIDs'] for method, form in conversation(emulator)[:3]]
    assert batches == [';'.join(map(str, ids[i:i + 100])) for i in (0, 100, 200)] and check['would_cancel_queue_ids'] == would


def test_queue_and_reference_ids_together(emulator):
    emulator.add_faults(statuses({1: 0, 2: 1}), xml_int(3), xml_int(0), xml_bool(True), xml_bool(False))
    args = {**queue_args(emulator, [1, 2], concurrency=1), 'reference_ids': ['spring-sale-2026', 'window-18']}
    result = run_twins(main, emulator, args, check=predicted([1], 2, both=True), reads=1)
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 4,
                      'cancelled_by_reference_id': {'spring-sale-2026': 3, 'window-18': 0}, 'cancelled_by_queue_id': {'1': True, '2': False}}
    assert conversation(emulator, 1) == [('CancelNotifyByReferenceID', {'ReferenceID': 'spring-sale-2026'}),
                                         ('CancelNotifyByReferenceID', {'ReferenceID': 'window-18'}),
                                         ('CancelNotify', {'QueueID': '1'}), ('CancelNotify', {'QueueID': '2'})]


def test_with_reference_ids_check_mode_stays_changed_when_no_queue_id_is_cancellable(emulator):
    emulator.add_faults(statuses({1: 1}), xml_int(0), xml_bool(False))
    args = {**queue_args(emulator, [1], concurrency=1), 'reference_id': 'window-18'}
    result = run_twins(main, emulator, args, check=predicted([], 1, both=True), reads=1)
    assert (result['changed'], result['cancelled_count']) == (False, 0)


def test_an_empty_queue_id_list_alone_sends_nothing(emulator):
    empty = 'queue_ids is empty: no request was sent.'
    result = run_twins(main, emulator, queue_args(emulator, []), check={'changed': False, 'failed': False, 'msg': empty})
    assert result == {'changed': False, 'failed': False, 'warnings': [], 'msg': empty, 'cancelled_count': 0, 'cancelled_by_queue_id': {}}
    assert emulator.requests() == []


def test_an_empty_queue_id_list_with_reference_ids_cancels_those(account):
    result = run_twins(main, account, {**args_for(account, ['window-19']), 'queue_ids': []})
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_reference_id': {'window-19': 2}, 'cancelled_by_queue_id': {}}


@pytest.mark.parametrize('queue_ids, where', [
    ([0], 'queue_ids item 1 is '),
    ([1, -1], 'queue_ids item 2 is '),
    ([1, 2, MAX + 1], 'queue_ids item 3 is '),
    ([True], 'queue_ids item 1 is a bool, '),
    ([1, False], 'queue_ids item 2 is a bool, '),
    (['1.5'], "option 'queue_ids'"),
    ([2.5], "option 'queue_ids'"),
    (['abc'], "option 'queue_ids'"),
    ([[1]], "option 'queue_ids'"),
    ([None], "option 'queue_ids'"),
])
def test_invalid_queue_ids_fail_before_any_request(emulator, queue_ids, where):
    emulator.add_account(KEY, calls=[{'reference_id': 'r'}])
    for extra in ({}, {'reference_ids': ['r']}):  # before any request of either list
        result = run_twins(main, emulator, {**queue_args(emulator, queue_ids), **extra}, invalid=True)
        assert where in result['msg'] and len(result['msg']) < 300 and 'cancelled_count' not in result
    assert emulator.requests() == [] and emulator.get_state()['accounts'][KEY]['calls'][0]['status'] == 'scheduled'


def test_neither_list_is_refused(emulator):
    result = run_twins(main, emulator, {'license_key': KEY, 'api_url': emulator.voice_url}, invalid=True)
    assert 'reference_ids' in result['msg'] and 'queue_ids' in result['msg'] and emulator.requests() == []


def test_a_failure_on_a_queue_id_reports_both_lists(emulator):
    server_error = answer('CancelNotify', 'Server Error', status=500, content_type='text/plain')
    emulator.add_faults(statuses({1: 0, 2: 0, 3: 0}), xml_int(2), xml_int(0), xml_bool(True), server_error, xml_bool(True, count=9))
    args = {**queue_args(emulator, [1, 2, 3], concurrency=1), 'reference_ids': ['a', 'b']}
    result = run_twins(main, emulator, args, check=predicted([1, 2, 3], 3, both=True), reads=1)
    assert result == {'changed': True, 'failed': True, 'warnings': [], 'cancelled_count': 3,
                      'cancelled_by_reference_id': {'a': 2, 'b': 0}, 'cancelled_by_queue_id': {'1': True},
                      'msg': f"cancelling queue ID '2' failed: CancelNotify at 127.0.0.1:{emulator.port} failed: HTTP 500: Server Error. "
                             '3 of 5 IDs were answered (3 calls cancelled), 1 not attempted.'}
    assert [form for method, form in conversation(emulator, 1)][-1] == {'QueueID': '2'}  # nothing new started after it


def test_a_failure_on_a_reference_id_starts_no_queue_id(emulator):
    emulator.add_faults(statuses({1: 0}), xml_int(2), answer('CancelNotify', 'Server Error', status=500, content_type='text/plain'),
                        xml_bool(True, count=9))
    args = {**queue_args(emulator, [1], concurrency=1), 'reference_ids': ['a', 'b']}
    result = run_twins(main, emulator, args, check=predicted([1], 1, both=True), reads=1)
    assert result == {'changed': True, 'failed': True, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_reference_id': {'a': 2}, 'cancelled_by_queue_id': {},
                      'msg': f"cancelling reference ID 'b' failed: CancelNotifyByReferenceID at 127.0.0.1:{emulator.port} failed: "
                             'HTTP 500: Server Error. 1 of 3 IDs were answered (2 calls cancelled), 1 not attempted.'}
    assert [method for method, form in conversation(emulator, 1)] == ['CancelNotifyByReferenceID'] * 2


@pytest.mark.parametrize('body, text', [
    ('<boolean xmlns="https://ws.esendex.us/NotifyWS/">True</boolean>', 'expected <boolean>true</boolean> or <boolean>false</boolean>'),
    ('<int xmlns="https://ws.esendex.us/NotifyWS/">1</int>', 'expected <boolean>true</boolean> or <boolean>false</boolean>'),
    ('true', 'the answer is not well-formed XML'),
    ('<boolean>true', 'the answer is not well-formed XML'),
])
def test_anything_but_a_boolean_from_cancel_notify_is_an_error(emulator, body, text):
    emulator.add_faults(statuses({1: 0}), answer('CancelNotify', body))
    result = run_twins(main, emulator, queue_args(emulator, [1]), check=predicted([1], 1), reads=1)
    assert (result['failed'], result['changed'], result['cancelled_count'], result['cancelled_by_queue_id']) == (True, False, 0, {})
    assert text in result['msg'] and 'could not be understood' in result['msg']


@pytest.mark.parametrize('body', [
    '<ArrayOfInt xmlns="https://ws.esendex.us/NotifyWS/"/>',
    '<ArrayOfNotifyReturn><NotifyReturn><QueueID>1</QueueID></NotifyReturn></ArrayOfNotifyReturn>',
    '<ArrayOfNotifyReturn xmlns="https://ws.esendex.us/NotifyWS/"><NotifyReturn><QueueID>x</QueueID></NotifyReturn></ArrayOfNotifyReturn>',
])
def test_a_status_answer_that_is_not_an_array_of_notify_return_fails_before_any_cancellation(emulator, body):
    # in check mode, and in diff mode for real (which reads the statuses first)
    emulator.add_faults(answer('GetMultipleQueueIdStatus', body, count=2))
    msg = (f'GetMultipleQueueIdStatus at 127.0.0.1:{emulator.port} failed: HTTP 200 answer could not be understood: expected '
           f'ArrayOfNotifyReturn with a QueueID, ResponseCode and CallComplete in each NotifyReturn, got {body!r}.')
    result = run_twins(main, emulator, queue_args(emulator, [1]), diff=True, reads=1, check={'failed': True, 'msg': msg})
    assert result == {'failed': True, 'msg': msg, 'warnings': []}
    assert [entry['path'] for entry in emulator.requests()] == [STATUS] * 2


def test_a_status_read_lost_in_flight_never_says_it_may_have_cancelled(emulator, waits):
    # GetMultipleQueueIdStatus only reads: a request dropped after it was processed cancelled nothing, whatever it did
    emulator.add_faults({'type': 'drop', 'process': True, 'count': 4, 'match': {'operation': 'GetMultipleQueueIdStatus'}})
    msg = (f'GetMultipleQueueIdStatus at 127.0.0.1:{emulator.port} failed after 2 attempts: the connection to '
           f'127.0.0.1:{emulator.port} was dropped before a complete answer: RemoteDisconnected: Remote end closed connection '
           'without response.')
    result = run_twins(main, emulator, queue_args(emulator, [1], retries=1), diff=True, reads=2, check={'failed': True, 'msg': msg})
    assert result == {'failed': True, 'msg': msg, 'warnings': []} and 'may have' not in result['msg']
    assert [entry['path'] for entry in emulator.requests()] == [STATUS] * 4


def test_the_key_echoed_by_cancel_notify_is_removed(emulator):
    emulator.add_faults(statuses({1: 0}), answer('CancelNotify', 'Invalid license key {license_key} ' + KEY.upper(), status=500, template=True))
    result = run_twins(main, emulator, queue_args(emulator, [1], retries=0), check=predicted([1], 1), reads=1)
    assert result['msg'].startswith(f"cancelling queue ID '1' failed: CancelNotify at 127.0.0.1:{emulator.port} failed: HTTP 500: "
                                    'Invalid license key ******** ********.')


def test_the_key_echoed_by_get_multiple_queue_id_status_is_removed(emulator):
    # in diff mode the real run reads the statuses first too, so both runs fail alike, before any cancellation
    echo = answer('GetMultipleQueueIdStatus', 'Invalid license key {license_key} ' + KEY.replace('-', ''), status=500, count=2, template=True)
    emulator.add_faults(echo)
    msg = f'GetMultipleQueueIdStatus at 127.0.0.1:{emulator.port} failed: HTTP 500: Invalid license key ******** ********.'
    result = run_twins(main, emulator, queue_args(emulator, [1, 2], retries=0), diff=True, check={'failed': True, 'msg': msg}, reads=1)
    assert result == {'failed': True, 'msg': msg, 'warnings': []}
    assert [entry['path'] for entry in emulator.requests()] == [STATUS, STATUS]


# ---------------------------------------------------------------- 1.1.0: diff (issue 11)

def test_diff_in_check_mode_and_for_real(emulator):
    emulator.add_faults(statuses({1: 0, 2: 1, 4: 0}), statuses({1: 0, 2: 1, 4: 0}), xml_bool(True), xml_bool(False),
                        xml_bool(False), xml_bool(True))
    diff_before = '1: Queued\n2: Call Answered\n3: (not found)\n4: Queued\n'
    check = predicted([1, 4], 4, diff={'before': diff_before, 'after': '1: Cancelled\n2: Call Answered\n3: (not found)\n4: Cancelled\n'})
    result = run_twins(main, emulator, queue_args(emulator, [1, 2, 3, 4], concurrency=1), diff=True, check=check, reads=1)
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_queue_id': {'1': True, '2': False, '3': False, '4': True},
                      'diff': {'before': diff_before, 'after': '1: Cancelled\n2: Call Answered\n3: (not found)\n4: Cancelled\n'}}
    # the real run reads the statuses (for `before`) and then cancels: a status read, then one CancelNotify per ID
    assert [method for method, form in conversation(emulator, 1)] == ['GetMultipleQueueIdStatus'] + ['CancelNotify'] * 4


def test_diff_after_shows_only_what_was_cancelled(emulator):
    # the service may answer false for a call the status said was Queued (it started meanwhile): after keeps its status
    emulator.add_faults(statuses({5: 0, 6: 0}), statuses({5: 0, 6: 0}), xml_bool(False), xml_bool(True))
    result = run_twins(main, emulator, queue_args(emulator, [5, 6], concurrency=1), diff=True, reads=1,
                       check=predicted([5, 6], 2, diff={'before': '5: Queued\n6: Queued\n', 'after': '5: Cancelled\n6: Cancelled\n'}))
    assert result['diff'] == {'before': '5: Queued\n6: Queued\n', 'after': '5: Queued\n6: Cancelled\n'}


def test_diff_of_a_status_without_response_text_names_its_code(emulator):
    body = utils.notify_returns({8: 0, 9: 12}).replace('<ResponseText>Queued</ResponseText>', '').replace('Dialing', ' ')
    emulator.add_faults(answer('GetMultipleQueueIdStatus', body, count=2), xml_bool(True), xml_bool(False))
    diff = {'before': '8: ResponseCode 0\n9: ResponseCode 12\n', 'after': '8: Cancelled\n9: ResponseCode 12\n'}
    result = run_twins(main, emulator, queue_args(emulator, [8, 9], concurrency=1), diff=True, reads=1, check=predicted([8], 2, diff=diff))
    assert result['diff'] == diff


def test_no_diff_without_diff_mode_or_without_queue_ids(account):
    account.add_faults(statuses({1: 0}), xml_bool(True))
    assert 'diff' not in run_twins(main, account, queue_args(account, [1]), check=predicted([1], 1), reads=1)
    assert 'diff' not in run_twins(main, account, args_for(account, ['window-17']), diff=True)
    assert 'diff' not in run_twins(main, account, queue_args(account, []), diff=True,
                                   check={'changed': False, 'failed': False, 'msg': 'queue_ids is empty: no request was sent.'})


def test_without_diff_mode_the_real_run_reads_no_status(emulator):
    emulator.add_faults(statuses({1: 0}), xml_bool(True))
    run_twins(main, emulator, queue_args(emulator, [1]), check=predicted([1], 1), reads=1)
    assert [entry['path'] for entry in emulator.requests()] == [STATUS, CANCEL_NOTIFY]


# ---------------------------------------------------------------- 1.1.0 against the emulator's state: predict, then cancel exactly those

@pytest.fixture
def queue(emulator):
    """KEY's calls 1001, 1002 (scheduled), 1003 (in progress), 1004 (completed), 1005 (cancelled), 1006-1007 (window-17);
    OTHER_KEY's 2001 (scheduled)."""
    emulator.add_account(KEY, calls=[{'queue_id': 1001}, {'queue_id': 1002}, {'queue_id': 1003, 'status': 'in_progress'},
                                     {'queue_id': 1004, 'status': 'completed'}, {'queue_id': 1005, 'status': 'cancelled'},
                                     {'queue_id': 1006, 'reference_id': 'window-17'}, {'queue_id': 1007, 'reference_id': 'window-17'}])
    emulator.add_account(OTHER_KEY, calls=[{'queue_id': 2001}])
    return emulator


def call_statuses(emulator) -> dict:
    return {c['queue_id']: c['status'] for account in emulator.get_state()['accounts'].values() for c in account['calls']}


QUEUE_IDS = [1005, 1001, 1003, 2001, 1004, 9999, 1002]
BEFORE = '1005: Cancelled\n1001: Queued\n1003: Dialing\n2001: (not found)\n1004: Call Answered\n9999: (not found)\n1002: Queued\n'
AFTER = BEFORE.replace('1001: Queued', '1001: Cancelled').replace('1002: Queued', '1002: Cancelled')


@pytest.mark.parametrize('concurrency', [1, 4])
def test_check_mode_predicts_exactly_what_the_real_run_cancels(queue, concurrency):
    before = call_statuses(queue)
    args = queue_args(queue, QUEUE_IDS, concurrency=concurrency)
    check, result = run_both(main, queue, args, diff=True, reads=1, check=predicted([1001, 1002], 7, diff={'before': BEFORE, 'after': AFTER}))
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2, 'diff': {'before': BEFORE, 'after': AFTER},
                      'cancelled_by_queue_id': {'1005': False, '1001': True, '1003': False, '2001': False, '1004': False,
                                                '9999': False, '1002': True}}
    assert check['would_cancel_queue_ids'] == [int(qid) for qid, done in result['cancelled_by_queue_id'].items() if done]
    assert call_statuses(queue) == {**before, 1001: 'cancelled', 1002: 'cancelled'}  # nothing else touched, 2001 included
    assert sorted((c['queue_id'], c['count']) for c in queue.cancellations()) == sorted((qid, int(qid in (1001, 1002))) for qid in QUEUE_IDS)
    # a re-run predicts nothing and changes nothing
    rerun_before = BEFORE.replace('1001: Queued', '1001: Cancelled').replace('1002: Queued', '1002: Cancelled')
    again = run_twins(main, queue, args, diff=True, reads=1, check=predicted([], 7, diff={'before': rerun_before, 'after': rerun_before}))
    assert (again['changed'], again['cancelled_count'], again['diff']) == (False, 0, {'before': rerun_before, 'after': rerun_before})


def test_a_call_that_starts_after_check_mode_is_not_cancelled(queue):
    check = run_module(main, queue_args(queue, [1001, 1002]), check_mode=True)
    assert check['would_cancel_queue_ids'] == [1001, 1002]
    queue.set_call_status([1001], 'in_progress')  # it started dialling meanwhile
    result = run_module(main, queue_args(queue, [1001, 1002]))
    assert (result['cancelled_by_queue_id'], result['changed']) == ({'1001': False, '1002': True}, True)
    assert call_statuses(queue)[1001] == 'in_progress'


def test_both_lists_against_the_emulator(queue):
    args = {**queue_args(queue, [1001, 1006, 2001]), 'reference_ids': ['window-17']}
    result = run_twins(main, queue, {**args, 'concurrency': 1}, reads=1, check=predicted([1001, 1006], 3, both=True))
    # window-17 cancels 1006 and 1007 first; CancelNotify then finds 1006 no longer scheduled
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 3, 'cancelled_by_reference_id': {'window-17': 2},
                      'cancelled_by_queue_id': {'1001': True, '1006': False, '2001': False}}
    assert {qid: status for qid, status in call_statuses(queue).items() if status == 'cancelled'} == dict.fromkeys([1001, 1005, 1006, 1007], 'cancelled')


def test_two_hundred_and_fifty_queue_ids_are_read_100_a_request(emulator):
    emulator.add_account(KEY, calls=[{'queue_id': qid, 'status': 'completed' if qid % 4 == 0 else 'scheduled'} for qid in range(1, 251)])
    ids = list(range(250, 0, -1))
    would = [qid for qid in ids if qid % 4]
    result = run_twins(main, emulator, queue_args(emulator, ids, concurrency=16), reads=3, check=predicted(would, 250))
    batches = [parse_qs(entry['body'])['QueueIDs'][0] for entry in emulator.requests()[:3]]
    assert batches == [';'.join(map(str, ids[i:i + 100])) for i in (0, 100, 200)]
    assert [int(qid) for qid, done in result['cancelled_by_queue_id'].items() if done] == would and result['cancelled_count'] == len(would)
    assert len(emulator.requests()) == 3 + 250  # the real run, not in diff mode, reads no status


def test_a_failure_targeted_at_one_queue_id_leaves_nothing_unreported(queue):
    queue.add_faults({'type': 'respond', 'status': 500, 'body': 'Server Error', 'match': {'operation': 'CancelNotify', 'queue_id': 1002}})
    ids = [1001, 1003, 1002, 1006, 1007]
    result = run_twins(main, queue, queue_args(queue, ids, concurrency=4), reads=1, check=predicted([1001, 1002, 1006, 1007], 5))
    answered = {str(c['queue_id']): bool(c['count']) for c in queue.cancellations()}
    assert '1002' not in answered and result['cancelled_by_queue_id'] == {str(q): answered[str(q)] for q in ids if str(q) in answered}
    assert result['failed'] is True and result['msg'].startswith("cancelling queue ID '1002' failed: ")
    assert result['cancelled_count'] == sum(answered.values()) and call_statuses(queue)[1002] == 'scheduled'


def test_schedule_with_notify_multiple_then_cancel_by_the_queue_ids_it_returned(queue):
    # what a user's own scheduling system does: NotifyMultiplePhoneBasicWithCPMandReferenceID returns a QueueID per number
    scheduled = requests.post(f'{queue.voice_url}/NotifyMultiplePhoneBasicWithCPMandReferenceID', timeout=10, data={
        'PhoneNumbersToDial': '+15550100;+15550101;+15550102', 'TextToSay': 'Maintenance at 02:00', 'CallerID': '+15550199',
        'CallerIDname': 'Ops', 'VoiceID': '1', 'CallsPerMinute': '10', 'ReferenceID': 'maint-17', 'LicenseKey': KEY})
    qids = [int(element.text) for element in ET.fromstring(scheduled.content).iter(f'{{{utils.NOTIFY_NS}}}QueueID')]
    assert len(qids) == 3
    queue.set_call_status([qids[1]], 'completed')
    queue.clear_requests()
    result = run_twins(main, queue, queue_args(queue, qids), reads=1, check=predicted([qids[0], qids[2]], 3))
    assert result['cancelled_by_queue_id'] == {str(qids[0]): True, str(qids[1]): False, str(qids[2]): True}
    assert [call_statuses(queue)[qid] for qid in qids] == ['cancelled', 'completed', 'cancelled'] and call_statuses(queue)[1001] == 'scheduled'


def test_concurrency_defaults_to_4_over_one_pool_of_as_many_connections(queue, monkeypatch):
    made = []
    client_class = _common.EsendexClient

    def spy(*args, **kwargs):
        made.append(kwargs)
        return client_class(*args, **kwargs)
    monkeypatch.setattr(_common, 'EsendexClient', spy)
    result = run_twins(main, queue, queue_args(queue, [1001, 1002]), reads=1, check=predicted([1001, 1002], 2))
    assert result['cancelled_count'] == 2 and utils.MODULES[-1].params['concurrency'] == 4
    assert [kwargs['max_connections'] for kwargs in made] == [4, 4]  # one client (one pool) per run


@pytest.mark.parametrize('reference_ids', [[], ['ok', ''], [['a']]])
def test_an_invalid_reference_id_with_queue_ids_fails_before_the_status_read(queue, reference_ids):
    result = run_twins(main, queue, {**queue_args(queue, [1001]), 'reference_ids': reference_ids}, invalid=True)
    assert result['msg'].startswith('reference_ids ') and queue.requests() == []
