//! [`ConfigError`]: every way a config file can fail to load, each naming the
//! file, the key path and the problem.

use std::fmt;
use std::path::PathBuf;

/// A place in the config file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text` (clamped to the text).
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Displays ` (line L, column C)` for a known location, nothing otherwise.
struct At(Option<Location>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(l) => write!(f, " ({l})"),
            None => Ok(()),
        }
    }
}

/// A config file that could not be loaded.
///
/// Display is one line: the file as given, then the key path and the problem,
/// e.g. `config/venue.toml: session[1] (name "LP1").heartbeat_secs: expected a
/// positive integer, found -3 (line 12, column 18)`. Session indexes are
/// 0-based, in file order. Secrets never appear in a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        /// The file as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The text is not valid TOML.
    #[error("{path}: TOML syntax error at {location}: {message}")]
    Syntax {
        /// The file as given.
        path: PathBuf,
        /// Where the parser stopped.
        location: Location,
        /// The parser's description.
        message: String,
    },
    /// Valid TOML, but a key is unknown, missing, of the wrong type, out of
    /// range, or inconsistent with another key.
    #[error("{path}: {key}: {problem}{}", At(*location))]
    Invalid {
        /// The file as given.
        path: PathBuf,
        /// The key path, e.g. `session[1] (name "LP1").resend.serve_max`.
        key: String,
        /// What was expected and what was found.
        problem: String,
        /// Where the offending value (or table) is, when known.
        location: Option<Location>,
    },
}

impl ConfigError {
    /// The key path of an [`Invalid`](ConfigError::Invalid) error.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::of_offset(text, 6),
            Location { line: 2, column: 1 }
        );
        // "bé = " is 6 bytes and 5 characters: the value starts at column 6.
        assert_eq!(
            Location::of_offset(text, 12),
            Location { line: 2, column: 6 }
        );
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }
}
