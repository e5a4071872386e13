/// The small rules the check examples are checked with: a few template families, one app, the
/// stage and config schemas and the generated-snippet shapes, each cut down to what the
/// examples use. The examples never read the bundled `rules/`, so bumping a bundled template
/// breaks no example and no Swift test; these files must stay valid rules themselves (the
/// examples test loads them and fails on any LC002).
public enum ExampleRules {
    /// Rules files by path, as a repository rules directory would hold them.
    public static let standard: [String: String] = [
        "example-rules/templates/generic.configure.toml": """
            id = "generic.configure"
            version = 1
            description = "A tag on a code stage."
            """,
        "example-rules/templates/generic.execute.toml": """
            id = "generic.execute"
            version = 1
            description = "A tag on a code stage."
            """,
        "example-rules/templates/pipeline.agi_run.single_action.toml": """
            id = "pipeline.agi_run.single_action"
            version = 3
            shape = "RUN"
            description = "A RUN template cut down for examples."
            render = '''
            APP = {{ app | python }}
            ACTION = {{ action | python }}
            PARAMS = {{ app_args | json | python }}
            DATA_IN = {{ args.data_in | json | python }}
            SHARE = {{ args.workflow_share_root | python }}
            FLAGS = ({{ args.rapids_enabled | python }}, {{ args.benchmark_best_single_node | python }})
            '''

            [args]
            mode = { type = "integer", default = 0 }
            data_in = { type = "string", nullable = true }
            workflow_share_root = { type = "string", nullable = true }
            rapids_enabled = { type = "boolean", default = false }
            benchmark_best_single_node = { type = "boolean", default = false }

            [[migrations]]
            from = 1
            to = 2
            rename = { workers_data_path = "workflow_share_root" }
            note = "workers_data_path became workflow_share_root"

            [[migrations]]
            from = 2
            to = 3
            add = { rapids_enabled = false, benchmark_best_single_node = false }
            note = "two flags added, off by default"
            """,
        "example-rules/templates/pipeline.agi_install.app.toml": """
            id = "pipeline.agi_install.app"
            version = 2
            shape = "INSTALL"
            description = "An INSTALL template cut down for examples."
            builtin_action = "install"
            render = '''
            # AGILAB generated snippet
            # generator: agilab.orchestrate
            APP = {{ app | literal }}
            MODES = {{ args.modes_enabled | literal }}
            '''

            [args]
            modes_enabled = { type = "integer", default = 0 }

            [[migrations]]
            from = 1
            to = 2
            note = "a comment changed"
            """,
        "example-rules/apps/example_project.toml": """
            app = "example_project"

            [actions.reference_allocator]
            args = { time_horizon = { type = "integer", required = true }, seed = "integer" }
            """,
        "example-rules/schemas/stage.template.toml": """
            id = "stage.template"
            exactly_one_of = [["action", "task"]]

            [keys]
            kind = { type = "string", required = true }
            template_id = { type = "string", required = true }
            template_version = { type = "any", required = true }
            app = { type = "string", required = true }
            action = "string"
            task = "string"
            args = { type = "table", free = true }
            id = "string"
            C = "string"
            D = "string"
            depends_on = "array"
            deps = "array"
            """,
        "example-rules/schemas/stage.legacy.toml": """
            id = "stage.legacy"

            [keys]
            id = "string"
            kind = "string"
            D = "string"
            Q = "string"
            M = "string"
            C = "string"
            depends_on = "array"
            deps = "array"
            dependencies = "array"
            "NB_*" = "any"
            "_orchestrate_*" = "any"
            template_id = "string"
            template_version = "any"
            """,
        "example-rules/schemas/stage.raw_python.toml": """
            id = "stage.raw_python"

            [keys]
            kind = { type = "string", required = true }
            C = { type = "string", required = true }
            id = "string"
            D = "string"
            depends_on = "array"
            """,
        "example-rules/schemas/lab.meta.toml": """
            id = "lab.meta"

            [keys]
            schema = "string"
            version = "integer"
            strict = "boolean"
            "*__sequence" = "array"
            """,
        "example-rules/schemas/run_config.toml": """
            id = "run_config"

            [keys]
            strict = "boolean"
            "prompt.model" = "string"
            "prompt.stage_configs" = { type = "table", free = true }
            "prompt.extensions.*" = { type = "table", free = true }
            "run.mode" = "integer"
            """,
        "example-rules/conventions/agilab.toml": """
            id = "agilab"
            meta_table = "__meta__"
            meta_strict_key = "strict"

            [stage]
            kind = "kind"
            id = "id"
            code = "C"
            template_id = "template_id"
            template_version = "template_version"
            app = "app"
            action = "action"
            task = "task"
            args = "args"
            dependencies = ["depends_on", "deps", "dependencies"]
            structured_markers = ["template_id", "template_version", "app", "action", "task", "args"]
            content = ["D", "Q", "C"]

            [kinds]
            template = "template"
            raw_python = "raw_python"

            [schemas]
            template = "stage.template"
            raw_python = "stage.raw_python"
            legacy = "stage.legacy"
            meta = "lab.meta"
            """,
        "example-rules/snippets/agilab.orchestrate.toml": """
            id = "agilab.orchestrate"
            markers = ["# AGILAB generated snippet", "# generator: agilab.orchestrate"]
            """,
    ]

    /// The rules above, loaded.
    public static func load(_ files: [String: String] = standard) -> RuleSet {
        var rules = RuleSet()
        let origin = RuleOrigin(kind: "example", directory: "example-rules")
        for path in files.keys.sorted() { rules.load(path: path, bytes: Array(files[path, default: ""].utf8), origin: origin) }
        return rules
    }
}
