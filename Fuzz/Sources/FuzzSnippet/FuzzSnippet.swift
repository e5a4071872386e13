import FuzzSupport
import LabcheckCore

/// The snippet recogniser: stage code read against every template family and version of the
/// bundled registry (markers, literal text, values read as literals, render-back).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let conventions = bundledRules.conventions else { return 0 }
    let code = String(decoding: bytes(data, size), as: UTF8.self)
    _ = SnippetRecognition.recognize(code, rules: bundledRules, conventions: conventions)
    return 0
}

@_cdecl("FuzzSnippet_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzOne)
}
