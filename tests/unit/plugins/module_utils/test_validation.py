# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's validators and parsers, without HTTP: examples, then hypothesis properties."""

from __future__ import annotations

import ast
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.esendex.us.plugins.module_utils._client import (
    MAX_QUEUE_ID,
    CallStatus,
    EsendexError,
    EsendexInputError,
    EsendexResponseError,
    backoff,
    display_url,
    excerpt,
    is_clear_text_url,
    normalize_message_ids,
    normalize_queue_ids,
    normalize_reference_ids,
    parse_count,
    parse_json_bool,
    parse_notify_returns,
    parse_xml,
    parse_xml_bool,
    quote,
    validate_api_url,
    validate_license_key,
    validate_settings,
)

KEY = '5e7f3c2a-9d41-4b8e-a0c6-f1d2b3e4a5c6'
GUID_SHAPE = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
PASSWORD = 'Qx7-urlpass-Zk93wq'
NS = b'xmlns="https://ws.esendex.us/NotifyWS/"'
MAX_EXCERPT = 200

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def one_line(msg: str) -> bool:
    return bool(msg) and len(msg.splitlines()) == 1


def input_error(func, *args) -> str:
    """Call func, expect EsendexInputError, return its one-line message."""
    with pytest.raises(EsendexInputError) as caught:
        func(*args)
    msg = str(caught.value)
    assert one_line(msg), msg
    return msg


# ---------------------------------------------------------------- license_key

@pytest.mark.parametrize('value', [KEY, KEY.upper(), '00000000-0000-0000-0000-000000000000', 'aBcDeF01-2345-6789-abcd-EF0123456789'])
def test_license_key_accepts_guids(value):
    assert validate_license_key(value) == value


@pytest.mark.parametrize('value', [' ' + KEY, KEY + '\n', f'\t{KEY}\r\n', f'\u00a0{KEY}\u2003', f'\n\n{KEY.upper()}  '])
def test_license_key_white_space_around_it_is_stripped(value):
    # issue 9 item 5: `echo KEY | ansible-vault encrypt_string` or a file read leaves a trailing newline
    assert validate_license_key(value) == value.strip()


@pytest.mark.parametrize('value', [
    '', 'not-a-license-key', KEY[:-1], KEY + '0', f'{{{KEY}}}', f' {{{KEY}}}\n', KEY.replace('-', ''), f'{KEY} x', f'{KEY}\x00',
    f'\x00{KEY}', KEY[:8] + ' ' + KEY[8:], KEY[:8] + '\n' + KEY[9:], f'"{KEY}"', f'({KEY})', '\n', '   ',
    KEY.replace('-', ' '), KEY.replace('5', 'g', 1), KEY.replace('a', '\uff41'), KEY.replace('3', '\u0663'), None, 12345, [KEY],
])
def test_license_key_rejects_anything_else_without_echoing_it(value):
    msg = input_error(validate_license_key, value)
    assert msg.startswith('license_key ')
    assert msg == input_error(validate_license_key, 'x')  # one fixed message: nothing of the value is in it


def _mutate(guid: str, index: int, char: str) -> str:
    index %= len(guid) + 1
    return guid[:index] + char + guid[index + 1:]


KEY_CANDIDATES = st.one_of(
    st.text(),
    st.from_regex(GUID_SHAPE, fullmatch=True),
    st.builds(_mutate, st.from_regex(GUID_SHAPE, fullmatch=True), st.integers(0, 40), st.characters()),
    st.builds('{0}{1}{2}'.format, st.text(max_size=2), st.from_regex(GUID_SHAPE, fullmatch=True), st.text(max_size=2)),
)


@PROPERTY
@given(KEY_CANDIDATES)
def test_any_license_key_is_a_guid_or_refused_without_being_echoed(value):
    try:
        accepted = validate_license_key(value)
    except EsendexInputError as exc:
        assert not GUID_SHAPE.fullmatch(value.strip())
        assert str(exc) == input_error(validate_license_key, '')  # one fixed message, so nothing of the value is in it
    else:
        assert accepted == value.strip() and len(accepted) == 36 and accepted.isascii() and GUID_SHAPE.fullmatch(accepted)


# ---------------------------------------------------------------- api_url

@pytest.mark.parametrize('value, expected', [
    ('https://messaging.esendex.us/Messaging.svc', 'https://messaging.esendex.us/Messaging.svc'),
    ('https://ws.esendex.us/NotifyWS/PhoneNotify.asmx/', 'https://ws.esendex.us/NotifyWS/PhoneNotify.asmx'),
    ('http://127.0.0.1:8080/Messaging.svc//', 'http://127.0.0.1:8080/Messaging.svc'),
    ('http://[::1]:65535', 'http://[::1]:65535'),
    ('HTTPS://Example.COM/x/', 'HTTPS://Example.COM/x'),
    (f'https://user:{PASSWORD}@proxy.example.com/api/', f'https://user:{PASSWORD}@proxy.example.com/api'),
])
def test_api_url_accepted_without_trailing_slash(value, expected):
    assert validate_api_url(value) == expected


@pytest.mark.parametrize('value, problem', [
    ('', 'scheme and a host'),
    ('messaging.esendex.us/Messaging.svc', 'scheme and a host'),
    ('ftp://messaging.esendex.us/Messaging.svc', 'scheme and a host'),
    ('https://', 'scheme and a host'),
    ('https:///Messaging.svc', 'scheme and a host'),
    ('https://h.example/x?LicenseKey=1', 'no query string or fragment'),
    ('https://h.example/x#top', 'no query string or fragment'),
    ('https://h.example/x?', 'no query string or fragment'),
    ('https://h.example:99999/x', 'cannot be parsed'),
    ('https://h.example:port/x', 'cannot be parsed'),
    ('https://[::1/x', 'cannot be parsed'),
    ('https://h.example/Messaging svc', 'white space or control'),
    ('https://h.example/x\t', 'white space or control'),
    ('https://h.example/x\x00y', 'white space or control'),
    ('https://h.example/x\x85', 'white space or control'),
])
def test_api_url_refused_with_the_reason(value, problem):
    msg = input_error(validate_api_url, value)
    assert msg.startswith('api_url ') and problem in msg


@pytest.mark.parametrize('value', [
    f'https://user:{PASSWORD}@h.example:99999/x', f'https://user:{PASSWORD}@h.example/x?q=1', f'ftp://user:{PASSWORD}@h.example/',
    f'https://user:{PASSWORD}@h.example/a b', f'https://user:{PASSWORD}@[::1/x', f'https://:{PASSWORD}@h.example/x#f',
])
def test_api_url_password_is_never_echoed(value):
    msg = input_error(validate_api_url, value)
    assert PASSWORD not in msg and 'api_url' in msg


@pytest.mark.parametrize('value, shown', [
    (f'https://user:{PASSWORD}@h.example/x', 'https://user:********@h.example/x'),
    (f'https://user:p@ss-{PASSWORD}@h.example:8443/x', 'https://user:********@h.example:8443/x'),
    ('https://user@h.example/x', 'https://user@h.example/x'),
    ('https://h.example/x', 'https://h.example/x'),
])
def test_display_url_hides_the_password(value, shown):
    assert display_url(value) == shown


@PROPERTY
@given(st.one_of(st.text(), st.builds('{0}://{1}{2}'.format, st.sampled_from(['http', 'https', 'ftp', 'HTTP']), st.text(), st.text())))
def test_any_api_url_is_a_base_url_or_refused_in_one_line(value):
    try:
        url = validate_api_url(value)
    except EsendexInputError as exc:
        assert one_line(str(exc)) and str(exc).startswith('api_url ')
    else:
        assert value.startswith(url) and not url.endswith('/') and not value[len(url):].strip('/')
        assert url.lower().startswith(('http://', 'https://')) and not any(c.isspace() or unicodedata.category(c) == 'Cc' for c in url)


@pytest.mark.parametrize('url, clear', [
    ('https://messaging.esendex.us/Messaging.svc', False),
    ('http://messaging.esendex.us/Messaging.svc', True),
    ('http://10.1.2.3:8080/x', True),
    ('http://localhost.example.com/x', True),
    ('http://127.0.0.1.nip.io/x', True),
    ('http://127.0.0.1:8080/x', False),
    ('http://127.200.1.9/x', False),
    ('http://[::1]:8080/x', False),
    ('http://localhost/x', False),
    ('http://LOCALHOST:9/x', False),
    ('http://emulator.localhost/x', False),
])
def test_clear_text_url(url, clear):
    assert is_clear_text_url(url) is clear


# ---------------------------------------------------------------- timeout, retries

@pytest.mark.parametrize('timeout, retries, option', [
    (0, 3, 'timeout'), (-1.5, 3, 'timeout'), (float('nan'), 3, 'timeout'), (float('inf'), 3, 'timeout'), (float('-inf'), 3, 'timeout'),
    (30.0, -1, 'retries'),
])
def test_settings_refused(timeout, retries, option):
    assert input_error(validate_settings, timeout, retries).startswith(option + ' ')


@pytest.mark.parametrize('timeout, retries', [(0.001, 0), (30.0, 3), (600, 1000)])
def test_settings_accepted(timeout, retries):
    assert validate_settings(timeout, retries) is None


@pytest.mark.parametrize('concurrency', [0, -1, 17, 1000])
def test_concurrency_refused(concurrency):
    assert input_error(validate_settings, 30.0, 3, concurrency) == f'concurrency must be from 1 to 16, got {concurrency}'


@pytest.mark.parametrize('concurrency', [1, 4, 16])
def test_concurrency_accepted(concurrency):
    assert validate_settings(30.0, 3, concurrency) is None


# ---------------------------------------------------------------- reference_ids

def expected_ids(values: list):
    """What the documentation promises: None for a refusal, else stripped, first occurrences, in order."""
    stripped = [v.strip() if isinstance(v, str) else '' for v in values]
    if not stripped or any(not s or any(unicodedata.category(c) == 'Cc' for c in s) for s in stripped):
        return None
    return list(dict.fromkeys(stripped))


@pytest.mark.parametrize('values, expected', [
    (['spring-sale-2026'], ['spring-sale-2026']),
    ([' a ', 'b', 'a', '\ta\n', 'B'], ['a', 'b', 'B']),
    (['\u00a0window-17\u2003', 'window-17'], ['window-17']),
    (['camp\u00e4ign \u65e5\u672c', 'x y'], ['camp\u00e4ign \u65e5\u672c', 'x y']),
    (['r' * 100000], ['r' * 100000]),
])
def test_reference_ids_normalised(values, expected):
    assert normalize_reference_ids(values) == expected


@pytest.mark.parametrize('values, where', [
    ([], 'at least one'),
    ([''], 'item 1 is empty'),
    (['ok', '   '], 'item 2 is empty'),
    (['ok', 'ok', '\u3000\n'], 'item 3 is empty'),
    (['a\x00b'], 'item 1 contains a control character'),
    (['ok', 'a\nb'], 'item 2 contains a control character'),
    (['ok', 'a\x7fb'], 'item 2 contains a control character'),
    (['a\x9fb'], 'item 1 contains a control character'),
    ([None], 'item 1 is a NoneType, not a string or a number'),
])
def test_reference_ids_refused(values, where):
    msg = input_error(normalize_reference_ids, values)
    assert msg.startswith('reference_ids ') and where in msg


def test_ten_thousand_reference_ids():
    values = [f' campaign-{i % 5000} ' for i in range(10000)]
    assert normalize_reference_ids(values) == [f'campaign-{i}' for i in range(5000)]
    assert 'item 10001 contains a control character' in input_error(normalize_reference_ids, values + ['bad\x1b[0m'])


@PROPERTY
@given(st.one_of(
    st.lists(st.text(), max_size=30),
    st.lists(st.text(alphabet=st.characters(blacklist_categories=('Cc', 'Cs')), min_size=1, max_size=5), max_size=200),
    st.lists(st.sampled_from(['a', ' a', 'b\t', '\u00a0', 'c\x01', '', 'd\u2028e', '\U0001f4de']), max_size=50),
))
def test_any_reference_ids_normalise_or_are_refused(values):
    expected = expected_ids(values)
    try:
        got = normalize_reference_ids(values)
    except EsendexInputError as exc:
        assert expected is None and one_line(str(exc)) and str(exc).startswith('reference_ids ')
    else:
        assert got == expected


# ---------------------------------------------------------------- backoff

@pytest.mark.parametrize('attempt, retry_after, wait', [
    (1, None, 0.5), (2, None, 1.0), (3, None, 2.0), (4, None, 4.0), (7, None, 32.0), (8, None, 60.0), (30, None, 60.0),
    (1024, None, 60.0), (1025, None, 60.0),
    (1, '1', 1.0), (5, ' 2 ', 2.0), (1, '0', 0.0), (1, '1.5', 1.5), (1, '61', 60.0), (1, '86400', 60.0), (1, '-5', 0.0),
    (1, '1e400', 60.0), (2, 'Wed, 21 Oct 2015 07:28:00 GMT', 1.0), (3, 'soon', 2.0), (1, '', 0.5), (1, 'nan', 0.5),
])
def test_backoff(attempt, retry_after, wait):
    assert backoff(attempt, retry_after) == wait


@PROPERTY
@given(st.integers(1, 5000), st.one_of(st.none(), st.text(), st.floats().map(str), st.integers().map(str)))
def test_backoff_is_always_a_wait_from_0_to_60_seconds(attempt, retry_after):
    wait = backoff(attempt, retry_after)
    assert isinstance(wait, float) and not math.isnan(wait) and 0.0 <= wait <= 60.0


# ---------------------------------------------------------------- parsers

@pytest.mark.parametrize('body, count', [
    (b'<int ' + NS + b'>3</int>', 3),
    (b'<?xml version="1.0" encoding="utf-8"?>\r\n<int ' + NS + b'>0</int>', 0),
    (b'\xef\xbb\xbf<int ' + NS + b'> 12\n</int>\n', 12),
    (b'<int>2147483647</int>', 2147483647),
    (b'<n:int xmlns:n="urn:other">7</n:int>', 7),
])
def test_parse_count(body, count):
    assert parse_count(body) == count


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE int [<!ENTITY a "lollollollol">'
                  + b''.join(b'<!ENTITY %c "%s">' % (ord('a') + i + 1, (b'&%c;' % (ord('a') + i)) * 10) for i in range(9))
                  + b']><int>&j;</int>')
DTD_BODIES = [
    BILLION_LAUGHS,
    b'<!DOCTYPE int [<!ENTITY x SYSTEM "file:///etc/passwd">]><int ' + NS + b'>&x;</int>',
    b'<?xml version="1.0"?>\n<!doctype int><int>1</int>',
    b'<int>1</int><!ENTITY e "x">',
]


@pytest.mark.parametrize('body', [
    b'<int ' + NS + b'>-1</int>', b'<int>2.5</int>', b'<int>many</int>', b'<int>' + b'9' * 5000 + b'</int>', b'<int>2147483648</int>',
    b'<int>+3</int>', b'<int>3 4</int>', b'<int></int>', b'<int>0x10</int>', '<int>\u0663</int>'.encode(), '<int>\uff13</int>'.encode(),
    b'<int><b/>3</int>', b'<long>3</long>', b'<int>3', b'', b'   ', b'3', b'true', b'<html><body>Service Unavailable</body></html>',
    b'<int>&lol;</int>', b'\xff\xfe<\x00i\x00n\x00t\x00>\x003\x00<\x00/\x00i\x00n\x00t\x00>\x00', b'<int>3</int>\xff',
] + DTD_BODIES)
def test_parse_count_refuses(body):
    with pytest.raises(EsendexResponseError) as caught:
        parse_count(body)
    assert one_line(str(caught.value))
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize('body', DTD_BODIES)
def test_parse_xml_refuses_dtds(body):
    with pytest.raises(EsendexResponseError, match='DOCTYPE or entity'):
        parse_xml(body)


@pytest.mark.parametrize('body, value', [(b'true', True), (b'false', False), (b' \r\n\ttrue\n', True), (b'\xef\xbb\xbffalse', False)])
def test_parse_json_bool(body, value):
    assert parse_json_bool(body) is value


@pytest.mark.parametrize('body', [
    b'"true"', b'1', b'0', b'{"d":true}', b'{"d": false}', b'null', b'', b'True', b'FALSE', b'[true]', b'true true', b'tru',
    b'true\x00', '\u00a0true'.encode(), b'\xfftrue', b'<boolean>true</boolean>',
])
def test_parse_json_bool_refuses(body):
    with pytest.raises(EsendexResponseError, match='JSON literal true or false|not valid UTF-8'):
        parse_json_bool(body)


SOAP11_FAULT = (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                b'<soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. '
                b'---&gt; Object reference not set to an instance of an object.</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>')
SOAP12_FAULT = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value>'
                b'</s:Code><s:Reason><s:Text xml:lang="en-US">The license key is not valid.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>')
ASMX_TEXT = (b'System.InvalidOperationException: Request format is invalid: application/json.\r\n'
             b'   at System.Web.Services.Protocols.HttpServerProtocol.ReadParameters()\r\n')
WCF_HTML = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\r\n'
            b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Request Error</title><style>BODY { color: #000000; }</style></head>'
            b'<body><div id="content"><p class="heading1">Request Error</p><p>The server encountered an error processing the request. '
            b'See server logs for more details.</p></div><script>var x = "<p>hidden</p>";</script></body></html>')


@pytest.mark.parametrize('body, content_type, expected', [
    (SOAP11_FAULT, 'text/xml; charset=utf-8', 'Server was unable to process request. ---> Object reference not set to an instance of an object.'),
    (SOAP12_FAULT, 'application/soap+xml', 'The license key is not valid.'),
    (SOAP11_FAULT, '', 'Server was unable to process request. ---> Object reference not set to an instance of an object.'),
    (ASMX_TEXT, 'text/plain; charset=utf-8', 'System.InvalidOperationException: Request format is invalid: application/json.'),
    (WCF_HTML, 'text/html', 'Request Error The server encountered an error processing the request. See server logs for more details.'),
    (WCF_HTML, 'application/octet-stream', 'Request Error The server encountered an error processing the request. See server logs for more details.'),
    (b'', 'text/plain', '(empty body)'),
    (b' \r\n\t ', 'text/html', '(empty body)'),
    (b'{"Message":\n  "An error has occurred."}', 'application/json', '{"Message": "An error has occurred."}'),
    (b'<int>oops', 'text/xml', '<int>oops'),
    (b'x' * 500, 'text/plain', 'x' * 197 + '...'),
    (b'bad \xff byte', '', 'bad \ufffd byte'),
])
def test_excerpt(body, content_type, expected):
    assert excerpt(body, content_type) == expected


@pytest.mark.parametrize('body, content_type', [
    (b'<html><body><br/></body></html>', 'text/html'),
    (b'<s:Fault xmlns:s="s"><faultstring> </faultstring></s:Fault>', 'text/xml'),
])
def test_excerpt_says_something_about_a_body_that_is_not_empty(body, content_type):
    assert excerpt(body, content_type).strip()


# ---------------------------------------------------------------- properties of the parsers

XML_PIECES = st.sampled_from([
    '<int>', '</int>', '<int xmlns="https://ws.esendex.us/NotifyWS/">', '<n:int xmlns:n="u">', '</n:int>', '<!DOCTYPE int>',
    '<!ENTITY e "x">', '&e;', '&amp;', '&#0;', '&#x10FFFF;', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>',
    '<?xml version="1.0" encoding="bogus"?>', '<faultstring>', '</faultstring>', '<s:Reason xmlns:s="s">', '<s:Text>', '</s:Text>',
    '</s:Reason>', '<html>', '<head>', '</head>', '<script>', '<style>', '</style>', '<![CDATA[', ']]>', '<!--', '-->', 'true', 'false',
    '-1', '2.5', '42', '2147483648', ' ', '\r\n', '"', '{"d":', '}', '\ufeff', '\x00', '\u2028', '<', '>',
])
TEXTS = st.lists(st.one_of(XML_PIECES, st.text(max_size=6)), max_size=16).map(''.join)
BODIES = st.one_of(
    st.binary(max_size=400),
    TEXTS.map(str.encode),
    TEXTS.map(lambda text: text.encode('utf-16')),
    st.integers().map(lambda n: b'<int %s>%d</int>' % (NS, n)),
    st.sampled_from([BILLION_LAUGHS, SOAP11_FAULT, SOAP12_FAULT, WCF_HTML, ASMX_TEXT]),
)
CONTENT_TYPES = st.one_of(st.sampled_from(['', 'text/xml; charset=utf-8', 'application/json', 'text/html', 'text/plain', 'application/soap+xml']),
                          st.text(max_size=30))


def valid_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2 ** 31 - 1


@pytest.mark.parametrize('parse, valid', [
    (parse_count, valid_count),
    (parse_json_bool, lambda value: isinstance(value, bool)),
    (parse_xml, ET.iselement),
])
@PROPERTY
@given(body=BODIES)
def test_parsers_return_a_valid_value_or_raise_their_own_error(parse, valid, body):
    try:
        value = parse(body)
    except EsendexError as exc:
        assert one_line(str(exc))
    else:
        assert valid(value)


@PROPERTY
@given(BODIES, CONTENT_TYPES)
def test_excerpt_is_always_one_short_line(body, content_type):
    line = excerpt(body, content_type)
    assert isinstance(line, str) and one_line(line) and len(line) <= MAX_EXCERPT and line == line.strip()


# ---------------------------------------------------------------- quoted values are bounded (issue 9 item 8)

@pytest.mark.parametrize('value, shown', [
    ('spring-sale-2026', "'spring-sale-2026'"),
    ('r' * 60, repr('r' * 60)),
    ('r' * 61, repr('r' * 57 + '...')),
    ('r' * 10000, repr('r' * 57 + '...')),
    (12345, "'12345'"),
    ('a\nb', "'a\\nb'"),
])
def test_quote(value, shown):
    assert quote(value) == shown


@PROPERTY
@given(st.one_of(st.text(), st.text(min_size=55, max_size=400), st.integers()), st.integers(4, 200))
def test_quote_is_one_bounded_line_that_starts_like_the_value(value, limit):
    text = str(value)
    shown = quote(value, limit)
    inner = ast.literal_eval(shown)
    assert one_line(shown) and len(inner) <= limit
    assert inner == text if len(text) <= limit else inner == text[:limit - 3] + '...'
    assert len(shown) <= 10 * limit + 2  # the longest escape, \\U0010ffff, is ten characters


# ---------------------------------------------------------------- reference_ids: strings and numbers only (issue 9 item 8)

@pytest.mark.parametrize('values, expected', [
    ([2026], ['2026']),
    (['2026', 2026, ' 2026 '], ['2026']),
    ([7, 'seven', 7.5], ['7', 'seven', '7.5']),
    ([0], ['0']),
])
def test_reference_ids_numbers_become_strings(values, expected):
    assert normalize_reference_ids(values) == expected


@pytest.mark.parametrize('values, where', [
    ([['a']], 'item 1 is a list, not a string or a number'),
    ([True], 'item 1 is a bool, not a string or a number'),
    (['ok', False], 'item 2 is a bool, not a string or a number'),
    ([{'a': 1}], 'item 1 is a dict, not a string or a number'),
    (['ok', 'fine', ('t',)], 'item 3 is a tuple, not a string or a number'),
    ([b'bytes'], 'item 1 is a bytes, not a string or a number'),
])
def test_reference_ids_that_are_not_scalars_are_refused(values, where):
    msg = input_error(normalize_reference_ids, values)
    assert msg == f'reference_ids {where}'  # the message says the type, never the value


SCALARS = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.lists(st.text(max_size=2), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


def expected_reference_ids(values: list):
    """The documented rule: (None, index of the first refused item) or (the normalized list, None)."""
    if not values:
        return None, 0
    texts = []
    for index, value in enumerate(values, start=1):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None, index
        text = str(value).strip()
        if not text or any(unicodedata.category(c) == 'Cc' for c in text):
            return None, index
        texts.append(text)
    return list(dict.fromkeys(texts)), None


@PROPERTY
@given(st.lists(SCALARS, max_size=12))
def test_any_reference_ids_of_any_type_normalise_or_are_refused_naming_the_item(values):
    expected, bad = expected_reference_ids(values)
    try:
        got = normalize_reference_ids(values)
    except EsendexInputError as exc:
        msg = str(exc)
        assert expected is None and one_line(msg) and len(msg) < 200
        assert msg.startswith(f'reference_ids item {bad} ') if bad else msg.startswith('reference_ids must name')
    else:
        assert got == expected and all(isinstance(text, str) for text in got)


# ---------------------------------------------------------------- queue_ids (issue 11)

@pytest.mark.parametrize('values, expected', [
    ([], []),
    ([1], [1]),
    ([MAX_QUEUE_ID, 1, 4096001], [9223372036854775807, 1, 4096001]),
    ([5, 3, 5, 3, 7], [5, 3, 7]),
])
def test_queue_ids_normalised(values, expected):
    assert normalize_queue_ids(values) == expected


@pytest.mark.parametrize('values, where', [
    ([0], 'item 1 is '),
    ([1, -1], 'item 2 is '),
    ([1, 2, MAX_QUEUE_ID + 1], 'item 3 is '),
    ([2 ** 200], 'item 1 is '),
    ([True], 'item 1 is a bool, '),
    ([1, False], 'item 2 is a bool, '),
    (['1'], 'item 1 is a str, '),
    ([1.0], 'item 1 is a float, '),
    ([None], 'item 1 is a NoneType, '),
    ([[1]], 'item 1 is a list, '),
])
def test_queue_ids_refused_naming_the_item(values, where):
    msg = input_error(normalize_queue_ids, values)
    assert msg.startswith(f'queue_ids {where}') and msg.endswith('not a QueueID (a whole number from 1 to 9223372036854775807)')
    assert len(msg) < 200  # 2 ** 200 is quoted cut short


QUEUE_ITEMS = st.one_of(st.integers(-3, 10), st.integers(MAX_QUEUE_ID - 2, MAX_QUEUE_ID + 2), st.integers(), st.booleans(),
                        st.floats(), st.text(max_size=3), st.none())


@PROPERTY
@given(st.lists(QUEUE_ITEMS, max_size=12))
def test_any_queue_ids_are_distinct_int64s_or_refused_naming_the_first_bad_item(values):
    bad = next((i for i, v in enumerate(values, 1) if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_QUEUE_ID), None)
    try:
        got = normalize_queue_ids(values)
    except EsendexInputError as exc:
        assert bad is not None and str(exc).startswith(f'queue_ids item {bad} ') and one_line(str(exc)) and len(str(exc)) < 200
    else:
        assert bad is None and got == list(dict.fromkeys(values)) and all(type(v) is int for v in got)  # pylint: disable=unidiomatic-typecheck


# ---------------------------------------------------------------- message_ids (issue 11)

MID = '6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'
MID2 = '0b5e8d31-7c2a-4f96-b1e4-3a9c6d0f2e75'


@pytest.mark.parametrize('values, expected', [
    ([], []),
    ([MID], [MID]),
    ([MID.upper(), MID2, MID, MID2.upper()], [MID.upper(), MID2]),  # repeats compared case-insensitively, first as given
    ([f' {MID}\n', MID], [MID]),  # surrounding white space removed
    ([MID2, MID], [MID2, MID]),
])
def test_message_ids_normalised(values, expected):
    assert normalize_message_ids(values) == expected


@pytest.mark.parametrize('values, where', [
    (['not-a-guid'], "item 1 is 'not-a-guid', "),
    ([MID, f'{{{MID}}}'], f"item 2 is '{{{MID}}}', "),
    ([MID, MID2, MID.replace('-', '')], 'item 3 is '),
    ([MID[:-1]], 'item 1 is '),
    ([MID[:8] + ' ' + MID[9:]], 'item 1 is '),
    ([''], "item 1 is '', "),
    (['x' * 10000], "item 1 is '" + 'x' * 57 + "...', "),
    ([f'{MID}\x1b[0m'], 'item 1 is a str, '),  # a control character is never echoed
    ([None], 'item 1 is a NoneType, '),
    ([42], 'item 1 is a int, '),
    ([[MID]], 'item 1 is a list, '),
])
def test_message_ids_refused_naming_the_item(values, where):
    msg = input_error(normalize_message_ids, values)
    assert msg.startswith(f'message_ids {where}') and msg.endswith('not a MessageID (a GUID: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
    assert len(msg) < 250


MESSAGE_ITEMS = st.one_of(
    st.builds(lambda uuid, upper: str(uuid).upper() if upper else str(uuid), st.uuids(), st.booleans()),
    st.sampled_from([MID, MID.upper(), f' {MID}\t', MID2]),
    st.builds('{0}{1}{2}'.format, st.sampled_from(['', ' ', '\n', '{', 'x']), st.sampled_from([MID, MID2]), st.sampled_from(['', ' ', '}'])),
    st.text(max_size=40), st.integers(), st.none(),
)


@PROPERTY
@given(st.lists(MESSAGE_ITEMS, max_size=10))
def test_any_message_ids_are_distinct_guids_or_refused_naming_the_first_bad_item(values):
    def guid(value):
        return isinstance(value, str) and GUID_SHAPE.fullmatch(value.strip())

    bad = next((i for i, v in enumerate(values, 1) if not guid(v)), None)
    try:
        got = normalize_message_ids(values)
    except EsendexInputError as exc:
        assert bad is not None and str(exc).startswith(f'message_ids item {bad} ') and one_line(str(exc)) and len(str(exc)) < 250
    else:
        firsts = {}
        for value in values:
            firsts.setdefault(value.strip().lower(), value.strip())
        assert bad is None and got == list(firsts.values())


# ---------------------------------------------------------------- CancelNotify's <boolean> (issue 11)

@pytest.mark.parametrize('body, value', [
    (b'<boolean ' + NS + b'>true</boolean>', True),
    (b'<boolean ' + NS + b'>false</boolean>', False),
    (b'<?xml version="1.0" encoding="utf-8"?>\r\n<boolean ' + NS + b'>true</boolean>', True),
    (b'\xef\xbb\xbf<boolean xmlns="urn:anything-else"> false\n</boolean>\n', False),
    (b'<boolean>true</boolean>', True),
    (b'<n:boolean xmlns:n="https://ws.esendex.us/NotifyWS/">true</n:boolean>', True),
])
def test_parse_xml_bool(body, value):
    assert parse_xml_bool(body) is value


@pytest.mark.parametrize('body', [
    b'<boolean>True</boolean>', b'<boolean>FALSE</boolean>', b'<boolean>1</boolean>', b'<boolean>0</boolean>', b'<boolean></boolean>',
    b'<boolean>true false</boolean>', b'<boolean><b/>true</boolean>', b'<boolean>true<b/></boolean>', b'<bool>true</bool>',
    b'<int>1</int>', b'<boolean>true', b'true', b'false', b'"true"', b'', b'<html><body>true</body></html>',
    b'<!DOCTYPE boolean><boolean>true</boolean>', b'<!DOCTYPE b [<!ENTITY t "true">]><boolean>&t;</boolean>',
    b'<ArrayOfNotifyReturn ' + NS + b'/>', b'<boolean>\xfftrue</boolean>', '<boolean>tru\u0435</boolean>'.encode(),
])
def test_parse_xml_bool_refuses(body):
    with pytest.raises(EsendexResponseError) as caught:
        parse_xml_bool(body)
    assert one_line(str(caught.value)) and len(str(caught.value)) < 200


# ---------------------------------------------------------------- GetMultipleQueueIdStatus' ArrayOfNotifyReturn (issue 11)

FIELDS = ('ResponseCode', 'ResponseText', 'CallAnswered', 'QueueID', 'TryCount', 'Demo', 'DigitsPressed', 'MachineDetection',
          'Duration', 'StartTime', 'EndTime', 'MinuteRate', 'Country', 'CallComplete', 'TextToSay', 'VariableArray')


def notify_return(queue_id, code, text, complete, **extra) -> str:
    """One NotifyReturn with its children in the documented order (null strings left out, as ASMX does)."""
    values = {'ResponseCode': code, 'ResponseText': text, 'CallAnswered': 'false', 'QueueID': queue_id, 'TryCount': 0,
              'Demo': 'false', 'Duration': 0, 'StartTime': '0001-01-01T00:00:00', 'EndTime': '0001-01-01T00:00:00',
              'MinuteRate': '0.0000', 'CallComplete': complete, **extra}
    return '<NotifyReturn>' + ''.join(f'<{name}>{xml_escape(str(values[name]))}</{name}>' for name in FIELDS
                                      if values.get(name) is not None) + '</NotifyReturn>'


def array(*entries: str, ns: str = 'https://ws.esendex.us/NotifyWS/') -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\r\n<ArrayOfNotifyReturn xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{ns}">' + ''.join(entries) + '</ArrayOfNotifyReturn>').encode()


@pytest.mark.parametrize('body, statuses', [
    (array(), {}),
    (array(notify_return(4096001, 0, 'Queued', 'false')), {4096001: CallStatus(0, 'Queued', False)}),
    (array(notify_return(3, 1, 'Call Answered', 'true'), notify_return(1, 0, 'Queued', 'false'), notify_return(2, 12, 'Dialing', 'false')),
     {3: CallStatus(1, 'Call Answered', True), 1: CallStatus(0, 'Queued', False), 2: CallStatus(12, 'Dialing', False)}),
    (array(notify_return(MAX_QUEUE_ID, 22, '  Cancelled \n by\tuser ', 'true')), {MAX_QUEUE_ID: CallStatus(22, 'Cancelled by user', True)}),
    (array(notify_return(7, 0, None, 'false')), {7: CallStatus(0, '', False)}),  # ResponseText left out when null
    (array(notify_return(7, -1, 'x' * 500, 'false')), {7: CallStatus(-1, 'x' * 200, False)}),
    (array(notify_return(7, 0, 'Queued', 'false'), ns='urn:another'), {7: CallStatus(0, 'Queued', False)}),
    (array(notify_return(8, 0, 'Queued', 'false', VariableArray='<x>')), {8: CallStatus(0, 'Queued', False)}),
])
def test_parse_notify_returns(body, statuses):
    got = parse_notify_returns(body)
    assert got == statuses and list(got) == list(statuses)


@pytest.mark.parametrize('body', [
    b'<ArrayOfNotifyReturn ' + NS + b'>',
    b'<NotifyReturn ' + NS + b'><QueueID>1</QueueID><ResponseCode>0</ResponseCode><CallComplete>false</CallComplete></NotifyReturn>',
    b'<ArrayOfInt ' + NS + b'/>',
    array('<Other><QueueID>1</QueueID><ResponseCode>0</ResponseCode><CallComplete>false</CallComplete></Other>'),
    array(notify_return(None, 0, 'Queued', 'false')),
    array(notify_return(1, None, 'Queued', 'false')),
    array(notify_return(1, 0, 'Queued', None)),
    array(notify_return('one', 0, 'Queued', 'false')),
    array(notify_return(-1, 0, 'Queued', 'false')),
    array(notify_return('1.5', 0, 'Queued', 'false')),
    array(notify_return('9' * 20, 0, 'Queued', 'false')),
    array(notify_return(1, 'Queued', 'Queued', 'false')),
    array(notify_return(1, '0.0', 'Queued', 'false')),
    array(notify_return(1, 0, 'Queued', 'True')),
    array(notify_return(1, 0, 'Queued', '1')),
    array(notify_return(1, 0, 'Queued', 'false') + notify_return(2, 0, 'Queued', 'maybe')),
    array(notify_return(1, 0, 'Queued', 'false').replace('<QueueID>1</QueueID>', '<QueueID>1</QueueID><QueueID>2</QueueID>')),
    b'<!DOCTYPE a><ArrayOfNotifyReturn/>', b'', b'[]', b'<html><body>Service Unavailable</body></html>',
])
def test_parse_notify_returns_refuses(body):
    with pytest.raises(EsendexResponseError) as caught:
        parse_notify_returns(body)
    assert one_line(str(caught.value)) and len(str(caught.value)) < 200


XML_TEXT = st.text(st.characters(blacklist_categories=('Cs', 'Cc', 'Cn')) | st.sampled_from(' \t\n\r'), max_size=30)
ENTRIES = st.lists(st.tuples(st.integers(0, MAX_QUEUE_ID), st.integers(-10 ** 9, 10 ** 9), XML_TEXT, st.booleans()),
                   max_size=8, unique_by=lambda entry: entry[0])


@PROPERTY
@given(ENTRIES, st.randoms(use_true_random=False), st.sampled_from(['https://ws.esendex.us/NotifyWS/', 'urn:x', '']))
def test_parse_notify_returns_reads_every_entry_by_queue_id(entries, rnd, ns):
    rnd.shuffle(entries)
    body = array(*(notify_return(qid, code, text, 'true' if complete else 'false') for qid, code, text, complete in entries), ns=ns)
    expected = {qid: CallStatus(code, ' '.join(text.split())[:200], complete) for qid, code, text, complete in entries}
    got = parse_notify_returns(body)
    assert got == expected and list(got) == [entry[0] for entry in entries]
    assert all(status.cancellable is (status.code == 0 and not status.complete) for status in got.values())


NOTIFY_PIECES = st.sampled_from([
    '<ArrayOfNotifyReturn xmlns="https://ws.esendex.us/NotifyWS/">', '</ArrayOfNotifyReturn>', '<NotifyReturn>', '</NotifyReturn>',
    '<QueueID>', '</QueueID>', '<ResponseCode>', '</ResponseCode>', '<CallComplete>', '</CallComplete>', '<ResponseText>',
    '</ResponseText>', '<boolean xmlns="https://ws.esendex.us/NotifyWS/">', '</boolean>', 'true', 'false', '0', '22', '-1',
    '9223372036854775807', '99999999999999999999', ' ', '&amp;', '<!DOCTYPE a>', '<x/>',
])
NOTIFY_BODIES = st.one_of(BODIES, st.lists(st.one_of(NOTIFY_PIECES, st.text(max_size=4)), max_size=24).map(lambda t: ''.join(t).encode()))


def valid_statuses(value) -> bool:
    return isinstance(value, dict) and all(
        type(qid) is int and qid >= 0 and isinstance(status, CallStatus) and type(status.code) is int  # pylint: disable=unidiomatic-typecheck
        and isinstance(status.complete, bool) and isinstance(status.text, str) and len(status.text) <= 200
        for qid, status in value.items())


@pytest.mark.parametrize('parse, valid', [
    (parse_xml_bool, lambda value: isinstance(value, bool)),
    (parse_notify_returns, valid_statuses),
])
@PROPERTY
@given(body=NOTIFY_BODIES)
def test_new_parsers_return_a_valid_value_or_raise_a_response_error(parse, valid, body):
    try:
        value = parse(body)
    except EsendexResponseError as exc:  # and never any other exception
        assert one_line(str(exc)) and len(str(exc)) < 200
    else:
        assert valid(value)
