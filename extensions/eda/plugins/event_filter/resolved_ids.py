# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Event filter esendex.us.resolved_ids: reduce a notification to the validated IDs of its resolved alerts.

The event that leaves this filter holds only IDs that matched a strict pattern, counts, and sentences built from
fixed text and those IDs: no string of the notification (labels, annotations, headers, endpoint) gets through, so
nothing a rulebook or a playbook could evaluate as a template ever reaches them.
"""

from __future__ import annotations

import re

DOCUMENTATION = r"""
---
short_description: Reduce a notification to the validated Esendex IDs of its resolved alerts.
description:
  - Replaces the whole event (payload and meta) with C(esendex), which holds only the IDs to cancel that passed
    validation, the IDs held back and why, and a summary. Nothing else of the notification is kept.
  - Only alerts with status C(resolved) contribute IDs. An ID that a C(firing) alert of the same notification also
    carries is held back (its calls or messages are still needed).
  - An alert whose label or annotations hold an ID that is not valid contributes nothing at all.
  - Reference IDs must match C(^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$); QueueIDs are ASCII digits from 1 to
    9223372036854775807; MessageIDs are GUIDs in the form 8-4-4-4-12 hexadecimal digits (returned in lower case).
options:
  format:
    description:
      - C(alertmanager) reads an Alertmanager webhook notification (version 4) from the event's C(payload) - the
        label C(esendex_reference_id) and the comma-separated annotations C(esendex_queue_ids) and
        C(esendex_message_ids) of each alert in C(alerts).
      - C(generic) reads one JSON object with C(status) and the lists C(esendex_reference_ids),
        C(esendex_queue_ids), C(esendex_message_ids) (JSON arrays, or comma-separated strings).
    type: str
    default: alertmanager
    choices: [alertmanager, generic]
"""

EXAMPLES = r"""
- eda.builtin.webhook:
    host: 127.0.0.1
    port: 5000
    token: "{{ webhook_token }}"
  filters:
    - esendex.us.resolved_ids:
"""

REFERENCE_ID = re.compile(r'[A-Za-z0-9][A-Za-z0-9._:-]{0,99}')
QUEUE_ID = re.compile(r'[0-9]{1,19}')
MESSAGE_ID = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
MAX_QUEUE_ID = 2 ** 63 - 1
MAX_ALERTS = 1000  # more than Alertmanager groups by default; the rest are counted and reported, never read
MAX_IDS = 1000  # per list of one alert
KINDS = ('reference_ids', 'queue_ids', 'message_ids')
NOUNS = {'reference_ids': 'reference ID', 'queue_ids': 'QueueID', 'message_ids': 'MessageID'}
WHERE = {
    'alertmanager': {'reference_ids': 'label esendex_reference_id', 'queue_ids': 'annotation esendex_queue_ids',
                     'message_ids': 'annotation esendex_message_ids'},
    'generic': {kind: 'esendex_' + kind for kind in KINDS},
}


class Invalid(ValueError):
    """An ID or a list of IDs of an alert that does not pass validation; the message names where, never the value."""


def _items(value, where):
    """Return the items of a list, or of a comma-separated string, of IDs (white space around each removed)."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(',')]
        items = [item for item in items if item]
    elif isinstance(value, list):
        items = value
    else:
        raise Invalid(f'{where} is neither a list nor a string')
    if len(items) > MAX_IDS:
        raise Invalid(f'{where} holds more than {MAX_IDS} IDs')
    return items


def _reference_id(item, where):
    if isinstance(item, str) and item.isascii() and REFERENCE_ID.fullmatch(item):
        return item
    raise Invalid(f'{where} is not a valid reference ID')


def _queue_id(item, where):
    if isinstance(item, int) and not isinstance(item, bool):
        number = item
    elif isinstance(item, str) and item.isascii() and QUEUE_ID.fullmatch(item):
        number = int(item)
    else:
        raise Invalid(f'{where} holds an item that is not a QueueID')
    if not 1 <= number <= MAX_QUEUE_ID:
        raise Invalid(f'{where} holds a QueueID out of range')
    return number


def _message_id(item, where):
    if isinstance(item, str) and item.isascii() and MESSAGE_ID.fullmatch(item):
        return item.lower()
    raise Invalid(f'{where} holds an item that is not a MessageID (GUID)')


CHECKS = {'reference_ids': _reference_id, 'queue_ids': _queue_id, 'message_ids': _message_id}


def _unique(items):
    return list(dict.fromkeys(items))


def _alert_ids(raw, where):
    """Return ({kind: [validated IDs]}, [errors]) of one alert from {kind: raw value or None}; a bad list counts as empty."""
    ids, errors = {kind: [] for kind in KINDS}, []
    for kind in KINDS:
        value = raw.get(kind)
        try:
            if value is None:
                continue
            if kind == 'reference_ids' and where[kind].startswith('label'):
                ids[kind] = [_reference_id(value, where[kind])]
            else:
                ids[kind] = _unique(CHECKS[kind](item, where[kind]) for item in _items(value, where[kind]))
        except Invalid as exc:
            errors.append(str(exc))
    return ids, errors


def _alertmanager_alerts(payload):
    """Yield (status, {kind: raw value}) for each alert of an Alertmanager notification; raise Invalid for a bad one."""
    alerts = payload.get('alerts') if isinstance(payload, dict) else None
    if not isinstance(alerts, list):
        raise Invalid('the notification has no list of alerts')
    for alert in alerts[:MAX_ALERTS]:
        if not isinstance(alert, dict):
            yield None, Invalid('the alert is not an object')
            continue
        labels = alert.get('labels') if isinstance(alert.get('labels'), dict) else {}
        annotations = alert.get('annotations') if isinstance(alert.get('annotations'), dict) else {}
        yield alert.get('status'), {'reference_ids': labels.get('esendex_reference_id'),
                                    'queue_ids': annotations.get('esendex_queue_ids'),
                                    'message_ids': annotations.get('esendex_message_ids')}


def _generic_alerts(payload):
    """Yield the one (status, {kind: raw value}) of a generic JSON notification."""
    if not isinstance(payload, dict):
        raise Invalid('the notification is not a JSON object')
    yield payload.get('status'), {kind: payload.get('esendex_' + kind) for kind in KINDS}


def _alert_name(number, status):
    return f"alert {number} ({status if status in ('firing', 'resolved') else 'unknown status'})"


def reduce_notification(payload, fmt='alertmanager'):
    """Return the 'esendex' part of the filtered event for a notification payload (any JSON value)."""
    where = WHERE[fmt]
    result = {kind: [] for kind in KINDS}
    held = {kind: [] for kind in KINDS}
    firing = {kind: set() for kind in KINDS}
    counts = {'resolved': 0, 'firing': 0, 'rejected': 0, 'ignored': 0}
    summary = []
    alerts = _alertmanager_alerts(payload) if fmt == 'alertmanager' else _generic_alerts(payload)
    try:
        read = list(alerts)
    except Invalid as exc:
        read = []
        summary.append(f'nothing cancelled: {exc}')
    resolved = []
    for number, (status, raw) in enumerate(read, 1):
        ids, errors = ({kind: [] for kind in KINDS}, [str(raw)]) if isinstance(raw, Invalid) else _alert_ids(raw, where)
        if status == 'firing':  # every valid ID of a firing alert is held, even when another of its lists is not valid
            for kind in KINDS:
                firing[kind].update(ids[kind])
        if status == 'resolved' and errors:
            counts['rejected'] += 1
            summary.append(f"rejected {_alert_name(number, status)}: {'; '.join(errors)}; nothing of this alert is cancelled")
        elif status not in ('firing', 'resolved') or not any(ids.values()):
            counts['ignored'] += 1
        else:
            counts[status] += 1
            if status == 'resolved':
                resolved.append(ids)
    for ids in resolved:
        for kind in KINDS:
            for item in ids[kind]:
                target = held if item in firing[kind] else result
                if item not in target[kind]:
                    target[kind].append(item)
    for kind in KINDS:
        for item in held[kind]:
            summary.append(f'held {NOUNS[kind]} {item}: a firing alert of this notification still carries it, so it is not cancelled')
    if isinstance(payload, dict) and isinstance(payload.get('alerts'), list) and len(payload['alerts']) > MAX_ALERTS and fmt == 'alertmanager':
        summary.append(f'only the first {MAX_ALERTS} alerts were read; the other {len(payload["alerts"]) - MAX_ALERTS} cancel nothing')
    act = any(result.values())
    counted = [f"{len(result[kind])} {NOUNS[kind]}{'' if len(result[kind]) == 1 else 's'}" for kind in KINDS if result[kind]]
    summary.append('to cancel: ' + ', '.join(counted) if act else 'nothing to cancel')
    return {
        'act': act,
        'reference_ids': result['reference_ids'],
        'queue_ids': result['queue_ids'],
        'message_ids': result['message_ids'],
        'held_reference_ids': held['reference_ids'],
        'held_queue_ids': held['queue_ids'],
        'held_message_ids': held['message_ids'],
        'alerts': counts,
        'summary': summary,
    }


def main(event, format='alertmanager'):  # pylint: disable=redefined-builtin  # the option's documented name
    """Return the event reduced to {'esendex': ...}; everything else of it (payload, meta, headers) is dropped."""
    if format not in WHERE:
        raise ValueError('esendex.us.resolved_ids: format must be alertmanager or generic')
    payload = event.get('payload') if isinstance(event, dict) else None
    return {'esendex': reduce_notification(payload, format)}
