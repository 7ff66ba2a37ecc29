# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Options and attributes shared by the esendex.us modules."""

from __future__ import annotations


class ModuleDocFragment:
    """Shared documentation: MESSAGING and VOICE add the per-service O(api_url) and action groups; CANCEL_MODULE and
    INFO_MODULE the attributes of the two kinds of module."""

    DOCUMENTATION = r'''
options:
  license_key:
    description:
      - The license key of the Esendex US account, a GUID such as V(00000000-0000-0000-0000-000000000000).
      - If not set, the value of the E(ESENDEX_LICENSE_KEY) environment variable is used.
      - White space around the key is removed (a key read from a file or piped into C(ansible-vault encrypt_string)
        often ends with a newline). Anything else that is not a GUID fails before any request is sent.
      - The key is sent only in the request body, never in a URL, and is removed from every message the module returns.
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait for each HTTP request to connect and for its answer to arrive.
    type: float
    default: 30
  retries:
    description:
      - How many more attempts to make after a connection failure, a timeout, or an answer of HTTP 429, 502, 503 or 504.
      - Waits between attempts start at 0.5 seconds and double each time; a C(Retry-After) header from the service is
        honoured instead. No wait is longer than 60 seconds.
      - Any other error, and any answer that cannot be understood, fails at once without a retry.
      - V(0) makes exactly one attempt.
    type: int
    default: 3
  validate_certs:
    description:
      - Whether to verify the service's TLS certificate.
      - Set to V(false) only for a test service with a self-signed certificate.
    type: bool
    default: true
  concurrency:
    description:
      - How many IDs are in flight at once, from V(1) to V(16), over one pool of reused HTTP connections.
      - Results keep the order of the IDs given, whatever the concurrency.
      - It matters only when the module sends one request per ID; a single request is a single request.
      - Common to both modules since 1.1.0; M(esendex.us.esendex_cancel_calls) has had it since 1.0.0.
    type: int
    default: 4
    version_added: 1.1.0
notes:
  - The module talks to the service from the host it runs on, usually the controller (use C(delegate_to) with
    V(localhost), or C(connection=local)). That host needs the Python library C(requests); point
    C(ansible_python_interpreter) at a Python that has it.
  - Proxies are taken from the standard E(https_proxy), E(http_proxy) and E(no_proxy) environment variables of that
    host; there is no proxy option.
  - Every request carries a C(User-Agent) header naming this collection and its version.
  - Tested with C(requests) 2.25.1 and C(urllib3) 1.26.5 (the oldest supported, as RHEL 9 ships them) and with current
    releases.
  - A password in O(api_url) is masked in all output, as every C(no_log) value is. Ansible masks every occurrence of it,
    so a short password that also occurs in ordinary text (V(1), V(True)) masks that text too, so use a long password.
  - In C(module_defaults), every option can be set for the whole C(group/esendex.us.esendex), except O(api_url), which
    has a different default for each service. Set O(api_url) once per service with C(group/esendex.us.messaging) (the
    Messaging modules) and C(group/esendex.us.voice) (the Voice Broadcast modules).
  - On ansible-core 2.19 and later, a failed ad-hoc task (C(ansible -m ... -a ...)) prints the start of its C(-a)
    arguments, a license key given there included. Pass the key by E(ESENDEX_LICENSE_KEY) or a templated variable, never
    literally on the command line.
requirements:
  - requests
'''

    MESSAGING = r'''
attributes:
  action_group:
    description: Use C(group/esendex.us.esendex) or C(group/esendex.us.messaging) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - esendex.us.esendex
      - esendex.us.messaging
options:
  api_url:
    description:
      - Base URL of the Esendex US Messaging API. A trailing slash is accepted.
      - If not set, the value of the E(ESENDEX_MESSAGING_API_URL) environment variable is used, and if that is not set either,
        the default.
      - A plain C(http://) URL to a host that is not loopback makes the module warn that the license key travels in clear text.
    type: str
    default: https://messaging.esendex.us/Messaging.svc
'''

    VOICE = r'''
attributes:
  action_group:
    description: Use C(group/esendex.us.esendex) or C(group/esendex.us.voice) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - esendex.us.esendex
      - esendex.us.voice
options:
  api_url:
    description:
      - Base URL of the Esendex US Voice Broadcast (PhoneNotify) API. A trailing slash is accepted.
      - If not set, the value of the E(ESENDEX_VOICE_API_URL) environment variable is used, and if that is not set either,
        the default.
      - A plain C(http://) URL to a host that is not loopback makes the module warn that the license key travels in clear text.
    type: str
    default: https://ws.esendex.us/NotifyWS/PhoneNotify.asmx
'''

    CANCEL_MODULE = r'''
attributes:
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details:
      - A second run finds nothing left to cancel, so the service reports nothing cancelled and the module reports
        RV(ignore:changed=false).
notes:
  - Every ID given is attempted. A failure for one ID does not stop the others; the task then fails, naming the IDs that
    failed, and still returns every answer. Only when the service itself is failing (V(max(3, concurrency\)) IDs in a
    row failed after their retries, with no answer between) are no further IDs started; they are listed as not attempted.
  - If an attempt reached the service but its answer was lost (a timeout, or a connection dropped after the request
    was sent), the retry may find nothing left to cancel. The module then warns (naming the ID, if any) and reports
    RV(ignore:changed=true), because the lost attempt may have cancelled what the final answer does not count.
'''

    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - This module only reads, in check mode and out of it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This module only reads.
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details:
      - This module never changes anything.
'''
