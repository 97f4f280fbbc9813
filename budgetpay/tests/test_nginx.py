"""The shipped nginx configuration (deploy/nginx/budgetpay-http.conf and
budgetpay-locations.conf), run by a real nginx in front of a real Daphne set up as the
systemd unit sets it up (TRUSTED_PROXY_COUNT=1, no --proxy-headers).

Clients connect from their own loopback addresses (127.0.0.2, 127.0.0.3) while nginx
reaches Daphne from 127.0.0.1, so "the client" and "the proxy" are different addresses,
as they are in production.
"""

import http.client
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from budgetpay.testing.servers import ROOT, DaphneServer, free_port
from budgetpay.testing.services import service_unavailable

pytestmark = pytest.mark.e2e

ATTACKER = "127.0.0.2"
NEIGHBOUR = "127.0.0.3"
LOGIN_RATE = 10  # THROTTLE_LOGIN below, per minute
DEPLOY = Path(ROOT) / "deploy" / "nginx"


class Nginx:
    """A private nginx (its own prefix, pid and logs) with the shipped http-level file and
    locations, in front of one Daphne, as deploy/run-local.sh generates it."""

    def __init__(self, workdir: Path, upstream_port: int) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        temp_paths = "\n".join(
            f"  {name}_temp_path {workdir}/{name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (workdir / "nginx.conf").write_text(f"""
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 256; }}
http {{
{temp_paths}
  include {DEPLOY}/budgetpay-http.conf;
  access_log {self.access_log} budgetpay;
  upstream budgetpay {{ server 127.0.0.1:{upstream_port}; keepalive 8; }}
  server {{
    listen 127.0.0.1:{self.port};
    include {DEPLOY}/budgetpay-locations.conf;
  }}
}}
""")
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None:
            service_unavailable("nginx is not installed (apt-get install nginx)")
        command = [binary, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"), "-g", "daemon off;"]
        checked = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr  # the shipped files are valid nginx
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if request(self, "GET", "/health", source=ATTACKER)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not come up:\n{self.error_log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def log_lines_for(self, path: str, count: int = 1, timeout: float = 10) -> list[str]:
        """The access-log lines for `path`, once there are `count` (nginx writes a socket's
        line when the socket closes)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.access_log.read_text().splitlines() if path in line]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.1)


def request(
    server: Nginx, method: str, path: str, *, source: str, body: str | None = None, headers: dict | None = None
) -> tuple[int, str, http.client.HTTPResponse]:
    """One HTTP request to nginx from the loopback address `source`."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode(), response
    finally:
        connection.close()


def socket_handshake(
    server: Nginx, path: str, *, source: str, host: str = "127.0.0.1", origin: str | None = None
) -> str:
    """Open a WebSocket through nginx, read the server's answer, hang up; the status line."""
    origin_line = f"Origin: {origin}\r\n" if origin else ""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15, source_address=(source, 0)) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{origin_line}Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        sock.settimeout(5)
        try:
            sock.recv(4096)  # the close frame the server sends for a refused token
        except OSError:
            pass
    return answer.split(b"\r\n", 1)[0].decode()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, e2e_database_url) -> Iterator[Nginx]:
    workdir = tmp_path_factory.mktemp("nginx")
    daphne = DaphneServer(
        workdir,
        database_url=e2e_database_url,
        name="daphne-behind-nginx",
        TRUSTED_PROXY_COUNT="1",
        THROTTLE_LOGIN=f"{LOGIN_RATE}/min",
        CACHE_URL="",  # its own in-memory counters: nothing left over from another run
    ).start()
    nginx = Nginx(workdir, daphne.port)
    try:
        yield nginx.start()
    finally:
        nginx.stop()
        daphne.stop()


@pytest.mark.parametrize("path", ["/api/v1/notification/ws", "/api/v1/chatbot/ws/"])
def test_the_access_log_never_holds_a_socket_token(proxied, path):
    secret = f"SECRET-{path.split('/')[3]}-f00d"
    status_line = socket_handshake(proxied, f"{path}?since=5&token={secret}", source=ATTACKER)
    assert status_line.startswith("HTTP/1.1 "), status_line
    lines = proxied.log_lines_for(path)
    assert lines, proxied.access_log.read_text()  # the socket is logged...
    assert f'"GET {path} HTTP/1.1"' in lines[-1]  # ...by its path, without the query string
    assert lines[-1].startswith(ATTACKER)
    assert secret not in proxied.access_log.read_text()


def test_a_token_argument_is_kept_out_of_the_log_on_any_path(proxied):
    request(proxied, "GET", "/api/v1/anything?token=SECRETELSEWHERE", source=ATTACKER)
    lines = proxied.log_lines_for("/api/v1/anything")
    assert lines and "SECRETELSEWHERE" not in proxied.access_log.read_text()
    # Other query strings are logged as they were: the format only drops what it must.
    request(proxied, "GET", "/health?probe=lb", source=ATTACKER)
    assert '"GET /health?probe=lb HTTP/1.1"' in proxied.log_lines_for("/health?probe=lb")[-1]


def wrong_login(server: Nginx, i: int, *, source: str, forwarded: str | None) -> int:
    headers = {"Content-Type": "application/json", **({"X-Forwarded-For": forwarded} if forwarded else {})}
    body = f'{{"email": "victim{i}@example.com", "password": "wrong-{i}"}}'
    return request(server, "POST", "/api/v1/auth/token", source=source, body=body, headers=headers)[0]


def test_forged_forwarded_headers_do_not_escape_the_login_throttle(proxied):
    # 25 wrong passwords from one machine, each claiming another address (and some claiming the neighbour's).
    statuses = [
        wrong_login(proxied, i, source=ATTACKER, forwarded=f"10.0.{i}.1, {NEIGHBOUR}" if i % 2 else f"10.0.{i}.1")
        for i in range(25)
    ]
    assert statuses == [401] * LOGIN_RATE + [429] * (25 - LOGIN_RATE)
    # The throttle counted the attacker's real address, not nginx's and not a forged one:
    # another client behind the same nginx still has its whole allowance.
    assert [wrong_login(proxied, 100 + i, source=NEIGHBOUR, forwarded=ATTACKER) for i in range(LOGIN_RATE)] == [
        401
    ] * LOGIN_RATE
    assert wrong_login(proxied, 200, source=NEIGHBOUR, forwarded=None) == 429


def page_sign_in(server: Nginx, i: int, *, source: str, forwarded: str) -> str:
    """One failed sign-in on allauth's page, with the CSRF cookie and token a browser would send."""
    status, page, response = request(server, "GET", "/accounts/login/", source=source)
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "login": f"page{source}-{i}@example.com", "password": "wrong"})
    status, page, _ = request(
        server,
        "POST",
        "/accounts/login/",
        source=source,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "X-Forwarded-For": forwarded,
        },
    )
    assert status == 200, page[:500]
    return "locked" if "Too many failed login attempts" in page else "refused"


def test_page_sign_in_failures_lock_out_one_client_not_the_site(proxied):
    # allauth: 10 failed sign-ins a minute per address. Behind nginx the peer of every
    # request is nginx, so keyed on it one client would lock out everyone (staff included).
    outcomes = [page_sign_in(proxied, i, source=ATTACKER, forwarded=f"10.1.{i}.1") for i in range(12)]
    assert outcomes == ["refused"] * 10 + ["locked"] * 2
    assert page_sign_in(proxied, 99, source=NEIGHBOUR, forwarded=ATTACKER) == "refused"


def test_a_page_served_through_nginx_on_its_own_port_opens_its_socket(proxied):
    """nginx passes the Host with its port ($http_host), so the socket's same-origin check
    (scheme, host and port) accepts the page nginx served and still refuses another port."""
    here = f"127.0.0.1:{proxied.port}"
    own_page = socket_handshake(
        proxied, "/api/v1/notification/ws", source=NEIGHBOUR, host=here, origin=f"http://{here}"
    )
    other_port = socket_handshake(
        proxied, "/api/v1/notification/ws", source=NEIGHBOUR, host=here, origin="http://127.0.0.1:6666"
    )
    assert own_page.split()[1] == "101", own_page
    assert other_port.split()[1] == "403", other_port
