#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: esendex_cancel_messages
short_description: Cancel scheduled SMS/MMS messages of an Esendex US account by MessageID, or all of them
version_added: 1.0.0
description:
  - With O(message_ids), calls the Esendex US Messaging API method C(CancelMessage) once for each MessageID, and never
    C(CancelAllMessages).
  - With O(cancel_all=true), calls C(CancelAllMessages), which cancels every message of the account that is scheduled
    for a future time or date.
  - Exactly one of them is required. Since 2.0.0, leaving O(message_ids) out (or null) never means "all messages".
  - Messages already sent or queued are not affected.
  - Reports RV(ignore:changed) from the service's answers, not from the fact that a request was sent.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.messaging
  - esendex.us.esendex.cancel_module
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - With O(message_ids), check mode reads each MessageID's status with C(GetMessageStatus) (read-only, no license
        key) and sends no cancellation. It predicts that a message would be cancelled if it is not sent, not queued, not
        cancelled and has no error (INFERRED), lists those in RV(would_cancel_message_ids), and reports
        RV(ignore:changed=true) only if there are any. If a read fails, the task fails and nothing is cancelled.
      - If the service does not offer C(GetMessageStatus) (the vendor marks it deprecated), check mode still succeeds -
        it warns, says in RV(msg) why it could not predict, and reports RV(ignore:changed=true) for a non-empty list.
      - With O(cancel_all=true), check mode sends no request and cannot predict (the vendor has no listing of scheduled
        messages); RV(ignore:changed) is V(true) and RV(msg) says so.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: partial
    details:
      - With O(message_ids), the diff shows each MessageID's status before and after (V(Cancelled) for the messages
        cancelled or, in check mode, predicted), and RV(msg) counts them per status. Outside check mode this costs one
        C(GetMessageStatus) request per MessageID before the cancellation. If that read fails, the module warns, shows
        the statuses before as unknown, and cancels exactly as without C(--diff). O(cancel_all=true) has no diff.
options:
  message_ids:
    description:
      - The MessageIDs of the scheduled messages to cancel, as C(SendMessage) returned them (one per recipient).
      - Each item must be a GUID; white space around it is removed. Anything else (null and empty items included) fails
        before any request is sent, with a message naming the item's position. An ID given more than once (compared
        case-insensitively) is sent once.
      - An empty list sends no request and reports RV(ignore:changed=false). An empty list never means "all messages".
      - Required unless O(cancel_all=true). Left out or null, it counts as not given, so the task fails unless
        O(cancel_all=true).
      - C(CancelMessage) takes no license key; O(license_key) is still required, and is not sent with these requests.
    type: list
    elements: raw
    aliases:
      - message_id
    version_added: 1.1.0
  cancel_all:
    description:
      - Cancel every scheduled message of the account with C(CancelAllMessages).
      - Only V(true) does so, and then O(message_ids) must be left out or null (an empty list included, giving both
        fails before any request is sent).
    type: bool
    default: false
    version_added: 2.0.0
notes:
  - The service answers only V(true) or V(false) ("whether the cancellation was successful"). Esendex does not document
    whether V(true) from C(CancelAllMessages) means that at least one message was cancelled or only that the request was
    processed; the bundled emulator assumes the former (INFERRED), so a second run reports RV(ignore:changed=false). If
    the real service answers V(true) when nothing was left to cancel, every run reports a change.
  - An unknown MessageID, or one already sent or cancelled, is answered V(false), like "nothing to cancel" (INFERRED).
    The module then reads the status of the MessageIDs answered V(false), and lists those the service does not know in
    RV(not_found_message_ids), with a warning.
  - C(GetMessageStatus) is INFERRED to take the MessageID as a bare JSON string and to answer a JSON C(SMSResponse)
    object; see M(esendex.us.esendex_message_info).
seealso:
  - module: esendex.us.esendex_message_info
  - module: esendex.us.esendex_cancel_calls
  - name: CancelAllMessages API reference
    description: The vendor's page for the method this module calls with O(cancel_all=true).
    link: https://esendex.us/docs/sms-api/api/methods/CancelAllMessages
  - name: CancelMessage API reference
    description: The vendor's page for the method this module calls for each of O(message_ids).
    link: https://esendex.us/docs/sms-api/api/methods/CancelMessage
  - name: GetMessageStatus API reference
    description: The vendor's page for the status read of check mode and diff mode.
    link: https://esendex.us/docs/sms-api/api/methods/GetMessageStatus
"""

EXAMPLES = r"""
- name: Cancel exactly the messages this play scheduled, by the MessageIDs SendMessage returned
  esendex.us.esendex_cancel_messages:
    license_key: "{{ esendex_license_key }}"
    message_ids: "{{ send_result.json | map(attribute='MessageID') | list }}"
  delegate_to: localhost
  register: result

- name: Say how many were cancelled, or how many check mode predicts
  ansible.builtin.debug:
    msg: >-
      {{ result.would_cancel_message_ids | default([]) | length if ansible_check_mode else result.cancelled_count }}
      of the scheduled messages {{ 'would be' if ansible_check_mode else 'were' }} cancelled

- name: Call off every scheduled SMS/MMS of the account (say so explicitly)
  esendex.us.esendex_cancel_messages:
    license_key: "{{ esendex_license_key }}"
    cancel_all: true
  delegate_to: localhost
  register: result

- name: Report what happened (check mode cannot predict a cancel_all, so say so)
  ansible.builtin.debug:
    msg: >-
      {{ result.msg if ansible_check_mode else
         ('Scheduled messages were cancelled' if result.cancelled else 'Nothing was left to cancel') }}

- name: Take the key from the ESENDEX_LICENSE_KEY environment variable, with a short timeout and no retries
  esendex.us.esendex_cancel_messages:
    message_ids: "{{ scheduled_message_ids }}"
    timeout: 5
    retries: 0
  delegate_to: localhost
"""

RETURN = r"""
cancelled:
  description:
    - The service's answer to C(CancelAllMessages). V(true) means the service reports that scheduled messages were cancelled.
    - RV(ignore:changed) has the same value, except after a lost answer (see the notes), when it is V(true).
  returned: success with O(cancel_all=true), outside check mode
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
errors_by_message_id:
  description:
    - For each MessageID whose request failed (after its retries), a one-line error. Empty when none failed.
  returned: with O(message_ids), outside check mode, on success and on failure
  type: dict
  sample:
    3c9e1f70-2a4b-4d8e-9f61-b7a05c2d3e19: "CancelMessage at messaging.esendex.us failed: HTTP 500: ..."
  version_added: 2.0.0
not_attempted_message_ids:
  description:
    - The MessageIDs that were never sent, in the order of O(message_ids), because the service failed for
      V(max(3, concurrency\)) IDs in a row. Empty when every ID was attempted.
  returned: with O(message_ids), outside check mode, on success and on failure
  type: list
  elements: str
  sample: []
  version_added: 2.0.0
not_found_message_ids:
  description:
    - The MessageIDs of O(message_ids), in their order, that C(GetMessageStatus) answers with C(NotFound) (or with the
      all-zero MessageID). A warning names them when there are any.
    - In check mode, from the status reads that make the prediction. Outside check mode, from a status read of the
      MessageIDs that C(CancelMessage) answered V(false); if that read fails or the method is not offered, the module
      warns and leaves this key out, because an empty list would claim that all were found.
  returned: with O(message_ids), when the status read succeeded
  type: list
  elements: str
  sample: [0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75]
  version_added: 2.0.0
would_cancel_message_ids:
  description:
    - In check mode, the MessageIDs of O(message_ids), in their order, that are not sent, not queued, not cancelled and
      have no error, which are the messages a real run would cancel (INFERRED rule, see the C(check_mode) attribute).
  returned: check mode with O(message_ids), when the service offers C(GetMessageStatus)
  type: list
  elements: str
  sample: [6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38]
  version_added: 2.0.0
diff:
  description:
    - With C(--diff) and O(message_ids), each MessageID's status before (V(Scheduled), V(Queued), V(Sent),
      V(Cancelled) or the error's name) and after (V(Cancelled) for the messages cancelled or, in check mode,
      predicted), one line per MessageID.
  returned: diff mode with O(message_ids), on success and on failure
  type: dict
  sample:
    before: "6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38: Scheduled\n0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75: Sent\n"
    after: "6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38: Cancelled\n0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75: Sent\n"
  version_added: 2.0.0
msg:
  description:
    - In check mode, what could and could not be predicted, with the count of MessageIDs per status. In a real run with
      C(--diff), the count per status before and after. Otherwise why nothing was sent (an empty O(message_ids)), or
      why the task failed, naming the IDs that failed (the first three and a count).
  returned: check mode; diff mode with O(message_ids); an empty O(message_ids); failure
  type: str
  sample: >-
    Check mode: no cancellation was sent. GetMessageStatus says: 2 Scheduled → Cancelled, 1 Sent. A real run would
    cancel 2 of 3 (not sent, queued or cancelled, and no error: INFERRED).
"""

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexUnavailableError
from ansible_collections.esendex.us.plugins.module_utils._common import (
    MESSAGE_IDS,
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
    sentence,
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
        module.warn(f'Check mode cannot predict which messages would be cancelled: {sentence(unavailable[0].msg)}')
        module.exit_json(changed=True, msg=CANNOT_PREDICT.format(reason=sentence(unavailable[0].msg), n=len(message_ids)))
    if errors:
        module.fail_json(msg=f'{read_failure(MESSAGE_IDS, unread, errors)} Check mode predicts from it; nothing was cancelled.')
    would = [mid for mid in message_ids if found[mid].cancellable]
    not_found = [mid for mid in message_ids if found[mid].not_found]
    warn_not_found(module, MESSAGE_IDS, not_found)
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
        warn_not_found(module, MESSAGE_IDS, result['not_found_message_ids'])
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
