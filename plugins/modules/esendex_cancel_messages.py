#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: esendex_cancel_messages
short_description: Cancel scheduled SMS/MMS messages of an Esendex US account, all of them or by MessageID
version_added: 1.0.0
description:
  - Without O(message_ids), calls the Esendex US Messaging API method C(CancelAllMessages), which cancels every message
    of the account that is scheduled for a future time or date.
  - With O(message_ids), calls C(CancelMessage) once for each MessageID and never C(CancelAllMessages).
  - Messages already sent or queued are not affected.
  - Reports RV(ignore:changed) from the service's answers, not from the fact that a request was sent.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.messaging
options:
  message_ids:
    description:
      - The MessageIDs of the scheduled messages to cancel, as C(SendMessage) returned them (one per recipient).
      - Each must be a GUID; white space around it is removed. Anything else fails before any request is sent, with a
        message naming the item's position. An ID given more than once (compared case-insensitively) is sent once.
      - An empty list sends no request and reports RV(ignore:changed=false). An empty list never means "all messages".
      - B(Leaving this option out, or setting it to null, cancels every scheduled message of the account), as in 1.0.0.
        Ansible does not tell an option set to null from one left out. Template it so that it is always a list, for
        example with C(| default([], true)), never with C(| default(omit)).
      - C(CancelMessage) takes no license key; O(license_key) is still required, and is not sent with these requests.
    type: list
    elements: str
    aliases:
      - message_id
    version_added: 1.1.0
notes:
  - The service answers only V(true) or V(false) ("whether the cancellation was successful"). Esendex does not document
    whether V(true) from C(CancelAllMessages) means that at least one message was cancelled or only that the request was
    processed; the bundled emulator assumes the former (INFERRED), so a second run reports RV(ignore:changed=false). If
    the real service answers V(true) when nothing was left to cancel, every run reports a change.
  - An unknown license key is most likely answered with V(false), which looks the same as "nothing to cancel". So is
    an unknown MessageID, or one already sent or cancelled (INFERRED).
seealso:
  - module: esendex.us.esendex_cancel_calls
  - name: CancelAllMessages API reference
    description: The vendor's page for the method this module calls without O(message_ids).
    link: https://esendex.us/docs/sms-api/api/methods/CancelAllMessages
  - name: CancelMessage API reference
    description: The vendor's page for the method this module calls for each of O(message_ids).
    link: https://esendex.us/docs/sms-api/api/methods/CancelMessage
"""

EXAMPLES = r"""
- name: Call off every scheduled SMS/MMS of the account
  esendex.us.esendex_cancel_messages:
    license_key: "{{ esendex_license_key }}"
  delegate_to: localhost
  register: result

- name: Report what happened (check mode predicts nothing, so say so)
  ansible.builtin.debug:
    msg: >-
      {{ result.msg if ansible_check_mode else
         ('Scheduled messages were cancelled' if result.cancelled else 'Nothing was left to cancel') }}

- name: Cancel exactly the messages this play scheduled, by the MessageIDs SendMessage returned
  esendex.us.esendex_cancel_messages:
    license_key: "{{ esendex_license_key }}"
    message_ids: "{{ send_result.json | map(attribute='MessageID') | list }}"
  delegate_to: localhost
  register: result

- name: Say how many were cancelled (the count is not known in check mode)
  ansible.builtin.debug:
    msg: "{{ result.cancelled_count | default('(check mode)') }} of the scheduled messages cancelled"

- name: Take the key from the ESENDEX_LICENSE_KEY environment variable, with a short timeout and no retries
  esendex.us.esendex_cancel_messages:
    timeout: 5
    retries: 0
  delegate_to: localhost
"""

RETURN = r"""
cancelled:
  description:
    - The service's answer to C(CancelAllMessages). V(true) means the service reports that scheduled messages were cancelled.
    - RV(ignore:changed) has the same value, except after a lost answer (see the notes), when it is V(true).
  returned: success without O(message_ids), outside check mode
  type: bool
  sample: true
cancelled_by_message_id:
  description:
    - For each MessageID of O(message_ids) that the service answered, in the order given (without repeats and
      surrounding white space), the service's answer to C(CancelMessage).
  returned: with O(message_ids), outside check mode, on success and on failure (then for the IDs answered, possibly none)
  type: dict
  sample:
    6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38: true
    0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75: false
cancelled_count:
  description:
    - How many of O(message_ids) the service says it cancelled (answered V(true)).
  returned: with O(message_ids), outside check mode, on success and on failure
  type: int
  sample: 1
msg:
  description: Why nothing was sent (check mode, or an empty O(message_ids)), and what that means for RV(ignore:changed).
  returned: check mode; an empty O(message_ids); failure
  type: str
  sample: >-
    Check mode: no request was sent. The Esendex API cannot preview a cancellation, so what would be cancelled cannot
    be predicted; changed is true because a cancellation would be attempted.
"""

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexUnavailableError
from ansible_collections.esendex.us.plugins.module_utils._common import (
    attempt,
    bulk_result,
    client_for,
    doubt,
    esendex_module,
    finish,
    ids_option,
    message_id,
    read_all,
    read_failure,
    read_or_warn,
    status_change,
    warn_not_found,
)

NEITHER = ('Give the MessageIDs to cancel in message_ids, or cancel_all: true to cancel every scheduled message of the account; '
           'message_ids was left out or null, and that never means "all".')
BOTH_GIVEN = ('cancel_all: true cancels every scheduled message of the account, so message_ids must be left out or null with it; '
              'give one or the other.')
CHECK_MODE_ALL = ('Check mode: no request was sent. cancel_all: true would cancel every scheduled message of the account; the '
                  'Messaging API has no listing of scheduled messages, so which ones cannot be predicted; changed is true.')
PREDICTED = ('Check mode: no cancellation was sent. GetMessageStatus says: {summary}. A real run would cancel {would} '
             '(not sent, queued or cancelled, and no error: INFERRED).')
CANNOT_PREDICT = ('Check mode: no cancellation was sent, and what would be cancelled cannot be predicted: {reason} changed is '
                  'true because each of the {n} MessageIDs would be cancelled if it is still scheduled.')
STATUSES = 'MessageIDs before and after: {summary}.'
EMPTY = 'message_ids is empty: no request was sent. An empty list never means "all messages".'
MESSAGE_IDS = 'MessageIDs'
NOT_FOUND_CAUSES = 'a mistyped ID, or a message that does not exist (any more)'


def main() -> None:
    """Cancel the messages of message_ids, or all scheduled messages with cancel_all; in check mode, predict what can be."""
    module = esendex_module('messaging', {
        'message_ids': {'type': 'list', 'elements': 'raw', 'aliases': ['message_id']},
        'cancel_all': {'type': 'bool', 'default': False},
    })
    message_ids = ids_option(module, 'message_ids', message_id)
    if module.params['cancel_all'] and message_ids is not None:
        module.fail_json(msg=BOTH_GIVEN)
    if not module.params['cancel_all'] and message_ids is None:
        module.fail_json(msg=NEITHER)
    with client_for(module) as client:
        if message_ids is None:
            cancel_all(module, client)
        if module.check_mode:
            predict(module, client, message_ids)
        cancel(module, client, message_ids)


def cancel_all(module, client) -> None:
    """CancelAllMessages, or in check mode what it would do."""
    if module.check_mode:
        module.exit_json(changed=True, msg=CHECK_MODE_ALL)
    answer = attempt(module, client.cancel_all_messages)
    doubtful = doubt(module, 'CancelAllMessages', answer, 'messages')  # warns whatever the answer
    module.exit_json(changed=answer.value or doubtful, cancelled=answer.value)


def predict(module, client, message_ids: list) -> None:
    """Exit with what a real run would cancel, from each MessageID's status; if the service has no status read, say so."""
    if not message_ids:
        module.exit_json(changed=False, msg=EMPTY)
    found, unread, errors = read_all(client.read_message_statuses(message_ids, module.params['concurrency']))
    unavailable = [error for error in errors if isinstance(error, EsendexUnavailableError)]
    if unavailable:
        module.warn(f'{unavailable[0].msg}: check mode cannot predict which messages would be cancelled.')
        module.exit_json(changed=True, msg=CANNOT_PREDICT.format(reason=unavailable[0].msg.rstrip('.') + '.', n=len(message_ids)))
    if errors:
        module.fail_json(msg=f'{read_failure(MESSAGE_IDS, unread, errors)} Check mode predicts from it; nothing was cancelled.')
    would = [mid for mid in message_ids if found[mid].cancellable and not found[mid].not_found]
    not_found = [mid for mid in message_ids if found[mid].not_found]
    warn_not_found(module, MESSAGE_IDS, not_found, NOT_FOUND_CAUSES)
    diff, summary = status_change(message_ids, labels(found), set(would))
    module.exit_json(changed=bool(would), msg=PREDICTED.format(summary=summary, would=f'{len(would)} of {len(message_ids)}'),
                     would_cancel_message_ids=would, not_found_message_ids=not_found, **({'diff': diff} if module._diff else {}))


def cancel(module, client, message_ids: list) -> None:
    """CancelMessage for every MessageID, best effort; exit with what the service answered, or fail naming what failed."""
    concurrency = module.params['concurrency']
    before = None
    if module._diff and message_ids:
        before = read_or_warn(module, client.read_message_statuses(message_ids, concurrency), MESSAGE_IDS,
                              'The diff shows their status before as unknown; the cancellation goes ahead.')
    outcomes = client.run_all([(client.cancel_message, mid) for mid in message_ids], concurrency)
    groups = [('message_id', 'MessageID', outcomes)]
    result = bulk_result(module, groups, 'messages')
    answered_false = [outcome.id for outcome in outcomes if outcome.answer is not None and not outcome.answer.value]
    after = read_or_warn(module, client.read_message_statuses(answered_false, concurrency), MESSAGE_IDS,
                         'not_found_message_ids is left out of the result.')
    if after is not None:
        result['not_found_message_ids'] = [mid for mid in answered_false if after[mid].not_found]
        warn_not_found(module, MESSAGE_IDS, result['not_found_message_ids'], NOT_FOUND_CAUSES)
    if module._diff and message_ids:
        result['diff'], summary = status_change(message_ids, before and labels(before),
                                                {outcome.id for outcome in outcomes if outcome.answer is not None and outcome.answer.value})
        result['msg'] = STATUSES.format(summary=summary)
    if not message_ids:
        result['msg'] = EMPTY
    finish(module, result, groups, 'messages')


def labels(statuses: dict) -> dict:
    """Each known MessageID's status as a diff names it (those not found are left out)."""
    return {mid: status.label for mid, status in statuses.items() if not status.not_found}


if __name__ == '__main__':
    main()
