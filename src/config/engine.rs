//! `[engine]`: process-wide settings.

use super::reader::Section;
use super::{resolve, ConfigError, EngineConfig, IdleKind};
use crate::journal::Durability;
use std::path::Path;

const KEYS: &[&str] = &[
    "journal_dir",
    "idle",
    "durability",
    "cores",
    "segment_size_mb",
    "log_level",
];

/// The journal's segment limit is just under 4 GiB.
const SEGMENT_SIZE_MB_MAX: i128 = 4095;

/// Builds [`EngineConfig`] from the `[engine]` table; relative paths resolve
/// against `base`, the config file's folder.
pub(super) fn parse(t: &Section<'_, '_>, base: &Path) -> Result<EngineConfig, ConfigError> {
    t.deny_unknown(KEYS)?;
    let journal_dir = t.required_string("journal_dir")?;
    if journal_dir.text.is_empty() {
        return Err(t.error(
            "journal_dir",
            Some(journal_dir.span),
            "expected a directory path, found an empty string",
        ));
    }
    let durability = match t.string("durability")? {
        None => Durability::default(),
        Some(s) => Durability::from_name(&s.text).ok_or_else(|| {
            t.error(
                "durability",
                Some(s.span.clone()),
                format!(
                    "expected one of \"page-cache\", \"async\", \"sync\", found {:?}",
                    s.text
                ),
            )
        })?,
    };
    let log_level = match t.string("log_level")? {
        None => "info".to_owned(),
        Some(s) => match tracing_subscriber::EnvFilter::try_new(&s.text) {
            Ok(_) => s.text,
            Err(e) => {
                return Err(t.error(
                    "log_level",
                    Some(s.span),
                    format!("not a valid tracing filter ({e}), found {:?}", s.text),
                ))
            }
        },
    };
    Ok(EngineConfig {
        journal_dir: resolve(base, &journal_dir.text),
        idle: t.choice("idle", &IdleKind::NAMES, IdleKind::default())?,
        durability,
        cores: cores(t)?,
        segment_size_mb: t.int("segment_size_mb", 1..=SEGMENT_SIZE_MB_MAX, 64)?,
        log_level,
    })
}

/// `cores`: distinct CPU ids.
fn cores(t: &Section<'_, '_>) -> Result<Vec<usize>, ConfigError> {
    let Some(items) = t.array("cores")? else {
        return Ok(Vec::new());
    };
    let mut cores = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let name = format!("cores[{i}]");
        let core: usize = t.int_value(&name, v, 0..=u32::MAX as i128)?;
        if let Some(j) = cores.iter().position(|c| *c == core) {
            return Err(t.error(
                &name,
                Some(v.span()),
                format!("CPU {core} is already listed as cores[{j}]"),
            ));
        }
        cores.push(core);
    }
    Ok(cores)
}
