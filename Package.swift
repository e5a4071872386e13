// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "labcheck",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "labcheck", targets: ["labcheck"]),
        .library(name: "LabcheckCore", targets: ["LabcheckCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // YAML for registered config files; it reports node positions (line, column).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libgit2 from Debian's libgit2-dev; only LabcheckGit may import it.
        .systemLibrary(
            name: "CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // OpenSSL's libcrypto (from libssl-dev, a dependency of libgit2-dev): fast SHA-1 to
        // verify work-tree files against blob ids. Only LabcheckGit imports it.
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // TOML 1.0 with byte-exact spans, an immutable value tree, decoded-string source maps and
        // span edits (TOMLEdit). Our own code: no Swift TOML library keeps spans or edits losslessly.
        .target(name: "LabcheckTOML"),
        // Pure core: bytes in, diagnostics out. No git, no file system, no processes.
        .target(name: "LabcheckCore", dependencies: ["LabcheckTOML", .product(name: "Yams", package: "Yams")],
                // The script that generates the NFKC tables from Python's unicodedata.
                exclude: ["Python/Unicode/generate_nfkc_tables.py"],
                // Swift 6.3.1's SIL CopyPropagation pass crashes ("Found ownership error") on
                // several functions of this module in release builds; the pass is only an
                // optimisation, so it is switched off here until the compiler is fixed.
                swiftSettings: [.unsafeFlags(["-Xfrontend", "-enable-copy-propagation=false"], .when(configuration: .release))]),
        // The git adapter: snapshots, diffs, hooks locations.
        .target(name: "LabcheckGit", dependencies: ["LabcheckCore", "LabcheckTOML", "CLibgit2", "CLibcrypto"]),
        .executableTarget(
            name: "labcheck",
            dependencies: [
                "LabcheckCore", "LabcheckGit", "LabcheckTOML",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test helpers: real git repositories in temp dirs under a sealed environment.
        .target(name: "LabcheckTestSupport", path: "Tests/Support"),
        .testTarget(name: "LabcheckTOMLTests", dependencies: ["LabcheckTOML", "LabcheckTestSupport"]),
        .testTarget(name: "LabcheckCoreTests", dependencies: ["LabcheckCore", "LabcheckTOML", "LabcheckTestSupport"]),
        .testTarget(name: "LabcheckGitTests", dependencies: ["LabcheckGit", "LabcheckCore", "LabcheckTOML", "LabcheckTestSupport"]),
        // Depends on the executable so that `swift test` builds it first: these tests run the
        // binary and must never run a stale one.
        .testTarget(name: "LabcheckCLITests", dependencies: ["labcheck", "LabcheckCore", "LabcheckTOML", "LabcheckTestSupport"]),
    ]
)
