use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A half-open byte range `start..end` into a file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Span {
        Span::new(r.start, r.end)
    }
}

/// A 1-based line and 1-based column counted in Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// The largest file a [`LineIndex`] addresses: its offsets are 32-bit, as tree-sitter's
/// are. Every file the project phase reports on keeps its index until the scan ends
/// (a 30 MB Terraform corpus kept 12.7 MB of 64-bit line starts).
pub const MAX_INDEXED_BYTES: u64 = u32::MAX as u64;

/// Byte offsets of line starts. `\n`, `\r\n` and a lone `\r` all end a line, so
/// positions are right for Unix, Windows and classic Mac files alike. Built for texts of
/// at most [`MAX_INDEXED_BYTES`] (`max-file-size` cannot exceed it); beyond it, lines past
/// the limit read as its last line.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for i in line_break_offsets(bytes) {
            let is_crlf = bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n');
            if !is_crlf {
                let Ok(start) = u32::try_from(i + 1) else {
                    break;
                };
                starts.push(start);
            }
        }
        LineIndex { starts }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// Byte range of 0-based `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.starts[line] as usize;
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&next| next as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let column = text[self.starts[line] as usize..offset].chars().count() + 1;
        Position {
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// Byte offset of a 1-based line and 1-based character column, clamped to the line.
    pub fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return text.len();
        };
        let range = self.line_range(text, line.saturating_sub(1));
        text[range.clone()]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(range.end, |(i, _)| start as usize + i)
    }
}

fn line_break_offsets(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A scanned file's text with its path relative to the scanned root (forward slashes).
#[derive(Debug)]
pub struct SourceText {
    pub path: Arc<str>,
    pub text: String,
    pub lines: LineIndex,
    /// The code frames located so far, by byte range: a line that a route, its answers,
    /// a flow's steps and several findings all point at is held once.
    frames: Mutex<HashMap<(usize, usize), Arc<str>>>,
}

/// The source lines around a finding, kept so reports never re-read files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// 1-based number of the first line of `text`.
    pub first_line: u32,
    /// Shared: a location is cloned into every route, guard and finding that points at
    /// it, and the project's facts hold tens of thousands of them.
    pub text: Arc<str>,
    /// The finding's span within `text`.
    pub span: Span,
}

/// Where a finding is: path, byte span, positions and the surrounding lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: Arc<str>,
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub context: Context,
}

impl Location {
    /// Masks the text of `secret` (absolute byte span, `value` its text) wherever it
    /// overlaps the code frame, with [`mask`]: a finding about a secret must not carry it
    /// to any report. Byte offsets stay valid, so the frame's span still points where it did.
    pub fn redact(&mut self, secret: Span, value: &str) {
        let from = self.span.start - self.context.span.start;
        let to = from + self.context.text.len();
        let (start, end) = (secret.start.max(from), secret.end.min(to));
        if start >= end || value.len() != secret.end - secret.start {
            return;
        }
        let masked = mask(value);
        let text = &self.context.text;
        let (a, b) = (start - from, end - from);
        let (x, y) = (start - secret.start, end - secret.start);
        let boundaries = [text.is_char_boundary(a), text.is_char_boundary(b)];
        if boundaries.contains(&false) || !masked.is_char_boundary(x) || !masked.is_char_boundary(y)
        {
            return;
        }
        self.context.text = format!("{}{}{}", &text[..a], &masked[x..y], &text[b..]).into();
    }
}

/// A secret shown without giving it away: at most its first and last four characters
/// (a fifth of it each at most, none below eight characters), every byte between
/// them a `*`, so the result has the secret's byte length: `AKIA****************MPLE`.
pub fn mask(secret: &str) -> String {
    let count = secret.chars().count();
    let reveal = if count < 8 { 0 } else { (count / 5).min(4) };
    let mut out = String::with_capacity(secret.len());
    for (i, c) in secret.chars().enumerate() {
        if i < reveal || i >= count - reveal {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('*', c.len_utf8()));
        }
    }
    out
}

/// Longest code frame kept for one finding; longer spans are cut to their first lines.
const MAX_CONTEXT_LINES: usize = 12;

/// Bytes of a long line kept on each side of a finding (minified code has one line of
/// megabytes), and the longest span kept in the frame.
const LONG_LINE_MARGIN: usize = 160;
const MAX_CONTEXT_SPAN: usize = 2 * 1024;

impl SourceText {
    pub fn new(path: Arc<str>, text: String) -> SourceText {
        let lines = LineIndex::new(&text);
        SourceText {
            path,
            text,
            lines,
            frames: Mutex::default(),
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    pub fn line_text(&self, line: usize) -> &str {
        &self.text[self.lines.line_range(&self.text, line)]
    }

    /// The text of `from..to`, shared with every location whose frame it already is.
    fn frame(&self, from: usize, to: usize) -> Arc<str> {
        let located = || Arc::from(&self.text[from..to]);
        match self.frames.lock() {
            Ok(mut frames) => frames.entry((from, to)).or_insert_with(located).clone(),
            Err(_) => located(),
        }
    }

    pub fn locate(&self, span: Span) -> Location {
        let span = Span::new(
            floor_char_boundary(&self.text, span.start.min(self.text.len())),
            floor_char_boundary(&self.text, span.end.min(self.text.len())),
        );
        let first = self.lines.line_of(span.start);
        let last = self
            .lines
            .line_of(span.end)
            .min(first + MAX_CONTEXT_LINES - 1);
        let mut from = self.lines.line_range(&self.text, first).start;
        let mut to = self.lines.line_range(&self.text, last).end.max(from);
        if to - from > MAX_CONTEXT_SPAN + 2 * LONG_LINE_MARGIN {
            let end = span.end.min(span.start + MAX_CONTEXT_SPAN);
            from = floor_char_boundary(&self.text, span.start.saturating_sub(LONG_LINE_MARGIN))
                .max(from);
            to = floor_char_boundary(&self.text, (end + LONG_LINE_MARGIN).min(to)).max(end);
        }
        let text = self.frame(from, to);
        let context_span = Span::new(span.start - from, span.end.min(to).max(span.start) - from);
        Location {
            path: self.path.clone(),
            span,
            start: self.position(span.start),
            end: self.position(span.end),
            context: Context {
                first_line: first as u32 + 1,
                text,
                span: context_span,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_on_the_same_lines_share_their_frame() {
        let source = SourceText::new(Arc::from("a.js"), "let a = f(x);\nlet b = g(y);\n".into());
        let call = source.locate(Span::new(8, 12));
        let name = source.locate(Span::new(4, 5));
        let other_line = source.locate(Span::new(22, 26));
        assert!(Arc::ptr_eq(&call.context.text, &name.context.text));
        assert_eq!(&*call.context.text, "let a = f(x);");
        assert!(!Arc::ptr_eq(&call.context.text, &other_line.context.text));
        assert_eq!(&*other_line.context.text, "let b = g(y);");
    }

    #[test]
    fn a_finding_on_a_huge_line_keeps_a_window_of_it() {
        let text = format!("{}eval(x){}", "a;".repeat(100_000), "b;".repeat(100_000));
        let source = SourceText::new(Arc::from("min.js"), text.clone());
        let start = text.find("eval").unwrap();
        let loc = source.locate(Span::new(start, start + 7));
        assert_eq!(
            loc.start,
            Position {
                line: 1,
                column: start as u32 + 1
            }
        );
        assert!(loc.context.text.len() <= 7 + 2 * LONG_LINE_MARGIN);
        assert_eq!(
            &loc.context.text[loc.context.span.start..loc.context.span.end],
            "eval(x)"
        );
    }

    #[test]
    fn masks_show_a_few_characters_and_keep_byte_lengths() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA************MPLE");
        assert_eq!(mask("superSecret"), "su*******et");
        assert_eq!(mask("hunter2!"), "h******!");
        assert_eq!(mask("hunter"), "******");
        assert_eq!(mask("pässwörter!").len(), "pässwörter!".len());
        assert_eq!(mask(""), "");
    }

    #[test]
    fn redact_masks_the_secret_in_the_frame_only() {
        let text = "a = 1\nkey = 'AKIAIOSFODNN7EXAMPLE' # aws\n".to_string();
        let source = SourceText::new("a.py".into(), text.clone());
        let start = text.find("AKIA").unwrap();
        let secret = Span::new(start, start + 20);
        let mut loc = source.locate(Span::new(start - 7, start + 21));
        let span_before = loc.context.span;
        loc.redact(secret, &text[start..start + 20]);
        assert_eq!(&*loc.context.text, "key = 'AKIA************MPLE' # aws");
        assert_eq!(loc.context.span, span_before);
    }

    #[test]
    fn positions_count_crlf_and_lone_cr_as_one_line_break() {
        let text = "a\r\nbé\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(
            index.position(text, text.find('c').unwrap()),
            Position { line: 3, column: 1 }
        );
        let d = text.find('d').unwrap();
        assert_eq!(index.position(text, d), Position { line: 4, column: 1 });
        assert_eq!(index.line_range(text, 1), 3..6);
        assert_eq!(index.offset(text, 2, 2), 4);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "let é = 1;";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, text.find('=').unwrap()).column, 7);
    }

    #[test]
    fn locate_keeps_the_lines_of_the_span() {
        let source = SourceText::new("a.py".into(), "x = 1\ny = eval(z)\n".to_string());
        let start = source.text.find("eval").unwrap();
        let loc = source.locate(Span::new(start, start + 7));
        assert_eq!(&*loc.context.text, "y = eval(z)");
        assert_eq!(loc.context.first_line, 2);
        assert_eq!(
            &loc.context.text[loc.context.span.start..loc.context.span.end],
            "eval(z)"
        );
    }
}
