//! Email: what a message says (plain text and simple HTML, with the council's name and no pupil
//! data), and how it leaves: an `.eml` file in the data directory's outbox folder (demo and
//! development) or SMTP through a relay (`lettre`).

use crate::config::Config;
use crate::db::notifications::RecipientRow;
use crate::db::outbox::MailRow;
use crate::domain::{InternalLink, NoticeKind};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Wraps paragraphs (each a list of (text, optional link)) into the plain and HTML bodies.
fn bodies(
    config: &Config,
    greeting: &str,
    paras: &[Vec<(String, Option<String>)>],
) -> (String, String) {
    let service = format!("{} {}", config.council_name, config.service_name);
    let mut text = format!("{service}\n\n{greeting}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #0b0c0c\">\
         <p style=\"font-weight: bold\">{}</p><p>{}</p>",
        esc(&service),
        esc(&service),
        esc(greeting)
    );
    for para in paras {
        let mut t = String::new();
        let mut h = String::from("<p>");
        for (words, link) in para {
            match link {
                Some(url) => {
                    t.push_str(&format!("{words}: {url}\n"));
                    h.push_str(&format!("<a href=\"{}\">{}</a><br>", esc(url), esc(words)));
                }
                None => {
                    t.push_str(words);
                    t.push('\n');
                    h.push_str(&format!("{}<br>", esc(words)));
                }
            }
        }
        text.push_str(&t);
        text.push('\n');
        h.push_str("</p>");
        html.push_str(&h);
    }
    text.push_str(&format!("{}\n", config.council_name));
    html.push_str(&format!(
        "<p>{}</p></body></html>",
        esc(&config.council_name)
    ));
    (text, html)
}

/// One notification's email: what kind of thing there is and a link; never its text.
pub fn notice_content(
    config: &Config,
    user: &RecipientRow,
    kind: NoticeKind,
    link: &InternalLink,
    unsubscribe_url: &str,
) -> Content {
    let url = format!("{}{}", config.public_url, link.as_str());
    let prefs = format!("{}/notifications/preferences", config.public_url);
    let mut paras = vec![
        vec![(format!("{}.", capitalise(kind.email_line())), None)],
        vec![
            ("See it here".to_string(), Some(url)),
            (
                "You will be asked to sign in if you are not signed in already.".to_string(),
                None,
            ),
        ],
    ];
    let mut why = vec![
        (
            "You get this email straight away because of your notification settings".to_string(),
            None,
        ),
        ("Change your settings".to_string(), Some(prefs)),
    ];
    if kind.safeguarding() {
        why.push((
            "Safeguarding notices cannot be turned off.".to_string(),
            None,
        ));
    } else {
        why.push((
            format!("Stop emails about \u{201c}{}\u{201d}", kind.label()),
            Some(unsubscribe_url.to_string()),
        ));
    }
    paras.push(why);
    let (text, html) = bodies(config, &format!("Hello {},", user.display_name), &paras);
    Content {
        subject: format!("{} \u{2013} {}", kind.label(), config.service_name),
        text,
        html,
    }
}

/// The daily digest: how many of each kind wait in the inbox, and a link to it.
pub fn digest_content(
    config: &Config,
    user: &RecipientRow,
    kinds: &[(NoticeKind, i64)],
) -> Content {
    let total: i64 = kinds.iter().map(|(_, n)| n).sum();
    let mut list: Vec<(String, Option<String>)> = kinds
        .iter()
        .map(|(k, n)| (format!("{}: {n}", k.label()), None))
        .collect();
    list.insert(0, ("Since your last summary:".to_string(), None));
    let paras = vec![
        list,
        vec![(
            "Open your notifications".to_string(),
            Some(format!("{}/notifications", config.public_url)),
        )],
        vec![(
            "Choose what comes in this summary".to_string(),
            Some(format!("{}/notifications/preferences", config.public_url)),
        )],
    ];
    let (text, html) = bodies(config, &format!("Hello {},", user.display_name), &paras);
    Content {
        subject: format!(
            "Your daily summary: {total} new notification{} \u{2013} {}",
            if total == 1 { "" } else { "s" },
            config.service_name
        ),
        text,
        html,
    }
}

/// A globally unique Message-ID, fixed when the mail is queued, so a repeat after a crash is
/// recognisably the same message.
pub fn new_message_id(config: &Config) -> String {
    let domain = config
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("apdir.invalid");
    format!("<{}@{domain}>", uuid::Uuid::new_v4())
}

/// `List-Unsubscribe` (RFC 2369) with one-click POST (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// Marks our mail as automatic, so out-of-office replies are not sent back (RFC 3834).
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// Builds the MIME message for an outbox row.
pub fn build(config: &Config, row: &MailRow) -> Result<Message, String> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .map_err(|e| format!("the configured sender (mail_from) is not an address: {e}"))?;
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("the recipient is not an address: {e}"))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()))
        .header(AutoSubmitted);
    if !row.unsubscribe_url.is_empty() {
        b = b
            .header(ListUnsubscribe(row.unsubscribe_url.clone()))
            .header(ListUnsubscribePost);
    }
    b.multipart(MultiPart::alternative_plain_html(
        row.body_text.clone(),
        row.body_html.clone(),
    ))
    .map_err(|e| e.to_string())
}

/// Where mail goes.
pub enum Transport {
    /// One `.eml` file per message, named by outbox id (a resend overwrites, never duplicates).
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        match config.mail_transport.as_str() {
            "folder" => Ok(Transport::Folder(config.data_dir.join("outbox"))),
            "smtp" => {
                let host = config.smtp_host.as_str();
                let builder = match config.smtp_tls.as_str() {
                    "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| e.to_string())?,
                    "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .map_err(|e| e.to_string())?,
                    "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    other => {
                        return Err(format!(
                            "smtp_tls must be starttls, tls or none (got {other:?})"
                        ))
                    }
                };
                let mut builder = builder
                    .port(config.smtp_port)
                    .timeout(Some(std::time::Duration::from_secs(30)));
                if let (Some(u), Some(p)) = (&config.smtp_username, &config.smtp_password) {
                    builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
                }
                Ok(Transport::Smtp(builder.build()))
            }
            other => Err(format!(
                "mail_transport must be folder or smtp (got {other:?})"
            )),
        }
    }

    pub async fn send(&self, id: i64, message: &Message) -> Result<(), String> {
        match self {
            Transport::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                let tmp = dir.join(format!("{id:08}.eml.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::rename(&tmp, dir.join(format!("{id:08}.eml")))
                    .await
                    .map_err(|e| e.to_string())
            }
            Transport::Smtp(t) => t
                .send(message.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}
