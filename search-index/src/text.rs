//! Text analysis shared by the keyword parser: folding case and accents, splitting into terms.

/// Lower-cases, folds common Latin accents and splits on anything that is not a letter or digit.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        for f in fold(c) {
            if f.is_alphanumeric() {
                cur.extend(f.to_lowercase());
            } else if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Folds an accented Latin letter to its base letter(s); other characters pass through.
fn fold(c: char) -> std::vec::IntoIter<char> {
    let s: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ß' => "ss",
        '\'' | '’' => "",
        _ => return vec![c].into_iter(),
    };
    s.chars().collect::<Vec<_>>().into_iter()
}

/// A parsed keyword query: its terms, at most `MAX_TERMS` of at most `MAX_TERM_LEN` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
}

pub const MAX_TERMS: usize = 12;
pub const MAX_TERM_LEN: usize = 40;

impl Query {
    /// Never fails: whatever people type becomes a (possibly empty) query.
    pub fn parse(input: &str) -> Query {
        let mut terms: Vec<String> = terms(input)
            .into_iter()
            .map(|t| t.chars().take(MAX_TERM_LEN).collect())
            .collect();
        terms.dedup();
        terms.truncate(MAX_TERMS);
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_fold_case_accents_and_punctuation() {
        assert_eq!(
            terms("Café-Learning, KS4!"),
            vec!["cafe", "learning", "ks4"]
        );
        assert_eq!(terms("St Mary's"), vec!["st", "marys"]);
        assert_eq!(terms("  "), Vec::<String>::new());
    }

    proptest::proptest! {
        /// Any input parses, within bounds, and every query term comes from the text's own terms.
        #[test]
        fn parse_is_total_and_bounded(s in "\\PC{0,200}") {
            let q = Query::parse(&s);
            proptest::prop_assert!(q.terms().len() <= MAX_TERMS);
            proptest::prop_assert!(q.terms().iter().all(|t| !t.is_empty() && t.chars().count() <= MAX_TERM_LEN));
            let short: String = s.chars().take(MAX_TERMS * 2).collect();
            let q = Query::parse(&short);
            let own = terms(&short);
            proptest::prop_assert!(q.terms().iter().all(|t| own.iter().any(|o| o.starts_with(t.as_str()))));
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = "a".repeat(10_000);
        let q = Query::parse(&format!("{long} ' OR 1=1 -- <script> {}", "x ".repeat(100)));
        assert!(q.terms().len() <= MAX_TERMS);
        assert!(q.terms().iter().all(|t| t.chars().count() <= MAX_TERM_LEN));
    }
}
