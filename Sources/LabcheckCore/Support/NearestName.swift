/// Finds the known name closest to a misspelt one, for "did you mean" suggestions.
public enum NearestName {
    /// Edit distance between two strings, by Unicode scalar: insertions, deletions,
    /// substitutions and transpositions of neighbours each cost 1.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        // No distance exceeds the longer length: with that limit the bounded one is exact.
        return distance(x, y, limit: max(x.count, y.count))
    }

    static func fold(_ s: String) -> String {
        String(s.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// The edit distance of `x` and `y` when it is at most `limit`, else `limit + 1`: rows of
    /// the table are computed until two in a row exceed the limit (a transposition reaches back
    /// two rows), so a far candidate costs a few rows, not the whole table.
    static func distance(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar], limit: Int) -> Int {
        if abs(x.count - y.count) > limit { return limit + 1 }
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var older = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count), row = [Int](repeating: 0, count: y.count + 1)
        var overBefore = false
        for i in 1...x.count {
            row[0] = i
            var least = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d = min(d, older[j - 2] + 1) }
                row[j] = d
                least = min(least, d)
            }
            if least > limit && overBefore { return limit + 1 }
            overBefore = least > limit
            (older, previous, row) = (previous, row, older)
        }
        return min(previous[y.count], limit + 1)
    }

    /// The closest candidate within a distance that scales with the name's length, if any.
    /// Case-insensitive equality and `-`/`_` swaps count as the closest possible; among equally
    /// close candidates, the first in sorted order.
    public static func suggestion(for name: String, among candidates: [String]) -> String? {
        Candidates(candidates).suggestion(for: name)
    }

    /// Candidates prepared once (folded, split into scalars) for many suggestions: a module of
    /// thousands of stages offers every id, once per unknown dependency in it.
    public struct Candidates: Sendable {
        private struct Entry: Sendable {
            let name: String, folded: String
            let scalars: [Unicode.Scalar]
            let ascii: Bool
        }
        private let entries: [Entry]

        public init(_ names: [String]) {
            entries = names.map { name in
                let scalars = Array(name.unicodeScalars)
                return Entry(name: name, folded: NearestName.fold(name), scalars: scalars, ascii: name.utf8.count == scalars.count)
            }
        }

        /// `NearestName.suggestion(for:among:)` over these candidates. A candidate whose length
        /// alone puts it out of reach costs no distance, and a distance stops at the limit.
        public func suggestion(for name: String) -> String? {
            let folded = NearestName.fold(name)
            let limit = max(1, min(3, name.count / 3))
            let scalars = Array(name.unicodeScalars)
            let ascii = name.utf8.count == scalars.count
            var best: (candidate: String, distance: Int)? = nil
            for c in entries {
                // Only an ASCII pair's folding keeps lengths: other pairs are always compared.
                if ascii && c.ascii && abs(c.scalars.count - scalars.count) > limit { continue }
                let d = c.folded == folded ? 0 : NearestName.distance(scalars, c.scalars, limit: limit)
                if let b = best, (b.distance, b.candidate) <= (d, c.name) { continue }
                best = (c.name, d)
            }
            guard let best, best.distance <= limit else { return nil }
            return best.candidate
        }
    }
}
