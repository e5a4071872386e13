import Foundation
import XCTest
@testable import LabcheckTOML
import LabcheckTestSupport

/// Runs every case of the official toml-test suite (TOML 1.0) from `../shared/toml-test`.
final class TOMLComplianceTests: XCTestCase {
    private func caseList() throws -> [String] {
        let list = try String(contentsOf: SharedData.root.appendingPathComponent("toml-test/files-toml-1.0.0"), encoding: .utf8)
        return list.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".toml") }
    }

    func testAllValidCasesDecodeToTheExpectedValues() throws {
        let cases = try caseList().filter { $0.hasPrefix("valid/") }
        XCTAssertEqual(cases.count, 210, "the suite lists 210 valid cases")
        var failures: [String] = []
        for path in cases {
            let name = String(path.dropLast(5))
            let bytes = try SharedData.bytes("toml-test/" + path)
            let expectedData = try Data(contentsOf: SharedData.root.appendingPathComponent("toml-test/\(name).json"))
            do {
                let doc = try TOMLParser.parse(SourceText(bytes))
                let json = TaggedJSON.encode(doc.root)
                let actual = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
                let expected = try JSONSerialization.jsonObject(with: expectedData, options: [.fragmentsAllowed])
                if let why = TaggedComparison.difference(expected, actual, path: "") {
                    failures.append("\(name): \(why)")
                }
            } catch {
                failures.append("\(name): rejected: \(error)")
            }
        }
        XCTAssertTrue(failures.isEmpty, "valid cases failing (\(failures.count)):\n" + failures.joined(separator: "\n"))
    }

    func testAllInvalidCasesAreRejected() throws {
        let cases = try caseList().filter { $0.hasPrefix("invalid/") }
        XCTAssertEqual(cases.count, 499, "the suite lists 499 invalid cases")
        var accepted: [String] = []
        for path in cases {
            let bytes = try SharedData.bytes("toml-test/" + path)
            do {
                _ = try TOMLParser.parse(SourceText(bytes))
                accepted.append(String(path.dropLast(5)))
            } catch let error as TOMLSyntaxError {
                XCTAssertFalse(error.message.isEmpty, "\(path): empty error message")
                XCTAssertGreaterThanOrEqual(error.position.line, 1)
            }
        }
        XCTAssertTrue(accepted.isEmpty, "invalid cases accepted (\(accepted.count)):\n" + accepted.joined(separator: "\n"))
    }
}

/// toml-test's comparison rules: tables by key set, arrays in order, floats numerically
/// (NaN by text), datetimes as instants, booleans case-insensitively, the rest exactly.
enum TaggedComparison {
    static func difference(_ expected: Any, _ actual: Any, path: String) -> String? {
        if let e = expected as? [String: Any], let a = actual as? [String: Any] {
            if isScalar(e) {
                guard isScalar(a) else { return "\(path): expected a scalar, got \(a)" }
                return scalarDifference(e, a, path: path)
            }
            if Set(e.keys) != Set(a.keys) {
                return "\(path): keys differ: expected \(e.keys.sorted()), got \(a.keys.sorted())"
            }
            for k in e.keys.sorted() {
                if let d = difference(e[k]!, a[k]!, path: path + "." + k) { return d }
            }
            return nil
        }
        if let e = expected as? [Any], let a = actual as? [Any] {
            guard e.count == a.count else { return "\(path): array length \(a.count), expected \(e.count)" }
            for i in e.indices {
                if let d = difference(e[i], a[i], path: path + "[\(i)]") { return d }
            }
            return nil
        }
        return "\(path): kinds differ: expected \(expected), got \(actual)"
    }

    static func isScalar(_ o: [String: Any]) -> Bool {
        o.count == 2 && o["type"] is String && o["value"] is String
    }

    static func scalarDifference(_ e: [String: Any], _ a: [String: Any], path: String) -> String? {
        let type = e["type"] as! String
        let ev = e["value"] as! String, av = a["value"] as! String
        guard type == a["type"] as! String else { return "\(path): type \(a["type"]!), expected \(type)" }
        switch type {
        case "float":
            let el = ev.lowercased(), al = av.lowercased()
            if el.hasSuffix("nan") || al.hasSuffix("nan") {
                let strip = { (s: String) in s.trimmingCharacters(in: CharacterSet(charactersIn: "+-")) }
                return strip(el) == strip(al) ? nil : "\(path): \(av), expected \(ev)"
            }
            let parse = { (s: String) -> Double? in
                switch s { case "inf", "+inf": return .infinity; case "-inf": return -.infinity; default: return Double(s) }
            }
            guard let ed = parse(el), let ad = parse(al), ed == ad else { return "\(path): \(av), expected \(ev)" }
            return nil
        case "datetime", "datetime-local", "date-local", "time-local":
            guard let ei = instant(ev), let ai = instant(av), ei == ai else { return "\(path): \(av), expected \(ev)" }
            return nil
        case "bool":
            return ev.lowercased() == av.lowercased() ? nil : "\(path): \(av), expected \(ev)"
        default:
            return ev == av ? nil : "\(path): \(JSONText.quoted(av)), expected \(JSONText.quoted(ev))"
        }
    }

    /// A comparable instant (seconds, nanoseconds) for any of the four date/time forms.
    static func instant(_ raw: String) -> [Int]? {
        let s = Array(raw.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "t", with: "T")
            .replacingOccurrences(of: "z", with: "Z"))
        var i = 0
        /// Reads `count` digits, then skips one separator character.
        func field(_ count: Int, separated: Bool = true) -> Int? {
            guard i + count <= s.count, let v = Int(String(s[i..<i + count])) else { return nil }
            i += count + (separated ? 1 : 0)
            return v
        }
        var days = 0
        if s.count >= 10 && s[4] == "-" {
            guard let y = field(4), let m = field(2), let d = field(2) else { return nil }
            // Days from civil (proleptic Gregorian); `field(2)` for the day skipped the 'T' if any.
            let yy = m <= 2 ? y - 1 : y
            let era = (yy >= 0 ? yy : yy - 399) / 400
            let yoe = yy - era * 400
            let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
            days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
            if i > s.count { return [days, 0, 0] }
        }
        guard let h = field(2), let mi = field(2), let se = field(2, separated: false) else { return nil }
        var secs = h * 3600 + mi * 60 + se
        var nanos = 0
        if i < s.count && s[i] == "." {
            i += 1
            var digits = ""
            while i < s.count, s[i].isNumber { digits.append(s[i]); i += 1 }
            nanos = Int(String((digits + "000000000").prefix(9))) ?? 0
        }
        if i < s.count && s[i] != "Z" {
            let sign = s[i] == "-" ? -1 : 1
            i += 1
            guard let oh = field(2), let om = field(2, separated: false) else { return nil }
            secs -= sign * (oh * 3600 + om * 60)
        }
        return [days * 86400 + secs, nanos]
    }
}

/// The comparer must be able to fail, or the compliance test proves nothing.
final class TaggedComparisonTests: XCTestCase {
    func testComparerSeesDifferencesAndToleratesSuiteNormalisations() {
        let s = { (t: String, v: String) -> [String: Any] in ["type": t, "value": v] }
        XCTAssertNotNil(TaggedComparison.difference(["a": s("integer", "1")], ["a": s("integer", "2")], path: ""))
        XCTAssertNotNil(TaggedComparison.difference(["a": s("string", "x")], ["b": s("string", "x")], path: ""))
        XCTAssertNotNil(TaggedComparison.difference(["a": [s("bool", "true")]], ["a": [] as [Any]], path: ""))
        XCTAssertNotNil(TaggedComparison.difference(s("float", "1.5"), s("float", "1.25"), path: ""))
        XCTAssertNotNil(TaggedComparison.difference(s("datetime", "1987-07-05T17:45:00Z"), s("datetime", "1987-07-05T17:45:01Z"), path: ""))
        XCTAssertNotNil(TaggedComparison.difference(s("date-local", "1979-05-27"), s("date-local", "1979-05-28"), path: ""))
        XCTAssertNil(TaggedComparison.difference(s("date-local", "1979-05-27"), s("date-local", "1979-05-27"), path: ""))
        XCTAssertNil(TaggedComparison.difference(s("float", "1e+06"), s("float", "1000000.0"), path: ""))
        XCTAssertNil(TaggedComparison.difference(s("datetime", "1987-07-05T17:45:00Z"), s("datetime", "1987-07-05T12:45:00-05:00"), path: ""))
        XCTAssertNil(TaggedComparison.difference(s("time-local", "00:32:00.6"), s("time-local", "00:32:00.600"), path: ""))
    }
}
