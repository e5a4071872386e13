/// LC300-LC306, the import-boundary checks (DESIGN §4): their descriptions and examples. The
/// contract engine (`ImportContracts.swift`, `ImportBoundaries.swift`) reports them.
public enum ImportContractCheck: Check {
    static let forbiddenConfig = "[[contracts]]\nname = 'kernel stays generic'\ntype = 'forbidden'\nsource = ['kit']\nforbidden = ['app']\n"
    static let layersConfig = "[[contracts]]\nname = 'layers'\ntype = 'layers'\nlayers = ['app.impl | app.stages', 'app.framework', 'app.foundation']\n"
    static let protectedConfig = "[[contracts]]\nname = 'facade'\ntype = 'protected'\nprotected = ['app.impl']\nallowed_importers = ['app.stages']\n"
    static let acyclicConfig = "[[contracts]]\nname = 'no cycles'\ntype = 'acyclic_siblings'\nancestors = ['app']\n"
    static let independenceConfig = "[[contracts]]\nname = 'apart'\ntype = 'independence'\nmodules = ['apps.alpha', 'apps.beta']\n"
    static let package: [String: String] = ["kit/__init__.py": "", "kit/util.py": "x = 1\n", "app/__init__.py": "", "app/impl.py": "",
                                            "app/stages.py": "", "app/framework.py": "", "app/foundation.py": ""]

    static func files(_ config: String, _ extra: [String: String]) -> [String: String] {
        package.merging(extra) { $1 }.merging([".labcheck.toml": config]) { $1 }
    }

    public static let descriptions: [CheckDescription] = [
        CheckDescription(
            id: "LC300", slug: "forbidden-import", severity: .error,
            summary: "forbidden import (direct)",
            what: "Reports an import, written in a module inside a `forbidden` contract's source packages, of a module inside its forbidden packages.",
            why: "A kernel package that imports an application package stops being reusable, and every change to the application can break it.",
            example: "# pipelinekit/run.py\nimport image_project.impl      # pipelinekit must not import image_project",
            fix: "Move the code, invert the dependency (pass the application object in), or add an `ignore` with a reason to the contract.",
            triggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "import ↓app.impl\n"]))],
            nonTriggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "import kit.util\n"]))]),
        CheckDescription(
            id: "LC301", slug: "forbidden-import-chain", severity: .error,
            summary: "forbidden import through a chain (every link with file:line)",
            what: "Reports a forbidden import reached through a chain: for each module of the source packages and each module of the forbidden packages, the shortest chain whose intermediate modules lie outside both, printed link by link with file:line. Off with `allow_indirect = true`.",
            why: "An indirect dependency couples packages as surely as a direct one: importing the source imports the forbidden package.",
            example: "kit.run -> bridge -> app.impl",
            fix: "Break one link of the chain, or set `allow_indirect = true` on the contract if that coupling is acceptable.",
            triggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "import ↓bridge\n", "bridge.py": "import app.impl\n"]))],
            nonTriggering: [CheckExample(files: files(forbiddenConfig + "allow_indirect = true\n", ["kit/run.py": "import bridge\n", "bridge.py": "import app.impl\n"]))]),
        CheckDescription(
            id: "LC302", slug: "layers-violation", severity: .error,
            summary: "layers contract violated (direct or chain; also between `a | b` siblings)",
            what: "Reports an import from a lower layer of a `layers` contract into a higher one, directly or through a chain (whose intermediate modules lie outside every layer), and imports between independent siblings of one layer (`a | b`).",
            why: "Layers only stay layers if lower ones never reach up: otherwise the foundation depends on what is built on it.",
            example: "# image_project/foundation/db.py\nfrom image_project.framework import app",
            fix: "Move the code down a layer, or pass the dependency in from above.",
            triggering: [CheckExample(files: files(layersConfig, ["app/foundation.py": "from ↓app import framework\n"])),
                         CheckExample(files: files(layersConfig, ["app/impl.py": "import ↓app.stages\n"]))],
            nonTriggering: [CheckExample(files: files(layersConfig, ["app/impl.py": "import app.framework\n", "app/framework.py": "import app.foundation\n"]))]),
        CheckDescription(
            id: "LC303", slug: "independence-violation", severity: .error,
            summary: "independence contract violated",
            what: "Reports an import, direct or through a chain, between modules an `independence` contract keeps apart.",
            why: "Independent apps must be deployable and testable alone.",
            example: "# apps/alpha/x.py\nimport apps.beta",
            fix: "Share through a common lower module instead.",
            triggering: [CheckExample(files: [".labcheck.toml": independenceConfig, "apps/alpha/__init__.py": "import ↓apps.beta.core\n", "apps/beta/core.py": ""])],
            nonTriggering: [CheckExample(files: [".labcheck.toml": independenceConfig, "apps/alpha/__init__.py": "import apps.common\n",
                                                 "apps/common.py": "", "apps/beta/core.py": ""])]),
        CheckDescription(
            id: "LC306", slug: "protected-module-imported", severity: .error,
            summary: "protected module imported directly by a module that is not an allowed importer",
            what: "Reports a direct import of a module inside a `protected` contract's protected packages, written outside them and outside every `allowed_importers` package (import-linter's protected contract; `as_packages = false` protects and allows the named modules alone).",
            why: "A protected module (a private implementation, a database session) is reached only through the facade that owns it; a direct import elsewhere bypasses the facade.",
            example: "# app/views.py\nimport app.db.session      # only app.repository may import app.db",
            fix: "Go through an allowed importer, add the importer to `allowed_importers`, or add an ignore with a reason.",
            triggering: [CheckExample(files: files(protectedConfig, ["kit/run.py": "import ↓app.impl\n"]))],
            nonTriggering: [CheckExample(files: files(protectedConfig, ["app/stages.py": "import app.impl\n", "app/framework.py": "from app import stages\n"]))]),
        CheckDescription(
            id: "LC307", slug: "sibling-import-cycle", severity: .error,
            summary: "a dependency that closes a cycle among the children of a package (`acyclic_siblings`)",
            what: "Reports, for each package an `acyclic_siblings` contract covers (its ancestors and their descendants down to `depth`, not into `skip_descendants`), the dependencies between its children that must be removed to make them acyclic, nominated as import-linter (grimp) nominates its cycle breakers; each finding lists the imports that make up the dependency.",
            why: "Children of a package that import each other in a cycle cannot be understood, tested or moved one at a time.",
            example: "# app/a.py\nimport app.b\n# app/b.py\nimport app.a      # closes the cycle a -> b -> a",
            fix: "Move what one child needs from the other into a sibling both may import, or invert the dependency.",
            triggering: [CheckExample(files: files(acyclicConfig, ["app/impl.py": "import app.stages\n", "app/stages.py": "import ↓app.impl\n"]))],
            nonTriggering: [CheckExample(files: files(acyclicConfig, ["app/impl.py": "import app.stages\n", "app/stages.py": "import app.framework\n"]))]),
        CheckDescription(
            id: "LC304", slug: "relative-import-escapes-package", severity: .warning,
            summary: "relative import that climbs above its top-level package (or any relative import in stage code)",
            what: "Warns about a relative import that climbs above its top-level package, and about any relative import in a lab stage's code (which has no package).",
            why: "Such an import fails at run time, or resolves to an unrelated module depending on how the code is started.",
            example: "# pkg/a.py\nfrom .. import x",
            fix: "Use an absolute import.",
            triggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "from ↓.. import app\n"]))],
            nonTriggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "from . import util\n"]))]),
        CheckDescription(
            id: "LC305", slug: "python-file-not-scanned", severity: .warning,
            summary: "a Python file or stage code that cannot be scanned (undecodable, unterminated string, unclosed bracket, NUL), or whose module name another file already has: its imports are missing from the graph",
            what: "Warns that a Python file, or a stage's code, could not be scanned for imports because it cannot be decoded (not UTF-8, or a declared encoding labcheck does not read) or is not Python (an unterminated string, an unclosed bracket, a NUL byte), naming the line and column; or that a file is not checked because another file already gives its module name (the first root wins).",
            why: "Its imports are missing from the graph, so contracts cannot see what it imports.",
            example: "x = \"never closed",
            fix: "Fix the file; it would not run either.",
            triggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "x = (1,\n↓"]))],
            nonTriggering: [CheckExample(files: files(forbiddenConfig, ["kit/run.py": "x = (1,\n     2)\n"]))]),
    ]
}
