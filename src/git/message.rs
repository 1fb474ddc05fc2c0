//! Commit messages are bytes: decode them by the commit's `encoding` header, or lossily, never failing.

use std::borrow::Cow;

/// Decodes a raw commit message. `encoding` is the commit's `encoding` header (e.g. `GBK`, set by
/// `i18n.commitEncoding`); without it git means UTF-8. Invalid bytes become U+FFFD.
pub fn decode<'a>(raw: &'a [u8], encoding: Option<&[u8]>) -> Cow<'a, str> {
    if let Some(label) = encoding {
        if let Some(enc) = encoding_rs::Encoding::for_label(label.trim_ascii()) {
            if enc != encoding_rs::UTF_8 {
                let (text, _, _) = enc.decode(raw);
                return text;
            }
        }
    }
    String::from_utf8_lossy(raw)
}

/// The subject: the first line, trimmed.
pub fn subject(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_gbk_and_garbage() {
        assert_eq!(decode("完成 #003".as_bytes(), None), "完成 #003");
        let (gbk, _, _) = encoding_rs::GBK.encode("完成工单 #003");
        assert_eq!(decode(&gbk, Some(b"GBK")), "完成工单 #003");
        assert_eq!(decode(&gbk, Some(b" gbk\n")), "完成工单 #003");
        let lossy = decode(&gbk, None);
        assert!(lossy.contains("#003") && lossy.contains('\u{fffd}'));
        assert_eq!(
            decode(b"\xff\xfe #7", Some(b"no-such-encoding")),
            "\u{fffd}\u{fffd} #7"
        );
    }

    #[test]
    fn subjects() {
        assert_eq!(subject("feat: x #1\n\nbody"), "feat: x #1");
        assert_eq!(subject(""), "");
    }
}
