/// What this target fuzzes (a second file, so that SwiftPM does not take the entry file as
/// top-level code: the entry point is the exported `FuzzTOML_main`).
let about = "TOML parser and tagged-JSON encoder"
