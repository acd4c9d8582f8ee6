"""Server errors as the official SDK classifies them (pacspace_sdk/errors.py `map_api_error`)."""

from __future__ import annotations

import uuid

import pytest

from pacspace_sdk import (
    InsufficientCreditsError,
    InvalidApiKeyError,
    NotFoundError,
    PacSpaceError,
    RateLimitError,
    ValidationError,
)

from helpers import RECORD_ID, unique


@pytest.mark.parametrize(
    "customer, delta, code, field",
    [
        ("ok", 0, "AMOUNT_ZERO", "delta"),
        ("ok", 1e10, "AMOUNT_OUT_OF_RANGE", "delta"),
        ("ok", 0.1234567891, "AMOUNT_TOO_PRECISE", "delta"),
        ("ok", float("nan"), "INVALID_JSON", None),  # the SDK's json.dumps writes NaN, which is not JSON
        ("has space", 1, "VALIDATION_ERROR", "customerId"),
    ],
)
def test_400_with_a_code_is_a_pacspace_error_carrying_it(sdk, direct, customer, delta, code, field):
    pac = sdk(direct["sandbox"])
    customer_id = f"{customer}-{uuid.uuid4().hex[:8]}" if customer == "ok" else customer

    with pytest.raises(PacSpaceError) as caught:
        pac.balance.emit(customer_id, delta, "usage")

    err = caught.value
    # SDK >= 0.4: a 400 whose body names a code is a plain PacSpaceError with that code.
    assert type(err) is PacSpaceError and not isinstance(err, ValidationError)
    assert (err.status_code, err.code) == (400, code)
    assert err.request_path == "/api/v1/balance/delta"
    assert err.api_body["code"] == code
    assert err.api_body.get("field") == field
    assert err.message == err.api_body["message"]


def test_400_on_a_query_parameter(sdk, direct):
    pac = sdk(direct["sandbox"])
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.customers({"limit": 0})
    assert (caught.value.status_code, caught.value.code) == (400, "VALIDATION_ERROR")
    assert caught.value.api_body["field"] == "limit"
    customer = unique()
    pac.balance.emit(customer, 1, "seat")
    for options, field in (({"period": "2026-13"}, "period"), ({"deltaLimit": 101}, "deltaLimit")):
        with pytest.raises(PacSpaceError) as caught:
            pac.balance.customer(customer, options)
        assert (caught.value.status_code, caught.value.code) == (400, "VALIDATION_ERROR")
        assert caught.value.api_body["field"] == field


def test_401_wrong_secret_unknown_key_and_disabled_key(sdk, direct, new_tenant, server):
    public, secret = direct["sandbox"].split(".")
    wrong_secret = public + "." + ("0" if secret[0] != "0" else "1") + secret[1:]
    unknown = "pk_test_" + uuid.uuid4().hex[:16] + "." + secret
    for key in (wrong_secret, unknown, public + "-no-secret", direct["production"].replace("pk_live_", "pk_test_")):
        with pytest.raises(InvalidApiKeyError) as caught:
            sdk(key).balance.usage()
        err = caught.value
        assert (err.status_code, err.code) == (401, "INVALID_API_KEY")
        assert err.api_body["code"] == "INVALID_API_KEY"

    tenant = new_tenant()
    pac = sdk(tenant["sandbox"])
    assert pac.balance.usage()["used"] == 0
    server.admin("PATCH", f"/admin/keys/{tenant['sandbox_public_id']}", {"enabled": False})
    with pytest.raises(InvalidApiKeyError) as caught:
        pac.balance.emit(unique(), 1, "seat")
    assert caught.value.status_code == 401
    assert caught.value.api_body["code"] == "API_KEY_DISABLED"


def test_404_unknown_customer_and_delta_ids(sdk, direct):
    pac = sdk(direct["sandbox"])
    with pytest.raises(NotFoundError) as caught:
        pac.balance.customer(unique("nobody"))
    assert (caught.value.status_code, caught.value.code) == (404, "NOT_FOUND")
    assert caught.value.api_body["code"] == "CUSTOMER_NOT_FOUND"

    for missing in ("rec_" + "0" * 24, "anc_" + "0" * 24, "not-an-id"):
        with pytest.raises(NotFoundError) as caught:
            pac.balance.delta_status(missing)
        assert caught.value.status_code == 404
        assert caught.value.api_body["code"] == "DELTA_NOT_FOUND"


def test_409_same_idempotency_key_with_another_body(sdk, direct):
    pac = sdk(direct["sandbox"])
    customer = unique()
    key = f"idem-{uuid.uuid4().hex}"
    first = pac.balance.emit(customer, 5, "usage", {"idempotencyKey": key})

    with pytest.raises(PacSpaceError) as caught:
        pac.balance.emit(customer, 6, "usage", {"idempotencyKey": key})

    err = caught.value
    assert type(err) is PacSpaceError
    assert (err.status_code, err.code) == (409, "IDEMPOTENCY_KEY_REUSED")
    # The key still replays its original request, and only one record exists.
    assert pac.balance.emit(customer, 5, "usage", {"idempotencyKey": key})["recordId"] == first["recordId"]
    assert pac.balance.customer(customer)["totalDeltas"] == 1


def test_429_rate_limited_key_raises_rate_limit_error_with_retry_after(sdk, new_tenant, server, recorder):
    tenant = new_tenant()
    server.admin("PATCH", f"/admin/keys/{tenant['sandbox_public_id']}", {"rateLimitPerMinute": 2})
    pac = sdk(tenant["sandbox"], max_retries=0, transport=recorder)

    outcomes = []
    error = None
    # Limit 2 per fixed minute: at most 4 of 6 calls fit even if a minute boundary
    # falls in between, so a 429 must come.
    for _ in range(6):
        try:
            outcomes.append(pac.balance.usage()["environment"])
        except RateLimitError as exc:
            error = exc
            break

    assert error is not None, f"no 429 after {len(outcomes)} calls"
    assert outcomes and outcomes[0] == "sandbox"
    assert (error.status_code, error.code) == (429, "RATE_LIMITED")
    assert isinstance(error.retry_after, int) and 0 < error.retry_after <= 60
    assert error.api_body["code"] == "RATE_LIMITED"
    assert error.api_body["retryAfterSeconds"] == error.retry_after
    last = recorder.calls[-1]
    assert last["status"] == 429 and last["response_headers"]["retry-after"] == str(error.retry_after)
    # max_retries=0: one HTTP request per SDK call, no hidden retries.
    assert len(recorder.calls) == len(outcomes) + 1

    # The other environment's key of the same tenant has its own limit.
    assert sdk(tenant["production"]).balance.usage()["environment"] == "production"


def test_402_monthly_allowance_used_up(sdk, new_tenant, server):
    tenant = new_tenant()
    server.admin("PATCH", f"/admin/tenants/{tenant['id']}", {"monthlyAllowance": 2})
    pac = sdk(tenant["sandbox"])
    customer = unique()
    assert RECORD_ID.match(pac.balance.emit(customer, 1, "seat")["recordId"])
    pac.balance.emit(customer, 1, "seat")

    with pytest.raises(InsufficientCreditsError) as caught:
        pac.balance.emit(customer, 1, "seat")
    err = caught.value
    assert (err.status_code, err.code) == (402, "INSUFFICIENT_CREDITS")
    assert err.api_body["code"] == "PLAN_LIMIT_EXCEEDED"

    usage = pac.balance.usage()
    assert (usage["used"], usage["allowance"], usage["remaining"], usage["allowed"]) == (2, 2, 0, False)
    assert pac.balance.customer(customer)["totalDeltas"] == 2

    # A batch over the allowance fails whole: the SDK keeps every summary queued.
    pac.balance.queue_summaries(
        [{"customerId": customer, "delta": 1, "windowStart": "2026-03-01T00:00:00Z", "windowEnd": "2026-03-02T00:00:00Z"}]
    )
    flushed = pac.balance.flush_summaries()
    assert (flushed["submitted"], flushed["failed"], flushed["queuedAfterFlush"]) == (0, 1, 1)
    assert pac.balance.usage()["used"] == 2

    # The allowance is per environment; lifting it lets the queued summary through.
    assert sdk(tenant["production"]).balance.emit(customer, 1, "seat")["status"] == "QUEUED"
    server.admin("PATCH", f"/admin/tenants/{tenant['id']}", {"monthlyAllowance": None})
    flushed = pac.balance.flush_summaries()
    assert (flushed["submitted"], flushed["failed"], flushed["queuedAfterFlush"]) == (1, 0, 0)
    assert pac.balance.customer(customer)["totalDeltas"] == 3


def test_middleware_tenants_cannot_emit_through_the_sdk(sdk, server):
    """SDK 0.7.0 has no vendorAccountId option on emit, and middleware tenants must name one."""
    pac = sdk(server.tenants["middleware"]["keys"]["sandbox"])
    with pytest.raises(PacSpaceError) as caught:
        pac.balance.emit(unique(), 1, "seat")
    assert (caught.value.status_code, caught.value.code) == (400, "VENDOR_ACCOUNT_REQUIRED")
    assert caught.value.api_body["field"] == "vendorAccountId"
