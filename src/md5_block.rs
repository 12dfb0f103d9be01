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
//! The 64 steps below were generated from the RFC's tables (sines for the
//! constants, the shift and message-order schedules) and are checked
//! against md-5 for every key length in this module's tests and by the
//! golden vectors.

#[inline(always)]
fn f(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | (!x & z)
}

// Each round function keeps `x` — the variable the previous step just
// computed — as few operations from the result as possible: the steps are
// one serial chain, and its length is the cost. (`&`s of disjoint masks
// add like `|`s, which spreads the work over more ALU ports.)
#[inline(always)]
fn g(x: u32, y: u32, z: u32) -> u32 {
    (x & z).wrapping_add(y & !z)
}

#[inline(always)]
fn h(x: u32, y: u32, z: u32) -> u32 {
    x ^ (y ^ z)
}

#[inline(always)]
fn i(x: u32, y: u32, z: u32) -> u32 {
    y ^ (x | !z)
}

/// The 64 steps from step `START` on, applied to the working variables
/// `v` (a, b, c, d as they stand before step `START`); no feed-forward.
#[inline(always)]
fn steps<const START: usize>(v: [u32; 4], m: &[u32; 16]) -> [u32; 4] {
    let [mut a, mut b, mut c, mut d] = v;
    if START == 0 {
        a = b.wrapping_add(
            a.wrapping_add(f(b, c, d))
                .wrapping_add(m[0])
                .wrapping_add(0xd76aa478)
                .rotate_left(7),
        );
    }
    if START <= 1 {
        d = a.wrapping_add(
            d.wrapping_add(f(a, b, c))
                .wrapping_add(m[1])
                .wrapping_add(0xe8c7b756)
                .rotate_left(12),
        );
    }
    if START <= 2 {
        c = d.wrapping_add(
            c.wrapping_add(f(d, a, b))
                .wrapping_add(m[2])
                .wrapping_add(0x242070db)
                .rotate_left(17),
        );
    }
    if START <= 3 {
        b = c.wrapping_add(
            b.wrapping_add(f(c, d, a))
                .wrapping_add(m[3])
                .wrapping_add(0xc1bdceee)
                .rotate_left(22),
        );
    }
    if START <= 4 {
        a = b.wrapping_add(
            a.wrapping_add(f(b, c, d))
                .wrapping_add(m[4])
                .wrapping_add(0xf57c0faf)
                .rotate_left(7),
        );
    }
    if START <= 5 {
        d = a.wrapping_add(
            d.wrapping_add(f(a, b, c))
                .wrapping_add(m[5])
                .wrapping_add(0x4787c62a)
                .rotate_left(12),
        );
    }
    if START <= 6 {
        c = d.wrapping_add(
            c.wrapping_add(f(d, a, b))
                .wrapping_add(m[6])
                .wrapping_add(0xa8304613)
                .rotate_left(17),
        );
    }
    if START <= 7 {
        b = c.wrapping_add(
            b.wrapping_add(f(c, d, a))
                .wrapping_add(m[7])
                .wrapping_add(0xfd469501)
                .rotate_left(22),
        );
    }
    if START <= 8 {
        a = b.wrapping_add(
            a.wrapping_add(f(b, c, d))
                .wrapping_add(m[8])
                .wrapping_add(0x698098d8)
                .rotate_left(7),
        );
    }
    if START <= 9 {
        d = a.wrapping_add(
            d.wrapping_add(f(a, b, c))
                .wrapping_add(m[9])
                .wrapping_add(0x8b44f7af)
                .rotate_left(12),
        );
    }
    if START <= 10 {
        c = d.wrapping_add(
            c.wrapping_add(f(d, a, b))
                .wrapping_add(m[10])
                .wrapping_add(0xffff5bb1)
                .rotate_left(17),
        );
    }
    if START <= 11 {
        b = c.wrapping_add(
            b.wrapping_add(f(c, d, a))
                .wrapping_add(m[11])
                .wrapping_add(0x895cd7be)
                .rotate_left(22),
        );
    }
    if START <= 12 {
        a = b.wrapping_add(
            a.wrapping_add(f(b, c, d))
                .wrapping_add(m[12])
                .wrapping_add(0x6b901122)
                .rotate_left(7),
        );
    }
    if START <= 13 {
        d = a.wrapping_add(
            d.wrapping_add(f(a, b, c))
                .wrapping_add(m[13])
                .wrapping_add(0xfd987193)
                .rotate_left(12),
        );
    }
    if START <= 14 {
        c = d.wrapping_add(
            c.wrapping_add(f(d, a, b))
                .wrapping_add(m[14])
                .wrapping_add(0xa679438e)
                .rotate_left(17),
        );
    }
    if START <= 15 {
        b = c.wrapping_add(
            b.wrapping_add(f(c, d, a))
                .wrapping_add(m[15])
                .wrapping_add(0x49b40821)
                .rotate_left(22),
        );
    }
    a = b.wrapping_add(
        a.wrapping_add(g(b, c, d))
            .wrapping_add(m[1])
            .wrapping_add(0xf61e2562)
            .rotate_left(5),
    );
    d = a.wrapping_add(
        d.wrapping_add(g(a, b, c))
            .wrapping_add(m[6])
            .wrapping_add(0xc040b340)
            .rotate_left(9),
    );
    c = d.wrapping_add(
        c.wrapping_add(g(d, a, b))
            .wrapping_add(m[11])
            .wrapping_add(0x265e5a51)
            .rotate_left(14),
    );
    b = c.wrapping_add(
        b.wrapping_add(g(c, d, a))
            .wrapping_add(m[0])
            .wrapping_add(0xe9b6c7aa)
            .rotate_left(20),
    );
    a = b.wrapping_add(
        a.wrapping_add(g(b, c, d))
            .wrapping_add(m[5])
            .wrapping_add(0xd62f105d)
            .rotate_left(5),
    );
    d = a.wrapping_add(
        d.wrapping_add(g(a, b, c))
            .wrapping_add(m[10])
            .wrapping_add(0x02441453)
            .rotate_left(9),
    );
    c = d.wrapping_add(
        c.wrapping_add(g(d, a, b))
            .wrapping_add(m[15])
            .wrapping_add(0xd8a1e681)
            .rotate_left(14),
    );
    b = c.wrapping_add(
        b.wrapping_add(g(c, d, a))
            .wrapping_add(m[4])
            .wrapping_add(0xe7d3fbc8)
            .rotate_left(20),
    );
    a = b.wrapping_add(
        a.wrapping_add(g(b, c, d))
            .wrapping_add(m[9])
            .wrapping_add(0x21e1cde6)
            .rotate_left(5),
    );
    d = a.wrapping_add(
        d.wrapping_add(g(a, b, c))
            .wrapping_add(m[14])
            .wrapping_add(0xc33707d6)
            .rotate_left(9),
    );
    c = d.wrapping_add(
        c.wrapping_add(g(d, a, b))
            .wrapping_add(m[3])
            .wrapping_add(0xf4d50d87)
            .rotate_left(14),
    );
    b = c.wrapping_add(
        b.wrapping_add(g(c, d, a))
            .wrapping_add(m[8])
            .wrapping_add(0x455a14ed)
            .rotate_left(20),
    );
    a = b.wrapping_add(
        a.wrapping_add(g(b, c, d))
            .wrapping_add(m[13])
            .wrapping_add(0xa9e3e905)
            .rotate_left(5),
    );
    d = a.wrapping_add(
        d.wrapping_add(g(a, b, c))
            .wrapping_add(m[2])
            .wrapping_add(0xfcefa3f8)
            .rotate_left(9),
    );
    c = d.wrapping_add(
        c.wrapping_add(g(d, a, b))
            .wrapping_add(m[7])
            .wrapping_add(0x676f02d9)
            .rotate_left(14),
    );
    b = c.wrapping_add(
        b.wrapping_add(g(c, d, a))
            .wrapping_add(m[12])
            .wrapping_add(0x8d2a4c8a)
            .rotate_left(20),
    );
    a = b.wrapping_add(
        a.wrapping_add(h(b, c, d))
            .wrapping_add(m[5])
            .wrapping_add(0xfffa3942)
            .rotate_left(4),
    );
    d = a.wrapping_add(
        d.wrapping_add(h(a, b, c))
            .wrapping_add(m[8])
            .wrapping_add(0x8771f681)
            .rotate_left(11),
    );
    c = d.wrapping_add(
        c.wrapping_add(h(d, a, b))
            .wrapping_add(m[11])
            .wrapping_add(0x6d9d6122)
            .rotate_left(16),
    );
    b = c.wrapping_add(
        b.wrapping_add(h(c, d, a))
            .wrapping_add(m[14])
            .wrapping_add(0xfde5380c)
            .rotate_left(23),
    );
    a = b.wrapping_add(
        a.wrapping_add(h(b, c, d))
            .wrapping_add(m[1])
            .wrapping_add(0xa4beea44)
            .rotate_left(4),
    );
    d = a.wrapping_add(
        d.wrapping_add(h(a, b, c))
            .wrapping_add(m[4])
            .wrapping_add(0x4bdecfa9)
            .rotate_left(11),
    );
    c = d.wrapping_add(
        c.wrapping_add(h(d, a, b))
            .wrapping_add(m[7])
            .wrapping_add(0xf6bb4b60)
            .rotate_left(16),
    );
    b = c.wrapping_add(
        b.wrapping_add(h(c, d, a))
            .wrapping_add(m[10])
            .wrapping_add(0xbebfbc70)
            .rotate_left(23),
    );
    a = b.wrapping_add(
        a.wrapping_add(h(b, c, d))
            .wrapping_add(m[13])
            .wrapping_add(0x289b7ec6)
            .rotate_left(4),
    );
    d = a.wrapping_add(
        d.wrapping_add(h(a, b, c))
            .wrapping_add(m[0])
            .wrapping_add(0xeaa127fa)
            .rotate_left(11),
    );
    c = d.wrapping_add(
        c.wrapping_add(h(d, a, b))
            .wrapping_add(m[3])
            .wrapping_add(0xd4ef3085)
            .rotate_left(16),
    );
    b = c.wrapping_add(
        b.wrapping_add(h(c, d, a))
            .wrapping_add(m[6])
            .wrapping_add(0x04881d05)
            .rotate_left(23),
    );
    a = b.wrapping_add(
        a.wrapping_add(h(b, c, d))
            .wrapping_add(m[9])
            .wrapping_add(0xd9d4d039)
            .rotate_left(4),
    );
    d = a.wrapping_add(
        d.wrapping_add(h(a, b, c))
            .wrapping_add(m[12])
            .wrapping_add(0xe6db99e5)
            .rotate_left(11),
    );
    c = d.wrapping_add(
        c.wrapping_add(h(d, a, b))
            .wrapping_add(m[15])
            .wrapping_add(0x1fa27cf8)
            .rotate_left(16),
    );
    b = c.wrapping_add(
        b.wrapping_add(h(c, d, a))
            .wrapping_add(m[2])
            .wrapping_add(0xc4ac5665)
            .rotate_left(23),
    );
    a = b.wrapping_add(
        a.wrapping_add(i(b, c, d))
            .wrapping_add(m[0])
            .wrapping_add(0xf4292244)
            .rotate_left(6),
    );
    d = a.wrapping_add(
        d.wrapping_add(i(a, b, c))
            .wrapping_add(m[7])
            .wrapping_add(0x432aff97)
            .rotate_left(10),
    );
    c = d.wrapping_add(
        c.wrapping_add(i(d, a, b))
            .wrapping_add(m[14])
            .wrapping_add(0xab9423a7)
            .rotate_left(15),
    );
    b = c.wrapping_add(
        b.wrapping_add(i(c, d, a))
            .wrapping_add(m[5])
            .wrapping_add(0xfc93a039)
            .rotate_left(21),
    );
    a = b.wrapping_add(
        a.wrapping_add(i(b, c, d))
            .wrapping_add(m[12])
            .wrapping_add(0x655b59c3)
            .rotate_left(6),
    );
    d = a.wrapping_add(
        d.wrapping_add(i(a, b, c))
            .wrapping_add(m[3])
            .wrapping_add(0x8f0ccc92)
            .rotate_left(10),
    );
    c = d.wrapping_add(
        c.wrapping_add(i(d, a, b))
            .wrapping_add(m[10])
            .wrapping_add(0xffeff47d)
            .rotate_left(15),
    );
    b = c.wrapping_add(
        b.wrapping_add(i(c, d, a))
            .wrapping_add(m[1])
            .wrapping_add(0x85845dd1)
            .rotate_left(21),
    );
    a = b.wrapping_add(
        a.wrapping_add(i(b, c, d))
            .wrapping_add(m[8])
            .wrapping_add(0x6fa87e4f)
            .rotate_left(6),
    );
    d = a.wrapping_add(
        d.wrapping_add(i(a, b, c))
            .wrapping_add(m[15])
            .wrapping_add(0xfe2ce6e0)
            .rotate_left(10),
    );
    c = d.wrapping_add(
        c.wrapping_add(i(d, a, b))
            .wrapping_add(m[6])
            .wrapping_add(0xa3014314)
            .rotate_left(15),
    );
    b = c.wrapping_add(
        b.wrapping_add(i(c, d, a))
            .wrapping_add(m[13])
            .wrapping_add(0x4e0811a1)
            .rotate_left(21),
    );
    a = b.wrapping_add(
        a.wrapping_add(i(b, c, d))
            .wrapping_add(m[4])
            .wrapping_add(0xf7537e82)
            .rotate_left(6),
    );
    d = a.wrapping_add(
        d.wrapping_add(i(a, b, c))
            .wrapping_add(m[11])
            .wrapping_add(0xbd3af235)
            .rotate_left(10),
    );
    c = d.wrapping_add(
        c.wrapping_add(i(d, a, b))
            .wrapping_add(m[2])
            .wrapping_add(0x2ad7d2bb)
            .rotate_left(15),
    );
    b = c.wrapping_add(
        b.wrapping_add(i(c, d, a))
            .wrapping_add(m[9])
            .wrapping_add(0xeb86d391)
            .rotate_left(21),
    );
    [a, b, c, d]
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
    const K: [u32; 16] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821,
    ];
    const S: [u32; 4] = [7, 12, 17, 22];
    let mut v = state;
    for step in 0..k.min(16) {
        let t = (4 - step % 4) % 4;
        let (x, y, z, w) = (v[t], v[(t + 1) % 4], v[(t + 2) % 4], v[(t + 3) % 4]);
        v[t] = y.wrapping_add(
            x.wrapping_add(f(y, z, w))
                .wrapping_add(m[step])
                .wrapping_add(K[step])
                .rotate_left(S[step % 4]),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_agrees_with_md5_crate() {
        const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
        for seed in 0u32..200 {
            let block: [u8; 64] = core::array::from_fn(|j| {
                (seed.wrapping_mul(2_654_435_761).rotate_left(j as u32 % 32) >> 3) as u8 ^ j as u8
            });
            let mut want = IV;
            md5::block_api::compress(&mut want, core::slice::from_ref(&block));
            let m = crate::bucket::block_words(&block);
            macro_rules! check { ($($k:literal)*) => { $(
                let mut got = IV;
                compress_from::<$k>(&mut got, midstate(IV, &m, $k), &m);
                assert_eq!(got, want, "start {} seed {seed}", $k);
            )* } }
            check!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        }
    }
}
