import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentSQLite
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import members or consent choices from JSON Lines.",
        discussion: """
            Imports are all or nothing: the first bad line aborts with FILE:LINE: field: what is wrong, and nothing is written. With --skip-invalid the good lines are imported and every bad line is reported on standard error. Files are streamed; use - for standard input.

            On SQLite, an import into a store that no other process has open writes the file directly (a rollback journal instead of the write-ahead log, which writes every page twice); a process that opens the store meanwhile waits for the import to commit, for up to 30 seconds. With a server or another command holding the store, the import writes through the log and readers go on reading.
            """,
        subcommands: [Members.self, Consents.self]
    )

    struct ImportFlags: ParsableArguments {
        @Flag(help: "Import the valid lines and report each invalid one instead of aborting.")
        var skipInvalid = false
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert or update members.",
            discussion: """
                One member per line:
                {"id": "urn:li:member:1001", "birth_date": "2001-04-12", "country": "DE", "notified_at": "2025-09-20T10:00:00Z", "data": {"account.name": "Ana Muster"}}

                birth_date, notified_at and data may be absent or null. data holds values by category; all categories are stored, only those the policy allows are ever exported.

                A member's country, birth date and notice date are versioned, never overwritten: a line that changes them adds a version valid from the moment it is recorded, so answers about earlier instants stay as they were. A line with "valid_from" (an instant or a date, not in the future) corrects the past: its facts hold from that instant on, and `consentry decide --as-known-at` still shows what was answered before the correction. See `consentry member history ID`.
                {"id": "urn:li:member:1001", "birth_date": "2001-04-21", "country": "DE", "valid_from": "2001-04-21"}
                """
        )

        @OptionGroup var store: StoreOptions
        @OptionGroup var flags: ImportFlags
        @Argument(help: "The JSON Lines file, or - for standard input.") var file: String

        func run() async throws {
            let lines = try JSONLines(path: file, parse: ImportRecords.member)
            let report = try await store.openForWriting().importMembers(lines, options: importOptions(file, flags))
            finish(report, noun: "members", file: file)
        }
    }

    struct Consents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append choices to the consent ledger.",
            discussion: """
                One choice per line:
                {"member": "urn:li:member:1001", "choice": "off", "at": "2025-10-01T12:00:00Z", "channel": "web"}

                channel is web, ios, android, api, gpc or import (the default); a gpc choice is always off.
                """
        )

        @OptionGroup var store: StoreOptions
        @OptionGroup var flags: ImportFlags
        @Argument(help: "The JSON Lines file, or - for standard input.") var file: String

        func run() async throws {
            let actor = "import:" + (file == "-" ? "stdin" : URL(fileURLWithPath: file).lastPathComponent)
            let lines = try JSONLines(path: file) { bytes, source, line in
                ImportRecords.consent(bytes, source: source, line: line, actor: actor)
            }
            let report = try await store.openForWriting().importChoices(lines, options: importOptions(file, flags))
            finish(report, noun: "choices", file: file)
        }
    }
}

private func importOptions(_ file: String, _ flags: ImportCommand.ImportFlags) -> ImportOptions {
    let terminal = stderrIsTerminal
    return ImportOptions(
        source: file, actor: cliActor, skipInvalid: flags.skipInvalid,
        onSkip: { printError("skipped \($0)") },
        onProgress: { lines in if terminal { printError("  \(lines) lines read…") } })
}

private func finish(_ report: ImportReport, noun: String, file: String) {
    print("imported \(report.imported) \(noun) from \(file) (\(report.read) lines read, \(report.skipped) skipped)")
}
