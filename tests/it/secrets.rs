//! What must never be written down: credentials (static keys, the secret key and
//! session token of assumed-role or Lambda credentials) and subscribers' email
//! addresses. Checked at the most verbose log level there is (RUST_LOG=trace, the SDK's
//! own wire logging included), on the command line and in the Lambda face, in the
//! printed report, the log, and the findings message as a subscriber receives it.

use crate::support::fault_proxy::FaultProxy;
use crate::support::lambda::LambdaFace;
use crate::support::seed::encrypt_topic;
use crate::support::seed::Chain;
use crate::support::{moto, Account, REGION};
use serde_json::Value;

const EMAIL: &str = "alice.sensitive@example.com";
const MASKED: &str = "email a***@example.com";

/// A compliant chain whose alarm topic also notifies an email address, and a findings
/// topic read back through an SQS subscriber.
struct Subscribed {
    account: Account,
    findings: String,
    inbox: String,
}

async fn subscribed() -> Subscribed {
    let account = Account::new().await;
    let seeded = account.seed(&Chain::default()).await;
    encrypt_topic(&account, REGION, &seeded.topic_arn).await;
    aws_sdk_sns::Client::new(&account.region(REGION))
        .subscribe()
        .topic_arn(&seeded.topic_arn)
        .protocol("email")
        .endpoint(EMAIL)
        .send()
        .await
        .expect("subscribe email");
    let findings = account.topic(REGION, "findings").await;
    let inbox = account.sqs_subscriber(&findings, "findings-inbox").await;
    Subscribed {
        account,
        findings,
        inbox,
    }
}

/// Drops ANSI colour sequences, so that no escape can split a value being searched for.
fn plain(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn assert_absent(what: &str, text: &str, secrets: &[(&str, &str)]) {
    for (name, secret) in secrets {
        assert!(!secret.is_empty(), "no {name} to look for");
        if let Some(at) = text.find(secret) {
            let from = text[..at].char_indices().rev().nth(200).map_or(0, |(i, _)| i);
            panic!("{name} found in {what}: …{}", &text[from..at + secret.len()]);
        }
    }
}

/// The credentials moto handed out for an AssumeRole the proxy saw.
fn assumed_credentials(proxy: &FaultProxy) -> (String, String) {
    let call = proxy
        .calls()
        .into_iter()
        .find(|c| c.operation == "AssumeRole")
        .expect("the binary assumed its role through the proxy");
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let start = call.response.find(&open).expect(tag) + open.len();
        let end = call.response[start..].find("</").unwrap() + start;
        call.response[start..end].to_string()
    };
    (field("SecretAccessKey"), field("SessionToken"))
}

/// The command line at RUST_LOG=trace, with static keys that assume a role: neither the
/// static secret nor the assumed role's secret key and session token appear in stdout or
/// stderr; the email address appears nowhere, only its mask in the report; the findings
/// message subscribers receive does not hold it either.
#[tokio::test]
async fn the_command_line_at_trace_logs_no_credential_and_no_email() {
    let s = subscribed().await;
    let static_secret = format!("static-secret-{}-{}", std::process::id(), s.account.id);
    let config = s.account.config_file.with_file_name("secrets-config");
    std::fs::write(
        &config,
        format!(
            "[profile static]\naws_access_key_id = AKIDSECRETSTEST{id}\naws_secret_access_key = {static_secret}\nregion = {REGION}\n\n\
             [profile test]\nrole_arn = arn:aws:iam::{id}:role/audit\nsource_profile = static\nregion = {REGION}\n",
            id = s.account.id
        ),
    )
    .unwrap();
    let proxy = FaultProxy::start(moto().port);
    let output = s
        .account
        .command(&["audit", "--format", "json"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_ENDPOINT_URL", proxy.url())
        .env("FINDINGS_TOPIC_ARN", &s.findings)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let (stdout, stderr) = (plain(&output.stdout), plain(&output.stderr));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["status"], "PASS", "{report:#}");
    let notification = report["trails"][0]["links"]["notification"]["detail"].as_str().unwrap();
    assert!(notification.contains(MASKED), "{notification}");
    // The SDK's trace output is there: this is the most that can be logged.
    assert!(
        stderr.contains("TRACE") && stderr.lines().count() > 500,
        "{}",
        stderr.lines().count()
    );
    let (assumed_secret, session_token) = assumed_credentials(&proxy);
    let secrets = [
        ("the static secret key", static_secret.as_str()),
        ("the assumed role's secret key", assumed_secret.as_str()),
        ("the session token", session_token.as_str()),
        ("the subscriber's email address", EMAIL),
        ("the email's local part", "alice.sensitive"),
    ];
    assert_absent("stdout", &stdout, &secrets);
    assert_absent("stderr", &stderr, &secrets);
    let messages = s.account.received(REGION, &s.inbox).await;
    assert_eq!(messages.len(), 1);
    let message = messages[0].to_string();
    assert!(message.contains("a***@example.com"), "{message}");
    assert_absent("the findings message", &message, &secrets);
}

/// The Lambda face at RUST_LOG=trace, with credentials in the environment as Lambda
/// provides them (an assumed role's key, secret and session token): the JSON log holds
/// the findings but neither secret, nor the email address.
#[tokio::test]
async fn the_lambda_log_at_trace_holds_no_credential_and_no_email() {
    let s = subscribed().await;
    let sts = aws_sdk_sts::Client::new(&s.account.sdk);
    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{}:role/iam-policy-alarm-function", s.account.id))
        .role_session_name("lambda")
        .send()
        .await
        .expect("assume the function's role");
    let credentials = assumed.credentials().unwrap();
    let (key, secret, token) = (
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token(),
    );
    let lambda = LambdaFace::start(
        &s.account,
        &[
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", token),
            ("FINDINGS_TOPIC_ARN", &s.findings),
            ("RUST_LOG", "trace"),
        ],
    );
    let result = lambda.invoke("{}");
    assert!(result.ok, "{result:?}");
    assert_eq!(result.payload["status"], "PASS", "{:#}", result.payload);
    assert_eq!(
        result.payload["account"],
        s.account.id.as_str(),
        "ran on the environment's credentials"
    );
    let log = lambda.log();
    // Trace logging was on (JSON records at level TRACE, from the SDK): this is the
    // most the function can log.
    let trace_records = log.lines().filter(|l| l.contains(r#""level":"TRACE""#)).count();
    assert!(trace_records > 100, "{trace_records} TRACE records:\n{log}");
    let findings = lambda.findings();
    assert_eq!(findings.len(), 1, "the findings record is in the log");
    assert!(findings[0].to_string().contains("a***@example.com"));
    let secrets = [
        ("the secret key", secret),
        ("the session token", token),
        ("the subscriber's email address", EMAIL),
        ("the email's local part", "alice.sensitive"),
    ];
    assert_absent("the function's log", &log, &secrets);
    assert_absent("the invocation result", &result.payload.to_string(), &secrets);
}
