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

from ansible_collections.esendex.us.plugins.module_utils._client import Item, normalize_message_ids
from ansible_collections.esendex.us.plugins.module_utils._common import (
    CHECK_MODE_MSG,
    doubt,
    esendex_module,
    make_client,
    run,
    tally,
    validate_common,
)

BY_MESSAGE_ID = {'message ID': 'cancelled_by_message_id'}
CHECK_MODE_IDS_MSG = ('Check mode: no request was sent. The Messaging API cannot preview a cancellation, and its only status '
                      'read takes the license key in the URL, which this collection never does; changed is true because '
                      'each of the {n} MessageIDs would be cancelled if it is still scheduled.')
EMPTY_MSG = 'message_ids is empty: no request was sent. An empty list never means "all messages".'


def main() -> None:
    """Cancel all scheduled messages, or those of message_ids; in check mode, say what cannot be known."""
    module = esendex_module('messaging', {'message_ids': {'type': 'list', 'elements': 'str', 'aliases': ['message_id']}})
    run(module, lambda: cancel(module), BY_MESSAGE_ID, 'messages')


def cancel(module) -> dict:
    """Return the result for the validated options (raises EsendexError)."""
    api_url = validate_common(module)
    if module.params['message_ids'] is None:
        if module.check_mode:
            return {'changed': True, 'msg': CHECK_MODE_MSG}
        with make_client(module, api_url) as client:
            answer = client.cancel_all_messages()
        doubtful = doubt(module, 'CancelAllMessages', answer, 'messages')  # warns whatever the answer
        return {'changed': answer.value or doubtful, 'cancelled': answer.value}
    message_ids = normalize_message_ids(module.params['message_ids'])
    if not message_ids:
        return {'changed': False, 'msg': EMPTY_MSG, **({} if module.check_mode else {'cancelled_count': 0, 'cancelled_by_message_id': {}})}
    if module.check_mode:
        return {'changed': True, 'msg': CHECK_MODE_IDS_MSG.format(n=len(message_ids))}
    with make_client(module, api_url) as client:
        done = client.run_all([Item('message ID', mid, client.cancel_message) for mid in message_ids], module.params['concurrency'])
    return tally(module, done, BY_MESSAGE_ID, 'messages')


if __name__ == '__main__':
    main()
