/// The text of labcheck's git hooks. `hooks/pre-commit` in the repository is the pre-commit
/// script with no fallback; `labcheck install-hook` writes it with the absolute path of the
/// binary that installed it as a fallback only: `labcheck` on PATH is used first, so a hook
/// keeps working when the build it was installed from is cleaned or moved.
public enum PreCommitHook {
    /// A line every labcheck-installed pre-commit hook carries, so re-installing recognises it.
    public static let marker = "# labcheck-managed pre-commit hook"
    /// The same for the pre-push hook.
    public static let prePushMarker = "# labcheck-managed pre-push hook"

    /// The shell lines choosing the binary: `$LABCHECK`, else `labcheck` on PATH, else `fallback`.
    static func chooseBinary(_ fallback: String?) -> String {
        let last = fallback.map { "\n    elif [ -x \"\(shellQuoted($0))\" ]; then LABCHECK=\"\(shellQuoted($0))\"" } ?? ""
        return """
        if [ -z "$LABCHECK" ]; then
            if command -v labcheck >/dev/null 2>&1; then LABCHECK=labcheck\(last)
            else
                echo "labcheck hook: labcheck is not on PATH\(fallback == nil ? "" : " nor at its install path"); install it or set LABCHECK" >&2
                exit 1
            fi
        fi
        """
    }

    /// The pre-commit hook script; `newOnly` blocks a commit only on what it adds.
    public static func script(fallback: String? = nil, newOnly: Bool = false) -> String {
        """
        #!/bin/sh
        \(marker)
        # Checks the staged snapshot: exactly what this commit will contain. git sets
        # GIT_INDEX_FILE and GIT_DIR for hooks (also for `git commit -a` and `git commit <paths>`);
        # labcheck reads them, so the content checked is the content committed.
        # Set LABCHECK to use another binary; `git commit --no-verify` skips the hook.
        \(chooseBinary(fallback))
        exec "$LABCHECK" check --staged\(newOnly ? " --new-only" : "")

        """
    }

    /// The pre-push hook script: each pushed tip is checked against the remote's tip (a new
    /// branch against its first parent); a deleted branch is skipped.
    public static func prePushScript(fallback: String? = nil, newOnly: Bool = false) -> String {
        """
        #!/bin/sh
        \(prePushMarker)
        # Checks every commit tip being pushed against what the remote has. `git push --no-verify`
        # skips the hook. Set LABCHECK to use another binary.
        \(chooseBinary(fallback))
        zero=0000000000000000000000000000000000000000
        status=0
        while read -r local_ref local_sha remote_ref remote_sha; do
            [ "$local_sha" = "$zero" ] && continue
            if [ "$remote_sha" = "$zero" ]; then
                "$LABCHECK" check --rev "$local_sha"\(newOnly ? " --new-only" : "") || status=1
            else
                "$LABCHECK" check --rev "$local_sha" --base "$remote_sha"\(newOnly ? " --new-only" : "") || status=1
            fi
        done
        exit $status

        """
    }

    /// `s` quoted for a POSIX shell double-quoted context.
    static func shellQuoted(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\\" || c == "\"" || c == "$" || c == "`" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
