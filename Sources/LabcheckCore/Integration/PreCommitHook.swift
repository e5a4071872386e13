/// The text of labcheck's git pre-commit hook. `hooks/pre-commit` in the repository is this
/// script with the plain `labcheck` command; `labcheck install-hook` writes it with the
/// absolute path of the binary that installed it.
public enum PreCommitHook {
    /// A line every labcheck-installed hook carries, so re-installing recognises its own hook.
    public static let marker = "# labcheck-managed pre-commit hook"

    /// The hook script, running `command` (a path or a name on PATH).
    public static func script(command: String = "labcheck") -> String {
        """
        #!/bin/sh
        \(marker)
        # Checks the staged snapshot: exactly what this commit will contain. git sets
        # GIT_INDEX_FILE and GIT_DIR for hooks (also for `git commit -a` and `git commit <paths>`);
        # labcheck reads them, so the content checked is the content committed.
        # Set LABCHECK to use another binary; `git commit --no-verify` skips the hook.
        LABCHECK="${LABCHECK:-\(shellQuoted(command))}"
        if ! command -v "$LABCHECK" >/dev/null 2>&1; then
            echo "labcheck pre-commit hook: '$LABCHECK' not found; install labcheck or set LABCHECK" >&2
            exit 1
        fi
        exec "$LABCHECK" check --staged

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
