//! Every example of the AWS filter pattern documentation, as tests. Each test
//! names its page. "FilterAndPatternSyntax" is "Filter pattern syntax for metric
//! filters, subscription filters, filter log events, and Live Tail",
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>
//! (sections: regex, unstructured, JSON, space-delimited). The regex-operator
//! examples of the same page are in `regex_subset.rs`.

use serde_json::json;

use super::{matches, parse, test_metric_filter, PatternErrorKind};

fn m(pattern: &str, message: &str) -> bool {
    matches(&parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")), message).matched
}

/// Which of `messages` (1-based) the pattern matches.
fn which(pattern: &str, messages: &[&str]) -> Vec<usize> {
    let p = parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    (1..=messages.len())
        .filter(|&i| matches(&p, messages[i - 1]).matched)
        .collect()
}

// ---------------------------------------------------------------- regex

/// FilterAndPatternSyntax, "Using filter patterns to match terms with a regular expression (regex)".
#[test]
fn regex_authorized() {
    assert_eq!(
        which(
            "%AUTHORIZED%",
            &[
                "[ERROR 401] UNAUTHORIZED REQUEST",
                "[SUCCESS 200] AUTHORIZED REQUEST",
                "[INFO] ok"
            ]
        ),
        [1, 2]
    );
}

/// FilterAndPatternSyntax, "Supported regular expressions": `%something!%` "would be rejected".
#[test]
fn regex_rejected_character() {
    let e = parse("%something!%").unwrap_err();
    assert_eq!((e.position(), e.kind()), (10, PatternErrorKind::InvalidCharacter));
    // "There is a limit of 2 regex for each filter pattern".
    let e = parse("{ $.a = %a% || $.b = %b% || $.c = %c% }").unwrap_err();
    assert_eq!((e.position(), e.kind()), (34, PatternErrorKind::TooManyRegexes));
}

// ---------------------------------------------------------------- unstructured

const EVENTS: [&str; 4] = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
];

/// FilterAndPatternSyntax, "Using filter patterns to match terms in unstructured log events".
#[test]
fn unstructured_examples() {
    // Match a single term.
    assert_eq!(which("ERROR", &EVENTS), [1, 2, 3, 4]);
    // Match multiple terms.
    assert_eq!(which("ERROR ARGUMENTS", &EVENTS), [3, 4]);
    // Match optional terms.
    assert_eq!(which("?ERROR ?ARGUMENTS", &EVENTS), [1, 2, 3, 4]);
    // "?" combined with other terms: the "?" terms are ignored.
    assert_eq!(
        which(
            "?ERROR ?ARGUMENTS REQUEST",
            &[
                "[INFO] REQUEST FAILED",
                "[WARN] UNAUTHORIZED REQUEST",
                "[ERROR] 400 BAD REQUEST",
                "[ERROR] ARGUMENTS"
            ]
        ),
        [1, 2, 3]
    );
    // Match exact phrases.
    assert_eq!(
        which(
            "\"INTERNAL SERVER ERROR\"",
            &["[ERROR 500] INTERNAL SERVER ERROR", "[ERROR 500] INTERNAL ERROR SERVER"]
        ),
        [1]
    );
    // Include and exclude terms.
    assert_eq!(which("ERROR -ARGUMENTS", &EVENTS), [1, 2]);
    // Match everything.
    assert_eq!(which("\" \"", &["anything", "", "{\"a\":1}"]), [1, 2, 3]);
}

/// Older page "Filter and Pattern Syntax", "Matching Terms in Log Events"
/// (awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md).
#[test]
fn unstructured_examples_older_page() {
    // Example 1: single term; a term is a substring ("ERRORCODE").
    assert_eq!(
        which(
            "\"ERROR\"",
            &["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"]
        ),
        [1, 2]
    );
    // Example 2: include and exclude a term.
    assert_eq!(
        which(
            "\"ERROR\" -\"Exiting\"",
            &["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"]
        ),
        [1]
    );
    // Example 3: multiple terms.
    assert_eq!(which("\"ERROR Exception\"", &["[ERROR Exception] x"]), [1]);
    assert_eq!(
        which(
            "ERROR Exception",
            &["[ERROR] Caught IllegalArgumentException", "[ERROR] Unhandled Exception"]
        ),
        [1, 2]
    );
    assert_eq!(
        which(
            "Failed to process the request",
            &[
                "[WARN] Failed to process the request",
                "[ERROR] Unable to continue: Failed to process the request",
                "[WARN] Failed"
            ]
        ),
        [1, 2]
    );
    // "OR Pattern Matching".
    let lines = ["ERROR WARN message", "ERROR message", "WARN message"];
    assert_eq!(which("ERROR", &lines), [1, 2]);
    assert_eq!(which("?ERROR ?WARN", &lines), [1, 2, 3]);
    assert_eq!(which("ERROR WARN", &lines), [1]);
    assert_eq!(which("ERROR -WARN", &lines), [2]);
    // Case sensitive.
    assert!(!m("ERROR", "error"));
}

// ---------------------------------------------------------------- JSON

const JSON_EVENT: &str = r#"{"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111","arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"cluster.name":"c"}"#;

/// FilterAndPatternSyntax, "Using filter patterns to match terms in JSON log events": the
/// examples on the documented event (entered on one line, as the page says).
#[test]
fn json_string_examples() {
    for p in [
        r#"{ $.eventType = "UpdateTrail" }"#,
        "{ $.sourceIPAddress != 123.123.* }",
        r#"{ $.arrayKey[0] = "value" }"#,
        "{ $.eventType = %Trail% }",
        "{ $.arrayKey[*] = %val.{2}% }",
        r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
        r#"{ $.['cluster.name'] = "c" }"#,
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
    ] {
        assert!(m(p, JSON_EVENT), "{p}");
    }
    // The same event spread over lines is still one JSON document.
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(JSON_EVENT).unwrap()).unwrap();
    assert!(m(r#"{ $.eventType = "UpdateTrail" }"#, &pretty));
    // Negative controls.
    for p in [
        r#"{ $.eventType = "updatetrail" }"#,
        "{ $.sourceIPAddress = 123.123.* }",
        r#"{ $.arrayKey[1] = "value" }"#,
        "{ $.SomeObject NOT EXISTS }",
        "{ $.eventType IS NULL }",
        "{ $.arrayKey = value }",
        "{ $.arrayKey != value }",
    ] {
        assert!(!m(p, JSON_EVENT), "{p}");
    }
    // "The variables IS NOT and EXISTS currently aren't supported."
    assert!(parse("{ $.SomeObject IS NOT NULL }").is_err());
    assert!(parse("{ $.SomeObject EXISTS }").is_err());
}

/// FilterAndPatternSyntax, "Writing filter patterns that match numeric values".
#[test]
fn json_numeric_examples() {
    let event =
        r#"{"bandwidth":80,"latency":20,"refreshRate":60,"responseTime":5,"errorCode":400,"number":[1000,0.001]}"#;
    for p in [
        "{ $.bandwidth > 75 }",
        "{ $.latency < 50 }",
        "{ $.refreshRate >= 60 }",
        "{ $.responseTime <= 5 }",
        "{ $.errorCode = 400}",
        "{ $.errorCode != 500 }",
        "{ $.number[0] = 1e+3 }",
        "{ $.number[0] != 1e-3 }",
    ] {
        assert!(m(p, event), "{p}");
    }
    for p in [
        "{ $.bandwidth > 80 }",
        "{ $.errorCode != 400 }",
        "{ $.number[1] != 1e-3 }",
    ] {
        assert!(!m(p, event), "{p}");
    }
}

/// Older page "Filter and Pattern Syntax", "Numeric Comparisons" and "JSON Metric Filter Examples".
#[test]
fn json_examples_older_page() {
    let event =
        r#"{"latency":500,"numbers":[9999,0.001],"processes":[{},{},{},{},{"averageRuntime":55.5}],"errorCode":400}"#;
    for p in [
        "{ $.latency >= 500 }",
        "{ $.numbers[0] < 10e3 }",
        "{ $.numbers[1] < 10e-3 }",
        "{ $.processes[4].averageRuntime <= 55.5 }",
        "{ $.errorCode = 400 }",
        "{ $.errorCode != 500 }",
    ] {
        assert!(m(p, event), "{p}");
    }
    assert!(!m("{ $.latency > +1000 }", event));
    assert!(m("{ $.latency > +1000 }", r#"{"latency":1001}"#));
    let flagged =
        r#"{"eventType":"UpdateTrail","objectList":[{"name":"a","id":1},{"name":"b","id":2}],"ThisFlag":true}"#;
    assert!(m("{ $.objectList[1].id = 2 }", flagged));
    assert!(m("{ $.ThisFlag IS TRUE }", flagged));
    assert!(!m("{ $.ThisFlag IS FALSE }", flagged));
    // "JSON Special Considerations": a selector on an array fails both = and !=.
    assert!(!m("{ $.users = 1 }", r#"{"users":[1,2,3]}"#));
    assert!(!m("{ $.users != 1 }", r#"{"users":[1,2,3]}"#));
    // OR in JSON filters.
    let lines = [r#"{"foo": "bar"}"#, r#"{"foo": "baz"}"#];
    assert_eq!(which("{$.foo = bar}", &lines), [1]);
    assert_eq!(which("{$.foo = baz }", &lines), [2]);
    assert_eq!(which("{$.foo = bar || $.foo = baz }", &lines), [1, 2]);
    // "Publishing Numerical Values Found in Log Entries": `{ $.latency = * }`.
    assert!(m("{ $.latency = * }", r#"{"latency":50,"requestType":"GET"}"#));
    assert!(!m("{ $.latency = * }", r#"{"requestType":"GET"}"#));
    // String wildcards: "*Event" matches PutEvent; "Ev*ent" only the literal "Ev*ent".
    assert!(m("{ $.e = *Event }", r#"{"e":"PutEvent"}"#));
    assert!(m("{ $.e = Event* }", r#"{"e":"EventName"}"#));
    assert!(!m("{ $.e = \"Ev*ent\" }", r#"{"e":"Event"}"#));
    assert!(m("{ $.e = \"Ev*ent\" }", r#"{"e":"Ev*ent"}"#));
}

const COMPOUND_EVENT: &str = r#"{"user":{"id":1,"email":"John.Stiles@example.com"},"users":[{"id":2,"email":"John.Doe@example.com"},{"id":3,"email":"Jane.Doe@example.com"}],"actions":["GET","PUT","DELETE"],"coordinates":[[0,1,2],[4,5,6],[7,8,9]]}"#;

/// FilterAndPatternSyntax, JSON compound expressions (AND / OR, order of operations () > && > ||).
#[test]
fn json_compound_examples() {
    assert!(m(
        r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#,
        COMPOUND_EVENT
    ));
    assert!(m(
        r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }"#,
        COMPOUND_EVENT
    ));
    assert!(!m(
        r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }"#,
        COMPOUND_EVENT
    ));
    assert!(!m(
        r#"{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }"#,
        COMPOUND_EVENT
    ));
    // The older page's spelling of the same examples (unquoted "nonmatch", "nomatch").
    assert!(m(
        r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }"#,
        COMPOUND_EVENT
    ));
    assert!(!m(
        r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }"#,
        COMPOUND_EVENT
    ));
    assert!(m("{ $.coordinates[2][0] = 7 }", COMPOUND_EVENT));
    // "up to three wildcard selectors in a filter pattern with compound expressions".
    assert!(parse("{ $.a.* = 1 || $.b.* = 1 || $.c.* = 1 }").is_ok());
    assert!(parse("{ $.a.* = 1 || $.b.* = 1 || $.c.* = 1 || $.d.* = 1 }").is_err());
    // "You can only use up to one wildcard selector in a property selector".
    assert!(parse("{ $.*.a[*] = 1 }").is_err());
}

// ---------------------------------------------------------------- space-delimited

const APACHE: &str = r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

/// FilterAndPatternSyntax, "Using filter patterns to match terms in space-delimited log events".
#[test]
fn space_delimited_examples() {
    for p in [
        r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
        "[..., request =*.html*, status_code = 4*, bytes]",
        "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
    ] {
        assert!(m(p, APACHE), "{p}");
    }
    let got = matches(
        &parse("[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]")
            .unwrap(),
        APACHE,
    );
    assert_eq!(got.extracted["$timestamp"], "10/Oct/2000:13:25:15 -0700");
    assert_eq!(got.extracted["$request"], "GET /index.html HTTP/1.0");
    assert_eq!(got.extracted["$bytes"], "1534");
    assert!(!m("[..., request =*.gif*, status_code = 4*, bytes]", APACHE));
    assert!(!m(
        r"[ip=%127\.0\.0\.[2-9]%, user, username, timestamp, request, status_code, bytes]",
        APACHE
    ));
}

const SERVICE_LOG: [&str; 4] = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
];

/// FilterAndPatternSyntax, space-delimited pattern matching with w1, w2, ... indicators.
#[test]
fn space_delimited_word_order_examples() {
    // "returns log events where the first word in the log events is ERROR"; w2 takes the rest.
    assert_eq!(which("[w1=ERROR, w2]", &SERVICE_LOG), [4]);
    assert_eq!(which("[w1=ERROR || w1=WARNING, w2]", &SERVICE_LOG), [3, 4]);
    assert_eq!(which("[w1!=ERROR && w1!=WARNING, w2]", &SERVICE_LOG), [1, 2]);
    assert_eq!(
        which(
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
            &SERVICE_LOG
        ),
        [1]
    );
    assert_eq!(
        which(
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
            &SERVICE_LOG
        ),
        [2]
    );
}

/// Older page "Filter and Pattern Syntax", "Using Metric Filters to Extract Values from Space-Delimited Log Events".
#[test]
fn space_delimited_examples_older_page() {
    let lines = [
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#,
        r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#,
        r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 404 4355"#,
    ];
    assert_eq!(
        which("[ip, user, username, timestamp, request, status_code, bytes]", &lines),
        [1, 2, 3]
    );
    assert_eq!(which("[..., status_code, bytes]", &lines), [1, 2, 3]);
    assert_eq!(which("[ip, user, ..., status_code, bytes]", &lines), [1, 2, 3]);
    assert_eq!(which("[ip, user, ...]", &lines), [1, 2, 3]);
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
            &lines
        ),
        [1, 2, 3]
    );
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request, status_code, bytes > 5000]",
            &lines
        ),
        [2]
    );
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request, status_code = 200, bytes]",
            &lines
        ),
        [1]
    );
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
            &lines
        ),
        [3]
    );
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]",
            &lines
        ),
        [3]
    );
    assert_eq!(
        which(
            "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
            &lines
        ),
        [3]
    );
    // OR in space-delimited filters.
    let words = ["ERROR WARN message", "ERROR message", "WARN message"];
    assert_eq!(which("[w1=ERROR || w1=WARN, w2]", &words), [1, 2, 3]);
}

// ---------------------------------------------------------------- TestMetricFilter

const ACCESS_LOG: [&str; 3] = [
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355"#,
];

fn tmf(pattern: &str, messages: &[&str]) -> serde_json::Value {
    let owned: Vec<String> = messages.iter().map(|s| s.to_string()).collect();
    test_metric_filter(pattern, &owned).unwrap()
}

/// TestMetricFilter API reference, Examples
/// (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TestMetricFilter.html>).
/// The reference numbers events from 0; the service (and the AWS CLI example)
/// from 1, which is what these helpers return.
#[test]
fn test_metric_filter_api_examples() {
    // "To test a metric filter pattern on Apache access.log events".
    let r = tmf(
        "[ip, identity, user_id, timestamp, request, status_code, size]",
        &ACCESS_LOG,
    );
    assert_eq!(
        r["matches"][1]["extractedValues"],
        json!({"$status_code": "500", "$identity": "-", "$request": "GET /apache_pb.gif HTTP/1.0",
               "$size": "5324", "$user_id": "frank", "$ip": "127.0.0.1", "$timestamp": "10/Oct/2000:13:35:22 -0700"})
    );
    assert_eq!(r["matches"].as_array().unwrap().len(), 3);
    // "... without specifying all the fields".
    let r = tmf("[..., size]", &ACCESS_LOG);
    assert_eq!(
        r["matches"][0],
        json!({"eventNumber": 1, "eventMessage": ACCESS_LOG[0], "extractedValues": {
            "$size": "1534", "$6": "200", "$4": "10/Oct/2000:13:25:15 -0700", "$5": "GET /apache_pb.gif HTTP/1.0",
            "$2": "-", "$3": "frank", "$1": "127.0.0.1"}})
    );
    // "... without specifying any fields".
    let r = tmf("[]", &ACCESS_LOG);
    assert_eq!(
        r["matches"][2]["extractedValues"],
        json!({"$7": "4355", "$6": "200", "$4": "10/Oct/2000:13:50:35 -0700", "$5": "GET /apache_pb.gif HTTP/1.0",
               "$2": "-", "$3": "frank", "$1": "127.0.0.1"})
    );
    // "... that matches successful requests".
    let r = tmf("[..., status_code=200, size]", &ACCESS_LOG);
    let numbers: Vec<_> = r["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["eventNumber"].clone())
        .collect();
    assert_eq!(numbers, [json!(1), json!(3)]);
    assert_eq!(r["matches"][1]["extractedValues"]["$status_code"], "200");
    assert_eq!(r["matches"][1]["extractedValues"]["$5"], "GET /apache_pb.gif HTTP/1.0");
    // "... that matches 4XX response codes for HTML pages".
    let html = [
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#,
        r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /about-us/index.html HTTP/1.0" 200 5324"#,
        r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 4355"#,
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /products/index.html HTTP/1.0" 400 1534"#,
    ];
    let r = tmf("[..., request=*.html*, status_code=4*,]", &html);
    assert_eq!(
        r,
        json!({"matches": [
            {"eventNumber": 1, "eventMessage": html[0], "extractedValues": {
                "$status_code": "404", "$request": "GET /index.html HTTP/1.0", "$7": "1534",
                "$4": "10/Oct/2000:13:25:15 -0700", "$2": "-", "$3": "frank", "$1": "127.0.0.1"}},
            {"eventNumber": 4, "eventMessage": html[3], "extractedValues": {
                "$status_code": "400", "$request": "GET /products/index.html HTTP/1.0", "$7": "1534",
                "$4": "10/Oct/2000:13:25:15 -0700", "$2": "-", "$3": "frank", "$1": "127.0.0.1"}}
        ]})
    );
    // "... occurrences of "[ERROR]"" and "... "[ERROR]" and "Exception"".
    let app = [
        "02 May 2014 00:34:12,525 [INFO] Starting the application",
        "02 May 2014 00:35:14,245 [DEBUG] Database connection established",
        "02 May 2014 00:34:14,663 [INFO] Executing SQL Query",
        "02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException",
        "02 May 2014 00:34:16,224 [ERROR] Terminating the application",
    ];
    let r = tmf("\"[ERROR]\"", &app);
    assert_eq!(
        r,
        json!({"matches": [
            {"eventNumber": 4, "eventMessage": app[3], "extractedValues": {}},
            {"eventNumber": 5, "eventMessage": app[4], "extractedValues": {}}
        ]})
    );
    let r = tmf("\"[ERROR]\" Exception", &app);
    assert_eq!(
        r,
        json!({"matches": [{"eventNumber": 4, "eventMessage": app[3], "extractedValues": {}}]})
    );
}
