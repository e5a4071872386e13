/// A second file, so that SwiftPM does not take the entry file as top-level code: the entry
/// point is the exported `FuzzSnippet_main`.
let target = "FuzzSnippet"
