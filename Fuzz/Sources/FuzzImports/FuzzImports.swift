import FuzzSupport
import LabcheckCore

/// The Python import scanner (with its coding declarations, NFKC names, dynamic imports).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = PythonImportScanner.scan(bytes(data, size))
    return 0
}

@_cdecl("FuzzImports_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzOne)
}
