# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The option checks of _common, without HTTP: examples, then hypothesis properties."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.esendex.us.plugins.module_utils._client import MAX_QUEUE_ID
from ansible_collections.esendex.us.plugins.module_utils._common import (
    OptionError,
    api_url,
    check_settings,
    id_list,
    is_clear_text_url,
    license_key,
    message_id,
    queue_id,
    reference_id,
)

KEY = '5e7f3c2a-9d41-4b8e-a0c6-f1d2b3e4a5c6'
GUID_SHAPE = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
PASSWORD = 'Qx7-urlpass-Zk93wq'
MID = '6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'
MID2 = '0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75'
CHECKS = {'reference_ids': reference_id, 'queue_ids': queue_id, 'message_ids': message_id}

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def refused(func, *args) -> str:
    """Call func, expect OptionError, return its message, which must be one line."""
    with pytest.raises(OptionError) as caught:
        func(*args)
    msg = str(caught.value)
    assert msg and len(msg.splitlines()) == 1, msg
    return msg


def checked(option: str, values):
    """id_list of `option` with its check."""
    return id_list(option, values, CHECKS[option])


# ---------------------------------------------------------------- license_key

@pytest.mark.parametrize('value', [
    KEY, KEY.upper(), '00000000-0000-0000-0000-000000000000', 'aBcDeF01-2345-6789-abcd-EF0123456789',
    ' ' + KEY, KEY + '\n', f'\t{KEY}\r\n', f'\u00a0{KEY}\u2003',  # a key read from a file or vault keeps its newline
])
def test_license_key_accepts_a_guid_without_surrounding_white_space(value):
    assert license_key(value) == value.strip()


@pytest.mark.parametrize('value', [
    '', 'not-a-license-key', KEY[:-1], KEY + '0', f'{{{KEY}}}', f' {{{KEY}}}\n', KEY.replace('-', ''), f'{KEY} x', f'{KEY}\x00',
    KEY[:8] + ' ' + KEY[8:], f'"{KEY}"', f'({KEY})', '\n', KEY.replace('5', 'g', 1), KEY.replace('a', '\uff41'),
    KEY.replace('3', '\u0663'), None, 12345, [KEY],
])
def test_license_key_refused_without_being_echoed(value):
    msg = refused(license_key, value)
    assert msg.startswith('license_key ') and msg == refused(license_key, 'x')  # one fixed message: nothing of the value


KEY_CANDIDATES = st.one_of(
    st.text(),
    st.from_regex(GUID_SHAPE, fullmatch=True),
    st.builds(lambda guid, index, char: guid[:index] + char + guid[index + 1:], st.from_regex(GUID_SHAPE, fullmatch=True),
              st.integers(0, 36), st.characters()),
    st.builds('{0}{1}{2}'.format, st.text(max_size=2), st.from_regex(GUID_SHAPE, fullmatch=True), st.text(max_size=2)),
)


@PROPERTY
@given(KEY_CANDIDATES)
def test_any_license_key_is_a_stripped_guid_or_refused_with_the_fixed_message(value):
    try:
        accepted = license_key(value)
    except OptionError as exc:
        assert not GUID_SHAPE.fullmatch(value.strip()) and str(exc) == refused(license_key, '')
    else:
        assert accepted == value.strip() and accepted.isascii() and GUID_SHAPE.fullmatch(accepted)


# ---------------------------------------------------------------- api_url

@pytest.mark.parametrize('value, expected', [
    ('https://messaging.esendex.us/Messaging.svc', 'https://messaging.esendex.us/Messaging.svc'),
    ('https://ws.esendex.us/NotifyWS/PhoneNotify.asmx/', 'https://ws.esendex.us/NotifyWS/PhoneNotify.asmx'),
    ('http://127.0.0.1:8080/Messaging.svc//', 'http://127.0.0.1:8080/Messaging.svc'), ('http://[::1]:65535', 'http://[::1]:65535'),
    ('HTTPS://Example.COM/x/', 'HTTPS://Example.COM/x'),
    (f'https://user:{PASSWORD}@proxy.example.com/api/', f'https://user:{PASSWORD}@proxy.example.com/api'),
])
def test_api_url_accepted_without_trailing_slash(value, expected):
    assert api_url(value) == expected


@pytest.mark.parametrize('value, problem', [
    ('', 'scheme and a host'), ('messaging.esendex.us/Messaging.svc', 'scheme and a host'),
    ('ftp://messaging.esendex.us/Messaging.svc', 'scheme and a host'), ('https://', 'scheme and a host'),
    ('https:///Messaging.svc', 'scheme and a host'), ('https://h.example/x?LicenseKey=1', 'no query string or fragment'),
    ('https://h.example/x#top', 'no query string or fragment'),
    ('https://h.example/x?', 'no query string or fragment'), ('https://h.example:99999/x', 'cannot be parsed'),
    ('https://h.example:port/x', 'cannot be parsed'),
    ('https://[::1/x', 'cannot be parsed'),
    ('https://h.example/Messaging svc', 'white space or control'), ('https://h.example/x\t', 'white space or control'),
    ('https://h.example/x\x00y', 'white space or control'), ('https://h.example/x\x85', 'white space or control'),
])
def test_api_url_refused_with_the_reason(value, problem):
    msg = refused(api_url, value)
    assert msg.startswith('api_url ') and problem in msg


@pytest.mark.parametrize('value', [
    f'https://user:{PASSWORD}@h.example:99999/x', f'https://user:{PASSWORD}@h.example/x?q=1', f'ftp://user:{PASSWORD}@h.example/',
    f'https://user:{PASSWORD}@h.example/a b', f'https://user:{PASSWORD}@[::1/x', f'https://:{PASSWORD}@h.example/x#f',
])
def test_api_url_password_is_never_echoed(value):
    msg = refused(api_url, value)
    assert PASSWORD not in msg and 'api_url' in msg


@PROPERTY
@given(st.one_of(st.text(), st.builds('{0}://{1}{2}'.format, st.sampled_from(['http', 'https', 'ftp', 'HTTP']), st.text(), st.text())))
def test_any_api_url_is_a_base_url_or_refused_in_one_line(value):
    try:
        url = api_url(value)
    except OptionError as exc:
        assert str(exc).startswith('api_url ') and len(str(exc).splitlines()) == 1
    else:
        assert value.startswith(url) and not url.endswith('/') and not value[len(url):].strip('/')
        assert url.lower().startswith(('http://', 'https://')) and not any(c.isspace() or unicodedata.category(c) == 'Cc' for c in url)


@pytest.mark.parametrize('url, clear', [
    ('https://messaging.esendex.us/Messaging.svc', False), ('http://messaging.esendex.us/Messaging.svc', True), ('http://10.1.2.3:8080/x', True),
    ('http://localhost.example.com/x', True), ('http://127.0.0.1.nip.io/x', True), ('http://127.0.0.1:8080/x', False),
    ('http://127.200.1.9/x', False), ('http://[::1]:8080/x', False), ('http://LOCALHOST:9/x', False), ('http://emulator.localhost/x', False),
])
def test_clear_text_url(url, clear):
    assert is_clear_text_url(url) is clear


# ---------------------------------------------------------------- timeout, retries, concurrency

@pytest.mark.parametrize('timeout, retries, concurrency, msg', [
    (0, 3, 4, 'timeout must be a number of seconds greater than 0, got 0'),
    (-1.5, 3, 4, 'timeout '), (float('nan'), 3, 4, 'timeout '), (float('inf'), 3, 4, 'timeout '), (float('-inf'), 3, 4, 'timeout '),
    (30.0, -1, 4, 'retries must be 0 or more, got -1'),
    (30.0, 3, 0, 'concurrency must be from 1 to 16, got 0'), (30.0, 3, -1, 'concurrency '), (30.0, 3, 17, 'concurrency '),
])
def test_settings_refused_naming_the_option(timeout, retries, concurrency, msg):
    assert refused(check_settings, timeout, retries, concurrency).startswith(msg)


@pytest.mark.parametrize('timeout, retries, concurrency', [(0.001, 0, 1), (30.0, 3, 4), (600, 1000, 16)])
def test_settings_accepted(timeout, retries, concurrency):
    assert check_settings(timeout, retries, concurrency) is None


# ---------------------------------------------------------------- ID lists: null, empty, repeats, positions

@pytest.mark.parametrize('option', sorted(CHECKS))
def test_a_null_list_is_none_and_an_empty_list_is_empty(option):
    assert checked(option, None) is None and checked(option, []) == []


@pytest.mark.parametrize('option, values, expected', [
    ('reference_ids', [' a ', 'b', 'a', '\ta\n', 'B'], ['a', 'b', 'B']),
    ('reference_ids', ['\u00a0window-17\u2003', 'window-17', 'camp\u00e4ign \u65e5\u672c'], ['window-17', 'camp\u00e4ign \u65e5\u672c']),
    ('reference_ids', ['2026', 2026, ' 2026 ', 7.5, 0], ['2026', '7.5', '0']),  # numbers become their text
    ('reference_ids', ['r' * 100000], ['r' * 100000]),
    ('queue_ids', [5, '3', ' 5\n', 3, '\t7 ', MAX_QUEUE_ID, str(MAX_QUEUE_ID)], [5, 3, 7, MAX_QUEUE_ID]),
    ('message_ids', [MID.upper(), MID2, MID, f' {MID2.upper()}\n'], [MID.upper(), MID2]),  # case-insensitive; first spelling kept
    ('message_ids', [f' {MID}\n', MID], [MID]),
])
def test_repeats_are_dropped_keeping_the_first(option, values, expected):
    assert checked(option, values) == expected


@pytest.mark.parametrize('option', sorted(CHECKS))
@pytest.mark.parametrize('position', [1, 2, 5])
def test_a_bad_item_is_named_by_its_position(option, position):
    good = {'reference_ids': 'campaign', 'queue_ids': 4096001, 'message_ids': MID}[option]
    values = [good] * (position - 1) + [None] + [good]
    assert refused(checked, option, values) == f'{option} item {position} is null, ' + {
        'reference_ids': 'not a string or a number',
        'queue_ids': f'not a QueueID (a whole number from 1 to {MAX_QUEUE_ID}, written with the digits 0-9)',
        'message_ids': 'not a MessageID (a GUID: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)'}[option]


def test_ten_thousand_reference_ids():
    values = [f' campaign-{i % 5000} ' for i in range(10000)]
    assert checked('reference_ids', values) == [f'campaign-{i}' for i in range(5000)]
    assert refused(checked, 'reference_ids', values + ['bad\x1b[0m']) == 'reference_ids item 10001 contains a control character'


@pytest.mark.parametrize('value, why', [
    ('', 'is empty or only white space'), ('   ', 'is empty or only white space'), ('\u3000\n', 'is empty or only white space'),
    ('a\x00b', 'contains a control character'), ('a\nb', 'contains a control character'), ('a\x7fb', 'contains a control character'),
    ('a\x9fb', 'contains a control character'), (True, 'is a bool, not a string or a number'), (['a'], 'is a list, not a string or a number'),
    ({'a': 1}, 'is a dict, not a string or a number'), (b'bytes', 'is a bytes, not a string or a number'),
])
def test_reference_id_refused_without_echoing_it(value, why):
    assert refused(checked, 'reference_ids', ['ok', value]) == f'reference_ids item 2 {why}'


# ---------------------------------------------------------------- queue_ids: strict

@pytest.mark.parametrize('value, expected', [
    (1, 1), ('1', 1), (' 42 ', 42), ('\t4096001\r\n', 4096001), (MAX_QUEUE_ID, MAX_QUEUE_ID), (f' {MAX_QUEUE_ID}\n', MAX_QUEUE_ID),
    ('007', 7), ('0' * 19 + '7', 7),  # leading zeros still spell the number
])
def test_queue_id_accepted(value, expected):
    [got] = checked('queue_ids', [value])
    assert got == expected and type(got) is int  # pylint: disable=unidiomatic-typecheck


@pytest.mark.parametrize('value, shown', [
    (0, "'0'"), (-5, "'-5'"), (MAX_QUEUE_ID + 1, f"'{MAX_QUEUE_ID + 1}'"), (2 ** 200, None), ('0', "'0'"), (str(MAX_QUEUE_ID + 1), None),
    ('1e3', "'1e3'"), ('1_001', "'1_001'"), ('0x65', "'0x65'"), ('-5', "'-5'"), ('+5', "'+5'"), ('1.0', "'1.0'"), ('1 2', "'1 2'"),
    ('\uff11\uff10\uff10\uff12', None), ('\u0661\u0660', None), ('\u00b2', None), ('', "''"), (' ', "' '"), ('9' * 5000, None),
    (True, 'a bool'), (False, 'a bool'), (1.0, 'a float'), (1000.5, 'a float'), (None, 'null'), ([1], 'a list'), ({'1': 1}, 'a dict'),
    ('1\x002', 'a str'),  # a control character is never echoed
])
def test_queue_id_refused(value, shown):
    msg = refused(checked, 'queue_ids', [1, value])
    assert msg.startswith('queue_ids item 2 is ' + (shown or '')) and 'not a QueueID (a whole number from 1 to ' in msg
    assert len(msg) < 200


ASCII_SPACE = st.text(' \t\r\n', max_size=3)
QUEUE_CANDIDATES = st.one_of(
    st.integers(), st.integers(MAX_QUEUE_ID - 2, MAX_QUEUE_ID + 2), st.booleans(), st.floats(), st.none(), st.text(max_size=6),
    st.text(st.characters(whitelist_categories=('Nd', 'No')) | st.sampled_from(' \t+-_.xe'), max_size=8),
    st.builds('{0}{1}{2}'.format, st.text(st.characters(whitelist_categories=('Zs', 'Cc')), max_size=2), st.integers(-9, 10 ** 20),
              st.text(st.characters(whitelist_categories=('Zs', 'Cc')), max_size=2)),
    st.lists(st.integers(1, 9), max_size=2),
)
SPELLED = re.compile(r'[ \t\r\n]*([0-9]+)[ \t\r\n]*')


@PROPERTY
@given(ASCII_SPACE, st.integers(1, MAX_QUEUE_ID), ASCII_SPACE, st.booleans())
def test_every_well_written_queue_id_is_accepted(before, number, after, as_text):
    assert checked('queue_ids', [f'{before}{number}{after}' if as_text else number]) == [number]


# ---------------------------------------------------------------- message_ids: GUIDs

@pytest.mark.parametrize('value, shown', [
    ('not-a-guid', "'not-a-guid'"), (f'{{{MID}}}', f"'{{{MID}}}'"), (MID.replace('-', ''), None), (MID[:-1], None),
    (MID[:8] + ' ' + MID[9:], None), ('', "''"), ('x' * 10000, "'" + 'x' * 57 + "...'"), (f'{MID}\x1b[0m', 'a str'),
    (None, 'null'), (42, 'an int'), ([MID], 'a list'),
])
def test_message_id_refused(value, shown):
    msg = refused(checked, 'message_ids', [MID, value])
    assert msg.startswith('message_ids item 2 is ' + (shown or '')) and msg.endswith('not a MessageID (a GUID: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
    assert len(msg) < 250


MESSAGE_ITEMS = st.one_of(
    st.builds(lambda uuid, upper: str(uuid).upper() if upper else str(uuid), st.uuids(), st.booleans()),
    st.sampled_from([MID, MID.upper(), f' {MID}\t', MID2]),
    st.builds('{0}{1}{2}'.format, st.sampled_from(['', ' ', '\n', '{', 'x']), st.sampled_from([MID, MID2]), st.sampled_from(['', ' ', '}'])),
    st.text(max_size=40), st.integers(), st.none(),
)


SCALARS = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.lists(st.text(max_size=2), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


def spelled_reference(value):
    text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ''
    return text if text and not any(unicodedata.category(c) == 'Cc' for c in text) else None


def spelled_queue(value):
    found = SPELLED.fullmatch(value) if isinstance(value, str) else None
    number = int(found.group(1)) if found else value if type(value) is int else 0  # pylint: disable=unidiomatic-typecheck
    return number if 1 <= number <= MAX_QUEUE_ID else None


def spelled_message(value):
    return value.strip() if isinstance(value, str) and GUID_SHAPE.fullmatch(value.strip()) else None


# option -> (items to try, what an item spells by the documented rule (None: refused), how repeats compare)
RULES = {'reference_ids': (SCALARS, spelled_reference, str), 'queue_ids': (QUEUE_CANDIDATES, spelled_queue, int),
         'message_ids': (MESSAGE_ITEMS, spelled_message, str.lower)}


@pytest.mark.parametrize('option', sorted(RULES))
@PROPERTY
@given(data=st.data())
def test_any_list_is_its_distinct_items_as_the_rule_spells_them_or_refused_naming_the_first_bad_one(option, data):
    items, spell, key = RULES[option]
    values = data.draw(st.lists(items, max_size=10))
    spelled = [spell(value) for value in values]
    bad = next((index for index, text in enumerate(spelled, 1) if text is None), None)
    try:
        got = checked(option, values)
    except OptionError as exc:
        assert bad is not None and str(exc).startswith(f'{option} item {bad} ') and len(str(exc).splitlines()) == 1 and len(str(exc)) < 250
    else:
        firsts = {}
        for text in spelled:
            firsts.setdefault(key(text), text)
        assert bad is None and got == list(firsts.values())
        assert all(type(item) is (int if option == 'queue_ids' else str) for item in got)  # pylint: disable=unidiomatic-typecheck
