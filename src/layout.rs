//! The layout of lib.rs, checked: every `crate::` reference in the sources against a
//! table of allowed edges that has no cycle, and the rules no table can say (who
//! assumes roles, who runs an account's chain, who writes to SNS or Security Hub, who
//! reads the report's clock).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may import. A module not listed may import
/// nothing from the crate.
const ALLOWED: &[(&str, &[&str])] = &[
    // faces
    ("main", &["aws", "cli", "lambda", "run", "settings"]),
    (
        "cli",
        &["check", "invocation", "pattern", "report", "rule", "run", "settings"],
    ),
    ("lambda", &["invocation", "outputs", "report", "run"]),
    // the run, top to bottom
    (
        "run",
        &[
            "aggregate",
            "app",
            "aws",
            "check",
            "fleet",
            "invocation",
            "outputs",
            "report",
            "scope",
        ],
    ),
    (
        "outputs",
        &[
            "app",
            "arn",
            "aws",
            "check",
            "invocation",
            "report",
            "rule",
            "scope",
            "settings",
        ],
    ),
    (
        "aggregate",
        &["check", "fleet", "invocation", "pipeline", "report", "scope", "state"],
    ),
    (
        "fleet",
        &[
            "app",
            "aws",
            "check",
            "invocation",
            "pipeline",
            "scope",
            "settings",
            "state",
            "tamper",
        ],
    ),
    (
        "scope",
        &["app", "arn", "aws", "collect", "invocation", "settings", "state"],
    ),
    (
        "pipeline",
        &[
            "alarm", "apply", "aws", "check", "collect", "plan", "rule", "settings", "tamper",
        ],
    ),
    ("app", &["aws", "settings"]),
    ("invocation", &["rule", "settings", "tamper"]),
    // the core
    ("apply", &["aws", "collect", "plan"]),
    (
        "report",
        &["arn", "check", "plan", "rule", "settings", "state", "tamper"],
    ),
    ("plan", &["alarm", "arn", "check", "rule", "settings", "state"]),
    (
        "check",
        &["alarm", "arn", "policy", "rule", "settings", "snsfilter", "state"],
    ),
    ("collect", &["arn", "aws", "rule", "state", "transformer"]),
    (
        "state",
        &["alarm", "arn", "aws", "pattern", "rule", "selection", "transformer"],
    ),
    ("settings", &["arn", "rule"]),
    ("rule", &["pattern", "transformer"]),
    ("tamper", &["arn"]),
    // leaves: alarm, arn, aws, pattern, policy, selection, snsfilter, transformer
];

/// Code that runs one account's chain: only `pipeline` may name it.
const CHAIN_CALLS: &[&str] = &["collect::collect", "check::check", "plan::plan", "apply::apply"];

/// (module, what only it may contain, why).
const ONLY: &[(&str, &str, &str)] = &[
    ("scope", ".assume(", "only scope assumes a role"),
    ("scope", ":role/{", "only scope builds a role ARN"),
    ("outputs", ".publish()", "only outputs publishes to SNS"),
    (
        "outputs",
        ".batch_import_findings()",
        "only outputs writes to Security Hub",
    ),
    (
        "run",
        "DateTime::from(SystemTime::now())",
        "the report's time is read once, by run",
    ),
];

/// The source of one file without its comments and its test module.
fn code(source: &str) -> String {
    let source = source.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate modules a file's code names: `crate::x`, `crate::{x, y::z}`, and, in the
/// binary, `iam_policy_alarm::x`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for prefix in ["crate::", "iam_policy_alarm::"] {
        for (i, _) in code.match_indices(prefix) {
            let rest = &code[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    found.insert(name);
                }
            } else {
                found.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
            }
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// The top-level module a file belongs to: `src/check/alarm.rs` -> `check`.
fn module_of(path: &str) -> String {
    let rest = path.strip_prefix("src/").unwrap_or(path);
    rest.split('/')
        .next()
        .unwrap_or(rest)
        .trim_end_matches(".rs")
        .to_string()
}

/// Every broken rule, one line each, for these (path, source) files.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, to)| (*m, to.iter().copied().collect()))
        .collect();
    let mut broken = Vec::new();
    for (path, source) in files {
        let from = module_of(path);
        let code = code(source);
        for to in imports(&code) {
            let ok = to == from || allowed.get(from.as_str()).is_some_and(|a| a.contains(to.as_str()));
            if !ok {
                broken.push(format!("{path}: {from} imports {to}, not an allowed edge"));
            }
        }
        if from != "pipeline" {
            for call in CHAIN_CALLS {
                let (module, function) = call.split_once("::").unwrap_or_default();
                let named = code.contains(call)
                    || code.match_indices(&format!("crate::{module}::{{")).any(|(i, _)| {
                        let group = &code[i..];
                        let group = &group[..group.find('}').unwrap_or(group.len())];
                        group.split([',', '{']).any(|item| item.trim() == function)
                    })
                    || code.contains(&format!("crate::{module}::{function};"));
                if named && from != module {
                    broken.push(format!(
                        "{path}: {from} runs {call}: only pipeline runs an account's chain"
                    ));
                }
            }
        }
        for (only, text, why) in ONLY {
            if from != *only && code.contains(text) && !(from == "aws" && *text == ".assume(") {
                broken.push(format!("{path}: contains `{text}`: {why}"));
            }
        }
    }
    broken
}

/// Every module that `module` reaches through the allowed edges.
fn reachable<'a>(module: &'a str, allowed: &BTreeMap<&'a str, &'a [&'a str]>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut next = vec![module];
    while let Some(m) = next.pop() {
        for to in allowed.get(m).copied().unwrap_or_default() {
            if seen.insert(*to) {
                next.push(to);
            }
        }
    }
    seen
}

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, files: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                // Test files may reach anything; the layout is about the product.
                if !["tests.rs", "proptests.rs", "doc_examples.rs", "layout.rs"].contains(&name) {
                    let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).expect("under the crate");
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    files.push((relative.to_string_lossy().into_owned(), text));
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    files
}

#[test]
fn every_import_is_an_allowed_edge_and_every_rule_holds() {
    let files = sources();
    assert!(files.len() > 50, "the sources were found ({} files)", files.len());
    let broken = violations(&files);
    assert!(broken.is_empty(), "the layout is broken:\n{}", broken.join("\n"));
}

#[test]
fn the_allowed_edges_point_one_way() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for (module, _) in ALLOWED {
        assert!(
            !reachable(module, &allowed).contains(module),
            "{module} reaches itself through the allowed edges: a cycle"
        );
    }
    // The rules of lib.rs's Layout that the table itself says.
    for (module, to) in ALLOWED {
        if to.contains(&"run") {
            assert!(["main", "cli", "lambda"].contains(module), "{module} imports run");
        }
    }
    for leaf in [
        "alarm",
        "pattern",
        "snsfilter",
        "selection",
        "transformer",
        "arn",
        "policy",
    ] {
        assert!(!allowed.contains_key(leaf), "{leaf} imports nothing from the crate");
    }
    assert!(
        !reachable("report", &allowed).contains("apply"),
        "report never reaches apply"
    );
}

/// The cycles this layout replaced, written as they were: each is found.
#[test]
fn the_old_tangles_are_caught() {
    let file = |path: &str, source: &str| (path.to_string(), source.to_string());
    let cases = [
        (
            file("src/organization.rs", "use crate::run::{self, now, App};"),
            "organization imports run",
        ),
        (
            file("src/run.rs", "use crate::organization;"),
            "run imports organization",
        ),
        (
            file("src/state.rs", "use crate::check::Findings;"),
            "state imports check",
        ),
        (
            file("src/alarm/mod.rs", "use crate::state::{Alarm, MetricQuery};"),
            "alarm imports state",
        ),
        (
            file("src/report/mod.rs", "use crate::apply::AppliedAction;"),
            "report imports apply",
        ),
        (
            file("src/collect/mod.rs", "use crate::alarm::{self, Emission};"),
            "collect imports alarm",
        ),
        (
            file(
                "src/fleet.rs",
                "use crate::collect::{self, Reads};\nlet s = collect::collect(c, r);",
            ),
            "fleet runs collect::collect",
        ),
        (
            file("src/run.rs", "use crate::check::{check, Status};"),
            "run runs check::check",
        ),
        (
            file(
                "src/outputs/securityhub.rs",
                "let r = format!(\"arn:aws:iam::{a}:role/{n}\");",
            ),
            "only scope builds a role ARN",
        ),
        (
            file("src/fleet.rs", "let c = app.clients.assume(&role, None).await;"),
            "only scope assumes a role",
        ),
        (
            file("src/apply/mod.rs", "sns.publish().topic_arn(t)"),
            "only outputs publishes",
        ),
        (
            file("src/fleet.rs", "let t = DateTime::from(SystemTime::now());"),
            "the report's time is read once",
        ),
    ];
    for ((path, source), expected) in cases {
        let broken = violations(&[(path.clone(), source.clone())]);
        assert!(
            broken.iter().any(|b| b.contains(expected)),
            "{path}: `{source}` should break \"{expected}\", found {broken:?}"
        );
    }
    // Comments and tests do not count.
    let quiet = "// crate::run::App\n#[cfg(test)]\nmod tests {\n use crate::run::App;\n}";
    assert_eq!(
        violations(&[("src/state.rs".into(), quiet.into())]),
        Vec::<String>::new()
    );
}
