//! Reading the spanned TOML tree by hand: typed getters whose errors name the
//! file, the key path, what was expected, what was found and where.
//!
//! Walking `toml::de::DeTable` (every key and value carries its byte span)
//! instead of deriving serde types gives every error its key path and line,
//! lets unknown keys be reported with a suggestion, and keeps secrets out of
//! messages. Every string read here has `${NAME}` expanded from the
//! environment first.

use super::error::{ConfigError, Location};
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

/// Environment lookup: the value of a variable, or `None` when it is unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A spanned TOML value.
pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// The file being read: its name for messages, its text for line numbers,
/// and the environment for `${NAME}`.
pub(super) struct Doc<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub env: Env<'a>,
}

impl Doc<'_> {
    /// An [`ConfigError::Invalid`] at `span` (the whole value or header).
    pub fn invalid(
        &self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        problem: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            key: key.into(),
            problem: problem.into(),
            location: span.map(|s| Location::of_offset(self.text, s.start)),
        }
    }

    /// Expands `${NAME}` in `raw`; `$${` stands for a literal `${`.
    pub fn expand(&self, key: &str, raw: &str, span: &Range<usize>) -> Result<String, ConfigError> {
        if !raw.contains('$') {
            return Ok(raw.to_owned());
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let Some(end) = after.find('}') else {
                    return Err(self.invalid(
                        key,
                        Some(span.clone()),
                        "unterminated ${...}: expected ${NAME} (write $${ for a literal ${)",
                    ));
                };
                let name = &after[..end];
                if !is_env_name(name) {
                    return Err(self.invalid(
                        key,
                        Some(span.clone()),
                        // The text is not echoed: it may be part of a password.
                        "a ${...} here is not a valid environment variable reference: \
                         expected ${NAME} with NAME made of letters, digits and _ \
                         (write $${ for a literal ${)",
                    ));
                }
                match (self.env)(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        return Err(self.invalid(
                            key,
                            Some(span.clone()),
                            format!("environment variable {name} is not set"),
                        ))
                    }
                }
                rest = &after[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a value is, for "found ..." in messages. `reveal` shows scalars'
/// text; without it only the kind is named (for secrets).
pub(super) fn describe(v: &DeValue<'_>, reveal: bool) -> String {
    match (v, reveal) {
        (DeValue::String(s), true) => format!("{s:?}"),
        (DeValue::String(_), false) => "a string".into(),
        (DeValue::Integer(i), true) => i.to_string(),
        (DeValue::Integer(_), false) => "an integer".into(),
        (DeValue::Float(x), true) => x.to_string(),
        (DeValue::Float(_), false) => "a float".into(),
        (DeValue::Boolean(b), true) => b.to_string(),
        (DeValue::Boolean(_), false) => "a boolean".into(),
        (DeValue::Datetime(d), true) => format!("the date-time {d}"),
        (DeValue::Datetime(_), false) => "a date-time".into(),
        (DeValue::Array(_), _) => "an array".into(),
        (DeValue::Table(_), _) => "a table".into(),
    }
}

/// The integer value of a TOML integer (any radix), if it fits an `i128`.
pub(super) fn integer(v: &DeValue<'_>) -> Option<i128> {
    match v {
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// A string value after `${NAME}` expansion, with its key path and span.
#[derive(Debug)]
pub(super) struct Str {
    pub text: String,
    pub key: String,
    pub span: Range<usize>,
}

/// One TOML table and its key path, with typed getters.
pub(super) struct Section<'a, 'i> {
    pub doc: &'a Doc<'a>,
    /// Key path of the table, e.g. `session[0] (name "LP1").resend`; empty
    /// for the document root.
    pub prefix: String,
    pub table: &'a DeTable<'i>,
    /// The table's header (or inline table) span; `None` for the root.
    pub span: Option<Range<usize>>,
}

impl<'a, 'i> Section<'a, 'i> {
    /// The key path of `name` in this table.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The raw value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&'a Value<'i>> {
        self.table.get(name)
    }

    /// Whether `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// An error about key `name` at `span`.
    pub fn error(
        &self,
        name: &str,
        span: Option<Range<usize>>,
        problem: impl Into<String>,
    ) -> ConfigError {
        self.doc.invalid(self.key(name), span, problem)
    }

    /// "expected `expected`, found <value>" about `v`, the value of `name`.
    pub fn expected(&self, name: &str, v: &Value<'_>, expected: &str) -> ConfigError {
        self.error(
            name,
            Some(v.span()),
            format!("expected {expected}, found {}", describe(v.get_ref(), true)),
        )
    }

    /// Fails on the first key (in file order) not in `known`, suggesting the
    /// nearest known key.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<(), ConfigError> {
        let unknown = self
            .table
            .iter()
            .filter(|(k, _)| !known.contains(&&**k.get_ref()))
            .min_by_key(|(k, _)| k.span().start);
        let Some((k, _)) = unknown else {
            return Ok(());
        };
        let name: &str = k.get_ref();
        let hint = match nearest(name, known) {
            Some(s) => format!("unknown key (did you mean {s}?)"),
            None => format!("unknown key; expected one of: {}", known.join(", ")),
        };
        Err(self.error(name, Some(k.span()), hint))
    }

    /// An error saying `name` must be given.
    pub fn missing(&self, name: &str) -> ConfigError {
        self.missing_because(name, "required key is missing")
    }

    /// An error saying `name` must be given, with `problem` explaining why
    /// and the line of the table it belongs in.
    pub fn missing_because(&self, name: &str, problem: &str) -> ConfigError {
        let problem = match &self.span {
            Some(s) => format!(
                "{problem} (in the table starting at line {})",
                Location::of_offset(self.doc.text, s.start).line
            ),
            None => problem.to_owned(),
        };
        self.doc.invalid(self.key(name), None, problem)
    }

    /// A string value of `name`, `${NAME}`-expanded.
    pub fn string(&self, name: &str) -> Result<Option<Str>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => self.string_value(self.key(name), v, true).map(Some),
        }
    }

    /// A required string value of `name`.
    pub fn required_string(&self, name: &str) -> Result<Str, ConfigError> {
        self.string(name)?.ok_or_else(|| self.missing(name))
    }

    /// A secret string: messages about it never show its value.
    pub fn secret_string(&self, name: &str) -> Result<Option<Str>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => self.string_value(self.key(name), v, false).map(Some),
        }
    }

    /// `v` (at key path `key`) as an expanded string.
    pub fn string_value(
        &self,
        key: String,
        v: &Value<'_>,
        reveal: bool,
    ) -> Result<Str, ConfigError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(Str {
                text: self.doc.expand(&key, s, &v.span())?,
                key,
                span: v.span(),
            }),
            other => Err(self.doc.invalid(
                key,
                Some(v.span()),
                format!("expected a string, found {}", describe(other, reveal)),
            )),
        }
    }

    /// A boolean, or `default` when absent.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => Ok(*b),
                _ => Err(self.expected(name, v, "true or false")),
            },
        }
    }

    /// An integer in `range`, or `default` when absent.
    pub fn int<T: TryFrom<i128>>(
        &self,
        name: &str,
        range: RangeInclusive<i128>,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => self.int_value(name, v, range),
        }
    }

    /// `v`, the value of `name` (or of an element, named by `name`), as an
    /// integer in `range`.
    pub fn int_value<T: TryFrom<i128>>(
        &self,
        name: &str,
        v: &Value<'_>,
        range: RangeInclusive<i128>,
    ) -> Result<T, ConfigError> {
        integer(v.get_ref())
            .filter(|n| range.contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.expected(name, v, &range_text(&range)))
    }

    /// A number (integer or float), or `default` when absent.
    pub fn float(&self, name: &str, default: f64) -> Result<f64, ConfigError> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        let x = match v.get_ref() {
            DeValue::Float(x) => x.as_str().parse::<f64>().ok().filter(|x| x.is_finite()),
            DeValue::Integer(_) => integer(v.get_ref()).map(|n| n as f64),
            _ => None,
        };
        x.ok_or_else(|| self.expected(name, v, "a finite number"))
    }

    /// One of `choices` (by config spelling), or `default` when absent.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(s) = self.string(name)? else {
            return Ok(default);
        };
        match choices.iter().find(|(n, _)| *n == s.text) {
            Some((_, t)) => Ok(*t),
            None => {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
                Err(self.error(
                    name,
                    Some(s.span),
                    format!("expected one of {}, found {:?}", names.join(", "), s.text),
                ))
            }
        }
    }

    /// An array value of `name`, if present.
    pub fn array(&self, name: &str) -> Result<Option<&'a DeArray<'i>>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.get_ref() {
                DeValue::Array(a) => Ok(Some(a)),
                _ => Err(self.expected(name, v, "an array")),
            },
        }
    }

    /// The elements of array `name` as expanded strings (key paths
    /// `name[i]`); an empty list when absent.
    pub fn string_array(&self, name: &str) -> Result<Vec<Str>, ConfigError> {
        let Some(items) = self.array(name)? else {
            return Ok(Vec::new());
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| self.string_value(self.key(&format!("{name}[{i}]")), v, true))
            .collect()
    }

    /// The sub-table `name`, if present.
    pub fn table(&self, name: &str) -> Result<Option<Section<'a, 'i>>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => Ok(Some(Section {
                    doc: self.doc,
                    prefix: self.key(name),
                    table: t,
                    span: Some(v.span()),
                })),
                _ => Err(self.expected(name, v, "a table")),
            },
        }
    }

    /// The entries of this table in file order.
    pub fn entries(&self) -> Vec<(&'a str, &'a Value<'i>)> {
        let mut e: Vec<_> = self.table.iter().collect();
        e.sort_by_key(|(k, _)| k.span().start);
        e.into_iter().map(|(k, v)| (&**k.get_ref(), v)).collect()
    }
}

/// "a positive integer", "an integer from 1 to 4095", ...
fn range_text(range: &RangeInclusive<i128>) -> String {
    let (lo, hi) = (*range.start(), *range.end());
    match (lo, hi >= u32::MAX as i128) {
        (0, true) => "a non-negative integer".into(),
        (1, true) => "a positive integer".into(),
        (lo, true) => format!("an integer of at least {lo}"),
        (lo, false) => format!("an integer from {lo} to {hi}"),
    }
}

/// The known key `name` most likely meant: the closest by edit distance if
/// close enough to be a typo, else one that extends or shortens it
/// (`serve_maximum`, `initial`).
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let typo = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k);
    typo.or_else(|| {
        let stem = |a: &str, b: &str| b.len() >= 4 && a.starts_with(b);
        known
            .iter()
            .find(|k| stem(name, k) || stem(k, name))
            .copied()
    })
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_expand(raw: &str) -> Result<String, String> {
        let env = |n: &str| (n == "USER_1").then(|| "alice".to_owned());
        let doc = Doc {
            path: Path::new("t.toml"),
            text: "",
            env: &env,
        };
        doc.expand("k", raw, &(0..0)).map_err(|e| e.to_string())
    }

    #[test]
    fn expansion_replaces_references_and_keeps_other_dollars() {
        assert_eq!(doc_expand("${USER_1}").unwrap(), "alice");
        assert_eq!(doc_expand("a$b${USER_1}c$").unwrap(), "a$balicec$");
        assert_eq!(doc_expand("pa$$word").unwrap(), "pa$$word");
        assert_eq!(doc_expand("$${USER_1}").unwrap(), "${USER_1}");
        assert!(doc_expand("${NOPE}")
            .unwrap_err()
            .contains("NOPE is not set"));
        assert!(doc_expand("${USER_1").unwrap_err().contains("unterminated"));
        let e = doc_expand("${1X}").unwrap_err();
        assert!(e.contains("not a valid") && !e.contains("1X"), "{e}");
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let known = ["heartbeat_secs", "listen", "connect"];
        assert_eq!(nearest("hearbeat_secs", &known), Some("heartbeat_secs"));
        assert_eq!(nearest("lisen", &known), Some("listen"));
        assert_eq!(nearest("colour", &known), None);
        assert_eq!(nearest("heartbeat", &known), Some("heartbeat_secs"));
        assert_eq!(nearest("connect_addresses", &known), Some("connect"));
        assert_eq!(nearest("con", &known), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
