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

/// Rows walked side by side (see sum_trees).
const LANES: usize = 4;

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

/// Adds every tree's leaf value to each row's sum, in tree order, rounding to float32 at every step (as
/// onnxruntime's Sum of float32 tensors does). Tree t has depth depths[t], its split nodes (feature, float32
/// threshold) from nodes_at[t] and its leaves from leaves_at[t]. A NaN feature goes to the second child, as a
/// `x <= threshold` split without missing-value tracking sends it. x is row-major, `columns` per row.
#[no_mangle]
pub unsafe extern "C" fn sum_trees(
    trees: usize,
    depths: *const u32,
    nodes_at: *const u32,
    leaves_at: *const u32,
    features: *const u32,
    thresholds: *const f32,
    leaves: *const f32,
    x: *const f32,
    rows: usize,
    columns: usize,
    out: *mut f32,
) {
    let mut from = 0;
    while from < rows {
        let to = if rows - from < BLOCK { rows } else { from + BLOCK };
        for t in 0..trees {
            let depth = *depths.add(t);
            let feature = features.add(*nodes_at.add(t) as usize);
            let threshold = thresholds.add(*nodes_at.add(t) as usize);
            let leaf = leaves.add(*leaves_at.add(t) as usize);
            let first = (1usize << depth) - 1;
            let mut r = from;
            // LANES rows walk side by side: their steps are independent, so the processor overlaps their loads.
            while r + LANES <= to {
                let mut i = [0usize; LANES];
                for _ in 0..depth {
                    for k in 0..LANES {
                        i[k] = step(i[k], x.add((r + k) * columns), feature, threshold);
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
                    i = step(i, x.add(r * columns), feature, threshold);
                }
                add_leaf(out.add(r), *leaf.add(i - first), t == 0);
            }
        }
        from = to;
    }
}
