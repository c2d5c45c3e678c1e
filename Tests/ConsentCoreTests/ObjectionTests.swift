import ConsentCore
import Foundation
import Testing

struct ObjectionTests {
    let filed = objection(filed: "2025-12-01T00:00:00Z")

    @Test func dueDateIsReceiptPlusResponseDays() {
        #expect(filed.status == .received)
        #expect(filed.due == at("2025-12-31T00:00:00Z"))
        #expect(filed.extendedDue == nil && filed.currentDue == filed.due)
    }

    @Test func oneExtensionBeforeTheDueDateMovesTheDeadline() throws {
        let extended = try filed.extending(by: .days(60), reason: "complex", at: at("2025-12-20"), maxExtension: .days(60))
        #expect(extended.status == .extended)
        #expect(extended.extendedDue == at("2026-03-01T00:00:00Z"))
        #expect(extended.currentDue == extended.extendedDue)
        #expect(throws: ConsentError.self) {
            try extended.extending(by: .days(1), reason: "again", at: at("2025-12-21"), maxExtension: .days(60))
        }
    }

    @Test func anExtensionAfterTheDueDateIsRefused() {
        #expect {
            try filed.extending(by: .days(10), reason: "late", at: at("2025-12-31T00:00:00Z"), maxExtension: .days(60))
        } throws: { error in
            guard case ConsentError.illegalTransition(_, let message) = error else { return false }
            return message.contains("has passed")
        }
    }

    @Test func anExtensionLongerThanThePolicyAllowsIsRefused() {
        #expect(throws: ConsentError.outsidePolicy(field: "days", message: "61 extends the deadline by more than 60 days, the policy's max_extension: at most until 2026-03-01T00:00:00Z")) {
            try filed.extending(by: .days(61), reason: "long", at: at("2025-12-02"), maxExtension: .days(60))
        }
    }

    @Test func aBlankReasonIsRefusedForExtensionsAndDecisions() {
        #expect(throws: ConsentError.self) { try filed.extending(by: .days(5), reason: "  ", at: at("2025-12-02"), maxExtension: .days(60)) }
        #expect(throws: ConsentError.self) { try filed.deciding(.reject, reason: "", at: at("2025-12-02")) }
        #expect(throws: ConsentError.self) { try filed.deciding(.uphold, reason: "\n", at: at("2025-12-02")) }
    }

    @Test(arguments: [ObjectionOutcome.uphold, .reject])
    func aDecisionIsFinal(_ outcome: ObjectionOutcome) throws {
        let decided = try filed.deciding(outcome, reason: "done", at: at("2025-12-05"))
        #expect(decided.status == (outcome == .uphold ? .upheld : .rejected))
        #expect(decided.decision?.reason == "done")
        #expect(throws: ConsentError.self) { try decided.deciding(.uphold, reason: "again", at: at("2025-12-06")) }
        #expect(throws: ConsentError.self) { try decided.extending(by: .days(5), reason: "x", at: at("2025-12-06"), maxExtension: .days(60)) }
    }

    @Test func anOverdueObjectionCanStillBeDecided() throws {
        let decided = try filed.deciding(.uphold, reason: "late but done", at: at("2026-02-01"))
        #expect(decided.status == .upheld)
    }

    @Test func eventsCannotPredateTheTimeline() {
        #expect(throws: ConsentError.self) { try filed.deciding(.uphold, reason: "x", at: at("2025-11-30")) }
        #expect(throws: ConsentError.self) { try filed.extending(by: .days(5), reason: "x", at: at("2025-11-30"), maxExtension: .days(60)) }
    }

    @Test func statusAtAnInstantFollowsTheTimeline() throws {
        let full = try filed.extending(by: .days(30), reason: "r", at: at("2025-12-10"), maxExtension: .days(60))
            .deciding(.reject, reason: "r", at: at("2026-01-10"))
        #expect(full.status(at: at("2025-11-30")) == nil)
        #expect(full.status(at: at("2025-12-01")) == .received)
        #expect(full.status(at: at("2025-12-10")) == .extended)
        #expect(full.status(at: at("2026-01-10")) == .rejected)
    }

    @Test func replayRebuildsAndRechecksTheTimeline() throws {
        let full = try filed.extending(by: .days(30), reason: "r", at: at("2025-12-10"), maxExtension: .days(60))
            .deciding(.uphold, reason: "r", at: at("2026-01-10"))
        #expect(try Objection.replay(id: full.id, member: full.member, timeline: full.timeline) == full)
        let illegal = full.timeline + [.decided(at: at("2026-01-11"), outcome: .reject, reason: "again")]
        #expect(throws: ConsentError.self) { try Objection.replay(id: full.id, member: full.member, timeline: illegal) }
    }

    @Test func aBlankMemberReasonIsStoredAsNone() {
        let blank = Objection.file(id: ObjectionID(rawValue: "obj_2"), member: MemberID("m")!, at: at("2025-12-01"), reason: "   ", terms: terms)
        #expect(blank.memberReason == nil)
    }
}

struct ObjectionRequestTests {
    @Test(arguments: ["a@b.co", "  Sam.Doe+ai@example.com ", "x@🏻y.z", "名前@例え.jp", "ÿ\u{FEFF}@exa\u{A1}mple.com"])
    func addressesWithOneAtAndADottedDomainAreAccepted(_ text: String) throws {
        let email = try EmailAddress.validated(text, field: "email")
        #expect(email == text.trimmingCharacters(in: .whitespaces))
    }

    @Test(arguments: ["", "no-at.example.com", "two@@example.com", "@example.com", "a@example", "a@.example.com", "a@example.com.",
                      "a b@example.com", "a@exa\u{0}mple.com", String(repeating: "a", count: 250) + "@b.co",
                      "a\u{96}b@example.com", "a@\u{85}example.com", "a@exa\u{A0}mple.com", "a\u{2028}@example.com"])
    func otherTextIsRefusedNamingTheField(_ text: String) {
        #expect(throws: ConsentError.self) { try EmailAddress.validated(text, field: "email") }
    }

    @Test func aRequestNeedsAnIdentifierAndDropsBlankOnes() throws {
        let instant = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throws: ConsentError.invalidField(field: "identifiers", message: "name at least one thing that identifies your data (a name, a profile or post URL)")) {
            try ObjectionRequest.new(email: "a@b.co", identifiers: [" ", ""], reason: nil, at: instant)
        }
        let request = try ObjectionRequest.new(email: "a@b.co", identifiers: [" Sam ", ""], reason: "  ", at: instant)
        #expect(request.identifiers == ["Sam"] && request.reason == nil && request.id.hasPrefix("req_") && request.id.count == 20)
    }

    @Test func aRequestClosesWhenVerifiedExpiredOrOutOfTries() throws {
        let instant = Date(timeIntervalSince1970: 1_800_000_000)
        var request = try ObjectionRequest.new(email: "a@b.co", identifiers: ["Sam"], reason: nil, at: instant)
        #expect(request.refusal(at: instant.addingTimeInterval(3599)) == nil)
        #expect(request.refusal(at: instant.addingTimeInterval(3600)) != nil, "an hour to answer")
        request.attempts = ObjectionRequest.maxAttempts
        #expect(request.refusal(at: instant) != nil)
        request.attempts = 0
        request.objection = ObjectionID(rawValue: "obj_1")
        #expect(request.refusal(at: instant) != nil)
    }

    @Test func codesAreEightDigits() {
        let codes = (0..<200).map { _ in ObjectionRequest.newCode() }
        #expect(codes.allSatisfy { $0.count == 8 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        #expect(Set(codes).count > 190, "random, not fixed")
    }
}
