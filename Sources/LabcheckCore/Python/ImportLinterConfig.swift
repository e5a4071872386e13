import LabcheckTOML

/// import-linter's own configuration, read as it is (issue 12: a drop-in for its users):
/// `setup.cfg` or `.importlinter` (INI, section `[importlinter]` and one
/// `[importlinter:contract:<id>]` per contract), then `pyproject.toml` (`[tool.importlinter]`
/// with `contracts = [...]`), searched in import-linter's order at the repository root.
///
/// Each contract is translated into labcheck's own contract table, line by line, and read by
/// the same reader as `.labcheck.toml`'s contracts; every position is mapped back to the
/// original file, so problems point at what the user wrote. Imported `ignore_imports` carry no
/// reason (import-linter has none): their reason says where they came from.
public struct ImportLinterConfig: Sendable {
    /// The file the contracts came from.
    public let path: String
    public let contracts: [ImportContract]
    /// Problems (LC001) at positions of `path`.
    public let problems: [Diagnostic]
    /// What was read, for `-v`.
    public let log: [String]

    /// The files import-linter reads, in its order.
    public static let searchOrder = ["setup.cfg", ".importlinter", "pyproject.toml"]

    /// A value as written: one string, or the lines of a multi-line INI value / a TOML array.
    struct Value {
        var items: [String]
        var isList: Bool
        var position: SourcePosition
        /// Where each item is written (a continuation line's text; the value's own position
        /// when the file says no better).
        var itemPositions: [SourcePosition] = []

        func position(ofItem k: Int) -> SourcePosition { k < itemPositions.count ? itemPositions[k] : position }
    }

    /// Finds and reads the configuration: `setting` is "auto" (the first file of `searchOrder`
    /// that holds an import-linter section), a path, or nil (off).
    public static func load(setting: String?, paths: [String], read: (String) throws -> [UInt8]) rethrows -> ImportLinterConfig? {
        guard let setting else { return nil }
        let candidates = setting == "auto" ? searchOrder.filter(paths.contains) : [setting]
        for path in candidates {
            guard paths.contains(path) else {
                return ImportLinterConfig(path: path, contracts: [], problems: [problem("import_linter = \"\(path)\" names no file of the snapshot", path: LabcheckConfig.fileName, at: SourcePosition(line: 1, column: 1))], log: [])
            }
            let bytes = try read(path)
            if path.hasSuffix(".toml"), let problem = unreadableTOML(bytes, path: path) {
                // Never a silent pass: contracts in a file labcheck cannot read are not "none".
                return ImportLinterConfig(path: path, contracts: [], problems: [problem], log: [])
            }
            let parsed = path.hasSuffix(".toml") ? fromTOML(bytes, path: path) : fromINI(bytes, path: path)
            guard let (session, contracts, readProblems) = parsed else {
                // "auto" moves on to the next file; a file named in .labcheck.toml must hold contracts.
                if setting == "auto" { continue }
                return ImportLinterConfig(path: path, contracts: [], problems: [problem("import_linter = \"\(path)\", but \(path) has no import-linter section ([importlinter], or [tool.importlinter] in a TOML file)", path: LabcheckConfig.fileName, at: SourcePosition(line: 1, column: 1))], log: [])
            }
            return translate(path: path, session: session, contracts: contracts, problems: readProblems)
        }
        return nil
    }

    static func problem(_ message: String, path: String, at position: SourcePosition, help: String? = nil) -> Diagnostic {
        Diagnostic(id: "LC001", severity: .error, message: message, file: path, start: position, end: position, help: help)
    }

    // MARK: reading

    /// configparser's reading of an INI file: `[section]`, `key = value` or `key: value`
    /// (keys lower-cased), indented continuation lines, `#` and `;` comment lines. Nil when
    /// there is no `[importlinter]` section.
    static func fromINI(_ bytes: [UInt8], path: String) -> (session: [String: Value], contracts: [(String, [String: Value])], problems: [Diagnostic])? {
        let text = String(decoding: bytes, as: UTF8.self)
        var sections: [(String, [String: Value], [String])] = []   // name, values, key order
        var problems: [Diagnostic] = []
        var currentKey: String? = nil
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let lineNumber = index + 1
            let trimmed = String(line).trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if indented, let key = currentKey, !sections.isEmpty {
                let column = line.prefix { $0 == " " || $0 == "\t" }.count + 1
                sections[sections.count - 1].1[key]?.items.append(trimmed)
                sections[sections.count - 1].1[key]?.itemPositions.append(SourcePosition(line: lineNumber, column: column))
                sections[sections.count - 1].1[key]?.isList = true
                continue
            }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                sections.append((String(trimmed.dropFirst().dropLast()), [:], []))
                currentKey = nil
                continue
            }
            guard !sections.isEmpty, let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                problems.append(problem("\(path) line \(lineNumber) is not `key = value` inside a [section]", path: path, at: SourcePosition(line: lineNumber, column: 1)))
                continue
            }
            let key = String(line[..<separator]).trimmingSpaces.lowercased()
            let value = String(line[line.index(after: separator)...]).trimmingSpaces
            let column = line.distance(from: line.startIndex, to: separator) + 2
            let valueColumn = column + (line[line.index(after: separator)...].prefix { $0 == " " || $0 == "\t" }.count)
            sections[sections.count - 1].1[key] = Value(items: value.isEmpty ? [] : [value], isList: false, position: SourcePosition(line: lineNumber, column: column),
                                                         itemPositions: value.isEmpty ? [] : [SourcePosition(line: lineNumber, column: valueColumn)])
            sections[sections.count - 1].2.append(key)
            currentKey = key
        }
        guard let session = sections.first(where: { $0.0 == "importlinter" }) else { return nil }
        let contracts = sections.filter { $0.0.hasPrefix("importlinter:") }.map { (String($0.0.split(separator: ":").last ?? ""), $0.1) }
        return (session.1, contracts, problems)
    }

    /// A TOML file that does not parse but mentions import-linter: its contracts cannot be read,
    /// which is an error (a pyproject.toml that is broken for other reasons and never mentions
    /// import-linter has nothing for labcheck).
    static func unreadableTOML(_ bytes: [UInt8], path: String) -> Diagnostic? {
        let source = SourceText(bytes)
        do {
            _ = try TOMLParser.parse(source)
            return nil
        } catch let error as TOMLSyntaxError {
            guard String(decoding: bytes, as: UTF8.self).contains("importlinter") else { return nil }
            return problem("\(path) is not valid TOML (\(error.message)), so its import-linter contracts cannot be read", path: path, at: error.position)
        } catch {
            return problem("\(path) cannot be read: \(error)", path: path, at: SourcePosition(line: 1, column: 1))
        }
    }

    /// `[tool.importlinter]` of a pyproject.toml. Nil when it has none.
    static func fromTOML(_ bytes: [UInt8], path: String) -> (session: [String: Value], contracts: [(String, [String: Value])], problems: [Diagnostic])? {
        let source = SourceText(bytes)
        guard let document = try? TOMLParser.parse(source), let tool = document.root["tool"]?.table, let node = tool["importlinter"], let table = node.table else { return nil }
        func value(_ n: TOMLNode) -> Value? {
            let position = source.position(of: n.span.start)
            if let s = n.string { return Value(items: [s], isList: false, position: position) }
            if let b = n.bool { return Value(items: [b ? "True" : "False"], isList: false, position: position) }
            if let i = n.integer { return Value(items: [String(i)], isList: false, position: position) }
            if let a = n.array, a.items.allSatisfy({ $0.string != nil }) {
                return Value(items: a.items.compactMap(\.string), isList: true, position: position, itemPositions: a.items.map { source.position(of: $0.span.start) })
            }
            return nil
        }
        var problems: [Diagnostic] = []
        var session: [String: Value] = [:]
        var contracts: [(String, [String: Value])] = []
        for entry in table.entries {
            if entry.key == "contracts" {
                for (k, item) in (entry.value.array?.items ?? []).enumerated() {
                    guard let t = item.table else { continue }
                    var values: [String: Value] = [:]
                    for e in t.entries {
                        if let v = value(e.value) { values[e.key] = v }
                        else { problems.append(problem("'\(e.key)' of an import-linter contract must be a string, a boolean or a list of strings", path: path, at: source.position(of: e.value.span.start))) }
                    }
                    contracts.append((values["id"]?.items.first ?? String(k + 1), values))
                }
            } else if let v = value(entry.value) {
                session[entry.key] = v
            }
        }
        return (session, contracts, problems)
    }

    // MARK: translation

    /// import-linter's contract options, and labcheck's name for each (nil: accepted, no effect).
    static let optionNames: [String: String?] = [
        "name": "name", "type": "type", "source_modules": "source", "forbidden_modules": "forbidden",
        "allow_indirect_imports": "allow_indirect", "layers": "layers", "containers": "containers", "modules": "modules",
        "protected_modules": "protected", "allowed_importers": "allowed_importers", "as_packages": "as_packages",
        "unmatched_ignore_imports_alerting": "unmatched_ignore_imports_alerting", "exhaustive": "exhaustive",
        "exhaustive_ignores": "exhaustive_ignores", "ignore_imports": "ignore", "id": nil, "broken_contract_guidance": nil,
        "ancestors": "ancestors", "depth": "depth", "skip_descendants": "skip_descendants",
    ]
    static let booleanOptions: Set<String> = ["allow_indirect_imports", "as_packages", "exhaustive"]
    static let listOptions: Set<String> = ["source_modules", "forbidden_modules", "layers", "containers", "modules", "protected_modules",
                                           "allowed_importers", "exhaustive_ignores", "ignore_imports", "ancestors", "skip_descendants"]

    static func translate(path: String, session: [String: Value], contracts: [(String, [String: Value])], problems readProblems: [Diagnostic]) -> ImportLinterConfig {
        var problems = readProblems
        var log = ["import-linter: contracts read from \(path) (\(contracts.count))"]
        let roots = (session["root_packages"]?.items ?? []) + (session["root_package"]?.items ?? [])
        if !roots.isEmpty { log.append("import-linter: root packages \(roots.joined(separator: ", ")) (labcheck's graph is every module under [python] roots)") }
        if let types = session["contract_types"] {
            problems.append(problem("custom contract types (contract_types) are Python code: labcheck never runs code from the repository", path: path, at: types.position))
        }
        let excludeTypeChecking = ["true", "1", "yes"].contains((session["exclude_type_checking_imports"]?.items.first ?? "").lowercased())
        // The translation: one `[[contracts]]` table per contract, one line per key, and where
        // each generated line came from.
        var text = ""
        var origin: [SourcePosition] = [SourcePosition(line: 1, column: 1)]   // by generated line (1-based; index 0 unused)
        func emit(_ line: String, from position: SourcePosition) {
            text += line + "\n"
            origin.append(position)
        }
        for (id, options) in contracts {
            let first = options.values.map(\.position).min { ($0.line, $0.column) < ($1.line, $1.column) } ?? SourcePosition(line: 1, column: 1)
            emit("[[contracts]]", from: first)
            if options["name"] == nil { emit("name = \(TOMLLiteral.basicString(id))", from: first) }
            for key in options.keys.sorted() {
                guard let value = options[key] else { continue }
                guard let mapped = optionNames[key] else {
                    problems.append(problem("contract '\(id)' in \(path): option '\(key)' is not one labcheck reads", path: path, at: value.position,
                                            help: NearestName.suggestion(for: key, among: Array(optionNames.keys)).map { "did you mean '\($0)'?" }))
                    continue
                }
                guard let name = mapped else { continue }
                let rendered: String
                if listOptions.contains(key) {
                    // One item per line, so each maps back to where it is written.
                    emit("\(name) = [", from: value.position)
                    let reason = "imported from \(path) (import-linter ignores carry no reason)"
                    for (k, item) in value.items.enumerated() {
                        let text = key == "ignore_imports" ? "{ import = \(TOMLLiteral.basicString(item)), reason = \(TOMLLiteral.basicString(reason)) }" : TOMLLiteral.basicString(item)
                        emit("  \(text),", from: value.position(ofItem: k))
                    }
                    emit("]", from: value.position)
                    continue
                } else if booleanOptions.contains(key) {
                    rendered = ["true", "1", "yes"].contains((value.items.first ?? "").lowercased()) ? "true" : "false"
                } else {
                    rendered = TOMLLiteral.basicString(value.items.first ?? "")
                }
                emit("\(name) = \(rendered)", from: value.position)
            }
            if excludeTypeChecking { emit("type_checking = \"ignore\"", from: first) }
        }
        let source = SourceText(text)
        guard let document = try? TOMLParser.parse(source), let tables = document.root["contracts"]?.array?.items else {
            return ImportLinterConfig(path: path, contracts: [], problems: problems, log: log)
        }
        let (read, found) = ImportContract.read(tables, file: path, source: source, id: "LC001")
        /// A generated position, as the place in the original file its line came from.
        func map(_ p: SourcePosition) -> SourcePosition { p.line > 0 && p.line < origin.count ? origin[p.line] : p }
        problems += found.map { d in
            var d = d
            d.start = map(d.start)
            d.end = d.start
            d.sourceLine = nil
            return d
        }
        let mapped = read.map { $0.mapped(map) }
        log.append("import-linter: \(mapped.count) contract(s) from \(path)")
        return ImportLinterConfig(path: path, contracts: mapped, problems: problems, log: log)
    }
}

extension ImportContract {
    /// The same contract with its positions mapped (expressions and ignores).
    func mapped(_ map: (SourcePosition) -> SourcePosition) -> ImportContract {
        var copy = ImportContract(name: name, kind: kind, source: source, forbidden: forbidden, layers: layers, containers: containers, modules: modules,
                       protected: protected, allowedImporters: allowedImporters, asPackages: asPackages, unmatchedIgnores: unmatchedIgnores,
                       exhaustive: exhaustive, exhaustiveIgnores: exhaustiveIgnores,
                       expressions: expressions.map { e in
                           let start = map(e.position)
                           return Expression(key: e.key, text: e.text, optional: e.optional, file: e.file, position: start,
                                             end: SourcePosition(line: start.line, column: start.column + e.text.count))
                       },
                       allowIndirect: allowIndirect, typeChecking: typeChecking, dynamic: dynamic, guarded: guarded,
                       ignores: ignores.map { Ignore(importer: $0.importer, imported: $0.imported, reason: $0.reason, file: $0.file, position: map($0.position)) },
                       origin: origin, problemID: problemID)
        copy.ancestors = ancestors
        copy.depth = depth
        copy.skipDescendants = skipDescendants
        return copy
    }
}
