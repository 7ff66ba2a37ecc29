# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The event filter esendex.us.resolved_ids: what it lets through, whatever the notification."""

from __future__ import annotations

import json
import re
import runpy

import pytest
from hypothesis import given, settings, strategies as st

from conftest import FILTER

FILTER_MODULE = runpy.run_path(str(FILTER))  # as ansible-rulebook loads it
main = FILTER_MODULE['main']
REFERENCE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$')
MESSAGE_ID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
GUID = '9d0c4f2e-5a1b-4c3d-8e7f-000000000101'


def alert(status, reference_id=None, queue_ids=None, message_ids=None, **labels):
    if reference_id is not None:
        labels['esendex_reference_id'] = reference_id
    annotations = {key: value for key, value in (('esendex_queue_ids', queue_ids), ('esendex_message_ids', message_ids)) if value is not None}
    return {'status': status, 'labels': labels, 'annotations': annotations}


def reduce(*alerts, **extra):
    return main({'payload': dict({'version': '4', 'status': 'firing', 'alerts': list(alerts)}, **extra),
                 'meta': {'endpoint': 'x', 'headers': {'X-Note': '{{ 1 }}'}}})


def strings(value):
    """Yield every string (keys included) of a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_the_event_is_replaced_by_the_ids_of_the_resolved_alerts():
    event = reduce(alert('resolved', 'camp1', queue_ids='1001, 1002,', message_ids=GUID.upper()), alert('firing', 'camp9'))
    assert event == {'esendex': {
        'act': True, 'reference_ids': ['camp1'], 'queue_ids': [1001, 1002], 'message_ids': [GUID],
        'held_reference_ids': [], 'held_queue_ids': [], 'held_message_ids': [],
        'alerts': {'resolved': 1, 'firing': 1, 'rejected': 0, 'ignored': 0},
        'summary': ['to cancel: 1 reference ID, 2 QueueIDs, 1 MessageID'],
    }}


def test_an_id_that_a_firing_alert_also_carries_is_held_whatever_else_that_alert_holds():
    event = reduce(alert('firing', 'camp2', queue_ids='not-a-number'), alert('resolved', 'camp2'), alert('resolved', 'camp3', queue_ids='7'),
                   alert('firing', queue_ids='7'))['esendex']
    assert (event['reference_ids'], event['held_reference_ids'], event['queue_ids'], event['held_queue_ids']) == (['camp3'], ['camp2'], [], [7])
    assert 'held reference ID camp2: a firing alert of this notification still carries it, so it is not cancelled' in event['summary']


@pytest.mark.parametrize('bad', [
    {'reference_id': 'camp 1'}, {'reference_id': '-camp'}, {'reference_id': 'a' * 101}, {'reference_id': 'camp\u00e9'},
    {'reference_id': "{{ 'camp' ~ '1' }}"}, {'reference_id': 7}, {'queue_ids': '0'}, {'queue_ids': str(2 ** 63)},
    {'queue_ids': '12a'}, {'queue_ids': '\u0661\u0662'}, {'queue_ids': '-5'}, {'message_ids': '{' + GUID + '}'},
    {'message_ids': GUID.replace('-', '')}, {'queue_ids': ','.join(['1'] * 1001)},
], ids=repr)
def test_an_alert_with_an_id_that_fails_validation_contributes_nothing(bad):
    event = reduce(alert('resolved', **dict({'reference_id': 'camp1'}, **bad)))['esendex']
    assert not event['act'] and event['reference_ids'] == event['queue_ids'] == event['message_ids'] == []
    assert event['alerts']['rejected'] == 1 and event['summary'][0].startswith('rejected alert 1 (resolved): ')


@pytest.mark.parametrize('payload', [None, 'text', [], {'alerts': 'x'}, {'status': 'resolved'}, {'alerts': [None, 'x', 5]}])
def test_a_payload_that_is_not_a_notification_cancels_nothing(payload):
    event = main({'payload': payload})['esendex']
    assert not event['act'] and event['summary'][-1] == 'nothing to cancel'


def test_alerts_without_ids_and_alerts_of_another_status_are_ignored():
    event = reduce(alert('resolved', alertname='x'), alert('pending', 'camp1'), alert('firing'))['esendex']
    assert event['alerts'] == {'resolved': 0, 'firing': 0, 'rejected': 0, 'ignored': 3} and not event['act']


def test_the_generic_format_reads_one_object_with_lists():
    payload = {'status': 'resolved', 'esendex_reference_ids': ['a1', 'a1', 'b2'], 'esendex_queue_ids': [5, '6'],
               'esendex_message_ids': GUID}
    event = main({'payload': payload}, format='generic')['esendex']
    assert (event['reference_ids'], event['queue_ids'], event['message_ids']) == (['a1', 'b2'], [5, 6], [GUID])
    assert not main({'payload': dict(payload, status='firing')}, format='generic')['esendex']['act']
    assert not main({'payload': dict(payload, esendex_queue_ids=[True])}, format='generic')['esendex']['act']


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4), max_leaves=12)
id_like = st.one_of(st.text(), st.from_regex(REFERENCE_ID, fullmatch=True), st.sampled_from(['camp1', 'camp2', '{{ x }}', '%s', '1001']),
                    st.integers(), json_values)
listish = st.one_of(st.text(), st.lists(id_like, max_size=5), st.from_regex(r'\A[0-9 ,]{0,40}\Z'), json_values,
                    st.just('1001, 1002'), st.just(GUID + ',' + GUID.upper()))
alerts = st.lists(st.fixed_dictionaries({
    'status': st.sampled_from(['firing', 'resolved', 'pending', None]) | st.text(max_size=3),
    'labels': st.dictionaries(st.sampled_from(['esendex_reference_id', 'alertname']), id_like, max_size=2) | json_values,
    'annotations': st.dictionaries(st.sampled_from(['esendex_queue_ids', 'esendex_message_ids', 'summary']), listish, max_size=3),
}), max_size=6)


def check_output(event, payload_alerts):
    assert set(event) == {'esendex'}
    out = event['esendex']
    for item in out['reference_ids'] + out['held_reference_ids']:
        assert isinstance(item, str) and REFERENCE_ID.match(item)
    for item in out['queue_ids'] + out['held_queue_ids']:
        assert isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 2 ** 63 - 1
    for item in out['message_ids'] + out['held_message_ids']:
        assert isinstance(item, str) and MESSAGE_ID.match(item)
    for text in strings(out):
        assert not set(text) & set('{}%'), text
        assert text.isascii()
    assert out['act'] == bool(out['reference_ids'] or out['queue_ids'] or out['message_ids'])
    assert json.loads(json.dumps(event)) == event
    for kind in ('reference_ids', 'queue_ids', 'message_ids'):
        assert not set(map(str, out[kind])) & set(map(str, out['held_' + kind]))


@settings(max_examples=300, deadline=None)
@given(alerts)
def test_whatever_the_notification_only_strict_ids_and_no_template_characters_get_through(payload_alerts):
    check_output(main({'payload': {'alerts': payload_alerts}, 'meta': {'headers': {'x': '{{ 1 }}'}}}), payload_alerts)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_payload_in_either_format_gives_a_safe_event(payload):
    for fmt in ('alertmanager', 'generic'):
        check_output(main({'payload': payload}, format=fmt), [])


@settings(max_examples=200, deadline=None)
@given(alerts)
def test_firing_alerts_contribute_nothing(payload_alerts):
    resolved_only = [item for item in payload_alerts if item['status'] == 'resolved']
    with_firing = main({'payload': {'alerts': payload_alerts}})['esendex']
    without_firing = main({'payload': {'alerts': resolved_only}})['esendex']
    for kind in ('reference_ids', 'queue_ids', 'message_ids'):
        # adding firing (or other) alerts can only hold IDs back, never add one
        assert set(with_firing[kind]) <= set(without_firing[kind])
        assert set(with_firing[kind]) | set(with_firing['held_' + kind]) == set(without_firing[kind])
    firing_only = [item for item in payload_alerts if item['status'] != 'resolved']
    assert not main({'payload': {'alerts': firing_only}})['esendex']['act']


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(REFERENCE_ID, fullmatch=True), min_size=1, max_size=5), st.data())
def test_held_reference_ids_are_excluded(reference_ids, data):
    firing = data.draw(st.lists(st.sampled_from(reference_ids), max_size=len(reference_ids)))
    payload = [alert('resolved', item) for item in reference_ids] + [alert('firing', item) for item in firing]
    out = main({'payload': {'alerts': payload}})['esendex']
    assert set(out['held_reference_ids']) == set(firing)
    assert set(out['reference_ids']) == set(reference_ids) - set(firing)


def test_a_misspelled_format_is_an_error():
    with pytest.raises(ValueError, match='format must be alertmanager or generic'):
        main({'payload': {}}, format='prometheus')
