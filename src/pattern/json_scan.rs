//! Resolving a JSON pattern's selectors against an event.
//!
//! [`resolve`] makes one pass over the message, validating it as JSON (RFC 8259,
//! as strict as serde_json) while following only the paths the selectors name;
//! everything else is skipped without allocating. A 2 KB CloudTrail record is
//! checked in a couple of microseconds, where building a `serde_json::Value`
//! would allocate every member. [`resolve_value`] answers the same question for
//! an already-parsed `Value` (the coverage corpus is parsed once).
//!
//! Choices where AWS documents nothing:
//! - the event must be a JSON object or array; a bare scalar is not a "JSON log event";
//! - nesting deeper than 127 is rejected, as serde_json does;
//! - a selector that ends at a duplicated key sees the last value, as a
//!   `serde_json::Value` would (a path *through* a duplicated key may see either);
//! - lone UTF-16 surrogates in `\u` escapes are accepted and read as U+FFFD.

use std::borrow::Cow;

use serde_json::Value;

use super::ast::{Seg, Selector};
use super::eval::{Hits, Node};

/// serde_json's recursion limit: 127 nested containers parse, 128 do not.
const MAX_JSON_DEPTH: usize = 127;

/// Selector hits in `message`, or `None` if it is not a JSON object or array.
pub(super) fn resolve<'a>(message: &'a str, selectors: &[Selector]) -> Option<Hits<'a>> {
    scan(message, selectors, true)
}

/// True when `message` is valid JSON of any kind (used by tests and self-checks).
pub(super) fn is_valid_json(message: &str) -> bool {
    scan(message, &[], false).is_some()
}

fn scan<'a>(message: &'a str, selectors: &[Selector], container_only: bool) -> Option<Hits<'a>> {
    let mut s = Scanner {
        src: message,
        b: message.as_bytes(),
        i: 0,
        depth: 0,
        sels: selectors,
        states: Vec::with_capacity(selectors.len() * 2),
        hits: Vec::new(),
    };
    s.ws();
    if container_only && !matches!(s.b.get(s.i), Some(b'{' | b'[')) {
        return None;
    }
    s.states.extend((0..selectors.len()).map(|k| (k, 0)));
    let n = s.states.len();
    s.value(0, n)?;
    s.ws();
    (s.i == s.b.len()).then_some(s.hits)
}

struct Scanner<'a, 's> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
    sels: &'s [Selector],
    /// Stack of `(selector, segments matched so far)`; a frame is a range of it.
    states: Vec<(usize, usize)>,
    hits: Hits<'a>,
}

impl<'a> Scanner<'a, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_JSON_DEPTH).then_some(())
    }

    fn value(&mut self, st: usize, en: usize) -> Option<()> {
        if st == en {
            return self.skip();
        }
        let sels = self.sels;
        let complete = self.states[st..en].iter().any(|&(s, p)| p == sels[s].segs.len());
        match *self.b.get(self.i)? {
            b'{' => {
                if complete {
                    self.record(st, en, Node::Object);
                }
                self.container(st, en, b'}')
            }
            b'[' => {
                if complete {
                    self.record(st, en, Node::Array);
                }
                self.container(st, en, b']')
            }
            b'"' => {
                let (raw, escaped) = self.string()?;
                if complete {
                    let text = if escaped {
                        Cow::Owned(unescape(raw))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    self.record(st, en, Node::Str(text));
                }
                Some(())
            }
            b't' => {
                self.word(b"true")?;
                if complete {
                    self.record(st, en, Node::Bool(true));
                }
                Some(())
            }
            b'f' => {
                self.word(b"false")?;
                if complete {
                    self.record(st, en, Node::Bool(false));
                }
                Some(())
            }
            b'n' => {
                self.word(b"null")?;
                if complete {
                    self.record(st, en, Node::Null);
                }
                Some(())
            }
            _ => {
                let start = self.i;
                self.number()?;
                if complete {
                    self.record(st, en, Node::Num(Cow::Borrowed(&self.src[start..self.i])));
                }
                Some(())
            }
        }
    }

    fn record(&mut self, st: usize, en: usize, node: Node<'a>) {
        let sels = self.sels;
        for k in st..en {
            let (s, p) = self.states[k];
            if p != sels[s].segs.len() {
                continue;
            }
            if !sels[s].segs.contains(&Seg::Any) {
                // A plain selector names one value: a later duplicate key replaces it.
                self.hits.retain(|(h, _)| *h != s);
            }
            self.hits.push((s, node.clone()));
        }
    }

    /// An object (`close == b'}'`) or array (`close == b']'`) with live selectors.
    fn container(&mut self, st: usize, en: usize, close: u8) -> Option<()> {
        self.i += 1;
        self.enter()?;
        self.ws();
        if self.b.get(self.i) == Some(&close) {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        let sels = self.sels;
        let mut index = 0usize;
        loop {
            self.ws();
            let child = self.states.len();
            if close == b'}' {
                if self.b.get(self.i) != Some(&b'"') {
                    return None;
                }
                let (raw, escaped) = self.string()?;
                let decoded = escaped.then(|| unescape(raw));
                let key = decoded.as_deref().unwrap_or(raw);
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return None;
                }
                self.i += 1;
                self.ws();
                for k in st..en {
                    let (s, p) = self.states[k];
                    match sels[s].segs.get(p) {
                        Some(Seg::Any) => self.states.push((s, p + 1)),
                        Some(Seg::Key(name)) if name == key => self.states.push((s, p + 1)),
                        _ => {}
                    }
                }
            } else {
                for k in st..en {
                    let (s, p) = self.states[k];
                    match sels[s].segs.get(p) {
                        Some(Seg::Any) => self.states.push((s, p + 1)),
                        Some(Seg::Index(n)) if *n == index => self.states.push((s, p + 1)),
                        _ => {}
                    }
                }
            }
            let child_end = self.states.len();
            self.value(child, child_end)?;
            self.states.truncate(child);
            index += 1;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(&c) if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Validates and steps over a value no selector looks into.
    fn skip(&mut self) -> Option<()> {
        match *self.b.get(self.i)? {
            c @ (b'{' | b'[') => {
                let close = if c == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.enter()?;
                self.ws();
                if self.b.get(self.i) == Some(&close) {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if close == b'}' {
                        if self.b.get(self.i) != Some(&b'"') {
                            return None;
                        }
                        self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        self.ws();
                    }
                    self.skip()?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(&x) if x == close => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                self.depth -= 1;
                Some(())
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number(),
        }
    }

    /// Steps over a string; returns its raw contents (between the quotes) and
    /// whether it holds escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let b = self.b;
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = skip_plain(b, i);
            match *b.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' => {
                            if !b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            i += 6;
                        }
                        _ => return None,
                    }
                }
                // A control character: JSON requires it escaped.
                _ => return None,
            }
        }
        self.i = i + 1;
        // `start` and `i` sit next to ASCII quotes, so both are char boundaries.
        Some((&self.src[start..i], escaped))
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + w.len())? == w {
            self.i += w.len();
            Some(())
        } else {
            None
        }
    }

    fn number(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match *b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let s = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == s {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let s = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == s {
                return None;
            }
        }
        self.i = i;
        Some(())
    }
}

/// Index of the first byte at or after `i` that ends a run of ordinary string
/// content: `"`, `\\` or a control character (or `b.len()`). Eight bytes at a
/// time: most of a CloudTrail record is string content.
#[inline]
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = w ^ (LO * u64::from(b'"'));
        let bslash = w ^ (LO * u64::from(b'\\'));
        // "has a zero byte" / "has a byte below 0x20": exact for the lowest such
        // byte, which is all we use (later bytes may be flagged spuriously).
        let hits =
            (quote.wrapping_sub(LO) & !quote | bslash.wrapping_sub(LO) & !bslash | w.wrapping_sub(LO * 0x20) & !w) & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Decodes the escapes of an already validated JSON string body.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(k) = rest.find('\\') {
        out.push_str(&rest[..k]);
        let esc = &rest[k + 1..];
        let mut consumed = 2;
        match esc.as_bytes().first() {
            Some(b'"') => out.push('"'),
            Some(b'\\') => out.push('\\'),
            Some(b'/') => out.push('/'),
            Some(b'b') => out.push('\u{8}'),
            Some(b'f') => out.push('\u{c}'),
            Some(b'n') => out.push('\n'),
            Some(b'r') => out.push('\r'),
            Some(b't') => out.push('\t'),
            Some(b'u') => {
                let hi = hex4(esc.get(1..5));
                consumed = 6;
                let ch = match hi {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let lo = esc
                            .get(5..7)
                            .filter(|s| *s == "\\u")
                            .and_then(|_| hex4(esc.get(7..11)))
                            .filter(|l| (0xDC00..=0xDFFF).contains(l));
                        match lo {
                            Some(l) => {
                                consumed = 12;
                                char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                            }
                            None => None,
                        }
                    }
                    Some(h) => char::from_u32(h),
                    None => None,
                };
                out.push(ch.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            _ => {
                // Unreachable for validated input; keep the backslash rather than panic.
                out.push('\\');
                consumed = 1;
            }
        }
        rest = rest.get(k + consumed..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn hex4(s: Option<&str>) -> Option<u32> {
    u32::from_str_radix(s?, 16).ok()
}

/// Selector hits in a parsed event, written into `hits` (cleared first, so one
/// buffer serves a whole corpus); false unless the event is an object or array.
pub(super) fn resolve_value<'a>(v: &'a Value, selectors: &[Selector], hits: &mut Hits<'a>) -> bool {
    hits.clear();
    if !(v.is_object() || v.is_array()) {
        return false;
    }
    for (k, sel) in selectors.iter().enumerate() {
        walk(v, &sel.segs, k, hits);
    }
    true
}

fn walk<'a>(v: &'a Value, segs: &[Seg], id: usize, hits: &mut Hits<'a>) {
    let Some((first, rest)) = segs.split_first() else {
        hits.push((id, node_of(v)));
        return;
    };
    match (first, v) {
        (Seg::Key(k), Value::Object(m)) => {
            if let Some(c) = m.get(k) {
                walk(c, rest, id, hits);
            }
        }
        (Seg::Index(i), Value::Array(a)) => {
            if let Some(c) = a.get(*i) {
                walk(c, rest, id, hits);
            }
        }
        (Seg::Any, Value::Object(m)) => m.values().for_each(|c| walk(c, rest, id, hits)),
        (Seg::Any, Value::Array(a)) => a.iter().for_each(|c| walk(c, rest, id, hits)),
        _ => {}
    }
}

fn node_of(v: &Value) -> Node<'_> {
    match v {
        Value::String(s) => Node::Str(Cow::Borrowed(s)),
        Value::Number(n) => Node::Num(Cow::Owned(n.to_string())),
        Value::Bool(b) => Node::Bool(*b),
        Value::Null => Node::Null,
        Value::Object(_) => Node::Object,
        Value::Array(_) => Node::Array,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(path: &[Seg]) -> Selector {
        Selector { segs: path.to_vec() }
    }

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn validity_agrees_with_serde_json_on_edge_cases() {
        for s in [
            "{}",
            " [] ",
            "[1,2]",
            "{\"a\":1}",
            "-0",
            "1E+2",
            "\"\\ud800\"",
            "1e400",
            "\"a\u{7f}\"",
            "{\"a\":[true,false,null,{\"b\":\"\\u00e9\\n\"}]}",
        ] {
            assert!(is_valid_json(s), "{s}");
        }
        for s in [
            "",
            "01",
            "1.",
            "{}x",
            "\"\t\"",
            "[1,]",
            "{\"a\":1,}",
            "-",
            "\"\\x\"",
            "{a:1}",
            "[1 2]",
            "tru",
            "nul",
            "{\"a\"}",
            "\"\\u12\"",
            "[",
            "{\"a\":1",
            "1e",
            ".5",
            "+1",
            "\u{feff}{}",
        ] {
            assert!(!is_valid_json(s), "{s:?}");
        }
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(is_valid_json(&nest(127)));
        assert!(!is_valid_json(&nest(128)));
        assert!(!is_valid_json(&nest(100_000)));
    }

    #[test]
    fn resolves_paths_without_building_a_tree() {
        let msg = r#"{"a":{"b":[10,{"c":"x\"y"}]},"d":null,"e":"plain","a2":1}"#;
        let sels = [
            sel(&[key("a"), key("b"), Seg::Index(1), key("c")]),
            sel(&[key("d")]),
            sel(&[key("a")]),
            sel(&[key("a"), key("b"), Seg::Any]),
            sel(&[key("zz")]),
            sel(&[key("e")]),
        ];
        let hits = resolve(msg, &sels).unwrap();
        let of = |id: usize| -> Vec<Node<'_>> { hits.iter().filter(|h| h.0 == id).map(|h| h.1.clone()).collect() };
        assert_eq!(of(0), [Node::Str(Cow::Owned("x\"y".into()))]);
        assert_eq!(of(1), [Node::Null]);
        assert_eq!(of(2), [Node::Object]);
        assert_eq!(of(3), [Node::Num(Cow::Borrowed("10")), Node::Object]);
        assert!(of(4).is_empty());
        assert!(matches!(&of(5)[0], Node::Str(Cow::Borrowed("plain"))));
        let v: Value = serde_json::from_str(msg).unwrap();
        let mut a = Vec::new();
        assert!(resolve_value(&v, &sels, &mut a));
        let mut b = hits.clone();
        a.sort_by_key(|h| h.0);
        b.sort_by_key(|h| h.0);
        assert_eq!(a, b);
    }

    #[test]
    fn scalars_are_not_json_events_and_last_duplicate_wins() {
        assert!(resolve("\"x\"", &[]).is_none());
        assert!(resolve("5", &[]).is_none());
        let hits = resolve(r#"{"a":1,"a":2}"#, &[sel(&[key("a")])]).unwrap();
        assert_eq!(hits, [(0, Node::Num(Cow::Borrowed("2")))]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]
        #[test]
        fn skip_plain_finds_the_first_special_byte(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), from in 0usize..40) {
            let from = from.min(b.len());
            let naive = (from..b.len()).find(|&i| b[i] == b'"' || b[i] == b'\\' || b[i] < 0x20).unwrap_or(b.len());
            proptest::prop_assert_eq!(skip_plain(&b, from), naive);
        }
    }

    #[test]
    fn unescape_handles_surrogates() {
        assert_eq!(unescape(r"\ud83d\ude00"), "😀");
        assert_eq!(unescape(r"\ud83dx"), "\u{fffd}x");
        assert_eq!(unescape(r"\udc00"), "\u{fffd}");
        assert_eq!(unescape(r#"a\"b\\c\/d\n\u0041"#), "a\"b\\c/d\nA");
        assert!(matches!(
            resolve(r#"{"k\u0065y":1}"#, &[sel(&[key("key")])]).unwrap()[0].1,
            Node::Num(_)
        ));
    }
}
