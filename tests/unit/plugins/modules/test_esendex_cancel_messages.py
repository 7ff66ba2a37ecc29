# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""esendex_cancel_messages run in-process against the emulator, every scenario with its check-mode twin."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from ansible_collections.esendex.us.plugins.module_utils import _common as common
from ansible_collections.esendex.us.plugins.module_utils._client import COLLECTION_VERSION
from ansible_collections.esendex.us.plugins.modules.esendex_cancel_messages import main
from ansible_collections.esendex.us.tests.unit.plugins.modules import utils
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import COMMON_INVALID, KEY, run_twins

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
