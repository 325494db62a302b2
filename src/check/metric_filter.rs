//! The metric-filter link: the filters on the trail's log group that publish one metric
//! match, together, every case of the rule (for IAM policy changes, the 16 events; each
//! pattern evaluated): one filter that covers them all, or several (one per event, say)
//! on one metric.

use super::LinkFinding;
use crate::rule::Rule;
use crate::settings::Names;
use crate::state::{LogGroup, Source};

pub(super) fn metric_filter_link<'a>(
    group: &'a LogGroup,
    organization: bool,
    names: &Names,
    rule: &'static Rule,
) -> (LinkFinding, Vec<Source<'a>>) {
    let all = format!("all {} {}", rule.cases.len(), rule.events_noun);
    let resources = vec![group.arn.to_string()];
    let filters = match &group.filters {
        Ok(f) => f,
        Err(e) => return (LinkFinding::error(vec![e.clone()], resources), Vec::new()),
    };
    if group.takes_no_metric_filters() {
        let class = group.class.as_deref().unwrap_or_default();
        return (
            LinkFinding::fail(
                format!(
                    "log group {} is of class {class}, which supports no metric filters: no alarm can be raised from it",
                    group.arn.name
                ),
                "make the trail deliver to a log group of the Standard class (aws cloudtrail update-trail --cloud-watch-logs-log-group-arn <a Standard-class group> ...): a group's class cannot be changed".into(),
                resources,
            ),
            Vec::new(),
        );
    }
    let found = group.sources(organization, rule);
    let sources = found.sources;
    let mut shortfalls: Vec<(usize, String)> = found.unproven.into_iter().map(|u| (0, u)).collect();
    shortfalls.extend(found.short);
    for filter in filters {
        match &filter.coverage {
            // A narrowing is named by the condition that drops the changes.
            Ok(coverage) if !coverage.covers_all && !coverage.narrowed.is_empty() => shortfalls.push((
                coverage.missing.len(),
                format!("{:?} {}", filter.name, coverage.summary()),
            )),
            Ok(coverage) if !coverage.covers_all => shortfalls.push((
                coverage.missing.len(),
                format!("{:?} misses {}", filter.name, missing_list(rule, &coverage.missing)),
            )),
            Ok(_) => {}
            Err(e) => shortfalls.push((usize::MAX, format!("{:?}: {e}", filter.name))),
        }
    }
    if !sources.is_empty() {
        let said: Vec<String> = sources
            .iter()
            .map(|s| match s.filters.len() {
                1 => format!("metric filter {}", s.names()),
                n => format!(
                    "the {n} metric filters {} publishing {}/{} together",
                    s.names(),
                    s.transformation().namespace,
                    s.transformation().name
                ),
            })
            .collect();
        let mut detail = format!(
            "{} on {} {} {all}",
            said.join(", "),
            group.arn.name,
            if said.len() == 1 && sources[0].filters.len() == 1 {
                "covers"
            } else {
                "cover"
            }
        );
        // What else it counts: routine events (the alarm link judges those) and IAM reads.
        let mut also: Vec<&str> = sources
            .iter()
            .flat_map(|s| &s.filters)
            .filter_map(|f| f.coverage.as_ref().ok())
            .flat_map(|c| c.routine_matched.iter().chain(&c.also_matched).copied())
            .collect();
        also.sort_unstable();
        also.dedup();
        if !also.is_empty() {
            detail.push_str(&format!("; it also counts other events: {}", also.join(", ")));
        }
        return (LinkFinding::pass(detail, resources), sources);
    }
    let fix = format!(
        "aws logs put-metric-filter --region {} --log-group-name {} --filter-name {} --filter-pattern '{}' --metric-transformations metricName={},metricNamespace={},metricValue={} (or run with MODE=remediate)",
        group.arn.region, group.arn.name, names.filter_name, rule.wanted_filter().pattern, names.metric_name, names.metric_namespace, rule.wanted_filter().metric_value
    );
    let detail = if filters.is_empty() {
        format!("log group {} has no metric filters", group.arn.name)
    } else {
        shortfalls.sort();
        let shown: Vec<String> = shortfalls.iter().take(3).map(|(_, s)| s.clone()).collect();
        format!(
            "none of the {} metric filters on {} covers {all}: {}",
            filters.len(),
            group.arn.name,
            shown.join("; ")
        )
    };
    (LinkFinding::fail(detail, fix, resources), Vec::new())
}

fn missing_list(rule: &Rule, missing: &[&str]) -> String {
    format!(
        "{} of {} {} ({})",
        missing.len(),
        rule.cases.len(),
        rule.events_noun,
        missing.join(", ")
    )
}
