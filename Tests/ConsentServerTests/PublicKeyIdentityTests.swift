import _CryptoExtras
import ConsentCore
import ConsentServer
import Foundation
import JWTKit
import Testing

/// Identity providers that sign with a private key: Consentry holds only the public key (PEM)
/// and accepts exactly the tokens that key verifies, with the key's own algorithm.
struct PublicKeyIdentityTests {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var iss: IssuerClaim
        var aud: AudienceClaim?
        var exp: ExpirationClaim
        var role: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let issuer = "https://id.example"
    static let audience = "https://consentry.example/api"

    enum Kind: String, CaseIterable { case es256, eddsa, rs256 }

    /// A fresh key pair: the signing collection and the public key's PEM.
    func keyPair(_ kind: Kind) async throws -> (signer: JWTKeyCollection, publicPEM: String) {
        let signer = JWTKeyCollection()
        switch kind {
        case .es256:
            let key = ES256PrivateKey()
            await signer.add(ecdsa: key)
            return (signer, key.publicKey.pemRepresentation)
        case .eddsa:
            let key = try EdDSA.PrivateKey()
            await signer.add(eddsa: key)
            return (signer, key.publicKey.pemRepresentation)
        case .rs256:
            let backing = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            await signer.add(rsa: try Insecure.RSA.PrivateKey(backing: backing), digestAlgorithm: .sha256)
            return (signer, backing.publicKey.pemRepresentation)
        }
    }

    /// A token as the identity provider signs it: an access token for Consentry unless told otherwise.
    func token(_ signer: JWTKeyCollection, subject: String = "urn:li:member:eu", role: String? = nil,
               issuer: String = Self.issuer, audience: [String]? = [Self.audience], type: String? = "at+jwt",
               expires: Date = Date().addingTimeInterval(600)) async throws -> String {
        var header = JWTHeader()
        header.typ = type
        return try await signer.sign(Claims(sub: SubjectClaim(value: subject), iss: IssuerClaim(value: issuer),
                                            aud: audience.map { AudienceClaim(value: $0) }, exp: ExpirationClaim(value: expires), role: role),
                                     header: header)
    }

    @Test(arguments: Kind.allCases)
    func aTokenSignedByTheProvidersKeyIsAccepted(_ kind: Kind) async throws {
        let (signer, pem) = try await keyPair(kind)
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer, audience: Self.audience)
        #expect(!verifier.canSign)
        let member = try await verifier.verify(try await token(signer))
        #expect(member.subject == "urn:li:member:eu" && member.role == .member && member.member?.rawValue == "urn:li:member:eu")
        let pipeline = try await verifier.verify(try await token(signer, subject: "etl", role: "pipeline"))
        #expect(pipeline.role == .pipeline && pipeline.member == nil)
    }

    @Test(arguments: Kind.allCases)
    func tokensFromAnotherKeyIssuerOrTimeAreRefused(_ kind: Kind) async throws {
        let (signer, pem) = try await keyPair(kind)
        let (stranger, _) = try await keyPair(kind)
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer, audience: Self.audience)
        let refused = [
            try await token(stranger),
            try await token(signer, issuer: "https://evil.example"),
            try await token(signer, expires: Date().addingTimeInterval(-60)),
            // Signed by the provider's own key, but not an access token for Consentry: an ID
            // token (typ JWT, aud the app's client id), another API's token, no audience, no typ.
            try await token(signer, audience: ["mobile-app-client-id"], type: "JWT"),
            try await token(signer, audience: ["https://other.example/api"]),
            try await token(signer, audience: nil),
            try await token(signer, type: nil),
            try await token(signer, type: "JWT"),
        ]
        for token in refused {
            await #expect(throws: IdentityError.self) { _ = try await verifier.verify(token) }
        }
    }

    /// The classic confusion: an HS256 token whose HMAC key is the public key's PEM text.
    @Test(arguments: Kind.allCases)
    func anHS256TokenKeyedWithThePublicKeyIsRefused(_ kind: Kind) async throws {
        let (_, pem) = try await keyPair(kind)
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer, audience: Self.audience)
        let forger = JWTKeyCollection()
        await forger.add(hmac: HMACKey(from: pem), digestAlgorithm: .sha256)
        let forged = try await token(forger)
        await #expect(throws: IdentityError.self) { _ = try await verifier.verify(forged) }
    }

    @Test func somethingThatIsNotAPublicKeyIsANamedError() async {
        let error = await #expect(throws: ConsentError.self) {
            _ = try await IdentityVerifier.publicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", issuer: Self.issuer, audience: Self.audience)
        }
        #expect(error?.description.contains("CONSENTRY_JWT_PUBLIC_KEY") == true)
    }

    @Test func theEnvironmentSelectsThePublicKey() async throws {
        let (signer, pem) = try await keyPair(.eddsa)
        let verifier = try #require(try await IdentityVerifier.fromEnvironment([
            "CONSENTRY_JWT_PUBLIC_KEY": pem, "CONSENTRY_JWT_ISSUER": Self.issuer, "CONSENTRY_JWT_AUDIENCE": Self.audience,
        ]))
        #expect(verifier.issuer == Self.issuer)
        let identity = try await verifier.verify(try await token(signer, subject: "urn:li:member:ca"))
        #expect(identity.subject == "urn:li:member:ca")
        // An identity provider that marks access tokens its own way.
        let typed = try #require(try await IdentityVerifier.fromEnvironment([
            "CONSENTRY_JWT_PUBLIC_KEY": pem, "CONSENTRY_JWT_ISSUER": Self.issuer, "CONSENTRY_JWT_AUDIENCE": Self.audience,
            "CONSENTRY_JWT_TYPE": "application/okta-internal-at+jwt",
        ]))
        #expect(try await typed.verify(try await token(signer, type: "application/okta-internal-at+jwt")).subject == "urn:li:member:eu")
        await #expect(throws: IdentityError.self) { _ = try await typed.verify(try await token(signer)) }
    }

    @Test func aPublicKeyWithoutAnAudienceOrBesideASecretIsRefused() async throws {
        let (_, pem) = try await keyPair(.es256)
        let noAudience = await #expect(throws: ConsentError.self) {
            _ = try await IdentityVerifier.fromEnvironment(["CONSENTRY_JWT_PUBLIC_KEY": pem, "CONSENTRY_JWT_ISSUER": Self.issuer])
        }
        #expect(noAudience?.description.contains("CONSENTRY_JWT_AUDIENCE") == true)
        let both = await #expect(throws: ConsentError.self) {
            _ = try await IdentityVerifier.fromEnvironment(["CONSENTRY_JWT_PUBLIC_KEY": pem, "CONSENTRY_JWT_AUDIENCE": Self.audience,
                                                            "CONSENTRY_JWT_SECRET": String(repeating: "s", count: 40)])
        }
        #expect(both?.description.contains("both set") == true)
    }
}
