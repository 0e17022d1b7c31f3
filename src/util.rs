//! Small helpers every layer uses.

/// The known name closest to a misspelling: case-insensitive Damerau-Levenshtein distance of at
/// most 3, and less than the name's length (so `x` does not "suggest" `y`).
pub fn closest<'a>(candidates: impl Iterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (strsim::damerau_levenshtein(&c.to_lowercase(), &lower), c))
        .filter(|(d, _)| *d <= 3 && *d < lower.chars().count().max(2))
        .min()
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` or nothing.
pub fn did_you_mean<'a>(candidates: impl Iterator<Item = &'a str>, name: &str) -> String {
    closest(candidates, name)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names = ["contactEmail", "label", "description"];
        assert_eq!(
            closest(names.iter().copied(), "contactEmial"),
            Some("contactEmail")
        );
        assert_eq!(closest(names.iter().copied(), "LABEL"), Some("label"));
        assert_eq!(closest(names.iter().copied(), "zzzzzzzzzz"), None);
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "file"), "0 files");
    }
}
