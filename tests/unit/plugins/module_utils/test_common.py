# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_common without HTTP: the one place errors become fail_json, the lost-answer rule, tallies and sentences."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.esendex.us.plugins.module_utils._client import (
    Answer,
    EsendexBulkError,
    EsendexHTTPError,
    EsendexInputError,
    EsendexTransportError,
    Item,
)
from ansible_collections.esendex.us.plugins.module_utils._common import doubt, run, sentence, tally
from ansible_collections.esendex.us.tests.unit.plugins.modules.utils import depth


class Exited(Exception):
    """Raised by the fake module's exit_json and fail_json."""


class FakeModule:
    """Records warnings, and each exit_json/fail_json with the exception being handled when it was called."""

    def __init__(self) -> None:
        self.warnings, self.calls = [], []

    def warn(self, warning: str) -> None:
        self.warnings.append(warning)

    def exit_json(self, **result) -> None:
        self.calls.append(('exit_json', result, sys.exc_info()))
        raise Exited()

    def fail_json(self, **result) -> None:
        self.calls.append(('fail_json', result, sys.exc_info()))
        raise Exited()


def ran(work, result_keys=None, noun='calls') -> tuple:
    """run() with a fake module; return (function called, its arguments, the exception pending then)."""
    module = FakeModule()
    with pytest.raises(Exited):
        run(module, work, result_keys or {'queue ID': 'cancelled_by_queue_id'}, noun)
    [call] = module.calls
    return call


def raises(error):
    def work():
        raise error
    return work


# ---------------------------------------------------------------- run: the one place errors become fail_json (issue 9 item 7)

def test_success_exits_with_the_result():
    assert ran(lambda: {'changed': True, 'cancelled_count': 2}) == ('exit_json', {'changed': True, 'cancelled_count': 2}, (None, None, None))


@pytest.mark.parametrize('error, msg', [
    (EsendexInputError('timeout must be a number of seconds greater than 0, got 0.0'),
     'timeout must be a number of seconds greater than 0, got 0.0.'),
    (EsendexHTTPError('CancelNotify at h failed: HTTP 500: Server Error', 500), 'CancelNotify at h failed: HTTP 500: Server Error.'),
    (EsendexTransportError('x failed: the connection to h was dropped', True),
     'x failed: the connection to h was dropped. The failed request may have reached the service and cancelled calls.'),
])
def test_an_understood_failure_fails_outside_the_except_block_without_a_traceback(error, msg):
    function, result, pending = ran(raises(error))
    assert (function, result, pending) == ('fail_json', {'msg': msg}, (None, None, None))


def test_a_failed_bulk_run_reports_what_was_answered():
    items = [Item('queue ID', qid, None) for qid in (1, 2, 3, 4, 5)]
    done = [(items[0], Answer(True)), (items[2], Answer(False))]
    error = EsendexBulkError("cancelling queue ID '2' failed: HTTP 500: Server Error", done, [(items[1], EsendexHTTPError('x', 500))],
                             items[3:], False)
    function, result, pending = ran(raises(error))
    assert (function, pending) == ('fail_json', (None, None, None))
    assert result == {'msg': "cancelling queue ID '2' failed: HTTP 500: Server Error. 2 of 5 queue IDs were answered (1 calls cancelled), "
                             '2 not attempted.', 'changed': True, 'cancelled_count': 1, 'cancelled_by_queue_id': {'1': True, '3': False}}


@pytest.mark.parametrize('text, expected', [
    ('done', 'done.'),
    ('done.', 'done.'),
    ("HTTP 500: '" + 'x' * 57 + "...", "HTTP 500: '" + 'x' * 57 + '...'),  # issue 9 item 8: a cut excerpt keeps its dots
    ('HTTP 500: Request Error...', 'HTTP 500: Request Error...'),
    ('a. b', 'a. b.'),
])
def test_sentence(text, expected):
    assert sentence(text) == expected


# ---------------------------------------------------------------- a lost answer (issue 9 item 2)

NOTES = ['attempt 1: no answer from h:1 within 30 s', 'attempt 2: HTTP 504: Gateway Timeout']


@pytest.mark.parametrize('value, notes, changed', [
    (0, NOTES[:1], True),  # the final answer says nothing: the lost attempt may have cancelled it
    (False, NOTES, True),
    (3, NOTES[:1], False),  # the answer counts a cancellation already: changed comes from it
    (True, NOTES[:1], False),
    (0, [], False),
    (False, [], False),
])
def test_doubt(value, notes, changed):
    module = FakeModule()
    assert doubt(module, "Reference ID 'x'", Answer(value, len(notes) + 1, list(notes)), 'calls') is changed
    if notes:
        [warning] = module.warnings
        assert warning.startswith("Reference ID 'x': an earlier attempt may have reached the service without a complete answer (")
        assert all(note in warning for note in notes) and 'may have cancelled calls' in warning
        assert depth(warning) == 1  # issue 9 item 8: one level of parentheses
    else:
        assert module.warnings == []


def test_tally_counts_both_lists_in_input_order():
    keys = {'reference ID': 'cancelled_by_reference_id', 'queue ID': 'cancelled_by_queue_id'}
    done = [(Item('reference ID', 'b', None), Answer(3)), (Item('reference ID', 'a', None), Answer(0)),
            (Item('queue ID', 9223372036854775807, None), Answer(True)), (Item('queue ID', 12, None), Answer(False)),
            (Item('queue ID', 7, None), Answer(True))]
    module = FakeModule()
    result = tally(module, done, keys, 'calls')
    assert result == {'changed': True, 'cancelled_count': 5, 'cancelled_by_reference_id': {'b': 3, 'a': 0},
                      'cancelled_by_queue_id': {'9223372036854775807': True, '12': False, '7': True}}
    assert list(result['cancelled_by_queue_id']) == ['9223372036854775807', '12', '7'] and list(result['cancelled_by_reference_id']) == ['b', 'a']
    assert module.warnings == []


@pytest.mark.parametrize('done, changed', [
    ([], False),
    ([(Item('queue ID', 1, None), Answer(False))], False),
    ([(Item('queue ID', 1, None), Answer(False, 2, ['attempt 1: HTTP 502: Bad Gateway']))], True),
])
def test_tally_gives_every_key_asked_for_even_with_nothing_answered(done, changed):
    module = FakeModule()
    keys = {'reference ID': 'cancelled_by_reference_id', 'queue ID': 'cancelled_by_queue_id'}
    result = tally(module, done, keys, 'calls')
    assert result['cancelled_by_reference_id'] == {} and result['cancelled_count'] == 0 and result['changed'] is changed
    assert len(module.warnings) == int(changed)


@pytest.mark.parametrize('kind, label', [('reference ID', "Reference ID 'x'"), ('queue ID', "Queue ID 'x'"), ('message ID', "Message ID 'x'")])
def test_a_doubtful_answer_is_named_by_its_kind_of_id(kind, label):
    module = FakeModule()
    tally(module, [(Item(kind, 'x', None), Answer(0, 2, ['attempt 1: HTTP 502: Bad Gateway']))], {kind: 'by_id'}, 'calls')
    assert module.warnings[0].startswith(label + ': ')
