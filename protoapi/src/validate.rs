//! Validation: the rules of `#[validate(...)]`, checked after a request is decoded.
//!
//! `#[protoapi::message]` implements [`Validate`] from the field attributes; every transport
//! (gRPC, HTTP, WebSocket) calls it on each request message before the method runs, and answers
//! a message that breaks a rule with `invalid_argument` (see [`Violations`]).

use std::cmp::Ordering;
use std::fmt::{self, Display};
use std::sync::OnceLock;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// One broken rule: the field's path and what is wrong with it, as in
/// `google.rpc.BadRequest.FieldViolation`.
///
/// The path is made of proto field names joined with dots, with `[index]` for an element of a
/// repeated field and `[key]` for a map value: `address.city`, `items[2].name`, `labels[env]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path, such as `items[2].name`.
    pub field: String,
    /// What is wrong, such as `must not be empty`.
    pub description: String,
}

/// Every broken rule of a message, in field order.
///
/// Converted into a [`Status`] (`invalid_argument`), its message lists every violation
/// (`invalid request: age: must be at most 150; name: must not be empty`) and its details
/// carry a `google.rpc.BadRequest` with one field violation each.
///
/// ```
/// use protoapi::{Status, Validate as _, Violations};
///
/// #[protoapi::message]
/// pub struct Student {
///     #[validate(min_len = 1)]
///     pub name: String,
///     #[validate(max = 150)]
///     pub age: u32,
/// }
///
/// let violations: Violations = Student { name: String::new(), age: 200 }
///     .validate()
///     .expect_err("two rules are broken");
/// assert_eq!(violations.len(), 2);
/// let status = Status::from(violations);
/// assert_eq!(status.code(), protoapi::Code::InvalidArgument);
/// assert_eq!(
///     status.message(),
///     "invalid request: name: must not be empty; age: must be at most 150",
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Violations {
    list: Vec<FieldViolation>,
    /// Violations past [`MAX_VIOLATIONS`], counted but not listed.
    omitted: usize,
    /// The path of the value being checked.
    path: String,
}

/// The most violations listed in one answer: a request of a million bad items gets a bounded
/// error message and details, with the rest counted (`...; and 12 more`).
pub const MAX_VIOLATIONS: usize = 100;

impl Violations {
    /// No violation yet.
    pub fn new() -> Self {
        Violations::default()
    }

    /// Whether no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The number of violations.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The violations, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldViolation> {
        self.list.iter()
    }

    /// The violations, in the order they were found.
    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.list
    }

    /// Adds a violation of `field` (a proto field name, or a path below the value being
    /// checked such as `address.city`); an empty `field` stands for that value itself.
    pub fn add(&mut self, field: &str, description: impl Into<String>) {
        let mark = self.path.len();
        self.push_field(field);
        self.here(description);
        self.path.truncate(mark);
    }

    /// Adds a violation of the value being checked.
    #[doc(hidden)]
    pub fn here(&mut self, description: impl Into<String>) {
        if self.list.len() >= MAX_VIOLATIONS {
            self.omitted += 1;
            return;
        }
        self.list.push(FieldViolation {
            field: self.path.clone(),
            description: description.into(),
        });
    }

    /// Checks the field `name` of the value being checked: `f` runs with the field's path.
    #[doc(hidden)]
    pub fn field(&mut self, name: &str, f: impl FnOnce(&mut Violations)) {
        let mark = self.path.len();
        self.push_field(name);
        f(self);
        self.path.truncate(mark);
    }

    /// Checks an element of the repeated field or map being checked: `[index]` or `[key]`.
    fn element(&mut self, key: impl Display, f: impl FnOnce(&mut Violations)) {
        use std::fmt::Write as _;
        let mark = self.path.len();
        let _ = write!(self.path, "[{key}]");
        f(self);
        self.path.truncate(mark);
    }

    fn push_field(&mut self, name: &str) {
        if !self.path.is_empty() && !name.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(name);
    }

    /// The `invalid_argument` status for these violations (see [`Violations`]).
    pub fn to_status(&self) -> Status {
        let details = ErrorDetails::with_bad_request(
            self.list
                .iter()
                .map(|v| tonic_types::FieldViolation::new(&v.field, &v.description))
                .collect::<Vec<_>>(),
        );
        Status::with_error_details(Code::InvalidArgument, self.to_string(), details)
    }
}

impl Display for Violations {
    /// `invalid request: age: must be at most 150; name: must not be empty`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request: ")?;
        for (i, violation) in self.list.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if violation.field.is_empty() {
                f.write_str(&violation.description)?;
            } else {
                write!(f, "{}: {}", violation.field, violation.description)?;
            }
        }
        if self.omitted > 0 {
            write!(f, "; and {} more", self.omitted)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

impl From<Violations> for Status {
    fn from(violations: Violations) -> Status {
        violations.to_status()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a FieldViolation;
    type IntoIter = std::slice::Iter<'a, FieldViolation>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The rules of a message. `#[protoapi::message]` implements it from the `#[validate(...)]`
/// attributes of the fields (see `docs/validation.md`); a message without rules still checks
/// the rules of the messages in its fields.
///
/// Every transport checks a request with it once the request is decoded, so a method only ever
/// sees valid requests (and each message of a client stream is checked as it arrives).
pub trait Validate {
    /// Adds every broken rule of this message to `violations`, below the path of the value
    /// being checked. The default has no rules.
    fn validate_into(&self, violations: &mut Violations) {
        let _ = violations;
    }

    /// Checks every rule: `Err` lists every violation.
    fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::new();
        self.validate_into(&mut violations);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

/// Checks a decoded request: `invalid_argument` with every violation when a rule is broken.
pub(crate) fn check<T: Validate>(message: &T) -> Result<(), Status> {
    message.validate().map_err(Status::from)
}

// What generated code calls.

/// The values a field holds, as its codec sees them: a singular or `Option` field holds at most
/// one at the field's own path, a repeated field one per element (`[index]`), a map one per
/// value (`[key]`, in key order).
pub trait FieldValues<T> {
    /// One value of the field.
    type Value;
    /// What one and several of the field's entries are called in a violation.
    const ITEMS: [&'static str; 2] = ["item", "items"];
    /// Runs `f` on each value, at its path.
    fn each(field: &T, violations: &mut Violations, f: impl FnMut(&mut Violations, &Self::Value));
    /// The number of entries (repeated fields and maps) or whether a value is present (1 or 0).
    fn count(field: &T) -> usize;
}

use std::collections::{BTreeMap, HashMap};

use crate::codec::wire::{Map, Optional, Repeated, Singular};

impl<T, K> FieldValues<T> for Singular<K> {
    type Value = T;
    fn each(field: &T, violations: &mut Violations, mut f: impl FnMut(&mut Violations, &T)) {
        f(violations, field);
    }
    fn count(_: &T) -> usize {
        1
    }
}

impl<T, K> FieldValues<Option<T>> for Optional<K> {
    type Value = T;
    fn each(
        field: &Option<T>,
        violations: &mut Violations,
        mut f: impl FnMut(&mut Violations, &T),
    ) {
        if let Some(value) = field {
            f(violations, value);
        }
    }
    fn count(field: &Option<T>) -> usize {
        usize::from(field.is_some())
    }
}

impl<T, K> FieldValues<Vec<T>> for Repeated<K> {
    type Value = T;
    fn each(field: &Vec<T>, violations: &mut Violations, mut f: impl FnMut(&mut Violations, &T)) {
        for (index, value) in field.iter().enumerate() {
            violations.element(index, |violations| f(violations, value));
        }
    }
    fn count(field: &Vec<T>) -> usize {
        field.len()
    }
}

macro_rules! map_values {
    ($map:ident) => {
        impl<K: Ord + Display, V, KK, VK> FieldValues<$map<K, V>> for Map<KK, VK> {
            type Value = V;
            const ITEMS: [&'static str; 2] = ["entry", "entries"];
            fn each(
                field: &$map<K, V>,
                violations: &mut Violations,
                mut f: impl FnMut(&mut Violations, &V),
            ) {
                let mut entries: Vec<(&K, &V)> = field.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (key, value) in entries {
                    violations.element(key, |violations| f(violations, value));
                }
            }
            fn count(field: &$map<K, V>) -> usize {
                field.len()
            }
        }
    };
}

map_values!(HashMap);
map_values!(BTreeMap);

/// A value whose length `min_len` and `max_len` bound: the characters of a string, the bytes of
/// `bytes`.
pub trait Length {
    /// `"character"` or `"byte"`.
    const UNIT: &'static str;
    /// The length in units.
    fn length(&self) -> usize;
}

impl Length for String {
    const UNIT: &'static str = "character";
    fn length(&self) -> usize {
        self.chars().count()
    }
}

impl Length for Vec<u8> {
    const UNIT: &'static str = "byte";
    fn length(&self) -> usize {
        self.len()
    }
}

impl Length for bytes::Bytes {
    const UNIT: &'static str = "byte";
    fn length(&self) -> usize {
        self.len()
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `min`: the value is at least `bound` (a NaN is not).
pub fn min<T: PartialOrd + Display>(violations: &mut Violations, value: &T, bound: T) {
    // `None`: a NaN, which is no number in the range.
    if matches!(value.partial_cmp(&bound), None | Some(Ordering::Less)) {
        violations.here(format!("must be at least {bound}"));
    }
}

/// `max`: the value is at most `bound` (a NaN is not).
pub fn max<T: PartialOrd + Display>(violations: &mut Violations, value: &T, bound: T) {
    if matches!(value.partial_cmp(&bound), None | Some(Ordering::Greater)) {
        violations.here(format!("must be at most {bound}"));
    }
}

/// `min_len`: at least `bound` characters (strings) or bytes.
pub fn min_len<T: Length>(violations: &mut Violations, value: &T, bound: u64) {
    if (value.length() as u64) < bound {
        if bound == 1 {
            violations.here("must not be empty");
        } else {
            violations.here(format!("must be at least {} long", plural(bound, T::UNIT)));
        }
    }
}

/// `max_len`: at most `bound` characters (strings) or bytes.
pub fn max_len<T: Length>(violations: &mut Violations, value: &T, bound: u64) {
    if (value.length() as u64) > bound {
        violations.here(format!("must be at most {} long", plural(bound, T::UNIT)));
    }
}

/// `min_items`: at least `bound` elements or entries; `items` names one and several.
pub fn min_items(violations: &mut Violations, count: usize, bound: u64, items: [&str; 2]) {
    if (count as u64) < bound {
        if bound == 1 {
            violations.here("must not be empty");
        } else {
            violations.here(format!("must have at least {bound} {}", items[1]));
        }
    }
}

/// `max_items`: at most `bound` elements or entries; `items` names one and several.
pub fn max_items(violations: &mut Violations, count: usize, bound: u64, items: [&str; 2]) {
    if (count as u64) > bound {
        let unit = if bound == 1 { items[0] } else { items[1] };
        violations.here(format!("must have at most {bound} {unit}"));
    }
}

/// `required`: the `Option` field is present.
pub fn required(violations: &mut Violations, count: usize) {
    if count == 0 {
        violations.here("must be present");
    }
}

/// `custom = "path"`: the function's error becomes the violation's description.
pub fn custom<E: Display>(violations: &mut Violations, result: Result<(), E>) {
    if let Err(error) = result {
        violations.here(error.to_string());
    }
}

/// Checks the rules of a message value (a nested message field); enums have none.
pub fn nested<T: crate::__private::NamedType>(violations: &mut Violations, value: &T) {
    value.validate_named(violations);
}

/// `pattern = "regex"`: compiled once, on first use. The macro has checked the expression, so
/// that it cannot fail to compile here; if it did all the same, values are refused rather than
/// let through.
pub struct Pattern {
    source: &'static str,
    regex: OnceLock<Option<regex::Regex>>,
}

impl Pattern {
    /// A pattern, compiled on first use.
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            regex: OnceLock::new(),
        }
    }

    /// Checks that `value` matches.
    pub fn check(&self, violations: &mut Violations, value: &str) {
        let regex = self.regex.get_or_init(|| match regex::Regex::new(self.source) {
            Ok(regex) => Some(regex),
            Err(error) => {
                tracing::error!(pattern = self.source, %error, "a validation pattern does not compile");
                None
            }
        });
        if !regex.as_ref().is_some_and(|regex| regex.is_match(value)) {
            violations.here(format!("must match the pattern `{}`", self.source));
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn at_most_a_hundred_violations_are_listed() {
        let mut violations = Violations::new();
        for i in 0..250 {
            violations.add(&format!("items[{i}]"), "must not be empty");
        }
        assert_eq!(violations.len(), MAX_VIOLATIONS);
        let text = violations.to_string();
        assert!(text.starts_with("invalid request: items[0]: must not be empty; items[1]: "));
        assert!(
            text.ends_with("items[99]: must not be empty; and 150 more"),
            "{text}"
        );
    }

    use super::*;

    #[test]
    fn paths_join_fields_indexes_and_keys() {
        let mut v = Violations::new();
        v.field("items", |v| {
            v.element(2, |v| v.field("name", |v| v.here("must not be empty")));
        });
        v.field("labels", |v| v.element("env", |v| v.here("bad")));
        v.add("age", "must be at most 150");
        v.field("address", |v| v.add("city", "x"));
        let fields: Vec<_> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["items[2].name", "labels[env]", "age", "address.city"]
        );
    }

    #[test]
    fn rules_say_what_is_wrong() {
        let mut v = Violations::new();
        min(&mut v, &0u32, 1);
        max(&mut v, &151i64, 150);
        max(&mut v, &f64::NAN, 1.5);
        min_len(&mut v, &String::new(), 1);
        min_len(&mut v, &"ab".to_owned(), 3);
        max_len(&mut v, &"héé".to_owned(), 2);
        max_len(&mut v, &vec![1u8, 2], 1);
        min_items(&mut v, 1, 2, ["item", "items"]);
        max_items(&mut v, 2, 1, ["entry", "entries"]);
        required(&mut v, 0);
        custom(&mut v, Err::<(), _>("is taken"));
        Pattern::new("^[a-z]+$").check(&mut v, "A1");
        // Values that pass add nothing.
        min(&mut v, &1u32, 1);
        max_len(&mut v, &"héé".to_owned(), 3);
        Pattern::new("^[a-z]+$").check(&mut v, "abc");
        let descriptions: Vec<_> = v.iter().map(|v| v.description.as_str()).collect();
        assert_eq!(
            descriptions,
            [
                "must be at least 1",
                "must be at most 150",
                "must be at most 1.5",
                "must not be empty",
                "must be at least 3 characters long",
                "must be at most 2 characters long",
                "must be at most 1 byte long",
                "must have at least 2 items",
                "must have at most 1 entry",
                "must be present",
                "is taken",
                "must match the pattern `^[a-z]+$`",
            ]
        );
    }

    #[test]
    fn a_status_lists_every_violation_and_carries_a_bad_request() {
        let mut v = Violations::new();
        v.add("age", "must be at most 150");
        v.add("name", "must not be empty");
        let status = v.to_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "invalid request: age: must be at most 150; name: must not be empty"
        );
        let bad_request = status.get_details_bad_request().expect("a BadRequest");
        let fields: Vec<_> = bad_request
            .field_violations
            .iter()
            .map(|v| (v.field.as_str(), v.description.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("age", "must be at most 150"),
                ("name", "must not be empty")
            ]
        );
    }

    #[test]
    fn a_broken_pattern_refuses_values() {
        let mut v = Violations::new();
        Pattern::new("(").check(&mut v, "anything");
        assert_eq!(v.len(), 1);
    }
}
