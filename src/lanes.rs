//! Many MD5 digests side by side: the batch form of
//! [the hash contract](crate::bucket).
//!
//! [`md5_keys`] hashes one salt with many units ("which of these users get
//! this feature?"); [`md5_salts`] hashes many salts with one unit ("which
//! features does this user get?"). Every digest is bit for bit the MD5 of
//! `salt ‖ ':' ‖ unit` that the single-key path computes, padding included
//! (RFC 1321: a 0x80 byte, zeros, the length in bits as a little-endian
//! u64).
//!
//! # Why lanes
//!
//! One MD5 compression is 64 steps, and each step needs the result of the
//! one before: a single digest is one long dependency chain, and a core that
//! could start three or four operations a cycle mostly waits for the
//! previous step (about five cycles each). The digests of *different* keys
//! share no data, so their chains can run side by side, each step issued
//! once for many keys:
//!
//! - the portable paths hold `N` keys' state in arrays `[u32; N]`, written
//!   so that the compiler's loop vectoriser puts four lanes in each 128-bit
//!   register (SSE2, which every x86-64 has; other targets' 128-bit SIMD
//!   should fare the same, unmeasured), and run two such chains
//!   interleaved (8 lanes) or one (4 lanes);
//! - on x86-64, the AVX2 path holds 8 keys in each 256-bit register and
//!   runs three registers of keys at once, so three chains overlap; the
//!   AVX-512VL path does the same with AVX-512's one-instruction rotate and
//!   three-input logic on those 256-bit registers (six instructions a step
//!   instead of nine or ten); the AVX-512 path (the `avx512` feature)
//!   holds 16 keys in each 512-bit register, with the same instructions,
//!   and runs two at once. A last group may run fewer (below).
//!
//! The 64 steps are written once, in the `md5_steps!` macro, and every path
//! expands them with its own arithmetic.
//!
//! # Groups, and keys of different lengths
//!
//! A batch is hashed in groups of the path's width: 4 or 8 lanes portable,
//! 24 with AVX2 and AVX-512VL, 32 with AVX-512. On the SIMD paths the last
//! group runs with as few registers as hold its keys: on AVX2 and
//! AVX-512VL, 8 lanes for up to 8 keys and 16 for up to 16 (one or two
//! chains instead of three); on AVX-512, 16 lanes for up to 16. Three
//! chains keep AVX2's vector units busier than two (a batch of 50 hashed
//! 5% faster, and evaluate-all over 50 features 2.5%, in loops timed on
//! Zen 4); on AVX-512, three were 5% slower there. A group runs as many
//! blocks as its longest key needs (one block up to 55 bytes, two up to
//! 119, and so on); each key's digest is read from its lane right after
//! its own last block, and
//! whatever the lane computes afterwards is ignored, as are the spare lanes
//! of a short last group. So keys of any mix of lengths are exact, and a
//! short group costs as much as a full one of its width.
//!
//! # Costs
//!
//! Measured with `benches/lanes.rs` on a shared (noisy) 2-core AMD EPYC
//! Zen 4 virtual machine, as ratios to the single-key path hashing the same
//! 50 keys of 31 to 41 bytes one by one (about 110 ns a key there); the
//! ranges span several runs, with two registers on AVX2 (the row below
//! them is the current three):
//!
//! | path | 50 keys, one salt | 50 salts, one unit |
//! |---|---:|---:|
//! | AVX-512 (the `avx512` feature) | 0.15–0.17× | 0.15–0.19× |
//! | AVX2 | 0.16–0.19× | 0.15–0.21× |
//! | AVX2, three registers (one run) | 0.16× | 0.145× |
//! | portable, 8 lanes | 0.27–0.33× | 0.29–0.32× |
//! | portable, 4 lanes | 0.33–0.40× | 0.33–0.42× |
//!
//! On that CPU, which splits each 512-bit operation in two, AVX-512 is
//! within the noise of AVX2 at 50 keys and about 15–20% faster at 200.
//! The AVX-512VL path came later and has not run there.
//! About half of a SIMD batch's time is moving bytes (padding each key
//! into its block, transposing blocks into vectors, reading digests out)
//! rather than compressing. A group costs the same however few of its
//! lanes are used, so one key costs about 1.5× the single-key path, two
//! already cost less, and from there the lanes win (measured before a last
//! group at most half full ran at half width, which lowers a batch's tail).
//!
//! On a 2-core Intel Xeon virtual machine with AVX-512 (one run, every
//! path in the same run, single-key path about 95 ns a key):
//!
//! | path | 50 keys, one salt | 50 salts, one unit |
//! |---|---:|---:|
//! | AVX-512 (the `avx512` feature) | 0.152× | 0.118× |
//! | AVX-512VL | 0.145× | 0.109× |
//! | AVX2 | 0.182× | 0.148× |
//! | portable, 8 lanes | 0.279× | 0.265× |
//! | portable, 4 lanes | 0.376× | 0.345× |
//!
//! # Building blocks
//!
//! Each lane's block is written to memory for the kernel to load. Written
//! piece by piece (zeros, the salt, `':'`, the unit, 0x80, the length), a
//! block took a dozen stores of 1 to 16 bytes, and 50 of them filled the
//! core's store queue. [`md5_salts`] therefore takes each salt laid out
//! ahead as its keys' first block ([`Salt::Laid`], which a snapshot keeps
//! per feature) and places the unit once per batch in a [`UnitWindow`]:
//! a one-block key is then the OR of two 64-byte runs and its length,
//! written in five stores. In one criterion run each, that took
//! evaluate-all over 50 features from 0.27× to 0.25× of 50 single
//! evaluations on AVX2 (the README has the spread over several runs);
//! in `benches/lanes.rs`, one run after it, the 50 salts' digests alone
//! took 0.15× of 50 single hashes on AVX2 and 0.27× on portable 8 lanes.
//!
//! # Dispatch
//!
//! [`Engine::detect`] chooses at run time: AVX-512F's 512-bit registers
//! when the `avx512` feature is on and the CPU has it; else AVX-512VL's
//! instructions on 256-bit registers when the CPU has AVX-512F and
//! AVX-512VL; else AVX2 when it has that; else the portable 8-lane path
//! (which is also what every other architecture gets).
//! `is_x86_feature_detected!` caches its answers, so choosing costs a few
//! loads and tests per batch.
//!
//! Both AVX-512 paths need AVX-512F; the 256-bit one needs AVX-512VL too.
//! 512-bit registers are opt-in because they are not a good default: some
//! Intel CPUs lower the core's clock while they are in use, which slows the
//! rest of a service, and Zen 4 splits each 512-bit operation in two. The
//! AVX-512VL path takes AVX-512's rotate and three-input logic without
//! them, and on an Intel Xeon with AVX-512 it was also the faster of the
//! two for a 50-feature evaluate-all (medians of 884 against 935 ns over
//! five alternating rounds of loops, AVX2 1,101).
//!
//! # Safety
//!
//! The portable paths have no `unsafe`. All of this module's `unsafe` is in
//! its `x86` submodule, and is of two kinds:
//!
//! - calling a `#[target_feature]` kernel, which is sound only on a CPU with
//!   that feature. The kernels are reached only through safe wrappers that
//!   take a zero-sized *token* (`x86::Avx2`, `x86::Avx512Vl`,
//!   `x86::Avx512`). A token has a private field, and its one constructor
//!   returns it only when `is_x86_feature_detected!` finds the features
//!   (which includes the operating system saving the wider registers), so
//!   holding one proves the CPU has them;
//! - unaligned vector loads and stores through raw pointers into the state
//!   and block arrays. The arrays' lengths are const parameters checked
//!   against the register count at compile time, so every access is in
//!   bounds, as each `SAFETY` comment spells out.

use core::{array, fmt};

/// The MD5 initial state (RFC 1321, section 3.3).
const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Expands the 64 MD5 steps (RFC 1321, section 3.4) as
/// `$step!(fun, a, b, c, d, word, constant, shift)`, one per step, where
/// `fun` is one of the idents `f`, `g`, `h`, `i`, `word` is the index of the
/// message word, and each step computes
/// `a = b + ((a + fun(b, c, d) + m[word] + constant) <<< shift)`.
macro_rules! md5_steps {
    ($step:ident, $a:ident, $b:ident, $c:ident, $d:ident) => {
        $step!(f, $a, $b, $c, $d, 0, 0xd76a_a478, 7);
        $step!(f, $d, $a, $b, $c, 1, 0xe8c7_b756, 12);
        $step!(f, $c, $d, $a, $b, 2, 0x2420_70db, 17);
        $step!(f, $b, $c, $d, $a, 3, 0xc1bd_ceee, 22);
        $step!(f, $a, $b, $c, $d, 4, 0xf57c_0faf, 7);
        $step!(f, $d, $a, $b, $c, 5, 0x4787_c62a, 12);
        $step!(f, $c, $d, $a, $b, 6, 0xa830_4613, 17);
        $step!(f, $b, $c, $d, $a, 7, 0xfd46_9501, 22);
        $step!(f, $a, $b, $c, $d, 8, 0x6980_98d8, 7);
        $step!(f, $d, $a, $b, $c, 9, 0x8b44_f7af, 12);
        $step!(f, $c, $d, $a, $b, 10, 0xffff_5bb1, 17);
        $step!(f, $b, $c, $d, $a, 11, 0x895c_d7be, 22);
        $step!(f, $a, $b, $c, $d, 12, 0x6b90_1122, 7);
        $step!(f, $d, $a, $b, $c, 13, 0xfd98_7193, 12);
        $step!(f, $c, $d, $a, $b, 14, 0xa679_438e, 17);
        $step!(f, $b, $c, $d, $a, 15, 0x49b4_0821, 22);

        $step!(g, $a, $b, $c, $d, 1, 0xf61e_2562, 5);
        $step!(g, $d, $a, $b, $c, 6, 0xc040_b340, 9);
        $step!(g, $c, $d, $a, $b, 11, 0x265e_5a51, 14);
        $step!(g, $b, $c, $d, $a, 0, 0xe9b6_c7aa, 20);
        $step!(g, $a, $b, $c, $d, 5, 0xd62f_105d, 5);
        $step!(g, $d, $a, $b, $c, 10, 0x0244_1453, 9);
        $step!(g, $c, $d, $a, $b, 15, 0xd8a1_e681, 14);
        $step!(g, $b, $c, $d, $a, 4, 0xe7d3_fbc8, 20);
        $step!(g, $a, $b, $c, $d, 9, 0x21e1_cde6, 5);
        $step!(g, $d, $a, $b, $c, 14, 0xc337_07d6, 9);
        $step!(g, $c, $d, $a, $b, 3, 0xf4d5_0d87, 14);
        $step!(g, $b, $c, $d, $a, 8, 0x455a_14ed, 20);
        $step!(g, $a, $b, $c, $d, 13, 0xa9e3_e905, 5);
        $step!(g, $d, $a, $b, $c, 2, 0xfcef_a3f8, 9);
        $step!(g, $c, $d, $a, $b, 7, 0x676f_02d9, 14);
        $step!(g, $b, $c, $d, $a, 12, 0x8d2a_4c8a, 20);

        $step!(h, $a, $b, $c, $d, 5, 0xfffa_3942, 4);
        $step!(h, $d, $a, $b, $c, 8, 0x8771_f681, 11);
        $step!(h, $c, $d, $a, $b, 11, 0x6d9d_6122, 16);
        $step!(h, $b, $c, $d, $a, 14, 0xfde5_380c, 23);
        $step!(h, $a, $b, $c, $d, 1, 0xa4be_ea44, 4);
        $step!(h, $d, $a, $b, $c, 4, 0x4bde_cfa9, 11);
        $step!(h, $c, $d, $a, $b, 7, 0xf6bb_4b60, 16);
        $step!(h, $b, $c, $d, $a, 10, 0xbebf_bc70, 23);
        $step!(h, $a, $b, $c, $d, 13, 0x289b_7ec6, 4);
        $step!(h, $d, $a, $b, $c, 0, 0xeaa1_27fa, 11);
        $step!(h, $c, $d, $a, $b, 3, 0xd4ef_3085, 16);
        $step!(h, $b, $c, $d, $a, 6, 0x0488_1d05, 23);
        $step!(h, $a, $b, $c, $d, 9, 0xd9d4_d039, 4);
        $step!(h, $d, $a, $b, $c, 12, 0xe6db_99e5, 11);
        $step!(h, $c, $d, $a, $b, 15, 0x1fa2_7cf8, 16);
        $step!(h, $b, $c, $d, $a, 2, 0xc4ac_5665, 23);

        $step!(i, $a, $b, $c, $d, 0, 0xf429_2244, 6);
        $step!(i, $d, $a, $b, $c, 7, 0x432a_ff97, 10);
        $step!(i, $c, $d, $a, $b, 14, 0xab94_23a7, 15);
        $step!(i, $b, $c, $d, $a, 5, 0xfc93_a039, 21);
        $step!(i, $a, $b, $c, $d, 12, 0x655b_59c3, 6);
        $step!(i, $d, $a, $b, $c, 3, 0x8f0c_cc92, 10);
        $step!(i, $c, $d, $a, $b, 10, 0xffef_f47d, 15);
        $step!(i, $b, $c, $d, $a, 1, 0x8584_5dd1, 21);
        $step!(i, $a, $b, $c, $d, 8, 0x6fa8_7e4f, 6);
        $step!(i, $d, $a, $b, $c, 15, 0xfe2c_e6e0, 10);
        $step!(i, $c, $d, $a, $b, 6, 0xa301_4314, 15);
        $step!(i, $b, $c, $d, $a, 13, 0x4e08_11a1, 21);
        $step!(i, $a, $b, $c, $d, 4, 0xf753_7e82, 6);
        $step!(i, $d, $a, $b, $c, 11, 0xbd3a_f235, 10);
        $step!(i, $c, $d, $a, $b, 2, 0x2ad7_d2bb, 15);
        $step!(i, $b, $c, $d, $a, 9, 0xeb86_d391, 21);
    };
}

/// Which implementation hashes a batch: a portable one, or a SIMD path
/// with the token that proves the CPU supports it.
///
/// [`Engine::detect`] picks the fastest; the others exist so that tests and
/// benches can force each path on any machine that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// Four lanes in one chain; no `unsafe`.
    Portable4,
    /// Eight lanes in two interleaved chains of four; no `unsafe`.
    Portable8,
    /// Three 256-bit registers of eight lanes; one or two for a last group
    /// of at most eight or sixteen keys.
    #[cfg(target_arch = "x86_64")]
    Avx2(x86::Avx2),
    /// As `Avx2`, with AVX-512VL's rotate and three-input logic on the same
    /// 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    Avx512Vl(x86::Avx512Vl),
    /// Two 512-bit registers of sixteen lanes; one for a last group of at
    /// most sixteen keys.
    #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
    Avx512(x86::Avx512),
}

impl Engine {
    /// The fastest engine this CPU supports.
    pub(crate) fn detect() -> Self {
        #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
        if let Some(token) = x86::Avx512::detect() {
            return Self::Avx512(token);
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = x86::Avx512Vl::detect() {
            return Self::Avx512Vl(token);
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = x86::Avx2::detect() {
            return Self::Avx2(token);
        }
        Self::Portable8
    }

    /// Every engine this CPU supports, portable ones first.
    pub(crate) fn available() -> Vec<Self> {
        #[allow(unused_mut)] // Only x86-64 has more than the portable paths.
        let mut engines = vec![Self::Portable4, Self::Portable8];
        #[cfg(target_arch = "x86_64")]
        engines.extend(x86::Avx2::detect().map(Self::Avx2));
        #[cfg(target_arch = "x86_64")]
        engines.extend(x86::Avx512Vl::detect().map(Self::Avx512Vl));
        #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
        engines.extend(x86::Avx512::detect().map(Self::Avx512));
        engines
    }

    /// Hashes `key(n)` into `digests[n]` for every `n`.
    fn run<K: Padded>(self, key: impl Fn(usize) -> K, digests: &mut [[u8; 16]]) {
        match self {
            Self::Portable4 => hash_groups::<_, 4>(key, digests, compress_portable::<4, 1>),
            Self::Portable8 => hash_groups::<_, 8>(key, digests, compress_portable::<8, 2>),
            #[cfg(target_arch = "x86_64")]
            Self::Avx2(token) => hash_tiered::<_, 8, 16, 24>(
                key,
                digests,
                |state, blocks| x86::compress_avx2::<1, 8>(token, state, blocks),
                |state, blocks| x86::compress_avx2::<2, 16>(token, state, blocks),
                |state, blocks| x86::compress_avx2::<3, 24>(token, state, blocks),
            ),
            // Three registers, as on AVX2, though AVX-512VL has 32: four (32
            // lanes, a batch of 50 as 32 + 24) measured about 5% slower on
            // an Intel Xeon.
            #[cfg(target_arch = "x86_64")]
            Self::Avx512Vl(token) => hash_tiered::<_, 8, 16, 24>(
                key,
                digests,
                |state, blocks| x86::compress_avx512vl::<1, 8>(token, state, blocks),
                |state, blocks| x86::compress_avx512vl::<2, 16>(token, state, blocks),
                |state, blocks| x86::compress_avx512vl::<3, 24>(token, state, blocks),
            ),
            // Not three registers of 16 lanes: Zen 4, which splits each
            // 512-bit operation in two, ran 50 keys as 48 + 2 lanes 5% slower
            // than as two groups of 32.
            #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
            Self::Avx512(token) => hash_tiered::<_, 16, 32, 32>(
                key,
                digests,
                |state, blocks| x86::compress_avx512::<1, 16>(token, state, blocks),
                |state, blocks| x86::compress_avx512::<2, 32>(token, state, blocks),
                |state, blocks| x86::compress_avx512::<2, 32>(token, state, blocks),
            ),
        }
    }
}

/// [`hash_groups`] in groups of `W` lanes with `wide`, except the last
/// group, which runs at the narrowest of `W1`, `W2` and `W` lanes that holds
/// it, with `narrow` or `middle`. On AVX2 (8, 16 and 24 lanes: one, two or
/// three registers of 8 lanes, their chains overlapping), a batch of 50 is
/// two groups of 24 and one of 8, not a third group of 24 for two keys.
#[cfg(target_arch = "x86_64")]
fn hash_tiered<K: Padded, const W1: usize, const W2: usize, const W: usize>(
    key: impl Fn(usize) -> K,
    digests: &mut [[u8; 16]],
    narrow: impl Fn(&mut [[u32; W1]; 4], &[[u8; 64]; W1]),
    middle: impl Fn(&mut [[u32; W2]; 4], &[[u8; 64]; W2]),
    wide: impl Fn(&mut [[u32; W]; 4], &[[u8; 64]; W]),
) {
    const { assert!(W1 < W2 && W2 <= W) };
    let rest = digests.len() % W;
    let split = digests.len() - rest;
    let (head, tail) = digests.split_at_mut(split);
    hash_groups::<_, W>(&key, head, &wide);
    let key = |n| key(split + n);
    match rest {
        0 => {}
        r if r <= W1 => hash_groups::<_, W1>(key, tail, narrow),
        r if r <= W2 => hash_groups::<_, W2>(key, tail, middle),
        _ => hash_groups::<_, W>(key, tail, wide),
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Portable4 => "portable4",
            Self::Portable8 => "portable8",
            #[cfg(target_arch = "x86_64")]
            Self::Avx2(_) => "avx2",
            #[cfg(target_arch = "x86_64")]
            Self::Avx512Vl(_) => "avx512vl",
            #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
            Self::Avx512(_) => "avx512",
        })
    }
}

/// Computes `md5(salt ‖ ':' ‖ units[n])` into `digests[n]` for every `n`
/// (one feature, many units), on the fastest path this CPU has.
///
/// Each digest equals the single-key path's. Panics if `units` and
/// `digests` differ in length.
// The crate calls `md5_keys_on` with the engine it chose; the tests and
// `benches/lanes.rs` (which compiles this module itself) call this.
#[allow(dead_code)]
pub(crate) fn md5_keys(salt: &[u8], units: &[&[u8]], digests: &mut [[u8; 16]]) {
    md5_keys_on(Engine::detect(), salt, units, digests);
}

/// Computes `md5(salt ‖ ':' ‖ unit)` for each of `salts` into `digests[n]`
/// (one unit, many features), on the fastest path this CPU has.
///
/// Each digest equals the single-key path's. Panics if `salts` and
/// `digests` differ in length.
// As for `md5_keys`: the crate calls `md5_salts_on`.
#[allow(dead_code)]
pub(crate) fn md5_salts(salts: &[Salt<'_>], unit: &[u8], digests: &mut [[u8; 16]]) {
    md5_salts_on(Engine::detect(), salts, unit, digests);
}

/// [`md5_keys`] on a chosen engine.
pub(crate) fn md5_keys_on(engine: Engine, salt: &[u8], units: &[&[u8]], digests: &mut [[u8; 16]]) {
    assert_eq!(units.len(), digests.len(), "one digest per unit");
    engine.run(|n| Key::new(salt, units[n]), digests);
}

/// [`md5_salts`] on a chosen engine.
pub(crate) fn md5_salts_on(
    engine: Engine,
    salts: &[Salt<'_>],
    unit: &[u8],
    digests: &mut [[u8; 16]],
) {
    assert_eq!(salts.len(), digests.len(), "one digest per salt");
    let window = UnitWindow::new(unit);
    engine.run(
        |n| SaltedKey {
            salt: salts[n],
            unit,
            window: window.as_ref(),
        },
        digests,
    );
}

/// A salt for [`md5_salts`]: its bytes, or laid out ahead as its keys'
/// first block (`salt ‖ ':'`, then zeros), as a snapshot keeps each
/// feature's. A laid-out salt's one-block keys are built from a few wide
/// moves instead of a dozen narrow stores (see [`SaltedKey`]).
#[derive(Clone, Copy)]
pub(crate) enum Salt<'k> {
    Bytes(&'k [u8]),
    /// `block[..prefix]` is the salt and its `':'`, and the rest is zero;
    /// `prefix` is `1..64`. Other blocks give wrong digests.
    Laid {
        block: &'k [u8; 64],
        prefix: usize,
    },
}

impl<'k> Salt<'k> {
    /// The salt's bytes, without the `':'`.
    fn bytes(self) -> &'k [u8] {
        match self {
            Salt::Bytes(bytes) => bytes,
            // A prefix outside `1..64` breaks the variant's contract: its
            // digests are wrong, but nothing panics.
            Salt::Laid { block, prefix } => block.get(..prefix.wrapping_sub(1)).unwrap_or_default(),
        }
    }
}

/// A unit placed 64 bytes into 128 zeros, with the padding's 0x80 byte
/// after it: the 64-byte window starting `p` bytes before the unit is a
/// block holding the unit at byte `p`, so it serves every salt's key.
struct UnitWindow([u8; 128]);

impl UnitWindow {
    /// `None` for a unit too long to have its 0x80 byte in the window.
    fn new(unit: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; 128];
        let (last, at) = bytes.get_mut(64..64 + unit.len() + 1)?.split_last_mut()?;
        at.copy_from_slice(unit);
        *last = 0x80;
        Some(UnitWindow(bytes))
    }
}

/// One key of [`md5_salts`]: a salt and the unit, with the unit's window.
#[derive(Clone, Copy)]
struct SaltedKey<'k> {
    salt: Salt<'k>,
    unit: &'k [u8],
    window: Option<&'k UnitWindow>,
}

impl Padded for SaltedKey<'_> {
    #[inline]
    fn block_count(self) -> usize {
        Key::new(self.salt.bytes(), self.unit).block_count()
    }

    /// A one-block key of a laid-out salt is its salt's block OR'ed with
    /// the unit's window, and the length, written a word at a time (which
    /// the compiler merges into five stores). Built piece by piece, a block
    /// took a dozen stores of 1 to 16 bytes, which filled the core's store
    /// queue (`perf` put a fifth of the time of building blocks on one of
    /// them).
    #[inline]
    fn write_block(self, index: usize, block: &mut [u8; 64]) {
        if let (
            Salt::Laid {
                block: laid,
                prefix,
            },
            Some(UnitWindow(window)),
        ) = (self.salt, self.window)
        {
            let len = prefix + self.unit.len();
            let window = 64usize
                .checked_sub(prefix)
                .and_then(|at| window.get(at..))
                .and_then(<[u8]>::first_chunk::<64>);
            if let (true, Some(window)) = (len < 56, window) {
                let word = |bytes: &[u8; 64], i: usize| {
                    u64::from_le_bytes(bytes[8 * i..].first_chunk().copied().unwrap_or_default())
                };
                let mut words: [u64; 8] = array::from_fn(|i| word(laid, i) | word(window, i));
                words[7] |= (len as u64).wrapping_mul(8);
                for (bytes, word) in block.chunks_exact_mut(8).zip(words) {
                    bytes.copy_from_slice(&word.to_le_bytes());
                }
                return;
            }
        }
        Key::new(self.salt.bytes(), self.unit).write_block(index, block);
    }
}

/// A key as the lanes read it: how many blocks it pads to, and each one.
trait Padded: Copy {
    fn block_count(self) -> usize;
    fn write_block(self, index: usize, block: &mut [u8; 64]);
}

/// One key, `salt ‖ ':' ‖ unit`, never copied whole.
#[derive(Clone, Copy)]
struct Key<'k> {
    salt: &'k [u8],
    unit: &'k [u8],
}

impl<'k> Key<'k> {
    fn new(salt: &'k [u8], unit: &'k [u8]) -> Self {
        Self { salt, unit }
    }

    /// The key's length in bytes.
    fn len(self) -> usize {
        self.salt.len() + 1 + self.unit.len()
    }
}

impl Padded for Key<'_> {
    /// How many 64-byte blocks the padded key fills: the key, the 0x80
    /// byte and the 8-byte length, rounded up.
    fn block_count(self) -> usize {
        (self.len() + 8) / 64 + 1
    }

    /// Writes block `index` of the padded key into `block`, exactly as the
    /// single-key path pads it (RFC 1321, sections 3.1 and 3.2): the key, a
    /// 0x80 byte, zeros, and at the end of the last block the key's length
    /// in bits as a little-endian u64.
    #[inline]
    fn write_block(self, index: usize, block: &mut [u8; 64]) {
        let len = self.len();
        let salt = self.salt.len();
        *block = [0; 64];
        if len < 56 {
            // The whole padded key is this one block: the common case.
            copy_short(block, 0, self.salt);
            block[salt] = b':';
            copy_short(block, salt + 1, self.unit);
            block[len] = 0x80;
        } else {
            let start = 64 * index;
            copy_window(block, start, 0, self.salt);
            copy_window(block, start, salt, b":");
            copy_window(block, start, salt + 1, self.unit);
            copy_window(block, start, len, &[0x80]);
        }
        if index + 1 == self.block_count() {
            let bits = (len as u64).wrapping_mul(8);
            block[56..].copy_from_slice(&bits.to_le_bytes());
        }
    }
}

/// Copies the part of `piece`, which sits at byte `at` of the message, that
/// falls in the 64-byte window of the message starting at byte `start`.
#[inline]
fn copy_window(block: &mut [u8; 64], start: usize, at: usize, piece: &[u8]) {
    let from = at.max(start);
    let to = (at + piece.len()).min(start + 64);
    if from < to {
        copy_short(block, from - start, &piece[from - at..to - at]);
    }
}

/// `block[at..at + piece.len()] = piece`, for a piece that fits.
///
/// Keys are short, and a `copy_from_slice` of unknown length is a call to
/// `memcpy`; two overlapping copies of a fixed size (the piece's first and
/// last 32, 16, 8 or 4 bytes) are a few moves instead.
#[inline]
fn copy_short(block: &mut [u8; 64], at: usize, piece: &[u8]) {
    let n = piece.len();
    let dst = &mut block[at..at + n];
    macro_rules! first_and_last {
        ($size:literal) => {{
            dst[..$size].copy_from_slice(&piece[..$size]);
            dst[n - $size..].copy_from_slice(&piece[n - $size..]);
        }};
    }
    match n {
        32.. => first_and_last!(32),
        16..32 => first_and_last!(16),
        8..16 => first_and_last!(8),
        4..8 => first_and_last!(4),
        1..4 => {
            dst[0] = piece[0];
            dst[n / 2] = piece[n / 2];
            dst[n - 1] = piece[n - 1];
        }
        0 => {}
    }
}

/// Hashes `key(n)` into `digests[n]` for every `n`, `W` lanes at a time
/// with `compress`.
///
/// `compress` takes the state word-major (`state[j][lane]` is word `j` of a
/// lane, so a run of lanes of one word is one vector) and one 64-byte block
/// per lane. A group runs as many blocks as its longest key needs; a lane's
/// digest is read right after its own last block. Lanes whose key is done,
/// and the spare lanes of a short last group, compress whatever their block
/// buffer last held, and their results are never read.
fn hash_groups<K: Padded, const W: usize>(
    key: impl Fn(usize) -> K,
    digests: &mut [[u8; 16]],
    compress: impl Fn(&mut [[u32; W]; 4], &[[u8; 64]; W]),
) {
    let mut blocks = [[0u8; 64]; W];
    for (group, out) in digests.chunks_mut(W).enumerate() {
        let first = group * W;
        let mut counts = [0; W];
        for (lane, count) in (0..out.len()).zip(&mut counts) {
            *count = key(first + lane).block_count();
        }
        let rounds = counts.iter().copied().max().unwrap_or(0);
        let mut state = INIT.map(|word| [word; W]);
        for index in 0..rounds {
            for (lane, (&count, block)) in counts.iter().zip(&mut blocks).enumerate() {
                if index < count {
                    key(first + lane).write_block(index, block);
                }
            }
            compress(&mut state, &blocks);
            for (lane, (&count, digest)) in counts.iter().zip(out.iter_mut()).enumerate() {
                if count == index + 1 {
                    for (bytes, word) in digest.chunks_exact_mut(4).zip(&state) {
                        bytes.copy_from_slice(&word[lane].to_le_bytes());
                    }
                }
            }
        }
    }
}

/// The portable compression: `N` lanes, `C` chains of them in flight.
///
/// Lane `l + c * N / C` is lane `l` of chain `c`, and the loop runs over
/// `l`; its body is all 64 steps, each written once over the `C` chains.
/// The loop vectoriser widens that body to as many lanes as the target's
/// SIMD registers hold (4 with x86-64's baseline SSE2), and the `C` chains
/// are independent work for the core to overlap.
///
/// Keep this shape. With the loop over lanes inside each step instead, the
/// code is left to LLVM's SLP vectoriser, which gives up on a dependency
/// tree 64 steps deep and emits scalar code at about twice the cost; and
/// small rewrites of the body (a closure for the lane index, `map` over
/// the state words) have been seen to stop the loop vectoriser too. The
/// bench shows it: portable8 should stay well under half the single path.
fn compress_portable<const N: usize, const C: usize>(
    state: &mut [[u32; N]; 4],
    blocks: &[[u8; 64]; N],
) {
    const { assert!(C > 0 && N.is_multiple_of(C)) };
    let stride = N / C;
    let mut m = [[0u32; N]; 16];
    for (word, row) in m.iter_mut().enumerate() {
        for (block, value) in blocks.iter().zip(row) {
            let b = &block[4 * word..4 * word + 4];
            *value = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }

    macro_rules! fun {
        (f, $x:expr, $y:expr, $z:expr) => {
            $z ^ ($x & ($y ^ $z))
        };
        (g, $x:expr, $y:expr, $z:expr) => {
            $y ^ ($z & ($x ^ $y))
        };
        (h, $x:expr, $y:expr, $z:expr) => {
            $x ^ $y ^ $z
        };
        (i, $x:expr, $y:expr, $z:expr) => {
            $y ^ ($x | !$z)
        };
    }
    for lane in 0..stride {
        let mut a: [u32; C] = array::from_fn(|n| state[0][lane + n * stride]);
        let mut b: [u32; C] = array::from_fn(|n| state[1][lane + n * stride]);
        let mut c: [u32; C] = array::from_fn(|n| state[2][lane + n * stride]);
        let mut d: [u32; C] = array::from_fn(|n| state[3][lane + n * stride]);
        macro_rules! step {
            ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:expr, $k:expr, $s:expr) => {
                for n in 0..C {
                    $a[n] = $a[n]
                        .wrapping_add(fun!($fun, $b[n], $c[n], $d[n]))
                        .wrapping_add(m[$w][lane + n * stride])
                        .wrapping_add($k)
                        .rotate_left($s)
                        .wrapping_add($b[n]);
                }
            };
        }
        md5_steps!(step, a, b, c, d);
        for n in 0..C {
            let l = lane + n * stride;
            state[0][l] = state[0][l].wrapping_add(a[n]);
            state[1][l] = state[1][l].wrapping_add(b[n]);
            state[2][l] = state[2][l].wrapping_add(c[n]);
            state[3][l] = state[3][l].wrapping_add(d[n]);
        }
    }
}

/// The x86-64 SIMD paths: all of this module's `unsafe` code.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)] // The crate denies it everywhere else; see the module docs.
mod x86 {
    use core::arch::x86_64::*;

    #[cfg(feature = "avx512")]
    pub(crate) use avx512::{Avx512, compress_avx512};

    /// MD5's round function `$fun` (`f`, `g`, `h` or `i`) as a
    /// `vpternlogd(x, y, z)` truth table, bit `x << 2 | y << 1 | z`, for
    /// the kernels with AVX-512's three-input logic.
    macro_rules! truth_table {
        (f) => {
            0xca
        };
        (g) => {
            0xe4
        };
        (h) => {
            0x96
        };
        (i) => {
            0x39
        };
    }

    /// Proof that this CPU has AVX2: [`Avx2::detect`] is the only way to
    /// make one.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct Avx2(());

    impl Avx2 {
        /// A token if this CPU supports AVX2.
        pub(crate) fn detect() -> Option<Self> {
            is_x86_feature_detected!("avx2").then_some(Self(()))
        }
    }

    /// Proof that this CPU has AVX2, AVX-512F and AVX-512VL:
    /// [`Avx512Vl::detect`] is the only way to make one.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct Avx512Vl(());

    impl Avx512Vl {
        /// A token if this CPU supports AVX2, AVX-512F and AVX-512VL.
        /// Every CPU with AVX-512F has AVX2, but the three are detected
        /// apart, so the kernel's shared AVX2 helpers rest on a check of
        /// their own rather than on that.
        pub(crate) fn detect() -> Option<Self> {
            (is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512vl"))
            .then_some(Self(()))
        }
    }

    /// Compresses one block in each of `W = 8 * X` lanes with AVX2.
    #[inline]
    pub(crate) fn compress_avx2<const X: usize, const W: usize>(
        _: Avx2,
        state: &mut [[u32; W]; 4],
        blocks: &[[u8; 64]; W],
    ) {
        // SAFETY: an `Avx2` exists only if `is_x86_feature_detected!` found
        // AVX2 on this CPU, which is the kernel's one precondition.
        unsafe { avx2_kernel::<X, W>(state, blocks) }
    }

    /// Compresses one block in each of `W = 8 * X` lanes with AVX2's
    /// registers and AVX-512VL's instructions.
    #[inline]
    pub(crate) fn compress_avx512vl<const X: usize, const W: usize>(
        _: Avx512Vl,
        state: &mut [[u32; W]; 4],
        blocks: &[[u8; 64]; W],
    ) {
        // SAFETY: an `Avx512Vl` exists only if `is_x86_feature_detected!`
        // found AVX2, AVX-512F and AVX-512VL on this CPU, the kernel's one
        // precondition.
        unsafe { avx512vl_kernel::<X, W>(state, blocks) }
    }

    /// The state of lanes `0..W` as `X` registers of 8 lanes per word.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn load_state<const X: usize, const W: usize>(
        state: &[[u32; W]; 4],
    ) -> [[__m256i; X]; 4] {
        const { assert!(W == 8 * X) };
        // SAFETY: each load moves 32 bytes at `state[j][8 * x..]` for
        // `x < X`, which is lanes `8x..8x + 8` of a `[u32; W]` with
        // `W = 8 * X` (asserted above); the slicing itself is
        // bounds-checked, and unaligned loads take any address. The caller
        // guarantees AVX2, which this function enables.
        unsafe {
            let mut words = [[_mm256_setzero_si256(); X]; 4];
            for (registers, word) in words.iter_mut().zip(state) {
                for (x, register) in registers.iter_mut().enumerate() {
                    *register = _mm256_loadu_si256(word[8 * x..].as_ptr().cast());
                }
            }
            words
        }
    }

    /// Adds `end` to `start` and stores the sums as the state of lanes
    /// `0..W`: the last step of a compression.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn store_sums<const X: usize, const W: usize>(
        state: &mut [[u32; W]; 4],
        start: [[__m256i; X]; 4],
        end: [[__m256i; X]; 4],
    ) {
        const { assert!(W == 8 * X) };
        // SAFETY: as in `load_state`, each store moves 32 bytes at
        // `state[j][8 * x..]`, lanes `8x..8x + 8` of a `[u32; W]` with
        // `W = 8 * X`. The caller guarantees AVX2, which this function
        // enables.
        unsafe {
            for ((word, start), end) in state.iter_mut().zip(start).zip(end) {
                for x in 0..X {
                    let sum = _mm256_add_epi32(start[x], end[x]);
                    _mm256_storeu_si256(word[8 * x..].as_mut_ptr().cast(), sum);
                }
            }
        }
    }

    /// `m[x][w]`: message word `w` of lanes `8x..8x + 8`, by an 8x8
    /// transpose of each half of their blocks: pairs of rows, then quads,
    /// then halves.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn transpose<const X: usize, const W: usize>(
        blocks: &[[u8; 64]; W],
    ) -> [[__m256i; 16]; X] {
        const { assert!(W == 8 * X) };
        // SAFETY: each load moves 32 bytes at `blocks[lane][32 * half..]`
        // for `half < 2`, the first or second half of a `[u8; 64]`; the
        // slicing itself is bounds-checked, and unaligned loads take any
        // address. The caller guarantees AVX2, which this function enables.
        unsafe {
            let zero = _mm256_setzero_si256();
            let mut m = [[zero; 16]; X];
            for (x, words) in m.iter_mut().enumerate() {
                for half in 0..2 {
                    let mut r = [zero; 8];
                    for (row, block) in r.iter_mut().zip(&blocks[8 * x..]) {
                        *row = _mm256_loadu_si256(block[32 * half..].as_ptr().cast());
                    }
                    let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
                    let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
                    let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
                    let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
                    let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
                    let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
                    let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
                    let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
                    let u0 = _mm256_unpacklo_epi64(t0, t2);
                    let u1 = _mm256_unpackhi_epi64(t0, t2);
                    let u2 = _mm256_unpacklo_epi64(t1, t3);
                    let u3 = _mm256_unpackhi_epi64(t1, t3);
                    let u4 = _mm256_unpacklo_epi64(t4, t6);
                    let u5 = _mm256_unpackhi_epi64(t4, t6);
                    let u6 = _mm256_unpacklo_epi64(t5, t7);
                    let u7 = _mm256_unpackhi_epi64(t5, t7);
                    let w = &mut words[8 * half..];
                    w[0] = _mm256_permute2x128_si256::<0x20>(u0, u4);
                    w[1] = _mm256_permute2x128_si256::<0x20>(u1, u5);
                    w[2] = _mm256_permute2x128_si256::<0x20>(u2, u6);
                    w[3] = _mm256_permute2x128_si256::<0x20>(u3, u7);
                    w[4] = _mm256_permute2x128_si256::<0x31>(u0, u4);
                    w[5] = _mm256_permute2x128_si256::<0x31>(u1, u5);
                    w[6] = _mm256_permute2x128_si256::<0x31>(u2, u6);
                    w[7] = _mm256_permute2x128_si256::<0x31>(u3, u7);
                }
            }
            m
        }
    }

    /// The AVX2 kernel: `X` registers of 8 lanes, their steps interleaved.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn avx2_kernel<const X: usize, const W: usize>(
        state: &mut [[u32; W]; 4],
        blocks: &[[u8; 64]; W],
    ) {
        // SAFETY: the helpers' one precondition, AVX2, is the caller's
        // guarantee, and this function enables it.
        unsafe {
            let start = load_state::<X, W>(state);
            let m = transpose::<X, W>(blocks);
            let [mut a, mut b, mut c, mut d] = start;

            let ones = _mm256_set1_epi32(-1);
            macro_rules! fun {
                (f, $x:expr, $y:expr, $z:expr) => {
                    _mm256_xor_si256($z, _mm256_and_si256($x, _mm256_xor_si256($y, $z)))
                };
                (g, $x:expr, $y:expr, $z:expr) => {
                    _mm256_xor_si256($y, _mm256_and_si256($z, _mm256_xor_si256($x, $y)))
                };
                (h, $x:expr, $y:expr, $z:expr) => {
                    _mm256_xor_si256(_mm256_xor_si256($x, $y), $z)
                };
                (i, $x:expr, $y:expr, $z:expr) => {
                    _mm256_xor_si256($y, _mm256_or_si256($x, _mm256_xor_si256($z, ones)))
                };
            }
            macro_rules! step {
                ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:expr, $k:expr, $s:expr) => {
                    for x in 0..X {
                        let k: u32 = $k;
                        let sum = _mm256_add_epi32(
                            _mm256_add_epi32($a[x], fun!($fun, $b[x], $c[x], $d[x])),
                            _mm256_add_epi32(m[x][$w], _mm256_set1_epi32(k as i32)),
                        );
                        let rotated = _mm256_or_si256(
                            _mm256_slli_epi32::<$s>(sum),
                            _mm256_srli_epi32::<{ 32 - $s }>(sum),
                        );
                        $a[x] = _mm256_add_epi32(rotated, $b[x]);
                    }
                };
            }
            md5_steps!(step, a, b, c, d);

            store_sums::<X, W>(state, start, [a, b, c, d]);
        }
    }

    /// The AVX-512VL kernel: the AVX2 kernel's 256-bit registers, with
    /// each step's logic one `vpternlogd` (two or three instructions on
    /// AVX2) and its rotate one `vprold` (three on AVX2); with the step's
    /// four adds, six instructions instead of nine or ten, on the same
    /// width. 512-bit registers, which some CPUs run at a lower clock or
    /// split in two, are left to the `avx512` feature.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2, AVX-512F and AVX-512VL.
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    unsafe fn avx512vl_kernel<const X: usize, const W: usize>(
        state: &mut [[u32; W]; 4],
        blocks: &[[u8; 64]; W],
    ) {
        // SAFETY: the helpers need AVX2, and this kernel's own instructions
        // AVX-512F and AVX-512VL; the caller guarantees all three, and this
        // function enables them.
        unsafe {
            let start = load_state::<X, W>(state);
            let m = transpose::<X, W>(blocks);
            let [mut a, mut b, mut c, mut d] = start;

            macro_rules! step {
                ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:expr, $k:expr, $s:expr) => {
                    for x in 0..X {
                        let k: u32 = $k;
                        let sum = _mm256_add_epi32(
                            _mm256_add_epi32(
                                $a[x],
                                _mm256_ternarylogic_epi32::<{ truth_table!($fun) }>(
                                    $b[x], $c[x], $d[x],
                                ),
                            ),
                            _mm256_add_epi32(m[x][$w], _mm256_set1_epi32(k as i32)),
                        );
                        $a[x] = _mm256_add_epi32(_mm256_rol_epi32::<$s>(sum), $b[x]);
                    }
                };
            }
            md5_steps!(step, a, b, c, d);

            store_sums::<X, W>(state, start, [a, b, c, d]);
        }
    }

    /// The AVX-512F path on 512-bit registers, behind the `avx512` feature
    /// (see the module docs on why it is opt-in).
    #[cfg(feature = "avx512")]
    mod avx512 {
        use core::arch::x86_64::*;

        /// Proof that this CPU has AVX-512F: [`Avx512::detect`] is the only
        /// way to make one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) struct Avx512(());

        impl Avx512 {
            /// A token if this CPU supports AVX-512F.
            pub(crate) fn detect() -> Option<Self> {
                is_x86_feature_detected!("avx512f").then_some(Self(()))
            }
        }

        /// Compresses one block in each of `W = 16 * X` lanes with AVX-512F.
        #[inline]
        pub(crate) fn compress_avx512<const X: usize, const W: usize>(
            _: Avx512,
            state: &mut [[u32; W]; 4],
            blocks: &[[u8; 64]; W],
        ) {
            // SAFETY: an `Avx512` exists only if `is_x86_feature_detected!`
            // found AVX-512F on this CPU, which is the kernel's one
            // precondition.
            unsafe { avx512_kernel::<X, W>(state, blocks) }
        }

        /// The AVX-512F kernel: `X` registers of 16 lanes, their steps
        /// interleaved; each step's logic is one `vpternlogd` and its rotate
        /// one `vprold`.
        ///
        /// # Safety
        ///
        /// The CPU must support AVX-512F.
        #[target_feature(enable = "avx512f")]
        unsafe fn avx512_kernel<const X: usize, const W: usize>(
            state: &mut [[u32; W]; 4],
            blocks: &[[u8; 64]; W],
        ) {
            const { assert!(W == 16 * X) };
            // SAFETY: each load or store moves 64 bytes at
            // `state[j][16 * x..]` for `x < X`, which is lanes
            // `16x..16x + 16` of a `[u32; W]` with `W = 16 * X` (asserted
            // above), or at `blocks[lane]`, a whole `[u8; 64]`; the slicing
            // itself is bounds-checked. Unaligned loads and stores take any
            // address. The caller guarantees AVX-512F, which this function
            // enables.
            unsafe {
                let zero = _mm512_setzero_si512();
                let (mut a, mut b, mut c, mut d) = ([zero; X], [zero; X], [zero; X], [zero; X]);
                for x in 0..X {
                    a[x] = _mm512_loadu_si512(state[0][16 * x..].as_ptr().cast());
                    b[x] = _mm512_loadu_si512(state[1][16 * x..].as_ptr().cast());
                    c[x] = _mm512_loadu_si512(state[2][16 * x..].as_ptr().cast());
                    d[x] = _mm512_loadu_si512(state[3][16 * x..].as_ptr().cast());
                }
                let (a0, b0, c0, d0) = (a, b, c, d);

                // m[x][w]: word w of lanes 16x..16x + 16, by a 16x16
                // transpose: 32-bit then 64-bit interleaves within 128-bit
                // lanes, then a 4x4 transpose of the 128-bit lanes.
                let mut m = [[zero; 16]; X];
                for (x, words) in m.iter_mut().enumerate() {
                    let mut r = [zero; 16];
                    for (row, block) in r.iter_mut().zip(&blocks[16 * x..]) {
                        *row = _mm512_loadu_si512(block.as_ptr().cast());
                    }
                    // u[g][k], 128-bit lane j: rows 4g..4g + 4 of word 4j + k.
                    let mut u = [[zero; 4]; 4];
                    for (g, quad) in u.iter_mut().enumerate() {
                        let lo01 = _mm512_unpacklo_epi32(r[4 * g], r[4 * g + 1]);
                        let hi01 = _mm512_unpackhi_epi32(r[4 * g], r[4 * g + 1]);
                        let lo23 = _mm512_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]);
                        let hi23 = _mm512_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);
                        *quad = [
                            _mm512_unpacklo_epi64(lo01, lo23),
                            _mm512_unpackhi_epi64(lo01, lo23),
                            _mm512_unpacklo_epi64(hi01, hi23),
                            _mm512_unpackhi_epi64(hi01, hi23),
                        ];
                    }
                    for k in 0..4 {
                        let p0 = _mm512_shuffle_i32x4::<0x44>(u[0][k], u[1][k]);
                        let p1 = _mm512_shuffle_i32x4::<0xee>(u[0][k], u[1][k]);
                        let p2 = _mm512_shuffle_i32x4::<0x44>(u[2][k], u[3][k]);
                        let p3 = _mm512_shuffle_i32x4::<0xee>(u[2][k], u[3][k]);
                        words[k] = _mm512_shuffle_i32x4::<0x88>(p0, p2);
                        words[4 + k] = _mm512_shuffle_i32x4::<0xdd>(p0, p2);
                        words[8 + k] = _mm512_shuffle_i32x4::<0x88>(p1, p3);
                        words[12 + k] = _mm512_shuffle_i32x4::<0xdd>(p1, p3);
                    }
                }

                macro_rules! step {
                    ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $w:expr, $k:expr, $s:expr) => {
                        for x in 0..X {
                            let k: u32 = $k;
                            let sum = _mm512_add_epi32(
                                _mm512_add_epi32(
                                    $a[x],
                                    _mm512_ternarylogic_epi32::<{ truth_table!($fun) }>(
                                        $b[x], $c[x], $d[x],
                                    ),
                                ),
                                _mm512_add_epi32(m[x][$w], _mm512_set1_epi32(k as i32)),
                            );
                            $a[x] = _mm512_add_epi32(_mm512_rol_epi32::<$s>(sum), $b[x]);
                        }
                    };
                }
                md5_steps!(step, a, b, c, d);

                for x in 0..X {
                    let lanes = 16 * x..;
                    let sums = [
                        _mm512_add_epi32(a[x], a0[x]),
                        _mm512_add_epi32(b[x], b0[x]),
                        _mm512_add_epi32(c[x], c0[x]),
                        _mm512_add_epi32(d[x], d0[x]),
                    ];
                    for (word, sum) in state.iter_mut().zip(sums) {
                        _mm512_storeu_si512(word[lanes.clone()].as_mut_ptr().cast(), sum);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};
    use proptest::prelude::*;

    fn reference(salt: &[u8], unit: &[u8]) -> [u8; 16] {
        let mut h = Md5::new();
        h.update(salt);
        h.update(b":");
        h.update(unit);
        h.finalize().into()
    }

    /// Deterministic, varied bytes: `len` of them, starting at `seed`.
    fn text(seed: usize, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (seed * 31 + i * 7 + (i >> 3)) as u8)
            .collect()
    }

    /// Checks `md5_keys(salt, units)` on every engine against md-5.
    fn check_keys(salt: &[u8], units: &[Vec<u8>]) {
        let units: Vec<&[u8]> = units.iter().map(Vec::as_slice).collect();
        for engine in Engine::available() {
            let mut digests = vec![[0xa5; 16]; units.len()];
            md5_keys_on(engine, salt, &units, &mut digests);
            for (n, (unit, got)) in units.iter().zip(&digests).enumerate() {
                assert_eq!(
                    *got,
                    reference(salt, unit),
                    "{engine} md5_keys: key {n} of {}, salt {} B, unit {} B",
                    units.len(),
                    salt.len(),
                    unit.len()
                );
            }
        }
    }

    /// `salt ‖ ':'` laid out at the start of a zeroed block, if it fits.
    fn laid_out(salt: &[u8]) -> Option<[u8; 64]> {
        let mut block = [0u8; 64];
        let (colon, at) = block.get_mut(..salt.len() + 1)?.split_last_mut()?;
        at.copy_from_slice(salt);
        *colon = b':';
        Some(block)
    }

    /// Checks `md5_salts(salts, unit)` on every engine against md-5, with
    /// the salts as bytes, and laid out where they fit a block.
    fn check_salts(salts: &[Vec<u8>], unit: &[u8]) {
        let blocks: Vec<Option<[u8; 64]>> = salts.iter().map(|s| laid_out(s)).collect();
        let as_bytes: Vec<Salt<'_>> = salts.iter().map(|s| Salt::Bytes(s)).collect();
        let laid: Vec<Salt<'_>> = salts
            .iter()
            .zip(&blocks)
            .map(|(salt, block)| match block {
                Some(block) => Salt::Laid {
                    block,
                    prefix: salt.len() + 1,
                },
                None => Salt::Bytes(salt),
            })
            .collect();
        for engine in Engine::available() {
            for (form, salts_in) in [("bytes", &as_bytes), ("laid out", &laid)] {
                let mut digests = vec![[0xa5; 16]; salts.len()];
                md5_salts_on(engine, salts_in, unit, &mut digests);
                for (n, (salt, got)) in salts.iter().zip(&digests).enumerate() {
                    assert_eq!(
                        *got,
                        reference(salt, unit),
                        "{engine} md5_salts, {form}: key {n} of {}, salt {} B, unit {} B",
                        salts.len(),
                        salt.len(),
                        unit.len()
                    );
                }
            }
        }
    }

    /// Checks both APIs on one list of byte strings: as units with a salt
    /// of `other` bytes, and as salts with a unit of `other` bytes.
    fn check_both(pieces: &[Vec<u8>], other: usize) {
        check_keys(&text(99, other), pieces);
        check_salts(pieces, &text(98, other));
    }

    #[test]
    fn detection_finds_the_simd_paths_this_cpu_has() {
        let engines = Engine::available();
        assert!(engines.contains(&Engine::detect()));
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2");
            let avx512 = is_x86_feature_detected!("avx512f");
            let vl = avx2 && avx512 && is_x86_feature_detected!("avx512vl");
            assert_eq!(engines.iter().any(|e| matches!(e, Engine::Avx2(_))), avx2);
            let has_vl = engines.iter().any(|e| matches!(e, Engine::Avx512Vl(_)));
            assert_eq!(has_vl, vl);
            #[cfg(feature = "avx512")]
            {
                let has = engines.iter().any(|e| matches!(e, Engine::Avx512(_)));
                assert_eq!(has, avx512);
                if avx512 {
                    assert!(matches!(Engine::detect(), Engine::Avx512(_)));
                }
            }
            let wide = avx512 && cfg!(feature = "avx512");
            if vl && !wide {
                assert!(matches!(Engine::detect(), Engine::Avx512Vl(_)));
            }
            if avx2 && !vl && !wide {
                assert!(matches!(Engine::detect(), Engine::Avx2(_)));
            }
        }
    }

    #[test]
    fn the_hash_contract_vectors_through_every_engine() {
        let vectors: [(&[u8], &[u8], &str); 5] = [
            (
                b"new_checkout_design",
                b"user-42",
                "1fcdcba0b9fa9a883338d7d65b69772c",
            ),
            (
                b"new_checkout_design",
                b"user-1",
                "68376ef052631371035a8440d98ec4a2",
            ),
            (b"dark_mode", b"alice", "4af3ee0f0cbbd9a7e1c011f7817479dd"),
            (b"", b"", "853ae90f0351324bd73ea615e6487517"),
            (
                "café".as_bytes(),
                "ünïcode".as_bytes(),
                "0241cf7044cdc6b1dc1c5bc86ada3133",
            ),
        ];
        for engine in Engine::available() {
            for (salt, unit, hex) in vectors {
                let mut keys = [[0; 16]];
                md5_keys_on(engine, salt, &[unit], &mut keys);
                let mut salts = [[0; 16]];
                md5_salts_on(engine, &[Salt::Bytes(salt)], unit, &mut salts);
                let mut laid = [[0; 16]];
                let block = laid_out(salt).expect("a short salt");
                let prefix = salt.len() + 1;
                md5_salts_on(
                    engine,
                    &[Salt::Laid {
                        block: &block,
                        prefix,
                    }],
                    unit,
                    &mut laid,
                );
                let hex_of = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
                assert_eq!(hex_of(keys[0]), hex, "{engine} md5_keys");
                assert_eq!(hex_of(salts[0]), hex, "{engine} md5_salts");
                assert_eq!(hex_of(laid[0]), hex, "{engine} md5_salts, laid out");
            }
        }
    }

    #[test]
    fn every_batch_size_from_0_to_40_with_mixed_lengths() {
        for size in 0..=40 {
            let pieces: Vec<Vec<u8>> = (0..size).map(|n| text(n, (n * 29 + size) % 150)).collect();
            for other in [0, 20, 70] {
                check_both(&pieces, other);
            }
        }
    }

    #[test]
    fn every_length_from_0_to_200_in_one_batch() {
        let all: Vec<Vec<u8>> = (0..=200).map(|len| text(len, len)).collect();
        let reversed: Vec<Vec<u8>> = all.iter().rev().cloned().collect();
        // With the other part empty, short, or long enough to fill blocks
        // of its own.
        for other in [0, 1, 20, 54, 55, 62, 63, 64, 118, 119, 120, 127, 128, 200] {
            check_both(&all, other);
            check_both(&reversed, other);
        }
    }

    #[test]
    fn every_length_alone_and_in_uniform_batches() {
        for len in 0..=200 {
            check_both(&[text(len, len)], 20);
            let batch: Vec<Vec<u8>> = (0..37).map(|n| text(n, len)).collect();
            check_both(&batch, 20);
        }
    }

    #[test]
    fn keys_at_the_block_count_boundaries_side_by_side() {
        // Whole-key lengths (salt + 1 + unit) around 55/56, 64, 119/120 and
        // 128, where the padded key goes from one block to two to three,
        // rotated so that each length meets each lane position.
        let key_lens = [
            21, 54, 55, 56, 57, 63, 64, 65, 118, 119, 120, 121, 127, 128, 129, 184,
        ];
        let other = 20;
        let base: Vec<Vec<u8>> = key_lens.iter().map(|&k| text(k, k - 1 - other)).collect();
        for shift in 0..base.len() {
            let mut pieces = base.clone();
            pieces.rotate_left(shift);
            pieces.extend(base.iter().cloned());
            check_both(&pieces, other);
        }
    }

    #[test]
    #[should_panic(expected = "one digest per unit")]
    fn a_digest_slice_of_the_wrong_length_is_a_bug() {
        md5_keys(b"feature", &[b"a", b"b"], &mut [[0; 16]]);
    }

    proptest! {
        #[test]
        fn random_batches_match_md5(
            salt in prop::collection::vec(any::<u8>(), 0..140),
            unit in prop::collection::vec(any::<u8>(), 0..140),
            pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..140), 0..40),
        ) {
            check_keys(&salt, &pieces);
            check_salts(&pieces, &unit);
        }
    }
}
