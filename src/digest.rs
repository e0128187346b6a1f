//! SHA-256 digests as a type, and the single-pass hashing reader.
//!
//! [`HashingFile`] gives the inspectors random access to a file while computing its SHA-256 in
//! one sequential pass: every byte is read from disk once for the digest, in order; inspectors
//! that read ahead of the hash pass pull it forward (so a pickle or safetensors header read is
//! the hash read), and the few structural reads behind it (a zip's central directory and its
//! member headers) are small positioned reads.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::source::{Source, copy_prefix};
use sha2::{Digest, Sha256 as Hasher};
use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::str::FromStr;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    pub fn of(bytes: &[u8]) -> Self {
        Sha256(Hasher::digest(bytes).into())
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl FromStr for Sha256 {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|e| format!("not a SHA-256 hex digest ({e}): {s:?}"))?;
        Ok(Sha256(out))
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// SHA-256 of a file, streamed in large reads; also returns the number of bytes hashed.
pub fn hash_file(path: &std::path::Path) -> io::Result<(Sha256, u64)> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut h = Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let Some(read) = buf.get(..n) else {
            return Err(io::Error::other(
                "read reported more bytes than its buffer holds",
            ));
        };
        h.update(read);
        total = total.saturating_add(n as u64);
    }
    Ok((Sha256(h.finalize().into()), total))
}

/// Size of the sequential reads of the hash pass.
const CHUNK: usize = 1 << 20;

/// Files at least this large are hashed on a thread of their own while they are inspected:
/// the digest then costs no wall time beside the inspection. Smaller files are hashed inline
/// (a thread per small file would cost more than it saves).
const THREADED: u64 = 8 << 20;

/// Chunks read and waiting for the hashing thread, at most: the inspection waits for the
/// digest rather than hold more of the file in memory.
const QUEUED: usize = 1;

/// Size of the hash pass's reads when a thread hashes them: smaller, as up to three are held
/// at once (the one the inspection reads from, one queued, one being hashed).
const THREADED_CHUNK: usize = 256 << 10;

/// Where the chunks of the hash pass are hashed.
enum Digester {
    Inline(Hasher),
    Thread {
        tx: std::sync::mpsc::SyncSender<std::sync::Arc<Vec<u8>>>,
        /// Returns its hasher once the channel is closed.
        worker: std::thread::JoinHandle<Hasher>,
    },
}

impl Digester {
    fn new(len: u64) -> Self {
        if len < THREADED {
            return Digester::Inline(Hasher::new());
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::sync::Arc<Vec<u8>>>(QUEUED);
        let spawned = std::thread::Builder::new()
            .name("aibom-hash".into())
            .spawn(move || {
                let mut h = Hasher::new();
                for chunk in rx {
                    h.update(&chunk[..]);
                }
                h
            });
        match spawned {
            Ok(worker) => Digester::Thread { tx, worker },
            Err(_) => Digester::Inline(Hasher::new()),
        }
    }

    fn update(&mut self, chunk: &std::sync::Arc<Vec<u8>>) -> io::Result<()> {
        match self {
            Digester::Inline(h) => h.update(&chunk[..]),
            Digester::Thread { tx, .. } => {
                tx.send(std::sync::Arc::clone(chunk))
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?;
            }
        }
        Ok(())
    }

    fn finalize(self) -> io::Result<Sha256> {
        let hasher = match self {
            Digester::Inline(h) => h,
            Digester::Thread { tx, worker } => {
                // Closing the channel ends the thread once it has hashed what was queued.
                drop(tx);
                worker
                    .join()
                    .map_err(|_| io::Error::other("the hashing thread failed"))?
            }
        };
        Ok(Sha256(hasher.finalize().into()))
    }
}

struct HashState {
    digester: Digester,
    /// Bytes hashed so far (always a prefix of the file).
    hashed: u64,
    /// The last chunk the hash pass read: `[hashed - cache.len(), hashed)` (shared with the
    /// hashing thread until it has hashed it).
    cache: std::sync::Arc<Vec<u8>>,
    /// Bytes read from disk, by the hash pass and by reads behind it.
    read_from_disk: u64,
}

/// A file opened for inspection, hashed as it is read.
pub struct HashingFile {
    file: File,
    len: u64,
    /// Bytes per read of the hash pass.
    chunk: usize,
    state: RefCell<HashState>,
}

impl HashingFile {
    pub fn new(file: File, len: u64) -> Self {
        let digester = Digester::new(len);
        let chunk = match digester {
            Digester::Inline(_) => CHUNK,
            Digester::Thread { .. } => THREADED_CHUNK,
        };
        HashingFile {
            file,
            len,
            chunk,
            state: RefCell::new(HashState {
                digester,
                hashed: 0,
                cache: std::sync::Arc::new(Vec::new()),
                read_from_disk: 0,
            }),
        }
    }

    /// Reads, hashes and caches the next chunk of the hash pass.
    fn step(&self, st: &mut HashState) -> io::Result<()> {
        let start = st.hashed;
        let n = usize::try_from(self.len.saturating_sub(start).min(self.chunk as u64))
            .unwrap_or(self.chunk);
        // The last chunk's buffer is reused once nothing else holds it (the hashing thread
        // may still be hashing it).
        if std::sync::Arc::get_mut(&mut st.cache).is_none() {
            st.cache = std::sync::Arc::new(Vec::with_capacity(n));
        }
        let Some(cache) = std::sync::Arc::get_mut(&mut st.cache) else {
            return Err(io::Error::other("the hash pass's buffer is shared"));
        };
        cache.resize(n, 0);
        let got = read_full_at(&self.file, cache, start)?;
        if got < n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "file shrank while being read (expected {} bytes, ended at {})",
                    self.len,
                    start.saturating_add(got as u64)
                ),
            ));
        }
        let HashState {
            digester, cache, ..
        } = st;
        digester.update(cache)?;
        // Both bounded by the file length (the second by bytes read, with the few reads behind).
        st.hashed = st.hashed.saturating_add(n as u64);
        st.read_from_disk = st.read_from_disk.saturating_add(n as u64);
        Ok(())
    }

    /// Hashes whatever the inspection did not read and returns the digest and the number of
    /// bytes read from disk.
    pub fn finish(self) -> io::Result<(Sha256, u64)> {
        {
            let mut st = self.state.borrow_mut();
            while st.hashed < self.len {
                self.step(&mut st)?;
            }
        }
        // A file that grew while we read it is not the file we hashed.
        let mut probe = [0u8; 1];
        if self.file.read_at(&mut probe, self.len)? != 0 {
            return Err(io::Error::other(format!(
                "file grew while being read (expected {} bytes)",
                self.len
            )));
        }
        let st = self.state.into_inner();
        Ok((st.digester.finalize()?, st.read_from_disk))
    }
}

fn read_full_at(file: &File, buf: &mut [u8], mut off: u64) -> io::Result<usize> {
    let mut done = 0usize;
    while let Some(rest) = buf.get_mut(done..).filter(|rest| !rest.is_empty()) {
        match file.read_at(rest, off) {
            Ok(0) => break,
            Ok(n) => {
                done = done.saturating_add(n);
                off = off.saturating_add(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl Source for HashingFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        if off >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.len.saturating_sub(off)) as usize;
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        // Every position below is under `off + want <= len`, and the cache sits below `hashed`.
        let end = off.saturating_add(want as u64);
        let mut st = self.state.borrow_mut();
        let mut done = 0usize;
        while let Some(rest) = buf.get_mut(done..).filter(|rest| !rest.is_empty()) {
            let pos = off.saturating_add(done as u64);
            let cache_start = st.hashed.saturating_sub(st.cache.len() as u64);
            if pos >= cache_start && pos < st.hashed {
                // Served from the chunk the hash pass just read.
                let from = pos.saturating_sub(cache_start) as usize;
                let n = copy_prefix(rest, st.cache.get(from..).unwrap_or_default());
                done = done.saturating_add(n);
            } else if pos >= st.hashed {
                // Ahead of the hash pass: the hash pass reads it.
                self.step(&mut st)?;
            } else {
                // Behind the hash pass: a positioned read (structural data only).
                let n = end.min(cache_start).saturating_sub(pos) as usize;
                let Some(part) = rest.get_mut(..n) else {
                    return Ok(0);
                };
                let got = read_full_at(&self.file, part, pos)?;
                st.read_from_disk = st.read_from_disk.saturating_add(got as u64);
                if got < n {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file shrank while being read",
                    ));
                }
                done = done.saturating_add(n);
            }
        }
        Ok(want)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, HashingFile) {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        t.write_all(bytes).unwrap();
        let f = File::open(t.path()).unwrap();
        let hf = HashingFile::new(f, bytes.len() as u64);
        (t, hf)
    }

    #[test]
    fn digest_matches_one_shot_hash_whatever_the_read_pattern() {
        digest_matches_for(3 * CHUNK + 123);
    }

    #[test]
    fn digest_of_a_file_hashed_on_its_own_thread_matches_one_shot_hash() {
        let len = THREADED as usize + CHUNK / 2 + 7;
        digest_matches_for(len);
        let (_t, hf) = file_with(&vec![7u8; len]);
        assert!(matches!(
            hf.state.borrow().digester,
            Digester::Thread { .. }
        ));
    }

    fn digest_matches_for(len: usize) {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let expected = Sha256::of(&data);
        // Reads ahead, behind, across chunk borders, and none at all.
        let patterns: Vec<Vec<(u64, usize)>> = vec![
            vec![],
            vec![(0, 10)],
            vec![(data.len() as u64 - 22, 22), (5, 100)],
            vec![
                (CHUNK as u64 - 3, 10),
                (0, 4),
                (2 * CHUNK as u64 + 7, CHUNK),
            ],
        ];
        for p in patterns {
            let (_t, hf) = file_with(&data);
            for (off, n) in p {
                let mut buf = vec![0u8; n];
                let got = hf.read_at(off, &mut buf).unwrap();
                assert_eq!(&buf[..got], &data[off as usize..off as usize + got]);
            }
            let (d, read) = hf.finish().unwrap();
            assert_eq!(d, expected);
            assert!(read >= data.len() as u64);
        }
    }

    #[test]
    fn parses_and_prints_hex_digests() {
        let d = Sha256::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.to_hex().parse::<Sha256>().unwrap(), d);
        assert!("xyz".parse::<Sha256>().is_err());
    }
}
