//! Forum posts are Markdown rendered and sanitised once, on save. Every payload in
//! tests/data/xss_payloads.txt (over 150, from the OWASP and PortSwigger cheat sheets and
//! Markdown-specific tricks) must come out inert: only allow-listed tags and attributes, no
//! event handlers or styles, links only to http, https, mailto or relative addresses, with
//! rel="noopener noreferrer nofollow", and images only from the forum's attachments.

use apdir::forum::markdown::{render, ATTACHMENTS};

/// The policy under test, written out here on purpose rather than imported from the code.
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

fn payloads() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/xss_payloads.txt"
    ))
    .expect("payload file");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .map(|l| l.replace("\\n", "\n"))
        .collect()
}

/// Just enough decoding to see through entities in attribute values.
fn decode(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every tag in the output: (name, [(attribute, decoded value)]). Text is escaped by the
/// sanitiser, so each `<` in its output opens a real tag.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i] == b' ' || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < b.len() && !matches!(b[i], b'=' | b' ' | b'>') {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                let quote = b[i];
                assert_eq!(quote, b'"', "unquoted attribute in {html}");
                i += 1;
                let v = i;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                value = decode(&html[v..i]);
                i += 1;
            }
            attrs.push((attr, value));
        }
        out.push((name, attrs));
    }
    out
}

fn allowed_link(href: &str) -> bool {
    let h = href.trim().to_ascii_lowercase();
    let scheme_end = h.find(':');
    let path_start = h.find(['/', '?', '#']).unwrap_or(h.len());
    match scheme_end {
        Some(c) if c < path_start => {
            h.starts_with("http://") || h.starts_with("https://") || h.starts_with("mailto:")
        }
        // No scheme: a relative address on this site (not protocol-relative to another host).
        _ => !h.starts_with("//"),
    }
}

fn assert_inert(payload: &str, html: &str) {
    for (name, attrs) in tags(html) {
        assert!(
            TAGS.contains(&name.as_str()),
            "<{name}> from {payload:?}: {html}"
        );
        for (attr, value) in &attrs {
            assert!(!attr.starts_with("on"), "{attr} from {payload:?}: {html}");
            match (name.as_str(), attr.as_str()) {
                ("a", "href") => assert!(allowed_link(value), "href {value:?} from {payload:?}"),
                ("a", "rel") => assert_eq!(value, "noopener noreferrer nofollow"),
                ("img", "src") => assert!(
                    value.starts_with(ATTACHMENTS) && !value.contains(".."),
                    "src {value:?} from {payload:?}"
                ),
                ("a" | "img", "title")
                | ("img", "alt")
                | ("ol", "start")
                | ("th" | "td", "align") => {}
                _ => panic!("attribute {attr} on <{name}> from {payload:?}: {html}"),
            }
        }
        if name == "a" && attrs.iter().any(|(a, _)| a == "href") {
            assert!(
                attrs.iter().any(|(a, _)| a == "rel"),
                "link without rel: {html}"
            );
        }
    }
}

#[test]
fn every_payload_renders_inert() {
    let list = payloads();
    assert!(list.len() >= 150, "only {} payloads", list.len());
    for p in &list {
        let html = render(p);
        assert_inert(p, &html);
        // Rendering what a post shows (as text) again is just as safe.
        assert_inert(p, &render(&html));
    }
}

#[test]
fn the_checker_catches_what_it_must() {
    // The checker itself fails on executable output, so a pass above means something.
    for bad in [
        r#"<script>alert(1)</script>"#,
        r#"<img src="x" onerror="alert(1)">"#,
        r#"<a href="javascript:alert(1)" rel="noopener noreferrer nofollow">x</a>"#,
        r#"<a href="https://example.org">x</a>"#,
        r#"<img src="https://xss.example/x.png">"#,
        r#"<p style="color:red">x</p>"#,
    ] {
        let caught = std::panic::catch_unwind(|| assert_inert("test", bad)).is_err();
        assert!(caught, "{bad} was not caught");
    }
}

#[test]
fn ordinary_posts_keep_their_formatting() {
    let html = render(
        "## Reintegration\n\nWe use **phased returns**: see [the guide](https://www.gov.uk/guidance).\n\n- week 1\n- week 2\n\n> Quote\n\n![plan](/forum/attachments/plan-2026.png)",
    );
    for part in [
        "<h2>Reintegration</h2>",
        "<strong>phased returns</strong>",
        r#"<a href="https://www.gov.uk/guidance" rel="noopener noreferrer nofollow">the guide</a>"#,
        "<li>week 1</li>",
        "<blockquote>",
        r#"<img src="/forum/attachments/plan-2026.png" alt="plan">"#,
    ] {
        assert!(html.contains(part), "{part} missing from {html}");
    }
}
