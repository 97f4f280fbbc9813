"""budgetpay.outbound: a URL a person gave us is called only at a public address (or an allowed
network), at the very address that was checked, without redirects, within bounds. Calls go to
real servers on 127.0.0.1 (budgetpay.testing.outbound_servers); only DNS is stood in for, at
the one lookup the module makes."""

import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from budgetpay import outbound
from budgetpay.outbound import OutboundError, OutboundRefused, OutboundResponse, check_url, post
from budgetpay.testing.outbound_servers import (
    RecordingServer,
    SilentServer,
    TricklingServer,
    certificate_authority,
)
from budgetpay.testing.servers import free_port

PUBLIC = "93.184.215.14"


@pytest.fixture
def server():
    with RecordingServer() as running:
        yield running


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]


class FakeDNS:
    """socket.getaddrinfo as budgetpay.outbound calls it: `names` answer the listed addresses
    (one list per lookup, the last one repeated), other names do not resolve."""

    def __init__(self, **names: list[list[str]]) -> None:
        self.names = {name.replace("_", "."): answers for name, answers in names.items()}
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.lookups.append(host)
        answers = self.names.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = answers[min(self.lookups.count(host), len(answers)) - 1]
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def dns(monkeypatch):
    def install(**names: list[list[str]]) -> FakeDNS:
        fake = FakeDNS(**names)
        monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)
        return fake

    return install


def refused_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://2130706433:{port}/hook",  # 127.0.0.1 written as one number: the resolver reads it
        f"http://[2002:7f00:1::]:{port}/hook",  # 6to4 around 127.0.0.1
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::]/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://240.0.0.1/hook",
        "http://[::ffff:8.8.8.8]/hook",  # mapped addresses pass only when their IPv4 is allowed
        "http://[64:ff9b::a00:1]/hook",  # NAT64 around 10.0.0.1
        f"ftp://127.0.0.1:{port}/hook",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        f"http://user:secret@127.0.0.1:{port}/hook",
        "https://user@example.com/hook",
        "http:///hook",
        "http://",
        "http://:80/hook",
        "hooks.example.com/hook",
        "",
        "http://example.com:99999/hook",
        "http://example.com:0/hook",
        "http://exa mple.com/hook",
        "http://example.com/a\r\nX-Injected: 1",
        "https://example.com/" + "a" * 3000,
    ]


def test_refused_urls_are_refused_and_nothing_reaches_the_server(server):
    urls = refused_urls(server.port)
    for url in urls:
        with pytest.raises(OutboundRefused) as checked:
            check_url(url)
        assert str(checked.value), url
        with pytest.raises(OutboundRefused):
            post(url, body=b"{}", headers={"Content-Type": "application/json"})
    assert server.connections == 0
    assert server.requests == []
    assert len(urls) > 30


def test_user_info_is_refused_even_on_an_allowed_network(server, loopback_allowed):
    for url in (f"http://user:secret@127.0.0.1:{server.port}/hook", f"http://user@127.0.0.1:{server.port}/hook"):
        with pytest.raises(OutboundRefused, match="user name or password"):
            post(url, body=b"{}", headers={})
    assert server.connections == 0


def test_refusals_say_why_in_words_a_person_can_act_on():
    with pytest.raises(OutboundRefused, match="http:// or https://"):
        check_url("ftp://example.com/")
    with pytest.raises(OutboundRefused, match="private or reserved"):
        check_url("http://169.254.169.254/")
    with pytest.raises(OutboundRefused, match="no host"):
        check_url("http:///hook")


def test_a_name_that_resolves_to_a_private_address_is_refused(dns, server):
    fake = dns(hooks_example_com=[["10.0.0.5"]])
    with pytest.raises(OutboundRefused, match=r"hooks\.example\.com is at 10\.0\.0\.5"):
        check_url("https://hooks.example.com/hook")
    with pytest.raises(OutboundRefused):
        post("https://hooks.example.com/hook", body=b"{}", headers={})
    assert fake.lookups == ["hooks.example.com", "hooks.example.com"]
    assert server.connections == 0


def test_a_name_is_refused_when_any_of_its_addresses_is_private(dns):
    dns(hooks_example_com=[[PUBLIC, "10.0.0.5"]], v6_example_com=[["2606:4700::1111", "::1"]])
    with pytest.raises(OutboundRefused):
        check_url("https://hooks.example.com/hook")
    with pytest.raises(OutboundRefused):
        check_url("https://v6.example.com/hook")


def test_public_addresses_pass_the_check(dns):
    fake = dns(hooks_example_com=[[PUBLIC, "2606:4700::1111"]])
    check_url("https://hooks.example.com/hook?x=1")
    check_url("http://HOOKS.example.com:8080/hook")
    check_url(f"http://{PUBLIC}/hook")  # an address needs no lookup
    check_url("https://[2606:4700::1111]/hook")
    assert fake.lookups == ["hooks.example.com", "hooks.example.com"]


def test_a_name_that_does_not_resolve_is_refused_by_the_check_and_a_failed_call(dns):
    dns()
    with pytest.raises(OutboundRefused, match="could not be found"):
        check_url("https://nowhere.example/hook")
    with pytest.raises(OutboundError, match="could not be found"):
        post("https://nowhere.example/hook", body=b"{}", headers={})


def test_the_call_goes_to_the_address_that_was_checked(dns, server, loopback_allowed):
    """DNS rebinding: the name answers an allowed address for the check, then another one. The
    call looks the name up once and connects where that lookup pointed, naming the host."""
    fake = dns(rebind_example=[["127.0.0.1"], ["10.255.255.1"]])
    response = post(f"http://rebind.example:{server.port}/hook", body=b"{}", headers={})
    assert response.status == 200
    assert fake.lookups == ["rebind.example"]
    assert [request["headers"]["Host"] for request in server.requests] == [f"rebind.example:{server.port}"]
    with pytest.raises(OutboundRefused, match="10.255.255.1"):
        post(f"http://rebind.example:{server.port}/hook", body=b"{}", headers={})
    assert fake.lookups == ["rebind.example", "rebind.example"]
    assert len(server.requests) == 1


def test_a_post_on_an_allowed_network_arrives_with_its_body_and_headers(loopback_allowed):
    def answer(request):
        return 201, [("X-Reply", "yes"), ("Content-Type", "application/json")], b'{"ok": true}'

    with RecordingServer(answer) as server:
        response = post(
            f"{server.url}/hooks/in?token=abc",
            body=b'{"event": "budget.exceeded"}',
            headers={"Content-Type": "application/json", "X-BudgetPay-Signature": "t=1,v1=abc"},
        )
    assert response == OutboundResponse(
        status=201,
        headers={
            "server": response.headers["server"],
            "date": response.headers["date"],
            "x-reply": "yes",
            "content-type": "application/json",
            "content-length": "12",
        },
        body=b'{"ok": true}',
    )
    [request] = server.requests
    assert request["method"] == "POST"
    assert request["path"] == "/hooks/in?token=abc"
    assert request["body"] == b'{"event": "budget.exceeded"}'
    headers = request["headers"]
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-BudgetPay-Signature"] == "t=1,v1=abc"
    assert headers["Content-Length"] == str(len(b'{"event": "budget.exceeded"}'))
    assert headers["User-Agent"] == "BudgetPay-Webhooks/1"


def test_a_given_user_agent_is_kept_and_host_or_length_may_not_be_given(server, loopback_allowed):
    post(f"{server.url}/hook", body=b"", headers={"user-agent": "WebPush/1"})
    assert server.requests[0]["headers"]["user-agent"] == "WebPush/1"  # sent as it was named
    for name in ("Host", "content-length", "Transfer-Encoding"):
        with pytest.raises(ValueError, match=name.lower()):
            post(f"{server.url}/hook", body=b"", headers={name: "x"})
    assert len(server.requests) == 1


@pytest.mark.parametrize("location", ["/other", "http://127.0.0.1:{port}/other", "http://169.254.169.254/latest/"])
def test_a_redirect_is_returned_not_followed(location, loopback_allowed):
    """Whether it points back to the same server or to a private address: never followed."""

    def answer(request):
        return 302, [("Location", location.format(port=server.port))], b""

    with RecordingServer(answer) as server:
        response = post(f"{server.url}/hook", body=b"{}", headers={})
    assert response.status == 302
    assert response.headers["location"] == location.format(port=server.port)
    assert [request["path"] for request in server.requests] == ["/hook"]
    assert server.connections == 1


def test_a_server_that_never_answers_times_out(loopback_allowed):
    with SilentServer() as silent, pytest.raises(OutboundError, match="timed out"):
        post(f"{silent.url}/hook", body=b"{}", headers={}, timeout=0.3)


@pytest.mark.parametrize(
    "head, trickle",
    [
        (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a" * 400),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"a" * 400),
    ],
    ids=["headers", "body"],
)
def test_a_server_trickling_its_answer_is_cut_off_at_the_deadline(head, trickle, loopback_allowed):
    """Each byte comes sooner than the read timeout, so only the deadline of the whole call ends
    it (the server would trickle for 20 seconds, then hang up: 'the response ended early')."""
    with TricklingServer(head, trickle) as server, pytest.raises(OutboundError, match="^timed out$"):
        post(f"{server.url}/hook", body=b"{}", headers={}, timeout=0.3, max_response_bytes=10_000)


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "until-close"])
def test_a_large_answer_is_cut_at_max_response_bytes(content_length, loopback_allowed):
    big = bytes(range(256)) * 400

    with RecordingServer(lambda request: (200, [], big), content_length=content_length) as server:
        response = post(f"{server.url}/hook", body=b"{}", headers={}, max_response_bytes=1000)
        assert response.status == 200
        assert response.body == big[:1000]


def test_the_response_limit_defaults_to_the_setting(settings, loopback_allowed):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 10
    with RecordingServer(lambda request: (500, [], b"x" * 100)) as server:
        response = post(f"{server.url}/hook", body=b"{}", headers={})
    assert (response.status, response.body) == (500, b"x" * 10)


def test_a_closed_port_is_a_refused_connection(loopback_allowed):
    with pytest.raises(OutboundError, match="connection refused"):
        post(f"http://127.0.0.1:{free_port()}/hook", body=b"{}", headers={})


def test_a_server_that_hangs_up_without_answering_is_an_error(loopback_allowed):
    with TricklingServer(b"", b"") as server, pytest.raises(OutboundError, match="closed the connection"):
        post(f"{server.url}/hook", body=b"{}", headers={})


def test_https_verifies_the_certificate_for_the_host_in_the_url(dns, monkeypatch, tmp_path, loopback_allowed):
    """The connection goes to the checked address; TLS names the URL's host (SNI) and the
    certificate must be valid for it, from an authority the default context trusts."""
    ca_path, tls = certificate_authority(tmp_path, "hooks.example.com")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
    dns(hooks_example_com=[["127.0.0.1"]], other_example_com=[["127.0.0.1"]])
    with RecordingServer(tls=tls) as server:
        response = post(f"https://hooks.example.com:{server.port}/hook", body=b"{}", headers={})
        assert (response.status, response.body) == (200, b"ok")
        assert server.requests[0]["headers"]["Host"] == f"hooks.example.com:{server.port}"

        with pytest.raises(OutboundError, match="TLS certificate not accepted"):
            post(f"https://other.example.com:{server.port}/hook", body=b"{}", headers={})
        with pytest.raises(OutboundError, match="TLS certificate not accepted"):
            post(f"https://127.0.0.1:{server.port}/hook", body=b"{}", headers={})
    assert server.server_names == ["hooks.example.com", "other.example.com", None]
    assert len(server.requests) == 1


def test_https_to_a_server_without_tls_is_an_error(server, loopback_allowed):
    with pytest.raises(OutboundError, match="TLS"):
        post(f"https://127.0.0.1:{server.port}/hook", body=b"{}", headers={})
    assert server.requests == []


def test_an_allowed_network_lets_its_addresses_through_and_no_others(settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["192.168.1.0/24", "fd12:3456::/32", "127.0.0.1"]
    check_url("http://192.168.1.20:8123/api/webhook/x")
    check_url("http://[fd12:3456::5]/hook")
    check_url("http://127.0.0.1/hook")
    check_url("http://[::ffff:192.168.1.20]/hook")
    for url in ("http://192.168.2.20/", "http://127.0.0.2/", "http://[fd12:3457::5]/", "http://[::ffff:10.0.0.1]/"):
        with pytest.raises(OutboundRefused):
            check_url(url)


@pytest.mark.parametrize("networks", [["not-a-network"], ["10.0.0.0/33"], ["127.0.0.0/8", "::1/200"], "127.0.0.0/8"])
def test_an_invalid_allowed_network_is_a_configuration_error(networks, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = networks
    with pytest.raises(ImproperlyConfigured, match="WEBHOOKS_ALLOWED_NETWORKS"):
        check_url("https://93.184.215.14/hook")
    with pytest.raises(ImproperlyConfigured):
        post("https://93.184.215.14/hook", body=b"{}", headers={})


def test_no_allowed_networks_setting_means_none(settings):
    del settings.WEBHOOKS_ALLOWED_NETWORKS
    with pytest.raises(OutboundRefused):
        check_url("http://127.0.0.1/hook")
    check_url(f"http://{PUBLIC}/hook")
