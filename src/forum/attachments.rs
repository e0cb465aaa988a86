//! Files attached to forum posts: PDFs, pictures and office documents, checked by their
//! content (the evidence checker's rules and 10 MB limit), stored under `<data dir>/forum`
//! with a random name, and linked from the post's Markdown so they render in place. They are
//! served only to people who can read the post they belong to.

use crate::framework::evidence;
use std::path::{Path, PathBuf};

/// A checked file, stored, waiting to be recorded with its post.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The stored file's name, also its address under `/forum/attachments/`.
    pub name: String,
    /// The name it was uploaded with (cleaned), offered on download.
    pub filename: String,
    pub content_type: &'static str,
    pub size: i64,
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// The Markdown that shows it in a post: a picture in place, or a link with its size.
    pub fn markdown(&self) -> String {
        let label: String = self
            .filename
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_') {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
        let url = format!("{}{}", super::markdown::ATTACHMENTS, self.name);
        if self.is_image() {
            format!("![{label}]({url})")
        } else {
            format!("[{label} ({})]({url})", size_label(self.size))
        }
    }
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("forum")
}

/// Checks the file by content and name, and stores it; the message says what is wrong.
pub async fn accept(data_dir: &Path, filename: &str, bytes: &[u8]) -> Result<Attachment, String> {
    let checked = evidence::check(filename, bytes)?;
    let ext = checked
        .file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let dir = dir(data_dir);
    let name = format!("{}.{ext}", uuid::Uuid::new_v4());
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(dir.join(&name), bytes).await
    };
    write
        .await
        .map_err(|e| format!("The file could not be saved ({e}); try again"))?;
    Ok(Attachment {
        name,
        filename: checked.file_name,
        content_type: checked.content_type,
        size: bytes.len() as i64,
    })
}

/// The file field of a post form, reduced (before any await) to what matters.
pub enum Chosen<'r> {
    Nothing,
    File(Box<rocket::fs::TempFile<'r>>),
    /// Over the size limit (or unreadable as a file part).
    Refused,
}

impl<'r> Chosen<'r> {
    pub fn from_field(field: rocket::form::Result<'r, rocket::fs::TempFile<'r>>) -> Chosen<'r> {
        match field {
            Ok(f) if f.len() > 0 => Chosen::File(Box::new(f)),
            Ok(_) => Chosen::Nothing,
            Err(errs)
                if errs
                    .iter()
                    .all(|e| matches!(e.kind, rocket::form::error::ErrorKind::Missing)) =>
            {
                Chosen::Nothing
            }
            Err(_) => Chosen::Refused,
        }
    }

    pub fn is_chosen(&self) -> bool {
        !matches!(self, Chosen::Nothing)
    }

    /// Checks and stores the chosen file; the message says what is wrong.
    pub async fn store(&self, data_dir: &Path) -> Result<Option<Attachment>, String> {
        let file = match self {
            Chosen::Nothing => return Ok(None),
            Chosen::Refused => return Err("The selected file must be smaller than 10 MB".into()),
            Chosen::File(f) => f,
        };
        let name = file
            .raw_name()
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
            .unwrap_or_default();
        let bytes = crate::framework::read_upload(file).await?;
        accept(data_dir, &name, &bytes).await.map(Some)
    }
}

/// Whether a requested name could be one of ours (before asking the database).
pub fn plausible_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_shows_pictures_in_place_and_links_documents() {
        let pdf = Attachment {
            name: "abc.pdf".into(),
            filename: "Timetable [draft](x).pdf".into(),
            content_type: "application/pdf",
            size: 150_000,
        };
        assert_eq!(
            pdf.markdown(),
            "[Timetable draft x .pdf (147 KB)](/forum/attachments/abc.pdf)"
        );
        let png = Attachment {
            name: "def.png".into(),
            filename: "room.png".into(),
            content_type: "image/png",
            size: 2_500_000,
        };
        assert_eq!(png.markdown(), "![room.png](/forum/attachments/def.png)");
        let html = super::super::markdown::render(&png.markdown());
        assert!(
            html.contains("<img src=\"/forum/attachments/def.png\" alt=\"room.png\""),
            "{html}"
        );
    }

    #[test]
    fn only_plain_names_are_looked_up() {
        assert!(plausible_name("0b5e0a4e-1a2b-4c3d-8e9f-001122334455.pdf"));
        for bad in ["../etc/passwd", "a/b", "a b.pdf", "", "x..pdf"] {
            assert!(!plausible_name(bad), "{bad}");
        }
    }
}
