import ArgumentParser
import ConsentServer
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print an identity token signed with CONSENTRY_JWT_SECRET (for development and tests).",
        discussion: "Example: curl -H \"Authorization: Bearer $(consentry token --member urn:li:member:1001)\" http://127.0.0.1:8080/api/v1/me/ai-training"
    )

    @Option(help: "The token's subject: a member id (or a service name for other roles).") var member: String
    @Option(help: "member, pipeline or privacy.") var role: String = "member"
    @Option(help: "How long the token is valid: 90s, 30m, 1h, 7d.") var ttl: String = "1h"
    @Option(help: "The nonce a web sign-in sent to the platform (from /auth/sign-in's redirect), for a token to post to /auth/callback.")
    var nonce: String?

    func validate() throws {
        guard Identity.Role(rawValue: role) != nil else { throw ValidationError("--role must be member, pipeline or privacy") }
        guard Self.seconds(ttl) != nil else { throw ValidationError("--ttl \(ttl.debugDescription) must be a number followed by s, m, h or d, like 1h") }
    }

    func run() async throws {
        guard let verifier = try await IdentityVerifier.fromEnvironment() else {
            throw ValidationError("set CONSENTRY_JWT_SECRET (at least 32 bytes) to sign tokens")
        }
        print(try await verifier.token(subject: member, role: Identity.Role(rawValue: role)!, lifetime: Self.seconds(ttl)!, nonce: nonce))
    }

    static func seconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }
}
