//! FaultProxy: an HTTP/1.1 proxy between the SDK and the emulator that injects the
//! faults AWS really produces, per operation and by schedule. The binary under test is
//! pointed at it with `AWS_ENDPOINT_URL`; everything it does not fault is forwarded to
//! the emulator unchanged, so the account behaves as it would without the proxy.
//!
//! ```ignore
//! let proxy = FaultProxy::start(moto().port);
//! proxy.fail("DescribeMetricFilters", Fault::Throttle, Schedule::First(2));
//! proxy.fail("cloudwatch:PutMetricAlarm", Fault::error(400, "ValidationError", "bad"), Schedule::Always);
//! let (code, report) = account.audit(&[("AWS_ENDPOINT_URL", &proxy.url())]);
//! assert_eq!(proxy.count("DescribeMetricFilters"), 3);
//! ```
//!
//! Operations are named as the report names them, `service:Operation` (service from
//! the request's SigV4 credential scope, CloudWatch's `monitoring` shown as
//! `cloudwatch`), or by the bare operation name, or `*` for every request; `svc:*` is
//! every operation of one service. The operation comes from `X-Amz-Target` (awsJson:
//! CloudTrail, CloudWatch Logs, KMS), the form body's `Action=` (awsQuery: CloudWatch
//! 1.99, SNS, STS) or the path (Smithy RPC v2 CBOR). Error bodies follow the protocol
//! the request was made in: JSON `{"__type": ...}` with `x-amzn-ErrorType`, or the
//! query protocol's `<ErrorResponse><Error><Code>` XML.
//!
//! Std threads and std::net only: one thread accepts, one serves each connection
//! (keep-alive, as the SDK's hyper client uses it); each forwarded request opens its
//! own connection to the emulator.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// What happens to a request the schedule picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error in the request's protocol: HTTP 400
    /// `ThrottlingException` (JSON) or `Throttling` (query XML), "Rate exceeded".
    Throttle,
    /// An HTTP status with the protocol's error body and the usual code for it:
    /// 500 InternalFailure, 503 ServiceUnavailable, 400 ValidationError,
    /// 403 AccessDenied, 404 ResourceNotFoundException, 429 TooManyRequestsException.
    Status(u16),
    /// Any error: status, code and message, in the request's protocol.
    Error { status: u16, code: String, message: String },
    /// The connection is reset (RST, SO_LINGER 0) before any response; the request
    /// never reaches the emulator.
    Reset,
    /// The request reaches the emulator and takes effect, then the connection is reset
    /// instead of answering: the write happened, the caller cannot know it.
    LostResponse,
    /// Waits this long, then forwards the request and answers (if the caller still
    /// listens). Longer than the SDK's 5 s attempt timeout, the caller gives up first;
    /// the request still reaches the emulator, as a slow AWS request still completes.
    Delay(Duration),
    /// Forwards the request, then sends the response's headers with the full
    /// Content-Length, half of its body, and closes the connection.
    Truncate,
    /// Holds each matching call until this many calls of the same operation are held
    /// (4 s at most), then forwards them all: their callers provably overlap there.
    Gather(usize),
}

impl Fault {
    pub fn error(status: u16, code: &str, message: &str) -> Fault {
        Fault::Error {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Which of the matching calls (counted from 1, per rule) are faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    Always,
    /// The first n calls fail, later ones pass.
    First(usize),
    /// The first n calls pass, later ones fail.
    After(usize),
    /// Every k-th call fails: k, 2k, 3k, ...
    Every(usize),
    /// Only the n-th call fails.
    Nth(usize),
}

impl Schedule {
    /// Whether the n-th matching call (from 1) is faulted.
    pub fn fires(self, n: usize) -> bool {
        match self {
            Schedule::Always => true,
            Schedule::First(k) => n <= k,
            Schedule::After(k) => n > k,
            Schedule::Every(k) => k > 0 && n % k == 0,
            Schedule::Nth(k) => n == k,
        }
    }
}

/// One request the proxy saw.
#[derive(Clone, Debug)]
pub struct Call {
    /// Arrival order across the proxy's life, from 0.
    pub id: usize,
    /// "logs", "cloudwatch", "sns", "sts", "cloudtrail", "kms", ...
    pub service: String,
    pub operation: String,
    /// The signing region of the request.
    pub region: String,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// The status sent back (None when the connection was reset or the caller left).
    pub status: Option<u16>,
    /// The request body as sent by the SDK.
    pub request: String,
    /// The emulator's response body, when the request was forwarded.
    pub response: String,
    pub arrived: Instant,
    /// When the answer (or the reset) went back; None while the call is open.
    pub answered: Option<Instant>,
}

impl Call {
    /// `service:Operation`, as the report names operations.
    pub fn name(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    fn matches(&self, pattern: &str) -> bool {
        if pattern == "*" {
            return true;
        }
        match pattern.split_once(':') {
            Some((service, op)) => (service == "*" || service == self.service) && (op == "*" || op == self.operation),
            None => pattern == self.operation,
        }
    }

    pub fn is_write(&self) -> bool {
        !["Describe", "Get", "List", "Lookup"]
            .iter()
            .any(|p| self.operation.starts_with(p))
            && !["AssumeRole", "Publish"].contains(&self.operation.as_str())
    }
}

struct Rule {
    operation: String,
    /// Only requests whose body holds this text (None: every one).
    body_contains: Option<String>,
    fault: Fault,
    schedule: Schedule,
    seen: usize,
}

#[derive(Default)]
struct State {
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<Vec<Call>>,
    arrivals: std::sync::atomic::AtomicUsize,
    /// Calls held by Gather, per operation, and the signal that one more arrived.
    gathered: Mutex<std::collections::BTreeMap<String, usize>>,
    arrived: Condvar,
}

impl State {
    fn gather(&self, operation: String, wanted: usize) {
        let deadline = Instant::now() + Duration::from_secs(4);
        let mut held = lock(&self.gathered);
        *held.entry(operation.clone()).or_default() += 1;
        self.arrived.notify_all();
        while held.get(&operation).copied().unwrap_or(0) < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            held = self
                .arrived
                .wait_timeout(held, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// Every rule counts every call it matches; the first one that fires decides.
    fn decide(&self, call: &Call) -> Option<Fault> {
        let mut chosen = None;
        for rule in lock(&self.rules).iter_mut() {
            let body_matches = rule
                .body_contains
                .as_ref()
                .is_none_or(|text| call.request.contains(text.as_str()));
            if call.matches(&rule.operation) && body_matches {
                rule.seen += 1;
                if chosen.is_none() && rule.schedule.fires(rule.seen) {
                    chosen = Some(rule.fault.clone());
                }
            }
        }
        chosen
    }

    fn record(&self, mut call: Call) -> usize {
        call.id = self.arrivals.fetch_add(1, Ordering::SeqCst);
        let id = call.id;
        lock(&self.calls).push(call);
        id
    }

    fn answered(&self, id: usize, answer: Answer) {
        if let Some(call) = lock(&self.calls).iter_mut().rev().find(|c| c.id == id) {
            call.answered = Some(Instant::now());
            call.status = answer.status;
            if let Some(body) = answer.response {
                call.response = String::from_utf8_lossy(&body).into_owned();
            }
        }
    }
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream_port` on 127.0.0.1.
    pub fn start(upstream_port: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let s = s.clone();
                thread::spawn(move || {
                    let _ = serve(client, upstream_port, &s);
                });
            }
        });
        FaultProxy { port, state, stop }
    }

    /// The value for AWS_ENDPOINT_URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Adds a rule: calls matching `operation` get `fault` when `schedule` says so.
    pub fn fail(&self, operation: &str, fault: Fault, schedule: Schedule) -> &Self {
        lock(&self.state.rules).push(Rule {
            operation: operation.into(),
            body_contains: None,
            fault,
            schedule,
            seen: 0,
        });
        self
    }

    /// As `fail`, for the requests whose body holds `text` (e.g. one role's ARN).
    pub fn fail_when(&self, operation: &str, text: &str, fault: Fault, schedule: Schedule) -> &Self {
        lock(&self.state.rules).push(Rule {
            operation: operation.into(),
            body_contains: Some(text.into()),
            fault,
            schedule,
            seen: 0,
        });
        self
    }

    /// Removes every rule: from now on everything is forwarded.
    pub fn heal(&self) {
        lock(&self.state.rules).clear();
    }

    /// Every request seen so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state.calls).clone()
    }

    /// Forgets the requests seen so far (rules and their counts stay).
    pub fn forget_calls(&self) {
        lock(&self.state.calls).clear();
    }

    /// How many requests matching `operation` arrived (faulted or not).
    pub fn count(&self, operation: &str) -> usize {
        lock(&self.state.calls).iter().filter(|c| c.matches(operation)).count()
    }

    /// How many requests matching `operation` were faulted.
    pub fn faulted(&self, operation: &str) -> usize {
        lock(&self.state.calls)
            .iter()
            .filter(|c| c.matches(operation) && c.fault.is_some())
            .count()
    }

    /// The distinct `service:Operation` names seen.
    pub fn operations(&self) -> BTreeSet<String> {
        lock(&self.state.calls).iter().map(Call::name).collect()
    }

    /// The longest chain of calls, each of which arrived only after the one before it
    /// was answered, leaving out the operations in `ignore`: how many calls, one after
    /// another, the run waited for (calls of one phase overlap). Names, in order.
    pub fn dependent_chain(&self, ignore: &[&str]) -> Vec<String> {
        let mut calls: Vec<Call> = self
            .calls()
            .into_iter()
            .filter(|c| !ignore.iter().any(|i| c.matches(i)))
            .collect();
        calls.sort_by_key(|c| c.arrived);
        // chain[i]: (length of the longest chain ending with calls[i], the call before it)
        let mut chain: Vec<(usize, Option<usize>)> = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let before = (0..i)
                .filter(|&j| calls[j].answered.is_some_and(|a| a <= call.arrived))
                .max_by_key(|&j| chain[j].0);
            chain.push((before.map_or(1, |j| chain[j].0 + 1), before));
        }
        let mut at = (0..calls.len()).max_by_key(|&i| chain[i].0);
        let mut names = Vec::new();
        while let Some(i) = at {
            names.push(calls[i].name());
            at = chain[i].1;
        }
        names.reverse();
        names
    }

    /// The calls that could change the account (anything but reads, AssumeRole, Publish).
    pub fn writes(&self) -> Vec<String> {
        lock(&self.state.calls)
            .iter()
            .filter(|c| c.is_write())
            .map(Call::name)
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

pub(super) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

struct Response {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
    /// Smithy RPC v2 CBOR (CloudWatch): CBOR error bodies, and CloudWatch's awsQuery
    /// error codes in the x-amzn-query-error header, as AWS sends them.
    Cbor,
}

fn serve(client: TcpStream, upstream: u16, state: &State) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    while let Some(request) = read_request(&mut reader, &mut writer)? {
        let (mut call, protocol) = classify(&request);
        let fault = state.decide(&call);
        call.fault = fault.clone();
        let service = call.service.clone();
        let name = call.name();
        // Recorded on arrival, so a caller that gave up has its call counted already.
        let id = state.record(call);
        if let Some(Fault::Gather(wanted)) = fault {
            state.gather(name, wanted);
        }
        let mut answer = Answer::default();
        let then = answer_with(fault, protocol, &service, upstream, &request, &mut writer, &mut answer);
        state.answered(id, answer);
        match then? {
            Then::KeepAlive => {}
            Then::Close => return Ok(()),
            Then::Reset => return reset(writer, reader),
        }
    }
    Ok(())
}

/// What becomes of the connection after an answer.
enum Then {
    KeepAlive,
    Close,
    Reset,
}

#[derive(Default)]
struct Answer {
    status: Option<u16>,
    response: Option<Vec<u8>>,
}

/// Answers one request as `fault` says.
fn answer_with(
    fault: Option<Fault>,
    protocol: Protocol,
    service: &str,
    upstream: u16,
    request: &Request,
    writer: &mut TcpStream,
    answer: &mut Answer,
) -> io::Result<Then> {
    let error = |status: u16, code: &str, message: &str| error_response(protocol, service, status, code, message);
    let response = match fault {
        None | Some(Fault::Gather(_)) => forward(upstream, request)?,
        Some(Fault::Reset) => return Ok(Then::Reset),
        Some(Fault::LostResponse) => {
            answer.response = Some(forward(upstream, request)?.body);
            return Ok(Then::Reset);
        }
        Some(Fault::Delay(d)) => {
            thread::sleep(d);
            forward(upstream, request)?
        }
        Some(Fault::Truncate) => {
            let r = forward(upstream, request)?;
            write_response(writer, &r, Some(r.body.len() / 2))?;
            answer.status = Some(r.status);
            answer.response = Some(r.body);
            writer.shutdown(Shutdown::Both)?;
            return Ok(Then::Close);
        }
        Some(Fault::Throttle) => match protocol {
            Protocol::Json => error(400, "ThrottlingException", "Rate exceeded"),
            Protocol::Query | Protocol::Cbor => error(400, "Throttling", "Rate exceeded"),
        },
        Some(Fault::Status(status)) => {
            let (code, message) = usual_error(protocol, status);
            error(status, code, message)
        }
        Some(Fault::Error { status, code, message }) => error(status, &code, &message),
    };
    // A caller that gave up (attempt timeout) makes this write fail: it ends the connection.
    write_response(writer, &response, None)?;
    answer.status = Some(response.status);
    answer.response = Some(response.body);
    Ok(Then::KeepAlive)
}

/// Closes with RST: SO_LINGER on with a zero timeout, then every descriptor closed.
fn reset(stream: TcpStream, reader: BufReader<TcpStream>) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized, initialised struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(reader);
    drop(stream);
    Ok(())
}

/// Reads one request; None at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (method, target) = (method.to_string(), target.to_string());
    let headers = read_headers(reader)?;
    if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = read_body(reader, &headers, false)?;
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

pub(super) fn read_headers(reader: &mut impl BufRead) -> io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(headers);
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

/// A Content-Length or chunked body; with `to_eof`, a body without either runs to EOF.
pub(super) fn read_body(reader: &mut impl BufRead, headers: &[(String, String)], to_eof: bool) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if header(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                // Trailers, up to the empty line.
                read_headers(reader)?;
                return Ok(body);
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = [0; 2];
            reader.read_exact(&mut crlf)?;
        }
    }
    if let Some(n) = header(headers, "content-length") {
        let n: usize = n.parse().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else if to_eof {
        reader.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// Service, operation and region of a request, and the protocol its errors use.
fn classify(request: &Request) -> (Call, Protocol) {
    let scope: Vec<&str> = request
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or("").split('/').collect())
        .unwrap_or_default();
    let region = scope.get(2).copied().unwrap_or("").to_string();
    let mut service = match scope.get(3).copied().unwrap_or("") {
        "monitoring" => "cloudwatch",
        other => other,
    }
    .to_string();
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let (operation, protocol) = if let Some(target) = request.header("x-amz-target") {
        let (prefix, op) = target.rsplit_once('.').unwrap_or(("", target));
        if service.is_empty() {
            service = match prefix {
                p if p.starts_with("Logs_") => "logs",
                p if p.contains("CloudTrail_") => "cloudtrail",
                "TrentService" => "kms",
                p if p.starts_with("GraniteService") => "cloudwatch",
                _ => "unknown",
            }
            .into();
        }
        (op.to_string(), Protocol::Json)
    } else if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        (action.to_string(), Protocol::Query)
    } else if let Some((_, op)) = request.target.rsplit_once("/operation/") {
        (op.to_string(), Protocol::Cbor)
    } else {
        (format!("{} {}", request.method, request.target), Protocol::Query)
    };
    let call = Call {
        id: 0,
        service,
        operation,
        region,
        fault: None,
        status: None,
        request: body,
        response: String::new(),
        arrived: Instant::now(),
        answered: None,
    };
    (call, protocol)
}

fn usual_error(protocol: Protocol, status: u16) -> (&'static str, &'static str) {
    match (status, protocol) {
        (500, _) => (
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        (503, Protocol::Json) => ("ServiceUnavailableException", "Service unavailable. Try again later."),
        (503, Protocol::Query | Protocol::Cbor) => ("ServiceUnavailable", "Service unavailable. Try again later."),
        (400, _) => ("ValidationError", "Invalid request."),
        (403, Protocol::Json) => (
            "AccessDeniedException",
            "User is not authorized to perform this action.",
        ),
        (403, Protocol::Query | Protocol::Cbor) => ("AccessDenied", "User is not authorized to perform this action."),
        (404, _) => ("ResourceNotFoundException", "The specified resource does not exist."),
        (429, _) => ("TooManyRequestsException", "Rate exceeded"),
        (502, _) => ("BadGateway", "Bad gateway."),
        (504, _) => ("GatewayTimeout", "Gateway timeout."),
        _ => ("UnknownError", "Unknown error."),
    }
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    format!(
        "fa017000-0000-4000-8000-{:012x}",
        REQUEST_IDS.fetch_add(1, Ordering::SeqCst)
    )
}

fn error_response(protocol: Protocol, service: &str, status: u16, code: &str, message: &str) -> Response {
    let id = request_id();
    let fault = if status >= 500 { "Receiver" } else { "Sender" };
    let (content_type, body) = match protocol {
        Protocol::Json => (
            "application/x-amz-json-1.1",
            serde_json::json!({"__type": code, "message": message}).to_string().into_bytes(),
        ),
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"https://{service}.amazonaws.com/doc/\"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
            )
            .into_bytes(),
        ),
        Protocol::Cbor => ("application/cbor", cbor_error(code, message)),
    };
    let mut headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("x-amzn-RequestId".to_string(), id),
    ];
    match protocol {
        Protocol::Json => headers.push(("x-amzn-ErrorType".to_string(), code.to_string())),
        Protocol::Cbor => {
            headers.push(("smithy-protocol".to_string(), "rpc-v2-cbor".to_string()));
            headers.push(("x-amzn-query-error".to_string(), format!("{code};{fault}")));
        }
        Protocol::Query => {}
    }
    Response {
        status,
        reason: reason(status).into(),
        headers,
        body,
    }
}

/// `{"__type": code, "message": message}` in CBOR (RFC 8949: a map of two text strings).
fn cbor_error(code: &str, message: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        let len = s.len();
        match len {
            0..=23 => out.push(0x60 | len as u8),
            24..=255 => out.extend([0x78, len as u8]),
            _ => {
                out.push(0x79);
                out.extend((len.min(u16::MAX as usize) as u16).to_be_bytes());
            }
        }
        out.extend(&s.as_bytes()[..len.min(u16::MAX as usize)]);
    }
    let mut out = vec![0xa2];
    for s in ["__type", code, "message", message] {
        text(&mut out, s);
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Sends the request to the emulator on a fresh connection and reads the whole answer.
fn forward(upstream: u16, request: &Request) -> io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", upstream))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (k, v) in &request.headers {
        if !is_hop_header(k) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&request.body)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let mut parts = status_line.trim_end().splitn(3, ' ');
    let _version = parts.next();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.clone()))?;
    let reason = parts.next().unwrap_or("").to_string();
    let headers = read_headers(&mut reader)?;
    let body = read_body(&mut reader, &headers, true)?;
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

fn is_hop_header(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "expect",
        "proxy-connection",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Writes a keep-alive response with a Content-Length; with `cut`, only that many bytes
/// of the body follow the (full-length) headers.
fn write_response(writer: &mut TcpStream, response: &Response, cut: Option<usize>) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason);
    for (k, v) in &response.headers {
        if !is_hop_header(k) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    writer.write_all(head.as_bytes())?;
    let body = &response.body[..cut.unwrap_or(response.body.len()).min(response.body.len())];
    writer.write_all(body)?;
    writer.flush()
}
