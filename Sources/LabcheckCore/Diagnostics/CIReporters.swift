import LabcheckTOML

/// A fingerprint of a finding that does not use line numbers: the check id and its subject —
/// for imports the contract, importer and imported modules (chains: the contract, the source
/// and forbidden packages and the chain's end modules), for lab findings the file, module,
/// stage identity and key path; otherwise the file and the trimmed source line (or the message)
/// — hashed (FNV-1a, 64 bits, hex). The ratchet compares them as a multiset; SARIF's
/// `partialFingerprints` and GitLab's `fingerprint` carry them. `file` may be given after
/// rename detection.
public enum DiagnosticFingerprint {
    public static func of(_ d: Diagnostic, file: String? = nil) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let path = file ?? d.file
        let parts: [String]
        if let subject = d.subject {
            parts = subject.hasPrefix("lab|") ? [d.id, path, subject] : [d.id, subject]
        } else {
            parts = [d.id, path, d.sourceLine.map { $0.trimmingSpaces } ?? d.message]
        }
        for part in parts {
            for b in part.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xFF) &* 0x100_0000_01b3   // a separator no UTF-8 byte equals
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// SARIF 2.1.0 (`--format sarif`): one run, `tool.driver.rules` from the check registry (id,
/// problem name, short and full description, help, default level), results with stable rule ids,
/// repository-relative `uri`s against the `SRCROOT` base, regions, and `partialFingerprints`.
public struct SARIFReporter: Sendable {
    public let toolVersion: String

    public init(toolVersion: String) { self.toolVersion = toolVersion }

    static func level(_ s: Severity) -> String {
        switch s {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "note"
        }
    }

    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        func q(_ s: String) -> String { JSONText.quoted(s) }
        let rules = CheckRegistry.descriptions
        let ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        let ruleObjects = rules.map { d in
            "{\"id\": \(q(d.id)), \"name\": \(q(d.slug)), \"shortDescription\": {\"text\": \(q(d.summary))}, "
                + "\"fullDescription\": {\"text\": \(q(d.what))}, "
                + "\"help\": {\"text\": \(q("Why: \(d.why)\nFix: \(d.fix)"))}, "
                + "\"defaultConfiguration\": {\"level\": \(q(Self.level(d.severity)))}}"
        }
        let all = diagnostics.map { ($0, String?.none) } + context.suppressed.map { ($0.diagnostic, Optional($0.reason)) }
        let results = all.map { d, reason -> String in
            var region = "\"startLine\": \(d.start.line), \"startColumn\": \(d.start.column)"
            if d.end >= d.start { region += ", \"endLine\": \(d.end.line), \"endColumn\": \(max(d.end.column, d.start.column))" }
            var message = d.message
            if let help = d.help { message += "\nhelp: \(help)" }
            for note in d.notes { message += "\nnote: \(note)" }
            return "{\"ruleId\": \(q(d.id))" + (ruleIndex[d.id].map { ", \"ruleIndex\": \($0)" } ?? "")
                + ", \"level\": \(q(Self.level(d.severity))), \"message\": {\"text\": \(q(message))}, "
                + "\"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": \(q(Self.uri(d.file))), \"uriBaseId\": \"SRCROOT\"}, "
                + "\"region\": {\(region)}}}], "
                + "\"partialFingerprints\": {\"labcheck/v1\": \(q(DiagnosticFingerprint.of(d)))}"
                + (reason.map { ", \"suppressions\": [{\"kind\": \"inSource\", \"justification\": \(q($0))}]" } ?? "") + "}"
        }
        return "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [{\n"
            + "    \"tool\": {\"driver\": {\"name\": \"labcheck\", \"version\": \(q(toolVersion)), \"rules\": [\n      "
            + ruleObjects.joined(separator: ",\n      ") + "\n    ]}},\n"
            + "    \"automationDetails\": {\"description\": {\"text\": \(q("labcheck on the \(context.snapshot) snapshot"))}},\n"
            + "    \"results\": [\n      " + results.joined(separator: ",\n      ") + (results.isEmpty ? "" : "\n    ") + "]\n  }]\n}\n"
    }

    /// A repository-relative path as a URI reference: every byte outside the unreserved set
    /// and `/` percent-encoded.
    static func uri(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "-._~/".contains(c) { out.append(c) }
            else { out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
        }
        return out
    }
}

/// GitHub Actions workflow commands (`--format github`): `::error file=F,line=L,col=C,...::msg`.
/// Messages escape `%`, CR and LF; properties also `:` and `,`, so nothing from a file can end a
/// property or start a command of its own.
public struct GitHubReporter: Sendable {
    public init() {}

    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        diagnostics.map { d in
            let command = d.severity == .error ? "error" : (d.severity == .warning ? "warning" : "notice")
            var props = "file=\(Self.escapeProperty(d.file)),line=\(d.start.line),col=\(d.start.column)"
            if d.end.line >= d.start.line { props += ",endLine=\(d.end.line),endColumn=\(d.end.column)" }
            props += ",title=\(Self.escapeProperty(d.id))"
            var message = d.message
            if let help = d.help { message += "\nhelp: \(help)" }
            return "::\(command) \(props)::\(Self.escapeData(message))\n"
        }.joined()
    }
}

/// GitLab Code Quality JSON (`--format gitlab`): an array of issues with description,
/// check_name, fingerprint, severity and location (path, begin line).
public struct GitLabReporter: Sendable {
    public init() {}

    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        let items = diagnostics.map { d in
            let severity = d.severity == .error ? "major" : (d.severity == .warning ? "minor" : "info")
            return "  {\"description\": \(JSONText.quoted("\(d.id): \(d.message)")), \"check_name\": \(JSONText.quoted(d.id)), "
                + "\"fingerprint\": \(JSONText.quoted(DiagnosticFingerprint.of(d))), \"severity\": \"\(severity)\", "
                + "\"location\": {\"path\": \(JSONText.quoted(d.file)), \"lines\": {\"begin\": \(d.start.line)}}}"
        }
        return "[\n" + items.joined(separator: ",\n") + (items.isEmpty ? "" : "\n") + "]\n"
    }
}

/// JUnit XML (`--format junit`): one test suite, one test case per finding (errors are
/// failures; warnings and notes pass, with their text in `system-out`), or one passing case
/// when there is none.
public struct JUnitReporter: Sendable {
    public init() {}

    static func xml(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 allows tab, LF, CR and no other control character, even escaped.
                if u.value < 0x20 && u != "\t" && u != "\n" && u != "\r" { out += "\\u{\(String(u.value, radix: 16))}" }
                else if u.value == 0xFFFE || u.value == 0xFFFF { out += "\\u{\(String(u.value, radix: 16))}" }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        let failures = diagnostics.filter { $0.severity == .error }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"labcheck\" tests=\"\(max(1, diagnostics.count))\" failures=\"\(failures)\">\n"
        out += "  <testsuite name=\"labcheck (\(Self.xml(context.snapshot)))\" tests=\"\(max(1, diagnostics.count))\" failures=\"\(failures)\" errors=\"0\">\n"
        if diagnostics.isEmpty { out += "    <testcase classname=\"labcheck\" name=\"no findings\"/>\n" }
        for d in diagnostics {
            let name = Self.xml("\(d.id) \(d.file):\(d.start.line):\(d.start.column)")
            out += "    <testcase classname=\"\(Self.xml(d.file))\" name=\"\(name)\">"
            var text = d.message
            if let help = d.help { text += "\nhelp: \(help)" }
            if d.severity == .error {
                out += "<failure type=\"\(Self.xml(d.id))\" message=\"\(Self.xml(d.message))\">\(Self.xml(text))</failure>"
            } else {
                out += "<system-out>\(Self.xml("\(d.severity.rawValue): \(text)"))</system-out>"
            }
            out += "</testcase>\n"
        }
        return out + "  </testsuite>\n</testsuites>\n"
    }
}
