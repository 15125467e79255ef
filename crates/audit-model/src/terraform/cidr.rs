//! How far a network source reaches, by CIDR arithmetic against the private and
//! reserved ranges: what "open to the internet" means for firewall and database rules.

use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Reach {
    /// 0.0.0.0/0, ::/0, Azure's `*`/`Internet`.
    Anywhere,
    /// Wider than /16 (IPv4) or /32 (IPv6) and not only private or reserved addresses.
    PublicRange,
}

/// How far a source reaches, by CIDR arithmetic.
pub fn reach(source: &str) -> Option<Reach> {
    let source = source.trim();
    if matches!(
        source.to_ascii_lowercase().as_str(),
        "*" | "internet" | "any"
    ) {
        return Some(Reach::Anywhere);
    }
    let (address, prefix) = source.split_once('/')?;
    let prefix: u32 = prefix.parse().ok()?;
    if let Ok(v4) = address.parse::<Ipv4Addr>() {
        if prefix > 32 {
            return None;
        }
        if prefix == 0 {
            return Some(Reach::Anywhere);
        }
        let start = u32::from(v4) & (u32::MAX.checked_shl(32 - prefix).unwrap_or(0));
        let end = start | (u32::MAX.checked_shr(prefix).unwrap_or(0));
        return (prefix < 16 && !covered_v4(start, end)).then_some(Reach::PublicRange);
    }
    let v6 = address.parse::<Ipv6Addr>().ok()?;
    if prefix > 128 {
        return None;
    }
    if prefix == 0 {
        return Some(Reach::Anywhere);
    }
    let start = u128::from(v6) & (u128::MAX.checked_shl(128 - prefix).unwrap_or(0));
    let end = start | (u128::MAX.checked_shr(prefix).unwrap_or(0));
    // Global unicast is 2000::/3; everything else (ULA, link-local, multicast) is not
    // reachable from the internet.
    let (public_start, public_end) = (0x2000_u128 << 112, (0x4000_u128 << 112) - 1);
    (prefix < 32 && start <= public_end && end >= public_start).then_some(Reach::PublicRange)
}

/// Private and reserved IPv4 ranges (RFC 1918, loopback, link-local, CGNAT, "this
/// network", documentation, benchmarking, multicast and reserved), sorted.
const NON_PUBLIC_V4: &[(u32, u32)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8
    (0x0A00_0000, 8),  // 10.0.0.0/8
    (0x6440_0000, 10), // 100.64.0.0/10
    (0x7F00_0000, 8),  // 127.0.0.0/8
    (0xA9FE_0000, 16), // 169.254.0.0/16
    (0xAC10_0000, 12), // 172.16.0.0/12
    (0xC000_0000, 24), // 192.0.0.0/24
    (0xC000_0200, 24), // 192.0.2.0/24
    (0xC0A8_0000, 16), // 192.168.0.0/16
    (0xC612_0000, 15), // 198.18.0.0/15
    (0xC633_6400, 24), // 198.51.100.0/24
    (0xCB00_7100, 24), // 203.0.113.0/24
    (0xE000_0000, 4),  // 224.0.0.0/4 and 240.0.0.0/4
    (0xF000_0000, 4),
];

/// Whether `start..=end` holds only non-public addresses.
fn covered_v4(start: u32, end: u32) -> bool {
    let mut next = u64::from(start);
    for &(base, prefix) in NON_PUBLIC_V4 {
        let (lo, hi) = (
            u64::from(base),
            u64::from(base) + (1u64 << (32 - prefix)) - 1,
        );
        if lo > next {
            return false;
        }
        if hi >= next {
            next = hi + 1;
        }
        if next > u64::from(end) {
            return true;
        }
    }
    next > u64::from(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_is_cidr_arithmetic() {
        assert_eq!(reach("0.0.0.0/0"), Some(Reach::Anywhere));
        assert_eq!(reach("::/0"), Some(Reach::Anywhere));
        assert_eq!(reach("Internet"), Some(Reach::Anywhere));
        // 10.0.0.0/7 is 10/8 and 11/8; 11/8 is public.
        assert_eq!(reach("10.0.0.0/7"), Some(Reach::PublicRange));
        // 192.168.0.0/15 also holds the public 192.169.0.0/16.
        assert_eq!(reach("192.168.0.0/15"), Some(Reach::PublicRange));
        assert_eq!(reach("192.168.0.0/16"), None);
        assert_eq!(reach("8.0.0.0/8"), Some(Reach::PublicRange));
        assert_eq!(reach("10.0.0.0/8"), None);
        assert_eq!(reach("172.16.0.0/12"), None);
        assert_eq!(reach("100.64.0.0/10"), None);
        assert_eq!(reach("203.0.113.0/24"), None);
        assert_eq!(reach("52.10.0.0/16"), None);
        assert_eq!(reach("2001:db8::/16"), Some(Reach::PublicRange));
        assert_eq!(reach("fd00::/8"), None);
        assert_eq!(reach("2001:db8::/48"), None);
        assert_eq!(reach("not a cidr"), None);
    }
}
