//! Evidence files: the type is checked by content (magic bytes), and must agree with the name;
//! files are stored under `<data dir>/evidence` with a random name, outside anything served.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest evidence file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// What a file is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    /// Word, Excel or PowerPoint (Office Open XML) or OpenDocument: a zip with a manifest.
    OfficeZip,
    /// Word or Excel 97-2003 (OLE compound file).
    OfficeLegacy,
}

impl Kind {
    pub fn content_type(self, ext: &str) -> &'static str {
        match (self, ext) {
            (Kind::Pdf, _) => "application/pdf",
            (Kind::Png, _) => "image/png",
            (Kind::Jpeg, _) => "image/jpeg",
            (Kind::OfficeZip, "docx") => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            (Kind::OfficeZip, "xlsx") => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            (Kind::OfficeZip, "pptx") => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            (Kind::OfficeZip, "odt") => "application/vnd.oasis.opendocument.text",
            (Kind::OfficeZip, "ods") => "application/vnd.oasis.opendocument.spreadsheet",
            (Kind::OfficeLegacy, "xls") => "application/vnd.ms-excel",
            (Kind::OfficeLegacy, _) => "application/msword",
            (Kind::OfficeZip, _) => "application/zip",
        }
    }
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg"],
            Kind::OfficeZip => &["docx", "xlsx", "pptx", "odt", "ods"],
            Kind::OfficeLegacy => &["doc", "xls"],
        }
    }
}

fn sniff(bytes: &[u8]) -> Option<Kind> {
    let window = &bytes[..bytes.len().min(4096)];
    let contains = |needle: &[u8]| window.windows(needle.len()).any(|w| w == needle);
    if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Kind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"PK\x03\x04")
        && (contains(b"[Content_Types].xml")
            || contains(b"mimetypeapplication/vnd.oasis.opendocument"))
    {
        Some(Kind::OfficeZip)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Kind::OfficeLegacy)
    } else {
        None
    }
}

/// A file's name as shown and offered for download: its last path part, printable, short.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\0'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "evidence".into()
    } else {
        cleaned
    }
}

/// A checked file ready to store.
#[derive(Debug)]
pub struct Checked {
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Checks size, content and name; the message says what is wrong.
pub fn check(name: &str, bytes: &[u8]) -> Result<Checked, String> {
    if bytes.is_empty() {
        return Err("The selected file is empty".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err("The selected file must be smaller than 10 MB".into());
    }
    let file_name = clean_name(name);
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = sniff(bytes).ok_or_else(|| {
        "The selected file must be a PDF, a picture (PNG or JPEG) or an office document".to_string()
    })?;
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(format!(
            "The file's name does not match what it contains: name it .{}",
            kind.extensions()[0]
        ));
    }
    Ok(Checked {
        file_name,
        content_type: kind.content_type(&ext),
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

/// Writes the bytes under a new random name; returns the name.
pub async fn store(data_dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let dir = dir(data_dir);
    tokio::fs::create_dir_all(&dir).await?;
    let name = format!("{}.bin", uuid::Uuid::new_v4());
    tokio::fs::write(dir.join(&name), bytes).await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_and_the_name_must_agree() {
        assert!(check("report.pdf", b"%PDF-1.7 ...").is_ok());
        assert_eq!(
            check("report.pdf", b"%PDF-1.7").unwrap().content_type,
            "application/pdf"
        );
        assert!(check("photo.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).is_ok());
        let docx = [b"PK\x03\x04".as_slice(), b"....[Content_Types].xml...."].concat();
        assert!(check("policy.docx", &docx).is_ok());
        // A script renamed as a PDF, a PDF renamed as a picture, a plain zip: refused.
        assert!(check("evil.pdf", b"<script>alert(1)</script>").is_err());
        assert!(check("report.png", b"%PDF-1.7")
            .unwrap_err()
            .contains("name it .pdf"));
        assert!(check("archive.docx", b"PK\x03\x04 just a zip").is_err());
        assert!(check("empty.pdf", b"").unwrap_err().contains("empty"));
        assert!(check("big.pdf", &[b'%'; MAX_BYTES + 1])
            .unwrap_err()
            .contains("10 MB"));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\\\Users\\\\a\\\\dbs.pdf"), "dbs.pdf");
        assert_eq!(clean_name("a\"b<c>.pdf"), "abc.pdf");
        assert_eq!(clean_name(""), "evidence");
    }
}
