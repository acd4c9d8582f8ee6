//! The text side of the statement PDF: Helvetica's glyph widths, which pdf-writer does not
//! have (right-aligned amounts, truncation and wrapping need them), and Windows-1252, the
//! encoding of the base-14 fonts with `/WinAnsiEncoding` (so text is transcoded here).

/// "…" in cp1252.
pub const ELLIPSIS: u8 = 0x85;

/// Helvetica AFM widths (1/1000 em) of bytes 32..=126.
#[rustfmt::skip]
pub const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
/// Helvetica-Bold AFM widths of bytes 32..=126.
#[rustfmt::skip]
pub const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// Width of cp1252 `text` in points.
pub fn text_width(text: &[u8], bold: bool, size: f32) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let glyph = |&b: &u8| {
        table
            .get(usize::from(b).wrapping_sub(32))
            .map_or(1000, |&w| u32::from(w))
    };
    text.iter().map(glyph).sum::<u32>() as f32 * size / 1000.0
}

/// cp1252 0x80..=0x9F, by position (`\0`: unassigned).
const C1: &str = "€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ";

/// `text` as Windows-1252 bytes; `replaced` is set when a character had to become `?`.
/// Tabs and line breaks become spaces: one line of a statement has no layout of its own.
pub fn cp1252(text: &str, replaced: &mut bool) -> Vec<u8> {
    let c1 = |c: char| C1.chars().position(|x| x == c && c != '\0');
    let byte = |c: char| match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => Some(c as u8),
        '\t' | '\n' | '\r' => Some(b' '),
        c => c1(c).map(|i| 0x80 + i as u8),
    };
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        out.push(byte(c).unwrap_or_else(|| {
            *replaced = true;
            b'?'
        }));
    }
    out
}

/// `text` cut to `max` points, ending in "…" when cut (linear: reasons can be long).
pub fn truncate(text: &[u8], bold: bool, size: f32, max: f32) -> Vec<u8> {
    if text_width(text, bold, size) <= max {
        return text.to_vec();
    }
    let mut room = max - text_width(&[ELLIPSIS], bold, size);
    let mut out = Vec::new();
    for &b in text {
        room -= text_width(&[b], bold, size);
        if room < 0.0 {
            break;
        }
        out.push(b);
    }
    out.push(ELLIPSIS);
    out
}

/// Greedy wrap at spaces; a word wider than a line (a key, a hash, a URL) breaks anywhere.
pub fn wrap(text: &[u8], bold: bool, size: f32, max: f32) -> Vec<Vec<u8>> {
    let w = |t: &[u8]| text_width(t, bold, size);
    let (mut lines, mut line) = (Vec::new(), Vec::new());
    for word in text.split(|&b| b == b' ') {
        if !line.is_empty() && w(&line) + w(b" ") + w(word) <= max {
            line.push(b' ');
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for &b in word {
            if !line.is_empty() && w(&line) + w(&[b]) > max {
                lines.push(std::mem::take(&mut line));
            }
            line.push(b);
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_encoding() {
        // AFM: '-' 333, digits 556, '.' 278; bold ' ' and ',' 278.
        assert_eq!(text_width(b"-12.5", false, 10.0), 3.33 + 5.56 * 3.0 + 2.78);
        assert_eq!(text_width(b" ,", true, 1000.0), 556.0);
        let mut replaced = false;
        assert_eq!(C1.chars().count(), 32);
        let bytes = cp1252("aé—€Ÿ‘’“”…", &mut replaced);
        assert_eq!(
            bytes,
            [b'a', 0xE9, 0x97, 0x80, 0x9F, 0x91, 0x92, 0x93, 0x94, 0x85]
        );
        assert!(!replaced);
        assert_eq!(
            cp1252("\u{81}", &mut replaced),
            b"?",
            "U+0081 is no cp1252 character"
        );
        assert_eq!(cp1252("x中\t", &mut replaced), b"x? ");
        assert!(replaced);
        let cut = truncate(b"a long reason that does not fit", false, 8.0, 40.0);
        assert_eq!(cut.last(), Some(&ELLIPSIS));
        assert!(text_width(&cut, false, 8.0) <= 40.0);
        let key = b"vericord.example+1a2b3c4d+AQk9ZUEFDS0VUcHVibGljS2V5Qk9ZUEFDS0VUcHVibGljS2V5";
        let lines = wrap(key, false, 9.0, 100.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| text_width(l, false, 9.0) <= 100.0));
        assert_eq!(lines.concat(), key);
    }
}
