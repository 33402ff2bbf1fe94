//! The deterministic synthetic population: Patients with 2–10 Encounters and 1–5 Conditions
//! each, valid FHIR R4 (required bindings, con-3/con-4/con-5, a generated narrative for dom-6),
//! written as Bulk Data NDJSON and as transaction Bundles of at most 100 entries.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::BenchError;
use crate::rng::Rng;

/// The default seed: every published figure is measured on the data this seed makes.
pub const DEFAULT_SEED: u64 = 0x00C0_57D1_A4F1_2026;
/// Bump when the generated content changes, so cached data sets are regenerated.
pub const GENERATOR_VERSION: u32 = 1;
/// Entries per transaction Bundle (a patient and everything about them stay in one Bundle).
pub const BUNDLE_ENTRIES: usize = 100;

/// Data set sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// 1,000 patients (~10,000 resources): CI and quick checks.
    Small,
    /// 100,000 patients (~1,000,000 resources): measurement.
    Medium,
}

impl Size {
    pub fn patients(self) -> u64 {
        match self {
            Size::Small => 1_000,
            Size::Medium => 100_000,
        }
    }
}

/// One patient and everything recorded about them. References are `Type/id`.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    pub patient: Value,
    pub encounters: Vec<Value>,
    pub conditions: Vec<Value>,
}

impl PatientRecord {
    pub fn resources(&self) -> impl Iterator<Item = &Value> {
        std::iter::once(&self.patient)
            .chain(self.encounters.iter())
            .chain(self.conditions.iter())
    }

    pub fn len(&self) -> usize {
        1 + self.encounters.len() + self.conditions.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Family names: accents, apostrophes, particles, non-Latin-1 letters; `Smith` and `Müller`
/// are the ones the search workloads look for.
pub const FAMILIES: &[&str] = &[
    "Smith",
    "Müller",
    "O'Brien",
    "García",
    "Nguyễn",
    "D'Angelo",
    "Łukasiewicz",
    "Sørensen",
    "Johnson",
    "Dubois",
    "Kowalski",
    "Hernández",
    "O'Connor",
    "Van der Berg",
    "Novák",
    "Rossi",
    "Schäfer",
    "Öztürk",
    "Brown",
    "Lefèvre",
    "Jørgensen",
    "Williams",
    "Papadopoulos",
    "Kim",
    "Fernández",
    "Ó Súilleabháin",
    "Dvořák",
    "Mbeki",
    "Taylor",
    "Żółkiewski",
    "Martin",
    "Silva",
    "Nakamura",
    "Ibáñez",
    "McAllister",
    "D'Souza",
    "Björk",
    "Wilson",
    "Chen",
    "Álvarez",
];

const GIVEN_FEMALE: &[&str] = &[
    "Zoë",
    "Renée",
    "Ana",
    "María José",
    "Siobhán",
    "Chloé",
    "Ingrid",
    "Mei",
    "Ayşe",
    "Małgorzata",
    "Emma",
    "Olivia",
    "Léa",
    "Björg",
    "Noémie",
    "Grace",
    "Fatima",
    "Yuki",
    "Agnieszka",
    "Héloïse",
];
const GIVEN_MALE: &[&str] = &[
    "José",
    "François",
    "Liam",
    "Søren",
    "Jürgen",
    "Seán",
    "Thomas",
    "Ömer",
    "Wojciech",
    "Raúl",
    "Noah",
    "James",
    "Hiroshi",
    "Tomáš",
    "Łukasz",
    "André",
    "Mohammed",
    "Dmitrij",
    "Pádraig",
    "Ben",
];

/// (street, city, state, country, postal code prefix)
const PLACES: &[(&str, &str, Option<&str>, &str, &str)] = &[
    ("rue Saint-Denis", "Montréal", Some("QC"), "CA", "H2X"),
    ("Bahnhofstrasse", "Zürich", None, "CH", "80"),
    ("Rua Augusta", "São Paulo", Some("SP"), "BR", "01305"),
    ("O'Connell Street", "Dublin", None, "IE", "D01"),
    ("Beacon Street", "Boston", Some("MA"), "US", "021"),
    ("Maximilianstraße", "München", None, "DE", "80"),
    ("ulica Floriańska", "Kraków", None, "PL", "31-0"),
    ("rue de la République", "Lyon", None, "FR", "6900"),
    ("Phố Hàng Bạc", "Hà Nội", None, "VN", "100"),
    ("Evergreen Terrace", "Springfield", Some("IL"), "US", "627"),
];

/// (v3-ActCode code, display, minimum and maximum length in minutes)
const CLASSES: &[(&str, &str, i64, i64)] = &[
    ("AMB", "ambulatory", 15, 120),
    ("AMB", "ambulatory", 15, 120),
    ("AMB", "ambulatory", 15, 120),
    ("EMER", "emergency", 60, 720),
    ("IMP", "inpatient encounter", 1_440, 20_160),
    ("HH", "home health", 30, 90),
    ("VR", "virtual", 10, 40),
];

/// (SNOMED CT code, display, ICD-10-CM code, display, chronic)
pub const CONDITIONS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "44054006",
        "Diabetes mellitus type 2",
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        true,
    ),
    (
        "38341003",
        "Hypertensive disorder",
        "I10",
        "Essential (primary) hypertension",
        true,
    ),
    (
        "195967001",
        "Asthma",
        "J45.909",
        "Unspecified asthma, uncomplicated",
        true,
    ),
    (
        "233604007",
        "Pneumonia",
        "J18.9",
        "Pneumonia, unspecified organism",
        false,
    ),
    (
        "444814009",
        "Viral sinusitis",
        "J01.90",
        "Acute sinusitis, unspecified",
        false,
    ),
    (
        "10509002",
        "Acute bronchitis",
        "J20.9",
        "Acute bronchitis, unspecified",
        false,
    ),
    ("271737000", "Anemia", "D64.9", "Anemia, unspecified", false),
    (
        "55822004",
        "Hyperlipidemia",
        "E78.5",
        "Hyperlipidemia, unspecified",
        true,
    ),
    (
        "35489007",
        "Depressive disorder",
        "F32.9",
        "Major depressive disorder, single episode, unspecified",
        true,
    ),
    (
        "197480006",
        "Anxiety disorder",
        "F41.9",
        "Anxiety disorder, unspecified",
        true,
    ),
    (
        "65363002",
        "Otitis media",
        "H66.90",
        "Otitis media, unspecified, unspecified ear",
        false,
    ),
    (
        "43878008",
        "Streptococcal sore throat",
        "J02.0",
        "Streptococcal pharyngitis",
        false,
    ),
    (
        "49436004",
        "Atrial fibrillation",
        "I48.91",
        "Unspecified atrial fibrillation",
        true,
    ),
    (
        "161891005",
        "Backache",
        "M54.9",
        "Dorsalgia, unspecified",
        false,
    ),
];

const SNOMED: &str = "http://snomed.info/sct";
const ICD10: &str = "http://hl7.org/fhir/sid/icd-10-cm";

fn date(days_since_1925: i64) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(1925, 1, 1).unwrap_or_default();
    base.checked_add_days(Days::new(days_since_1925.max(0) as u64))
        .unwrap_or(base)
}

fn days_of(d: NaiveDate) -> i64 {
    let base = NaiveDate::from_ymd_opt(1925, 1, 1).unwrap_or_default();
    (d - base).num_days()
}

/// An instant `minutes` after 1925-01-01T00:00Z as a FHIR dateTime.
fn date_time(minutes: i64) -> String {
    let d = date(minutes / 1_440);
    let m = minutes.rem_euclid(1_440);
    format!("{}T{:02}:{:02}:00Z", d.format("%Y-%m-%d"), m / 60, m % 60)
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn narrative(text: &str) -> Value {
    json!({
        "status": "generated",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>", escape_xml(text))
    })
}

/// Ids of patient `n`'s resources (stable, so references resolve in NDJSON).
pub fn patient_id(n: u64) -> String {
    format!("p{n:07}")
}

/// The record of patient number `n` (0-based) for `seed`: depends on nothing else, so any
/// subset can be generated in any order or in parallel.
pub fn patient_record(seed: u64, n: u64) -> PatientRecord {
    let mut r = Rng::derive(seed, n);
    let pid = patient_id(n);
    // 2025-06-30 is "now" for the data set, so the output never depends on the clock.
    let today = days_of(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default());
    let birth = r.range(
        0,
        days_of(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()),
    );
    let female = r.chance(50);
    let gender = match r.below(100) {
        0 => "other",
        1 => "unknown",
        _ if female => "female",
        _ => "male",
    };
    let given_pool = if female { GIVEN_FEMALE } else { GIVEN_MALE };
    let family = *r.pick(FAMILIES);
    let mut given = vec![*r.pick(given_pool)];
    if r.chance(35) {
        given.push(*r.pick(given_pool));
    }
    let age_years = (today - birth) / 365;
    let deceased = age_years > 2 && r.chance(if age_years > 70 { 30 } else { 4 });
    let death = deceased.then(|| r.range(birth + 365, today - 1));
    let end_of_life = death.unwrap_or(today);

    let mut name = json!({"use": "official", "family": family, "given": given});
    if age_years >= 18 && r.chance(15) {
        name["prefix"] = json!([if female { "Dr." } else { "Mr." }]);
    }
    let mut names = vec![name];
    if female && age_years >= 20 && r.chance(20) {
        names.push(json!({"use": "maiden", "family": r.pick(FAMILIES), "given": given}));
    }
    let mut identifiers = vec![json!({
        "use": "usual",
        "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": "MR",
            "display": "Medical record number"
        }]},
        "system": "http://hospital.example.org/fhir/sid/mrn",
        "value": format!("MRN-{n:08}")
    })];
    if r.chance(60) {
        identifiers.push(json!({
            "use": "official",
            "system": "http://hl7.org/fhir/sid/us-ssn",
            "value": format!("999-{:02}-{:04}", r.range(10, 99), r.range(1000, 9999))
        }));
    }
    let mut telecom = vec![json!({
        "system": "phone",
        "value": format!("+1 555 {:03} {:04}", r.range(100, 999), r.range(0, 9999)),
        "use": if r.chance(60) { "mobile" } else { "home" }
    })];
    if r.chance(50) {
        telecom.push(
            json!({"system": "email", "value": format!("{pid}@mail.example.org"), "use": "home"}),
        );
    }
    let (street, city, state, country, postal) = *r.pick(PLACES);
    let mut address = json!({
        "use": "home",
        "type": "physical",
        "line": [format!("{} {street}", r.range(1, 250))],
        "city": city,
        "postalCode": format!("{postal}{:02}", r.range(0, 99)),
        "country": country
    });
    if let Some(state) = state {
        address["state"] = json!(state);
    }
    let marital = match (age_years, r.below(4)) {
        (0..=17, _) | (_, 0) => ("S", "Never Married"),
        (_, 1) => ("D", "Divorced"),
        (70.., 2) => ("W", "Widowed"),
        _ => ("M", "Married"),
    };
    let birth_date = date(birth).format("%Y-%m-%d").to_string();
    let full_name = format!("{} {family}", given.join(" "));
    let mut patient = Map::new();
    patient.insert("resourceType".into(), json!("Patient"));
    patient.insert("id".into(), json!(pid));
    patient.insert(
        "text".into(),
        narrative(&format!("{full_name}, {gender}, born {birth_date}")),
    );
    patient.insert("identifier".into(), json!(identifiers));
    patient.insert("active".into(), json!(true));
    patient.insert("name".into(), json!(names));
    patient.insert("telecom".into(), json!(telecom));
    patient.insert("gender".into(), json!(gender));
    patient.insert("birthDate".into(), json!(birth_date));
    if let Some(d) = death {
        if r.chance(80) {
            patient.insert(
                "deceasedDateTime".into(),
                json!(date_time(d * 1_440 + r.range(0, 1_439))),
            );
        } else {
            patient.insert("deceasedBoolean".into(), json!(true));
        }
    }
    patient.insert("address".into(), json!([address]));
    patient.insert(
        "maritalStatus".into(),
        json!({"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
            "code": marital.0,
            "display": marital.1
        }]}),
    );
    let subject = json!({"reference": format!("Patient/{pid}"), "display": full_name});

    // Encounters, oldest first, inside the patient's life (mostly this century).
    let first_day = birth.max(days_of(
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
    ));
    let first_day = if first_day >= end_of_life {
        birth
    } else {
        first_day
    };
    let count = r.range(2, 10) as usize;
    let mut starts: Vec<i64> = (0..count)
        .map(|_| r.range(first_day * 1_440, end_of_life * 1_440 - 1))
        .collect();
    starts.sort_unstable();
    let mut encounters = Vec::with_capacity(count);
    let mut encounter_spans = Vec::with_capacity(count);
    for (k, start) in starts.iter().copied().enumerate() {
        let (code, display, lo, hi) = *r.pick(CLASSES);
        let length = r.range(lo, hi);
        let end = (start + length).min(end_of_life * 1_440 + 1_439);
        let last = k + 1 == count;
        let status = if last && death.is_none() && r.chance(10) {
            "in-progress"
        } else if r.chance(3) {
            "cancelled"
        } else {
            "finished"
        };
        let mut period = json!({"start": date_time(start)});
        if status == "finished" {
            period["end"] = json!(date_time(end.max(start)));
        }
        let id = format!("{pid}-e{k}");
        encounters.push(json!({
            "resourceType": "Encounter",
            "id": id,
            "text": narrative(&format!("{display} encounter of {full_name} on {}", date_time(start))),
            "identifier": [{"system": "http://hospital.example.org/fhir/sid/visit", "value": format!("V-{n:08}-{k}")}],
            "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": code, "display": display},
            "type": [{"coding": [{"system": SNOMED, "code": "185349003", "display": "Encounter for check up"}]}],
            "subject": subject,
            "period": period
        }));
        encounter_spans.push((id, start, status));
    }

    // Conditions, each diagnosed at one of the patient's (not cancelled) encounters.
    let usable: Vec<&(String, i64, &str)> = encounter_spans
        .iter()
        .filter(|(_, _, s)| *s != "cancelled")
        .collect();
    let mut conditions = Vec::new();
    let count = r.range(1, 5);
    for k in 0..count {
        let (sct, sct_display, icd, icd_display, chronic) = *r.pick(CONDITIONS);
        let (encounter, onset) = match usable.get(r.below(usable.len().max(1) as u64) as usize) {
            Some((id, start, _)) => (Some(id.clone()), *start),
            None => (None, r.range(birth * 1_440, end_of_life * 1_440)),
        };
        let verification = match r.below(100) {
            0..=2 => "entered-in-error",
            3..=5 => "refuted",
            6..=12 => "provisional",
            13..=15 => "unconfirmed",
            16..=18 => "differential",
            _ => "confirmed",
        };
        let mut c = Map::new();
        c.insert("resourceType".into(), json!("Condition"));
        c.insert("id".into(), json!(format!("{pid}-c{k}")));
        c.insert(
            "text".into(),
            narrative(&format!("{sct_display} ({verification}) of {full_name}")),
        );
        // con-5: entered-in-error has no clinicalStatus; con-4: abated means inactive,
        // resolved or remission; con-3: problem-list items otherwise carry one.
        let mut abatement = None;
        let clinical = if verification == "entered-in-error" {
            None
        } else if verification == "refuted" {
            Some("inactive")
        } else if chronic {
            if r.chance(15) {
                abatement = Some(onset + r.range(30, 3_650) * 1_440);
                Some("remission")
            } else if r.chance(10) {
                Some("recurrence")
            } else {
                Some("active")
            }
        } else if r.chance(85) {
            abatement = Some(onset + r.range(3, 60) * 1_440);
            Some("resolved")
        } else {
            Some("active")
        };
        let abatement = abatement.filter(|a| *a < end_of_life * 1_440);
        let clinical = match (clinical, abatement) {
            // Abatement would fall after death or "now": not abated yet.
            (Some("resolved" | "remission"), None) => Some("active"),
            (c, _) => c,
        };
        if let Some(cs) = clinical {
            c.insert(
                "clinicalStatus".into(),
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": cs}]}),
            );
        }
        c.insert(
            "verificationStatus".into(),
            json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]}),
        );
        let category = if encounter.is_some() {
            ("encounter-diagnosis", "Encounter Diagnosis")
        } else {
            ("problem-list-item", "Problem List Item")
        };
        c.insert(
            "category".into(),
            json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": category.0, "display": category.1}]}]),
        );
        c.insert(
            "code".into(),
            json!({
                "coding": [
                    {"system": SNOMED, "code": sct, "display": sct_display},
                    {"system": ICD10, "code": icd, "display": icd_display}
                ],
                "text": sct_display
            }),
        );
        c.insert(
            "subject".into(),
            json!({"reference": format!("Patient/{pid}")}),
        );
        if let Some(e) = &encounter {
            c.insert(
                "encounter".into(),
                json!({"reference": format!("Encounter/{e}")}),
            );
        }
        c.insert("onsetDateTime".into(), json!(date_time(onset)));
        if let (Some(a), true) = (abatement, clinical.is_some()) {
            c.insert("abatementDateTime".into(), json!(date_time(a)));
        }
        c.insert(
            "recordedDate".into(),
            json!(date_time(onset + r.range(0, 120))),
        );
        conditions.push(Value::Object(c));
    }
    PatientRecord {
        patient: Value::Object(patient),
        encounters,
        conditions,
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The `urn:uuid:` a resource id gets in transaction Bundles (deterministic).
pub fn urn_for(seed: u64, id: &str) -> String {
    format!(
        "urn:uuid:{}",
        Rng::derive(seed ^ 0x5EED_B0DE, fnv1a(id)).uuid()
    )
}

fn rewrite_references(value: &mut Value, seed: u64) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "reference" {
                    if let Some(id) = v
                        .as_str()
                        .and_then(|s| s.split_once('/'))
                        .map(|(_, id)| id.to_string())
                    {
                        *v = json!(urn_for(seed, &id));
                    }
                } else {
                    rewrite_references(v, seed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_references(v, seed)),
        _ => {}
    }
}

/// A transaction Bundle creating these records (POST, `urn:uuid:` fullUrls and references).
pub fn transaction_bundle(seed: u64, records: &[PatientRecord]) -> Value {
    let mut entries = Vec::new();
    for record in records {
        for resource in record.resources() {
            let mut resource = resource.clone();
            let id = resource
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let kind = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(map) = resource.as_object_mut() {
                map.shift_remove("id");
            }
            rewrite_references(&mut resource, seed);
            entries.push(json!({
                "fullUrl": urn_for(seed, &id),
                "resource": resource,
                "request": {"method": "POST", "url": kind}
            }));
        }
    }
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

/// Groups consecutive records into Bundles of at most [`BUNDLE_ENTRIES`] entries.
pub fn bundle_groups(records: Vec<PatientRecord>) -> Vec<Vec<PatientRecord>> {
    let mut groups = Vec::new();
    let mut current: Vec<PatientRecord> = Vec::new();
    let mut entries = 0;
    for record in records {
        if entries + record.len() > BUNDLE_ENTRIES && !current.is_empty() {
            groups.push(std::mem::take(&mut current));
            entries = 0;
        }
        entries += record.len();
        current.push(record);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// What `generate` wrote.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Manifest {
    pub generator_version: u32,
    pub seed: u64,
    pub patients: u64,
    pub encounters: u64,
    pub conditions: u64,
    pub bundles: u64,
}

impl Manifest {
    pub fn resources(&self) -> u64 {
        self.patients + self.encounters + self.conditions
    }
}

/// NDJSON files of a data set directory, in load order.
pub fn ndjson_files(dir: &Path) -> Vec<PathBuf> {
    ["Patient", "Encounter", "Condition"]
        .iter()
        .map(|t| dir.join(format!("{t}.ndjson")))
        .collect()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `Patient.ndjson`, `Encounter.ndjson`, `Condition.ndjson`, `ids.txt` (every
/// `Type/id`), optionally `bundles/NNNNNN.json`, and `manifest.json` last (its presence with the
/// same seed, size and version means the directory is complete).
pub fn write_data_set(
    dir: &Path,
    seed: u64,
    patients: u64,
    bundles: bool,
) -> Result<Manifest, BenchError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let manifest_path = dir.join("manifest.json");
    let _ = std::fs::remove_file(&manifest_path);
    let open = |name: &str| -> Result<(PathBuf, std::io::BufWriter<std::fs::File>), BenchError> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).map_err(io_err(&path))?;
        Ok((path, std::io::BufWriter::with_capacity(1 << 20, file)))
    };
    let mut pat = open("Patient.ndjson")?;
    let mut enc = open("Encounter.ndjson")?;
    let mut con = open("Condition.ndjson")?;
    let mut ids = open("ids.txt")?;
    let bundle_dir = dir.join("bundles");
    if bundles {
        std::fs::create_dir_all(&bundle_dir).map_err(io_err(&bundle_dir))?;
    }
    let mut manifest = Manifest {
        generator_version: GENERATOR_VERSION,
        seed,
        patients,
        encounters: 0,
        conditions: 0,
        bundles: 0,
    };
    let mut pending = Vec::new();
    let mut pending_entries = 0;
    let flush =
        |pending: &mut Vec<PatientRecord>, manifest: &mut Manifest| -> Result<(), BenchError> {
            if pending.is_empty() {
                return Ok(());
            }
            manifest.bundles += 1;
            if bundles {
                let path = bundle_dir.join(format!("{:06}.json", manifest.bundles));
                let bytes = serde_json::to_vec(&transaction_bundle(seed, pending))?;
                std::fs::write(&path, bytes).map_err(io_err(&path))?;
            }
            pending.clear();
            Ok(())
        };
    for n in 0..patients {
        let record = patient_record(seed, n);
        let write = |(path, w): &mut (PathBuf, std::io::BufWriter<std::fs::File>),
                     v: &Value|
         -> Result<(), BenchError> {
            serde_json::to_writer(&mut *w, v)?;
            w.write_all(b"\n").map_err(io_err(path))
        };
        write(&mut pat, &record.patient)?;
        for e in &record.encounters {
            write(&mut enc, e)?;
        }
        for c in &record.conditions {
            write(&mut con, c)?;
        }
        for v in record.resources() {
            let line = format!(
                "{}/{}\n",
                v.get("resourceType")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                v.get("id").and_then(Value::as_str).unwrap_or_default()
            );
            ids.1.write_all(line.as_bytes()).map_err(io_err(&ids.0))?;
        }
        manifest.encounters += record.encounters.len() as u64;
        manifest.conditions += record.conditions.len() as u64;
        if pending_entries + record.len() > BUNDLE_ENTRIES {
            flush(&mut pending, &mut manifest)?;
            pending_entries = 0;
        }
        pending_entries += record.len();
        pending.push(record);
    }
    flush(&mut pending, &mut manifest)?;
    for (path, w) in [&mut pat, &mut enc, &mut con, &mut ids] {
        w.flush().map_err(io_err(path))?;
    }
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
        .map_err(io_err(&manifest_path))?;
    Ok(manifest)
}

/// The manifest of a complete data set made with these parameters, if `dir` holds one.
pub fn existing_data_set(dir: &Path, seed: u64, patients: u64) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join("manifest.json")).ok()?;
    let m: Manifest = serde_json::from_slice(&bytes).ok()?;
    (m.seed == seed && m.patients == patients && m.generator_version == GENERATOR_VERSION)
        .then_some(m)
}
