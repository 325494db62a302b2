//! Every rule file, judged by its own data: the benchmark's pattern covers the rule, a
//! pattern that misses one case or is narrowed by a condition does not, and no rule's
//! pattern counts the routine background.

use super::*;
use crate::pattern::parse;

fn cov(rule: &'static Rule, p: &str) -> Coverage {
    coverage(rule, &parse(p).unwrap_or_else(|e| panic!("{}: {p}: {e}", rule.id)))
}

/// `pattern` with every whole-word `name` misspelled, so its clause matches nothing.
fn misspelled(pattern: &str, name: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + name.len()..].chars().next();
        out.push_str(&rest[..at]);
        if !word(before) && !word(after) {
            out.push('X');
        }
        out.push_str(name);
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

/// The predicate rules' own omissions: (rule, text replaced, by, a case it then misses).
const PREDICATE_OMISSIONS: [(&str, &str, &str, &str); 5] = [
    (
        "unauthorized-api-calls",
        "\"*UnauthorizedOperation\"",
        "\"*UnauthorizedOperationX\"",
        "UnauthorizedOperation",
    ),
    (
        "unauthorized-api-calls",
        "\"AccessDenied*\"",
        "\"XAccessDenied*\"",
        "AccessDenied",
    ),
    (
        "console-signin-without-mfa",
        "\"ConsoleLogin\"",
        "\"ConsoleLoginX\"",
        "",
    ),
    ("root-usage", "\"Root\"", "\"RootX\"", ""),
    (
        "console-auth-failures",
        "\"Failed authentication\"",
        "\"Failed authenticationX\"",
        "",
    ),
];

#[test]
fn every_rule_file_loads_with_a_unique_id_and_names() {
    let rules = all();
    assert_eq!(rules.len(), FILES.len());
    for (i, rule) in rules.iter().enumerate() {
        for other in &rules[i + 1..] {
            assert_ne!(rule.id, other.id);
            assert_ne!(rule.filter.name, other.filter.name, "{} and {}", rule.id, other.id);
            assert_ne!(rule.alarm.name, other.alarm.name, "{} and {}", rule.id, other.id);
            assert_ne!(
                (&rule.filter.metric_namespace, &rule.filter.metric_name),
                (&other.filter.metric_namespace, &other.filter.metric_name),
                "{} and {}",
                rule.id,
                other.id
            );
        }
        assert!(!rule.cases.is_empty() && !rule.record_sources.is_empty(), "{}", rule.id);
        assert!(
            rule.controls.iter().any(|c| c.standard.starts_with("CIS")),
            "{}",
            rule.id
        );
        let labels: std::collections::BTreeSet<_> = rule.cases.iter().map(|c| &c.event).collect();
        assert_eq!(labels.len(), rule.cases.len(), "{}: case labels are unique", rule.id);
    }
    assert_eq!(default_rule().id, DEFAULT_RULE);
    assert_eq!(default_rule().cases.len(), 16);
}

#[test]
fn the_benchmarks_own_patterns_cover_their_rule_and_count_no_routine_event() {
    for rule in all() {
        let published = std::iter::once(rule.canonical_pattern.as_str())
            .chain(rule.other_benchmark_patterns.iter().map(|p| p.pattern.as_str()));
        for p in published {
            let c = cov(rule, p);
            assert!(c.covers_all, "{}: {}", rule.id, c.summary());
            assert!(c.routine_matched.is_empty(), "{}: {:?}", rule.id, c.routine_matched);
        }
    }
}

/// A change rule's pattern that leaves out one event misses exactly what it left out;
/// a predicate rule's pattern with its test broken misses the cases it selected.
#[test]
fn a_pattern_missing_one_case_fails_its_rule() {
    let mut tried = 0;
    for rule in all() {
        for case in &rule.cases {
            let name = case.event_name();
            let changed = misspelled(&rule.canonical_pattern, name);
            if changed == rule.canonical_pattern || case.name.is_some() {
                continue;
            }
            let c = cov(rule, &changed);
            assert!(!c.covers_all, "{}: without {name}: {}", rule.id, c.summary());
            assert!(c.missing.contains(&case.event.as_str()), "{}: {:?}", rule.id, c.missing);
            tried += 1;
        }
        for (id, from, to, missed) in PREDICATE_OMISSIONS.iter().filter(|o| o.0 == rule.id) {
            assert!(rule.canonical_pattern.contains(from), "{id}: {from}");
            let c = cov(rule, &rule.canonical_pattern.replace(from, to));
            assert!(!c.covers_all, "{id}: {to}");
            assert!(c.missing.iter().all(|m| m.contains(missed)), "{id}: {:?}", c.missing);
            tried += 1;
        }
    }
    assert!(tried >= 90, "{tried}");
}

#[test]
fn a_pattern_narrowed_by_a_condition_fails_its_rule() {
    for rule in all() {
        let inner = rule
            .canonical_pattern
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}');
        let narrowed = format!("{{ ({inner}) && ($.sourceIPAddress != \"10.1.2.3\") }}");
        let c = cov(rule, &narrowed);
        assert!(!c.covers_all && !c.narrowed.is_empty(), "{}: {c:?}", rule.id);
        assert_eq!(
            c.narrowed[0].records_with, "$.sourceIPAddress = \"10.1.2.3\"",
            "{}",
            rule.id
        );
        if rule.cases.iter().any(|k| k.identities.len() > 1) {
            let c = cov(rule, &format!("{{ ({inner}) && ($.userIdentity.type = IAMUser) }}"));
            assert!(!c.covers_all, "{}: {}", rule.id, c.summary());
        }
    }
}

/// What the benchmark sanctions leaving out is declared in the rule's data, and only
/// that: a pattern that leaves out something else fails.
#[test]
fn only_declared_exclusions_are_sanctioned() {
    for rule in all() {
        for (field, value) in &rule.sanctioned_exclusions {
            let inner = rule
                .canonical_pattern
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}');
            let excluding = format!("{{ ({inner}) && ({field} != \"{value}\") }}");
            assert!(cov(rule, &excluding).covers_all, "{}: {excluding}", rule.id);
            let other = format!("{{ ({inner}) && ({field} != \"{value}-other\") }}");
            assert!(!cov(rule, &other).covers_all, "{}: {other}", rule.id);
        }
    }
}

// The fix text once spelled these by hand: the spec must print them the same way.
#[test]
fn the_alarm_spec_prints_as_the_documented_remediation() {
    assert_eq!(WANTED_ALARM.summary(), "Sum >= 1 over 300 s");
    assert_eq!(
        WANTED_ALARM.cli_arguments(),
        "--statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching"
    );
}

#[test]
fn the_iam_canonical_pattern_names_each_event_once() {
    let rule = default_rule();
    for event in rule.events() {
        assert_eq!(
            rule.canonical_pattern.matches(&format!("= {event})")).count(),
            1,
            "{event}"
        );
    }
}

#[test]
fn titles_read_inside_a_sentence() {
    let title = |id| by_id(id).unwrap().in_sentence();
    assert_eq!(title("root-usage"), "root user calls");
    assert_eq!(title("iam-policy-changes"), "IAM policy changes");
    assert_eq!(title("cloudtrail-changes"), "CloudTrail configuration changes");
    assert_eq!(title("console-signin-without-mfa"), "console sign-ins without MFA");
}

#[test]
fn misspelling_touches_whole_names_only() {
    assert_eq!(
        misspelled(
            "($.eventName = CreateRoute) || ($.eventName = CreateRouteTable)",
            "CreateRoute"
        ),
        "($.eventName = XCreateRoute) || ($.eventName = CreateRouteTable)"
    );
}

/// docs/rules.md's table, as the rule files say it.
fn rules_table() -> String {
    let mut out = String::from(
        "| id | CIS v5.0 | Security Hub | Conformity | cases | filter / metric / alarm remediation writes |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in all() {
        let control = |standard: &str, versions: Option<&str>| {
            rule.controls
                .iter()
                .find(|c| c.standard.starts_with(standard) && versions.is_none_or(|v| c.versions.contains(v)))
                .map_or("-".to_string(), |c| c.id.clone())
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} {} | `{}` / `{}/{}` / `{}` |\n",
            rule.id,
            control("CIS", Some("5.0.0")),
            rule.security_hub_control.as_deref().unwrap_or("-"),
            control("Trend Micro", None),
            rule.cases.len(),
            rule.events_noun,
            rule.filter.name,
            rule.filter.metric_namespace,
            rule.filter.metric_name,
            rule.alarm.name
        ));
    }
    out
}

#[test]
fn the_rules_page_lists_every_rule_as_its_data_says() {
    let page = include_str!("../../docs/rules.md");
    let table = rules_table();
    assert!(page.contains(&table), "docs/rules.md's table must read:\n{table}");
}
