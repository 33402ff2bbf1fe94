//! The building blocks of the generated `Deserialize` impls: reading keys, primitives with their
//! `_name` siblings, lists and choice elements, with FHIR's rules on empty and duplicate values.

use crate::element::{Element, ElementExt};
use crate::error::ParseErrorKind;
use crate::path;
use crate::primitives::{text, Date, DateTime, Decimal, Instant, Kind, Time};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// Raises an error of a known kind (errors serde_json raises itself count as syntax errors).
pub fn error<E: de::Error>(kind: ParseErrorKind, message: impl fmt::Display) -> E {
    path::set_kind(kind);
    E::custom(message)
}

/// An object key, borrowed from the input when it has no escapes.
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an element name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// An element the definition does not have.
pub fn unknown_element<E: de::Error>(key: &str) -> E {
    path::push(path::Segment::Unknown(key.to_owned()));
    error(
        ParseErrorKind::UnknownElement,
        format_args!("unknown element '{key}'"),
    )
}

/// The same element given twice in one object.
pub fn duplicate<E: de::Error>(name: &'static str) -> E {
    path::push(path::Segment::Field(name));
    error(
        ParseErrorKind::Duplicate,
        format_args!("element '{name}' appears more than once"),
    )
}

/// `{}` where FHIR requires at least one element.
pub fn empty_object<E: de::Error>() -> E {
    error(
        ParseErrorKind::Empty,
        "empty object: FHIR requires every object to have content",
    )
}

/// The `resourceType` inside a resource object must name that resource.
pub fn check_resource_type<'de, A: MapAccess<'de>>(
    map: &mut A,
    expected: &'static str,
) -> Result<(), A::Error> {
    let found: Key = map.next_value()?;
    if found.0 == expected {
        Ok(())
    } else {
        Err(error(
            ParseErrorKind::ResourceType,
            format_args!(
                "resourceType is '{}' where '{expected}' is expected",
                found.0
            ),
        ))
    }
}

/// A value of a FHIR primitive type, read and checked according to its `Kind`.
pub trait PrimitiveValue: Sized {
    fn read<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<Self, D::Error>;
}

fn read_checked_str<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    text::check(kind, &value).map_err(|(k, message)| error(k, message))?;
    Ok(value)
}

impl PrimitiveValue for String {
    fn read<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<Self, D::Error> {
        read_checked_str(d, kind)
    }
}

impl PrimitiveValue for bool {
    fn read<'de, D: Deserializer<'de>>(d: D, _: Kind) -> Result<Self, D::Error> {
        bool::deserialize(d)
    }
}

impl PrimitiveValue for i32 {
    fn read<'de, D: Deserializer<'de>>(d: D, _: Kind) -> Result<Self, D::Error> {
        let value = i64::deserialize(d)?;
        i32::try_from(value).map_err(|_| {
            error(
                ParseErrorKind::InvalidValue,
                format_args!("{value} is out of range for integer (-2147483648 to 2147483647)"),
            )
        })
    }
}

/// unsignedInt (0..=2^31-1) and positiveInt (1..=2^31-1).
impl PrimitiveValue for u32 {
    fn read<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<Self, D::Error> {
        let value = i64::deserialize(d)?;
        let low = if kind == Kind::PositiveInt { 1 } else { 0 };
        if value < low || value > i64::from(i32::MAX) {
            return Err(error(
                ParseErrorKind::InvalidValue,
                format_args!(
                    "{value} is out of range for {} ({low} to 2147483647)",
                    kind.fhir_name()
                ),
            ));
        }
        u32::try_from(value).map_err(|e| error(ParseErrorKind::InvalidValue, e))
    }
}

impl PrimitiveValue for Decimal {
    fn read<'de, D: Deserializer<'de>>(d: D, _: Kind) -> Result<Self, D::Error> {
        Decimal::deserialize(d)
    }
}

macro_rules! temporal_primitive {
    ($($name:ident),*) => {$(
        impl PrimitiveValue for $name {
            fn read<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<Self, D::Error> {
                read_checked_str(d, kind).map($name::new_unchecked)
            }
        }
    )*};
}
temporal_primitive!(Date, DateTime, Instant, Time);

/// A code from a required value set, generated as a Rust enum.
pub trait CodeEnum: Sized + 'static {
    /// The value set's name, for messages.
    const NAME: &'static str;
    const CODES: &'static [&'static str];
    fn from_code(code: &str) -> Option<Self>;
    fn as_code(&self) -> &'static str;
}

/// Reads a code of a required binding, refusing codes outside the value set.
pub fn read_code<'de, D: Deserializer<'de>, C: CodeEnum>(d: D) -> Result<C, D::Error> {
    let code: Key = Key::deserialize(d)?;
    C::from_code(&code.0).ok_or_else(|| {
        error(
            ParseErrorKind::InvalidCode,
            format_args!(
                "'{}' is not a code of {} (expected one of: {})",
                code.0,
                C::NAME,
                C::CODES.join(", ")
            ),
        )
    })
}

struct PrimSeed<T>(Kind, PhantomData<T>);

impl<'de, T: PrimitiveValue> DeserializeSeed<'de> for PrimSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::read(d, self.0)
    }
}

/// An entry of a primitive array: the value or a `null` placeholder.
struct OptPrimSeed<T>(Kind, PhantomData<T>);

impl<'de, T: PrimitiveValue> DeserializeSeed<'de> for OptPrimSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: PrimitiveValue> Visitor<'de> for OptPrimSeed<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} or null", self.0.fhir_name())
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::read(d, self.0).map(Some)
    }
}

/// A JSON array that FHIR requires to be non-empty, each entry read by `seed`.
struct ArraySeed<S>(S, &'static str);

impl<'de, S: DeserializeSeed<'de> + Clone> DeserializeSeed<'de> for ArraySeed<S> {
    type Value = Vec<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Clone> Visitor<'de> for ArraySeed<S> {
    type Value = Vec<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {}", self.1)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            let i = out.len();
            match seq
                .next_element_seed(self.0.clone())
                .map_err(|e| path::index(e, i))?
            {
                Some(v) => out.push(v),
                None => break,
            }
        }
        if out.is_empty() {
            return Err(error(
                ParseErrorKind::Empty,
                "empty array: FHIR requires arrays to have at least one entry",
            ));
        }
        Ok(out)
    }
}

impl<T> Clone for PrimSeed<T> {
    fn clone(&self) -> Self {
        PrimSeed(self.0, PhantomData)
    }
}
impl<T> Clone for OptPrimSeed<T> {
    fn clone(&self) -> Self {
        OptPrimSeed(self.0, PhantomData)
    }
}

/// Reads a complex value with its own `Deserialize` (a datatype, backbone element, resource).
struct Plain<T>(PhantomData<T>);
impl<T> Clone for Plain<T> {
    fn clone(&self) -> Self {
        Plain(PhantomData)
    }
}
impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Plain<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

/// `_name` array entries: an id/extension object or a `null` placeholder.
#[derive(Clone)]
struct OptExt;
impl<'de> DeserializeSeed<'de> for OptExt {
    type Value = Option<ElementExt>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Option::<ElementExt>::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for ElementExt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ExtVisitor;
        impl<'de> Visitor<'de> for ExtVisitor {
            type Value = ElementExt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with the element's id and extension")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ElementExt, A::Error> {
                let mut id = None;
                let mut extension = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match key.0.as_ref() {
                        "id" => plain_string(&mut map, &mut id, Kind::String, "id")?,
                        "extension" => list(&mut map, &mut extension, "extension")?,
                        other => return Err(unknown_element(other)),
                    }
                }
                if id.is_none() && extension.is_none() {
                    return Err(empty_object());
                }
                Ok(ElementExt {
                    id,
                    extension: extension.unwrap_or_default(),
                })
            }
        }
        d.deserialize_map(ExtVisitor)
    }
}

/// A string element that is not a FHIR primitive (`Element.id`, `Extension.url`): no `_name`.
pub fn plain_string<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Option<String>,
    kind: Kind,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(duplicate(name));
    }
    let value = map
        .next_value_seed(PrimSeed::<String>(kind, PhantomData))
        .map_err(|e| path::field(e, name))?;
    *slot = Some(value);
    Ok(())
}

/// A singular complex element, boxed (datatypes nest recursively: Identifier -> Reference).
pub fn complex<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<Box<T>>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(duplicate(name));
    }
    let value: T = map.next_value().map_err(|e| path::field(e, name))?;
    *slot = Some(Box::new(value));
    Ok(())
}

/// A repeating complex element: a non-empty array without nulls.
pub fn list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<Vec<T>>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(duplicate(name));
    }
    let value = map
        .next_value_seed(ArraySeed(Plain::<T>(PhantomData), name))
        .map_err(|e| path::field(e, name))?;
    *slot = Some(value);
    Ok(())
}

/// A singular primitive element, collected from `name` and `_name` in either order.
pub struct PrimSlot<T> {
    value: Option<T>,
    ext: Option<ElementExt>,
}

impl<T> Default for PrimSlot<T> {
    fn default() -> Self {
        PrimSlot {
            value: None,
            ext: None,
        }
    }
}

impl<T: PrimitiveValue> PrimSlot<T> {
    pub fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        kind: Kind,
        name: &'static str,
    ) -> Result<(), A::Error> {
        if self.value.is_some() {
            return Err(duplicate(name));
        }
        let value = map
            .next_value_seed(PrimSeed::<T>(kind, PhantomData))
            .map_err(|e| path::field(e, name))?;
        self.value = Some(value);
        Ok(())
    }
}

impl<T> PrimSlot<T> {
    pub fn read_ext<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        name: &'static str,
    ) -> Result<(), A::Error> {
        if self.ext.is_some() {
            return Err(duplicate(name));
        }
        let ext: ElementExt = map.next_value().map_err(|e| path::field(e, name))?;
        self.ext = Some(ext);
        Ok(())
    }

    pub fn finish(self) -> Option<Element<T>> {
        if self.value.is_none() && self.ext.is_none() {
            return None;
        }
        Some(Element {
            value: self.value,
            ext: self.ext.map(Box::new),
        })
    }
}

/// A repeating primitive element: `name` holds values (or `null`), `_name` the id/extensions
/// (or `null`) at the same positions.
pub struct PrimListSlot<T> {
    values: Option<Vec<Option<T>>>,
    exts: Option<Vec<Option<ElementExt>>>,
}

impl<T> Default for PrimListSlot<T> {
    fn default() -> Self {
        PrimListSlot {
            values: None,
            exts: None,
        }
    }
}

impl<T: PrimitiveValue> PrimListSlot<T> {
    pub fn read_values<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        kind: Kind,
        name: &'static str,
    ) -> Result<(), A::Error> {
        if self.values.is_some() {
            return Err(duplicate(name));
        }
        let seed = ArraySeed(OptPrimSeed::<T>(kind, PhantomData), kind.fhir_name());
        let values = map
            .next_value_seed(seed)
            .map_err(|e| path::field(e, name))?;
        self.values = Some(values);
        Ok(())
    }
}

impl<T> PrimListSlot<T> {
    pub fn read_exts<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        name: &'static str,
    ) -> Result<(), A::Error> {
        if self.exts.is_some() {
            return Err(duplicate(name));
        }
        let exts = map
            .next_value_seed(ArraySeed(OptExt, "id/extension objects"))
            .map_err(|e| path::field(e, name))?;
        self.exts = Some(exts);
        Ok(())
    }

    /// Pairs values with extensions; every position needs at least one of the two.
    pub fn finish<E: de::Error>(self, name: &'static str) -> Result<Vec<Element<T>>, E> {
        let len = match (&self.values, &self.exts) {
            (None, None) => return Ok(Vec::new()),
            (Some(v), Some(x)) if v.len() != x.len() => {
                path::push(path::Segment::Field(name));
                return Err(error(
                    ParseErrorKind::Syntax,
                    format_args!(
                        "'{name}' has {} entries but '_{name}' has {}; they must line up",
                        v.len(),
                        x.len()
                    ),
                ));
            }
            (Some(v), _) => v.len(),
            (None, Some(x)) => x.len(),
        };
        let mut values = self.values.map(Vec::into_iter);
        let mut exts = self.exts.map(Vec::into_iter);
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let value = values.as_mut().and_then(Iterator::next).flatten();
            let ext = exts.as_mut().and_then(Iterator::next).flatten();
            if value.is_none() && ext.is_none() {
                path::push(path::Segment::Index(i));
                path::push(path::Segment::Field(name));
                return Err(error(
                    ParseErrorKind::Empty,
                    "null entry without a value or an extension",
                ));
            }
            out.push(Element {
                value,
                ext: ext.map(Box::new),
            });
        }
        Ok(out)
    }
}

/// Sets a choice element (`deceased[x]`...), refusing a second type for the same choice.
pub fn set_choice<E: de::Error, C>(
    slot: &mut Option<C>,
    value: C,
    name: &'static str,
) -> Result<(), E> {
    if slot.is_some() {
        path::push(path::Segment::Field(name));
        return Err(error(
            ParseErrorKind::Duplicate,
            format_args!("more than one type given for the choice element {name}[x]"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// A resource object without `resourceType`.
pub fn missing_resource_type<E: de::Error>() -> E {
    error(ParseErrorKind::ResourceType, "resourceType is missing")
}

/// Implements reading and writing for a generated code enum.
#[macro_export]
#[doc(hidden)]
macro_rules! code_enum_impls {
    ($name:ident) => {
        impl $crate::de::PrimitiveValue for $name {
            fn read<'de, D: serde::Deserializer<'de>>(
                d: D,
                _: $crate::primitives::Kind,
            ) -> Result<Self, D::Error> {
                $crate::de::read_code(d)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::de::CodeEnum::as_code(self))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::de::CodeEnum::as_code(self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as $crate::de::CodeEnum>::from_code(s)
                    .ok_or_else(|| $crate::UnknownCode(s.to_owned()))
            }
        }
    };
}
