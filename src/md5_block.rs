//! MD5's compression function (RFC 1321), written out so that it can
//! start part-way through its first round.
//!
//! Round 1 consumes the message words in order, so when the first `k`
//! words of a block are known in advance — the salt and `:` at the start
//! of every key of one feature — the state after step `k` can be computed
//! once per feature ([`midstate`]) and every request runs only steps
//! `k..64` ([`compress_from`]). md-5 offers no such entry point; its
//! `compress` remains the reference these functions are tested against,
//! and hashes every block that does not begin with a feature's prefix.
//!
//! The steps below follow the RFC's tables (sines for the constants, the
//! shift and message-order schedules) and are checked against md-5 for
//! every starting step in this module's tests, and by the golden vectors.

/// MD5's initial chaining value (RFC 1321, 3.3).
pub(crate) const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// The 64 additive constants, `floor(abs(sin(i + 1)) * 2^32)`.
static K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// The left rotation of each step.
const S: [u32; 64] = {
    let per_round = [
        [7, 12, 17, 22],
        [5, 9, 14, 20],
        [4, 11, 16, 23],
        [6, 10, 15, 21],
    ];
    let mut s = [0; 64];
    let mut i = 0;
    while i < 64 {
        s[i] = per_round[i / 16][i % 4];
        i += 1;
    }
    s
};

/// The message word each step reads.
const W: [usize; 64] = {
    let mut w = [0; 64];
    let mut i = 0;
    while i < 64 {
        w[i] = match i / 16 {
            0 => i,
            1 => (5 * i + 1) % 16,
            2 => (3 * i + 5) % 16,
            _ => (7 * i) % 16,
        };
        i += 1;
    }
    w
};

/// Step `I`: the working variable it replaces (`a`, at index `(64 - I) % 4`
/// of `v`) becomes `x + rotl(a + F(x, y, z) + m + k, s)`, where `x`, `y`,
/// `z` follow `a` cyclically and `x` is the one the previous step computed.
///
/// The steps form one serial chain, and its length is the cost, so each
/// round function keeps `x` as few operations from the result as possible,
/// and everything that does not need `x` is summed first, off the chain,
/// while `x` is still being computed:
///
/// - round 1's `F` is `z ^ (x & (y ^ z))`: two operations after `x`;
/// - round 2's `G` is `(x & z) + (y & !z)`, two disjoint masks, so the
///   second joins `a + m + k` off the chain: one operation after `x`;
/// - round 3's `H` is `x ^ (y ^ z)`, `y ^ z` off the chain: one;
/// - round 4's `I` is `y ^ (x | !z)`: two.
///
/// `ones` is `u32::MAX`, read where the optimiser cannot see its value
/// (see [`steps`]), so these forms survive optimisation. Seeing `!z`, the
/// optimiser proves `G`'s masks disjoint and folds `G` back into
/// `y ^ (z & (x ^ y))`, three operations after `x`; and it shares `x ^ y`
/// between one step's `H` and the next, which leaves two operations after
/// `x` in every other step (`(y ^ z) & ones` stops that). Together those
/// cost about a seventh of a digest (measured on x86-64, Zen 4).
#[inline(always)]
fn step<const I: usize>(v: &mut [u32; 4], m: &[u32; 16], k: &[u32; 64], ones: u32) {
    let t = (64 - I) % 4;
    let (a, x, y, z) = (v[t], v[(t + 1) % 4], v[(t + 2) % 4], v[(t + 3) % 4]);
    let early = a.wrapping_add(m[W[I]]).wrapping_add(k[I]);
    let sum = match I / 16 {
        0 => early.wrapping_add(z ^ (x & (y ^ z))),
        1 => early.wrapping_add(y & (z ^ ones)).wrapping_add(x & z),
        2 => early.wrapping_add(x ^ ((y ^ z) & ones)),
        _ => early.wrapping_add(y ^ (x | !z)),
    };
    v[t] = x.wrapping_add(sum.rotate_left(S[I]));
}

/// Steps `START..64` applied to the working variables `v` (a, b, c, d as
/// they stand before step `START`); no feed-forward.
#[inline(always)]
fn steps<const START: usize>(mut v: [u32; 4], m: &[u32; 16]) -> [u32; 4] {
    // Read through an opaque reference, the constants stay loads, which the
    // optimiser sums with `a + m` off the chain. Seen as constants, they
    // are folded into the last add instead, after `F`: one more operation
    // on the chain in every step (measured 10% slower on x86-64). This
    // steers speed only; correctness never depends on it.
    let k = core::hint::black_box(&K);
    // The same for all-ones, which keeps `G` and `H` as written (see
    // [`step`]).
    let ones = core::hint::black_box(u32::MAX);
    macro_rules! run {
        ($($i:literal)*) => { $( if START <= $i { step::<$i>(&mut v, m, k, ones); } )* };
    }
    run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
         16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
         32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47
         48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);
    v
}

/// Compresses one block whose working variables before step `START` are
/// `v`, into the chaining value `state` (the block's input state, which the
/// feed-forward adds back).
#[inline]
pub(crate) fn compress_from<const START: usize>(state: &mut [u32; 4], v: [u32; 4], m: &[u32; 16]) {
    let out = steps::<START>(v, m);
    for (s, o) in state.iter_mut().zip(out) {
        *s = s.wrapping_add(o);
    }
}

/// The working variables after the first `k` steps (`k` ≤ 16) of a block
/// whose chaining value is `state` and whose first `k` words are `m[..k]`.
/// Not on the request path: computed once per feature.
pub(crate) fn midstate(state: [u32; 4], m: &[u32; 16], k: usize) -> [u32; 4] {
    let mut v = state;
    macro_rules! run {
        ($($i:literal)*) => { $( if $i < k { step::<$i>(&mut v, m, &K, u32::MAX); } )* };
    }
    run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_agrees_with_md5_crate() {
        for seed in 0u32..200 {
            let block: [u8; 64] = core::array::from_fn(|j| {
                (seed.wrapping_mul(2_654_435_761).rotate_left(j as u32 % 32) >> 3) as u8 ^ j as u8
            });
            let mut want = INIT;
            md5::block_api::compress(&mut want, core::slice::from_ref(&block));
            let m = crate::bucket::block_words(&block);
            macro_rules! check { ($($k:literal)*) => { $(
                let mut got = INIT;
                compress_from::<$k>(&mut got, midstate(INIT, &m, $k), &m);
                assert_eq!(got, want, "start {} seed {seed}", $k);
            )* } }
            check!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        }
    }
}
