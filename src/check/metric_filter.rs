//! The metric-filter link: a filter on the trail's log group whose pattern, evaluated,
//! matches every one of the 16 IAM policy events.

use super::LinkFinding;
use crate::rule::WANTED_FILTER;
use crate::settings::Names;
use crate::state::{LogGroup, MetricFilter};

pub(super) fn metric_filter_link<'a>(group: &'a LogGroup, names: &Names) -> (LinkFinding, Vec<&'a MetricFilter>) {
    let resources = vec![group.arn.to_string()];
    let filters = match &group.filters {
        Ok(f) => f,
        Err(e) => return (LinkFinding::error(vec![e.clone()], resources), Vec::new()),
    };
    let mut covering = Vec::new();
    let mut shortfalls = Vec::new();
    for filter in filters {
        match &filter.coverage {
            Ok(coverage) => {
                if coverage.covers_all {
                    covering.push(filter);
                } else {
                    shortfalls.push((
                        coverage.missing.len(),
                        format!("{:?} misses {}", filter.name, missing_list(&coverage.missing)),
                    ));
                }
            }
            Err(e) => shortfalls.push((usize::MAX, format!("{:?}: {e}", filter.name))),
        }
    }
    if !covering.is_empty() {
        let names: Vec<String> = covering.iter().map(|f| format!("{:?}", f.name)).collect();
        let detail = format!(
            "metric filter {} on {} covers all 16 IAM policy events",
            names.join(", "),
            group.arn.name
        );
        return (LinkFinding::pass(detail, resources), covering);
    }
    let fix = format!(
        "aws logs put-metric-filter --region {} --log-group-name {} --filter-name {} --filter-pattern '{}' --metric-transformations metricName={},metricNamespace={},metricValue={} (or run with MODE=remediate)",
        group.arn.region, group.arn.name, names.filter_name, WANTED_FILTER.pattern, names.metric_name, names.metric_namespace, WANTED_FILTER.metric_value
    );
    let detail = if filters.is_empty() {
        format!("log group {} has no metric filters", group.arn.name)
    } else {
        shortfalls.sort();
        let shown: Vec<String> = shortfalls.iter().take(3).map(|(_, s)| s.clone()).collect();
        format!(
            "none of the {} metric filters on {} covers all 16 IAM policy events: {}",
            filters.len(),
            group.arn.name,
            shown.join("; ")
        )
    };
    (LinkFinding::fail(detail, fix, resources), Vec::new())
}

fn missing_list(missing: &[&str]) -> String {
    format!("{} of 16 IAM policy events ({})", missing.len(), missing.join(", "))
}
