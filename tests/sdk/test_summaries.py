"""The SDK's summary submission path: `queue_summaries` + `flush_summaries`, which posts
to `/api/v1/balance/delta/batch` through its internal batch transport."""

from __future__ import annotations

from helpers import ANCHOR_ID, HASH, RECORD_ID, item_hash, merkle_root, unique

DAY1 = ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
DAY2 = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")


def summary(customer, delta, window, **extra):
    return {"customerId": customer, "delta": delta, "windowStart": window[0], "windowEnd": window[1], **extra}


def test_flush_submits_one_batch_and_the_deltas_are_visible(sdk, new_tenant, recorder):
    tenant = new_tenant()
    pac = sdk(tenant["sandbox"], transport=recorder)
    c1, c2 = unique("sum"), unique("sum")

    queued = pac.balance.queue_summaries(
        [summary(c1, 4, DAY1), summary(c1, 6, DAY2), summary(c2, -1.5, DAY1, metadata={"region": "eu"})]
    )
    assert [q["referenceId"][:4] for q in queued] == ["sum_"] * 3
    assert pac.balance.get_summary_queue_state()["queuedCount"] == 3
    assert pac.balance.get_summary_queue_state()["isRunning"] is False

    result = pac.balance.flush_summaries()

    assert result["attempted"] == 3
    assert result["submitted"] == 3
    assert result["failed"] == 0 and result["failures"] == []
    assert result["replayed"] == 0
    assert result["requestCount"] == 1
    assert result["queuedAfterFlush"] == 0
    assert pac.balance.get_summary_queue_state()["queuedCount"] == 0

    call = recorder.last("POST", "/api/v1/balance/delta/batch")
    assert call["status"] == 201
    data = call["json"]["data"]
    assert data["totalQueued"] == 3
    assert data["totalFailed"] == 0
    results = data["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["status"] for r in results] == ["QUEUED"] * 3
    assert [r["customerId"] for r in results] == [c1, c1, c2]
    assert [r["delta"] for r in results] == [4, 6, -1.5]
    assert all(RECORD_ID.match(r["recordId"]) for r in results)
    assert len({r["recordId"] for r in results}) == 3
    assert {r["anchorId"] for r in results} == {data["anchorId"]}
    assert ANCHOR_ID.match(data["anchorId"])
    assert {r["receiptId"] for r in results} == {data["receiptId"]}
    assert HASH.match(data["receiptId"])
    # The batch root is the RFC 9162 sorted-pair root over the item hashes, in order.
    assert [r["itemHash"] for r in results] == data["itemHashes"]
    assert merkle_root(data["itemHashes"]) == data["receiptId"] == data["itemsRoot"]
    assert data["_efficiency"]["uniqueCustomers"] == 2
    assert data["_efficiency"]["totalDeltas"] == 3
    assert "idempotent" not in results[0]

    # The deltas are visible through the customer views.
    detail = pac.balance.customer(c1)
    assert detail["totalDeltas"] == 2
    items = detail["recentActivity"]["items"]
    assert {i["referenceId"] for i in items} == {queued[0]["referenceId"], queued[1]["referenceId"]}
    assert {i["recordId"] for i in items} == {results[0]["recordId"], results[1]["recordId"]}
    assert {i["reason"] for i in items} == {"usage_summary"}
    assert sorted(i["delta"] for i in items) == [4, 6]
    assert pac.balance.customer(c2)["totalDeltas"] == 1

    status = pac.balance.delta_status(results[2]["recordId"])
    assert status["customerId"] == c2 and status["delta"] == -1.5
    assert status["referenceId"] == queued[2]["referenceId"]
    assert status["metadata"] == {
        "summaryWindowStart": DAY1[0],
        "summaryWindowEnd": DAY1[1],
        "summaryProfile": "daily",
        "submissionType": "tenant_summary",
        "region": "eu",
    }
    assert item_hash(status["item"]) == results[2]["itemHash"]

    anchor = pac.balance.delta_status(data["anchorId"])
    assert anchor["deltaCount"] == 3
    assert [d["recordId"] for d in anchor["deltas"]] == [r["recordId"] for r in results]

    # Nothing left: a second flush sends nothing.
    again = pac.balance.flush_summaries()
    assert (again["attempted"], again["requestCount"]) == (0, 0)


def test_flush_reports_in_band_failures_and_keeps_them_queued(sdk, new_tenant, recorder):
    tenant = new_tenant()
    pac = sdk(tenant["sandbox"], transport=recorder)
    good = unique("sum")
    pac.balance.queue_summaries([summary(good, 3, DAY1), summary("bad id", 3, DAY1)])

    result = pac.balance.flush_summaries()

    assert result["attempted"] == 2
    assert result["submitted"] == 1
    assert result["failed"] == 1
    assert result["queuedAfterFlush"] == 1
    assert result["failures"] == [
        {"customerId": "bad id", "referenceId": result["failures"][0]["referenceId"], "error": "VALIDATION_ERROR"}
    ]
    data = recorder.last("POST", "/api/v1/balance/delta/batch")["json"]["data"]
    assert (data["totalQueued"], data["totalFailed"]) == (1, 1)
    assert [r["status"] for r in data["results"]] == ["QUEUED", "FAILED"]
    failed = data["results"][1]
    assert failed["index"] == 1 and failed["customerId"] == "bad id"
    assert failed["error"] == "VALIDATION_ERROR"
    assert failed["field"] == "deltas[1].customerId"
    assert "recordId" not in failed
    assert pac.balance.customer(good)["totalDeltas"] == 1
    assert pac.balance.customers()["total"] == 1
