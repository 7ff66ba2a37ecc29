# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Options and attributes shared by the esendex.us modules."""

from __future__ import annotations


class ModuleDocFragment:
    """Shared documentation; MESSAGING and VOICE add the per-service O(api_url)."""

    DOCUMENTATION = r'''
options:
  license_key:
    description:
      - The license key of the Esendex US account, a GUID such as V(00000000-0000-0000-0000-000000000000).
      - If not set, the value of the E(ESENDEX_LICENSE_KEY) environment variable is used.
      - Anything that is not a GUID fails before any request is sent.
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
notes:
  - The module talks to the service from the host it runs on, usually the controller (use C(delegate_to) with
    V(localhost), or C(connection=local)). That host needs the Python library C(requests); point
    C(ansible_python_interpreter) at a Python that has it.
  - Proxies are taken from the standard E(https_proxy), E(http_proxy) and E(no_proxy) environment variables of that
    host; there is no proxy option.
  - Every request carries a C(User-Agent) header naming this collection and its version.
requirements:
  - requests
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - The Esendex API has no way to preview a cancellation. In check mode the module validates its options, sends
        B(no request at all), and returns RV(ignore:changed=true) with a RV(msg) saying that the effect cannot be predicted.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
    details:
      - A second run finds nothing left to cancel, so the service reports nothing cancelled and the module reports
        RV(ignore:changed=false).
  action_group:
    description: Use C(group/esendex.us.esendex) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - esendex.us.esendex
'''

    MESSAGING = r'''
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
