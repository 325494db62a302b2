//! runtime-stub: a minimal Lambda runtime API for cold-start measurements.
//!
//! Usage:
//!   runtime-stub --bin PATH [--runs N] [--invocations K] [--event FILE] [--env K=V]...
//!
//! For each run it binds 127.0.0.1:0, sets AWS_LAMBDA_RUNTIME_API to it (host:port, as
//! Lambda does), spawns PATH, and records:
//!   init_ms      from just before spawn (fork+exec) to the first
//!                GET /2018-06-01/runtime/invocation/next
//!   invoke_ms    for each of K invocations: from the event's last byte sent to the
//!                function's POST .../response (or .../error)
//!   init_cpu_ms  CPU time the process used by then (all threads, from schedstat)
//!   hwm_kb       the process's peak RSS (VmHWM in /proc/PID/status) when it polls
//!                for the next event after the last invocation (or after init)
//! One JSON object per run on stdout. The child's stdout/stderr go to /dev/null unless
//! --keep-output DIR is given (one log per run).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    at: Instant,
    reply: mpsc::Sender<Vec<u8>>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bin = None;
    let mut runs = 10usize;
    let mut invocations = 0usize;
    let mut event = String::from("{\"version\":\"0\",\"id\":\"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"account\":\"123456789012\",\"time\":\"2026-11-27T06:00:00Z\",\"region\":\"us-east-1\",\"resources\":[\"arn:aws:events:us-east-1:123456789012:rule/iam-policy-alarm-schedule\"],\"detail\":{}}");
    let mut envs: Vec<(String, String)> = Vec::new();
    let mut keep_output: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().unwrap_or_else(|| usage(&format!("{} needs a value", args[i])));
        match args[i].as_str() {
            "--bin" => bin = Some(value()),
            "--runs" => runs = value().parse().unwrap_or_else(|_| usage("--runs N")),
            "--invocations" => invocations = value().parse().unwrap_or_else(|_| usage("--invocations K")),
            "--event" => event = std::fs::read_to_string(value()).unwrap_or_else(|e| usage(&format!("--event: {e}"))),
            "--env" => {
                let v = value();
                let (k, val) = v.split_once('=').unwrap_or_else(|| usage("--env K=V"));
                envs.push((k.into(), val.into()));
            }
            "--keep-output" => keep_output = Some(value()),
            other => usage(&format!("unknown argument {other}")),
        }
        i += 2;
    }
    let bin = bin.unwrap_or_else(|| usage("--bin PATH is required"));
    for run in 0..runs {
        let line = one_run(&bin, run, invocations, &event, &envs, keep_output.as_deref());
        println!("{line}");
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("runtime-stub: {msg}\nusage: runtime-stub --bin PATH [--runs N] [--invocations K] [--event FILE] [--env K=V]... [--keep-output DIR]");
    std::process::exit(2)
}

fn one_run(bin: &str, run: usize, invocations: usize, event: &str, envs: &[(String, String)], keep: Option<&str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel::<Request>();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || serve(conn, tx));
        }
    });
    let mut cmd = Command::new(bin);
    cmd.env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "iam-policy-alarm")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/iam-policy-alarm")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    match keep {
        Some(dir) => {
            let f = std::fs::File::create(format!("{dir}/run-{run}.log")).expect("log file");
            cmd.stdout(f.try_clone().unwrap()).stderr(f);
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let t0 = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| usage(&format!("cannot start {bin}: {e}")));
    let pid = child.id();
    let deadline = Duration::from_secs(120);
    let mut init_ms = None;
    let mut init_cpu_ms = None;
    let mut invoke_ms: Vec<f64> = Vec::new();
    let mut outcomes: Vec<String> = Vec::new();
    let mut error = None;
    let mut sent_at = None;
    let mut pending_next: Option<Request> = None;
    loop {
        let req = match rx.recv_timeout(deadline) {
            Ok(r) => r,
            Err(_) => {
                error = Some(match child.try_wait() {
                    Ok(Some(status)) => format!("function exited: {status}"),
                    _ => "timed out waiting for the function".to_string(),
                });
                break;
            }
        };
        if req.method == "GET" && req.path.ends_with("/runtime/invocation/next") {
            if init_ms.is_none() {
                init_ms = Some(ms(req.at - t0));
                init_cpu_ms = cpu_ms(pid);
            }
            if invoke_ms.len() + usize::from(sent_at.is_some()) >= invocations {
                pending_next = Some(req); // left unanswered: the function waits here
                break;
            }
            let id = format!("bench-{run}-{}", invoke_ms.len());
            let deadline_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 300_000;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline_ms}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:iam-policy-alarm\r\nLambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            );
            let _ = req.reply.send(response.into_bytes());
            sent_at = Some(Instant::now());
        } else if req.method == "POST" && req.path.contains("/runtime/invocation/") {
            let kind = if req.path.ends_with("/response") { "response" } else { "error" };
            if let Some(s) = sent_at.take() {
                invoke_ms.push(ms(req.at - s));
            }
            let body = String::from_utf8_lossy(&req.body);
            outcomes.push(format!("{kind}: {}", summarize(&body)));
            let _ = req.reply.send(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n".to_vec());
        } else if req.method == "POST" && req.path.ends_with("/runtime/init/error") {
            error = Some(format!("init error: {}", summarize(&String::from_utf8_lossy(&req.body))));
            let _ = req.reply.send(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_vec());
            break;
        } else {
            let _ = req.reply.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec());
        }
    }
    let hwm_kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        });
    let _ = child.kill();
    let _ = child.wait();
    drop(pending_next);
    format!(
        "{{\"run\":{run},\"init_ms\":{},\"init_cpu_ms\":{},\"invoke_ms\":[{}],\"hwm_kb\":{},\"outcomes\":[{}],\"error\":{}}}",
        init_ms.map_or("null".into(), |v| format!("{v:.3}")),
        init_cpu_ms.map_or("null".into(), |v| format!("{v:.3}")),
        invoke_ms.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(","),
        hwm_kb.map_or("null".into(), |v| v.to_string()),
        outcomes.iter().map(|o| json_string(o)).collect::<Vec<_>>().join(","),
        error.map_or("null".into(), |e| json_string(&e)),
    )
}

/// CPU time the process has used so far, all its threads (/proc/PID/task/*/schedstat,
/// nanoseconds on CPU): unlike wall time, it does not grow when other work shares the cores.
fn cpu_ms(pid: u32) -> Option<f64> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let s = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += s.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total as f64 / 1e6)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The report's status and summary if the body is one, else its first 200 characters.
fn summarize(body: &str) -> String {
    let pick = |key: &str| {
        let needle = format!("\"{key}\":\"");
        body.find(&needle).map(|i| {
            let rest = &body[i + needle.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_string()
        })
    };
    match (pick("status"), pick("summary")) {
        (Some(s), Some(m)) => format!("{s} {m}"),
        _ => body.chars().take(200).collect(),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One connection: HTTP/1.1 keep-alive, each request handed to the main thread, which
/// sends back the raw response (or never does, for the last poll).
fn serve(conn: TcpStream, tx: mpsc::Sender<Request>) {
    let _ = conn.set_nodelay(true);
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let at = Instant::now();
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (reply_tx, reply_rx) = mpsc::channel();
        if tx
            .send(Request {
                method,
                path,
                body,
                at,
                reply: reply_tx,
            })
            .is_err()
        {
            return;
        }
        match reply_rx.recv() {
            Ok(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}
