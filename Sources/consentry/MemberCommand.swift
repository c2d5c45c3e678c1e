import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "A member's choices and facts: record a choice, see every version of the facts.",
        subcommands: [SetCommand.self, History.self]
    )

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every version of a member's facts, in the order they were recorded, as JSON Lines.",
            discussion: """
                {"birth_date":"1990-05-17","country":"DE","notified_at":null,"recorded_at":"2025-10-01T08:00:00Z","valid_from":null}

                valid_from is when the facts started to hold (null: from the beginning), recorded_at when \\
                Consentry learnt them. A change is valid from when it is recorded; an import line with \\
                "valid_from" corrects the past. The facts at an instant T are those of the version recorded \\
                last among the versions valid at T.

                  consentry member history urn:li:member:1003
                """
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The member id.") var id: String

        func run() async throws {
            guard let member = MemberID(id) else {
                throw ValidationError("\(id.debugDescription) is not a member id: 1 to 256 bytes without control characters")
            }
            let versions = try await store.openExisting().memberVersions(of: member)
            guard !versions.isEmpty else { throw ConsentError.unknownMember(member) }
            let output = Output()
            for version in versions { output.line(MemberRecords.versionJSON(version)) }
            output.flush()
        }
    }
}

struct SetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Append one choice to a member's ledger.",
        discussion: """
            The choice is on disk when this command succeeds; it prints the ledger entry.
            Example: consentry member set --member urn:li:member:1001 --choice off --channel web
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The member id.") var member: String
    @Option(help: "on or off.") var choice: Choice
    @Option(help: "web, ios, android, api, gpc or import.") var channel: Channel = .api
    @Option(help: "When the member made the choice (default: now).") var at: Instant?

    func validate() throws {
        guard MemberID(member) != nil else { throw ValidationError("--member must be 1 to 256 bytes without control characters") }
        if channel == .gpc && choice == .on {
            throw ValidationError("--channel gpc can only record --choice off: the GPC signal can only opt out")
        }
    }

    func run() async throws {
        let event = ConsentEvent(member: MemberID(member)!, choice: choice, channel: channel, at: at?.date ?? Date(), actor: cliActor)
        let stored = try await store.openExisting().recordChoice(event)
        print(JSONBody.string(LedgerEntryBody(stored)))
    }
}
