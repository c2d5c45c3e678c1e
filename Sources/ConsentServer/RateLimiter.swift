import ConsentCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Limits kept in memory, one token bucket per key (a member, a client address), for one
/// instance: behind N instances a key gets up to N times the limit. What must hold across
/// instances (objections, which carry legal deadlines) is counted in the store instead.
final class RateLimiter: Sendable {
    let limit: RateLimit
    private let state = Mutex(State())

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        /// The count at which full buckets are next forgotten (a full bucket is the same as
        /// none): twice what a sweep left, so that a sweep's cost is spread over as many takes
        /// as it looked at, however many members are busy at once.
        var sweepAt = RateLimiter.sweepAbove
    }

    /// Buckets kept before full ones are first forgotten.
    static let sweepAbove = 100_000

    init(limit: RateLimit) {
        self.limit = limit
    }

    /// Takes one for `key` at `instant`: nil when allowed, else the whole seconds to wait.
    func take(_ key: String, at instant: Date) -> Int? {
        state.withLock { state in
            if state.buckets.count >= state.sweepAt {
                state.buckets = state.buckets.filter { !$0.value.isFull(at: instant) }
                state.sweepAt = max(Self.sweepAbove, 2 * state.buckets.count)
            }
            var bucket = state.buckets[key] ?? TokenBucket(limit: limit, at: instant)
            let wait = bucket.take(at: instant)
            state.buckets[key] = bucket
            return wait
        }
    }
}

/// Who is calling, as far as limits per client go: the peer's IP address, or, behind a proxy
/// named by `consentry serve --client-address-header`, the last address the proxy appended to
/// that header (earlier ones are whatever the client wrote, and prove nothing).
struct ClientAddress: Sendable {
    /// A header the proxy in front sets, such as `X-Forwarded-For`; nil: the peer address.
    let header: HTTPField.Name?

    init(headerName: String?) throws {
        guard let headerName else { header = nil; return }
        guard let name = HTTPField.Name(headerName) else {
            throw ConsentError.invalidField(field: "client-address-header", message: "\(jsonStringLiteral(headerName)) is not an HTTP header name")
        }
        header = name
    }

    func of(_ request: Request, context: ConsentRequestContext) -> String {
        if let header, let value = request.headers[header],
           let last = value.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            return last
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }
}
