import FuzzSupport
import LabcheckCore

/// A whole run over one lab file with the bundled rules: parsing, every lab check (schema,
/// dependencies, templates, snippets, stored code), strict mode, suppressions, and rendering
/// the findings as text and JSON.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let snapshot = InMemorySnapshot(bytes: ["lab/lab_stages.toml": bytes(data, size)])
    guard let configuration = try? RepositoryConfiguration.load(snapshot, bundled: bundledRules) else { return 0 }
    let request = LintRequest(snapshot: snapshot, scope: .all, configuration: configuration, strictFlag: size % 2 == 0)
    if let result = try? Linter.run(request) {
        let context = RunContext(snapshot: "fuzz", filesChecked: 1)
        _ = TextReporter(color: false).render(result.diagnostics, context: context)
        _ = JSONReporter().render(result.diagnostics, context: context)
    }
    return 0
}

@_cdecl("FuzzLabFile_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzOne)
}
