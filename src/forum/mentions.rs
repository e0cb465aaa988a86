//! @mentions: each user's handle comes from their display name ("Sam O'Neill" is @sam.oneill),
//! and a post mentions the readers of its category whose handle it names.

use regex::Regex;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A display name as a handle: lower-case letters and digits, other runs become one dot.
pub fn handle(display_name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in display_name.chars().filter(|c| !matches!(c, '\'' | '’')) {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('.');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Not inside a word or an email address: the @ must follow a start, space or punctuation.
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[\s(\[>,;:])@([\p{L}\p{N}]+(?:\.[\p{L}\p{N}]+)*)")
            .expect("mention pattern")
    })
}

/// The handles a text mentions, lower-cased, outside code blocks and spans.
pub fn mentioned(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in source.lines() {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced || line.starts_with("    ") || line.starts_with('\t') {
            continue;
        }
        // Drop inline code spans so `@example` in code mentions nobody.
        let plain: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        for c in pattern().captures_iter(&plain) {
            out.insert(c[1].to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_come_from_names() {
        assert_eq!(handle("Sam Patel"), "sam.patel");
        assert_eq!(handle("Sam O'Neill"), "sam.oneill");
        assert_eq!(handle("  Chloé  Hart-Smith "), "chloé.hart.smith");
        assert_eq!(handle("Progressions Team (SCC)"), "progressions.team.scc");
    }

    #[test]
    fn mentions_are_found_outside_code_and_emails() {
        let text = "Thanks @Sam.Patel and (@jo.bloggs), see email me@example.org\n\
                    `@not.this` but @this.one.\n```\n@fenced.out\n```\n    @indented.out";
        let got: Vec<String> = mentioned(text).into_iter().collect();
        assert_eq!(got, vec!["jo.bloggs", "sam.patel", "this.one"]);
    }
}
