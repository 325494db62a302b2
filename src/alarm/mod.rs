//! alarm: what CloudWatch does with an alarm, as a pure model. The statistic over the
//! samples of a period, the metric math subset, composite alarm rules, and the alarm's
//! state machine (threshold and comparison, M of N datapoints, missing data). The
//! question it answers: after a period holding one matching event, does the alarm go
//! to ALARM, and does it stay out of ALARM when nothing happens? What the event
//! publishes is the caller's to say ([`Emission`]); nothing here knows IAM.
//!
//! Semantics from the CloudWatch user guide ("Using Amazon CloudWatch alarms",
//! "Statistics definitions", "Using metric math", "Composite alarms") and the
//! PutMetricAlarm / PutMetricFilter API references. A period's samples are the one
//! event's value and, when the filter has a defaultValue, that value once per other
//! log event: their number is unknown, so a verdict must hold for none of them and for
//! very many (every statistic here is monotone in that number, so both ends suffice).

pub mod composite;
mod input;
pub mod math;
pub mod notification;
pub mod statistic;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use statistic::{Period, Statistic};

pub use input::{Alarm, CompositeAlarm, MetricQuery, MetricStat};

/// What a metric filter publishes.
#[derive(Clone, Debug, PartialEq)]
pub struct Emission {
    pub namespace: String,
    pub name: String,
    /// The values one matching event may publish; the alarm must fire on each.
    pub values: Vec<f64>,
    /// Published once for each log event that does not match.
    pub default_value: Option<f64>,
    /// "None" when the filter sets no unit.
    pub unit: String,
    /// The filter's dimensions: name -> the `$.field` it is taken from, or a constant.
    pub dimensions: BTreeMap<String, String>,
    /// Routine events every account logs all the time that the filter also matches:
    /// each publishes one of `values` in every period, with or without a policy change.
    pub routine: Vec<&'static str>,
    /// How many samples one matching event publishes: one per filter on the metric
    /// that matches it (several filters publishing one metric are one source).
    pub copies: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Goes to ALARM after one event and rests out of ALARM without one: how, as a
    /// sentence with the simulated datapoint.
    Fires(String),
    DoesNotFire(String),
    /// Depends on what this audit cannot know (the other events, another metric, the
    /// metric's history): never PASS.
    CannotProve(String),
}

impl Verdict {
    pub fn fires(&self) -> bool {
        matches!(self, Verdict::Fires(_))
    }
}

/// "Very many" other log events in the period: CloudTrail delivers thousands a minute.
const MANY: f64 = 1e9;

#[derive(Clone, Copy)]
enum Comparison {
    Ge,
    Gt,
    Lt,
    Le,
}

impl Comparison {
    fn parse(op: &str) -> Option<Comparison> {
        Some(match op {
            "GreaterThanOrEqualToThreshold" => Comparison::Ge,
            "GreaterThanThreshold" => Comparison::Gt,
            "LessThanThreshold" => Comparison::Lt,
            "LessThanOrEqualToThreshold" => Comparison::Le,
            _ => return None,
        })
    }

    fn breaches(self, x: f64, t: f64) -> bool {
        match self {
            Comparison::Ge => x >= t,
            Comparison::Gt => x > t,
            Comparison::Lt => x < t,
            Comparison::Le => x <= t,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
        }
    }
}

/// How the alarm turns a period into its datapoint.
enum Reading<'a> {
    Standard(Statistic),
    Math {
        queries: &'a [MetricQuery],
        returned: &'a MetricQuery,
    },
}

pub fn evaluate(alarm: &Alarm, emission: &Emission) -> Verdict {
    match judge(alarm, emission) {
        Ok(how) => Verdict::Fires(how),
        Err(verdict) => verdict,
    }
}

fn judge(alarm: &Alarm, emission: &Emission) -> Result<String, Verdict> {
    let cannot = |why: String| Verdict::CannotProve(why);
    let not = |why: String| Verdict::DoesNotFire(why);
    if !alarm.unevaluated.is_empty() {
        return Err(cannot(format!(
            "sets {}, which this audit does not evaluate",
            alarm.unevaluated.join(", ")
        )));
    }
    if let Some(band) = &alarm.threshold_metric_id {
        return Err(cannot(format!(
            "compares with the anomaly detection band {band}, which depends on the metric's history"
        )));
    }
    let op = alarm.comparison_operator.as_deref().unwrap_or("none");
    let comparison =
        Comparison::parse(op).ok_or_else(|| cannot(format!("comparison {op} is not one this audit can evaluate")))?;
    let threshold = alarm.threshold.ok_or_else(|| cannot("has no threshold".into()))?;
    let reading = if alarm.metrics.is_empty() {
        if let Some(problem) = dimension_problem(&alarm.dimensions, &emission.dimensions) {
            return Err(not(problem));
        }
        if let Some(problem) = unit_problem(alarm.unit.as_deref(), &emission.unit) {
            return Err(not(problem));
        }
        let name = alarm
            .statistic
            .as_deref()
            .or(alarm.extended_statistic.as_deref())
            .ok_or_else(|| cannot("has no statistic".into()))?;
        Reading::Standard(Statistic::parse(name).map_err(cannot)?)
    } else {
        let returned: Vec<&MetricQuery> = alarm.metrics.iter().filter(|q| q.return_data.unwrap_or(true)).collect();
        let [returned] = returned[..] else {
            return Err(cannot(format!(
                "returns {} of its metric math queries, not one",
                returned.len()
            )));
        };
        Reading::Math {
            queries: &alarm.metrics,
            returned,
        }
    };
    let label = match &reading {
        Reading::Standard(s) => format!("{} of the period", s.name()),
        Reading::Math { returned, .. } => match &returned.expression {
            Some(e) => format!("{} ({e})", returned.id),
            None => returned.id.clone(),
        },
    };
    let datapoint = |period: &Period| -> Result<Option<f64>, Verdict> {
        match &reading {
            Reading::Standard(s) => Ok(s.over(period)),
            Reading::Math { queries, returned } => math_value(queries, returned, emission, period, 0).map_err(cannot),
        }
    };
    let others = |count: f64| match emission.default_value {
        Some(d) if count > 0.0 => format!(", {} other events publishing defaultValue {d}", count_words(count)),
        _ => String::new(),
    };
    let counts: &[f64] = if emission.default_value.is_some() {
        &[0.0, MANY]
    } else {
        &[0.0]
    };
    if emission.values.is_empty() {
        return Err(not("the filter publishes no value for a matching event".into()));
    }
    if !emission.routine.is_empty() {
        return Err(routine_verdict(emission, &datapoint, comparison, threshold, &label)?);
    }
    if emission.copies.iter().any(|&c| c > 1) && emission.values.len() > 1 {
        return Err(cannot(format!(
            "the filters on the metric publish different values ({}) and some event is matched by more than one of them",
            emission.values.iter().map(f64::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut fired = None;
    for (&value, &copies) in emission
        .values
        .iter()
        .flat_map(|v| emission.copies.iter().map(move |c| (v, c)))
    {
        for &count in counts {
            let period = Period {
                event: Some(value),
                copies: copies as f64,
                default: emission.default_value,
                count,
            };
            let published = match copies {
                1 => format!("value {value}"),
                n => format!("value {value}, published by {n} filters"),
            };
            let event = format!("one event, {published}{}", others(count));
            match datapoint(&period)? {
                None => return Err(not(format!("{label} has no datapoint after {event}"))),
                Some(x) if !comparison.breaches(x, threshold) => {
                    return Err(not(format!(
                        "does not fire on one event: {label} = {x} ({event}) {} {threshold} is false",
                        comparison.symbol()
                    )))
                }
                Some(x) => {
                    fired.get_or_insert(format!("{label} = {x} ({event}) {} {threshold}", comparison.symbol()));
                }
            }
        }
    }
    let quiet_counts: &[f64] = if emission.default_value.is_some() {
        &[0.0, 1.0, MANY]
    } else {
        &[0.0]
    };
    let missing = alarm.treat_missing_data.as_deref().unwrap_or("missing");
    for &count in quiet_counts {
        let period = Period {
            event: None,
            copies: 0.0,
            default: emission.default_value,
            count,
        };
        match datapoint(&period)? {
            None if missing == "breaching" => {
                return Err(not(
                    "treats missing data as breaching, so it rests in ALARM and a new event sends nothing".into(),
                ))
            }
            None => {}
            Some(x) if comparison.breaches(x, threshold) => {
                return Err(not(format!(
                    "breaches with no matching event ({label} = {x} with {} other events), so it rests in ALARM and a new event sends nothing",
                    count_words(count)
                )))
            }
            Some(_) => {}
        }
    }
    let of = alarm.evaluation_periods.unwrap_or(1);
    let needed = alarm.datapoints_to_alarm.unwrap_or(of);
    if needed > 1 {
        return Err(not(format!(
            "needs {needed} breaching periods (of {of}), but one event breaches one period"
        )));
    }
    Ok(format!(
        "{}: ALARM after 1 of {of} datapoints",
        fired.unwrap_or_default()
    ))
}

/// The filter also counts routine events (every period holds one or very many): the
/// alarm rests in ALARM when a quiet period breaches; otherwise whether one matching
/// event moves it across the threshold depends on how many routine events the period
/// holds, which is not known.
fn routine_verdict(
    emission: &Emission,
    datapoint: &dyn Fn(&Period) -> Result<Option<f64>, Verdict>,
    comparison: Comparison,
    threshold: f64,
    label: &str,
) -> Result<Verdict, Verdict> {
    let routine = emission.routine.join(", ");
    if emission.default_value.is_some() {
        return Ok(Verdict::CannotProve(format!(
            "the filter also counts routine events ({routine}) and publishes a defaultValue for the rest: the period's mix is not known"
        )));
    }
    for &value in &emission.values {
        for count in [1.0, MANY] {
            // Routine events are the period's only samples: the default mechanism
            // models `count` samples of one value.
            let period = Period {
                event: None,
                copies: 0.0,
                default: Some(value),
                count,
            };
            if let Some(x) = datapoint(&period)? {
                if comparison.breaches(x, threshold) {
                    return Ok(Verdict::DoesNotFire(format!(
                        "breaches with no matching event: the filter also counts routine events ({routine}), so {label} = {x} with {} of them {} {threshold}; it rests in ALARM and a new event sends nothing",
                        count_words(count),
                        comparison.symbol()
                    )));
                }
            }
        }
    }
    Ok(Verdict::CannotProve(format!(
        "the filter also counts routine events ({routine}), so whether one matching event crosses the threshold depends on how many of those the period holds"
    )))
}

fn count_words(count: f64) -> String {
    if count >= MANY {
        "very many".into()
    } else {
        format!("{count}")
    }
}

/// The datapoint of query `q` over `period`: a statistic of the filter's metric, or an
/// expression over the alarm's other queries.
fn math_value(
    queries: &[MetricQuery],
    q: &MetricQuery,
    emission: &Emission,
    period: &Period,
    depth: usize,
) -> Result<Option<f64>, String> {
    if depth > queries.len() {
        return Err("its metric math queries refer to each other in a cycle".into());
    }
    if let Some(m) = &q.metric {
        if m.namespace != emission.namespace || m.name != emission.name {
            return Err(format!(
                "query {} reads metric {}/{}, whose datapoints this audit does not know",
                q.id, m.namespace, m.name
            ));
        }
        if let Some(problem) = dimension_problem(&m.dimensions, &emission.dimensions)
            .or_else(|| unit_problem(m.unit.as_deref(), &emission.unit))
        {
            return Err(format!("query {}: {problem}", q.id));
        }
        return Ok(Statistic::parse(&m.stat)?.over(period));
    }
    let source = q
        .expression
        .as_deref()
        .ok_or(format!("query {} has neither metric nor expression", q.id))?;
    let expr = math::parse(source).map_err(|e| format!("expression {source:?}: {e}"))?;
    let mut values = BTreeMap::new();
    for id in expr.ids() {
        let other = queries.iter().find(|o| o.id == id).ok_or(format!(
            "expression {source:?} reads {id}, which is not one of its queries"
        ))?;
        values.insert(id.to_string(), math_value(queries, other, emission, period, depth + 1)?);
    }
    expr.eval(&values).map_err(|e| format!("expression {source:?}: {e}"))
}

/// An alarm on the filter's metric sees datapoints only with the dimensions the filter
/// publishes, and one taken from the event ($.field) splits the metric per value.
fn dimension_problem(watched: &BTreeMap<String, String>, published: &BTreeMap<String, String>) -> Option<String> {
    let have: Vec<&String> = watched.keys().collect();
    let wanted: Vec<&String> = published.keys().collect();
    if have != wanted {
        return Some(format!(
            "watches dimensions [{}] but the filter publishes [{}]",
            have.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            wanted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    published.iter().find_map(|(k, source)| {
        let value = &watched[k];
        if source.starts_with("$.") {
            Some(format!(
                "watches only {k}={value}, one value of a dimension the filter takes from {source}"
            ))
        } else if value != source {
            Some(format!("watches {k}={value} but the filter publishes {k}={source}"))
        } else {
            None
        }
    })
}

/// A unit the metric is not published with matches no datapoint.
fn unit_problem(asked: Option<&str>, published: &str) -> Option<String> {
    let asked = asked?;
    (asked != published).then(|| {
        format!("asks for unit {asked}, but the filter publishes the metric with unit {published}: it never sees a datapoint")
    })
}
