# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_cancel_messages run in-process against the emulator, every scenario with its check-mode twin."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest
import requests

from ansible_collections.esendex.us.plugins.module_utils import _common as common
from ansible_collections.esendex.us.plugins.module_utils._client import COLLECTION_VERSION
from ansible_collections.esendex.us.plugins.modules.esendex_cancel_messages import main
from ansible_collections.esendex.us.tests.unit.plugins.modules import utils
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import COMMON_INVALID, KEY, answer, json_bool, run_twins

OTHER_KEY = 'b81e4f07-6c2d-4a93-a5f1-0e9d7c3b2a64'


@pytest.fixture
def account(emulator):
    """The emulator with two scheduled messages on KEY (and one sent), and one on another account."""
    emulator.add_account(KEY, messages=[{'to': '+15550100'}, {'to': '+15550101'}, {'to': '+15550102', 'status': 'sent'}])
    emulator.add_account(OTHER_KEY, messages=[{'to': '+15550199'}])
    return emulator


def statuses(emulator, key: str = KEY) -> list:
    return [message['status'] for message in emulator.get_state()['accounts'][key]['messages']]


def test_cancel_then_rerun_changes_nothing(account):
    args = {'license_key': KEY, 'api_url': account.messaging_url}
    assert run_twins(main, account, args) == {'changed': True, 'cancelled': True, 'failed': False, 'warnings': []}
    assert statuses(account) == ['cancelled', 'cancelled', 'sent'] and statuses(account, OTHER_KEY) == ['scheduled']
    assert run_twins(main, account, args) == {'changed': False, 'cancelled': False, 'failed': False, 'warnings': []}
    assert [(entry['method'], entry['path'], entry['body']) for entry in account.requests()] == [
        ('POST', '/Messaging.svc/CancelAllMessages', f'"{KEY}"')] * 2


@pytest.mark.parametrize('args, env', [
    ({}, {'ESENDEX_LICENSE_KEY': KEY, 'ESENDEX_MESSAGING_API_URL': '{url}', 'ESENDEX_VOICE_API_URL': 'http://127.0.0.1:9/x'}),
    ({'license_key': KEY}, {'ESENDEX_MESSAGING_API_URL': '{url}/'}),
    ({'api_url': '{url}//'}, {'ESENDEX_LICENSE_KEY': KEY, 'ESENDEX_MESSAGING_API_URL': 'ftp://wrong.example/'}),
    ({'license_key': KEY, 'api_url': '{url}/'}, {'ESENDEX_LICENSE_KEY': 'not-this-one'}),
])
def test_environment_fallbacks_and_trailing_slashes(account, args, env):
    def fill(values):
        return {name: value.replace('{url}', account.messaging_url) for name, value in values.items()}

    assert run_twins(main, account, fill(args), fill(env))['cancelled'] is True
    assert [entry['path'] for entry in account.requests()] == ['/Messaging.svc/CancelAllMessages']


@pytest.mark.parametrize('override, option', COMMON_INVALID)
def test_invalid_options_fail_before_any_request(account, override, option):
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, **override}, invalid=True)
    assert option in result['msg'] and 'cancelled' not in result
    assert account.requests() == [] and statuses(account) == ['scheduled', 'scheduled', 'sent']


@pytest.mark.parametrize('url, warned', [
    (lambda em: 'http://esendex-unit-test.invalid/Messaging.svc', True),
    (lambda em: 'https://esendex-unit-test.invalid/Messaging.svc', False),
    (lambda em: em.messaging_url, False),
    (lambda em: em.messaging_url.replace('127.0.0.1', 'localhost'), False),
])
def test_clear_text_warning_only_off_loopback(account, url, warned):
    result = run_twins(main, account, {'license_key': KEY, 'api_url': url(account), 'retries': 0})
    assert sum('clear text' in warning for warning in result['warnings']) == int(warned)
    assert result['failed'] is ('invalid' in url(account))


@pytest.mark.parametrize('faults, options, text', [
    ([{'type': 'respond', 'status': 503, 'count': 9, 'headers': {'Retry-After': '0'}}], {'retries': 2}, 'failed after 3 attempts: HTTP 503'),
    ([{'type': 'respond', 'status': 500, 'body_template': 'Bad key {license_key}', 'count': 9}], {}, 'HTTP 500: Bad key ********'),
    ([{'type': 'respond', 'status': 200, 'body': '"true"', 'content_type': 'application/json'}], {}, 'expected the JSON literal true or false'),
    ([{'type': 'drop', 'process': True, 'count': 9}], {'retries': 1}, 'The failed request may have reached the service and cancelled messages.'),
    ([{'type': 'hang', 'seconds': 30, 'count': 9}], {'retries': 0, 'timeout': 0.3}, 'within 0.3 s'),
])
def test_service_failures_fail_cleanly(account, faults, options, text):
    account.add_faults(*faults)
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, **options})
    assert result['failed'] is True and text in result['msg'] and 'cancelled' not in result


def test_a_lost_answer_that_cancelled_warns_and_reports_changed(account):
    # issue 9 item 2: the lost first attempt cancelled both messages; the retry answers false, which is still `cancelled`
    account.add_faults({'type': 'truncate'})
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, 'retries': 1})
    assert (result['failed'], result['changed'], result['cancelled']) == (False, True, False)
    assert len(result['warnings']) == 1 and 'may have cancelled messages' in result['warnings'][0]
    assert 'so changed is true' in result['warnings'][0] and result['warnings'][0].startswith('CancelAllMessages: ')
    assert statuses(account) == ['cancelled', 'cancelled', 'sent']


def test_missing_requests_library_fails(account, monkeypatch):
    monkeypatch.setattr(common, 'REQUESTS_IMPORT_ERROR', 'Traceback (most recent call last): ImportError')
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url}, invalid=True, traceback=True)
    assert 'requests' in result['msg'] and 'ImportError' in result['exception']  # here the traceback helps


def test_collection_version_matches_galaxy_yml():
    galaxy = (Path(__file__).resolve().parents[4] / 'galaxy.yml').read_text(encoding='utf-8')
    assert [COLLECTION_VERSION] == re.findall(r'''^version:\s*['"]?([^\s'"#]+)''', galaxy, re.MULTILINE)


# ---------------------------------------------------------------- issue 9

@pytest.mark.parametrize('where', ['option', 'environment'])
@pytest.mark.parametrize('key', [KEY + '\n', f'  {KEY}\r\n', f'\t{KEY.upper()} '])
def test_a_key_with_white_space_around_it_is_stripped_and_masked(account, key, where):
    # issue 9 item 5: `echo KEY | ansible-vault encrypt_string` leaves a trailing newline
    args, env = ({'license_key': key}, {}) if where == 'option' else ({}, {'ESENDEX_LICENSE_KEY': key})
    result = run_twins(main, account, {'api_url': account.messaging_url, **args}, env)
    assert result == {'changed': True, 'cancelled': True, 'failed': False, 'warnings': []}
    assert [entry['body'] for entry in account.requests()] == [f'"{key.strip()}"']
    assert key.strip() in utils.MODULES[-1].no_log_values  # Ansible masks only the value as given; the stripped one too


@pytest.mark.parametrize('password', ['True', 'true', '1', 'false'])
def test_a_short_password_in_api_url_does_not_corrupt_the_answer(account, password):
    # issue 9 item 1: `http://ops:True@HOST` gave "expected the JSON literal ******** or false"
    args = {'license_key': KEY, 'api_url': account.messaging_url.replace('http://', f'http://ops:{password}@', 1)}
    assert run_twins(main, account, args) == {'changed': True, 'cancelled': True, 'failed': False, 'warnings': []}
    assert password in utils.MODULES[-1].no_log_values
    assert run_twins(main, account, args) == {'changed': False, 'cancelled': False, 'failed': False, 'warnings': []}


@pytest.mark.parametrize('fault', [
    {'type': 'respond', 'status': 502, 'body': 'Bad Gateway'},
    {'type': 'respond', 'status': 504, 'body': 'Gateway Timeout'},
    {'type': 'drop', 'process': False},
])
def test_an_earlier_unknown_outcome_with_a_final_false_is_changed(emulator, fault, waits):
    # issue 9 item 2: the final answer says nothing was cancelled, but the lost attempt may have: changed, and a warning
    emulator.add_account(KEY)
    emulator.add_faults(fault)
    result = run_twins(main, emulator, {'license_key': KEY, 'api_url': emulator.messaging_url, 'retries': 1})
    assert (result['failed'], result['changed'], result['cancelled']) == (False, True, False)
    [warning] = result['warnings']
    assert warning.startswith('CancelAllMessages: an earlier attempt may have reached the service without a complete answer (attempt 1: ')
    assert waits == [0.5]


def test_a_cut_excerpt_keeps_its_dots(account):
    # issue 9 item 8: sentence() no longer strips the '...' of a cut excerpt
    account.add_faults({'type': 'respond', 'status': 500, 'body': 'E' * 500, 'count': 2})
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url})
    assert result['failed'] is True and result['msg'].endswith(f"HTTP 500: {'E' * 197}...")


def test_a_dead_proxy_is_named(account, monkeypatch, waits):
    # issue 9 item 3
    proxy = 'http://127.0.0.1:{}'.format(closed_port())
    for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('http_proxy', proxy)
    result = run_twins(main, account, {'license_key': KEY, 'api_url': 'http://esendex-unit-test.invalid/Messaging.svc', 'retries': 1})
    assert result['failed'] is True and result['msg'] == (
        'CancelAllMessages at esendex-unit-test.invalid failed after 2 attempts: could not connect through the proxy '
        f"'{proxy}' to esendex-unit-test.invalid: Connection refused.")
    assert waits == [0.5] and account.requests() == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- 1.1.0: message_ids (issue 11)

M1, M2, M3, M4 = ('6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38', '0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75',
                  'c3a7e912-54b0-4d6f-8e21-7f9b0a3d5c16', '9e2d4b70-1f83-4c5a-a6e9-2b7c0d8f3e41')


def ids_args(emulator, message_ids, **options) -> dict:
    return {'license_key': KEY, 'api_url': emulator.messaging_url, 'message_ids': message_ids, **options}


def cancel_message_requests(emulator) -> list:
    """The MessageIDs posted, in order; each request is CancelMessage's exact form and carries no part of the key."""
    log = emulator.requests()
    for entry in log:
        headers = {name.lower(): value for name, value in entry['headers'].items()}
        assert (entry['method'], entry['path'], entry['query']) == ('POST', '/Messaging.svc/CancelMessage', '')
        assert headers['content-type'] == 'application/json' and headers['accept'] == 'application/json'
        assert not utils.leaks(json.dumps(entry), KEY) and not utils.leaks(json.dumps(entry), KEY.replace('-', ''))
    return [json.loads(entry['body']) for entry in log]


def ids_check(n: int) -> dict:
    """Check mode with n distinct message IDs: nothing is sent, changed, and the message says why."""
    return {'changed': True, 'failed': False, 'msg': (
        'Check mode: no request was sent. The Messaging API cannot preview a cancellation, and its only status read takes '
        'the license key in the URL, which this collection never does; changed is true because each of the '
        f'{n} MessageIDs would be cancelled if it is still scheduled.')}


def test_message_ids_cancel_each_distinct_id_once_and_never_all(emulator):
    emulator.add_faults(json_bool(True), json_bool(False), json_bool(True))
    given = [M1, M2.upper(), f' {M3}\n', M1.upper(), M2]
    result = run_twins(main, emulator, ids_args(emulator, given, concurrency=1), check=ids_check(3))
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_message_id': {M1: True, M2.upper(): False, M3: True}}
    assert list(result['cancelled_by_message_id']) == [M1, M2.upper(), M3]  # input order, as given, without white space
    assert cancel_message_requests(emulator) == [M1, M2.upper(), M3]  # the JSON string of each, never CancelAllMessages
    assert [entry['body'] for entry in emulator.requests()] == [f'"{M1}"', f'"{M2.upper()}"', f'"{M3}"']


@pytest.mark.parametrize('concurrency', [1, 4, 16])
def test_message_ids_come_back_in_input_order_whatever_the_concurrency(emulator, concurrency):
    ids = [M1, M2, M3, M4]
    emulator.add_faults(json_bool(True, count=4))
    result = run_twins(main, emulator, ids_args(emulator, ids, concurrency=concurrency), check=ids_check(4))
    assert list(result['cancelled_by_message_id'].items()) == [(mid, True) for mid in ids] and result['cancelled_count'] == 4
    assert sorted(cancel_message_requests(emulator)) == sorted(ids)


def test_message_ids_nothing_left_to_cancel_is_not_changed(emulator):
    emulator.add_faults(json_bool(False, count=2))
    result = run_twins(main, emulator, ids_args(emulator, [M1, M2]), check=ids_check(2))
    assert result == {'changed': False, 'failed': False, 'warnings': [], 'cancelled_count': 0,
                      'cancelled_by_message_id': {M1: False, M2: False}}


@pytest.mark.parametrize('given', [{'message_id': M4}, {'message_ids': M4}, {'message_ids': [M4]}])
def test_the_alias_and_a_single_string(emulator, given):
    emulator.add_faults(json_bool(True))
    result = run_twins(main, emulator, {'license_key': KEY, 'api_url': emulator.messaging_url, **given}, check=ids_check(1))
    assert (result['changed'], result['cancelled_by_message_id']) == (True, {M4: True}) and cancel_message_requests(emulator) == [M4]


def test_an_empty_list_sends_nothing_and_never_means_all(account):
    empty = 'message_ids is empty: no request was sent. An empty list never means "all messages".'
    result = run_twins(main, account, ids_args(account, []), check={'changed': False, 'failed': False, 'msg': empty})
    assert result == {'changed': False, 'failed': False, 'warnings': [], 'msg': empty, 'cancelled_count': 0, 'cancelled_by_message_id': {}}
    assert account.requests() == [] and statuses(account) == ['scheduled', 'scheduled', 'sent']


@pytest.mark.parametrize('message_ids, where', [
    (['not-a-guid'], "message_ids item 1 is 'not-a-guid', not a MessageID"),
    ([M1, f'{{{M2}}}'], f"message_ids item 2 is '{{{M2}}}', not a MessageID"),
    ([M1, M2, M3.replace('-', '')], 'message_ids item 3 is '),
    ([M1, ''], "message_ids item 2 is '', not a MessageID"),
    ([M1, f'{M2}\x1b[0m'], 'message_ids item 2 is a str, not a MessageID'),
    ([12345], "message_ids item 1 is '12345', not a MessageID"),
    (['x' * 10000], "message_ids item 1 is '" + 'x' * 57 + "...', not a MessageID"),
    ('a,b', "message_ids item 1 is 'a', not a MessageID"),
])
def test_invalid_message_ids_fail_before_any_request(account, message_ids, where):
    result = run_twins(main, account, ids_args(account, message_ids), invalid=True)
    assert result['msg'].startswith(where) and len(result['msg']) < 250 and 'cancelled_count' not in result
    assert account.requests() == [] and statuses(account) == ['scheduled', 'scheduled', 'sent']


@pytest.mark.parametrize('override, option', COMMON_INVALID + [({'concurrency': 0}, 'concurrency'), ({'concurrency': 17}, 'concurrency')])
def test_invalid_common_options_with_message_ids_fail_before_any_request(account, override, option):
    result = run_twins(main, account, {**ids_args(account, [M1]), **override}, invalid=True)
    assert option in result['msg'] and 'cancelled_count' not in result and account.requests() == []


def test_a_failure_reports_the_messages_cancelled_before_it(emulator):
    emulator.add_faults(json_bool(True), answer('CancelMessage', 'Server Error', status=500, content_type='text/plain'),
                        json_bool(False, count=9))
    result = run_twins(main, emulator, ids_args(emulator, [M1, M2, M3, M4], concurrency=1), check=ids_check(4))
    assert result == {'changed': True, 'failed': True, 'warnings': [], 'cancelled_count': 1, 'cancelled_by_message_id': {M1: True},
                      'msg': f"cancelling message ID '{M2}' failed: CancelMessage at 127.0.0.1:{emulator.port} failed: HTTP 500: "
                             'Server Error. 1 of 4 message IDs were answered (1 messages cancelled), 2 not attempted.'}
    assert cancel_message_requests(emulator) == [M1, M2]  # nothing new starts after the failure


def test_a_failure_in_flight_reports_every_answer_received(emulator):
    emulator.add_faults(json_bool(True), answer('CancelMessage', 'Server Error', status=500, content_type='text/plain'),
                        json_bool(True, count=9))
    ids = [M1, M2, M3, M4]
    result = run_twins(main, emulator, ids_args(emulator, ids, concurrency=3), check=ids_check(4))
    log = emulator.requests()
    [failed] = [json.loads(entry['body']) for entry in log if entry['status'] == 500]
    answered = [mid for mid in ids if mid in {json.loads(entry['body']) for entry in log if entry['status'] == 200}]
    # each worker may take another ID while no failure has come back: 2 to 4 requests, however the threads were scheduled
    assert 2 <= len(log) <= 4 and len(answered) == len(log) - 1
    assert (result['failed'], result['changed'], result['cancelled_count']) == (True, True, len(answered))
    assert result['cancelled_by_message_id'] == dict.fromkeys(answered, True)  # no cancellation goes unreported, in input order
    assert result['msg'].startswith(f"cancelling message ID '{failed}' failed: ")
    assert result['msg'].endswith(f'{len(answered)} of 4 message IDs were answered ({len(answered)} messages cancelled), {4 - len(log)} not attempted.')


@pytest.mark.parametrize('fault, text', [
    (answer('CancelMessage', '"true"', content_type='application/json'), 'expected the JSON literal true or false, got \'"true"\''),
    (answer('CancelMessage', '<boolean xmlns="http://schemas.microsoft.com/2003/10/Serialization/">true</boolean>',
            content_type='application/xml'), 'expected the JSON literal true or false'),
    (answer('CancelMessage', 'Bad key {license_key}', status=500, count=9), 'HTTP 500: Bad key '),
    (answer('CancelMessage', 'Service Unavailable', status=503, count=9), 'failed after 4 attempts: HTTP 503: Service Unavailable'),
])
def test_bad_answers_to_cancel_message_fail_cleanly(emulator, fault, text, waits):
    emulator.add_faults(fault)
    result = run_twins(main, emulator, ids_args(emulator, [M1]), check=ids_check(1))
    assert result['failed'] is True and text in result['msg'] and (result['cancelled_count'], result['cancelled_by_message_id']) == (0, {})
    assert 'CancelAllMessages' not in json.dumps(emulator.requests())


def test_a_lost_answer_to_cancel_message_is_changed_with_a_warning(emulator, waits):
    emulator.add_faults({'type': 'drop', 'match': {'path_contains': '/CancelMessage'}}, json_bool(False))
    result = run_twins(main, emulator, ids_args(emulator, [M1], retries=1), check=ids_check(1))
    assert (result['failed'], result['changed'], result['cancelled_count'], result['cancelled_by_message_id']) == (False, True, 0, {M1: False})
    [warning] = result['warnings']
    assert warning.startswith(f"Message ID '{M1}': an earlier attempt may have reached the service") and 'may have cancelled messages' in warning
    assert waits == [0.5] and cancel_message_requests(emulator) == [M1, M1]


def test_a_lost_answer_warns_even_when_the_retry_cancels(account, waits):
    # the lost first attempt was never processed, the retry cancels: changed from the answer, and still the warning
    account.add_faults({'type': 'drop', 'process': False})
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, 'retries': 1})
    assert (result['failed'], result['changed'], result['cancelled']) == (False, True, True)
    [warning] = result['warnings']
    assert warning.startswith('CancelAllMessages: an earlier attempt may have reached the service without a complete answer (attempt 1: ')
    assert statuses(account) == ['cancelled', 'cancelled', 'sent'] and waits == [0.5]


def test_a_lost_answer_to_cancel_message_warns_even_when_the_retry_cancels(emulator, waits):
    emulator.add_faults({'type': 'drop', 'match': {'path_contains': '/CancelMessage'}}, json_bool(True))
    result = run_twins(main, emulator, ids_args(emulator, [M1], retries=1), check=ids_check(1))
    assert (result['failed'], result['changed'], result['cancelled_count'], result['cancelled_by_message_id']) == (False, True, 1, {M1: True})
    [warning] = result['warnings']
    assert warning.startswith(f"Message ID '{M1}': an earlier attempt may have reached the service")


@pytest.mark.parametrize('concurrency', [1, 8, 16])
def test_concurrency_is_a_common_option(account, concurrency):
    # issue 9 item 12 and issue 11: `concurrency` for the whole group/esendex.us.esendex broke this module
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, 'concurrency': concurrency})
    assert result == {'changed': True, 'cancelled': True, 'failed': False, 'warnings': []}


@pytest.mark.parametrize('concurrency', [0, 17, -1])
def test_concurrency_out_of_range_fails_before_any_request(account, concurrency):
    result = run_twins(main, account, {'license_key': KEY, 'api_url': account.messaging_url, 'concurrency': concurrency}, invalid=True)
    assert result['msg'] == f'concurrency must be from 1 to 16, got {concurrency}.' and account.requests() == []


# ---------------------------------------------------------------- 1.1.0 against the emulator's state: exactly those messages

M5, M6 = '2d8f6a41-b3c9-4e07-9a5d-e1f4c7b02a96', '7a0e3c5b-d2f1-4b89-8c64-5f1a9e2d0b37'  # another account's; unknown


@pytest.fixture
def messages(emulator):
    """KEY's messages M1, M2 (scheduled), M3 (sent), M4 (queued); OTHER_KEY's M5 (scheduled)."""
    emulator.add_account(KEY, messages=[{'id': M1}, {'id': M2}, {'id': M3, 'status': 'sent'}, {'id': M4, 'status': 'queued'}])
    emulator.add_account(OTHER_KEY, messages=[{'id': M5}])
    return emulator


def message_statuses(emulator) -> dict:
    return {m['id']: m['status'] for account in emulator.get_state()['accounts'].values() for m in account['messages']}


@pytest.mark.parametrize('concurrency', [1, 4])
def test_message_ids_cancel_exactly_those_messages(messages, concurrency):
    before = message_statuses(messages)
    messages.add_faults({'type': 'delay', 'seconds': 0.1})  # with concurrency, the first to arrive finishes last
    ids = [M1, M3.upper(), M4, M5, M6]
    args = ids_args(messages, ids, concurrency=concurrency)
    result = run_twins(main, messages, args, check=ids_check(5))
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 2,
                      'cancelled_by_message_id': {M1: True, M3.upper(): False, M4: False, M5: True, M6: False}}
    assert list(result['cancelled_by_message_id']) == ids
    # M2 stays scheduled: never CancelAllMessages. M5 is another account's: CancelMessage takes no key (documented)
    assert message_statuses(messages) == {**before, M1: 'cancelled', M5: 'cancelled'}
    assert sorted(cancel_message_requests(messages)) == sorted(ids)
    assert run_twins(main, messages, args, check=ids_check(5)) == {
        'changed': False, 'failed': False, 'warnings': [], 'cancelled_count': 0, 'cancelled_by_message_id': dict.fromkeys(ids, False)}


def test_a_failure_targeted_at_one_message_id_leaves_nothing_unreported(messages):
    messages.add_faults({'type': 'respond', 'status': 500, 'body': 'Server Error', 'match': {'operation': 'CancelMessage', 'message_id': M4}})
    ids = [M1, M2, M4, M5, M3]
    result = run_twins(main, messages, ids_args(messages, ids, concurrency=4), check=ids_check(5))
    cancelled = {c['message_id']: bool(c['count']) for c in messages.cancellations()}
    assert M4 not in cancelled and result['cancelled_by_message_id'] == {mid: cancelled[mid] for mid in ids if mid in cancelled}
    assert result['failed'] is True and result['msg'].startswith(f"cancelling message ID '{M4}' failed: ")
    assert result['cancelled_count'] == sum(cancelled.values()) and result['changed'] is (result['cancelled_count'] > 0)


def test_schedule_with_send_message_then_cancel_by_the_message_ids_it_returned(messages):
    # what a user's playbook does: SendMessage (its own task, not this collection's) returns one MessageID per recipient
    future = f'/Date({(int(time.time()) + 86400) * 1000})/'
    answer_ = requests.post(f'{messages.messaging_url}/SendMessage', timeout=10, json={
        'LicenseKey': KEY, 'To': ['+15550100', '+15550101', '+15550102'], 'Body': 'Maintenance at 02:00', 'ScheduledDateTime': future})
    sent_ids = [item['MessageID'] for item in answer_.json()]
    messages.clear_requests()
    result = run_twins(main, messages, ids_args(messages, sent_ids[:2]), check=ids_check(2))
    assert result['cancelled_by_message_id'] == dict.fromkeys(sent_ids[:2], True)
    statuses_now = message_statuses(messages)
    assert [statuses_now[mid] for mid in sent_ids] == ['cancelled', 'cancelled', 'scheduled'] and statuses_now[M2] == 'scheduled'


def test_diff_mode_changes_nothing_for_messages(messages):
    # the Messaging API has no status read this collection may use, so there is no diff to give
    result = run_twins(main, messages, ids_args(messages, [M1]), diff=True, check=ids_check(1))
    assert result == {'changed': True, 'failed': False, 'warnings': [], 'cancelled_count': 1, 'cancelled_by_message_id': {M1: True}}
