use super::*;
use crate::datetime::{parse_date_range, DatePrecision};
use crate::registry::SearchParamType;

fn parse(t: &str, pairs: &[(&str, &str)]) -> Result<SearchQuery, QueryError> {
    parse_query(t, pairs.iter().copied(), Handling::Strict)
}

fn one(t: &str, name: &str, value: &str) -> Result<Filter, QueryError> {
    let mut q = parse(t, &[(name, value)])?;
    assert_eq!(q.filters.len(), 1);
    Ok(q.filters.remove(0))
}

fn cond(t: &str, name: &str, value: &str) -> Condition {
    match one(t, name, value) {
        Ok(Filter::Condition(c)) => c,
        other => panic!("{name}={value}: {other:?}"),
    }
}

fn err(t: &str, name: &str, value: &str) -> QueryError {
    match parse(t, &[(name, value)]) {
        Err(e) => {
            assert_eq!(e.param(), Some(name), "{e}");
            e
        }
        Ok(q) => panic!("{name}={value} parsed: {q:?}"),
    }
}

#[test]
fn string_values_and_modifiers() {
    let c = cond("Patient", "family", "Müller");
    assert_eq!(
        (c.code.as_str(), c.param_type, c.modifier.clone()),
        ("family", SearchParamType::String, None)
    );
    assert_eq!(
        c.values,
        [SearchValue::String {
            value: "Müller".into(),
            normalized: "muller".into()
        }]
    );
    assert_eq!(
        cond("Patient", "family:exact", "Müller").modifier,
        Some(Modifier::Exact)
    );
    assert_eq!(
        cond("Patient", "name:contains", "ll").modifier,
        Some(Modifier::Contains)
    );
    assert_eq!(cond("Patient", "family", "a,b").values.len(), 2);
    assert!(matches!(
        err("Patient", "family:text", "x"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Patient", "family:not", "x"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Patient", "family:below", "x"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Patient", "family:bogus", "x"),
        QueryError::UnknownModifier { .. }
    ));
    // An empty parameter is ignored, not an error (search.html#errors).
    let q = parse("Patient", &[("family", ""), ("_count", ""), ("_sort", "")]).unwrap();
    assert!(q.filters.is_empty() && q.sort.is_empty(), "{q:?}");
    assert!(matches!(
        err("Patient", "family", "a,,b"),
        QueryError::InvalidValue { .. }
    ));
}

#[test]
fn escaping() {
    let c = cond("Patient", "family", r"a\,b,c\\,d\$e");
    let values: Vec<_> = c
        .values
        .iter()
        .map(|v| match v {
            SearchValue::String { value, .. } => value.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(values, ["a,b", r"c\", "d$e"]);
    let c = cond("Patient", "identifier", r"http://x\|y|12\,3");
    assert_eq!(
        c.values,
        [SearchValue::Token {
            system: TokenSystem::Is("http://x|y".into()),
            code: Some("12,3".into())
        }]
    );
}

#[test]
fn token_forms_and_modifiers() {
    let tok = |v: &str| cond("Patient", "identifier", v).values;
    assert_eq!(
        tok("123"),
        [SearchValue::Token {
            system: TokenSystem::Any,
            code: Some("123".into())
        }]
    );
    assert_eq!(
        tok("http://s|123"),
        [SearchValue::Token {
            system: TokenSystem::Is("http://s".into()),
            code: Some("123".into())
        }]
    );
    assert_eq!(
        tok("|123"),
        [SearchValue::Token {
            system: TokenSystem::NoSystem,
            code: Some("123".into())
        }]
    );
    assert_eq!(
        tok("http://s|"),
        [SearchValue::Token {
            system: TokenSystem::Is("http://s".into()),
            code: None
        }]
    );
    assert!(matches!(
        err("Patient", "identifier", "|"),
        QueryError::InvalidValue { .. }
    ));
    assert!(matches!(
        err("Patient", "identifier", "a|b|c"),
        QueryError::InvalidValue { .. }
    ));
    let c = cond("Condition", "code:text", "Diabète");
    assert_eq!(
        c.values,
        [SearchValue::Text {
            value: "Diabète".into(),
            normalized: "diabete".into()
        }]
    );
    assert_eq!(
        cond("Patient", "gender:not", "male").modifier,
        Some(Modifier::Not)
    );
    // :in/:not-in take a value set's URL; the server expands it.
    for (m, modifier) in [("in", Modifier::In), ("not-in", Modifier::NotIn)] {
        let c = cond(
            "Condition",
            &format!("code:{m}"),
            "http://example.org/vs\\,x,urn:vs2",
        );
        assert_eq!(c.modifier, Some(modifier));
        assert_eq!(
            c.values,
            [
                SearchValue::Uri("http://example.org/vs,x".into()),
                SearchValue::Uri("urn:vs2".into())
            ]
        );
    }
    // Token :above/:below parse as plain tokens; the server expands them by hierarchy.
    for (m, modifier) in [("above", Modifier::Above), ("below", Modifier::Below)] {
        let c = cond(
            "Condition",
            &format!("code:{m}"),
            "http://snomed.info/sct|64572001",
        );
        assert_eq!(c.modifier, Some(modifier));
        assert!(matches!(&c.values[0], SearchValue::Token { .. }), "{c:?}");
    }
    assert!(matches!(
        err("Condition", "code:of-type", "x"),
        QueryError::ModifierNotSupported { .. }
    ));
    assert!(matches!(
        err("Patient", "gender:exact", "male"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Patient", "gender:contains", "m"),
        QueryError::ModifierNotAllowed { .. }
    ));
    // Boolean and resource-level tokens.
    assert_eq!(cond("Patient", "active", "true").code, "active");
    assert_eq!(cond("Patient", "_id", "a,b").values.len(), 2);
    assert_eq!(
        cond("Encounter", "_tag", "http://t|x").param_type,
        SearchParamType::Token
    );
}

#[test]
fn missing_on_every_type() {
    for (t, name) in [
        ("Patient", "family"),
        ("Patient", "gender"),
        ("Patient", "birthdate"),
        ("Patient", "organization"),
        ("Encounter", "length"),
        ("Patient", "_profile"),
    ] {
        let c = cond(t, &format!("{name}:missing"), "true");
        assert_eq!(
            (c.modifier, c.values),
            (Some(Modifier::Missing), vec![SearchValue::Missing(true)])
        );
        let c = cond(t, &format!("{name}:missing"), "false");
        assert_eq!(c.values, [SearchValue::Missing(false)]);
        assert!(matches!(
            err(t, &format!("{name}:missing"), "yes"),
            QueryError::InvalidValue { .. }
        ));
    }
}

#[test]
fn every_prefix_on_dates() {
    let year = parse_date_range("1980").unwrap();
    for (text, prefix) in Prefix::ALL {
        let c = cond("Patient", "birthdate", &format!("{text}1980"));
        assert_eq!(
            c.values,
            [SearchValue::Date {
                prefix,
                low: year.low,
                high: year.high,
                precision: DatePrecision::Year
            }],
            "{text}"
        );
    }
    let c = cond("Patient", "birthdate", "1980-05-01");
    assert!(matches!(
        c.values[..],
        [SearchValue::Date {
            prefix: Prefix::Eq,
            precision: DatePrecision::Day,
            ..
        }]
    ));
    let c = cond("Encounter", "date", "ge2024-01-01T10:00:00+01:00,lt2024-02");
    assert_eq!(c.values.len(), 2);
    assert!(matches!(
        c.values[0],
        SearchValue::Date {
            prefix: Prefix::Ge,
            precision: DatePrecision::Second,
            ..
        }
    ));
    for bad in ["xx1980", "1980-13", "gt", "ge1980-01-01T10", "19800"] {
        assert!(
            matches!(
                err("Patient", "birthdate", bad),
                QueryError::InvalidValue { .. }
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        err("Patient", "birthdate:exact", "1980"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert_eq!(
        cond("Patient", "_lastUpdated", "gt2024-01-01").param_type,
        SearchParamType::Date
    );
}

#[test]
fn numbers_and_quantities_carry_precision() {
    let c = cond("Encounter", "length", "ge5.4|http://unitsofmeasure.org|min");
    match &c.values[..] {
        [SearchValue::Quantity {
            prefix: Prefix::Ge,
            value,
            low,
            high,
            system,
            code,
        }] => {
            assert_eq!(*value, 5.4);
            assert!((low - 5.35).abs() < 1e-9 && (high - 5.45).abs() < 1e-9);
            assert_eq!(system.as_deref(), Some("http://unitsofmeasure.org"));
            assert_eq!(code.as_deref(), Some("min"));
        }
        other => panic!("{other:?}"),
    }
    let c = cond("Condition", "onset-age", "ap45||a");
    assert!(matches!(
        &c.values[..],
        [SearchValue::Quantity {
            prefix: Prefix::Ap,
            system: None,
            code: Some(_),
            ..
        }]
    ));
    let c = cond("Encounter", "length", "100");
    assert!(
        matches!(&c.values[..], [SearchValue::Quantity { low, high, system: None, code: None, .. }] if *low == 99.5 && *high == 100.5)
    );
    for (text, prefix) in Prefix::ALL {
        let c = cond("Encounter", "length", &format!("{text}3"));
        assert!(matches!(&c.values[..], [SearchValue::Quantity { prefix: p, .. }] if *p == prefix));
    }
    for bad in ["5.4|x", "abc", "5.4|a|b|c", "gt"] {
        assert!(
            matches!(
                err("Encounter", "length", bad),
                QueryError::InvalidValue { .. }
            ),
            "{bad}"
        );
    }
    let reg = crate::registry::registry().unwrap();
    // A number parameter, from a type outside the three, to cover the number path.
    let (t, code) = reg
        .resource_types()
        .find_map(|t| {
            reg.params(t)
                .find(|d| d.param_type == SearchParamType::Number)
                .map(|d| (t.to_owned(), d.code.clone()))
        })
        .unwrap();
    let c = cond(&t, &code, "le1e2");
    assert!(
        matches!(&c.values[..], [SearchValue::Number { prefix: Prefix::Le, low, high, .. }] if *low == 50.0 && *high == 150.0)
    );
}

#[test]
fn references() {
    let r = |name: &str, v: &str| cond("Condition", name, v).values;
    assert_eq!(
        r("subject", "Patient/123"),
        [SearchValue::Reference {
            target_type: Some("Patient".into()),
            id: Some("123".into()),
            version: None,
            url: None
        }]
    );
    assert_eq!(
        r("subject", "123"),
        [SearchValue::Reference {
            target_type: None,
            id: Some("123".into()),
            version: None,
            url: None
        }]
    );
    assert_eq!(
        r("subject:Patient", "123"),
        [SearchValue::Reference {
            target_type: Some("Patient".into()),
            id: Some("123".into()),
            version: None,
            url: None
        }]
    );
    assert_eq!(
        r("encounter", "123"),
        [SearchValue::Reference {
            target_type: Some("Encounter".into()),
            id: Some("123".into()),
            version: None,
            url: None
        }]
    );
    assert_eq!(
        r("subject", "http://x.org/fhir/Patient/9/_history/2"),
        [SearchValue::Reference {
            target_type: Some("Patient".into()),
            id: Some("9".into()),
            version: Some("2".into()),
            url: Some("http://x.org/fhir/Patient/9/_history/2".into()),
        }]
    );
    assert_eq!(
        r("subject:identifier", "http://ids|77"),
        [SearchValue::Identifier {
            system: TokenSystem::Is("http://ids".into()),
            value: Some("77".into())
        }]
    );
    assert!(matches!(
        err("Condition", "subject", "Observation/1"),
        QueryError::InvalidValue { .. }
    ));
    assert!(matches!(
        err("Condition", "subject:Patient", "Group/1"),
        QueryError::InvalidValue { .. }
    ));
    assert!(matches!(
        err("Condition", "subject:Observation", "1"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Condition", "subject:exact", "1"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Condition", "subject:text", "1"),
        QueryError::ModifierNotAllowed { .. }
    ));
    assert!(matches!(
        err("Condition", "subject:Nonsense", "1"),
        QueryError::UnknownModifier { .. }
    ));
    assert!(matches!(
        err("Condition", "subject", "a/b/c"),
        QueryError::InvalidValue { .. }
    ));
}

#[test]
fn uri_modifiers() {
    let c = cond("Patient", "_profile:below", "http://example.org/fhir");
    assert_eq!(
        (c.modifier, c.values),
        (
            Some(Modifier::Below),
            vec![SearchValue::Uri("http://example.org/fhir".into())]
        )
    );
    assert_eq!(
        cond("Patient", "_source:above", "http://a/b").modifier,
        Some(Modifier::Above)
    );
    assert!(matches!(
        err("Patient", "_profile:contains", "x"),
        QueryError::ModifierNotAllowed { .. }
    ));
}

#[test]
fn chains() {
    let f = one("Encounter", "subject:Patient.family", "x").unwrap();
    let Filter::Chain(chain) = f else {
        panic!("{f:?}")
    };
    assert_eq!(
        (chain.code.as_str(), chain.target_type.as_str()),
        ("subject", "Patient")
    );
    assert!(matches!(&*chain.filter, Filter::Condition(c) if c.code == "family"));
    // Unambiguous without the type: only Patient (of Group, Patient) has `family`.
    let Filter::Chain(chain) = one("Encounter", "subject.family", "x").unwrap() else {
        panic!()
    };
    assert_eq!(chain.target_type, "Patient");
    // Several levels, ending in a modifier.
    let f = one(
        "Encounter",
        "subject:Patient.organization.name:exact",
        "Acme",
    )
    .unwrap();
    let Filter::Chain(c1) = f else { panic!() };
    let Filter::Chain(c2) = *c1.filter else {
        panic!()
    };
    assert_eq!(
        (c2.code.as_str(), c2.target_type.as_str()),
        ("organization", "Organization")
    );
    assert!(
        matches!(&*c2.filter, Filter::Condition(c) if c.code == "name" && c.modifier == Some(Modifier::Exact))
    );
    // Ambiguous: both Group and Patient have `identifier`.
    assert!(matches!(
        err("Encounter", "subject.identifier", "1"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Encounter", "status.family", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Encounter", "subject:Patient.nope", "x"),
        QueryError::UnknownParameter { .. }
    ));
    assert!(matches!(
        err("Encounter", "subject:Location.name", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Encounter", "subject:Patient.family", "ge5,"),
        QueryError::InvalidValue { .. }
    ));
    let deep = "part-of.part-of.part-of.part-of.part-of.status";
    assert!(matches!(
        err("Encounter", deep, "x"),
        QueryError::InvalidChain { .. }
    ));
}

#[test]
fn reverse_chains() {
    let f = one(
        "Patient",
        "_has:Condition:subject:code",
        "http://snomed.info/sct|44054006",
    )
    .unwrap();
    let Filter::Has(has) = f else { panic!("{f:?}") };
    assert_eq!(
        (has.source_type.as_str(), has.reference_param.as_str()),
        ("Condition", "subject")
    );
    assert!(matches!(&*has.filter, Filter::Condition(c) if c.code == "code"));
    // Nested: patients with an encounter that some condition points at with code x.
    let f = one(
        "Patient",
        "_has:Encounter:subject:_has:Condition:encounter:code",
        "x",
    )
    .unwrap();
    let Filter::Has(outer) = f else { panic!() };
    let Filter::Has(inner) = &*outer.filter else {
        panic!()
    };
    assert_eq!(
        (inner.source_type.as_str(), inner.reference_param.as_str()),
        ("Condition", "encounter")
    );
    // `_has` ending in a chain.
    assert!(matches!(
        one(
            "Patient",
            "_has:Encounter:subject:service-provider.name",
            "x"
        ),
        Ok(Filter::Has(_))
    ));
    assert!(matches!(
        err("Patient", "_has:Condition:code:code", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Patient", "_has:Condition:encounter:code", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Patient", "_has:Nope:subject:code", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Patient", "_has:Condition:subject", "x"),
        QueryError::InvalidChain { .. }
    ));
    assert!(matches!(
        err("Patient", "_has", "x"),
        QueryError::NotSupported { .. }
    ));
    assert!(matches!(
        err("Patient", "_has:Condition:subject:nope", "x"),
        QueryError::UnknownParameter { .. }
    ));
}

#[test]
fn and_or_and_result_params() {
    let q = parse(
        "Patient",
        &[
            ("birthdate", "ge1980"),
            ("birthdate", "lt1990"),
            ("gender", "female,other"),
            ("_sort", "-birthdate,family,_lastUpdated"),
            ("_count", "50"),
            ("_summary", "count"),
            ("_elements", "name,birthDate"),
            ("_total", "accurate"),
            ("_contained", "both"),
            ("_containedType", "container"),
            ("_include", "Patient:organization"),
            ("_include:iterate", "Organization:partof:Organization"),
            ("_revinclude", "Condition:subject"),
            ("_revinclude:iterate", "*"),
            ("_format", "json"),
            ("_pretty", "true"),
        ],
    )
    .unwrap();
    assert_eq!(q.filters.len(), 3);
    assert!(matches!(&q.filters[2], Filter::Condition(c) if c.values.len() == 2));
    assert_eq!(
        q.sort,
        [
            SortKey {
                code: "birthdate".into(),
                part_codes: Vec::new(),
                param_type: SearchParamType::Date,
                descending: true
            },
            SortKey {
                code: "family".into(),
                part_codes: Vec::new(),
                param_type: SearchParamType::String,
                descending: false
            },
            SortKey {
                code: "_lastUpdated".into(),
                part_codes: Vec::new(),
                param_type: SearchParamType::Date,
                descending: false
            },
        ]
    );
    assert_eq!(q.count, 50);
    assert_eq!(
        (q.summary, q.total, q.contained, q.contained_type),
        (
            Some(Summary::Count),
            Some(Total::Accurate),
            Some(Contained::Both),
            Some(ContainedType::Container)
        )
    );
    assert_eq!(q.elements, ["name", "birthDate"]);
    assert_eq!(
        q.includes,
        [
            Include {
                source_type: "Patient".into(),
                param: Some("organization".into()),
                target_type: None,
                iterate: false
            },
            Include {
                source_type: "Organization".into(),
                param: Some("partof".into()),
                target_type: Some("Organization".into()),
                iterate: true,
            },
        ]
    );
    assert_eq!(
        q.revincludes,
        [
            Include {
                source_type: "Condition".into(),
                param: Some("subject".into()),
                target_type: None,
                iterate: false
            },
            Include {
                source_type: "Patient".into(),
                param: None,
                target_type: None,
                iterate: true
            },
        ]
    );
    assert!(q.ignored.is_empty());
    assert!(!q.to_query_string().contains("_format"));
}

#[test]
fn count_bounds_and_defaults() {
    assert_eq!(parse("Patient", &[]).unwrap().count, DEFAULT_COUNT);
    assert_eq!(parse("Patient", &[("_count", "0")]).unwrap().count, 0);
    assert_eq!(
        parse("Patient", &[("_count", "1000000")]).unwrap().count,
        MAX_COUNT
    );
    for bad in ["-1", "x", "1.5"] {
        assert!(
            matches!(
                err("Patient", "_count", bad),
                QueryError::InvalidValue { .. }
            ),
            "{bad}"
        );
    }
    let e = parse("Patient", &[("_count", "5"), ("_count", "6")]).unwrap_err();
    assert!(matches!(e, QueryError::Repeated { .. }));
}

#[test]
fn result_param_errors() {
    for (name, value) in [
        ("_sort", "nope"),
        ("_sort", "family,"),
        ("_summary", "maybe"),
        ("_total", "all"),
        ("_contained", "yes"),
        ("_containedType", "x"),
        ("_elements", "a b"),
        ("_include", "Patient"),
        ("_include", "Condition:subject"),
        ("_include", "Patient:family"),
        ("_include", "Patient:organization:Patient"),
        ("_include", "Nope:x"),
        ("_revinclude", "Condition:encounter"),
        ("_revinclude", "Condition:nope"),
    ] {
        assert!(
            matches!(err("Patient", name, value), QueryError::InvalidValue { .. }),
            "{name}={value}"
        );
    }
    assert!(matches!(
        err("Patient", "_include:deep", "Patient:organization"),
        QueryError::UnknownModifier { .. }
    ));
    assert!(matches!(
        err("Patient", "_count:x", "5"),
        QueryError::UnknownModifier { .. }
    ));
}

#[test]
fn strict_and_lenient() {
    let pairs = [
        ("family", "x"),
        ("nope", "1"),
        ("birthdate", "gt19x"),
        ("_text", "t"),
        ("_count", "10"),
    ];
    let e = parse("Patient", &pairs).unwrap_err();
    assert_eq!(
        e,
        QueryError::UnknownParameter {
            param: "nope".into(),
            resource_type: "Patient".into()
        }
    );
    let q = parse_query("Patient", pairs.iter().copied(), Handling::Lenient).unwrap();
    assert_eq!(q.filters.len(), 1);
    let ignored: Vec<_> = q
        .ignored
        .iter()
        .map(|i| (i.name.as_str(), i.reason.param()))
        .collect();
    assert_eq!(
        ignored,
        [
            ("nope", Some("nope")),
            ("birthdate", Some("birthdate")),
            ("_text", Some("_text"))
        ]
    );
    assert!(matches!(
        q.ignored[2].reason,
        QueryError::NotSupported { .. }
    ));
    assert_eq!(q.to_query_string(), "family=x&_count=10");
    for code in ["_content", "_query", "_list", "_filter"] {
        assert!(
            matches!(err("Patient", code, "x"), QueryError::NotSupported { .. }),
            "{code}"
        );
    }
    assert!(matches!(
        parse_query("Nope", [("a", "b")], Handling::Lenient),
        Err(QueryError::UnknownResourceType { .. })
    ));
}

#[test]
fn canonical_query_string() {
    let q = parse(
        "Encounter",
        &[
            ("subject:Patient.family", "Müller & Co"),
            ("date", "ge2024-01-01T00:00:00+01:00"),
            ("_count", "5000"),
        ],
    )
    .unwrap();
    assert_eq!(q.to_query_string(), "subject:Patient.family=M%C3%BCller%20%26%20Co&date=ge2024-01-01T00:00:00%2B01:00&_count=1000");
    assert_eq!(q.applied().len(), 3);
}

#[test]
fn every_patient_encounter_condition_param_parses() {
    let reg = crate::registry::registry().unwrap();
    for t in ["Patient", "Encounter", "Condition"] {
        for def in reg.params(t) {
            let value = match def.param_type {
                SearchParamType::String | SearchParamType::Token | SearchParamType::Uri => "x",
                SearchParamType::Date => "ge2020-01",
                SearchParamType::Number | SearchParamType::Quantity => "lt5.5",
                SearchParamType::Reference => "123",
                SearchParamType::Composite | SearchParamType::Special => continue,
            };
            let c = cond(t, &def.code, value);
            assert_eq!(c.param_type, def.param_type, "{t}.{}", def.code);
            let _ = cond(t, &format!("{}:missing", def.code), "true");
        }
    }
}

#[test]
fn prefer_header() {
    assert_eq!(Handling::from_prefer("handling=lenient"), Handling::Lenient);
    assert_eq!(
        Handling::from_prefer("return=minimal, handling=\"lenient\""),
        Handling::Lenient
    );
    assert_eq!(Handling::from_prefer("handling=strict"), Handling::Strict);
    assert_eq!(Handling::from_prefer(""), Handling::Strict);
    assert_eq!(Handling::default(), Handling::Strict);
}

#[test]
fn supported_modifiers_match_the_parser() {
    let reg = crate::registry::registry().unwrap();
    let all = [
        "missing",
        "exact",
        "contains",
        "not",
        "text",
        "identifier",
        "above",
        "below",
        "Patient",
    ];
    for t in ["Patient", "Encounter", "Condition"] {
        for def in reg.params(t) {
            if matches!(
                def.param_type,
                SearchParamType::Composite | SearchParamType::Special
            ) {
                continue;
            }
            let listed = supported_modifiers(def.param_type);
            for m in all {
                let value = if m == "missing" { "true" } else { "x" };
                let parsed = parse(t, &[(&format!("{}:{m}", def.code), value)]);
                let is_listed =
                    listed.contains(&m) || (m == "Patient" && listed.contains(&"[type]"));
                let refused_by_modifier = matches!(
                    parsed,
                    Err(QueryError::ModifierNotAllowed { .. } | QueryError::NotSupported { .. })
                );
                if is_listed {
                    // Listed modifiers are accepted (a reference may still refuse Patient as a target).
                    assert!(!refused_by_modifier, "{t}.{}:{m}: {parsed:?}", def.code);
                } else if m != "Patient" || def.param_type != SearchParamType::Reference {
                    assert!(parsed.is_err(), "{t}.{}:{m} should be refused", def.code);
                }
            }
        }
    }
}

#[test]
fn elements_are_base_element_names() {
    let base = |element| super::base_element_name("Patient", element);
    assert_eq!(base("name"), Some("name"));
    assert_eq!(base(" birthDate "), Some("birthDate"));
    assert_eq!(base("Patient.name"), Some("name"));
    for refused in [
        "name.family",
        "patient.name",
        "Encounter.status",
        "Patient.name.family",
        "",
        "Name",
        "a b",
    ] {
        assert_eq!(base(refused), None, "{refused:?}");
    }
}
