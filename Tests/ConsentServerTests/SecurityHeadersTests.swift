import ConsentCore
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every answer carries the headers that keep member data out of caches, referrers and content
/// sniffing, and, behind TLS, pins HTTPS.
struct SecurityHeadersTests {
    @Test func everyKindOfAnswerCarriesThem() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            let answers: [(String, HTTPFields)] = [
                ("/api/v1/me/ai-training", [.authorization: "Bearer \(token)"]),  // member data
                ("/api/v1/me/ai-training", [:]),                                   // 401 problem
                ("/settings/data-privacy/generative-ai", [:]),                     // a page (sign in first)
                ("/login", [:]),                                                    // a page with tokens in it
                ("/no/such/page", [:]),                                            // 404
            ]
            for (uri, headers) in answers {
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(response.headers[.cacheControl] == "no-store", "\(uri) \(response.status)")
                    #expect(response.headers[.strictTransportSecurity]?.hasPrefix("max-age=31536000") == true, "\(uri)")
                }
            }
            // The stylesheet keeps its own caching.
            try await client.execute(uri: "/assets/settings.css", method: .get) { response in
                #expect(response.headers[.cacheControl] == "max-age=3600" && response.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test func plainHTTPDevelopmentGetsNoStrictTransport() async throws {
        let harness = try await Harness()
        let app = try buildApplication(store: harness.store, identity: harness.identity,
                                       configuration: ServerConfiguration(port: 0, insecureCookies: true), sessionSecret: Harness.secret)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[.strictTransportSecurity] == nil && response.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }
}
