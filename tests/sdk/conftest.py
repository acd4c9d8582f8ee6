"""Fixtures for driving the official PacSpace Python SDK (0.7.0, unchanged) against a
real local Worker: `node tests/e2e/serve.mjs` starts `wrangler dev` on a fresh local D1
with three tenants and prints one JSON line; it stops when its stdin closes.

Tests that change a tenant's or key's limits make their own tenant through the admin
routes (`new_tenant`), so nothing leaks between tests.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from pacspace_sdk import PacSpace
from helpers import dev_transport
from pacspace_sdk.client import TransportResponse

ROOT = Path(__file__).resolve().parents[2]

START_TIMEOUT_S = float(os.environ.get("VERICORD_SDK_START_TIMEOUT", "120"))
STOP_TIMEOUT_S = 30


class Server:
    def __init__(self, info: Dict[str, Any]) -> None:
        self.base_url: str = info["baseUrl"]
        self.admin_token: str = info["adminToken"]
        self.tenants: Dict[str, Any] = info["tenants"]

    def admin(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        """An admin call (bearer ADMIN_TOKEN); returns `data`, fails the test on non-2xx."""
        headers = {"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json"}
        text = None if body is None else json.dumps(body)
        response = dev_transport(method, self.base_url + path, headers, text, 15_000)
        assert 200 <= response.status_code < 300, f"{method} {path} -> {response.status_code} {response.body!r}"
        payload = json.loads(response.body)
        assert payload["success"] is True, payload
        return payload["data"]


def _read_line(stream, timeout_s: float) -> Optional[str]:
    lines: "queue.Queue[Optional[str]]" = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout_s)
    except queue.Empty:
        return None


@pytest.fixture(scope="session")
def server():
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        ["node", "tests/e2e/serve.mjs"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )

    def stop() -> None:
        try:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()  # serve.mjs stops when its stdin ends
        except OSError:
            pass  # already gone
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.terminate()  # serve.mjs stops its wrangler on SIGTERM
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stderr_tail() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")[-4000:]

    line = _read_line(proc.stdout, START_TIMEOUT_S)
    if not line:
        stop()
        pytest.fail(f"serve.mjs printed no JSON line within {START_TIMEOUT_S}s (exit {proc.returncode}):\n{stderr_tail()}")
    try:
        info = json.loads(line)
    except json.JSONDecodeError:
        stop()
        pytest.fail(f"serve.mjs printed a line that is not JSON: {line!r}\n{stderr_tail()}")
    try:
        yield Server(info)
    finally:
        stop()
        log.close()


class Recorder:
    """A transport that delegates to the SDK's own `default_transport` (via `dev_transport`) and keeps
    every exchange, so tests can also assert what went over the wire."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []

    def __call__(self, method, url, headers, body, timeout_ms) -> TransportResponse:
        response = dev_transport(method, url, headers, body, timeout_ms)
        try:
            parsed = json.loads(response.body) if response.body else None
        except ValueError:
            parsed = None
        self.calls.append(
            {"method": method, "url": url, "headers": dict(headers), "body": body, "status": response.status_code,
             "response_headers": response.headers, "json": parsed}
        )
        return response

    def last(self, method: str, path: str) -> Dict[str, Any]:
        for call in reversed(self.calls):
            if call["method"] == method and call["url"].split("?")[0].endswith(path):
                return call
        raise AssertionError(f"no {method} {path} in {[(c['method'], c['url']) for c in self.calls]}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sdk(server):
    """`sdk(key, **options)` → a PacSpace client on the local Worker. Retries are off
    unless a test asks for them, so every failure surfaces at once; the summary
    scheduler never starts on its own."""
    clients: List[PacSpace] = []

    def make(key: str, **options: Any) -> PacSpace:
        options.setdefault("base_url", server.base_url)
        options.setdefault("max_retries", 0)
        options.setdefault("timeout", 15_000)
        options.setdefault("transport", dev_transport)
        options.setdefault(
            "submission",
            {"autoStart": False, "autoFlushOnShutdown": False, "maxRequestsPerMinute": 600},
        )
        client = PacSpace(key, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def new_tenant(server):
    """`new_tenant(**tenant_fields)` → {id, sandbox, production, sandbox_public_id}: a fresh
    direct tenant with one key per environment, made through the admin routes."""

    def make(**fields: Any) -> Dict[str, Any]:
        tenant = server.admin("POST", "/admin/tenants", {"name": f"sdk-{uuid.uuid4().hex[:8]}", "kind": "direct", **fields})
        sandbox = server.admin("POST", f"/admin/tenants/{tenant['id']}/keys", {"environment": "sandbox"})
        production = server.admin("POST", f"/admin/tenants/{tenant['id']}/keys", {"environment": "production"})
        assert sandbox["fullKey"].startswith("pk_test_") and production["fullKey"].startswith("pk_live_")
        return {
            "id": tenant["id"],
            "sandbox": sandbox["fullKey"],
            "production": production["fullKey"],
            "sandbox_public_id": sandbox["publicKey"],
        }

    return make


@pytest.fixture
def direct(server):
    """The shared direct tenant's sandbox key and id (tests use unique customer ids on it)."""
    tenant = server.tenants["direct"]
    return {"id": tenant["id"], "sandbox": tenant["keys"]["sandbox"], "production": tenant["keys"]["production"]}
