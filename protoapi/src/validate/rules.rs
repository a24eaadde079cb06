//! What generated code calls to check the rules of `#[validate(...)]`, re-exported as
//! `__private::validate`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display};
use std::sync::OnceLock;

use super::Violations;
use crate::codec::wire::{Map, Optional, Repeated, Singular};

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
pub fn nested<T: crate::codec::wire::NamedType>(violations: &mut Violations, value: &T) {
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
    use super::*;

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
    fn a_broken_pattern_refuses_values() {
        let mut v = Violations::new();
        Pattern::new("(").check(&mut v, "anything");
        assert_eq!(v.len(), 1);
    }
}
