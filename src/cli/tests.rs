//! Unit tests of the command line's option checks.

use super::{FailOn, Failure};

const KNOWN: &[&str] = &["undefined_symbol", "missing_module", "unclassified"];

fn parse(ids: &[&str]) -> Result<FailOn, Failure> {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    FailOn::parse(&ids, KNOWN)
}

#[test]
fn fail_on_takes_known_names_and_any() {
    assert_eq!(parse(&[]).ok(), Some(FailOn::Never));
    assert_eq!(parse(&["any"]).ok(), Some(FailOn::Any));
    let both = parse(&["undefined_symbol", " missing_module"]).ok();
    assert_eq!(
        both,
        Some(FailOn::Categories(vec![
            "undefined_symbol".into(),
            "missing_module".into()
        ]))
    );
}

#[test]
fn fail_on_rejects_empty_and_unknown_names_listing_the_valid_ones() {
    for bad in [&[""][..], &[" "], &["undefined_symbol", ""], &["bogus"]] {
        let Err(Failure(why)) = parse(bad) else {
            panic!("{bad:?} accepted");
        };
        assert!(
            why.ends_with(
                "valid: any, new, regressed, undefined_symbol, missing_module, unclassified"
            ),
            "{why}"
        );
    }
}
