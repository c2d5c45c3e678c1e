import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation

struct ObjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objections",
        abstract: "File, list, extend and decide Data Processing Objections, and deliver their notifications.",
        discussion: """
            An objection is received, may be extended once before its due date, and is then upheld or rejected with a reason. While undecided the member is excluded (objection_pending); once upheld, for good (objection_upheld); a rejection restores the member's previous state.
            """,
        subcommands: [File.self, List.self, Extend.self, Decide.self, Overdue.self, OutboxCommand.self]
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
        @Option(help: "Where to send the member updates (the outbox events carry it).") var email: String?
        @Option(help: "The language the member is written to in: \(Catalog.all.map(\.code).joined(separator: ", ")).")
        var language: String = Catalog.english.code

        func validate() throws {
            guard MemberID(member) != nil else { throw ValidationError("--member must be 1 to 256 bytes without control characters") }
            guard Catalog.named(language) != nil else {
                throw ValidationError("--language must be one of " + Catalog.all.map(\.code).joined(separator: ", "))
            }
        }

        func run() async throws {
            let store = try await store.openExisting()
            let terms = try await requireActivePolicy(store).policy.objectionTerms
            let email = try email.map { try EmailAddress.validated($0, field: "--email") }
            let objection = Objection.file(id: .random(), member: MemberID(member)!, at: at?.date ?? Date(),
                                           reason: try ObjectionText.reason(reason), email: email, language: language, terms: terms)
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
                output.line(JSONBody.string(ObjectionBody(objection)))
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
        @Option(help: "Days to add to the first deadline (or --months), at most the policy's max_extension.") var days: Int?
        @Option(help: "Calendar months to add to the first deadline (or --days).") var months: Int?
        @Option(help: "Why more time is needed (told to the member).") var reason: String
        @Option(help: "When the extension is made (default: now).") var at: Instant?

        func validate() throws {
            guard (days == nil) != (months == nil) else { throw ValidationError("give --days N or --months N (one of the two)") }
        }

        func run() async throws {
            let store = try await store.openExisting()
            let maximum = try await requireActivePolicy(store).policy.objectionTerms.maxExtension
            let term: Term = days.map(Term.days) ?? .months(months ?? 0)
            let (reason, instant) = (reason, at?.date ?? Date())
            let updated = try await store.updateObjection(ObjectionID(rawValue: id), actor: cliActor) {
                try $0.extending(by: term, reason: reason, at: instant, maxExtension: maximum)
            }
            print(JSONBody.string(ObjectionBody(updated)))
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Uphold or reject an undecided objection, with a reason.",
            discussion: "An upheld objection whose member no registered dataset holds is completed at once; otherwise `consentry datasets purge` completes it."
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
            let store = try await store.openExisting()
            let (outcome, reason, instant) = (outcome == .uphold ? ObjectionOutcome.uphold : .reject, reason, at?.date ?? Date())
            let updated = try await store.decideObjection(ObjectionID(rawValue: id), outcome: outcome, reason: reason, at: instant,
                                                          actor: cliActor)
            print(JSONBody.string(ObjectionBody(updated)))
        }
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the undecided objections past their deadline; exit 1 when there are any.",
            discussion: """
                For a cron job or an alert: prints each overdue objection as a JSON line (with the \
                deadline in force and how many days it is late) and exits 1 when at least one is \
                overdue, 0 when none is.

                  consentry objections overdue || notify-privacy-team
                """
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "Judge as of this instant (default: now).") var at: Instant?

        func run() async throws {
            let instant = at?.date ?? Date()
            let overdue = try await store.openExisting().objections(status: nil)
                .filter { $0.status.isPending && $0.currentDue < instant }
                .sorted { $0.currentDue < $1.currentDue }
            let output = Output()
            for objection in overdue {
                let days = Int(instant.timeIntervalSince(objection.currentDue) / 86_400)
                output.line(JSONBody.string(OverdueLine(id: objection.id.rawValue, member: objection.member?.rawValue,
                                                        status: objection.status.rawValue, due: objection.currentDue, daysOverdue: days)))
            }
            output.flush()
            if !overdue.isEmpty {
                printError("objections: \(overdue.count) overdue")
                throw ExitCode(1)
            }
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "The notifications waiting to be delivered, and those delivered.",
        discussion: """
            Every event a member must be told about (an objection received, extended, upheld, \
            rejected, completed) is written to the outbox in the same transaction as the change, \
            then delivered at least once, each with its own idempotency id.
            """,
        subcommands: [List.self, Deliver.self]
    )

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver the events due now to CONSENTRY_WEBHOOK_URL, once (for cron; `serve` does it continuously).",
            discussion: "Each event is POSTed as a Standard Webhook: webhook-id (the event id, the same on every retry), webhook-timestamp and webhook-signature (v1, HMAC-SHA256 of id.timestamp.body with CONSENTRY_WEBHOOK_SECRET, whsec_…), and Consentry-Event-Type. Redirects are not followed. Exits 1 when a delivery failed (it is retried later)."
        )

        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let webhook = try WebhookConfiguration.fromEnvironment() else {
                throw ValidationError("set CONSENTRY_WEBHOOK_URL and CONSENTRY_WEBHOOK_SECRET to deliver notifications")
            }
            let report = try await OutboxDeliverer(store: try await store.openExisting(), webhook: webhook).deliverDue(limit: 10_000)
            print("outbox: delivered \(report.delivered), failed \(report.failed)")
            if report.failed > 0 { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Outbox events as JSON Lines, oldest first.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Only events not delivered yet.") var pending = false
        @Option(help: "At most this many events.") var limit = 1000

        func run() async throws {
            let output = Output()
            for event in try await store.openExisting().outbox(pendingOnly: pending, limit: limit) {
                output.line(JSONBody.string(OutboxLine(event)))
            }
            output.flush()
        }
    }
}

/// An overdue objection as `objections overdue` prints it.
struct OverdueLine: Encodable {
    let id: String
    @Nullable var member: String?
    let status: String
    let due: Date
    let daysOverdue: Int

    enum CodingKeys: String, CodingKey {
        case id, member, status, due
        case daysOverdue = "days_overdue"
    }
}

/// An outbox event as `objections outbox list` prints it, with its payload as it will be
/// delivered: a code still waiting for delivery shows (it is forgotten once delivered, or after
/// an hour).
struct OutboxLine: Encodable {
    let id: String
    let sequence: Int64
    let type: String
    let subject: String
    let createdAt: Date
    let attempts: Int
    @Nullable var nextAttemptAt: Date?
    @Nullable var deliveredAt: Date?
    @Nullable var lastError: String?
    let payload: JSONValue

    init(_ event: OutboxEvent) {
        id = event.id
        sequence = event.sequence
        type = event.type
        subject = event.subject
        createdAt = event.createdAt
        attempts = event.attempts
        nextAttemptAt = event.nextAttemptAt
        deliveredAt = event.deliveredAt
        lastError = event.lastError
        payload = JSONValue.embedding(OutboxMessages.body(of: event))
    }

    enum CodingKeys: String, CodingKey {
        case id, sequence, type, subject, attempts, payload
        case createdAt = "created_at", nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at", lastError = "last_error"
    }
}
