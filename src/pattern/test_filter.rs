//! What `aws logs test-metric-filter` answers, computed locally: the language's own
//! test command. Returns the JSON value; the caller prints it.

use serde_json::{json, Map, Value};

use super::{matches, parse, PatternError};

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
}
