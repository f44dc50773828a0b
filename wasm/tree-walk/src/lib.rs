//! The compiled tree engine's forest walk (src/model/compiled/wasm-forest.ts lays the forest out).
//!
//! Every tree is stored complete: a tree of depth d has 2^d - 1 split nodes in heap order (the children of
//! node i are 2i + 1, taken when x <= threshold, and 2i + 2) and 2^d leaf values, a shallower leaf copied into
//! every slot below it. A row then takes exactly d steps per tree, and a step is arithmetic on the comparison's
//! result instead of a branch: that branch depends on the data and is often mispredicted, and without it the
//! processor overlaps consecutive rows' walks.
//! No allocation, no standard library: the caller lays the arrays out in this module's memory.

#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

extern "C" {
    static __heap_base: u8;
}

/// Where the caller may start laying out its arrays.
#[no_mangle]
pub extern "C" fn heap_base() -> u32 {
    unsafe { &__heap_base as *const u8 as u32 }
}

/// Rows per block: the trees are the outer loop within a block, so that a tree stays in the L1 cache for the
/// block's rows while the block's features do too.
const BLOCK: usize = 256;

/// Rows walked side by side (see sum_trees): 8 measured 0.91 us/row on the IsolationForest against 1.19 for 4,
/// and 0.95-0.99 for 12 or 16 (docs/performance.md).
const LANES: usize = 8;

/// One step down a complete tree from node i: to 2i + 1 when the row's feature <= the threshold, else (NaN too)
/// to 2i + 2, computed from the comparison instead of branched on.
#[inline(always)]
unsafe fn step(i: usize, row: *const f32, feature: *const u32, threshold: *const f32) -> usize {
    let v = *row.add(*feature.add(i) as usize);
    2 * i + 1 + (!(v <= *threshold.add(i))) as usize
}

/// The first tree's leaf value, or the sum so far plus this tree's, in float32.
#[inline(always)]
unsafe fn add_leaf(sum: *mut f32, value: f32, is_first: bool) {
    *sum = if is_first { value } else { *sum + value };
}

/// One step down a complete tree from node i for a split with flags (see sum_trees): to 2i + 1 when the
/// row's feature is < the threshold, or equal to it for a `<=` split (flag bit 0 clear), or NaN when the split
/// tracks missing values (flag bit 1); else to 2i + 2. Computed from the comparisons, not branched on.
#[inline(always)]
unsafe fn step_flagged(i: usize, row: *const f32, feature: *const u32, threshold: *const f32, flags: *const u8) -> usize {
    let v = *row.add(*feature.add(i) as usize);
    let t = *threshold.add(i);
    let f = *flags.add(i);
    let is_true = (v < t) | ((v == t) & (f & 1 == 0)) | ((v != v) & (f & 2 != 0));
    2 * i + 1 + (!is_true) as usize
}

/// The walk shared by both entry points: trees within blocks of BLOCK rows, LANES rows side by side; `step`
/// moves one row one level down from node i of the tree whose nodes start at `at`.
#[inline(always)]
unsafe fn sum_with<S: Fn(usize, usize, *const f32) -> usize>(
    trees: usize,
    depths: *const u32,
    nodes_at: *const u32,
    leaves_at: *const u32,
    leaves: *const f32,
    x: *const f32,
    rows: usize,
    columns: usize,
    out: *mut f32,
    step: S,
) {
    let mut from = 0;
    while from < rows {
        let to = if rows - from < BLOCK { rows } else { from + BLOCK };
        for t in 0..trees {
            let depth = *depths.add(t);
            let at = *nodes_at.add(t) as usize;
            let leaf = leaves.add(*leaves_at.add(t) as usize);
            let first = (1usize << depth) - 1;
            let mut r = from;
            // LANES rows walk side by side: their steps are independent, so the processor overlaps their loads.
            while r + LANES <= to {
                let mut i = [0usize; LANES];
                for _ in 0..depth {
                    for k in 0..LANES {
                        i[k] = step(at, i[k], x.add((r + k) * columns));
                    }
                }
                for k in 0..LANES {
                    add_leaf(out.add(r + k), *leaf.add(i[k] - first), t == 0);
                }
                r += LANES;
            }
            for r in r..to {
                let mut i = 0usize;
                for _ in 0..depth {
                    i = step(at, i, x.add(r * columns));
                }
                add_leaf(out.add(r), *leaf.add(i - first), t == 0);
            }
        }
        from = to;
    }
}

/// Adds every tree's leaf value to each row's sum, in tree order, rounding to float32 at every step (as
/// onnxruntime's Sum of float32 tensors does). Tree t has depth depths[t], its split nodes (feature, float32
/// threshold) from nodes_at[t] and its leaves from leaves_at[t]. x is row-major, `columns` per row. With `flags`
/// null every split is `x <= threshold` and a NaN feature goes to the second child (a split without
/// missing-value tracking); else one flag byte per split node says `<` (bit 0) and NaN to the first child (bit 1).
#[no_mangle]
pub unsafe extern "C" fn sum_trees(
    trees: usize,
    depths: *const u32,
    nodes_at: *const u32,
    leaves_at: *const u32,
    features: *const u32,
    thresholds: *const f32,
    flags: *const u8,
    leaves: *const f32,
    x: *const f32,
    rows: usize,
    columns: usize,
    out: *mut f32,
) {
    if flags.is_null() {
        sum_with(trees, depths, nodes_at, leaves_at, leaves, x, rows, columns, out, |at, i, row| step(i, row, features.add(at), thresholds.add(at)));
    } else {
        sum_with(trees, depths, nodes_at, leaves_at, leaves, x, rows, columns, out, |at, i, row| {
            step_flagged(i, row, features.add(at), thresholds.add(at), flags.add(at))
        });
    }
}
