//! Jinja chat templates: the lexer, the constant folder and the injection analysis.
#![no_main]
use aibom::formats::template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    aibom_fuzz::inspect("tokenizer_config.json", |ctx| {
        template::check_template(&text, "chat_template", Some(0), ctx);
        Ok(())
    });
});
