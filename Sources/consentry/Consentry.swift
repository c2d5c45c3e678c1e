import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The command-line tool: parses arguments, calls the core and the store, prints results.
@main
struct Consentry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consentry",
        abstract: "Decides whose data may train generative AI, and proves it.",
        discussion: """
            Consentry keeps the policy, the members, the append-only consent ledger, objections and a hash-chained audit log in one store (SQLite by default), and decides for every member whether their data may be used for generative-AI training, with one reason code.

            Every subcommand takes --db PATH (or the CONSENTRY_DB environment variable; default ./consentry.sqlite), or --database-url postgres://user:password@host:5432/database (or CONSENTRY_DATABASE_URL) to share one PostgreSQL among several instances. Times are RFC 3339 (2025-11-04T00:00:00Z) or a date (2025-11-04 = 00:00 UTC).
            Start with: consentry demo. Each group's commands are listed by `consentry help GROUP` (e.g. consentry help datasets).
            """,
        subcommands: Moved.commands + [BenchDecideCommand.self],
        groupedSubcommands: [
            CommandGroup(name: "Start here", subcommands: [DemoCommand.self, GenerateCommand.self]),
            CommandGroup(name: "Policy and members", subcommands: [PolicyCommand.self, ImportCommand.self, MemberCommand.self]),
            CommandGroup(name: "Decisions", subcommands: [DecideCommand.self, ExclusionsCommand.self, StatsCommand.self]),
            CommandGroup(name: "Training data", subcommands: [DatasetsCommand.self, ModelsCommand.self]),
            CommandGroup(name: "Objections", subcommands: [ObjectionsCommand.self]),
            CommandGroup(name: "Reports", subcommands: [ReportCommand.self]),
            CommandGroup(name: "Proof", subcommands: [LogCommand.self, AuditCommand.self]),
            CommandGroup(name: "Running the service", subcommands: [ServeCommand.self, TokenCommand.self, MigrateCommand.self, MigrateStoreCommand.self]),
        ]
    )

    static func main() async {
        #if canImport(Glibc)
        // Imports hand batches from a parsing thread to the writer, which frees them: with
        // glibc's default 128 KB trim threshold every freed batch shrank the heap and the next
        // one faulted it back in (a 1M-line import spent a third of its time there). Setting
        // it also fixes the size above which a block is mapped on its own at 128 KB, and each
        // such block is zeroed by the kernel page by page when mapped and unmapped when freed:
        // a batch's buffers are larger, so that size is raised to glibc's most, 32 MB (a
        // choice import then faults in 57,000 pages instead of 264,000).
        // (mallopt is in <malloc.h>, which the Glibc module leaves out.)
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            let M_TRIM_THRESHOLD: Int32 = -1, M_MMAP_THRESHOLD: Int32 = -3
            _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        }
        #endif
        await Self.main(nil)
    }
}
