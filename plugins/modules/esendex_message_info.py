#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: esendex_message_info
short_description: Read the status of Esendex US SMS/MMS messages by MessageID
version_added: 2.0.0
description:
  - Reads the status of each message of O(message_ids) with the Esendex US Messaging API method C(GetMessageStatus),
    one request per MessageID, O(concurrency) at a time.
  - Sends nothing else, in check mode and out of it, and never reports a change.
  - Use it to look before and after M(esendex.us.esendex_cancel_messages) cancels messages by MessageID.
  - C(GetMessageStatus) is the vendor's status read that takes no license key; the vendor marks it deprecated in favour
    of C(ReadMessageStatus), which takes the key in the URL, which this collection never sends. If the service no longer
    offers it, the module fails and says so.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.messaging
  - esendex.us.esendex.info_module
options:
  message_ids:
    description:
      - The MessageIDs of the messages to read, as C(SendMessage) returned them (one per recipient).
      - Each item must be a GUID; white space around it is removed. Anything else fails before any request is sent,
        naming the item's position. An ID given more than once (compared case-insensitively) is read once.
      - Required, and must not be null. An empty list sends no request.
    type: list
    elements: raw
    required: true
    aliases:
      - message_id
notes:
  - INFERRED, not documented by the vendor - the request body is the MessageID as a bare JSON string (as for
    C(CancelMessage)), and the answer is a JSON C(SMSResponse) object with C(Cancelled), C(MessageID), C(Queued),
    C(ReferenceID), C(SMSError) (a number or the enum's name), C(Sent) and C(SentDateTime) (WCF's C(/Date(ms\)/)).
  - C(GetMessageStatus) takes no license key, so it does not prove that a message belongs to your account. O(license_key)
    is still required, and is not sent.
seealso:
  - module: esendex.us.esendex_cancel_messages
  - module: esendex.us.esendex_call_info
  - name: GetMessageStatus API reference
    description: The vendor's page for the method this module calls.
    link: https://esendex.us/docs/sms-api/api/methods/GetMessageStatus
  - name: SMSResponse
    description: The vendor's page for the type the method returns.
    link: https://esendex.us/docs/sms-api/api/types/SMSResponse
"""

EXAMPLES = r"""
- name: Look before, cancel, look after
  module_defaults:
    group/esendex.us.messaging:
      license_key: "{{ esendex_license_key }}"
  block:
    - name: Which of our messages are still scheduled?
      esendex.us.esendex_message_info:
        message_ids: "{{ scheduled_message_ids }}"
      delegate_to: localhost
      register: before

    - name: Cancel those that can be cancelled
      esendex.us.esendex_cancel_messages:
        message_ids: "{{ before.messages | selectattr('cancellable') | map(attribute='message_id') | list }}"
      delegate_to: localhost

    - name: Did the cancellation take?
      esendex.us.esendex_message_info:
        message_ids: "{{ scheduled_message_ids }}"
      delegate_to: localhost
      register: after

    - name: Show the messages that were cancelled
      ansible.builtin.debug:
        msg: "{{ after.messages | selectattr('cancelled') | map(attribute='message_id') | list }}"
"""

RETURN = r"""
messages:
  description:
    - One entry per MessageID of O(message_ids) that the service knows, in the order of O(message_ids).
  returned: success, and on failure (then the messages read before it, possibly none)
  type: list
  elements: dict
  contains:
    message_id:
      description: The MessageID, in lower case, as the service returns it.
      type: str
      sample: 6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38
    cancelled:
      description: Whether the message has been cancelled (C(Cancelled)).
      type: bool
      sample: false
    queued:
      description: Whether the message has been queued by the aggregator (C(Queued)).
      type: bool
      sample: false
    sent:
      description: Whether the message has been sent to the carrier (C(Sent)).
      type: bool
      sample: false
    sent_date_time:
      description:
        - When the message was sent (C(SentDateTime)), in ISO 8601 in UTC; null for .NET's minimum date (not sent).
      type: str
      sample: "2026-12-07T10:15:03.570000+00:00"
    reference_id:
      description: The reference ID the message was sent with (C(ReferenceID)).
      type: str
      sample: spring-sale-2026
    error:
      description: The name of C(SMSError), V(NoError) when there is none.
      type: str
      sample: NoError
    cancellable:
      description:
        - Whether M(esendex.us.esendex_cancel_messages) would cancel the message now, the rule its check mode predicts
          with (not sent, not queued, not cancelled and no error, a rule INFERRED).
      type: bool
      sample: true
not_found_message_ids:
  description:
    - The MessageIDs of O(message_ids) that the service answered with C(NotFound) (or with the all-zero MessageID), in
      their order.
  returned: success
  type: list
  elements: str
  sample: [0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75]
msg:
  description: Why the read failed, naming the MessageIDs not read.
  returned: failure
  type: str
  sample: "The status of 1 MessageID could not be read (0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75): ..."
"""

from ansible_collections.esendex.us.plugins.module_utils._common import (
    MESSAGE_IDS,
    client_for,
    esendex_module,
    ids_option,
    message_id,
    read_all,
    read_failure,
    warn_not_found,
)

NULL = 'message_ids is required and must not be null: give the MessageIDs to read.'


def main() -> None:
    """Read the status of each MessageID; never change anything."""
    module = esendex_module('messaging', {'message_ids': {'type': 'list', 'elements': 'raw', 'required': True, 'aliases': ['message_id']}})
    message_ids = ids_option(module, 'message_ids', message_id)
    if message_ids is None:
        module.fail_json(msg=NULL)
    with client_for(module) as client:
        found, unread, errors = read_all(client.read_message_statuses(message_ids, module.params['concurrency']))
    known = [mid for mid in message_ids if mid in found and not found[mid].not_found]
    messages = [dict(found[mid]._asdict(), cancellable=found[mid].cancellable) for mid in known]
    if errors:
        module.fail_json(msg=read_failure(MESSAGE_IDS, unread, errors), messages=messages, changed=False)
    not_found = [mid for mid in message_ids if found[mid].not_found]
    warn_not_found(module, MESSAGE_IDS, not_found)
    module.exit_json(changed=False, messages=messages, not_found_message_ids=not_found)


if __name__ == '__main__':
    main()
