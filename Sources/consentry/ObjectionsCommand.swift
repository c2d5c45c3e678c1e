import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation

struct ObjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objections",
        abstract: "File, list, extend and decide Data Processing Objections.",
        discussion: """
            An objection is received, may be extended once before its due date, and is then upheld or rejected with a reason. While undecided the member is excluded (objection_pending); once upheld, for good (objection_upheld); a rejection restores the member's previous state.
            """,
        subcommands: [File.self, List.self, Extend.self, Decide.self]
    )

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File an objection for a member; prints only the new objection id.",
            discussion: "Example: id=$(consentry objections file --member urn:li:member:1001)"
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "The member id.") var member: String
        @Option(help: "When it was received (default: now).") var at: Instant?
        @Option(help: "The member's reason, if they gave one (never required).") var reason: String?

        func validate() throws {
            guard MemberID(member) != nil else { throw ValidationError("--member must be 1 to 256 bytes without control characters") }
        }

        func run() async throws {
            let store = try store.openExisting()
            let terms = try await requireActivePolicy(store).policy.objectionTerms
            let objection = Objection.file(id: .random(), member: MemberID(member)!, at: at?.date ?? Date(), reason: reason, terms: terms)
            try await store.fileObjection(objection, actor: cliActor)
            print(objection.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print objections as JSON Lines, oldest first, with deadlines and timeline."
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "Only objections now in this status: received, extended, upheld, rejected or completed (upheld, and the data purged from every dataset).") var status: ObjectionStatus?

        func run() async throws {
            let output = Output()
            for objection in try await store.openExisting().objections(status: status) {
                output.line(DecisionRecords.objectionJSON(objection))
            }
            output.flush()
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Extend an undecided objection's deadline once, before it passes, with the reason told to the member."
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The objection id.") var id: String
        @Option(help: "Days to add, at most the policy's max_extension_days.") var days: Int
        @Option(help: "Why more time is needed (told to the member).") var reason: String
        @Option(help: "When the extension is made (default: now).") var at: Instant?

        func run() async throws {
            let store = try store.openExisting()
            let maximum = try await requireActivePolicy(store).policy.objectionTerms.maxExtensionDays
            let (days, reason, instant) = (days, reason, at?.date ?? Date())
            let updated = try await store.updateObjection(ObjectionID(rawValue: id), actor: cliActor) {
                try $0.extending(byDays: days, reason: reason, at: instant, maxExtensionDays: maximum)
            }
            print(DecisionRecords.objectionJSON(updated))
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Uphold or reject an undecided objection, with a reason."
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The objection id.") var id: String
        @Flag(help: "Uphold (accept) or reject the objection.") var outcome: Outcome
        @Option(help: "The reason, told to the member. A rejection should say how to complain to the regulator.") var reason: String
        @Option(help: "When the decision is made (default: now).") var at: Instant?

        enum Outcome: String, EnumerableFlag {
            case uphold, reject
        }

        func run() async throws {
            let store = try store.openExisting()
            let (outcome, reason, instant) = (outcome == .uphold ? ObjectionOutcome.uphold : .reject, reason, at?.date ?? Date())
            let updated = try await store.updateObjection(ObjectionID(rawValue: id), actor: cliActor) {
                try $0.deciding(outcome, reason: reason, at: instant)
            }
            print(DecisionRecords.objectionJSON(updated))
        }
    }
}
