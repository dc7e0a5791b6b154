//! Linking an event to the tracker issue that quotes it: an index of the issues' titles and
//! bodies, and the score of each issue for an event's [`Term`]s.
//!
//! A term found in an issue adds its weight times its rarity: `ln((N + 1) / df) / ln(N + 1)`
//! for `N` issues of which `df` contain it (1 for a term of one issue, near 0 for a term
//! every issue has), half as much again when the title holds it. The best issue is linked
//! when its score reaches [`THRESHOLD`] and is at least [`MARGIN`] times the next one's;
//! common words ([`super::terms::is_common`]) never count.

use super::terms::{trim_token, words, Term};
use memchr::memmem;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// The least score that links: a subject alone, or a module path and a function, or a
/// phrase and a rare word; never a few words or a bare exception type.
pub(crate) const THRESHOLD: f64 = 2.5;
/// How many times the next issue's score the best one's must be: two issues close in
/// score are two candidates, and linking either would be a guess.
pub(crate) const MARGIN: f64 = 1.5;
/// A term in the title counts this many times: the title says what the issue is about, the
/// body may quote much besides.
const TITLE_BONUS: f64 = 1.5;
/// Tokens longer than this (a base64 blob, a minified payload) are not indexed.
const MAX_TOKEN: usize = 200;

/// The issues' tokens and words.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextIndex {
    /// Each token: the issues that hold it, once each, and whether their title does.
    postings: FxHashMap<Box<str>, Vec<(u32, bool)>>,
    /// Each issue's words, lower case, between single spaces (and one at each end), where
    /// phrases are searched.
    words: Vec<String>,
}

/// The issue an event is linked to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hit {
    /// Its index among the documents the index was built from.
    pub(crate) doc: usize,
    /// Its score, rounded to two decimals.
    pub(crate) score: f64,
    /// The terms found in it, highest contribution first.
    pub(crate) terms: Vec<String>,
}

impl TextIndex {
    /// The index of `docs`, each a title and a body.
    pub(crate) fn new<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut index = TextIndex::default();
        for (n, (title, body)) in docs.into_iter().enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            // Case is folded once per text: its tokens are slices of it, not copies.
            let (title, body) = (title.to_lowercase(), body.to_lowercase());
            let mut seen: FxHashMap<&str, bool> = FxHashMap::default();
            for (text, in_title) in [(title.as_str(), true), (body.as_str(), false)] {
                tokens(text, &mut |token| {
                    let was = seen.entry(token).or_insert(in_title);
                    *was |= in_title;
                });
            }
            for (token, in_title) in seen {
                match index.postings.get_mut(token) {
                    Some(docs) => docs.push((n, in_title)),
                    None => {
                        index.postings.insert(token.into(), vec![(n, in_title)]);
                    }
                }
            }
            let mut all = String::with_capacity(title.len() + body.len() + 2);
            all.push(' ');
            for word in words(&title).chain(words(&body)) {
                all.push_str(word);
                all.push(' ');
            }
            index.words.push(all);
        }
        index
    }

    /// How many documents it holds.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// The document that `terms` clearly point to, if one does.
    pub(crate) fn best(&self, terms: &[Term]) -> Option<Hit> {
        let n = self.len() as f64;
        let rarity = |df: usize| ((n + 1.0) / df.max(1) as f64).ln() / (n + 1.0).ln();
        // Per document: its score and the (contribution, term) found in it.
        let mut found: HashMap<u32, (f64, Vec<(f64, usize)>)> = HashMap::new();
        for (t, term) in terms.iter().enumerate().filter(|(_, t)| !t.phrase) {
            let Some(docs) = self.postings.get(term.key.as_str()) else {
                continue;
            };
            let r = rarity(docs.len());
            for &(doc, in_title) in docs {
                let bonus = if in_title { TITLE_BONUS } else { 1.0 };
                let add = term.weight * r * bonus;
                let slot = found.entry(doc).or_default();
                slot.0 += add;
                slot.1.push((add, t));
            }
        }
        // A phrase's words are terms too: a document without any of them cannot hold it.
        for (t, term) in terms.iter().enumerate().filter(|(_, t)| t.phrase) {
            let needle = format!(" {} ", term.key);
            let finder = memmem::Finder::new(needle.as_bytes());
            let holding: Vec<u32> = found
                .keys()
                .copied()
                .filter(|&d| {
                    self.words
                        .get(d as usize)
                        .is_some_and(|w| finder.find(w.as_bytes()).is_some())
                })
                .collect();
            let r = rarity(holding.len());
            for doc in holding {
                let slot = found.entry(doc).or_default();
                slot.0 += term.weight * r;
                slot.1.push((term.weight * r, t));
            }
        }
        let mut ranked: Vec<(u32, f64)> = found.iter().map(|(&d, s)| (d, s.0)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (doc, score) = *ranked.first()?;
        let next = ranked.get(1).map_or(0.0, |r| r.1);
        if score < THRESHOLD || next * MARGIN > score {
            return None;
        }
        let mut parts = found.remove(&doc)?.1;
        parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Some(Hit {
            doc: doc as usize,
            score: (score * 100.0).round() / 100.0,
            terms: parts
                .iter()
                .filter_map(|&(_, t)| terms.get(t).map(|t| t.shown.clone()))
                .collect(),
        })
    }
}

/// Calls `each` with every token of `text` (already in lower case): each run of letters,
/// digits and `_ . : / -` (trimmed of `. : / -` at its ends), its pieces between `/`, `:`
/// and `-`, and their pieces between dots. `10.0.0.5:6379` gives itself, `10.0.0.5`, `6379`
/// and the numbers; `/app/netra_backend/app/smd.py` gives `smd.py` and `smd`.
pub(crate) fn tokens<'t>(text: &'t str, each: &mut dyn FnMut(&'t str)) {
    let is_token_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-');
    for run in text.split(|c: char| !is_token_char(c)) {
        let token = trim_token(run);
        if token.is_empty() || token.len() > MAX_TOKEN {
            continue;
        }
        each(token);
        if !token.contains(['/', ':', '-', '.']) {
            continue;
        }
        for coarse in token.split(['/', ':', '-']).map(trim_token) {
            if coarse.is_empty() {
                continue;
            }
            if coarse != token {
                each(coarse);
            }
            if coarse.contains('.') {
                for fine in coarse.split('.').filter(|f| !f.is_empty()) {
                    each(fine);
                }
            }
        }
    }
}
