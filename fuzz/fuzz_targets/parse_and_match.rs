//! Any bytes as a pattern and a message: parsing, matching and coverage must
//! never panic, overflow the stack or hang, and their internal cross-checks
//! must hold.
//!
//! Input layout: pattern bytes, a NUL byte, message bytes. Without a NUL the
//! whole input serves as both.

#![no_main]

#[path = "../../src/pattern/mod.rs"]
mod pattern;
// The rule's corpus and coverage use only the pattern language (`crate::pattern`) and
// the transformer model (`crate::transformer`, for filters on transformed logs).
#[path = "../../src/rule/mod.rs"]
#[allow(dead_code)]
mod rule;
#[path = "../../src/transformer.rs"]
#[allow(dead_code)]
mod transformer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (p, m) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let p = String::from_utf8_lossy(p);
    let m = String::from_utf8_lossy(m);
    match pattern::parse(&p) {
        Ok(parsed) => {
            let r = pattern::matches(&parsed, &m);
            assert!(r.matched || r.extracted.is_empty());
            // The one-pass JSON reader and the parsed-Value path must agree.
            pattern::self_check(&parsed, &m);
            // Each rule in turn, as the input picks it.
            let judged = &rule::all()[data.len() % rule::all().len()];
            let c = rule::coverage(judged, &parsed);
            assert_eq!(c.covers_all, c.missing.is_empty());
            let required = judged
                .sample_records()
                .iter()
                .filter(|r| r.result == rule::CallResult::Success)
                .count();
            assert_eq!(c.required_records, required);
            // Coverage reads JSON records through a parsed Value, `matches` through the
            // one-pass reader: they must agree. One record per event, identity chosen by
            // the input, keeps this cheap enough to run on every input.
            if parsed.kind() == pattern::PatternKind::Json {
                let pick = data.len() % rule::IdentityType::ALL.len();
                for rec in judged.sample_records().iter().filter(|r| {
                    r.result == rule::CallResult::Success && r.identity == rule::IdentityType::ALL[pick]
                }) {
                    let missed = c
                        .missing_variants
                        .iter()
                        .any(|v| v.event == rec.event && v.identity == rec.identity);
                    let by_text = pattern::matches(&parsed, &rec.json).matched;
                    assert_eq!(by_text, !missed, "coverage and matches disagree on {}", rec.json);
                }
            }
        }
        Err(e) => {
            assert!(e.position() <= p.chars().count());
            assert!(e.to_string().starts_with("invalid filter pattern at position "));
        }
    }
});
