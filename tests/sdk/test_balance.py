"""The official SDK's Balance calls against the real Worker: emit, idempotent emit,
delta status by recordId and by anchorId, customers, customer detail and usage."""

from __future__ import annotations

import uuid

import pytest

from pacspace_sdk import NotFoundError, PacSpace, PacSpaceError

from helpers import (
    ANCHOR_ID,
    HASH,
    RECORD_ID,
    REFERENCE,
    TIMESTAMP,
    customer_partition,
    customer_reference,
    item_hash,
    unique,
)

SDK_STATUSES = {"QUEUED", "PROCESSING", "VERIFIED", "FAILED"}
# What the server may say before a record is verified or failed, as sent (the SDK
# rewrites anything outside SDK_STATUSES to QUEUED, so the wire is checked too).
OPEN_STATUSES = {"QUEUED", "PROCESSING", "VERIFIED"}


def test_emit_returns_a_queued_record_with_ids_and_hashes(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()

    data = pac.balance.emit(
        customer, 12.5, "api_call", {"referenceId": "inv-001", "metadata": {"plan": "pro", "units": 3}}
    )

    assert RECORD_ID.match(data["recordId"]), data
    assert ANCHOR_ID.match(data["anchorId"]), data
    assert data["status"] == "QUEUED"
    assert data["customerId"] == customer
    assert data["delta"] == 12.5
    assert data["reason"] == "api_call"
    assert data["referenceId"] == "inv-001"
    assert data["customerReference"] == customer_reference(direct["id"], "sandbox", customer)
    assert REFERENCE.match(data["customerReference"])
    assert TIMESTAMP.match(data["receivedAt"])
    # One item: the submission root is the item hash itself (RFC 9162 MTH of one leaf).
    assert HASH.match(data["itemHash"])
    assert data["receiptId"] == data["itemsRoot"] == data["itemHash"]
    assert data["itemHashes"] == [data["itemHash"]]
    assert data["estimatedVerifiedDeltas"] == 1

    call = recorder.last("POST", "/api/v1/balance/delta")
    assert call["status"] == 201
    assert call["headers"]["X-Api-Key"] == direct["sandbox"]
    assert call["headers"]["X-Chain-Id"] == "296"  # SDK default for pk_test_ keys; accepted and ignored
    assert call["json"]["success"] is True


def test_delta_status_by_record_id_shows_the_hashed_item(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    emitted = pac.balance.emit(customer, -3.75, "refund", {"referenceId": "rf-9", "metadata": {"ticket": "T-1"}})

    status = pac.balance.delta_status(emitted["recordId"])

    assert recorder.last("GET", f"/api/v1/balance/delta/{emitted['recordId']}")["json"]["data"]["status"] in OPEN_STATUSES
    assert status["status"] in OPEN_STATUSES
    assert status["recordId"] == emitted["recordId"]
    assert status["anchorId"] == emitted["anchorId"]
    assert status["customerId"] == customer
    assert status["customerReference"] == emitted["customerReference"]
    assert status["delta"] == -3.75
    assert status["reason"] == "refund"
    assert status["referenceId"] == "rf-9"
    assert status["metadata"] == {"ticket": "T-1"}
    assert status["receiptId"] == emitted["receiptId"]
    assert status["receivedAt"] == emitted["receivedAt"]
    assert status["itemHash"] == emitted["itemHash"]
    # The item is the exact hashed content: recompute its hash with the SDK's JCS + keccak.
    item = status["item"]
    assert item["recordId"] == emitted["recordId"]
    assert item["delta"] == "-3.75"
    assert item["customerReference"] == emitted["customerReference"]
    assert item_hash(item) == emitted["itemHash"]
    # Same call through the SDK's alias.
    assert pac.balance.get_record_status(emitted["recordId"])["recordId"] == emitted["recordId"]


def test_delta_status_by_anchor_id_lists_the_submission(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    emitted = pac.balance.emit(unique(), 1, "seat")

    status = pac.balance.delta_status(emitted["anchorId"])

    assert recorder.last("GET", f"/api/v1/balance/delta/{emitted['anchorId']}")["json"]["data"]["status"] in OPEN_STATUSES
    assert status["anchorId"] == emitted["anchorId"]
    assert status["status"] in OPEN_STATUSES
    assert status["deltaCount"] == 1
    assert status["receiptId"] == status["itemsRoot"] == emitted["receiptId"]
    assert [d["recordId"] for d in status["deltas"]] == [emitted["recordId"]]
    assert all(d["status"] in SDK_STATUSES for d in status["deltas"])


def test_idempotency_key_replays_the_same_record(sdk, direct, recorder):
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = unique()
    options = {"idempotencyKey": f"idem-{uuid.uuid4().hex}", "referenceId": "once"}

    first = pac.balance.emit(customer, 5, "usage", dict(options))
    second = pac.balance.emit(customer, 5, "usage", dict(options))

    assert RECORD_ID.match(first["recordId"])
    assert second == first  # the original response, replayed
    posts = [c for c in recorder.calls if c["method"] == "POST"]
    assert [c["headers"]["Idempotency-Key"] for c in posts] == [options["idempotencyKey"]] * 2
    assert posts[1]["response_headers"].get("idempotent-replayed") == "true"

    # Server side there is one record only.
    detail = pac.balance.customer(customer)
    assert detail["totalDeltas"] == 1
    assert detail["recentActivity"]["pagination"]["total"] == 1
    assert [i["recordId"] for i in detail["recentActivity"]["items"]] == [first["recordId"]]
    listed = pac.balance.customers({"search": customer})
    assert listed["total"] == 1 and listed["customers"][0]["totalDeltas"] == 1
    assert pac.balance.delta_status(first["anchorId"])["deltaCount"] == 1

    # Without the key the same body is a new record.
    third = pac.balance.emit(customer, 5, "usage", {"referenceId": "once"})
    assert third["recordId"] != first["recordId"]
    assert pac.balance.customer(customer)["totalDeltas"] == 2


def test_customers_search_limit_and_page(sdk, new_tenant):
    tenant = new_tenant()
    pac = sdk(tenant["sandbox"])
    emitted = {}
    for customer in ["acme-3", "zeta-1", "acme-1", "acme-2"]:
        emitted[customer] = pac.balance.emit(customer, 2, "seat")
    pac.balance.emit("acme-2", 3, "seat")

    first = pac.balance.customers({"search": "acme", "limit": 2, "page": 1})
    assert [c["customerId"] for c in first["customers"]] == ["acme-1", "acme-2"]
    assert (first["total"], first["page"], first["limit"]) == (3, 1, 2)
    assert first["pagination"] == {"page": 1, "limit": 2, "total": 3, "totalPages": 2}

    second = pac.balance.customers({"search": "acme", "limit": 2, "page": 2})
    assert [c["customerId"] for c in second["customers"]] == ["acme-3"]
    assert second["total"] == 3 and second["page"] == 2

    everyone = pac.balance.customers()
    assert everyone["total"] == 4 and everyone["limit"] == 25 and everyone["page"] == 1
    assert [c["customerId"] for c in everyone["customers"]] == ["acme-1", "acme-2", "acme-3", "zeta-1"]

    assert pac.balance.customers({"search": "nobody"})["total"] == 0
    assert pac.balance.customers({"search": "nobody"})["customers"] == []

    by_id = {c["customerId"]: c for c in everyone["customers"]}
    for customer, c in by_id.items():
        assert c["customerReference"] == customer_reference(tenant["id"], "sandbox", customer)
        assert c["customerReference"] == emitted[customer]["customerReference"]
        assert c["customerPartition"] == customer_partition(tenant["id"], "sandbox", customer)
        assert c["customerPartition"].isdigit()
        assert c["firstActivityAt"] == emitted[customer]["receivedAt"]
    assert by_id["acme-2"]["totalDeltas"] == 2
    assert by_id["acme-1"]["totalDeltas"] == 1


def test_customer_detail_pages_activity_and_pins_a_period(sdk, direct):
    pac = sdk(direct["sandbox"])
    customer = unique()
    r1 = pac.balance.emit(customer, 10, "topup", {"referenceId": "a"})
    r2 = pac.balance.emit(customer, -2.5, "usage", {"referenceId": "b"})
    r3 = pac.balance.emit(customer, 7.25, "usage", {"referenceId": "c"})
    month = r1["receivedAt"][:7]

    page1 = pac.balance.customer(customer, {"deltaPage": 1, "deltaLimit": 2})
    assert page1["customerId"] == customer
    assert page1["customerReference"] == r1["customerReference"]
    assert REFERENCE.match(page1["customerReference"])
    assert page1["customerPartition"] == customer_partition(direct["id"], "sandbox", customer)
    assert page1["totalDeltas"] == 3
    activity = page1["recentActivity"]
    assert activity["pagination"] == {"page": 1, "limit": 2, "total": 3, "totalPages": 2, "hasMore": True}
    assert [i["recordId"] for i in activity["items"]] == [r3["recordId"], r2["recordId"]]  # newest first
    newest = activity["items"][0]
    assert (newest["delta"], newest["reason"], newest["referenceId"]) == (7.25, "usage", "c")
    assert newest["time"] == r3["receivedAt"]
    assert newest["status"] in OPEN_STATUSES  # sent lower-case, upper-cased by the SDK

    page2 = pac.balance.customer(customer, {"deltaPage": 2, "deltaLimit": 2})
    assert [i["recordId"] for i in page2["recentActivity"]["items"]] == [r1["recordId"]]
    assert page2["recentActivity"]["pagination"]["page"] == 2

    # computedBalance is the balance over verified records; recompute it from the activity.
    full = pac.balance.customer(customer, {"deltaLimit": 100})
    items = full["recentActivity"]["items"]
    assert len(items) == 3
    verified = [i for i in items if i["status"] == "VERIFIED"]
    assert full["verifiedDeltas"] == len(verified)
    assert full["computedBalance"] == sum(i["delta"] for i in verified)
    for i in items:
        assert (i["verificationReference"] is not None) == (i["status"] == "VERIFIED")

    pinned = pac.balance.customer(customer, {"period": month, "deltaLimit": 100})
    assert pinned["period"]["period"] == month
    assert pinned["period"]["recordsAccepted"] == 3
    assert pinned["period"]["recordsFailed"] == 0
    assert pinned["period"]["amountRecorded"] == 14.75
    assert pinned["period"]["recordsVerified"] == len(verified)
    assert pinned["recentActivity"]["pagination"]["total"] == 3

    past = pac.balance.customer(customer, {"period": "2020-01"})
    assert past["recentActivity"]["items"] == []
    assert past["recentActivity"]["pagination"]["total"] == 0
    assert past["period"]["recordsAccepted"] == 0
    assert past["period"]["amountRecorded"] == 0


def test_usage_counts_this_months_records_per_environment(sdk, new_tenant, server):
    tenant = new_tenant()
    sandbox = sdk(tenant["sandbox"])
    production = sdk(tenant["production"])

    before = sandbox.balance.usage()
    assert before["environment"] == "sandbox"
    assert before["used"] == 0
    assert before["allowance"] is None and before["remaining"] is None
    assert before["allowed"] is True

    first = sandbox.balance.emit(unique(), 1, "seat")
    sandbox.balance.emit(unique(), 2, "seat")
    after = sandbox.balance.usage()
    assert after["used"] == 2
    assert after["period"] == first["receivedAt"][:7]

    live = production.balance.usage()
    assert live["environment"] == "production" and live["used"] == 0

    server.admin("PATCH", f"/admin/tenants/{tenant['id']}", {"monthlyAllowance": 5})
    limited = sandbox.balance.usage()
    assert (limited["used"], limited["allowance"], limited["remaining"], limited["allowed"]) == (2, 5, 3, True)


def test_environments_and_tenants_do_not_see_each_other(sdk, new_tenant, server, recorder):
    tenant = new_tenant()
    live = sdk(tenant["production"], transport=recorder)
    test = sdk(tenant["sandbox"])
    stranger = sdk(server.tenants["other"]["keys"]["production"])
    customer = unique()

    emitted = live.balance.emit(customer, 4, "seat")
    assert recorder.last("POST", "/api/v1/balance/delta")["headers"]["X-Chain-Id"] == "295"
    assert emitted["customerReference"] == customer_reference(tenant["id"], "production", customer)
    assert emitted["customerReference"] != customer_reference(tenant["id"], "sandbox", customer)
    assert live.balance.customer(customer)["totalDeltas"] == 1

    for client in (test, stranger):
        with pytest.raises(NotFoundError):
            client.balance.customer(customer)
        with pytest.raises(NotFoundError):
            client.balance.delta_status(emitted["recordId"])
        with pytest.raises(NotFoundError):
            client.balance.delta_status(emitted["anchorId"])
        assert client.balance.customers({"search": customer})["total"] == 0


def test_init_alias_and_trailing_slash_base_url(server, direct):
    pac = PacSpace.init(direct["sandbox"], base_url=server.base_url + "/", max_retries=0)
    try:
        assert pac.balance.usage()["environment"] == "sandbox"
    finally:
        pac.close()


def test_customer_ids_with_reserved_characters_survive_the_sdks_path_quoting(sdk, direct, recorder):
    """The SDK percent-encodes path segments (quote(..., safe='')): `:` travels as %3A."""
    pac = sdk(direct["sandbox"], transport=recorder)
    customer = f"acct:eu.{uuid.uuid4().hex[:8]}_x-1"
    emitted = pac.balance.emit(customer, 2, "seat")

    detail = pac.balance.customer(customer)
    assert recorder.calls[-1]["url"].startswith(f"{pac._client.base_url}/api/v1/balance/customers/acct%3Aeu.")
    assert detail["customerId"] == customer
    assert detail["customerReference"] == customer_reference(direct["id"], "sandbox", customer)
    assert [i["recordId"] for i in detail["recentActivity"]["items"]] == [emitted["recordId"]]
    assert pac.balance.customers({"search": customer})["customers"][0]["customerId"] == customer


def test_emit_with_adjusts_names_an_earlier_delta(sdk, direct):
    pac = sdk(direct["sandbox"])
    customer = unique()
    original = pac.balance.emit(customer, 10, "usage", {"referenceId": "inv-7"})

    by_record = pac.balance.emit(customer, -1, "correction", {"adjusts": {"recordId": original["recordId"]}})
    by_reference = pac.balance.emit(customer, -2, "correction", {"adjusts": {"referenceId": "inv-7"}})

    assert pac.balance.delta_status(by_record["recordId"])["adjusts"] == {"recordId": original["recordId"]}
    assert pac.balance.delta_status(by_reference["recordId"])["adjusts"] == {"referenceId": "inv-7"}
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.emit(customer, -3, "correction", {"adjusts": {"referenceId": "no-such-ref"}})
    assert (caught.value.status_code, caught.value.code) == (400, "ADJUSTS_NOT_FOUND")
    assert caught.value.api_body["field"] == "adjusts"
    assert pac.balance.customer(customer)["totalDeltas"] == 3
