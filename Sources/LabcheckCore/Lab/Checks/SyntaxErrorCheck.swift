import LabcheckTOML

/// LC100: a lab file that is not valid TOML 1.0. Produced by the reader; nothing else can be
/// checked in such a file.
public enum SyntaxErrorCheck: Check {
    public static let descriptions = [
        CheckDescription(
            id: "LC100", slug: "lab-file-syntax-error", severity: .error,
            summary: "TOML syntax error in a lab file",
            what: "Reports a TOML syntax error in a lab stage file, at the line and column where parsing stopped, saying what was expected.",
            why: "A lab file that does not parse cannot be loaded by the orchestrator, and none of its stages can be checked.",
            example: "[[flight]]\nid = \"load\nC = \"import json\"        # the string on line 2 is never closed",
            fix: "Correct the TOML at the reported position; the message says what the parser expected there.",
            triggering: [.lab("[[m]]\nid = \"a↓\nC = 1\n"), .lab("[[m]↓\nid = 'a'\n")],
            nonTriggering: [.lab("[[m]]\nid = \"a\"\nC = '''\nimport os\n'''\n")]
        ),
    ]

    static func diagnostic(_ error: TOMLSyntaxError, path: String, source: SourceText) -> Diagnostic {
        Diagnostic(id: "LC100", severity: .error, message: error.message, file: path,
                   span: ByteSpan(error.offset, min(error.offset + 1, source.bytes.count)), in: source,
                   help: "the file must be valid TOML 1.0 before any stage in it can be checked")
    }
}
