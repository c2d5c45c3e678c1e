import ArgumentParser
import ConsentCore
import ConsentFormats

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and export the hash-chained audit log.",
        subcommands: [Verify.self, Export.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the whole chain; exit 1 naming the first bad entry.",
            discussion: """
                Detects any entry altered, deleted or reordered. Prints the number of entries and the head hash: keep the head somewhere else (a ticket, a signed mail) to detect the tail being cut off.
                """
        )

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let result = try await store.openExisting().verifyAuditChain()
            print("audit chain ok: \(result.entries) entries, head \(result.headHash)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print audit entries as JSON Lines, in chain order.",
            discussion: "Each line has sequence, recorded_at, actor, action, subject, details, previous_hash and hash."
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "Only entries recorded at or after this instant.") var from: Instant?
        @Option(help: "Only entries recorded at or before this instant.") var to: Instant?

        func run() async throws {
            let output = Output()
            try await store.openExisting().auditEntries(from: from?.date, to: to?.date) { entry in
                output.line(AuditChain.exportLine(entry))
            }
            output.flush()
        }
    }
}
