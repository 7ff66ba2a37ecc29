# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the four modules share, each run in-process against the emulator with its check-mode twin."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from ansible_collections.esendex.us.plugins.module_utils import _common
from ansible_collections.esendex.us.plugins.module_utils._client import COLLECTION_VERSION, EsendexClient
from ansible_collections.esendex.us.plugins.modules import esendex_call_info, esendex_cancel_calls, esendex_cancel_messages, esendex_message_info
from ansible_collections.esendex.us.tests.unit.plugins.modules import utils
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import (
    COMMON_INVALID,
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
    run_module,
    run_twins,
)

CALLS, MESSAGES = esendex_cancel_calls.main, esendex_cancel_messages.main
MODULES = {  # name: (main, service, the IDs option with a valid value)
    'cancel_calls': (CALLS, 'voice', {'queue_ids': [1001]}),
    'cancel_messages': (MESSAGES, 'messaging', {'message_ids': [M1]}),
    'call_info': (esendex_call_info.main, 'voice', {'queue_ids': [1001]}),
    'message_info': (esendex_message_info.main, 'messaging', {'message_ids': [M1]}),
}
QUEUE_ID_MODULES = ['cancel_calls', 'call_info']
MESSAGE_ID_MODULES = ['cancel_messages', 'message_info']
REFS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']
QIDS = [1001, 1002, 1003, 1004, 1005, 1006]
MIDS = [M1, M2, M3, M4, M5, M6]


@pytest.fixture
def account(emulator):
    """KEY: calls 1001-1006 scheduled (reference IDs r1-r6), 1007 in progress, 1008 completed; messages M1-M6 scheduled.
    OTHER_KEY: call 2001 (r1) and message 7f1c9a2e-... scheduled."""
    calls = [{'queue_id': qid, 'reference_id': rid} for qid, rid in zip(QIDS, REFS)]
    emulator.add_account(KEY, messages=[{'id': mid} for mid in MIDS],
                         calls=calls + [{'queue_id': 1007, 'status': 'in_progress'}, {'queue_id': 1008, 'status': 'completed'}])
    emulator.add_account(OTHER_KEY, messages=[{'id': '7f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'}], calls=[{'queue_id': 2001, 'reference_id': 'r1'}])
    return emulator


def args_for(name: str, emulator, **options) -> dict:
    unused, service, ids = MODULES[name]
    return {'license_key': KEY, 'api_url': getattr(emulator, f'{service}_url'), **ids, **options}


def scheduled(emulator) -> set:
    """The IDs (QueueIDs and MessageIDs) of every account still scheduled."""
    return {item.get('queue_id', item.get('id')) for kind in ('calls', 'messages') for item in emulator.items(kind) if item['status'] == 'scheduled'}


# ---------------------------------------------------------------- common options

@pytest.mark.parametrize('override, option', COMMON_INVALID)
@pytest.mark.parametrize('name', MODULES)
def test_invalid_common_options_fail_before_any_request(account, name, override, option):
    result = run_twins(MODULES[name][0], account, {**args_for(name, account), **override}, invalid=True)
    assert option in result['msg'] and set(result) == {'failed', 'msg', 'warnings'}, result


@pytest.mark.parametrize('name', MODULES)
def test_the_environment_gives_the_key_and_the_service_url(account, name):
    main, service, ids = MODULES[name]
    other = 'messaging' if service == 'voice' else 'voice'
    env = {'ESENDEX_LICENSE_KEY': f' {KEY}\n', f'ESENDEX_{service.upper()}_API_URL': getattr(account, f'{service}_url') + '/',
           f'ESENDEX_{other.upper()}_API_URL': 'ftp://wrong.example/'}
    result = run_twins(main, account, ids, env)
    assert result['failed'] is False and KEY in utils.MODULES[-1].no_log_values  # stripped, and masked as stripped
    forms = [parse_qs(entry['body']) for entry in account.requests() if '/NotifyWS/' in entry['path']]
    assert all(form['LicenseKey'] == [KEY] for form in forms) and account.requests()


@pytest.mark.parametrize('url, warned', [('http://esendex-unit-test.invalid/x', True), ('https://esendex-unit-test.invalid/x', False),
                                         ('localhost', False)])
@pytest.mark.parametrize('name', MODULES)
def test_clear_text_warning_only_off_loopback(account, name, url, warned):
    url = args_for(name, account)['api_url'].replace('127.0.0.1', 'localhost') if url == 'localhost' else url
    check, result = run_both(MODULES[name][0], account, args_for(name, account, api_url=url, retries=0))
    for each in check, result:
        assert sum('clear text' in warning for warning in each['warnings']) == int(warned)


@pytest.mark.parametrize('name', MODULES)
def test_a_key_the_service_echoes_is_removed(account, name):
    body = f'Bad key {{license_key}} {KEY.upper()} {KEY.replace("-", "")}'
    account.add_faults({'type': 'respond', 'status': 500, 'body_template': body, 'count': None})
    check, result = run_both(MODULES[name][0], account, args_for(name, account, retries=0))
    assert result['failed'] is True and 'Bad key ******** ********' in result['msg']  # run_both: no part of the key anywhere


@pytest.mark.parametrize('name', MODULES)
def test_a_dead_proxy_is_named(account, name, monkeypatch, waits):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        proxy = f'http://127.0.0.1:{sock.getsockname()[1]}'
    for variable in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv('http_proxy', proxy)
    check, result = run_both(MODULES[name][0], account, args_for(name, account, api_url='http://esendex-unit-test.invalid/x', retries=1))
    for each in check, result:
        assert each['failed'] is True and f"failed after 2 attempts: could not connect through the proxy '{proxy}'" in each['msg']
    assert account.requests() == [] and waits == [0.5] * 2


@pytest.mark.parametrize('name', MODULES)
def test_missing_requests_library_fails(account, name, monkeypatch):
    monkeypatch.setattr(_common, 'REQUESTS_IMPORT_ERROR', 'Traceback (most recent call last): ImportError')
    result = run_twins(MODULES[name][0], account, args_for(name, account), invalid=True, traceback=True)
    assert 'requests' in result['msg'] and 'ImportError' in result['exception']  # here the traceback helps


def test_collection_version_matches_galaxy_yml():
    galaxy = (Path(__file__).resolve().parents[4] / 'galaxy.yml').read_text(encoding='utf-8')
    assert [COLLECTION_VERSION] == re.findall(r'''^version:\s*['"]?([^\s'"#]+)''', galaxy, re.MULTILINE)


# ---------------------------------------------------------------- ID lists

MAX = 2 ** 63 - 1


@pytest.mark.parametrize('queue_ids, where', [
    ([1.0], 'item 1 is a float'), ([1, 2.5], 'item 2 is a float'), ([True], 'item 1 is a bool'), ([1, False], 'item 2 is a bool'),
    (['1e3'], "item 1 is '1e3'"), (['1', '1_001'], "item 2 is '1_001'"), (['0x65'], "item 1 is '0x65'"), (['-5'], "item 1 is '-5'"),
    (['\uff11\uff10\uff10\uff12'], 'item 1 is '), (['\u0661'], 'item 1 is '), ([''], "item 1 is ''"), (['  '], 'item 1 is '),
    ([1, None], 'item 2 is null'), ([[1]], 'item 1 is a list'), ([0], "item 1 is '0'"), ([-1], "item 1 is '-1'"),
    ([str(MAX + 1)], 'item 1 is '), ([MAX + 1], 'item 1 is '), (['4\n2x'], 'item 1 is '),
])
@pytest.mark.parametrize('name', QUEUE_ID_MODULES)
def test_queue_ids_are_strict_and_fail_naming_the_position(account, name, queue_ids, where):
    result = run_twins(MODULES[name][0], account, args_for(name, account, queue_ids=queue_ids), invalid=True)
    assert result['msg'].startswith(f'queue_ids {where}') and 'not a QueueID' in result['msg'] and len(result['msg']) < 200


@pytest.mark.parametrize('name', QUEUE_ID_MODULES)
def test_queue_ids_as_ints_or_ascii_digits_with_white_space(account, name):
    run_twins(MODULES[name][0], account, args_for(name, account, queue_ids=[' 1001 ', 1002, '\t1003\n', '1001', 1001, str(MAX)]))
    forms = [parse_qs(entry['body']) for entry in account.requests()]
    assert [form['QueueIDs'][0] for form in forms if 'QueueIDs' in form][0] == f'1001;1002;1003;{MAX}'  # each once, in input order


@pytest.mark.parametrize('message_ids, where', [
    ([M1, None], 'item 2 is null'), ([''], "item 1 is ''"), ([M1, M2, '  '], 'item 3 is '), ([M1, 'not-a-guid'], "item 2 is 'not-a-guid'"),
    ([f'{{{M1}}}'], 'item 1 is '), ([M1.replace('-', '')], 'item 1 is '), ([12345], 'item 1 is an int'), ([f'{M1}\x1b[0m'], 'item 1 is a str'),
    (['x' * 10000], "item 1 is '" + 'x' * 57 + "...'"), ('a,b', "item 1 is 'a'"),
])
@pytest.mark.parametrize('name', MESSAGE_ID_MODULES)
def test_message_ids_must_be_guids_and_fail_naming_the_position(account, name, message_ids, where):
    result = run_twins(MODULES[name][0], account, args_for(name, account, message_ids=message_ids), invalid=True)
    assert result['msg'].startswith(f'message_ids {where}') and 'not a MessageID' in result['msg'] and len(result['msg']) < 250


NOT_FOUND = {  # name: (IDs given, those the service does not know, what the warning calls them)
    'cancel_calls': ([1001, 9999, 1007, 2001], [9999, 2001], 'QueueIDs'),  # 2001 is another account's
    'call_info': ([1001, 9999, 1007, 2001], [9999, 2001], 'QueueIDs'),
    'cancel_messages': ([M1, ZERO, M2, '8e1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'], [ZERO, '8e1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'], 'MessageIDs'),
    'message_info': ([M1, ZERO, M2, '8e1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'], [ZERO, '8e1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'], 'MessageIDs'),
}


@pytest.mark.parametrize('name', NOT_FOUND)
def test_ids_the_service_does_not_know_are_named_with_a_warning(account, name):
    ids, unknown, what = NOT_FOUND[name]
    main, unused, option = MODULES[name]
    key = f'not_found_{next(iter(option))}'
    check, result = run_both(main, account, args_for(name, account, **{next(iter(option)): ids}))
    for each in check, result:
        assert each[key] == unknown and each['failed'] is False
        [warning] = each['warnings']
        assert warning.startswith(f'The service does not know 2 of the {what} given ({unknown[0]}, {unknown[1]}). Likely causes: ')


# ---------------------------------------------------------------- best effort (the cancel modules)

BULK = {  # kind: (main, option, IDs, the cancel method)
    'queue_id': (CALLS, 'queue_ids', QIDS, 'CancelNotify'),
    'reference_id': (CALLS, 'reference_ids', REFS, 'CancelNotifyByReferenceID'),
    'message_id': (MESSAGES, 'message_ids', MIDS, 'CancelMessage'),
}
LABELS = {'queue_id': 'QueueID', 'reference_id': 'reference ID', 'message_id': 'MessageID'}


def bulk_args(emulator, kind: str, ids: list, **options) -> dict:
    main, option = BULK[kind][:2]
    return {'license_key': KEY, 'api_url': emulator.voice_url if main is CALLS else emulator.messaging_url, option: ids, **options}


def cancelled_ids(emulator, kind: str) -> set:
    """The IDs of `kind` whose calls or messages the emulator cancelled."""
    field = {'queue_id': 'queue_id', 'reference_id': 'reference_id', 'message_id': 'id'}[kind]
    return {item[field] for kind_ in ('calls', 'messages') for item in emulator.items(kind_) if item['status'] == 'cancelled' and field in item}


@pytest.mark.parametrize('concurrency', [1, 4])
@pytest.mark.parametrize('kind', BULK)
def test_one_id_failing_permanently_does_not_stop_the_others(account, kind, concurrency, waits):
    main, option, ids, operation = BULK[kind]
    bad = ids[2]
    seed = account.get_state()
    results = []
    for run in range(3):  # the same set every time, whatever the threads do
        account.reset(seed)
        account.add_faults(failing(operation, **{kind: bad}))
        if run == 0:
            check, result = run_both(main, account, bulk_args(account, kind, ids, concurrency=concurrency))
            assert check['failed'] is False and check['changed'] is True
        else:
            result = run_module(main, bulk_args(account, kind, ids, concurrency=concurrency))
        results.append((result, cancelled_ids(account, kind)))
    result, cancelled = results[0]
    assert all(each == results[0] for each in results)
    others = [each for each in ids if each != bad]
    answered = {str(each): 1 if kind == 'reference_id' else True for each in others}
    assert (result['failed'], result['changed'], result['cancelled_count']) == (True, True, 5)
    assert (result[f'cancelled_by_{kind}'], list(result[f'errors_by_{kind}']), result[f'not_attempted_{kind}s']) == (answered, [str(bad)], [])
    assert result[f'errors_by_{kind}'][str(bad)].endswith('HTTP 500: Server Error') and cancelled == set(others)
    assert result['msg'].startswith(f"1 of 6 IDs failed: {LABELS[kind]} '{bad}': {operation} at 127.0.0.1:{account.port} failed: HTTP 500")
    assert 'not attempted' not in result['msg']


@pytest.mark.parametrize('concurrency', [1, 4, 8])
@pytest.mark.parametrize('kind', BULK)
def test_the_service_failing_for_every_id_stops_after_max_3_concurrency_in_a_row(account, kind, concurrency, monkeypatch, waits):
    main, option, unused, operation = BULK[kind]
    ids = [*range(3001, 3031)] if kind == 'queue_id' else [f'x{n}' for n in range(30)] if kind == 'reference_id' else [
        f'5e1c9a2e-3b7d-4e58-a0c4-{n:012d}' for n in range(30)]
    name = {'queue_id': 'cancel_by_queue_id', 'reference_id': 'cancel_by_reference_id', 'message_id': 'cancel_message'}[kind]
    cancel, release, last = getattr(EsendexClient, name), threading.Event(), max(3, concurrency) + concurrency - 2

    def in_a_known_order(self, ident):
        # The first concurrency - 1 IDs hold their workers until the one free worker has started its last ID (when the
        # failures in a row reach max(3, concurrency)); each of its failures is counted before it takes the next ID.
        index = ids.index(ident)
        if index < concurrency - 1:
            release.wait(30)
        try:
            return cancel(self, ident)
        finally:
            if index == last:
                release.set()
    monkeypatch.setattr(EsendexClient, name, in_a_known_order)
    account.add_faults(failing(operation, status=503))
    check, result = run_both(main, account, bulk_args(account, kind, ids, concurrency=concurrency, retries=1))
    errors, skipped = result[f'errors_by_{kind}'], result[f'not_attempted_{kind}s']
    # after max(3, concurrency) failures in a row no ID starts; the concurrency - 1 in flight finish
    assert len(errors) == max(3, concurrency) + concurrency - 1 and result['msg'].startswith(f'{len(errors)} of 30 IDs failed: ')
    assert (f'; and {len(errors) - 3} more.' in result['msg']) is (len(errors) > 3)  # the first three named, and a count
    assert [*errors, *map(str, skipped)] == [str(each) for each in ids]  # the first IDs failed, the rest in input order
    assert (result['failed'], result['changed'], result[f'cancelled_by_{kind}']) == (True, False, {})
    assert f'{len(skipped)} not attempted: the service failed for {max(3, concurrency)} IDs in a row' in result['msg']
    assert len([entry for entry in account.requests() if method(entry) == operation]) == 2 * len(errors)  # each after its retry


def test_failures_in_a_row_are_counted_across_both_lists(account):
    account.add_faults(failing('CancelNotifyByReferenceID'), failing('CancelNotify', queue_id=1001))
    result = run_twins(CALLS, account, {**bulk_args(account, 'queue_id', [1001, 1002, 1003]), 'reference_ids': ['r5', 'r6'], 'concurrency': 1})
    assert (list(result['errors_by_reference_id']), list(result['errors_by_queue_id'])) == (['r5', 'r6'], ['1001'])
    assert (result['not_attempted_reference_ids'], result['not_attempted_queue_ids'], result['cancelled_by_queue_id']) == ([], [1002, 1003], {})


def test_any_answer_resets_the_failures_in_a_row(account):
    account.add_faults(*[failing('CancelNotify', queue_id=qid) for qid in (1001, 1002, 1004, 1005)])
    result = run_twins(CALLS, account, bulk_args(account, 'queue_id', QIDS, concurrency=1))
    assert (list(result['errors_by_queue_id']), result['not_attempted_queue_ids']) == (['1001', '1002', '1004', '1005'], [])
    assert result['cancelled_by_queue_id'] == {'1003': True, '1006': True} and result['msg'].startswith('4 of 6 IDs failed: ')


@pytest.mark.parametrize('kind', BULK)
def test_a_failure_that_may_have_cancelled_keeps_changed_true(account, kind, waits):
    main, option, ids, operation = BULK[kind]
    account.add_faults({'type': 'drop', 'process': True, 'count': None, 'match': {'operation': operation, kind: ids[0]}})
    result = run_twins(main, account, bulk_args(account, kind, ids[:1], retries=1))
    assert (result['failed'], result['changed'], result['cancelled_count'], result[f'cancelled_by_{kind}']) == (True, True, 0, {})
    assert 'A failed request may have reached the service and cancelled' in result['msg'] and cancelled_ids(account, kind) == {ids[0]}


@pytest.mark.parametrize('kind, args', [('queue_id', {'queue_ids': [1001]}), ('reference_id', {'reference_ids': ['r1']}),
                                        ('message_id', {'message_ids': [M1]}), ('cancel_all', {'cancel_all': True})])
def test_a_lost_answer_that_cancelled_warns_and_is_changed(account, kind, args, waits):
    main, operation, label = (MESSAGES, 'CancelAllMessages', 'CancelAllMessages') if kind == 'cancel_all' else (
        BULK[kind][0], BULK[kind][3], f"{LABELS[kind]} '{next(iter(args.values()))[0]}'")
    account.add_faults({'type': 'truncate', 'match': {'operation': operation}})  # processed, then the answer is cut
    url = account.messaging_url if main is MESSAGES else account.voice_url
    result = run_twins(main, account, {'license_key': KEY, 'api_url': url, **args, 'retries': 1})
    assert (result['failed'], result['changed']) == (False, True) and waits == [0.5]
    [warning] = [each for each in result['warnings'] if 'earlier attempt' in each]
    assert warning.startswith(f'{label}: an earlier attempt may have reached the service without a complete answer (attempt 1: ')
    assert warning.endswith('so changed is true.') and (1001 if main is CALLS else M1) not in scheduled(account)


# ---------------------------------------------------------------- statuses: diff never decides, not found only when read

STATUS_KINDS = {'queue_id': (CALLS, 'queue_ids', QIDS[:3] + [9999], 'GetMultipleQueueIdStatus', 'QueueIDs'),
                'message_id': (MESSAGES, 'message_ids', MIDS[:3] + [ZERO], 'GetMessageStatus', 'MessageIDs')}


@pytest.mark.parametrize('fault', [{'type': 'respond', 'status': 500}, {'type': 'respond', 'status': 503}, {'type': 'drop'}])
@pytest.mark.parametrize('kind', STATUS_KINDS)
def test_a_failed_status_read_fails_check_mode_and_never_changes_a_real_run(account, kind, fault, waits):
    main, option, ids, operation, what = STATUS_KINDS[kind]
    seed = account.get_state()
    fault = {**fault, 'count': None, 'match': {'operation': operation}}
    account.add_faults(fault)
    args = bulk_args(account, kind, ids, retries=1)
    check, result = run_both(main, account, args, diff=True)
    assert check['failed'] is True and check['msg'].endswith('Check mode predicts from it; nothing was cancelled.')
    assert check['msg'].startswith(f'The status of 4 {what} could not be read ') and 'changed' not in check
    with_diff = cancelled_ids(account, kind)
    account.reset(seed)
    account.add_faults(fault)
    without = run_module(main, args)
    assert with_diff == cancelled_ids(account, kind) == set(ids[:3])  # the same cancellations, with --diff or without
    drop = ('warnings', 'diff', 'msg')  # the same result with --diff or without; no not_found_* either way
    assert {n: v for n, v in result.items() if n not in drop} == {n: v for n, v in without.items() if n not in drop}
    assert result['msg'] == f'{what} before and after: 3 unknown → Cancelled, 1 unknown.' and 'not_found_' + option not in result
    assert all(line.endswith('(unknown: the status read failed)') for line in result['diff']['before'].splitlines())
    [before, after] = [each for each in result['warnings'] if 'could not be read' in each]
    assert before.endswith('The diff shows their status before as unknown; the cancellation goes ahead.')
    assert after.endswith(f'not_found_{option} is left out of the result.') and without['warnings'] == [after]
