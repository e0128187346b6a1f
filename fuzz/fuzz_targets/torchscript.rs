//! TorchScript code analysis: the lexer over an archive's `code/` sources, the classification
//! of the operators and classes they reach, and the findings. Byte 0 splits the input into one
//! or two source files, so the per-archive accounting is driven too.
#![no_main]
use aibom::formats::torchscript::Analysis;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (split, body) = match data.split_first() {
        Some((s, b)) => (usize::from(*s), b),
        None => (0, data),
    };
    let cut = if body.is_empty() { 0 } else { split % (body.len() + 1) };
    let (a, b) = body.split_at(cut);
    aibom_fuzz::inspect("model.pt", |ctx| {
        let mut analysis = Analysis::new(ctx.limits);
        for (i, text) in [a, b].into_iter().enumerate() {
            let name = format!("archive/code/__torch__/m{i}.py");
            let cap = usize::try_from(analysis.budget().saturating_add(1)).unwrap_or(usize::MAX);
            analysis.source(&name, &text[..text.len().min(cap)]);
        }
        analysis.pickled_class("archive/data.pkl", "__torch__.torch.classes.custom", "Op");
        analysis.finish(ctx);
        Ok(())
    });
});
