//! String normalization shared by extraction and query parsing: lower case with accents
//! removed (Unicode NFD minus combining marks), so `Müller` is found by `muller`.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower-cases `s` and strips combining marks after canonical decomposition.
pub fn normalize(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn strips_accents_and_case() {
        assert_eq!(normalize("Müller"), "muller");
        assert_eq!(normalize("ÉLODIE Çà"), "elodie ca");
        assert_eq!(normalize("Ångström"), "angstrom");
        assert_eq!(normalize("plain"), "plain");
    }
}
