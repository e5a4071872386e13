/// A picture of the architecture (`labcheck graph`): the packages at a depth, the dependencies
/// between them with their import counts, each layers contract's layers as ranks (independent
/// siblings side by side), and every dependency that is part of a violation in red with the
/// number of violations it is in. Rendered as Graphviz DOT or Mermaid (GitHub renders it).
public struct ImportPicture: Sendable {
    public struct Dependency: Sendable, Hashable {
        public let from: String
        public let to: String
        /// Import statements from `from`'s modules into `to`'s.
        public let imports: Int
        /// Violations (direct imports or chain links) this dependency is part of.
        public let violations: Int
    }

    /// The packages drawn, sorted.
    public let nodes: [String]
    public let dependencies: [Dependency]
    /// Ranks from the highest layer down: each rank lists its packages (siblings side by side).
    public let ranks: [[String]]
    /// The layers contract whose layers are the ranks, if any.
    public let layersContract: String?

    /// The picture of `graph` at `depth` (module names cut to that many components; a layer is
    /// always one node, whatever its depth). Only contract `contract` when given: its layers,
    /// its violations. External packages are drawn when a contract names them.
    public init(graph: ImportGraph, contracts: [ImportContract], diagnostics: [Diagnostic], depth: Int, contract: String?) {
        let chosen = contracts.filter { contract == nil || $0.name == contract }
        let layersContract = chosen.first { $0.kind == .layers }
        var layerNames: [[String]] = []
        if let c = layersContract {
            let containers: [String?] = c.containers.isEmpty ? [nil] : c.containers.map { $0 }
            for layer in c.layers {
                layerNames.append(containers.flatMap { container in layer.tails.map { tail in container.map { "\($0).\(tail.name)" } ?? tail.name } })
            }
        }
        let allLayers = layerNames.flatMap { $0 }.sorted { $0.count > $1.count }   // deepest first
        let named = Set(chosen.flatMap { $0.source + $0.forbidden + $0.modules + $0.protected + $0.allowedImporters })
        let moduleNames = Set(graph.moduleNames)
        func node(_ module: String) -> String? {
            if let layer = allLayers.first(where: { isWithin(module, $0) }) { return layer }
            if !moduleNames.contains(module) { return named.contains(module) ? module : nil }   // external packages a contract names
            let parts = module.split(separator: ".")
            return parts.prefix(max(1, depth)).joined(separator: ".")
        }
        var imports: [String: Int] = [:], violations: [String: Int] = [:]
        var nodes = Set<String>()
        func key(_ a: String, _ b: String) -> String { a + "\u{0}" + b }
        for i in 0..<graph.edgeCount {
            let e = graph.edge(i)
            guard let a = node(e.importer), let b = node(e.imported) else { continue }
            nodes.insert(a)
            nodes.insert(b)
            if a != b { imports[key(a, b), default: 0] += 1 }
        }
        let chosenNames = Set(chosen.map(\.name))
        for d in diagnostics {
            guard let f = d.importFinding, chosenNames.contains(f.contract) else { continue }
            for link in f.chain {
                guard let a = node(link.importer), let b = node(link.imported), a != b else { continue }
                violations[key(a, b), default: 0] += 1
            }
        }
        for layer in layerNames { nodes.formUnion(layer) }
        self.nodes = nodes.sorted()
        self.dependencies = Set(imports.keys).union(violations.keys).sorted().map { k in
            let parts = k.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            return Dependency(from: parts[0], to: parts.count > 1 ? parts[1] : "", imports: imports[k] ?? 0, violations: violations[k] ?? 0)
        }
        self.ranks = layerNames
        self.layersContract = layersContract?.name
    }

    /// Graphviz DOT: top to bottom, one `rank=same` subgraph per layer.
    public func dot() -> String {
        var ids: [String: String] = [:]
        for (k, n) in nodes.enumerated() { ids[n] = "n\(k)" }
        func quoted(_ s: String) -> String {
            "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
        }
        var out = "digraph architecture {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        if let name = layersContract { out += "  label=\(quoted("layers of contract '\(name)'"));\n  labelloc=t;\n" }
        for n in nodes { out += "  \(ids[n] ?? n) [label=\(quoted(n))];\n" }
        for (k, rank) in ranks.enumerated() {
            out += "  subgraph layer\(k) { rank=same; \(rank.compactMap { ids[$0] }.joined(separator: "; ")); }\n"
        }
        // Invisible edges keep the ranks in order from the highest layer down.
        for k in ranks.indices.dropLast() {
            if let a = ranks[k].first.flatMap({ ids[$0] }), let b = ranks[k + 1].first.flatMap({ ids[$0] }) { out += "  \(a) -> \(b) [style=invis];\n" }
        }
        for d in dependencies {
            guard let a = ids[d.from], let b = ids[d.to] else { continue }
            if d.violations > 0 {
                out += "  \(a) -> \(b) [color=red, fontcolor=red, penwidth=2, label=\(quoted("\(d.violations) violation\(d.violations == 1 ? "" : "s")"))];\n"
            } else {
                out += "  \(a) -> \(b) [label=\(quoted(String(d.imports)))];\n"
            }
        }
        return out + "}\n"
    }

    /// Mermaid flowchart (pastes into a GitHub comment): one subgraph per layer, violating
    /// dependencies in red.
    public func mermaid() -> String {
        var ids: [String: String] = [:]
        for (k, n) in nodes.enumerated() { ids[n] = "n\(k)" }
        func label(_ s: String) -> String { "\"" + s.replacingAll("\"", with: "#quot;") + "\"" }
        var out = "flowchart TB\n"
        var drawn = Set<String>()
        for (k, rank) in ranks.enumerated() {
            out += "  subgraph layer\(k)[\(label("layer \(k + 1)"))]\n    direction LR\n"
            for n in rank { if let id = ids[n] { out += "    \(id)[\(label(n))]\n"; drawn.insert(n) } }
            out += "  end\n"
        }
        for n in nodes where !drawn.contains(n) { if let id = ids[n] { out += "  \(id)[\(label(n))]\n" } }
        var red: [Int] = []
        var index = 0
        for d in dependencies {
            guard let a = ids[d.from], let b = ids[d.to] else { continue }
            if d.violations > 0 {
                out += "  \(a) -->|\(label("\(d.violations) violation\(d.violations == 1 ? "" : "s")"))| \(b)\n"
                red.append(index)
            } else {
                out += "  \(a) -->|\(d.imports)| \(b)\n"
            }
            index += 1
        }
        if !red.isEmpty { out += "  linkStyle \(red.map(String.init).joined(separator: ",")) stroke:red,stroke-width:2px,color:red\n" }
        return out
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        components(separatedBy: target).joined(separator: replacement)
    }
}
