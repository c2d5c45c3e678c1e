import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /metrics`: the process's counters, and the objection gauges read from the store at most
/// once every ``ObjectionGauges/maxAge`` however often it is scraped, by one caller at a time.
/// With a token (`CONSENTRY_METRICS_TOKEN`), only `Authorization: Bearer <token>` is answered.
struct MetricsEndpoint: Sendable {
    let metrics: ServerMetrics
    let gauges: ObjectionGauges
    let token: MetricsToken?

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("metrics", use: scrape)
    }

    @Sendable func scrape(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        if let token {
            guard let header = request.headers[.authorization], let given = BearerTokenParsing.token(header),
                  Digest.constantTimeEqual(given, token.value) else {
                throw Problem(status: .unauthorized, type: "unauthenticated", title: "Sign in required",
                              detail: "This server's metrics need the bearer token set in CONSENTRY_METRICS_TOKEN.")
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = metrics.exposition() + (await gauges.exposition() ?? "")
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The bearer token `/metrics` asks for: at least 32 bytes, from the environment.
public struct MetricsToken: Sendable {
    let value: String

    /// From `CONSENTRY_METRICS_TOKEN`; nil when unset (then `/metrics` is open: bind it to a
    /// private network). A shorter token is refused.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MetricsToken? {
        guard let value = environment["CONSENTRY_METRICS_TOKEN"], !value.isEmpty else { return nil }
        return try MetricsToken(value)
    }

    public init(_ value: String) throws {
        guard value.utf8.count >= 32 else {
            throw ConsentError.invalidField(field: "CONSENTRY_METRICS_TOKEN", message: """
                must be at least 32 bytes long (\(value.utf8.count) given); make one with `openssl rand -hex 32`
                """)
        }
        self.value = value
    }
}

/// The objection gauges, computed from every objection in the store, kept for ``maxAge``: a
/// scrape costs one read of the objections at most that often, whoever scrapes. When the store
/// can't be read the gauges are left out (the scrape still answers, and /readyz says why).
actor ObjectionGauges {
    static let maxAge: TimeInterval = 15

    private let store: any LineageStore
    private let now: @Sendable () -> Date
    private var kept: (text: String, at: Date)?
    private var reading: Task<String?, Never>?

    init(store: any LineageStore, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.now = now
    }

    func exposition() async -> String? {
        let instant = now()
        if let kept, instant.timeIntervalSince(kept.at) < Self.maxAge, instant >= kept.at { return kept.text }
        if let reading { return await reading.value }
        let task = Task { [store] in
            (try? await store.objections(status: nil)).map { ObjectionMetrics.exposition($0, now: instant) }
        }
        reading = task
        let text = await task.value
        reading = nil
        if let text { kept = (text, instant) }
        return text
    }
}
