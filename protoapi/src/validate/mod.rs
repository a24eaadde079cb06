//! Validation: the rules of `#[validate(...)]`, checked after a request is decoded.
//!
//! `#[protoapi::message]` implements [`Validate`] from the field attributes; every transport
//! (gRPC, HTTP, WebSocket) calls it on each request message before the method runs, and answers
//! a message that breaks a rule with `invalid_argument` (see [`Violations`]). The rules
//! themselves, which generated code calls, are in [`rules`].

pub mod rules;

use std::fmt::{self, Display};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
