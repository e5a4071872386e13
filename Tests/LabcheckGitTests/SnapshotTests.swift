import Foundation
import XCTest
import LabcheckCore
@testable import LabcheckGit
import LabcheckTestSupport

/// The libgit2 adapter checked against real repositories built with the `git` command.
final class SnapshotTests: XCTestCase {
    private func open(_ fixture: GitFixture, from directory: URL? = nil, env: [String: String] = [:]) throws -> GitRepository {
        try GitRepository(discoverFrom: (directory ?? fixture.root).path, environment: env)
    }

    private func text(_ snapshot: GitSnapshot, _ path: String) throws -> String {
        String(decoding: try snapshot.read(path), as: UTF8.self)
    }

    func testStagedSnapshotReadsTheIndexNotTheWorkTree() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "one\n"])
        try f.write("a.txt", "staged\n")
        try f.git("add", "a.txt")
        try f.write("a.txt", "on disk only\n")
        let snapshot = try GitSnapshot(repository: open(f), mode: .staged)
        XCTAssertEqual(try text(snapshot, "a.txt"), "staged\n")
        let worktree = try GitSnapshot(repository: open(f), mode: .worktree)
        XCTAssertEqual(try text(worktree, "a.txt"), "on disk only\n")
    }

    /// libgit2 (built with mbedTLS, as Debian's is) asks for the CA bundle while it
    /// initialises; labcheck's definition answers instead of mbedTLS's (CertificateBundle.swift),
    /// so no certificate is parsed, and a repository still opens.
    func testLibgit2InitialisationParsesNoCABundle() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "one\n"])
        _ = try GitSnapshot(repository: open(f), mode: .staged)
        // /proc files report size 0: read them to the end, not by their size.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        XCTAssertTrue(maps.contains("libgit2"), "could not read /proc/self/maps")
        guard maps.contains("libmbedx509") else {
            // A libgit2 built against OpenSSL never calls the function: nothing to interpose.
            XCTAssertEqual(CertificateBundle.skipped.load(ordering: .relaxed), 0)
            return
        }
        XCTAssertEqual(CertificateBundle.skipped.load(ordering: .relaxed), 1, "libgit2 did not call labcheck's mbedtls_x509_crt_parse_file")
    }

    /// The pruned walk of two trees (`treeChanges`, used once the index's tree is in memory)
    /// lists the same changes as libgit2's tree-to-index diff, over random edits: files changed,
    /// added, deleted, made executable, turned into symlinks, files becoming directories and
    /// directories becoming files, at any depth.
    func testTreeWalkChangesEqualLibgit2sDiff() throws {
        let f = try GitFixture()
        var generator = SystemRandomNumberGenerator()
        let dirs = ["", "a/", "a/b/", "a/b/c/", "d/"]
        func randomPath() -> String { (dirs.randomElement(using: &generator) ?? "") + ["x", "y", "z", "b", "c"].randomElement(using: &generator)! }
        try f.commit(["a/b/c/x": "1\n", "a/y": "2\n", "d/z": "3\n", "top": "4\n"])
        let fm = FileManager.default
        for round in 0..<40 {
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let path = randomPath(), url = f.root.appendingPathComponent(path)
                var isDirectory: ObjCBool = false
                let exists = fm.fileExists(atPath: url.path, isDirectory: &isDirectory)
                switch Int.random(in: 0..<6, using: &generator) {
                case 0, 1:   // write (a directory in the way is removed: a directory becomes a file)
                    if exists && isDirectory.boolValue { try fm.removeItem(at: url) }
                    // A file (or symlink) where a directory of the path must be: a file becomes
                    // a directory.
                    var prefix = ""
                    for part in path.split(separator: "/").dropLast() {
                        prefix += (prefix.isEmpty ? "" : "/") + part
                        let directory = f.root.appendingPathComponent(prefix).path
                        if let type = (try? fm.attributesOfItem(atPath: directory))?[.type] as? FileAttributeType, type != .typeDirectory {
                            try fm.removeItem(atPath: directory)
                        }
                    }
                    try f.write(path, "\(round) \(Int.random(in: 0..<3, using: &generator))\n")
                case 2: if exists { try fm.removeItem(at: url) }
                case 3: if exists && !isDirectory.boolValue { chmod(url.path, 0o755) }
                case 4:
                    if exists && !isDirectory.boolValue {
                        try fm.removeItem(at: url)
                        try fm.createSymbolicLink(atPath: url.path, withDestinationPath: "top")
                    }
                default: if exists && !isDirectory.boolValue { chmod(url.path, 0o644) }
                }
            }
            try f.git("add", "-A")
            let head = try f.git("rev-parse", "HEAD^{tree}").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let walked = try open(f)
            _ = try walked.indexTreeID()
            XCTAssertNotNil(walked.indexTreeScratch)
            let fromWalk = try walked.indexChanges(againstTree: head)
            let fromDiff = try open(f).indexChanges(againstTree: head)
            let status = try f.git("status", "--short").stdout
            XCTAssertEqual(fromWalk, fromDiff, "round \(round): \(status)")
            if Bool.random(using: &generator) { try f.git("commit", "-qm", "round \(round)", "--allow-empty") }
        }
    }

    /// The index's tree as labcheck writes it (`IndexTree`) is the one `git write-tree` writes,
    /// for names that sort around `/`, dotfiles, non-ASCII and spaces, modes, symlinks,
    /// gitlinks, deep paths and an empty index; an index it does not take as plain is written
    /// by libgit2, as before.
    func testOwnIndexTreeEqualsGitWriteTree() throws {
        let f = try GitFixture()
        var files = ["a-b": "1\n", "a.c": "2\n", "a/x": "3\n", "a0": "4\n", "ab/c": "5\n", "é/ü.txt": "6\n", ".gitignore": "7\n",
                     ".github/workflows/ci.yml": "8\n", ".gitattributes": "9\n", "x y/z": "10\n", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p": "11\n",
                     ".hidden/.git-like": "12\n", "git/x": "13\n", "run.sh": "14\n"]
        try f.commit(files)
        func expectGitsTree(_ label: String, libgit2: Bool = false, line: UInt = #line) throws {
            let repository = try open(f)
            let ours = try repository.indexTreeID().description
            XCTAssertEqual(repository.indexTreeWrittenByLibgit2, libgit2, label, line: line)
            let theirs = try open(f)
            theirs.useOwnTreeWriter = false
            XCTAssertEqual(ours, try theirs.indexTreeID().description, label, line: line)
            if !libgit2 {
                XCTAssertEqual(ours, try f.git("write-tree").stdout.trimmingCharacters(in: .whitespacesAndNewlines), label, line: line)
            }
        }
        try expectGitsTree("committed")
        chmod(f.root.appendingPathComponent("run.sh").path, 0o755)
        try FileManager.default.createSymbolicLink(atPath: f.root.appendingPathComponent("link").path, withDestinationPath: "a/x")
        try f.write("a/b/new", "15\n")
        try f.git("add", "-A")
        let blob = try f.git("rev-parse", "HEAD:a-b").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try f.git("update-index", "--add", "--cacheinfo", "160000,\(blob),vendor/sub")
        try expectGitsTree("executable, symlink, gitlink, a new file")
        // Not plain: libgit2 writes it (an intent-to-add entry; a backslash in a name).
        try f.write("later.txt", "16\n")
        try f.git("add", "-N", "later.txt")
        XCTAssertTrue(try open(f).indexTreeID().description.count == 40)
        let intent = try open(f)
        _ = try intent.indexTreeID()
        XCTAssertTrue(intent.indexTreeWrittenByLibgit2)
        try f.git("rm", "-q", "--cached", "later.txt")
        try f.write("back\\slash", "17\n")
        try f.git("add", "back\\slash")
        try expectGitsTree("a backslash", libgit2: true)
        // Empty: the empty tree.
        try f.git("rm", "-rq", "--cached", ".")
        files = [:]
        try expectGitsTree("empty")
        XCTAssertEqual(try open(f).indexTreeID().description, RunIdentity.emptyTree)
    }

    func testBlobHashEqualsGitHashObject() throws {
        let f = try GitFixture()
        var generator = SystemRandomNumberGenerator()
        let samples: [[UInt8]] = [[], Array("import os\n".utf8), (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }]
        for (k, bytes) in samples.enumerated() {
            let url = f.root.appendingPathComponent("sample\(k)")
            try Data(bytes).write(to: url)
            let expected = try f.git("hash-object", url.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(bytes.withUnsafeBytes { BlobHash.id(of: $0) }?.description, expected, "sample \(k)")
        }
    }

    func testReadEachReturnsStagedBytesWhetherOrNotTheDiskCopyMatches() throws {
        let f = try GitFixture()
        try f.commit(["a.py": "import a\n", "b.py": "import b\n", "c.py": "import c\n"])
        try f.write("b.py", "import staged\n")
        try f.git("add", "b.py")
        try f.write("b.py", "import disk_only\n")
        try f.write("c.py", "import also_disk_only\n")
        func readEach(_ snapshot: GitSnapshot, _ paths: [String]) throws -> [String] {
            final class Box: @unchecked Sendable { var texts: [String]; init(_ n: Int) { texts = Array(repeating: "", count: n) } }
            let box = Box(paths.count)
            let lock = NSLock()
            _ = try snapshot.readEach(paths) { k, bytes in lock.withLock { box.texts[k] = String(decoding: bytes, as: UTF8.self) } }
            return box.texts
        }
        let snapshot = try GitSnapshot(repository: open(f), mode: .staged)
        XCTAssertEqual(try readEach(snapshot, ["a.py", "b.py", "c.py"]), ["import a\n", "import staged\n", "import c\n"])
        let head = try GitSnapshot(repository: open(f), mode: .revision("HEAD"))
        XCTAssertEqual(try readEach(head, ["b.py", "c.py"]), ["import b\n", "import c\n"])
    }

    func testReadEachTrustsIndexStatDataOnlyWhenEveryFieldMatches() throws {
        let f = try GitFixture()
        func touch(_ path: String, _ time: String) throws {
            let r = try runProcess("/usr/bin/touch", ["-m", "-d", time, path], in: f.root, environment: f.environment)
            XCTAssertEqual(r.status, 0, "\(r)")
        }
        func readEach(_ paths: [String]) throws -> (texts: [String], report: String) {
            final class Box: @unchecked Sendable { var texts: [String]; init(_ n: Int) { texts = Array(repeating: "", count: n) } }
            let box = Box(paths.count)
            let lock = NSLock()
            let snapshot = try GitSnapshot(repository: open(f), mode: .staged)
            let observed = try snapshot.readEach(paths) { k, bytes in lock.withLock { box.texts[k] = String(decoding: bytes, as: UTF8.self) } }
            return (box.texts, observed.summary ?? "")
        }
        let paths = ["a.py", "b.py", "c.py"]
        let staged = ["import os\n", "import re\n", "import io\n"]
        for (path, text) in zip(paths, staged) {
            try f.write(path, text)
            try touch(path, "@1600000000")   // recorded long before the index is written: not racy
        }
        try f.git(arguments: ["add"] + paths)

        var r = try readEach(paths)
        XCTAssertEqual(r.texts, staged)
        XCTAssertTrue(r.report.contains("3 matched the index's stat data, 0 their staged blob id by hash), 0 from the object database"), r.report)

        // b.py rewritten with other bytes of the same size and its mtime put back: its ctime
        // still moved, so the stat data does not vouch for it and the staged blob is read.
        try f.write("b.py", "import xx\n")
        try touch("b.py", "@1600000000")
        // c.py rewritten with the same bytes: verified by hash instead.
        try f.write("c.py", "import io\n")
        try touch("c.py", "@1600000000")
        r = try readEach(paths)
        XCTAssertEqual(r.texts, staged)
        XCTAssertTrue(r.report.contains("1 matched the index's stat data, 1 their staged blob id by hash), 1 from the object database"), r.report)

        // An index file older than what its entries recorded (racily clean): nothing is trusted by stat.
        try touch(".git/index", "@1500000000")
        r = try readEach(paths)
        XCTAssertEqual(r.texts, staged)
        XCTAssertTrue(r.report.contains("0 matched the index's stat data, 2 their staged blob id by hash), 1 from the object database"), r.report)

        // assume-unchanged entries are never trusted by stat, whatever git was told.
        try f.git("update-index", "--assume-unchanged", "a.py")
        try f.write("a.py", "import zz\n")
        try touch("a.py", "@1600000000")
        r = try readEach(paths)
        XCTAssertEqual(r.texts, staged)
        XCTAssertTrue(r.report.contains("0 matched the index's stat data, 1 their staged blob id by hash), 2 from the object database"), r.report)
    }

    /// `read` (one file, as lab files are read) takes the work-tree copy only when it is the
    /// staged blob: by the index's stat data, as `git status` decides, or by its hash.
    func testReadTakesTheWorkTreeCopyOnlyWhenItIsTheStagedBlob() throws {
        let f = try GitFixture()
        func touch(_ path: String, _ time: String) throws {
            let r = try runProcess("/usr/bin/touch", ["-m", "-d", time, path], in: f.root, environment: f.environment)
            XCTAssertEqual(r.status, 0, "\(r)")
        }
        let paths = ["a.toml", "b.toml", "c.toml", "d.toml", "e.toml"]
        let staged = ["a = 1\n", "b = 2\n", "c = 3\n", "d = 4\n", "e = 5\n"]
        for (path, text) in zip(paths, staged) {
            try f.write(path, text)
            try touch(path, "@1600000000")   // recorded long before the index is written: not racy
        }
        try f.git(arguments: ["add"] + paths)
        func readAll() throws -> (texts: [String], routes: String) {
            let snapshot = try GitSnapshot(repository: open(f), mode: .staged)
            let texts = try paths.map { try text(snapshot, $0) }
            let r = snapshot.readRoutes
            return (texts, "\(r.byStat) \(r.byHash) \(r.fromObjects)")
        }
        var r = try readAll()
        XCTAssertEqual(r.texts, staged)
        XCTAssertEqual(r.routes, "5 0 0")

        // b: other bytes of the same size, its mtime put back (its ctime moved): the blob.
        // c: the same bytes written again: by hash. d: a FIFO where the file was: the blob,
        // without waiting for a writer. e: deleted: the blob.
        try f.write("b.toml", "b = 9\n")
        try touch("b.toml", "@1600000000")
        try f.write("c.toml", "c = 3\n")
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("d.toml"))
        XCTAssertEqual(mkfifo(f.root.appendingPathComponent("d.toml").path, 0o644), 0)
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("e.toml"))
        r = try readAll()
        XCTAssertEqual(r.texts, staged)
        XCTAssertEqual(r.routes, "1 1 3")

        // A file git converts on its way in: its stat data matches, its bytes are not the
        // blob's (CRLF on disk, LF stored), so the blob is read.
        let g = try GitFixture()
        try g.git("config", "core.autocrlf", "true")
        try g.write("crlf.toml", "x = 1\r\n")
        let t = try runProcess("/usr/bin/touch", ["-m", "-d", "@1600000000", "crlf.toml"], in: g.root, environment: g.environment)
        XCTAssertEqual(t.status, 0, "\(t)")
        try g.git("add", "crlf.toml")
        let snapshot = try GitSnapshot(repository: open(g), mode: .staged)
        XCTAssertEqual(try text(snapshot, "crlf.toml"), "x = 1\n")
        XCTAssertEqual(snapshot.readRoutes.fromObjects, 1)
    }

    /// A work-tree file whose size is not the one the index recorded is not read at all (it
    /// cannot be the staged file; a huge file changed on disk must cost nothing).
    func testAFileOfAnotherSizeThanRecordedIsNotRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labcheck-size-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("f").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("0123456789".utf8)))
        XCTAssertEqual(FileBytes.readWithStatus(path, recordedSize: 10)?.bytes, Array("0123456789".utf8))
        XCTAssertNil(FileBytes.readWithStatus(path, recordedSize: 11))
        XCTAssertEqual(FileBytes.readWithStatus(path)?.bytes.count, 10)
        let buffer = FileBytes.Buffer()
        XCTAssertEqual(FileBytes.read(path, into: buffer, recordedSize: 10)?.bytes.count, 10)
        XCTAssertNil(FileBytes.read(path, into: buffer, recordedSize: 9))
    }

    /// The kept graphs' checksum: 32 bytes, the same for the same bytes, different after any
    /// one flipped bit, a byte added, or two words swapped; an envelope written with it opens
    /// with it, and not when damaged or read as the other kind.
    func testStripeChecksumSeesEveryFlippedBitAndTheLength() throws {
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for length in Array(0..<80) + [255, 256, 257, 4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let sum = bytes.withUnsafeBytes { StripeChecksum.of($0) }
            XCTAssertEqual(sum.count, 32)
            XCTAssertEqual(bytes.withUnsafeBytes { StripeChecksum.of($0) }, sum)
            XCTAssertNotEqual((bytes + [0]).withUnsafeBytes { StripeChecksum.of($0) }, sum, "length \(length) and a zero byte more")
            for _ in 0..<min(64, 8 * length) {
                var flipped = bytes
                let bit = Int.random(in: 0..<(8 * length), using: &generator)
                flipped[bit / 8] ^= UInt8(1 << (bit % 8))
                XCTAssertNotEqual(flipped.withUnsafeBytes { StripeChecksum.of($0) }, sum, "length \(length), bit \(bit)")
                compared += 1
            }
            if length >= 64 {
                var swapped = bytes
                for k in 0..<8 { swapped.swapAt(k, 40 + k) }   // words of lanes 0 and 1
                if swapped != bytes { XCTAssertNotEqual(swapped.withUnsafeBytes { StripeChecksum.of($0) }, sum) }
            }
        }
        XCTAssertGreaterThan(compared, 2000)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labcheck-envelope-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("graph").path
        let payload = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertNil(Envelope.write(payload, magic: Array("MAGIC\n".utf8), to: file, checksum: .stripes))
        let written = try XCTUnwrap(FileManager.default.contents(atPath: file)).map { $0 }
        XCTAssertEqual(Envelope.payload(of: written, magic: Array("MAGIC\n".utf8), checksum: .stripes).map(Array.init), payload)
        XCTAssertNil(Envelope.payload(of: written, magic: Array("MAGIC\n".utf8), checksum: .sha256), "not a SHA-256 envelope")
        var damaged = written
        damaged[damaged.count / 2] ^= 0x10
        XCTAssertNil(Envelope.payload(of: damaged, magic: Array("MAGIC\n".utf8), checksum: .stripes))
    }

    func testWorktreeReadEachNamesFilesChangedSinceTheSnapshot() throws {
        let f = try GitFixture()
        try f.commit(["a.py": "import a\n", "b.py": "import b\n"])
        let snapshot = try GitSnapshot(repository: open(f), mode: .worktree)
        try f.write("b.py", "import changed\n")   // after the snapshot hashed it
        final class Box: @unchecked Sendable { var texts = ["", ""] }
        let box = Box()
        let lock = NSLock()
        let observed = try snapshot.readEach(["a.py", "b.py"]) { k, bytes in lock.withLock { box.texts[k] = String(decoding: bytes, as: UTF8.self) } }
        XCTAssertEqual(box.texts, ["import a\n", "import changed\n"])
        // Its scan must not be cached under the id hashed before the change.
        XCTAssertEqual(observed.changed, ["b.py"])
        XCTAssertEqual(observed.summary, "1 file(s) read from the work tree as hashed for the snapshot, 1 changed since and read again")
    }

    func testRevisionSnapshotReadsTheCommitTreeAlsoInABareRepository() throws {
        let f = try GitFixture()
        try f.commit(["dir/a.txt": "first\n"], message: "one")
        try f.commit(["dir/a.txt": "second\n", "b.txt": "b\n"], message: "two")
        let repo = try open(f)
        let first = try GitSnapshot(repository: repo, mode: .revision("HEAD~1"))
        XCTAssertEqual(first.paths, ["dir/a.txt"])
        XCTAssertEqual(try text(first, "dir/a.txt"), "first\n")

        let bare = f.sibling("bare.git")
        try f.git("clone", "-q", "--bare", f.root.path, bare.path)
        let bareRepo = try GitRepository(discoverFrom: bare.path, environment: [:])
        XCTAssertTrue(bareRepo.isBare)
        let head = try GitSnapshot(repository: bareRepo, mode: .revision("HEAD"))
        XCTAssertEqual(head.paths, ["b.txt", "dir/a.txt"])
        XCTAssertEqual(try text(head, "dir/a.txt"), "second\n")
        XCTAssertThrowsError(try GitSnapshot(repository: bareRepo, mode: .staged)) { error in
            guard case GitError.bareRepository = error else { return XCTFail("\(error)") }
        }
    }

    func testUnknownRevisionIsAClearError() throws {
        let f = try GitFixture()
        try f.commit(["a": "a"])
        XCTAssertThrowsError(try GitSnapshot(repository: open(f), mode: .revision("no-such-branch"))) { error in
            XCTAssertTrue("\(error)".contains("unknown revision 'no-such-branch'"), "\(error)")
        }
    }

    func testWorktreeSnapshotHasUntrackedFilesButNotIgnoredOrDeletedOnes() throws {
        let f = try GitFixture()
        try f.commit([".gitignore": "ignored.txt\n", "tracked.txt": "t\n", "gone.txt": "g\n"])
        try f.write("new/untracked.txt", "u\n")
        try f.write("ignored.txt", "i\n")
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("gone.txt"))
        let snapshot = try GitSnapshot(repository: open(f), mode: .worktree)
        XCTAssertEqual(snapshot.paths, [".gitignore", "new/untracked.txt", "tracked.txt"])
    }

    func testTouchedSetAgainstHeadAndOnAnUnbornHead() throws {
        let f = try GitFixture()
        try f.write("a.txt", "a\n")
        try f.write("b.txt", "b\n")
        try f.git("add", ".")
        let repo = try open(f)
        XCTAssertTrue(repo.headIsUnborn)
        let first = try GitSnapshot(repository: repo, mode: .staged)
        XCTAssertEqual(first.touched(against: try DiffBase(repository: repo, revision: nil)), ["a.txt", "b.txt"])

        try f.git("commit", "-q", "-m", "one")
        try f.write("a.txt", "changed\n")
        try f.git("mv", "b.txt", "renamed.txt")
        try f.write("c.txt", "new\n")
        try f.git("add", "a.txt", "c.txt")
        let repo2 = try open(f)
        let staged = try GitSnapshot(repository: repo2, mode: .staged)
        XCTAssertEqual(staged.touched(against: try DiffBase(repository: repo2, revision: nil)), ["a.txt", "c.txt", "renamed.txt"])
    }

    func testOpensFromASubdirectory() throws {
        let f = try GitFixture()
        try f.commit(["deep/er/file.txt": "x\n"])
        let repo = try open(f, from: f.root.appendingPathComponent("deep/er"))
        let snapshot = try GitSnapshot(repository: repo, mode: .staged)
        XCTAssertEqual(snapshot.paths, ["deep/er/file.txt"])
    }

    func testSubmoduleEntriesAreSkipped() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "a\n"])
        let head = try f.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try f.git("update-index", "--add", "--cacheinfo", "160000,\(head),vendor/sub")
        let snapshot = try GitSnapshot(repository: open(f), mode: .staged)
        XCTAssertEqual(snapshot.paths, ["a.txt"])
        try f.git("commit", "-q", "-m", "with submodule")
        let tree = try GitSnapshot(repository: open(f), mode: .revision("HEAD"))
        XCTAssertEqual(tree.paths, ["a.txt"])
    }

    func testUnmergedEntriesAreAnErrorNamingThePaths() throws {
        let f = try GitFixture()
        try f.commit(["conflict.txt": "base\n", "other.txt": "o\n"])
        try f.git("checkout", "-q", "-b", "side")
        try f.commit(["conflict.txt": "side\n"])
        try f.git("checkout", "-q", "main")
        try f.commit(["conflict.txt": "main\n"])
        try f.git("merge", "-q", "side", allowFailure: true)
        XCTAssertThrowsError(try GitSnapshot(repository: open(f), mode: .staged)) { error in
            guard case GitError.unmergedPaths(let paths) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(paths, ["conflict.txt"])
        }
    }

    func testSplitIndexIsAClearOpenError() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "a\n"])
        try f.git("update-index", "--split-index")
        XCTAssertThrowsError(try GitSnapshot(repository: open(f), mode: .staged)) { error in
            XCTAssertTrue("\(error)".contains("split-index"), "\(error)")
        }
    }

    func testSHA256RepositoryIsAClearOpenError() throws {
        let f = try GitFixture(initialize: false)
        try f.git("init", "-q", "--object-format=sha256")
        XCTAssertThrowsError(try GitRepository(discoverFrom: f.root.path, environment: [:])) { error in
            guard case GitError.cannotOpen(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("libgit2 1.5"), reason)
        }
    }

    func testGitIndexFileIsHonoured() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "committed\n"])
        let alternate = f.sibling("alt-index")
        try f.write("a.txt", "in the alternate index\n")
        try f.git("add", "a.txt", extraEnvironment: ["GIT_INDEX_FILE": alternate.path])
        try f.git("checkout", "--", "a.txt")
        let normal = try GitSnapshot(repository: open(f), mode: .staged)
        XCTAssertEqual(try text(normal, "a.txt"), "committed\n")
        let viaEnv = try GitSnapshot(repository: open(f, env: ["GIT_INDEX_FILE": alternate.path]), mode: .staged)
        XCTAssertEqual(try text(viaEnv, "a.txt"), "in the alternate index\n")
    }

    func testReadingNeverWritesTheIndexOrTakesALock() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "a\n"])
        // Make the stat data stale so a refreshing reader would rewrite the index.
        try f.write("a.txt", "a\n")
        let indexURL = f.root.appendingPathComponent(".git/index")
        let before = try Data(contentsOf: indexURL)
        let beforeDate = try FileManager.default.attributesOfItem(atPath: indexURL.path)[.modificationDate] as? Date
        let repo = try open(f)
        _ = try GitSnapshot(repository: repo, mode: .staged)
        _ = try GitSnapshot(repository: repo, mode: .worktree)
        _ = try GitSnapshot(repository: repo, mode: .revision("HEAD"))
        XCTAssertEqual(try Data(contentsOf: indexURL), before)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: indexURL.path)[.modificationDate] as? Date, beforeDate)
        XCTAssertFalse(FileManager.default.fileExists(atPath: indexURL.path + ".lock"))
    }

    func testLinkedWorktreeReadsItsOwnIndex() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "main\n"])
        let linked = f.sibling("linked")
        try f.git("worktree", "add", "-q", "-b", "feature", linked.path)
        try Data("linked staged\n".utf8).write(to: linked.appendingPathComponent("a.txt"))
        try f.git("add", "a.txt", in: linked)
        let fromLinked = try GitSnapshot(repository: open(f, from: linked), mode: .staged)
        XCTAssertEqual(try text(fromLinked, "a.txt"), "linked staged\n")
        let fromMain = try GitSnapshot(repository: open(f), mode: .staged)
        XCTAssertEqual(try text(fromMain, "a.txt"), "main\n")
        // As git sets it for hooks in a linked worktree.
        let gitDir = try f.git("rev-parse", "--absolute-git-dir", in: linked).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let viaEnv = try GitSnapshot(repository: GitRepository(discoverFrom: linked.path, environment: ["GIT_DIR": gitDir]), mode: .staged)
        XCTAssertEqual(try text(viaEnv, "a.txt"), "linked staged\n")
    }

    func testHooksDirectoryFollowsCoreHooksPathAndTheCommonDirectory() throws {
        let f = try GitFixture()
        try f.commit(["a.txt": "a\n"])
        let expected = try f.git("rev-parse", "--path-format=absolute", "--git-path", "hooks").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try HookInstaller.hooksDirectory(open(f)), expected)
        let linked = f.sibling("wt")
        try f.git("worktree", "add", "-q", "-b", "wt", linked.path)
        let fromLinked = try f.git("rev-parse", "--path-format=absolute", "--git-path", "hooks", in: linked).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try HookInstaller.hooksDirectory(open(f, from: linked)), fromLinked)
        try f.git("config", "core.hooksPath", ".githooks")
        let configured = try f.git("rev-parse", "--path-format=absolute", "--git-path", "hooks").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try HookInstaller.hooksDirectory(open(f)), configured)
    }
}
