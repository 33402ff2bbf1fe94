//! A corpus of invalid resources, written for this crate: each must produce an issue with the
//! exact severity, FHIR issue-type code and FHIRPath expression given.

mod common;

use std::collections::HashSet;

use custodian_validation::{
    ReferenceResolver, ResolveError, Severity, ValidateOptions, ValidationError, Validator,
};
use serde_json::{json, Value};

const DIV: &str = "<div xmlns=\"http://www.w3.org/1999/xhtml\">text</div>";
const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const VER: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

/// Merges `extra` into a minimal valid resource of `ty`.
fn res(ty: &str, extra: Value) -> Value {
    let mut base = match ty {
        "Encounter" => json!({"resourceType": "Encounter", "id": "e1", "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}),
        "Condition" => {
            json!({"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}})
        }
        "Bundle" => json!({"resourceType": "Bundle", "id": "b1", "type": "collection"}),
        _ => json!({"resourceType": ty, "id": "p1"}),
    };
    if ty != "Bundle" {
        base["text"] = json!({"status": "generated", "div": DIV});
    }
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                base.remove(k);
            } else {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

fn pat(extra: Value) -> Value {
    res("Patient", extra)
}

#[derive(Clone, Copy, PartialEq)]
enum Opts {
    Default,
    Resolver,
}

struct Case {
    name: &'static str,
    resource: Value,
    severity: Severity,
    code: &'static str,
    expression: &'static str,
    opts: Opts,
}

fn err(name: &'static str, resource: Value, code: &'static str, expression: &'static str) -> Case {
    Case {
        name,
        resource,
        severity: Severity::Error,
        code,
        expression,
        opts: Opts::Default,
    }
}

fn warn(name: &'static str, resource: Value, code: &'static str, expression: &'static str) -> Case {
    Case {
        name,
        resource,
        severity: Severity::Warning,
        code,
        expression,
        opts: Opts::Default,
    }
}

fn cases() -> Vec<Case> {
    let cc = |system: &str, code: &str| json!({"coding": [{"system": system, "code": code}]});
    let tx_entry = |resource: Value| json!({"fullUrl": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", "resource": resource, "request": {"method": "POST", "url": "Patient"}});
    let mut resolver_case = err(
        "referenced Patient does not exist",
        res(
            "Condition",
            json!({"subject": {"reference": "Patient/missing"}}),
        ),
        "not-found",
        "Condition.subject.reference",
    );
    resolver_case.opts = Opts::Resolver;
    vec![
        // cardinality and structure
        err(
            "Encounter without status",
            res("Encounter", json!({"status": null})),
            "required",
            "Encounter.status",
        ),
        err(
            "Encounter without class",
            res("Encounter", json!({"class": null})),
            "required",
            "Encounter.class",
        ),
        err(
            "Condition without subject",
            res("Condition", json!({"subject": null})),
            "required",
            "Condition.subject",
        ),
        err(
            "unknown element",
            pat(json!({"foo": 1})),
            "structure",
            "Patient.foo",
        ),
        err(
            "unknown element in a datatype",
            pat(json!({"name": [{"foo": "x"}]})),
            "structure",
            "Patient.name[0].foo",
        ),
        err(
            "single value given as array",
            pat(json!({"gender": ["male"]})),
            "structure",
            "Patient.gender",
        ),
        err(
            "array given as object",
            pat(json!({"name": {"family": "X"}})),
            "structure",
            "Patient.name",
        ),
        err(
            "string primitive given a number",
            pat(json!({"name": [{"given": [1]}]})),
            "structure",
            "Patient.name[0].given[0]",
        ),
        err(
            "boolean given as string",
            pat(json!({"active": "true"})),
            "structure",
            "Patient.active",
        ),
        err(
            "integer choice given as string",
            pat(json!({"multipleBirthInteger": "3"})),
            "structure",
            "Patient.multipleBirth.ofType(integer)",
        ),
        err(
            "two variants of a choice",
            pat(json!({"deceasedBoolean": true, "deceasedDateTime": "2020"})),
            "structure",
            "Patient.deceased",
        ),
        err(
            "empty array",
            pat(json!({"name": []})),
            "structure",
            "Patient.name",
        ),
        err(
            "empty object (ele-1)",
            pat(json!({"name": [{}]})),
            "invariant",
            "Patient.name[0]",
        ),
        err(
            "empty string",
            pat(json!({"birthDate": ""})),
            "value",
            "Patient.birthDate",
        ),
        err(
            "invalid id",
            pat(json!({"id": "a b"})),
            "value",
            "Patient.id",
        ),
        err(
            "negative unsignedInt",
            pat(json!({"photo": [{"contentType": "image/png", "size": -1}]})),
            "value",
            "Patient.photo[0].size",
        ),
        err(
            "null array item without extension",
            pat(json!({"name": [{"given": ["a", null]}]})),
            "structure",
            "Patient.name[0].given[1]",
        ),
        err(
            "primitive extension not an object",
            pat(json!({"birthDate": "2000", "_birthDate": "x"})),
            "structure",
            "Patient.birthDate",
        ),
        err(
            "Patient.link without other",
            pat(json!({"link": [{"type": "seealso"}]})),
            "required",
            "Patient.link[0].other",
        ),
        err(
            "Patient.link without type",
            pat(json!({"link": [{"other": {"reference": "Patient/p2"}}]})),
            "required",
            "Patient.link[0].type",
        ),
        err(
            "communication without language",
            pat(json!({"communication": [{"preferred": true}]})),
            "required",
            "Patient.communication[0].language",
        ),
        err(
            "statusHistory without period",
            res(
                "Encounter",
                json!({"statusHistory": [{"status": "planned"}]}),
            ),
            "required",
            "Encounter.statusHistory[0].period",
        ),
        err(
            "classHistory without class",
            res(
                "Encounter",
                json!({"classHistory": [{"period": {"start": "2020"}}]}),
            ),
            "required",
            "Encounter.classHistory[0].class",
        ),
        err(
            "diagnosis without condition",
            res("Encounter", json!({"diagnosis": [{"rank": 1}]})),
            "required",
            "Encounter.diagnosis[0].condition",
        ),
        err(
            "location without location",
            res("Encounter", json!({"location": [{"status": "active"}]})),
            "required",
            "Encounter.location[0].location",
        ),
        err(
            "extension without url",
            pat(json!({"extension": [{"valueString": "x"}]})),
            "required",
            "Patient.extension[0].url",
        ),
        err(
            "contained resource checked too",
            pat(
                json!({"contained": [{"resourceType": "Patient", "id": "c", "gender": "m"}], "link": [{"other": {"reference": "#c"}, "type": "seealso"}]}),
            ),
            "code-invalid",
            "Patient.contained[0].gender",
        ),
        err(
            "unknown resource type",
            json!({"resourceType": "Foo"}),
            "structure",
            "Foo",
        ),
        err(
            "Bundle without type",
            res("Bundle", json!({"type": null})),
            "required",
            "Bundle.type",
        ),
        // bindings
        err(
            "gender not in value set",
            pat(json!({"gender": "mal"})),
            "code-invalid",
            "Patient.gender",
        ),
        err(
            "Encounter.status not in value set",
            res("Encounter", json!({"status": "done"})),
            "code-invalid",
            "Encounter.status",
        ),
        err(
            "clinicalStatus not in value set",
            res(
                "Condition",
                json!({"clinicalStatus": cc(CLINICAL, "bogus")}),
            ),
            "code-invalid",
            "Condition.clinicalStatus",
        ),
        err(
            "verificationStatus not in value set",
            res("Condition", json!({"verificationStatus": cc(VER, "maybe")})),
            "code-invalid",
            "Condition.verificationStatus",
        ),
        err(
            "Identifier.use",
            pat(json!({"identifier": [{"use": "primary", "value": "1"}]})),
            "code-invalid",
            "Patient.identifier[0].use",
        ),
        err(
            "HumanName.use",
            pat(json!({"name": [{"use": "nick", "family": "X"}]})),
            "code-invalid",
            "Patient.name[0].use",
        ),
        err(
            "ContactPoint.system",
            pat(json!({"telecom": [{"system": "fax2", "value": "1"}]})),
            "code-invalid",
            "Patient.telecom[0].system",
        ),
        err(
            "ContactPoint.use",
            pat(json!({"telecom": [{"system": "phone", "use": "cell", "value": "1"}]})),
            "code-invalid",
            "Patient.telecom[0].use",
        ),
        err(
            "Address.use",
            pat(json!({"address": [{"use": "house", "city": "X"}]})),
            "code-invalid",
            "Patient.address[0].use",
        ),
        err(
            "Address.type",
            pat(json!({"address": [{"type": "mail", "city": "X"}]})),
            "code-invalid",
            "Patient.address[0].type",
        ),
        err(
            "Narrative.status",
            pat(json!({"text": {"status": "made-up", "div": DIV}})),
            "code-invalid",
            "Patient.text.status",
        ),
        err(
            "contact gender",
            pat(json!({"contact": [{"gender": "x", "name": {"family": "Y"}}]})),
            "code-invalid",
            "Patient.contact[0].gender",
        ),
        err(
            "link type",
            pat(json!({"link": [{"other": {"reference": "Patient/p2"}, "type": "friend"}]})),
            "code-invalid",
            "Patient.link[0].type",
        ),
        err(
            "Quantity.comparator",
            res(
                "Condition",
                json!({"onsetAge": {"value": 5, "comparator": "<<", "system": "http://unitsofmeasure.org", "code": "a"}}),
            ),
            "code-invalid",
            "Condition.onset.ofType(Age).comparator",
        ),
        err(
            "Bundle.entry.request.method",
            res(
                "Bundle",
                json!({"type": "transaction", "entry": [{"request": {"method": "FETCH", "url": "Patient"}}]}),
            ),
            "code-invalid",
            "Bundle.entry[0].request.method",
        ),
        err(
            "coding without any code from the required value set",
            res("Condition", json!({"clinicalStatus": {"text": "active"}})),
            "code-invalid",
            "Condition.clinicalStatus",
        ),
        warn(
            "extensible Encounter.class with unknown ActCode",
            res(
                "Encounter",
                json!({"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "XYZ"}}),
            ),
            "code-invalid",
            "Encounter.class",
        ),
        warn(
            "extensible maritalStatus with unknown code",
            pat(
                json!({"maritalStatus": cc("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "Q")}),
            ),
            "code-invalid",
            "Patient.maritalStatus",
        ),
        // invariants
        err(
            "pat-1",
            pat(json!({"contact": [{"gender": "male"}]})),
            "invariant",
            "Patient.contact[0]",
        ),
        err(
            "con-1",
            res("Condition", json!({"stage": [{"type": {"text": "x"}}]})),
            "invariant",
            "Condition.stage[0]",
        ),
        err(
            "con-2",
            res(
                "Condition",
                json!({"evidence": [{"extension": [{"url": "http://x", "valueString": "a"}]}]}),
            ),
            "invariant",
            "Condition.evidence[0]",
        ),
        warn(
            "con-3",
            res(
                "Condition",
                json!({"category": [cc("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")]}),
            ),
            "invariant",
            "Condition",
        ),
        err(
            "con-4",
            res(
                "Condition",
                json!({"abatementDateTime": "2020", "clinicalStatus": cc(CLINICAL, "active")}),
            ),
            "invariant",
            "Condition",
        ),
        err(
            "con-5",
            res(
                "Condition",
                json!({"verificationStatus": cc(VER, "entered-in-error"), "clinicalStatus": cc(CLINICAL, "active")}),
            ),
            "invariant",
            "Condition",
        ),
        err(
            "ext-1 value and extensions",
            pat(
                json!({"extension": [{"url": "http://x", "valueString": "a", "extension": [{"url": "y", "valueString": "b"}]}]}),
            ),
            "invariant",
            "Patient.extension[0]",
        ),
        err(
            "ext-1 on a primitive's extension",
            pat(json!({"_birthDate": {"extension": [{"url": "http://x"}]}})),
            "invariant",
            "Patient.birthDate.extension[0]",
        ),
        err(
            "per-1 in a datatype",
            pat(
                json!({"identifier": [{"value": "1", "period": {"start": "2020-02-01", "end": "2020-01-01"}}]}),
            ),
            "invariant",
            "Patient.identifier[0].period",
        ),
        err(
            "per-1 on Encounter.period",
            res(
                "Encounter",
                json!({"period": {"start": "2020-01-02T10:00:00Z", "end": "2020-01-02T09:00:00Z"}}),
            ),
            "invariant",
            "Encounter.period",
        ),
        err(
            "cpt-2",
            pat(json!({"telecom": [{"value": "555"}]})),
            "invariant",
            "Patient.telecom[0]",
        ),
        err(
            "att-1",
            pat(json!({"photo": [{"data": "AAAA"}]})),
            "invariant",
            "Patient.photo[0]",
        ),
        err(
            "qty-3",
            res(
                "Condition",
                json!({"abatementAge": {"value": 5, "code": "a"}, "clinicalStatus": cc(CLINICAL, "resolved")}),
            ),
            "invariant",
            "Condition.abatement.ofType(Age)",
        ),
        err(
            "rng-2",
            res(
                "Condition",
                json!({"onsetRange": {"low": {"value": 9}, "high": {"value": 2}}}),
            ),
            "invariant",
            "Condition.onset.ofType(Range)",
        ),
        err(
            "sqty-1",
            res(
                "Condition",
                json!({"onsetRange": {"low": {"value": 1, "comparator": "<"}}}),
            ),
            "invariant",
            "Condition.onset.ofType(Range).low",
        ),
        err(
            "dom-2",
            pat(
                json!({"contained": [{"resourceType": "Patient", "id": "c", "contained": [{"resourceType": "Patient", "id": "d"}]}], "link": [{"other": {"reference": "#c"}, "type": "seealso"}]}),
            ),
            "invariant",
            "Patient.contained[0]",
        ),
        err(
            "dom-3",
            pat(json!({"contained": [{"resourceType": "Patient", "id": "c"}]})),
            "invariant",
            "Patient.contained[0]",
        ),
        err(
            "dom-4",
            pat(
                json!({"contained": [{"resourceType": "Patient", "id": "c", "meta": {"versionId": "1"}}], "link": [{"other": {"reference": "#c"}, "type": "seealso"}]}),
            ),
            "invariant",
            "Patient.contained[0]",
        ),
        err(
            "dom-5",
            pat(
                json!({"contained": [{"resourceType": "Patient", "id": "c", "meta": {"security": [{"code": "R"}]}}], "link": [{"other": {"reference": "#c"}, "type": "seealso"}]}),
            ),
            "invariant",
            "Patient.contained[0]",
        ),
        warn("dom-6", pat(json!({"text": null})), "invariant", "Patient"),
        err(
            "ref-1",
            pat(json!({"managingOrganization": {"reference": "#org"}})),
            "invariant",
            "Patient.managingOrganization",
        ),
        // references
        err(
            "reference without id",
            pat(json!({"managingOrganization": {"reference": "Organization"}})),
            "value",
            "Patient.managingOrganization.reference",
        ),
        err(
            "reference to an unknown type",
            pat(json!({"managingOrganization": {"reference": "Foo/1"}})),
            "value",
            "Patient.managingOrganization.reference",
        ),
        err(
            "reference to a type not allowed",
            pat(json!({"managingOrganization": {"reference": "Patient/1"}})),
            "business-rule",
            "Patient.managingOrganization.reference",
        ),
        err(
            "Condition.subject to a Practitioner",
            res(
                "Condition",
                json!({"subject": {"reference": "Practitioner/1"}}),
            ),
            "business-rule",
            "Condition.subject.reference",
        ),
        err(
            "participant individual to a Patient",
            res(
                "Encounter",
                json!({"participant": [{"individual": {"reference": "Patient/1"}}]}),
            ),
            "business-rule",
            "Encounter.participant[0].individual.reference",
        ),
        err(
            "contained reference to a type not allowed",
            pat(
                json!({"contained": [{"resourceType": "Patient", "id": "c"}], "managingOrganization": {"reference": "#c"}}),
            ),
            "business-rule",
            "Patient.managingOrganization.reference",
        ),
        err(
            "urn:uuid outside a bundle",
            pat(
                json!({"generalPractitioner": [{"reference": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"}]}),
            ),
            "value",
            "Patient.generalPractitioner[0].reference",
        ),
        err(
            "urn:uuid not resolved inside the bundle",
            res(
                "Bundle",
                json!({"type": "transaction", "entry": [tx_entry(res("Condition", json!({"subject": {"reference": "urn:uuid:11111111-1cbf-4d64-b04d-cd9187a4c6e0"}})))]}),
            ),
            "not-found",
            "Bundle.entry[0].resource.subject.reference",
        ),
        resolver_case,
        // narrative
        err(
            "narrative with a script",
            pat(
                json!({"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script>x</div>"}}),
            ),
            "invariant",
            "Patient.text.div",
        ),
        err(
            "narrative without namespace",
            pat(json!({"text": {"status": "generated", "div": "<div>x</div>"}})),
            "invariant",
            "Patient.text.div",
        ),
        err(
            "narrative with an event attribute",
            pat(
                json!({"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onmouseover=\"x()\">x</p></div>"}}),
            ),
            "invariant",
            "Patient.text.div",
        ),
        err(
            "narrative not well-formed",
            pat(
                json!({"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</div>"}}),
            ),
            "invariant",
            "Patient.text.div",
        ),
        err(
            "narrative with an iframe",
            pat(
                json!({"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><iframe src=\"http://x\"/>x</div>"}}),
            ),
            "invariant",
            "Patient.text.div",
        ),
        err(
            "narrative without content",
            pat(
                json!({"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"> </div>"}}),
            ),
            "invariant",
            "Patient.text.div",
        ),
        // profiles
        warn(
            "unknown profile",
            pat(
                json!({"meta": {"profile": ["http://example.org/StructureDefinition/my-patient"]}}),
            ),
            "not-supported",
            "Patient.meta.profile[0]",
        ),
        // bundles
        err(
            "bdl-1",
            res("Bundle", json!({"total": 1})),
            "invariant",
            "Bundle",
        ),
        err(
            "bdl-2",
            res(
                "Bundle",
                json!({"entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({})), "search": {"mode": "match"}}]}),
            ),
            "invariant",
            "Bundle.entry[0].search",
        ),
        err(
            "bdl-3",
            res(
                "Bundle",
                json!({"type": "transaction", "entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle.entry[0]",
        ),
        err(
            "bdl-4",
            res(
                "Bundle",
                json!({"type": "transaction-response", "entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle.entry[0]",
        ),
        err(
            "bdl-5",
            res(
                "Bundle",
                json!({"entry": [{"fullUrl": "http://x/Patient/p1"}]}),
            ),
            "invariant",
            "Bundle.entry[0]",
        ),
        err(
            "bdl-7",
            res(
                "Bundle",
                json!({"entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}, {"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle.entry[1]",
        ),
        err(
            "bdl-8",
            res(
                "Bundle",
                json!({"entry": [{"fullUrl": "http://x/Patient/p1/_history/1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle.entry[0]",
        ),
        err(
            "bdl-9",
            res(
                "Bundle",
                json!({"type": "document", "timestamp": "2020-01-01T00:00:00Z"}),
            ),
            "invariant",
            "Bundle",
        ),
        err(
            "bdl-10",
            res(
                "Bundle",
                json!({"type": "document", "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"}}),
            ),
            "invariant",
            "Bundle",
        ),
        err(
            "bdl-11",
            res(
                "Bundle",
                json!({"type": "document", "entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle",
        ),
        err(
            "bdl-12",
            res(
                "Bundle",
                json!({"type": "message", "entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({}))}]}),
            ),
            "invariant",
            "Bundle",
        ),
        // other types and datatypes, reached generically
        err(
            "inv-1 parameter with a value and a resource",
            json!({"resourceType": "Parameters", "parameter": [{"name": "x", "valueString": "a", "resource": pat(json!({}))}]}),
            "invariant",
            "Parameters.parameter[0]",
        ),
        err(
            "CapabilityStatement without status",
            json!({"resourceType": "CapabilityStatement", "text": {"status": "generated", "div": DIV}, "date": "2020", "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"], "implementation": {"description": "x"}, "rest": [{"mode": "server"}]}),
            "required",
            "CapabilityStatement.status",
        ),
        err(
            "tim-1 in an extension's Timing",
            pat(
                json!({"extension": [{"url": "http://x", "valueTiming": {"repeat": {"duration": 1}}}]}),
            ),
            "invariant",
            "Patient.extension[0].value.ofType(Timing).repeat",
        ),
        err(
            "rat-1 in an extension's Ratio",
            pat(
                json!({"extension": [{"url": "http://x", "valueRatio": {"numerator": {"value": 1}}}]}),
            ),
            "invariant",
            "Patient.extension[0].value.ofType(Ratio)",
        ),
        err(
            "Bundle.link without url",
            res("Bundle", json!({"link": [{"relation": "self"}]})),
            "required",
            "Bundle.link[0].url",
        ),
        err(
            "Bundle.entry.link (a contentReference) without relation",
            res(
                "Bundle",
                json!({"entry": [{"fullUrl": "http://x/Patient/p1", "resource": pat(json!({})), "link": [{"url": "http://x"}]}]}),
            ),
            "required",
            "Bundle.entry[0].link[0].relation",
        ),
        err(
            "comparator of an extension's Quantity",
            pat(
                json!({"extension": [{"url": "http://x", "valueQuantity": {"value": 1, "comparator": "~"}}]}),
            ),
            "code-invalid",
            "Patient.extension[0].value.ofType(Quantity).comparator",
        ),
        err(
            "error inside a bundle entry",
            res(
                "Bundle",
                json!({"type": "transaction", "entry": [tx_entry(pat(json!({"gender": "x"})))]}),
            ),
            "code-invalid",
            "Bundle.entry[0].resource.gender",
        ),
    ]
}

/// Knows `Patient/p1` only.
struct OnePatient;

impl ReferenceResolver for OnePatient {
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        Ok(resource_type == "Patient" && id == "p1")
    }
}

#[test]
fn every_invalid_resource_gives_the_expected_issue() -> Result<(), ValidationError> {
    let validator = Validator::new()?;
    let cases = cases();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
        let resolver = OnePatient;
        let opts = match case.opts {
            Opts::Default => ValidateOptions::default(),
            Opts::Resolver => ValidateOptions::default().with_resolver(&resolver),
        };
        let report = validator.validate(&case.resource, &opts);
        let found = report.issues.iter().any(|i| {
            i.severity == case.severity
                && i.code.code() == case.code
                && i.expression == case.expression
        });
        if !found {
            let got: Vec<String> = report
                .issues
                .iter()
                .map(|i| {
                    format!(
                        "{} {} @ {}: {}",
                        i.severity.code(),
                        i.code.code(),
                        i.expression,
                        i.diagnostics
                    )
                })
                .collect();
            failures.push(format!(
                "{}: expected {} {} @ {}, got:\n    {}",
                case.name,
                case.severity.code(),
                case.code,
                case.expression,
                got.join("\n    ")
            ));
        }
        if case.severity == Severity::Warning {
            assert!(
                !report.has_errors(),
                "{}: a warning case must not error:\n{}",
                case.name,
                common::describe(&report)
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn the_minimal_resources_of_the_corpus_are_valid() -> Result<(), ValidationError> {
    let validator = Validator::new()?;
    for ty in ["Patient", "Encounter", "Condition", "Bundle"] {
        let report = validator.validate(&res(ty, json!({})), &ValidateOptions::default());
        assert!(report.issues.is_empty(), "{ty}:\n{:?}", report.issues);
    }
    Ok(())
}
