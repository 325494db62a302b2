//! The built binary served through a real Lambda runtime API (cargo lambda's emulator),
//! invoked with each sample event in events/, as `make invoke` and users do.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::seed::Chain;
use support::{project_dir, Account};

/// Kills the process when dropped, so a failing test leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cargo_lambda() -> Command {
    let mut command = Command::new(project_dir().join(".venv/bin/cargo-lambda"));
    command.arg("lambda").current_dir(project_dir());
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The runtime API emulator, and the function binary polling it.
fn serve(account: &Account, env: &[(&str, &str)]) -> (u16, Running, Running) {
    let port = free_port();
    let emulator = cargo_lambda()
        .args([
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cargo lambda watch");
    let emulator = Running(emulator);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "cargo lambda watch did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut function = account.command(&[]);
    function
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let function = Running(function.spawn().expect("start the function"));
    (port, emulator, function)
}

/// One invocation; a function that died would leave `invoke` waiting, so it is bounded.
fn invoke(port: u16, data: &[&str]) -> (bool, Value, String) {
    let mut child = cargo_lambda()
        .args([
            "invoke",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--output-format",
            "json",
        ])
        .args(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo lambda invoke");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cargo lambda invoke {data:?} did not return within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.success(), value, stderr)
}

#[tokio::test]
async fn each_sample_event_through_the_lambda_runtime() {
    let account = Account::new().await;
    // A logging multi-region trail with no metric filter and no alarm: what the rule's
    // remediation is for.
    let seeded = account
        .seed(&Chain {
            filter_pattern: None,
            alarm_namespace: None,
            ..Chain::default()
        })
        .await;
    let (port, _emulator, _function) = serve(&account, &[("ALARM_TOPIC_ARN", &seeded.topic_arn)]);

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/schedule.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "FAIL", "{report:#}");
    assert_eq!(report["mode"], "audit");

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/audit.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        (report["status"].as_str(), report["mode"].as_str()),
        (Some("FAIL"), Some("audit"))
    );

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/remediate-dry-run.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        (report["status"].as_str(), report["dry_run"].as_bool()),
        (Some("FAIL"), Some(true)),
        "{report:#}"
    );
    assert_eq!(
        report["remediation"]["planned"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/remediate.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "PASS", "{report:#}");
    assert_eq!(report["remediation"]["before"]["status"], "FAIL");

    let (ok, report, stderr) = invoke(port, &["--data-file", "events/audit.json"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["status"], "PASS", "{report:#}");
}

#[tokio::test]
async fn a_malformed_event_is_an_invocation_error_that_says_what_was_expected() {
    let account = Account::new().await;
    let (port, _emulator, _function) = serve(&account, &[]);
    for payload in [
        r#"{"mode": "fix"}"#,
        r#""audit""#,
        r#"{"mode": "audit", "force": true}"#,
    ] {
        let (ok, _, stderr) = invoke(port, &["--data-ascii", payload]);
        assert!(!ok, "{payload} was accepted");
        assert!(
            stderr.contains("InvalidEvent") && stderr.contains("invalid invocation event"),
            "{payload}: {stderr}"
        );
    }
}
