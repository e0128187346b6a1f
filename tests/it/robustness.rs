//! Hostile input: every parser survives mutated, truncated and adversarial bytes without a
//! panic, within bounded work. Inputs are the bundled samples, mutated by a fixed-seed
//! generator (reproducible), plus hand-made extremes (declared sizes of terabytes, deep
//! nesting, huge counts).

use crate::support::*;
use aibom::formats::{Ctx, inspect_source};
use aibom::limits::Limits;
use aibom::policy::Policy;
use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(rng.below(v.len() + 1)),
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = [0x00, 0xff, 0x7f, 0x80, b'(', b'.', b'\n'][rng.below(7)];
            }
            3 => {
                let i = rng.below(v.len() + 1);
                let byte = rng.next() as u8;
                v.splice(i..i, std::iter::repeat_n(byte, 1 + rng.below(16)));
            }
            4 if v.len() > 8 => {
                // Overwrite a little-endian length-looking field with a huge value.
                let i = rng.below(v.len() - 8);
                v[i..i + 8].copy_from_slice(&(u64::MAX >> rng.below(40)).to_le_bytes());
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let j = rng.below(v.len() + 1);
                let (a, b) = (i.min(j), i.max(j));
                let chunk = v[a..b].to_vec();
                v.extend_from_slice(&chunk);
            }
        }
    }
    v
}

fn sample_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    // The HDF5 fixture (PyTables attributes) too: samples/ holds only generated files.
    let fixture = samples().join("../tests/fixtures/pytables_pickled_attrs.h5");
    out.push((
        "fixtures/pytables_pickled_attrs.h5".to_owned(),
        std::fs::read(fixture).unwrap(),
    ));
    for e in walkdir::WalkDir::new(samples()).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() && e.metadata().unwrap().len() < 64 << 10 {
            let name = e
                .path()
                .strip_prefix(samples())
                .unwrap()
                .display()
                .to_string();
            out.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

fn inspect(bytes: &[u8], name: &str, limits: &Limits, policy: &Policy) -> Duration {
    let start = Instant::now();
    let mut ctx = Ctx::new(limits, policy, name);
    inspect_source(&bytes.to_vec(), &mut ctx, name).expect("in-memory reads never fail");
    start.elapsed()
}

#[test]
fn mutated_samples_never_panic_or_hang() {
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    let files = sample_files();
    assert!(files.len() > 50);
    let mut rng = Rng(0x5eed_a1b0_0d15_ea5e);
    let mut slowest = Duration::ZERO;
    let mut runs = 0;
    for (name, bytes) in &files {
        for _ in 0..60 {
            let m = mutate(&mut rng, bytes);
            slowest = slowest.max(inspect(&m, name, &limits, &policy));
            runs += 1;
        }
    }
    assert!(runs > 3000);
    // Generous: a hang would take far longer; this is not a benchmark.
    assert!(
        slowest < Duration::from_secs(5),
        "slowest input took {slowest:?}"
    );
}

#[test]
fn declared_sizes_of_terabytes_do_not_allocate_or_hang() {
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    let tb = (1u64 << 42).to_le_bytes();
    let mut inputs: Vec<(&str, Vec<u8>)> = Vec::new();
    // Pickle BINBYTES8 / BINUNICODE8 / FRAME of 4 TiB.
    for op in [0x8e_u8, 0x8d, 0x96, 0x95] {
        let mut p = vec![0x80, 0x04, op];
        p.extend_from_slice(&tb);
        p.extend_from_slice(b"abc.");
        inputs.push(("x.pkl", p));
    }
    // safetensors header length of 4 TiB; npy header of 4 GiB.
    let mut st = tb.to_vec();
    st.extend_from_slice(b"{\"a\":1}");
    inputs.push(("x.safetensors", st));
    inputs.push(("x.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{".to_vec()));
    // Zip whose central directory claims 4 G entries at an offset past the end.
    let mut z = b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff".to_vec();
    z.extend_from_slice(&u32::MAX.to_le_bytes());
    z.extend_from_slice(&(u32::MAX - 5).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    inputs.push(("x.zip", z));
    for (name, bytes) in inputs {
        let t = inspect(&bytes, name, &limits, &policy);
        assert!(t < Duration::from_secs(2), "{name} took {t:?}");
    }
}

#[test]
fn deep_nesting_and_huge_counts_hit_limits_not_the_stack() {
    let limits = Limits::default();
    let policy = Policy::new(&[], false).unwrap();
    // 2 million MARKs, 2 million EMPTY_LISTs, a million memo puts of strings.
    let mut marks = vec![0x80, 0x04];
    marks.extend(std::iter::repeat_n(b'(', 2_000_000));
    marks.push(b'.');
    let mut lists = vec![0x80, 0x04];
    lists.extend(std::iter::repeat_n(b']', 2_000_000));
    lists.push(b'.');
    let mut memo = vec![0x80, 0x04];
    for i in 0..1_000_000u32 {
        memo.extend_from_slice(b"\x8c\x01a\x94");
        if i % 2 == 0 {
            memo.push(b'0');
        }
    }
    memo.push(b'.');
    for (name, bytes) in [
        ("marks.pkl", marks),
        ("lists.pkl", lists),
        ("memo.pkl", memo),
    ] {
        let t = inspect(&bytes, name, &limits, &policy);
        assert!(t < Duration::from_secs(10), "{name} took {t:?}");
    }
}
