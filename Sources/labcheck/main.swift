import ArgumentParser
import Foundation
import LabcheckCore
import LabcheckGit

/// Parses the command line and maps every outcome to the documented exit codes: argument
/// errors are 2 (not ArgumentParser's 64), git failures 3.
func runMain() -> Int32 {
    do {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let settings = LaunchPlan.preparsedCheck(arguments) {
            try settings.run()
            return ExitStatus.clean
        }
        var command = try LaunchPlan.parse(arguments)
        try command.run()
        return ExitStatus.clean
    } catch let failure as CommandFailure {
        if !failure.message.isEmpty { FileHandle.standardError.write(Data(("labcheck: " + failure.message + "\n").utf8)) }
        return failure.exitCode
    } catch WorkspaceError.invalidConfiguration(let problems) {
        // The one policy for a broken configuration, whatever the command: the problems on
        // stderr (stdout may be data), exit 2.
        let text = TextReporter(color: false).render(problems, context: RunContext(snapshot: "", filesChecked: 0))
        FileHandle.standardError.write(Data((text + "labcheck: error: the configuration is invalid (LC001/LC002); nothing was checked\n").utf8))
        return ExitStatus.usage
    } catch let error as GitError {
        FileHandle.standardError.write(Data("labcheck: error: \(error)\n".utf8))
        return ExitStatus.gitOrInternal
    } catch let exit as ExitCode {
        return exit.rawValue
    } catch {
        let code = Labcheck.exitCode(for: error)
        let message = Labcheck.fullMessage(for: error)
        if code == .success {
            print(message)
            return ExitStatus.clean
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitStatus.usage
    }
}

_ = HugePageHeap.advised
LabFileReader.preparePieceThread = { HugePageHeap.adviseThisThreadsArena() }
if LaunchPlan.opensRepository(CommandLine.arguments) { LibGit2.initializeInBackground() }
ProcessExit.now(runMain())
