import ArgumentParser
import ConsentCore
import ConsentFormats

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Apply and show policy versions.",
        subcommands: [Apply.self, Show.self]
    )

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file and make it the active version.",
            discussion: """
                Prints the version and the SHA-256 of its canonical form. An invalid file changes nothing and every problem is listed as FILE:LINE: field.path: what is wrong. A version string that was already applied with different content is refused; re-applying an earlier version unchanged makes it active again. Example: consentry policy apply examples/policy.yaml
                """
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The policy file (YAML).") var file: String

        func run() async throws {
            let version = try PolicyFile.load(path: file)
            try await store.openForWriting().applyPolicy(version, actor: cliActor)
            print("applied policy \(version.policy.version) sha256 \(version.sha256)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the active policy (or --version V) as YAML that `policy apply` accepts."
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "A version applied earlier.") var version: String?

        func run() async throws {
            let store = try await store.openExisting()
            let shown: PolicyVersion
            if let version {
                guard let found = try await store.policyVersion(version) else { throw ConsentError.unknownPolicyVersion(version) }
                shown = found
            } else {
                shown = try await requireActivePolicy(store)
            }
            print(PolicyFile.yaml(shown), terminator: "")
        }
    }
}
