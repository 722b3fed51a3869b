"""One machine's server (`survey run`, `make run`, `make demo`): is the port free, and which
base URL the survey links carry when none is configured."""

from __future__ import annotations

import errno
import os
import socket

from survey.config import is_configured

# The next ports tried when suggesting a free one.
SUGGESTION_RANGE = 20


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, with the fix; None when it can."""
    error = _bind_error(host, port)
    if error is None:
        return None
    if error.errno == errno.EADDRINUSE:
        free = next_free_port(host, port)
        fix = f"`make run PORT={free}` (or `survey run --port {free}`)" if free else "another PORT"
        return f"port {port} is in use: stop the other process or run {fix}"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def next_free_port(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 1 + SUGGESTION_RANGE, 65536)):
        if _bind_error(host, candidate) is None:
            return candidate
    return None


def _bind_error(host: str, port: int) -> OSError | None:
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return OSError(errno.EADDRNOTAVAIL, f"unknown host {host!r} ({exc.strerror})")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As the server will: an old connection in TIME_WAIT does not make the port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


def local_base_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server on host:port."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (listening everywhere: this machine)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def use_local_base_url(host: str, port: int) -> str | None:
    """Unless SURVEY_BASE_URL is configured (environment, .env or the TOML file), make the
    links of this process and its children point at host:port; the URL set, or None."""
    if is_configured("base_url"):
        return None
    url = local_base_url(host, port)
    os.environ["SURVEY_BASE_URL"] = url
    return url
