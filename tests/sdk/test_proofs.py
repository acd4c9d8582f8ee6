"""Sequencing and proofs through the official SDK (0.7.0, unchanged) on the real Worker:
emit_and_wait / wait_for_verified, derive and its helpers, compare, checkpoints (one
customer, all customers, list), receipts (the unscoped route and the deprecated
invoice-proof route the SDK uses for scoped receipts), public verify, webhook deliveries
and retries, and the scope-error classes.

Every proof a receipt carries is also checked here from first principles, with only the
SDK's `keccak256` and `canonicalize_jcs` and `cryptography`'s Ed25519: item hashes, entry
hashes (docs/SPEC.md §5–6), RFC 9162 inclusion and consistency proofs with sorted-pair
keccak nodes (§7), and the checkpoint's signed note against /.well-known/vericord/keys (§8).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pacspace_sdk import (
    InvalidScopeCombinationError,
    NotFoundError,
    PacSpaceError,
    ScopeTooWideError,
    ValidationError,
)
from pacspace_sdk.keccak import keccak256
from pacspace_sdk.record_disclosure import canonicalize_jcs
from pacspace_sdk.webhooks import Webhooks

from helpers import HASH, RECORD_ID, TIMESTAMP, customer_reference, dev_transport, item_hash, merkle_root, unique

CHECKPOINT_ID = re.compile(r"^chk_[0-9a-f]{24}$")
EVENT_ID = re.compile(r"^evt_[0-9a-f]{24}$")
ZERO_ROOT = "0x" + "00" * 32
# Fast polling: a local record is VERIFIED within tens of milliseconds.
WAIT = {"pollInterval": 50, "timeout": 15_000}


# ---------------------------------------------------------------------------------------
# Verification from first principles (docs/SPEC.md), SDK primitives + cryptography only.


def canonical(amount: Decimal) -> str:
    """SPEC §2 canonical amount text: no exponent, no trailing zeros, never -0."""
    if amount == 0:
        return "0"
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def entry_hash(seq: int, item_hash_hex: str, balance_after: str) -> str:
    """SPEC §6: H("vericord:entry:v1", JCS({balanceAfter, itemHash, seq}))."""
    content = canonicalize_jcs({"balanceAfter": balance_after, "itemHash": item_hash_hex, "seq": seq})
    return "0x" + keccak256(b"vericord:entry:v1\x00" + content.encode()).hex()


def node(a: bytes, b: bytes) -> bytes:
    return keccak256(min(a, b) + max(a, b))


def path_length(index: int, size: int) -> int:
    """Length of the RFC 9162 inclusion path of leaf `index` in a tree of `size`."""
    if size <= 1:
        return 0
    k = 1
    while k * 2 < size:
        k *= 2
    return 1 + (path_length(index, k) if index < k else path_length(index - k, size - k))


def fold_inclusion(leaf: str, index: int, size: int, proof: List[str]) -> str:
    """SPEC §7: check the proof length against (index, size), then fold sorted pairs."""
    assert 0 <= index < size, (index, size)
    assert len(proof) == path_length(index, size), (index, size, len(proof))
    r = bytes.fromhex(leaf[2:])
    for p in proof:
        r = node(r, bytes.fromhex(p[2:]))
    return "0x" + r.hex()


def consistency_ok(first: int, second: int, proof: List[str], first_root: str, second_root: str) -> bool:
    """RFC 9162 §2.1.4.2 with sorted-pair keccak nodes (SPEC §7)."""
    if first == second:
        return proof == [] and first_root == second_root
    if first == 0:
        return proof == [] and first_root == ZERO_ROOT
    if not proof or first > second:
        return False
    path = [bytes.fromhex(p[2:]) for p in proof]
    if first & (first - 1) == 0:
        path.insert(0, bytes.fromhex(first_root[2:]))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and "0x" + fr.hex() == first_root and "0x" + sr.hex() == second_root


def parse_verifier_key(vkey: str) -> Tuple[str, str, bytes]:
    """`<name>+<8 hex key ID>+<base64(0x01 ‖ pubkey)>` → (name, key ID, pubkey), key ID checked."""
    name, key_id, encoded = vkey.split("+")
    raw = base64.b64decode(encoded, validate=True)
    assert raw[0] == 0x01 and len(raw) == 33, vkey
    pub = raw[1:]
    # Key ID = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey).
    assert hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4].hex() == key_id, vkey
    return name, key_id, pub


def verify_note(note: str, verifier_keys: List[str]) -> Dict[str, Any]:
    """C2SP signed note (SPEC §8): Ed25519 over the body bytes (final newline included).
    Returns the parsed body; fails unless a trusted key's signature is present and valid."""
    body, sep, sigs = note.partition("\n\n")
    assert sep, "no blank line between body and signatures"
    body += "\n"
    trusted = {}
    for vkey in verifier_keys:
        name, key_id, pub = parse_verifier_key(vkey)
        trusted[(name, bytes.fromhex(key_id))] = pub
    valid = 0
    assert sigs.endswith("\n")
    for line in sigs[:-1].split("\n"):
        dash, name, blob = line.split(" ")
        assert dash == "\u2014", line
        raw = base64.b64decode(blob, validate=True)
        key_id, signature = raw[:4], raw[4:]
        pub = trusted.get((name, key_id))
        if pub is None:
            continue  # signatures by unknown keys are ignored
        assert len(signature) == 64
        Ed25519PublicKey.from_public_bytes(pub).verify(signature, body.encode())  # raises if bad
        valid += 1
    assert valid >= 1, "no signature by a trusted key"
    lines = body[:-1].split("\n")
    assert len(lines) == 7, lines
    origin, size, root_b64, period, opening, closing, count = lines
    prefixes = [("period ", period), ("opening ", opening), ("closing ", closing), ("count ", count)]
    for prefix, line in prefixes:
        assert line.startswith(prefix), line
    return {
        "origin": origin,
        "size": int(size),
        "root": "0x" + base64.b64decode(root_b64, validate=True).hex(),
        "period": period[len("period "):],
        "opening": opening[len("opening "):],
        "closing": closing[len("closing "):],
        "count": int(count[len("count "):]),
    }


def note_signature_fails(note: str, verifier_keys: List[str]) -> bool:
    try:
        verify_note(note, verifier_keys)
    except (InvalidSignature, AssertionError):
        return True
    return False


def check_entry(entry: Dict[str, Any], balance_after: str, root: str, size: int) -> None:
    """One receipt entry: item → itemHash, (seq, itemHash, balanceAfter) → entryHash,
    and the inclusion proof folds to the checkpoint root."""
    item = entry["item"]
    assert item["recordId"] == entry["recordId"]
    assert canonical(Decimal(item["delta"])) == item["delta"], "item amounts are canonical text"
    assert item_hash(item) == entry["itemHash"]
    assert entry_hash(entry["sequenceNumber"], entry["itemHash"], balance_after) == entry["entryHash"]
    assert fold_inclusion(entry["entryHash"], entry["sequenceNumber"], size, entry["proof"]) == root
    # The JSON numbers agree with the exact texts.
    assert entry["delta"] == float(item["delta"])
    assert entry["balanceAfter"] == float(balance_after)


def verify_receipt(receipt: Dict[str, Any], keys: Dict[str, Any], deployment: str) -> Dict[str, Any]:
    """Everything a buyer can check offline about a customer receipt; returns the note body."""
    root = receipt["proofRoot"]
    assert HASH.match(root)
    checkpoint = receipt["checkpoint"]
    verifier_keys = [k["verifierKey"] for k in keys["keys"]]
    body = verify_note(checkpoint["note"], verifier_keys)
    assert body["origin"] == f"{deployment}/sandbox/{receipt['customerReference']}" == checkpoint["origin"]
    assert body["root"] == root == checkpoint["proofRoot"]
    size = body["size"]
    assert size == checkpoint["treeSize"] == receipt["verification"]["treeSize"]
    assert body["count"] == receipt["deltaCount"] == len(receipt["deltas"])
    # Running balance from the exact item texts, starting at the signed opening balance.
    running = Decimal(body["opening"])
    assert canonical(running) == body["opening"]
    start = size - body["count"]
    for i, entry in enumerate(receipt["deltas"]):
        assert entry["sequenceNumber"] == start + i
        running += Decimal(entry["item"]["delta"])
        check_entry(entry, canonical(running), root, size)
    assert canonical(running) == body["closing"]
    assert receipt["finalBalance"] == float(body["closing"])
    assert receipt["startingBalance"] == float(body["opening"])
    # Boundary entries prove the opening and closing balances themselves.
    closing = receipt["boundaries"]["closing"]
    if size:
        assert closing["sequenceNumber"] == size - 1
        check_entry(closing, body["closing"], root, size)
    opening = receipt["boundaries"]["opening"]
    if start:
        assert opening["sequenceNumber"] == start - 1
        check_entry(opening, body["opening"], root, size)
    else:
        assert opening is None and body["opening"] == "0"
    # Tampering is caught: a changed sibling or a changed body.
    if receipt["deltas"] and receipt["deltas"][0]["proof"]:
        entry = receipt["deltas"][0]
        bad = ["0x" + ("11" * 32)] + entry["proof"][1:]
        assert fold_inclusion(entry["entryHash"], entry["sequenceNumber"], size, bad) != root
    tampered = checkpoint["note"].replace(f"\nclosing {body['closing']}\n", f"\nclosing {body['closing']}1\n")
    assert tampered != checkpoint["note"]
    assert note_signature_fails(tampered, verifier_keys)
    return body


# ---------------------------------------------------------------------------------------
# Plumbing: raw HTTP (for what the SDK refuses to send) and a local webhook receiver.


def raw(server, method: str, path: str, key: Optional[str] = None, body: Any = None) -> Tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-Api-Key"] = key
    resp = dev_transport(method, server.base_url + path, headers, None if body is None else json.dumps(body), 15_000)
    return resp.status_code, (json.loads(resp.body) if resp.body else None)


def month_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")


def emit_all(pac, customer: str, amounts: List[float]) -> List[Dict[str, Any]]:
    return [pac.balance.emit_and_wait(customer, a, f"r{i}", dict(WAIT)) for i, a in enumerate(amounts)]


def wait_until(what: str, fn, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Receiver:
    """A webhook receiver on 127.0.0.1 in this process: records every request (raw body,
    lower-cased headers) and answers 500 to the first `fail[path]` requests of a path."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.fail: Dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver._lock:
                    failing = receiver.fail.get(self.path, 0) > 0
                    if failing:
                        receiver.fail[self.path] -= 1
                    receiver.requests.append(
                        {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                         "answer": 500 if failing else 200}
                    )
                payload = b'{"error":"try again"}' if failing else b'{"received":true}'
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def at(self, path: str, event: Optional[str] = None) -> List[Dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path and event in (None, r["headers"].get("x-webhook-event"))]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    rx = Receiver()
    yield rx
    rx.close()


@pytest.fixture(scope="module")
def keys(server):
    status, body = raw(server, "GET", "/.well-known/vericord/keys")
    assert status == 200 and body["success"] is True
    return body["data"]


# ---------------------------------------------------------------------------------------
# Sequencing


def test_emit_and_wait_returns_verified_with_sequence_number_and_entry_hash(sdk, new_tenant, recorder):
    tenant = new_tenant()
    pac = sdk(tenant["sandbox"], transport=recorder)
    customer = unique()

    first = pac.balance.emit_and_wait(customer, 12.34, "usage", {"referenceId": "u-1", **WAIT})
    second = pac.balance.emit_and_wait(customer, -0.5, "refund", dict(WAIT))

    for got, seq, balance, amount in ((first, 0, "12.34", "12.34"), (second, 1, "11.84", "-0.5")):
        assert got["status"] == "VERIFIED"
        assert RECORD_ID.match(got["recordId"])
        assert got["sequenceNumber"] == str(seq)  # a decimal string, as the SDK's delta.verified type has it
        assert HASH.match(got["entryHash"])
        assert got["balanceAfter"] == float(balance)
        assert got["item"]["delta"] == amount
        assert item_hash(got["item"]) == got["itemHash"]
        assert entry_hash(seq, got["itemHash"], balance) == got["entryHash"]
        assert TIMESTAMP.match(got["verifiedAt"]) and got["verifiedAt"] >= got["receivedAt"]
        assert got["failedReason"] is None
    assert first["referenceId"] == "u-1"
    assert first["customerReference"] == customer_reference(tenant["id"], "sandbox", customer)

    # The SDK emitted, then polled GET /delta/:recordId until the wire said VERIFIED.
    for got in (first, second):
        polls = [c for c in recorder.calls if c["method"] == "GET" and c["url"].endswith(f"/api/v1/balance/delta/{got['recordId']}")]
        assert polls, "emit_and_wait never polled"
        assert polls[-1]["json"]["data"]["status"] == "VERIFIED"
        assert all(p["json"]["data"]["status"] in {"QUEUED", "PROCESSING", "VERIFIED"} for p in polls)
    posts = [c for c in recorder.calls if c["method"] == "POST"]
    assert [p["json"]["data"]["status"] for p in posts] == ["QUEUED", "QUEUED"]
    assert "timeout" not in posts[0]["body"] and "pollInterval" not in posts[0]["body"]


def test_wait_for_verified_with_poll_interval_and_timeout(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    emitted = pac.balance.emit(customer, 7.5, "seat")
    assert emitted["status"] == "QUEUED"

    verified = pac.balance.wait_for_verified(emitted["recordId"], {"pollInterval": 25, "timeout": 15_000})

    assert verified["status"] == "VERIFIED"
    assert verified["recordId"] == emitted["recordId"]
    assert verified["sequenceNumber"] == "0"  # first entry of this customer's log
    assert verified["balanceAfter"] == 7.5
    assert entry_hash(0, emitted["itemHash"], "7.5") == verified["entryHash"]
    gets = [c for c in recorder.calls if c["method"] == "GET"]
    assert gets and all(c["url"].endswith(f"/api/v1/balance/delta/{emitted['recordId']}") for c in gets)
    # A second wait on a verified record returns after one poll.
    before = len(recorder.calls)
    assert pac.balance.wait_for_verified(emitted["recordId"], {"pollInterval": 25, "timeout": 5_000})["status"] == "VERIFIED"
    assert len(recorder.calls) == before + 1
    # An unknown id is a 404 on the first poll, not a timeout.
    with pytest.raises(NotFoundError):
        pac.balance.wait_for_verified("rec_" + "0" * 24, {"pollInterval": 25, "timeout": 5_000})


# ---------------------------------------------------------------------------------------
# Derive and compare


def test_derive_and_its_helpers_compute_exact_balances(sdk, new_tenant, recorder):
    pac = sdk(new_tenant()["sandbox"], transport=recorder)
    customer = unique()
    amounts = [12.34, -0.5, 0.16, -0.5]
    emitted = emit_all(pac, customer, amounts)
    month = emitted[0]["receivedAt"][:7]
    total = float(sum(Decimal(str(a)) for a in amounts))  # 11.5, exactly
    assert total == 11.5

    derived = pac.balance.derive(customer)
    assert derived["computedBalance"] == 11.5
    assert derived["deltasCount"] == derived["deltaCount"] == 4
    assert derived["startingBalance"] == 0 and derived["netChange"] == 11.5
    assert derived["scope"]["label"] == month
    assert [d["recordId"] for d in derived["deltas"]] == [e["recordId"] for e in emitted]
    assert [d["sequenceNumber"] for d in derived["deltas"]] == [0, 1, 2, 3]
    assert [d["delta"] for d in derived["deltas"]] == amounts
    assert [d["balanceAfter"] for d in derived["deltas"]] == [12.34, 11.84, 12.0, 11.5]
    assert [d["entryHash"] for d in derived["deltas"]] == [e["entryHash"] for e in emitted]
    assert derived["latestReceiptId"] == emitted[-1]["receiptId"]
    assert derived["pendingDeltas"] == 0
    assert "?" not in recorder.calls[-1]["url"]  # no scope: the server defaults to this month

    current = pac.balance.derive_current_month(customer)
    assert recorder.calls[-1]["url"].endswith("?timePreset=current_month")
    period = pac.balance.derive_for_period(customer, month)
    assert recorder.calls[-1]["url"].endswith(f"?period={month}")
    back1 = pac.balance.derive_months_back(customer, 1)
    assert "timePreset=custom&startDate=" in recorder.calls[-1]["url"]
    back12 = pac.balance.derive_months_back(customer, 12)
    for d in (current, period, back1, back12):
        assert (d["computedBalance"], d["deltasCount"]) == (11.5, 4)
    assert back1["scope"]["startDate"] == f"{month}-01T00:00:00.000Z"
    assert back1["scope"]["label"].startswith(f"{month}-01T00:00:00.000Z/")

    # Paging the listed deltas leaves the balance and count over the whole scope.
    page = pac.balance.derive(customer, {"limit": 2, "offset": 1})
    assert [d["sequenceNumber"] for d in page["deltas"]] == [1, 2]
    assert (page["computedBalance"], page["deltasCount"], page["limit"], page["offset"]) == (11.5, 4, 2, 1)

    # startingBalance shifts the result, exactly.
    assert pac.balance.derive(customer, {"startingBalance": 100.25})["computedBalance"] == 111.75
    assert pac.balance.derive_for_period(customer, month, {"startingBalance": -11.5})["computedBalance"] == 0

    # A past month with nothing in it.
    empty = pac.balance.derive_for_period(customer, "2020-01")
    assert (empty["computedBalance"], empty["deltasCount"], empty["deltas"], empty["latestReceiptId"]) == (0, 0, [], None)

    with pytest.raises(NotFoundError) as caught:
        pac.balance.derive(unique("nobody"))
    assert caught.value.api_body["code"] == "CUSTOMER_NOT_FOUND"


def test_derive_and_compare_from_a_starting_checkpoint(sdk, new_tenant):
    pac = sdk(new_tenant()["sandbox"])
    customer = unique()
    emit_all(pac, customer, [12.34, -0.5])
    checkpoint = pac.balance.checkpoint(customer)
    assert checkpoint["closingBalance"] == 11.84 and checkpoint["treeSize"] == 2
    later = emit_all(pac, customer, [0.25, -1])

    by_id = pac.balance.derive(customer, {"startingCheckpoint": checkpoint["checkpointId"]})
    assert by_id["computedBalance"] == 11.09  # 11.84 + 0.25 - 1, resumed from the checkpoint's closing balance
    assert by_id["deltasCount"] == 2
    assert by_id["startingBalance"] == 11.84 and by_id["netChange"] == -0.75
    assert [d["recordId"] for d in by_id["deltas"]] == [e["recordId"] for e in later]
    assert [d["sequenceNumber"] for d in by_id["deltas"]] == [2, 3]
    assert by_id["scope"] == {"startingCheckpoint": checkpoint["checkpointId"], "proofRoot": checkpoint["proofRoot"], "fromSize": 2}

    by_root = pac.balance.derive(customer, {"startingCheckpoint": checkpoint["proofRoot"], "startingCheckpointType": "proofRoot"})
    assert (by_root["computedBalance"], by_root["deltasCount"]) == (11.09, 2)
    assert by_root["scope"]["startingCheckpoint"] == checkpoint["checkpointId"]

    with_balance = pac.balance.derive(customer, {"startingCheckpoint": checkpoint["checkpointId"], "startingBalance": 5})
    assert (with_balance["computedBalance"], with_balance["deltasCount"]) == (4.25, 2)

    # compare always sends startingBalance (0 unless given), so resuming needs it explicitly.
    resumed = pac.balance.compare(
        customer, {"yours": 11.09, "theirs": 11.1}, {"startingCheckpoint": checkpoint["checkpointId"], "startingBalance": 11.84}
    )
    assert (resumed["neutralBalance"], resumed["matchesYours"], resumed["matchesTheirs"]) == (11.09, True, False)
    assert resumed["deltasCount"] == 2
    zero_based = pac.balance.compare(customer, {"yours": -0.75, "theirs": -0.75}, {"startingCheckpoint": checkpoint["proofRoot"]})
    assert (zero_based["neutralBalance"], zero_based["matchesYours"], zero_based["matchesTheirs"]) == (-0.75, True, True)

    other = unique()
    emit_all(pac, other, [1])
    for starting in ("chk_" + "0" * 24, ZERO_ROOT, pac.balance.checkpoint(other)["checkpointId"]):
        with pytest.raises(PacSpaceError) as caught:
            pac.balance.derive(customer, {"startingCheckpoint": starting})
        assert (caught.value.status_code, caught.value.code) == (400, "CHECKPOINT_NOT_FOUND")
        assert caught.value.api_body["field"] == "startingCheckpoint"


def test_compare_matches_and_mismatches(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    emitted = emit_all(pac, customer, [12.34, -0.5])
    month = emitted[0]["receivedAt"][:7]

    both = pac.balance.compare(customer, {"yours": 11.84, "theirs": 11.84})
    assert (both["matchesYours"], both["matchesTheirs"], both["match"]) == (True, True, True)
    assert both["neutralBalance"] == both["computedBalance"] == 11.84
    assert both["deltasCount"] == 2
    assert (both["differenceYours"], both["differenceTheirs"]) == (0, 0)
    call = recorder.last("POST", "/api/v1/balance/compare")
    assert json.loads(call["body"]) == {"customerId": customer, "yourBalance": 11.84, "theirBalance": 11.84, "startingBalance": 0}

    theirs_off = pac.balance.compare(customer, {"yours": 11.84, "theirs": 11.85}, {"period": month})
    assert (theirs_off["matchesYours"], theirs_off["matchesTheirs"], theirs_off["match"]) == (True, False, False)
    assert theirs_off["neutralBalance"] == 11.84 and theirs_off["differenceTheirs"] == 0.01
    assert json.loads(recorder.calls[-1]["body"])["period"] == month

    yours_off = pac.balance.compare(customer, {"yours": 12, "theirs": 11.84}, {"timePreset": "current_month"})
    assert (yours_off["matchesYours"], yours_off["matchesTheirs"]) == (False, True)
    assert yours_off["differenceYours"] == 0.16

    shifted = pac.balance.compare(customer, {"yours": 21.84, "theirs": 11.84}, {"startingBalance": 10})
    assert (shifted["neutralBalance"], shifted["matchesYours"], shifted["matchesTheirs"]) == (21.84, True, False)

    past = pac.balance.compare(customer, {"yours": 0, "theirs": 11.84}, {"period": "2020-01"})
    assert (past["neutralBalance"], past["matchesYours"], past["matchesTheirs"], past["deltasCount"]) == (0, True, False, 0)


# ---------------------------------------------------------------------------------------
# Checkpoints


def test_checkpoint_one_customer_is_idempotent_and_extends_consistently(sdk, new_tenant, recorder):
    pac = sdk(new_tenant()["sandbox"], transport=recorder)
    customer = unique()
    emitted = emit_all(pac, customer, [12.34, -0.5])
    month = emitted[0]["receivedAt"][:7]

    first = pac.balance.checkpoint(customer)
    assert json.loads(recorder.last("POST", "/api/v1/balance/checkpoint")["body"]) == {"customerId": customer}
    assert recorder.calls[-1]["status"] == 201
    assert first["status"] == "VERIFIED"
    assert CHECKPOINT_ID.match(first["checkpointId"])
    assert HASH.match(first["proofRoot"]) and first["merkleRoot"] == first["proofRoot"]
    assert first["proofRoot"] == merkle_root([e["entryHash"] for e in emitted])
    assert (first["customerId"], first["period"], first["treeSize"], first["startSize"], first["recordCount"]) == (
        customer, month, 2, 0, 2)
    assert (first["openingBalance"], first["closingBalance"]) == (0, 11.84)
    assert (first["created"], first["idempotent"]) == (True, False)
    assert first["previousCheckpointId"] is None
    assert first["consistencyProof"] == {"fromSize": 0, "fromRoot": ZERO_ROOT, "toSize": 2, "proof": []}

    again = pac.balance.checkpoint(customer)
    assert again["checkpointId"] == first["checkpointId"]
    assert again["proofRoot"] == first["proofRoot"] and again["note"] == first["note"]
    assert (again["created"], again["idempotent"]) == (False, True)
    explicit = pac.balance.checkpoint(customer, {"period": month})
    assert explicit["checkpointId"] == first["checkpointId"]

    more = emit_all(pac, customer, [0.16])
    third = pac.balance.checkpoint(customer)
    assert third["checkpointId"] != first["checkpointId"]
    assert (third["treeSize"], third["recordCount"], third["closingBalance"]) == (3, 3, 12)
    assert third["proofRoot"] == merkle_root([e["entryHash"] for e in emitted + more])
    assert third["previousCheckpointId"] == first["checkpointId"]
    proof = third["consistencyProof"]
    assert (proof["fromSize"], proof["fromRoot"], proof["toSize"]) == (2, first["proofRoot"], 3)
    assert consistency_ok(2, 3, proof["proof"], first["proofRoot"], third["proofRoot"])
    assert not consistency_ok(2, 3, proof["proof"], third["proofRoot"], third["proofRoot"])

    # The SDK's idempotencyKey option travels as the Idempotency-Key header: a retry
    # replays the first answer even after the log has grown.
    key = f"chk-{uuid.uuid4().hex}"
    keyed = pac.balance.checkpoint(customer, {"idempotencyKey": key})
    assert recorder.last("POST", "/api/v1/balance/checkpoint")["headers"]["Idempotency-Key"] == key
    assert keyed["checkpointId"] == third["checkpointId"]
    emit_all(pac, customer, [1])
    assert pac.balance.checkpoint(customer, {"idempotencyKey": key}) == keyed
    assert pac.balance.checkpoint(customer)["treeSize"] == 4

    with pytest.raises(NotFoundError) as caught:
        pac.balance.checkpoint(unique("nobody"))
    assert caught.value.api_body["code"] == "CUSTOMER_NOT_FOUND"


def test_checkpoint_all_customers_and_list_checkpoints(sdk, new_tenant, recorder):
    pac = sdk(new_tenant()["sandbox"], transport=recorder)
    a, b = "acct-a", "acct-b"
    emit_all(pac, a, [12.34])
    emit_all(pac, b, [-0.5, 2])
    month = month_now()

    everyone = pac.balance.checkpoint()
    assert json.loads(recorder.last("POST", "/api/v1/balance/checkpoint")["body"]) == {}
    assert everyone["status"] == "VERIFIED"
    assert everyone["period"] == month and everyone["truncated"] is False
    by_customer = {c["customerId"]: c for c in everyone["checkpoints"]}
    assert set(by_customer) == {a, b}
    assert everyone["checkpointId"] == everyone["checkpoints"][0]["checkpointId"]
    for c in everyone["checkpoints"]:
        assert CHECKPOINT_ID.match(c["checkpointId"]) and HASH.match(c["proofRoot"])
        assert c["status"] == "VERIFIED" and c["created"] is True
    assert (by_customer[a]["recordCount"], by_customer[a]["closingBalance"]) == (1, 12.34)
    assert (by_customer[b]["recordCount"], by_customer[b]["closingBalance"]) == (2, 1.5)

    again = pac.balance.checkpoint()
    assert {c["customerId"]: c["checkpointId"] for c in again["checkpoints"]} == {k: v["checkpointId"] for k, v in by_customer.items()}
    assert all(c["idempotent"] is True for c in again["checkpoints"])
    assert again["checkpointId"] in {c["checkpointId"] for c in everyone["checkpoints"]}
    # A single-customer call for the same scope finds the same checkpoint.
    assert pac.balance.checkpoint(a)["checkpointId"] == by_customer[a]["checkpointId"]

    ids = {c["checkpointId"] for c in everyone["checkpoints"]}
    listed = pac.balance.list_checkpoints()
    assert {c["checkpointId"] for c in listed["checkpoints"]} == ids
    assert (listed["limit"], listed["offset"]) == (25, 0)
    assert all(c["status"] == "VERIFIED" and c["note"] for c in listed["checkpoints"])

    only_a = pac.balance.list_checkpoints({"customerId": a})
    assert [c["checkpointId"] for c in only_a["checkpoints"]] == [by_customer[a]["checkpointId"]]
    assert only_a["checkpoints"][0]["proofRoot"] == by_customer[a]["proofRoot"]
    assert {c["checkpointId"] for c in pac.balance.list_checkpoints({"period": month})["checkpoints"]} == ids
    assert pac.balance.list_checkpoints({"period": "2020-01"})["checkpoints"] == []
    assert pac.balance.list_checkpoints({"customerId": b, "period": "2020-01"})["checkpoints"] == []
    assert {c["checkpointId"] for c in pac.balance.list_checkpoints({"timePreset": "current_month"})["checkpoints"]} == ids

    page1 = pac.balance.list_checkpoints({"limit": 1, "offset": 0})
    page2 = pac.balance.list_checkpoints({"limit": 1, "offset": 1})
    page3 = pac.balance.list_checkpoints({"limit": 1, "offset": 2})
    assert recorder.calls[-1]["url"].endswith("/api/v1/balance/checkpoints?limit=1&offset=2")
    assert (len(page1["checkpoints"]), len(page2["checkpoints"]), page3["checkpoints"]) == (1, 1, [])
    assert {page1["checkpoints"][0]["checkpointId"], page2["checkpoints"][0]["checkpointId"]} == ids
    assert (page2["limit"], page2["offset"]) == (1, 1)

    with pytest.raises(NotFoundError):
        pac.balance.list_checkpoints({"customerId": unique("nobody")})
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.list_checkpoints({"limit": 0})
    assert (caught.value.status_code, caught.value.code, caught.value.api_body["field"]) == (400, "VALIDATION_ERROR", "limit")


# ---------------------------------------------------------------------------------------
# Receipts


def test_receipt_unscoped_and_scoped_through_the_invoice_proof_route(sdk, new_tenant, recorder, server):
    pac = sdk(new_tenant()["sandbox"], transport=recorder)
    customer = unique()
    emitted = emit_all(pac, customer, [12.34, -0.5])
    month = emitted[0]["receivedAt"][:7]

    unscoped = pac.balance.receipt(customer)
    assert recorder.calls[-1]["url"] == f"{server.base_url}/api/v1/balance/receipt/{customer}"
    assert unscoped["customerId"] == customer
    assert unscoped["period"] == month
    assert CHECKPOINT_ID.match(unscoped["checkpointId"])
    assert unscoped["receiptId"] == unscoped["proofRoot"] == unscoped["checkpoint"]["proofRoot"]
    assert unscoped["proofRoot"] == merkle_root([e["entryHash"] for e in emitted])
    assert (unscoped["deltaCount"], unscoped["deltasCount"], unscoped["startingBalance"], unscoped["finalBalance"]) == (2, 2, 0, 11.84)
    assert unscoped["netChange"] == 11.84
    assert [d["recordId"] for d in unscoped["deltas"]] == [e["recordId"] for e in emitted]
    assert all(d["status"] == "VERIFIED" for d in unscoped["deltas"])
    assert (unscoped["pendingRecords"], unscoped["failedRecords"]) == (0, 0)
    # A receipt stands on a persisted checkpoint: the same one an explicit commit finds.
    assert pac.balance.checkpoint(customer)["checkpointId"] == unscoped["checkpointId"]

    scoped = pac.balance.receipt(customer, {"period": month})
    assert recorder.calls[-1]["url"] == f"{server.base_url}/api/v1/balance/invoice-proof/{customer}?period={month}"
    proof = pac.balance.invoice_proof(customer, {"period": month})
    assert recorder.calls[-1]["url"] == f"{server.base_url}/api/v1/balance/invoice-proof/{customer}?period={month}"
    preset = pac.balance.receipt(customer, {"timePreset": "current_month"})
    assert recorder.calls[-1]["url"].endswith(f"/invoice-proof/{customer}?timePreset=current_month")
    for r in (scoped, proof, preset):
        assert r["proofRoot"] == unscoped["proofRoot"]
        assert r["checkpointId"] == unscoped["checkpointId"]
        assert (r["period"], r["deltaCount"], r["finalBalance"]) == (month, 2, 11.84)
        # The four optional fields the SDK normalizes are present; URLs are strings.
        for key in ("verificationApiUrl", "accessHint", "customerLinkUrl", "customerLinkHost"):
            assert key in r
        assert isinstance(r["verificationApiUrl"], str)
        assert r["verificationApiUrl"] == f"{server.base_url}/api/v1/verify/{r['proofRoot']}"
        assert r["verifyUrl"] == f"{server.base_url}/verify/{r['proofRoot']}"
    # The machine link answers: the SDK's own public call on that root says verified.
    assert pac.verify(scoped["proofRoot"])["verified"] is True

    past = pac.balance.invoice_proof(customer, {"period": "2020-01"})
    assert (past["deltaCount"], past["deltas"], past["finalBalance"]) == (0, [], 0)
    assert past["proofRoot"] == ZERO_ROOT

    with pytest.raises(NotFoundError):
        pac.balance.receipt(unique("nobody"))
    with pytest.raises(NotFoundError):
        pac.balance.invoice_proof(unique("nobody"), {"period": month})


def test_proof_routes_find_customer_ids_the_sdk_percent_encodes(sdk, new_tenant, recorder, keys):
    """`:` is a valid customerId character; the SDK sends it as %3A in every path."""
    pac = sdk(new_tenant()["sandbox"], transport=recorder)
    customer = f"acct:eu.{uuid.uuid4().hex[:8]}_x-1"
    emitted = emit_all(pac, customer, [7, -2.5])
    month = emitted[0]["receivedAt"][:7]

    receipt = pac.balance.receipt(customer)
    assert "/receipt/acct%3Aeu." in recorder.calls[-1]["url"]
    assert receipt["customerId"] == customer
    assert [d["recordId"] for d in receipt["deltas"]] == [e["recordId"] for e in emitted]
    verify_receipt(receipt, keys, keys["name"])
    scoped = pac.balance.invoice_proof(customer, {"period": month})
    assert "/invoice-proof/acct%3Aeu." in recorder.calls[-1]["url"]
    assert (scoped["customerId"], scoped["proofRoot"]) == (customer, receipt["proofRoot"])

    derived = pac.balance.derive(customer)
    assert "/derive/acct%3Aeu." in recorder.calls[-1]["url"]
    assert (derived["customerId"], derived["computedBalance"]) == (customer, 4.5)
    gaps = pac.balance.gaps(customer)
    assert "/gaps/acct%3Aeu." in recorder.calls[-1]["url"]
    assert (gaps["customerId"], gaps["size"], gaps["hasGaps"]) == (customer, 2, False)
    assert pac.balance.delta_status(emitted[0]["recordId"])["customerId"] == customer


def test_receipt_proofs_verify_from_first_principles(sdk, new_tenant, keys):
    """Item hashes, entry hashes, inclusion proofs and the signed note, recomputed here."""
    pac = sdk(new_tenant()["sandbox"])
    customer = unique()
    amounts = [12.34, -0.5, 0.000000001, 1000, -3.75]
    emitted = emit_all(pac, customer, amounts)
    assert [e["item"]["delta"] for e in emitted] == ["12.34", "-0.5", "0.000000001", "1000", "-3.75"]

    deployment = keys["name"]
    assert [k["status"] for k in keys["keys"]][0] == "current"
    for k in keys["keys"]:
        name, key_id, _ = parse_verifier_key(k["verifierKey"])
        assert (name, key_id) == (k["name"], k["keyId"]) == (deployment, k["keyId"])

    # A month receipt: five entries, opening 0, odd tree size (proofs of lengths 1..3).
    receipt = pac.balance.receipt(customer)
    assert receipt["verification"]["verifierKeys"] == [k["verifierKey"] for k in keys["keys"]]
    body = verify_receipt(receipt, keys, deployment)
    assert (body["size"], body["count"], body["opening"], body["closing"]) == (5, 5, "0", "1008.090000001")
    assert body["period"] == emitted[0]["receivedAt"][:7]
    assert sorted({len(d["proof"]) for d in receipt["deltas"]}) == [1, 3]
    assert receipt["finalBalance"] == 1008.090000001

    # A custom scope starting at the third record: opening balance non-zero, proven by entry 1.
    start = emitted[2]["receivedAt"]
    window = {"timePreset": "custom", "startDate": start, "endDate": "2099-01-01T00:00:00Z"}
    with pytest.raises(ScopeTooWideError):
        pac.balance.receipt(customer, window)  # far beyond 366 days, refused by the server
    # The end may lie ahead: the server clamps it to now (every record so far is in scope).
    end = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scoped = pac.balance.receipt(customer, {"timePreset": "custom", "startDate": start, "endDate": end})
    body = verify_receipt(scoped, keys, deployment)
    assert (body["size"], body["count"], body["opening"], body["closing"]) == (5, 3, "11.84", "1008.090000001")
    assert scoped["boundaries"]["opening"]["recordId"] == emitted[1]["recordId"]
    assert [d["recordId"] for d in scoped["deltas"]] == [e["recordId"] for e in emitted[2:]]
    assert body["period"] == f"{start}/{end[:-1]}.000Z" == scoped["period"]
    assert scoped["proofRoot"] == receipt["proofRoot"]  # same tree size, same root
    assert scoped["checkpointId"] != receipt["checkpointId"]  # another scope, another checkpoint

    # The emitted submission roots (one item each) are the item hashes.
    for e in emitted:
        assert e["receiptId"] == merkle_root([e["itemHash"]]) == item_hash(e["item"])


# ---------------------------------------------------------------------------------------
# Public verify


def test_verify_checkpoint_root_submission_root_chain_and_unknown(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    emitted = emit_all(pac, customer, [12.34, -0.5])
    checkpoint = pac.balance.checkpoint(customer)

    result = pac.verify(checkpoint["proofRoot"])
    call = recorder.calls[-1]
    assert call["url"].endswith(f"/api/v1/verify/{checkpoint['proofRoot']}")
    assert "X-Api-Key" not in call["headers"] and call["headers"]["X-Chain-Id"] == "296"
    assert result["verified"] is True
    assert (result["kind"], result["proofRoot"], result["checkpointId"]) == ("checkpoint", checkpoint["proofRoot"], checkpoint["checkpointId"])
    assert result["summary"]["recordCount"] == 2
    assert (result["summary"]["startingBalance"], result["summary"]["endingBalance"], result["summary"]["netChange"]) == (0, 11.84, 11.84)
    assert [r["recordId"] for r in result["records"]] == [e["recordId"] for e in emitted]
    assert [r["amount"] for r in result["records"]] == [12.34, -0.5]
    assert result["verification"]["signature"] == "valid" and result["verification"]["treeRootMatches"] is True
    assert result["verification"]["note"] == checkpoint["note"]

    submission = pac.verify(emitted[0]["receiptId"])
    assert submission["verified"] is True
    assert (submission["kind"], submission["proofRoot"], submission["anchorId"]) == ("submission", emitted[0]["receiptId"], emitted[0]["anchorId"])
    # A submission may span customers: its public answer proves the root and shows no amounts.
    assert submission["summary"]["recordCount"] == 1 and "netChange" not in submission["summary"]
    assert "records" not in submission
    assert submission["verification"]["itemHashes"] == [emitted[0]["itemHash"]]
    # Upper-case hex names the same root.
    assert pac.verify("0x" + emitted[1]["receiptId"][2:].upper())["proofRoot"] == emitted[1]["receiptId"]

    for source in ("chain", "both"):
        answered = pac.verify(checkpoint["proofRoot"], source=source)
        assert recorder.calls[-1]["url"].endswith(f"?source={source}")
        assert answered["verified"] is False
        assert answered["proofRoot"] == checkpoint["proofRoot"]
        assert "chain" in answered["message"]
    assert pac.verify(checkpoint["proofRoot"], source="db")["verified"] is True
    assert "?" not in recorder.calls[-1]["url"]  # the SDK omits source=db
    with pytest.raises(ValueError):
        pac.verify(checkpoint["proofRoot"], source="ledger")  # refused client-side

    unknown = "0x" + uuid.uuid4().hex * 2
    with pytest.raises(NotFoundError) as caught:
        pac.verify(unknown)
    assert caught.value.api_body["code"] == "PROOF_ROOT_NOT_FOUND"
    with pytest.raises(PacSpaceError) as caught:
        pac.verify("0x1234")
    assert (caught.value.status_code, caught.value.code, caught.value.api_body["field"]) == (400, "VALIDATION_ERROR", "proofRoot")


# ---------------------------------------------------------------------------------------
# Webhook deliveries


def test_webhook_deliveries_list_verify_and_retry(sdk, new_tenant, server, receiver):
    tenant = new_tenant()
    endpoint = server.admin(
        "POST", f"/admin/tenants/{tenant['id']}/webhooks", {"url": receiver.url("/hooks"), "environment": "sandbox"}
    )
    assert endpoint["secret"].startswith("whsec_")
    verifier = Webhooks(endpoint["secret"])
    pac = sdk(tenant["sandbox"])
    receiver.fail["/hooks"] = 1  # the first attempt gets a 500

    emitted = pac.balance.emit_and_wait(unique(), 12.34, "usage", dict(WAIT))
    [first] = wait_until("the first attempt", lambda: receiver.at("/hooks"))
    assert first["answer"] == 500
    event = verifier.verify_from_headers(first["headers"], first["body"])
    assert event["event"] == "delta.verified" == first["headers"]["x-webhook-event"]
    assert EVENT_ID.match(event["id"]) and event["id"] == first["headers"]["x-event-id"]
    assert event["tenantId"] == tenant["id"]
    assert event["data"]["recordId"] == emitted["recordId"]
    assert event["data"]["sequenceNumber"] == "0" and event["data"]["delta"] == 12.34
    with pytest.raises(PacSpaceError):
        Webhooks(endpoint["secret"] + "x").verify_from_headers(first["headers"], first["body"])

    # The failed attempt is recorded; the delivery waits for its backoff (≥ 30 s by default).
    listed = wait_until(
        "the failed attempt in the list",
        lambda: (lambda d: d if d["deliveries"] and d["deliveries"][0]["attempts"] == 1 else None)(pac.balance.list_webhook_deliveries()),
    )
    assert listed["total"] == 1
    d = listed["deliveries"][0]
    assert (d["eventId"], d["event"], d["deliveryStatus"], d["lastStatusCode"]) == (event["id"], "delta.verified", "pending", 500)
    assert d["status"] == "QUEUED"  # "pending" as the SDK normalizes every status key
    assert d["endpointId"] == endpoint["id"] and d["url"] == receiver.url("/hooks")
    assert d["nextAttemptAt"] is not None and d["deliveredAt"] is None
    assert pac.balance.list_webhook_deliveries({"status": "delivered"})["total"] == 0
    assert pac.balance.list_webhook_deliveries({"status": "pending"})["total"] == 1

    retried = pac.balance.retry_webhook(event["id"])
    assert (retried["eventId"], retried["event"], retried["retried"]) == (event["id"], "delta.verified", 1)
    [now] = retried["deliveries"]
    assert (now["deliveryStatus"], now["attempts"], now["lastStatusCode"]) == ("delivered", 2, 200)
    assert [a["statusCode"] for a in now["attemptHistory"]] == [500, 200]
    sent = receiver.at("/hooks", "delta.verified")
    assert [r["answer"] for r in sent] == [500, 200]
    assert sent[1]["body"] == sent[0]["body"] and sent[1]["headers"]["x-event-id"] == event["id"]
    assert verifier.verify_from_headers(sent[1]["headers"], sent[1]["body"]) == event
    assert pac.balance.list_webhook_deliveries({"status": "delivered"})["deliveries"][0]["eventId"] == event["id"]

    # A checkpoint and a receipt report themselves too; every received delivery verifies.
    checkpoint = pac.balance.checkpoint(emitted["customerId"])
    pac.balance.receipt(emitted["customerId"])
    [cp] = wait_until("checkpoint.verified", lambda: receiver.at("/hooks", "checkpoint.verified"))
    [rc] = wait_until("receipt.generated", lambda: receiver.at("/hooks", "receipt.generated"))
    cp_event = verifier.verify_from_headers(cp["headers"], cp["body"])
    assert cp_event["data"]["checkpointId"] == checkpoint["checkpointId"]
    assert cp_event["data"]["proofRoot"] == checkpoint["proofRoot"]
    assert verifier.verify_from_headers(rc["headers"], rc["body"])["data"]["receiptId"] == checkpoint["proofRoot"]
    for r in receiver.at("/hooks"):
        verifier.verify_from_headers(r["headers"], r["body"])
    all_events = wait_until(
        "three delivered events",
        lambda: (lambda d: d if d["total"] == 3 else None)(pac.balance.list_webhook_deliveries({"status": "delivered"})),
    )
    assert {x["event"] for x in all_events["deliveries"]} == {"delta.verified", "checkpoint.verified", "receipt.generated"}
    page = pac.balance.list_webhook_deliveries({"limit": 1, "offset": 2})
    assert (len(page["deliveries"]), page["total"], page["limit"], page["offset"]) == (1, 3, 1, 2)

    # Another tenant sees none of this; an unknown event is a 404.
    assert sdk(server.tenants["other"]["keys"]["sandbox"]).balance.list_webhook_deliveries()["total"] == 0
    with pytest.raises(NotFoundError) as caught:
        sdk(server.tenants["other"]["keys"]["sandbox"]).balance.retry_webhook(event["id"])
    assert caught.value.api_body["code"] == "WEBHOOK_EVENT_NOT_FOUND"
    with pytest.raises(NotFoundError):
        pac.balance.retry_webhook("evt_" + "0" * 24)
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.list_webhook_deliveries({"status": "bogus"})
    assert (caught.value.status_code, caught.value.code) == (400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------
# Scope errors: the server's codes, and the SDK's classes for them


def test_server_refuses_invalid_scope_combinations_and_too_wide_scopes(server, direct):
    key = direct["sandbox"]
    month = month_now()
    customer = unique()
    assert raw(server, "POST", "/api/v1/balance/delta", key, {"customerId": customer, "delta": 1, "reason": "seat"})[0] == 201
    derive = f"/api/v1/balance/derive/{customer}?"
    invalid = [
        ("GET", derive + urlencode({"period": month, "timePreset": "current_month"}), None),
        ("GET", derive + urlencode({"period": month, "startDate": "2026-01-01", "endDate": "2026-02-01"}), None),
        ("GET", derive + urlencode({"startingCheckpoint": "chk_" + "0" * 24, "period": month}), None),
        ("GET", derive + urlencode({"startingCheckpoint": "chk_" + "0" * 24, "timePreset": "current_month"}), None),
        ("GET", derive + urlencode({"timePreset": "custom", "startDate": "2026-01-01"}), None),
        ("GET", derive + urlencode({"timePreset": "current_month", "startDate": "2026-01-01", "endDate": "2026-02-01"}), None),
        ("GET", derive + urlencode({"startDate": "2026-01-01"}), None),
        ("GET", derive + urlencode({"endDate": "2026-02-01"}), None),
        ("POST", "/api/v1/balance/compare", {"customerId": customer, "yourBalance": 1, "theirBalance": 1, "period": month, "startingCheckpoint": "chk_x"}),
        ("POST", "/api/v1/balance/compare", {"customerId": customer, "yourBalance": 1, "theirBalance": 1, "timePreset": "custom", "endDate": "2026-02-01"}),
        ("POST", "/api/v1/balance/checkpoint", {"customerId": customer, "period": month, "timePreset": "current_month"}),
        ("GET", f"/api/v1/balance/invoice-proof/{customer}?" + urlencode({"period": month, "timePreset": "custom"}), None),
        ("GET", "/api/v1/balance/checkpoints?" + urlencode({"endDate": "2026-02-01"}), None),
    ]
    wide = {"timePreset": "custom", "startDate": "2024-01-01", "endDate": "2026-01-01"}
    too_wide = [
        ("GET", derive + urlencode(wide), None),
        ("GET", derive + urlencode({"startDate": "2024-01-01T00:00:00Z", "endDate": "2025-01-02T00:00:01Z"}), None),
        ("POST", "/api/v1/balance/compare", {"customerId": customer, "yourBalance": 1, "theirBalance": 1, **wide}),
        ("POST", "/api/v1/balance/checkpoint", {"customerId": customer, **wide}),
        ("GET", f"/api/v1/balance/invoice-proof/{customer}?" + urlencode(wide), None),
        ("GET", "/api/v1/balance/checkpoints?" + urlencode(wide), None),
    ]
    for cases, code in ((invalid, "INVALID_SCOPE_COMBINATION"), (too_wide, "SCOPE_TOO_WIDE")):
        for method, path, body in cases:
            status, payload = raw(server, method, path, key, body)
            assert status == 400, (path, body, payload)
            assert payload["success"] is False and payload["statusCode"] == 400, payload
            assert payload["error"]["code"] == code, (path, body, payload)
            assert payload["error"]["message"]
    # 366 days is the widest accepted custom scope.
    ok = derive + urlencode({"timePreset": "custom", "startDate": "2025-01-01", "endDate": "2026-01-02"})
    assert raw(server, "GET", ok, key)[0] == 200


def test_sdk_classes_for_scope_errors(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    pac.balance.emit(customer, 1, "seat")
    month = month_now()
    sent = len(recorder.calls)

    # derive/compare: the SDK refuses invalid combinations itself, sending nothing.
    for options in (
        {"period": month, "timePreset": "current_month"},
        {"startingCheckpoint": "chk_1", "period": month},
        {"timePreset": "custom", "startDate": "2026-01-01"},
        {"startDate": "2026-01-01"},
    ):
        with pytest.raises(ValueError):
            pac.balance.derive(customer, options)
        with pytest.raises(ValueError):
            pac.balance.compare(customer, {"yours": 1, "theirs": 1}, options)
    assert len(recorder.calls) == sent

    # Where the SDK does not pre-validate, the server's 400s come back as the SDK's classes.
    invalid = [
        lambda: pac.balance.checkpoint(customer, {"timePreset": "custom", "startDate": "2024-01-01"}),
        lambda: pac.balance.checkpoint(customer, {"period": month, "timePreset": "current_month"}),
        lambda: pac.balance.checkpoint(None, {"startDate": "2026-01-01"}),
        lambda: pac.balance.list_checkpoints({"period": month, "timePreset": "custom"}),
        lambda: pac.balance.list_checkpoints({"endDate": "2026-02-01"}),
        lambda: pac.balance.receipt(customer, {"period": month, "startDate": "2026-01-01", "endDate": "2026-02-01"}),
        lambda: pac.balance.invoice_proof(customer, {"timePreset": "current_month", "endDate": "2026-02-01"}),
        # The SDK's own HTTP client on a derive URL its resource would have refused to build.
        lambda: pac._client.get(f"/api/v1/balance/derive/{customer}?period={month}&timePreset=current_month"),
    ]
    for call in invalid:
        with pytest.raises(InvalidScopeCombinationError) as caught:
            call()
        err = caught.value
        assert (err.status_code, err.code) == (400, "INVALID_SCOPE_COMBINATION")
        assert err.api_body["code"] == "INVALID_SCOPE_COMBINATION"
        assert err.message == err.api_body["message"]
        assert not isinstance(err, ValidationError)

    wide = {"timePreset": "custom", "startDate": "2024-01-01", "endDate": "2026-01-01"}
    too_wide = [
        lambda: pac.balance.derive(customer, wide),
        lambda: pac.balance.derive_months_back(customer, 13),
        lambda: pac.balance.compare(customer, {"yours": 1, "theirs": 1}, wide),
        lambda: pac.balance.checkpoint(customer, wide),
        lambda: pac.balance.list_checkpoints(wide),
        lambda: pac.balance.receipt(customer, wide),
    ]
    for call in too_wide:
        with pytest.raises(ScopeTooWideError) as caught:
            call()
        err = caught.value
        assert (err.status_code, err.code) == (400, "SCOPE_TOO_WIDE")
        assert err.api_body["code"] == "SCOPE_TOO_WIDE"
    assert recorder.calls[-1]["status"] == 400

    # Not a scope error: a malformed date or preset is a plain 400 with its field.
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.derive(customer, {"timePreset": "weekly"})
    assert (type(caught.value), caught.value.code, caught.value.api_body["field"]) == (PacSpaceError, "VALIDATION_ERROR", "timePreset")
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.derive_for_period(customer, "2999-01")
    assert (caught.value.code, caught.value.api_body["field"]) == ("VALIDATION_ERROR", "period")
