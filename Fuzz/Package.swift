// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for labcheck's parsers and checkers (issue 14). A package of its own, so
/// that the main package never links libFuzzer: `make fuzz` builds it with
/// `-sanitize=fuzzer,address` into `.build-fuzz` and runs each target for FUZZ_SECONDS.
let package = Package(
    name: "labcheck-fuzz",
    dependencies: [.package(name: "labcheck", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "LabcheckCore", package: "labcheck")]),
        .executableTarget(name: "FuzzTOML", dependencies: ["FuzzSupport", .product(name: "LabcheckCore", package: "labcheck")]),
        .executableTarget(name: "FuzzImports", dependencies: ["FuzzSupport", .product(name: "LabcheckCore", package: "labcheck")]),
        .executableTarget(name: "FuzzLabFile", dependencies: ["FuzzSupport", .product(name: "LabcheckCore", package: "labcheck")]),
        .executableTarget(name: "FuzzSnippet", dependencies: ["FuzzSupport", .product(name: "LabcheckCore", package: "labcheck")]),
    ]
)
