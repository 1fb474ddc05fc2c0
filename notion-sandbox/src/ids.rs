//! Notion ids: 32 hex digits, shown with dashes (8-4-4-4-12), accepted with or without them.

/// Normalises an id given with or without dashes (any case) to the dashed lower-case form.
/// Returns `None` when it is not 32 hex digits.
pub fn normalize(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// The undashed form used in Notion URLs.
pub fn compact(id: &str) -> String {
    id.replace('-', "")
}

/// Deterministic generator of UUID-shaped ids (so a seeded sandbox gives the same ids every run).
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    pub fn new(seed: u64) -> Self {
        IdGen {
            state: seed ^ 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A version-4-shaped UUID with dashes.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let hex = format!("{a:016x}{b:016x}");
        let mut h: Vec<char> = hex.chars().collect();
        h[12] = '4';
        h[16] = ['8', '9', 'a', 'b'][(b >> 60) as usize % 4];
        let h: String = h.into_iter().collect();
        normalize(&h).expect("32 hex digits")
    }

    /// A short property id like Notion's (`%3AUPp`, `BBla`): four characters, sometimes URL-encoded.
    pub fn property_id(&mut self) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let n = self.next_u64();
        let mut s = String::new();
        if n.is_multiple_of(3) {
            s.push_str("%3A");
        }
        for i in 0..4 {
            s.push(CHARS[((n >> (8 * (i + 1))) % CHARS.len() as u64) as usize] as char);
        }
        s
    }

    /// A number in `0..1` for probabilistic faults.
    pub fn fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dashed_and_undashed() {
        let d = "2845c4eb-9526-8182-8ccf-000b14d4c431";
        assert_eq!(normalize(d).as_deref(), Some(d));
        assert_eq!(
            normalize("2845C4EB952681828CCF000B14D4C431").as_deref(),
            Some(d)
        );
        assert_eq!(normalize("2845c4eb"), None);
        assert_eq!(normalize("zz45c4eb952681828ccf000b14d4c431"), None);
    }

    #[test]
    fn generated_ids_are_deterministic_and_valid() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let x = a.uuid();
        assert_eq!(x, b.uuid());
        assert_eq!(normalize(&x).as_deref(), Some(x.as_str()));
        assert_ne!(x, a.uuid());
    }
}
