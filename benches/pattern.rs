//! Criterion benchmarks of the filter pattern engine and the rule's coverage.
//!
//! Goals: coverage of a pattern under 100 µs; matching at least 200,000
//! CloudTrail records per second per core.
//!
//! Run: `cargo bench --bench pattern`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use iam_policy_alarm::pattern;
use iam_policy_alarm::rule::{self, default_rule, CallResult, IdentityType};

fn security_hub_pattern() -> String {
    let clauses: Vec<String> = default_rule()
        .events()
        .iter()
        .map(|e| format!("($.eventName={e})"))
        .collect();
    format!("{{($.eventSource=iam.amazonaws.com) && ({})}}", clauses.join(" || "))
}

/// The mission's rule's canonical pattern (CIS 4.4).
fn canonical_pattern() -> &'static str {
    &default_rule().canonical_pattern
}

fn parse_and_coverage(c: &mut Criterion) {
    let iam = default_rule();
    // Build the record corpus once, outside the measurements (it is a `OnceLock`).
    let canonical = pattern::parse(canonical_pattern()).unwrap();
    assert!(rule::coverage(iam, &canonical).covers_all);

    c.bench_function("parse/canonical", |b| {
        b.iter(|| pattern::parse(black_box(canonical_pattern())).unwrap())
    });
    c.bench_function("coverage/canonical (parsed)", |b| {
        b.iter(|| rule::coverage(iam, black_box(&canonical)))
    });
    c.bench_function("parse+coverage/canonical", |b| {
        b.iter(|| {
            let p = pattern::parse(black_box(canonical_pattern())).unwrap();
            rule::coverage(iam, &p).covers_all
        })
    });
    let hub = security_hub_pattern();
    c.bench_function("parse+coverage/security-hub", |b| {
        b.iter(|| rule::coverage(iam, &pattern::parse(black_box(&hub)).unwrap()).covers_all)
    });
    c.bench_function("parse+coverage/term \"CreatePolicy\"", |b| {
        b.iter(|| rule::coverage(iam, &pattern::parse(black_box("\"CreatePolicy\"")).unwrap()).covers_all)
    });
}

fn matching(c: &mut Criterion) {
    let record = &default_rule()
        .sample_record("PutRolePolicy", IdentityType::AssumedRole, CallResult::Success)
        .unwrap()
        .json;
    let mut group = c.benchmark_group(format!("match/{}-byte CloudTrail record", record.len()));
    group.throughput(Throughput::Elements(1));
    for (name, text) in [
        ("canonical", canonical_pattern().to_owned()),
        ("security-hub", security_hub_pattern()),
        (
            "nested selector",
            "{ $.userIdentity.sessionContext.sessionIssuer.userName = PlatformAdmin }".to_owned(),
        ),
        ("regex", "{ $.eventName = %Policy$% }".to_owned()),
        ("term", "\"PutRolePolicy\" -AccessDenied".to_owned()),
    ] {
        let p = pattern::parse(&text).unwrap();
        assert!(pattern::matches(&p, record).matched, "{name}");
        group.bench_function(name, |b| b.iter(|| pattern::matches(&p, black_box(record)).matched));
    }
    group.finish();
}

/// The pattern engine's worst cases on a 4 MB event (the unit test
/// `long_worst_case_inputs_do_not_match` holds the same list to its verdicts): each
/// must take time linear in the event, about 4 MB / the matcher's speed.
fn worst_case(c: &mut Criterion) {
    let big = "a ".repeat(2_000_000);
    let mut group = c.benchmark_group("worst case/4 MB event");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(big.len() as u64));
    for p in [
        "[..., x = b, ..., y = c, ..., z = d]",
        "%c|a*a*ab%",
        "%a*a*a*a*a*b%",
        "a b -c",
        "{ $.a = 1 }",
    ] {
        let pattern = pattern::parse(p).unwrap();
        group.bench_function(p, |b| b.iter(|| pattern::matches(&pattern, black_box(&big)).matched));
    }
    group.finish();
}

criterion_group!(benches, parse_and_coverage, matching, worst_case);
criterion_main!(benches);
