/// The FHIR primitive type an element has: chooses the rule its JSON value is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Markdown,
    Code,
    Id,
    Uri,
    Url,
    Canonical,
    Oid,
    Uuid,
    Base64Binary,
    Xhtml,
    Boolean,
    Integer,
    UnsignedInt,
    PositiveInt,
    Decimal,
    Date,
    DateTime,
    Instant,
    Time,
}

impl Kind {
    /// The type's name in the FHIR specification.
    pub fn fhir_name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Markdown => "markdown",
            Kind::Code => "code",
            Kind::Id => "id",
            Kind::Uri => "uri",
            Kind::Url => "url",
            Kind::Canonical => "canonical",
            Kind::Oid => "oid",
            Kind::Uuid => "uuid",
            Kind::Base64Binary => "base64Binary",
            Kind::Xhtml => "xhtml",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::UnsignedInt => "unsignedInt",
            Kind::PositiveInt => "positiveInt",
            Kind::Decimal => "decimal",
            Kind::Date => "date",
            Kind::DateTime => "dateTime",
            Kind::Instant => "instant",
            Kind::Time => "time",
        }
    }
}
