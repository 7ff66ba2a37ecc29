# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils serves the modules of esendex.us only. It is not a public API.

"""The module side of the shared code: the common options, option checking, and the words the modules say."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Callable
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.esendex.us.plugins.module_utils._client import (
    GUID,
    MAX_QUEUE_ID,
    REQUESTS_IMPORT_ERROR,
    EsendexClient,
    EsendexError,
    display_url,
    quote,
)

SERVICES = {
    'messaging': ('https://messaging.esendex.us/Messaging.svc', 'ESENDEX_MESSAGING_API_URL'),
    'voice': ('https://ws.esendex.us/NotifyWS/PhoneNotify.asmx', 'ESENDEX_VOICE_API_URL'),
}
NAMED = 3  # failed IDs a message names one by one

CLEAR_TEXT_WARNING = ('api_url uses plain http:// to a host that is not loopback: the license key travels in clear text. '
                      'Use https://.')
UNKNOWN_OUTCOME = ('{label}: an earlier attempt may have reached the service without a complete answer ({notes}). '
                   'It may have cancelled {noun} that this result does not count, so changed is true.')
NOT_FOUND_WARNING = 'The service does not know {n} of the {what} given ({ids}). Likely causes: {causes}.'
QUEUE_IDS, MESSAGE_IDS = 'QueueIDs', 'MessageIDs'
# why the service may not know an ID; CancelMessage and GetMessageStatus take no key, so a wrong key is no cause there
NOT_FOUND_CAUSES = {QUEUE_IDS: "a wrong license key, another account's calls, or a mistyped ID",
                    MESSAGE_IDS: 'a mistyped ID, or a message that does not exist (any more)'}

_DIGITS = re.compile(r'[0-9]+')  # ASCII only: str.isdigit() and int() also take other scripts' digits
_CONTROL = re.compile(r'[\x00-\x1f\x7f-\x9f]')


class OptionError(Exception):
    """An option's value is unusable: raised before any request is sent; the message names the option, never a secret."""


# ---------------------------------------------------------------- the module and its common options

def argument_spec(service: str) -> dict:
    """Return the options every module has; `service` picks the api_url default."""
    default_url, url_env = SERVICES[service]
    return {
        'license_key': {'type': 'str', 'required': True, 'no_log': True, 'fallback': (env_fallback, ['ESENDEX_LICENSE_KEY'])},
        'api_url': {'type': 'str', 'default': default_url, 'fallback': (env_fallback, [url_env])},
        'timeout': {'type': 'float', 'default': 30.0},
        'retries': {'type': 'int', 'default': 3},
        'validate_certs': {'type': 'bool', 'default': True},
        'concurrency': {'type': 'int', 'default': 4},
    }


def esendex_module(service: str, extra_spec: dict, **kwargs) -> AnsibleModule:
    """Build the AnsibleModule; fail at once if requests is missing."""
    module = AnsibleModule(argument_spec={**argument_spec(service), **extra_spec}, supports_check_mode=True, **kwargs)
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def client_for(module: AnsibleModule) -> EsendexClient:
    """Check the common options (failing before any request is sent) and return a client for them."""
    params = module.params
    _hide_url_password(module, params['api_url'])
    key = attempt(module, license_key, params['license_key'])
    if key != params['license_key']:  # white space stripped: Ansible masks only the value as given
        module.no_log_values.add(key)
    url = attempt(module, api_url, params['api_url'])
    attempt(module, check_settings, params['timeout'], params['retries'], params['concurrency'])
    if is_clear_text_url(url):
        module.warn(CLEAR_TEXT_WARNING)
    return EsendexClient(key, url, timeout=params['timeout'], retries=params['retries'], validate_certs=params['validate_certs'],
                         max_connections=params['concurrency'])


def _hide_url_password(module: AnsibleModule, url: str) -> None:
    """Make Ansible mask a password in api_url everywhere (module_args at -vvvv included), even if the URL is invalid."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = url.rpartition('@')[0].partition(':')[2] if '@' in url else None
    if password:
        module.no_log_values.add(password)


def license_key(value: object) -> str:
    """Return the key without surrounding white space if it is a GUID; never echo it."""
    if not isinstance(value, str) or not GUID.fullmatch(value.strip()):
        raise OptionError('license_key must be an Esendex license key: a GUID of 32 hexadecimal digits in groups of 8-4-4-4-12 '
                          '(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), without braces; the value given is not')
    return value.strip()


def api_url(value: str) -> str:
    """Return the URL without a trailing slash if it is a usable http(s) base URL."""
    problem = None
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError:
        parts, problem = None, 'it cannot be parsed'
    if parts is not None:
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            problem = 'it needs an http:// or https:// scheme and a host name'
        elif parts.query or parts.fragment or value.endswith(('?', '#')):
            problem = 'a base URL takes no query string or fragment'
        elif any(c.isspace() for c in value) or _CONTROL.search(value):
            problem = 'it contains white space or control characters'
    if problem:
        raise OptionError(f'api_url {quote(display_url(value), 120)} is not a valid service base URL: {problem}')
    return value.rstrip('/')


def is_clear_text_url(url: str) -> bool:
    """Tell whether the URL is plain http:// to a host that is not loopback."""
    parts = urlsplit(url)
    if parts.scheme != 'http':
        return False
    host = (parts.hostname or '').rstrip('.')
    if host == 'localhost' or host.endswith('.localhost'):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def check_settings(timeout: float, retries: int, concurrency: int) -> None:
    """Check the numeric options."""
    if not 0 < timeout < float('inf'):
        raise OptionError(f'timeout must be a number of seconds greater than 0, got {timeout}')
    if retries < 0:
        raise OptionError(f'retries must be 0 or more, got {retries}')
    if not 1 <= concurrency <= 16:
        raise OptionError(f'concurrency must be from 1 to 16, got {concurrency}')


# ---------------------------------------------------------------- ID lists: each check returns (key for repeats, value) or raises ValueError

def reference_id(value: object) -> tuple:
    """A reference ID: a string or a number, stripped, not empty, no control characters; repeats compared exactly."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f'is {_kind(value)}, not a string or a number')
    text = str(value).strip()
    if not text:
        raise ValueError('is empty or only white space')
    if _CONTROL.search(text):
        raise ValueError('contains a control character')
    return text, text


def queue_id(value: object) -> tuple:
    """A QueueID: an int, or a string of ASCII digits with optional white space around; 1 to Int64 max."""
    given = value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip(' \t\r\n')):
        digits = value.strip(' \t\r\n').lstrip('0') or '0'  # leading zeros are still the same number
        value = int(digits) if len(digits) <= 19 else MAX_QUEUE_ID + 1
    elif isinstance(value, bool) or not isinstance(value, int):
        shown = quote(value, 30) if isinstance(value, str) and not _CONTROL.search(value) else _kind(value)
        raise ValueError(f'is {shown}, not a QueueID (a whole number from 1 to {MAX_QUEUE_ID}, written with the digits 0-9)')
    if not 1 <= value <= MAX_QUEUE_ID:
        raise ValueError(f'is {quote(given, 30)}, not a QueueID (a whole number from 1 to {MAX_QUEUE_ID})')
    return value, value


def message_id(value: object) -> tuple:
    """A MessageID: a GUID, stripped; repeats compared case-insensitively, the first spelling kept."""
    text = value.strip() if isinstance(value, str) else ''
    if not GUID.fullmatch(text):
        shown = quote(value) if isinstance(value, str) and not _CONTROL.search(value.strip()) else _kind(value)
        raise ValueError(f'is {shown}, not a MessageID (a GUID: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
    return text.lower(), text


def _kind(value: object) -> str:
    name = type(value).__name__
    return 'null' if value is None else f'an {name}' if name[0] in 'aeiou' else f'a {name}'


def id_list(option: str, values: list | None, check: Callable) -> list | None:
    """None for an option left out or null; else its distinct values in input order, each checked."""
    if values is None:
        return None
    distinct = {}
    for index, value in enumerate(values, start=1):
        try:
            key, normalized = check(value)
        except ValueError as exc:
            raise OptionError(f'{option} item {index} {exc}') from None
        distinct.setdefault(key, normalized)
    return list(distinct.values())


def ids_option(module: AnsibleModule, option: str, check: Callable) -> list | None:
    """The checked IDs of a list option (None if left out or null); fail before any request if one is unusable."""
    return attempt(module, id_list, option, module.params[option], check)


# ---------------------------------------------------------------- calls and their results

def attempt(module: AnsibleModule, func: Callable, *args, **result):
    """Return func(*args), or fail the task with its error's message and `result`: the one place errors become fail_json.

    fail_json is called after the except block, so no traceback of an understood failure reaches any output.
    """
    try:
        return func(*args)
    except (OptionError, EsendexError) as exc:
        error = exc
    if getattr(error, 'outcome_unknown', False):
        module.fail_json(msg=f'{sentence(str(error))} The request may have reached the service and acted on it.', **result,
                         changed=True)
    module.fail_json(msg=sentence(str(error)), **result)


def sentence(text: str) -> str:
    """End text with a full stop unless it ends with one (an ellipsis included)."""
    return text if text.endswith('.') else f'{text}.'


def doubt(module: AnsibleModule, label: str, answer, noun: str) -> bool:
    """Warn if an earlier attempt's outcome is unknown; return True if that makes the result changed.

    If the final answer says nothing was cancelled, the lost attempt may have cancelled it: changed is then true.
    """
    if answer.outcome_unknown:
        module.warn(UNKNOWN_OUTCOME.format(label=label, notes='; '.join(answer.notes), noun=noun))
    return answer.outcome_unknown and not answer.value


def bulk_result(module: AnsibleModule, groups: list, noun: str) -> dict:
    """The result of a bulk run: for each (name, label, outcomes) of `groups`, cancelled_by_NAME, errors_by_NAME and
    not_attempted_NAMEs; and cancelled_count and changed (something was, or may have been, cancelled) for them all."""
    result, changed, count = {}, False, 0
    for name, label, outcomes in groups:
        cancelled, errors, not_attempted = {}, {}, []
        for outcome in outcomes:
            if outcome.answer is not None:
                cancelled[str(outcome.id)] = outcome.answer.value
                count += int(outcome.answer.value)
                changed = doubt(module, f'{label} {quote(outcome.id)}', outcome.answer, noun) or bool(outcome.answer.value) or changed
            elif outcome.error is not None:
                errors[str(outcome.id)] = outcome.error.msg
                changed = changed or outcome.error.outcome_unknown
            else:
                not_attempted.append(outcome.id)
        result.update({f'cancelled_by_{name}': cancelled, f'errors_by_{name}': errors, f'not_attempted_{name}s': not_attempted})
    return {'changed': changed, 'cancelled_count': count, **result}


def finish(module: AnsibleModule, result: dict, groups: list, noun: str) -> None:
    """Exit with result, or fail naming the IDs that failed (the first few and a count); result comes back either way.

    `groups` are the (name, label, outcomes) given to bulk_result.
    """
    outcomes = [(label, outcome) for unused, label, group in groups for outcome in group]
    failed = [(label, outcome) for label, outcome in outcomes if outcome.error is not None]
    skipped = sum(outcome.answer is None and outcome.error is None for unused, outcome in outcomes)
    if not (failed or skipped):
        module.exit_json(**result)
    total = len(outcomes)
    named = '; '.join(f'{label} {quote(outcome.id)}: {outcome.error.msg}' for label, outcome in failed[:NAMED])
    msg = sentence(f'{len(failed)} of {total} IDs failed: {named}' + (f'; and {len(failed) - NAMED} more' if len(failed) > NAMED else ''))
    if skipped:
        msg += (f' {skipped} not attempted: the service failed for {max(3, module.params["concurrency"])} IDs in a row, so no '
                'further ID was started.')
    if any(outcome.error.outcome_unknown for unused, outcome in failed):
        msg += f' A failed request may have reached the service and cancelled {noun}.'
    module.fail_json(msg=' '.join(filter(None, (msg, result.pop('msg', None)))), **result)


def read_all(outcomes: list) -> tuple:
    """Merge the Outcomes of status reads (one per ID, or per batch of IDs): ({ID: status}, [IDs not read], [errors])."""
    found, unread = {}, []
    for outcome in outcomes:
        ids = outcome.id if isinstance(outcome.id, list) else [outcome.id]
        if outcome.answer is None:
            unread.extend(ids)
        else:
            found.update(outcome.answer.value if isinstance(outcome.answer.value, dict) else {outcome.id: outcome.answer.value})
    return found, unread, [outcome.error for outcome in outcomes if outcome.error is not None]


def read_or_warn(module: AnsibleModule, outcomes: list, what: str, consequence: str) -> dict | None:
    """The statuses read ({ID: status}), or None after a warning if any read failed."""
    found, unread, errors = read_all(outcomes)
    if errors:
        module.warn(f'{read_failure(what, unread, errors)} {consequence}')
        return None
    return found


def read_failure(what: str, unread: list, errors: list) -> str:
    """One line: which IDs could not be read, and why (the first error)."""
    shown = ', '.join(str(ident) for ident in unread[:NAMED]) + (f' and {len(unread) - NAMED} more' if len(unread) > NAMED else '')
    what = what if len(unread) != 1 else what[:-1]  # 'QueueIDs' -> 'QueueID'
    return f'The status of {len(unread)} {what} could not be read ({shown}): {sentence(errors[0].msg)}'


def warn_not_found(module: AnsibleModule, what: str, ids: list) -> None:
    """Warn when the service does not know some of the IDs: a likely mistake, not 'nothing to cancel'."""
    if ids:
        shown = ', '.join(str(ident) for ident in ids[:NAMED]) + (f' and {len(ids) - NAMED} more' if len(ids) > NAMED else '')
        module.warn(NOT_FOUND_WARNING.format(n=len(ids), what=what, ids=shown, causes=NOT_FOUND_CAUSES[what]))


# ---------------------------------------------------------------- statuses before and after, for diff mode and msg

NOT_FOUND = '(not found)'
UNKNOWN = '(unknown: the status read failed)'
_SHORT = {NOT_FOUND: 'not found', UNKNOWN: 'unknown'}


def status_change(ids: list, before: dict | None, cancelled: set) -> tuple:
    """The diff of the IDs' statuses (`before` maps an ID to its label; None: the read failed) and its one-line summary."""
    was = {ident: UNKNOWN if before is None else before.get(ident, NOT_FOUND) for ident in ids}
    now = {ident: 'Cancelled' if ident in cancelled else was[ident] for ident in ids}
    short = {ident: _SHORT.get(was[ident], was[ident]) for ident in ids}
    counts = Counter(f'{short[ident]} → Cancelled' if ident in cancelled else short[ident] for ident in ids)
    summary = ', '.join(f'{count} {what}' for what, count in counts.items())
    diff = {'before': ''.join(f'{ident}: {was[ident]}\n' for ident in ids),
            'after': ''.join(f'{ident}: {now[ident]}\n' for ident in ids)}
    return diff, summary
