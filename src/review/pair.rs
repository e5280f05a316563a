//! Pairing the patches of two queues: by path, then by file name (the path
//! without its category directory), then by Change-Id. Never by similarity:
//! a reworked patch must show as edited, not as removed + added.

use crate::patch;
use crate::queue::LoadedPatch;

/// The file name of a series path: `feature/0001-x.patch` -> `0001-x.patch`.
pub fn name(path: &str) -> &str {
    path.split_once('/').map_or(path, |(_, name)| name)
}

/// Whether two patches are the same patch, by one rule.
type Rule<'a> = &'a dyn Fn(&LoadedPatch, &LoadedPatch) -> bool;

/// For each head patch, the index of its base patch, if any.
pub fn pair(base: &[LoadedPatch], head: &[LoadedPatch]) -> Vec<Option<usize>> {
    let mut paired: Vec<Option<usize>> = vec![None; head.len()];
    let mut taken = vec![false; base.len()];
    let change_id = |p: &LoadedPatch| patch::trailer(p.patch.message(), "Change-Id");
    let rules: [Rule<'_>; 3] = [
        &|b, h| b.path == h.path,
        &|b, h| name(&b.path) == name(&h.path),
        &|b, h| change_id(b).is_some() && change_id(b) == change_id(h),
    ];
    for rule in rules {
        for (h, head_patch) in head.iter().enumerate() {
            if paired[h].is_some() {
                continue;
            }
            if let Some(b) = (0..base.len()).find(|&b| !taken[b] && rule(&base[b], head_patch)) {
                taken[b] = true;
                paired[h] = Some(b);
            }
        }
    }
    paired
}

/// Which paired head patches moved relative to the others: those outside
/// a longest run of pairs that kept their relative order.
pub fn reordered(paired: &[Option<usize>]) -> Vec<bool> {
    let kept: Vec<(usize, usize)> = paired
        .iter()
        .enumerate()
        .filter_map(|(h, b)| b.map(|b| (h, b)))
        .collect();
    // Longest increasing subsequence of base indices, O(n²): queues are
    // hundreds of patches at most.
    let mut length = vec![1usize; kept.len()];
    let mut previous = vec![usize::MAX; kept.len()];
    for i in 0..kept.len() {
        for j in 0..i {
            if kept[j].1 < kept[i].1 && length[j] + 1 > length[i] {
                length[i] = length[j] + 1;
                previous[i] = j;
            }
        }
    }
    let mut moved = vec![false; paired.len()];
    for &(h, _) in &kept {
        moved[h] = true;
    }
    let mut cursor = (0..kept.len()).max_by_key(|&i| (length[i], usize::MAX - i));
    while let Some(i) = cursor {
        moved[kept[i].0] = false;
        cursor = (previous[i] != usize::MAX).then_some(previous[i]);
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_one_patch_marks_only_that_one() {
        // base order a b c d; head order a c d b
        let paired = [Some(0), Some(2), Some(3), Some(1)];
        assert_eq!(reordered(&paired), [false, false, false, true]);
    }

    #[test]
    fn added_and_removed_patches_reorder_nothing() {
        let paired = [Some(0), None, Some(2), Some(3)];
        assert_eq!(reordered(&paired), [false, false, false, false]);
    }
}
