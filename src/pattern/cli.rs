//! Pure helpers behind the command-line subcommands: they return JSON values,
//! the caller prints them.

use serde_json::{json, Map, Value};

use super::{coverage, matches, parse, PatternError, IAM_POLICY_EVENTS};

/// Tests `pattern` against `messages` and answers in the shape of the CloudWatch
/// Logs TestMetricFilter response:
/// `{"matches":[{"eventNumber":1,"eventMessage":"...","extractedValues":{"$1":"..."}}]}`.
///
/// Only matching messages are listed. `eventNumber` is the 1-based position of
/// the message in `messages`: that is what the service returns (the AWS CLI
/// example of `test-metric-filter` numbers its first two messages 1 and 2),
/// although the API reference's samples start at 0. `extractedValues` keys are
/// `$name` / `$N` as in the API reference examples, `{}` for term and JSON patterns.
/// The service's own limit of 50 messages is not enforced here.
pub fn test_metric_filter(pattern: &str, messages: &[String]) -> Result<Value, PatternError> {
    let pattern = parse(pattern)?;
    let found: Vec<Value> = messages
        .iter()
        .enumerate()
        .filter_map(|(i, message)| {
            let m = matches(&pattern, message);
            m.matched.then(|| {
                let extracted: Map<String, Value> =
                    m.extracted.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                json!({
                    "eventNumber": i + 1,
                    "eventMessage": message,
                    "extractedValues": extracted,
                })
            })
        })
        .collect();
    Ok(json!({ "matches": found }))
}

/// Coverage of the 16 IAM policy events by `pattern`, as JSON:
///
/// ```json
/// {"pattern": "...", "covers_all": false, "summary": "misses 1 of 16 ...",
///  "events_total": 16, "events_covered": 15, "covered": [...], "missing": ["CreatePolicy"],
///  "missing_variants": [{"event": "CreatePolicy", "identity": "IAMUser"}, ...],
///  "required_records": 80, "identity_types": ["IAMUser", ...],
///  "failed_calls_matched": [{"event": ..., "identity": ...}], "failed_calls_missed": [...]}
/// ```
pub fn coverage_report(pattern: &str) -> Result<Value, PatternError> {
    let parsed = parse(pattern)?;
    let c = coverage(&parsed);
    let variants = |vs: &[super::Variant]| -> Value {
        vs.iter()
            .map(|v| json!({"event": v.event, "identity": v.identity.as_str()}))
            .collect()
    };
    let covered: Vec<&str> = IAM_POLICY_EVENTS
        .iter()
        .copied()
        .filter(|e| !c.missing.contains(e))
        .collect();
    Ok(json!({
        "pattern": pattern,
        "covers_all": c.covers_all,
        "summary": c.summary(),
        "events_total": IAM_POLICY_EVENTS.len(),
        "events_covered": covered.len(),
        "covered": covered,
        "missing": c.missing,
        "missing_variants": variants(&c.missing_variants),
        "required_records": c.required_records,
        "identity_types": super::IdentityType::ALL.map(|i| i.as_str()),
        "failed_calls_matched": variants(&c.failed_calls_matched),
        "failed_calls_missed": variants(&c.failed_calls_missed),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_metric_filter_shape() {
        let msgs: Vec<String> = ["[ERROR] 400 BAD REQUEST", "[ERROR] 400 BAD REQUEST", "[INFO] 200 OK"]
            .map(String::from)
            .to_vec();
        // The AWS CLI reference example for `aws logs test-metric-filter --filter-pattern ERROR`.
        let got = test_metric_filter("ERROR", &msgs).unwrap();
        assert_eq!(
            got,
            json!({"matches": [
                {"eventNumber": 1, "eventMessage": "[ERROR] 400 BAD REQUEST", "extractedValues": {}},
                {"eventNumber": 2, "eventMessage": "[ERROR] 400 BAD REQUEST", "extractedValues": {}}
            ]})
        );
        let got = test_metric_filter("[a, b]", &["x y".to_owned()]).unwrap();
        assert_eq!(got["matches"][0]["extractedValues"], json!({"$a": "x", "$b": "y"}));
        assert_eq!(test_metric_filter("nothing", &msgs).unwrap(), json!({"matches": []}));
        let e = test_metric_filter("{ $.a = ", &msgs).unwrap_err();
        assert_eq!(e.position(), 8);
    }

    #[test]
    fn coverage_report_shape() {
        let r = coverage_report(super::super::CANONICAL_PATTERN).unwrap();
        assert_eq!(r["covers_all"], true);
        assert_eq!(r["events_covered"], 16);
        assert_eq!(r["missing"], json!([]));
        assert_eq!(r["required_records"], 80);
        assert_eq!(r["failed_calls_matched"].as_array().unwrap().len(), 32);
        let r = coverage_report("{ $.eventName = CreatePolicy }").unwrap();
        assert_eq!(r["covers_all"], false);
        assert_eq!(r["covered"], json!(["CreatePolicy"]));
        assert_eq!(r["missing"].as_array().unwrap().len(), 15);
        assert_eq!(
            r["missing_variants"][0],
            json!({"event": "DeleteGroupPolicy", "identity": "IAMUser"})
        );
        assert!(coverage_report("{").is_err());
    }
}
