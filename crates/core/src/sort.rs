//! One small sort for the few places the core orders things: heapsort, O(n log n) on any
//! input (member names of hostile JSON included), in place, a few hundred bytes of wasm for
//! each element type where the standard library's sorts are several kilobytes.

/// Sorts `v` so that no element is `less` than the one before it (not stable: equal elements
/// may be reordered, which none of the callers can tell apart).
pub(crate) fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    // Moves the element at `root` down the heap of the first `end` elements.
    let sift = |v: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[root], &v[child]) {
            break;
        }
        v.swap(root, child);
        root = child;
    };
    let n = v.len();
    for root in (0..n / 2).rev() {
        sift(v, root, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut state = 1u64;
        for len in 0..200 {
            for modulus in [1, 2, 3, 10, 1000, u64::MAX] {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        (state >> 11) % modulus
                    })
                    .collect();
                let mut want = v.clone();
                want.sort_unstable();
                sort_by(&mut v, |a, b| a < b);
                assert_eq!(v, want);
            }
        }
    }
}
