import ConsentCore
@testable import ConsentServer
import ConsentSQLite
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Limits on writes and on objections: a 429 problem with `Retry-After`, and nothing recorded.
struct RateLimitTests {
    static let eu = "urn:li:member:eu"

    func put(_ client: some TestClientProtocol, _ token: String, enabled: Bool) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                 headers: headers(token, [HTTPField.Name("X-Consentry-Channel")!: "ios"]),
                                 body: ByteBuffer(string: #"{"enabled": \#(enabled)}"#))
    }

    func ask(_ client: some TestClientProtocol, email: String, forwardedFor: String? = nil) async throws -> TestResponse {
        var fields = HTTPFields()
        if let forwardedFor { fields[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
        return try await client.execute(uri: "/objections/public", method: .post, headers: fields,
                                        body: ByteBuffer(string: #"{"email": "\#(email)", "identifiers": ["Sam"]}"#))
    }

    @Test func aMemberWritingTooOftenGetsA429AndNothingIsAppended() async throws {
        let harness = try await Harness()
        let clock = TestClock(Harness.now)
        let app = harness.app(now: { clock.now }) { $0.limits.memberWrites = .perMinute(2) }
        let token = try await harness.token(Self.eu)
        try await app.test(.router) { client in
            #expect(try await put(client, token, enabled: false).status == .ok)
            #expect(try await put(client, token, enabled: true).status == .ok)
            let refused = try await put(client, token, enabled: false)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "30", "2 a minute refill one every 30 s")
            #expect(refused.headers[.contentType] == "application/problem+json")
            let problem = try object(refused.body)
            #expect(problem["type"] == .string("https://consentry.dev/problems/rate-limited"))
            // Another member is not held back by this one.
            #expect(try await put(client, try await harness.token("urn:li:member:ca"), enabled: false).status == .ok)
            clock.advance(by: 30)
            #expect(try await put(client, token, enabled: false).status == .ok, "allowed again once the wait is over")
        }
        #expect(try await harness.store.history(of: MemberID(Self.eu)!).map(\.choice) == [.off, .on, .off])
    }

    @Test func theSettingPageSaysWhenSavingTooOftenAndKeepsTheLastChoice() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) { $0.limits.memberWrites = .perMinute(1) }
        try await app.test(.router) { client in
            let cookie = try await WebPagesTests().signIn(client, harness, as: Self.eu)
            let csrf = try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) {
                WebPagesTests().csrfToken(in: String(buffer: $0.body)) ?? ""
            }
            let form: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post, headers: form,
                                     body: ByteBuffer(string: "csrf_token=\(csrf)")) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .post, headers: form,
                                     body: ByteBuffer(string: "csrf_token=\(csrf)&enabled=on")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "60")
                #expect(String(buffer: response.body).contains("Your last choice is recorded; to change it again, try after 15 January 2026, 12:01 UTC."))
            }
        }
        #expect(try await harness.store.history(of: MemberID(Self.eu)!).map(\.choice) == [.off])
    }

    @Test func nonMembersAreLimitedPerClientBehindTheProxyNamed() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) {
            $0.limits.requestsPerClient = .perHour(2)
            $0.clientAddressHeader = "X-Forwarded-For"
        }
        try await app.test(.router) { client in
            #expect(try await ask(client, email: "a@example.com", forwardedFor: "203.0.113.5").status == .accepted)
            #expect(try await ask(client, email: "b@example.com", forwardedFor: "203.0.113.5").status == .accepted)
            let refused = try await ask(client, email: "c@example.com", forwardedFor: "203.0.113.5")
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] == "1800")
            // What the client wrote before the proxy's address proves nothing.
            #expect(try await ask(client, email: "d@example.com", forwardedFor: "198.51.100.1, 203.0.113.5").status == .tooManyRequests)
            #expect(try await ask(client, email: "e@example.com", forwardedFor: "203.0.113.5, 198.51.100.1").status == .accepted)
        }
        #expect(try await harness.store.outbox(pendingOnly: true, limit: 100).count == 3, "one code queued per accepted request")
    }

    @Test func nonMembersTogetherAreLimitedAndAddressVariantsCountAsOne() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) {
            $0.limits.requestsPerClient = nil
            $0.limits.requestsPerAddress = .perDay(2)
            $0.limits.requestsTotal = .perHour(4)
        }
        try await app.test(.router) { client in
            #expect(try await ask(client, email: "sam+1@example.com").status == .accepted)
            #expect(try await ask(client, email: "Sam+2@EXAMPLE.com").status == .accepted)
            #expect(try await ask(client, email: "sam+3@example.com").status == .tooManyRequests, "+tags and case count as one address")
            #expect(try await ask(client, email: "kim@example.com").status == .accepted)
            #expect(try await ask(client, email: "lee@example.com").status == .accepted)
            let refused = try await ask(client, email: "max@example.com")
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] == "3600")
        }
    }

    @Test func overRealHTTPTheClientIsThePeerAddress() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) { $0.limits.requestsPerClient = .perHour(1) }
        try await app.test(.live) { client in
            let first = try await ask(client, email: "a@example.com")
            // Without a proxy named, a header the client sets changes nothing.
            let second = try await ask(client, email: "b@example.com", forwardedFor: "198.51.100.1")
            #expect(first.status == .accepted && second.status == .tooManyRequests)
        }
    }
}
