//! Sibling order keys for pages gitsync creates. Docmost orders siblings
//! by `position` under COLLATE "C" using fractional-indexing keys: an
//! integer part (a head letter giving its length, then base-62 digits) and
//! an optional fraction. A new page goes after its last sibling.

const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The key of the first page among no siblings.
pub const FIRST: &str = "a0";

/// A key that sorts (byte-wise) after `last`, or [`FIRST`] without one.
/// A well-formed key gets its integer part incremented, as Docmost itself
/// does; anything else gets a digit appended, which still sorts after it.
pub fn key_after(last: Option<&str>) -> String {
    let Some(last) = last.filter(|k| !k.is_empty()) else {
        return FIRST.to_string();
    };
    match integer_part(last).and_then(increment) {
        Some(next) => next,
        None => format!("{last}V"),
    }
}

/// The integer part of a key: its head letter says how many digits follow.
fn integer_part(key: &str) -> Option<&str> {
    let head = *key.as_bytes().first()?;
    let len = match head {
        b'a'..=b'z' => usize::from(head - b'a') + 2,
        b'A'..=b'Z' => usize::from(b'Z' - head) + 2,
        _ => return None,
    };
    let part = key.get(..len)?;
    part.bytes()
        .skip(1)
        .all(|b| DIGITS.contains(&b))
        .then_some(part)
}

/// The next integer: base-62 increment of the digits, growing (or, for
/// negative heads, shrinking) the digit count when they overflow.
fn increment(int: &str) -> Option<String> {
    let bytes = int.as_bytes();
    let head = bytes[0];
    let mut digits: Vec<u8> = bytes[1..].to_vec();
    for d in digits.iter_mut().rev() {
        let at = DIGITS.iter().position(|x| x == d)?;
        if at + 1 < DIGITS.len() {
            *d = DIGITS[at + 1];
            return String::from_utf8([vec![head], digits].concat()).ok();
        }
        *d = b'0';
    }
    // Every digit overflowed: the next head letter.
    match head {
        b'Z' => Some("a0".to_string()),
        b'z' => None,
        _ => {
            let next = head + 1;
            if next > b'a' {
                digits.push(b'0');
            } else {
                digits.pop();
            }
            String::from_utf8([vec![next], digits].concat()).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_after() {
        assert_eq!(key_after(None), "a0");
        assert_eq!(key_after(Some("a0")), "a1");
        assert_eq!(key_after(Some("a0V")), "a1");
        assert_eq!(key_after(Some("a9")), "aA");
        assert_eq!(key_after(Some("az")), "b00");
        assert_eq!(key_after(Some("b0z")), "b10");
        assert_eq!(key_after(Some("Zz")), "a0");
        assert_eq!(key_after(Some("Yzz")), "Z0");
        assert_eq!(key_after(Some("weird")), "weirdV");
    }

    #[test]
    fn keys_sort_after_their_predecessor_bytewise() {
        let mut key = "a0".to_string();
        for _ in 0..5000 {
            let next = key_after(Some(&key));
            assert!(next.as_bytes() > key.as_bytes(), "{next} after {key}");
            key = next;
        }
    }
}
