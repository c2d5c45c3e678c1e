import ConsentCore
@testable import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Signing in to the pages and out: the hand-off from the platform, and what it refuses.
struct SignInTests {
    static let eu = "urn:li:member:eu"

    @Test func someoneElsesSignInPostedIntoThisBrowserIsRefused() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            // The attacker begins a sign-in in their own browser and gets a token for their account.
            let attacker = try await SignInFlow.begin(client)
            let token = try await harness.identity.token(subject: "urn:li:member:ca", nonce: attacker.nonce)
            // Their page makes the victim's browser post it: the victim has no sign-in under way...
            let noCookie = try await SignInFlow.callback(client, cookie: nil, state: attacker.state, token: token)
            #expect(noCookie.status == .forbidden && noCookie.headers[.setCookie] == nil)
            // ...or one of their own, with another state.
            let victim = try await SignInFlow.begin(client)
            let otherState = try await SignInFlow.callback(client, cookie: victim.cookie, state: attacker.state, token: token)
            #expect(otherState.status == .forbidden && otherState.headers[.setCookie] == nil)
            #expect(String(buffer: otherState.body).contains("did not start in this browser"))
        }
    }

    @Test func aTokenIsAcceptedOnlyWithTheNonceOfThisSignIn() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let begun = try await SignInFlow.begin(client)
            // An API token (no nonce), as one found in a log would be.
            let plain = try await harness.token(Self.eu)
            #expect(try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: plain).status == .unauthorized)
            // A token made for another sign-in.
            let other = try await harness.identity.token(subject: Self.eu, nonce: "another-sign-in")
            let refused = try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: other)
            #expect(refused.status == .unauthorized && SignInFlow.cookie("__Host-consentry-session", in: refused.headers) == nil)
            // Pipelines never get a session.
            let pipeline = try await harness.identity.token(subject: "etl", role: .pipeline, nonce: begun.nonce)
            #expect(try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: pipeline).status == .unauthorized)
            // Tokens in URLs are no longer taken at all.
            try await client.execute(uri: "/auth/callback?token=" + plain, method: .get) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.setCookie] == nil)
            }
        }
    }

    @Test func theSessionEndsWhenTheTokenDoes() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let begun = try await SignInFlow.begin(client, next: "/settings/data-privacy/objection")
            let token = try await harness.identity.token(subject: Self.eu, lifetime: 60, nonce: begun.nonce)
            let response = try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: token)
            #expect(response.status == .seeOther && response.headers[.location] == "/settings/data-privacy/objection", "back where it began")
            let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("__Host-consentry-session=") })
            let maxAge = try #require(setCookie.split(separator: ";").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Max-Age=") })
            #expect(Int(maxAge.split(separator: "=")[1])! <= 60, "\(setCookie)")
            // The sign-in's cookie is spent.
            #expect(SignInFlow.cookie("__Host-consentry-sign-in", in: response.headers) == "__Host-consentry-sign-in=")
        }
        let sessions = try WebSessions(secret: Harness.secret)
        let expires = Date().addingTimeInterval(60)
        let cookie = sessions.issue(subject: Self.eu, role: .member, expires: expires)
        #expect(sessions.session(from: cookie, now: expires.addingTimeInterval(-1)) != nil)
        #expect(sessions.session(from: cookie, now: expires) == nil)
    }

    @Test func aSignInReturnsOnlyToAPageOfThisSite() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            for next in ["//evil.example/x", "https://evil.example/", "/%5Cevil.example", "/admin/objections"] {
                let begun = try await SignInFlow.begin(client, next: next)
                let token = try await harness.identity.token(subject: Self.eu, nonce: begun.nonce)
                let response = try await SignInFlow.callback(client, cookie: begun.cookie, state: begun.state, token: token)
                #expect(response.headers[.location] == "/settings/data-privacy", "\(next)")
            }
        }
        #expect(SignInController.localPath("/\\evil.example") == nil && SignInController.localPath("/settings?x=1") == "/settings?x=1")
    }

    @Test func everyPageSaysWhoIsSignedInEscaped() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await WebPagesTests().signIn(client, harness, as: "<script>alert(1)</script>")
            for path in ["/settings/data-privacy", "/settings/data-privacy/generative-ai", "/settings/data-privacy/objection"] {
                try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains("Signed in as <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"), "\(path)")
                    #expect(html.contains(#"<form method="post" action="/auth/sign-out">"#))
                }
            }
            let staff = try await ObjectionPagesTests().signInStaff(client, harness)
            try await client.execute(uri: "/admin/objections", method: .get, headers: [.cookie: staff]) { response in
                #expect(String(buffer: response.body).contains("Signed in as <strong>dana@privacy</strong> (privacy team)"))
            }
        }
    }

    @Test func signingOutEndsTheSessionOnEveryInstance() async throws {
        let harness = try await Harness()
        let other = harness.app(now: { Harness.now })
        let cookie = try await harness.app.test(.router) { client in
            let cookie = try await WebPagesTests().signIn(client, harness, as: Self.eu)
            let csrf = try await client.execute(uri: "/settings/data-privacy", method: .get, headers: [.cookie: cookie]) {
                try #require(WebPagesTests().csrfToken(in: String(buffer: $0.body)))
            }
            let form: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/auth/sign-out", method: .post, headers: form, body: ByteBuffer(string: "csrf_token=wrong")) { response in
                #expect(response.status == .forbidden, "a sign-out needs the page's CSRF token")
            }
            try await client.execute(uri: "/settings/data-privacy", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/auth/sign-out", method: .post, headers: form, body: ByteBuffer(string: "csrf_token=\(csrf)")) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("Signed out"))
                #expect(SignInFlow.cookie("__Host-consentry-session", in: response.headers) == "__Host-consentry-session=")
            }
            // The browser dropped the cookie; a copy of it (kept by malware, a shared machine) is refused.
            try await client.execute(uri: "/settings/data-privacy", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .unauthorized) }
            return cookie
        }
        try await other.test(.router) { client in
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) {
                #expect($0.status == .unauthorized, "another instance over the same store refuses it too")
            }
        }
    }

    @Test func plainHTTPDevelopmentUsesCookiesWithoutThePrefix() async throws {
        let harness = try await Harness()
        try await harness.app(now: { Harness.now }) { $0.insecureCookies = true }.test(.router) { client in
            let begun = try await client.execute(uri: "/auth/sign-in", method: .get) { response in
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.hasPrefix("consentry-sign-in=") && !setCookie.contains("Secure") && setCookie.contains("SameSite=Lax"))
                let location = try #require(response.headers[.location])
                let query = try #require(URLComponents(string: location)?.queryItems)
                return (String(setCookie.prefix { $0 != ";" }), query.first { $0.name == "state" }!.value!, query.first { $0.name == "nonce" }!.value!)
            }
            let token = try await harness.identity.token(subject: Self.eu, nonce: begun.2)
            let response = try await SignInFlow.callback(client, cookie: begun.0, state: begun.1, token: token)
            #expect(response.status == .seeOther && SignInFlow.cookie("consentry-session", in: response.headers) != nil)
        }
    }

    @Test func withoutAPlatformOrDemoThereIsNoSignIn() async throws {
        let harness = try await Harness()
        try await harness.app(now: { Harness.now }) { $0.demo = false }.test(.router) { client in
            try await client.execute(uri: "/auth/sign-in", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
        try await harness.app(now: { Harness.now }) { $0.demo = false; $0.signInURL = "https://platform.example/sign-in?app=consentry" }
            .test(.router) { client in
                try await client.execute(uri: "/auth/sign-in", method: .get) { response in
                    let location = try #require(response.headers[.location])
                    #expect(location.hasPrefix("https://platform.example/sign-in?app=consentry&state=") && location.contains("&nonce="))
                }
            }
    }
}
