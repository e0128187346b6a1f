//! Zip archives (placeholder signatures; being written).
use super::Ctx;
use crate::detect::Format;
use crate::source::Source;
use std::io;

#[derive(Debug, Clone, Copy)]
pub struct Eocd {
    pub offset: u64,
}

pub fn find_eocd(_src: &dyn Source) -> io::Result<Option<Eocd>> {
    Ok(None)
}

pub fn inspect(_src: &dyn Source, _ctx: &mut Ctx, _eocd: Option<Eocd>) -> io::Result<Format> {
    Ok(Format::Zip)
}
