import FuzzSupport
import LabcheckTOML

/// The TOML parser and the tagged-JSON encoder of what it accepts.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let document = try? TOMLParser.parse(SourceText(bytes(data, size))) {
        _ = TaggedJSON.encode(document.root)
    }
    return 0
}

@_cdecl("FuzzTOML_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzOne)
}
