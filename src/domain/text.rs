use super::Invalid;

/// A single line of free text from a person (a name, a title): trimmed, 1 to `max` characters,
/// and no control characters (which PostgreSQL would refuse, and no one types on purpose).
pub fn single_line(input: &str, what: &str, max: usize) -> Result<String, Invalid> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Invalid::new(format!("Enter {what}")));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(format!(
            "{} must not contain control characters",
            capitalise(what)
        )));
    }
    if s.chars().count() > max {
        return Err(Invalid::new(format!(
            "{} must be {max} characters or fewer",
            capitalise(what)
        )));
    }
    Ok(s.to_string())
}

/// Multi-line free text (a summary, a note): trimmed, line endings normalised, at most `max`
/// characters, no control characters but line breaks; `required` refuses it empty.
pub fn paragraph(input: &str, what: &str, max: usize, required: bool) -> Result<String, Invalid> {
    let s = input.trim().replace("\r\n", "\n");
    if required && s.is_empty() {
        return Err(Invalid::new(format!("Enter {what}")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::new(format!(
            "The {what} must not contain control characters"
        )));
    }
    if s.chars().count() > max {
        return Err(Invalid::new(format!(
            "The {what} must be {max} characters or fewer"
        )));
    }
    Ok(s)
}

/// A URL slug: lower-case letters, digits and hyphens, 1 to 100 characters.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn capitalise(s: &str) -> String {
    let s = s.strip_prefix("the ").unwrap_or(s);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_rules() {
        assert_eq!(
            single_line("  Sam Patel ", "the person's name", 120).unwrap(),
            "Sam Patel"
        );
        assert_eq!(
            single_line("", "the person's name", 120).unwrap_err().0,
            "Enter the person's name"
        );
        assert!(single_line("a\0b", "the name", 120)
            .unwrap_err()
            .0
            .starts_with("Name must not"));
        assert!(single_line("a\u{7}b", "the name", 120).is_err());
        assert!(single_line(&"x".repeat(121), "the name", 120).is_err());
        assert!(
            single_line("<script>é😀", "the name", 120).is_ok(),
            "markup is text, escaped on output"
        );
    }

    #[test]
    fn paragraph_rules() {
        assert_eq!(
            paragraph(" one\r\ntwo ", "summary", 600, true).unwrap(),
            "one\ntwo"
        );
        assert_eq!(
            paragraph("", "summary", 600, true).unwrap_err().0,
            "Enter summary"
        );
        assert_eq!(paragraph("", "note", 600, false).unwrap(), "");
        assert!(paragraph("a\0b", "summary", 600, false).is_err());
        assert!(paragraph(&"x".repeat(601), "summary", 600, false)
            .unwrap_err()
            .0
            .contains("600 characters"));
    }

    #[test]
    fn slugs() {
        assert!(is_slug("steel-city-vocational-hub"));
        for bad in ["", "Steel", "a b", "a\0", "../x", &"a".repeat(101)] {
            assert!(!is_slug(bad), "{bad:?}");
        }
    }
}
