//! Evaluation results -> typed metrics ([`Metric`]), from the two formats releases carry:
//!
//! - lm-evaluation-harness results JSON (`lm_eval --output_path`, `results_<time>.json`): the
//!   `results` and `groups` objects map a task to `{"alias": .., "<metric>,<filter>": number,
//!   "<metric>_stderr,<filter>": number or "N/A", ..}` (older versions write `"<metric>"`
//!   without a filter); `versions` and `n-shot` map a task to its version and shot count;
//!   `config.model` names the harness's model backend
//!   (<https://github.com/EleutherAI/lm-evaluation-harness/blob/main/docs/interface.md>).
//! - the `model-index` of a Hugging Face model card's front matter:
//!   `[{name, results: [{task: {type, name}, dataset: {type, name, config, split}, metrics:
//!   [{type, value, name}]}]}]`
//!   (<https://huggingface.co/docs/hub/model-cards#evaluation-results>).
//!
//! Both take untrusted input: a file larger than [`ReleaseLimits::max_evaluation`] or nested
//! deeper than [`ReleaseLimits::max_json_depth`] is not parsed, at most
//! [`ReleaseLimits::max_metrics`] metrics are kept, long names are cut; every such decision is
//! a note recorded with the file, never a panic or an error. A value is kept as the number's
//! JSON text (`0.5831`), so the AIBOM states exactly what the file states.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::limits::ReleaseLimits;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One evaluation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metric {
    /// The task (lm-eval task name; model-index `task.type`, else `task.name`).
    pub task: String,
    /// The metric (`acc`, `exact_match`; model-index `metrics[].type`, else `name`).
    pub metric: String,
    /// lm-eval's filter (`none`, `strict-match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The value as written (a JSON number's text, or the card's scalar).
    pub value: String,
    /// lm-eval's standard error, when it is a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// lm-eval's `n-shot` for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_shot: Option<String>,
    /// lm-eval's `versions` for the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// model-index `dataset.name`, else `dataset.type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// model-index `dataset.split`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
}

impl Metric {
    /// The slice a CycloneDX `performanceMetrics[]` entry names: the dataset and split when
    /// the result names a dataset, else the task (with lm-eval's filter when it is not
    /// `none`).
    pub fn slice(&self) -> String {
        match (&self.dataset, &self.split) {
            (Some(d), Some(s)) => format!("{d} ({s})"),
            (Some(d), None) => d.clone(),
            _ => match self.filter.as_deref() {
                Some(f) if f != "none" => format!("{} ({f})", self.task),
                _ => self.task.clone(),
            },
        }
    }
}

/// Which format an evaluation file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluationFormat {
    LmEvalHarness,
    ModelIndex,
}

impl EvaluationFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluationFormat::LmEvalHarness => "lm-evaluation-harness",
            EvaluationFormat::ModelIndex => "model-index",
        }
    }
}

/// What was read of one evaluation source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// `None`: not a format aibom reads (the file is still hashed and recorded).
    pub format: Option<EvaluationFormat>,
    /// In the order of the source, except lm-eval tasks, which are sorted by name.
    pub metrics: Vec<Metric>,
    /// What could not be read, and what was left out.
    pub notes: Vec<String>,
}

/// Keeps at most `max` bytes of `s`, cut at a character boundary; says whether it cut.
fn cut(s: &str, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s.to_owned(), false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    (s.get(..end).unwrap_or_default().to_owned(), true)
}

/// How deep `v` nests, stopping once past `max`.
fn deeper_than(v: &Value, max: usize) -> bool {
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        if d > max {
            return true;
        }
        let next = d.saturating_add(1);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, next))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, next))),
            _ => {}
        }
    }
    false
}

/// Collects metrics, keeping count of those past the cap and of cut names.
struct Collector<'l> {
    limits: &'l ReleaseLimits,
    metrics: Vec<Metric>,
    dropped: usize,
    cut: usize,
}

impl Collector<'_> {
    fn text(&mut self, s: &str) -> String {
        let (t, was_cut) = cut(s, self.limits.max_metric_text);
        if was_cut {
            self.cut = self.cut.saturating_add(1);
        }
        t
    }

    /// Whether the cap is reached; counts the metric that is then left out.
    fn full(&mut self) -> bool {
        let full = self.metrics.len() >= self.limits.max_metrics;
        if full {
            self.dropped = self.dropped.saturating_add(1);
        }
        full
    }

    fn finish(self, format: EvaluationFormat, mut notes: Vec<String>) -> Evaluation {
        if self.dropped > 0 {
            notes.push(format!(
                "{} metrics past the first {} not recorded",
                self.dropped, self.limits.max_metrics
            ));
        }
        if self.cut > 0 {
            notes.push(format!(
                "{} names longer than {} bytes cut",
                self.cut, self.limits.max_metric_text
            ));
        }
        Evaluation {
            format: Some(format),
            metrics: self.metrics,
            notes,
        }
    }
}

/// The text of a JSON scalar that describes a task (`versions`, `n-shot`).
fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads an evaluation results file. Only lm-evaluation-harness JSON is recognised (a JSON
/// object whose `results` is an object); anything else is `format: None`, with a note when it
/// could not even be looked at.
pub fn read_file(bytes: &[u8], limits: &ReleaseLimits) -> Evaluation {
    let unread = |note: String| Evaluation {
        format: None,
        metrics: Vec::new(),
        notes: vec![note],
    };
    if bytes.len() as u64 > limits.max_evaluation {
        return unread(format!(
            "larger than {} bytes: metrics not read",
            limits.max_evaluation
        ));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Evaluation::default();
    }
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return unread(format!("not readable as JSON ({e}): metrics not read")),
    };
    if deeper_than(&v, limits.max_json_depth) {
        return unread(format!(
            "JSON nested deeper than {} levels: metrics not read",
            limits.max_json_depth
        ));
    }
    match v.get("results") {
        Some(Value::Object(_)) => lm_eval(&v, limits),
        Some(_) => unread("`results` is not an object: metrics not read".to_owned()),
        None => Evaluation::default(),
    }
}

/// Keys of a task's entry that are not metrics.
const NOT_METRICS: &[&str] = &["alias", "name", "sample_len", "sample_count", "samples"];

fn lm_eval(v: &Value, limits: &ReleaseLimits) -> Evaluation {
    let mut c = Collector {
        limits,
        metrics: Vec::new(),
        dropped: 0,
        cut: 0,
    };
    let mut notes = Vec::new();
    let per_task = |key: &str, task: &str| scalar_text(v.get(key).and_then(|m| m.get(task)));
    // `results` then `groups` (aggregates such as mmlu), each task once.
    let mut seen = std::collections::BTreeSet::new();
    for section in ["results", "groups"] {
        let Some(tasks) = v.get(section) else {
            continue;
        };
        let Value::Object(tasks) = tasks else {
            notes.push(format!("`{section}` is not an object: not read"));
            continue;
        };
        let mut names: Vec<&String> = tasks.keys().collect();
        names.sort();
        for task in names {
            if !seen.insert(task.as_str()) {
                continue;
            }
            let Some(Value::Object(entry)) = tasks.get(task) else {
                notes.push(format!("{section}.{task}: not an object; not read"));
                continue;
            };
            task_metrics(&mut c, entry, task, &per_task);
        }
    }
    c.finish(EvaluationFormat::LmEvalHarness, notes)
}

fn task_metrics(
    c: &mut Collector<'_>,
    entry: &Map<String, Value>,
    task: &str,
    per_task: &dyn Fn(&str, &str) -> Option<String>,
) {
    let mut keys: Vec<&String> = entry.keys().collect();
    keys.sort();
    for key in keys {
        let (name, filter) = match key.split_once(',') {
            Some((n, f)) => (n, Some(f)),
            None => (key.as_str(), None),
        };
        if NOT_METRICS.contains(&name) || name.ends_with("_stderr") {
            continue;
        }
        // Only numbers are results: "N/A" and nested objects are not.
        let Some(Value::Number(value)) = entry.get(key) else {
            continue;
        };
        if c.full() {
            continue;
        }
        let stderr_key = match filter {
            Some(f) => format!("{name}_stderr,{f}"),
            None => format!("{name}_stderr"),
        };
        let stderr = match entry.get(&stderr_key) {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let m = Metric {
            task: c.text(task),
            metric: c.text(name),
            filter: filter.map(|f| c.text(f)),
            value: value.to_string(),
            stderr,
            n_shot: per_task("n-shot", task).map(|s| c.text(&s)),
            version: per_task("versions", task).map(|s| c.text(&s)),
            dataset: None,
            split: None,
        };
        c.metrics.push(m);
    }
}

/// The scalar at `key` of `v` as text (string, number or boolean).
fn card_scalar(v: Option<&Value>, key: &str) -> Option<String> {
    match v?.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The metrics of a model card's `model-index` (front matter already parsed, with budgets, by
/// `bom::card`). A metric needs a name (`type`, else `name`) and a value; others are counted
/// in a note. `None` when the card has no `model-index` list.
pub fn model_index(card: Option<&Value>, limits: &ReleaseLimits) -> Option<Evaluation> {
    let Some(Value::Array(models)) = card.and_then(|c| c.get("model-index")) else {
        return None;
    };
    let mut c = Collector {
        limits,
        metrics: Vec::new(),
        dropped: 0,
        cut: 0,
    };
    let mut incomplete = 0usize;
    for m in models {
        for r in m
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let task = r.get("task");
            let ds = r.get("dataset");
            let task = card_scalar(task, "type")
                .or_else(|| card_scalar(task, "name"))
                .or_else(|| card_scalar(Some(m), "name"))
                .unwrap_or_default();
            let dataset = card_scalar(ds, "name").or_else(|| card_scalar(ds, "type"));
            let split = card_scalar(ds, "split");
            for metric in r
                .get("metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name =
                    card_scalar(Some(metric), "type").or_else(|| card_scalar(Some(metric), "name"));
                let (Some(name), Some(value)) = (name, card_scalar(Some(metric), "value")) else {
                    incomplete = incomplete.saturating_add(1);
                    continue;
                };
                if c.full() {
                    continue;
                }
                let m = Metric {
                    task: c.text(&task),
                    metric: c.text(&name),
                    filter: None,
                    value: c.text(&value),
                    stderr: None,
                    n_shot: None,
                    version: None,
                    dataset: dataset.as_deref().map(|d| c.text(d)),
                    split: split.as_deref().map(|s| c.text(s)),
                };
                c.metrics.push(m);
            }
        }
    }
    let mut notes = Vec::new();
    if incomplete > 0 {
        notes.push(format!(
            "{incomplete} model-index metrics without a name or a value not recorded"
        ));
    }
    Some(c.finish(EvaluationFormat::ModelIndex, notes))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn read(s: &str) -> Evaluation {
        read_file(s.as_bytes(), &ReleaseLimits::default())
    }

    const LM_EVAL: &str = r#"{
  "results": {
    "hellaswag": {"alias": "hellaswag", "acc,none": 0.25, "acc_stderr,none": 0.01,
                  "acc_norm,none": 0.3, "acc_norm_stderr,none": "N/A"},
    "arc_easy": {"alias": "arc_easy", "acc,none": 0.583, "acc_stderr,none": 0.0156,
                 "sample_len": 1000},
    "gsm8k": {"exact_match,strict-match": 0.1, "exact_match_stderr,strict-match": 0.008}
  },
  "groups": {"mmlu": {"alias": "mmlu", "acc,none": 0.5, "sample_count": {"acc,none": 2}}},
  "versions": {"arc_easy": 1.0, "hellaswag": 1, "gsm8k": 3.0},
  "n-shot": {"arc_easy": 0, "hellaswag": 10, "gsm8k": 5},
  "config": {"model": "hf", "model_args": "pretrained=org/model"}
}"#;

    #[test]
    fn reads_lm_eval_results_with_filters_stderr_versions_and_shots() {
        let e = read(LM_EVAL);
        assert_eq!(e.format, Some(EvaluationFormat::LmEvalHarness));
        assert!(e.notes.is_empty(), "{:?}", e.notes);
        // task, metric, filter, value, stderr
        type Row<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, Option<&'a str>);
        let got: Vec<Row<'_>> = e
            .metrics
            .iter()
            .map(|m| {
                (
                    m.task.as_str(),
                    m.metric.as_str(),
                    m.filter.as_deref(),
                    m.value.as_str(),
                    m.stderr.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("arc_easy", "acc", Some("none"), "0.583", Some("0.0156")),
                (
                    "gsm8k",
                    "exact_match",
                    Some("strict-match"),
                    "0.1",
                    Some("0.008")
                ),
                ("hellaswag", "acc", Some("none"), "0.25", Some("0.01")),
                ("hellaswag", "acc_norm", Some("none"), "0.3", None),
                ("mmlu", "acc", Some("none"), "0.5", None),
            ]
        );
        assert_eq!(e.metrics[0].n_shot.as_deref(), Some("0"));
        assert_eq!(e.metrics[0].version.as_deref(), Some("1.0"));
        assert_eq!(e.metrics[1].slice(), "gsm8k (strict-match)");
        assert_eq!(e.metrics[0].slice(), "arc_easy");
    }

    #[test]
    fn reads_old_lm_eval_results_without_filters() {
        let e = read(r#"{"results": {"lambada": {"ppl": 3.5, "ppl_stderr": 0.1, "acc": 0.7}}}"#);
        assert_eq!(e.metrics.len(), 2);
        assert_eq!(e.metrics[1].metric, "ppl");
        assert_eq!(e.metrics[1].stderr.as_deref(), Some("0.1"));
        assert_eq!(e.metrics[1].filter, None);
    }

    #[test]
    fn files_of_other_formats_are_not_read_as_evaluations() {
        for other in ["", "accuracy: 0.9\n", "[1, 2]", r#"{"accuracy": 0.9}"#] {
            assert_eq!(read(other), Evaluation::default(), "{other}");
        }
        let not_utf8 = read_file(b"{\"results\": \xff}", &ReleaseLimits::default());
        assert_eq!(not_utf8.format, None);
        assert!(not_utf8.notes[0].starts_with("not readable as JSON"));
    }

    #[test]
    fn hostile_evaluation_json_gives_notes_not_panics() {
        let huge = read(r#"{"results": {"t": {"acc,none": 1e999}}}"#);
        assert_eq!(huge.format, None);
        assert!(huge.notes[0].starts_with("not readable as JSON"));
        let big_int = read(r#"{"results": {"t": {"acc,none": 123456789012345678901234567890}}}"#);
        assert_eq!(
            big_int.metrics[0].value.parse::<f64>().ok(),
            Some(1.2345678901234568e29)
        );
        let deep = format!(
            r#"{{"results": {{"t": {}1{}}}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(read(&deep).notes[0].starts_with("JSON nested deeper than 64"));
        let very_deep = format!(r#"{{"results": {}}}"#, "{\"a\":".repeat(100_000));
        assert_eq!(read(&very_deep).format, None);
        let wrong = read(
            r#"{"results": {"t": "x", "u": {"acc,none": "0.5", "f1,none": true, "em,none": 0.2}},
                "groups": [], "n-shot": 5, "versions": {"u": {"x": 1}}}"#,
        );
        assert_eq!(wrong.metrics.len(), 1);
        assert_eq!(wrong.metrics[0].metric, "em");
        assert_eq!(wrong.metrics[0].n_shot, None);
        assert_eq!(wrong.metrics[0].version, None);
        assert_eq!(
            wrong.notes,
            [
                "results.t: not an object; not read",
                "`groups` is not an object: not read"
            ]
        );
        assert!(read(r#"{"results": 3}"#).notes[0].contains("not an object"));
    }

    #[test]
    fn caps_metric_count_name_length_and_file_size() {
        let small = ReleaseLimits {
            max_metrics: 2,
            max_metric_text: 4,
            max_evaluation: 200,
            ..ReleaseLimits::default()
        };
        let e = read_file(
            r#"{"results": {"task_é_long": {"a,none": 1, "b,none": 2, "c,none": 3}}}"#.as_bytes(),
            &small,
        );
        assert_eq!(e.metrics.len(), 2);
        assert_eq!(e.metrics[0].task, "task");
        assert_eq!(
            e.notes,
            [
                "1 metrics past the first 2 not recorded",
                "2 names longer than 4 bytes cut"
            ]
        );
        let big = format!(r#"{{"results": {{}}, "pad": "{}"}}"#, "x".repeat(300));
        assert!(read_file(big.as_bytes(), &small).notes[0].starts_with("larger than 200"));
        assert_eq!(cut("aé", 2), ("a".to_owned(), true));
    }

    #[test]
    fn reads_model_index_metrics_and_counts_incomplete_ones() {
        let card: Value = serde_json::json!({"model-index": [{"name": "m", "results": [
            {"task": {"type": "text-generation"},
             "dataset": {"name": "tiny-eval", "type": "aibom/tiny-eval", "split": "test"},
             "metrics": [{"type": "accuracy", "value": 0.42, "name": "Accuracy"},
                         {"name": "F1", "value": "0.5"}, {"type": "bleu"}, "junk"]},
            {"metrics": {"not": "a list"}}
        ]}]});
        let e = model_index(Some(&card), &ReleaseLimits::default()).unwrap();
        assert_eq!(e.format, Some(EvaluationFormat::ModelIndex));
        assert_eq!(e.metrics.len(), 2);
        assert_eq!(e.metrics[0].metric, "accuracy");
        assert_eq!(e.metrics[0].value, "0.42");
        assert_eq!(e.metrics[0].task, "text-generation");
        assert_eq!(e.metrics[0].slice(), "tiny-eval (test)");
        assert_eq!(e.metrics[1].metric, "F1");
        assert_eq!(
            e.notes,
            ["2 model-index metrics without a name or a value not recorded"]
        );
        assert_eq!(
            model_index(
                Some(&serde_json::json!({"model-index": "x"})),
                &ReleaseLimits::default()
            ),
            None
        );
    }

    #[test]
    fn a_metric_reads_back_from_its_recorded_json() {
        let e = read(LM_EVAL);
        let text = serde_json::to_string(&e.metrics[0]).unwrap();
        assert_eq!(
            text,
            r#"{"task":"arc_easy","metric":"acc","filter":"none","value":"0.583","stderr":"0.0156","n-shot":"0","version":"1.0"}"#
        );
        let back: Metric = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e.metrics[0]);
    }
}
