//! The one JSON reader (RFC 8259) of the core: every document the verifiers accept, every
//! item, and every value [`crate::jcs`] parses is read here, so one text never reads two ways.
//!
//! A pull reader: decoders walk objects and arrays with closures and take scalars as they
//! come, strings borrowed when they have no escapes, numbers as their text (exact), and any
//! value as its raw text ([`Reader::raw`]). It is written by hand rather than with serde's
//! derive because the monomorphized deserializers were most of the npm package's size.
//!
//! It refuses what serde_json refuses: control characters and lone surrogates in strings,
//! numbers outside the grammar, trailing text, nesting of 128 or more; `&str` input is UTF-8.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use core::fmt;

/// Why a text is not the JSON expected, with the line and column (from 1) where reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError(pub String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Arrays and objects open at once: the 128th is refused, as serde_json refuses it.
const NESTING_LIMIT: usize = 128;

/// A position in a JSON text, read forwards.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
    /// Counts down as arrays and objects open; refused at 0.
    room: usize,
}

pub(crate) type Result<T> = core::result::Result<T, JsonError>;

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            at: 0,
            room: NESTING_LIMIT,
        }
    }

    /// An error at the current position: `{what} at line L column C`.
    pub fn error(&self, what: impl fmt::Display) -> JsonError {
        let before = self.text.get(..self.at).unwrap_or(self.text);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
        JsonError(format!("{what} at line {line} column {column}"))
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The first byte of the next token, after whitespace.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.at += 1;
        }
        self.byte()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.at += usize::from(hit);
        hit
    }

    /// Nothing but whitespace is left.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    fn expected(&mut self, what: &str) -> JsonError {
        match self.peek() {
            None => self.error(format_args!("EOF while parsing {what}")),
            Some(_) => self.error(format_args!("invalid type: expected {what}")),
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        self.peek();
        let hit = self
            .text
            .get(self.at..)
            .is_some_and(|t| t.starts_with(word));
        if hit {
            self.at += word.len();
        }
        hit
    }

    /// `null` is next (and is consumed), or not.
    pub fn null(&mut self) -> bool {
        self.literal("null")
    }

    pub fn bool(&mut self) -> Result<bool> {
        if self.literal("true") {
            Ok(true)
        } else if self.literal("false") {
            Ok(false)
        } else {
            Err(self.expected("a boolean"))
        }
    }

    /// A string's content, borrowed when it has no escapes.
    pub fn string(&mut self) -> Result<Cow<'a, str>> {
        if !self.eat(b'"') {
            return Err(self.expected("a string"));
        }
        let text = self.text;
        let mut owned: Option<String> = None;
        loop {
            let start = self.at;
            let run = text
                .as_bytes()
                .get(start..)
                .map_or(0, crate::jcs::string_end);
            self.at += run;
            let plain = text.get(start..self.at).unwrap_or_default();
            match self.byte() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(plain),
                        Some(mut s) => {
                            s.push_str(plain);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(plain);
                    self.at += 1;
                    let c = self.escape()?;
                    s.push(c);
                }
                Some(_) => return Err(self.error("control character (\\u0000-\\u001F) in string")),
                None => return Err(self.error("EOF while parsing a string")),
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Result<char> {
        let c = match self.byte() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let unit = self.hex4()?;
                return match unit {
                    0xd800..=0xdbff => {
                        if !(self.byte() == Some(b'\\')
                            && self.text.as_bytes().get(self.at + 1) == Some(&b'u'))
                        {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        let c = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                        char::from_u32(c).ok_or_else(|| self.error("invalid escape"))
                    }
                    0xdc00..=0xdfff => Err(self.error("lone trailing surrogate in hex escape")),
                    _ => char::from_u32(unit).ok_or_else(|| self.error("invalid escape")),
                };
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.at += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.text.get(self.at..self.at + 4);
        let unit = digits
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("invalid escape"))?;
        self.at += 4;
        Ok(unit)
    }

    /// A number's text, checked against the grammar (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`).
    pub fn number(&mut self) -> Result<&'a str> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected("a number"));
        }
        let start = self.at;
        self.eat(b'-');
        let digits = |r: &mut Reader<'_>| {
            let from = r.at;
            while let Some(b'0'..=b'9') = r.byte() {
                r.at += 1;
            }
            r.at - from
        };
        let int_start = self.at;
        let int = digits(self);
        if int == 0 || (int > 1 && self.text.as_bytes().get(int_start) == Some(&b'0')) {
            return Err(self.error("invalid number"));
        }
        if self.byte() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.byte() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.byte() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(self.text.get(start..self.at).unwrap_or_default())
    }

    /// A number written as a non-negative integer (no fraction, no exponent) below 2^64.
    pub fn u64(&mut self) -> Result<u64> {
        let text = self.number()?;
        text.parse()
            .map_err(|_| self.error(format_args!("invalid value: {text}, expected u64")))
    }

    /// A number written as an integer (no fraction, no exponent) in `i64`.
    pub fn i64(&mut self) -> Result<i64> {
        let text = self.number()?;
        text.parse()
            .map_err(|_| self.error(format_args!("invalid value: {text}, expected i64")))
    }

    fn open(&mut self, byte: u8, what: &str) -> Result<()> {
        if !self.eat(byte) {
            return Err(self.expected(what));
        }
        self.room = self
            .room
            .checked_sub(1)
            .filter(|&r| r > 0)
            .ok_or_else(|| self.error("recursion limit exceeded"))?;
        Ok(())
    }

    /// An object: `member` is called with each name, in order, to read its value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    ) -> Result<()> {
        self.open(b'{', "an object")?;
        if !self.eat(b'}') {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(self.error("key must be a string"));
                }
                let name = self.string()?;
                if !self.eat(b':') {
                    return Err(self.error("expected `:`"));
                }
                member(self, name)?;
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("expected `,` or `}`"));
                }
            }
        }
        self.room += 1;
        Ok(())
    }

    /// An array: `element` is called to read each element, in order.
    pub fn array(&mut self, mut element: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.open(b'[', "an array")?;
        if !self.eat(b']') {
            loop {
                element(self)?;
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("expected `,` or `]`"));
                }
            }
        }
        self.room += 1;
        Ok(())
    }

    /// Any value, checked, as its raw text (no surrounding whitespace).
    pub fn raw(&mut self) -> Result<&'a str> {
        let start = match self.peek() {
            Some(_) => self.at,
            None => return Err(self.expected("a value")),
        };
        match self.byte() {
            Some(b'{') => self.object(|r, _| r.raw().map(drop))?,
            Some(b'[') => self.array(|r| r.raw().map(drop))?,
            Some(b'"') => drop(self.string()?),
            Some(b'-' | b'0'..=b'9') => drop(self.number()?),
            _ if self.literal("true") || self.literal("false") || self.null() => {}
            _ => return Err(self.error("expected value")),
        }
        Ok(self.text.get(start..self.at).unwrap_or_default())
    }
}

/// One member of a decoded object, set once: a second copy is refused as serde refuses one.
pub(crate) fn once<'a, T>(
    r: &mut Reader<'a>,
    slot: &mut Option<T>,
    name: &str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T>,
) -> Result<()> {
    if slot.is_some() {
        return Err(r.error(format_args!("duplicate field `{name}`")));
    }
    *slot = Some(read(r)?);
    Ok(())
}

/// A required member that was absent.
pub(crate) fn missing(r: &Reader<'_>, name: &str) -> JsonError {
    r.error(format_args!("missing field `{name}`"))
}

/// A closed object with the members `names` (at most 32), as serde's derive reads a struct
/// that denies unknown fields: each member once, every one present, no other; `read` reads the
/// value of the member named (one of `names`). One function for every decoded type, so none
/// of them carries its own copy of these checks.
pub(crate) fn members<'a>(
    r: &mut Reader<'a>,
    names: &[&'static str],
    read: &mut dyn FnMut(&mut Reader<'a>, &'static str) -> Result<()>,
) -> Result<()> {
    let mut seen = 0u32;
    r.object(|r, name| {
        let Some(i) = names.iter().position(|n| *n == name) else {
            return Err(r.error(format_args!("unknown field `{name}`")));
        };
        let bit = 1u32 << i;
        if seen & bit != 0 {
            return Err(r.error(format_args!("duplicate field `{name}`")));
        }
        seen |= bit;
        read(r, names[i])
    })?;
    match (0..names.len()).find(|&i| seen & (1u32 << i) == 0) {
        Some(i) => Err(missing(r, names[i])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    fn raw(text: &str) -> Result<&str> {
        let mut r = Reader::new(text);
        let v = r.raw()?;
        r.end().map(|()| v)
    }

    #[test]
    fn accepts_json_and_returns_raw_text() {
        for (text, want) in [
            (
                " {\"a\" : [1, -2.5e+3, true, false, null, \"x\"]} ",
                r#"{"a" : [1, -2.5e+3, true, false, null, "x"]}"#,
            ),
            ("0", "0"),
            ("-0.0E-0", "-0.0E-0"),
            (
                "\"\\u00e9\\ud83d\\ude00\\/\\b\"",
                "\"\\u00e9\\ud83d\\ude00\\/\\b\"",
            ),
            ("[]", "[]"),
            ("{}", "{}"),
        ] {
            assert_eq!(raw(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "",
            " ",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "0x10",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"\u{1}\"",
            "\"\t\"",
            "{} {}",
            "1 2",
            "[1]x",
            "'a'",
        ] {
            assert!(raw(text).is_err(), "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(raw(&deep(127)).is_ok());
        assert!(raw(&deep(128)).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(&deep(127)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&deep(128)).is_err());
        // Room is given back as containers close.
        let wide = alloc::vec![deep(100); 3].join(",");
        assert!(raw(&format!("[{wide}]")).is_ok());
    }

    #[test]
    fn strings_unescape_and_borrow_when_plain() {
        let mut r = Reader::new(r#""plain" "a\"b\\c\/\n\u00e9\ud83d\ude00""#);
        assert!(matches!(r.string(), Ok(Cow::Borrowed("plain"))));
        assert_eq!(r.string().as_deref(), Ok("a\"b\\c/\né😀"));
        r.end().unwrap();
    }

    #[test]
    fn integers_are_read_exactly_and_errors_say_where() {
        let mut r = Reader::new("[18446744073709551615, -9223372036854775808]");
        let mut got = Vec::new();
        let mut i = 0;
        r.array(|r| {
            i += 1;
            if i == 1 {
                got.push(r.u64()?.to_string());
            } else {
                got.push(r.i64()?.to_string());
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(got, ["18446744073709551615", "-9223372036854775808"]);
        for text in ["18446744073709551616", "1.0", "1e2", "-1"] {
            assert!(Reader::new(text).u64().is_err(), "{text}");
        }
        let e = Reader::new("{\n  \"a\": x}").raw().unwrap_err();
        assert_eq!(e.0, "expected value at line 2 column 7");
    }
}
