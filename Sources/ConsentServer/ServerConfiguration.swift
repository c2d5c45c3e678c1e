import ConsentCore
import Foundation

/// How the server runs: where it listens and how it treats cookies.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Drop the `Secure` flag on cookies, for plain-http development on 127.0.0.1.
    public var insecureCookies: Bool
    /// Demo mode: `/login` lists demo members to sign in as.
    public var demo: Bool
    /// The members `/login` offers in demo mode, with what makes each one interesting.
    public var demoMembers: [(label: String, member: MemberID)]

    /// How often, at most, a checkpoint of the log is signed while facts arrive (with a log key).
    public var checkpointInterval: Duration
    /// Where each checkpoint signed that way is written (replaced atomically); nil: nowhere.
    public var checkpointFile: String?

    /// How often members may write and people object (429 with `Retry-After` beyond).
    public var limits = RequestLimits()
    /// The platform's sign-in page (`CONSENTRY_SIGN_IN_URL`): `/auth/sign-in` sends browsers
    /// there with `state` and `nonce`, and the platform posts `state` and a token carrying the
    /// nonce back to `/auth/callback`. Nil: the demo's `/login` in demo mode, else no sign-in.
    public var signInURL: String?
    /// The bearer token `/metrics` asks for (`CONSENTRY_METRICS_TOKEN`); nil: open to anyone
    /// who can reach the port.
    public var metricsToken: MetricsToken?
    /// The whole of a request (its head and body) must arrive within this, counted from the
    /// connection's opening or the previous answer; else the connection is closed. Slow clients
    /// cannot hold connections open until descriptors run out.
    public var requestReadTimeout: Duration = .seconds(30)
    /// A connection with nothing read or written for this long is closed.
    public var idleTimeout: Duration = .seconds(75)

    /// The header a proxy in front sets to the client's address (`X-Forwarded-For`), for the
    /// limits per client; nil: the peer's address, right when nothing stands in front.
    public var clientAddressHeader: String?
    /// The public transparency page withholds every count from 1 to this less one.
    public var transparencyMinimumCount = PublicFigures.defaultMinimumCount
    /// Called once the server listens, with the port it listens on (the one the system chose
    /// when `port` is 0).
    public var onListening: @Sendable (Int) async -> Void = { _ in }

    public init(host: String = "127.0.0.1", port: Int = 8080, insecureCookies: Bool = false, demo: Bool = false,
                demoMembers: [(label: String, member: MemberID)] = [], checkpointInterval: Duration = .seconds(1),
                checkpointFile: String? = nil) {
        self.host = host
        self.port = port
        self.insecureCookies = insecureCookies
        self.demo = demo
        self.demoMembers = demoMembers
        self.checkpointInterval = checkpointInterval
        self.checkpointFile = checkpointFile
    }
}
