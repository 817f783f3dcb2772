//! The JSON Schemas of pave's files (the manifest, the lock, the gates' configuration), written
//! one way: generated from the Rust types by schemars, pretty-printed, with a final newline.

/// The JSON Schema of `T`, as `pave schema` prints it and `schemas/` keeps it.
pub fn of<T: schemars::JsonSchema>() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(T)).expect("a JSON Schema serialises")
        + "\n"
}
