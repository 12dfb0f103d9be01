//! [`NameMap`]: the hash map that the request path looks names up in — a
//! feature's name in a snapshot, a unit id in a feature's allow and deny
//! lists, a string in a rule's `in` list — and validation too (segment
//! names), so there is one kind of name map.
//!
//! A map of a few names is a list, scanned. A larger one is an open-
//! addressed table built for lookups: each slot holds a name's first bytes
//! (its [`Head`]), its length and its value, so a hit reads one slot after
//! the hash, and a name of up to 16 bytes is hashed from its head (inline,
//! two multiplies deep) and accepted without reading its text.
//!
//! Why not `std`'s `HashMap`: it compares the name it finds with `==`, a
//! call to the C library's `memcmp` (a fifth of a killed feature's time,
//! sampled with `perf`). Why not `hashbrown`'s `HashTable`, which takes the
//! comparison as a closure and which this module used before: a hit waits
//! on a longer chain there (hash the name, with a call for 17 bytes and up;
//! load and match a group of control bytes; call the comparison, through a
//! pointer; load the entry; compare). With the same heads, a hit in a
//! 1,001-unit allow list went from 22.0–22.1 to 18.4–18.7 ns (see
//! `docs/performance-notes.md`).

use core::hash::{BuildHasher, Hasher};

use foldhash::fast::{FixedState, RandomState};

/// A map from names to `V`, read on every request, built once.
#[derive(Clone)]
pub(crate) struct NameMap<V> {
    table: Table<V>,
    hashing: Hashing,
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
#[derive(Clone)]
enum Table<V> {
    Few(Vec<Entry<V>>),
    Many(Open<V>),
}

/// The hashed table: open addressing with linear probing, at most half
/// full, each slot holding a name's head, length and value. A hit reads
/// one slot after the hash (two words compared, the value beside them),
/// where a table with control bytes first reads and matches a control
/// group and then loads the entry it points to; a miss stops at the first
/// empty slot. The names themselves are read only past 16 bytes.
#[derive(Clone)]
struct Open<V> {
    /// A power of two in length, at least twice the names.
    slots: Box<[Slot<V>]>,
    names: Vec<Box<str>>,
}

/// One slot of an [`Open`] table: a name's head, its length ([`VACANT`]
/// if none), where its text is, and its value. 32 bytes for the values
/// this crate keeps, aligned so that no slot straddles two cache lines.
#[derive(Clone, Copy)]
#[repr(align(32))]
struct Slot<V> {
    head: Head,
    len: u32,
    name: u32,
    value: V,
}

/// How a table hashes names. A name of up to 16 bytes is its head (which
/// the comparison needs anyway), multiplied as two words with the table's
/// keys, then multiplied once more: two multiplies deep, inline, every key
/// held in the table. (With one multiply, the slot is the high half of a
/// product of a fixed factor and the bytes that vary, linear in them: for
/// a few tables in a thousand, zero-padded ids piled into runs of hundreds
/// of slots.) A name of up to 64 bytes: each 16 bytes of it multiplied with
/// keys of its own place, side by side, then the xor of those multiplied
/// once more: two multiplies deep, inline. A longer name: foldhash.
/// (foldhash's own call for 17 bytes and up is out of line: a miss on a
/// 20-byte feature name was 1–2 ns slower through it.)
///
/// The keys are random: per table, and per process for each place of a
/// longer name and its last multiply. Keys of one place derived from
/// another's (rotated) let names whose bytes repeat at that offset cancel
/// out in the xor, and piled 18-digit ids into runs of hundreds of slots.
#[derive(Clone)]
struct Hashing {
    /// This table's three random words: a short name's keys (the first
    /// two mixed into every place's of a longer one). Kept here, not
    /// behind `keys`, so that a name of up to 16 bytes is hashed without
    /// waiting on a pointer.
    seeds: [u64; 3],
    /// The process's random keys: two per place of a longer name, and the
    /// last multiply's.
    keys: &'static [u64; 9],
}

impl Hashing {
    fn new() -> Self {
        static KEYS: std::sync::OnceLock<[u64; 9]> = std::sync::OnceLock::new();
        let random = RandomState::default();
        Hashing {
            seeds: [1_u64, 2, 3].map(|i| random.hash_one(i)),
            keys: KEYS.get_or_init(|| {
                let random = RandomState::default();
                core::array::from_fn(|i| random.hash_one(i))
            }),
        }
    }

    #[inline(always)]
    fn hash(&self, name: &str, head: Head) -> u64 {
        let n = name.len();
        let [s, t, u] = self.seeds;
        let [a, b] = head.0;
        if n <= 16 {
            return folded_multiply(folded_multiply(a ^ s, b ^ t ^ n as u64), u);
        }
        let k = self.keys;
        // The 16 bytes at `place` (0 to 3) of a name, as two words.
        let mix = |place: usize, x: u64, y: u64| {
            folded_multiply(x ^ s ^ k[2 * place], y ^ t ^ k[2 * place + 1])
        };
        let bytes = name.as_bytes();
        let w = |at| u64::from_le_bytes(word::<8>(bytes, at));
        let folded = if n <= 32 {
            // The head and the last 16 bytes: every byte.
            mix(0, a, b) ^ mix(1, w(n - 16), w(n - 8) ^ n as u64)
        } else if n <= 64 {
            // A UUID's 36 bytes, say: four 16-byte windows cover them.
            mix(0, a, b)
                ^ mix(1, w(16), w(24))
                ^ mix(2, w(n - 32), w(n - 24))
                ^ mix(3, w(n - 16), w(n - 8) ^ n as u64)
        } else {
            let mut state = FixedState::with_seed(s ^ t).build_hasher();
            state.write(bytes);
            return state.finish();
        };
        folded_multiply(folded, k[8])
    }
}

/// The two halves of a 128-bit product, folded together by xor: every bit
/// of either factor reaches the low bits that pick a slot.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    #[allow(clippy::cast_possible_truncation)]
    let (low, high) = (product as u64, (product >> 64) as u64);
    low ^ high
}

/// The length of a vacant slot, which no name's [`slot_len`] equals.
const VACANT: u32 = u32::MAX;

/// A name's length as a slot keeps it: lengths past `u32::MAX - 1` share
/// one value (their texts are compared whole anyway).
#[inline(always)]
fn slot_len(name: &str) -> u32 {
    u32::try_from(name.len()).map_or(VACANT - 1, |n| n.min(VACANT - 1))
}

impl<V: Copy + Default> Open<V> {
    /// An empty table for `capacity` names.
    fn with_capacity(capacity: usize) -> Self {
        let slots = capacity.saturating_mul(2).max(2 * FEW).next_power_of_two();
        Open {
            slots: vec![
                Slot {
                    head: Head([0, 0]),
                    len: VACANT,
                    name: 0,
                    value: V::default(),
                };
                slots
            ]
            .into_boxed_slice(),
            names: Vec::with_capacity(capacity),
        }
    }

    /// The slot holding `name` and its index, or the index of the vacant
    /// slot where its probe ends.
    #[inline(always)]
    fn probe(&self, name: &str, head: Head, hash: u64) -> Result<(usize, &Slot<V>), usize> {
        if name.len() <= 16 {
            // A short name is its head: a loop of its own, which compares
            // slots alone, without setting up the tail compare (a hit in a
            // large allow list, 10-byte ids: 23 instructions and 1 ns less).
            self.probe_for(slot_len(name), head, hash, |_| true)
        } else {
            self.probe_for(slot_len(name), head, hash, |slot| {
                self.names
                    .get(slot.name as usize)
                    .is_some_and(|mine| same_bytes(tail(mine.as_bytes()), tail(name.as_bytes())))
            })
        }
    }

    /// [`Open::probe`] for a name of length `len` and head `head` whose
    /// bytes past the head are the same as a slot's when `same_tail` says.
    #[inline(always)]
    fn probe_for(
        &self,
        len: u32,
        head: Head,
        hash: u64,
        same_tail: impl Fn(&Slot<V>) -> bool,
    ) -> Result<(usize, &Slot<V>), usize> {
        let mask = self.slots.len().wrapping_sub(1);
        // Truncating the hash keeps its low bits, which pick the slot.
        #[allow(clippy::cast_possible_truncation)]
        let mut i = hash as usize & mask;
        // At most half full: the probe meets a vacant slot.
        while let Some(slot) = self.slots.get(i) {
            if slot.len == len && slot.head == head && same_tail(slot) {
                return Ok((i, slot));
            }
            if slot.len == VACANT {
                return Err(i);
            }
            i = (i + 1) & mask;
        }
        // Only for a table with no slots, which is never built.
        Err(0)
    }

    #[inline(always)]
    fn get(&self, name: &str, head: Head, hash: u64) -> Option<&V> {
        self.probe(name, head, hash)
            .ok()
            .map(|(_, slot)| &slot.value)
    }

    fn insert(&mut self, hashing: &Hashing, name: Box<str>, value: V) -> Option<V> {
        let head = Head::of(name.as_bytes());
        let hash = hashing.hash(&name, head);
        if let Ok((i, _)) = self.probe(&name, head, hash) {
            let slot = &mut self.slots[i];
            return Some(core::mem::replace(&mut slot.value, value));
        }
        if (self.names.len() + 1) * 2 > self.slots.len() {
            let mut grown = Open::with_capacity(self.slots.len());
            for slot in self.slots.iter().filter(|s| s.len != VACANT) {
                let name = core::mem::take(&mut self.names[slot.name as usize]);
                grown.insert(hashing, name, slot.value);
            }
            *self = grown;
        }
        let (Ok((i, _)) | Err(i)) = self.probe(&name, head, hash);
        self.slots[i] = Slot {
            head,
            len: slot_len(&name),
            name: u32::try_from(self.names.len()).expect("fewer than 2^32 names"),
            value,
        };
        self.names.push(name);
        None
    }

    /// The names and their values, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.slots
            .iter()
            .filter(|s| s.len != VACANT)
            .filter_map(|s| Some((&**self.names.get(s.name as usize)?, &s.value)))
    }
}

impl<V: core::fmt::Debug + Copy + Default> core::fmt::Debug for NameMap<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let entries: &mut dyn Iterator<Item = (&str, &V)> = match &self.table {
            Table::Few(list) => &mut list.iter().map(|e| (&*e.name, &e.value)),
            Table::Many(table) => &mut table.iter(),
        };
        f.debug_map().entries(entries).finish()
    }
}

impl<V: Copy + Default> Default for NameMap<V> {
    fn default() -> Self {
        NameMap::with_capacity(0)
    }
}

impl<V: Copy + Default> NameMap<V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        NameMap {
            table: if capacity <= FEW {
                Table::Few(Vec::with_capacity(capacity))
            } else {
                Table::Many(Open::with_capacity(capacity))
            },
            hashing: Hashing::new(),
        }
    }

    /// Sets the value of `name`, returning the value it replaces, like
    /// `HashMap::insert`.
    pub(crate) fn insert(&mut self, name: Box<str>, value: V) -> Option<V> {
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
                let mut table = Open::with_capacity(2 * FEW);
                for entry in core::mem::take(list) {
                    table.insert(&self.hashing, entry.name, entry.value);
                }
                table.insert(&self.hashing, name, value);
                self.table = Table::Many(table);
                None
            }
            Table::Many(table) => table.insert(&self.hashing, name, value),
        }
    }

    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&V> {
        let head = Head::of(name.as_bytes());
        match &self.table {
            Table::Few(list) => list.iter().find(|e| e.is(name, head)).map(|e| &e.value),
            Table::Many(table) => table.get(name, head, self.hashing.hash(name, head)),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        match &self.table {
            Table::Few(list) => list.is_empty(),
            Table::Many(table) => table.names.is_empty(),
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

    /// A name from a small alphabet, so that random names collide in their
    /// heads, lengths and hashed slots: of every length class (1–3, 4–7,
    /// 8–16 bytes, and past 16, some equal in their first 16 bytes or a
    /// longer prefix), non-ASCII included.
    fn arbitrary_name() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[ab]{0,3}",
            "[abé]{4,8}",
            "[ab]{9,16}",
            "[ab]{17,80}",
            "a{16}[ab]{1,3}",
            "shared-prefix-of-twenty-[ab]{1,24}",
        ]
    }

    proptest::proptest! {
        /// The table agrees with `std`'s `HashMap` on every insert (the value
        /// it replaces) and on every lookup afterwards, at every size: the
        /// scanned list, the hashed table, and the table grown from either.
        #[test]
        fn agrees_with_std_hash_map(
            capacity in 0_usize..40,
            inserts in proptest::collection::vec((arbitrary_name(), 0_u32..1000), 0..300),
            probes in proptest::collection::vec(arbitrary_name(), 0..50),
        ) {
            let mut map = NameMap::with_capacity(capacity);
            let mut model = std::collections::HashMap::new();
            for (name, value) in &inserts {
                proptest::prop_assert_eq!(
                    map.insert(name.as_str().into(), *value),
                    model.insert(name.clone(), *value),
                );
            }
            proptest::prop_assert_eq!(map.is_empty(), model.is_empty());
            for name in inserts.iter().map(|(name, _)| name).chain(&probes) {
                proptest::prop_assert_eq!(map.get(name), model.get(name), "{:?}", name);
            }
            let mut listed: Vec<(String, u32)> = match &map.table {
                Table::Few(list) => list.iter().map(|e| (e.name.to_string(), e.value)).collect(),
                Table::Many(table) => table.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            };
            listed.sort();
            let mut expected: Vec<(String, u32)> = model.into_iter().collect();
            expected.sort();
            proptest::prop_assert_eq!(listed, expected);
        }
    }

    /// The hash spreads names that differ in a few characters, as real
    /// lists' do, at every length class: on average a hit is found within
    /// two slots of where its probe starts, and none further than a few
    /// dozen. (A hash that ignored some of a name's bytes, or whose parts
    /// cancel out, piles such names into runs of hundreds.)
    #[test]
    fn similar_names_spread_over_the_table() {
        let forms: [fn(usize) -> String; 14] = [
            |i| format!("{i}"),
            |i| format!("user-{i:06}"),
            // Names of up to 16 bytes, hashed from their heads: digits
            // that vary only in the last word, or in the middle.
            |i| format!("{i:016}"),
            |i| format!("{i:07}"),
            |i| format!("ab{i:05}xyzw"),
            |i| format!("tenant-0042/user-{i:07}"),
            |i| format!("{i:08x}-0000-4000-8000-000000000000"),
            |i| format!("00000000-0000-4000-8000-{i:012x}"),
            |i| format!("{}{i}", "x".repeat(70)),
            // Bytes that repeat every 2 bytes, and digits that vary only at
            // the end of a name's last word.
            |i| format!("{i:018}"),
            |i| format!("{}", 150_000_000_000_000_000 + i),
            |i| format!("ababababababa{i:05}"),
            |i| format!("kkkkkkkkkk{i:08}"),
            |i| format!("{}{i:07}", "k".repeat(46)),
        ];
        // Each form in three tables (each with seeds of its own).
        for form in forms.iter().flat_map(|f| [f, f, f]) {
            let mut map = NameMap::with_capacity(0);
            let names: Vec<String> = (0..50_000).map(form).collect();
            for name in &names {
                map.insert(name.as_str().into(), ());
            }
            let Table::Many(table) = &map.table else {
                panic!("10,000 names are hashed");
            };
            let mask = table.slots.len() - 1;
            let distances: Vec<usize> = names
                .iter()
                .map(|name| {
                    let head = Head::of(name.as_bytes());
                    let hash = map.hashing.hash(name, head);
                    let (found, _) = table.probe(name, head, hash).expect("present");
                    #[allow(clippy::cast_possible_truncation)]
                    let home = hash as usize & mask;
                    found.wrapping_sub(home) & mask
                })
                .collect();
            let mean = distances.iter().sum::<usize>() as f64 / names.len() as f64;
            let longest = distances.iter().max().copied().unwrap_or(0);
            assert!(
                mean < 2.0 && longest < 64,
                "{:?}: mean {mean}, longest {longest}",
                names[1]
            );
        }
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
