"""The official SDK's dashboard call, unchanged: `customers.create(display_name=…,
options={"dashboardToken": jwt})` posts to `/dashboard/customers` with the API key *and* the
bearer token; the token decides (the key alone cannot create customers). A duplicate is a 409
the SDK raises as `PacSpaceError` with status 409. Environment: `X-Environment` through the
SDK's `options["headers"]`, production when absent."""

from __future__ import annotations

import pytest

from pacspace_sdk import PacSpaceError

from helpers import unique


def _token(server, tenant_id: str, role: str = "admin") -> str:
    return server.admin("POST", f"/admin/tenants/{tenant_id}/dashboard-tokens", {"role": role, "userId": "sdk-user"})["token"]


def test_customers_create_with_a_dashboard_token(server, sdk, direct, recorder):
    client = sdk(direct["sandbox"], transport=recorder)
    token = _token(server, direct["id"])
    customer = unique("manual")
    made = client.customers.create(
        display_name="Initech",
        customer_id=customer,
        event_cadence="PER_EVENT",
        unit_label="credits",
        options={"dashboardToken": token, "headers": {"X-Environment": "sandbox"}},
    )
    sent = recorder.last("POST", "/dashboard/customers")
    assert sent["headers"]["Authorization"] == f"Bearer {token}"
    assert made["customerId"] == customer
    assert made["displayName"] == "Initech"
    assert made["environment"] == "sandbox"
    # The customer is there for the Balance API before its first record.
    detail = client.balance.customer(customer)
    assert detail["customerId"] == customer and detail["totalDeltas"] == 0
    with pytest.raises(PacSpaceError) as dup:
        client.customers.create(display_name="Again", customer_id=customer,
                                options={"dashboardToken": token, "headers": {"X-Environment": "sandbox"}})
    assert dup.value.status_code == 409


def test_customers_create_needs_an_admin_token_not_just_the_key(server, sdk, direct):
    client = sdk(direct["sandbox"])
    with pytest.raises(PacSpaceError) as no_token:
        client.customers.create(display_name="Key only")
    assert no_token.value.status_code == 401
    with pytest.raises(PacSpaceError) as viewer:
        client.customers.create(display_name="Viewer", options={"dashboardToken": _token(server, direct["id"], "viewer")})
    assert viewer.value.status_code == 403
    # Without X-Environment the dashboard writes production.
    made = client.customers.create(display_name="Prod", options={"dashboardToken": _token(server, direct["id"])})
    assert made["environment"] == "production" and made["customerId"].startswith("cust_")
