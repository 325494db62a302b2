//! Table-driven tests. The first tables are the examples of the SNS developer guide,
//! each under the page and section it comes from (page titles as in `mod.rs`); the
//! later ones are this project's cases (a CloudWatch alarm's notification) and the
//! choices `eval` makes where the pages are silent.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{AttributeValue, FilterPolicy, PolicyErrorKind, Scope, Verdict, MAX_POLICY_BYTES};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Delivers.
    D,
    /// Filtered.
    F,
    /// CannotProve.
    C,
}

use Want::{C, D, F};

fn s(v: &str) -> AttributeValue {
    AttributeValue::String(v.into())
}

fn n(v: f64) -> AttributeValue {
    AttributeValue::Number(v)
}

fn arr(v: Value) -> AttributeValue {
    match v {
        Value::Array(items) => AttributeValue::StringArray(items),
        other => panic!("not an array: {other}"),
    }
}

fn attrs(pairs: &[(&str, AttributeValue)]) -> BTreeMap<String, AttributeValue> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn policy(text: &str) -> FilterPolicy {
    FilterPolicy::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn got(v: &Verdict) -> Want {
    match v {
        Verdict::Delivers => D,
        Verdict::Filtered(_) => F,
        Verdict::CannotProve(_) => C,
    }
}

/// Collects every row's failure, so one run shows all of them.
#[derive(Default)]
struct Table {
    failures: Vec<String>,
    rows: usize,
}

impl Table {
    fn attr(&mut self, section: &str, text: &str, message: &[(&str, AttributeValue)], want: Want) {
        let v = policy(text).evaluate(Scope::MessageAttributes, &attrs(message), &Value::Null);
        self.row(section, text, &format!("attributes {message:?}"), want, v);
    }

    fn body(&mut self, section: &str, text: &str, body: Value, want: Want) {
        let v = policy(text).evaluate(Scope::MessageBody, &BTreeMap::new(), &body);
        self.row(section, text, &format!("body {body}"), want, v);
    }

    fn row(&mut self, section: &str, text: &str, message: &str, want: Want, v: Verdict) {
        self.rows += 1;
        if got(&v) != want {
            self.failures
                .push(format!("[{section}] {text} on {message}: want {want:?}, got {v:?}"));
        }
    }

    fn done(self) {
        assert!(self.rows > 0);
        assert!(self.failures.is_empty(), "\n{}", self.failures.join("\n"));
    }
}

// ------------------------------------------------------------ String value matching

#[test]
fn string_value_matching() {
    let mut t = Table::default();

    // "Exact matching".
    let p = r#"{"customer_interests": ["rugby", "tennis"]}"#;
    let sec = "String value matching / Exact matching";
    t.attr(sec, p, &[("customer_interests", s("rugby"))], D);
    t.attr(sec, p, &[("customer_interests", s("tennis"))], D);
    t.attr(sec, p, &[("customer_interests", arr(json!(["rugby", "tennis"])))], D);
    t.body(sec, p, json!({"customer_interests": "rugby"}), D);
    t.body(sec, p, json!({"customer_interests": "tennis"}), D);
    t.attr(sec, p, &[("customer_interests", s("baseball"))], F);
    t.attr(sec, p, &[("customer_interests", arr(json!(["baseball"])))], F);
    t.body(sec, p, json!({"customer_interests": "baseball"}), F);
    // "the comparison is case-sensitive" (Filter policy constraints).
    t.body(sec, p, json!({"customer_interests": "Rugby"}), F);

    // "Anything-but matching".
    let p = r#"{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}"#;
    let sec = "String value matching / Anything-but matching";
    t.attr(sec, p, &[("customer_interests", s("baseball"))], D);
    t.attr(sec, p, &[("customer_interests", s("football"))], D);
    t.body(sec, p, json!({"customer_interests": "baseball"}), D);
    t.body(sec, p, json!({"customer_interests": "football"}), D);
    // The page's example says this String.Array matches ("it contains a value that isn't
    // rugby or tennis"); its own paragraph above says a String.Array matches "if none of
    // the array elements are listed". The readings differ here: cannot prove.
    t.attr(sec, p, &[("customer_interests", arr(json!(["rugby", "baseball"])))], C);
    // For a message body only the example speaks: it matches.
    t.body(sec, p, json!({"customer_interests": ["rugby", "baseball"]}), D);
    t.attr(sec, p, &[("customer_interests", s("rugby"))], F);
    t.attr(sec, p, &[("customer_interests", arr(json!(["rugby"])))], F);
    t.body(sec, p, json!({"customer_interests": ["rugby"]}), F);
    // Both readings agree when no element is listed, or every one is.
    t.attr(sec, p, &[("customer_interests", arr(json!(["golf", "chess"])))], D);
    t.attr(sec, p, &[("customer_interests", arr(json!(["rugby", "tennis"])))], F);

    // "Using a prefix with anything-but".
    let p = r#"{"event":[{"anything-but": {"prefix": "order-"}}]}"#;
    let sec = "String value matching / Using a prefix with anything-but";
    t.attr(sec, p, &[("event", s("data-entry"))], D);
    t.attr(sec, p, &[("event", s("order_number"))], D);
    t.body(sec, p, json!({"event": "data-entry"}), D);
    t.body(sec, p, json!({"event": "order_number"}), D);
    t.attr(sec, p, &[("event", s("order-cancelled"))], F);
    t.body(sec, p, json!({"event": "order-cancelled"}), F);

    // "anything-but wildcard": not evaluated here, either way.
    let p = r#"{"customer_interests" : [{ "anything-but": { "wildcard": "*ball" }}]}"#;
    let sec = "String value matching / anything-but wildcard";
    t.body(sec, p, json!({"customer_interests": ["hockey", "rugby", "soccer"]}), C);
    t.body(sec, p, json!({"customer_interests": ["baseball", "basketball"]}), C);

    // "anything-but suffix".
    let p = r#"{"customer_interests": [ { "anything-but": { "suffix": "ball" } } ]}"#;
    let sec = "String value matching / anything-but suffix";
    t.body(sec, p, json!({"customer_interests": ["hockey", "rugby", "soccer"]}), D);
    t.body(sec, p, json!({"customer_interests": ["baseball", "basketball"]}), F);

    // "Equals-ignore-case matching".
    let p = r#"{"customer_interests": [{"equals-ignore-case": "tennis"}]}"#;
    let sec = "String value matching / Equals-ignore-case matching";
    t.attr(sec, p, &[("customer_interests", s("TENNIS"))], D);
    t.attr(sec, p, &[("customer_interests", s("Tennis"))], D);
    t.body(sec, p, json!({"customer_interests": "TENNIS"}), D);
    t.body(sec, p, json!({"customer_interests": "teNnis"}), D);
    t.body(sec, p, json!({"customer_interests": "tennis court"}), F);

    // "IP address matching".
    let p = r#"{"source_ip":[{"cidr": "10.0.0.0/24"}]}"#;
    let sec = "String value matching / IP address matching";
    t.attr(sec, p, &[("source_ip", s("10.0.0.0"))], D);
    t.attr(sec, p, &[("source_ip", s("10.0.0.255"))], D);
    t.body(sec, p, json!({"source_ip": "10.0.0.0"}), D);
    t.body(sec, p, json!({"source_ip": "10.0.0.255"}), D);
    t.attr(sec, p, &[("source_ip", s("10.1.1.0"))], F);
    t.body(sec, p, json!({"source_ip": "10.1.1.0"}), F);

    // "Prefix matching".
    let p = r#"{"customer_interests": [{"prefix": "bas"}]}"#;
    let sec = "String value matching / Prefix matching";
    t.attr(sec, p, &[("customer_interests", s("baseball"))], D);
    t.attr(sec, p, &[("customer_interests", s("basketball"))], D);
    t.body(sec, p, json!({"customer_interests": "baseball"}), D);
    t.body(sec, p, json!({"customer_interests": "basketball"}), D);
    t.attr(sec, p, &[("customer_interests", s("rugby"))], F);
    t.body(sec, p, json!({"customer_interests": "rugby"}), F);

    // "Suffix matching".
    let p = r#"{"customer_interests": [{"suffix": "ball"}]}"#;
    let sec = "String value matching / Suffix matching";
    t.attr(sec, p, &[("customer_interests", s("baseball"))], D);
    t.attr(sec, p, &[("customer_interests", s("basketball"))], D);
    t.body(sec, p, json!({"customer_interests": "baseball"}), D);
    t.body(sec, p, json!({"customer_interests": "basketball"}), D);
    t.attr(sec, p, &[("customer_interests", s("rugby"))], F);
    t.body(sec, p, json!({"customer_interests": "rugby"}), F);

    // "Wildcard": not evaluated here.
    let p = r#"{"customer_interests": [ { "wildcard": "*ball" } ]}"#;
    t.body(
        "String value matching / Wildcard",
        p,
        json!({"customer_interests": ["baseball", "basketball"]}),
        C,
    );
    t.done();
}

// ------------------------------------------------------------ Numeric value matching

#[test]
fn numeric_value_matching() {
    let mut t = Table::default();

    // "Exact matching".
    let p = r#"{"price_usd": [{"numeric": ["=",301.5]}]}"#;
    let sec = "Numeric value matching / Exact matching";
    t.attr(sec, p, &[("price_usd", n(301.5))], D);
    t.attr(sec, p, &[("price_usd", n(3.015e2))], D);
    t.body(sec, p, json!({"price_usd": 301.5}), D);
    let written_with_exponent: Value = serde_json::from_str(r#"{"price_usd": 3.015e2}"#).unwrap();
    t.body(sec, p, written_with_exponent, D);
    t.body(sec, p, json!({"price_usd": 301.6}), F);
    // "Numeric values aren't enclosed in double quotation marks".
    t.body(sec, p, json!({"price_usd": "301.5"}), F);

    // "Anything-but matching".
    let p = r#"{"price": [{"anything-but": [100, 500]}]}"#;
    let sec = "Numeric value matching / Anything-but matching";
    t.attr(sec, p, &[("price", n(101.0))], D);
    t.attr(sec, p, &[("price", n(100.1))], D);
    t.body(sec, p, json!({"price": 101}), D);
    t.body(sec, p, json!({"price": 100.1}), D);
    t.body(sec, p, json!({"price": [100, 50]}), D);
    t.attr(sec, p, &[("price", n(100.0))], F);
    t.body(sec, p, json!({"price": 100}), F);
    // The page's "Number.Array" is not an SNS data type; as a String.Array of numbers it
    // falls under the String page's contradiction (see string_value_matching).
    t.attr(sec, p, &[("price", arr(json!([100, 50])))], C);

    // "Value range matching".
    let p = r#"{"price_usd": [{"numeric": ["<", 0]}]}"#;
    let sec = "Numeric value matching / Value range matching";
    t.body(sec, p, json!({"price_usd": -1}), D);
    t.attr(sec, p, &[("price_usd", n(-0.5))], D);
    t.body(sec, p, json!({"price_usd": 0}), F);
    let p = r#"{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}"#;
    t.body(sec, p, json!({"price_usd": 150}), D);
    t.body(sec, p, json!({"price_usd": 1}), D);
    t.body(sec, p, json!({"price_usd": 0}), F);
    t.body(sec, p, json!({"price_usd": 150.5}), F);
    t.body(sec, p, json!({"price_usd": "100"}), F);
    t.done();
}

// ------------------------------------------------------------ Key matching

#[test]
fn key_matching() {
    let mut t = Table::default();
    let interests = || ("customer_interests", arr(json!(["baseball", "basketball"])));

    let p = r#"{"store": [{"exists": true}]}"#;
    let sec = "Key matching / exists true";
    t.attr(sec, p, &[("store", s("fans")), interests()], D);
    t.body(
        sec,
        p,
        json!({"store": "fans", "customer_interests": ["baseball", "basketball"]}),
        D,
    );
    t.attr(sec, p, &[interests()], F);
    t.body(sec, p, json!({"customer_interests": ["baseball", "basketball"]}), F);
    // "The key must have a non-null and non-empty value."
    t.body(sec, p, json!({"store": null}), F);
    t.body(sec, p, json!({"store": ""}), F);
    t.attr(sec, p, &[("store", s(""))], F);
    // "exists matching only works on leaf nodes."
    t.body(sec, p, json!({"store": {"name": "fans"}}), F);

    let p = r#"{"store": [{"exists": false}]}"#;
    let sec = "Key matching / exists false";
    t.attr(sec, p, &[("store", s("fans")), interests()], F);
    t.body(
        sec,
        p,
        json!({"store": "fans", "customer_interests": ["baseball", "basketball"]}),
        F,
    );
    t.attr(sec, p, &[interests()], D);
    t.body(sec, p, json!({"customer_interests": ["baseball", "basketball"]}), D);
    // "exists: false only matches if at least one attribute is present. An empty set of
    // attributes results in the filter not matching."
    t.attr(sec, p, &[], F);
    // Not written: an empty body, a null value, an intermediate node, Binary-only attributes.
    t.body(sec, p, json!({}), C);
    t.body(sec, p, json!({"store": null}), C);
    t.body(sec, p, json!({"store": {"name": "fans"}}), C);
    t.attr(sec, p, &[("blob", AttributeValue::Binary)], C);
    t.done();
}

// ------------------------------------------------------------ AND/OR logic

#[test]
fn and_or_logic() {
    let mut t = Table::default();

    let p = r#"{"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}"#;
    let sec = "AND/OR logic / AND logic";
    t.attr(
        sec,
        p,
        &[("customer_interests", s("rugby")), ("price_usd", n(101.0))],
        D,
    );
    t.attr(
        sec,
        p,
        &[("customer_interests", s("rugby")), ("price_usd", n(100.0))],
        F,
    );
    t.attr(
        sec,
        p,
        &[("customer_interests", s("tennis")), ("price_usd", n(101.0))],
        F,
    );
    t.body(sec, p, json!({"customer_interests": "rugby", "price_usd": 150}), D);
    t.body(sec, p, json!({"customer_interests": "rugby"}), F);

    let p = r#"{"customer_interests": ["rugby", "football", "baseball"]}"#;
    let sec = "AND/OR logic / OR logic";
    t.attr(sec, p, &[("customer_interests", s("football"))], D);
    t.body(sec, p, json!({"customer_interests": "baseball"}), D);
    t.body(sec, p, json!({"customer_interests": "hockey"}), F);

    let p = r#"{
      "source": [ "aws.cloudwatch" ],
      "$or": [
        { "metricName": [ "CPUUtilization" ] },
        { "namespace": [ "AWS/EC2" ] }
      ]
    }"#;
    let sec = "AND/OR logic / OR operator examples";
    let src = || ("source", s("aws.cloudwatch"));
    t.attr(sec, p, &[src(), ("metricName", s("CPUUtilization"))], D);
    t.attr(sec, p, &[src(), ("namespace", s("AWS/EC2"))], D);
    t.body(
        sec,
        p,
        json!({"source": "aws.cloudwatch", "metricName": "CPUUtilization"}),
        D,
    );
    t.body(sec, p, json!({"source": "aws.cloudwatch", "namespace": "AWS/EC2"}), D);
    t.attr(sec, p, &[src()], F);
    t.attr(sec, p, &[("metricName", s("CPUUtilization"))], F);
    t.body(sec, p, json!({"source": "aws.cloudwatch", "namespace": "AWS/ES"}), F);

    let p = r#"{
        "source": [ "aws.cloudwatch" ],
        "$or": [
          { "metricName": [ "CPUUtilization", "ReadLatency" ] },
          {
            "metricType": [ "MetricType" ] ,
            "$or" : [
              { "metricId": [ 1234, 4321 ] },
              { "spaceId": [ 1000, 2000, 3000 ] }
            ]
          }
        ]
      }"#;
    let sec = "AND/OR logic / Policy constraints that include OR relationships";
    assert_eq!(policy(p).combinations(), 7, "{sec}");
    t.body(
        sec,
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 2000}),
        D,
    );
    t.body(
        sec,
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 5}),
        F,
    );
    t.body(
        sec,
        p,
        json!({"source": "aws.cloudwatch", "metricName": "ReadLatency"}),
        D,
    );

    let p = r#"{
        "$or": [
          { "metricName": [ "CPUUtilization", "ReadLatency" ] },
          { "namespace": [ "AWS/EC2", "AWS/ES" ] }
        ],
        "detail" : {
          "scope" : [ "Service" ],
          "$or": [
            { "source": [ "aws.cloudwatch" ] },
            { "type": [ "CloudWatch Alarm State Change"] }
          ]
        }
      }"#;
    let sec = "AND/OR logic / nested filter policy";
    assert_eq!(policy(p).combinations(), 32, "{sec}");
    let ok = json!({"namespace": "AWS/ES", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}});
    t.body(sec, p, ok, D);
    let wrong_scope = json!({"namespace": "AWS/ES", "detail": {"scope": "Other", "source": "aws.cloudwatch"}});
    t.body(sec, p, wrong_scope, F);
    // SNS does not accept a nested policy for attributes.
    t.attr(sec, p, &[("namespace", s("AWS/ES"))], C);
    t.done();
}

/// AND/OR logic: "$or" is an OR only when followed by an array of at least two objects
/// none of whose field names is a reserved keyword; otherwise it is a plain name.
#[test]
fn or_is_an_or_only_in_its_documented_form() {
    // The page's own example: read as a key named "$or" whose patterns are
    // {"numeric": 123} (which SNS's numeric operator does not take) and {"prefix": "abc"}.
    let e = FilterPolicy::parse(r#"{"$or": [ {"numeric" : 123}, {"prefix": "abc"} ]}"#).unwrap_err();
    assert_eq!((e.kind(), e.key()), (PolicyErrorKind::Operand, Some("$or")), "{e}");

    let mut t = Table::default();
    let sec = "AND/OR logic / OR operator conditions";
    let p = r#"{"$or": [ {"prefix": "abc"}, {"suffix": "xyz"} ]}"#;
    t.body(sec, p, json!({"$or": "abcd"}), D);
    t.body(sec, p, json!({"x": "abc"}), F);
    // One object is not an OR: {"a": ["x"]} is then an operator "a", not evaluated.
    let p = r#"{"$or": [ {"a": ["x"]} ]}"#;
    t.body(sec, p, json!({"a": "x"}), C);
    t.done();
}

// ------------------------------------------------------------ Example filter policies

#[test]
fn example_filter_policies() {
    let mut t = Table::default();
    let message = [
        ("customer_interests", arr(json!(["soccer", "rugby", "hockey"]))),
        ("store", s("example_corp")),
        ("event", s("order_placed")),
        ("price_usd", n(210.75)),
    ];
    let body = json!({
        "customer_interests": ["soccer", "rugby", "hockey"],
        "store": "example_corp",
        "event": "order_placed",
        "price_usd": 210.75
    });
    let accepts = r#"{
       "store": ["example_corp"],
       "event": [{"anything-but": "order_cancelled"}],
       "customer_interests": ["rugby", "football", "baseball"],
       "price_usd": [{"numeric": [">=", 100]}]
    }"#;
    let sec = "Example filter policies / A policy that accepts the example message";
    t.attr(sec, accepts, &message, D);
    t.body(sec, accepts, body.clone(), D);
    let rejects = r#"{
       "store": ["example_corp"],
       "event": ["order_cancelled"],
       "encrypted": [false],
       "customer_interests": ["basketball", "baseball"]
    }"#;
    let sec = "Example filter policies / A policy that rejects the example message";
    t.attr(sec, rejects, &message, F);
    t.body(sec, rejects, body, F);
    t.done();

    // The reason names the first key that fails, and what the message has there.
    let v = policy(rejects).evaluate(Scope::MessageAttributes, &attrs(&message), &Value::Null);
    assert_eq!(
        v,
        Verdict::Filtered("requires event to be \"order_cancelled\"; the message has event \"order_placed\"".into())
    );
}

// ------------------------------------------------------------ Filter policy constraints

#[test]
fn combinations_are_counted_as_documented() {
    // "Example policy for complexity": 3 x 1 x 2.
    let p = policy(
        r#"{"key_a": ["value_one", "value_two", "value_three"], "key_b": ["value_one"], "key_c": ["value_one", "value_two"]}"#,
    );
    assert_eq!(p.combinations(), 6);
    // "Example policy for key limit": 4 x 3 x 3 x 2.
    let p = policy(
        r#"{
        "key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}},
        "key_d": {"key_e": ["value_one", "value_two", "value_three"]}
    }"#,
    );
    assert_eq!(p.combinations(), 72);
    assert_eq!(p.keys(), ["key_a.key_b.key_c", "key_d.key_e"]);
    assert!(p.is_nested());
}

fn values(count: usize) -> String {
    let v: Vec<String> = (0..count).map(|i| format!("\"v{i}\"")).collect();
    format!("[{}]", v.join(","))
}

#[test]
fn at_most_150_combinations() {
    assert_eq!(policy(&format!(r#"{{"a": {}}}"#, values(150))).combinations(), 150);
    assert_eq!(
        policy(&format!(r#"{{"a": {}, "b": {}}}"#, values(10), values(15))).combinations(),
        150
    );
    for text in [
        format!(r#"{{"a": {}}}"#, values(151)),
        format!(r#"{{"a": {}, "b": {}}}"#, values(10), values(16)),
        // Nesting counts: 2 values at level 1, 38 at level 2 = 2 x 76 = 152.
        format!(r#"{{"a": {}, "b": {{"c": {}}}}}"#, values(2), values(38)),
    ] {
        let e = FilterPolicy::parse(&text).unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::TooComplex, "{text}: {e}");
    }
}

#[test]
fn at_most_five_keys() {
    assert!(FilterPolicy::parse(r#"{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"]}"#).is_ok());
    let e = FilterPolicy::parse(r#"{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"],"f":["x"]}"#).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::TooManyKeys);
    assert!(e.to_string().contains("6 keys"), "{e}");
    // Nested: "only leaf keys are counted".
    assert!(FilterPolicy::parse(r#"{"p":{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"]}}"#).is_ok());
    let e = FilterPolicy::parse(r#"{"p":{"a":["x"],"b":["x"],"c":["x"]},"q":{"d":["x"],"e":["x"],"f":["x"]}}"#)
        .unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::TooManyKeys);
    // Keys inside $or alternatives count; the same key twice counts once.
    assert!(
        FilterPolicy::parse(r#"{"$or":[{"a":["x"],"b":["x"]},{"a":["y"],"c":["x"]}],"d":["x"],"e":["x"]}"#).is_ok()
    );
    let e = FilterPolicy::parse(r#"{"$or":[{"a":["x"],"b":["x"]},{"c":["y"],"d":["x"]}],"e":["x"],"f":["x"]}"#)
        .unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::TooManyKeys);
}

#[test]
fn at_most_256_kb() {
    let frame = r#"{"k": [""]}"#.len();
    let fits = format!(r#"{{"k": ["{}"]}}"#, "x".repeat(MAX_POLICY_BYTES - frame));
    assert_eq!(fits.len(), MAX_POLICY_BYTES);
    assert!(FilterPolicy::parse(&fits).is_ok());
    let over = format!(r#"{{"k": ["{}"]}}"#, "x".repeat(MAX_POLICY_BYTES - frame + 1));
    assert_eq!(
        FilterPolicy::parse(&over).unwrap_err().kind(),
        PolicyErrorKind::TooLarge
    );
}

#[test]
fn attribute_constraints() {
    let mut t = Table::default();
    let sec = "Filter policy constraints / attribute-based filtering";
    // "Amazon SNS ignores message attributes with the Binary data type."
    t.attr(sec, r#"{"k": ["x"]}"#, &[("k", AttributeValue::Binary)], F);
    t.attr(sec, r#"{"k": [{"exists": true}]}"#, &[("k", AttributeValue::Binary)], C);
    // "you must double-escape" " and \ — how such a value then matches is not written.
    t.attr(sec, r#"{"k": ["say \"hi\""]}"#, &[("k", s("say \"hi\""))], C);
    t.attr(sec, r#"{"k": [{"prefix": "a"}]}"#, &[("k", s("a\\b"))], C);
    // The body scope has no such rule.
    t.body(sec, r#"{"k": ["say \"hi\""]}"#, json!({"k": "say \"hi\""}), D);
    t.done();
}

// ------------------------------------------------------------ Filter policy scope

#[test]
fn scope_values() {
    assert_eq!(Scope::parse(None).unwrap(), Scope::MessageAttributes);
    assert_eq!(
        Scope::parse(Some("MessageAttributes")).unwrap(),
        Scope::MessageAttributes
    );
    assert_eq!(Scope::parse(Some("MessageBody")).unwrap(), Scope::MessageBody);
    for bad in ["messagebody", "", "Body"] {
        let e = Scope::parse(Some(bad)).unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::Scope);
        assert!(e.to_string().starts_with("invalid filter policy scope:"), "{e}");
    }
    assert_eq!(Scope::MessageBody.to_string(), "MessageBody");
}

// ------------------------------------------------------------ a CloudWatch alarm's notification

/// The message CloudWatch publishes for a metric alarm, in the shape of AWS's samples
/// (aws-lambda-go, events/testdata/cloudwatch-alarm-sns-payload-single-metric.json),
/// for this project's alarm.
fn alarm_notification(name: &str) -> Value {
    json!({
        "AlarmName": name,
        "AlarmDescription": "IAM policy changes",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (06/03/15 17:43:27)] was greater than or equal to the threshold (1.0).",
        "StateChangeTime": "2015-06-03T17:43:27.123+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"),
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "IAMPolicyEventCount",
            "Namespace": "CloudTrailMetrics",
            "StatisticType": "Statistic",
            "Statistic": "SUM",
            "Unit": null,
            "Dimensions": [],
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": ""
        }
    })
}

/// The same for a metric-math alarm (aws-lambda-go,
/// cloudwatch-alarm-sns-payload-multiple-metrics.json).
fn math_alarm_notification() -> Value {
    json!({
        "AlarmName": "IAMPolicyChanges",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "Trigger": {
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
            "Metrics": [
                {"Expression": "m1", "Id": "e1", "Label": "Expression1", "ReturnData": true},
                {"Id": "m1", "MetricStat": {"Metric": {
                    "Dimensions": [{"value": "i-1", "name": "InstanceId"}, {"value": "x", "name": "Other"}],
                    "MetricName": "IAMPolicyEventCount", "Namespace": "CloudTrailMetrics"},
                    "Period": 300, "Stat": "Sum"}, "ReturnData": false}
            ]
        }
    })
}

#[test]
fn the_issues_cases() {
    let none = BTreeMap::new();
    let subject = "this alarm's notification";

    // A MessageAttributes policy: CloudWatch sends no message attributes.
    let v = policy(r#"{"severity": ["high"]}"#).evaluate_as(
        Scope::MessageAttributes,
        &none,
        &alarm_notification("IAMPolicyChanges"),
        subject,
    );
    assert_eq!(
        v,
        Verdict::Filtered(
            "requires severity to be \"high\"; this alarm's notification has no message attributes".into()
        )
    );

    let p = policy(r#"{"AlarmName": [{"prefix": "prod-"}]}"#);
    let v = p.evaluate_as(
        Scope::MessageBody,
        &none,
        &alarm_notification("IAMPolicyChanges"),
        subject,
    );
    assert_eq!(
        v,
        Verdict::Filtered(
            "requires AlarmName to begin with \"prod-\"; this alarm's notification has AlarmName \"IAMPolicyChanges\""
                .into()
        )
    );
    assert_eq!(
        p.evaluate(Scope::MessageBody, &none, &alarm_notification("prod-iam")),
        Verdict::Delivers
    );

    let v = policy(r#"{"Trigger": {"MetricName": ["Other"]}}"#).evaluate(
        Scope::MessageBody,
        &none,
        &alarm_notification("IAMPolicyChanges"),
    );
    assert_eq!(
        v,
        Verdict::Filtered(
            "requires Trigger.MetricName to be \"Other\"; the message has Trigger.MetricName \"IAMPolicyEventCount\""
                .into()
        )
    );

    let v = policy(r#"{"k": [{"wildcard": "a*"}]}"#).evaluate(Scope::MessageBody, &none, &json!({"k": "abc"}));
    assert_eq!(
        v,
        Verdict::CannotProve("the policy's wildcard \"a*\" on k is not evaluated".into())
    );

    let e = FilterPolicy::parse(r#"{"k": ["a"]"#).unwrap_err();
    assert_eq!(e.kind(), PolicyErrorKind::Json);
    assert!(
        e.to_string().starts_with("invalid filter policy: not valid JSON"),
        "{e}"
    );
}

#[test]
fn alarm_notifications() {
    let mut t = Table::default();
    let sec = "alarm notification";
    let alarm = alarm_notification("IAMPolicyChanges");
    let math = math_alarm_notification();
    t.body(sec, r#"{"NewStateValue": ["ALARM"]}"#, alarm.clone(), D);
    t.body(sec, r#"{"NewStateValue": ["OK"]}"#, alarm.clone(), F);
    t.body(
        sec,
        r#"{"Trigger": {"Namespace": ["CloudTrailMetrics"], "MetricName": ["IAMPolicyEventCount"]}}"#,
        alarm.clone(),
        D,
    );
    t.body(
        sec,
        r#"{"AlarmName": [{"anything-but": {"prefix": "test-"}}]}"#,
        alarm.clone(),
        D,
    );
    t.body(
        sec,
        r#"{"Trigger": {"Period": [{"numeric": [">=", 60]}]}}"#,
        alarm.clone(),
        D,
    );
    // A plain integer against an integer: equal however SNS compares.
    t.body(sec, r#"{"Trigger": {"Period": [300]}}"#, alarm.clone(), D);
    t.body(sec, r#"{"Trigger": {"Period": [60]}}"#, alarm.clone(), F);
    // A plain number against 1.0: by value it is equal, as written it is not.
    t.body(sec, r#"{"Trigger": {"Threshold": [1]}}"#, alarm.clone(), C);
    t.body(sec, r#"{"Trigger": {"Threshold": [2]}}"#, alarm.clone(), F);
    // A key that is absent from this alarm's notification.
    t.body(sec, r#"{"AlarmTags": {"team": ["security"]}}"#, alarm.clone(), F);
    t.body(sec, r#"{"AlarmTags": {"team": [{"exists": false}]}}"#, alarm.clone(), D);
    // Trigger is an intermediate node.
    t.body(sec, r#"{"Trigger": [{"exists": true}]}"#, alarm.clone(), F);
    t.body(sec, r#"{"Trigger": ["x"]}"#, alarm.clone(), F);
    // Unit is null.
    t.body(sec, r#"{"Trigger": {"Unit": [null]}}"#, alarm.clone(), D);
    t.body(sec, r#"{"Trigger": {"Unit": [{"exists": true}]}}"#, alarm.clone(), F);
    // A key with a dot: Event Ruler would also read it as Trigger -> MetricName.
    t.body(
        sec,
        r#"{"Trigger.MetricName": ["IAMPolicyEventCount"]}"#,
        alarm.clone(),
        C,
    );

    // Metric math: Metrics[] is an array of objects.
    let p = r#"{"Trigger": {"Metrics": {"MetricStat": {"Metric": {"MetricName": ["IAMPolicyEventCount"]}}}}}"#;
    t.body(sec, p, math.clone(), D);
    t.body(sec, p, alarm.clone(), F);
    // Two keys in the same element of Dimensions.
    let same = r#"{"Trigger": {"Metrics": {"MetricStat": {"Metric": {"Dimensions": {"name": ["InstanceId"], "value": ["i-1"]}}}}}}"#;
    t.body(sec, same, math.clone(), D);
    // Two keys matching only in different elements: SNS documents no rule.
    let split = r#"{"Trigger": {"Metrics": {"MetricStat": {"Metric": {"Dimensions": {"name": ["InstanceId"], "value": ["x"]}}}}}}"#;
    t.body(sec, split, math.clone(), C);
    // Matching in no element at all.
    let neither = r#"{"Trigger": {"Metrics": {"MetricStat": {"Metric": {"Dimensions": {"name": ["InstanceId"], "value": ["y"]}}}}}}"#;
    t.body(sec, neither, math, F);
    t.done();
}

// ------------------------------------------------------------ choices where the pages are silent

#[test]
fn undecided_cases_are_cannot_prove() {
    let mut t = Table::default();
    let sec = "ours";
    // Numbers: the documented range and accuracy.
    t.body(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, json!({"x": 1.1}), D);
    t.body(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, json!({"x": 1.000001}), C);
    t.body(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, json!({"x": 2e9}), C);
    t.body(sec, r#"{"x": [{"numeric": ["<", 1]}]}"#, json!({"x": 0.99}), D);
    // A String attribute holding a number, against numeric.
    t.attr(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, &[("x", s("5"))], C);
    t.attr(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, &[("x", s("0"))], F);
    t.attr(sec, r#"{"x": [{"numeric": [">", 1]}]}"#, &[("x", s("five"))], F);
    // Case folding beyond ASCII.
    t.body(
        sec,
        r#"{"x": [{"equals-ignore-case": "straße"}]}"#,
        json!({"x": "STRASSE"}),
        C,
    );
    t.body(sec, r#"{"x": [{"equals-ignore-case": "Ærø"}]}"#, json!({"x": "ærø"}), C);
    t.body(
        sec,
        r#"{"x": [{"equals-ignore-case": "Ærø-A"}]}"#,
        json!({"x": "Ærø-a"}),
        D,
    );
    t.body(
        sec,
        r#"{"x": [{"equals-ignore-case": "Ærø"}]}"#,
        json!({"x": "aero"}),
        F,
    );
    // IPv6, and addresses Rust does not read.
    t.body(
        sec,
        r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#,
        json!({"ip": "2001:db8::1"}),
        D,
    );
    t.body(
        sec,
        r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#,
        json!({"ip": "2001:db9::1"}),
        F,
    );
    t.body(
        sec,
        r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
        json!({"ip": "2001:db8::1"}),
        F,
    );
    t.body(
        sec,
        r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
        json!({"ip": "::ffff:10.0.0.1"}),
        C,
    );
    t.body(
        sec,
        r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
        json!({"ip": "010.0.0.1"}),
        C,
    );
    t.body(
        sec,
        r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#,
        json!({"ip": "not an ip"}),
        F,
    );
    t.body(sec, r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, json!({"ip": "192.0.2.1"}), D);
    // anything-but: a missing key, an empty array, a value of another type.
    t.body(sec, r#"{"x": [{"anything-but": "a"}]}"#, json!({"y": 1}), F);
    t.attr(sec, r#"{"x": [{"anything-but": "a"}]}"#, &[("y", s("b"))], F);
    t.body(
        sec,
        r#"{"x": [{"anything-but": "a"}, {"exists": false}]}"#,
        json!({"y": 1}),
        D,
    );
    t.body(sec, r#"{"x": [{"anything-but": "a"}]}"#, json!({"x": []}), C);
    t.body(sec, r#"{"x": [{"anything-but": "a"}]}"#, json!({"x": 5}), C);
    t.body(sec, r#"{"x": [{"anything-but": [1, 2]}]}"#, json!({"x": "a"}), C);
    // An operator not evaluated loses to one that matches, not to one that does not.
    t.body(sec, r#"{"x": ["a", {"wildcard": "b*"}]}"#, json!({"x": "a"}), D);
    t.body(sec, r#"{"x": ["a", {"wildcard": "b*"}]}"#, json!({"x": "c"}), C);
    // ... and a key that fails filters the message whatever another key says.
    t.body(
        sec,
        r#"{"x": [{"wildcard": "b*"}], "y": ["z"]}"#,
        json!({"x": "b", "y": "w"}),
        F,
    );
    t.body(sec, r#"{"x": [{"unknown-op": 1}]}"#, json!({"x": 1}), C);
    // Arrays of scalars: any element.
    t.body(sec, r#"{"x": ["b"]}"#, json!({"x": ["a", ["b"]]}), D);
    // A body that is not a JSON object.
    t.body(sec, r#"{"x": ["a"]}"#, json!("a"), C);
    // Booleans are not strings.
    t.body(sec, r#"{"x": [true]}"#, json!({"x": true}), D);
    t.body(sec, r#"{"x": [true]}"#, json!({"x": "true"}), F);
    t.attr(sec, r#"{"x": [true]}"#, &[("x", s("true"))], C);
    t.done();
}

#[test]
fn empty_policy_delivers_everything() {
    let p = policy("{}");
    assert_eq!(
        p.evaluate(Scope::MessageAttributes, &BTreeMap::new(), &Value::Null),
        Verdict::Delivers
    );
    assert_eq!(
        p.evaluate(Scope::MessageBody, &BTreeMap::new(), &json!({})),
        Verdict::Delivers
    );
    assert_eq!(p.to_string(), "no condition (every message is delivered)");
}

#[test]
fn or_reasons_name_every_alternative() {
    let p = policy(r#"{"$or": [{"a": ["x"]}, {"b": [{"prefix": "y"}]}]}"#);
    let v = p.evaluate(Scope::MessageBody, &BTreeMap::new(), &json!({"b": "z"}));
    assert_eq!(
        v,
        Verdict::Filtered(
            "requires one of its $or alternatives, and none holds: (requires a to be \"x\"; the message has no a) or \
             (requires b to begin with \"y\"; the message has b \"z\")"
                .into()
        )
    );
}

#[test]
fn display_says_what_each_key_requires() {
    let p = policy(
        r#"{"AlarmName": [{"prefix": "prod-"}, "x"], "Trigger": {"Period": [{"numeric": [">", 0, "<=", 300]}]},
            "$or": [{"a": [{"exists": false}]}, {"b": [{"anything-but": ["c", 1]}]}], "ip": [{"cidr": "10.0.0.0/8"}]}"#,
    );
    assert_eq!(
        p.to_string(),
        "AlarmName must begin with \"prod-\" or be \"x\"; Trigger.Period must be a number > 0 and <= 300; \
         either (a must be absent) or (b must be anything but \"c\", 1); ip must be an IP address in 10.0.0.0/8"
    );
    assert_eq!(p.keys(), ["AlarmName", "Trigger.Period", "a", "b", "ip"]);
    assert!(p.source().starts_with(r#"{"AlarmName""#));
    assert_eq!(
        "{\"k\": [\"v\"]}".parse::<FilterPolicy>().unwrap().to_string(),
        "k must be \"v\""
    );
    let p = policy(r#"{"NewStateValue": ["OK", {"prefix": "INS"}, "ALARM"]}"#);
    assert_eq!(
        p.to_string(),
        "NewStateValue must be \"OK\" or \"ALARM\" or begin with \"INS\""
    );
}

#[test]
fn rejected_policies_name_what_and_where() {
    use PolicyErrorKind::{Json, Operand, Shape};
    let cases: &[(&str, PolicyErrorKind, Option<&str>)] = &[
        ("not json", Json, None),
        ("[]", Shape, None),
        (r#""k""#, Shape, None),
        (r#"{"k": "v"}"#, Shape, Some("k")),
        (r#"{"k": []}"#, Shape, Some("k")),
        (r#"{"k": {}}"#, Shape, Some("k")),
        (r#"{"a": {"b": [["x"]]}}"#, Shape, Some("a.b")),
        (r#"{"k": [{"prefix": "a", "suffix": "b"}]}"#, Shape, Some("k")),
        (r#"{"k": [{}]}"#, Shape, Some("k")),
        (r#"{"k": [{"prefix": 1}]}"#, Operand, Some("k")),
        (r#"{"k": [{"suffix": null}]}"#, Operand, Some("k")),
        (r#"{"k": [{"equals-ignore-case": ["a"]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"exists": "yes"}]}"#, Operand, Some("k")),
        (r#"{"k": [{"anything-but": []}]}"#, Operand, Some("k")),
        (r#"{"k": [{"anything-but": true}]}"#, Operand, Some("k")),
        (r#"{"k": [{"anything-but": [["a"]]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"anything-but": {"prefix": 1}}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": 5}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": []}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": [">"]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": ["!=", 1]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": [">", "1"]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": ["=", 1, "<", 2]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": [">", 2, "<", 1]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": [">", 1, ">", 0]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"numeric": [">", 0, "<", 1, "<", 2]}]}"#, Operand, Some("k")),
        (r#"{"k": [{"cidr": "10.0.0.0"}]}"#, Operand, Some("k")),
        (r#"{"k": [{"cidr": "10.0.0.0/33"}]}"#, Operand, Some("k")),
        (r#"{"k": [{"cidr": "10.0.0/8"}]}"#, Operand, Some("k")),
        (r#"{"k": [{"cidr": "::/x"}]}"#, Operand, Some("k")),
        (r#"{"k": [{"cidr": 10}]}"#, Operand, Some("k")),
    ];
    for &(text, kind, key) in cases {
        match FilterPolicy::parse(text) {
            Ok(p) => panic!("{text}: accepted as {p}"),
            Err(e) => {
                assert_eq!((e.kind(), e.key()), (kind, key), "{text}: {e}");
                assert!(!e.to_string().contains('\n'), "one line: {e}");
            }
        }
    }
    // Accepted forms next to the rejected ones.
    for text in [
        r#"{"k": [{"numeric": ["<", 2, ">=", 1]}]}"#,
        r#"{"k": [{"cidr": "10.0.0.1/24"}]}"#,
        r#"{"k": [{"anything-but": ["a", 1]}]}"#,
        r#"{"k": [{"anything-but": {"equals-ignore-case": "a"}}]}"#,
        r#"{"k": [{"prefix": ""}]}"#,
        r#"{"k": [null, true, 1.5, "s"]}"#,
    ] {
        assert!(FilterPolicy::parse(text).is_ok(), "{text}");
    }
}

/// Over every pattern of a small corpus and every value kind: evaluation never panics,
/// and adding an operator that is not evaluated to a key's list turns a "filtered" into
/// "cannot prove" and leaves a "delivers" a "delivers" (OR within a key).
#[test]
fn an_unevaluated_alternative_never_delivers_on_its_own() {
    let patterns = [
        r#""a""#,
        "1",
        "1.5",
        "true",
        "null",
        r#"{"prefix": "a"}"#,
        r#"{"suffix": "a"}"#,
        r#"{"equals-ignore-case": "A"}"#,
        r#"{"anything-but": "a"}"#,
        r#"{"anything-but": [1, 2]}"#,
        r#"{"anything-but": {"prefix": "a"}}"#,
        r#"{"anything-but": {"suffix": "a"}}"#,
        r#"{"numeric": [">", 0, "<", 2]}"#,
        r#"{"numeric": ["=", 1]}"#,
        r#"{"exists": true}"#,
        r#"{"exists": false}"#,
        r#"{"cidr": "10.0.0.0/8"}"#,
    ];
    let values = [
        json!("a"),
        json!("ba"),
        json!("A"),
        json!(""),
        json!(1),
        json!(1.5),
        json!(-3),
        json!(true),
        json!(null),
        json!([]),
        json!(["a", 1]),
        json!({"k": "a"}),
        json!("10.1.2.3"),
    ];
    let mut checked = 0;
    for p in patterns {
        let plain = policy(&format!(r#"{{"k": [{p}]}}"#));
        let widened = policy(&format!(r#"{{"k": [{p}, {{"wildcard": "*"}}]}}"#));
        for v in &values {
            for body in [json!({"k": v}), json!({"other": v})] {
                let before = plain.evaluate(Scope::MessageBody, &BTreeMap::new(), &body);
                let after = widened.evaluate(Scope::MessageBody, &BTreeMap::new(), &body);
                let want = if before.delivers() { D } else { C };
                assert_eq!(got(&after), want, "{p} on {body}: {before:?} then {after:?}");
                checked += 1;
            }
            let a = attrs(&[("k", AttributeValue::StringArray(vec![v.clone()]))]);
            let before = plain.evaluate(Scope::MessageAttributes, &a, &Value::Null);
            let after = widened.evaluate(Scope::MessageAttributes, &a, &Value::Null);
            assert_eq!(got(&after), if before.delivers() { D } else { C }, "{p} on [{v}]");
        }
    }
    assert_eq!(checked, patterns.len() * values.len() * 2);
}

/// Nesting is bounded by serde_json's recursion limit (128): deeper text is a JSON error,
/// not a stack overflow, and what parses evaluates.
#[test]
fn deep_nesting_is_bounded() {
    let deep = |levels: usize| format!("{}[\"x\"]{}", "{\"a\":".repeat(levels), "}".repeat(levels));
    let p = policy(&deep(100));
    assert_eq!(p.combinations(), 100);
    let mut body = json!("x");
    for _ in 0..100 {
        body = json!({ "a": body });
    }
    assert_eq!(
        p.evaluate(Scope::MessageBody, &BTreeMap::new(), &body),
        Verdict::Delivers
    );
    assert_eq!(
        FilterPolicy::parse(&deep(1000)).unwrap_err().kind(),
        PolicyErrorKind::Json
    );
}
