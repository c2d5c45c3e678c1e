import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation

struct SetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Append one choice to a member's ledger.",
        discussion: """
            The choice is on disk when this command succeeds; it prints the ledger entry.
            Example: consentry set --member urn:li:member:1001 --choice off --channel web
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
        print(DecisionRecords.choiceJSON(stored))
    }
}
