//! Evaluation in three values: a pattern matches, does not, or the documentation does
//! not settle it. AND across keys (any "no" is a no), OR within a key's list and across
//! `$or` alternatives (any "yes" is a yes); what is left undecided stays undecided, so a
//! policy is never said to deliver on a reading SNS's pages do not support.
//!
//! Where the pages are silent or contradict each other, the choice is written next to
//! the code that makes it; every such place answers "unknown" when the readings differ.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::ast::{json, requirements, Cidr, Cmp, Literal, Member, Num, Object, Pattern, Rule};
use super::{AttributeValue, FilterPolicy, Scope, Verdict, NUMERIC_LIMIT, NUMERIC_RESOLUTION};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tri {
    Yes,
    /// Why not; empty when the caller composes the sentence.
    No(String),
    /// What is not settled.
    Unknown(String),
}

use Tri::{No, Unknown, Yes};

fn yes_no(b: bool) -> Tri {
    if b {
        Yes
    } else {
        No(String::new())
    }
}

/// OR: a yes wins; else an unknown; else no (the first reason).
fn any(results: impl IntoIterator<Item = Tri>) -> Tri {
    let (mut no, mut unknown) = (None, None);
    for r in results {
        match r {
            Yes => return Yes,
            No(m) => {
                no.get_or_insert(m);
            }
            Unknown(m) => {
                unknown.get_or_insert(m);
            }
        }
    }
    match (unknown, no) {
        (Some(u), _) => Unknown(u),
        (None, n) => No(n.unwrap_or_default()),
    }
}

/// AND: a no wins; else an unknown; else yes.
fn all(results: impl IntoIterator<Item = Tri>) -> Tri {
    let mut unknown = None;
    for r in results {
        match r {
            Yes => {}
            No(m) => return No(m),
            Unknown(m) => {
                unknown.get_or_insert(m);
            }
        }
    }
    unknown.map_or(Yes, Unknown)
}

/// One value the message holds at a key, arrays flattened.
#[derive(Debug, Clone, Copy)]
enum Leaf<'a> {
    Str(&'a str),
    Num(Num),
    Bool(bool),
    Null,
    /// An object where the policy expects a leaf (an intermediate node).
    Object,
    /// A Binary message attribute.
    Binary,
}

/// What the message has at one key.
struct Observed<'a> {
    present: bool,
    leaves: Vec<Leaf<'a>>,
    /// As written, for reasons.
    shown: String,
    /// A `String.Array` message attribute (see `anything_but`).
    string_array: bool,
}

/// What `"exists": false` does on a key the message does not have.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Absent {
    Matches,
    /// "exists: false only matches if at least one attribute is present. An empty set of
    /// attributes results in the filter not matching." (page "Key matching")
    NoAttributes,
    /// Only Binary attributes, which SNS "ignores": whether they count as present is
    /// not written.
    OnlyBinary,
    /// `{}`: whether the note on empty attribute sets applies to an empty body is not written.
    EmptyBody,
}

struct Cx<'s> {
    attributes: bool,
    absent: Absent,
    subject: &'s str,
    /// Array-consistent evaluation (see `eval_body`).
    consistent: bool,
}

const SHOWN_MAX: usize = 120;

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= SHOWN_MAX {
        return s;
    }
    let cut: String = s.chars().take(SHOWN_MAX).collect();
    format!("{cut}…")
}

fn flatten_leaves<'a>(v: &'a Value, out: &mut Vec<Leaf<'a>>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::String(s) => out.push(Leaf::Str(s)),
            Value::Number(n) => out.push(Leaf::Num(Num::from_json(n))),
            Value::Bool(b) => out.push(Leaf::Bool(*b)),
            Value::Null => out.push(Leaf::Null),
            Value::Object(_) => out.push(Leaf::Object),
        }
    }
}

/// The non-array values of `v`, arrays of arrays flattened ("a key whose value is an
/// array matches if any element matches").
fn elements(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            other => out.push(other),
        }
    }
    out
}

pub(super) fn evaluate(
    policy: &FilterPolicy,
    scope: Scope,
    attributes: &BTreeMap<String, AttributeValue>,
    body: &Value,
    subject: &str,
) -> Verdict {
    // An empty policy is how SNS removes filtering ("Deleting a subscription filter
    // policy": overwrite it with an empty JSON body): every message is delivered.
    if policy.root.members.is_empty() {
        return Verdict::Delivers;
    }
    let tri = match scope {
        Scope::MessageAttributes => {
            if policy.nested {
                return Verdict::CannotProve(
                    "the policy is nested, which SNS does not accept for the MessageAttributes scope".into(),
                );
            }
            let absent = if attributes.is_empty() {
                Absent::NoAttributes
            } else if attributes.values().all(|a| matches!(a, AttributeValue::Binary)) {
                Absent::OnlyBinary
            } else {
                Absent::Matches
            };
            let cx = Cx {
                attributes: true,
                absent,
                subject,
                consistent: true,
            };
            eval_attributes(&policy.root, attributes, &mut Vec::new(), &cx)
        }
        Scope::MessageBody => {
            let Value::Object(map) = body else {
                return Verdict::CannotProve(format!(
                    "{subject}'s body is not a JSON object; SNS documents payload filtering only for JSON objects"
                ));
            };
            let absent = if map.is_empty() {
                Absent::EmptyBody
            } else {
                Absent::Matches
            };
            let mut cx = Cx {
                attributes: false,
                absent,
                subject,
                consistent: true,
            };
            let consistent = eval_body(&policy.root, &[body], &mut Vec::new(), &cx);
            cx.consistent = false;
            let crushed = eval_body(&policy.root, &[body], &mut Vec::new(), &cx);
            let tri = match (consistent, crushed) {
                (Yes, Yes) => Yes,
                (No(_), No(m)) => No(m),
                (Unknown(m), _) | (_, Unknown(m)) => Unknown(m),
                _ => Unknown(
                    "the policy's keys match in different elements of one array of objects, and SNS documents \
                     no rule for whether they must match in the same element"
                        .into(),
                ),
            };
            dotted_keys(policy, body, tri)
        }
    };
    match tri {
        Yes => Verdict::Delivers,
        No(m) => Verdict::Filtered(m),
        Unknown(m) => Verdict::CannotProve(m),
    }
}

/// Event Ruler joins nested keys with '.', so `{"a.b": ..}` and `{"a": {"b": ..}}` are the
/// same key to it, in policies and in messages (its README, "Caveat: Compiled rules and
/// JSON keys with dots"); the SNS pages say nothing. A "no", or a "yes" that rests on a
/// key's absence, is not proved where a key on the way contains a '.'.
fn dotted_keys(policy: &FilterPolicy, body: &Value, tri: Tri) -> Tri {
    let settled = match &tri {
        Yes => !policy.has_exists_false,
        No(_) => false,
        Unknown(_) => true,
    };
    if settled {
        return tri;
    }
    let paths: Vec<String> = policy.leaf_keys.iter().map(|k| k.join(".")).collect();
    let on_the_way = |joined: &str| {
        paths
            .iter()
            .any(|p| p == joined || (p.starts_with(joined) && p[joined.len()..].starts_with('.')))
    };
    let mut dotted = policy.has_dotted_key;
    let mut stack = vec![(body, String::new())];
    while let Some((v, prefix)) = stack.pop() {
        if dotted {
            break;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, prefix.clone()))),
            Value::Object(map) => {
                for (k, child) in map {
                    let joined = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if on_the_way(&joined) {
                        dotted |= k.contains('.');
                        stack.push((child, joined));
                    }
                }
            }
            _ => {}
        }
    }
    if dotted {
        Unknown(
            "a key on the policy's paths contains '.', and SNS does not document whether \"a.b\" and a nested \
             a -> b are the same key"
                .into(),
        )
    } else {
        tri
    }
}

fn or_branches(results: Vec<Tri>) -> Tri {
    if results.contains(&Yes) {
        return Yes;
    }
    if let Some(Unknown(m)) = results.iter().find(|r| matches!(r, Unknown(_))) {
        return Unknown(m.clone());
    }
    let reasons: Vec<String> = results
        .into_iter()
        .map(|r| match r {
            No(m) => format!("({m})"),
            _ => String::new(),
        })
        .collect();
    No(format!(
        "requires one of its $or alternatives, and none holds: {}",
        reasons.join(" or ")
    ))
}

fn eval_attributes(
    obj: &Object,
    attributes: &BTreeMap<String, AttributeValue>,
    path: &mut Vec<String>,
    cx: &Cx,
) -> Tri {
    let mut results = Vec::with_capacity(obj.members.len());
    for m in &obj.members {
        results.push(match m {
            Member::Key {
                name,
                rule: Rule::Leaf(patterns),
            } => {
                path.push(name.clone());
                let observed = observe_attribute(attributes.get(name));
                let r = eval_leaf(patterns, &observed, &path.join("."), cx);
                path.pop();
                r
            }
            // `evaluate` refuses nested policies for this scope before coming here.
            Member::Key {
                rule: Rule::Nested(_), ..
            } => Unknown("a nested policy does not apply to message attributes".into()),
            Member::Or(branches) => or_branches(
                branches
                    .iter()
                    .map(|b| eval_attributes(b, attributes, path, cx))
                    .collect(),
            ),
        });
        if matches!(results.last(), Some(No(_))) {
            break;
        }
    }
    all(results)
}

fn observe_attribute(a: Option<&AttributeValue>) -> Observed<'_> {
    let (leaves, shown, string_array) = match a {
        None => {
            return Observed {
                present: false,
                leaves: Vec::new(),
                shown: String::new(),
                string_array: false,
            }
        }
        Some(AttributeValue::String(s)) => (vec![Leaf::Str(s)], json(s), false),
        Some(AttributeValue::Number(n)) => (
            vec![Leaf::Num(Num { value: *n, int: None })],
            format!("{n} (Number)"),
            false,
        ),
        Some(AttributeValue::StringArray(items)) => {
            let mut leaves = Vec::new();
            for i in items {
                flatten_leaves(i, &mut leaves);
            }
            (leaves, show(&Value::Array(items.clone())), true)
        }
        Some(AttributeValue::Binary) => (vec![Leaf::Binary], "(Binary)".into(), false),
    };
    Observed {
        present: true,
        leaves,
        shown,
        string_array,
    }
}

/// The body, against an object of the policy. `nodes` are the message's objects at this
/// path: one (or none) in array-consistent mode, where an array of objects is matched
/// one element at a time (all of a nested policy's keys in the same element, as Event
/// Ruler's `rulesForJSONEvent` does); every element at once otherwise (each key in any
/// element). SNS documents neither, so `evaluate` keeps a verdict only when both agree.
fn eval_body(obj: &Object, nodes: &[&Value], path: &mut Vec<String>, cx: &Cx) -> Tri {
    let mut results = Vec::with_capacity(obj.members.len());
    for m in &obj.members {
        results.push(match m {
            Member::Key { name, rule } => {
                path.push(name.clone());
                let r = match rule {
                    Rule::Leaf(patterns) => eval_leaf(patterns, &observe_body(nodes, name), &path.join("."), cx),
                    Rule::Nested(inner) => eval_nested(inner, nodes, name, path, cx),
                };
                path.pop();
                r
            }
            Member::Or(branches) => or_branches(branches.iter().map(|b| eval_body(b, nodes, path, cx)).collect()),
        });
        if matches!(results.last(), Some(No(_))) {
            break;
        }
    }
    all(results)
}

fn eval_nested(inner: &Object, nodes: &[&Value], name: &str, path: &mut Vec<String>, cx: &Cx) -> Tri {
    let children: Vec<&Value> = nodes
        .iter()
        .filter_map(|n| n.as_object().and_then(|m| m.get(name)))
        .collect();
    if !cx.consistent {
        let all_elements: Vec<&Value> = children.into_iter().flat_map(elements).collect();
        return eval_body(inner, &all_elements, path, cx);
    }
    match children.first() {
        None => eval_body(inner, &[], path, cx),
        Some(child) => {
            let each = elements(child);
            if each.is_empty() {
                return eval_body(inner, &[], path, cx);
            }
            let results: Vec<Tri> = each.iter().map(|e| eval_body(inner, &[*e], path, cx)).collect();
            if results.len() == 1 {
                return results.into_iter().next().unwrap_or(Yes);
            }
            any(results)
        }
    }
}

fn observe_body<'a>(nodes: &[&'a Value], name: &str) -> Observed<'a> {
    let found: Vec<&Value> = nodes
        .iter()
        .filter_map(|n| n.as_object().and_then(|m| m.get(name)))
        .collect();
    let mut leaves = Vec::new();
    for v in &found {
        flatten_leaves(v, &mut leaves);
    }
    let shown = match found.as_slice() {
        [] => String::new(),
        [one] => show(one),
        many => show(&Value::Array(many.iter().map(|v| (*v).clone()).collect())),
    };
    Observed {
        present: !found.is_empty(),
        leaves,
        shown,
        string_array: false,
    }
}

fn eval_leaf(patterns: &[Pattern], observed: &Observed, path: &str, cx: &Cx) -> Tri {
    let results = patterns.iter().map(|p| eval_pattern(p, observed, path, cx));
    match any(results) {
        No(detail) => {
            let has = if observed.present {
                format!("{} has {path} {}", cx.subject, observed.shown)
            } else if cx.attributes && cx.absent == Absent::NoAttributes {
                format!("{} has no message attributes", cx.subject)
            } else {
                format!("{} has no {path}", cx.subject)
            };
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            };
            No(format!("requires {path} to {}; {has}{detail}", requirements(patterns)))
        }
        other => other,
    }
}

fn eval_pattern(p: &Pattern, o: &Observed, path: &str, cx: &Cx) -> Tri {
    match p {
        Pattern::Unsupported(what) => Unknown(format!("the policy's {what} on {path} is not evaluated")),
        Pattern::Exists(want) => exists(*want, o, path, cx),
        // Value patterns need a value: anything-but included ("anything-but can be
        // combined with exists: false", page "String value matching"; the 2021
        // announcement: anything-but prefix delivers "only the messages that carry an
        // attribute with the specified key").
        _ if !o.present => No(String::new()),
        Pattern::AnythingBut(_) | Pattern::AnythingButPrefix(_) | Pattern::AnythingButSuffix(_) => {
            anything_but(p, o, path, cx)
        }
        _ => any(o.leaves.iter().map(|l| leaf_match(p, *l, path, cx))),
    }
}

fn exists(want: bool, o: &Observed, path: &str, cx: &Cx) -> Tri {
    if !o.present {
        return match (want, cx.absent) {
            (true, _) => No(String::new()),
            (false, Absent::Matches) => Yes,
            (false, Absent::NoAttributes) => {
                No("\"exists\": false matches only a message with at least one attribute".into())
            }
            (false, Absent::OnlyBinary) => Unknown(format!(
                "{} has only Binary attributes, which SNS ignores; whether \"exists\": false on {path} then matches \
                 is not documented",
                cx.subject
            )),
            (false, Absent::EmptyBody) => Unknown(format!(
                "{}'s body is an empty object; whether \"exists\": false on {path} matches it is not documented",
                cx.subject
            )),
        };
    }
    // "The key must have a non-null and non-empty value" (page "Key matching"), and
    // "exists matching only works on leaf nodes".
    let substantive = o
        .leaves
        .iter()
        .any(|l| matches!(l, Leaf::Str(s) if !s.is_empty()) || matches!(l, Leaf::Num(_) | Leaf::Bool(_)));
    if substantive {
        return yes_no(want);
    }
    if o.leaves.iter().any(|l| matches!(l, Leaf::Binary)) {
        return Unknown(format!(
            "{path} is a Binary attribute, which SNS ignores; what \"exists\" does with it is not documented"
        ));
    }
    if want {
        No("\"exists\": true needs a non-null, non-empty leaf value".into())
    } else {
        Unknown(format!(
            "{path} is present with {}; whether \"exists\": false matches a null, empty or non-leaf value is not \
             documented",
            o.shown
        ))
    }
}

/// Attribute-based filtering: "you must double-escape" `"` and `\`, or the policy will
/// not match (page "Filter policy constraints"). What a match then needs is not written.
fn needs_escaping(cx: &Cx, a: &str, b: &str) -> bool {
    cx.attributes && (a.contains(['"', '\\']) || b.contains(['"', '\\']))
}

fn escaping_unknown(path: &str) -> Tri {
    Unknown(format!(
        "{path} compares a string holding \" or \\, which SNS requires double-escaped in attribute-based \
         filtering without saying how it then matches"
    ))
}

fn leaf_match(p: &Pattern, leaf: Leaf, path: &str, cx: &Cx) -> Tri {
    match p {
        Pattern::Exact(lit) => literal_eq(lit, leaf, path, cx),
        Pattern::Prefix(s) | Pattern::Suffix(s) | Pattern::EqualsIgnoreCase(s) => {
            // Prefix, suffix and equals-ignore-case "only work on string-valued fields".
            let Leaf::Str(v) = leaf else { return No(String::new()) };
            if needs_escaping(cx, s, v) {
                return escaping_unknown(path);
            }
            match p {
                Pattern::Prefix(_) => yes_no(v.starts_with(s.as_str())),
                Pattern::Suffix(_) => yes_no(v.ends_with(s.as_str())),
                _ => equals_ignore_case(s, v, path),
            }
        }
        Pattern::Numeric(conds) => match leaf {
            Leaf::Num(n) => numeric(conds, n.value, path),
            // A String attribute that holds a number: SNS's pages tie numeric matching
            // to Number attributes and JSON numbers, but do not say a String is refused.
            Leaf::Str(s) if cx.attributes => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => match numeric(conds, x, path) {
                    No(m) => No(m),
                    _ => Unknown(format!(
                        "{path} is a String attribute holding {s:?}; whether numeric matching reads it as a number \
                         is not documented"
                    )),
                },
                _ => No(String::new()),
            },
            _ => No(String::new()),
        },
        Pattern::Cidr(c) => cidr(c, leaf, path),
        _ => unreachable!("eval_pattern routes the other patterns"),
    }
}

fn literal_eq(lit: &Literal, leaf: Leaf, path: &str, cx: &Cx) -> Tri {
    match (lit, leaf) {
        (Literal::Str(p), Leaf::Str(v)) => {
            if needs_escaping(cx, p, v) {
                escaping_unknown(path)
            } else {
                yes_no(p == v)
            }
        }
        (Literal::Num(p), Leaf::Num(v)) => plain_number_eq(*p, v, path),
        (Literal::Num(p), Leaf::Str(s)) if cx.attributes => match s.trim().parse::<f64>() {
            Ok(x) if (x - p.value).abs() < NUMERIC_RESOLUTION => Unknown(format!(
                "{path} is a String attribute holding {s:?}; whether the policy's number {} matches it is not \
                 documented",
                Literal::Num(*p)
            )),
            _ => No(String::new()),
        },
        (Literal::Bool(b), Leaf::Bool(v)) => yes_no(*b == v),
        (Literal::Bool(b), Leaf::Str(s)) if cx.attributes && s == b.to_string() => Unknown(format!(
            "{path} is the String {s:?}; whether the policy's {b} matches it is not documented"
        )),
        (Literal::Null, Leaf::Null) => Yes,
        (Literal::Null, Leaf::Str("null")) if cx.attributes => Unknown(format!(
            "{path} is the String \"null\"; whether the policy's null matches it is not documented"
        )),
        _ => No(String::new()),
    }
}

/// Within the documented range, beyond the documented precision?
fn out_of_range(x: f64) -> bool {
    !x.is_finite() || x.abs() > NUMERIC_LIMIT
}

/// A plain number in the policy (`"k": [5]`), which the pages never show against a
/// message: by value, or as written? Two integers agree either way; numbers at least
/// 10^-5 apart differ either way; otherwise unknown.
fn plain_number_eq(p: Num, v: Num, path: &str) -> Tri {
    if let (Some(a), Some(b)) = (p.int, v.int) {
        return yes_no(a == b);
    }
    if out_of_range(p.value) || out_of_range(v.value) {
        return Unknown(format!(
            "{path}: SNS documents number matching only from -10^9 to 10^9, and the policy's {} or the message's {} \
             is outside",
            Literal::Num(p),
            v.value
        ));
    }
    if (p.value - v.value).abs() >= NUMERIC_RESOLUTION {
        return No(String::new());
    }
    Unknown(format!(
        "{path} is {} and the policy lists the plain number {}; whether SNS compares plain numbers by value or as \
         written is not documented",
        v.value,
        Literal::Num(p)
    ))
}

/// Numeric value, "from -10^9 to 10^9, with five digits of accuracy after the decimal
/// point" (page "Filter policy constraints"): a value closer than 10^-5 to a bound, and
/// not equal to it, is on the side the documentation does not settle.
fn numeric(conds: &[(Cmp, f64)], v: f64, path: &str) -> Tri {
    all(conds.iter().map(|&(op, x)| {
        if out_of_range(v) || out_of_range(x) {
            return Unknown(format!(
                "{path}: SNS documents numeric matching only from -10^9 to 10^9 ({v} {} {x})",
                op.symbol()
            ));
        }
        let d = v - x;
        if d != 0.0 && d.abs() < NUMERIC_RESOLUTION {
            return Unknown(format!(
                "{path} is {v}, within SNS's documented accuracy (10^-5) of the bound {x}"
            ));
        }
        yes_no(match op {
            Cmp::Eq => d == 0.0,
            Cmp::Lt => d < 0.0,
            Cmp::Le => d <= 0.0,
            Cmp::Gt => d > 0.0,
            Cmp::Ge => d >= 0.0,
        })
    }))
}

/// Case folding beyond ASCII is not documented; where ASCII folding and Unicode
/// folding disagree, unknown.
fn equals_ignore_case(p: &str, v: &str, path: &str) -> Tri {
    if p.eq_ignore_ascii_case(v) {
        return Yes;
    }
    if p.is_ascii() && v.is_ascii() {
        return No(String::new());
    }
    if p.to_lowercase() == v.to_lowercase() || p.to_uppercase() == v.to_uppercase() {
        return Unknown(format!(
            "{path}: {} and {} differ only in non-ASCII case, whose folding SNS does not document",
            json(p),
            json(v)
        ));
    }
    No(String::new())
}

fn cidr(c: &Cidr, leaf: Leaf, path: &str) -> Tri {
    let Leaf::Str(s) = leaf else { return No(String::new()) };
    match s.parse::<IpAddr>() {
        Ok(ip) if ip.is_ipv4() == c.net.is_ipv4() => yes_no(c.contains(ip)),
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => Unknown(format!(
            "{path} is the IPv4-mapped address {s}; whether it matches the IPv4 network {} is not documented",
            c.text
        )),
        Ok(_) => No(String::new()),
        // Written like an address but not one Rust reads (leading zeros, a zone): unknown.
        Err(_) if !s.is_empty() && s.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '.' || ch == ':') => Unknown(
            format!("{path} is {s:?}, which may or may not be read as an IP address"),
        ),
        Err(_) => No(String::new()),
    }
}

/// anything-but. The page "String value matching" says both that an array "matches if
/// none of the array elements are listed" and, in its examples, that
/// `["rugby", "baseball"]` matches anything-but rugby (any element not listed); the page
/// "Numeric value matching" gives only the second reading. For message bodies the
/// examples are unambiguous (any element); for a String.Array attribute whose elements
/// are partly listed, the readings differ and the answer is unknown.
fn anything_but(p: &Pattern, o: &Observed, path: &str, cx: &Cx) -> Tri {
    let results: Vec<Tri> = o.leaves.iter().map(|l| anything_but_leaf(p, *l, path, cx)).collect();
    if results.is_empty() {
        return Unknown(format!(
            "{path} is an empty array; whether anything-but matches it is not documented"
        ));
    }
    if !o.string_array {
        return any(results);
    }
    let yes = results.iter().filter(|r| **r == Yes).count();
    let no = results.iter().filter(|r| matches!(r, No(_))).count();
    if yes == results.len() {
        Yes
    } else if no == results.len() {
        No(String::new())
    } else if let Some(Unknown(m)) = results.iter().find(|r| matches!(r, Unknown(_))) {
        Unknown(m.clone())
    } else {
        Unknown(format!(
            "{path} is a String.Array with elements both listed and not listed by anything-but, and the SNS page \
             \"String value matching\" documents both outcomes"
        ))
    }
}

fn anything_but_leaf(p: &Pattern, leaf: Leaf, path: &str, cx: &Cx) -> Tri {
    let mismatch = || {
        Unknown(format!(
            "{path} holds a value of another type than the policy's anything-but lists; the outcome is not documented"
        ))
    };
    match p {
        Pattern::AnythingBut(values) => match leaf {
            Leaf::Str(v) => {
                let strings: Vec<&str> = values
                    .iter()
                    .filter_map(|l| match l {
                        Literal::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect();
                if strings.is_empty() {
                    return mismatch();
                }
                if strings.iter().any(|s| needs_escaping(cx, s, v)) {
                    return escaping_unknown(path);
                }
                yes_no(!strings.contains(&v))
            }
            Leaf::Num(n) => {
                let numbers: Vec<Num> = values
                    .iter()
                    .filter_map(|l| match l {
                        Literal::Num(x) => Some(*x),
                        _ => None,
                    })
                    .collect();
                if numbers.is_empty() {
                    return mismatch();
                }
                // A number is listed when it is equal in value (page "Numeric value
                // matching": anything-but [100, 500] matches 100.1 and not 100).
                let listed = any(numbers.iter().map(|x| numeric(&[(Cmp::Eq, x.value)], n.value, path)));
                match listed {
                    Yes => No(String::new()),
                    No(_) => Yes,
                    u => u,
                }
            }
            _ => mismatch(),
        },
        Pattern::AnythingButPrefix(s) | Pattern::AnythingButSuffix(s) => match leaf {
            Leaf::Str(v) => {
                if needs_escaping(cx, s, v) {
                    return escaping_unknown(path);
                }
                let hit = match p {
                    Pattern::AnythingButPrefix(_) => v.starts_with(s.as_str()),
                    _ => v.ends_with(s.as_str()),
                };
                yes_no(!hit)
            }
            _ => mismatch(),
        },
        _ => unreachable!("only anything-but patterns come here"),
    }
}
