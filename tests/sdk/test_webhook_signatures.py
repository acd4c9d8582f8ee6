"""Webhook deliveries captured from a real Worker verify with the official SDK.

The deliveries come from tests/e2e/webhooks.test.mjs, which records every request
its local receiver got (headers, raw body, the endpoint secrets valid at the time).
If $VERICORD_WEBHOOK_CAPTURE names an existing file it is read; otherwise this test
runs the Node suite itself (needs the built Worker and node_modules).

Run: "$VERICORD_PY" -m pytest -q -p no:cacheprovider tests/sdk  (pacspace-sdk==0.7.0).
"""

import hashlib
import hmac
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from pacspace_sdk.errors import WebhookVerificationError
from pacspace_sdk.webhooks import Webhooks

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "e2e" / "webhooks.test.mjs"


@pytest.fixture(scope="session")
def capture(tmp_path_factory):
    given = os.environ.get("VERICORD_WEBHOOK_CAPTURE")
    if given and Path(given).is_file():
        path = Path(given)
    else:
        path = tmp_path_factory.mktemp("webhooks") / "capture.json"
        subprocess.run(
            ["node", "--test", "--test-timeout=300000", "--test-concurrency=1", str(SUITE)],
            cwd=ROOT,
            env={**os.environ, "VERICORD_WEBHOOK_CAPTURE": str(path)},
            check=True,
            timeout=600,
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["deliveries"], "the capture holds no deliveries"
    return data


def tolerance(capture):
    """The SDK's 300 s replay window, widened by the capture's age (a capture read from a file
    may be older; freshness at send time is asserted separately)."""
    oldest = min(d["receivedAtMs"] for d in capture["deliveries"]) / 1000
    return 300 + max(0, int(time.time() - oldest) + 1)


def test_every_delivery_verifies_with_every_secret_valid_for_it(capture):
    tol = tolerance(capture)
    for d in capture["deliveries"]:
        assert d["secrets"], f"no secret known for {d['path']}"
        for secret in d["secrets"]:
            event = Webhooks(secret).verify_from_headers(d["headers"], d["body"], tolerance=tol)
            assert event["id"] == d["headers"]["x-event-id"]
            assert event["event"] == d["headers"]["x-webhook-event"]
            for key in ("id", "event", "timestamp", "createdAt", "tenantId", "data"):
                assert key in event


def test_signatures_were_fresh_when_sent(capture):
    """Each attempt is signed with its send time (Unix seconds), so the SDK's default
    300 s window holds at receipt even for retries of an old event."""
    for d in capture["deliveries"]:
        sent = int(d["headers"]["x-pacspace-timestamp"])
        assert abs(sent - d["receivedAtMs"] / 1000) < 5


def test_rotation_deliveries_carry_two_values_current_first(capture):
    rotated = [d for d in capture["deliveries"] if len(d["secrets"]) == 2]
    assert rotated, "the capture has no delivery signed during a rotation overlap"
    tol = tolerance(capture)
    for d in rotated:
        parts = d["headers"]["x-pacspace-signature"].split(",")
        assert len(parts) == 2 and all(p.startswith("v1=") for p in parts)
        current, previous = d["secrets"]
        # Each value alone is the signature of its own secret, in that order.
        for value, secret in ((parts[0], current), (parts[1], previous)):
            Webhooks(secret).verify(value, d["headers"]["x-pacspace-timestamp"], d["body"], tolerance=tol)
        with pytest.raises(WebhookVerificationError):
            Webhooks(previous).verify(parts[0], d["headers"]["x-pacspace-timestamp"], d["body"], tolerance=tol)


def test_tampering_is_rejected(capture):
    tol = tolerance(capture)
    for d in capture["deliveries"]:
        headers, body, secret = d["headers"], d["body"], d["secrets"][0]
        ts = headers["x-pacspace-timestamp"]
        tampered_body = body.replace('"data":{', '"data":{"x":1,', 1)
        assert tampered_body != body
        one_digit = headers["x-pacspace-signature"].split(",")[0]
        flipped = one_digit[:-1] + ("0" if one_digit[-1] != "0" else "1")
        cases = [
            ({**headers}, tampered_body, secret),  # body changed
            ({**headers, "x-pacspace-signature": flipped}, body, secret),  # signature changed
            ({**headers, "x-pacspace-timestamp": str(int(ts) + 1)}, body, secret),  # timestamp changed
            ({**headers}, body, secret + "x"),  # wrong secret
            ({k: v for k, v in headers.items() if k != "x-pacspace-signature"}, body, secret),  # unsigned
        ]
        for h, b, s in cases:
            with pytest.raises(WebhookVerificationError):
                Webhooks(s).verify_from_headers(h, b, tolerance=tol)


def test_stale_deliveries_are_rejected_by_default():
    """The SDK's replay window applies to our timestamps (Unix seconds): 10 minutes old fails."""
    secret, body = "whsec_demo", '{"id":"evt_1","event":"delta.verified","data":{}}'
    old = str(int(time.time()) - 600)
    sig = "v1=" + hmac.new(secret.encode(), f"{old}.{body}".encode(), hashlib.sha256).hexdigest()
    with pytest.raises(WebhookVerificationError):
        Webhooks(secret).verify(sig, old, body)
    assert Webhooks(secret).verify(sig, old, body, tolerance=900)["id"] == "evt_1"
