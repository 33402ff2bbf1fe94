//! Search: the query parsed against the official parameter definitions, run by the store,
//! answered as a `searchset` Bundle with paging links (search.html).

use super::bundle::{BundleWriter, Entry};
use super::error::FhirError;
use super::history::encode;
use super::subset::Subset;
use super::{Fhir, RequestContext};
use custodian_search::query::{
    parse_query_with, parse_system_query_with, Compartment, Condition, Filter, Handling, Modifier,
    QueryError, SearchQuery, SearchValue, Summary, TokenSystem,
};
use custodian_search::registry::SearchParamType;
use custodian_store::{IncludeCut, PageRequest, SearchResult, StoreError, Tx};
use serde_json::{json, Value};

/// The most codes `:in`/`:not-in`/`:above`/`:below` may expand to in one search, all
/// together (each is one bound OR'ed value).
const MAX_VALUE_SET_CODES: usize = 500;

/// Parameters that shape the HTTP answer, not the search: they never reach the parser.
const NOT_SEARCH: &[&str] = &["_format", "_pretty", "_cursor"];

/// A search parsed and checked against the parameter definitions, ready to run on the store
/// or inside a write transaction (a transaction Bundle's search entries), then to render.
pub(crate) struct SearchPlan {
    /// Where the links point: `[base]/Encounter` or `[base]/Patient/123/Encounter`.
    path: String,
    query: SearchQuery,
    /// The applied parameters, for the links.
    applied: String,
    cursor: Option<String>,
    /// Parameters that `Prefer: handling=lenient` dropped.
    outcome: Option<Value>,
    /// Run inside a write transaction (a transaction Bundle's search entry).
    in_transaction: bool,
}

/// What the store found for a [`SearchPlan`].
pub(crate) enum Found {
    Count(u64),
    Page(SearchResult),
}

impl SearchPlan {
    /// Runs the search inside `tx`, seeing that transaction's own writes.
    pub(crate) fn run_in(&self, tx: &mut Tx<'_>) -> Result<Found, StoreError> {
        if self.query.summary == Some(Summary::Count) {
            return Ok(Found::Count(tx.search_count(&self.query)?));
        }
        Ok(Found::Page(tx.search(&self.query, &self.page())?))
    }

    /// The page this search asks for (its `_cursor`).
    fn page(&self) -> PageRequest {
        PageRequest {
            cursor: self.cursor.clone(),
        }
    }
}

impl Fhir {
    /// `GET [base]/[type]?...` and `POST [base]/[type]/_search`.
    pub fn search(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        params: &[(String, String)],
        handling: Handling,
    ) -> Result<String, FhirError> {
        let plan = self.plan_search(ctx, resource_type, params, handling)?;
        let found = self.run_search(&plan)?;
        self.render_search(ctx, &plan, found)
    }

    /// `GET [base]/Patient/123/Encounter?...`: a search of the type within the compartment of
    /// one resource (compartmentdefinition.html), by the official CompartmentDefinition.
    pub fn search_compartment(
        &self,
        ctx: &RequestContext,
        compartment: (&str, &str),
        resource_type: &str,
        params: &[(String, String)],
        handling: Handling,
    ) -> Result<String, FhirError> {
        let (compartment_type, id) = compartment;
        self.check_type(compartment_type)?;
        if !custodian_search::compartment::is_compartment(compartment_type) {
            return Err(FhirError::NotSupported(format!(
                "{compartment_type} is not a compartment (Patient is)"
            )));
        }
        custodian_store::validate_id(id).map_err(FhirError::from)?;
        let mut plan = self.plan_search(ctx, resource_type, params, handling)?;
        let params =
            custodian_search::compartment::compartment_params(compartment_type, resource_type)
                .ok_or_else(|| {
                    FhirError::bad_request(format!(
                        "{resource_type} resources are never in a {compartment_type} compartment"
                    ))
                })?;
        plan.query.filters.push(Filter::Compartment(Compartment {
            compartment_type: compartment_type.to_owned(),
            id: id.to_owned(),
            params: params.to_vec(),
        }));
        check_cost(&plan.query)?;
        plan.path = format!("{}/{compartment_type}/{id}/{resource_type}", ctx.base_url);
        let found = self.run_search(&plan)?;
        self.render_search(ctx, &plan, found)
    }

    /// `GET [base]?_type=Encounter,Condition&...` and `POST [base]/_search`: a search over
    /// several served types (every one without `_type`) with the parameters common to them.
    pub fn search_system(
        &self,
        ctx: &RequestContext,
        params: &[(String, String)],
        handling: Handling,
    ) -> Result<String, FhirError> {
        let plan = self.plan_system_search(ctx, params, handling)?;
        let found = self.run_search(&plan)?;
        self.render_search(ctx, &plan, found)
    }

    /// Parses and checks a system search (see [`Fhir::plan_search`]).
    pub(crate) fn plan_system_search(
        &self,
        ctx: &RequestContext,
        params: &[(String, String)],
        handling: Handling,
    ) -> Result<SearchPlan, FhirError> {
        let served: Vec<&str> = self.supported_types().collect();
        let (cursor, pairs) = search_pairs(params)?;
        let query = parse_system_query_with(self.registry, &served, pairs, handling).map_err(
            |e| match e {
                // A `_type` value, not a path: the request is malformed, not aimed at nothing.
                QueryError::UnknownResourceType { resource_type } => FhirError::bad_request_at(
                    format!("_type: {resource_type} is not a resource type this server serves"),
                    "_type",
                ),
                other => query_error(other),
            },
        )?;
        let mut query = query;
        localize_references(&mut query.filters, &ctx.base_url);
        self.finish_plan(query, ctx.base_url.clone(), cursor)
    }

    /// Runs a planned search on the store (its own read snapshot).
    pub(crate) fn run_search(&self, plan: &SearchPlan) -> Result<Found, FhirError> {
        if plan.query.summary == Some(Summary::Count) {
            return Ok(Found::Count(self.store.count(&plan.query)?));
        }
        Ok(Found::Page(self.store.search(&plan.query, &plan.page())?))
    }

    /// Parses and checks a search: every error a search can have for its parameters is
    /// found here, before anything runs.
    pub(crate) fn plan_search(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        params: &[(String, String)],
        handling: Handling,
    ) -> Result<SearchPlan, FhirError> {
        self.check_type(resource_type)?;
        let (cursor, pairs) = search_pairs(params)?;
        let mut query =
            parse_query_with(self.registry, resource_type, pairs, handling).map_err(query_error)?;
        localize_references(&mut query.filters, &ctx.base_url);
        self.finish_plan(query, format!("{}/{resource_type}", ctx.base_url), cursor)
    }

    /// A parsed query made ready to run: its cost checked, its terminology expanded.
    fn finish_plan(
        &self,
        mut query: SearchQuery,
        path: String,
        cursor: Option<String>,
    ) -> Result<SearchPlan, FhirError> {
        check_cost(&query)?;
        self.expand_terminology(&mut query)?;
        self.imply_code_systems(&mut query);
        let applied = query.to_query_string();
        let outcome = lenient_outcome(&query);
        Ok(SearchPlan {
            path,
            query,
            applied,
            cursor,
            outcome,
            in_transaction: false,
        })
    }

    /// A planned search to run inside a write transaction: checked now for every error that
    /// does not depend on the data (a forged cursor, a filter or sort the store cannot run),
    /// so that none surfaces after the transaction's writes.
    pub(crate) fn for_transaction(&self, mut plan: SearchPlan) -> Result<SearchPlan, FhirError> {
        self.store.check_search(&plan.query, &plan.page())?;
        plan.in_transaction = true;
        Ok(plan)
    }

    /// The `searchset` Bundle of what a planned search found.
    pub(crate) fn render_search(
        &self,
        ctx: &RequestContext,
        plan: &SearchPlan,
        found: Found,
    ) -> Result<String, FhirError> {
        let SearchPlan {
            path,
            query,
            applied,
            cursor,
            outcome,
            in_transaction,
        } = plan;
        let link = |cursor: Option<&str>| {
            let mut url = path.clone();
            let mut sep = '?';
            if !applied.is_empty() {
                url.push(sep);
                url.push_str(applied);
                sep = '&';
            }
            if let Some(c) = cursor {
                url.push(sep);
                url.push_str("_cursor=");
                url.push_str(&encode(c));
            }
            url
        };

        let result = match found {
            Found::Count(total) => {
                let self_link = link(None);
                let mut writer =
                    BundleWriter::new("searchset", Some(total), &[("self", &self_link)]);
                push_outcome(&mut writer, outcome.as_ref());
                return Ok(writer.finish());
            }
            Found::Page(result) => result,
        };
        // PostgreSQL: a `_lastUpdated` cursor holds the first page's snapshot, which a write
        // transaction's own snapshot cannot give soundly (its own writes, one snapshot per
        // statement). Such a page comes without paging links, and says so.
        let unpageable = *in_transaction
            && !self.store.is_sqlite()
            && query.sort.iter().any(|k| k.code == "_lastUpdated");
        let mut result = result;
        let mut outcome = outcome.clone();
        if unpageable && (result.next.is_some() || result.previous.is_some()) {
            result.next = None;
            result.previous = None;
            let note = json!({
                "severity": "warning",
                "code": "informational",
                "diagnostics": "a search entry sorted by _lastUpdated inside a transaction has no \
                    paging links; run the search on its own to page through it"
            });
            push_issue(&mut outcome, note);
        }
        let self_link = link(cursor.as_deref());
        let first_link = link(None);
        let next_link = result.next.as_deref().map(|c| link(Some(c)));
        let previous_link = result.previous.as_deref().map(|c| link(Some(c)));
        let mut links = vec![("self", self_link.as_str()), ("first", first_link.as_str())];
        if let Some(previous) = &previous_link {
            links.push(("previous", previous.as_str()));
        }
        if let Some(next) = &next_link {
            links.push(("next", next.as_str()));
        }
        let subset = subset_of(query);
        let mut writer = BundleWriter::new("searchset", result.total, &links);
        for (mode, resources) in [("match", &result.matches), ("include", &result.included)] {
            for (i, r) in resources.iter().enumerate() {
                // "The list of elements does not apply to included resources" (search.html
                // #elements); `_summary` does.
                let body = match (mode, &subset) {
                    ("include", Subset::Elements(_)) => r.body.clone(),
                    _ => subset.apply(&r.resource_type, r.body.clone())?,
                };
                // A contained resource is addressed within its container (references.html).
                let container = match mode {
                    "match" => result.contained_in.get(i).and_then(Option::as_deref),
                    _ => None,
                };
                let full_url = match container {
                    Some(container) => format!("{}/{container}#{}", ctx.base_url, r.id),
                    None => format!("{}/{}/{}", ctx.base_url, r.resource_type, r.id),
                };
                writer.entry(&Entry {
                    full_url: Some(&full_url),
                    resource: Some(&body),
                    search_mode: Some(mode),
                    ..Default::default()
                });
            }
        }
        let mut warnings = outcome;
        if let Some(cut) = result.include_cut {
            let diagnostics = match cut {
                IncludeCut::TooMany => format!(
                    "_include/_revinclude matched more than {} resources; the included list was cut",
                    custodian_store::MAX_INCLUDED
                ),
                IncludeCut::TooDeep => format!(
                    ":iterate stopped after {} rounds while it was still finding resources; \
                     the included list may be incomplete",
                    custodian_store::MAX_INCLUDE_ROUNDS
                ),
            };
            let note = json!({
                "severity": "warning",
                "code": "too-costly",
                "diagnostics": diagnostics
            });
            push_issue(&mut warnings, note);
        }
        push_outcome(&mut writer, warnings.as_ref());
        Ok(writer.finish())
    }

    /// Criteria of a conditional interaction (`If-None-Exist`, `PUT/DELETE Type?...`):
    /// always strict, and at least one parameter that selects resources.
    pub(crate) fn criteria(
        &self,
        resource_type: &str,
        criteria: &str,
    ) -> Result<SearchQuery, FhirError> {
        let pairs: Vec<(String, String)> =
            actix_web::web::Query::<Vec<(String, String)>>::from_query(
                criteria.trim_start_matches('?'),
            )
            .map_err(|e| FhirError::bad_request(format!("malformed criteria '{criteria}': {e}")))?
            .into_inner();
        if pairs.is_empty() {
            return Err(FhirError::bad_request(
                "conditional interactions need at least one search parameter",
            ));
        }
        let pairs = local_values(pairs.iter())?;
        let mut query = parse_query_with(self.registry, resource_type, pairs, Handling::Strict)
            .map_err(query_error)?;
        // Result parameters (`_count`, `_sort`, `_format`, ...) select nothing: criteria made
        // of them alone would match every resource of the type, and a conditional delete or
        // update would then act on whichever one happened to be alone.
        if query.filters.is_empty() {
            return Err(FhirError::bad_request(format!(
                "the criteria '{criteria}' have no search parameter that selects resources; \
                 a conditional interaction needs at least one"
            )));
        }
        if let Some(base) = &self.config.local_base {
            localize_references(&mut query.filters, base);
        }
        check_cost(&query)?;
        self.expand_terminology(&mut query)?;
        self.imply_code_systems(&mut query);
        Ok(query)
    }

    /// Token `:below` / `:above` (`system|code`): the code and those below (above) it in the
    /// is-a hierarchy of its code system, as plain tokens. The server has the hierarchies of
    /// fhir-schemas/CodeSystem; any other system (SNOMED CT, say) is a 400.
    fn expand_hierarchy(&self, c: &mut Condition) -> Result<(), FhirError> {
        let below = c.modifier == Some(Modifier::Below);
        let modifier = if below { "below" } else { "above" };
        let mut tokens = Vec::new();
        for value in &c.values {
            let SearchValue::Token {
                system: TokenSystem::Is(system),
                code: Some(code),
            } = value
            else {
                return Err(FhirError::bad_request(format!(
                    "{}:{modifier} takes system|code",
                    c.code
                )));
            };
            let codes = self
                .validator
                .subsumed_codes(system.as_str(), code.as_str(), below)
                .ok_or_else(|| {
                    FhirError::NotSupported(format!(
                        "{}:{modifier}: the server does not have the hierarchy of {system} \
                         (or {code} is not in it)",
                        c.code
                    ))
                })?;
            tokens.extend(codes.into_iter().map(|code| SearchValue::Token {
                system: TokenSystem::Is(system.clone()),
                code: Some(code),
            }));
        }
        c.values = tokens;
        c.modifier = None;
        Ok(())
    }

    /// Terminology-based token modifiers, rewritten into plain token conditions the store
    /// runs, in chains and `_has` too: `:in` / `:not-in` (each value set URL becomes the
    /// `system|code` tokens of its expansion, from the value sets the server validates with;
    /// `:not-in` becomes `:not`) and `:below` / `:above` (see `expand_hierarchy`). A value set
    /// the server does not have or cannot expand completely, or one without codes, is a 400;
    /// more than [`MAX_VALUE_SET_CODES`] values in the whole query is too costly.
    fn expand_terminology(&self, query: &mut SearchQuery) -> Result<(), FhirError> {
        let mut expanded = 0;
        self.expand_in(&mut query.filters, &mut expanded)
    }

    fn expand_in(&self, filters: &mut [Filter], expanded: &mut usize) -> Result<(), FhirError> {
        for filter in filters {
            let c = match filter {
                Filter::Condition(c) => c,
                Filter::Compartment(_) => continue,
                Filter::Chain(chain) => {
                    self.expand_in(std::slice::from_mut(&mut *chain.filter), expanded)?;
                    continue;
                }
                Filter::Has(has) => {
                    self.expand_in(std::slice::from_mut(&mut *has.filter), expanded)?;
                    continue;
                }
            };
            match c.modifier {
                Some(Modifier::In | Modifier::NotIn) => self.expand_value_sets(c)?,
                Some(Modifier::Above | Modifier::Below)
                    if c.param_type == SearchParamType::Token =>
                {
                    self.expand_hierarchy(c)?
                }
                _ => continue,
            }
            *expanded += c.values.len();
            if *expanded > MAX_VALUE_SET_CODES {
                return Err(FhirError::TooCostly(format!(
                    "{}: value sets and hierarchies expand to more than {MAX_VALUE_SET_CODES} codes \
                     in this search",
                    c.code
                )));
            }
        }
        Ok(())
    }

    /// `:in` / `:not-in` on one token condition (see `expand_terminology`).
    fn expand_value_sets(&self, c: &mut Condition) -> Result<(), FhirError> {
        let modifier = c.modifier.as_ref().map_or("", Modifier::as_str).to_owned();
        let mut tokens = Vec::new();
        for value in &c.values {
            let SearchValue::Uri(url) = value else {
                continue;
            };
            let codes = self
                .validator
                .value_set_codes(url)
                .filter(|codes| !codes.is_empty())
                .ok_or_else(|| {
                    FhirError::NotSupported(format!(
                        "{}:{modifier}: the value set {url} is not one this server has (those \
                         of the types it serves), cannot be expanded, or has no codes",
                        c.code
                    ))
                })?;
            tokens.extend(codes.into_iter().map(|(system, code)| SearchValue::Token {
                system: TokenSystem::Is(system),
                code: Some(code),
            }));
        }
        tokens.dedup();
        c.values = tokens;
        c.modifier = match c.modifier {
            Some(Modifier::NotIn) => Some(Modifier::Not),
            _ => None,
        };
        Ok(())
    }

    /// `code` elements (`Patient.gender`) are indexed without a system: the one their required
    /// binding implies. A token naming that system (`gender=http://hl7.org/fhir/administrative-gender|female`)
    /// therefore asks for an indexed value without one; any other system still matches nothing.
    /// In a system search the system must be implied alike for every type searched.
    fn imply_code_systems(&self, query: &mut SearchQuery) {
        let types: Vec<String> = query.types().into_iter().map(str::to_owned).collect();
        for filter in &mut query.filters {
            self.imply_in_filter(&types, filter);
        }
    }

    fn imply_in_filter(&self, types: &[String], filter: &mut Filter) {
        match filter {
            Filter::Condition(c) if c.param_type == SearchParamType::Token => {
                let mut implied = types.iter().map(|t| self.implied_system(t, &c.code));
                let Some(Some(system)) = implied.next() else {
                    return;
                };
                if !implied.all(|other| other == Some(system)) {
                    return;
                }
                for value in &mut c.values {
                    if let SearchValue::Token { system: s, .. } = value {
                        if matches!(s, TokenSystem::Is(named) if named == system) {
                            *s = TokenSystem::NoSystem;
                        }
                    }
                }
            }
            Filter::Condition(_) => {}
            Filter::Chain(chain) => {
                let target = [chain.target_type.clone()];
                self.imply_in_filter(&target, &mut chain.filter);
            }
            Filter::Has(has) => {
                let source = [has.source_type.clone()];
                self.imply_in_filter(&source, &mut has.filter);
            }
            Filter::Compartment(_) => {}
        }
    }

    /// The system implied for every element a token parameter indexes, when they agree
    /// (each alternative of its expression a plain element path).
    fn implied_system(&self, resource_type: &str, code: &str) -> Option<&'static str> {
        let expression = self
            .registry
            .param(resource_type, code)?
            .expression
            .as_deref()?;
        let mut implied = None;
        for path in expression.split('|').map(str::trim) {
            // Alternatives on other types (shared parameters like `_id`) do not apply.
            if !path
                .strip_prefix(resource_type)
                .is_some_and(|rest| rest.starts_with('.'))
            {
                continue;
            }
            let system = self.validator.implied_code_system(path)?;
            if implied.is_some_and(|s| s != system) {
                return None;
            }
            implied = Some(system);
        }
        implied
    }
}

/// More AND'ed filters than this is refused: each is a subquery, and hundreds of them make one
/// request hold the database (PostgreSQL plans explode well before 200).
const MAX_FILTERS: usize = 32;

/// More OR'ed values than this in one search is refused: each is a term of the statement, and
/// about a thousand of them exceed SQLite's expression depth (a 500 before this limit).
const MAX_VALUES: usize = 500;

fn check_cost(query: &SearchQuery) -> Result<(), FhirError> {
    if query.filters.len() > MAX_FILTERS {
        return Err(FhirError::TooCostly(format!(
            "{} search conditions given; at most {MAX_FILTERS} are accepted in one search",
            query.filters.len()
        )));
    }
    let values: usize = query.filters.iter().map(value_count).sum();
    if values > MAX_VALUES {
        return Err(FhirError::TooCostly(format!(
            "{values} search values given; at most {MAX_VALUES} are accepted in one search"
        )));
    }
    Ok(())
}

/// The values a filter ORs, chains and `_has` included.
fn value_count(filter: &Filter) -> usize {
    match filter {
        Filter::Condition(c) => c.values.len(),
        Filter::Chain(chain) => value_count(&chain.filter),
        Filter::Has(has) => value_count(&has.filter),
        Filter::Compartment(_) => 1,
    }
}

/// A search's `_cursor` and its search parameters (see [`local_values`]).
type SearchPairs = (Option<String>, Vec<(String, String)>);

fn search_pairs(params: &[(String, String)]) -> Result<SearchPairs, FhirError> {
    let cursor = params
        .iter()
        .find(|(n, _)| n == "_cursor")
        .map(|(_, v)| v.clone());
    let pairs = local_values(
        params
            .iter()
            .filter(|(n, _)| !NOT_SEARCH.contains(&n.as_str())),
    )?;
    Ok((cursor, pairs))
}

/// Reference values under this server's `base` (`http://host/fhir/Patient/1`) in the local
/// form the index holds (`Patient/1`); other values, tokens and uris under the base
/// included, stay as written.
fn localize_references(filters: &mut [Filter], base: &str) {
    let base = format!("{}/", base.trim_end_matches('/'));
    for filter in filters {
        match filter {
            Filter::Condition(c) if c.param_type == SearchParamType::Reference => {
                for value in &mut c.values {
                    if let SearchValue::Reference {
                        id: Some(_),
                        url: url @ Some(_),
                        ..
                    } = value
                    {
                        if url.as_deref().is_some_and(|u| u.starts_with(&base)) {
                            *url = None;
                        }
                    }
                }
            }
            Filter::Condition(_) | Filter::Compartment(_) => {}
            Filter::Chain(chain) => {
                localize_references(std::slice::from_mut(&mut chain.filter), &base)
            }
            Filter::Has(has) => localize_references(std::slice::from_mut(&mut has.filter), &base),
        }
    }
}

/// Refuses NUL characters: no database stores them in text.
fn local_values<'a, I>(pairs: I) -> Result<Vec<(String, String)>, FhirError>
where
    I: Iterator<Item = &'a (String, String)>,
{
    pairs
        .map(|(name, value)| {
            if name.contains('\0') || value.contains('\0') {
                return Err(FhirError::bad_request_at(
                    format!(
                        "the search parameter '{}' contains a NUL character",
                        name.replace('\0', "\\0")
                    ),
                    name.replace('\0', ""),
                ));
            }
            Ok((name.clone(), value.clone()))
        })
        .collect()
}

fn subset_of(query: &SearchQuery) -> Subset {
    match query.summary {
        Some(Summary::True) => Subset::Summary,
        Some(Summary::Text) => Subset::Text,
        Some(Summary::Data) => Subset::Data,
        _ if !query.elements.is_empty() => Subset::Elements(query.elements.clone()),
        _ => Subset::All,
    }
}

/// Adds `issue` to the page's outcome entry, making one if there is none yet.
fn push_issue(outcome: &mut Option<Value>, issue: Value) {
    match outcome {
        Some(oo) => {
            if let Some(issues) = oo.get_mut("issue").and_then(Value::as_array_mut) {
                issues.push(issue);
            }
        }
        None => *outcome = Some(json!({"resourceType": "OperationOutcome", "issue": [issue]})),
    }
}

/// Under `Prefer: handling=lenient`, what was ignored and why, as an outcome entry.
fn lenient_outcome(query: &SearchQuery) -> Option<Value> {
    if query.ignored.is_empty() {
        return None;
    }
    let issues: Vec<Value> = query
        .ignored
        .iter()
        .map(|i| {
            json!({
                "severity": "warning",
                "code": "not-supported",
                "diagnostics": format!("parameter '{}={}' was ignored: {}", i.name, i.value, i.reason)
            })
        })
        .collect();
    Some(json!({"resourceType": "OperationOutcome", "issue": issues}))
}

fn push_outcome(writer: &mut BundleWriter, outcome: Option<&Value>) {
    if let Some(oo) = outcome {
        let text = oo.to_string();
        writer.entry(&Entry {
            resource: Some(&text),
            search_mode: Some("outcome"),
            ..Default::default()
        });
    }
}

/// A refused search names the parameter (search.html: strict handling).
fn query_error(e: QueryError) -> FhirError {
    match e {
        QueryError::UnknownResourceType { resource_type } => FhirError::UnknownType(resource_type),
        QueryError::NotSupported { .. } | QueryError::ModifierNotSupported { .. } => {
            FhirError::NotSupported(e.to_string())
        }
        other => FhirError::bad_request(other.to_string()),
    }
}
