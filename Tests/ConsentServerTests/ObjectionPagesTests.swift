import ConsentCore
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The objection pages through the router: the member's form, receipt and status; the privacy
/// team's queue and decisions; CSRF, isolation and escaping.
struct ObjectionPagesTests {
    let pages = WebPagesTests()
    static let hostile = #"<script>alert(1)</script> "><img src=x onerror=alert(2)>"#

    func form(_ fields: [String: String]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    func formHeaders(_ cookie: String) -> HTTPFields { [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"] }

    /// Signs in as staff (role privacy) and returns the cookie.
    func signInStaff(_ client: some TestClientProtocol, _ harness: Harness) async throws -> String {
        try await SignInFlow.signIn(client, harness, as: "dana@privacy", role: .privacy, landing: "/admin/objections")
    }

    /// Files an objection through the form and returns the receipt's path.
    func fileThroughTheForm(_ client: some TestClientProtocol, cookie: String, reason: String, email: String = "") async throws -> String {
        let token = try await client.execute(uri: "/settings/data-privacy/objection", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            return try #require(pages.csrfToken(in: String(buffer: response.body)))
        }
        return try await client.execute(uri: "/settings/data-privacy/objection", method: .post, headers: formHeaders(cookie),
                                        body: form(["csrf_token": token, "reason": reason, "email": email])) { response in
            #expect(response.status == .seeOther)
            return try #require(response.headers[.location])
        }
    }

    @Test func aMemberFilesThroughTheFormAndGetsAReceipt() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy/objection", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("You don&#39;t have to give a reason") && html.contains("within 1 month"))
                #expect(html.contains(#"name="reason""#) && !html.contains(#"name="reason" required"#))
            }
            let receipt = try await fileThroughTheForm(client, cookie: cookie, reason: "no thanks", email: "eu@example.com")
            #expect(receipt.hasPrefix("/settings/data-privacy/objections/obj_") && receipt.hasSuffix("?filed=1"))
            try await client.execute(uri: receipt, method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(html.contains("Objection received") && html.contains("15 January 2026") && html.contains("15 February 2026"))
                #expect(html.contains("left out of every new training set"))
            }
            // The email is prefilled next time, and the setting says why it is off.
            try await client.execute(uri: "/settings/data-privacy/objection", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains(#"value="eu@example.com""#))
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains("your objection is being reviewed"))
            }
        }
    }

    @Test func aFormWithoutTheSessionsTokenFilesNothing() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy/objection", method: .post, headers: formHeaders(cookie),
                                     body: form(["csrf_token": "forged", "reason": "x"])) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/settings/data-privacy/objection", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"], body: form(["reason": "x"])) {
                #expect($0.status == .unauthorized)
            }
        }
        #expect(try await harness.store.objections(status: nil).isEmpty)
    }

    @Test func aBadEmailShowsTheFormAgainWithWhatWasTyped() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            let token = try await client.execute(uri: "/settings/data-privacy/objection", method: .get, headers: [.cookie: cookie]) {
                pages.csrfToken(in: String(buffer: $0.body)) ?? ""
            }
            try await client.execute(uri: "/settings/data-privacy/objection", method: .post, headers: formHeaders(cookie),
                                     body: form(["csrf_token": token, "reason": "keep this", "email": "nope"])) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .badRequest)
                #expect(html.contains(#"role="alert""#) && html.contains("Enter an email address you can receive messages at") && html.contains(">keep this</textarea>"))
            }
            // In the member's language, as the rest of the page.
            try await client.execute(uri: "/settings/data-privacy/objection", method: .post, headers: formHeaders(cookie + "; \(Catalog.cookieName)=fr"),
                                     body: form(["csrf_token": token, "reason": String(repeating: "x", count: 5001)])) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .badRequest && html.contains("Votre raison est trop longue : restez sous 5\u{202F}000 octets"))
            }
        }
        #expect(try await harness.store.objections(status: nil).isEmpty)
    }

    @Test func aMemberCannotSeeAnothersObjectionOrTheAdminPages() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let eu = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            let receipt = try await fileThroughTheForm(client, cookie: eu, reason: "")
            let ca = try await pages.signIn(client, harness, as: "urn:li:member:ca")
            try await client.execute(uri: receipt, method: .get, headers: [.cookie: ca]) { response in
                #expect(response.status == .notFound && !String(buffer: response.body).contains("obj_"))
            }
            for path in ["/admin/objections", "/admin" + receipt.replacingOccurrences(of: "/settings/data-privacy", with: "").prefix { $0 != "?" }] {
                try await client.execute(uri: String(path), method: .get, headers: [.cookie: eu]) { #expect($0.status == .forbidden) }
            }
            try await client.execute(uri: "/admin/objections", method: .get) { #expect($0.status == .unauthorized) }
            // And a staff session is not a member's: the settings pages ask it to sign in.
            let staff = try await signInStaff(client, harness)
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: staff]) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func theQueueNamesDatasetsThatStillHoldAnObjector() async throws {
        let harness = try await Harness()
        let member = MemberID("urn:li:member:eu")!
        try await harness.store.registerDataset(
            NewDataset(id: DatasetID(rawValue: "ds_20260101_0000beef"), name: "posts", kind: .filter, location: "/data/posts.jsonl",
                       memberField: "member_id", asOf: Harness.now, policyVersion: nil, policySHA256: nil, manifestJSON: "{}",
                       manifestSHA256: String(repeating: "a", count: 64), records: 1),
            members: [member], actor: "test")
        let objection = Objection.file(id: .random(), member: member, at: Harness.now, reason: nil,
                                       terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60))
        try await harness.store.fileObjection(objection, actor: "eu")
        try await harness.app.test(.router) { client in
            let staff = try await signInStaff(client, harness)
            try await client.execute(uri: "/admin/objections", method: .get, headers: [.cookie: staff]) { response in
                #expect(!String(buffer: response.body).contains("Data of objectors still in datasets"), "pending: nothing is owed yet")
            }
            _ = try await harness.store.decideObjection(objection.id, outcome: .uphold, reason: "Upheld.", at: Harness.now, actor: "privacy")
            try await client.execute(uri: "/admin/objections", method: .get, headers: [.cookie: staff]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Data of objectors still in datasets") && html.contains("ds_20260101_0000beef")
                        && html.contains("upheld, purge owed") && html.contains(#"href="/admin/objections/\#(objection.id.rawValue)""#))
            }
        }
    }

    @Test func thePrivacyTeamDecidesOnThePagesAndWhatMembersTypedIsInert() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let member = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            let receipt = try await fileThroughTheForm(client, cookie: member, reason: Self.hostile)
            let id = String(receipt.split(separator: "/").last!.prefix { $0 != "?" })
            let staff = try await signInStaff(client, harness)

            try await client.execute(uri: "/admin/objections", method: .get, headers: [.cookie: staff]) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains(#"href="/admin/objections/\#(id)""#) && html.contains("europe"))
            }
            let token = try await client.execute(uri: "/admin/objections/" + id, method: .get, headers: [.cookie: staff]) { response in
                let html = String(buffer: response.body)
                #expect(!html.contains("<script>alert(1)</script>") && !html.contains("<img src=x"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
                #expect(html.contains("your objection is being reviewed"), "the member's current setting")
                #expect(html.contains("right to lodge a complaint with your data protection authority"), "the rejection template")
                return try #require(pages.csrfToken(in: html))
            }
            try await client.execute(uri: receipt, method: .get, headers: [.cookie: member]) { response in
                let html = String(buffer: response.body)
                #expect(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"))
            }
            // A blank reason is refused, and nothing changes.
            try await client.execute(uri: "/admin/objections/\(id)/decision", method: .post, headers: formHeaders(staff),
                                     body: form(["csrf_token": token, "decision": "uphold", "reason": " "])) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("a reason is required"))
            }
            try await client.execute(uri: "/admin/objections/\(id)/decision", method: .post, headers: formHeaders(staff),
                                     body: form(["csrf_token": "forged", "decision": "uphold", "reason": "x"])) { #expect($0.status == .forbidden) }
            #expect(try await harness.store.objection(ObjectionID(rawValue: id))?.status == .received)

            try await client.execute(uri: "/admin/objections/\(id)/extension", method: .post, headers: formHeaders(staff),
                                     body: form(["csrf_token": token, "amount": "20", "unit": "days", "reason": "Checking <b>three</b> datasets"])) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/admin/objections/\(id)?done=extended")
            }
            try await client.execute(uri: "/admin/objections/\(id)/decision", method: .post, headers: formHeaders(staff),
                                     body: form(["csrf_token": token, "decision": "uphold", "reason": "Upheld."])) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/admin/objections/\(id)/decision", method: .post, headers: formHeaders(staff),
                                     body: form(["csrf_token": token, "decision": "reject", "reason": "again"])) { response in
                #expect(response.status == .conflict && String(buffer: response.body).contains("a decision is final"))
            }
            try await client.execute(uri: receipt, method: .get, headers: [.cookie: member]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Extended by 20 days") && html.contains("Checking &lt;b&gt;three&lt;/b&gt; datasets"))
                #expect(html.contains("Completed") && html.contains("No training dataset we registered holds this data"))
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: member]) { response in
                #expect(String(buffer: response.body).contains("Off — your objection was upheld"))
            }
        }
    }

    /// A member objects on the German pages: the staff member reads the page in English, but
    /// what is told to the member is prefilled in German, and the page says so.
    @Test func answersArePrefilledInTheMembersLanguage() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let member = try await pages.signIn(client, harness, as: "urn:li:member:eu") + "; \(Catalog.cookieName)=de"
            let receipt = try await fileThroughTheForm(client, cookie: member, reason: "Nein danke")
            let id = String(receipt.split(separator: "/").last!.prefix { $0 != "?" })
            #expect(try await harness.store.objection(ObjectionID(rawValue: id))?.language == "de")
            let staff = try await signInStaff(client, harness)
            try await client.execute(uri: "/admin/objections/" + id, method: .get, headers: [.cookie: staff]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Their language") && html.contains(#"<dd id="language">Deutsch</dd>"#))
                #expect(html.contains("your objection is being reviewed"), "the member's setting, in the staff member's language")
                #expect(html.contains("Wir haben Ihrem Widerspruch stattgegeben") && html.contains("Sie haben das Recht, sich bei Ihrer Datenschutzaufsichtsbehörde"),
                        "both answers prefilled in German")
                #expect(!html.contains("We have upheld your objection"))
            }
        }
    }

    @Test func overdueObjectionsAreHighlightedInTheQueue() async throws {
        let harness = try await Harness()
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let late = Objection.file(id: .random(), member: MemberID("urn:li:member:ca")!, at: Harness.now.addingTimeInterval(-40 * 86_400),
                                  reason: nil, terms: terms)
        try await harness.store.fileObjection(late, actor: "test")
        try await harness.app.test(.router) { client in
            let staff = try await signInStaff(client, harness)
            try await client.execute(uri: "/admin/objections?overdue=true", method: .get, headers: [.cookie: staff]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<tr class="overdue">"#) && html.contains("Overdue by 10 days") && html.contains(late.id.rawValue))
            }
            try await client.execute(uri: "/admin/objections?status=upheld", method: .get, headers: [.cookie: staff]) { response in
                #expect(String(buffer: response.body).contains("No objection matches"))
            }
        }
    }

    @Test func theAddressGivenIsConfirmedOnTheObjectionsPageBeforeItIsTold() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await pages.signIn(client, harness, as: "urn:li:member:eu")
            let receipt = try await fileThroughTheForm(client, cookie: cookie, reason: "", email: "eu@example.com")
            let objection = String(receipt.split(separator: "/").last!.prefix { $0 != "?" })
            let csrf = try await client.execute(uri: receipt, method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Confirm your email address") && html.contains("<strong>eu@example.com</strong>"))
                #expect(html.contains("nothing about your objection is sent to that address"))
                return try #require(pages.csrfToken(in: html))
            }
            let code = try #require(try await harness.store.outbox(pendingOnly: true, limit: 10).last?.code)
            let wrong = code == "00000000" ? "11111111" : "00000000"
            try await client.execute(uri: "/settings/data-privacy/email-verification", method: .post, headers: formHeaders(cookie),
                                     body: form(["csrf_token": csrf, "code": wrong, "objection": objection])) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("That code is not right. You can try 4 more times."))
            }
            let confirmed = try await client.execute(uri: "/settings/data-privacy/email-verification", method: .post, headers: formHeaders(cookie),
                                                     body: form(["csrf_token": csrf, "code": code, "objection": objection])) { response in
                #expect(response.status == .seeOther)
                return try #require(response.headers[.location])
            }
            try await client.execute(uri: confirmed, method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Thank you: eu@example.com is confirmed") && !html.contains("Confirm your email address"))
            }
            // A link cannot make the page say anything else.
            try await client.execute(uri: "/settings/data-privacy/objections/\(objection)?verified=you%20won%20a%20prize", method: .get,
                                     headers: [.cookie: cookie]) { response in
                #expect(!String(buffer: response.body).contains("prize"))
            }
        }
    }
}
