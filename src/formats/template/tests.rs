//! Unit tests: lexing, folding, the analysis, and benign templates of real models.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use crate::finding::Finding;
use crate::limits::Limits;
use crate::policy::Policy;

fn check_with(template: &str, limits: &Limits) -> Vec<Finding> {
    let policy = Policy::new(&[], false).unwrap();
    let mut ctx = Ctx::new(limits, &policy, "model.gguf");
    check_template(template, "tokenizer.chat_template", Some(100), &mut ctx);
    ctx.findings
}

fn check(template: &str) -> Vec<Finding> {
    check_with(template, &Limits::default())
}

fn assert_flagged(template: &str, needle: &str) {
    let f = check(template);
    assert!(
        f.iter().any(|f| f.code == Code::ChatTemplateInjection
            && f.severity == Severity::Critical
            && f.message.contains(needle)),
        "{template}\nwanted {needle:?} in {f:#?}"
    );
}

fn assert_clean(template: &str) {
    let f = check(template);
    assert!(f.is_empty(), "{template}\n{f:#?}");
}

#[test]
fn flags_cve_2024_34359_payload_with_origin_offset_and_snippet() {
    let t = "{% for m in messages %}{{ m['content'] }}{% endfor %}\
             {{ ''.__class__.__mro__[1].__subclasses__() }}";
    let f = check(t);
    assert_eq!(f.len(), 1, "{f:#?}");
    let f = &f[0];
    assert_eq!(f.code, Code::ChatTemplateInjection);
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message.starts_with("tokenizer.chat_template: "),
        "{}",
        f.message
    );
    assert!(f.message.contains("`__class__`"), "{}", f.message);
    let at = t.find(".__class__").unwrap() + 1;
    assert_eq!(f.location.offset, Some(100 + at as u64));
    let actual = f.evidence.actual.as_deref().unwrap();
    assert!(actual.contains("__subclasses__"), "{actual}");
    assert!(actual.chars().count() <= SNIPPET);
}

#[test]
fn truncates_the_snippet_to_120_characters() {
    let t = format!("{{{{ ''.__class__ ~ '{}' }}}}", "x".repeat(500));
    let f = check(&t);
    let actual = f[0].evidence.actual.as_deref().unwrap();
    assert_eq!(actual.chars().count(), SNIPPET);
    assert!(actual.ends_with('…'));
}

#[test]
fn flags_dunder_attributes_and_names() {
    for (t, needle) in [
        ("{{ x.__globals__ }}", "`__globals__`"),
        ("{{ x.__init__.__globals__ }}", "`__init__`"),
        ("{{ __builtins__ }}", "`__builtins__`"),
        ("{{ __import__('os') }}", "`__import__`"),
        ("{{ x.__dict__ }}", "`__dict__`"),
        ("{{ x.__getattribute__('a') }}", "`__getattribute__`"),
        ("{{ f.__code__ }}", "`__code__`"),
        ("{{ x._private }}", "`_private`"),
        ("{{ x.__base__ }}", "`__base__`"),
    ] {
        assert_flagged(t, needle);
    }
}

#[test]
fn flags_code_execution_names() {
    for (t, needle) in [
        ("{{ x.os.popen('id').read() }}", "`os`"),
        ("{{ os.system('id') }}", "the `os` module"),
        ("{{ eval('1') }}", "uses `eval`"),
        ("{{ exec('1') }}", "uses `exec`"),
        ("{% import 'x' as y %}", "uses `import`"),
        ("{{ subprocess }}", "uses `subprocess`"),
        ("{{ system('id') }}", "calls `system(...)`"),
        ("{{ x.system('id') }}", "`system`"),
        ("{{ y.f_globals }}", "`f_globals`"),
        ("{{ x.sys.modules }}", "`sys`"),
        ("{{ x.environ['HOME'] }}", "`environ`"),
    ] {
        assert_flagged(t, needle);
    }
}

#[test]
fn flags_jinja_globals_used_as_objects() {
    for (t, needle) in [
        (
            "{{ lipsum.__globals__['os'].popen('id').read() }}",
            "`lipsum`",
        ),
        (
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "`cycler`",
        ),
        ("{{ joiner.__init__.__globals__ }}", "`joiner`"),
        ("{{ namespace.__init__.__globals__ }}", "`namespace`"),
        ("{{ lipsum|attr('x') }}", "`lipsum`"),
        ("{{ lipsum['x'] }}", "`lipsum`"),
    ] {
        assert_flagged(t, needle);
    }
}

#[test]
fn flags_framework_and_context_objects() {
    assert_flagged("{{ request.application }}", "`request`");
    assert_flagged("{{ config.items() }}", "`config`");
    assert_flagged("{{ self._TemplateReference__context.cycler }}", "`self`");
    assert_flagged("{{ url_for.__globals__ }}", "`url_for`");
}

#[test]
fn flags_attr_filter_with_dunder_internal_or_computed_names() {
    assert_flagged(
        "{{ ''|attr('__class__') }}",
        "`attr` filter with `__class__`",
    );
    assert_flagged("{{ x|attr('popen') }}", "`attr` filter with `popen`");
    assert_flagged("{{ ''|attr(name) }}", "`attr` filter with a computed name");
    assert_flagged(
        "{{ ''|attr('__cla' ~ 'ss__') }}",
        "`attr` filter with the computed name `__class__`",
    );
    assert_flagged("{{ x|attr('a')|attr('b') }}", "chains `attr` filters");
    assert_flagged("{{ x|attr }}", "without a literal name");
    assert_flagged(
        "{% filter attr(n) %}x{% endfilter %}",
        "`attr` filter with a computed name",
    );
    assert_flagged("{{ [x]|map('attr', n)|list }}", "through `map`");
}

#[test]
fn flags_names_built_by_concatenation_and_repetition() {
    for (t, needle) in [
        ("{{ x['__cla' ~ 'ss__'] }}", "builds the string `__class__`"),
        ("{{ x['__cla' + 'ss__'] }}", "builds the string `__class__`"),
        ("{{ x['__cla' 'ss__'] }}", "builds the string `__class__`"),
        (
            "{{ x['_'*2 ~ 'class' ~ '_'*2] }}",
            "builds the string `__class__`",
        ),
        (
            "{{ x[2*'_' ~ 'globals' ~ '__'] }}",
            "builds the string `__globals__`",
        ),
        ("{{ x['po' ~ 'pen'] }}", "builds the name `popen`"),
        ("{{ x[('o' ~ 's')] }}", "builds the name `os`"),
    ] {
        assert_flagged(t, needle);
    }
}

#[test]
fn flags_names_built_by_filters_and_methods() {
    for (t, needle) in [
        ("{{ x['__ssalc__'|reverse] }}", "`__class__`"),
        ("{{ x[('ssalc__'|reverse) ~ '__'] }}", "`__class__`"),
        ("{{ x['__ssalc__'[::-1]] }}", "`__class__`"),
        ("{{ x[['__','class','__']|join] }}", "`__class__`"),
        ("{{ x[('__','class','__')|join('')] }}", "`__class__`"),
        ("{{ x['xxclassxx'|replace('xx','__')] }}", "`__class__`"),
        (
            "{{ x['%c%cclass%c%c'|format(95,95,95,95)] }}",
            "`__class__`",
        ),
        (
            "{{ x['%s%sglobals%s%s'|format('_','_','_','_')] }}",
            "`__globals__`",
        ),
        (
            "{{ x['{}{}class{}{}'.format('_','_','_','_')] }}",
            "`__class__`",
        ),
        ("{{ x[''.join(['__','init','__'])] }}", "`__init__`"),
        ("{{ x['__CLASS__'|lower] }}", "`__class__`"),
        ("{{ x['{0.__class__}'.format(y)] }}", "`{0.__class__}`"),
    ] {
        assert_flagged(t, needle);
    }
}

#[test]
fn flags_escape_encoded_names() {
    assert_flagged("{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}", "escape sequences");
    assert_flagged(
        "{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}",
        "`__class__`",
    );
    assert_flagged("{{ x['\\137\\137class\\137\\137'] }}", "`__class__`");
    assert_flagged(
        "{{ x['\\N{LOW LINE}\\N{LOW LINE}class__'] }}",
        "`__class__`",
    );
    assert_flagged(
        "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
        "`attr` filter with `__class__`",
    );
    assert_flagged("{{ x['\\x70open'] }}", "escape sequences");
}

#[test]
fn follows_variables_set_to_constants_across_blocks() {
    assert_flagged(
        "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ ''[b] }}",
        "builds the string `__class__`",
    );
    assert_flagged(
        "{% set n %}__globals__{% endset %}{{ lipsum[n] }}",
        "`__globals__`",
    );
    assert_flagged("{% set u = '_' %}{{ x[u*2 ~ 'mro' ~ u*2] }}", "`__mro__`");
    // Reassigned to something non-constant: no longer folded.
    assert_clean("{% set a = '__cla' %}{% set a = m %}{{ a ~ 'ss__' }}");
}

#[test]
fn flags_loops_and_sets_over_subclasses() {
    assert_flagged(
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}{{ c(['id']) }}{% endif %}{% endfor %}",
        "`__class__`",
    );
    assert_flagged(
        "{% set s = [].__class__.__base__.__subclasses__() %}{{ s }}",
        "`__class__`",
    );
    assert_flagged("{{ dict(__cl=1,ass__=2)|join }}", "`__cl`");
    assert_flagged(
        "{{ x[dict(po=1,pen=2)|join] }}",
        "`dict(...)` keyword names",
    );
}

#[test]
fn reports_one_finding_per_block() {
    let f = check("{{ x.__class__ }} text {{ y.__mro__ }} {{ ok }}");
    assert_eq!(f.len(), 2, "{f:#?}");
}

#[test]
fn ignores_text_comments_and_raw_blocks() {
    assert_clean("Say __class__ and os.popen('id') in plain text {{ m }}");
    assert_clean("{# {{ ''.__class__ }} #}{{ m }}");
    assert_clean("{% raw %}{{ ''.__class__ }}{% endraw %}{{ m }}");
    assert_clean("{{ 'a }} os.popen(1)' ~ m }}");
    assert_clean("{{ 'system' if m['role'] == 'system' else 'user' }}");
    assert_clean("{{ '__________' ~ '\\n' ~ '<__media__>' ~ m }}");
    // `}}` inside a dict literal does not end the block.
    assert_flagged("{{ {'a': {'b': 1}}.__class__ }}", "`__class__`");
}

#[test]
fn namespace_loop_and_messages_alone_are_benign() {
    assert_clean(
        "{%- set ns = namespace(found=false, sys='') -%}{%- for m in messages -%}\
         {%- if m.role == 'system' %}{% set ns.sys = m.content %}{% endif -%}\
         {{ loop.index0 }}{{ m['content']|trim }}{{ m.content.strip() }}{{ m|tojson }}\
         {%- endfor %}{{ range(3)|list }}{{ dict(a=1)|tojson }}{{ ns.sys }}{{ ns.system }}",
    );
}

#[test]
fn long_templates_are_checked_up_to_the_limit_with_a_medium_finding() {
    let limits = Limits {
        max_template: 64,
        ..Limits::default()
    };
    let t = format!("{{{{ m }}}}{}{{{{ ''.__class__ }}}}", " ".repeat(100));
    let f = check_with(&t, &limits);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(
        f[0].message.contains("only the first 64"),
        "{}",
        f[0].message
    );
    let t = format!("{{{{ ''.__class__ }}}}{}", "é".repeat(100));
    let f = check_with(&t, &limits);
    assert_eq!(f.len(), 2, "{f:#?}");
}

#[test]
fn never_panics_on_any_slice_of_a_template() {
    let t = format!("{LLAMA31}{{{{ x['\\x5f'~'é'|reverse][::-1]|attr('%c'|format(95)) }}}}");
    let policy = Policy::new(&[], false).unwrap();
    let limits = Limits::default();
    let chars: Vec<usize> = t.char_indices().map(|(i, _)| i).collect();
    for (n, &a) in chars.iter().enumerate().step_by(13) {
        for &b in chars.iter().skip(n).step_by(97) {
            let mut ctx = Ctx::new(&limits, &policy, "t");
            check_template(&t[a..b], "t", None, &mut ctx);
        }
    }
}

#[test]
fn a_megabyte_of_nested_filters_is_analysed() {
    // Its time is the adversarial benchmark's business (and the template fuzz target's
    // 1 s limit), not a test's.
    let t = format!("{{{{ {} }}}}", "x|attr(".repeat(100_000));
    assert!(!check(&t).is_empty());
    let t = "{% set x %}".repeat(80_000);
    assert!(check(&t).is_empty());
    let t = format!("{{{{ {}", "['a'][".repeat(100_000));
    let _ = check(&t);
}

#[test]
fn survives_pathological_input() {
    let deep = format!("{{{{ {}'a'{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(check(&deep).is_empty());
    let big = format!("{{{{ 'a'*{} }}}}", u32::MAX);
    assert!(check(&big).is_empty());
    for t in [
        "{{",
        "{%",
        "{{ '",
        "{{ '\\",
        "{{ '\\x5",
        "{{ \"\\N{",
        "{#",
        "{% raw %}",
    ] {
        let _ = check(t);
    }
}

// Realistic copies of the chat templates of published models. None may raise a finding.

const LLAMA3: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

const LLAMA31: &str = r#"{{- bos_token }}
{%- if custom_tools is defined %}
{%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
{%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
{%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
{%- set tools = none %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
{%- set system_message = messages[0]['content']|trim %}
{%- set messages = messages[1:] %}
{%- else %}
{%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if builtin_tools is defined or tools is not none %}
{{- "Environment: ipython\n" }}
{%- endif %}
{%- if builtin_tools is defined %}
{{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\n\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
{%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- elif 'tool_calls' in message %}
    {%- if not message.tool_calls|length == 1 %}
        {{- raise_exception("This model only supports single tool-calls at once!") }}
    {%- endif %}
    {%- set tool_call = message.tool_calls[0].function %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
    {{- '{"name": "' + tool_call.name + '", ' }}
    {{- '"parameters": ' }}
    {{- tool_call.arguments | tojson }}
    {{- "}" }}
    {{- "<|eot_id|>" }}
{%- elif message.role == "tool" or message.role == "ipython" %}
    {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
    {%- if message.content is mapping or message.content is iterable %}
        {{- message.content | tojson }}
    {%- else %}
        {{- message.content }}
    {%- endif %}
    {{- "<|eot_id|>" }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"#;

const MISTRAL: &str = "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n";

const QWEN2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const QWEN25_TOOLS: &str = r#"{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0]['role'] == 'system' %}
    {{- messages[0]['content'] }}
{%- else %}
    {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
{%- endif %}
{{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
{%- for tool in tools %}
    {{- "\n" }}
    {{- tool | tojson }}
{%- endfor %}
{{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
{%- endif %}
{%- endif %}
{%- for message in messages %}
{%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
    {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
{%- elif message.role == "assistant" %}
    {{- '<|im_start|>' + message.role }}
    {%- if message.content %}
        {{- '\n' + message.content }}
    {%- endif %}
    {%- for tool_call in message.tool_calls %}
        {%- if tool_call.function is defined %}
            {%- set tool_call = tool_call.function %}
        {%- endif %}
        {{- '\n<tool_call>\n{"name": "' }}
        {{- tool_call.name }}
        {{- '", "arguments": ' }}
        {{- tool_call.arguments | tojson }}
        {{- '}\n</tool_call>' }}
    {%- endfor %}
    {{- '<|im_end|>\n' }}
{%- elif message.role == "tool" %}
    {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
        {{- '<|im_start|>user' }}
    {%- endif %}
    {{- '\n<tool_response>\n' }}
    {{- message.content }}
    {{- '\n</tool_response>' }}
    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- endif %}
"#;

const CHATML: &str = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const GEMMA: &str = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

const PHI3: &str = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

const ZEPHYR: &str = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/// DeepSeek-R1 style: full-width bars and U+2581 in tokens, `namespace` state, `split`.
const DEEPSEEK_R1: &str = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}";

/// Mistral-7B-Instruct-v0.3 style, with tools: `rejectattr`, `tojson`, slicing, `items()`.
const MISTRAL_TOOLS: &str = r#"{%- if messages[0]["role"] == "system" %}
{%- set system_message = messages[0]["content"] %}
{%- set loop_messages = messages[1:] %}
{%- else %}
{%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
{%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
{%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
    {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
        {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif %}
    {%- set ns.index = ns.index + 1 %}
{%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
{%- if message["role"] == "user" %}
    {%- if tools is not none and (message == user_messages[-1]) %}
        {{- "[AVAILABLE_TOOLS] [" }}
        {%- for tool in tools %}
            {%- set tool = tool.function %}
            {{- '{"type": "function", "function": {' }}
            {%- for key, val in tool.items() if key != "return" %}
                {%- if val is string %}
                    {{- '"' + key + '": "' + val + '"' }}
                {%- else %}
                    {{- '"' + key + '": ' + val|tojson }}
                {%- endif %}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- endif %}
            {%- endfor %}
            {{- "}}" }}
            {%- if not loop.last %}
                {{- ", " }}
            {%- else %}
                {{- "]" }}
            {%- endif %}
        {%- endfor %}
        {{- "[/AVAILABLE_TOOLS]" }}
    {%- endif %}
    {%- if loop.last and system_message is defined %}
        {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
    {%- else %}
        {{- "[INST] " + message["content"] + "[/INST]" }}
    {%- endif %}
{%- elif message.tool_calls is defined and message.tool_calls is not none %}
    {{- "[TOOL_CALLS] [" }}
    {%- for tool_call in message.tool_calls %}
        {%- set out = tool_call.function|tojson %}
        {{- out[:-1] }}
        {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
            {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
        {%- endif %}
        {{- ', "id": "' + tool_call.id + '"}' }}
        {%- if not loop.last %}
            {{- ", " }}
        {%- else %}
            {{- "]" + eos_token }}
        {%- endif %}
    {%- endfor %}
{%- elif message["role"] == "assistant" %}
    {{- " " + message["content"]|trim + eos_token}}
{%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
    {%- if message.content is defined and message.content.content is defined %}
        {%- set content = message.content.content %}
    {%- else %}
        {%- set content = message.content %}
    {%- endif %}
    {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
    {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
{%- else %}
    {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
{%- endif %}
{%- endfor %}
"#;

/// Qwen3 style: reversed message scan, `split`/`rstrip`/`lstrip`, `strftime_now`-free.
const QWEN3: &str = r#"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
{%- set index = (messages|length - 1) - loop.index0 %}
{%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
    {%- set ns.multi_step_tool = false %}
    {%- set ns.last_query_index = index %}
{%- endif %}
{%- endfor %}
{%- for message in messages %}
{%- if message.content is string %}
    {%- set content = message.content %}
{%- else %}
    {%- set content = '' %}
{%- endif %}
{%- if message.role == "assistant" %}
    {%- set reasoning_content = '' %}
    {%- if message.reasoning_content is string %}
        {%- set reasoning_content = message.reasoning_content %}
    {%- elif '</think>' in content %}
        {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
        {%- set content = content.split('</think>')[-1].lstrip('\n') %}
    {%- endif %}
    {%- if loop.index0 > ns.last_query_index and (loop.last or (not loop.last and reasoning_content)) %}
        {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\n' + content }}
    {%- endif %}
    {{- '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- if enable_thinking is defined and enable_thinking is false %}
    {{- '<think>\n\n</think>\n\n' }}
{%- endif %}
{%- endif %}"#;

#[test]
fn benign_templates_of_real_models_raise_nothing() {
    for (name, t) in [
        ("llama3", LLAMA3),
        ("llama3.1", LLAMA31),
        ("mistral", MISTRAL),
        ("qwen2", QWEN2),
        ("qwen2.5-tools", QWEN25_TOOLS),
        ("chatml", CHATML),
        ("gemma", GEMMA),
        ("phi3", PHI3),
        ("zephyr", ZEPHYR),
        ("deepseek-r1", DEEPSEEK_R1),
        ("mistral-tools", MISTRAL_TOOLS),
        ("qwen3", QWEN3),
    ] {
        let f = check(t);
        assert!(f.is_empty(), "{name}: {f:#?}");
    }
}

#[test]
fn benign_template_with_payload_appended_is_flagged() {
    let t = format!("{LLAMA3}{{{{ cycler.__init__.__globals__.os.popen('id').read() }}}}");
    let f = check(&t);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].location.offset.unwrap() >= 100 + LLAMA3.len() as u64);
}
