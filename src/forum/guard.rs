//! The pupil-data guard. The forum must never hold pupil data, so a post is held for a
//! moderator when it contains something shaped like a UPN that passes the real check-letter
//! rule, or a date that could be a pupil's date of birth next to a person's name (or next to
//! the words "date of birth"). The author is told why. Dates of events (recent or to come) and
//! the names of schools and places are not mistaken for pupils.

use crate::domain::Upn;
use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::sync::OnceLock;

/// Why a post was held, in words for its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Something that is a valid UPN (shown with all but its last 3 characters hidden).
    Upn(String),
    /// A possible date of birth next to a name or the words "date of birth".
    BirthDate(String),
}

impl Held {
    pub fn message(&self) -> String {
        match self {
            Held::Upn(masked) => format!(
                "Your post is waiting for a moderator because it contains what looks like a pupil's UPN ({masked}). The forum must never hold pupil data: edit the post to take it out, and it will be published."
            ),
            Held::BirthDate(date) => format!(
                "Your post is waiting for a moderator because it has a date that could be a child's date of birth ({date}) next to a name. The forum must never hold pupil data: edit the post to take it out, and it will be published."
            ),
        }
    }
}

/// Checks a post's text (its Markdown source, title included) on `today`.
pub fn check(text: &str, today: NaiveDate) -> Option<Held> {
    upn(text)
        .map(Held::Upn)
        .or_else(|| birth_date(text, today).map(Held::BirthDate))
}

/// A valid UPN in the text, masked: written as one token, or in groups split by spaces or
/// hyphens ("A373 2001 12 345").
fn upn(text: &str) -> Option<String> {
    static SHAPE: OnceLock<Regex> = OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        Regex::new(r"(?i)\b[a-z][ -]?(?:\d[ -]?){11}[0-9a-z]\b").expect("static pattern")
    });
    shape.find_iter(text).find_map(|m| {
        let compact: String = m
            .as_str()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let upn = Upn::parse(&compact).ok()?;
        let s = upn.as_str();
        Some(format!("{}{}", "*".repeat(10), &s[10..]))
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn dates() -> &'static Regex {
    static DATES: OnceLock<Regex> = OnceLock::new();
    DATES.get_or_init(|| {
        Regex::new(
            r"(?ix)
            \b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})\b
            | \b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b
            | \b(?P<td>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<tm>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?P<ty>\d{4})\b
            | \b(?P<um>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<ud>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<uy>\d{4})\b",
        )
        .expect("static pattern")
    })
}

/// The date a match stands for, if it is a real calendar date.
fn date_of(c: &regex::Captures<'_>, today: NaiveDate) -> Option<NaiveDate> {
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let month_word = |name: &str| {
        c.name(name).and_then(|m| {
            let w = m.as_str().to_ascii_lowercase();
            MONTHS
                .iter()
                .position(|x| w.starts_with(x))
                .map(|i| i as u32 + 1)
        })
    };
    let (d, m, y) = if let Some(d) = num("d") {
        let y = num("y")?;
        // Two-digit years: this century up to this year, otherwise the last one.
        let y = if c.name("y").is_some_and(|m| m.as_str().len() == 2) {
            let this = (today.year() % 100) as u32;
            if y <= this {
                2000 + y
            } else {
                1900 + y
            }
        } else {
            y
        };
        (d, num("m")?, y)
    } else if let Some(y) = num("iy") {
        (num("id")?, num("im")?, y)
    } else if let Some(d) = num("td") {
        (d, month_word("tm")?, num("ty")?)
    } else {
        (num("ud")?, month_word("um")?, num("uy")?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A child's age: from 2 to 25 years before today. Meetings and training are recent or to
/// come, so they never fall here.
fn could_be_a_pupils_birth(d: NaiveDate, today: NaiveDate) -> bool {
    let age = today.years_since(d);
    matches!(age, Some(2..=25))
}

/// Capitalised words that are not people: months, days, and words in the names of schools,
/// services and places.
const NOT_NAMES: [&str; 58] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "the",
    "this",
    "our",
    "we",
    "a",
    "an",
    "on",
    "in",
    "at",
    "of",
    "and",
    "school",
    "academy",
    "college",
    "centre",
    "center",
    "primary",
    "secondary",
    "trust",
    "council",
    "ofsted",
    "sheffield",
    "city",
    "service",
    "services",
    "team",
    "unit",
    "house",
    "park",
    "road",
    "street",
    "year",
    "key",
    "stage",
    "tier",
    "inclusion",
    "provision",
    "ap",
    "send",
];

fn is_name_word(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(char::is_uppercase)
        && w.chars().count() >= 2
        && w.chars()
            .skip(1)
            .all(|c| c.is_lowercase() || matches!(c, '\'' | '’' | '-'))
        && !NOT_NAMES.contains(&w.to_lowercase().as_str())
}

/// Two name-like words in a row ("Jayden Smith"), or a name-like word right before the date
/// ("Jayden, 12/04/2013").
fn has_name(before: &str, after: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_alphabetic() || matches!(c, '\'' | '’' | '-')))
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect()
    };
    let pair = |ws: &[String]| {
        ws.windows(2)
            .any(|p| is_name_word(&p[0]) && is_name_word(&p[1]))
    };
    let b = words(before);
    let a = words(after);
    if pair(&b) || pair(&a) {
        return true;
    }
    // A lone name straight before the date, with nothing but spaces and punctuation between.
    let tail = before
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ':' | '-' | '–'));
    tail.len() + 4 >= before.len()
        && b.last()
            .is_some_and(|w| is_name_word(w) && tail.ends_with(w.as_str()))
}

/// Characters either side of a date looked at for a name or for "date of birth".
const NEAR: usize = 40;

fn birth_date(text: &str, today: NaiveDate) -> Option<String> {
    // Within one sentence or line: a name in the next sentence is not next to the date. (A
    // full stop ends a sentence only before a space, so 05.09.11 and d.o.b stay whole.)
    static SENTENCES: OnceLock<Regex> = OnceLock::new();
    let sentences =
        SENTENCES.get_or_init(|| Regex::new(r"[.!?;](?:\s|$)|\n").expect("static pattern"));
    for sentence in sentences.split(text) {
        for c in dates().captures_iter(sentence) {
            let Some(whole) = c.get(0) else { continue };
            let Some(date) = date_of(&c, today) else {
                continue;
            };
            if !could_be_a_pupils_birth(date, today) {
                continue;
            }
            let before = tail_chars(&sentence[..whole.start()], NEAR);
            let after = head_chars(&sentence[whole.end()..], NEAR);
            let lower = format!("{before} {after}").to_lowercase();
            let said = ["dob", "d.o.b", "date of birth", "born", "birthday"]
                .iter()
                .any(|k| lower.contains(k));
            if said || has_name(before, after) {
                return Some(whole.as_str().to_string());
            }
        }
    }
    None
}

fn tail_chars(s: &str, n: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    &s[start..]
}

fn head_chars(s: &str, n: usize) -> &str {
    let end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
    }

    fn held(text: &str) -> bool {
        check(text, today()).is_some()
    }

    #[test]
    fn valid_upns_are_held_in_any_layout() {
        let upn = Upn::from_parts(373, 2001, 14, 5).expect("upn");
        let s = upn.as_str().to_string();
        assert!(held(&format!("Can anyone help with {s}?")));
        assert!(held(&format!("upn: {}", s.to_lowercase())));
        let spaced = format!("{} {} {} {}", &s[..4], &s[4..8], &s[8..10], &s[10..]);
        assert!(held(&format!("pupil {spaced} again")), "{spaced}");
        assert_eq!(
            check(&s, today()),
            Some(Held::Upn(format!("**********{}", &s[10..])))
        );
    }

    #[test]
    fn upn_shaped_text_that_fails_the_check_letter_is_not_held() {
        let upn = Upn::from_parts(373, 2001, 14, 5).expect("upn");
        let s = upn.as_str();
        let wrong = if s.starts_with('A') { 'B' } else { 'A' };
        assert!(!held(&format!("ref {wrong}{}", &s[1..])));
        // Phone numbers, URNs, UKPRNs and order numbers.
        for text in [
            "Call 0114 273 4567 or 07700 900123",
            "Our URN is 107136 and UKPRN 10012345",
            "Invoice INV-2026-000123 is attached",
            "Room B12 at 10:30",
        ] {
            assert!(!held(text), "{text}");
        }
    }

    #[test]
    fn a_name_next_to_a_childs_birth_date_is_held() {
        for text in [
            "Jayden Smith 12/04/2013 needs a place",
            "Referral for Amelia-Rose O’Neill (born 3rd March 2012)",
            "Chloe, 05.09.11, starts Monday",
            "DOB: 2014-02-28",
            "Her date of birth is March 3, 2013",
            "Kacper Nowak, d.o.b 7-1-2010",
        ] {
            assert!(held(text), "{text}");
        }
    }

    #[test]
    fn dates_of_events_and_names_of_places_are_not_held() {
        for text in [
            "Training on 12/03/2027 led by Jane Smith",
            "Jane Smith will present at the meeting on 3 March 2026",
            "Ofsted inspected Becton School on 14 March 2019",
            "Our centre opened on 4 May 2012. Contact Jane Smith for a visit",
            "Key Stage 4 results for 2024-25 are in",
            "The Sheffield Inclusion Centre moved on 01/09/2015",
            "Safeguarding update, 24/11/2026",
        ] {
            assert!(!held(text), "{text}");
        }
    }

    #[test]
    fn the_author_is_told_why() {
        let m = check("Jayden Smith 12/04/2013", today())
            .expect("held")
            .message();
        assert!(
            m.contains("12/04/2013") && m.contains("date of birth"),
            "{m}"
        );
    }
}
