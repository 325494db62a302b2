//! Does a pattern catch every case of a rule? Decided by evaluating it over the rule's
//! generated CloudTrail records, never by comparing text: a pattern joined with `&&` or
//! narrowed by another condition fails, an equivalent one written differently passes.

use serde::Serialize;

use serde_json::Value;

use super::background::{background, is_ubiquitous};
use super::cloudtrail::{CallResult, IdentityType, SampleRecord};
use super::{Rule, ALWAYS_WRITTEN};
use crate::pattern::{self, Excluded, FieldStep, FilterPattern, PatternError, Scratch};
use crate::transformer::Processor;

/// At most this many (field, value) variations are derived from one pattern; a pattern
/// that names more is not proven to cover (none real comes close: a pattern holds at
/// most 1,024 characters).
const MAX_DERIVED: usize = 256;

/// Policy changes a pattern drops because of one of its conditions: the rule's records
/// with the condition's field set to a value it names (or left out) do not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Narrowing {
    /// The condition as the pattern writes it.
    pub condition: String,
    /// The field and value of the dropped records: `$.sourceIPAddress = "10.1.2.3"`, or
    /// `$.x absent`.
    pub records_with: String,
    /// The events whose records with that value it drops.
    pub events: Vec<&'static str>,
}

/// One (event, identity type) combination of the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Variant {
    /// One of the rule's cases.
    pub event: &'static str,
    /// Who made the call.
    pub identity: IdentityType,
}

/// What a pattern catches of a rule's cases.
///
/// Required: each case as the rule writes it, made by each [`IdentityType`] it names.
/// Refused copies (AccessDenied) of a change rule's calls are reported in
/// `failed_calls_*` but do not affect `covers_all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The rule's id.
    pub rule: &'static str,
    /// How many cases the rule has, and what they are called ("IAM policy events").
    pub total: usize,
    pub noun: &'static str,
    /// Every required record matched.
    pub covers_all: bool,
    /// Events with at least one required record unmatched, in the rule's order.
    pub missing: Vec<&'static str>,
    /// Each required (event, identity) record that did not match.
    pub missing_variants: Vec<Variant>,
    /// Failed calls the pattern matches (informational).
    pub failed_calls_matched: Vec<Variant>,
    /// Failed calls the pattern does not match (informational).
    pub failed_calls_missed: Vec<Variant>,
    /// Number of required records evaluated (for IAM policy changes, 16 events × 5 identity types).
    pub required_records: usize,
    /// Records of the background every account writes all the time that the pattern
    /// also matches: the metric is published in quiet periods too.
    pub routine_matched: Vec<&'static str>,
    /// Other records of the background it matches (informational: IAM reads).
    pub also_matched: Vec<&'static str>,
    /// Policy changes it drops for a value of a field its own conditions name (records
    /// derived from the pattern); their events are in `missing` too (not in
    /// `missing_variants`, which are the corpus's own records).
    pub narrowed: Vec<Narrowing>,
}

impl Coverage {
    /// One line for humans, e.g. "covers all 16 IAM policy events" or
    /// "misses 2 of 16 IAM policy events: CreatePolicy, DeletePolicy".
    pub fn summary(&self) -> String {
        let (total, noun) = (self.total, self.noun);
        if self.covers_all {
            return format!("covers all {total} {noun}");
        }
        if let Some(n) = self.narrowed.first() {
            let others: Vec<&str> = self.narrowed[1..]
                .iter()
                .take(3)
                .map(|n| n.records_with.as_str())
                .collect();
            let more = match self.narrowed.len() {
                1 => String::new(),
                k if k <= 4 => format!("; also those made with {}", others.join(", ")),
                k => format!("; also those made with {} and {} more", others.join(", "), k - 4),
            };
            return format!(
                "drops the {noun} made with {} ({} of {total}: {}), by its condition {}{more}",
                n.records_with,
                n.events.len(),
                n.events.join(", "),
                n.condition
            );
        }
        let mut line = format!(
            "misses {} of {total} {noun}: {}",
            self.missing.len(),
            self.missing.join(", ")
        );
        let matched_for: Vec<&str> = IdentityType::ALL
            .iter()
            .filter(|id| {
                self.missing.iter().any(|e| {
                    !self
                        .missing_variants
                        .iter()
                        .any(|v| v.event == *e && v.identity == **id)
                })
            })
            .map(|id| id.as_str())
            .collect();
        if !matched_for.is_empty() {
            line.push_str(&format!(" (matched only when called by {})", matched_for.join(", ")));
        }
        line
    }
}

/// What several filters publishing one metric cover together: a case counts when any of
/// them matches it, and publishes once per filter that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionCoverage {
    /// Every required record is matched by at least one of the filters.
    pub covers_all: bool,
    /// Events with a required record none of them matches.
    pub missing: Vec<&'static str>,
    /// The distinct numbers of filters matching one required record (ascending; of the
    /// records matched at all): [1] when each event is counted once.
    pub copies: Vec<usize>,
}

/// The union of the filters whose coverages of `rule` are `members`.
pub fn union_coverage(rule: &'static Rule, members: &[&Coverage]) -> UnionCoverage {
    let mut missing = Vec::new();
    let mut copies = Vec::new();
    for case in &rule.cases {
        let event = case.event.as_str();
        for &identity in &case.identities {
            let variant = Variant { event, identity };
            let matching = members.iter().filter(|c| !c.missing_variants.contains(&variant));
            // A filter that drops some changes of an event (a narrowing) does not cover
            // it, yet still publishes for the rest: it counts among the copies.
            let covering = matching
                .clone()
                .filter(|c| !c.narrowed.iter().any(|n| n.events.contains(&event)))
                .count();
            if covering == 0 {
                if !missing.contains(&event) {
                    missing.push(event);
                }
            } else {
                let count = matching.count();
                if !copies.contains(&count) {
                    copies.push(count);
                }
            }
        }
    }
    copies.sort_unstable();
    UnionCoverage {
        covers_all: missing.is_empty(),
        missing,
        copies,
    }
}

/// What a filter's pattern covers, or why it is not a pattern CloudWatch Logs accepts.
/// Computed once per filter and run (collect does it as it reads the filter) and
/// carried as data to check and plan.
pub type FilterCoverage = Result<Coverage, PatternError>;

/// Parses `pattern` and evaluates it over the rule's records.
pub fn coverage_of(rule: &'static Rule, pattern: &str) -> FilterCoverage {
    pattern::parse(pattern).map(|p| coverage(rule, &p))
}

/// Which of the rule's cases (for each identity type that makes it) the pattern
/// catches. See [`Coverage`].
pub fn coverage(rule: &'static Rule, pattern: &FilterPattern) -> Coverage {
    let Ok(coverage) = tally(rule, pattern, narrowings(rule, pattern), |_| {
        Ok::<_, std::convert::Infallible>(None)
    });
    coverage
}

/// What a pattern covers of the rule's events as a log transformer leaves them (a
/// filter with `applyOnTransformedLogs`), the background's records transformed alike.
/// Err: a processor is not evaluated, or the pattern has conditions that would need
/// records derived from them (not derived on a transformed event).
pub fn coverage_transformed(
    rule: &'static Rule,
    pattern: &FilterPattern,
    processors: &[Processor],
) -> Result<Coverage, String> {
    // The fields the events determine, under the names the processors give them.
    let mut determined: Vec<String> = rule.determined_fields.clone();
    for p in processors {
        if let Processor::RenameKeys(entries) | Processor::CopyValue(entries) = p {
            for (from, to, _) in entries {
                if determined.contains(&format!("$.{from}")) {
                    determined.push(format!("$.{to}"));
                }
            }
        }
    }
    if pattern.conditions().iter().any(|c| !determined.contains(&c.selector)) || !pattern.excluded_terms().is_empty() {
        return Err(
            "its conditions beyond the fields the rule's events determine are not varied on a transformed event".into(),
        );
    }
    tally(rule, pattern, Vec::new(), |record| {
        crate::transformer::apply(processors, record).map(Some)
    })
}

/// The pattern over the corpus and the background, each record as `view` gives it
/// (None: as it is; Some: rewritten, as a transformer leaves it), with the changes
/// `narrowed` drops counted as missing.
fn tally<E>(
    rule: &'static Rule,
    pattern: &FilterPattern,
    narrowed: Vec<Narrowing>,
    view: impl Fn(&Value) -> Result<Option<Value>, E>,
) -> Result<Coverage, E> {
    // The corpus and the background are built once per process, so the records as
    // they are live as long as the scratch that reads them.
    let mut scratch = Scratch::default();
    let mut hit = |text: &str, value: &'static Value| -> Result<bool, E> {
        Ok(match view(value)? {
            None => pattern::matches_parsed(pattern, text, value, &mut scratch),
            Some(rewritten) => {
                let text = serde_json::to_string(&rewritten).unwrap_or_default();
                pattern::matches_parsed(pattern, &text, &rewritten, &mut Scratch::default())
            }
        })
    };
    let corpus = rule.corpus();
    let (mut missing_variants, mut failed_calls_matched, mut failed_calls_missed) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut required_records = 0;
    for (r, v) in corpus.records.iter().zip(&corpus.values) {
        let matched = hit(&r.json, v)?;
        let variant = Variant {
            event: r.event,
            identity: r.identity,
        };
        match r.result {
            CallResult::Success => {
                required_records += 1;
                if !matched {
                    missing_variants.push(variant);
                }
            }
            CallResult::AccessDenied if matched => failed_calls_matched.push(variant),
            CallResult::AccessDenied => failed_calls_missed.push(variant),
        }
    }
    let missing: Vec<&'static str> = rule
        .events()
        .into_iter()
        .filter(|e| missing_variants.iter().any(|v| v.event == *e) || narrowed.iter().any(|n| n.events.contains(e)))
        .collect();
    let (mut routine_matched, mut also_matched) = (Vec::new(), Vec::new());
    for (what, text, value) in background() {
        if hit(text, value)? {
            match is_ubiquitous(what) {
                true => routine_matched.push(*what),
                false => also_matched.push(*what),
            }
        }
    }
    Ok(Coverage {
        rule: &rule.id,
        total: rule.cases.len(),
        noun: &rule.events_noun,
        covers_all: missing.is_empty(),
        missing,
        missing_variants,
        failed_calls_matched,
        failed_calls_missed,
        required_records,
        routine_matched,
        also_matched,
        narrowed,
    })
}

/// Varies the rule's successful records in each field the pattern's conditions name
/// (to each value a condition names, and absent), except the fields the rule's events
/// determine and the exclusions the benchmark sanctions; what the pattern no longer
/// matches it drops.
fn narrowings(rule: &'static Rule, pattern: &FilterPattern) -> Vec<Narrowing> {
    let conditions: Vec<_> = pattern
        .conditions()
        .into_iter()
        .filter(|c| !rule.determined_fields.contains(&c.selector))
        .collect();
    let excluded = pattern.excluded_terms();
    // Most patterns test only what the events determine: nothing to vary.
    if conditions.is_empty() && excluded.is_empty() {
        return Vec::new();
    }
    let corpus = rule.corpus();
    let all_events = rule.events();
    // Only records the pattern matches as they are can be dropped by a variation.
    let matched: Vec<(&'static SampleRecord, &'static Value)> = corpus
        .records
        .iter()
        .zip(&corpus.values)
        .filter(|(r, v)| {
            r.result == CallResult::Success && pattern::matches_parsed(pattern, &r.json, v, &mut Scratch::default())
        })
        .collect();
    let mut narrowed = Vec::new();
    // A term pattern's exclusion: the rule's records with the text in a free-text field
    // CloudTrail fills from the caller (its user agent).
    for excluded in excluded {
        let term = match excluded {
            Excluded::Text(term) => term,
            Excluded::Regex(re) => {
                narrowed.push(Narrowing {
                    condition: format!("-%{re}%"),
                    records_with: "texts its regex matches (not derived)".into(),
                    events: all_events.clone(),
                });
                continue;
            }
        };
        let mut events = Vec::new();
        for (record, original) in &matched {
            let mut changed = (*original).clone();
            let agent = changed["userAgent"].as_str().unwrap_or_default().to_string();
            changed["userAgent"] = Value::String(format!("{agent} {term}"));
            let text = serde_json::to_string(&changed).unwrap_or_default();
            if !pattern::matches_parsed(pattern, &text, &changed, &mut Scratch::default()) {
                push_event(&mut events, record.event);
            }
        }
        if !events.is_empty() {
            narrowed.push(Narrowing {
                condition: format!("-{term}"),
                records_with: format!("{term:?} in the event (its user agent)"),
                events,
            });
        }
    }
    let mut derived = 0;
    for condition in conditions {
        let selector = condition.selector.as_str();
        // A regex: what it matches is not derived, so neither is what it drops.
        if condition.regex {
            narrowed.push(Narrowing {
                condition: condition.text.clone(),
                records_with: format!("values of {selector} its regex decides (not derived)"),
                events: all_events.clone(),
            });
            continue;
        }
        let mut values: Vec<Option<&Value>> = condition
            .values
            .iter()
            .filter(|v| {
                !rule
                    .sanctioned_exclusions
                    .iter()
                    .any(|(f, x)| f == selector && v.as_str() == Some(x.as_str()))
            })
            .map(Some)
            .collect();
        if !ALWAYS_WRITTEN.contains(&selector) {
            values.push(None);
        }
        for value in values {
            derived += 1;
            if derived > MAX_DERIVED {
                narrowed.push(Narrowing {
                    condition: condition.text.clone(),
                    records_with: format!("more than {MAX_DERIVED} values of the fields its conditions name"),
                    events: all_events.clone(),
                });
                return narrowed;
            }
            let mut events = Vec::new();
            for (record, original) in &matched {
                let Some(changed) = with_field(original, &condition.path, value) else {
                    continue;
                };
                // Conditions come only from JSON patterns, which read the parsed event:
                // the text is not needed.
                if !pattern::matches_parsed(pattern, "", &changed, &mut Scratch::default()) {
                    push_event(&mut events, record.event);
                }
            }
            if !events.is_empty() {
                narrowed.push(Narrowing {
                    condition: condition.text.clone(),
                    records_with: match value {
                        Some(v) => format!("{selector} = {v}"),
                        None => format!("{selector} absent"),
                    },
                    events,
                });
            }
        }
    }
    narrowed
}

/// Adds `event` to `events`, once.
fn push_event(events: &mut Vec<&'static str>, event: &'static str) {
    if !events.contains(&event) {
        events.push(event);
    }
}

/// `record` with the field at `path` set to `value` (None: removed); None when the
/// path runs through something that is not an object (or an array too short).
fn with_field(record: &Value, path: &[FieldStep], value: Option<&Value>) -> Option<Value> {
    let mut changed = record.clone();
    let (last, parents) = path.split_last()?;
    let mut at = &mut changed;
    for step in parents {
        at = match step {
            FieldStep::Key(k) => {
                let object = at.as_object_mut()?;
                object
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            FieldStep::Index(i) => at.as_array_mut()?.get_mut(*i)?,
        };
        if at.is_null() && value.is_some() {
            *at = Value::Object(Default::default());
        }
    }
    match (last, value) {
        (FieldStep::Key(k), Some(v)) => {
            at.as_object_mut()?.insert(k.clone(), v.clone());
        }
        (FieldStep::Key(k), None) => {
            at.as_object_mut()?.remove(k);
        }
        (FieldStep::Index(i), Some(v)) => *at.as_array_mut()?.get_mut(*i)? = v.clone(),
        (FieldStep::Index(_), None) => return None,
    }
    Some(changed)
}

/// Coverage of a rule's cases by one pattern, as the `coverage` command prints it:
///
/// ```json
/// {"pattern": "...", "covers_all": false, "summary": "misses 1 of 16 ...",
///  "events_total": 16, "events_covered": 15, "covered": [...], "missing": ["CreatePolicy"],
///  "missing_variants": [{"event": "CreatePolicy", "identity": "IAMUser"}, ...],
///  "required_records": 80, "identity_types": ["IAMUser", ...],
///  "failed_calls_matched": [{"event": ..., "identity": ...}], "failed_calls_missed": [...]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageReport {
    pub rule: &'static str,
    pub pattern: String,
    pub covers_all: bool,
    pub summary: String,
    pub events_total: usize,
    pub events_covered: usize,
    pub covered: Vec<&'static str>,
    pub missing: Vec<&'static str>,
    pub missing_variants: Vec<Variant>,
    pub required_records: usize,
    /// The identity types the rule's cases are made by.
    pub identity_types: Vec<IdentityType>,
    pub failed_calls_matched: Vec<Variant>,
    pub failed_calls_missed: Vec<Variant>,
    /// Routine records every account writes that the pattern also matches (an alarm on
    /// its metric rests in ALARM): see rule/background.rs.
    pub routine_matched: Vec<&'static str>,
    /// Other records it also counts (IAM reads).
    pub also_matched: Vec<&'static str>,
    /// Policy changes it drops for a value its own conditions name.
    pub narrowed: Vec<Narrowing>,
}

/// Several filters publishing one metric, as the `coverage` command prints them when
/// given more than one pattern: the union's verdict at the top (the same keys as one
/// pattern's report), each pattern's report under `filters`.
///
/// ```json
/// {"covers_all": true, "summary": "...", "missing": [], "copies": [1],
///  "routine_matched": [], "filters": [{"pattern": "...", ...}, ...]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnionReport {
    pub rule: &'static str,
    pub covers_all: bool,
    pub summary: String,
    pub missing: Vec<&'static str>,
    /// How many of the filters match one event: [1] when each event is counted once.
    pub copies: Vec<usize>,
    /// Routine records any of them matches (an alarm on the metric rests in ALARM).
    pub routine_matched: Vec<&'static str>,
    pub filters: Vec<CoverageReport>,
}

pub fn union_report(rule: &'static Rule, patterns: &[String]) -> Result<UnionReport, PatternError> {
    let coverages: Vec<Coverage> = patterns
        .iter()
        .map(|p| coverage_of(rule, p))
        .collect::<Result<_, _>>()?;
    let union = union_coverage(rule, &coverages.iter().collect::<Vec<_>>());
    let mut routine_matched: Vec<&'static str> = coverages.iter().flat_map(|c| c.routine_matched.clone()).collect();
    routine_matched.sort_unstable();
    routine_matched.dedup();
    let n = patterns.len();
    let (total, noun) = (rule.cases.len(), &rule.events_noun);
    let summary = if union.covers_all {
        format!("the {n} filters together cover all {total} {noun}")
    } else {
        format!(
            "the {n} filters together miss {} of {total} {noun}: {}",
            union.missing.len(),
            union.missing.join(", ")
        )
    };
    Ok(UnionReport {
        rule: &rule.id,
        covers_all: union.covers_all,
        summary,
        missing: union.missing,
        copies: union.copies,
        routine_matched,
        filters: patterns
            .iter()
            .map(|p| coverage_report(rule, p))
            .collect::<Result<_, _>>()?,
    })
}

pub fn coverage_report(rule: &'static Rule, pattern: &str) -> Result<CoverageReport, PatternError> {
    let c = coverage_of(rule, pattern)?;
    let covered: Vec<&str> = rule.events().into_iter().filter(|e| !c.missing.contains(e)).collect();
    Ok(CoverageReport {
        rule: &rule.id,
        pattern: pattern.to_string(),
        covers_all: c.covers_all,
        summary: c.summary(),
        events_total: rule.cases.len(),
        events_covered: covered.len(),
        covered,
        missing: c.missing,
        missing_variants: c.missing_variants,
        required_records: c.required_records,
        identity_types: IdentityType::ALL
            .into_iter()
            .filter(|i| rule.cases.iter().any(|c| c.identities.contains(i)))
            .collect(),
        failed_calls_matched: c.failed_calls_matched,
        failed_calls_missed: c.failed_calls_missed,
        routine_matched: c.routine_matched,
        also_matched: c.also_matched,
        narrowed: c.narrowed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{matches, parse};
    use crate::rule::default_rule;

    fn cov(p: &str) -> Coverage {
        coverage(default_rule(), &parse(p).unwrap_or_else(|e| panic!("{p}: {e}")))
    }

    fn canonical() -> &'static str {
        &default_rule().canonical_pattern
    }

    /// The 16 IAM policy events.
    fn events() -> Vec<&'static str> {
        default_rule().events()
    }

    fn or_of(events: &[&str], clause: impl Fn(&str) -> String) -> String {
        events.iter().map(|e| clause(e)).collect::<Vec<_>>().join(" || ")
    }

    #[test]
    fn canonical_pattern_covers() {
        let c = cov(canonical());
        assert!(c.covers_all, "{}", c.summary());
        assert_eq!(c.summary(), "covers all 16 IAM policy events");
        assert_eq!(c.required_records, 80);
        assert!(c.missing_variants.is_empty());
        assert_eq!(c.failed_calls_matched.len(), 32, "failed calls have the same eventName");
    }

    #[test]
    fn security_hub_pattern_covers() {
        // Security Hub CloudWatch.4 / CIS 1.4 4.4 pattern, verbatim style (no spaces, unquoted).
        let p = format!(
            "{{($.eventSource=iam.amazonaws.com) && ({})}}",
            or_of(&events(), |e| format!("($.eventName={e})"))
        );
        assert!(cov(&p).covers_all);
    }

    #[test]
    fn equivalent_spellings_cover() {
        let quoted = format!("{{ {} }}", or_of(&events(), |e| format!("$.eventName = \"{e}\"")));
        assert!(cov(&quoted).covers_all);
        let multiline = format!("{{\n  {}\n}}", or_of(&events(), |e| format!("($.eventName = {e})\n")));
        assert!(cov(&multiline).covers_all);
        let mut reversed = events();
        reversed.reverse();
        assert!(cov(&format!("{{ {} }}", or_of(&reversed, |e| format!("$.eventName={e}")))).covers_all);
        assert!(cov("{ $.eventSource = iam.amazonaws.com }").covers_all);
        assert!(cov("{ $.eventSource = \"iam.*\" }").covers_all);
        assert!(cov("{ $.eventName = %Policy% }").covers_all);
        assert!(cov("{ $.eventName = *Policy* }").covers_all);
        assert!(cov("{ $.eventName = *Policy || $.eventName = *PolicyVersion }").covers_all);
    }

    /// A condition on a field the corpus holds constant narrows the pattern: records
    /// derived from the pattern's own conditions find it, and the summary names it.
    #[test]
    fn conditions_the_corpus_never_varies_are_varied() {
        let inner = canonical().trim_start_matches('{').trim_end_matches('}').trim();
        let narrowed = |extra: &str| cov(&format!("{{ ({inner}) && {extra} }}"));
        // Assumed roles other than this one: the corpus's own records all match.
        let c = narrowed(
            r#"($.userIdentity.type = AssumedRole) && ($.userIdentity.sessionContext.sessionIssuer.userName != "ModernisationPlatformAccess")"#,
        );
        assert!(!c.covers_all);
        assert_eq!(c.missing.len(), 16, "{c:?}");
        assert!(
            c.missing_variants
                .iter()
                .all(|v| v.identity != IdentityType::AssumedRole),
            "{c:?}"
        );
        let c = narrowed(r#"($.userIdentity.sessionContext.sessionIssuer.userName != "ModernisationPlatformAccess")"#);
        assert_eq!(
            c.summary(),
            "drops the IAM policy events made with $.userIdentity.sessionContext.sessionIssuer.userName = \"ModernisationPlatformAccess\" (16 of 16: DeleteGroupPolicy, DeleteRolePolicy, DeleteUserPolicy, PutGroupPolicy, PutRolePolicy, PutUserPolicy, CreatePolicy, DeletePolicy, CreatePolicyVersion, DeletePolicyVersion, AttachRolePolicy, DetachRolePolicy, AttachUserPolicy, DetachUserPolicy, AttachGroupPolicy, DetachGroupPolicy), by its condition $.userIdentity.sessionContext.sessionIssuer.userName != \"ModernisationPlatformAccess\"; also those made with $.userIdentity.sessionContext.sessionIssuer.userName absent"
        );
        let c = narrowed(r#"($.sourceIPAddress != "10.1.2.3")"#);
        assert!(!c.covers_all);
        assert_eq!(c.narrowed[0].records_with, "$.sourceIPAddress = \"10.1.2.3\"");
        // Narrowed for one event only: the others are still covered.
        let c = cov(&canonical().replace(
            "($.eventName = CreatePolicy)",
            "($.eventName = CreatePolicy && $.requestParameters.path != \"/service-role/\")",
        ));
        assert_eq!(c.missing, ["CreatePolicy"], "{c:?}");
        // A term pattern's exclusion, and a regex condition on a field the events do not fix.
        let c = cov("Policy -Deployer");
        assert_eq!(c.narrowed[0].condition, "-Deployer", "{c:?}");
        assert!(!c.covers_all);
        let c = cov("Policy -%bot[0-9]%");
        assert!(
            !c.covers_all && c.narrowed[0].records_with.contains("not derived"),
            "{c:?}"
        );
        let c = cov(&format!("{{ ({inner}) && $.userAgent != %terraform% }}"));
        assert!(
            !c.covers_all && c.narrowed[0].records_with.contains("not derived"),
            "{c:?}"
        );
        // Conditions on what the rule's events determine select them: nothing to vary.
        for p in [
            format!(
                "{{ ($.eventSource = iam.amazonaws.com) && ({}) }}",
                or_of(&events(), |e| format!("$.eventName = {e}"))
            ),
            format!(
                "{{ ($.errorCode NOT EXISTS) && ({}) }}",
                or_of(&events(), |e| format!("$.eventName = {e}"))
            ),
            "{ $.userIdentity.type = * && $.eventName = *Policy* }".to_string(),
        ] {
            let c = cov(&p);
            assert!(c.covers_all && c.narrowed.is_empty(), "{p}: {c:?}");
        }
    }

    /// On transformed logs the pattern sees the event as the processors leave it.
    #[test]
    fn a_pattern_on_transformed_logs_is_judged_on_the_transformed_records() {
        let renamed = [
            Processor::ParseJson {
                source: None,
                destination: None,
            },
            Processor::RenameKeys(vec![("eventName".into(), "event".into(), false)]),
        ];
        let on_new_name = parse(&canonical().replace("$.eventName", "$.event")).unwrap();
        assert!(
            coverage_transformed(default_rule(), &on_new_name, &renamed)
                .unwrap()
                .covers_all
        );
        // The canonical pattern finds no eventName any more.
        let c = coverage_transformed(default_rule(), &parse(canonical()).unwrap(), &renamed).unwrap();
        assert_eq!(c.missing.len(), 16);
        // A processor not evaluated, or conditions that would need derived records.
        assert!(coverage_transformed(default_rule(), &on_new_name, &[Processor::Other("grok".into())]).is_err());
        let narrowed = parse(r#"{ $.eventName = CreatePolicy && $.sourceIPAddress != "10.1.2.3" }"#).unwrap();
        assert!(coverage_transformed(default_rule(), &narrowed, &[]).is_err());
    }

    #[test]
    fn routine_events_are_told_apart_from_the_iam_reads_a_pattern_also_counts() {
        let c = cov(canonical());
        assert!(c.routine_matched.is_empty() && c.also_matched.is_empty(), "{c:?}");
        for p in [
            "",
            "{ $.eventName = \"*\" }",
            &canonical().replace(" }", " || ($.eventVersion = *) }"),
        ] {
            let c = cov(p);
            assert_eq!(c.routine_matched.len(), 3, "{p:?}: {c:?}");
            assert_eq!(c.also_matched.len(), 2, "{p:?}: {c:?}");
        }
        // IAM reads, but nothing every account logs all the time.
        let c = cov("{ $.eventName = *Policy* }");
        assert!(c.covers_all && c.routine_matched.is_empty(), "{c:?}");
        assert_eq!(c.also_matched, ["iam:GetRolePolicy by AWS Config"]);
    }

    #[test]
    fn match_everything_covers() {
        for p in ["", "   ", "\" \"", "\"\"", "[...]", "[]", "{ $.eventName = * }", "%.%"] {
            assert!(cov(p).covers_all, "{p:?}");
        }
    }

    #[test]
    fn and_joined_narrowed_misspelled_do_not_cover() {
        let and_joined = format!(
            "{{ {} }}",
            events()
                .iter()
                .map(|e| format!("($.eventName={e})"))
                .collect::<Vec<_>>()
                .join(" && ")
        );
        let c = cov(&and_joined);
        assert!(!c.covers_all);
        assert_eq!(c.missing.len(), 16);

        let narrowed = canonical()
            .replacen("{ (", "{ $.userIdentity.type = IAMUser && ((", 1)
            .replacen(") }", ")) }", 1);
        let c = cov(&narrowed);
        assert_eq!(c.missing, events());
        assert_eq!(c.missing_variants.len(), 64);
        assert!(
            c.summary().ends_with("(matched only when called by IAMUser)"),
            "{}",
            c.summary()
        );

        let misspelled = canonical().replace("= CreatePolicy)", "= XCreatePolicy)");
        let c = cov(&misspelled);
        assert_eq!(c.missing, ["CreatePolicy"]);
        assert_eq!(c.summary(), "misses 1 of 16 IAM policy events: CreatePolicy");

        let lowercase = canonical().replace("= DeletePolicy)", "= deletepolicy)");
        assert_eq!(cov(&lowercase).missing, ["DeletePolicy"]);
    }

    #[test]
    fn each_single_omission_is_reported() {
        for skip in events() {
            let rest: Vec<&str> = events().into_iter().filter(|e| *e != skip).collect();
            let c = cov(&format!("{{ {} }}", or_of(&rest, |e| format!("($.eventName = {e})"))));
            assert_eq!(c.missing, [skip]);
            assert_eq!(c.missing_variants.len(), 5);
        }
        let two = canonical()
            .replace("($.eventName = CreatePolicy) || ", "")
            .replace("($.eventName = DeletePolicy) || ", "");
        assert_eq!(
            cov(&two).summary(),
            "misses 2 of 16 IAM policy events: CreatePolicy, DeletePolicy"
        );
    }

    #[test]
    fn term_patterns() {
        // A term is a substring: "CreatePolicy" also catches CreatePolicyVersion, nothing else.
        let c = cov("\"CreatePolicy\"");
        assert_eq!(c.missing.len(), 14);
        assert!(!c.missing.contains(&"CreatePolicy") && !c.missing.contains(&"CreatePolicyVersion"));
        assert!(cov("iam").covers_all);
        assert!(cov("Policy").covers_all);
        assert!(!cov("Policy -AccessDenied").failed_calls_missed.is_empty());
        assert!(!cov("-iam").covers_all);
    }

    #[test]
    fn only_successful_calls_are_required() {
        let c = cov("{ $.errorCode NOT EXISTS }");
        assert!(c.covers_all);
        assert!(c.failed_calls_matched.is_empty());
        assert_eq!(c.failed_calls_missed.len(), 32);
        let c = cov("{ $.errorCode = AccessDenied }");
        assert_eq!(c.missing.len(), 16);
        assert_eq!(c.failed_calls_matched.len(), 32);
    }

    #[test]
    fn identity_specific_patterns() {
        let c = cov("{ $.userIdentity.type != Root }");
        assert_eq!(c.missing.len(), 16);
        assert!(c.missing_variants.iter().all(|v| v.identity == IdentityType::Root));
        assert!(!cov("{ $.userIdentity.invokedBy NOT EXISTS }").covers_all);
        assert!(!cov("{ $.userIdentity.accessKeyId = * }").covers_all);
        assert!(!cov("{ $.tlsDetails.tlsVersion = TLSv1.3 }").covers_all);
        assert!(!cov("{ $.requestParameters.policyArn = * }").covers_all);
        assert!(!cov("{ $.responseElements IS NULL }").covers_all);
    }

    #[test]
    fn coverage_agrees_with_matching_the_text() {
        for p in [
            canonical(),
            "{ $.userIdentity.type = IAMUser }",
            "{ $.requestParameters.* = *developers* }",
            "{ $.responseElements.policy.attachmentCount = 0 }",
            "{ $.readOnly IS FALSE && $.managementEvent IS TRUE }",
            "[...]",
        ] {
            let pattern = parse(p).unwrap();
            let c = coverage(default_rule(), &pattern);
            for r in default_rule()
                .sample_records()
                .iter()
                .filter(|r| r.result == CallResult::Success)
            {
                let missed = c.missing_variants.contains(&Variant {
                    event: r.event,
                    identity: r.identity,
                });
                assert_eq!(matches(&pattern, &r.json).matched, !missed, "{p} on {}", r.json);
            }
        }
    }

    #[test]
    fn coverage_report_shape() {
        let r = serde_json::to_value(coverage_report(default_rule(), canonical()).unwrap()).unwrap();
        assert_eq!(r["covers_all"], true);
        assert_eq!(r["events_covered"], 16);
        assert_eq!(r["missing"], serde_json::json!([]));
        assert_eq!(r["required_records"], 80);
        assert_eq!(r["failed_calls_matched"].as_array().unwrap().len(), 32);
        let r =
            serde_json::to_value(coverage_report(default_rule(), "{ $.eventName = CreatePolicy }").unwrap()).unwrap();
        assert_eq!(r["covers_all"], false);
        assert_eq!(r["covered"], serde_json::json!(["CreatePolicy"]));
        assert_eq!(r["missing"].as_array().unwrap().len(), 15);
        assert_eq!(
            r["missing_variants"][0],
            serde_json::json!({"event": "DeleteGroupPolicy", "identity": "IAMUser"})
        );
        assert!(coverage_report(default_rule(), "{").is_err());
    }
}
