//! [`NameMap`]: the hash map that the request path looks names up in — a
//! feature's name in a snapshot, a unit id in a feature's allow and deny
//! lists — and validation too (segment names), so there is one kind of
//! name map.
//!
//! A `std` `HashMap<Box<str>, V>` compares the name it finds with `==`,
//! which calls the C library's `memcmp`: on the paths that decide without
//! hashing a key (a killed feature, 0%, 100%, an allow or deny hit), that
//! call was a fifth of the time (sampled with `perf`). Here the table is
//! `hashbrown`'s, which takes the comparison as a closure, and names of up
//! to 64 bytes are compared as two or four words each, inline. A map of a
//! few names is a list, scanned.
//!
//! Each entry keeps its name's first bytes beside the name's pointer (its
//! [`Head`]), so a scan or a probe rejects the names it passes, and accepts
//! a name of up to 16 bytes, without reading the name's text: that read
//! was a load that waited on the load of its pointer, on every entry
//! compared.

use core::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

/// A map from names to `V`, read on every request, built once.
#[derive(Clone)]
pub(crate) struct NameMap<V> {
    table: Table<V>,
    hasher: RandomState,
}

/// A name's first bytes as two words: all of a name of up to 16 bytes (in
/// the windows [`same_text`] compares), the first 16 of a longer one. Two
/// names of one length are equal when their heads are, up to 16 bytes;
/// beyond, when their heads and the rest of their bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head([u64; 2]);

impl Head {
    #[inline(always)]
    fn of(name: &[u8]) -> Self {
        let n = name.len();
        let w4 = |at| u64::from(u32::from_le_bytes(word::<4>(name, at)));
        let w8 = |at| u64::from_le_bytes(word::<8>(name, at));
        Head(match n {
            0 => [0, 0],
            1..=3 => {
                let byte = |at: usize| u64::from(name.get(at).copied().unwrap_or(0));
                [byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16, 0]
            }
            4..=7 => [w4(0) | w4(n - 4) << 32, 0],
            8..=16 => [w8(0), w8(n - 8)],
            _ => [w8(0), w8(8)],
        })
    }
}

/// One name, its head and its value.
#[derive(Clone)]
struct Entry<V> {
    head: Head,
    name: Box<str>,
    value: V,
}

impl<V> Entry<V> {
    #[cfg(test)]
    fn new(name: Box<str>, value: V) -> Self {
        Entry {
            head: Head::of(name.as_bytes()),
            name,
            value,
        }
    }

    /// Whether this is the entry of `name`, whose head is `head`: the
    /// name's text is read only past 16 bytes, once the heads agree.
    #[inline(always)]
    fn is(&self, name: &str, head: Head) -> bool {
        let (mine, theirs) = (self.name.as_bytes(), name.as_bytes());
        mine.len() == theirs.len()
            && self.head == head
            && (theirs.len() <= 16 || same_bytes(tail(mine), tail(theirs)))
    }
}

/// The bytes of `name` past its head (empty for a name of up to 16 bytes).
#[inline(always)]
fn tail(name: &[u8]) -> &[u8] {
    name.get(16..).unwrap_or_default()
}

/// Up to this many names are scanned rather than hashed.
const FEW: usize = 8;

/// The entries: scanned in a list while there are [`FEW`] or fewer (an
/// allow list of a few test accounts, a small config), hashed beyond.
///
/// A hit in a hashed table waits on a chain of dependent steps (hash the
/// name, load the control group, match it, load the entry, compare), about
/// twice as long as a scan of a few entries whose lengths and first words
/// are compared side by side.
#[derive(Clone)]
enum Table<V> {
    Few(Vec<Entry<V>>),
    Many(HashTable<Entry<V>>),
}

impl<V: core::fmt::Debug> core::fmt::Debug for NameMap<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let entries: &mut dyn Iterator<Item = &Entry<V>> = match &self.table {
            Table::Few(list) => &mut list.iter(),
            Table::Many(table) => &mut table.iter(),
        };
        f.debug_map()
            .entries(entries.map(|e| (&e.name, &e.value)))
            .finish()
    }
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap::with_capacity(0)
    }
}

impl<V> NameMap<V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        NameMap {
            table: if capacity <= FEW {
                Table::Few(Vec::with_capacity(capacity))
            } else {
                Table::Many(HashTable::with_capacity(capacity))
            },
            hasher: RandomState::default(),
        }
    }

    /// Sets the value of `name`, returning the value it replaces, like
    /// `HashMap::insert`.
    pub(crate) fn insert(&mut self, name: Box<str>, value: V) -> Option<V> {
        let hasher = &self.hasher;
        let head = Head::of(name.as_bytes());
        match &mut self.table {
            Table::Few(list) => {
                if let Some(e) = list.iter_mut().find(|e| e.is(&name, head)) {
                    return Some(core::mem::replace(&mut e.value, value));
                }
                if list.len() < FEW {
                    list.push(Entry { head, name, value });
                    return None;
                }
                // One name too many for a list: hash them all, then insert.
                let mut table = HashTable::with_capacity(2 * FEW);
                for entry in core::mem::take(list) {
                    table.insert_unique(hasher.hash_one(&*entry.name), entry, |e| {
                        hasher.hash_one(&*e.name)
                    });
                }
                self.table = Table::Many(table);
                self.insert(name, value)
            }
            Table::Many(table) => match table.entry(
                hasher.hash_one(&*name),
                |e| e.is(&name, head),
                |e| hasher.hash_one(&*e.name),
            ) {
                hashbrown::hash_table::Entry::Occupied(mut slot) => {
                    Some(core::mem::replace(&mut slot.get_mut().value, value))
                }
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(Entry { head, name, value });
                    None
                }
            },
        }
    }

    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&V> {
        let head = Head::of(name.as_bytes());
        let entry = match &self.table {
            Table::Few(list) => list.iter().find(|e| e.is(name, head)),
            Table::Many(table) => table.find(self.hasher.hash_one(name), |e| e.is(name, head)),
        };
        entry.map(|e| &e.value)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        match &self.table {
            Table::Few(list) => list.is_empty(),
            Table::Many(table) => table.is_empty(),
        }
    }
}

/// `a == b`, without a call for strings of up to 64 bytes (unit ids such
/// as UUIDs included): those are compared as two or four (overlapping)
/// words each.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same_text`] of bytes.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // The first, middle and last byte cover 1 to 3 bytes.
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        17..=32 => {
            word::<16>(a, 0) == word::<16>(b, 0) && word::<16>(a, n - 16) == word::<16>(b, n - 16)
        }
        33..=64 => {
            word::<16>(a, 0) == word::<16>(b, 0)
                && word::<16>(a, 16) == word::<16>(b, 16)
                && word::<16>(a, n - 32) == word::<16>(b, n - 32)
                && word::<16>(a, n - 16) == word::<16>(b, n - 16)
        }
        _ => a == b,
    }
}

/// The `N` bytes of `bytes` at `at` (zeros if out of bounds, which its
/// callers rule out).
#[inline(always)]
pub(crate) fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    bytes
        .get(at..)
        .and_then(<[u8]>::first_chunk::<N>)
        .copied()
        .unwrap_or([0; N])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_agrees_with_eq_at_every_length_and_difference() {
        let text: String = (0..80u8).map(|i| char::from(b'a' + i % 26)).collect();
        for n in 0..=80 {
            let a = &text[..n];
            for m in 0..=80 {
                assert_eq!(same_text(a, &text[..m]), n == m, "{n} vs {m}");
            }
            // The same length, one byte different, at every position.
            for at in 0..n {
                let mut b = a.as_bytes().to_vec();
                b[at] = b'#';
                let b = String::from_utf8(b).expect("ascii");
                assert!(!same_text(a, &b), "{a:?} vs {b:?}");
            }
        }
    }

    /// An entry is a name's exactly when the two texts are equal: at every
    /// pair of lengths, and with one byte changed at every position (inside
    /// the head and past it).
    #[test]
    fn an_entry_is_a_name_exactly_when_the_texts_are_equal() {
        let text: String = (0..48u8).map(|i| char::from(b'a' + i % 26)).collect();
        for n in 0..=48 {
            let entry = Entry::new(text[..n].into(), ());
            for m in 0..=48 {
                let other = &text[..m];
                assert_eq!(
                    entry.is(other, Head::of(other.as_bytes())),
                    n == m,
                    "{n} vs {m}"
                );
            }
            for at in 0..n {
                let mut b = text.as_bytes()[..n].to_vec();
                b[at] = b'#';
                let b = String::from_utf8(b).expect("ascii");
                assert!(!entry.is(&b, Head::of(b.as_bytes())), "{n}: {b:?}");
            }
        }
    }

    #[test]
    fn finds_every_name_and_replaces_like_hash_map() {
        let mut map = NameMap::with_capacity(0);
        let names: Vec<String> = (0..500).map(|i| format!("feature-{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(map.insert(name.as_str().into(), i), None);
        }
        assert_eq!(map.insert("feature-7".into(), 9999), Some(7));
        assert_eq!(map.insert("feature-7".into(), 7), Some(9999));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(map.get(name), Some(&i));
        }
        assert_eq!(map.get("feature-500"), None);
        assert_eq!(map.get(""), None);
    }

    /// Every size from empty to past the scanned list's limit: each name
    /// is found, a name inserted again is replaced, absent names are not
    /// found (among them ones that differ from a present name only late).
    #[test]
    fn lists_and_tables_agree_at_every_size() {
        for size in 0..=3 * FEW {
            let names: Vec<String> = (0..size)
                .map(|i| format!("unit-{i:02}-of-the-same-length"))
                .collect();
            // Sized up front, or grown from a list into a table.
            let mut map = NameMap::with_capacity(if size % 2 == 0 { size } else { 0 });
            for (i, name) in names.iter().enumerate() {
                assert_eq!(map.insert(name.as_str().into(), i), None);
                assert!(!map.is_empty());
            }
            for (i, name) in names.iter().enumerate() {
                assert_eq!(map.get(name), Some(&i), "size {size}");
                assert_eq!(map.insert(name.as_str().into(), i + 100), Some(i));
                assert_eq!(map.get(name), Some(&(i + 100)));
            }
            assert_eq!(map.is_empty(), size == 0);
            assert_eq!(map.get(&format!("unit-{size:02}-of-the-same-length")), None);
            assert_eq!(map.get("unit-00-of-the-same-lengtH"), None);
            assert_eq!(map.get("unit-00"), None);
        }
    }
}
