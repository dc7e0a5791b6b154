//! `Entry` from JSON through serde, borrowing: strings stay slices of the input unless they
//! hold escapes, and ignored values (most of `jsonPayload`, `httpRequest`, ...) are skipped
//! without allocating. A known field of an unexpected type is ignored, like an unknown one.
//!
//! Every object the entry reads (the entry itself, `resource`, `labels`, `jsonPayload`,
//! `httpRequest`, `protoPayload` and its `status`) is an
//! [`Object`]: its fields are filled key by key, and one generic visitor drives them all.

use super::{Entry, HttpRequest, Severity};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A JSON object read field by field.
trait Object<'de>: Default {
    /// What the object is, for serde's error message.
    const EXPECTING: &'static str;
    /// Whether a value of another JSON type is an error (the entry itself) rather than an
    /// empty object (a field of an unexpected type).
    const STRICT: bool = false;
    /// Reads the value of `key` from `map` into `self`, or skips it.
    fn field<A: MapAccess<'de>>(&mut self, key: Cow<'de, str>, map: &mut A)
        -> Result<(), A::Error>;
}

/// The one visitor of every [`Object`].
struct ObjectVisitor<T>(PhantomData<T>);

impl<T> ObjectVisitor<T> {
    /// The empty object for a value of another type, or the error when `T` is strict.
    fn other<'de, E: de::Error>(self, unexpected: de::Unexpected<'_>) -> Result<T, E>
    where
        T: Object<'de>,
    {
        if T::STRICT {
            Err(E::invalid_type(unexpected, &T::EXPECTING))
        } else {
            Ok(T::default())
        }
    }
}

impl<'de, T: Object<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(Key(k)) = map.next_key()? {
            out.field(k, &mut map)?;
        }
        Ok(out)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        self.other(de::Unexpected::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.other(de::Unexpected::Signed(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.other(de::Unexpected::Unsigned(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        self.other(de::Unexpected::Float(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        self.other(de::Unexpected::Unit)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        self.other(de::Unexpected::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        if T::STRICT {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &T::EXPECTING));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
}

/// Implements `Deserialize` for [`Object`]s through the one visitor.
macro_rules! deserialize_objects {
    ($($ty:ident),*) => {$(
        impl<'de> Deserialize<'de> for $ty<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(ObjectVisitor(PhantomData))
            }
        }
    )*};
}

deserialize_objects!(
    Entry,
    Resource,
    StrMap,
    Labels,
    Payload,
    HttpRequest,
    Proto,
    Status
);

/// A value of an object, as far as the entry cares: a string (borrowed unless escaped),
/// a number, or something ignored.
#[derive(Default)]
enum Value<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    #[default]
    Other,
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Num(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }
}

impl<'a> Value<'a> {
    fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A string field: `None` for any other type.
fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_value::<Value<'de>>()?.into_str())
}

/// Skips a field's value.
fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(drop)
}

/// A map key, borrowed unless escaped.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)?.into_str() {
            Some(k) => Ok(Key(k)),
            None => Err(de::Error::custom("an object key is not a string")),
        }
    }
}

/// `severity`: Cloud Logging's names, or its numbers (0, 100, ... 800).
fn severity<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Severity, A::Error> {
    Ok(match map.next_value::<Value<'de>>()? {
        Value::Str(name) => Severity::from_name(&name),
        // Saturating cast: NaN and negatives to 0.
        Value::Num(n) => Severity::from_number(n as u64),
        Value::Other => Severity::Default,
    })
}

impl<'de> Object<'de> for Entry<'de> {
    const EXPECTING: &'static str = "a LogEntry object";
    const STRICT: bool = true;

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match &*key {
            "insertId" => self.insert_id = string(map)?,
            "timestamp" => self.timestamp = string(map)?,
            "severity" => self.severity = severity(map)?,
            "logName" => self.log_name = string(map)?,
            "trace" => self.trace = string(map)?,
            "textPayload" => self.text_payload = string(map)?,
            "resource" => {
                let r = map.next_value::<Resource<'de>>()?;
                self.resource_type = r.kind;
                self.resource_labels = r.labels.0;
            }
            "labels" => {
                let l = map.next_value::<Labels<'de>>()?;
                self.instance_id = l.instance_id;
                self.pod_template_hash = l.pod_template_hash;
            }
            "jsonPayload" => {
                let p = map.next_value::<Payload<'de>>()?;
                self.json_strings = p.strings;
                self.duration_ms = p.duration_ms;
            }
            "httpRequest" => {
                // A mistyped `httpRequest` reads as empty: no request, like a missing one.
                let r = map.next_value::<HttpRequest<'de>>()?;
                self.http_request = (r != HttpRequest::default()).then_some(r);
            }
            "protoPayload" => self.status_message = map.next_value::<Proto<'de>>()?.0,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// An object whose string values are kept in order (`resource.labels`).
#[derive(Default)]
struct StrMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de> Object<'de> for StrMap<'de> {
    const EXPECTING: &'static str = "an object of strings";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if let Some(v) = string(map)? {
            // Cloud Run's resource has five labels: one allocation, not two.
            if self.0.is_empty() {
                self.0.reserve(8);
            }
            self.0.push((key, v));
        }
        Ok(())
    }
}

/// `resource`: its `type` and `labels`.
#[derive(Default)]
struct Resource<'a> {
    kind: Option<Cow<'a, str>>,
    labels: StrMap<'a>,
}

impl<'de> Object<'de> for Resource<'de> {
    const EXPECTING: &'static str = "a monitored resource";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match &*key {
            "type" => self.kind = string(map)?,
            "labels" => self.labels = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// `labels`: `instanceId` (Cloud Run) and `k8s-pod/pod-template-hash` (GKE, a
/// Deployment's revision); the other labels are skipped without allocating.
#[derive(Default)]
struct Labels<'a> {
    instance_id: Option<Cow<'a, str>>,
    pod_template_hash: Option<Cow<'a, str>>,
}

impl<'de> Object<'de> for Labels<'de> {
    const EXPECTING: &'static str = "an object of labels";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match &*key {
            "instanceId" => self.instance_id = string(map)?,
            "k8s-pod/pod-template-hash" => self.pod_template_hash = string(map)?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// `jsonPayload`: its top-level strings and a numeric `duration_ms`.
#[derive(Default)]
struct Payload<'a> {
    strings: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    duration_ms: Option<f64>,
}

impl<'de> Object<'de> for Payload<'de> {
    const EXPECTING: &'static str = "a JSON payload";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match map.next_value::<Value<'de>>()? {
            Value::Str(v) => self.strings.push((key, v)),
            Value::Num(n) if key == "duration_ms" => self.duration_ms = Some(n),
            _ => {}
        }
        Ok(())
    }
}

impl<'de> Object<'de> for HttpRequest<'de> {
    const EXPECTING: &'static str = "an HTTP request";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match &*key {
            "requestMethod" => self.method = string(map)?,
            "requestUrl" => self.url = string(map)?,
            "status" => {
                self.status = match map.next_value::<Value<'de>>()? {
                    Value::Num(n) if (0.0..=999.0).contains(&n) => Some(n as u16),
                    Value::Str(s) => s.parse().ok().filter(|n| *n <= 999),
                    _ => None,
                }
            }
            "latency" => self.latency_ms = string(map)?.as_deref().and_then(duration_ms),
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// A protobuf Duration as JSON writes it (`"5.123456789s"`, `"0s"`) in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let seconds = text.strip_suffix('s')?;
    let plain = !seconds.is_empty()
        && seconds.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && seconds.bytes().filter(|b| *b == b'.').count() <= 1;
    let ms = seconds.parse::<f64>().ok()? * 1000.0;
    (plain && ms.is_finite()).then_some(ms)
}

/// `protoPayload`: only `status.message` is used.
#[derive(Default)]
struct Proto<'a>(Option<Cow<'a, str>>);

impl<'de> Object<'de> for Proto<'de> {
    const EXPECTING: &'static str = "a proto payload";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key == "status" {
            self.0 = map.next_value::<Status<'de>>()?.0;
            Ok(())
        } else {
            skip(map)
        }
    }
}

/// `protoPayload.status`: its `message`.
#[derive(Default)]
struct Status<'a>(Option<Cow<'a, str>>);

impl<'de> Object<'de> for Status<'de> {
    const EXPECTING: &'static str = "a status";

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key == "message" {
            self.0 = string(map)?;
            Ok(())
        } else {
            skip(map)
        }
    }
}
