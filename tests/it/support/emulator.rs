//! The emulator: one real AWS API emulator (moto server, from the project's venv) for
//! the test binary, started on a free 127.0.0.1 port and killed when the binary exits;
//! a fresh AWS account per test (a profile that assumes a role in a new account id), so
//! tests run in parallel on one emulator without seeing each other. The binary under
//! test reaches the emulator through AWS_ENDPOINT_URL alone: the endpoint is the
//! harness's protocol bridge in front of moto (scripts/emulator/bridge.py), which
//! turns the SDK's CloudWatch requests (Smithy RPC v2 CBOR, which moto does not speak)
//! into the JSON protocol moto answers and passes every other request through.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use serde_json::Value;

pub const REGION: &str = "us-east-1";

pub fn project_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_iam-policy-alarm")
}

pub struct Moto {
    /// The bridge's port: the emulator's endpoint for every client.
    pub port: u16,
}

impl Moto {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The emulator shared by every test, started as every script starts it
/// (scripts/emulator/emulator.py: moto and the bridge; it prints the endpoint once both
/// answer, and they die with it). Started from a thread that lives as long as the
/// process, because PR_SET_PDEATHSIG fires when the *spawning thread* exits.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let python = project_dir().join(".venv/bin/python");
            assert!(
                python.exists(),
                "{} missing: run `make tools` (make test does)",
                python.display()
            );
            let mut emulator = Command::new(python);
            emulator
                .arg(project_dir().join("scripts/emulator/emulator.py"))
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the
            // child when this thread (and so the test process) goes away.
            unsafe {
                emulator.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let mut child = emulator.spawn().expect("start the emulator");
            let mut endpoint = String::new();
            let stdout = child.stdout.take().expect("the emulator's stdout");
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut endpoint)
                .expect("read the endpoint");
            tx.send(endpoint).unwrap();
            let _ = child.wait();
        });
        let endpoint = rx.recv().unwrap();
        let port = endpoint
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the emulator did not start (it printed {endpoint:?}; its reason is above)"));
        Moto { port }
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A minimal HTTP/1.1 request to the emulator: its control API and unsigned S3 calls.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.1 2") && !response.starts_with("HTTP/1.0 2") {
        return Err(std::io::Error::other(response.lines().next().unwrap_or("").to_string()));
    }
    Ok(response)
}

/// A fresh, empty AWS account on the emulator.
pub struct Account {
    pub id: String,
    pub config_file: PathBuf,
    pub sdk: SdkConfig,
}

static NEXT_ACCOUNT: AtomicU64 = AtomicU64::new(0);

impl Account {
    pub async fn new() -> Account {
        let n = NEXT_ACCOUNT.fetch_add(1, Ordering::SeqCst);
        // Distinct per process and per test: 12 digits.
        Account::with_id(format!("{:06}{:06}", std::process::id() % 1_000_000, n + 100)).await
    }

    /// An account with this id (one the emulator made, e.g. an organization's member).
    pub async fn with_id(id: String) -> Account {
        let moto = moto();
        let dir = std::env::temp_dir().join(format!("iam-policy-alarm-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let config_file = dir.join("config");
        std::fs::write(
            &config_file,
            format!(
                "[profile static]\naws_access_key_id = testing\naws_secret_access_key = testing\nregion = {REGION}\n\n\
                 [profile test]\nrole_arn = arn:aws:iam::{id}:role/audit\nsource_profile = static\nregion = {REGION}\n\n\
                 [profile seed]\nrole_arn = arn:aws:iam::{id}:role/seed\nsource_profile = static\nregion = {REGION}\nendpoint_url = {}\n",
                moto.endpoint()
            ),
        )
        .unwrap();
        let files = EnvConfigFiles::builder()
            .with_file(EnvConfigFileKind::Config, &config_file)
            .build();
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .profile_files(files)
            .profile_name("seed")
            .load()
            .await;
        Account { id, config_file, sdk }
    }

    /// The environment of the binary under test: the emulator through AWS_ENDPOINT_URL,
    /// this account through the profile, nothing inherited from the machine's AWS setup.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command.args(args);
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_LAMBDA_RUNTIME_API",
            "AWS_PROFILE",
            "AWS_DEFAULT_REGION",
        ] {
            command.env_remove(var);
        }
        for var in [
            "MODE",
            "DRY_RUN",
            "FINDINGS_TOPIC_ARN",
            "ALARM_TOPIC_ARN",
            "METRIC_NAMESPACE",
            "METRIC_NAME",
            "FILTER_NAME",
            "ALARM_NAME",
            "TAMPER_NOTIFY",
            "FUNCTION_ROLE_ARN",
            // Tests that want more than the default log level say so.
            "RUST_LOG",
        ] {
            command.env_remove(var);
        }
        command
            .env("AWS_ENDPOINT_URL", moto().endpoint())
            .env("AWS_CONFIG_FILE", &self.config_file)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_PROFILE", "test")
            .env("AWS_REGION", REGION);
        command
    }

    /// Runs `iam-policy-alarm audit --format json` and returns (exit code, report).
    pub fn audit(&self, env: &[(&str, &str)]) -> (i32, Value) {
        self.run(&["audit", "--format", "json"], env)
    }

    /// Runs the binary with `args` (which must print a JSON report) and `env`.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        let output = command.output().unwrap();
        (output.status.code().unwrap_or(-1), report_of(&output))
    }

    pub fn region(&self, region: &str) -> SdkConfig {
        self.sdk.to_builder().region(Region::new(region.to_string())).build()
    }
}

pub fn report_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a JSON report ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The status of each link of the report's first trail, in chain order.
pub fn link_statuses(report: &Value, trail: usize) -> [String; 4] {
    let links = &report["trails"][trail]["links"];
    ["trail", "metric_filter", "alarm", "notification"]
        .map(|l| links[l]["status"].as_str().unwrap_or("missing").to_string())
}
