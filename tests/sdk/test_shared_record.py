"""The official SDK's Shared Record calls, unchanged, against a real link: `records.open(link,
access_code)` steps up with `{"factor": "ACCESS_HINT", "value": …}`, carries the session cookie
to `/history` (with `X-Record-Entries: all`) and reads `/disclosure` (none for a balance log).
The SDK cannot emit for a middleware tenant (no vendorAccountId option), so the records and the
link are made over plain HTTP with the middleware's key."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Optional

import pytest

from pacspace_sdk import PacSpaceError

from helpers import dev_transport, unique


def _call(server, key: str, method: str, path: str, body: Optional[Dict[str, Any]] = None):
    headers = {"X-Api-Key": key, "Content-Type": "application/json"}
    response = dev_transport(method, server.base_url + path, headers, None if body is None else json.dumps(body), 15_000)
    return response.status_code, json.loads(response.body) if response.body else None


@pytest.fixture(scope="module")
def shared_link(server):
    tenant = server.tenants["middleware"]
    key = tenant["keys"]["sandbox"]
    vendor = tenant["vendorAccounts"][0]["id"]
    customer = unique("buyer")
    ids = []
    for delta in (25, -2.5):
        status, body = _call(server, key, "POST", "/api/v1/balance/delta",
                             {"customerId": customer, "delta": delta, "reason": "sdk link", "vendorAccountId": vendor})
        assert status == 201, body
        ids.append(body["data"]["recordId"])
    for _ in range(100):
        states = [_call(server, key, "GET", f"/api/v1/balance/delta/{i}")[1]["data"]["status"] for i in ids]
        if all(s == "VERIFIED" for s in states):
            break
        time.sleep(0.1)
    status, made = _call(server, key, "POST",
                         f"/api/v1/middleware/customers/{customer}/access-link?vendorAccountId={vendor}", {"policy": "GATED"})
    assert status == 201, made
    return {"url": made["data"]["link"]["url"], "handle": made["data"]["link"]["handle"], "code": made["data"]["accessCode"]}


def test_records_open_steps_up_and_reads_the_history_with_the_session_cookie(sdk, server, recorder, shared_link):
    pac = sdk(server.tenants["middleware"]["keys"]["sandbox"], transport=recorder)
    opened = pac.records.open(shared_link["url"], shared_link["code"])
    assert opened["handle"] == shared_link["handle"]
    assert opened["disclosure"] is None and opened["entries"] == []
    history = opened["sealHistory"]["data"]  # the SDK keeps the answer as sent
    assert history["format"] == "vericord.shared-record-history/v1"
    assert [e["delta"] for e in history["entries"]] == ["25", "-2.5"]
    assert history["tenant"] == {"name": server.tenants["middleware"]["vendorAccounts"][0]["displayName"]}
    step = recorder.last("POST", f"/api/v1/c/{shared_link['handle']}/access/verify")
    assert json.loads(step["body"]) == {"factor": "ACCESS_HINT", "value": shared_link["code"]}
    read = recorder.last("GET", f"/api/v1/c/{shared_link['handle']}/history")
    assert read["status"] == 200 and read["headers"]["X-Record-Entries"] == "all"
    assert read["headers"]["Cookie"].startswith("vericord_access=v1.")


def test_records_open_accepts_an_uppercase_handle_and_refuses_a_wrong_code(sdk, server, shared_link):
    pac = sdk(server.tenants["middleware"]["keys"]["sandbox"])
    upper = shared_link["url"].replace(shared_link["handle"], shared_link["handle"].upper())
    assert pac.records.open(upper, shared_link["code"])["handle"] == shared_link["handle"]
    with pytest.raises(PacSpaceError) as wrong:
        pac.records.open(shared_link["url"], "ZZZZZZ" if shared_link["code"] != "ZZZZZZ" else "YYYYYY")
    # The SDK maps every 401 to its InvalidApiKeyError; the API's sentence is kept.
    assert wrong.value.status_code == 401
    assert "access code" in wrong.value.message
    # GATED: without the code the history is refused.
    with pytest.raises(PacSpaceError) as anonymous:
        pac.records.open(shared_link["url"])
    assert anonymous.value.status_code == 401 and "access code" in anonymous.value.message
