//! The command line's partial reports: making one from a file or standard input, reading
//! them from files and standard input, one per line, and writing one.

use super::input::{grow_pipe, Progress};
use crate::{Format, Partial, Triage, TriageBuilder};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};

/// `--input-format`: the formats a shard may be read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum InputFormat {
    Array,
    Ndjson,
    Text,
}

impl From<InputFormat> for crate::Format {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Array => crate::Format::Array,
            InputFormat::Ndjson => crate::Format::Ndjson,
            InputFormat::Text => crate::Format::Text,
        }
    }
}

/// The partial report of `file` (standard input when `None`), read as `format`. A regular
/// file named by `path` (`regular`: its length) records where it lies, so that `merge` can
/// check the order.
pub(super) fn partial_of(
    triage: &Triage,
    file: Option<File>,
    regular: Option<u64>,
    path: Option<&Path>,
    format: Option<Format>,
    progress: &Progress,
) -> crate::Result<Partial> {
    let partial = match (file, regular) {
        (Some(mut file), Some(len)) => {
            let start = file.stream_position()?;
            let mut partial = triage.partial(progress.counted(&file), format)?;
            // Standard input has no name to tell one file from another: shards redirected
            // from two files are not one file's, and their order is the user's to keep.
            if let Some(path) = path.filter(|p| p.as_os_str() != "-") {
                partial.set_position(&path.display().to_string(), start, len.max(start));
            }
            partial
        }
        (Some(file), None) => {
            grow_pipe(&file);
            triage.partial(progress.counted(file), format)?
        }
        (None, _) => triage.partial(progress.counted(io::stdin()), format)?,
    };
    progress.done();
    Ok(partial)
}

/// The partials of `paths` merged in order, and the triage that merged them: the settings
/// the partials were made with, the rules files and known issues given to the command.
pub(super) fn merged(
    paths: &[PathBuf],
    rules: &[PathBuf],
    known_issues: &[PathBuf],
) -> Result<(Triage, Partial), String> {
    let mut triage: Option<Triage> = None;
    let mut merged: Option<Partial> = None;
    each_partial(paths, |label, partial| {
        let t = match &triage {
            Some(t) => t,
            None => {
                let mut builder = TriageBuilder::new();
                builder.settings_of(&partial);
                for rules in rules {
                    builder.rules_file(rules);
                }
                for known in known_issues {
                    builder.known_issues_file(known);
                }
                triage.insert(builder.build().map_err(|e| e.to_string())?)
            }
        };
        let next = match merged.take() {
            None => t.check_partial(&partial).map(|()| partial),
            Some(m) => t.merge_partials(m, partial),
        };
        merged = Some(next.map_err(|e| format!("{label}: {e}"))?);
        Ok(())
    })?;
    match (triage, merged) {
        (Some(triage), Some(merged)) => Ok((triage, merged)),
        _ => Err("merge: no partial report on standard input".to_string()),
    }
}

/// Reads the partials of `paths` in order (a file may hold several, one per line; `-` is
/// standard input, one per line) and hands each to `each` with a label naming where it
/// came from (`FILE`, or `FILE:LINE` when the file holds more than its first).
fn each_partial(
    paths: &[PathBuf],
    mut each: impl FnMut(&str, Partial) -> Result<(), String>,
) -> Result<(), String> {
    for path in paths {
        let stdin = path.as_os_str() == "-";
        let name = if stdin {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        let reader: Box<dyn BufRead> = if stdin {
            Box::new(io::stdin().lock())
        } else {
            let file = File::open(path)
                .map_err(|e| format!("{name}: cannot open the partial report: {e}"))?;
            Box::new(BufReader::new(file))
        };
        let mut found = 0;
        for (i, line) in reader.lines().enumerate() {
            let label = match i {
                0 if !stdin => name.clone(),
                _ => format!("{name}:{}", i + 1),
            };
            let line = line.map_err(|e| format!("{label}: cannot read: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            found += 1;
            let partial = Partial::from_json(&line).map_err(|e| format!("{label}: {e}"))?;
            each(&label, partial)?;
        }
        if found == 0 && !stdin {
            return Err(format!("{name}: no partial report in it (empty file)"));
        }
    }
    Ok(())
}

/// One partial, on one line.
pub(super) fn write_partial(out: &mut impl Write, partial: &Partial) -> io::Result<()> {
    out.write_all(partial.to_json().as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}
