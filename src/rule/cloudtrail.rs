//! Realistic CloudTrail records of the 16 IAM policy events, serialized the way
//! CloudTrail delivers them to CloudWatch Logs: one compact JSON object per log
//! event, members in CloudTrail's order.
//!
//! Field shapes follow the CloudTrail record contents reference and IAM's
//! CloudTrail examples: IAM is a global service, so its events carry
//! `awsRegion` us-east-1 and `eventSource` iam.amazonaws.com; policy documents
//! appear in `requestParameters` as a JSON-escaped string; most of these calls
//! return `responseElements: null`, CreatePolicy and CreatePolicyVersion
//! return the new policy / version. Every value is deterministic.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

use super::IAM_POLICY_EVENTS;

const ACCOUNT: &str = "111122223333";

/// The `userIdentity.type` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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

/// Whether the call succeeded. Failed calls are reported by coverage, not required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallResult {
    Success,
    /// `errorCode: AccessDenied` with the usual `errorMessage`.
    AccessDenied,
}

/// One generated CloudTrail record.
#[derive(Debug, Clone)]
pub struct SampleRecord {
    /// `eventName`, one of [`IAM_POLICY_EVENTS`].
    pub event: &'static str,
    /// `userIdentity.type`.
    pub identity: IdentityType,
    /// Success, or AccessDenied (`errorCode` / `errorMessage` set).
    pub result: CallResult,
    /// The log event message: compact JSON.
    pub json: String,
}

/// Identities whose failed calls are also generated (root and AWS services are
/// not normally denied).
const DENIED_IDENTITIES: [IdentityType; 2] = [IdentityType::IAMUser, IdentityType::AssumedRole];

pub(super) struct Corpus {
    pub(super) records: Vec<SampleRecord>,
    /// `records[i]` as a parsed value, for fast repeated evaluation of JSON patterns.
    pub(super) values: Vec<Value>,
}

pub(super) fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut records = Vec::new();
        let mut values = Vec::new();
        for (e, event) in IAM_POLICY_EVENTS.iter().enumerate() {
            let results = IdentityType::ALL
                .map(|identity| (identity, CallResult::Success))
                .into_iter()
                .chain(DENIED_IDENTITIES.map(|identity| (identity, CallResult::AccessDenied)));
            for (identity, result) in results {
                let (record, value) = build(e, event, identity, result);
                records.push(record);
                values.push(value);
            }
        }
        Corpus { records, values }
    })
}

/// Every generated record: for each of the 16 events, a successful call by
/// each [`IdentityType`], and an AccessDenied call by an IAM user and an assumed role.
pub fn sample_records() -> &'static [SampleRecord] {
    &corpus().records
}

/// The generated record for one event, identity and result, if there is one.
pub fn sample_record(event: &str, identity: IdentityType, result: CallResult) -> Option<&'static SampleRecord> {
    sample_records()
        .iter()
        .find(|r| r.event == event && r.identity == identity && r.result == result)
}

// ------------------------------------------------------------------ builder

/// A JSON value whose object members keep insertion order (CloudTrail's order).
enum J {
    S(String),
    B(bool),
    N(i64),
    Null,
    O(Vec<(&'static str, J)>),
}

fn s(v: impl Into<String>) -> J {
    J::S(v.into())
}

impl J {
    fn write(&self, out: &mut String) {
        match self {
            J::S(v) => write_json_string(out, v),
            J::B(b) => out.push_str(if *b { "true" } else { "false" }),
            J::N(n) => {
                let _ = write!(out, "{n}");
            }
            J::Null => out.push_str("null"),
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
            J::N(n) => Value::from(n),
            J::Null => Value::Null,
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

const POLICY_DOCUMENT: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Sid\": \"ReadReports\",\n            \"Effect\": \"Allow\",\n            \"Action\": [\n                \"s3:GetObject\",\n                \"s3:ListBucket\"\n            ],\n            \"Resource\": [\n                \"arn:aws:s3:::example-reports\",\n                \"arn:aws:s3:::example-reports/*\"\n            ]\n        }\n    ]\n}";

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

fn client(identity: IdentityType, event: &str) -> Client {
    let cli_command = kebab(event);
    match identity {
        IdentityType::IAMUser => Client {
            ip: "203.0.113.17",
            agent: format!("aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0-23-cloud-amd64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#iam.{cli_command}"),
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
            agent: "aws-sdk-go-v2/1.30.3 os/linux lang/go#go1.22.5 md/GOOS#linux md/GOARCH#amd64 api/iam#1.34.3".into(),
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

fn request_parameters(event: &str) -> J {
    let policy_arn = s(format!("arn:aws:iam::{ACCOUNT}:policy/team-s3-read"));
    let managed_arn = s("arn:aws:iam::aws:policy/ReadOnlyAccess");
    let doc = || s(POLICY_DOCUMENT);
    let inline = || s("inline-s3-read");
    J::O(match event {
        "DeleteGroupPolicy" => vec![("groupName", s("developers")), ("policyName", inline())],
        "DeleteRolePolicy" => vec![("roleName", s("app-deploy-role")), ("policyName", inline())],
        "DeleteUserPolicy" => vec![("userName", s("alice")), ("policyName", inline())],
        "PutGroupPolicy" => vec![
            ("groupName", s("developers")),
            ("policyName", inline()),
            ("policyDocument", doc()),
        ],
        "PutRolePolicy" => vec![
            ("roleName", s("app-deploy-role")),
            ("policyName", inline()),
            ("policyDocument", doc()),
        ],
        "PutUserPolicy" => vec![
            ("userName", s("alice")),
            ("policyName", inline()),
            ("policyDocument", doc()),
        ],
        "CreatePolicy" => vec![
            ("policyName", s("team-s3-read")),
            ("policyDocument", doc()),
            ("description", s("Read access to the team report bucket")),
        ],
        "DeletePolicy" => vec![("policyArn", policy_arn)],
        "CreatePolicyVersion" => vec![
            ("policyArn", policy_arn),
            ("policyDocument", doc()),
            ("setAsDefault", J::B(true)),
        ],
        "DeletePolicyVersion" => vec![("policyArn", policy_arn), ("versionId", s("v1"))],
        "AttachRolePolicy" | "DetachRolePolicy" => vec![("roleName", s("app-deploy-role")), ("policyArn", managed_arn)],
        "AttachUserPolicy" | "DetachUserPolicy" => {
            vec![("userName", s("alice")), ("policyArn", managed_arn)]
        }
        "AttachGroupPolicy" | "DetachGroupPolicy" => {
            vec![("groupName", s("developers")), ("policyArn", policy_arn)]
        }
        _ => Vec::new(),
    })
}

fn response_elements(event: &str, seed: u64) -> J {
    let date = "Nov 5, 2024, 2:03:11 PM";
    match event {
        "CreatePolicy" => J::O(vec![(
            "policy",
            J::O(vec![
                ("policyName", s("team-s3-read")),
                ("policyId", s(upper_id("ANPA", seed))),
                ("arn", s(format!("arn:aws:iam::{ACCOUNT}:policy/team-s3-read"))),
                ("path", s("/")),
                ("defaultVersionId", s("v1")),
                ("attachmentCount", J::N(0)),
                ("permissionsBoundaryUsageCount", J::N(0)),
                ("isAttachable", J::B(true)),
                ("createDate", s(date)),
                ("updateDate", s(date)),
            ]),
        )]),
        "CreatePolicyVersion" => J::O(vec![(
            "policyVersion",
            J::O(vec![
                ("versionId", s("v2")),
                ("isDefaultVersion", J::B(true)),
                ("createDate", s(date)),
            ]),
        )]),
        _ => J::Null,
    }
}

/// The resource an AccessDenied message names.
fn resource(event: &str) -> String {
    match event {
        e if e.contains("Group") => format!("arn:aws:iam::{ACCOUNT}:group/developers"),
        e if e.contains("Role") => format!("arn:aws:iam::{ACCOUNT}:role/app-deploy-role"),
        e if e.contains("User") => format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        _ => format!("arn:aws:iam::{ACCOUNT}:policy/team-s3-read"),
    }
}

fn caller_arn(identity: IdentityType) -> String {
    match identity {
        IdentityType::AssumedRole => {
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/deploy-session")
        }
        _ => format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    }
}

fn build(event_index: usize, event: &'static str, identity: IdentityType, result: CallResult) -> (SampleRecord, Value) {
    let seed = (event_index as u64) * 64 + (identity as u64) * 8 + result as u64;
    let Client { ip, agent } = client(identity, event);
    let minute = event_index % 60;
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
        ("eventSource", s("iam.amazonaws.com")),
        ("eventName", s(event)),
        ("awsRegion", s("us-east-1")),
        ("sourceIPAddress", s(ip)),
        ("userAgent", s(agent)),
    ];
    let denied = result == CallResult::AccessDenied;
    if denied {
        members.push(("errorCode", s("AccessDenied")));
        members.push((
            "errorMessage",
            s(format!(
                "User: {} is not authorized to perform: iam:{event} on resource: {} because no identity-based policy allows the iam:{event} action",
                caller_arn(identity),
                resource(event)
            )),
        ));
    }
    members.push(("requestParameters", request_parameters(event)));
    members.push((
        "responseElements",
        if denied {
            J::Null
        } else {
            response_elements(event, seed)
        },
    ));
    members.push(("requestID", s(uuid(seed * 2 + 1))));
    members.push(("eventID", s(uuid(seed * 2 + 2))));
    members.push(("readOnly", J::B(false)));
    members.push(("eventType", s("AwsApiCall")));
    members.push(("managementEvent", J::B(true)));
    members.push(("recipientAccountId", s(ACCOUNT)));
    members.push(("eventCategory", s("Management")));
    if identity != IdentityType::AWSService {
        members.push((
            "tlsDetails",
            J::O(vec![
                ("tlsVersion", s("TLSv1.3")),
                ("cipherSuite", s("TLS_AES_128_GCM_SHA256")),
                ("clientProvidedHostHeader", s("iam.amazonaws.com")),
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
        event,
        identity,
        result,
        json,
    };
    (sample, record.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The values are built, not parsed: they must be exactly what parsing the text gives,
    // and the text exactly what serde_json would write.
    #[test]
    fn values_are_the_parsed_records_and_the_text_is_canonical_json() {
        let c = corpus();
        for (r, v) in c.records.iter().zip(&c.values) {
            let parsed: Value = serde_json::from_str(&r.json).unwrap();
            assert_eq!(&parsed, v);
            assert_eq!(parsed.to_string(), r.json);
        }
        for text in ["plain", "q\"b\\n\nr\rt\tb\u{8}f\u{c}c\u{1}d\u{1f}e\u{7f}", "é ✓ /"] {
            let mut out = String::new();
            write_json_string(&mut out, text);
            assert_eq!(out, Value::from(text).to_string(), "{text:?}");
        }
    }

    #[test]
    fn corpus_shape() {
        let c = corpus();
        assert_eq!(c.records.len(), 16 * 7);
        assert_eq!(c.values.len(), c.records.len());
        for (r, v) in c.records.iter().zip(&c.values) {
            assert!(!r.json.contains('\n'), "one compact line per event");
            assert_eq!(v["eventName"], r.event);
            assert_eq!(v["eventSource"], "iam.amazonaws.com");
            assert_eq!(v["awsRegion"], "us-east-1");
            assert_eq!(v["readOnly"], false);
            assert_eq!(v["managementEvent"], true);
            assert_eq!(v["eventCategory"], "Management");
            assert_eq!(v["recipientAccountId"], ACCOUNT);
            assert_eq!(v["userIdentity"]["type"], r.identity.as_str());
            assert!(v["eventVersion"].as_str().unwrap() >= "1.08");
            assert!(v["requestID"].is_string() && v["eventID"].is_string() && v["userAgent"].is_string());
            assert_eq!(v.get("errorCode").is_some(), r.result == CallResult::AccessDenied);
            // Nothing else in a record may name an IAM policy event, or term patterns would over-match.
            let other = IAM_POLICY_EVENTS
                .iter()
                .filter(|e| **e != r.event && !r.event.starts_with(*e))
                .find(|e| r.json.contains(*e));
            assert_eq!(other, None, "{}", r.json);
        }
        let doc = &sample_record("PutRolePolicy", IdentityType::AssumedRole, CallResult::Success).unwrap();
        let v: Value = serde_json::from_str(&doc.json).unwrap();
        let embedded: Value = serde_json::from_str(v["requestParameters"]["policyDocument"].as_str().unwrap()).unwrap();
        assert_eq!(embedded["Version"], "2012-10-17");
        assert!(
            (1800..=2600).contains(&doc.json.len()),
            "about 2 KB: {}",
            doc.json.len()
        );
        let ids: std::collections::HashSet<_> = c.values.iter().map(|v| v["eventID"].to_string()).collect();
        assert_eq!(ids.len(), c.records.len(), "eventIDs are unique");
    }

    #[test]
    fn kebab_case_cli_commands() {
        assert_eq!(kebab("PutRolePolicy"), "put-role-policy");
    }
}
