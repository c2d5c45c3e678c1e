import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "A member's facts over time.",
        subcommands: [History.self]
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
