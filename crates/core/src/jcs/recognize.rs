//! Recognizing text that is already canonical, in one pass without allocating: what stored
//! records are, so hashing and reading them needs no parse-and-rewrite.

use alloc::string::String;

use super::{string_end, utf16_less};
use crate::json::Reader;

/// Whether `text` is already exactly the JCS text of the value it denotes, judged
/// conservatively in one pass without allocating: `true` guarantees
/// `canonicalize_text(text) == Ok(text)`; `false` only means "not recognized" (call
/// [`canonicalize_text`](super::canonicalize_text)). Recognized: no whitespace, object members in strictly increasing
/// UTF-16 order (so no duplicates), strings without escapes or control characters, integers
/// of at most 15 digits (exact doubles that ECMAScript prints as written), `true`, `false`,
/// `null`, nesting up to 32 — what canonical records are made of.
pub fn is_canonical(text: &str) -> bool {
    let mut scan = Scan { text, at: 0 };
    scan.value(0) && scan.at == text.len()
}

/// [`is_canonical`] for an object, in the same single pass handing `each` every top-level
/// member: its name, and its content when the value is a string (`None` for any other value).
/// A `false` return means what [`is_canonical`]'s does, and `each` may have seen some members
/// by then; with `true`, it saw every member exactly once (canonical text has no duplicates).
pub(crate) fn is_canonical_object<'a>(
    text: &'a str,
    each: impl FnMut(&'a str, Option<&'a str>),
) -> bool {
    let mut scan = Scan { text, at: 0 };
    scan.peek() == Some(b'{') && scan.object(1, each) && scan.at == text.len()
}

/// Nesting the fast path follows (below [`parse_strict`]'s limit).
const CANONICAL_DEPTH: usize = 32;

struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.at += usize::from(hit);
        hit
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth < CANONICAL_DEPTH && self.object(depth + 1, |_, _| {}),
            Some(b'[') => depth < CANONICAL_DEPTH && self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        let hit = self
            .text
            .get(self.at..)
            .is_some_and(|t| t.starts_with(word));
        if hit {
            self.at += word.len();
        }
        hit
    }

    /// An object at `depth`, each member's name and string content (if it is one) to `each`.
    fn object(&mut self, depth: usize, mut each: impl FnMut(&'a str, Option<&'a str>)) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&str> = None;
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            // UTF-16 order, as JCS sorts (it differs from UTF-8 order above U+FFFF).
            if previous.is_some_and(|p| !utf16_less(p, key)) {
                return false;
            }
            previous = Some(key);
            if !self.eat(b':') {
                return false;
            }
            if self.peek() == Some(b'"') {
                let Some(text) = self.string() else {
                    return false;
                };
                each(key, Some(text));
            } else if self.value(depth) {
                each(key, None);
            } else {
                return false;
            }
            if !self.eat(b',') {
                return self.eat(b'}');
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if !self.eat(b',') {
                return self.eat(b']');
            }
        }
    }

    /// A string JCS writes verbatim: no escapes, no control characters.
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let rest = self.text.as_bytes().get(start..)?;
        let len = string_end(rest);
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let end = start + len;
        let inner = self.text.get(start..end)?;
        self.at = end + 1;
        Some(inner)
    }

    /// A number JCS writes as it stands: `0` or `-?[1-9][0-9]{0,14}` (exact doubles printed
    /// as written), or a fraction or exponent that ECMAScript prints exactly so — with both
    /// parsers a canonicalizer may use agreeing on the double.
    fn number(&mut self) -> bool {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.at += 1;
        }
        let Some(token) = self.text.get(start..self.at) else {
            return false;
        };
        let (negative, digits) = match token.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, token),
        };
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            let leading_zero = digits.starts_with('0');
            return (1..=15).contains(&digits.len())
                && !(leading_zero && (digits.len() > 1 || negative));
        }
        // The grammar first: number::parse reads JSON number text only.
        let mut grammar = Reader::new(token);
        if grammar.number().is_err() || grammar.end().is_err() {
            return false;
        }
        match crate::number::parse(token) {
            Some(x) => {
                let mut text = String::new();
                crate::number::write(&mut text, x);
                text == token
            }
            None => false,
        }
    }
}
