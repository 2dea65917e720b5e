//! Stable journal session ids: `sessions.ids` in the journal directory maps
//! session names to ids, so reordering the config never mixes sessions'
//! sequence numbers. New names take the lowest free id.

use super::EngineError;
use crate::journal::JournalError;
use std::path::Path;

const FILE: &str = "sessions.ids";

/// The id of each name (in order), recording new ones.
pub(crate) fn assign(
    dir: &Path,
    names: &[&str],
    sessions_max: u32,
) -> Result<Vec<u32>, EngineError> {
    let path = dir.join(FILE);
    let io = |what: &'static str, e: std::io::Error| {
        EngineError::Journal(JournalError::Io {
            path: path.clone(),
            what,
            source: e,
        })
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io("read session ids", e)),
    };
    let mut known: Vec<(u32, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .split_once(' ')
            .and_then(|(id, name)| Some((id.parse::<u32>().ok()?, name.to_string())));
        match parsed {
            Some(p) => known.push(p),
            None => {
                return Err(EngineError::Session {
                    session: String::new(),
                    problem: format!(
                        "{}:{}: expected `<id> <session name>`, found {line:?}",
                        path.display(),
                        n + 1
                    ),
                })
            }
        }
    }
    let mut changed = false;
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match known.iter().find(|(_, n)| n == name) {
            Some((id, _)) => *id,
            None => {
                let id = (0..sessions_max)
                    .find(|i| known.iter().all(|(k, _)| k != i))
                    .ok_or_else(|| EngineError::Session {
                        session: name.to_string(),
                        problem: format!(
                            "no free journal session id (sessions_max = {sessions_max})"
                        ),
                    })?;
                known.push((id, name.to_string()));
                changed = true;
                id
            }
        };
        ids.push(id);
    }
    if changed {
        let mut out = String::from(
            "# journal session id, session name (written by fixrail; do not reuse ids)\n",
        );
        for (id, name) in &known {
            out.push_str(&format!("{id} {name}\n"));
        }
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, out).map_err(|e| io("write session ids", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("rename session ids", e))?;
    }
    Ok(ids)
}
