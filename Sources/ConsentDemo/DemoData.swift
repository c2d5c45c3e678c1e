import ConsentCore
import ConsentFormats
import Foundation

/// Fills a store with the example policy and a synthetic population: members, their
/// choices, objections at every stage (pending, extended, upheld, rejected), and an upheld one
/// from someone who is not a member (``nonMemberIdentifiers``), whose name and links the gate
/// then finds in records.
public enum DemoData {
    /// What the demo's non-member gave to identify their data.
    public static let nonMemberIdentifiers = ["Alex Example", "https://www.example.com/posts/1", "@alex_example"]

    /// The actor of the demo's policy, its store's first entry: how `consentry demo` knows a file it made.
    public static let actor = "demo"

    public struct Seeded: Sendable, Equatable {
        public var members: Int
        public var choices: Int
        public var objections: Int
    }

    @discardableResult
    public static func seed(_ store: any ConsentStore, population: SyntheticPopulation,
                            policyYAML: String = ExamplePolicy.yaml) async throws -> Seeded {
        let version = try PolicyFile.load(yaml: policyYAML, source: "examples/policy.yaml")
        try await store.applyPolicy(version, actor: actor)
        let members = (0..<population.count).lazy.map { index in
            ImportLine(line: index + 1, record: .success(population.member(index)))
        }
        _ = try await store.importMembers(members, options: ImportOptions(source: "demo", actor: "demo"))
        let choices = (0..<population.count).lazy.flatMap { population.choices($0) }
            .enumerated().map { ImportLine(line: $0.offset + 1, record: .success($0.element)) }
        let choiceReport = try await store.importChoices(choices, options: ImportOptions(source: "demo", actor: "demo"))

        var objections = 0
        let terms = version.policy.objectionTerms
        for index in 0..<population.count {
            guard let plan = population.objectionPlan(index) else { continue }
            var generator = SplitMix64(seed: population.seed, index: UInt64(index), stream: 4)
            let hex = String(generator.next(), radix: 16)
            let id = ObjectionID(rawValue: "obj_" + String(repeating: "0", count: 16 - hex.count) + hex)
            let objection = Objection.file(id: id, member: population.id(index), at: plan.filedAt,
                                           reason: index % 3 == 0 ? "I never agreed to AI training." : nil, terms: terms)
            try await store.fileObjection(objection, actor: population.id(index).rawValue)
            if let days = plan.extensionDays {
                _ = try await store.updateObjection(id, actor: "privacy-team") {
                    try $0.extending(by: .days(days), reason: "We are locating your data in archived datasets.",
                                     at: plan.filedAt.addingTimeInterval(5 * 86_400), maxExtension: terms.maxExtension)
                }
            }
            if let outcome = plan.outcome {
                let reason = outcome == .uphold ? "Objection upheld: your data will no longer be used and will be removed."
                    : "Rejected: the identifiers given match no data of yours. You may complain to your data protection authority or a court."
                _ = try await store.updateObjection(id, actor: "privacy-team") {
                    try $0.deciding(outcome, reason: reason, at: plan.filedAt.addingTimeInterval(12 * 86_400))
                }
            }
            objections += 1
        }
        // Someone who is not a member objects to the posts of members that name them.
        let request = try ObjectionRequest.new(email: "alex@example.com", identifiers: nonMemberIdentifiers,
                                               reason: "Members keep posting my name and my photos.",
                                               at: Timestamp.parse("2026-02-16T10:00:00Z")!)
        let code = ObjectionRequest.newCode()
        try await store.requestObjection(request, code: code, perAddress: .perDay(5), total: nil)
        let filed = try await store.verifyObjectionRequest(request.id, code: code, at: request.createdAt.addingTimeInterval(60), terms: terms,
                                                           actor: "non-member:" + request.id)
        _ = try await store.updateObjection(filed.id, actor: "privacy-team") {
            try $0.deciding(.uphold, reason: "Objection upheld: records naming you are left out of training data and removed.",
                            at: request.createdAt.addingTimeInterval(2 * 86_400))
        }
        objections += 1
        return Seeded(members: population.count, choices: choiceReport.imported, objections: objections)
    }
}
