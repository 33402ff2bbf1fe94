//! The integer that names a (resource type, search parameter) pair in the index tables.
//!
//! Index rows used to carry the type and the parameter code as two text columns, the leading
//! columns of every value index: about 15-25 bytes compared on every B-tree step and stored
//! twice per row (table and index). One 31-bit integer instead makes the keys smaller and
//! their comparisons integer ones (docs/benchmarks.md, "Session 10").
//!
//! The key is a pure function of the two strings, so no table has to assign it: every
//! process, both backends and the migrations that converted older rows agree without
//! coordination. It is FNV-1a (32 bits) over `type|code` in UTF-8, with the top bit cleared
//! so that it fits PostgreSQL's INTEGER and SQLite's 4-byte integers. The PostgreSQL
//! migration `2026-12-03-190000_param_keys` computes the same function in PL/pgSQL; the
//! migration tests compare the two. Tests over the official definitions show that the pairs
//! they define all have distinct keys, and that on one type (with its contained `#Type`) every
//! code of any type has a key of its own.

/// The key of `code` on resources typed `resource_type` (`#Type` for contained rows).
pub fn param_key(resource_type: &str, code: &str) -> i32 {
    const OFFSET: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let bytes = resource_type
        .bytes()
        .chain(std::iter::once(b'|'))
        .chain(code.bytes());
    let hash = bytes.fold(OFFSET, |h, b| (h ^ u32::from(b)).wrapping_mul(PRIME));
    // Top bit cleared: the value fits in 31 bits, so the cast is lossless.
    (hash & 0x7fff_ffff) as i32
}

/// The keys of every pair of `types` × `codes`, sorted and without repeats.
pub(crate) fn param_keys<'a>(
    types: impl IntoIterator<Item = &'a str> + Clone,
    codes: impl IntoIterator<Item = &'a str>,
) -> Vec<i32> {
    let mut keys: Vec<i32> = codes
        .into_iter()
        .flat_map(|c| types.clone().into_iter().map(move |t| param_key(t, c)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_fnv1a_of_type_bar_code_in_31_bits() {
        // FNV-1a 32 of "a" is 0xe40c292c (the published test vector); "|" joins the parts.
        assert_eq!(
            "a".bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b))
                .wrapping_mul(0x0100_0193)),
            0xe40c_292c
        );
        // Pinned: stored rows carry these keys, so the function may never change.
        assert_eq!(param_key("Patient", "family"), 1769749010);
        assert_ne!(
            param_key("Patient", "family"),
            param_key("#Patient", "family")
        );
    }

    /// The pairs the official definitions define (and their contained `#Type` pairs) all
    /// have keys of their own, across types: `_revinclude` and conditional matches test a
    /// defined pair's key without testing the type of the rows they find.
    #[test]
    fn defined_pairs_have_distinct_keys() {
        let registry = custodian_search::registry::registry().unwrap();
        let mut seen = std::collections::HashMap::new();
        for t in registry.resource_types() {
            for def in registry.params(t) {
                for ty in [t.to_owned(), format!("#{t}")] {
                    let pair = (ty.clone(), def.code.clone());
                    if let Some(other) = seen.insert(param_key(&ty, &def.code), pair.clone()) {
                        assert_eq!(other, pair, "two pairs share a key");
                    }
                }
            }
        }
        assert!(seen.len() > 5000, "{}", seen.len());
    }

    /// No two parameter codes share a key on one type and its contained `#Type`, for every
    /// type of the official definitions and every code of any type: not only the pairs the
    /// registry defines, but also those a system search's union of part codes may form
    /// (`family` on a type without it). Keys of different types may coincide (among all
    /// 2 × 135 types × 463 codes a few do): the other statements test the rows' resource
    /// type, pin one resource, or (`_has`) meet the source type's own key as well.
    #[test]
    fn codes_have_distinct_keys_within_each_type() {
        let registry = custodian_search::registry::registry().unwrap();
        let types: Vec<&str> = registry.resource_types().collect();
        let mut codes: Vec<&str> = types
            .iter()
            .flat_map(|t| registry.params(t).map(|def| def.code.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert!(codes.len() > 400, "{}", codes.len());
        for t in &types {
            let mut seen = std::collections::HashMap::new();
            for ty in [(*t).to_owned(), format!("#{t}")] {
                for code in &codes {
                    if let Some(other) = seen.insert(param_key(&ty, code), (ty.clone(), *code)) {
                        panic!("{other:?} and ({ty}, {code}) share a key");
                    }
                }
            }
        }
    }

    #[test]
    fn keys_cover_every_pair_once() {
        let keys = param_keys(["Patient", "#Patient"], ["name", "family", "name"]);
        assert_eq!(keys.len(), 4);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(keys.contains(&param_key("#Patient", "family")));
    }
}
