import Foundation
import XCTest
@testable import LabcheckCore
import LabcheckTOML

/// The import scanner on small example files (Fixtures/python/*.py).
final class PythonImportScannerTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/python")

    /// Each import as `kind module level name line:col [tc]`.
    private func scan(_ name: String) throws -> [String] {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        return try describe(PythonImportScanner.scan(bytes).get())
    }

    private func describe(_ imports: [PythonImport]) -> [String] {
        imports.map { i in
            "\(i.kind.rawValue) \(String(repeating: ".", count: i.level))\(i.module)\(i.name.map { " " + $0 } ?? "") \(i.line):\(i.column)\(i.typeChecking ? " tc" : "")"
        }
    }

    func testPlainImportsAndAliases() throws {
        XCTAssertEqual(try scan("plain_and_aliases.py"),
                       ["import os 1:8", "import a.b 2:8", "import d 2:18", "import e.f.g 3:10", "import h 4:15"])
    }

    func testFromImportsRelativeParenthesisedAndContinued() throws {
        XCTAssertEqual(try scan("from_relative.py"), [
            "from . m 1:6", "from .. n 2:6", "from ...pkg.sub one 3:6", "from ...pkg.sub two 3:6",
            "from .x * 7:6", "from a.b c 8:6", "from a.b d 8:6",
        ])
    }

    func testImportsNestedInFunctionsBlocksAndOneLineCompounds() throws {
        XCTAssertEqual(try scan("nested_blocks.py"), [
            "import inside_function 2:12", "from deep thing 4:14", "import maybe 6:12", "import after_with 9:30",
            "import in_class 11:12", "import one_line_if 12:14",
        ])
    }

    func testTypeCheckingBlocksAreMarked() throws {
        XCTAssertEqual(try scan("type_checking.py"), [
            "from typing TYPE_CHECKING 1:6", "import typing 2:8",
            "import only_for_types 4:12 tc", "from also types 5:10 tc", "import at_runtime 7:12",
            "import via_module_attribute 9:12 tc", "import after_block 10:8", "import single_line 11:26 tc",
        ])
    }

    func testDynamicImportsWithLiteralArguments() throws {
        XCTAssertEqual(try scan("dynamic.py"), [
            "import importlib 1:8", "from importlib import_module 2:6",
            "dynamic plugins.alpha 3:32", "dynamic beta 4:21", "dynamic gamma.delta 5:13",
        ])
    }

    func testStringsCommentsAndNonImportPositionsNeverImport() throws {
        XCTAssertEqual(try scan("strings_and_comments.py"), ["import real_after_string 12:34", "import real_after_fstring 13:46"])
    }

    func testNestedQuotesInFStrings() throws {
        XCTAssertEqual(try scan("fstring_nested_quotes.py"), ["import after_nested 2:8"])
    }

    func testLongLinesAcrossSixteenByteBlocks() throws {
        // Expected positions checked against Python's own ast module.
        XCTAssertEqual(try scan("long_lines.py"), [
            "import after_semicolon_in_long_line 1:89", "import after_multiline_call 6:8", "from after_triple name 8:65",
            "from tabs_and_ops ok 10:6", "import after_escapes 11:74",
        ])
    }

    func testStatementsAfterCompoundHeaders() throws {
        // Headers are skimmed to their first top-level `:` (not one inside brackets, strings,
        // comments, a lambda in parentheses or a walrus); `if` headers that may test
        // TYPE_CHECKING, also across a continuation, are read in full; `match`/`case` headers
        // too, and the same words used as names change nothing. Positions checked against
        // Python's ast module.
        XCTAssertEqual(try scan("compound_headers.py"), [
            "import in_def_header_line 1:57", "import after_for 2:25", "import after_walrus 3:24", "import after_continued_with 5:32",
            "import after_class_semicolon 6:40", "import not_type_checking 7:30", "import one_line_tc 8:26 tc", "import in_try 9:13",
            "import in_except 10:28", "import in_else 11:14", "import in_finally 12:17", "import in_async 13:23",
            "import dotted_tc 15:12 tc", "import after_elif 16:16", "import continued_tc 19:12 tc", "from after_comment name 21:16",
            "import top_level 22:8", "import in_case 24:25", "from fallback handler 25:18",
        ])
    }

    func testFilesThatMentionDynamicImportsScanTheSame() throws {
        // A file that spells `importlib` anywhere is skimmed byte by byte (any name may start a
        // dynamic import); other files sixteen bytes at a time. Both must find the same imports.
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { $0.hasSuffix(".py") }.sorted()
        XCTAssertGreaterThan(names.count, 5)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            let marked = bytes + Array("\nmention = 'importlib'\n".utf8)
            XCTAssertEqual(try describe(PythonImportScanner.scan(bytes).get()), try describe(PythonImportScanner.scan(marked).get()), name)
        }
    }

    func testModuleNamesFromPathsUnderRoots() {
        let resolver = ModuleResolver(roots: ["src/", "./"])
        func name(_ path: String) -> String? {
            resolver.module(for: path).map { "\($0.name) \($0.root)\($0.isPackage ? " package" : "")" }
        }
        XCTAssertEqual(name("src/pkg/mod.py"), "pkg.mod src")                       // the first root that holds it
        XCTAssertEqual(name("src/pkg/__init__.py"), "pkg src package")
        XCTAssertEqual(name("tools/run_2.py"), "tools.run_2 .")
        XCTAssertEqual(name("src/pkg/m\u{F3}dulo.py"), "pkg.m\u{F3}dulo src")    // non-ASCII identifiers
        XCTAssertNil(name("__init__.py"))                                           // no module name left
        XCTAssertNil(name("src/my-pkg/x.py"))                                       // a package must be an identifier
        // A module file need not be (Django migrations, Streamlit pages), as in import-linter.
        XCTAssertEqual(name("src/pkg/2fast.py"), "pkg.2fast src")
        XCTAssertEqual(name("src/pkg/caf\u{E9}-x.py"), "pkg.caf\u{E9}-x src")
        XCTAssertNil(name("src/pkg/a.b.py"))                                        // would read as two components
        XCTAssertNil(name("src/2pkg/__init__.py"))
        XCTAssertNil(name("src/pkg/notes.txt"))
        XCTAssertNil(name(".py"))
    }

    func testUTF8CheckAgreesWithTheStandardLibrary() {
        // Hand-picked edge cases, then random byte strings biased towards multi-byte sequences.
        var cases: [[UInt8]] = [
            [], Array("plain ascii, long enough to fill two sixteen-byte blocks".utf8), Array("é ü € 𝄞 中文".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xF0, 0x9D, 0x84], [0xFF], [0xFE],
            Array(String(repeating: "a", count: 40).utf8) + [0xE2, 0x82, 0xAC] + Array(String(repeating: "b", count: 30).utf8) + [0xE2, 0x28, 0xA1],
        ]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let alphabet: [UInt8] = [0x41, 0x0A, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5]
        for _ in 0..<3000 { cases.append((0..<Int(next() % 40)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }) }
        for bytes in cases {
            bytes.withUnsafeBufferPointer { buf in
                let valid = String(validating: buf, as: UTF8.self) != nil
                let bad = UTF8Check.firstInvalid(buf)
                XCTAssertEqual(bad == nil, valid, "\(bytes)")
                if let bad {
                    // Everything before the reported offset is valid; the sequence there is not.
                    XCTAssertNotNil(String(validating: UnsafeBufferPointer(rebasing: buf[..<bad]), as: UTF8.self), "\(bytes) at \(bad)")
                    let rest = UnsafeBufferPointer(rebasing: buf[bad...])
                    for length in 1...min(rest.count, 4) {
                        XCTAssertNil(String(validating: UnsafeBufferPointer(rebasing: rest[..<length]), as: UTF8.self), "\(bytes) at \(bad)")
                    }
                }
            }
        }
    }

    func testCRLFAndTabs() throws {
        let source = "if TYPE_CHECKING:\r\n\timport tabbed\r\nimport flat\r\n"
        XCTAssertEqual(describe(try PythonImportScanner.scan(Array(source.utf8)).get()), ["import tabbed 2:9 tc", "import flat 3:8"])
    }

    func testNotUTF8AndNotPythonAreReportedWithAPosition() {
        let bad = PythonImportScanner.scan(Array("import ok\nx = '".utf8) + [0xFF] + Array("'\n".utf8))
        guard case .failure(let e) = bad else { return XCTFail("accepted invalid UTF-8") }
        XCTAssertEqual(e.line, 2)
        XCTAssertTrue(e.message.contains("UTF-8"))
        guard case .failure(let open) = PythonImportScanner.scan(Array("x = '''never closed\nimport y\n".utf8)) else { return XCTFail() }
        XCTAssertEqual(open.line, 1)
        XCTAssertTrue(open.message.contains("unterminated"))
        guard case .failure = PythonImportScanner.scan(Array("f(\n".utf8)) else { return XCTFail("unclosed bracket accepted") }
        guard case .failure = PythonImportScanner.scan([0x69, 0x00]) else { return XCTFail("NUL accepted") }
    }

    func testMangledInputsNeverCrashOrHang() throws {
        // Every fixture, truncated at every byte and with bytes flipped by a fixed-seed generator:
        // the scanner returns imports or an error with a position, always.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { $0.hasSuffix(".py") }
        XCTAssertGreaterThan(names.count, 5)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            guard case .success = PythonImportScanner.scan(bytes) else { return XCTFail("\(name) itself must scan") }
            for end in 0...bytes.count {
                if case .failure(let e) = PythonImportScanner.scan(Array(bytes[0..<end])) {
                    XCTAssertTrue(e.line >= 1 && e.column >= 1, "\(name) cut at \(end): \(e)")
                }
            }
            for _ in 0..<200 {
                var mangled = bytes
                for _ in 0..<3 where !mangled.isEmpty { mangled[Int(next() % UInt64(mangled.count))] = UInt8(next() & 0xFF) }
                if case .failure(let e) = PythonImportScanner.scan(mangled) {
                    XCTAssertTrue(e.line >= 1 && e.column >= 1, "\(name) mangled: \(e)")
                }
            }
        }
    }

    // Issue 14, defect 7: what Python itself reads.

    private func scanText(_ text: String) throws -> [String] { try describe(PythonImportScanner.scan(Array(text.utf8)).get()) }
    private func scanBytes(_ bytes: [UInt8]) -> Result<[String], PythonScanError> { PythonImportScanner.scan(bytes).map(describe) }

    /// Python normalises identifiers to NFKC (PEP 3131): `import ｂ` imports `b`.
    func testIdentifiersAreNFKCNormalised() throws {
        XCTAssertEqual(try scanText("import ｂ.ｃ\nfrom ｆｏｏ import ｂａｒ\nimport ﬁle, x²\nimport cafe\u{301}\nimport \u{1100}\u{1161}\u{11A8}\n"), [
            "import b.c 1:8", "from foo bar 2:6", "import file 3:8", "import x2 3:13", "import café 4:8", "import \u{AC01} 5:8",
        ])
        // The composed and decomposed spellings are the same module.
        XCTAssertEqual(try scanText("import caf\u{E9}\n"), try scanText("import cafe\u{301}\n"))
        // Canonical ordering of combining marks before composition (dot below before acute).
        XCTAssertEqual(PythonIdentifier.normalized("q\u{301}\u{323}"), "q\u{323}\u{301}")
        XCTAssertEqual(PythonIdentifier.normalized("\u{1E0B}\u{323}"), "\u{1E0D}\u{307}")
        // The ASCII test that skips normalisation, eight bytes at a time and the rest one by
        // one: every length to 40 (small and heap strings), a non-ASCII character anywhere.
        for length in 0...40 {
            let ascii = String(repeating: "a", count: length)
            XCTAssertTrue(PythonIdentifier.isASCII(ascii), "\(length)")
            for k in 0..<length {
                let other = String(ascii.prefix(k)) + "\u{E9}" + String(ascii.dropFirst(k + 1))
                XCTAssertFalse(PythonIdentifier.isASCII(other), "\(length) at \(k)")
                XCTAssertEqual(PythonIdentifier.normalized(other), other, "é is NFKC already")
                XCTAssertEqual(PythonIdentifier.normalized(String(ascii.prefix(k)) + "\u{FB01}"), String(ascii.prefix(k)) + "fi")
            }
        }
    }

    /// PEP 263 declarations: latin-1, cp1252 and ascii are read; other codecs are named.
    func testCodingDeclarations() throws {
        let latin1: [UInt8] = Array("# -*- coding: latin-1 -*-\nimport b\nx = '".utf8) + [0xE9] + Array("'\nimport caf".utf8) + [0xE9, 0x0A]
        XCTAssertEqual(try scanBytes(latin1).get(), ["import b 2:8", "import café 4:8"])
        let cp1252: [UInt8] = Array("#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '".utf8) + [0x80] + Array("'\nimport c\n".utf8)
        XCTAssertEqual(try scanBytes(cp1252).get(), ["import c 4:8"])
        let undefined: [UInt8] = Array("# coding: cp1252\nx = '".utf8) + [0x81] + Array("'\n".utf8)
        XCTAssertThrowsError(try scanBytes(undefined).get()) { XCTAssertTrue("\(($0 as? PythonScanError)?.message ?? "")".contains("undefined in cp1252"), "\($0)") }
        let ascii: [UInt8] = Array("# coding: ascii\nx = '".utf8) + [0xC3, 0xA9] + Array("'\n".utf8)
        XCTAssertThrowsError(try scanBytes(ascii).get()) { XCTAssertTrue("\($0)".contains("not ascii"), "\($0)") }
        XCTAssertThrowsError(try scanBytes(Array("# coding=koi8-r\nimport d\n".utf8)).get()) { error in
            let e = error as? PythonScanError
            XCTAssertEqual(e?.line, 1)
            XCTAssertTrue(e?.message.contains("'koi8-r'") ?? false, "\(error)")
        }
        // A declaration on line 3, or on line 2 after code, is no declaration: the file is UTF-8.
        let late: [UInt8] = Array("import os\n# coding: latin-1\nx = '".utf8) + [0xE9] + Array("'\n".utf8)
        XCTAssertThrowsError(try scanBytes(late).get()) { XCTAssertTrue("\($0)".contains("not valid UTF-8"), "\($0)") }
        XCTAssertEqual(try scanText("# coding: utf-8\nimport é\n"), ["import é 2:8"])
    }

    /// Literal dynamic imports in every form Python accepts; `__import__(b"b")` raises, so it
    /// is not an import.
    func testLiteralDynamicImportsInAllTheirForms() throws {
        XCTAssertEqual(try scanText("""
        import importlib as il
        il.import_module("x" 'y')
        importlib.import_module(\"\"\"tri.q\"\"\")
        importlib.import_module('a\\x2eb')
        __import__(b"bytes")
        __import__("dyn"
                   ".mod", globals())
        importlib.import_module("\\N{LATIN SMALL LETTER A}")
        importlib.import_module(f"fmt")
        importlib.import_module(u"uni\\u0063ode")

        """), [
            "import importlib 1:8", "dynamic xy 2:19", "dynamic tri.q 3:28", "dynamic a.b 4:26", "dynamic dyn.mod 6:13", "dynamic unicode 10:27",
        ])
    }

    /// Found by the differential test against `ast`: the indentation of a line in the file's
    /// last sixteen bytes was read as 0, so its import left the TYPE_CHECKING block.
    func testIndentationNearTheEndOfTheFileKeepsTheTypeCheckingBlock() throws {
        XCTAssertEqual(try scanText("if TYPE_CHECKING:\n    import c\n    import e\n"), ["import c 2:12 tc", "import e 3:12 tc"])
        XCTAssertEqual(try scanText("if TYPE_CHECKING:\n    x = 1\n    import e"), ["import e 3:12 tc"])
    }

    /// Issue 12: imports in the body of a `try:` whose handler catches ImportError are guarded
    /// (optional); the handler's own imports, and a `try:` catching something else, are not.
    func testImportsInATryThatCatchesImportErrorAreGuarded() throws {
        let imports = try PythonImportScanner.scan(Array("""
        try:
            import fast_json
            from accel import speedup
        except ImportError:
            import json
        try:
            import other
        except ValueError:
            pass
        try: import one_line
        except (OSError, ModuleNotFoundError): pass
        def f():
            try:
                import nested
            except:
                pass
        import plain

        """.utf8)).get()
        XCTAssertEqual(imports.filter(\.guarded).map(\.module), ["fast_json", "accel", "one_line", "nested"])
        XCTAssertEqual(imports.filter { !$0.guarded }.map(\.module), ["json", "other", "plain"])
    }
}
