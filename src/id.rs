//! Notion ids: 32 hex digits, written with dashes (8-4-4-4-12) or without.

/// The dashed lower-case form of an id given with or without dashes; `None` unless 32 hex digits.
pub fn normalize(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    // `from_str_radix` alone would also take a sign: only hex digits are an id.
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u128::from_str_radix(&hex, 16).ok()?;
    let h = format!("{n:032x}");
    Some([&h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]].join("-"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dashed_and_undashed() {
        let d = "2845c4eb-9526-8182-8ccf-000b14d4c431";
        assert_eq!(
            super::normalize("2845C4EB952681828CCF000B14D4C431").as_deref(),
            Some(d)
        );
        assert_eq!(super::normalize(d).as_deref(), Some(d));
        assert_eq!(super::normalize("2845c4eb"), None);
    }
}
