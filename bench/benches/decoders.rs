//! protoapi's request decoders against serde decoding the same input into plain serde structs.
//!
//! One group per decoder, each with the function `protoapi` and the function `serde`:
//!
//! - `json/echo`, `json/order`: `protoapi::__private::rest::merge_json` (what every JSON body goes
//!   through) against `serde_json::from_slice`, and `serde_path_to_error`: serde_json under
//!   `serde_path_to_error::deserialize`, as axum's `Json` extractor decodes, since protoapi
//!   tracks the failing field's path the same way; `protoapi_untracked` is protoapi's merge
//!   without that tracking (`__private::json::merge_message` straight on serde_json);
//! - `form/signup` (an urlencoded body) and `query/search` (a query string): protoapi's loop of
//!   `form_urlencoded::parse` and `TextMessage::merge_text` (`merge_pairs` in
//!   `protoapi/src/http/body.rs`, copied here since it is private) against `serde_urlencoded`, as
//!   axum's `Form` and `Query` decode;
//! - `path/user`: `merge_text` of each decoded path parameter against a serde `MapDeserializer`
//!   over the same pairs whose values parse themselves from text, as axum's `Path` does.
//!
//! Each function starts from nothing (`Default` for protoapi, as its handlers do) and ends with a
//! decoded value. `cargo bench -p protoapi-bench --bench decoders`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protoapi::__private::TextMessage;
use serde::Deserialize;
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};

// ---- protoapi messages ----

/// The benchmark API's echo request.
#[protoapi::message]
pub struct EchoRequest {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub payload: Vec<u8>,
}

/// A bigger body: nested messages, repeated messages, every scalar kind.
#[protoapi::message]
pub struct Order {
    pub id: u64,
    pub customer: Option<Customer>,
    pub items: Vec<Item>,
    pub note: String,
    pub priority: i32,
    pub paid: bool,
    pub created_at: i64,
    pub total: f64,
}

#[protoapi::message]
pub struct Customer {
    pub name: String,
    pub email: String,
    pub address: Option<Address>,
}

#[protoapi::message]
pub struct Address {
    pub street: String,
    pub city: String,
    pub zip: String,
}

#[protoapi::message]
pub struct Item {
    pub sku: String,
    pub quantity: u32,
    pub price: f64,
    pub tags: Vec<String>,
}

/// A sign-up form (urlencoded body).
#[protoapi::message]
#[form]
pub struct SignupForm {
    pub name: String,
    pub email: String,
    pub age: u32,
    pub subscribe: bool,
}

/// A search (query string).
#[protoapi::message]
pub struct SearchQuery {
    pub search: String,
    pub field: String,
    pub desc: bool,
    pub page: u32,
    pub size: u32,
}

/// A user lookup: `id` and `tag` from the path.
#[protoapi::message]
pub struct UserQuery {
    pub id: u64,
    pub verbose: bool,
    pub limit: u32,
    pub tag: String,
}

// ---- the same shapes as plain serde structs ----

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
struct EchoSerde {
    id: u64,
    name: String,
    tags: Vec<String>,
    /// Base64 as in the proto3 JSON mapping, decoded by the same function as protoapi's.
    #[serde(deserialize_with = "base64")]
    payload: Vec<u8>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
struct OrderSerde {
    id: u64,
    customer: Option<CustomerSerde>,
    items: Vec<ItemSerde>,
    note: String,
    priority: i32,
    paid: bool,
    created_at: i64,
    total: f64,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
struct CustomerSerde {
    name: String,
    email: String,
    address: Option<AddressSerde>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
struct AddressSerde {
    street: String,
    city: String,
    zip: String,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
struct ItemSerde {
    sku: String,
    quantity: u32,
    price: f64,
    tags: Vec<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct SignupSerde {
    name: String,
    email: String,
    age: u32,
    subscribe: bool,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct SearchSerde {
    search: String,
    field: String,
    desc: bool,
    page: u32,
    size: u32,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct UserSerde {
    id: u64,
    verbose: bool,
    limit: u32,
    tag: String,
}

fn base64<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = <&str>::deserialize(deserializer)?;
    protoapi::__private::json::decode_base64(text)
        .ok_or_else(|| de::Error::custom(format_args!("`{text}` is not base64")))
}

// ---- inputs ----

const ECHO_JSON: &str = r#"{"id":42,"name":"hello world","tags":["alpha","beta","gamma"],"payload":"aGVsbG8gd29ybGQsIGhlbGxvIHByb3RvYXBp"}"#;

/// An order of `items` items, as compact JSON.
fn order_json(items: usize) -> String {
    let items: Vec<String> = (0..items)
        .map(|i| {
            format!(
                r#"{{"sku":"SKU-{i:05}","quantity":{},"price":{}.99,"tags":["new","sale"]}}"#,
                i % 7 + 1,
                i * 3 + 1
            )
        })
        .collect();
    format!(
        r#"{{"id":1234567,"customer":{{"name":"Ada Lovelace","email":"ada@example.com","address":{{"street":"12 St James's Square","city":"London","zip":"SW1Y 4JH"}}}},"items":[{}],"note":"leave at the door, please","priority":2,"paid":true,"createdAt":1700000000123,"total":1234.5}}"#,
        items.join(",")
    )
}

const SIGNUP_FORM: &str = "name=Ada+Lovelace&email=ada%40example.com&age=36&subscribe=true";

const SEARCH_QUERY: &str = "search=ada%20lovelace&field=name&desc=true&page=2&size=20";

/// Path parameters as the router hands them over: already percent-decoded.
const USER_PATH: &[(&str, &str)] = &[("id", "42"), ("tag", "rust")];

// ---- the decoders ----

/// protoapi's `merge_pairs` (`protoapi/src/http/body.rs`): every `key=value` pair merged as text.
fn merge_pairs<M: TextMessage>(message: &mut M, text: &[u8], what: &str) -> Result<(), String> {
    for (key, value) in form_urlencoded::parse(text) {
        message
            .merge_text(&key, &value)
            .map_err(|error| format!("invalid {what} `{key}`: {error}"))?;
    }
    Ok(())
}

/// protoapi's path binding (`merge_path_params` in `protoapi/src/http/body.rs`).
fn merge_path<M: TextMessage>(message: &mut M, params: &[(&str, &str)]) -> Result<(), String> {
    for (name, value) in params {
        message
            .merge_text(name, value)
            .map_err(|error| format!("invalid path parameter `{name}`: {error}"))?;
    }
    Ok(())
}

/// A path parameter's value for serde: parsed into whatever type the field asks for, as
/// axum's `Path` deserializer does.
struct ParamValue<'a>(&'a str);

macro_rules! parse_value {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            let value: $ty = self.0.parse().map_err(|_| {
                de::Error::custom(format_args!("`{}` is not a {}", self.0, stringify!($ty)))
            })?;
            visitor.$visit(value)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ParamValue<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_borrowed_str(self.0)
    }

    parse_value! {
        deserialize_bool => visit_bool: bool,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f64 => visit_f64: f64,
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 f32 char str string bytes byte_buf option unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for ParamValue<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

fn serde_path<'de, T: Deserialize<'de>>(params: &[(&'de str, &'de str)]) -> Result<T, ValueError> {
    T::deserialize(MapDeserializer::new(
        params
            .iter()
            .map(|&(name, value)| (name, ParamValue(value))),
    ))
}

fn protoapi_json<M: protoapi::__private::JsonMessage>(bytes: &[u8]) -> M {
    let mut message = M::default();
    protoapi::__private::rest::merge_json(&mut message, bytes).expect("protoapi decodes");
    message
}

/// protoapi's JSON merge without the path tracking of `merge_json`: what the tracking costs.
fn protoapi_json_untracked<M: protoapi::__private::JsonMessage>(bytes: &[u8]) -> M {
    let mut message = M::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    protoapi::__private::json::merge_message(&mut message, &mut deserializer)
        .expect("protoapi decodes");
    deserializer.end().expect("protoapi decodes");
    message
}

fn path_to_error<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> T {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).expect("serde decodes");
    deserializer.end().expect("serde decodes");
    value
}

// ---- the benchmarks ----

/// Every decoder reads its input into what the other reads: checked once, before measuring.
fn check_inputs() {
    let echo: EchoRequest = protoapi_json(ECHO_JSON.as_bytes());
    let serde: EchoSerde = serde_json::from_slice(ECHO_JSON.as_bytes()).unwrap();
    assert_eq!(
        (echo.id, &echo.name, &echo.tags, &echo.payload),
        (serde.id, &serde.name, &serde.tags, &serde.payload)
    );
    assert_eq!(echo.payload, b"hello world, hello protoapi");

    let json = order_json(10);
    let order: Order = protoapi_json(json.as_bytes());
    assert_eq!(order, protoapi_json_untracked::<Order>(json.as_bytes()));
    let serde: OrderSerde = path_to_error(json.as_bytes());
    assert_eq!(order.items.len(), serde.items.len());
    assert_eq!(order.items[9].price, serde.items[9].price);
    assert_eq!(order.created_at, serde.created_at);
    assert_eq!(
        order.customer.and_then(|c| c.address).map(|a| a.street),
        serde.customer.and_then(|c| c.address).map(|a| a.street)
    );

    let mut form = SignupForm::default();
    merge_pairs(&mut form, SIGNUP_FORM.as_bytes(), "form field").unwrap();
    let serde: SignupSerde = serde_urlencoded::from_bytes(SIGNUP_FORM.as_bytes()).unwrap();
    assert_eq!(
        (form.name, form.email, form.age, form.subscribe),
        (serde.name, serde.email, serde.age, serde.subscribe)
    );

    let mut query = SearchQuery::default();
    merge_pairs(&mut query, SEARCH_QUERY.as_bytes(), "query parameter").unwrap();
    let serde: SearchSerde = serde_urlencoded::from_str(SEARCH_QUERY).unwrap();
    assert_eq!(
        (
            query.search,
            query.field,
            query.desc,
            query.page,
            query.size
        ),
        (
            serde.search,
            serde.field,
            serde.desc,
            serde.page,
            serde.size
        )
    );

    let mut user = UserQuery::default();
    merge_path(&mut user, USER_PATH).unwrap();
    let serde: UserSerde = serde_path(USER_PATH).unwrap();
    assert_eq!((user.id, user.tag), (serde.id, serde.tag));
}

fn json(c: &mut Criterion) {
    check_inputs();

    let mut group = c.benchmark_group("json/echo");
    let input = ECHO_JSON.as_bytes();
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("protoapi", |b| {
        b.iter(|| protoapi_json::<EchoRequest>(black_box(input)))
    });
    group.bench_function("protoapi_untracked", |b| {
        b.iter(|| protoapi_json_untracked::<EchoRequest>(black_box(input)))
    });
    group.bench_function("serde", |b| {
        b.iter(|| serde_json::from_slice::<EchoSerde>(black_box(input)).unwrap())
    });
    group.bench_function("serde_path_to_error", |b| {
        b.iter(|| path_to_error::<EchoSerde>(black_box(input)))
    });
    group.finish();

    let mut group = c.benchmark_group("json/order");
    let order = order_json(10);
    let input = order.as_bytes();
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("protoapi", |b| {
        b.iter(|| protoapi_json::<Order>(black_box(input)))
    });
    group.bench_function("protoapi_untracked", |b| {
        b.iter(|| protoapi_json_untracked::<Order>(black_box(input)))
    });
    group.bench_function("serde", |b| {
        b.iter(|| serde_json::from_slice::<OrderSerde>(black_box(input)).unwrap())
    });
    group.bench_function("serde_path_to_error", |b| {
        b.iter(|| path_to_error::<OrderSerde>(black_box(input)))
    });
    group.finish();
}

fn urlencoded(c: &mut Criterion) {
    let mut group = c.benchmark_group("form/signup");
    let input = SIGNUP_FORM.as_bytes();
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("protoapi", |b| {
        b.iter(|| {
            let mut message = SignupForm::default();
            merge_pairs(&mut message, black_box(input), "form field").unwrap();
            message
        })
    });
    group.bench_function("serde", |b| {
        b.iter(|| serde_urlencoded::from_bytes::<SignupSerde>(black_box(input)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("query/search");
    let input = SEARCH_QUERY;
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("protoapi", |b| {
        b.iter(|| {
            let mut message = SearchQuery::default();
            merge_pairs(&mut message, black_box(input).as_bytes(), "query parameter").unwrap();
            message
        })
    });
    group.bench_function("serde", |b| {
        b.iter(|| serde_urlencoded::from_str::<SearchSerde>(black_box(input)).unwrap())
    });
    group.finish();
}

fn path(c: &mut Criterion) {
    let mut group = c.benchmark_group("path/user");
    group.bench_function("protoapi", |b| {
        b.iter(|| {
            let mut message = UserQuery::default();
            merge_path(&mut message, black_box(USER_PATH)).unwrap();
            message
        })
    });
    group.bench_function("serde", |b| {
        b.iter(|| serde_path::<UserSerde>(black_box(USER_PATH)).unwrap())
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! {
    name = decoders;
    config = config();
    targets = json, urlencoded, path
}
criterion_main!(decoders);
