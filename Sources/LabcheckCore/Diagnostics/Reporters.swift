import LabcheckTOML

/// Output formats for diagnostics. Reporters are pure: diagnostics in, text out.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json
}

/// What a reporter knows about the run besides the diagnostics.
public struct RunContext: Sendable {
    /// The snapshot that was read, e.g. `staged`, `rev:HEAD`, `worktree`.
    public var snapshot: String
    /// How many files were checked.
    public var filesChecked: Int
    /// Findings hidden by suppressions (JSON and SARIF carry them, with their reasons).
    public var suppressed: [SuppressedFinding] = []
    /// The files checked, by kind: lab files, Python files (in scope, when contracts are
    /// configured), registered config files. Defaults to `filesChecked` lab files.
    public var files: (lab: Int, python: Int, config: Int)? = nil
    /// Python files in scope that are not modules of the graph (outside every root, excluded,
    /// or a duplicate module name): said in the summary, never silently dropped.
    public var pythonNotChecked = 0

    /// The count of each kind of file checked.
    public var fileCounts: (lab: Int, python: Int, config: Int) { files ?? (filesChecked, 0, 0) }

    public init(snapshot: String, filesChecked: Int) {
        self.snapshot = snapshot
        self.filesChecked = filesChecked
    }
}

/// Human-readable output: `file:line:col: severity[id]: message`, the source line, a caret
/// under the offending text, notes and a `help:` line; ANSI colour only when asked for.
public struct TextReporter: Sendable {
    public var color: Bool
    /// Characters of a long source line shown before and after the marked text.
    static let context = 40
    /// Characters of the marked text shown at most.
    static let maxMarked = 80

    public init(color: Bool) { self.color = color }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func severityLabel(_ s: Severity) -> String {
        switch s {
        case .error: return paint("error", "1;31")
        case .warning: return paint("warning", "1;33")
        case .info: return paint("info", "1;36")
        }
    }

    /// The whole report, ending with a summary line.
    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        var out = ""
        for d in diagnostics { out += render(d) + "\n" }
        let s = DiagnosticSummary(diagnostics)
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let counts = context.fileCounts
        var kinds = [(counts.lab, "lab file"), (counts.python, "Python file"), (counts.config, "config file")].filter { $0.0 > 0 }.map { plural($0.0, $0.1) }
        if kinds.isEmpty { kinds = ["0 files"] }
        let files = kinds.count == 1 ? kinds[0] : kinds.dropLast().joined(separator: ", ") + " and " + kinds[kinds.count - 1]
        let unchecked = context.pythonNotChecked > 0 ? ", \(plural(context.pythonNotChecked, "Python file")) not checked (outside every root, excluded or a duplicate module; -v lists them)" : ""
        out += "labcheck: \(plural(s.errors, "error")), \(plural(s.warnings, "warning")), \(plural(s.infos, "info")) in \(files) checked\(unchecked) (\(context.snapshot) snapshot)\n"
        return out
    }

    /// One diagnostic.
    public func render(_ d: Diagnostic) -> String {
        let file = TerminalText.linePath(d.file)
        var out = paint("\(file):\(d.start.line):\(d.start.column):", "1") + " \(severityLabel(d.severity))[\(d.id)]: \(TerminalText.sanitize(d.message))"
        let gutter = String(repeating: " ", count: String(d.start.line).count)
        if let line = d.sourceLine {
            // Escape the line, then place the caret under the escaped text of the span.
            let scalars = Array(line.unicodeScalars)
            let first = d.sourceLineFirstColumn   // the line may be a window of a long line
            let startIndex = min(max(0, d.start.column - first), scalars.count)
            let endIndex = d.end.line == d.start.line ? min(max(startIndex, d.end.column - first), scalars.count) : scalars.count
            // Window long lines (code stored on one line) around the marked text: cut first,
            // then escape only what is shown.
            func text(_ range: Range<Int>) -> String { TerminalText.sanitize(String(String.UnicodeScalarView(scalars[range]))) }
            var cutBefore = startIndex > Self.context || first > 1
            let cutMarked = endIndex - startIndex > Self.maxMarked
            let afterEnd = min(scalars.count, endIndex + Self.context)
            let cutAfter = afterEnd < scalars.count
            var before = text(max(0, startIndex - Self.context)..<startIndex)
            var marked = text(startIndex..<min(endIndex, startIndex + Self.maxMarked))
            var after = text(endIndex..<afterEnd)
            // Escapes lengthen the text: keep the window's width in shown characters.
            if before.unicodeScalars.count > Self.context {
                before = String(String.UnicodeScalarView(before.unicodeScalars.suffix(Self.context)))
                cutBefore = true
            }
            if cutBefore { before = "…" + before }
            if cutMarked || marked.unicodeScalars.count > Self.maxMarked { marked = String(String.UnicodeScalarView(marked.unicodeScalars.prefix(Self.maxMarked))) + "…" }
            if after.unicodeScalars.count > Self.context { after = String(String.UnicodeScalarView(after.unicodeScalars.prefix(Self.context))) + "…" } else if cutAfter { after += "…" }
            let caretCount = max(1, marked.unicodeScalars.count)
            out += "\n\(gutter) |\n\(paint(String(d.start.line), "1;34")) | \(before)\(marked)\(after)"
            out += "\n\(gutter) | " + String(repeating: " ", count: before.unicodeScalars.count) + paint(String(repeating: "^", count: caretCount), d.severity == .error ? "1;31" : "1;33")
        }
        for note in d.notes { out += "\n\(gutter) = note: \(TerminalText.sanitize(note))" }
        if let help = d.help { out += "\n\(gutter) = " + paint("help", "1") + ": \(TerminalText.sanitize(help))" }
        return out
    }
}

/// Machine-readable output. Schema `labcheck.diagnostics`, version 1 (docs/json-output.md):
/// `{"schema","version","snapshot","files_checked","diagnostics":[...],"summary":{...}}`.
public struct JSONReporter: Sendable {
    public static let schemaVersion = 1

    public init() {}

    public func render(_ diagnostics: [Diagnostic], context: RunContext) -> String {
        var out = "{\n  \"schema\": \"labcheck.diagnostics\",\n  \"version\": \(Self.schemaVersion),\n"
        let counts = context.fileCounts
        out += "  \"snapshot\": \(JSONText.quoted(context.snapshot)),\n  \"files_checked\": \(context.filesChecked),\n"
        out += "  \"files\": {\"lab\": \(counts.lab), \"python\": \(counts.python), \"config\": \(counts.config), \"python_not_checked\": \(context.pythonNotChecked)},\n"
        out += "  \"diagnostics\": ["
        for (i, d) in diagnostics.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\"id\": \(JSONText.quoted(d.id)), \"severity\": \(JSONText.quoted(d.severity.rawValue)), "
            out += "\"file\": \(JSONText.quoted(d.file)), "
            out += "\"start\": {\"line\": \(d.start.line), \"column\": \(d.start.column)}, "
            out += "\"end\": {\"line\": \(d.end.line), \"column\": \(d.end.column)}, "
            out += "\"message\": \(JSONText.quoted(d.message)), "
            out += "\"help\": \(d.help.map(JSONText.quoted) ?? "null"), "
            out += "\"notes\": [\(d.notes.map(JSONText.quoted).joined(separator: ", "))], "
            out += "\"fingerprint\": \(JSONText.quoted(DiagnosticFingerprint.of(d)))"
            if let f = d.importFinding {
                let links = f.chain.map { l in
                    "{\"importer\": \(JSONText.quoted(l.importer)), \"imported\": \(JSONText.quoted(l.imported)), \"file\": \(JSONText.quoted(l.file)), \"line\": \(l.line)}"
                }
                out += ", \"import\": {\"contract\": \(JSONText.quoted(f.contract)), \"importer\": \(JSONText.quoted(f.importer)), "
                    + "\"imported\": \(JSONText.quoted(f.imported)), \"chain\": [\(links.joined(separator: ", "))]}"
            }
            out += "}"
        }
        let s = DiagnosticSummary(diagnostics)
        out += diagnostics.isEmpty ? "],\n" : "\n  ],\n"
        if !context.suppressed.isEmpty {
            let items = context.suppressed.map { f in
                "    {\"id\": \(JSONText.quoted(f.diagnostic.id)), \"file\": \(JSONText.quoted(f.diagnostic.file)), "
                    + "\"start\": {\"line\": \(f.diagnostic.start.line), \"column\": \(f.diagnostic.start.column)}, "
                    + "\"message\": \(JSONText.quoted(f.diagnostic.message)), \"reason\": \(JSONText.quoted(f.reason))}"
            }
            out += "  \"suppressed\": [\n" + items.joined(separator: ",\n") + "\n  ],\n"
        }
        out += "  \"summary\": {\"errors\": \(s.errors), \"warnings\": \(s.warnings), \"infos\": \(s.infos)}\n}\n"
        return out
    }
}
