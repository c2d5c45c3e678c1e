import ConsentCore
@testable import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Requests that cost the server much and the client little: scrapes of /metrics, and slow or
/// silent connections.
struct CheapRequestTests {
    static let token = "metrics-token-metrics-token-0123456789"

    @Test func metricsNeedTheTokenWhenOneIsSet() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) { $0.metricsToken = try? MetricsToken(Self.token) }
        try await app.test(.router) { client in
            for header: String? in [nil, "Bearer wrong-token", "Basic " + Self.token] {
                var fields = HTTPFields()
                if let header { fields[.authorization] = header }
                try await client.execute(uri: "/metrics", method: .get, headers: fields) { response in
                    #expect(response.status == .unauthorized, "\(header ?? "no header")")
                    #expect(!String(buffer: response.body).contains("consentry_"), "nothing of the metrics is shown")
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + Self.token]) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("consentry_objections_open 0\n"))
            }
        }
    }

    @Test func aShortMetricsTokenIsRefused() throws {
        #expect(throws: ConsentError.self) { try MetricsToken("short") }
        #expect(throws: ConsentError.self) { try MetricsToken.fromEnvironment(["CONSENTRY_METRICS_TOKEN": String(repeating: "x", count: 31)]) }
        #expect(try MetricsToken.fromEnvironment([:]) == nil)
    }

    @Test func objectionGaugesAreReadFromTheStoreAtMostEveryFifteenSeconds() async throws {
        let harness = try await Harness()
        let clock = TestClock(Harness.now)
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        try await harness.app(now: { clock.now }).test(.router) { client in
            #expect(try await Self.openGauge(client) == "consentry_objections_open 0")
            try await harness.store.fileObjection(Objection.file(id: .random(), member: MemberID("urn:li:member:eu")!, at: clock.now,
                                                                 reason: nil, terms: terms), actor: "test")
            clock.advance(by: 14)
            #expect(try await Self.openGauge(client) == "consentry_objections_open 0", "kept, not read again, for 15 s")
            clock.advance(by: 1)
            #expect(try await Self.openGauge(client) == "consentry_objections_open 1")
        }
    }

    static func openGauge(_ client: some TestClientProtocol) async throws -> String? {
        try await client.execute(uri: "/metrics", method: .get) { response in
            String(buffer: response.body).split(separator: "\n").first { $0.hasPrefix("consentry_objections_open ") }.map(String.init)
        }
    }

    /// Connects to 127.0.0.1:`port`, sends `bytes`, and returns how long the server took to
    /// close the connection (nil if it was still open after `wait` seconds), and what it sent.
    /// It waits on a thread of its own: blocked in `recv` on one of the few threads that tasks
    /// share (two on two cores), it could starve the server under test of the thread its
    /// handlers need, while other tests block the rest.
    static func closing(port: Int, sending bytes: String, wait: Int) async throws -> (seconds: Double?, received: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try blockingClosing(port: port, sending: bytes, wait: wait) }) }.start()
        }
    }

    private static func blockingClosing(port: Int, sending bytes: String, wait: Int) throws -> (seconds: Double?, received: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: wait, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var received: [UInt8] = []
        while true {
            let read = recv(fd, &buffer, buffer.count, 0)
            if read > 0 { received += buffer[0..<read]; continue }
            let text = String(decoding: received, as: UTF8.self)
            if read == 0 { return (Date().timeIntervalSince(start), text) }
            return (errno == EAGAIN || errno == EWOULDBLOCK ? nil : Date().timeIntervalSince(start), text)
        }
    }

    @Test func aRequestThatDoesNotArriveWholeInTimeLosesItsConnection() async throws {
        let harness = try await Harness()
        let app = harness.app(now: { Harness.now }) { $0.requestReadTimeout = .milliseconds(500) }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Headers sent and never finished, as a slow client would. (Closed after the half
            // second allowed; 15 s leaves room for a machine busy with other tests.)
            let partial = try await Self.closing(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", wait: 15)
            #expect(partial.seconds != nil, "closed, not held open")
            #expect(partial.received.isEmpty)
            // A connection that sends nothing at all.
            #expect(try await Self.closing(port: port, sending: "", wait: 15).seconds != nil)
            // A whole request is answered, and the connection then waits for the next one no longer.
            let answered = try await Self.closing(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", wait: 15)
            #expect(answered.received.hasPrefix("HTTP/1.1 200 OK"))
            #expect(answered.seconds != nil)
        }
    }
}
