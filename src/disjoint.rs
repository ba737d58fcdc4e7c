//! Disjoint sets (union-find) whose root is always the set's smallest member.
//!
//! Definition: [`Disjoint::join`] puts the larger of two roots under the smaller, and [`Disjoint::root`]
//! halves the path it walks. Because the root is the smallest member, a set's root is also its first
//! member in the order the members were numbered: numbering sets by their roots in that order numbers
//! them in order of first appearance (connected components in raster order, segments in strength order).
//!
//! ```
//! use scarscope::disjoint::Disjoint;
//! let mut d = Disjoint::new(5);
//! d.join(3, 1);
//! d.join(4, 3);
//! assert_eq!(d.root(4), 1);
//! assert_eq!(d.root(2), 2);
//! ```

/// Disjoint sets over `0..n`.
pub struct Disjoint {
    parent: Vec<usize>,
}

impl Disjoint {
    /// `n` sets of one member each.
    pub fn new(n: usize) -> Self {
        Disjoint {
            parent: (0..n).collect(),
        }
    }

    /// The smallest member of `i`'s set.
    pub fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`.
    pub fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}
