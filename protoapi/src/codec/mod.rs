//! Field codecs: how each field of a `#[protoapi::message]` is encoded.
//!
//! Generated code names one codec per field (for example `Repeated<Int64>`); the codec
//! implements [`wire::WireField`] (protobuf), [`json::JsonField`] (proto3 JSON) and
//! [`crate::schema::SchemaField`] (its line in the `.proto` file). These are used by generated
//! code; users do not name them.

mod enumeration;
pub mod json;
pub mod json_merge;
pub mod json_path;
pub mod text;
pub mod wire;

#[cfg(test)]
mod tests;

pub use enumeration::ProtoEnum;

use std::collections::{BTreeMap, HashMap};

/// A protobuf map type: `HashMap` or `BTreeMap`.
pub trait ProtoMap: Default {
    /// The key type.
    type Key;
    /// The value type.
    type Value;
    /// Number of entries.
    fn len(&self) -> usize;
    /// Whether there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Adds an entry; a repeated key replaces the earlier value.
    fn put(&mut self, key: Self::Key, value: Self::Value);
    /// Calls `f` for every entry, stopping at the first error.
    fn each<E>(&self, f: impl FnMut(&Self::Key, &Self::Value) -> Result<(), E>) -> Result<(), E>;
}

impl<K: Eq + core::hash::Hash, V> ProtoMap for HashMap<K, V> {
    type Key = K;
    type Value = V;
    fn len(&self) -> usize {
        HashMap::len(self)
    }
    fn put(&mut self, key: K, value: V) {
        self.insert(key, value);
    }
    fn each<E>(&self, mut f: impl FnMut(&K, &V) -> Result<(), E>) -> Result<(), E> {
        self.iter().try_for_each(|(k, v)| f(k, v))
    }
}

impl<K: Ord, V> ProtoMap for BTreeMap<K, V> {
    type Key = K;
    type Value = V;
    fn len(&self) -> usize {
        BTreeMap::len(self)
    }
    fn put(&mut self, key: K, value: V) {
        self.insert(key, value);
    }
    fn each<E>(&self, mut f: impl FnMut(&K, &V) -> Result<(), E>) -> Result<(), E> {
        self.iter().try_for_each(|(k, v)| f(k, v))
    }
}
