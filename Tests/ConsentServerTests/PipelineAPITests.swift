import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

struct PipelineAPITests {
    @Test func batchDecisionsComeBackInTheOrderAsked() async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        let body = #"{"as_of": "2026-01-01", "members": ["urn:li:member:minor", "urn:li:member:ghost", "urn:li:member:eu", "urn:li:member:ca"]}"#
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(token),
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let result = try object(response.body)
                #expect(result["as_of"] == .string("2026-01-01T00:00:00Z") && result["policy_version"] == .string("2025-11-03"))
                guard case .array(let decisions)? = result["decisions"] else { Issue.record("no decisions"); return }
                let reasons = decisions.compactMap { decision -> String? in
                    guard case .object(let fields) = decision, case .string(let reason)? = fields.first(where: { $0.key == "reason" })?.value else { return nil }
                    return reason
                }
                #expect(reasons == ["minor", "member_unknown", "included_by_default", "awaiting_consent"])
            }
        }
    }


    @Test func aMemberEligibleThenWhoObjectedSinceIsNotUsable() async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        let eu = MemberID("urn:li:member:eu")!
        try await harness.store.fileObjection(Objection.file(id: .random(), member: eu, at: Harness.now.addingTimeInterval(-60), reason: nil,
                                                             terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)), actor: "eu")
        let body = #"{"as_of": "2026-01-01", "members": ["urn:li:member:eu", "urn:li:member:ca"]}"#
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(token),
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let result = try object(response.body)
                #expect(result["decided_at"] == .string(Timestamp.format(Harness.now)))
                guard case .array(let decisions)? = result["decisions"], case .object(let first)? = decisions.first,
                      case .object(let second)? = decisions.last else { Issue.record("no decisions"); return }
                let fields = Dictionary(uniqueKeysWithValues: first.map { ($0.key, $0.value) })
                #expect(fields["eligible"] == .bool(true) && fields["reason"] == .string("included_by_default"), "eligible at as_of")
                #expect(fields["usable"] == .bool(false) && fields["usable_reason"] == .string("objection_pending"), "but not usable now")
                let other = Dictionary(uniqueKeysWithValues: second.map { ($0.key, $0.value) })
                #expect(other["usable"] == .bool(false) && other["usable_reason"] == .string("awaiting_consent"))
            }
            try await client.execute(uri: "/api/v1/exclusions?as_of=2026-01-01", method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok && response.headers[HTTPField.Name("X-Consentry-Decided-At")!] == Timestamp.format(Harness.now))
                #expect(String(buffer: response.body).split(separator: "\n").contains("urn:li:member:eu"))
            }
        }
    }

    @Test(arguments: [
        (#"{"members": "urn:li:member:eu"}"#, "/members"), (#"{"members": ["ok", 3]}"#, "/members/1"),
        (#"{"as_of": "yesterday", "members": []}"#, "/as_of"), (#"{"members": [], "limit": 1}"#, "/limit"), (#"{}"#, "/members"),
    ])
    func badBatchRequestsNameTheField(_ body: String, _ pointer: String) async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(token),
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let problem = try object(response.body)
                #expect(problem["pointer"] == .string(pointer))
            }
        }
    }

    @Test func moreThanTenThousandIdsAreRefused() async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        let ids = (0...10_000).map { "\"m\($0)\"" }.joined(separator: ",")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(token),
                                     body: ByteBuffer(string: #"{"members": [\#(ids)]}"#)) { response in
                #expect(response.status == .badRequest)
                let problem = try object(response.body)
                #expect(problem["pointer"] == .string("/members"))
            }
        }
    }

    @Test func exclusionsStreamTheExcludedIdsSorted() async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/exclusions?as_of=2026-01-01", method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(String(buffer: response.body) == "urn:li:member:ca\nurn:li:member:minor\n")
            }
            try await client.execute(uri: "/api/v1/exclusions?as_of=soon", method: .get, headers: headers(token)) {
                #expect($0.status == .badRequest)
            }
        }
    }

    /// A list for the gate lists the minors of the window too, and the objections of non-members,
    /// as `consentry exclusions --minors-in-window` does; the filter reads it.
    @Test func anExclusionsListForTheGateSaysWhatItHolds() async throws {
        let harness = try await Harness()
        let token = try await harness.token("training-etl", role: .pipeline)
        let request = try ObjectionRequest.new(email: "alex@example.com", identifiers: ["Alex Example"], reason: nil, at: Harness.now)
        try await harness.store.requestObjection(request, code: "12345678", perAddress: .perDay(5), total: nil)
        let filed = try await harness.store.verifyObjectionRequest(request.id, code: "12345678", at: Harness.now,
                                                                   terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60), actor: "x")
        try await harness.app.test(.router) { client in
            let text = try await client.execute(uri: "/api/v1/exclusions?as_of=2026-01-01&minors_in_window=true", method: .get,
                                                headers: headers(token)) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            let lines = text.split(separator: "\n")
            #expect(lines.first?.hasPrefix("# consentry-exclusions minors_in_window since=") == true)
            #expect(lines.contains { $0 == "# third_party\t\(filed.id)\t[\"Alex Example\"]" })
            #expect(lines.contains("urn:li:member:ca") && lines.contains("urn:li:member:minor"))
            for (query, status) in [("minors_in_window=true&signed=true", HTTPResponse.Status.unprocessableContent),
                                    ("minors_in_window=maybe", .badRequest)] {
                try await client.execute(uri: "/api/v1/exclusions?" + query, method: .get, headers: headers(token)) {
                    #expect($0.status == status)
                }
            }
        }
    }

    @Test func memberTokensCannotUseThePipelineAPI() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/exclusions", method: .get, headers: headers(token)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(token),
                                     body: ByteBuffer(string: #"{"members": []}"#)) { #expect($0.status == .forbidden) }
        }
    }
}
