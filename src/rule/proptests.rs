//! Property tests of coverage: rewriting a pattern without changing its meaning does
//! not change what it covers.

use proptest::prelude::*;
use proptest::sample::select;

use super::{coverage, default_rule};
use crate::pattern::parse;

/// Clauses for the coverage invariants: real events, near misses, narrowing conditions.
fn clause() -> impl Strategy<Value = String> {
    let event = select(default_rule().events());
    prop_oneof![
        event.clone().prop_map(|e| format!("$.eventName = {e}")),
        event.clone().prop_map(|e| format!("$.eventName = \"{e}\"")),
        event.prop_map(|e| format!("$.eventName=X{e}")),
        select(&["IAMUser", "Root", "AssumedRole"][..]).prop_map(|t| format!("$.userIdentity.type = {t}")),
        Just("$.eventSource = iam.amazonaws.com".to_owned()),
        Just("$.errorCode NOT EXISTS".to_owned()),
        Just("$.errorCode = AccessDenied".to_owned()),
    ]
}

fn wrap(expr: &str, times: usize) -> String {
    format!("{}{expr}{}", "(".repeat(times), ")".repeat(times))
}

fn coverage_key(p: &str) -> (bool, Vec<&'static str>, Vec<super::Variant>, Vec<super::Variant>) {
    let mut c = coverage(default_rule(), &parse(p).unwrap_or_else(|e| panic!("{p}: {e}")));
    c.missing_variants.sort();
    c.failed_calls_matched.sort();
    (c.covers_all, c.missing, c.missing_variants, c.failed_calls_matched)
}

proptest! {
    // At least 512 cases (PROPTEST_CASES raises it). No regression files: they
    // would land outside this module's directory.
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases.max(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reordering_or_clauses_keeps_coverage(
        clauses in prop::collection::vec(clause(), 1..20),
        seed in any::<u64>(),
    ) {
        let original = format!("{{ {} }}", clauses.join(" || "));
        let mut shuffled = clauses.clone();
        // Fisher-Yates with a simple generator: proptest shrinks `seed`, not the permutation.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let reordered = format!("{{ {} }}", shuffled.join(" || "));
        prop_assert_eq!(coverage_key(&original), coverage_key(&reordered));
    }

    #[test]
    fn redundant_parentheses_keep_coverage(
        clauses in prop::collection::vec((clause(), 0usize..4), 1..12),
        outer in 0usize..4,
        and_tail in prop::option::of(clause()),
    ) {
        let plain: Vec<String> = clauses.iter().map(|(c, _)| c.clone()).collect();
        let wrapped: Vec<String> = clauses.iter().map(|(c, n)| wrap(c, *n)).collect();
        let tail = and_tail.map(|t| format!(" && {t}")).unwrap_or_default();
        // `a || b && t` groups as `a || (b && t)`, so parenthesize only whole operands.
        let p1 = format!("{{ {}{tail} }}", plain.join(" || "));
        let p2 = format!("{{ {}{tail} }}", wrapped.join(" || "));
        let last = wrapped.len() - 1;
        let mut grouped = wrapped.clone();
        grouped[last] = format!("({}{tail})", grouped[last]);
        let p3 = format!("{{ {} }}", wrap(&grouped.join(" || "), outer));
        let key = coverage_key(&p1);
        prop_assert_eq!(&key, &coverage_key(&p2));
        prop_assert_eq!(&key, &coverage_key(&p3));
    }
}
