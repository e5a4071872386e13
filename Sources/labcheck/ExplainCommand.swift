import ArgumentParser
import LabcheckCore

/// `labcheck explain LCnnn`: what a check reports, why it matters, an example, how to fix.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a check (labcheck explain LC111); with no id, list every check."
    )

    @Argument(help: "A check id, e.g. LC111.")
    var id: String?

    func run() throws {
        guard let id else {
            print(CheckRegistry.listing, terminator: "")
            return
        }
        guard let text = CheckRegistry.description(of: id)?.explanation else {
            let help = NearestName.suggestion(for: id.uppercased(), among: CheckRegistry.descriptions.map(\.id)).map { " (did you mean \($0)?)" } ?? ""
            throw CommandFailure(exitCode: ExitStatus.usage, message: "error: unknown check id '\(TerminalText.sanitize(id))'\(help); `labcheck explain` lists them")
        }
        print(text, terminator: "")
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
