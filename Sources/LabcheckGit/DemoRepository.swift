import CLibgit2
import Foundation
import LabcheckCore

/// Builds the throw-away repository `labcheck demo` checks: one commit with a clean lab file,
/// then a staged change with real problems, and a work-tree copy that differs from the index
/// (to show that the staged content, not the file on disk, is what gets checked).
public enum DemoRepository {
    public static let labPath = "lab/lab_stages.toml"

    /// The committed lab file.
    public static let committed = """
    [__meta__]
    schema = "agilab.lab_stages.v1"
    version = 1

    [[flight]]
    id = "load"
    D = "Load telemetry"
    C = '''
    import json
    frames = json.loads(open("flight.json").read())
    '''
    R = "runpy"

    [[flight]]
    kind = "template"
    id = "train"
    template_id = "pipeline.agi_run.single_action"
    template_version = 3
    app = "flight_telemetry_project"
    action = "train_model"
    depends_on = ["load"]
    [flight.args]
    data_in = "flight/dataset"
    epochs = 10

    """

    /// The staged version adds a stage copied from an old lab: a stale template version, a
    /// dependency on a misspelt stage, and a misspelt app arg.
    public static let staged = committed + """

    [[flight]]
    kind = "template"
    id = "evaluate"
    template_id = "pipeline.agi_run.single_action"
    template_version = 1
    app = "flight_telemetry_project"
    action = "evaluate_model"
    depends_on = ["trian"]
    [flight.args]
    workers_data_path = "/srv/share"
    metrcs = ["auc"]

    """

    /// The work-tree version: already fixed on disk, but not staged.
    public static let worktree = committed + """

    [[flight]]
    kind = "template"
    id = "evaluate"
    template_id = "pipeline.agi_run.single_action"
    template_version = 3
    app = "flight_telemetry_project"
    action = "evaluate_model"
    depends_on = ["train"]
    [flight.args]
    workflow_share_root = "/srv/share"
    metrics = ["auc"]

    """

    /// Creates the repository in `directory` (which must exist and be empty).
    public static func create(in directory: String) throws {
        LibGit2.initialize()
        var repo: OpaquePointer? = nil
        try check(git_repository_init(&repo, directory, 0), "git_repository_init")
        defer { git_repository_free(repo) }
        let file = URL(fileURLWithPath: directory).appendingPathComponent(labPath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)

        var index: OpaquePointer? = nil
        try check(git_repository_index(&index, repo), "git_repository_index")
        defer { git_index_free(index) }

        try Data(committed.utf8).write(to: file)
        try check(git_index_add_bypath(index, labPath), "git_index_add_bypath")
        try check(git_index_write(index), "git_index_write")
        var treeID = git_oid()
        try check(git_index_write_tree(&treeID, index), "git_index_write_tree")
        var tree: OpaquePointer? = nil
        try check(git_tree_lookup(&tree, repo, &treeID), "git_tree_lookup")
        defer { git_tree_free(tree) }
        var signature: UnsafeMutablePointer<git_signature>? = nil
        try check(git_signature_new(&signature, "labcheck demo", "demo@labcheck.invalid", 1_767_225_600, 0), "git_signature_new")
        defer { git_signature_free(signature) }
        var commitID = git_oid()
        try check(git_commit_create(&commitID, repo, "HEAD", signature, signature, "UTF-8",
                                    "Add the flight lab\n", tree, 0, nil), "git_commit_create")

        try Data(staged.utf8).write(to: file)
        try check(git_index_add_bypath(index, labPath), "git_index_add_bypath")
        try check(git_index_write(index), "git_index_write")
        try Data(worktree.utf8).write(to: file)
    }
}

