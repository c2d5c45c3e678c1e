import ConsentCore
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The settings pages through the router: sign-in, the switch, CSRF, escaping, GPC.
struct WebPagesTests {
    /// Signs in as the browser would (`/auth/sign-in`, then the form posted to `/auth/callback`)
    /// and returns the session's `Cookie` header value.
    func signIn(_ client: some TestClientProtocol, _ harness: Harness, as member: String) async throws -> String {
        try await SignInFlow.signIn(client, harness, as: member, role: .member, landing: "/settings/data-privacy")
    }

    func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func signedOutVisitorsAreSentToSignIn() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains(#"<a href="/auth/sign-in?next=%2Fsettings%2Fdata%2Dprivacy%2Fgenerative%2Dai">Sign in as a demo member</a>"#),
                        "\(String(buffer: response.body))")
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "csrf_token=x&enabled=on")) { response in
                #expect(response.status == .unauthorized)
            }
            let begun = try await SignInFlow.begin(client)
            let forged = try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: "forged")
            #expect(forged.status == .unauthorized && forged.headers[.setCookie] == nil)
        }
    }

    @Test func theDemoLoginEscapesWhatItShows() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let begun = try await SignInFlow.begin(client)
            try await client.execute(uri: "/login?state=\(begun.state)&nonce=\(begun.nonce)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("Adult in Europe"))
                #expect(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(!html.contains("<b>bold</b>"))
            }
        }
    }

    @Test func theSettingExplainsItselfAndCarriesACSRFToken() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"href="/settings/data-privacy/generative-ai""#) && html.contains("Data for Generative AI Improvement"))
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.contains(#"<html lang="en">"#))
                #expect(html.contains("On — used by default in your region (Europe) since 3 November 2025"))
                #expect(html.contains(#"role="switch""#) && html.contains(#"value="on" checked"#))
                #expect(!html.contains("aria-checked"), "the checkbox's own state, which the browser keeps true when it is flipped")
                #expect(html.contains(#"<label for="ai-switch">"#))
                #expect(csrfToken(in: html)?.isEmpty == false)
                #expect(html.contains(#"href="/settings/data-privacy/objection""#))
                #expect(html.contains("Login details") && html.contains("Profile headline"))
            }
        }
    }

    @Test func switchingOffOnThePageIsDurableAndShown() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await signIn(client, harness, as: "urn:li:member:eu")
            let token = try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) {
                csrfToken(in: String(buffer: $0.body)) ?? ""
            }
            let headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post, headers: headers,
                                     body: ByteBuffer(string: "csrf_token=\(token)")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/settings/data-privacy/generative-ai?saved=1")
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai?saved=1", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Off — you turned this off on 15 January 2026 (web)"))
                #expect(!html.contains(#"value="on" checked"#) && html.contains("Saved."))
            }
        }
        let history = try await harness.store.history(of: MemberID("urn:li:member:eu")!)
        #expect(history.map(\.choice) == [.off] && history.map(\.channel) == [.web])
    }

    @Test(arguments: ["", "csrf_token=wrong", "csrf_token="])
    func aMissingOrWrongCSRFTokenRecordsNothing(_ body: String) async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post,
                                     headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: body + "&enabled=on")) { response in
                #expect(response.status == .forbidden)
            }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).isEmpty)
    }

    @Test func aCSRFTokenFromAnotherSessionIsRefused() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let other = try await signIn(client, harness, as: "urn:li:member:ca")
            let stolen = try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: other]) {
                csrfToken(in: String(buffer: $0.body)) ?? ""
            }
            let cookie = try await signIn(client, harness, as: "urn:li:member:eu")
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post,
                                     headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "csrf_token=\(stolen)")) { #expect($0.status == .forbidden) }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).isEmpty)
    }

    @Test func aMinorSeesADisabledSwitchAndWhy() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await signIn(client, harness, as: "urn:li:member:minor")
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Off — members under 18 are never included"))
                #expect(html.contains(" disabled ") && html.contains("This switch can&#39;t change the outcome"), "escaped, as every text from a catalog")
                #expect(!html.contains(#"class="save""#))
            }
        }
    }

    @Test func globalPrivacyControlSwitchesOffOnceAndRespectsALaterOn() async throws {
        let harness = try await Harness()
        let gpc: HTTPField.Name = HTTPField.Name("Sec-GPC")!
        try await harness.app.test(.router) { client in
            let cookie = try await signIn(client, harness, as: "urn:li:member:eu")
            for _ in 0..<2 {
                try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie, gpc: "1"]) { response in
                    #expect(String(buffer: response.body).contains("Global Privacy Control"))
                }
            }
            #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).map(\.channel) == [.gpc])
            let token = try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) {
                csrfToken(in: String(buffer: $0.body)) ?? ""
            }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post,
                                     headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "csrf_token=\(token)&enabled=on")) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie, gpc: "1"]) { response in
                #expect(String(buffer: response.body).contains("On — you turned this on"))
            }
        }
        #expect(try await harness.store.history(of: MemberID("urn:li:member:eu")!).map(\.channel) == [.gpc, .web])
    }

    @Test func theGPCStatementAndTheStylesheetAreServed() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            // From the active policy: it honours GPC, and was activated today (by the harness).
            let activated = try #require(try await harness.store.activePolicy()).activatedAt
            try await client.execute(uri: "/.well-known/gpc.json", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"gpc":true,"lastUpdate":"\#(CivilDate(activated))"}"#)
            }
            try await client.execute(uri: "/assets/settings.css", method: .get) { response in
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
            }
        }
    }
}

/// The steps of a browser sign-in, for tests.
enum SignInFlow {
    struct Begun {
        var cookie: String
        var state: String
        var nonce: String
    }

    /// The `name=value` of the Set-Cookie header setting `name`, if any.
    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        headers[values: .setCookie].first { $0.hasPrefix(name + "=") }.map { String($0.prefix { $0 != ";" }) }
    }

    /// `GET /auth/sign-in`: the sign-in cookie, and the state and nonce sent to the platform (the demo's /login).
    static func begin(_ client: some TestClientProtocol, next: String? = nil) async throws -> Begun {
        try await client.execute(uri: "/auth/sign-in" + (next.map { "?next=" + $0 } ?? ""), method: .get) { response in
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            let query = try #require(URLComponents(string: location)?.queryItems)
            let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-consentry-sign-in=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("SameSite=None") && setCookie.contains("Path=/"))
            return Begun(cookie: String(setCookie.prefix { $0 != ";" }), state: try #require(query.first { $0.name == "state" }?.value),
                         nonce: try #require(query.first { $0.name == "nonce" }?.value))
        }
    }

    /// `POST /auth/callback` as the platform's page would have the browser post it.
    static func callback(_ client: some TestClientProtocol, cookie: String?, state: String, token: String) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: "/auth/callback", method: .post, headers: headers,
                                        body: ByteBuffer(string: "state=\(state)&token=\(token)"))
    }

    /// A whole sign-in; returns the session cookie.
    static func signIn(_ client: some TestClientProtocol, _ harness: Harness, as subject: String, role: Identity.Role,
                       landing: String) async throws -> String {
        let begun = try await begin(client)
        let token = try await harness.identity.token(subject: subject, role: role, nonce: begun.nonce)
        let response = try await callback(client, cookie: begun.cookie, state: begun.state, token: token)
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == landing)
        let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-consentry-session=") })
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Secure") && setCookie.contains("Path=/"))
        #expect(!setCookie.lowercased().contains("domain="), "a __Host- cookie names no domain")
        return String(setCookie.prefix { $0 != ";" })
    }
}
