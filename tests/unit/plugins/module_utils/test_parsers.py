# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's wire parsers and message helpers, without HTTP: examples, then hypothesis properties."""

from __future__ import annotations

import ast
import json
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.esendex.us.plugins.module_utils._client import (
    MAX_QUEUE_ID,
    SMS_ERRORS,
    CallStatus,
    EsendexError,
    EsendexResponseError,
    MessageStatus,
    backoff,
    display_url,
    excerpt,
    parse_count,
    parse_json_bool,
    parse_notify_returns,
    parse_sms_response,
    parse_xml,
    parse_xml_bool,
    quote,
)

NS = b'xmlns="https://ws.esendex.us/NotifyWS/"'
MID = '6f1c9a2e-3b7d-4e58-a0c4-9d2e7b1f5a38'
ZERO = '00000000-0000-0000-0000-000000000000'
PASSWORD = 'Qx7-urlpass-Zk93wq'
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DOTNET_MIN_MS = -62135596800000  # 0001-01-01T00:00:00Z

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def one_line(msg: str) -> bool:
    return bool(msg) and len(msg.splitlines()) == 1


def refuses(parse, body) -> str:
    """parse(body) must raise EsendexResponseError with one short line; return it."""
    with pytest.raises(EsendexResponseError) as caught:
        parse(body)
    assert one_line(str(caught.value)) and len(str(caught.value)) < 400
    return str(caught.value)


# ---------------------------------------------------------------- scalar answers: <int>, <boolean>, JSON true/false

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE int [<!ENTITY a "lollollollol">'
                  + b''.join(b'<!ENTITY %c "%s">' % (ord('a') + i + 1, (b'&%c;' % (ord('a') + i)) * 10) for i in range(9))
                  + b']><int>&j;</int>')
DTD_BODIES = [
    BILLION_LAUGHS,
    b'<!DOCTYPE int [<!ENTITY x SYSTEM "file:///etc/passwd">]><int ' + NS + b'>&x;</int>',
    b'<?xml version="1.0"?>\n<!doctype int><int>1</int>',
    b'<int>1</int><!ENTITY e "x">',
]


@pytest.mark.parametrize('parse, body, value', [
    (parse_count, b'<int ' + NS + b'>3</int>', 3), (parse_count, b'<?xml version="1.0" encoding="utf-8"?>\r\n<int ' + NS + b'>0</int>', 0),
    (parse_count, b'\xef\xbb\xbf<int ' + NS + b'> 12\n</int>\n', 12), (parse_count, b'<int>2147483647</int>', 2147483647),
    (parse_count, b'<n:int xmlns:n="urn:other">7</n:int>', 7), (parse_xml_bool, b'<boolean ' + NS + b'>true</boolean>', True),
    (parse_xml_bool, b'<?xml version="1.0" encoding="utf-8"?>\r\n<boolean ' + NS + b'>false</boolean>', False),
    (parse_xml_bool, b'\xef\xbb\xbf<boolean xmlns="urn:anything-else"> false\n</boolean>\n', False),
    (parse_xml_bool, b'<n:boolean xmlns:n="https://ws.esendex.us/NotifyWS/">true</n:boolean>', True),
    (parse_json_bool, b'true', True), (parse_json_bool, b'false', False), (parse_json_bool, b' \r\n\ttrue\n', True),
    (parse_json_bool, b'\xef\xbb\xbffalse', False),
])
def test_scalar_answers(parse, body, value):
    got = parse(body)
    assert got == value and type(got) is type(value)  # pylint: disable=unidiomatic-typecheck


@pytest.mark.parametrize('body', [
    b'<int ' + NS + b'>-1</int>', b'<int>2.5</int>', b'<int>many</int>', b'<int>' + b'9' * 5000 + b'</int>', b'<int>2147483648</int>',
    b'<int>+3</int>', b'<int>3 4</int>', b'<int></int>', b'<int>0x10</int>', '<int>\u0663</int>'.encode(), '<int>\uff13</int>'.encode(),
    b'<int><b/>3</int>', b'<long>3</long>', b'<int>3', b'', b'   ', b'3', b'true', b'<html><body>Service Unavailable</body></html>',
    b'<int>&lol;</int>', b'\xff\xfe<\x00i\x00n\x00t\x00>\x003\x00<\x00/\x00i\x00n\x00t\x00>\x00', b'<int>3</int>\xff',
] + DTD_BODIES)
def test_parse_count_refuses(body):
    refuses(parse_count, body)


@pytest.mark.parametrize('body', [
    b'<boolean>True</boolean>', b'<boolean>FALSE</boolean>', b'<boolean>1</boolean>', b'<boolean></boolean>', b'<boolean>true false</boolean>',
    b'<boolean><b/>true</boolean>', b'<bool>true</bool>', b'<int>1</int>', b'<boolean>true', b'true', b'"true"', b'',
    b'<!DOCTYPE b [<!ENTITY t "true">]><boolean>&t;</boolean>', b'<ArrayOfNotifyReturn ' + NS + b'/>', b'<boolean>\xfftrue</boolean>',
    '<boolean>tru\u0435</boolean>'.encode(),
])
def test_parse_xml_bool_refuses(body):
    refuses(parse_xml_bool, body)


@pytest.mark.parametrize('body', [
    b'"true"', b'1', b'0', b'{"d":true}', b'null', b'', b'True', b'FALSE', b'[true]', b'true true', b'tru', b'true\x00',
    '\u00a0true'.encode(), b'\xfftrue', b'<boolean>true</boolean>',
])
def test_parse_json_bool_refuses(body):
    msg = refuses(parse_json_bool, body)
    assert 'JSON literal true or false' in msg or 'not valid UTF-8' in msg


@pytest.mark.parametrize('body', DTD_BODIES)
def test_parse_xml_refuses_dtds(body):
    assert 'DOCTYPE or entity' in refuses(parse_xml, body)


# ---------------------------------------------------------------- GetMultipleQueueIdStatus: ArrayOfNotifyReturn

ORDER = ('ResponseCode', 'ResponseText', 'CallAnswered', 'QueueID', 'TryCount', 'Demo', 'DigitsPressed', 'MachineDetection',
         'Duration', 'StartTime', 'EndTime', 'MinuteRate', 'Country', 'CallComplete', 'TextToSay', 'VariableArray')
FULL = {'ResponseCode': 1, 'ResponseText': 'Call Answered', 'CallAnswered': 'true', 'QueueID': 4096001, 'TryCount': 2, 'Demo': 'false',
        'DigitsPressed': '1#', 'MachineDetection': 'HUMAN', 'Duration': 42, 'StartTime': '2026-12-07T10:15:03.57',
        'EndTime': '2026-12-07T10:15:45.57', 'MinuteRate': '0.0900', 'Country': 'US', 'CallComplete': 'true', 'TextToSay': 'Hello'}
FULL_STATUS = CallStatus(4096001, 1, 'Call Answered', True, True, 'HUMAN', 42, '2026-12-07T10:15:03.57', '2026-12-07T10:15:45.57',
                         '1#', 2, 0.09)
WIRE = {'response_code': 'ResponseCode', 'response_text': 'ResponseText', 'call_answered': 'CallAnswered', 'queue_id': 'QueueID',
        'try_count': 'TryCount', 'digits_pressed': 'DigitsPressed', 'machine_detection': 'MachineDetection', 'duration': 'Duration',
        'start_time': 'StartTime', 'end_time': 'EndTime', 'minute_rate': 'MinuteRate', 'call_complete': 'CallComplete'}
FIELD = {element: field for field, element in WIRE.items()}


def notify_return(**fields) -> str:
    """One NotifyReturn with its children in the documented order; a field given as None is left out."""
    values = {**FULL, **fields}
    return '<NotifyReturn>' + ''.join(f'<{name}>{xml_escape(str(values[name]))}</{name}>' for name in ORDER
                                      if values.get(name) is not None) + '</NotifyReturn>'


def array(*entries: str, ns: str = 'https://ws.esendex.us/NotifyWS/') -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\r\n<ArrayOfNotifyReturn xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{ns}">' + ''.join(entries) + '</ArrayOfNotifyReturn>').encode()


def only(**fields) -> CallStatus:
    [status] = list(parse_notify_returns(array(notify_return(**fields))).values())
    return status


def test_every_field_of_a_notify_return_is_read_with_its_type():
    status = only()
    assert status == FULL_STATUS
    assert [type(value) for value in status] == [int, int, str, bool, bool, str, int, str, str, str, int, float]


@pytest.mark.parametrize('element', [element for element in WIRE.values() if element not in ('QueueID', 'ResponseCode', 'CallComplete')])
@pytest.mark.parametrize('written', [None, '', '   '])
def test_an_absent_or_empty_field_is_none(element, written):
    assert only(**{element: written}) == FULL_STATUS._replace(**{FIELD[element]: None})


@pytest.mark.parametrize('element, written, value', [
    ('CallAnswered', 'True', None), ('CallAnswered', '1', None), ('CallAnswered', 'yes', None), ('Duration', '4.5', None),
    ('Duration', 'forty', None), ('Duration', '99999999999', None), ('Duration', '\u0664\u0662', None), ('TryCount', '+1', None),
    ('TryCount', '1e3', None), ('MinuteRate', '1e-3', None), ('MinuteRate', 'NaN', None), ('MinuteRate', '0,09', None),
    ('MinuteRate', '.5', None), ('MinuteRate', 'inf', None),  # a malformed typed field is None
    ('ResponseText', '  Cancelled \n by\tuser ', 'Cancelled by user'), ('ResponseText', 'x' * 500, 'x' * 200),  # text: one bounded line
    ('MachineDetection', ' MACHINE\n', 'MACHINE'), ('Duration', '-1', -1), ('MinuteRate', '-0.5', -0.5), ('MinuteRate', '3', 3.0),
    ('QueueID', MAX_QUEUE_ID, MAX_QUEUE_ID),
])
def test_a_field_is_read_as_its_type_or_none(element, written, value):
    assert only(**{element: written}) == FULL_STATUS._replace(**{FIELD[element]: value})


def test_entries_are_matched_by_queue_id_never_by_position():
    entries = [notify_return(QueueID=3, ResponseCode=12, ResponseText='Dialing', CallComplete='false'),
               notify_return(QueueID=1, ResponseCode=0, ResponseText='Queued', CallComplete='false'),
               notify_return(QueueID=2, ResponseCode=22, ResponseText='Cancelled')]
    got = parse_notify_returns(array(*entries, ns='urn:another'))
    assert list(got) == [3, 1, 2] and [(s.queue_id, s.response_code, s.label) for s in got.values()] == [
        (3, 12, 'Dialing'), (1, 0, 'Queued'), (2, 22, 'Cancelled')]
    assert parse_notify_returns(array()) == {}


@pytest.mark.parametrize('body', [
    b'<ArrayOfNotifyReturn ' + NS + b'>',
    notify_return().encode(),
    b'<ArrayOfInt ' + NS + b'/>',
    array(notify_return().replace('NotifyReturn>', 'Other>')),
    array(notify_return(QueueID=None)), array(notify_return(ResponseCode=None)), array(notify_return(CallComplete=None)),
    array(notify_return(QueueID='one')), array(notify_return(QueueID=-1)), array(notify_return(QueueID='1.5')),
    array(notify_return(QueueID='9' * 20)), array(notify_return(ResponseCode='Queued')), array(notify_return(ResponseCode='0.0')),
    array(notify_return(CallComplete='True')), array(notify_return(CallComplete='1')),
    array(notify_return(QueueID=1) + notify_return(QueueID=2, CallComplete='maybe')),
    array(notify_return().replace('<QueueID>4096001</QueueID>', '<QueueID>1</QueueID><QueueID>2</QueueID>')),
    b'<!DOCTYPE a><ArrayOfNotifyReturn/>', b'', b'[]', b'<html><body>Service Unavailable</body></html>',
])
def test_a_notify_return_without_queue_id_response_code_or_call_complete_is_refused(body):
    refuses(parse_notify_returns, body)


@pytest.mark.parametrize('code, complete, text, cancellable, label', [
    (0, False, 'Queued', True, 'Queued'), (0, True, 'Queued', False, 'Queued'), (12, False, 'Dialing', False, 'Dialing'),
    (22, True, 'Cancelled', False, 'Cancelled'), (46, False, None, False, 'ResponseCode 46'), (0, False, None, True, 'ResponseCode 0'),
])
def test_call_status_cancellable_and_label(code, complete, text, cancellable, label):
    status = CallStatus(7, code, text, complete)
    assert (status.cancellable, status.label) == (cancellable, label)


WORDS = st.lists(st.text('abcXYZ09#*-.:', min_size=1, max_size=8), min_size=1, max_size=4).map(' '.join)
CALLS = st.builds(
    CallStatus, queue_id=st.integers(0, MAX_QUEUE_ID), response_code=st.integers(-2 ** 31, 2 ** 31 - 1),
    response_text=st.none() | WORDS, call_complete=st.booleans(), call_answered=st.none() | st.booleans(),
    machine_detection=st.none() | WORDS, duration=st.none() | st.integers(-2 ** 31, 2 ** 31 - 1), start_time=st.none() | WORDS,
    end_time=st.none() | WORDS, digits_pressed=st.none() | WORDS, try_count=st.none() | st.integers(0, 99),
    minute_rate=st.none() | st.decimals(-10 ** 6, 10 ** 6, places=4).map(float))


def written(status: CallStatus) -> str:
    """A NotifyReturn as the service writes it: documented order, booleans in lower case, decimals with 4 places, nulls left out."""
    def text(value):
        return str(value).lower() if isinstance(value, bool) else f'{value:.4f}' if isinstance(value, float) else value
    values = {WIRE[name]: text(value) for name, value in status._asdict().items()}
    return notify_return(**{element: values.get(element) for element in ORDER})


@PROPERTY
@given(st.lists(CALLS, max_size=6, unique_by=lambda status: status.queue_id), st.sampled_from(['https://ws.esendex.us/NotifyWS/', '']))
def test_any_well_formed_array_of_notify_return_round_trips(calls, ns):
    got = parse_notify_returns(array(*map(written, calls), ns=ns))
    assert got == {status.queue_id: status for status in calls} and list(got) == [status.queue_id for status in calls]


# ---------------------------------------------------------------- GetMessageStatus: SMSResponse

def sms(**fields) -> bytes:
    """An SMSResponse as WCF writes it (alphabetical, compact, slashes escaped); a field given as ... is left out."""
    doc = {'Cancelled': False, 'MessageID': MID, 'Queued': False, 'ReferenceID': None, 'SMSError': 0, 'SMSIncomingMessages': None,
           'Sent': True, 'SentDateTime': '/Date(1796115600000)/', **fields}
    return json.dumps({k: v for k, v in doc.items() if v is not ...}, separators=(',', ':')).replace('/', '\\/').encode()


def test_an_sms_response_is_read():
    assert parse_sms_response(sms()) == MessageStatus(MID, False, False, True, '2026-12-01T09:00:00+00:00', None, 'NoError')
    assert parse_sms_response(sms(MessageID=MID.upper(), ReferenceID='  spring \n sale ', Sent=False)) == MessageStatus(
        MID, False, False, False, '2026-12-01T09:00:00+00:00', 'spring sale', 'NoError')
    assert parse_sms_response(sms(ReferenceID='r' * 500)).reference_id == 'r' * 200


@pytest.mark.parametrize('error, name', list(enumerate(SMS_ERRORS)) + [(name, name) for name in ('NoError', 'NotFound', 'InternalError')])
def test_sms_error_as_number_or_name(error, name):
    assert parse_sms_response(sms(SMSError=error)).error == name


@pytest.mark.parametrize('when, iso', [
    ('/Date(1796115600000)/', '2026-12-01T09:00:00+00:00'),
    ('/Date(1796115600000-0400)/', '2026-12-01T09:00:00+00:00'),  # the offset is for display: the milliseconds are UTC
    ('/Date(1796115600123+0530)/', '2026-12-01T09:00:00.123000+00:00'), ('/Date(0)/', '1970-01-01T00:00:00+00:00'),
    ('/Date(-1000)/', '1969-12-31T23:59:59+00:00'), (f'/Date({DOTNET_MIN_MS})/', None), (f'/Date({DOTNET_MIN_MS}-0500)/', None),
    (None, None), ('', None), (..., None),
])
def test_wcf_dates_become_iso_utc(when, iso):
    assert parse_sms_response(sms(SentDateTime=when)).sent_date_time == iso


@PROPERTY
@given(st.integers(DOTNET_MIN_MS + 86400000, 253402300799999), st.sampled_from(['', '+0000', '-0400', '+1400']))
def test_any_wcf_date_is_its_milliseconds_since_the_epoch_in_utc(ms, offset):
    iso = parse_sms_response(sms(SentDateTime=f'/Date({ms}{offset})/')).sent_date_time
    assert iso.endswith('+00:00') and datetime.fromisoformat(iso) - EPOCH == timedelta(milliseconds=ms)


@pytest.mark.parametrize('body', [
    sms(SMSError=11), sms(SMSError=-1), sms(SMSError='Unknown'), sms(SMSError=True), sms(SMSError=None), sms(SMSError=7.0),
    sms(MessageID='not-a-guid'), sms(MessageID=None), sms(MessageID=f'{{{MID}}}'), sms(Cancelled='false'), sms(Sent=1),
    sms(Cancelled=...), sms(Queued=...), sms(Sent=...), sms(MessageID=...), sms(SMSError=...),
    sms(SentDateTime='2026-12-01T09:00:00Z'), sms(SentDateTime='/Date(abc)/'), sms(SentDateTime=1796115600000),
    b'[]', b'"x"', b'null', b'true', b'1', b'', b'{', b'<SMSResponse xmlns="http://sms2.cdyne.com"/>', b'\xff{}',
])
def test_anything_but_an_sms_response_is_refused(body):
    refuses(parse_sms_response, body)


@pytest.mark.parametrize('message_id, flags, error, not_found, cancellable, label', [
    (MID, (False, False, False), 'NoError', False, True, 'Scheduled'), (MID, (True, False, False), 'NoError', False, False, 'Cancelled'),
    (MID, (False, True, False), 'NoError', False, False, 'Queued'), (MID, (False, False, True), 'NoError', False, False, 'Sent'),
    (MID, (True, False, True), 'NoError', False, False, 'Cancelled'), (MID, (False, False, False), 'NotFound', True, False, 'NotFound'),
    (ZERO, (False, False, False), 'NoError', True, None, 'Scheduled'),  # the modules leave out what is not found
    (ZERO, (False, False, False), 'NotFound', True, False, 'NotFound'), (MID, (False, False, False), 'InternalError', False, False, 'InternalError'),
])
def test_message_status_not_found_cancellable_and_label(message_id, flags, error, not_found, cancellable, label):
    status = MessageStatus(message_id, *flags, None, None, error)
    assert (status.not_found, status.label) == (not_found, label) and cancellable in (None, status.cancellable)


# ---------------------------------------------------------------- what a message quotes of an answer or a value

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
FAULT_11 = 'Server was unable to process request. ---> Object reference not set to an instance of an object.'
WCF_TEXT = 'Request Error The server encountered an error processing the request. See server logs for more details.'


@pytest.mark.parametrize('body, content_type, expected', [
    (SOAP11_FAULT, 'text/xml; charset=utf-8', FAULT_11), (SOAP11_FAULT, '', FAULT_11),
    (SOAP12_FAULT, 'application/soap+xml', 'The license key is not valid.'),
    (ASMX_TEXT, 'text/plain; charset=utf-8', 'System.InvalidOperationException: Request format is invalid: application/json.'),
    (WCF_HTML, 'text/html', WCF_TEXT), (WCF_HTML, 'application/octet-stream', WCF_TEXT),
    (b'', 'text/plain', '(empty body)'), (b' \r\n\t ', 'text/html', '(empty body)'),
    (b'{"Message":\n  "An error has occurred."}', 'application/json', '{"Message": "An error has occurred."}'),
    (b'<int>oops', 'text/xml', '<int>oops'), (b'x' * 500, 'text/plain', 'x' * 197 + '...'), (b'bad \xff byte', '', 'bad \ufffd byte'),
    (b'<html><body><br/></body></html>', 'text/html', '<html><body><br/></body></html>'),
])
def test_excerpt(body, content_type, expected):
    assert excerpt(body, content_type) == expected


@pytest.mark.parametrize('value, shown', [
    ('spring-sale-2026', "'spring-sale-2026'"), ('r' * 60, repr('r' * 60)), ('r' * 61, repr('r' * 57 + '...')),
    ('r' * 10000, repr('r' * 57 + '...')), (12345, "'12345'"), ('a\nb', "'a\\nb'"),
])
def test_quote(value, shown):
    assert quote(value) == shown


@pytest.mark.parametrize('value, shown', [
    (f'https://user:{PASSWORD}@h.example/x', 'https://user:********@h.example/x'),
    (f'https://user:p@ss-{PASSWORD}@h.example:8443/x', 'https://user:********@h.example:8443/x'),
    ('https://user@h.example/x', 'https://user@h.example/x'), ('https://h.example/x', 'https://h.example/x'),
])
def test_display_url_hides_the_password(value, shown):
    assert display_url(value) == shown


@pytest.mark.parametrize('attempt, retry_after, wait', [
    (1, None, 0.5), (2, None, 1.0), (3, None, 2.0), (7, None, 32.0), (8, None, 60.0), (1025, None, 60.0),
    (1, '1', 1.0), (5, ' 2 ', 2.0), (1, '0', 0.0), (1, '1.5', 1.5), (1, '61', 60.0), (1, '-5', 0.0), (1, '1e400', 60.0),
    (2, 'Wed, 21 Oct 2015 07:28:00 GMT', 1.0), (3, 'soon', 2.0), (1, '', 0.5), (1, 'nan', 0.5),
])
def test_backoff(attempt, retry_after, wait):
    assert backoff(attempt, retry_after) == wait


# ---------------------------------------------------------------- any body at all

XML_PIECES = st.sampled_from([
    '<int>', '</int>', '<int xmlns="https://ws.esendex.us/NotifyWS/">', '<n:int xmlns:n="u">', '</n:int>', '<!DOCTYPE int>',
    '<!ENTITY e "x">', '&e;', '&amp;', '&#0;', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="bogus"?>', '<faultstring>',
    '</faultstring>', '<s:Reason xmlns:s="s">', '<s:Text>', '</s:Text>', '</s:Reason>', '<html>', '<script>', '<![CDATA[', ']]>',
    '<!--', '-->', 'true', 'false', '-1', '2.5', '42', '2147483648', ' ', '\r\n', '"', '{"d":', '}', '\ufeff', '\x00', '\u2028',
    '<ArrayOfNotifyReturn xmlns="https://ws.esendex.us/NotifyWS/">', '</ArrayOfNotifyReturn>', '<NotifyReturn>', '</NotifyReturn>',
    '<QueueID>', '</QueueID>', '<ResponseCode>', '</ResponseCode>', '<CallComplete>', '</CallComplete>', '<boolean>', '</boolean>',
    '9223372036854775807', '99999999999999999999', '{"Cancelled":false,', '"MessageID":"' + MID + '",', '"SMSError":', '"Sent":true',
    '"Queued":false', '"SentDateTime":"\\/Date(', ')\\/"',
])
TEXTS = st.lists(st.one_of(XML_PIECES, st.text(max_size=6)), max_size=24).map(''.join)
BODIES = st.one_of(st.binary(max_size=400), TEXTS.map(str.encode), TEXTS.map(lambda text: text.encode('utf-16')),
                   st.sampled_from([BILLION_LAUGHS, SOAP11_FAULT, SOAP12_FAULT, WCF_HTML, ASMX_TEXT]))


@pytest.mark.parametrize('parse, valid', [
    (parse_count, lambda value: type(value) is int and 0 <= value <= 2 ** 31 - 1),  # pylint: disable=unidiomatic-typecheck
    (parse_json_bool, lambda value: isinstance(value, bool)), (parse_xml_bool, lambda value: isinstance(value, bool)), (parse_xml, ET.iselement),
    (parse_notify_returns, lambda value: all(isinstance(s, CallStatus) and s.queue_id == q for q, s in value.items())),
    (parse_sms_response, lambda value: isinstance(value, MessageStatus) and value.error in SMS_ERRORS),
])
@PROPERTY
@given(body=BODIES)
def test_parsers_return_a_valid_value_or_raise_their_own_error(parse, valid, body):
    try:
        value = parse(body)
    except EsendexError as exc:  # and never any other exception
        assert one_line(str(exc))
    else:
        assert valid(value)


@PROPERTY
@given(BODIES, st.one_of(st.sampled_from(['', 'text/xml; charset=utf-8', 'application/json', 'text/html', 'text/plain']), st.text(max_size=30)))
def test_excerpt_is_always_one_short_line(body, content_type):
    line = excerpt(body, content_type)
    assert isinstance(line, str) and one_line(line) and len(line) <= 200 and line == line.strip()


@PROPERTY
@given(st.one_of(st.text(), st.text(min_size=55, max_size=400), st.integers()), st.integers(4, 200))
def test_quote_is_one_bounded_line_that_starts_like_the_value(value, limit):
    text, shown = str(value), quote(value, limit)
    inner = ast.literal_eval(shown)
    assert one_line(shown) and inner == (text if len(text) <= limit else text[:limit - 3] + '...')


@PROPERTY
@given(st.integers(1, 5000), st.one_of(st.none(), st.text(), st.floats().map(str), st.integers().map(str)))
def test_backoff_is_always_a_wait_from_0_to_60_seconds(attempt, retry_after):
    wait = backoff(attempt, retry_after)
    assert isinstance(wait, float) and not math.isnan(wait) and 0.0 <= wait <= 60.0
