"""Helpers for tests/sdk: id formats, and vericord's derivations (docs/SPEC.md §4, §5, §7)
recomputed with the official SDK's own primitives (keccak256, JCS)."""

from __future__ import annotations

import re
import uuid
from typing import Any, Dict, List

from pacspace_sdk.client import TransportResponse, default_transport
from pacspace_sdk.keccak import keccak256
from pacspace_sdk.record_disclosure import canonicalize_jcs

RECORD_ID = re.compile(r"^rec_[0-9a-f]{24}$")
ANCHOR_ID = re.compile(r"^anc_[0-9a-f]{24}$")
HASH = re.compile(r"^0x[0-9a-f]{64}$")
REFERENCE = re.compile(r"^0x[0-9a-fA-F]{40}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# wrangler dev's proxy answers a request it lost before the Worker saw it with this 503 (a
# dev-server defect, cloudflare/workers-sdk#14641; see tests/e2e/harness.mjs). Our Worker never
# sends it, so the test transports replay such a request once.
DEV_PROXY_DROP = b"Your worker restarted mid-request."


def dev_transport(method, url, headers, body, timeout_ms) -> TransportResponse:
    """The SDK's own `default_transport`, replaying once what the dev proxy dropped."""
    response = default_transport(method, url, headers, body, timeout_ms)
    if response.status_code == 503 and response.body.startswith(DEV_PROXY_DROP):
        print(f"# replaying {method} {url}: the dev proxy dropped it", flush=True)
        response = default_transport(method, url, headers, body, timeout_ms)
    return response


def unique(prefix: str = "cust") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _tagged(tag: str, payload: bytes) -> bytes:
    return keccak256(tag.encode() + b"\x00" + payload)


def eip55(addr: bytes) -> str:
    lower = addr.hex()
    checksum = keccak256(lower.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(checksum[i], 16) >= 8 else c for i, c in enumerate(lower))


def customer_reference(owner_id: str, environment: str, customer_id: str) -> str:
    """docs/SPEC.md §4, recomputed with the SDK's keccak256."""
    digest = _tagged("vericord:customer:v1", f"{owner_id}\x00{environment}\x00{customer_id}".encode())
    return eip55(digest[12:])


def customer_partition(owner_id: str, environment: str, customer_id: str) -> str:
    digest = _tagged("vericord:customer:v1", f"{owner_id}\x00{environment}\x00{customer_id}".encode())
    return str(int.from_bytes(digest[:4], "big"))


def item_hash(item: Dict[str, Any]) -> str:
    """docs/SPEC.md §5: keccak256("vericord:item:v1" ‖ 0x00 ‖ JCS(item)), JCS from the SDK."""
    return "0x" + _tagged("vericord:item:v1", canonicalize_jcs(item).encode()).hex()


def merkle_root(leaves: List[str]) -> str:
    """docs/SPEC.md §7: RFC 9162 shape, sorted-pair keccak nodes."""
    hashes = [bytes.fromhex(h[2:]) for h in leaves]

    def mth(d: List[bytes]) -> bytes:
        if not d:
            return bytes(32)
        if len(d) == 1:
            return d[0]
        k = 1
        while k * 2 < len(d):
            k *= 2
        a, b = mth(d[:k]), mth(d[k:])
        return keccak256(min(a, b) + max(a, b))

    return "0x" + mth(hashes).hex()
