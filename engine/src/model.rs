//! Plain data shared by the engine's modules and the extension.

/// One row of Docmost's `pages` as the layout and the pull need it: no body.
/// Ids are canonical lowercase uuid text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageMeta {
    pub id: String,
    pub slug_id: String,
    pub title: Option<String>,
    pub parent_id: Option<String>,
    /// `deleted_at IS NOT NULL` (the page is in Docmost's Trash).
    pub deleted: bool,
    /// `updated_at` in microseconds since the Unix epoch.
    pub updated_at_us: i64,
}

/// True for the canonical 8-4-4-4-12 hex form, either case.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// First key of every gitsync advisory lock ("gits"), so that our locks
/// cannot meet an application's single-key locks.
pub const LOCK_CLASS: i32 = 0x6769_7473;

/// Second key of a space's advisory lock: the uuid folded to 32 bits. Two
/// spaces that fold alike only make each other skip a cycle ("lock-held").
pub fn space_lock_key(space_id: &str) -> i32 {
    let hex: String = space_id.chars().filter(char::is_ascii_hexdigit).collect();
    let mut folded: u32 = 0;
    for chunk in hex.as_bytes().chunks(8) {
        let part = std::str::from_utf8(chunk).unwrap_or("0");
        folded ^= u32::from_str_radix(part, 16).unwrap_or(0);
    }
    folded as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("0190c0de-0000-7000-8000-00000000000A"));
        assert!(!is_uuid("0190c0de-0000-7000-8000-00000000000"));
        assert!(!is_uuid("0190c0de00000-7000-8000-000000000000"));
        assert!(!is_uuid("../../etc/passwd"));
    }

    #[test]
    fn lock_key_is_stable_and_case_blind() {
        let a = space_lock_key("0190c0de-0000-7000-8000-00000000000a");
        assert_eq!(a, space_lock_key("0190C0DE-0000-7000-8000-00000000000A"));
        assert_ne!(a, space_lock_key("0190c0de-0000-7000-8000-00000000000b"));
        assert_eq!(space_lock_key("00000001-0000-0000-0000-000000000000"), 1);
    }
}
