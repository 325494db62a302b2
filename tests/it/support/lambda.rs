//! The Lambda face: the built binary served through a real Lambda runtime API (cargo
//! lambda's emulator, from the project venv), invoked over HTTP as `cargo lambda
//! invoke` does.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use super::fault_proxy::{header, read_body, read_headers};
use super::{project_dir, Account};

/// The built binary served through a real Lambda runtime API (cargo lambda's
/// emulator), its stderr (the JSON log) kept in a file. Both processes are killed on
/// drop.
pub struct LambdaFace {
    /// Where cargo lambda's emulator takes invocations (`cargo lambda invoke -P`).
    pub port: u16,
    log: std::path::PathBuf,
    emulator: std::process::Child,
    function: std::process::Child,
}

#[derive(Debug)]
pub struct Invocation {
    pub ok: bool,
    /// The function's result, or the error object {errorType, errorMessage}.
    pub payload: serde_json::Value,
    /// The status line and raw body, for failure messages.
    pub raw: String,
}

impl Invocation {
    pub fn error_type(&self) -> Option<&str> {
        if self.ok {
            return None;
        }
        self.payload["errorType"].as_str()
    }

    pub fn error_message(&self) -> String {
        self.payload["errorMessage"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| self.raw.clone())
    }
}

/// `cargo lambda ...` from the project venv, run in the project directory.
pub fn cargo_lambda() -> std::process::Command {
    let mut command = std::process::Command::new(project_dir().join(".venv/bin/cargo-lambda"));
    command.arg("lambda").current_dir(project_dir());
    die_with_parent(&mut command);
    command
}

/// Asks the kernel to kill the child when the spawning thread (the test) goes away,
/// so a test killed mid-way leaves nothing running.
fn die_with_parent(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

impl LambdaFace {
    pub fn start(account: &Account, env: &[(&str, &str)]) -> LambdaFace {
        Self::start_with(account, env, &[])
    }

    /// With more arguments for `cargo lambda watch` (e.g. `--timeout`, which sets the
    /// invocations' deadline).
    pub fn start_with(account: &Account, env: &[(&str, &str)], watch_args: &[&str]) -> LambdaFace {
        use std::process::Stdio;
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let emulator = cargo_lambda()
            .args([
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .args(watch_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cargo lambda watch");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "cargo lambda watch did not listen on {port}"
            );
            thread::sleep(Duration::from_millis(50));
        }
        let log = account.config_file.with_file_name(format!("function-{port}.log"));
        let mut function = account.command(&[]);
        die_with_parent(&mut function);
        function
            // With a path, the runtime client needs the scheme to parse it as a URI.
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .envs(env.iter().copied())
            .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap());
        let function = function.spawn().expect("start the function");
        LambdaFace {
            port,
            log,
            emulator,
            function,
        }
    }

    /// Invokes the function with `payload` through the emulator's Invoke API (what
    /// `cargo lambda invoke` calls), given two minutes at most.
    pub fn invoke(&self, payload: &str) -> Invocation {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to cargo lambda");
        stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let head = format!(
            "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            payload.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(payload.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader
            .read_line(&mut status)
            .unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", self.log()));
        let headers = read_headers(&mut reader).unwrap();
        let body = read_body(&mut reader, &headers, true).unwrap();
        let body = String::from_utf8_lossy(&body).into_owned();
        let failed = header(&headers, "x-amz-function-error").is_some() || !status.contains(" 200 ");
        Invocation {
            ok: !failed,
            payload: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
            raw: format!("{status}{body}"),
        }
    }

    /// The function's log so far, one line per record.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every report logged with the "findings" record, oldest first.
    pub fn findings(&self) -> Vec<serde_json::Value> {
        self.log()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r["message"] == "findings")
            .map(|r| serde_json::from_str(r["report"].as_str().unwrap_or("null")).unwrap())
            .collect()
    }

    /// The embedded-metric-format lines the function wrote to standard output, oldest
    /// first (Lambda turns them into metrics).
    pub fn metrics(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.log.with_extension("out"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r.get("_aws").is_some())
            .collect()
    }

    /// Whether the function process is still running (it must survive bad events).
    pub fn alive(&mut self) -> bool {
        matches!(self.function.try_wait(), Ok(None))
    }
}

impl Drop for LambdaFace {
    fn drop(&mut self) {
        for child in [&mut self.function, &mut self.emulator] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
