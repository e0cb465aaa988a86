//! A post's text as HTML: CommonMark (pulldown-cmark) rendered once, when the post is saved,
//! then sanitised (ammonia) against a short allow-list. Raw HTML in the source is shown as text,
//! never passed through; links may only be http, https or mailto and carry
//! `rel="noopener noreferrer nofollow"`; images may only come from the forum's own attachments.

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{html, Event, Options, Parser};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Where the forum serves its attachments; the only place an image may come from.
pub const ATTACHMENTS: &str = "/forum/attachments/";

const TAGS: [&str; 25] = [
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

fn sanitiser() -> &'static Builder<'static> {
    static SANITISER: OnceLock<Builder<'static>> = OnceLock::new();
    SANITISER.get_or_init(|| {
        let mut b = Builder::empty();
        b.tags(HashSet::from(TAGS))
            .tag_attributes(HashMap::from([
                ("a", HashSet::from(["href", "title"])),
                ("img", HashSet::from(["src", "alt", "title"])),
                ("ol", HashSet::from(["start"])),
                ("th", HashSet::from(["align"])),
                ("td", HashSet::from(["align"])),
            ]))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            // Relative links stay (to other forum pages); images are limited below.
            .url_relative(UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer nofollow"))
            .attribute_filter(|element, attribute, value| {
                if element == "img" && attribute == "src" && !is_attachment(value) {
                    None
                } else {
                    Some(value.into())
                }
            });
        b
    })
}

/// An attachment path: `/forum/attachments/` then a plain name (no `..`, no scheme, no host).
fn is_attachment(src: &str) -> bool {
    src.strip_prefix(ATTACHMENTS).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !rest.contains("..")
    })
}

/// The HTML to store for a post written in Markdown.
pub fn render(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Raw HTML is text: someone who types <b> sees <b>.
    let events = Parser::new_ext(source, options).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        // A top-level heading would compete with the page's own h1.
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    // Headings start at h2 inside a post.
    let out = out.replace("<h1>", "<h2>").replace("</h1>", "</h2>");
    sanitiser().clean(&out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_safe_html() {
        assert_eq!(
            render("Hello **world**"),
            "<p>Hello <strong>world</strong></p>\n"
        );
        let link = render("[guide](https://example.org/guide)");
        assert!(
            link.contains(r#"href="https://example.org/guide""#),
            "{link}"
        );
        assert!(
            link.contains(r#"rel="noopener noreferrer nofollow""#),
            "{link}"
        );
        assert_eq!(render("# Title"), "<h2>Title</h2>\n");
    }

    #[test]
    fn raw_html_is_shown_not_run() {
        let out = render("<b>bold</b> and <script>alert(1)</script>");
        assert!(!out.contains("<b>") && !out.contains("<script"), "{out}");
        assert!(out.contains("&lt;b&gt;bold&lt;/b&gt;"), "{out}");
    }

    #[test]
    fn images_only_from_attachments() {
        let own = render("![plan](/forum/attachments/abc123.png)");
        assert!(
            own.contains(r#"src="/forum/attachments/abc123.png""#),
            "{own}"
        );
        for other in [
            "![x](https://evil.example/x.png)",
            "![x](/forum/attachments/../../admin)",
            "![x](//evil.example/forum/attachments/x.png)",
            "![x](data:image/png;base64,AAAA)",
        ] {
            assert!(!render(other).contains("src="), "{other}");
        }
    }

    #[test]
    fn only_safe_link_schemes() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
        ] {
            assert!(!render(bad).contains("href="), "{bad}");
        }
        assert!(
            render("<mailto:office@example.org>").contains("href=\"mailto:office@example.org\"")
        );
    }
}
