//! Unit tests: headers, metadata and tensor tables built field by field.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use crate::finding::Finding;
use crate::policy::Policy;

/// Builds GGUF bytes field by field.
#[derive(Default, Clone)]
struct G(Vec<u8>);

impl G {
    fn header(version: u32, tensors: u64, kvs: u64) -> Self {
        G(Vec::new())
            .raw(b"GGUF")
            .u32(version)
            .u64(tensors)
            .u64(kvs)
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn u64(self, v: u64) -> Self {
        self.raw(&v.to_le_bytes())
    }
    fn str(self, s: &str) -> Self {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }
    fn kv_str(self, k: &str, v: &str) -> Self {
        self.str(k).u32(8).str(v)
    }
    fn kv_u32(self, k: &str, v: u32) -> Self {
        self.str(k).u32(4).u32(v)
    }
    fn tensor(self, name: &str, dims: &[u64], ty: u32, offset: u64) -> Self {
        let mut g = self.str(name).u32(dims.len() as u32);
        for d in dims {
            g = g.u64(*d);
        }
        g.u32(ty).u64(offset)
    }
    /// Pads to the 32-byte alignment and appends `n` data bytes.
    fn data(mut self, n: usize) -> Self {
        while !self.0.len().is_multiple_of(32) {
            self.0.push(0);
        }
        self.0.extend(std::iter::repeat_n(0u8, n));
        self
    }
}

fn run_with(bytes: &[u8], limits: &Limits) -> (Vec<Finding>, Option<GgufFacts>) {
    run_in(bytes, limits, &Policy::new(&[], false).unwrap())
}

fn run_in(bytes: &[u8], limits: &Limits, policy: &Policy) -> (Vec<Finding>, Option<GgufFacts>) {
    let mut ctx = Ctx::new(limits, policy, "m.gguf");
    inspect(&bytes.to_vec(), &mut ctx).unwrap();
    (ctx.findings, ctx.facts.gguf)
}

fn run(bytes: &[u8]) -> (Vec<Finding>, Option<GgufFacts>) {
    run_with(bytes, &Limits::default())
}

/// The single malformation message for `bytes`.
fn malformed_msg(bytes: &[u8]) -> String {
    let (f, _) = run(bytes);
    let m: Vec<_> = f.iter().filter(|f| f.code == Code::GgufMalformed).collect();
    assert_eq!(m.len(), 1, "{f:#?}");
    m[0].message.clone()
}

fn valid() -> G {
    valid_table().data(32 + 144)
}

/// Everything of [`valid`] before the data padding.
fn valid_table() -> G {
    G::header(3, 2, 6)
        .kv_str("general.architecture", "llama")
        .kv_str("general.name", "Tiny")
        .kv_u32("general.file_type", 15)
        .kv_u32("llama.context_length", 4096)
        .str("tokenizer.ggml.tokens")
        .u32(9)
        .u32(8)
        .u64(3)
        .str("a")
        .str("b")
        .str("c")
        .kv_str(
            "tokenizer.chat_template",
            "{% for m in messages %}{{ m['content'] }}{% endfor %}",
        )
        .tensor("a", &[4, 2], 0, 0)
        .tensor("b", &[256], 12, 32)
}

#[test]
fn accepts_valid_file_and_extracts_facts() {
    let (f, facts) = run(&valid().0);
    assert!(f.is_empty(), "{f:#?}");
    let facts = facts.unwrap();
    assert_eq!(facts.version, 3);
    assert_eq!(facts.tensor_count, 2);
    assert_eq!(facts.kv_count, 6);
    assert_eq!(facts.architecture.as_deref(), Some("llama"));
    assert_eq!(facts.name.as_deref(), Some("Tiny"));
    assert_eq!(facts.file_type, Some(15));
    assert_eq!(facts.file_type_name.as_deref(), Some("MOSTLY_Q4_K_M"));
    assert_eq!(facts.context_length, Some(4096));
    assert_eq!(facts.parameter_count, 8 + 256);
    assert_eq!(facts.tensor_types["F32"], 1);
    assert_eq!(facts.tensor_types["Q4_K"], 1);
    assert_eq!(facts.chat_template_sha256.unwrap().len(), 64);
}

#[test]
fn accepts_version_2_and_extracts_base_models() {
    let g = G::header(2, 0, 4)
        .u64(0) // an empty key is legal
        .u32(0)
        .raw(&[1])
        .str("general.base_model.count")
        .u32(4)
        .u32(1)
        .kv_str("general.base_model.0.name", "Llama 3")
        .kv_str("general.base_model.0.organization", "Meta");
    let (f, facts) = run(&g.0);
    assert!(f.is_empty(), "{f:#?}");
    let facts = facts.unwrap();
    assert_eq!(facts.base_model_count, Some(1));
    assert_eq!(facts.base_models[0].name.as_deref(), Some("Llama 3"));
    assert_eq!(facts.base_models[0].organization.as_deref(), Some("Meta"));
}

#[test]
fn rejects_obsolete_zero_unknown_and_byte_swapped_versions() {
    assert!(malformed_msg(&G::header(1, 0, 0).0).contains("version 1 is obsolete"));
    assert!(malformed_msg(&G::header(0, 0, 0).0).contains("unsupported GGUF version 0"));
    assert!(malformed_msg(&G::header(4, 0, 0).0).contains("unsupported GGUF version 4"));
    assert!(malformed_msg(&G::header(3 << 24, 0, 0).0).contains("big-endian"));
}

#[test]
fn rejects_wrong_magic() {
    assert!(malformed_msg(b"GGUX\x03\0\0\0").contains("magic"));
    assert!(malformed_msg(b"GG").contains("magic"));
}

#[test]
fn reports_truncation_at_every_field() {
    let full = valid().0;
    let (limits, policy) = (Limits::default(), Policy::new(&[], false).unwrap());
    for cut in 4..valid_table().0.len() {
        let (f, _) = run_in(&full[..cut], &limits, &policy);
        let m: Vec<_> = f.iter().filter(|f| f.code == Code::GgufMalformed).collect();
        assert_eq!(m.len(), 1, "cut at {cut}: {f:#?}");
    }
}

#[test]
fn never_panics_on_mutated_files() {
    let (limits, policy) = (Limits::default(), Policy::new(&[], false).unwrap());
    let base = valid().0;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let mut b = base.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % b.len();
            b[at] = match next() % 3 {
                0 => next() as u8,
                1 => 0xff,
                _ => 0,
            };
        }
        let cut = b.len() - (next() as usize) % 16;
        run_in(&b[..cut], &limits, &policy);
    }
}

#[test]
fn names_the_field_that_is_cut() {
    let name = "blk.0.attn_output.weight.and.then.some";
    let g = G::header(3, 1, 1).kv_u32("general.alignment", 32).str(name);
    let msg = malformed_msg(&g.raw(&[2, 0]).0);
    assert!(
        msg.contains(&format!("dimension count of tensor {name:?}")),
        "{msg}"
    );
    let msg = malformed_msg(&G::header(3, 0, 1).str("general.name").raw(&[8]).0);
    assert!(msg.contains("value type of \"general.name\""), "{msg}");
    let msg = malformed_msg(&G(Vec::new()).raw(b"GGUF").u32(3).u64(0).raw(&[0; 3]).0);
    assert!(msg.contains("metadata pair count"), "{msg}");
}

#[test]
fn rejects_counts_over_the_limits_without_allocating() {
    let msg = malformed_msg(&G::header(3, 1 << 60, 0).0);
    assert!(msg.contains("tensors, over the limit"), "{msg}");
    let msg = malformed_msg(&G::header(3, 0, 1 << 60).0);
    assert!(msg.contains("metadata pairs, over the limit"), "{msg}");
    let limits = Limits {
        max_gguf_kv: u64::MAX,
        max_gguf_tensors: u64::MAX,
        ..Limits::default()
    };
    let (f, _) = run_with(&G::header(3, u64::MAX, u64::MAX).0, &limits);
    assert!(f[0].message.contains("need at least 2^64 bytes"), "{f:#?}");
}

#[test]
fn rejects_counts_that_cannot_fit_in_the_file() {
    let msg = malformed_msg(&G::header(3, 1000, 2).0);
    assert!(msg.contains("need at least"), "{msg}");
    // After the metadata, the tensor table alone is checked again.
    let msg = malformed_msg(
        &G::header(3, 2, 1)
            .kv_str("general.name", &"x".repeat(60))
            .raw(&[0; 30])
            .0,
    );
    assert!(
        msg.contains("2 tensor infos need at least 48 bytes"),
        "{msg}"
    );
}

#[test]
fn rejects_strings_past_end_of_file_and_over_the_limit() {
    let msg = malformed_msg(&G::header(3, 0, 1).str("general.name").u32(8).u64(1000).0);
    assert!(msg.contains("past the end of the file"), "{msg}");
    let msg = malformed_msg(&G::header(3, 0, 1).u64(1 << 40).raw(&[0; 8]).0);
    assert!(
        msg.contains("key of metadata pair 0 is 1099511627776 bytes"),
        "{msg}"
    );
    let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(8).u64(1 << 40).0);
    assert!(msg.contains("over the limit"), "{msg}");
}

#[test]
fn rejects_unknown_value_and_element_types() {
    let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(13).u64(0).0);
    assert!(msg.contains("unknown value type 13"), "{msg}");
    let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(99).u64(0).0);
    assert!(msg.contains("unknown element type 99"), "{msg}");
}

#[test]
fn rejects_arrays_too_long_or_past_the_end() {
    let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(0).u64(1 << 40).0);
    assert!(msg.contains("over the limit"), "{msg}");
    let msg = malformed_msg(&G::header(3, 0, 1).str("k").u32(9).u32(8).u64(1000).0);
    assert!(msg.contains("1000 string elements"), "{msg}");
    let msg = malformed_msg(
        &G::header(3, 0, 1)
            .str("k")
            .u32(9)
            .u32(8)
            .u64(2)
            .str("a")
            .u64(500)
            .raw(&[0; 8])
            .0,
    );
    assert!(msg.contains("element 1 of \"k\""), "{msg}");
}

#[test]
fn rejects_arrays_nested_too_deep() {
    let mut g = G::header(3, 0, 1).str("k").u32(9);
    for _ in 0..3 {
        g = g.u32(9).u64(1);
    }
    let g = g.u32(0).u64(0);
    let msg = malformed_msg(&g.clone().0);
    assert!(msg.contains("nested more than 3 levels"), "{msg}");
    // Two levels are within the limit.
    let ok = G::header(3, 0, 1)
        .str("k")
        .u32(9)
        .u32(9)
        .u64(1)
        .u32(0)
        .u64(2)
        .raw(&[1, 2]);
    assert!(run(&ok.0).0.is_empty());
}

#[test]
fn rejects_duplicate_keys_and_tensor_names() {
    let msg = malformed_msg(&G::header(3, 0, 2).kv_u32("a", 1).kv_u32("a", 2).0);
    assert!(msg.contains("\"a\" appears twice"), "{msg}");
    let g = G::header(3, 2, 0)
        .tensor("w", &[1], 0, 0)
        .tensor("w", &[1], 0, 32)
        .data(64);
    assert!(malformed_msg(&g.0).contains("tensor name \"w\" appears twice"));
}

#[test]
fn rejects_bad_alignment() {
    let g = G::header(3, 0, 1).kv_u32("general.alignment", 24);
    assert!(malformed_msg(&g.0).contains("not a power of two"));
    let g = G::header(3, 0, 1).str("general.alignment").u32(10).u64(32);
    assert!(malformed_msg(&g.0).contains("requires a uint32"));
}

#[test]
fn rejects_unknown_and_removed_ggml_types() {
    let g = G::header(3, 1, 0).tensor("w", &[32], 99, 0).data(64);
    assert!(malformed_msg(&g.0).contains("unknown ggml type 99"));
    let g = G::header(3, 1, 0).tensor("w", &[32], 4, 0).data(64);
    assert!(malformed_msg(&g.0).contains("(Q4_2), which ggml has removed"));
}

#[test]
fn rejects_rows_that_are_not_whole_blocks() {
    let g = G::header(3, 1, 0).tensor("w", &[33], 2, 0).data(64);
    assert!(malformed_msg(&g.0).contains("not a multiple of its block size 32"));
}

#[test]
fn rejects_too_many_dims_huge_dims_and_long_names() {
    let g = G::header(3, 1, 0)
        .tensor("w", &[1, 1, 1, 1, 1], 0, 0)
        .data(4);
    assert!(malformed_msg(&g.0).contains("5 dimensions"));
    let g = G::header(3, 1, 0).tensor("w", &[1 << 63], 0, 0).data(4);
    assert!(malformed_msg(&g.0).contains("negative"));
    let g = G::header(3, 1, 0)
        .tensor("w", &[1 << 40, 1 << 40], 0, 0)
        .data(4);
    assert!(malformed_msg(&g.0).contains("2^63 elements"));
    let g = G::header(3, 1, 0).tensor("w", &[1 << 62], 0, 0).data(4);
    assert!(malformed_msg(&g.0).contains("overflows 64 bits"));
    let g = G::header(3, 1, 0)
        .tensor(&"n".repeat(64), &[1], 0, 0)
        .data(4);
    assert!(malformed_msg(&g.0).contains("at most 63"));
}

#[test]
fn rejects_tensor_data_out_of_bounds() {
    let g = G::header(3, 1, 0).tensor("w", &[16], 0, 0).data(32);
    let msg = malformed_msg(&g.0);
    assert!(msg.contains("\"w\" occupies data bytes [0, 0+64)"), "{msg}");
    let g = G::header(3, 1, 0).tensor("w", &[1], 0, u64::MAX).data(32);
    assert!(malformed_msg(&g.0).contains("occupies"));
    // No room even for the padding before the data section.
    let g = G::header(3, 1, 0).tensor("w", &[0], 0, 0);
    assert!(malformed_msg(&g.0).contains("past the end"));
}

#[test]
fn rejects_misaligned_and_out_of_order_tensors() {
    let g = G::header(3, 1, 0).tensor("w", &[1], 0, 4).data(64);
    assert!(malformed_msg(&g.0).contains("not a multiple of the alignment 32"));
    let g = G::header(3, 2, 0)
        .tensor("a", &[1], 0, 32)
        .tensor("b", &[1], 0, 0)
        .data(64);
    assert!(malformed_msg(&g.0).contains("\"a\" starts at data offset 32 but ggml expects 0"));
}

#[test]
fn checks_chat_templates_even_when_the_tensor_table_is_broken() {
    let g = G::header(3, 1, 2)
        .kv_str(
            TEMPLATE_KEY,
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        )
        .kv_str("tokenizer.chat_template.tool_use", "{{ messages }}")
        .raw(&[1, 0]);
    let (f, facts) = run(&g.0);
    let codes: Vec<_> = f.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::ChatTemplateInjection), "{f:#?}");
    assert!(codes.contains(&Code::GgufMalformed), "{f:#?}");
    let inj = f
        .iter()
        .find(|f| f.code == Code::ChatTemplateInjection)
        .unwrap();
    assert!(inj.message.contains("tokenizer.chat_template"));
    // The offset points into the template text.
    assert!(inj.location.offset.unwrap() >= 24 + 8 + 23 + 4 + 8);
    let facts = facts.unwrap();
    assert!(facts.chat_template_sha256.is_some());
    assert!(facts.named_chat_templates.contains_key("tool_use"));
}

#[test]
fn flags_named_templates_and_reports_non_utf8_templates() {
    let g = G::header(3, 0, 1).kv_str(
        "tokenizer.chat_template.rag",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    );
    let (f, _) = run(&g.0);
    assert!(f.iter().any(|f| f.code == Code::ChatTemplateInjection
        && f.message.contains("tokenizer.chat_template.rag")));
    let g = G::header(3, 0, 1)
        .str(TEMPLATE_KEY)
        .u32(8)
        .u64(3)
        .raw(b"\xff{{");
    assert!(malformed_msg(&g.0).contains("not valid UTF-8"));
}
