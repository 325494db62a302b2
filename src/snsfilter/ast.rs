//! The parsed filter policy, its parser (from JSON text), SNS's size limits, and the
//! sentences that describe what a key requires.

use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Number, Value};

use super::error::{PolicyError, PolicyErrorKind};
use super::{MAX_COMBINATIONS, MAX_KEYS, MAX_POLICY_BYTES};

/// Field names that stop `"$or"` from being an OR (Event Ruler's
/// RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP; the SNS page "AND/OR logic" says only
/// "reserved keywords" and gives `numeric` and `prefix` as examples).
const RESERVED: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// An object of the policy: every member must hold (AND).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Object {
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Member {
    /// A property name and what it must satisfy.
    Key { name: String, rule: Rule },
    /// `"$or": [{..}, {..}, ..]`: at least one alternative must hold.
    Or(Vec<Object>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rule {
    /// `"key": [..]`: at least one pattern must match (OR).
    Leaf(Vec<Pattern>),
    /// `"key": {..}`: a nested policy (MessageBody scope only).
    Nested(Object),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Pattern {
    Exact(Literal),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    /// `anything-but` a value or a list of values (strings and/or numbers).
    AnythingBut(Vec<Literal>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    /// Conjunction of comparisons: `[">", 0, "<=", 150]`.
    Numeric(Vec<(Cmp, f64)>),
    Exists(bool),
    Cidr(Cidr),
    /// An operator this module does not evaluate (wildcard, anything-but wildcard,
    /// anything-but equals-ignore-case, an unknown operator): its description.
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Num(Num),
    Bool(bool),
    Null,
}

/// A JSON number. `int` is its exact value when it was written as an integer (no
/// fraction, no exponent), the one case where its value says how it was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Num {
    pub value: f64,
    pub int: Option<i128>,
}

impl Num {
    pub fn from_json(n: &Number) -> Num {
        let int = n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
        Num {
            value: n.as_f64().unwrap_or(f64::NAN),
            int,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn parse(s: &str) -> Option<Cmp> {
        Some(match s {
            "=" => Cmp::Eq,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cidr {
    pub net: IpAddr,
    pub bits: u8,
    pub text: String,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.bits)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// A parsed policy with what its limits were measured as.
pub(super) struct Parsed {
    pub root: Object,
    pub nested: bool,
    pub leaf_keys: Vec<Vec<String>>,
    pub combinations: u64,
    pub has_dotted_key: bool,
    pub has_exists_false: bool,
}

pub(super) fn parse(text: &str) -> Result<Parsed, PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::new(
            PolicyErrorKind::TooLarge,
            None,
            format!(
                "{} bytes; SNS accepts at most 256 KB ({MAX_POLICY_BYTES} bytes)",
                text.len()
            ),
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| PolicyError::new(PolicyErrorKind::Json, None, format!("not valid JSON: {e}")))?;
    let Value::Object(map) = &value else {
        return Err(PolicyError::new(
            PolicyErrorKind::Shape,
            None,
            format!("a filter policy is a JSON object, not {}", kind_of(&value)),
        ));
    };
    let mut cx = Cx::default();
    let root = parse_object(map, &mut Vec::new(), &mut cx, true)?;
    if cx.leaf_keys.len() > MAX_KEYS {
        let names: Vec<String> = cx.leaf_keys.iter().map(|k| k.join(".")).collect();
        return Err(PolicyError::new(
            PolicyErrorKind::TooManyKeys,
            None,
            format!(
                "{} keys ({}); SNS accepts at most {MAX_KEYS} (leaf keys, in a nested policy)",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    let combinations = combinations(&root, 1);
    if combinations > MAX_COMBINATIONS {
        return Err(PolicyError::new(
            PolicyErrorKind::TooComplex,
            None,
            format!("{combinations} combinations of values; SNS accepts at most {MAX_COMBINATIONS}"),
        ));
    }
    Ok(Parsed {
        root,
        nested: cx.nested,
        leaf_keys: cx.leaf_keys,
        combinations,
        has_dotted_key: cx.dotted,
        has_exists_false: cx.exists_false,
    })
}

#[derive(Default)]
struct Cx {
    nested: bool,
    leaf_keys: Vec<Vec<String>>,
    dotted: bool,
    exists_false: bool,
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn err(kind: PolicyErrorKind, path: &[String], message: impl Into<String>) -> PolicyError {
    let key = (!path.is_empty()).then(|| path.join("."));
    PolicyError::new(kind, key, message)
}

/// "$or" is an OR only as the SNS page "AND/OR logic" lists: followed by an array of at
/// least two objects, none with a reserved field name. Otherwise it is a plain name.
fn is_or(key: &str, value: &Value) -> bool {
    let Value::Array(items) = value else { return false };
    key == "$or"
        && items.len() >= 2
        && items
            .iter()
            .all(|i| matches!(i, Value::Object(m) if m.keys().all(|k| !RESERVED.contains(&k.as_str()))))
}

fn parse_object(
    map: &Map<String, Value>,
    path: &mut Vec<String>,
    cx: &mut Cx,
    top: bool,
) -> Result<Object, PolicyError> {
    if map.is_empty() && !top {
        return Err(err(PolicyErrorKind::Shape, path, "an empty object names no key"));
    }
    let mut members = Vec::with_capacity(map.len());
    for (key, value) in map {
        if is_or(key, value) {
            let Value::Array(items) = value else {
                unreachable!("is_or checked the array")
            };
            let mut branches = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(m) = item else {
                    unreachable!("is_or checked the objects")
                };
                branches.push(parse_object(m, path, cx, false)?);
            }
            members.push(Member::Or(branches));
            continue;
        }
        path.push(key.clone());
        cx.dotted |= key.contains('.');
        let rule = match value {
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(err(PolicyErrorKind::Shape, path, "an empty array matches nothing"));
                }
                let patterns = items
                    .iter()
                    .map(|i| parse_pattern(i, path, cx))
                    .collect::<Result<Vec<_>, _>>()?;
                if !cx.leaf_keys.contains(path) {
                    cx.leaf_keys.push(path.clone());
                }
                Rule::Leaf(patterns)
            }
            Value::Object(m) => {
                cx.nested = true;
                Rule::Nested(parse_object(m, path, cx, false)?)
            }
            other => {
                return Err(err(
                    PolicyErrorKind::Shape,
                    path,
                    format!(
                        "a key's value is an array of patterns or a nested object, not {}",
                        kind_of(other)
                    ),
                ))
            }
        };
        path.pop();
        members.push(Member::Key {
            name: key.clone(),
            rule,
        });
    }
    Ok(Object { members })
}

fn literal(v: &Value) -> Option<Literal> {
    Some(match v {
        Value::String(s) => Literal::Str(s.clone()),
        Value::Number(n) => Literal::Num(Num::from_json(n)),
        Value::Bool(b) => Literal::Bool(*b),
        Value::Null => Literal::Null,
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn string_operand(op: &str, arg: &Value, path: &[String]) -> Result<String, PolicyError> {
    match arg {
        Value::String(s) => Ok(s.clone()),
        other => Err(err(
            PolicyErrorKind::Operand,
            path,
            format!("{op} takes a string, not {}", kind_of(other)),
        )),
    }
}

fn parse_pattern(v: &Value, path: &[String], cx: &mut Cx) -> Result<Pattern, PolicyError> {
    if let Some(l) = literal(v) {
        return Ok(Pattern::Exact(l));
    }
    let Value::Object(m) = v else {
        return Err(err(
            PolicyErrorKind::Shape,
            path,
            "a match value is a string, a number, true, false, null or an operator object, not an array",
        ));
    };
    let mut ops = m.iter();
    let (Some((op, arg)), None) = (ops.next(), ops.next()) else {
        return Err(err(
            PolicyErrorKind::Shape,
            path,
            format!("an operator object has exactly one key, not {}", m.len()),
        ));
    };
    Ok(match op.as_str() {
        "prefix" => Pattern::Prefix(string_operand(op, arg, path)?),
        "suffix" => Pattern::Suffix(string_operand(op, arg, path)?),
        "equals-ignore-case" => Pattern::EqualsIgnoreCase(string_operand(op, arg, path)?),
        "exists" => match arg {
            Value::Bool(b) => {
                cx.exists_false |= !b;
                Pattern::Exists(*b)
            }
            other => {
                return Err(err(
                    PolicyErrorKind::Operand,
                    path,
                    format!("exists takes true or false, not {}", kind_of(other)),
                ))
            }
        },
        "anything-but" => parse_anything_but(arg, path)?,
        "numeric" => Pattern::Numeric(parse_numeric(arg, path)?),
        "cidr" => Pattern::Cidr(parse_cidr(arg, path)?),
        "wildcard" => Pattern::Unsupported(format!("wildcard {arg}")),
        other => Pattern::Unsupported(format!("operator {other:?} ({arg})")),
    })
}

fn parse_anything_but(arg: &Value, path: &[String]) -> Result<Pattern, PolicyError> {
    let bad = |what: &str| {
        err(
            PolicyErrorKind::Operand,
            path,
            format!("anything-but takes a string, a number, a list of them, or a prefix or suffix object, not {what}"),
        )
    };
    match arg {
        Value::String(_) | Value::Number(_) => Ok(Pattern::AnythingBut(vec![literal(arg).expect("a scalar")])),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(bad("an empty list"));
            }
            let mut values = Vec::with_capacity(items.len());
            for i in items {
                match i {
                    Value::String(_) | Value::Number(_) => values.push(literal(i).expect("a scalar")),
                    other => return Err(bad(&format!("a list holding {}", kind_of(other)))),
                }
            }
            Ok(Pattern::AnythingBut(values))
        }
        Value::Object(m) => {
            let mut ops = m.iter();
            let (Some((op, inner)), None) = (ops.next(), ops.next()) else {
                return Err(bad(&format!("an object with {} keys", m.len())));
            };
            Ok(match op.as_str() {
                "prefix" => Pattern::AnythingButPrefix(string_operand("anything-but prefix", inner, path)?),
                "suffix" => Pattern::AnythingButSuffix(string_operand("anything-but suffix", inner, path)?),
                other => Pattern::Unsupported(format!("anything-but {other} {inner}")),
            })
        }
        other => Err(bad(kind_of(other))),
    }
}

fn parse_numeric(arg: &Value, path: &[String]) -> Result<Vec<(Cmp, f64)>, PolicyError> {
    let bad = |m: String| err(PolicyErrorKind::Operand, path, format!("numeric: {m}"));
    let Value::Array(items) = arg else {
        return Err(bad(format!(
            "takes an array such as [\">\", 0, \"<=\", 150], not {}",
            kind_of(arg)
        )));
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return Err(bad(format!(
            "takes one or two (operator, number) pairs, not {} items",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len() / 2);
    for pair in items.chunks(2) {
        let op = pair[0]
            .as_str()
            .and_then(Cmp::parse)
            .ok_or_else(|| bad(format!("{} is not one of =, <, <=, >, >=", pair[0])))?;
        let n = pair[1].as_f64().ok_or_else(|| {
            bad(format!(
                "the value of {} must be a number, not {}",
                op.symbol(),
                pair[1]
            ))
        })?;
        out.push((op, n));
    }
    if let [(a, x), (b, y)] = out[..] {
        let lower = |c: Cmp| matches!(c, Cmp::Gt | Cmp::Ge);
        let upper = |c: Cmp| matches!(c, Cmp::Lt | Cmp::Le);
        let (lo, hi) = match (lower(a) && upper(b), upper(a) && lower(b)) {
            (true, _) => (x, y),
            (_, true) => (y, x),
            _ => {
                return Err(bad(
                    "a range is one lower bound (> or >=) and one upper bound (< or <=)".into(),
                ))
            }
        };
        if lo >= hi {
            return Err(bad(format!(
                "the bottom of a range ({lo}) must be less than its top ({hi})"
            )));
        }
    }
    Ok(out)
}

fn parse_cidr(arg: &Value, path: &[String]) -> Result<Cidr, PolicyError> {
    let text = string_operand("cidr", arg, path)?;
    let bad = |m: &str| err(PolicyErrorKind::Operand, path, format!("cidr {text:?}: {m}"));
    let (ip, bits) = text.split_once('/').ok_or_else(|| bad("one '/' is required"))?;
    let net: IpAddr = ip.parse().map_err(|_| bad("not an IPv4 or IPv6 address"))?;
    let bits: u8 = bits.parse().map_err(|_| bad("the mask bits must be an integer"))?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(bad(&format!("at most {max} mask bits")));
    }
    Ok(Cidr { net, bits, text })
}

/// SNS's count of combinations ("Filter policy constraints", "AND/OR logic"): the
/// product, over the keys, of each key's number of values times its nesting level,
/// summed over the alternatives of every `$or`. Computed factored (a sum of products over
/// every AND of ORs is the product of the sums), so a policy of many `$or`s costs no more
/// to count than to read.
fn combinations(obj: &Object, depth: u64) -> u64 {
    obj.members.iter().fold(1u64, |acc, m| {
        let c = match m {
            Member::Key {
                rule: Rule::Leaf(p), ..
            } => (p.len() as u64).saturating_mul(depth),
            Member::Key {
                rule: Rule::Nested(o), ..
            } => combinations(o, depth + 1),
            Member::Or(branches) => branches
                .iter()
                .fold(0u64, |s, b| s.saturating_add(combinations(b, depth))),
        };
        acc.saturating_mul(c)
    })
}

/// A value as the policy or the message writes it: JSON.
pub(super) fn json(s: &str) -> String {
    Value::from(s).to_string()
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => f.write_str(&json(s)),
            Literal::Num(n) => match n.int {
                Some(i) => write!(f, "{i}"),
                None => write!(f, "{}", n.value),
            },
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

impl Pattern {
    /// What a value must do to match, after "to": `begin with "prod-"`.
    pub fn requirement(&self) -> String {
        match self {
            Pattern::Exact(l) => format!("be {l}"),
            Pattern::Prefix(s) => format!("begin with {}", json(s)),
            Pattern::Suffix(s) => format!("end with {}", json(s)),
            Pattern::EqualsIgnoreCase(s) => format!("equal {} ignoring case", json(s)),
            Pattern::AnythingBut(values) => {
                let v: Vec<String> = values.iter().map(ToString::to_string).collect();
                format!("be anything but {}", v.join(", "))
            }
            Pattern::AnythingButPrefix(s) => format!("be present and not begin with {}", json(s)),
            Pattern::AnythingButSuffix(s) => format!("be present and not end with {}", json(s)),
            Pattern::Numeric(conds) => {
                let c: Vec<String> = conds.iter().map(|(op, n)| format!("{} {n}", op.symbol())).collect();
                format!("be a number {}", c.join(" and "))
            }
            Pattern::Exists(true) => "exist".into(),
            Pattern::Exists(false) => "be absent".into(),
            Pattern::Cidr(c) => format!("be an IP address in {}", c.text),
            Pattern::Unsupported(d) => format!("match {d}"),
        }
    }
}

/// `begin with "a" or be "b" or "c"`: the exact values as one phrase, where the first is.
pub(super) fn requirements(patterns: &[Pattern]) -> String {
    let exact: Vec<String> = patterns
        .iter()
        .filter_map(|p| match p {
            Pattern::Exact(l) => Some(l.to_string()),
            _ => None,
        })
        .collect();
    let mut r = Vec::with_capacity(patterns.len());
    let mut exact_done = false;
    for p in patterns {
        match p {
            Pattern::Exact(_) if exact_done => {}
            Pattern::Exact(_) => {
                exact_done = true;
                r.push(format!("be {}", exact.join(" or ")));
            }
            other => r.push(other.requirement()),
        }
    }
    r.join(" or ")
}

pub(super) fn describe(obj: &Object, path: &mut Vec<String>, out: &mut Vec<String>) {
    for m in &obj.members {
        match m {
            Member::Key { name, rule } => {
                path.push(name.clone());
                match rule {
                    Rule::Leaf(p) => out.push(format!("{} must {}", path.join("."), requirements(p))),
                    Rule::Nested(o) => describe(o, path, out),
                }
                path.pop();
            }
            Member::Or(branches) => {
                let alts: Vec<String> = branches
                    .iter()
                    .map(|b| {
                        let mut inner = Vec::new();
                        describe(b, path, &mut inner);
                        format!("({})", inner.join("; "))
                    })
                    .collect();
                out.push(format!("either {}", alts.join(" or ")));
            }
        }
    }
}
