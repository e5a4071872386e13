import Foundation
import XCTest
import LabcheckTestSupport

/// No command crashes at start-up or exit, whatever it opens: every subcommand, `--version`,
/// `--help` and a usage error run hundreds of times (two at once, to add contention), each with
/// its documented exit code and its complete output. Before libgit2's background start was
/// joined at exit, 1-3 % of runs of commands that open no repository died with SIGSEGV or heap
/// corruption.
final class ExitSafetyTests: XCTestCase {
    func testEverySubcommandExitsNormallyWithCompleteOutputHundredsOfTimes() throws {
        let f = try GitFixture()
        try f.commit(["lab/lab_stages.toml": "[[flight]]\nid = \"load\"\nC = \"import json\"\n"])
        let commands: [(args: [String], status: Int32, stdin: String)] = [
            (["--version"], 0, ""),
            (["--help"], 0, ""),
            (["explain", "LC111"], 0, ""),
            (["explain"], 0, ""),
            (["install-hook", "--print"], 0, ""),
            (["check", "--bogus"], 2, ""),
            (["debug", "toml-json"], 0, "a = 1\n[t]\nb = 'x'\n"),
            (["check", "--all"], 0, ""),
            (["status"], 0, ""),
            (["rules"], 0, ""),
            (["render", "lab/lab_stages.toml", "flight[load]"], 0, ""),
            (["convert"], 0, ""),
            (["uninstall-hook"], 0, ""),
            (["graph"], 2, ""),
        ]
        let (root, environment) = (f.root, f.environment)
        let runs = ProcessInfo.processInfo.environment["LABCHECK_EXIT_RUNS"].flatMap(Int.init) ?? 200
        for command in commands {
            let first = try LabcheckBinary.run(command.args, in: f.root, environment: f.environment, stdin: Array(command.stdin.utf8))
            XCTAssertEqual(first.status, command.status, "\(command.args): \(first)")
            let expected = first.stdout
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: runs) { _ in
                do {
                    let r = try LabcheckBinary.run(command.args, in: root, environment: environment, stdin: Array(command.stdin.utf8))
                    if r.status != command.status || r.stdout != expected { failures.add("\(command.args): \(r)") }
                } catch {
                    failures.add("\(command.args): \(error)")
                }
            }
            XCTAssertEqual(failures.all, [], "\(command.args): abnormal exits or incomplete output in \(runs) runs")
        }
    }
}

/// Failures collected from concurrent runs.
private final class Failures: @unchecked Sendable {
    // Guarded by `lock`: every access goes through it.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
