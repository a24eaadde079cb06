//! Compile-time tests of the macros: what must compile, and the exact errors of what must not.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p protoapi-ui-tests`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*/*.rs");
    t.compile_fail("tests/ui/fail/*/*.rs");
}
