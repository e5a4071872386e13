/// Finds the known name closest to a misspelt one, for "did you mean" suggestions.
public enum NearestName {
    /// Edit distance between two strings, by Unicode scalar: insertions, deletions,
    /// substitutions and transpositions of neighbours each cost 1.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }

    private static func fold(_ s: String) -> String {
        String(s.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// The closest candidate within a distance that scales with the name's length, if any.
    /// Case-insensitive equality and `-`/`_` swaps count as the closest possible.
    public static func suggestion(for name: String, among candidates: [String]) -> String? {
        let folded = fold(name)
        var best: (String, Int)? = nil
        for c in candidates.sorted() {
            let d = fold(c) == folded ? 0 : distance(name, c)
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (candidate, d) = best else { return nil }
        let limit = max(1, min(3, name.count / 3))
        return d <= limit ? candidate : nil
    }
}
