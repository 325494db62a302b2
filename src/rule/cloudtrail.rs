//! Realistic CloudTrail records of a rule's cases, serialized the way CloudTrail
//! delivers them to CloudWatch Logs: one compact JSON object per log event, members in
//! CloudTrail's order.
//!
//! Field shapes follow the CloudTrail record contents reference; each rule file names
//! the service pages its `requestParameters`, `responseElements`, errors and
//! `additionalEventData` come from. The identity, client and envelope fields are built
//! here, alike for every rule. Every value is deterministic.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Case, Rule};

const ACCOUNT: &str = "111122223333";

/// The `userIdentity.type` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum IdentityType {
    IAMUser,
    AssumedRole,
    Root,
    FederatedUser,
    AWSService,
}

impl IdentityType {
    /// Every identity type, in the order reports list them.
    pub const ALL: [IdentityType; 5] = [
        Self::IAMUser,
        Self::AssumedRole,
        Self::Root,
        Self::FederatedUser,
        Self::AWSService,
    ];

    /// The value CloudTrail writes in `userIdentity.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IAMUser => "IAMUser",
            Self::AssumedRole => "AssumedRole",
            Self::Root => "Root",
            Self::FederatedUser => "FederatedUser",
            Self::AWSService => "AWSService",
        }
    }
}

impl std::fmt::Display for IdentityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a record is one of the rule's cases as its data writes it (required), or a
/// refused copy of one (reported by coverage, not required).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallResult {
    Success,
    /// `errorCode: AccessDenied` with the usual `errorMessage`.
    AccessDenied,
}

/// One generated CloudTrail record.
#[derive(Debug, Clone)]
pub struct SampleRecord {
    /// The case's label (`Case::event`).
    pub event: &'static str,
    /// `userIdentity.type`.
    pub identity: IdentityType,
    /// The case as written, or a refused copy.
    pub result: CallResult,
    /// The log event message: compact JSON.
    pub json: String,
}

/// Identities whose refused copies are also generated (root and AWS services are
/// not normally denied).
const DENIED_IDENTITIES: [IdentityType; 2] = [IdentityType::IAMUser, IdentityType::AssumedRole];

#[derive(Debug, Default)]
pub(crate) struct Corpus {
    pub(crate) records: Vec<SampleRecord>,
    /// `records[i]` as a parsed value, for fast repeated evaluation of JSON patterns.
    pub(crate) values: Vec<Value>,
}

/// Every record of `rule`: each case made by each identity type it names, and, for a
/// change rule, a refused copy by an IAM user and an assumed role.
pub(super) fn build_corpus(rule: &'static Rule) -> Corpus {
    let mut corpus = Corpus::default();
    for (e, case) in rule.cases.iter().enumerate() {
        let denied = DENIED_IDENTITIES
            .iter()
            .filter(|_| rule.denied_variants)
            .filter(|i| case.identities.contains(i))
            .map(|identity| (*identity, CallResult::AccessDenied));
        let results = case
            .identities
            .iter()
            .map(|identity| (*identity, CallResult::Success))
            .chain(denied);
        for (identity, result) in results {
            let (record, value) = build(rule, e, case, identity, result);
            corpus.records.push(record);
            corpus.values.push(value);
        }
    }
    corpus
}

// ------------------------------------------------------------------ builder

/// A JSON value whose object members keep insertion order (CloudTrail's order).
enum J {
    S(String),
    B(bool),
    Null,
    O(Vec<(&'static str, J)>),
    /// A value from a rule file, written as serde_json writes it (members in the file's order).
    V(Value),
}

fn s(v: impl Into<String>) -> J {
    J::S(v.into())
}

impl J {
    fn write(&self, out: &mut String) {
        match self {
            J::S(v) => write_json_string(out, v),
            J::B(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Null => out.push_str("null"),
            J::V(v) => out.push_str(&v.to_string()),
            J::O(members) => {
                out.push('{');
                for (k, (name, v)) in members.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write_json_string(out, name);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The same value as parsing what `write` wrote, without the parse: building the
    /// corpus is on every cold start's path.
    fn into_value(self) -> Value {
        match self {
            J::S(v) => Value::String(v),
            J::B(b) => Value::Bool(b),
            J::Null => Value::Null,
            J::V(v) => v,
            J::O(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into_value()))
                    .collect(),
            ),
        }
    }
}

/// A JSON string literal, escaped as serde_json escapes it. Runs of bytes that need no
/// escape are copied whole (only ASCII bytes are escaped, so every cut is a char boundary).
fn write_json_string(out: &mut String, v: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in v.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&v[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&v[start..]);
    out.push('"');
}

/// Deterministic pseudo-random hex, so IDs look real and differ per record.
fn hex(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 29;
        let _ = write!(out, "{:016x}", x);
    }
    out.truncate(len);
    out
}

fn uuid(seed: u64) -> String {
    let h = hex(seed, 32);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
}

fn upper_id(prefix: &str, seed: u64) -> String {
    format!("{prefix}{}", hex(seed, 16).to_uppercase())
}

fn user_identity(identity: IdentityType, seed: u64) -> J {
    let creation = s("2024-11-05T13:58:02Z");
    match identity {
        IdentityType::IAMUser => J::O(vec![
            ("type", s("IAMUser")),
            ("principalId", s(upper_id("AIDA", seed))),
            ("arn", s(format!("arn:aws:iam::{ACCOUNT}:user/alice"))),
            ("accountId", s(ACCOUNT)),
            ("accessKeyId", s(upper_id("AKIA", seed + 1))),
            ("userName", s("alice")),
        ]),
        IdentityType::AssumedRole => {
            let role_id = upper_id("AROA", seed);
            J::O(vec![
                ("type", s("AssumedRole")),
                ("principalId", s(format!("{role_id}:deploy-session"))),
                (
                    "arn",
                    s(format!(
                        "arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/deploy-session"
                    )),
                ),
                ("accountId", s(ACCOUNT)),
                ("accessKeyId", s(upper_id("ASIA", seed + 1))),
                (
                    "sessionContext",
                    J::O(vec![
                        (
                            "sessionIssuer",
                            J::O(vec![
                                ("type", s("Role")),
                                ("principalId", s(role_id)),
                                ("arn", s(format!("arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"))),
                                ("accountId", s(ACCOUNT)),
                                ("userName", s("PlatformAdmin")),
                            ]),
                        ),
                        (
                            "attributes",
                            J::O(vec![("creationDate", creation), ("mfaAuthenticated", s("false"))]),
                        ),
                    ]),
                ),
            ])
        }
        IdentityType::Root => J::O(vec![
            ("type", s("Root")),
            ("principalId", s(ACCOUNT)),
            ("arn", s(format!("arn:aws:iam::{ACCOUNT}:root"))),
            ("accountId", s(ACCOUNT)),
            ("accessKeyId", s(upper_id("ASIA", seed + 1))),
            (
                "sessionContext",
                J::O(vec![(
                    "attributes",
                    J::O(vec![("creationDate", creation), ("mfaAuthenticated", s("true"))]),
                )]),
            ),
        ]),
        IdentityType::FederatedUser => J::O(vec![
            ("type", s("FederatedUser")),
            ("principalId", s(format!("{ACCOUNT}:bob"))),
            ("arn", s(format!("arn:aws:sts::{ACCOUNT}:federated-user/bob"))),
            ("accountId", s(ACCOUNT)),
            ("accessKeyId", s(upper_id("ASIA", seed + 1))),
            (
                "sessionContext",
                J::O(vec![
                    (
                        "sessionIssuer",
                        J::O(vec![
                            ("type", s("IAMUser")),
                            ("principalId", s(upper_id("AIDA", seed + 2))),
                            ("arn", s(format!("arn:aws:iam::{ACCOUNT}:user/federation-broker"))),
                            ("accountId", s(ACCOUNT)),
                            ("userName", s("federation-broker")),
                        ]),
                    ),
                    (
                        "attributes",
                        J::O(vec![("creationDate", creation), ("mfaAuthenticated", s("false"))]),
                    ),
                ]),
            ),
        ]),
        IdentityType::AWSService => J::O(vec![
            ("type", s("AWSService")),
            ("invokedBy", s("cloudformation.amazonaws.com")),
        ]),
    }
}

struct Client {
    ip: &'static str,
    agent: String,
}

/// Who sends the call and from where. A console sign-in comes from a browser.
fn client(identity: IdentityType, service: &str, case: &Case) -> Client {
    if case.event_type == "AwsConsoleSignIn" {
        return Client {
            ip: "203.0.113.44",
            agent: "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0".into(),
        };
    }
    let cli_command = kebab(case.event_name());
    match identity {
        IdentityType::IAMUser => Client {
            ip: "203.0.113.17",
            agent: format!("aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0-23-cloud-amd64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#{service}.{cli_command}"),
        },
        IdentityType::AssumedRole => Client {
            ip: "198.51.100.24",
            agent: "Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.224-233.879.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.162".into(),
        },
        IdentityType::Root => Client {
            ip: "192.0.2.55",
            agent: "AWS Internal".into(),
        },
        IdentityType::FederatedUser => Client {
            ip: "203.0.113.80",
            agent: format!("aws-sdk-go-v2/1.30.3 os/linux lang/go#go1.22.5 md/GOOS#linux md/GOARCH#amd64 api/{service}#1.34.3"),
        },
        IdentityType::AWSService => Client {
            ip: "cloudformation.amazonaws.com",
            agent: "cloudformation.amazonaws.com".into(),
        },
    }
}

fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn caller_arn(identity: IdentityType) -> String {
    match identity {
        IdentityType::AssumedRole => {
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/deploy-session")
        }
        _ => format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    }
}

fn build(
    rule: &'static Rule,
    index: usize,
    case: &'static Case,
    identity: IdentityType,
    result: CallResult,
) -> (SampleRecord, Value) {
    let seed = (index as u64) * 64 + (identity as u64) * 8 + result as u64;
    let service = case.source.split('.').next().unwrap_or_default();
    let region = case.region.as_deref().unwrap_or(&rule.region);
    let Client { ip, agent } = client(identity, service, case);
    let minute = index % 60;
    let second = (identity as usize * 7 + result as usize * 3) % 60;
    let version = match identity {
        IdentityType::AWSService => "1.08",
        IdentityType::Root => "1.09",
        _ => "1.10",
    };
    let mut members: Vec<(&'static str, J)> = vec![
        ("eventVersion", s(version)),
        ("userIdentity", user_identity(identity, seed)),
        ("eventTime", s(format!("2024-11-05T14:{minute:02}:{second:02}Z"))),
        ("eventSource", s(&case.source)),
        ("eventName", s(case.event_name())),
        ("awsRegion", s(region)),
        ("sourceIPAddress", s(ip)),
        ("userAgent", s(agent)),
    ];
    let denied = result == CallResult::AccessDenied;
    if denied {
        let action = format!("{service}:{}", case.event_name());
        members.push(("errorCode", s("AccessDenied")));
        members.push((
            "errorMessage",
            s(format!(
                "User: {} is not authorized to perform: {action} on resource: {} because no identity-based policy allows the {action} action",
                caller_arn(identity),
                case.resource
            )),
        ));
    } else {
        if let Some(code) = &case.error_code {
            members.push(("errorCode", s(code)));
        }
        if let Some(message) = &case.error_message {
            members.push(("errorMessage", s(message)));
        }
    }
    members.push(("requestParameters", J::V(case.request.clone())));
    members.push((
        "responseElements",
        if denied { J::Null } else { J::V(case.response.clone()) },
    ));
    if let Some(data) = &case.additional_event_data {
        members.push(("additionalEventData", J::V(data.clone())));
    }
    // A console sign-in has no request id (the record contents reference).
    if case.event_type != "AwsConsoleSignIn" {
        members.push(("requestID", s(uuid(seed * 2 + 1))));
    }
    members.push(("eventID", s(uuid(seed * 2 + 2))));
    if let Some(read_only) = case.read_only {
        members.push(("readOnly", J::B(read_only)));
    }
    members.push(("eventType", s(&case.event_type)));
    members.push(("managementEvent", J::B(true)));
    members.push(("recipientAccountId", s(ACCOUNT)));
    members.push(("eventCategory", s("Management")));
    if identity != IdentityType::AWSService {
        let host = match region {
            "us-east-1" => case.source.clone(),
            _ => format!("{service}.{region}.amazonaws.com"),
        };
        members.push((
            "tlsDetails",
            J::O(vec![
                ("tlsVersion", s("TLSv1.3")),
                ("cipherSuite", s("TLS_AES_128_GCM_SHA256")),
                ("clientProvidedHostHeader", s(host)),
            ]),
        ));
    }
    if identity == IdentityType::Root {
        members.push(("sessionCredentialFromConsole", s("true")));
    }
    let record = J::O(members);
    let mut json = String::with_capacity(2048);
    record.write(&mut json);
    let sample = SampleRecord {
        event: &case.event,
        identity,
        result,
        json,
    };
    (sample, record.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{all, default_rule};

    // The values are built, not parsed: they must be exactly what parsing the text gives,
    // and the text exactly what serde_json would write.
    #[test]
    fn values_are_the_parsed_records_and_the_text_is_canonical_json() {
        for rule in all() {
            let c = rule.corpus();
            for (r, v) in c.records.iter().zip(&c.values) {
                let parsed: Value = serde_json::from_str(&r.json).unwrap();
                assert_eq!(&parsed, v);
                assert_eq!(parsed.to_string(), r.json);
            }
        }
        for text in ["plain", "q\"b\\n\nr\rt\tb\u{8}f\u{c}c\u{1}d\u{1f}e\u{7f}", "é ✓ /"] {
            let mut out = String::new();
            write_json_string(&mut out, text);
            assert_eq!(out, Value::from(text).to_string(), "{text:?}");
        }
    }

    #[test]
    fn every_rule_builds_records_as_cloudtrail_writes_them() {
        for rule in all() {
            let c = rule.corpus();
            assert!(!c.records.is_empty(), "{}", rule.id);
            let events = rule.events();
            for (r, v) in c.records.iter().zip(&c.values) {
                let case = rule.cases.iter().find(|k| k.event == r.event).unwrap();
                assert!(!r.json.contains('\n'), "one compact line per event");
                assert_eq!(v["eventName"], case.event_name());
                assert_eq!(v["eventSource"], case.source.as_str());
                assert_eq!(v["managementEvent"], true);
                assert_eq!(v["eventCategory"], "Management");
                assert_eq!(v["recipientAccountId"], ACCOUNT);
                assert_eq!(v["userIdentity"]["type"], r.identity.as_str());
                assert!(v["eventVersion"].as_str().unwrap() >= "1.08");
                assert!(v["eventID"].is_string() && v["userAgent"].is_string() && v["awsRegion"].is_string());
                let refused = r.result == CallResult::AccessDenied || case.error_code.is_some();
                assert_eq!(v.get("errorCode").is_some(), refused, "{}: {}", rule.id, r.json);
                // Nothing else in a record names another case's event, or term patterns would over-match.
                let other = events
                    .iter()
                    .filter(|e| rule.cases.iter().any(|k| k.event == **e && k.name.is_none()))
                    .filter(|e| **e != r.event && !r.event.starts_with(*e))
                    .find(|e| r.json.contains(*e));
                assert_eq!(other, None, "{}: {}", rule.id, r.json);
            }
            let ids: std::collections::HashSet<_> = c.values.iter().map(|v| v["eventID"].to_string()).collect();
            assert_eq!(ids.len(), c.records.len(), "{}: eventIDs are unique", rule.id);
        }
        let rule = default_rule();
        assert_eq!(rule.corpus().records.len(), 16 * 7);
        let doc = rule
            .sample_record("PutRolePolicy", IdentityType::AssumedRole, CallResult::Success)
            .unwrap();
        let v: Value = serde_json::from_str(&doc.json).unwrap();
        let embedded: Value = serde_json::from_str(v["requestParameters"]["policyDocument"].as_str().unwrap()).unwrap();
        assert_eq!(embedded["Version"], "2012-10-17");
        assert!(
            (1800..=2600).contains(&doc.json.len()),
            "about 2 KB: {}",
            doc.json.len()
        );
    }

    #[test]
    fn kebab_case_cli_commands() {
        assert_eq!(kebab("PutRolePolicy"), "put-role-policy");
    }
}
