import LabcheckTOML

/// LC105: `depends_on` (or `deps`, `dependencies`) names a stage id that does not exist in the
/// module, or the dependencies of a module form a cycle.
public struct StageDependencyCheck: LabFileCheck {
    public static let descriptions = [
        CheckDescription(
            id: "LC105", slug: "unknown-stage-dependency", severity: .error,
            summary: "`depends_on` names an unknown stage, or dependencies form a cycle",
            what: "Checks that every name in a stage's `depends_on` (`deps`, `dependencies`) is the id of a stage in the same module, and that the dependencies do not form a cycle.",
            why: "A dependency on a renamed or deleted stage, or a cycle, leaves the pipeline unable to order its stages: it fails at run time, far from the edit that caused it.",
            example: "[[flight]]\nid = \"train\"\ndepends_on = [\"laod\"]      # no stage 'laod' in module flight",
            fix: "Name existing stage ids (the help line suggests the nearest), and break cycles.",
            triggering: [.lab("[[m]]\nid = 'a'\n[[m]]\nid = 'b'\ndepends_on = [↓'c']\n"),
                         .lab("[[m]]\nid = 'a'\ndepends_on = ['b']\n[[m]]\nid = 'b'\ndepends_on = [↓'a']\n")],
            nonTriggering: [.lab("[[m]]\nid = 'a'\n[[m]]\nid = 'b'\ndepends_on = ['a']\n[[m]]\nid = 'c'\ndeps = ['a', 'b']\n")]
        ),
    ]

    public init() {}

    public func check(_ file: LabFile, context: CheckContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for module in file.modules {
            // The ids and their set are built only for a module whose stages name dependencies.
            lazy var ids = module.stages.compactMap(\.id)
            lazy var known = Set(ids)
            lazy var nearest = NearestName.Candidates(ids)
            var edges: [String: [(String, ByteSpan)]] = [:]
            for stage in module.stages {
                for key in context.conventions.dependencyKeys {
                    guard let items = stage.table[key]?.array?.items else { continue }
                    for item in items {
                        guard let name = item.string else { continue }
                        if known.contains(name) {
                            if let id = stage.id { edges[id, default: []].append((name, item.span)) }
                        } else {
                            let help = nearest.suggestion(for: name).map { "did you mean '\($0)'?" }
                                ?? "stages of module '\(module.name)': \(ids.isEmpty ? "none has an id" : Self.listed(ids))"
                            out.append(diagnostic("LC105", file, "stage \(stage.displayName) depends on '\(name)', which is not a stage of module '\(module.name)'",
                                                  item.span, help: help))
                        }
                    }
                }
            }
            if !edges.isEmpty { out += cycles(edges, ids: ids, module: module.name, file: file) }
        }
        return out
    }

    /// The first ids of a module, and how many more: a module of thousands of stages would
    /// otherwise put every id into the help of every unknown dependency.
    static func listed(_ ids: [String], limit: Int = 12) -> String {
        ids.count <= limit ? ids.joined(separator: ", ") : ids.prefix(limit).joined(separator: ", ") + " and \(ids.count - limit) more"
    }

    /// One diagnostic per cycle, at the edge that closes it. A depth-first search with an
    /// explicit stack: a lab's stage count is the user's, so no recursion over it.
    private func cycles(_ edges: [String: [(String, ByteSpan)]], ids: [String], module: String, file: LabFile) -> [Diagnostic] {
        var state: [String: Int] = [:] // 1 = on the path, 2 = done
        var path: [String] = []
        var out: [Diagnostic] = []
        for root in ids where state[root] == nil {
            var stack: [(id: String, next: Int)] = [(root, 0)]
            state[root] = 1
            path.append(root)
            while let (id, k) = stack.last {
                let list = edges[id] ?? []
                guard k < list.count else {
                    stack.removeLast()
                    path.removeLast()
                    state[id] = 2
                    continue
                }
                stack[stack.count - 1].next += 1
                let (next, span) = list[k]
                if state[next] == 1, let start = path.lastIndex(of: next) {
                    let loop = path[start...] + [next]
                    out.append(diagnostic("LC105", file, "dependency cycle in module '\(module)': \(loop.joined(separator: " -> "))", span,
                                          help: "remove one of these dependencies"))
                } else if state[next] == nil {
                    state[next] = 1
                    path.append(next)
                    stack.append((next, 0))
                }
            }
        }
        return out
    }
}
