import LabcheckTOML

/// An import-boundary contract (DESIGN §4), from `.labcheck.toml` or a preset.
public struct ImportContract: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case forbidden, layers, independence, protected, acyclicSiblings = "acyclic_siblings" }
    /// How an ignore that matches no import is reported (import-linter's
    /// `unmatched_ignore_imports_alerting`): an error (the default), a warning, or not at all.
    public enum Alerting: String, Sendable { case error, warn, none }
    public enum Inclusion: String, Sendable { case include, ignore }

    /// An import edge a contract tolerates, with the reason it is tolerated.
    public struct Ignore: Sendable {
        public let importer: String
        public let imported: String
        public let reason: String
        /// Where the ignore is written (for "matches nothing" reports).
        public let file: String
        public let position: SourcePosition

        func matches(importer edgeImporter: String, imported edgeImported: String) -> Bool {
            Self.match(importer, edgeImporter) && Self.match(imported, edgeImported)
        }

        /// A module pattern: exact, or with `*` standing for one dotted component
        /// (`**` for any number of them).
        static func match(_ pattern: String, _ module: String) -> Bool {
            guard pattern.utf8.contains(0x2A) else { return pattern == module }
            let p = pattern.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let m = module.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // ok[j]: the pattern's first i components match the module's first j (a table, row
            // by row: no recursion, and no exponential backtracking on many `**`).
            var ok = [Bool](repeating: false, count: m.count + 1)
            ok[0] = true
            for component in p {
                var next = [Bool](repeating: false, count: m.count + 1)
                if component == "**" {
                    var reachable = false
                    for j in 0...m.count {
                        reachable = reachable || ok[j]
                        next[j] = reachable
                    }
                } else {
                    for j in 0..<m.count where ok[j] && Glob.matchName(component, m[j]) { next[j + 1] = true }
                }
                ok = next
            }
            return ok[m.count]
        }
    }

    /// One layer of a layers contract: one module, or siblings written `a | b` (independent:
    /// they must not import each other) or `a : b` (they may). `(name)` is an optional layer.
    public struct Layer: Sendable {
        public struct Tail: Sendable {
            public let name: String
            public let optional: Bool
        }
        public let tails: [Tail]
        public let independent: Bool
    }

    /// A module expression as written, for the check that it names something (never a
    /// silent pass) and for `-v`.
    public struct Expression: Sendable {
        /// The contract key it is written under (`source`, `layers`, ...).
        public let key: String
        public let text: String
        public let optional: Bool
        public let file: String
        public let position: SourcePosition
        /// One past the end of the string as written (quotes included).
        public let end: SourcePosition
    }

    public let name: String
    public let kind: Kind
    public let source: [String]
    public let forbidden: [String]
    /// Layers from highest to lowest, relative to each container (or absolute without one).
    public let layers: [Layer]
    /// The parent packages the layers repeat in; empty: the layers are absolute module names.
    public let containers: [String]
    public let modules: [String]
    /// `protected`: the protected modules, and the only modules that may import them directly.
    public let protected: [String]
    public let allowedImporters: [String]
    /// `forbidden` and `protected`: whether each module stands for itself and its descendants
    /// (true, the default) or for itself alone.
    public let asPackages: Bool
    public let unmatchedIgnores: Alerting
    /// `layers` with containers: every child of each container must be a layer, or one of
    /// `exhaustiveIgnores` (import-linter's `exhaustive` / `exhaustive_ignores`).
    public let exhaustive: Bool
    public let exhaustiveIgnores: [String]
    /// `acyclic_siblings`: the packages whose children must not form a cycle, how many levels
    /// below each to check too (import-linter's default 10), and packages not descended into.
    public var ancestors: [String] = []
    public var depth = 10
    public var skipDescendants: [String] = []
    /// Every module expression of the contract, where it is written.
    public let expressions: [Expression]
    public let allowIndirect: Bool
    public let typeChecking: Inclusion
    public let dynamic: Inclusion
    /// Imports inside a `try:` that catches ImportError (optional imports).
    public let guarded: Inclusion
    public let ignores: [Ignore]
    /// Where the contract is defined, for messages.
    public let origin: String
    /// The id its configuration problems are reported with: LC001 (`.labcheck.toml`,
    /// import-linter's files), LC002 (a preset of a rules directory).
    public var problemID: String = "LC001"

    /// Reads contracts from `[[contracts]]` tables. Problems are diagnostics with `id`
    /// (LC001 for `.labcheck.toml`, LC002 for presets).
    public static func read(_ tables: [TOMLNode], file: String, source: SourceText, id: String) -> ([ImportContract], [Diagnostic]) {
        var contracts: [ImportContract] = []
        var problems: [Diagnostic] = []
        let sourceText = source
        func problem(_ message: String, _ span: ByteSpan, help: String? = nil) {
            problems.append(Diagnostic(id: id, severity: .error, message: message, file: file, span: span, in: source, help: help))
        }
        for node in tables {
            guard let t = node.table else { problem("a contract must be a table", node.span); continue }
            var expressions: [Expression] = []
            func items(_ key: String, required: Bool) -> [(text: String, span: ByteSpan)]? {
                guard let v = t[key] else {
                    if required { problem("contract needs '\(key)'", node.span) }
                    return nil
                }
                guard let a = v.array, a.items.allSatisfy({ $0.string != nil }), !a.items.isEmpty else {
                    problem("'\(key)' must be a non-empty array of module names", v.span)
                    return nil
                }
                return a.items.compactMap { item in item.string.map { ($0, item.span) } }
            }
            /// Module expressions: dotted names whose components are identifiers, `*` or `**`.
            /// Anything else (spaces, `:`, `|`, a misplaced `(`) is an error, never a name.
            func strings(_ key: String, required: Bool, wildcards: Bool = true) -> [String]? {
                guard let list = items(key, required: required) else { return nil }
                var out: [String] = []
                for (text, span) in list {
                    let trimmed = text.trimmingSpaces
                    if let why = ImportContract.expressionProblem(trimmed, wildcards: wildcards) {
                        problem("'\(text)' in '\(key)' is not a module expression: \(why)", span)
                        continue
                    }
                    out.append(trimmed)
                    expressions.append(Expression(key: key, text: trimmed, optional: false, file: file, position: source.position(of: span.start), end: source.position(of: span.end)))
                }
                return out.count == list.count ? out : nil
            }
            let name = t["name"]?.string ?? "(unnamed contract)"
            let kinds = Kind.allCases.map(\.rawValue)
            guard let typeNode = t["type"], let typeText = typeNode.string else { problem("contract '\(name)' needs 'type' (\(kinds.joined(separator: ", ")))", node.span); continue }
            guard let kind = Kind(rawValue: typeText) else {
                problem("unknown contract type '\(typeText)'", typeNode.span,
                        help: NearestName.suggestion(for: typeText, among: kinds).map { "did you mean '\($0)'?" } ?? "contract types: \(kinds.joined(separator: ", "))")
                continue
            }
            func inclusion(_ key: String) -> Inclusion? {
                guard let v = t[key] else { return .include }
                guard let s = v.string, let i = Inclusion(rawValue: s) else { problem("'\(key)' must be \"include\" or \"ignore\"", v.span); return nil }
                return i
            }
            func flag(_ key: String, _ defaultValue: Bool) -> Bool {
                guard let v = t[key] else { return defaultValue }
                if let b = v.bool { return b }
                problem("'\(key)' must be true or false", v.span)
                return defaultValue
            }
            let allowIndirect = flag("allow_indirect", false)
            let asPackages = flag("as_packages", true)
            var alerting = Alerting.error
            if let v = t["unmatched_ignore_imports_alerting"] {
                if let text = v.string, let a = Alerting(rawValue: text) { alerting = a }
                else { problem("'unmatched_ignore_imports_alerting' must be \"error\", \"warn\" or \"none\"", v.span) }
            }
            var ignores: [Ignore] = []
            if let v = t["ignore"] {
                for item in v.array?.items ?? [] {
                    guard let it = item.table, let spec = it["import"]?.string else { problem("each ignore is { import = \"a -> b\", reason = \"...\" }", item.span); continue }
                    let parts = spec.components(separatedBy: "->")
                    guard parts.count == 2 else { problem("ignore '\(spec)' must read \"importer -> imported\"", it["import"]!.span); continue }
                    guard let reason = it["reason"]?.string, !reason.trimmingSpaces.isEmpty else {
                        problem("ignore '\(spec)' needs a 'reason'", item.span, help: "say why this import is tolerated, e.g. reason = \"removed in 2.0\"")
                        continue
                    }
                    ignores.append(Ignore(importer: parts[0].trimmingSpaces, imported: parts[1].trimmingSpaces, reason: reason, file: file,
                                          position: source.position(of: item.span.start)))
                }
                if v.array == nil { problem("'ignore' must be an array of { import, reason } tables", v.span) }
            }
            var source: [String] = [], forbidden: [String] = [], layers: [Layer] = [], modules: [String] = [], containers: [String] = []
            var protected: [String] = [], allowed: [String] = []
            var ancestors: [String] = [], skipDescendants: [String] = [], depth = 10
            let exhaustive = flag("exhaustive", false)
            var exhaustiveIgnores: [String] = []
            if t["exhaustive_ignores"] != nil, let list = items("exhaustive_ignores", required: false) { exhaustiveIgnores = list.map { $0.text.trimmingSpaces } }
            if exhaustive || t["exhaustive_ignores"] != nil {
                if kind != .layers { problem("'exhaustive' and 'exhaustive_ignores' belong to layers contracts", (t["exhaustive"] ?? t["exhaustive_ignores"])?.span ?? node.span) }
                else if t["containers"] == nil { problem("'exhaustive' needs 'containers': it checks that every child of each container is a layer", (t["exhaustive"] ?? t["exhaustive_ignores"])?.span ?? node.span) }
            }
            switch kind {
            case .forbidden:
                guard let s = strings("source", required: true), let f = strings("forbidden", required: true) else { continue }
                source = s
                forbidden = f
            case .layers:
                guard let list = items("layers", required: true) else { continue }
                if t["containers"] != nil {
                    guard let c = strings("containers", required: false, wildcards: false) else { continue }
                    containers = c
                }
                var seen: [String: Int] = [:]
                var valid = true
                for (index, (text, span)) in list.enumerated() {
                    switch ImportContract.parseLayer(text) {
                    case .failure(let why):
                        problem("layer '\(text)' \(why)", span)
                        valid = false
                    case .success(let layer):
                        for tail in layer.tails {
                            if let other = seen[tail.name], other != index {
                                problem("layer '\(tail.name)' is in more than one layer of contract '\(name)'", span)
                                valid = false
                            }
                            seen[tail.name] = index
                            let position = sourceText.position(of: span.start), end = sourceText.position(of: span.end)
                            if containers.isEmpty {
                                expressions.append(Expression(key: "layers", text: tail.name, optional: tail.optional, file: file, position: position, end: end))
                            } else {
                                for container in containers {
                                    expressions.append(Expression(key: "layers", text: container + "." + tail.name, optional: tail.optional, file: file, position: position, end: end))
                                }
                            }
                        }
                        layers.append(layer)
                    }
                }
                let names = seen.keys.sorted()
                for a in names { for b in names where a != b && isWithin(b, a) {
                    problem("layer '\(b)' lies inside layer '\(a)': layers cannot contain each other", t["layers"]?.span ?? node.span)
                    valid = false
                } }
                guard valid else { continue }
            case .independence:
                guard let m = strings("modules", required: true) else { continue }
                modules = m
            case .protected:
                guard let p = strings("protected", required: true), let a = strings("allowed_importers", required: true) else { continue }
                protected = p
                allowed = a
            case .acyclicSiblings:
                guard let a = strings("ancestors", required: true) else { continue }
                ancestors = a
                if t["skip_descendants"] != nil {
                    guard let s = strings("skip_descendants", required: false) else { continue }
                    skipDescendants = s
                    if let both = s.first(where: a.contains) {
                        problem("cannot skip '\(both)': it is also an ancestor of contract '\(name)'", t["skip_descendants"]?.span ?? node.span)
                        continue
                    }
                }
                if let v = t["depth"] {
                    let parsed = v.integer.map(Int.init) ?? v.string.flatMap { Int($0.trimmingSpaces) }
                    guard let d = parsed, d >= 0 else { problem("'depth' must be a whole number, 0 or more", v.span); continue }
                    depth = d
                }
            }
            guard let tc = inclusion("type_checking"), let dyn = inclusion("dynamic"), let guarded = inclusion("guarded") else { continue }
            var contract = ImportContract(name: name, kind: kind, source: source, forbidden: forbidden, layers: layers,
                                            containers: containers, modules: modules, protected: protected, allowedImporters: allowed,
                                            asPackages: asPackages, unmatchedIgnores: alerting, exhaustive: exhaustive, exhaustiveIgnores: exhaustiveIgnores,
                                            expressions: expressions,
                                            allowIndirect: allowIndirect, typeChecking: tc, dynamic: dyn, guarded: guarded, ignores: ignores,
                                            origin: file, problemID: id)
            contract.ancestors = ancestors
            contract.skipDescendants = skipDescendants
            contract.depth = depth
            contracts.append(contract)
        }
        return (contracts, problems)
    }
}

extension ImportContract {
    /// Why `text` is not a module expression, or nil: dotted components, each an identifier
    /// (Python's: letters, digits, `_`, non-ASCII) or, where allowed, `*` / `**`.
    static func expressionProblem(_ text: String, wildcards: Bool) -> String? {
        if text.isEmpty { return "it is empty" }
        for component in text.split(separator: ".", omittingEmptySubsequences: false) {
            if component.isEmpty { return "it has an empty component (two dots, or a dot at an end)" }
            if component == "*" || component == "**" {
                if !wildcards { return "wildcards are not supported here" }
                continue
            }
            if component.contains("*") { return "a wildcard stands for a whole component (`a.*.c`, `a.**`), not part of one" }
            let scalars = component.unicodeScalars
            guard let first = scalars.first, first == "_" || first.properties.isXIDStart || (first.value >= 0x80 && first.properties.isXIDContinue) else {
                return "'\(component)' is not a Python identifier"
            }
            if let bad = scalars.first(where: { !($0 == "_" || $0.properties.isXIDContinue) }) {
                return "'\(component)' contains '\(bad)', which no Python module name does"
            }
        }
        return nil
    }

    /// A layer as import-linter writes it: `a`, `a | b` (independent siblings), `a : b`
    /// (siblings that may import each other), `(a)` (optional). Mixing `|` and `:`, repeating a
    /// module, or anything that is not a module name is an error.
    static func parseLayer(_ text: String) -> Result<Layer, LayerError> {
        let hasPipe = text.contains("|"), hasColon = text.contains(":")
        if hasPipe && hasColon { return .failure(LayerError("mixes independent (`|`) and non-independent (`:`) siblings; use one kind per layer")) }
        let parts = text.split(separator: hasPipe ? "|" : ":", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        var tails: [Layer.Tail] = []
        for part in parts {
            var name = part
            var optional = false
            if name.hasPrefix("(") && name.hasSuffix(")") && name.count >= 2 {
                name = String(name.dropFirst().dropLast()).trimmingSpaces
                optional = true
            }
            if let why = expressionProblem(name, wildcards: false) { return .failure(LayerError("has '\(part)', which is not a module name: \(why)")) }
            if tails.contains(where: { $0.name == name }) { return .failure(LayerError("names '\(name)' twice")) }
            tails.append(Layer.Tail(name: name, optional: optional))
        }
        return .success(Layer(tails: tails, independent: !hasColon))
    }

    struct LayerError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}

extension ImportContract.LayerError: CustomStringConvertible {
    var description: String { message }
}

extension String {
    /// Splits on a separator string (no Foundation).
    func components(separatedBy separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}

/// Checks contracts against an import graph. Module names are interned to integers once, so
/// the chain searches work on arrays, not strings.
public struct ContractChecker: Sendable {
    let graph: ImportGraph
    /// Files changed against the diff base; nil reports everything (`--all`).
    let scope: ReportScope
    /// Module names by node id.
    let names: [String]
    /// For each edge of the graph: importer and imported node ids.
    let from: [Int32]
    let to: [Int32]
    /// The edges in the order chain searches read them, and their links (`EdgeOrder`).
    let edgeOrder: EdgeOrder
    var link: [Int32] { edgeOrder.link }
    var linkCount: Int { edgeOrder.linkCount }
    var rank: [Int32] { edgeOrder.rank }
    var order: [Int32] { edgeOrder.order }
    var orderStart: [Int32] { edgeOrder.orderStart }

    /// `rank`: the nodes' positions by name, if known (`ImportGraph.nameRanks`); `order`: the
    /// graph's edge order, if known (made on another thread, or patched with the graph), used
    /// when it is the order of this graph's nodes and edges.
    public init(graph: ImportGraph, scope: ReportScope, rank known: [Int32]? = nil, order: EdgeOrder? = nil) {
        self.graph = graph
        self.scope = scope
        names = graph.nodeNames
        from = graph.edgeFrom
        to = graph.edgeTo
        if let order, order.fits(graph) { edgeOrder = order } else { edgeOrder = EdgeOrder(graph: graph, rank: known) }
    }

    /// import-linter's acyclic_siblings: for each ancestor, and its descendants down to
    /// `depth` (not into `skip_descendants`), the dependencies between its children that must be
    /// removed to make them acyclic, nominated as grimp does: the children ordered by taking
    /// sources (nothing imports them) round by round, then sinks round by round (each round
    /// placed before the previous ones), then the rest one at a time by the largest weighted
    /// out-degree minus in-degree (ties: the name that sorts first); every dependency pointing
    /// back in that order is a breaker. Weights count the distinct (importer, imported) module
    /// pairs from one child's subtree into the other's. One LC307 finding per breaker.
    func siblingCycles(_ view: View, contract: ImportContract) -> [Diagnostic] {
        var children: [String: Set<String>] = [:]
        for m in graph.moduleNames {
            var end = m.endIndex
            while let dot = m[..<end].lastIndex(of: ".") {
                children[String(m[..<dot]), default: []].insert(String(m[..<end]))
                end = dot
            }
        }
        let skip = Set(expand(contract.skipDescendants))
        var out: [Diagnostic] = []
        var work: [(String, Int)] = expand(contract.ancestors).sorted().reversed().map { ($0, contract.depth) }
        var visited = Set<String>()
        while let (package, remaining) = work.popLast() {
            guard visited.insert(package).inserted, let kids = children[package], !kids.isEmpty else { continue }
            if kids.count >= 2 { out += breakers(view, package: package, children: kids.sorted(), contract: contract) }
            if remaining > 0 { for child in kids.sorted().reversed() where !skip.contains(child) { work.append((child, remaining - 1)) } }
        }
        return out
    }

    private func breakers(_ view: View, package: String, children: [String], contract: ImportContract) -> [Diagnostic] {
        // Which child each node lies in (-1: none).
        let prefix = package + "."
        let index = Dictionary(uniqueKeysWithValues: children.enumerated().map { ($1, $0) })
        var childOf = [Int](repeating: -1, count: names.count)
        for (n, name) in names.enumerated() where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            let first = package + "." + rest.prefix { $0 != "." }
            childOf[n] = index[first] ?? -1
        }
        // Distinct module pairs between children, and an edge (import site) for each.
        var pairs: [Int: [Int64: Int]] = [:]   // child pair key -> (module pair -> first live edge)
        for i in view.live {
            let a = childOf[Int(from[i])], b = childOf[Int(to[i])]
            guard a >= 0, b >= 0, a != b else { continue }
            let key = a * children.count + b
            let modules = Int64(from[i]) << 32 | Int64(to[i])
            if pairs[key]?[modules] == nil { pairs[key, default: [:]][modules] = i }
        }
        let n = children.count
        var imports = [Set<Int>](repeating: [], count: n), importers = [Set<Int>](repeating: [], count: n)
        var weight: [Int: Int] = [:]
        for (key, modulePairs) in pairs {
            let (a, b) = (key / n, key % n)
            imports[a].insert(b)
            importers[b].insert(a)
            weight[key] = modulePairs.count
        }
        var alive = Set(0..<n)
        func remove(_ m: Int) {
            alive.remove(m)
            for b in imports[m] { importers[b].remove(m) }
            for a in importers[m] { imports[a].remove(m) }
            imports[m] = []
            importers[m] = []
        }
        var sources: [Int] = [], sinks: [Int] = [], middle: [Int] = []
        while true {
            let round = alive.filter { importers[$0].isEmpty }.sorted()
            if round.isEmpty { break }
            sources += round
            round.forEach(remove)
        }
        while true {
            let round = alive.filter { imports[$0].isEmpty }.sorted()
            if round.isEmpty { break }
            round.forEach(remove)
            sinks.insert(contentsOf: round, at: 0)
        }
        while !alive.isEmpty {
            var chosen = -1, bestDelta = Int.min
            for m in alive.sorted() {   // children are sorted by name: a tie keeps the first
                let delta = imports[m].reduce(0) { $0 + (weight[m * n + $1] ?? 0) } - importers[m].reduce(0) { $0 + (weight[$1 * n + m] ?? 0) }
                if delta > bestDelta { (chosen, bestDelta) = (m, delta) }
            }
            guard chosen >= 0 else { break }
            middle.append(chosen)
            remove(chosen)
        }
        var position = [Int](repeating: 0, count: n)
        for (k, m) in (sources + middle + sinks).enumerated() { position[m] = k }
        var out: [Diagnostic] = []
        for key in pairs.keys.sorted() {
            let (a, b) = (key / n, key % n)
            guard position[b] < position[a], let modulePairs = pairs[key] else { continue }
            let sites = modulePairs.values.map { graph.edge($0) }.sorted { ($0.site.file, $0.site.line, $0.importer, $0.imported) < ($1.site.file, $1.site.line, $1.importer, $1.imported) }
            guard let first = sites.first, sites.contains(where: { scope.contains($0.site.file) }) else { continue }
            var d = Diagnostic(id: "LC307", severity: CheckRegistry.severity(of: "LC307"),
                               message: "\(children[a]) depends on \(children[b]), closing a cycle among the children of \(package): remove this dependency "
                                   + "(\(sites.count) import\(sites.count == 1 ? "" : "s")) to make them acyclic (contract '\(contract.name)')",
                               file: first.site.file, start: SourcePosition(line: first.site.line, column: first.site.column),
                               end: SourcePosition(line: first.site.line, column: first.site.column + max(1, first.length)),
                               help: "move what \(children[a]) needs from \(children[b]) into a sibling both may import, or invert the dependency",
                               notes: sites.map { "\($0.site.file):\($0.site.line): \($0.importer) -> \($0.imported)" })
            d.subject = "cycle|\(contract.name)|\(package)|\(children[a])|\(children[b])"
            d.importFinding = ImportFinding(contract: contract.name, importer: children[a], imported: children[b],
                                            chain: sites.map { ImportFinding.Link(importer: $0.importer, imported: $0.imported, file: $0.site.file, line: $0.site.line) })
            out.append(d)
        }
        return out
    }

    /// Module expressions as concrete packages: a name as it is; a wildcard expression as the
    /// outermost modules of the graph it matches (their descendants are covered by them).
    func expand(_ expressions: [String]) -> [String] {
        var out: [String] = []
        for e in expressions {
            guard e.utf8.contains(0x2A) else { out.append(e); continue }
            let matched = names.filter { ImportContract.Ignore.match(e, $0) }.sorted()
            for m in matched where !matched.contains(where: { $0 != m && isWithin(m, $0) }) { out.append(m) }
        }
        return out
    }

    /// A node mask: which modules are exactly one of `modules` (`as_packages = false`).
    func exact(_ modules: [String]) -> [Bool] {
        let set = Set(modules)
        return names.map { set.contains($0) }
    }

    /// A node mask: which modules lie within any of `packages`.
    func mask(_ packages: [String]) -> [Bool] {
        names.map { n in packages.contains { isWithin(n, $0) } }
    }

    /// The edge flags a contract skips (`type_checking`, `dynamic`, `guarded` = "ignore").
    static func skippedFlags(_ contract: ImportContract) -> UInt8 {
        var skipped: UInt8 = 0
        if contract.typeChecking == .ignore { skipped |= ImportGraph.typeCheckingFlag }
        if contract.dynamic == .ignore { skipped |= ImportGraph.dynamicFlag }
        if contract.guarded == .ignore { skipped |= ImportGraph.guardedFlag }
        return skipped
    }

    /// The view of a contract without ignores: every edge but those with `skipped` flags.
    /// Contracts that skip the same flags share it.
    func view(skipping skipped: UInt8) -> View {
        let flags = graph.edgeFlags
        if !flags.contains(where: { $0 & skipped != 0 }) { return View(allOf: self) }
        var live: [Int] = []
        live.reserveCapacity(graph.edgeCount)
        for i in 0..<graph.edgeCount where flags[i] & skipped == 0 { live.append(i) }
        return View(live: live, checker: self)
    }

    /// Diagnostics for a contract, and the ignores that matched nothing. `shared`: the view of
    /// `view(skipping:)` for the contract's flags, used when the contract has no ignores.
    public func check(_ contract: ImportContract) -> (diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore]) {
        check(contract, shared: nil)
    }

    func check(_ contract: ImportContract, shared: View?) -> (diagnostics: [Diagnostic], unusedIgnores: [ImportContract.Ignore]) {
        var used = [Bool](repeating: false, count: contract.ignores.count)
        let skipped = Self.skippedFlags(contract)
        let view: View
        if contract.ignores.isEmpty {
            view = shared ?? self.view(skipping: skipped)
        } else {
            var live: [Int] = []
            live.reserveCapacity(graph.edgeCount)
            let flags = graph.edgeFlags
            edgeLoop: for i in 0..<graph.edgeCount {
                if flags[i] & skipped != 0 { continue }
                for (k, ignore) in contract.ignores.enumerated() where ignore.matches(importer: names[Int(from[i])], imported: names[Int(to[i])]) {
                    used[k] = true
                    continue edgeLoop
                }
                live.append(i)
            }
            view = View(live: live, checker: self)
        }
        var out: [Diagnostic] = []
        switch contract.kind {
        case .forbidden:
            for s in expand(contract.source) {
                for f in expand(contract.forbidden) {
                    out += pairViolations(view, from: s, to: f, excluded: mask([s, f]), direct: "LC300", indirect: contract.allowIndirect ? nil : "LC301",
                                          contract: contract, verb: "is forbidden from importing", asPackages: contract.asPackages)
                }
            }
        case .layers:
            // Each container on its own: its layers are checked against each other, never
            // against another container's (import-linter's semantics).
            let containers: [String?] = contract.containers.isEmpty ? [nil] : contract.containers.map { $0 }
            for container in containers {
                let layers = contract.layers.map { layer in
                    (names: layer.tails.map { tail in container.map { "\($0).\(tail.name)" } ?? tail.name }, independent: layer.independent)
                }
                let all = mask(layers.flatMap(\.names))
                for (hi, higher) in layers.enumerated() {
                    for lower in layers[(hi + 1)...] {
                        for l in lower.names { for h in higher.names {
                            out += pairViolations(view, from: l, to: h, excluded: all, direct: "LC302", indirect: "LC302", contract: contract,
                                                  verb: "is in a lower layer and must not import")
                        } }
                    }
                    guard higher.independent else { continue }
                    for a in higher.names { for b in higher.names where a != b {
                        out += pairViolations(view, from: a, to: b, excluded: all, direct: "LC302", indirect: "LC302", contract: contract,
                                              verb: "is an independent sibling layer of, and must not import,")
                    } }
                }
            }
        case .independence:
            let modules = expand(contract.modules)
            let all = mask(modules)
            for a in modules { for b in modules where a != b {
                out += pairViolations(view, from: a, to: b, excluded: all, direct: "LC303", indirect: "LC303", contract: contract,
                                      verb: "must stay independent of")
            } }
        case .acyclicSiblings:
            out += siblingCycles(view, contract: contract)
        case .protected:
            // Direct imports only (import-linter's protected contract): an import of a
            // protected module from outside it and outside every allowed importer.
            let allowed = contract.asPackages ? mask(expand(contract.allowedImporters)) : exact(expand(contract.allowedImporters))
            for p in expand(contract.protected) {
                let inside = contract.asPackages ? mask([p]) : exact([p])
                for i in view.live where inside[Int(to[i])] && !inside[Int(from[i])] && !allowed[Int(from[i])] {
                    guard scope.contains(graph.siteFile(i)) else { continue }
                    let e = graph.edge(i)
                    var d = Diagnostic(id: "LC306", severity: CheckRegistry.severity(of: "LC306"),
                                       message: "\(e.importer) imports \(e.imported): \(p) is protected; only \(contract.allowedImporters.joined(separator: ", ")) may import it (contract '\(contract.name)')",
                                       file: e.site.file, start: SourcePosition(line: e.site.line, column: e.site.column),
                                       end: SourcePosition(line: e.site.line, column: e.site.column + max(1, e.length)),
                                       help: "import it through an allowed importer, add the importer to allowed_importers, or add an ignore with a reason",
                                       notes: self.flags(e))
                    d.subject = "imports|\(contract.name)|\(e.importer)|\(e.imported)"
                    d.importFinding = ImportFinding(contract: contract.name, importer: e.importer, imported: e.imported,
                                                    chain: [ImportFinding.Link(importer: e.importer, imported: e.imported, file: e.site.file, line: e.site.line)])
                    out.append(d)
                }
            }
        }
        let unused = contract.ignores.enumerated().filter { !used[$0.offset] }.map(\.element)
        return (out, unused)
    }

    /// A view's edges in graph order: a list, or every edge of the graph (without building the
    /// list of all of them).
    struct LiveEdges: RandomAccessCollection {
        let list: [Int]?
        let all: Int
        var startIndex: Int { 0 }
        var endIndex: Int { list?.count ?? all }
        subscript(k: Int) -> Int { list?[k] ?? k }
    }

    /// The edges a contract considers, by importer: `edges[start[m]..<start[m + 1]]` are the
    /// edges out of node m, in the order of the imported module's name (a stable counting sort,
    /// so equal names keep graph order).
    struct View {
        /// The edges considered, in graph order.
        let live: LiveEdges
        let start: [Int32]
        let edges: [Int32]
        /// For each position of `edges`: the imported node and the link, laid out in the same
        /// order so a search reads them sequentially.
        let targets: [Int32]
        let links: [Int32]

        /// Every edge: the checker's own order.
        init(allOf c: ContractChecker) {
            live = LiveEdges(list: nil, all: c.from.count)
            start = c.orderStart
            edges = c.order
            targets = c.edgeOrder.targets
            links = c.edgeOrder.links
        }

        init(live: [Int], checker c: ContractChecker) {
            self.live = LiveEdges(list: live, all: c.from.count)
            let n = c.names.count
            var isLive = [Bool](repeating: false, count: c.from.count)
            var start = [Int32](repeating: 0, count: n + 1)
            for i in live {
                isLive[i] = true
                start[Int(c.from[i]) + 1] += 1
            }
            for k in 0..<n { start[k + 1] += start[k] }
            // The checker's order, filtered: grouped by importer, by the imported module's rank.
            var edges: [Int32] = []
            edges.reserveCapacity(live.count)
            for i in c.order where isLive[Int(i)] { edges.append(i) }
            self.start = start
            self.edges = edges
            targets = edges.map { c.to[Int($0)] }
            links = edges.map { c.link[Int($0)] }
        }
    }

    /// Direct imports from `from`'s subtree into `to`'s subtree, and (if `indirect`) for each
    /// pair of modules (one inside each), the shortest chain whose intermediate modules lie
    /// outside every `excluded` subtree.
    func pairViolations(_ view: View, from source: String, to target: String, excluded: [Bool], direct: String, indirect: String?,
                        contract: ImportContract, verb: String, asPackages: Bool = true) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let inSource = asPackages ? mask([source]) : exact([source]), inTarget = asPackages ? mask([target]) : exact([target])
        // One pass over the edges out of `source` (the view groups them by importer): the
        // direct imports into `target`, the links a chain may not use (those same imports, from
        // inside `target` too), and where chains start (a module of `source` outside `target`
        // with an import).
        var directEdges: [Int] = []
        var removed = [Bool](repeating: false, count: indirect == nil ? 0 : linkCount)
        var isStart = [Bool](repeating: false, count: names.count)
        for m in names.indices where inSource[m] && view.start[m] < view.start[m + 1] {
            if !inTarget[m] { isStart[m] = true }
            for k in Int(view.start[m])..<Int(view.start[m + 1]) where inTarget[Int(view.targets[k])] {
                if indirect != nil { removed[Int(view.links[k])] = true }
                if !inTarget[m] { directEdges.append(Int(view.edges[k])) }
            }
        }
        directEdges.sort()   // reported in graph order
        for i in directEdges {
            guard scope.contains(graph.siteFile(i)) else { continue }
            let e = graph.edge(i)
            var d = Diagnostic(id: direct, severity: CheckRegistry.severity(of: direct),
                               message: "\(e.importer) imports \(e.imported): \(source) \(verb) \(target) (contract '\(contract.name)')",
                               file: e.site.file, start: SourcePosition(line: e.site.line, column: e.site.column),
                               end: SourcePosition(line: e.site.line, column: e.site.column + max(1, e.length)),
                               help: helpText(contract, e), notes: flags(e))
            d.subject = "imports|\(contract.name)|\(e.importer)|\(e.imported)"
            d.importFinding = ImportFinding(contract: contract.name, importer: e.importer, imported: e.imported,
                                            chain: [ImportFinding.Link(importer: e.importer, imported: e.imported, file: e.site.file, line: e.site.line)])
            out.append(d)
        }
        guard let indirect else { return out }
        // Chains: repeatedly take the shortest chain from any module of `source` to any module
        // of `target` (intermediate modules outside every excluded subtree), then remove that
        // chain's imports and search again. Every reported chain is an independent path to
        // break, and a shared path is reported once, not once per module pair.
        // Removal is by link (module pair): two import statements of the same module are one link.
        // By name (rank is the order of names).
        let starts = names.indices.filter { isStart[$0] }.sorted { rank[$0] < rank[$1] }
        // Per node, one byte: 1 inside `target`, 2 excluded, 4 inside `source`.
        var kind = [UInt8](repeating: 0, count: names.count)
        for n in names.indices { kind[n] = (inTarget[n] ? 1 : 0) | (excluded[n] ? 2 : 0) | (inSource[n] ? 4 : 0) }
        var previous = [Int32](repeating: -1, count: names.count)   // the edge position that reached a node
        var stamp = [Int32](repeating: -1, count: names.count)
        var queue: [Int32] = []
        var round: Int32 = 0
        while true {
            round += 1
            queue.removeAll(keepingCapacity: true)
            for s in starts { stamp[s] = round; previous[s] = -1; queue.append(Int32(s)) }
            var head = 0
            var found: Int? = nil
            search: while head < queue.count {
                let m = Int(queue[head])
                head += 1
                for k in Int(view.start[m])..<Int(view.start[m + 1]) {
                    if removed[Int(view.links[k])] { continue }
                    let next = Int(view.targets[k])
                    if stamp[next] == round { continue }
                    let nextKind = kind[next]
                    if nextKind & 1 != 0 {
                        if previous[m] != -1 || kind[m] & 4 == 0 {
                            stamp[next] = round
                            previous[next] = Int32(k)
                            found = next
                            break search
                        }
                        continue
                    }
                    if nextKind & 2 != 0 { continue }
                    stamp[next] = round
                    previous[next] = Int32(k)
                    queue.append(Int32(next))
                }
            }
            guard let end = found else { break }
            var chain: [ImportEdge] = []
            var m = end
            while previous[m] != -1 {
                let i = Int(view.edges[Int(previous[m])])
                chain.append(graph.edge(i))
                removed[Int(link[i])] = true
                m = Int(from[i])
            }
            chain.reverse()
            let start = m
            if !chain.contains(where: { scope.contains($0.site.file) }) { continue }
            let first = chain[0]
            let links = chain.map { "\($0.site.file):\($0.site.line): \($0.importer) -> \($0.imported)\($0.typeChecking ? " (TYPE_CHECKING)" : "")\($0.dynamic ? " (dynamic)" : "")" }
            var d = Diagnostic(id: indirect, severity: CheckRegistry.severity(of: indirect),
                               message: "\(names[start]) imports \(names[end]) through a chain of \(chain.count) imports: \(source) \(verb) \(target) (contract '\(contract.name)')",
                               file: first.site.file, start: SourcePosition(line: first.site.line, column: first.site.column),
                               end: SourcePosition(line: first.site.line, column: first.site.column + max(1, first.length)),
                               help: "break one link of the chain, or add an ignore with a reason to the contract",
                               notes: links)
            d.subject = "chain|\(contract.name)|\(source)|\(target)|\(names[start])|\(names[end])"
            d.importFinding = ImportFinding(contract: contract.name, importer: names[start], imported: names[end],
                                            chain: chain.map { ImportFinding.Link(importer: $0.importer, imported: $0.imported, file: $0.site.file, line: $0.site.line) })
            out.append(d)
        }
        return out
    }

    private func flags(_ e: ImportEdge) -> [String] {
        var notes: [String] = []
        if e.typeChecking { notes.append("inside `if TYPE_CHECKING:` (type_checking = \"ignore\" on the contract skips these)") }
        if e.dynamic { notes.append("a dynamic import (dynamic = \"ignore\" on the contract skips these)") }
        if e.guarded { notes.append("an optional import, inside a `try:` that catches ImportError (guarded = \"ignore\" on the contract skips these)") }
        return notes
    }

    private func helpText(_ contract: ImportContract, _ e: ImportEdge) -> String {
        "move the code, invert the dependency, or add `ignore = [{ import = \"\(e.importer) -> \(e.imported)\", reason = \"...\" }]` to contract '\(contract.name)'"
    }
}

/// The order in which the contract checks read a graph's edges: every edge grouped by importer,
/// each group in the order of the imported module's rank by name (equal ranks keep graph
/// order), so that chain searches pick among equal-length chains deterministically; each edge's
/// link (the id of its (importer, imported) module pair: two import statements of the same
/// module are one link); and the imported node and link of each position, laid out in that
/// order so a search reads them sequentially. Made from the graph in ~8-15 ms for 420,000
/// edges; a patched graph's is patched (`replaceEdges`) in a few passes.
public struct EdgeOrder: Sendable, Equatable {
    /// Each node's position among the nodes sorted by name.
    let rank: [Int32]
    /// The edges out of node m are `order[orderStart[m]..<orderStart[m + 1]]`.
    private(set) var order: [Int32]
    private(set) var orderStart: [Int32]
    private(set) var link: [Int32]
    private(set) var linkCount: Int
    /// `to[order[p]]` and `link[order[p]]` for each position p.
    private(set) var targets: [Int32]
    private(set) var links: [Int32]

    public init(graph: ImportGraph, rank known: [Int32]? = nil) {
        let names = graph.nodeNames, from = graph.edgeFrom, to = graph.edgeTo
        let n = names.count
        rank = known.flatMap { $0.count == n ? $0 : nil } ?? ImportGraph.nameRanks(names)
        // Two stable counting sorts: by the imported module's rank, then by importer.
        var slots = [Int32](repeating: 0, count: n + 1)
        for t in to { slots[Int(rank[Int(t)]) + 1] += 1 }
        for k in 0..<n { slots[k + 1] += slots[k] }
        var byRank = [Int32](repeating: 0, count: to.count)
        for (i, t) in to.enumerated() {
            let r = Int(rank[Int(t)])
            byRank[Int(slots[r])] = Int32(i)
            slots[r] += 1
        }
        let start = Self.groupStarts(from, nodes: n)
        var order = [Int32](repeating: 0, count: from.count)
        var next = start
        for i in byRank {
            let f = Int(from[Int(i)])
            order[Int(next[f])] = i
            next[f] += 1
        }
        self.order = order
        orderStart = start
        (link, linkCount, targets, links) = ([], 0, [], [])
        relink(from: from, to: to)
    }

    /// The order of a graph given as its `order` (as the cache keeps it), checked: nil unless
    /// it holds every edge once, grouped by importer in node order, each group by the imported
    /// node's rank and then by edge.
    init?(order: [Int32], graph: ImportGraph, rank: [Int32]) {
        let from = graph.edgeFrom, to = graph.edgeTo, n = graph.nodeNames.count
        guard rank.count == n, order.count == from.count, to.count == from.count, ImportGraphStateCodec.isPermutation(order) else { return nil }
        self.rank = rank
        self.order = order
        orderStart = Self.groupStarts(from, nodes: n)
        (link, linkCount, targets, links) = ([], 0, [], [])
        guard relink(from: from, to: to, checking: rank) else { return nil }
    }

    /// Where each importer's group begins in the order: the running count of edges by importer.
    private static func groupStarts(_ from: [Int32], nodes n: Int) -> [Int32] {
        var start = [Int32](repeating: 0, count: n + 1)
        for f in from { start[Int(f) + 1] += 1 }
        for k in 0..<n { start[k + 1] += start[k] }
        return start
    }

    /// Links, targets and links by position, from the order, in one pass: an edge's link is
    /// the run of equal (importer, imported) pairs it lies in. With `rank` (an order read from
    /// the cache), also checks that consecutive edges are grouped by importer, by the imported
    /// node's rank within a group and then by edge: false, and nothing kept, if not.
    /// `order` is a permutation of the edges and `from`/`to` are as long as it (callers check).
    @discardableResult
    private mutating func relink(from: [Int32], to: [Int32], checking rank: [Int32]? = nil) -> Bool {
        let count = order.count
        // With room for the edges a patch adds (`ImportGraphStateCodec.edgeSlack`).
        func zeros() -> [Int32] {
            var array = [Int32]()
            array.reserveCapacity(count + ImportGraphStateCodec.edgeSlack)
            array.append(contentsOf: repeatElement(0, count: count))
            return array
        }
        var link = zeros(), targets = zeros(), links = zeros()
        var total: Int32 = 0
        let nodes = rank?.count ?? 0
        let sound: Bool = order.withUnsafeBufferPointer { order in
            from.withUnsafeBufferPointer { from in
                to.withUnsafeBufferPointer { to in
                    link.withUnsafeMutableBufferPointer { link in
                        targets.withUnsafeMutableBufferPointer { targets in
                            links.withUnsafeMutableBufferPointer { links in
                                // Every index is in bounds: p < count; `order` holds each of
                                // 0..<count once and `from`, `to`, `link` have count elements;
                                // a node id is checked against `rank` before it indexes it.
                                guard from.count == count, to.count == count else { return false }
                                var previous: (from: Int32, to: Int32, rank: Int32, edge: Int32) = (-1, -1, -1, -1)
                                for p in 0..<count {
                                    let i = order[p]
                                    let f = from[Int(i)], t = to[Int(i)]
                                    if let rank {
                                        guard f >= 0, Int(f) < nodes, t >= 0, Int(t) < nodes, previous.from <= f else { return false }
                                        let r = rank[Int(t)]
                                        if previous.from == f { guard previous.rank < r || (previous.rank == r && previous.edge < i) else { return false } }
                                        previous.rank = r
                                    }
                                    if f != previous.from || t != previous.to { total += 1 }
                                    previous.from = f
                                    previous.to = t
                                    previous.edge = i
                                    link[Int(i)] = total - 1
                                    targets[p] = t
                                    links[p] = total - 1
                                }
                                return true
                            }
                        }
                    }
                }
            }
        }
        guard sound else { return false }
        self.link = link
        linkCount = Int(total)
        self.targets = targets
        self.links = links
        return true
    }

    /// Whether this is an order of `graph`'s nodes and edges.
    func fits(_ graph: ImportGraph) -> Bool {
        rank.count == graph.nodeNames.count && order.count == graph.edgeCount && link.count == graph.edgeCount
    }

    /// After `graph` replaced the edges in `old` (all of importer `importer`'s) with `count`
    /// edges starting at `old.lowerBound`, its nodes unchanged: the order of the graph as it
    /// now is, equal to one made from it. False (nothing changed) when the order did not hold
    /// exactly the importer's edges there.
    mutating func replaceEdges(_ old: Range<Int>, importer: Int32, count: Int, graph: ImportGraph) -> Bool {
        let k = Int(importer)
        guard k + 1 < orderStart.count, fits(graphBefore: graph, delta: count - old.count) else { return false }
        let groupStart = Int(orderStart[k]), groupEnd = Int(orderStart[k + 1])
        guard groupEnd - groupStart == old.count, order[groupStart..<groupEnd].allSatisfy({ old.contains(Int($0)) }) else { return false }
        let delta = Int32(count - old.count), end = Int32(old.upperBound)
        let to = graph.edgeTo
        // The group's new edges by (rank of the imported node, edge), and their links: ids
        // from the group's first, one per run of equal imported nodes; the links after the
        // group move by the difference in number.
        let group = (old.lowerBound..<(old.lowerBound + count)).map { Int32($0) }.sorted {
            let (a, b) = (rank[Int(to[Int($0)])], rank[Int(to[Int($1)])])
            return a != b ? a < b : $0 < $1
        }
        let firstLink = Int32(groupStart < order.count ? links[groupStart] : Int32(linkCount))
        let oldLinks = groupEnd > groupStart ? Int32(links[groupEnd - 1]) - firstLink + 1 : 0
        var groupLinks: [Int32] = []
        groupLinks.reserveCapacity(group.count)
        var next = firstLink - 1
        for (p, e) in group.enumerated() {
            if p == 0 || to[Int(e)] != to[Int(group[p - 1])] { next += 1 }
            groupLinks.append(next)
        }
        let newLinks = Int32(group.count == 0 ? 0 : next - firstLink + 1), linkDelta = newLinks - oldLinks
        let movedLink = firstLink + oldLinks
        // In place: edge ids after the old range move by `delta`, link ids after the group's
        // by `linkDelta`; the group's positions and edges are replaced.
        for p in order.indices where order[p] >= end { order[p] += delta }
        for p in links.indices where links[p] >= movedLink { links[p] += linkDelta }
        for i in link.indices where link[i] >= movedLink { link[i] += linkDelta }
        order.replaceSubrange(groupStart..<groupEnd, with: group)
        targets.replaceSubrange(groupStart..<groupEnd, with: group.map { to[Int($0)] })
        links.replaceSubrange(groupStart..<groupEnd, with: groupLinks)
        link.replaceSubrange(old, with: repeatElement(0, count: count))
        for (e, l) in zip(group, groupLinks) { link[Int(e)] = l }
        for j in (k + 1)..<orderStart.count { orderStart[j] += delta }
        linkCount += Int(linkDelta)
        return true
    }

    private func fits(graphBefore graph: ImportGraph, delta: Int) -> Bool {
        rank.count == graph.nodeNames.count && order.count + delta == graph.edgeCount
    }
}
