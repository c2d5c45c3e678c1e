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
        var exp: ExpirationClaim
        var role: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let issuer = "https://id.example"

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

    func token(_ signer: JWTKeyCollection, subject: String = "urn:li:member:eu", role: String? = nil,
               issuer: String = Self.issuer, expires: Date = Date().addingTimeInterval(600)) async throws -> String {
        try await signer.sign(Claims(sub: SubjectClaim(value: subject), iss: IssuerClaim(value: issuer),
                                     exp: ExpirationClaim(value: expires), role: role))
    }

    @Test(arguments: Kind.allCases)
    func aTokenSignedByTheProvidersKeyIsAccepted(_ kind: Kind) async throws {
        let (signer, pem) = try await keyPair(kind)
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer)
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
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer)
        let refused = [
            try await token(stranger),
            try await token(signer, issuer: "https://evil.example"),
            try await token(signer, expires: Date().addingTimeInterval(-60)),
        ]
        for token in refused {
            await #expect(throws: IdentityError.self) { _ = try await verifier.verify(token) }
        }
    }

    /// The classic confusion: an HS256 token whose HMAC key is the public key's PEM text.
    @Test(arguments: Kind.allCases)
    func anHS256TokenKeyedWithThePublicKeyIsRefused(_ kind: Kind) async throws {
        let (_, pem) = try await keyPair(kind)
        let verifier = try await IdentityVerifier.publicKey(pem: pem, issuer: Self.issuer)
        let forger = JWTKeyCollection()
        await forger.add(hmac: HMACKey(from: pem), digestAlgorithm: .sha256)
        let forged = try await token(forger)
        await #expect(throws: IdentityError.self) { _ = try await verifier.verify(forged) }
    }

    @Test func somethingThatIsNotAPublicKeyIsANamedError() async {
        let error = await #expect(throws: ConsentError.self) {
            _ = try await IdentityVerifier.publicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", issuer: Self.issuer)
        }
        #expect(error?.description.contains("CONSENTRY_JWT_PUBLIC_KEY") == true)
    }

    @Test func theEnvironmentSelectsThePublicKey() async throws {
        let (signer, pem) = try await keyPair(.eddsa)
        let verifier = try #require(try await IdentityVerifier.fromEnvironment([
            "CONSENTRY_JWT_PUBLIC_KEY": pem, "CONSENTRY_JWT_ISSUER": Self.issuer,
        ]))
        #expect(verifier.issuer == Self.issuer)
        let identity = try await verifier.verify(try await token(signer, subject: "urn:li:member:ca"))
        #expect(identity.subject == "urn:li:member:ca")
    }
}
