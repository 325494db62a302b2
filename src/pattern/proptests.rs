//! Property tests: robustness on any input, and agreement of the two matching paths.

use proptest::prelude::*;
use proptest::sample::select;
use serde::de::IgnoredAny;

use super::{json_scan, matches, parse, self_check};

/// Pieces of the three grammars, so random strings reach deep into the parsers.
const PATTERN_TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "...",
    "$",
    ".",
    "$.a",
    "$.eventName",
    "[0]",
    "[*]",
    ".*",
    "['k.1']",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!",
    "&&",
    "||",
    "&",
    "|",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "NOT",
    "EXISTS",
    "\"",
    "\"q\"",
    "\"a\\\"b\"",
    "%",
    "%a.c%",
    "%[a-z]+%",
    "%\\d{1,3}%",
    "%(x)%",
    "*",
    "x*",
    "*y",
    "1",
    "-2.5e+3",
    "+7",
    "?",
    "-",
    "ERROR",
    "CreateBucket",
    "w1",
    " ",
    "  ",
    "\n",
    "\t",
    "é",
    "\\",
    "'",
    "@",
];

const MESSAGE_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"a\"",
    "\"eventName\"",
    "\"CreateBucket\"",
    "\"k.1\"",
    "1",
    "-0",
    "2.5e3",
    "true",
    "false",
    "null",
    "\\",
    "\\u00e9",
    "\\ud800",
    " ",
    "\t",
    "\n",
    "ERROR",
    "x",
    "é",
    "[ERROR]",
    "404",
];

fn token_string(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(tokens), 0..max).prop_map(|v| v.concat())
}

fn any_pattern() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), token_string(PATTERN_TOKENS, 40)]
}

fn any_message() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        token_string(MESSAGE_TOKENS, 60),
        // A real record with a random edit, so near-valid JSON is explored too.
        (
            0..REAL_RECORDS.len(),
            any::<prop::sample::Index>(),
            token_string(MESSAGE_TOKENS, 3)
        )
            .prop_map(|(r, at, insert)| {
                let mut s = REAL_RECORDS[r].to_owned();
                let mut i = at.index(s.len() + 1);
                while !s.is_char_boundary(i) {
                    i -= 1;
                }
                s.insert_str(i, &insert);
                s
            }),
    ]
}

/// Log events as services deliver them: CloudTrail records (one compact object each).
const REAL_RECORDS: &[&str] = &[
    r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2024-11-05T14:03:11Z","eventSource":"s3.amazonaws.com","eventName":"CreateBucket","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.17","userAgent":"aws-cli/2.17.20","requestParameters":{"bucketName":"example-reports","Host":"example-reports.s3.eu-west-1.amazonaws.com"},"responseElements":null,"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
    r#"{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:deploy","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/deploy","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Deploy"},"attributes":{"creationDate":"2024-11-05T13:58:02Z","mfaAuthenticated":"false"}}},"eventTime":"2024-11-05T14:04:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.24","userAgent":"Boto3/1.34.162","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0abcdef1234567890","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"},"responseElements":null,"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#,
];

/// Valid patterns of every kind, to pair with random messages.
const VALID_PATTERNS: &[&str] = &[
    "",
    "ERROR",
    "?ERROR ?WARN",
    "ERROR -WARN \"a b\"",
    "%[a-z]+\\d%",
    "[...]",
    "[]",
    "[a, b]",
    "[a, ..., b = 4* || b > 10, ...]",
    "[w1=ERROR, ..., w3 != x, w4]",
    "{ $.eventName = CreateBucket }",
    "{ $.* = %a% || $.a[*] != 1 }",
    "{ $[0] = 1 || $.a.b NOT EXISTS && $.c IS NULL }",
    "{ ($.a > 1 || $.a <= -2e3) && $.b = \"*x*\" }",
    "{ $.['k.1'] IS TRUE || $.k IS FALSE }",
    "{ ($.eventName = CreateBucket) || ($.eventName = DeleteBucket) || ($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy) || ($.eventName = RunInstances) || ($.eventName = StopInstances) }",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        select(&["a", "CreateBucket", "x y", "é", "1", "*", ""][..]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(select(&["a", "b", "k.1", "eventName", "é"][..]), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn json_pattern() -> impl Strategy<Value = String> {
    let selector = prop::collection::vec(
        select(&[".a", ".b", "['k.1']", ".eventName", "[0]", "[1]", ".*"][..]),
        1..4,
    )
    .prop_map(|segs| format!("${}", segs.concat()));
    let test = select(
        &[
            " = a",
            " != a",
            " = 1",
            " != 1",
            " > 0",
            " <= 10",
            " = *",
            " = \"*e*\"",
            " IS NULL",
            " IS TRUE",
            " IS FALSE",
            " NOT EXISTS",
            " = %^C%",
        ][..],
    );
    prop::collection::vec((selector, test), 1..4).prop_map(|conds| {
        let parts: Vec<String> = conds.into_iter().map(|(s, t)| format!("({s}{t})")).collect();
        format!("{{ {} }}", parts.join(" || "))
    })
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
    fn parse_never_panics_and_errors_point_inside(p in any_pattern()) {
        if let Err(e) = parse(&p) {
            prop_assert!(e.position() <= p.chars().count());
            let prefix = format!("invalid filter pattern at position {}: ", e.position());
            prop_assert!(e.to_string().starts_with(&prefix));
        }
    }

    #[test]
    fn matches_never_panics(p in any_pattern(), msg in any_message()) {
        if let Ok(p) = parse(&p) {
            let m = matches(&p, &msg);
            prop_assert!(m.matched || m.extracted.is_empty());
            self_check(&p, &msg);
        }
    }

    #[test]
    fn valid_patterns_on_any_message(i in 0..VALID_PATTERNS.len(), msg in any_message()) {
        let p = parse(VALID_PATTERNS[i]).unwrap();
        let m = matches(&p, &msg);
        prop_assert!(m.matched || m.extracted.is_empty());
        self_check(&p, &msg);
    }

    #[test]
    fn scanner_validity_equals_serde_json(msg in any_message()) {
        // Inputs here stay far below the nesting limit, where the two must agree exactly.
        let serde_ok = serde_json::from_str::<IgnoredAny>(&msg).is_ok();
        prop_assert_eq!(json_scan::is_valid_json(&msg), serde_ok, "{:?}", msg);
    }

    #[test]
    fn scanner_and_value_resolve_alike(v in json_value(), p in json_pattern()) {
        // Random selectors may exceed the wildcard quotas; those patterns are rejected, skip them.
        let Ok(pattern) = parse(&p) else { return Ok(()) };
        // `self_check` asserts the scanner (on the text) and the Value path agree.
        self_check(&pattern, &v.to_string());
        self_check(&pattern, &serde_json::to_string_pretty(&v).unwrap());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(500), ")".repeat(500));
    assert_eq!(parse(&deep).unwrap_err().kind(), super::PatternErrorKind::TooDeep);
    let p = parse("{ $.a NOT EXISTS }").unwrap();
    let nested = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
    assert!(!matches(&p, &nested).matched);
    let nested_obj = "{\"a\":".repeat(200_000) + "1" + &"}".repeat(200_000);
    assert!(!matches(&p, &nested_obj).matched);
}

/// Worst cases for each matcher on a 4 MB event, none of which matches. How long they
/// take (linear in the input) is measured by the criterion benchmark
/// `benches/pattern.rs` (`worst case/4 MB event`), not by a clock here.
#[test]
fn long_worst_case_inputs_do_not_match() {
    let big = "a ".repeat(2_000_000);
    for p in WORST_CASES {
        let pattern = parse(p).unwrap();
        assert!(!matches(&pattern, &big).matched, "{p}");
    }
    let json = format!("[{}1]", "\"aaaaaaaaaaaaaaaa\",".repeat(200_000));
    let p = parse("{ $[*] = %a*a*a*b% }").unwrap();
    assert!(!matches(&p, &json).matched);
}

/// Patterns that would take super-linear time on a backtracking matcher. Kept in step
/// with the benchmark's list.
const WORST_CASES: [&str; 5] = [
    "[..., x = b, ..., y = c, ..., z = d]",
    "%c|a*a*ab%",
    "%a*a*a*a*a*b%",
    "a b -c",
    "{ $.a = 1 }",
];
