//! The definition files of `fhir-schemas/` compiled into the binary (no file access at run time).
//! Generated: keep in sync with the directory (the test `embedded_index_matches_fhir_schemas`
//! fails when a file is added or removed; regenerate the lists from `ls fhir-schemas/<Kind>/`).

/// `fhir-schemas/StructureDefinition/*.json`: (file name, contents).
pub(crate) const STRUCTURE_DEFINITIONS: &[(&str, &str)] = &[
    ("StructureDefinition-Address.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Address.json")),
    ("StructureDefinition-Age.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Age.json")),
    ("StructureDefinition-Annotation.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Annotation.json")),
    ("StructureDefinition-Attachment.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Attachment.json")),
    ("StructureDefinition-BackboneElement.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-BackboneElement.json")),
    ("StructureDefinition-Bundle.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Bundle.json")),
    ("StructureDefinition-CapabilityStatement.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-CapabilityStatement.json")),
    ("StructureDefinition-CodeableConcept.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-CodeableConcept.json")),
    ("StructureDefinition-Coding.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Coding.json")),
    ("StructureDefinition-Condition.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Condition.json")),
    ("StructureDefinition-ContactDetail.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ContactDetail.json")),
    ("StructureDefinition-ContactPoint.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ContactPoint.json")),
    ("StructureDefinition-Contributor.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Contributor.json")),
    ("StructureDefinition-Count.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Count.json")),
    ("StructureDefinition-DataRequirement.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-DataRequirement.json")),
    ("StructureDefinition-Distance.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Distance.json")),
    ("StructureDefinition-DomainResource.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-DomainResource.json")),
    ("StructureDefinition-Dosage.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Dosage.json")),
    ("StructureDefinition-Duration.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Duration.json")),
    ("StructureDefinition-Element.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Element.json")),
    ("StructureDefinition-ElementDefinition.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ElementDefinition.json")),
    ("StructureDefinition-Encounter.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Encounter.json")),
    ("StructureDefinition-Expression.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Expression.json")),
    ("StructureDefinition-Extension.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Extension.json")),
    ("StructureDefinition-HumanName.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-HumanName.json")),
    ("StructureDefinition-Identifier.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Identifier.json")),
    ("StructureDefinition-MarketingStatus.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-MarketingStatus.json")),
    ("StructureDefinition-Meta.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Meta.json")),
    ("StructureDefinition-Money.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Money.json")),
    ("StructureDefinition-MoneyQuantity.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-MoneyQuantity.json")),
    ("StructureDefinition-Narrative.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Narrative.json")),
    ("StructureDefinition-OperationOutcome.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-OperationOutcome.json")),
    ("StructureDefinition-ParameterDefinition.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ParameterDefinition.json")),
    ("StructureDefinition-Parameters.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Parameters.json")),
    ("StructureDefinition-Patient.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Patient.json")),
    ("StructureDefinition-Period.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Period.json")),
    ("StructureDefinition-Population.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Population.json")),
    ("StructureDefinition-ProdCharacteristic.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ProdCharacteristic.json")),
    ("StructureDefinition-ProductShelfLife.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-ProductShelfLife.json")),
    ("StructureDefinition-Quantity.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Quantity.json")),
    ("StructureDefinition-Range.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Range.json")),
    ("StructureDefinition-Ratio.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Ratio.json")),
    ("StructureDefinition-Reference.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Reference.json")),
    ("StructureDefinition-RelatedArtifact.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-RelatedArtifact.json")),
    ("StructureDefinition-Resource.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Resource.json")),
    ("StructureDefinition-SampledData.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-SampledData.json")),
    ("StructureDefinition-Signature.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Signature.json")),
    ("StructureDefinition-SimpleQuantity.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-SimpleQuantity.json")),
    ("StructureDefinition-SubstanceAmount.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-SubstanceAmount.json")),
    ("StructureDefinition-Timing.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-Timing.json")),
    ("StructureDefinition-TriggerDefinition.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-TriggerDefinition.json")),
    ("StructureDefinition-UsageContext.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-UsageContext.json")),
    ("StructureDefinition-base64Binary.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-base64Binary.json")),
    ("StructureDefinition-boolean.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-boolean.json")),
    ("StructureDefinition-canonical.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-canonical.json")),
    ("StructureDefinition-code.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-code.json")),
    ("StructureDefinition-date.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-date.json")),
    ("StructureDefinition-dateTime.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-dateTime.json")),
    ("StructureDefinition-decimal.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-decimal.json")),
    ("StructureDefinition-id.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-id.json")),
    ("StructureDefinition-instant.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-instant.json")),
    ("StructureDefinition-integer.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-integer.json")),
    ("StructureDefinition-markdown.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-markdown.json")),
    ("StructureDefinition-oid.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-oid.json")),
    ("StructureDefinition-positiveInt.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-positiveInt.json")),
    ("StructureDefinition-string.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-string.json")),
    ("StructureDefinition-time.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-time.json")),
    ("StructureDefinition-unsignedInt.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-unsignedInt.json")),
    ("StructureDefinition-uri.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-uri.json")),
    ("StructureDefinition-url.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-url.json")),
    ("StructureDefinition-uuid.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-uuid.json")),
    ("StructureDefinition-xhtml.json", include_str!("../../../fhir-schemas/StructureDefinition/StructureDefinition-xhtml.json")),
];

/// `fhir-schemas/ValueSet/*.json`: (file name, contents).
pub(crate) const VALUE_SETS: &[(&str, &str)] = &[
    (
        "ValueSet-FHIR-version.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-FHIR-version.json"),
    ),
    (
        "ValueSet-address-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-address-type.json"),
    ),
    (
        "ValueSet-address-use.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-address-use.json"),
    ),
    (
        "ValueSet-administrative-gender.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-administrative-gender.json"),
    ),
    (
        "ValueSet-age-units.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-age-units.json"),
    ),
    (
        "ValueSet-all-types.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-all-types.json"),
    ),
    (
        "ValueSet-binding-strength.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-binding-strength.json"),
    ),
    (
        "ValueSet-bundle-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-bundle-type.json"),
    ),
    (
        "ValueSet-capability-statement-kind.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-capability-statement-kind.json"),
    ),
    (
        "ValueSet-condition-category.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-condition-category.json"),
    ),
    (
        "ValueSet-condition-clinical.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-condition-clinical.json"),
    ),
    (
        "ValueSet-condition-severity.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-condition-severity.json"),
    ),
    (
        "ValueSet-condition-ver-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-condition-ver-status.json"),
    ),
    (
        "ValueSet-conditional-delete-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-conditional-delete-status.json"),
    ),
    (
        "ValueSet-conditional-read-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-conditional-read-status.json"),
    ),
    (
        "ValueSet-constraint-severity.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-constraint-severity.json"),
    ),
    (
        "ValueSet-contact-point-system.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-contact-point-system.json"),
    ),
    (
        "ValueSet-contact-point-use.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-contact-point-use.json"),
    ),
    (
        "ValueSet-contributor-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-contributor-type.json"),
    ),
    (
        "ValueSet-currencies.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-currencies.json"),
    ),
    (
        "ValueSet-days-of-week.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-days-of-week.json"),
    ),
    (
        "ValueSet-defined-types.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-defined-types.json"),
    ),
    (
        "ValueSet-diagnosis-role.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-diagnosis-role.json"),
    ),
    (
        "ValueSet-discriminator-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-discriminator-type.json"),
    ),
    (
        "ValueSet-distance-units.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-distance-units.json"),
    ),
    (
        "ValueSet-document-mode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-document-mode.json"),
    ),
    (
        "ValueSet-duration-units.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-duration-units.json"),
    ),
    (
        "ValueSet-encounter-admit-source.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-admit-source.json"),
    ),
    (
        "ValueSet-encounter-location-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-location-status.json"),
    ),
    (
        "ValueSet-encounter-participant-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-participant-type.json"),
    ),
    (
        "ValueSet-encounter-reason.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-reason.json"),
    ),
    (
        "ValueSet-encounter-special-arrangements.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-special-arrangements.json"),
    ),
    (
        "ValueSet-encounter-special-courtesy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-special-courtesy.json"),
    ),
    (
        "ValueSet-encounter-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-encounter-status.json"),
    ),
    (
        "ValueSet-event-capability-mode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-event-capability-mode.json"),
    ),
    (
        "ValueSet-event-timing.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-event-timing.json"),
    ),
    (
        "ValueSet-expression-language.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-expression-language.json"),
    ),
    (
        "ValueSet-http-verb.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-http-verb.json"),
    ),
    (
        "ValueSet-identifier-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-identifier-type.json"),
    ),
    (
        "ValueSet-identifier-use.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-identifier-use.json"),
    ),
    (
        "ValueSet-issue-severity.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-issue-severity.json"),
    ),
    (
        "ValueSet-issue-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-issue-type.json"),
    ),
    (
        "ValueSet-jurisdiction.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-jurisdiction.json"),
    ),
    (
        "ValueSet-languages.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-languages.json"),
    ),
    (
        "ValueSet-link-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-link-type.json"),
    ),
    (
        "ValueSet-marital-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-marital-status.json"),
    ),
    (
        "ValueSet-message-transport.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-message-transport.json"),
    ),
    (
        "ValueSet-mimetypes.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-mimetypes.json"),
    ),
    (
        "ValueSet-name-use.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-name-use.json"),
    ),
    (
        "ValueSet-narrative-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-narrative-status.json"),
    ),
    (
        "ValueSet-operation-parameter-use.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-operation-parameter-use.json"),
    ),
    (
        "ValueSet-patient-contactrelationship.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-patient-contactrelationship.json"),
    ),
    (
        "ValueSet-property-representation.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-property-representation.json"),
    ),
    (
        "ValueSet-publication-status.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-publication-status.json"),
    ),
    (
        "ValueSet-quantity-comparator.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-quantity-comparator.json"),
    ),
    (
        "ValueSet-reference-handling-policy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-reference-handling-policy.json"),
    ),
    (
        "ValueSet-reference-version-rules.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-reference-version-rules.json"),
    ),
    (
        "ValueSet-related-artifact-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-related-artifact-type.json"),
    ),
    (
        "ValueSet-resource-aggregation-mode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-resource-aggregation-mode.json"),
    ),
    (
        "ValueSet-resource-slicing-rules.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-resource-slicing-rules.json"),
    ),
    (
        "ValueSet-resource-types.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-resource-types.json"),
    ),
    (
        "ValueSet-restful-capability-mode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-restful-capability-mode.json"),
    ),
    (
        "ValueSet-restful-security-service.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-restful-security-service.json"),
    ),
    (
        "ValueSet-search-entry-mode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-search-entry-mode.json"),
    ),
    (
        "ValueSet-search-param-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-search-param-type.json"),
    ),
    (
        "ValueSet-security-labels.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-security-labels.json"),
    ),
    (
        "ValueSet-signature-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-signature-type.json"),
    ),
    (
        "ValueSet-sort-direction.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-sort-direction.json"),
    ),
    (
        "ValueSet-subject-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-subject-type.json"),
    ),
    (
        "ValueSet-system-restful-interaction.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-system-restful-interaction.json"),
    ),
    (
        "ValueSet-timing-abbreviation.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-timing-abbreviation.json"),
    ),
    (
        "ValueSet-trigger-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-trigger-type.json"),
    ),
    (
        "ValueSet-type-restful-interaction.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-type-restful-interaction.json"),
    ),
    (
        "ValueSet-units-of-time.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-units-of-time.json"),
    ),
    (
        "ValueSet-usage-context-type.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-usage-context-type.json"),
    ),
    (
        "ValueSet-v3-ActEncounterCode.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-ActEncounterCode.json"),
    ),
    (
        "ValueSet-v3-ActUSPrivacyLaw.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-ActUSPrivacyLaw.json"),
    ),
    (
        "ValueSet-v3-Compartment.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-Compartment.json"),
    ),
    (
        "ValueSet-v3-ConfidentialityClassification.json",
        include_str!(
            "../../../fhir-schemas/ValueSet/ValueSet-v3-ConfidentialityClassification.json"
        ),
    ),
    (
        "ValueSet-v3-GeneralPurposeOfUse.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-GeneralPurposeOfUse.json"),
    ),
    (
        "ValueSet-v3-InformationSensitivityPolicy.json",
        include_str!(
            "../../../fhir-schemas/ValueSet/ValueSet-v3-InformationSensitivityPolicy.json"
        ),
    ),
    (
        "ValueSet-v3-ObligationPolicy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-ObligationPolicy.json"),
    ),
    (
        "ValueSet-v3-PurposeOfUse.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-PurposeOfUse.json"),
    ),
    (
        "ValueSet-v3-RefrainPolicy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-RefrainPolicy.json"),
    ),
    (
        "ValueSet-v3-SecurityControlObservationValue.json",
        include_str!(
            "../../../fhir-schemas/ValueSet/ValueSet-v3-SecurityControlObservationValue.json"
        ),
    ),
    (
        "ValueSet-v3-SecurityIntegrityObservationValue.json",
        include_str!(
            "../../../fhir-schemas/ValueSet/ValueSet-v3-SecurityIntegrityObservationValue.json"
        ),
    ),
    (
        "ValueSet-v3-SecurityPolicy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-v3-SecurityPolicy.json"),
    ),
    (
        "ValueSet-versioning-policy.json",
        include_str!("../../../fhir-schemas/ValueSet/ValueSet-versioning-policy.json"),
    ),
];

/// `fhir-schemas/CodeSystem/*.json`: (file name, contents).
pub(crate) const CODE_SYSTEMS: &[(&str, &str)] = &[
    (
        "CodeSystem-FHIR-version.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-FHIR-version.json"),
    ),
    (
        "CodeSystem-abstract-types.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-abstract-types.json"),
    ),
    (
        "CodeSystem-address-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-address-type.json"),
    ),
    (
        "CodeSystem-address-use.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-address-use.json"),
    ),
    (
        "CodeSystem-administrative-gender.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-administrative-gender.json"),
    ),
    (
        "CodeSystem-binding-strength.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-binding-strength.json"),
    ),
    (
        "CodeSystem-bundle-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-bundle-type.json"),
    ),
    (
        "CodeSystem-capability-statement-kind.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-capability-statement-kind.json"),
    ),
    (
        "CodeSystem-condition-category.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-condition-category.json"),
    ),
    (
        "CodeSystem-condition-clinical.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-condition-clinical.json"),
    ),
    (
        "CodeSystem-condition-ver-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-condition-ver-status.json"),
    ),
    (
        "CodeSystem-conditional-delete-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-conditional-delete-status.json"),
    ),
    (
        "CodeSystem-conditional-read-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-conditional-read-status.json"),
    ),
    (
        "CodeSystem-constraint-severity.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-constraint-severity.json"),
    ),
    (
        "CodeSystem-contact-point-system.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-contact-point-system.json"),
    ),
    (
        "CodeSystem-contact-point-use.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-contact-point-use.json"),
    ),
    (
        "CodeSystem-contributor-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-contributor-type.json"),
    ),
    (
        "CodeSystem-data-types.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-data-types.json"),
    ),
    (
        "CodeSystem-days-of-week.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-days-of-week.json"),
    ),
    (
        "CodeSystem-diagnosis-role.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-diagnosis-role.json"),
    ),
    (
        "CodeSystem-discriminator-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-discriminator-type.json"),
    ),
    (
        "CodeSystem-document-mode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-document-mode.json"),
    ),
    (
        "CodeSystem-encounter-admit-source.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-encounter-admit-source.json"),
    ),
    (
        "CodeSystem-encounter-location-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-encounter-location-status.json"),
    ),
    (
        "CodeSystem-encounter-participant-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-encounter-participant-type.json"),
    ),
    (
        "CodeSystem-encounter-special-arrangements.json",
        include_str!(
            "../../../fhir-schemas/CodeSystem/CodeSystem-encounter-special-arrangements.json"
        ),
    ),
    (
        "CodeSystem-encounter-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-encounter-status.json"),
    ),
    (
        "CodeSystem-event-capability-mode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-event-capability-mode.json"),
    ),
    (
        "CodeSystem-event-timing.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-event-timing.json"),
    ),
    (
        "CodeSystem-expression-language.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-expression-language.json"),
    ),
    (
        "CodeSystem-http-verb.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-http-verb.json"),
    ),
    (
        "CodeSystem-identifier-use.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-identifier-use.json"),
    ),
    (
        "CodeSystem-issue-severity.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-issue-severity.json"),
    ),
    (
        "CodeSystem-issue-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-issue-type.json"),
    ),
    (
        "CodeSystem-link-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-link-type.json"),
    ),
    (
        "CodeSystem-message-transport.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-message-transport.json"),
    ),
    (
        "CodeSystem-name-use.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-name-use.json"),
    ),
    (
        "CodeSystem-narrative-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-narrative-status.json"),
    ),
    (
        "CodeSystem-operation-parameter-use.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-operation-parameter-use.json"),
    ),
    (
        "CodeSystem-property-representation.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-property-representation.json"),
    ),
    (
        "CodeSystem-publication-status.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-publication-status.json"),
    ),
    (
        "CodeSystem-quantity-comparator.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-quantity-comparator.json"),
    ),
    (
        "CodeSystem-reference-handling-policy.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-reference-handling-policy.json"),
    ),
    (
        "CodeSystem-reference-version-rules.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-reference-version-rules.json"),
    ),
    (
        "CodeSystem-related-artifact-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-related-artifact-type.json"),
    ),
    (
        "CodeSystem-resource-aggregation-mode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-resource-aggregation-mode.json"),
    ),
    (
        "CodeSystem-resource-slicing-rules.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-resource-slicing-rules.json"),
    ),
    (
        "CodeSystem-resource-types.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-resource-types.json"),
    ),
    (
        "CodeSystem-restful-capability-mode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-restful-capability-mode.json"),
    ),
    (
        "CodeSystem-restful-interaction.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-restful-interaction.json"),
    ),
    (
        "CodeSystem-restful-security-service.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-restful-security-service.json"),
    ),
    (
        "CodeSystem-search-entry-mode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-search-entry-mode.json"),
    ),
    (
        "CodeSystem-search-param-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-search-param-type.json"),
    ),
    (
        "CodeSystem-signature-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-signature-type.json"),
    ),
    (
        "CodeSystem-snomedct.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-snomedct.json"),
    ),
    (
        "CodeSystem-sort-direction.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-sort-direction.json"),
    ),
    (
        "CodeSystem-trigger-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-trigger-type.json"),
    ),
    (
        "CodeSystem-usage-context-type.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-usage-context-type.json"),
    ),
    (
        "CodeSystem-v2-0131.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v2-0131.json"),
    ),
    (
        "CodeSystem-v2-0203.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v2-0203.json"),
    ),
    (
        "CodeSystem-v3-ActCode.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-ActCode.json"),
    ),
    (
        "CodeSystem-v3-ActReason.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-ActReason.json"),
    ),
    (
        "CodeSystem-v3-ActUSPrivacyLaw.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-ActUSPrivacyLaw.json"),
    ),
    (
        "CodeSystem-v3-Confidentiality.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-Confidentiality.json"),
    ),
    (
        "CodeSystem-v3-EncounterSpecialCourtesy.json",
        include_str!(
            "../../../fhir-schemas/CodeSystem/CodeSystem-v3-EncounterSpecialCourtesy.json"
        ),
    ),
    (
        "CodeSystem-v3-GTSAbbreviation.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-GTSAbbreviation.json"),
    ),
    (
        "CodeSystem-v3-MaritalStatus.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-MaritalStatus.json"),
    ),
    (
        "CodeSystem-v3-NullFlavor.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-NullFlavor.json"),
    ),
    (
        "CodeSystem-v3-ObservationValue.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-ObservationValue.json"),
    ),
    (
        "CodeSystem-v3-ParticipationType.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-ParticipationType.json"),
    ),
    (
        "CodeSystem-v3-TimingEvent.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-v3-TimingEvent.json"),
    ),
    (
        "CodeSystem-versioning-policy.json",
        include_str!("../../../fhir-schemas/CodeSystem/CodeSystem-versioning-policy.json"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(kind: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fhir-schemas")
            .join(kind);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn embedded_index_matches_fhir_schemas() {
        for (kind, files) in [
            ("StructureDefinition", STRUCTURE_DEFINITIONS),
            ("ValueSet", VALUE_SETS),
            ("CodeSystem", CODE_SYSTEMS),
        ] {
            let embedded: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
            assert_eq!(
                embedded,
                listed(kind),
                "regenerate src/embedded.rs for {kind}"
            );
        }
    }
}
