//! Where webhook deliveries may go. A deployment's Worker must not be turned into a probe of
//! its own network: endpoint URLs must be `https` and name a public host — no loopback,
//! private, link-local, shared or metadata address, no `localhost` or internal names. A dev
//! flag (`ALLOW_INSECURE_WEBHOOKS = "1"`, which the tests and `scripts/dev` set for their local
//! receivers) lifts both rules.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::Host;
use worker::{Env, Url};

use crate::api::ApiError;

/// An endpoint URL as the admin and dashboard routes accept it: an absolute http(s) URL
/// without credentials that [`refusal`] lets through (`ALLOW_INSECURE_WEBHOOKS` read from `env`).
pub fn check_url(url: &str, env: &Env) -> Result<(), ApiError> {
    let parsed = Url::parse(url).map_err(|_| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("url".into()),
            "must be an absolute URL",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.host().is_none()
    {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("url".into()),
            "must be an http(s) URL without credentials",
        ));
    }
    let insecure = env
        .var("ALLOW_INSECURE_WEBHOOKS")
        .is_ok_and(|v| v.to_string() == "1");
    match refusal(&parsed, insecure) {
        Some(why) => Err(ApiError::invalid(
            "WEBHOOK_URL_NOT_ALLOWED",
            Some("url".into()),
            why,
        )),
        None => Ok(()),
    }
}

/// Why a URL is refused, for the 400's message.
pub fn refusal(url: &Url, allow_insecure: bool) -> Option<&'static str> {
    if allow_insecure {
        return None;
    }
    if url.scheme() != "https" {
        return Some("must use https");
    }
    match url.host() {
        Some(Host::Ipv4(ip)) if !public_v4(ip) => {
            Some("must not name a loopback, private, link-local or reserved address")
        }
        Some(Host::Ipv6(ip)) if !public_v6(ip) => {
            Some("must not name a loopback, private, link-local or reserved address")
        }
        Some(Host::Domain(name)) if internal_name(name) => {
            Some("must name a public host, not a local or internal one")
        }
        None => Some("must name a host"),
        _ => None,
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata services among them
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || (a == 192 && b == 0) // IETF protocol assignments, DS-Lite
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 to any IPv4
}

fn internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let last = name.rsplit('.').next().unwrap_or_default();
    !name.contains('.')
        || matches!(
            last,
            "localhost"
                | "local"
                | "internal"
                | "intranet"
                | "lan"
                | "home"
                | "corp"
                | "arpa"
                | "test"
                | "invalid"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        refusal(&Url::parse(url).unwrap(), false).is_some()
    }

    #[test]
    fn public_https_hosts_pass() {
        for ok in [
            "https://hooks.example.com/x",
            "https://8.8.8.8/",
            "https://[2606:4700::1111]/",
            "https://a.b.co:8443/p?q",
        ] {
            assert!(!refused(ok), "{ok}");
        }
    }

    #[test]
    fn local_private_and_plain_http_are_refused() {
        for bad in [
            "http://hooks.example.com/",
            "https://127.0.0.1/",
            "https://2130706433/", // 127.0.0.1 in decimal
            "https://0x7f.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://localhost/",
            "https://api.localhost/",
            "https://metadata.google.internal/",
            "https://printer.local/",
            "https://intranet/",
        ] {
            assert!(refused(bad), "{bad}");
        }
    }

    #[test]
    fn the_dev_flag_allows_local_receivers() {
        let url = Url::parse("http://127.0.0.1:9999/hook").unwrap();
        assert_eq!(refusal(&url, true), None);
    }
}
