//! Reading: each file opened read-only and read once, then decoded to text.

use std::io::Read;
use std::path::Path;

use audit_core::NoteKind;

use super::FileResult;

/// How much of a file is sniffed for NUL bytes to call it binary.
const BINARY_SNIFF: usize = 8 * 1024;

/// Reads the file, opened read-only and read once. `None` means skipped, with a note.
pub(super) fn read_bytes(abs: &Path, max_size: u64, result: &mut FileResult) -> Option<Vec<u8>> {
    let mut file = match std::fs::File::open(abs) {
        Ok(file) => file,
        Err(e) => {
            result.note(NoteKind::ReadError, format!("cannot open: {e}"));
            return None;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max_size {
        result.note(
            NoteKind::Skipped,
            format!("skipped: {size} bytes is over the {max_size}-byte limit (max-file-size)"),
        );
        return None;
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` bounds the read even if the file grows while it is read.
    if let Err(e) = (&mut file).take(max_size + 1).read_to_end(&mut bytes) {
        result.note(NoteKind::ReadError, format!("cannot read: {e}"));
        return None;
    }
    if bytes.len() as u64 > max_size {
        result.note(
            NoteKind::Skipped,
            format!("skipped: over the {max_size}-byte limit (max-file-size)"),
        );
        return None;
    }
    Some(bytes)
}

/// Decodes UTF-16 (by BOM) and UTF-8 (BOM stripped; invalid bytes replaced, with a note).
/// `None` means binary content, with a note.
pub(super) fn decode(bytes: Vec<u8>, result: &mut FileResult) -> Option<String> {
    if let Some(text) = decode_utf16(&bytes) {
        return Some(text);
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        result.note(
            NoteKind::Skipped,
            "skipped: binary content (NUL bytes)".to_string(),
        );
        return None;
    }
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            result.note(
                NoteKind::Encoding,
                format!("not valid UTF-8 (first bad byte at offset {bad}); scanned with replacement characters"),
            );
            Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// UTF-16 text is recognised by its byte-order mark and converted.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}
