//! Reading a listed file for verification: open it as the walk listed it and hash exactly the
//! bytes read.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::Inputs;
use crate::digest::Sha256;
use crate::sign::manifest::{self, Entry, HashError};
use std::fs::File;

impl Inputs {
    /// Opens a listed file ([`manifest::open_listed`]) and hashes it.
    pub(super) fn read_listed(&self, e: &Entry) -> Result<Sha256, HashError> {
        let file = manifest::open_listed(e)?;
        self.hash_opened(file, e)
    }

    /// Hashes an opened listed file, never past its listed size.
    pub(super) fn hash_opened(&self, file: File, e: &Entry) -> Result<Sha256, HashError> {
        manifest::hash_exact(file, e)
    }
}
