//! Names as hints: the words a component's name is made of, and whether they say "integration".
//!
//! A name is weak evidence — content decides — but `Talkdesk_Integration`, `ETLConnectors` and
//! `svc_middleware` still tell a reviewer where to look. Names are split at `_`, `-`, spaces,
//! digits, lower→upper changes (`TeamProQ` → `team pro q`) and acronym ends (`APIUser` →
//! `api user`); a word matches its plural and singular (`Integrations`, `Connector`), and a
//! vocabulary entry of several words (`service account`) matches those words in a row.

/// Lower-case words of a name.
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if !ch.is_alphabetic() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = ch.is_uppercase()
            && !cur.is_empty()
            && (prev.is_some_and(char::is_lowercase)
                // `APIUser`: the `U` starts a word when a lower-case letter follows it.
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase)));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A word in its singular form (`connectors` → `connector`, `proxies` → `proxy`): two words are
/// the same in singular or plural when their singulars are equal.
fn singular(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ies") {
        format!("{stem}y")
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// Vocabulary entries prepared once for the many names of a project: each entry's words in
/// lower case and singular.
pub struct Vocabulary<'w> {
    entries: Vec<(&'w str, Vec<String>)>,
}

impl<'w> Vocabulary<'w> {
    pub fn new(entries: &'w [String]) -> Vocabulary<'w> {
        let entries = entries
            .iter()
            .map(|entry| {
                let parts = entry
                    .split_whitespace()
                    .map(|p| singular(&p.to_lowercase()))
                    .collect();
                (entry.as_str(), parts)
            })
            .collect();
        Vocabulary { entries }
    }

    /// The first entry the name contains as whole words, in order.
    pub fn first_in(&self, name: &str) -> Option<&'w str> {
        let tokens: Vec<String> = words(name).iter().map(|t| singular(t)).collect();
        self.entries
            .iter()
            .find(|(_, parts)| {
                !parts.is_empty() && tokens.windows(parts.len()).any(|w| w == parts.as_slice())
            })
            .map(|(entry, _)| *entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_word<'w>(name: &str, vocabulary: &'w [String]) -> Option<&'w str> {
        Vocabulary::new(vocabulary).first_in(name)
    }

    fn vocab() -> Vec<String> {
        crate::config::DEFAULT_NAME_WORDS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn splits_camel_case_acronyms_underscores_spaces_and_digits() {
        assert_eq!(
            words("TeamProQ_Integration"),
            ["team", "pro", "q", "integration"]
        );
        assert_eq!(words("APIUser"), ["api", "user"]);
        assert_eq!(words("ETLConnectors v2"), ["etl", "connectors", "v"]);
        assert_eq!(words("int_talkdesk2"), ["int", "talkdesk"]);
    }

    #[test]
    fn matches_words_plurals_and_phrases_but_not_fragments() {
        let v = vocab();
        assert_eq!(name_word("Talkdesk_Integration", &v), Some("integration"));
        assert_eq!(name_word("Integrations", &v), Some("integration"));
        assert_eq!(name_word("ETLConnectors", &v), Some("connector"));
        assert_eq!(name_word("Data Migration", &v), Some("migration"));
        assert_eq!(
            name_word("Marketing_Service_Account", &v),
            Some("service account")
        );
        assert_eq!(name_word("APIUser", &v), Some("api"));
        // Fragments are not words: "Interior", "Synchronous", "Capital".
        assert_eq!(name_word("Interior_Design", &v), None);
        assert_eq!(name_word("Synchronous", &v), None);
        assert_eq!(name_word("Capital", &v), None);
    }
}
