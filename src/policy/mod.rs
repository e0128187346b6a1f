//! The pickle-global policy: which imports are known safe, which are dangerous, and the rest.
//!
//! The lists are data (`allowlist.txt`, `denylist.txt` beside this file), embedded at build
//! time and versioned with `policy-version`, so a verdict never depends on what is installed on
//! the scanning machine. Each entry carries a one-line reason. Users extend the allowlist from
//! `aibom.toml` (`[pickle] allow-globals`) or `--allow-global`.
//!
//! Classification of `module` + `name` (the name may be dotted: protocol 4 resolves it as an
//! attribute chain):
//! 1. A dunder attribute anywhere in the name (`__builtins__`, `__globals__`, ...) is
//!    [`Class::Dunder`].
//! 2. Denylist: every prefix of the full dotted path, and of the path starting at each name
//!    component (an attribute can be a re-exported module: `torch.serialization.os.system`
//!    reaches `os.system`), is looked up. Both the path as written and after CPython's protocol 2
//!    `fix_imports` mapping (`__builtin__` -> `builtins`, `commands` -> `subprocess`, ...) are
//!    checked.
//!    A denylist entry whose reason starts with `higher-order:` (`functools.partial`,
//!    `builtins.map`, `builtins.getattr`, ...) is [`Class::HigherOrder`] instead, when the path
//!    is exactly that entry: such a helper runs nothing by being imported, only what it is
//!    given does, so the scanner judges each use of it by its arguments. Below it
//!    (`functools.partial.func`) or reached through another module, it stays denied.
//!    An attribute listed as `*.name` is denied wherever it is reached: a name component
//!    equal to it denies the path (scipy distributions' argument-parser builders are reached
//!    under every subclass, instance and re-export).
//! 3. Allowlist: exact paths only.
//! 4. Everything else is [`Class::Unknown`].

use crate::finding::Severity;
use foldhash::HashMap;

const DENYLIST: &str = include_str!("denylist.txt");
const ALLOWLIST: &str = include_str!("allowlist.txt");
const ALIASES: &str = include_str!("aliases.txt");
/// Marks a denylist entry as a higher-order helper (the reason follows).
const HIGHER_ORDER: &str = "higher-order:";
/// Marks an allowlist entry whose result may be a `str` or one of its arguments (or what an
/// argument makes) rather than a new object of its own (the reason follows; see
/// [`Policy::makes_new_objects`]).
const NOT_FRESH: &str = "not-fresh:";
/// Begins a denylist entry that names an attribute on any object (`*._construct_argparser`).
const ANY_OBJECT: &str = "*.";

/// The policy's verdict on one global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    Allowed,
    Denied {
        rule: String,
        reason: String,
    },
    /// A denylisted helper whose danger is only the callable or attribute it is handed
    /// (`functools.partial`, `builtins.map`, `builtins.getattr`): not dangerous to import; each
    /// use is judged by what it is given, and denied where that cannot be resolved.
    HigherOrder {
        rule: String,
        reason: String,
    },
    Dunder {
        attr: String,
    },
    Unknown,
}

impl Class {
    pub fn label(&self) -> &'static str {
        match self {
            Class::Allowed => "allowed",
            Class::Denied { .. } => "denied",
            Class::HigherOrder { .. } => "higher-order",
            Class::Dunder { .. } => "dunder",
            Class::Unknown => "unknown",
        }
    }
}

/// A parsed list entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub reason: String,
}

/// Parses the list format: `dotted.path<TAB or 2+ spaces>reason`, `#` comments, blank lines.
/// A trailing `.*` on a path means the whole module (the same as the bare module).
pub fn parse_list(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let split = line
            .find('\t')
            .or_else(|| line.find("  "))
            .ok_or_else(|| format!("line {}: no reason after the name: {line:?}", i + 1))?;
        let path = line[..split].trim();
        let reason = line[split..].trim();
        let path = path.strip_suffix(".*").unwrap_or(path);
        // `*.attr`: an attribute name wherever it is reached (checked where it is used).
        let dotted = path.strip_prefix(ANY_OBJECT).unwrap_or(path);
        if dotted.is_empty()
            || reason.is_empty()
            || !dotted
                .split('.')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            return Err(format!("line {}: malformed entry {line:?}", i + 1));
        }
        out.push(Entry {
            path: path.to_owned(),
            reason: reason.to_owned(),
        });
    }
    Ok(out)
}

/// A pickle global the user allows (`[pickle] allow-globals`, `--allow-global`): a dotted path
/// without empty components, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedGlobal(String);

impl AllowedGlobal {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for AllowedGlobal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let g = s.trim();
        if g.is_empty() || g.split('.').any(|s| s.is_empty()) {
            return Err(format!("allowed global {g:?} is not a dotted path"));
        }
        Ok(AllowedGlobal(g.to_owned()))
    }
}

/// The classification policy in force for a scan.
#[derive(Debug, Clone)]
pub struct Policy {
    deny: HashMap<String, String>,
    /// Rejects most strings that are not a denylist key without hashing them.
    deny_filter: Filter,
    /// The most components and bytes any denylist key has.
    deny_parts: usize,
    deny_len: usize,
    /// Attributes denied on any object (`*.name` entries), by name, with a filter: a path
    /// with such a component is denied whatever it starts with (a scipy distribution is
    /// reached as a subclass, an instance or a re-export of either).
    deny_attrs: HashMap<String, String>,
    deny_attr_filter: Filter,
    /// Denylist entries marked `higher-order:` (see [`Class::HigherOrder`]).
    higher_order: foldhash::HashSet<String>,
    allow: HashMap<String, String>,
    allow_filter: Filter,
    /// The built-in allowlist's entries, each with its `not-fresh:` mark (see
    /// [`Policy::makes_new_objects`]); the user's additions are not vetted as they are.
    builtin_allow: foldhash::HashMap<String, bool>,
    /// Other names of modules ([`Policy::via_aliases`]): a name component read as each of
    /// these modules too (`np`: `numpy`).
    module_aliases: foldhash::HashMap<String, Vec<String>>,
    module_alias_filter: Filter,
    /// Other names of denied objects, by path (`joblib._memmapping_reducer.loads`:
    /// `_pickle.loads`), with a filter and the most components and bytes of a path.
    object_aliases: foldhash::HashMap<String, String>,
    alias_filter: Filter,
    /// The first components of `object_aliases`' paths (most starts are none of them).
    alias_heads: Filter,
    alias_parts: usize,
    alias_len: usize,
    /// Unknown globals fail the scan (`--strict`).
    pub strict: bool,
    version: String,
}

impl Policy {
    /// The built-in lists, plus the user's additional allowed globals.
    pub fn new(extra_allow: &[AllowedGlobal], strict: bool) -> Result<Self, String> {
        let deny = parse_list(DENYLIST).map_err(|e| format!("built-in denylist: {e}"))?;
        let allow = parse_list(ALLOWLIST).map_err(|e| format!("built-in allowlist: {e}"))?;
        let version = DENYLIST
            .lines()
            .find_map(|l| l.trim().strip_prefix("# policy-version:"))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| "unversioned".to_owned());
        let mut higher_order = foldhash::HashSet::default();
        let mut deny_map = HashMap::default();
        let mut deny_attrs = HashMap::default();
        for e in deny {
            if let Some(attr) = e.path.strip_prefix(ANY_OBJECT) {
                if attr.contains('.') || e.reason.starts_with(HIGHER_ORDER) {
                    return Err(format!(
                        "built-in denylist: {} must name one attribute, with a reason",
                        e.path
                    ));
                }
                deny_attrs.insert(attr.to_owned(), e.reason);
                continue;
            }
            let reason = match e.reason.strip_prefix(HIGHER_ORDER) {
                Some(r) => {
                    // A whole module is never a helper: only exact names are.
                    if !e.path.contains('.') || r.trim().is_empty() {
                        return Err(format!(
                            "built-in denylist: higher-order entry {} must be an exact name with a reason",
                            e.path
                        ));
                    }
                    higher_order.insert(e.path.clone());
                    r.trim().to_owned()
                }
                None => e.reason,
            };
            deny_map.insert(e.path, reason);
        }
        if let Some(e) = allow.iter().find(|e| e.path.starts_with(ANY_OBJECT)) {
            return Err(format!("built-in allowlist: {} is no exact path", e.path));
        }
        let mut builtin_allow = foldhash::HashMap::default();
        let mut allow: HashMap<String, String> = allow
            .into_iter()
            .map(|e| {
                let (reason, not_fresh) = match e.reason.strip_prefix(NOT_FRESH) {
                    Some(r) => (r.trim().to_owned(), true),
                    None => (e.reason, false),
                };
                builtin_allow.insert(e.path.clone(), not_fresh);
                (e.path, reason)
            })
            .collect();
        let mut module_aliases: foldhash::HashMap<String, Vec<String>> = Default::default();
        let mut object_aliases = foldhash::HashMap::default();
        for e in parse_list(ALIASES).map_err(|e| format!("built-in aliases: {e}"))? {
            if e.path.contains('.') {
                object_aliases.insert(e.path, e.reason);
            } else {
                module_aliases.entry(e.path).or_default().push(e.reason);
            }
        }
        for g in extra_allow {
            allow.insert(
                g.0.clone(),
                "allowed by the user's configuration".to_owned(),
            );
        }
        Ok(Policy {
            deny_filter: Filter::of(deny_map.keys()),
            deny_parts: deny_map
                .keys()
                .map(|k| k.split('.').count())
                .max()
                .unwrap_or(0),
            deny_len: deny_map.keys().map(String::len).max().unwrap_or(0),
            deny: deny_map,
            deny_attr_filter: Filter::of(deny_attrs.keys()),
            deny_attrs,
            higher_order,
            allow_filter: Filter::of(allow.keys()),
            allow,
            builtin_allow,
            module_alias_filter: Filter::of(module_aliases.keys()),
            module_aliases,
            alias_filter: Filter::of(object_aliases.keys()),
            alias_heads: Filter::of(
                object_aliases
                    .keys()
                    .map(|k| k.split('.').next().unwrap_or("")),
            ),
            alias_parts: object_aliases
                .keys()
                .map(|k| k.split('.').count())
                .max()
                .unwrap_or(0),
            alias_len: object_aliases.keys().map(String::len).max().unwrap_or(0),
            object_aliases,
            strict,
            version,
        })
    }

    /// The version of the built-in lists (recorded in reports and AIBOMs).
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn denylist_len(&self) -> usize {
        self.deny.len().saturating_add(self.deny_attrs.len())
    }

    pub fn allowlist_len(&self) -> usize {
        self.allow.len()
    }

    /// The denylist entries that are higher-order helpers, in no particular order.
    pub fn higher_order(&self) -> impl Iterator<Item = &str> {
        self.higher_order.iter().map(String::as_str)
    }

    /// What this global makes when called, or `cls.__new__(cls)` when it is a class, is a new
    /// object of its own, never a `str` nor one of its arguments: it is on the built-in
    /// allowlist, as written and as `fix_imports` maps it, and not marked `not-fresh:` there
    /// (`str` makes a `str`; `numpy.object_(x)` and `numpy.core.multiarray.scalar(O, x)`
    /// return `x`; `copyreg._reconstructor` and `__newobj__` return what a class given to them
    /// makes). The allowlist's entries are a fixed, known set: `src/policy/check_instances.py`
    /// calls each one it can import with an argument that is checked for and without, and
    /// checks that only the marked ones give a `str` or their argument back. What the user
    /// allows is not vetted for it.
    pub fn makes_new_objects(&self, module: &str, name: &str) -> bool {
        self.vetted(module, name, |not_fresh| !not_fresh)
    }

    /// This global is never a `str` itself: it is on the built-in allowlist, as written and
    /// as `fix_imports` maps it (its entries are classes and functions;
    /// `src/policy/check_instances.py` checks that none it can import is a `str`). A global
    /// on neither list may be one (`email.charset.DEFAULT_CHARSET`), and so may one the user
    /// allows.
    pub fn global_never_str(&self, module: &str, name: &str) -> bool {
        self.vetted(module, name, |_| true)
    }

    /// On the built-in allowlist as written and as `fix_imports` maps it, with a mark that
    /// `ok` accepts each time.
    fn vetted(&self, module: &str, name: &str, ok: impl Fn(bool) -> bool) -> bool {
        // The dotted path in a buffer this thread reuses, as `classify` does: the judge asks
        // once per call opcode until a call may have changed a global.
        thread_local! {
            static PATH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let on = |m: &str, n: &str| {
            let look = |path: &mut String| {
                path.clear();
                path.push_str(m);
                path.push('.');
                path.push_str(n);
                self.builtin_allow
                    .get(path.as_str())
                    .is_some_and(|&marked| ok(marked))
            };
            PATH.with(|p| match p.try_borrow_mut() {
                Ok(mut p) => look(&mut p),
                Err(_) => look(&mut String::new()),
            })
        };
        on(module, name) && fix_imports(module, name).is_none_or(|(m, n)| on(&m, &n))
    }

    /// Severity of an import that is on neither list.
    pub fn unknown_severity(&self) -> Severity {
        if self.strict {
            Severity::High
        } else {
            Severity::Medium
        }
    }

    pub fn classify(&self, module: &str, name: &str) -> Class {
        let mut worst = self.classify_one(module, name);
        if let Some((m, n)) = fix_imports(module, name) {
            let mapped = self.classify_one(&m, &n);
            worst = match (&worst, &mapped) {
                (Class::Denied { .. }, _) => worst,
                (_, Class::Denied { .. }) => mapped,
                (Class::Dunder { .. }, _) => worst,
                (_, Class::Dunder { .. }) => mapped,
                (Class::HigherOrder { .. }, _) => worst,
                (_, Class::HigherOrder { .. }) => mapped,
                (Class::Allowed, _) | (_, Class::Allowed) => Class::Allowed,
                _ => worst,
            };
        }
        if !matches!(worst, Class::Denied { .. })
            && let Some(denied) = self.via_aliases(module, name)
        {
            return denied;
        }
        worst
    }

    /// A module's attributes include what it imported: `argparse._os` is the module `os`,
    /// `enum.bltns` is `builtins`, `joblib._memmapping_reducer.loads` is `pickle.loads`, and a
    /// pickle may import through them (`argparse._os.system`: protocol 4 names are attribute
    /// paths). The path is denied when, read with another name of what part of it is, it is:
    /// from the start or from any component of the name (as the denylist is read), a prefix
    /// listed in `aliases.txt` as another name of a denied object (`cgitb.inspect.attrgetter`
    /// holds `inspect.attrgetter`, which is `operator.attrgetter`), or a component listed
    /// there as another name of modules, when more components follow (a module imported
    /// alone runs nothing; `mymod.testing` may be a function). `src/policy/check_aliases.py`
    /// finds the aliases of denied names in the standard library, numpy, scipy, scikit-learn,
    /// pandas and joblib, and checks that each one is denied.
    fn via_aliases(&self, module: &str, name: &str) -> Option<Class> {
        // Most paths hold no component that could begin an alias: they are let go without
        // building anything (`classify` runs per import, call and value walked).
        let could_begin =
            |c: &str| self.alias_heads.may_hold(c) || self.module_alias_filter.may_hold(c);
        if name.is_empty()
            || !(self
                .alias_heads
                .may_hold(module.split('.').next().unwrap_or(""))
                || name.split('.').any(could_begin))
        {
            return None;
        }
        let full = format!("{module}.{name}");
        let name_at = module.len().saturating_add(1);
        for start in starts(&full, name_at) {
            let cand = full.get(start..).unwrap_or("");
            if let Some(c) = self.object_alias_in(cand) {
                return Some(c);
            }
            if start >= name_at
                && let Some((comp, rest)) = cand.split_once('.')
                && self.module_alias_filter.may_hold(comp)
                && let Some(modules) = self.module_aliases.get(comp)
            {
                for m in modules {
                    let mapped = format!("{m}.{rest}");
                    if let c @ Class::Denied { .. } = self.classify_one(&mapped, "") {
                        return Some(c);
                    }
                    if let Some(c) = self.object_alias_in(&mapped) {
                        return Some(c);
                    }
                }
            }
        }
        None
    }

    /// `path` read from its start: a prefix of it (at most as many components and bytes as
    /// an alias has) listed as another name of a denied object makes it that object, with the
    /// rest of the path read as attributes of it.
    fn object_alias_in(&self, path: &str) -> Option<Class> {
        if !self
            .alias_heads
            .may_hold(path.split('.').next().unwrap_or(""))
        {
            return None;
        }
        for prefix in prefixes(path, self.alias_parts, self.alias_len) {
            // Read as the object's own module and name (its last component a name, as a
            // pickler writes it), so that each rule that a name alone meets applies too.
            if self.alias_filter.may_hold(prefix)
                && let Some(target) = self.object_aliases.get(prefix)
                && let Some((m, n)) = target.rsplit_once('.')
                && let c @ Class::Denied { .. } =
                    self.classify_one(m, &format!("{n}{}", path.get(prefix.len()..).unwrap_or("")))
            {
                return Some(c);
            }
        }
        None
    }

    fn classify_one(&self, module: &str, name: &str) -> Class {
        // The dotted path, built once in a buffer this thread reuses; every candidate below is
        // a slice of it.
        thread_local! {
            static FULL: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        FULL.with(|full| match full.try_borrow_mut() {
            Ok(mut full) => self.classify_path(module, name, &mut full),
            Err(_) => self.classify_path(module, name, &mut String::new()),
        })
    }

    fn classify_path(&self, module: &str, name: &str, full: &mut String) -> Class {
        full.clear();
        full.push_str(module);
        if !name.is_empty() {
            full.push('.');
            full.push_str(name);
        }
        // Denylist: every prefix of the path as written, and of the path starting at each
        // name component (the byte after the module, and after each dot in the name). No key
        // has more than `deny_parts` components or `deny_len` bytes, so each start looks at
        // most that far: a path of many short components costs linear time, not quadratic.
        let name_at = if name.is_empty() {
            full.len()
        } else {
            module.len().saturating_add(1)
        };
        let path = full.as_str();
        // A higher-order helper is the whole path as written; any other match denies.
        let mut helper = None;
        for start in starts(path, name_at) {
            let cand = path.get(start..).unwrap_or("");
            for prefix in prefixes(cand, self.deny_parts, self.deny_len) {
                if self.deny_filter.may_hold(prefix)
                    && let Some(reason) = self.deny.get(prefix)
                {
                    if start == 0
                        && prefix.len() == cand.len()
                        && self.higher_order.contains(prefix)
                    {
                        helper = Some((prefix, reason));
                    } else {
                        return Class::Denied {
                            rule: prefix.to_owned(),
                            reason: reason.clone(),
                        };
                    }
                }
            }
        }
        if let Some((attr, reason)) = name
            .split('.')
            .filter(|c| self.deny_attr_filter.may_hold(c))
            .find_map(|c| self.deny_attrs.get_key_value(c))
        {
            return Class::Denied {
                rule: format!("{ANY_OBJECT}{attr}"),
                reason: reason.clone(),
            };
        }
        if let Some((rule, reason)) = helper {
            return Class::HigherOrder {
                rule: rule.to_owned(),
                reason: reason.clone(),
            };
        }
        let allowed =
            self.allow_filter.may_hold(full.as_str()) && self.allow.contains_key(full.as_str());
        if !allowed && let Some(attr) = name.as_bytes().split(|&b| b == b'.').find(|s| is_dunder(s))
        {
            return Class::Dunder {
                attr: String::from_utf8_lossy(attr).into_owned(),
            };
        }
        if allowed {
            return Class::Allowed;
        }
        Class::Unknown
    }
}

/// A set's shape, for rejecting most non-members without hashing: for each length (lengths
/// from 63 on share a slot), which first bytes and which last bytes its members have (each
/// modulo 64). A string no member could be is not looked up; the rest are.
#[derive(Debug, Clone)]
struct Filter {
    first: [u64; 64],
    last: [u64; 64],
}

impl Filter {
    fn of<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> Filter {
        let mut f = Filter {
            first: [0; 64],
            last: [0; 64],
        };
        for k in keys {
            let (i, first, last) = Filter::shape(k.as_ref());
            if let (Some(a), Some(b)) = (f.first.get_mut(i), f.last.get_mut(i)) {
                *a |= first;
                *b |= last;
            }
        }
        f
    }

    fn shape(s: &str) -> (usize, u64, u64) {
        let b = s.as_bytes();
        let bit = |c: Option<&u8>| 1u64 << (c.copied().unwrap_or(0) & 63);
        (b.len().min(63), bit(b.first()), bit(b.last()))
    }

    fn may_hold(&self, s: &str) -> bool {
        let (i, first, last) = Filter::shape(s);
        self.first.get(i).is_some_and(|m| m & first != 0)
            && self.last.get(i).is_some_and(|m| m & last != 0)
    }
}

/// Where a path is read from, as the denylist is: its start, the byte after the module
/// (`name_at`), and the byte after each dot in the name.
fn starts(path: &str, name_at: usize) -> impl Iterator<Item = usize> {
    let mut next = Some(0usize);
    std::iter::from_fn(move || {
        let start = next?;
        next = if start < name_at {
            Some(name_at)
        } else {
            path.get(start..)
                .and_then(dot)
                .map(|i| start.saturating_add(i).saturating_add(1))
        }
        .filter(|&n| n < path.len());
        Some(start)
    })
}

/// The prefixes of `s` that end at a component's end (a dot or the end), shortest first, at
/// most `parts` of them and none longer than `max_len` bytes: no key has more components or
/// bytes, so each start of a path looks that far at most (linear in the path, not quadratic).
fn prefixes(s: &str, parts: usize, max_len: usize) -> impl Iterator<Item = &str> {
    let mut from = Some(0usize);
    std::iter::from_fn(move || {
        let f = from?;
        let end = s
            .get(f..)
            .and_then(dot)
            .map_or(s.len(), |i| f.saturating_add(i));
        if end > max_len {
            from = None;
            return None;
        }
        from = (end < s.len()).then(|| end.saturating_add(1));
        s.get(..end)
    })
    .take(parts)
}

/// The first dot in `s` (a byte loop: the strings are short, too short for `memchr`).
fn dot(s: &str) -> Option<usize> {
    s.bytes().position(|b| b == b'.')
}

fn is_dunder(s: &[u8]) -> bool {
    s.len() > 4 && s.starts_with(b"__") && s.ends_with(b"__")
}

/// CPython's protocol 2 compatibility mapping (`Lib/_compat_pickle.py`): Python 2 names that
/// `find_class` rewrites before importing. Only the security-relevant and common entries.
fn fix_imports(module: &str, name: &str) -> Option<(String, String)> {
    type Global = (&'static str, &'static str);
    const NAMES: &[(Global, Global)] = &[
        (("__builtin__", "xrange"), ("builtins", "range")),
        (("__builtin__", "reduce"), ("functools", "reduce")),
        (("__builtin__", "intern"), ("sys", "intern")),
        (("__builtin__", "unichr"), ("builtins", "chr")),
        (("__builtin__", "unicode"), ("builtins", "str")),
        (("__builtin__", "long"), ("builtins", "int")),
        (("__builtin__", "basestring"), ("builtins", "str")),
        (("itertools", "izip"), ("builtins", "zip")),
        (("itertools", "imap"), ("builtins", "map")),
        (("itertools", "ifilter"), ("builtins", "filter")),
        (("urllib", "urlopen"), ("urllib.request", "urlopen")),
        (("urllib", "urlretrieve"), ("urllib.request", "urlretrieve")),
        (("urllib", "urlcleanup"), ("urllib.request", "urlcleanup")),
        (
            ("urllib", "pathname2url"),
            ("urllib.request", "pathname2url"),
        ),
        (
            ("urllib", "url2pathname"),
            ("urllib.request", "url2pathname"),
        ),
        (("urllib", "getproxies"), ("urllib.request", "getproxies")),
        (("urllib2", "urlopen"), ("urllib.request", "urlopen")),
        (("UserDict", "UserDict"), ("collections", "UserDict")),
        (("UserList", "UserList"), ("collections", "UserList")),
        (("UserString", "UserString"), ("collections", "UserString")),
        (("whichdb", "whichdb"), ("dbm", "whichdb")),
        (("_socket", "fromfd"), ("socket", "fromfd")),
        (
            ("_multiprocessing", "Connection"),
            ("multiprocessing.connection", "Connection"),
        ),
        (
            ("multiprocessing.process", "Process"),
            ("multiprocessing.context", "Process"),
        ),
        (
            ("multiprocessing.forking", "Popen"),
            ("multiprocessing.popen_fork", "Popen"),
        ),
    ];
    const MODULES: &[(&str, &str)] = &[
        ("__builtin__", "builtins"),
        ("copy_reg", "copyreg"),
        ("Queue", "queue"),
        ("SocketServer", "socketserver"),
        ("ConfigParser", "configparser"),
        ("repr", "reprlib"),
        ("tkFileDialog", "tkinter.filedialog"),
        ("tkSimpleDialog", "tkinter.simpledialog"),
        ("tkColorChooser", "tkinter.colorchooser"),
        ("tkCommonDialog", "tkinter.commondialog"),
        ("Dialog", "tkinter.dialog"),
        ("Tkdnd", "tkinter.dnd"),
        ("tkFont", "tkinter.font"),
        ("tkMessageBox", "tkinter.messagebox"),
        ("ScrolledText", "tkinter.scrolledtext"),
        ("Tkconstants", "tkinter.constants"),
        ("Tix", "tkinter.tix"),
        ("ttk", "tkinter.ttk"),
        ("Tkinter", "tkinter"),
        ("markupbase", "_markupbase"),
        ("_winreg", "winreg"),
        ("thread", "_thread"),
        ("dummy_thread", "_dummy_thread"),
        ("dbhash", "dbm.bsd"),
        ("dumbdbm", "dbm.dumb"),
        ("dbm", "dbm.ndbm"),
        ("gdbm", "dbm.gnu"),
        ("xmlrpclib", "xmlrpc.client"),
        ("DocXMLRPCServer", "xmlrpc.server"),
        ("SimpleXMLRPCServer", "xmlrpc.server"),
        ("httplib", "http.client"),
        ("htmlentitydefs", "html.entities"),
        ("HTMLParser", "html.parser"),
        ("Cookie", "http.cookies"),
        ("cookielib", "http.cookiejar"),
        ("BaseHTTPServer", "http.server"),
        ("SimpleHTTPServer", "http.server"),
        ("CGIHTTPServer", "http.server"),
        ("test.test_support", "test.support"),
        ("commands", "subprocess"),
        ("urlparse", "urllib.parse"),
        ("robotparser", "urllib.robotparser"),
        ("urllib2", "urllib.request"),
        ("anydbm", "dbm"),
        ("_abcoll", "collections.abc"),
        ("cPickle", "pickle"),
        ("_elementtree", "xml.etree.ElementTree"),
        ("FileDialog", "tkinter.filedialog"),
        ("SimpleDialog", "tkinter.simpledialog"),
        ("UserDict", "collections"),
        ("UserList", "collections"),
        ("UserString", "collections"),
        ("whichdb", "dbm"),
        ("StringIO", "io"),
        ("cStringIO", "io"),
        ("exceptions", "builtins"),
        ("future_builtins", "builtins"),
    ];
    // Every entry's module is in MODULES' keys or NAMES' modules: the filter rejects most
    // other modules without hashing, one lookup the rest.
    type Tables = (
        HashMap<Global, Global>,
        HashMap<&'static str, &'static str>,
        Filter,
    );
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    let (names, modules, filter) = TABLES.get_or_init(|| {
        let all = (MODULES.iter().map(|(m, _)| *m)).chain(NAMES.iter().map(|((m, _), _)| *m));
        (
            NAMES.iter().copied().collect(),
            MODULES.iter().copied().collect(),
            Filter::of(all),
        )
    });
    if !filter.may_hold(module) {
        return None;
    }
    if let Some((m, n)) = names.get(&(module, name)) {
        return Some(((*m).to_owned(), (*n).to_owned()));
    }
    modules
        .get(module)
        .map(|to| ((*to).to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(&[], false).unwrap()
    }

    #[test]
    fn builtin_lists_parse_and_are_versioned() {
        let p = policy();
        assert!(p.denylist_len() > 100, "denylist has {}", p.denylist_len());
        assert!(
            p.allowlist_len() > 50,
            "allowlist has {}",
            p.allowlist_len()
        );
        assert_ne!(p.version(), "unversioned");
    }

    #[test]
    fn an_attribute_denied_on_any_object_denies_each_path_holding_it_as_a_name_component() {
        let p = policy();
        for (module, name) in [
            (
                "scipy.stats._distn_infrastructure",
                "rv_generic._construct_argparser",
            ),
            (
                "scipy.stats._continuous_distns",
                "norm_gen._attach_argparser_methods",
            ),
            ("mylib", "dist._attach_methods.__call__"),
        ] {
            match p.classify(module, name) {
                Class::Denied { rule, .. } => assert!(rule.starts_with("*._"), "{rule}"),
                other => panic!("{module}.{name}: {other:?}"),
            }
        }
        // A component that only begins with the name is another name.
        assert_eq!(p.classify("mylib", "x._attach_methods_v2"), Class::Unknown);
    }

    #[test]
    fn test_helpers_and_file_and_network_io_of_scipy_and_sklearn_are_denied() {
        // Each ran `echo aibom-sample` under pickle.load (pytest-based ones with pytest
        // installed): scikit-learn's runs any Python source, joblib's any command, and
        // pytest.main imports conftest.py from any path it is handed.
        let p = policy();
        for (module, name) in [
            (
                "sklearn.utils._testing",
                "assert_run_python_script_without_output",
            ),
            ("joblib.testing", "check_subprocess_call"),
            ("pytest", "main"),
            ("numpy._pytesttester", "PytestTester"),
            ("pandas.util._tester", "test"),
            ("pandas", "test"),
            ("scipy._lib._testutils", "_test_cython_extension"),
            // Files at any path and the network (hb_write wrote a .pth line that runs).
            ("scipy.io._harwell_boeing.hb", "hb_write"),
            ("scipy.io.matlab._mio", "savemat"),
            ("sklearn.datasets", "fetch_openml"),
            ("sklearn.datasets._base", "clear_data_home"),
        ] {
            assert!(
                matches!(p.classify(module, name), Class::Denied { .. }),
                "{module}.{name}"
            );
        }
    }

    #[test]
    fn writers_under_any_class_and_importers_that_call_what_they_name_are_denied() {
        // Found by review 31: each ran `echo aibom-sample` under pickle.load (the writers
        // wrote a .pth line that runs at the next start), each was medium before.
        let p = policy();
        for (module, name) in [
            ("hydra._internal.instantiate._instantiate2", "instantiate"),
            ("hydra.utils", "instantiate"),
            ("hydra.core.plugins", "instantiate"),
            ("hydra.utils", "_locate"),
            ("numpy", "bytes_.tofile"),
            ("numpy", "recarray.tofile"),
            ("numpy._core.records", "recarray.dump"),
            ("numpy.ma", "MaskedArray.dump"),
            ("pandas.core.series", "Series.to_csv"),
            ("pandas.core.series", "Series.to_pickle"),
            ("pandas.io.formats.style", "Styler.to_html"),
            ("pathlib._local", "Path.write_text"),
            ("tracemalloc", "Snapshot.load"),
            ("omegaconf", "OmegaConf.save"),
            ("scipy._lib.array_api_compat._internal", "clone_module"),
            ("scipy._lib.array_api_compat.numpy", "clone_module"),
            ("numpy.lib._utils_impl", "_makenamedict"),
            // Review 31, second round: string-named method calls, a call trampoline, a
            // deprecated shim module, an unbound method that calls what its object holds,
            // and other names found by identity in packages installed beside the libraries.
            ("pandas.core.apply", "Apply._apply_str"),
            ("pandas.core.common", "apply_if_callable"),
            ("pandas.core.series", "Series.apply"),
            ("pandas.core.series", "Series.transform"),
            ("scipy.io.netcdf", "netcdf_file"),
            (
                "sklearn.preprocessing._function_transformer",
                "FunctionTransformer.transform",
            ),
            ("narwhals._spark_like.utils", "attrgetter"),
            ("dataclasses", "FunctionType"),
        ] {
            assert!(
                matches!(p.classify(module, name), Class::Denied { .. }),
                "{module}.{name}"
            );
        }
        // The classes themselves, and a name that only begins with a writer's, are not.
        assert_eq!(
            p.classify("pandas.core.series", "Series"),
            Class::Unknown,
            "pandas.core.series.Series"
        );
        assert_eq!(p.classify("mylib", "x.to_csv_path"), Class::Unknown);
    }

    #[test]
    fn a_denied_module_or_object_reached_under_another_modules_name_is_denied() {
        // Found by review: each was medium, and each runs code when loaded.
        let p = policy();
        for (m, n) in [
            // A leading underscore: `argparse._os` is `os`.
            ("argparse", "_os.system"),
            ("random", "_os.system"),
            ("collections", "_sys.modules"),
            ("sklearn", "_importlib.import_module"),
            // Through a module reached under its own name, an object's other name.
            ("cgitb", "inspect.attrgetter"),
            ("scipy._lib._array_api", "np_compat.load"),
            // A name listed as another name of a module.
            ("enum", "bltns.eval"),
            ("sklearn.utils.validation", "np.DataSource"),
            // Another name of a denied object, and attributes below it.
            ("joblib._memmapping_reducer", "loads"),
            ("joblib._memmapping_reducer", "load"),
            ("bz2", "_builtin_open"),
            ("collections", "_itemgetter"),
            ("joblib._memmapping_reducer", "loads.__call__"),
        ] {
            assert!(
                matches!(p.classify(m, n), Class::Denied { .. }),
                "{m}.{n} should be denied"
            );
        }
        // Names of the same shape that are no alias stay what they were.
        for (m, n, want) in [
            ("numpy.core.multiarray", "_reconstruct", "allowed"),
            ("torch._utils", "_rebuild_tensor_v2", "allowed"),
            ("collections", "OrderedDict", "allowed"),
            ("mylib", "_helper.run", "unknown"),
            ("mylib", "np_utils.fit", "unknown"),
            // A module imported alone runs nothing; a function may be named as a module is.
            ("argparse", "_os", "unknown"),
            ("mymod", "testing", "unknown"),
            ("mymod", "Plotter.mp", "unknown"),
            // No leading underscore is dropped unless listed (found by review: `_trace`,
            // `_code`, `_select` were read as the modules trace, code and select).
            ("scipy.sparse.linalg._expm_multiply", "_trace", "unknown"),
            ("re._compiler", "_code", "unknown"),
        ] {
            assert_eq!(p.classify(m, n).label(), want, "{m}.{n}");
        }
    }

    #[test]
    fn denies_os_system_and_its_aliases() {
        let p = policy();
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("subprocess", "Popen"),
            ("__builtin__", "eval"),
            ("builtins", "exec"),
            ("commands", "getoutput"),
            ("os.path", "join"),
        ] {
            assert!(
                matches!(p.classify(m, n), Class::Denied { .. }),
                "{m}.{n} should be denied"
            );
        }
    }

    #[test]
    fn denies_dotted_attribute_paths_into_dangerous_modules() {
        let p = policy();
        assert!(matches!(
            p.classify("pathlib", "os.system"),
            Class::Denied { .. }
        ));
        assert!(matches!(
            p.classify("torch", "serialization.os.system"),
            Class::Denied { .. }
        ));
    }

    #[test]
    fn a_denied_path_deep_in_a_long_dotted_name_is_found_in_linear_time() {
        // 200,000 components: checking every prefix at every start (quadratic) would take
        // minutes; each start only looks as far as the longest denylist key.
        let mut name = "a.".repeat(200_000);
        name.push_str("os.system");
        assert!(matches!(
            policy().classify("mylib", &name),
            Class::Denied { rule, .. } if rule == "os"
        ));
        name.push_str(".__globals__");
        assert!(matches!(
            policy().classify("mylib", &name),
            Class::Denied { rule, .. } if rule == "os"
        ));
        assert!(matches!(
            policy().classify("mylib", &"a.".repeat(200_000)),
            Class::Unknown
        ));
    }

    #[test]
    fn flags_dunder_attributes() {
        let p = policy();
        assert!(matches!(
            p.classify("numpy", "__builtins__"),
            Class::Dunder { .. }
        ));
        assert!(matches!(
            p.classify("collections", "OrderedDict.__class__"),
            Class::Dunder { .. }
        ));
    }

    #[test]
    fn higher_order_helpers_are_judged_by_use_only_under_their_exact_name() {
        let p = policy();
        let higher = |m, n| matches!(p.classify(m, n), Class::HigherOrder { .. });
        for (m, n) in [
            ("functools", "partial"),
            ("builtins", "map"),
            ("builtins", "getattr"),
            ("__builtin__", "filter"),
            // Python 2 names: both readings are helpers.
            ("__builtin__", "reduce"),
            ("itertools", "imap"),
        ] {
            assert!(higher(m, n), "{m}.{n} should be higher-order");
        }
        for (m, n) in [
            // Below a helper, another module's copy of it, a re-export: denied.
            ("functools", "partial.func"),
            ("_functools", "partial"),
            ("somelib", "functools.partial"),
            ("builtins", "hasattr"),
            ("operator", "attrgetter"),
            ("operator", "methodcaller"),
        ] {
            assert!(
                matches!(p.classify(m, n), Class::Denied { .. }),
                "{m}.{n} should be denied"
            );
        }
        assert_eq!(p.classify("functools", "partial").label(), "higher-order");
        let mut names: Vec<_> = p.higher_order().collect();
        names.sort_unstable();
        assert!(names.contains(&"functools.partial"), "{names:?}");
    }

    #[test]
    fn allows_common_model_globals_exactly() {
        let p = policy();
        assert_eq!(p.classify("collections", "OrderedDict"), Class::Allowed);
        assert_eq!(
            p.classify("torch._utils", "_rebuild_tensor_v2"),
            Class::Allowed
        );
        assert_eq!(p.classify("copy_reg", "_reconstructor"), Class::Allowed);
        // A dotted tail is not the allowlisted global.
        assert_ne!(
            p.classify("collections", "OrderedDict.fromkeys"),
            Class::Allowed
        );
    }

    #[test]
    fn does_not_confuse_submodules_with_stdlib_modules() {
        let p = policy();
        // scipy.signal is not the stdlib signal module.
        assert!(!matches!(
            p.classify("scipy.signal._filter_design", "ZerosPolesGain"),
            Class::Denied { .. }
        ));
    }

    #[test]
    fn user_allowlist_extends_the_builtin_one() {
        let p = Policy::new(&["mylib.layers.Dense".parse().unwrap()], true).unwrap();
        assert_eq!(p.classify("mylib.layers", "Dense"), Class::Allowed);
        assert_eq!(p.classify("mylib.layers", "Other"), Class::Unknown);
        assert_eq!(p.unknown_severity(), Severity::High);
        for bad in ["bad..name", "", " ", ".x", "x."] {
            assert!(bad.parse::<AllowedGlobal>().is_err(), "{bad:?}");
        }
        assert_eq!(
            " mylib.Dense ".parse::<AllowedGlobal>().unwrap().as_str(),
            "mylib.Dense"
        );
    }

    #[test]
    fn only_unmarked_builtin_allowlist_entries_make_new_objects() {
        let p = Policy::new(&["mylib.layers.Dense".parse().unwrap()], false).unwrap();
        assert!(p.makes_new_objects("sklearn.preprocessing._label", "LabelEncoder"));
        assert!(p.makes_new_objects("joblib.numpy_pickle", "NumpyArrayWrapper"));
        // Marked `not-fresh:`, as written or as fix_imports maps it.
        for (m, n) in [
            ("builtins", "str"),
            ("__builtin__", "str"),
            ("__builtin__", "unicode"),
            ("__builtin__", "basestring"),
            ("numpy", "object_"),
            ("numpy.core.multiarray", "scalar"),
            ("copyreg", "_reconstructor"),
            ("copy_reg", "_reconstructor"),
            ("copyreg", "__newobj__"),
        ] {
            assert!(!p.makes_new_objects(m, n), "{m}.{n}");
        }
        // Not vetted: on neither list, denied, or allowed by the user only.
        for (m, n) in [
            ("typing", "Text"),
            ("os", "system"),
            ("mylib.layers", "Dense"),
        ] {
            assert!(!p.makes_new_objects(m, n), "{m}.{n}");
        }
        // A global itself: on the built-in allowlist, marked or not.
        assert!(p.global_never_str("builtins", "str"));
        assert!(p.global_never_str("sklearn.preprocessing._label", "LabelEncoder"));
        assert!(!p.global_never_str("email.charset", "DEFAULT_CHARSET"));
        assert!(!p.global_never_str("mylib.layers", "Dense"));
        // The reason is read without its mark.
        assert_eq!(p.classify("numpy", "object_"), Class::Allowed);
        assert!(!p.allow["numpy.object_"].starts_with(NOT_FRESH));
    }

    #[test]
    fn parse_list_rejects_entries_without_reason() {
        assert!(parse_list("os.system\n").is_err());
        assert!(parse_list("# c\n\nos.*\tcode execution\n").unwrap()[0].path == "os");
    }
}
