import ArgumentParser

/// The spellings commands had before they were grouped, kept for one release so scripts keep
/// working: each runs the command it names and says on standard error where it moved. They
/// are hidden from `consentry help`.
enum Moved {
    static let commands: [any ParsableCommand.Type] = [
        MovedSet.self, MovedFilter.self, MovedExport.self, MovedSnapshot.self, MovedPurge.self, MovedLineage.self,
        MovedOutbox.self, MovedReceipt.self,
    ]

    static func note(_ old: String, _ new: String) {
        printError("consentry \(old) has moved to consentry \(new); the old spelling goes in the next release")
    }

    static func configuration(_ old: String, _ new: String, subcommands: [any ParsableCommand.Type] = []) -> CommandConfiguration {
        CommandConfiguration(commandName: old, abstract: "Moved to consentry \(new).", shouldDisplay: false, subcommands: subcommands)
    }
}

struct MovedSet: AsyncParsableCommand {
    static let configuration = Moved.configuration("set", "member set")
    @OptionGroup var command: SetCommand
    func run() async throws { Moved.note("set", "member set"); try await command.run() }
}

struct MovedFilter: AsyncParsableCommand {
    static let configuration = Moved.configuration("filter", "datasets filter")
    @OptionGroup var command: FilterCommand
    func run() async throws { Moved.note("filter", "datasets filter"); try await command.run() }
}

struct MovedExport: AsyncParsableCommand {
    static let configuration = Moved.configuration("export", "datasets export")
    @OptionGroup var command: ExportCommand
    func run() async throws { Moved.note("export", "datasets export"); try await command.run() }
}

struct MovedSnapshot: AsyncParsableCommand {
    static let configuration = Moved.configuration("snapshot", "datasets snapshot")
    @OptionGroup var command: SnapshotCommand
    func run() async throws { Moved.note("snapshot", "datasets snapshot"); try await command.run() }
}

struct MovedPurge: AsyncParsableCommand {
    static let configuration = Moved.configuration("purge", "datasets purge")
    @OptionGroup var command: PurgeCommand
    func run() async throws { Moved.note("purge", "datasets purge"); try await command.run() }
}

struct MovedLineage: AsyncParsableCommand {
    static let configuration = Moved.configuration("lineage", "datasets lineage")
    @OptionGroup var command: LineageCommand
    func run() async throws { Moved.note("lineage", "datasets lineage"); try await command.run() }
}

struct MovedOutbox: AsyncParsableCommand {
    static let configuration = Moved.configuration("outbox", "objections outbox", subcommands: [List.self, Deliver.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", shouldDisplay: false)
        @OptionGroup var command: OutboxCommand.List
        func run() async throws { Moved.note("outbox list", "objections outbox list"); try await command.run() }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deliver", shouldDisplay: false)
        @OptionGroup var command: OutboxCommand.Deliver
        func run() async throws { Moved.note("outbox deliver", "objections outbox deliver"); try await command.run() }
    }
}

struct MovedReceipt: AsyncParsableCommand {
    static let configuration = Moved.configuration("receipt", "log receipt", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", shouldDisplay: false)
        @OptionGroup var command: ReceiptCommand.Verify
        func run() throws { Moved.note("receipt verify", "log receipt verify"); try command.run() }
    }
}
