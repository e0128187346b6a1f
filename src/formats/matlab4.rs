//! MATLAB level 4 MAT-files, recognised by the structure walk of [`crate::detect::matlab4`]
//! (no magic number). Loading one (`scipy.io.loadmat`, MATLAB's `load`) reads numbers and
//! characters: nothing in it runs code, so a file is facts only (its matrices).
//!
//! Detection walks the first bytes; this walks every header of the file (20 bytes and a name
//! each, the data skipped by its size), and bytes that fail stay unknown (the `unknown-format`
//! finding says why).
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Ctx, Walked};
use crate::detect::Format;
use crate::detect::matlab4::{Mat4Variable, walk};
use crate::source::Source;
use serde::Serialize;
use std::io;

/// What the matrices say.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Matlab4Facts {
    /// Matrices in the file.
    pub matrices: u64,
    /// `little` or `big` (the type's M digit).
    pub byte_order: &'static str,
    /// The first [`Limits::max_fact_entries`](crate::limits::Limits::max_fact_entries)
    /// matrices: name, shape, element type, class.
    pub variables: Vec<Mat4Variable>,
}

impl crate::formats::FormatFacts for Matlab4Facts {
    fn properties(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("aibom:matlab4:matrices", self.matrices.to_string()));
    }
}

pub fn inspect(src: &dyn Source, ctx: &mut Ctx) -> io::Result<Walked> {
    // Each step reads a header and a name; a read error (the file shrank) ends the walk, and
    // the bytes are then reported unknown like any that fail it.
    let Some(m) = walk(src, src.len(), ctx.limits.max_fact_entries) else {
        return Ok(Walked::Not(
            "the bytes start like a MATLAB level 4 MAT-file, but its matrix headers do not chain to the end of the file; hashed only".to_owned(),
        ));
    };
    ctx.facts.matlab4 = Some(Matlab4Facts {
        matrices: m.matrices,
        byte_order: if m.big_endian { "big" } else { "little" },
        variables: m.variables,
    });
    Ok(Walked::Is(Format::Matlab4))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::detect::matlab4::tests::matrix;
    use crate::limits::Limits;
    use crate::policy::Policy;

    #[test]
    fn a_mat4_file_gives_its_matrices_and_a_broken_one_stays_unknown() {
        let limits = Limits::default();
        let policy = Policy::new(&[], false).unwrap();
        let mut b = matrix(true, 1000, 3, 5, 0, "a");
        b.extend(matrix(true, 1001, 1, 9, 0, "theta"));
        let mut ctx = Ctx::new(&limits, &policy, "m.mat");
        assert_eq!(inspect(&b, &mut ctx).unwrap(), Walked::Is(Format::Matlab4));
        let f = ctx.facts.matlab4.unwrap();
        assert_eq!((f.matrices, f.byte_order), (2, "big"));
        assert_eq!(f.variables[1].name, "theta");
        b.pop();
        let mut ctx = Ctx::new(&limits, &policy, "m.mat");
        assert!(matches!(inspect(&b, &mut ctx).unwrap(), Walked::Not(_)));
        assert!(ctx.findings.is_empty() && ctx.facts.matlab4.is_none());
    }
}
