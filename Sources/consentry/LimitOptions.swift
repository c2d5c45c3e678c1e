import ArgumentParser
import ConsentCore

/// `consentry serve`'s limits on writes and objections: each `COUNT/UNIT` (unit s, min, hour or
/// day), or `off` where a limit may be turned off. Beyond a limit the answer is 429 with
/// `Retry-After`, and nothing is recorded.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Choices one member may record through the API, the page and GPC together, per instance, or off.",
                               valueName: "count/unit")) var limitMemberWrites = "20/min"
    @Option(help: ArgumentHelp("Objections one member may file, across all instances.", valueName: "count/unit"))
    var limitObjectionsPerMember = "5/day"
    @Option(help: ArgumentHelp("Requests from people without an account for one email address (case, +tags and look-alike letters folded), across all instances.",
                               valueName: "count/unit")) var limitRequestsPerAddress = "5/day"
    @Option(help: ArgumentHelp("Requests from people without an account from one client address, per instance, or off.",
                               valueName: "count/unit")) var limitRequestsPerClient = "20/hour"
    @Option(help: ArgumentHelp("Requests from people without an account from everyone together, across all instances, or off.",
                               valueName: "count/unit")) var limitRequestsTotal = "1000/hour"
    @Option(help: ArgumentHelp("The header the proxy in front sets to the client's address (e.g. X-Forwarded-For; its last address counts). Without it, the peer's address is the client's.",
                               valueName: "name")) var clientAddressHeader: String?

    func validate() throws { _ = try limits() }

    /// The limits as given.
    func limits() throws -> RequestLimits {
        RequestLimits(memberWrites: try Self.optional(limitMemberWrites, "--limit-member-writes"),
                      objectionsPerMember: try Self.required(limitObjectionsPerMember, "--limit-objections-per-member"),
                      requestsPerAddress: try Self.required(limitRequestsPerAddress, "--limit-requests-per-address"),
                      requestsPerClient: try Self.optional(limitRequestsPerClient, "--limit-requests-per-client"),
                      requestsTotal: try Self.optional(limitRequestsTotal, "--limit-requests-total"))
    }

    private static func required(_ text: String, _ option: String) throws -> RateLimit {
        do {
            return try RateLimit(parsing: text, field: option)
        } catch let error as ConsentError {
            throw ValidationError(error.description)
        }
    }

    private static func optional(_ text: String, _ option: String) throws -> RateLimit? {
        text.lowercased() == "off" ? nil : try required(text, option)
    }
}
