import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentSQLite
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// Objections over the API: members file and follow their own, the privacy team extends and
/// decides, non-members verify their address first. A real SQLite file under each test.
struct ObjectionAPITests {
    static let eu = "urn:li:member:eu"
    static let ca = "urn:li:member:ca"

    func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    /// Files an objection for `member` over the API and returns its id.
    func file(_ client: some TestClientProtocol, token: String, body: String = "{}") async throws -> String {
        try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token), body: json(body)) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let id = try #require(string(try object(response.body)["id"]))
            #expect(response.headers[.location] == "/api/v1/me/objections/" + id)
            return id
        }
    }

    @Test func aMemberFilesAnObjectionAndIsExcludedAtOnce() async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu)
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: token, body: #"{"reason": "I never agreed", "email": "eu@example.com"}"#)
            try await client.execute(uri: "/api/v1/me/objections/" + id, method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok)
                let body = try object(response.body)
                #expect(body["status"] == .string("received"))
                #expect(body["received_at"] == .string("2026-01-15T12:00:00Z"))
                #expect(body["due"] == .string("2026-02-15T12:00:00Z"), "one calendar month under the policy")
                #expect(body["extended_due"] == .null && body["decided_at"] == .null && body["decision_reason"] == .null)
                #expect(body["email"] == .string("eu@example.com"))
                guard case .array(let timeline)? = body["timeline"] else { Issue.record("no timeline"); return }
                #expect(timeline.count == 1)
            }
            try await client.execute(uri: "/api/v1/me/objections", method: .get, headers: headers(token)) { response in
                #expect(String(buffer: response.body).contains(id))
            }
            // Excluded from the moment of receipt, and the answer says why.
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["reason"] == .string("objection_pending") && body["eligible"] == .bool(false))
            }
        }
        // The acknowledgement waits in the outbox, written with the objection, but names no
        // address: the member has not shown that eu@example.com is theirs. A code went there.
        let queued = try await harness.store.outbox(pendingOnly: true, limit: 10)
        #expect(queued.map(\.type) == ["objection.received", OutboxEvent.emailVerificationType])
        #expect(queued.first?.payloadJSON.contains("eu@example.com") == false)
        let code = try #require(queued.last?.code)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/objections", method: .get, headers: headers(token)) { response in
                #expect(String(buffer: response.body).contains(#""email_verified":false"#))
            }
            try await client.execute(uri: "/api/v1/me/email-verification", method: .post, headers: headers(token),
                                     body: json(#"{"code": "12a"}"#)) { response in
                let problem = try object(response.body)
                #expect(response.status == .badRequest && problem["pointer"] == .string("/code"))
            }
            try await client.execute(uri: "/api/v1/me/email-verification", method: .post, headers: headers(try await harness.token(Self.ca)),
                                     body: json(#"{"code": "\#(code)"}"#)) { response in
                #expect(response.status == .conflict, "another member has no address waiting: the code is not theirs")
            }
            try await client.execute(uri: "/api/v1/me/email-verification", method: .post, headers: headers(token),
                                     body: json(#"{"code": "\#(code)"}"#)) { response in
                #expect(response.status == .ok && String(buffer: response.body) == #"{"email":"eu@example.com","verified":true}"#)
            }
            try await client.execute(uri: "/api/v1/me/objections", method: .get, headers: headers(token)) { response in
                #expect(String(buffer: response.body).contains(#""email_verified":true"#))
            }
        }
        // From now on the address is told: the decision's event carries it.
        let objection = try #require(try await harness.store.objections(of: MemberID(Self.eu)!).first)
        _ = try await harness.store.updateObjection(objection.id, actor: "privacy") { try $0.deciding(.reject, reason: "no", at: Harness.now) }
        let decided = try #require(try await harness.store.outbox(pendingOnly: true, limit: 10).last)
        #expect(decided.type == "objection.rejected" && decided.payloadJSON.hasPrefix(#"{"email":"eu@example.com","#))
    }

    @Test func aMemberSeesOnlyTheirOwnObjections() async throws {
        let harness = try await Harness()
        let (eu, ca) = (try await harness.token(Self.eu), try await harness.token(Self.ca))
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: eu)
            // Another member's id answers exactly like an id that does not exist.
            for probe in [id, "obj_0000000000000000"] {
                try await client.execute(uri: "/api/v1/me/objections/" + probe, method: .get, headers: headers(ca)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try await client.execute(uri: "/api/v1/me/objections", method: .get, headers: headers(ca)) { response in
                #expect(!String(buffer: response.body).contains(id))
            }
            // A member cannot reach the privacy team's routes.
            try await client.execute(uri: "/api/v1/admin/objections", method: .get, headers: headers(eu)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/admin/objections/\(id)/decision", method: .post, headers: headers(eu),
                                     body: json(#"{"decision": "reject", "reason": "mine"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/admin/objections", method: .get) { #expect($0.status == .unauthorized) }
        }
        #expect(try await harness.store.objection(ObjectionID(rawValue: "obj_0000000000000000")) == nil)
    }

    @Test func thePrivacyRoleCannotActAsAMember() async throws {
        let harness = try await Harness()
        let staff = try await harness.token("dana@privacy", role: .privacy)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(staff),
                                     body: json(#"{"enabled": false}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(staff), body: json("{}")) {
                #expect($0.status == .forbidden)
            }
        }
        #expect(try await harness.store.history(of: MemberID(Self.eu)!).isEmpty)
    }

    @Test func thePrivacyTeamExtendsAndDecidesAndIllegalStepsAre409() async throws {
        let harness = try await Harness()
        let (member, staff) = (try await harness.token(Self.eu), try await harness.token("dana@privacy", role: .privacy))
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: member)
            let base = "/api/v1/admin/objections/" + id
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"months": 3, "reason": "We are checking three datasets."}"#)) { response in
                #expect(response.status == .unprocessableContent, "3 months is more than the policy's 2")
                let problem = try object(response.body)
                #expect(problem["pointer"] == .string("/months") && problem["type"] == .string("https://consentry.dev/problems/outside-policy"))
                #expect(String(buffer: response.body).contains("by more than 2 months, the policy's max_extension"))
            }
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"days": 30, "months": 2, "reason": "both"}"#)) { #expect($0.status == .badRequest) }
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"months": 2, "reason": "We are checking three datasets."}"#)) { response in
                #expect(response.status == .ok)
                let body = try object(response.body)
                #expect(body["status"] == .string("extended") && body["extended_due"] == .string("2026-04-15T12:00:00Z"))
            }
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"days": 10, "reason": "again"}"#)) { response in
                #expect(response.status == .conflict)
                let body = try object(response.body)
                #expect(body["type"] == .string("https://consentry.dev/problems/illegal-transition"))
                #expect(string(body["detail"])?.contains("only one extension") == true)
            }
            try await client.execute(uri: base + "/decision", method: .post, headers: headers(staff),
                                     body: json(#"{"decision": "uphold", "reason": "No legitimate interest overrides this."}"#)) { response in
                #expect(response.status == .ok)
                // No dataset holds the member, so the objection is complete at once.
                let parsed = try object(response.body)
                #expect(parsed["status"] == .string("completed"))
            }
            for body in [#"{"decision": "reject", "reason": "changed my mind"}"#, #"{"decision": "uphold", "reason": "twice"}"#] {
                try await client.execute(uri: base + "/decision", method: .post, headers: headers(staff), body: json(body)) {
                    #expect($0.status == .conflict)
                }
            }
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"days": 5, "reason": "late"}"#)) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/api/v1/admin/objections/obj_0000000000000000/decision", method: .post, headers: headers(staff),
                                     body: json(#"{"decision": "reject", "reason": "x"}"#)) { #expect($0.status == .notFound) }
            // The member sees the whole timeline, and stays out for good.
            try await client.execute(uri: "/api/v1/me/objections/" + id, method: .get, headers: headers(member)) { response in
                let body = try object(response.body)
                #expect(body["decision_reason"] == .string("No legitimate interest overrides this."))
                guard case .array(let timeline)? = body["timeline"] else { Issue.record("no timeline"); return }
                #expect(timeline.count == 4, "received, extended, upheld, completed")
                #expect(body["data_removal"] != nil)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(member)) { response in
                let parsed = try object(response.body)
                #expect(parsed["reason"] == .string("objection_upheld"))
            }
        }
        let audit = try await harness.store.verifyAuditChain()
        #expect(audit.entries > 0)
        let types = try await harness.store.outbox(pendingOnly: false, limit: 10).map(\.type)
        #expect(types == ["objection.received", "objection.extended", "objection.upheld", "objection.completed"])
    }

    /// The member objects in French: every message the outbox asks the mailer to send is in
    /// French, with the privacy team's own words quoted, whatever language the staff reads in.
    @Test func everyMessageIsWrittenInTheLanguageTheMemberObjectedIn() async throws {
        let harness = try await Harness()
        let (member, staff) = (try await harness.token(Self.eu), try await harness.token("dana@privacy", role: .privacy))
        try await harness.app.test(.router) { client in
            let id = try await client.execute(uri: "/api/v1/me/objections", method: .post,
                                              headers: headers(member, [.acceptLanguage: "fr-CA, fr;q=0.9, en;q=0.5"]), body: json("{}")) { response in
                let body = try object(response.body)
                #expect(response.status == .created && body["language"] == .string("fr"))
                return try #require(string(body["id"]))
            }
            let base = "/api/v1/admin/objections/" + id
            try await client.execute(uri: base, method: .get, headers: headers(staff, [.acceptLanguage: "de"])) { response in
                #expect(response.headers[.contentLanguage] == "de")
                guard case .object(let decision)? = try object(response.body)["member_decision"] else { Issue.record("no member_decision"); return }
                #expect(string(decision.first { $0.key == "explanation" }?.value)?.contains("Widerspruch") == true,
                        "the staff member reads the member's setting in their own language")
            }
            try await client.execute(uri: base + "/extension", method: .post, headers: headers(staff, [.acceptLanguage: "en"]),
                                     body: json(#"{"days": 10, "reason": "Nous vérifions trois jeux de données."}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: base + "/decision", method: .post, headers: headers(staff),
                                     body: json(#"{"decision": "uphold", "reason": "Aucun motif ne prévaut."}"#)) { #expect($0.status == .ok) }
        }
        let events = try await harness.store.outbox(pendingOnly: false, limit: 10)
        #expect(events.map(\.type) == ["objection.received", "objection.extended", "objection.upheld", "objection.completed"])
        var subjects: [String] = []
        for event in events {
            let body = try object(ByteBuffer(string: OutboxMessages.body(of: event)))
            #expect(body["language"] == .string("fr"))
            guard case .object(let message)? = body["message"] else { Issue.record("\(event.type) has no message"); continue }
            subjects.append(string(message.first { $0.key == "subject" }?.value) ?? "")
            let text = string(message.first { $0.key == "text" }?.value) ?? ""
            #expect(text.contains(event.subject) && text.hasSuffix("L'équipe de protection des données"), "\(event.type): \(text)")
            if event.type == "objection.extended" { #expect(text.contains("Nous vérifions trois jeux de données.")) }
            if event.type == "objection.upheld" { #expect(text.contains("Aucun motif ne prévaut.")) }
        }
        #expect(subjects == ["Nous avons reçu votre opposition", "Il nous faut plus de temps pour votre opposition",
                             "Votre opposition est acceptée", "Vos données sont retirées"])
    }

    /// The CLI (`objections decide`, `purge`) changes objections from another process: the
    /// member's objection pages and API read them from the store, so they show it at once.
    @Test func aChangeMadeByAnotherProcessIsShownAtOnce() async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu)
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: token)
            _ = try await harness.store.updateObjection(ObjectionID(rawValue: id), actor: "cli") {
                try $0.deciding(.uphold, reason: "Decided from the command line.", at: Harness.now)
            }
            _ = try await harness.store.completeObjections(actor: "cli")
            try await client.execute(uri: "/api/v1/me/objections/" + id, method: .get, headers: headers(token)) { response in
                let body = try object(response.body)
                #expect(body["status"] == .string("completed") && body["decision_reason"] == .string("Decided from the command line."))
            }
        }
    }

    @Test func aRejectionRestoresThePreviousState() async throws {
        let harness = try await Harness()
        let (member, staff) = (try await harness.token(Self.eu), try await harness.token("dana@privacy", role: .privacy))
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: member)
            try await client.execute(uri: "/api/v1/admin/objections/\(id)/decision", method: .post, headers: headers(staff),
                                     body: json(#"{"decision": "reject", "reason": "Fraud prevention requires it."}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(member)) { response in
                let parsed = try object(response.body)
                #expect(parsed["reason"] == .string("included_by_default"))
            }
        }
    }

    @Test func deadlinesFollowTheClockAndOverdueItemsAreFlagged() async throws {
        let harness = try await Harness()
        let clock = Mutex(Harness.now)
        let (member, staff) = (try await harness.token(Self.eu), try await harness.token("dana@privacy", role: .privacy))
        try await harness.app(now: { clock.withLock { $0 } }).test(.router) { client in
            let id = try await file(client, token: member)
            try await client.execute(uri: "/api/v1/admin/objections?overdue=true", method: .get, headers: headers(staff)) { response in
                #expect(!String(buffer: response.body).contains(id))
            }
            try await client.execute(uri: "/api/v1/admin/objections?status=received&region=europe", method: .get, headers: headers(staff)) { response in
                guard case .array(let items)? = try object(response.body)["items"], case .object(let item)? = items.first else {
                    Issue.record("no items"); return
                }
                #expect(items.count == 1)
                #expect(item.first { $0.key == "days_left" }?.value == .number("31"), "15 January + 1 month = 15 February")
                #expect(item.first { $0.key == "region" }?.value == .string("europe"))
            }
            try await client.execute(uri: "/api/v1/admin/objections?region=north-america", method: .get, headers: headers(staff)) { response in
                #expect(!String(buffer: response.body).contains(id))
            }
            // A day past the deadline: overdue, and too late to extend, but it can still be decided.
            clock.withLock { $0 = $0.addingTimeInterval(32 * 86_400) }
            try await client.execute(uri: "/api/v1/admin/objections?overdue=true", method: .get, headers: headers(staff)) { response in
                let body = String(buffer: response.body)
                #expect(body.contains(id) && body.contains(#""overdue":true"#) && body.contains(#""days_left":-1"#))
            }
            try await client.execute(uri: "/api/v1/admin/objections/\(id)/extension", method: .post, headers: headers(staff),
                                     body: json(#"{"days": 30, "reason": "too late"}"#)) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains("has passed"))
            }
            try await client.execute(uri: "/api/v1/admin/objections/\(id)/decision", method: .post, headers: headers(staff),
                                     body: json(#"{"decision": "reject", "reason": "late, but reasoned"}"#)) { #expect($0.status == .ok) }
        }
    }

    @Test(arguments: [
        ("/api/v1/admin/objections/ID/extension", #"{"days": "thirty", "reason": "x"}"#, "/days"),
        ("/api/v1/admin/objections/ID/extension", #"{"days": 61, "reason": "x"}"#, "/days"),
        ("/api/v1/admin/objections/ID/extension", #"{"days": 10}"#, "/reason"),
        ("/api/v1/admin/objections/ID/decision", #"{"decision": "maybe", "reason": "x"}"#, "/decision"),
        ("/api/v1/admin/objections/ID/decision", #"{"decision": "reject", "reason": "  "}"#, "/reason"),
        ("/api/v1/admin/objections/ID/decision", #"{"decision": "reject", "reason": "x", "note": 1}"#, "/note"),
    ])
    func badAdminBodiesNameTheField(_ path: String, _ body: String, _ pointer: String) async throws {
        let harness = try await Harness()
        let (member, staff) = (try await harness.token(Self.eu), try await harness.token("dana@privacy", role: .privacy))
        try await harness.app.test(.router) { client in
            let id = try await file(client, token: member)
            try await client.execute(uri: path.replacingOccurrences(of: "ID", with: id), method: .post, headers: headers(staff), body: json(body)) { response in
                // A well-formed value the policy does not allow is 422; anything else malformed, 400.
                #expect(response.status == (body.contains("61") ? .unprocessableContent : .badRequest))
                let parsed = try object(response.body)
                #expect(parsed["pointer"] == .string(pointer))
            }
        }
        #expect(try await harness.store.objections(of: MemberID(Self.eu)!).first?.status == .received, "nothing changed")
    }

    @Test(arguments: [(#"{"email": "not-an-address"}"#, "/email"), (#"{"reason": 5}"#, "/reason"), (#"{"why": "x"}"#, "/why"), ("[]", "")])
    func badMemberBodiesNameTheField(_ body: String, _ pointer: String) async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token), body: json(body)) { response in
                // A well-formed value the policy does not allow is 422; anything else malformed, 400.
                #expect(response.status == (body.contains("61") ? .unprocessableContent : .badRequest))
                let parsed = try object(response.body)
                #expect(parsed["pointer"] == .string(pointer))
            }
        }
        #expect(try await harness.store.objections(of: MemberID(Self.eu)!).isEmpty)
    }

    @Test func filingIsLimitedToFiveADayWithA429() async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu)
        try await harness.app.test(.router) { client in
            for _ in 0..<5 { _ = try await file(client, token: token) }
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(token), body: json("{}")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "86400", "the clock stands still: the first of the five ages out in a day")
                let parsed = try object(response.body)
                #expect(parsed["type"] == .string("https://consentry.dev/problems/rate-limited"))
            }
        }
        #expect(try await harness.store.objections(of: MemberID(Self.eu)!).count == 5)
    }

    @Test func aRetryWithTheSameIdempotencyKeyFilesOnce() async throws {
        let harness = try await Harness()
        let token = try await harness.token(Self.eu)
        try await harness.app.test(.router) { client in
            var ids: [String] = []
            for _ in 0..<2 {
                try await client.execute(uri: "/api/v1/me/objections", method: .post,
                                         headers: headers(token, [HTTPField.Name("Idempotency-Key")!: "k-1"]), body: json("{}")) { response in
                    #expect(response.status == .created)
                    ids.append(string(try object(response.body)["id"]) ?? "")
                }
            }
            #expect(ids[0] == ids[1])
        }
        #expect(try await harness.store.objections(of: MemberID(Self.eu)!).count == 1)
    }

    @Test func aNonMemberObjectsOnceTheirAddressIsVerified() async throws {
        let harness = try await Harness()
        let staff = try await harness.token("dana@privacy", role: .privacy)
        try await harness.app.test(.router) { client in
            let requestID = try await client.execute(uri: "/objections/public", method: .post, body: json(
                #"{"email": "Sam@Example.com", "identifiers": ["https://platform.example/posts/42", "Sam Doe"], "reason": "That photo is me"}"#
            )) { response in
                #expect(response.status == .accepted)
                return try #require(string(try object(response.body)["request"]))
            }
            // The code goes to the address through the outbox; the request keeps only its hash.
            let event = try #require(try await harness.store.outbox(pendingOnly: true, limit: 10).first { $0.type == "objection.verification" })
            guard case .object(let payload) = try JSONParser.parse(event.payloadJSON), let code = event.code else { Issue.record("no code"); return }
            #expect(code.count == 8 && code.allSatisfy(\.isNumber))
            #expect(!payload.contains { $0.key == "code" }, "the code travels beside the payload kept for audit")
            #expect(payload.contains { $0.key == "email" && $0.value == .string("Sam@Example.com") })

            let wrong = code == "00000000" ? "11111111" : "00000000"
            try await client.execute(uri: "/objections/public/verify", method: .post,
                                     body: json(#"{"request": "\#(requestID)", "code": "\#(wrong)"}"#)) { response in
                #expect(response.status == .forbidden)
                let body = try object(response.body)
                #expect(body["pointer"] == .string("/code") && string(body["detail"])?.contains("4 tries left") == true)
            }
            #expect(try await harness.store.objections(status: nil).isEmpty, "nothing is filed before verification")
            let objectionID = try await client.execute(uri: "/objections/public/verify", method: .post,
                                                      body: json(#"{"request": "\#(requestID)", "code": "\#(code)"}"#)) { response in
                #expect(response.status == .created)
                let body = try object(response.body)
                #expect(body["member"] == .null && body["status"] == .string("received"))
                return try #require(string(body["id"]))
            }
            try await client.execute(uri: "/objections/public/verify", method: .post,
                                     body: json(#"{"request": "\#(requestID)", "code": "\#(code)"}"#)) { response in
                #expect(response.status == .conflict, "a code files one objection")
            }
            // It joins the privacy team's queue, with what identifies the person's data.
            try await client.execute(uri: "/api/v1/admin/objections/" + objectionID, method: .get, headers: headers(staff)) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok && body.contains("https://platform.example/posts/42") && body.contains(#""member_decision":null"#))
            }
        }
    }

    @Test func nonMemberRequestsAreLimitedPerAddressWhateverItsCase() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            for index in 0..<6 {
                let email = index.isMultiple(of: 2) ? "sam@example.com" : "SAM@example.com"
                try await client.execute(uri: "/objections/public", method: .post,
                                         body: json(#"{"email": "\#(email)", "identifiers": ["Sam"]}"#)) { response in
                    #expect(response.status == (index < 5 ? .accepted : .tooManyRequests))
                }
            }
            try await client.execute(uri: "/objections/public", method: .post, body: json(#"{"email": "sam@example.com"}"#)) { response in
                #expect(response.status == .badRequest)
                let parsed = try object(response.body)
                #expect(parsed["pointer"] == .string("/identifiers"))
            }
        }
    }
}
