import ConsentCore
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Only a valid token for a known member reaches member data, and only that member's.
struct IdentityTests {
    func status(of token: String?, _ harness: Harness) async throws -> HTTPResponse.Status {
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: headers(token)) { response in
                if response.status == .unauthorized {
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                return response.status
            }
        }
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func noTokenIsUnauthorized() async throws {
        #expect(try await status(of: nil, try await Harness()) == .unauthorized)
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let harness = try await Harness()
        let expired = try await harness.identity.token(subject: "urn:li:member:eu", lifetime: 60, now: Date().addingTimeInterval(-7200))
        #expect(try await status(of: expired, harness) == .unauthorized)
    }

    @Test func aTokenNotYetValidIsRefused() async throws {
        let harness = try await Harness()
        let future = try await harness.identity.token(subject: "urn:li:member:eu", lifetime: 3600, now: Date().addingTimeInterval(7200))
        #expect(try await status(of: future, harness) == .unauthorized)
    }

    @Test func aTokenFromAnotherIssuerIsRefused() async throws {
        let harness = try await Harness()
        let other = try await IdentityVerifier.sharedSecret(Harness.secret, issuer: "someone-else")
        #expect(try await status(of: try await other.token(subject: "urn:li:member:eu"), harness) == .unauthorized)
    }

    @Test func aForgedSignatureIsRefused() async throws {
        let harness = try await Harness()
        let forger = try await IdentityVerifier.sharedSecret("another-secret-another-secret-another-1", issuer: "test-issuer")
        #expect(try await status(of: try await forger.token(subject: "urn:li:member:eu"), harness) == .unauthorized)
    }

    @Test func anUnsignedAlgNoneTokenIsRefused() async throws {
        let harness = try await Harness()
        let exp = Int(Date().addingTimeInterval(3600).timeIntervalSince1970)
        let token = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "."
            + Self.base64URL(#"{"sub":"urn:li:member:eu","iss":"test-issuer","exp":\#(exp)}"#) + "."
        #expect(try await status(of: token, harness) == .unauthorized)
    }

    @Test func aTokenForAnUnknownMemberIsRefused() async throws {
        let harness = try await Harness()
        #expect(try await status(of: try await harness.identity.token(subject: "urn:li:member:ghost"), harness) == .unauthorized)
    }

    @Test func aPipelineTokenCannotUseMemberRoutes() async throws {
        let harness = try await Harness()
        #expect(try await status(of: try await harness.token("etl", role: .pipeline), harness) == .forbidden)
    }

    @Test func aMembersTokenOnlyEverReachesTheirOwnData() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            // There is no route that names a member: the path and query cannot select another one.
            for uri in ["/api/v1/me/ai-training?member=urn:li:member:ca", "/api/v1/members/urn:li:member:ca/ai-training"] {
                try await client.execute(uri: uri, method: .get, headers: headers(token)) { response in
                    if response.status == .ok {
                        let body = try object(response.body)
                #expect(body["region"] == .string("europe"))
                    } else {
                        #expect(response.status == .notFound)
                    }
                }
            }
        }
    }

    @Test func aSecretShorterThan32BytesIsRefused() async {
        await #expect(throws: ConsentError.self) { try await IdentityVerifier.sharedSecret("short", issuer: "x") }
        let session = #expect(throws: ConsentError.self) { try WebSessions(secret: String(repeating: "x", count: 31)) }
        #expect(session?.description.contains("CONSENTRY_SESSION_SECRET") == true)
        #expect(throws: Never.self) { try WebSessions(secret: String(repeating: "x", count: 32)) }
    }

    @Test func tokensForAnotherAudienceOrOfAnotherTypeAreRefused() async throws {
        let harness = try await Harness()
        let ours = try await harness.token("urn:li:member:eu")
        #expect(try await harness.identity.verify(ours).subject == "urn:li:member:eu")
        #expect(IdentityVerifier.headerType(of: ours) == "at+jwt")
        // The same secret and issuer, another audience or type: refused.
        let otherApp = try await IdentityVerifier.sharedSecret(Harness.secret, issuer: "test-issuer", audience: "another-app")
        let idToken = try await IdentityVerifier.sharedSecret(Harness.secret, issuer: "test-issuer", tokenType: "JWT")
        for token in [try await otherApp.token(subject: "urn:li:member:eu", role: .privacy),
                      try await idToken.token(subject: "urn:li:member:eu", role: .privacy)] {
            await #expect(throws: IdentityError.self) { _ = try await harness.identity.verify(token) }
        }
    }
}

struct BearerHeaderTests {
    @Test(arguments: [("Bearer abc.def", "abc.def"), ("bearer  abc ", "abc"), ("BEARER x", "x")])
    func theTokenIsReadFromTheHeader(_ header: String, _ token: String) {
        #expect(BearerTokenParsing.token(header) == token)
    }

    @Test(arguments: ["Basic abc", "Bearer", "Bearer    ", "Bearerabc", ""])
    func otherHeadersCarryNoToken(_ header: String) {
        #expect(BearerTokenParsing.token(header) == nil)
    }
}
