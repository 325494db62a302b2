//! What a metric filter publishes when one of the rule's events matches: its
//! `metricValue` is a number, or a `$.field` taken from the event, which is evaluated on
//! the rule's CloudTrail records (an event where the field is missing or not a number
//! publishes nothing).

use std::collections::BTreeSet;

use serde_json::Value;

use super::cloudtrail::CallResult;
use super::Rule;

/// What one matching event of the rule publishes, over all its events.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// The distinct values, ascending.
    pub values: Vec<f64>,
    /// The events that publish nothing (the field is missing or not a number).
    pub silent: Vec<&'static str>,
}

pub fn published_values(rule: &'static Rule, metric_value: &str) -> Published {
    let mut values = BTreeSet::new();
    let mut silent = Vec::new();
    let source = metric_value.trim();
    if let Ok(constant) = source.parse::<f64>() {
        values.insert(constant.to_bits());
    } else {
        let corpus = rule.corpus();
        for (record, value) in corpus.records.iter().zip(&corpus.values) {
            if record.result != CallResult::Success {
                continue;
            }
            match select(value, source).and_then(Value::as_f64) {
                Some(v) => {
                    values.insert(v.to_bits());
                }
                None if !silent.contains(&record.event) => silent.push(record.event),
                None => {}
            }
        }
    }
    let mut values: Vec<f64> = values.into_iter().map(f64::from_bits).collect();
    values.sort_by(f64::total_cmp);
    Published { values, silent }
}

/// `$.a.b[0]` in a parsed event; None for anything else.
fn select<'a>(event: &'a Value, selector: &str) -> Option<&'a Value> {
    let path = selector.strip_prefix("$.")?;
    let mut at = event;
    for part in path.split('.') {
        let (key, indices) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            at = at.get(key)?;
        }
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            at = at.get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_is_one_value_for_every_event() {
        let p = published_values(crate::rule::default_rule(), "1");
        assert_eq!((p.values, p.silent), (vec![1.0], vec![]));
    }

    #[test]
    fn a_field_is_read_from_each_record() {
        // Every record has a non-numeric eventName and no $.count.
        let p = published_values(crate::rule::default_rule(), "$.eventName");
        assert!(p.values.is_empty());
        assert_eq!(p.silent.len(), 16);
        let p = published_values(crate::rule::default_rule(), "$.count");
        assert_eq!((p.values.len(), p.silent.len()), (0, 16));
    }

    #[test]
    fn selectors_reach_into_objects_and_arrays() {
        let v: Value = serde_json::json!({"a": {"b": [5, {"c": 7}]}});
        assert_eq!(select(&v, "$.a.b[0]"), Some(&serde_json::json!(5)));
        assert_eq!(select(&v, "$.a.b[1].c"), Some(&serde_json::json!(7)));
        assert_eq!(select(&v, "$.a.x"), None);
        assert_eq!(select(&v, "a.b"), None);
    }
}
