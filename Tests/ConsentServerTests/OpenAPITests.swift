import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// The OpenAPI document served at /openapi.yaml stays true: every documented route answers,
/// and real responses have exactly the fields their schemas require.
struct OpenAPITests {
    func document(_ harness: Harness) async throws -> [String: Any] {
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.headers[.contentType] == "application/yaml")
                return try #require(try Yams.load(yaml: String(buffer: response.body)) as? [String: Any])
            }
        }
    }

    func schema(_ document: [String: Any], _ name: String) throws -> [String: Any] {
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any])
    }

    func requiredKeys(_ schema: [String: Any]) -> Set<String> { Set(schema["required"] as? [String] ?? []) }

    func keys(_ buffer: ByteBuffer) throws -> Set<String> { Set(try object(buffer).keys) }

    /// The documented responses of one operation: status code → content types (empty for none).
    func responses(_ document: [String: Any], _ operation: [String: Any]) throws -> [String: Set<String>] {
        let shared = try #require((document["components"] as? [String: Any])?["responses"] as? [String: Any])
        var result: [String: Set<String>] = [:]
        for (code, value) in try #require(operation["responses"] as? [String: Any]) {
            var response = try #require(value as? [String: Any])
            if let reference = response["$ref"] as? String {
                response = try #require(shared[String(reference.split(separator: "/").last!)] as? [String: Any])
            }
            result[code] = Set((response["content"] as? [String: Any])?.keys.map { $0 } ?? [])
        }
        return result
    }

    /// Every documented operation, called as a legitimate client would (bearer token, session
    /// cookie or CSRF-carrying form), succeeds with a documented status and content type.
    @Test func everyDocumentedOperationIsServedAsDocumented() async throws {
        let harness = try await Harness()
        let document = try await document(harness)
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: [(path: String, method: String, security: String?, documented: [String: Set<String>])] = []
        for (path, methods) in paths {
            for (method, value) in methods {
                let operation = try #require(value as? [String: Any])
                let security = (operation["security"] as? [[String: Any]])?.first?.keys.first
                operations.append((path, method, security, try responses(document, operation)))
            }
        }
        let calls = operations
        #expect(operations.count >= 30)
        let member = try await harness.token("urn:li:member:eu")
        let pipeline = try await harness.token("etl", role: .pipeline)
        let privacy = try await harness.token("dana@privacy", role: .privacy)
        // An objection per operation that changes one, so that the order of calls does not matter.
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        var ids: [String: String] = [:]
        for key in ["member", "api extension", "api decision", "page extension", "page decision"] {
            let objection = Objection.file(id: .random(), member: MemberID(key == "member" ? "urn:li:member:eu" : "urn:li:member:ca")!,
                                           at: Harness.now, reason: nil, terms: terms)
            try await harness.store.fileObjection(objection, actor: "test")
            ids[key] = objection.id.rawValue
        }
        let request = try ObjectionRequest.new(email: "sam@example.com", identifiers: ["Sam"], reason: nil, at: Date())
        try await harness.store.requestObjection(request, code: "12345678", perAddress: .perDay(5), total: nil)
        // Two addresses waiting for their codes: one confirmed through the API, one on the page.
        var codes: [String: String] = [:]
        for email in ["api@example.com", "page@example.com"] {
            try await harness.store.fileObjection(Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: Harness.now,
                                                                 reason: nil, email: email, terms: terms), actor: "test")
            codes[email] = try await harness.store.outbox(pendingOnly: true, limit: 100).last { $0.type == OutboxEvent.emailVerificationType }?.code
        }
        let emailCodes = codes
        let objectionIDs = ids
        let choice = try await harness.store.recordChoice(ConsentEvent(member: MemberID("urn:li:member:eu")!, choice: .off, channel: .web,
                                                                       at: Harness.now, actor: "urn:li:member:eu"))
        try await harness.app.test(.router) { client in
            let cookie = try await WebPagesTests().signIn(client, harness, as: "urn:li:member:eu")
            let csrf = try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) {
                WebPagesTests().csrfToken(in: String(buffer: $0.body))
            }
            let staffCookie = try await ObjectionPagesTests().signInStaff(client, harness)
            let staffCSRF = try await client.execute(uri: "/admin/objections/" + objectionIDs["page decision"]!, method: .get,
                                                     headers: [.cookie: staffCookie]) { WebPagesTests().csrfToken(in: String(buffer: $0.body)) }
            for (path, method, security, documented) in calls {
                let admin = path.hasPrefix("/admin") || path.hasPrefix("/api/v1/admin")
                var fields = security == "bearer"
                    ? headers(path.contains("eligibility") || path.contains("exclusions") ? pipeline : admin ? privacy : member)
                    : security == "session" ? [.cookie: admin ? staffCookie : cookie] : HTTPFields()
                let kind = path.hasPrefix("/api") ? "api" : "page"
                let id = path.hasSuffix("/extension") ? objectionIDs["\(kind) extension"]! : path.hasSuffix("/decision") ? objectionIDs["\(kind) decision"]!
                    : admin ? objectionIDs["api extension"]! : objectionIDs["member"]!
                var uri = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{sequence}", with: String(choice.sequence ?? 0))
                var body: ByteBuffer?
                func form(_ text: String) {
                    fields[.contentType] = "application/x-www-form-urlencoded"
                    body = ByteBuffer(string: text)
                }
                switch (path, method) {
                case ("/auth/callback", _):
                    let begun = try await SignInFlow.begin(client)
                    let token = try await harness.identity.token(subject: "urn:li:member:eu", nonce: begun.nonce)
                    form("state=\(begun.state)&token=\(token)")
                    fields[.cookie] = begun.cookie
                case ("/auth/sign-out", _):
                    // A session of its own: signing out ends it, and the other calls need theirs.
                    let own = try await WebPagesTests().signIn(client, harness, as: "urn:li:member:eu")
                    let ownCSRF = try await client.execute(uri: "/settings/data-privacy", method: .get, headers: [.cookie: own]) {
                        WebPagesTests().csrfToken(in: String(buffer: $0.body))
                    }
                    form("csrf_token=\(ownCSRF ?? "")")
                    fields[.cookie] = own
                case ("/login", _): uri += "?state=s&nonce=n"
                case ("/language", _): uri += "?to=de&next=/settings/data-privacy"
                case ("/api/v1/me/email-verification", _): body = ByteBuffer(string: #"{"code": "\#(emailCodes["api@example.com"] ?? "")"}"#)
                case ("/settings/data-privacy/email-verification", _):
                    form("csrf_token=\(csrf ?? "")&code=\(emailCodes["page@example.com"] ?? "")&objection=\(objectionIDs["member"]!)")
                case ("/log/v1/proof/consistency", _): uri += "?first=1&second=2"
                case (_, "put"): body = ByteBuffer(string: #"{"enabled": true}"#)
                case ("/settings/data-privacy/generative-ai", "post"): form("csrf_token=\(csrf ?? "")&enabled=on")
                case ("/settings/data-privacy/objection", "post"): form("csrf_token=\(csrf ?? "")&reason=")
                case ("/admin/objections/{id}/extension", _): form("csrf_token=\(staffCSRF ?? "")&amount=10&unit=days&reason=more+time")
                case ("/admin/objections/{id}/decision", _): form("csrf_token=\(staffCSRF ?? "")&decision=uphold&reason=upheld")
                case ("/api/v1/me/objections", "post"): body = ByteBuffer(string: "{}")
                case ("/api/v1/admin/objections/{id}/extension", _): body = ByteBuffer(string: #"{"days": 10, "reason": "more time"}"#)
                case ("/api/v1/admin/objections/{id}/decision", _): body = ByteBuffer(string: #"{"decision": "reject", "reason": "no"}"#)
                case ("/objections/public", _): body = ByteBuffer(string: #"{"email": "kim@example.com", "identifiers": ["Kim"]}"#)
                case ("/objections/public/verify", _): body = ByteBuffer(string: #"{"request": "\#(request.id)", "code": "12345678"}"#)
                case (_, "post"): body = ByteBuffer(string: #"{"members": []}"#)
                default: break
                }
                try await client.execute(uri: uri, method: HTTPRequest.Method(rawValue: method.uppercased())!,
                                         headers: fields, body: body) { response in
                    let code = String(response.status.code)
                    #expect(response.status.code < 400, "\(method.uppercased()) \(path) answered \(response.status): \(String(buffer: response.body).prefix(300))")
                    let types = try #require(documented[code], "\(method.uppercased()) \(path): \(code) is not documented")
                    let type = response.headers[.contentType].map { String($0.prefix { $0 != ";" }) }
                    #expect(types.isEmpty ? type == nil || response.body.readableBytes == 0 : types.contains(type ?? ""),
                            "\(method.uppercased()) \(path): \(type ?? "no content type") is not among \(types)")
                }
            }
        }
    }

    @Test func responsesCarryExactlyTheDocumentedFields() async throws {
        let harness = try await Harness()
        let document = try await document(harness)
        let setting = requiredKeys(try schema(document, "Setting"))
        let page = requiredKeys(try schema(document, "HistoryPage"))
        let item = requiredKeys(try schema(document, "HistoryItem"))
        let batch = requiredKeys(try schema(document, "BatchResponse"))
        let problem = requiredKeys(try schema(document, "Problem"))
        let memberObjection = try #require((try schema(document, "MemberObjection")["allOf"] as? [[String: Any]])?.last)
        let objection = requiredKeys(try schema(document, "Objection")).union(requiredKeys(memberObjection))
        let member = try await harness.token("urn:li:member:eu")
        let pipeline = try await harness.token("etl", role: .pipeline)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put, headers: headers(member),
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { response in
                let fields = try keys(response.body)
                #expect(fields == setting)
            }
            try await client.execute(uri: "/api/v1/me/ai-training/history", method: .get, headers: headers(member)) { response in
                let fields = try keys(response.body)
                #expect(fields == page)
                guard case .array(let items)? = try object(response.body)["items"], case .object(let first)? = items.first else {
                    Issue.record("no history item")
                    return
                }
                #expect(Set(first.map(\.key)) == item)
            }
            try await client.execute(uri: "/api/v1/eligibility:batch", method: .post, headers: headers(pipeline),
                                     body: ByteBuffer(string: #"{"members": ["urn:li:member:eu"]}"#)) { response in
                let fields = try keys(response.body)
                #expect(fields == batch)
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get) { response in
                let fields = try keys(response.body)
                #expect(problem.isSubset(of: fields))
            }
            try await client.execute(uri: "/api/v1/me/objections", method: .post, headers: headers(member), body: ByteBuffer(string: "{}")) { response in
                let fields = try keys(response.body)
                #expect(fields == objection, "a new objection has no data_removal yet")
            }
        }
    }

    @Test func everyReasonCodeIsDocumented() async throws {
        let harness = try await Harness()
        let reasons = try schema(try await document(harness), "Reason")["enum"] as? [String]
        #expect(reasons == Reason.allCases.map(\.rawValue))
    }
}
