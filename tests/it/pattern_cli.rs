//! The pattern engine's commands, as users run them: no AWS account needed.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (i32, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_iam-policy-alarm"))
        .args(args)
        .output()
        .unwrap();
    let stdout = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn test_metric_filter_prints_what_the_api_returns() {
    let (code, out, _) = run(&[
        "test-metric-filter",
        "--filter-pattern",
        "[ip, user, ..., status=404]",
        "--log-event-messages",
        "127.0.0.1 frank GET /index.html 404",
        "127.0.0.1 bob GET /index.html 200",
    ]);
    assert_eq!(code, 0);
    let matches = out["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["eventNumber"], 1);
    assert_eq!(matches[0]["eventMessage"], "127.0.0.1 frank GET /index.html 404");
    assert_eq!(matches[0]["extractedValues"]["$user"], "frank");
    assert_eq!(matches[0]["extractedValues"]["$status"], "404");
}

#[test]
fn coverage_reports_missing_events_and_exits_zero_either_way() {
    let (code, out, _) = run(&[
        "coverage",
        "--filter-pattern",
        "{ ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) }",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out["covers_all"], false);
    assert_eq!(out["missing"].as_array().unwrap().len(), 14);
    let (code, out, _) = run(&["coverage", "--filter-pattern", "{ $.eventSource = iam.amazonaws.com }"]);
    assert_eq!((code, out["covers_all"].as_bool()), (0, Some(true)));
}

/// Given twice, the patterns are one metric's filters: the union at the top, each
/// pattern's own report under `filters`.
#[test]
fn coverage_of_several_patterns_is_their_union() {
    let per_event: Vec<String> = iam_policy_alarm::rule::default_rule()
        .events()
        .iter()
        .map(|e| format!("--filter-pattern={{ $.eventName = {e} }}"))
        .collect();
    let mut args = vec!["coverage"];
    args.extend(per_event.iter().map(String::as_str));
    let (code, out, _) = run(&args);
    assert_eq!(code, 0);
    assert_eq!(out["covers_all"], true, "{out:#}");
    assert_eq!(out["copies"], serde_json::json!([1]));
    assert_eq!(out["filters"].as_array().unwrap().len(), 16);
    assert_eq!(out["filters"][0]["covers_all"], false);
    let (_, out, _) = run(&args[..16]);
    assert_eq!(out["missing"], serde_json::json!(["DetachGroupPolicy"]), "{out:#}");
    let (_, out, _) = run(&[
        "coverage",
        "--filter-pattern",
        "{ $.eventSource = iam.amazonaws.com }",
        "--filter-pattern",
        "{ $.eventName = CreatePolicy }",
    ]);
    assert_eq!(
        out["copies"],
        serde_json::json!([1, 2]),
        "CreatePolicy counts twice: {out:#}"
    );
}

/// A condition on a field the corpus never varies is varied from the pattern itself.
#[test]
fn coverage_names_the_condition_that_narrows_a_pattern() {
    let (code, out, _) = run(&[
        "coverage",
        "--filter-pattern",
        r#"{ ($.eventSource = iam.amazonaws.com) && ($.sourceIPAddress != "10.1.2.3") }"#,
    ]);
    assert_eq!((code, out["covers_all"].as_bool()), (0, Some(false)), "{out:#}");
    assert_eq!(out["narrowed"][0]["condition"], r#"$.sourceIPAddress != "10.1.2.3""#);
    assert!(out["summary"]
        .as_str()
        .unwrap()
        .starts_with(r#"drops the IAM policy events made with $.sourceIPAddress = "10.1.2.3""#));
}

#[test]
fn an_invalid_pattern_exits_2_with_the_position_on_stderr() {
    for args in [
        vec!["coverage", "--filter-pattern", "{ ($.eventName = CreatePolicy) "],
        vec![
            "test-metric-filter",
            "--filter-pattern",
            "{ $.a = ",
            "--log-event-messages",
            "{}",
        ],
    ] {
        let (code, out, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(out, Value::Null, "nothing on stdout");
        assert!(stderr.contains("invalid filter pattern at position"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

/// What the scripts seed a chain from (scripts/emulator/seeder.py): the rule's own
/// data, so a script never retypes an event or the pattern.
#[test]
fn rule_prints_the_rule_as_the_seeder_reads_it() {
    use iam_policy_alarm::rule;
    let (code, out, _) = run(&["rule"]);
    assert_eq!(code, 0);
    let events: Vec<&str> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(events, rule::default_rule().events());
    assert_eq!(
        out["canonical_pattern"],
        rule::default_rule().canonical_pattern.as_str()
    );
    assert_eq!(out["filter_name"], rule::default_rule().filter.name.as_str());
    assert_eq!(out["alarm_name"], rule::default_rule().alarm.name.as_str());
    assert_eq!(
        out["metric_namespace"],
        rule::default_rule().filter.metric_namespace.as_str()
    );
    assert_eq!(out["metric_name"], rule::default_rule().filter.metric_name.as_str());
    assert_eq!(
        out["filter"]["metric_value"],
        rule::default_rule().wanted_filter().metric_value
    );
    for key in [
        "statistic",
        "period",
        "evaluation_periods",
        "threshold",
        "comparison_operator",
        "treat_missing_data",
    ] {
        assert!(!out["alarm"][key].is_null(), "alarm.{key} is printed");
    }
    assert_eq!(out["alarm"]["threshold"], rule::WANTED_ALARM.threshold);
    let ids: Vec<&str> = out["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&"CloudWatch.4") && ids.contains(&"CWL-010"), "{ids:?}");
}
