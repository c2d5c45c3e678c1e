import ArgumentParser
import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the member API over HTTP.",
        discussion: """
            Identity tokens are verified with CONSENTRY_JWT_SECRET (HS256, at least 32 bytes) or CONSENTRY_JWT_PUBLIC_KEY (PEM: ES256, EdDSA or RS256), and must carry the issuer CONSENTRY_JWT_ISSUER (default consentry-dev), the audience CONSENTRY_JWT_AUDIENCE (required with a public key; default consentry with a secret) and the header typ at+jwt (CONSENTRY_JWT_TYPE to change it). Web sessions are signed with CONSENTRY_SESSION_SECRET (at least 32 bytes; else the JWT secret). Stops gracefully on SIGTERM or SIGINT.

            With CONSENTRY_LOG_KEY (or CONSENTRY_LOG_KEY_FILE) set, the transparency log's checkpoint is signed every second while facts arrive (and written to --checkpoint-file if given), and /log/v1/... and members' receipts are served.

            The pages sign people in through the platform: /auth/sign-in sends the browser to CONSENTRY_SIGN_IN_URL with state and nonce parameters, and the platform posts a form back to /auth/callback with state and a token (an access token whose nonce claim is that nonce). Sessions end with the token, at most after 8 hours; /auth/sign-out ends them on every instance.

            /metrics answers anyone who can reach the port, unless CONSENTRY_METRICS_TOKEN (at least 32 bytes) is set: then only `Authorization: Bearer <token>`.

            With CONSENTRY_WEBHOOK_URL (https; http only with CONSENTRY_WEBHOOK_ALLOW_HTTP=1) and CONSENTRY_WEBHOOK_SECRET (whsec_ and the base64 of 24 to 64 random bytes) set, the outbox's notifications are delivered to that URL every 2 seconds, signed as Standard Webhooks, never redirected, and retried until accepted.

            Several instances: run each with the same --database-url (PostgreSQL) and the same CONSENTRY_SESSION_SECRET (or CONSENTRY_JWT_SECRET), so that a session or form begun on one is accepted by any other. Each keeps a short-lived view of members in memory (at most half a second old); decisions for pipelines and the gate always read the database.

            Example: CONSENTRY_JWT_SECRET=$(openssl rand -hex 32) consentry serve --db consentry.sqlite --port 8080
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 lets the system choose a free one (the line printed once listening says which).") var port = 8080
    @Flag(help: "Send session cookies without the Secure flag (plain http on a development machine).") var insecureCookies = false
    @Option(help: ArgumentHelp("Write each checkpoint of the log signed while facts arrive (at most one a second) to this file, replacing it atomically, for publishing.",
                               valueName: "path")) var checkpointFile: String?
    @Option(help: ArgumentHelp("Seconds a client has to send each whole request (head and body), from its connection's opening or the previous answer; then the connection is closed.",
                               valueName: "seconds")) var requestTimeout = 30
    @Option(help: ArgumentHelp("The public /transparency page withholds every count from 1 to this less one (1 withholds nothing).",
                               valueName: "count")) var transparencyMinimumCount = PublicFigures.defaultMinimumCount
    @OptionGroup(title: "Limits") var limits: LimitOptions

    /// `CONSENTRY_SIGN_IN_URL`, when set: an absolute http(s) URL.
    static func signInURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let text = environment["CONSENTRY_SIGN_IN_URL"], !text.isEmpty else { return nil }
        guard let url = URL(string: text), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ValidationError("CONSENTRY_SIGN_IN_URL \(text.debugDescription) is not an http(s) URL of the platform's sign-in page")
        }
        return text
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 (any free port) and 65535") }
        guard (1...3600).contains(requestTimeout) else { throw ValidationError("--request-timeout must be between 1 and 3600 seconds") }
        guard transparencyMinimumCount >= 1 else { throw ValidationError("--transparency-minimum-count must be at least 1") }
    }

    func run() async throws {
        let store = try await store.openExisting()
        guard let identity = try await IdentityVerifier.fromEnvironment() else {
            throw ValidationError("set CONSENTRY_JWT_SECRET (HS256, at least 32 bytes) or CONSENTRY_JWT_PUBLIC_KEY (PEM) to verify identity tokens")
        }
        let logSigner = try LogSigner.fromEnvironment()
        if checkpointFile != nil, logSigner == nil {
            throw ValidationError("--checkpoint-file needs the log's key: set CONSENTRY_LOG_KEY or CONSENTRY_LOG_KEY_FILE (make one with `consentry log init`)")
        }
        var configuration = ServerConfiguration(host: host, port: port, insecureCookies: insecureCookies, checkpointFile: checkpointFile)
        configuration.limits = try limits.limits()
        configuration.clientAddressHeader = limits.clientAddressHeader
        configuration.requestReadTimeout = .seconds(requestTimeout)
        configuration.transparencyMinimumCount = transparencyMinimumCount
        configuration.metricsToken = try MetricsToken.fromEnvironment()
        configuration.signInURL = try Self.signInURL()
        let location = self.store.location, host = host
        configuration.onListening = { port in
            // Said once the port is open, so whoever waits for this line can connect at once.
            print("Consentry is serving \(location) on http://\(host):\(port)")
            fflush(nil)
        }
        let app = try buildApplication(store: store, identity: identity, configuration: configuration, logSigner: logSigner)
        if WebSessions.secretFromEnvironment() == nil {
            printError("serve: neither CONSENTRY_SESSION_SECRET nor CONSENTRY_JWT_SECRET is set: web sessions are valid on this instance only")
        }
        let webhook = try WebhookConfiguration.fromEnvironment()
        if let webhook { print("Delivering notifications to \(webhook.printableURL)") }
        // Said at once, even into a file or a pipe, where stdout would hold it back.
        fflush(nil)
        guard let webhook else {
            try await ListenFailure.explaining(host: host, port: port) { try await app.runService() }
            return
        }
        let logger = Logger(label: "consentry")
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: OutboxDeliverer(store: store, webhook: webhook))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await ListenFailure.explaining(host: host, port: port) { try await group.run() }
    }
}
