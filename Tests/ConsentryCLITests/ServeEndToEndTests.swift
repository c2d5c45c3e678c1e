import ConsentTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

extension CLISuite {
    /// `consentry serve` as a person runs it, over real HTTP on 127.0.0.1: an "off" sent through the
    /// API shows on the web page, in `consentry decide`, and survives a restart.
    struct ServeEndToEndTests {
        static let secret = "e2e-secret-e2e-secret-e2e-secret-e2e-0001"

        func request(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil,
                     followRedirects: Bool = true) async throws -> (Int, String, [AnyHashable: Any]) {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = method
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.httpBody = body.map { Data($0.utf8) }
            let delegate = NoRedirects()
            let session = URLSession(configuration: .ephemeral, delegate: followRedirects ? nil : delegate, delegateQueue: nil)
            defer { session.finishTasksAndInvalidate() }
            let (data, response) = try await session.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http.allHeaderFields)
        }

        func startServer(_ cli: CLIRunner) async throws -> ServedProcess {
            try await ServedProcess(["serve", "--db", cli.db, "--insecure-cookies"], environment: ProcessInfo.processInfo.environment.merging([
                "CONSENTRY_JWT_SECRET": Self.secret, "CONSENTRY_SIGN_IN_URL": "https://platform.example/sign-in",
            ]) { $1 })
        }

        /// `name=value` of the cookie `name` among the answer's Set-Cookie headers (joined by commas).
        static func cookie(_ name: String, in headers: [AnyHashable: Any]) -> String {
            guard let all = headers["Set-Cookie"] as? String, let start = all.range(of: name + "=") else { return "" }
            return String(all[start.lowerBound...].prefix { $0 != ";" && $0 != "," })
        }

        @Test func anOffThroughTheAPIShowsEverywhereAndSurvivesARestart() async throws {
            let cli = try CLIRunner()
            #expect(try cli.run(["policy", "apply", try cli.write("p.yaml", Fixtures.examplePolicyYAML)]).status == 0)
            #expect(try cli.run(["import", "members", try cli.write("m.jsonl", #"{"id": "urn:li:member:7", "birth_date": "1990-01-01", "country": "DE"}"# + "\n")]).status == 0)
            let token = try cli.run(["token", "--member", "urn:li:member:7"], withDB: false,
                                    environment: ["CONSENTRY_JWT_SECRET": Self.secret]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            var server = try await startServer(cli)
            var base = server.baseURL

            let (status, body, _) = try await request("PUT", base + "/api/v1/me/ai-training",
                                                      headers: ["Authorization": "Bearer " + token, "X-Consentry-Channel": "android"],
                                                      body: #"{"enabled": false}"#)
            #expect(status == 200 && body.contains(#""reason":"opted_out""#), "\(body)")

            // Signing in as the platform would have the browser do it: sent away with a state
            // and a nonce, back with a form holding the state and a token carrying the nonce.
            let (beginStatus, _, beginHeaders) = try await request("GET", base + "/auth/sign-in", followRedirects: false)
            let location = try #require(beginHeaders["Location"] as? String)
            #expect(beginStatus == 303 && location.hasPrefix("https://platform.example/sign-in?state="))
            let query = try #require(URLComponents(string: location)?.queryItems)
            let (state, nonce) = (try #require(query.first { $0.name == "state" }?.value), try #require(query.first { $0.name == "nonce" }?.value))
            let signInCookie = Self.cookie("consentry-sign-in", in: beginHeaders)
            let signInToken = try cli.run(["token", "--member", "urn:li:member:7", "--nonce", nonce], withDB: false,
                                          environment: ["CONSENTRY_JWT_SECRET": Self.secret]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let (callbackStatus, _, callbackHeaders) = try await request(
                "POST", base + "/auth/callback", headers: ["Cookie": signInCookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: "state=\(state)&token=\(signInToken)", followRedirects: false)
            #expect(callbackStatus == 303)
            let cookie = Self.cookie("consentry-session", in: callbackHeaders)
            let (_, page, _) = try await request("GET", base + "/settings/data-privacy/generative-ai", headers: ["Cookie": cookie])
            #expect(page.contains("Off — you turned this off on") && page.contains("(Android app)"))

            #expect(try cli.run(["decide", "--member", "urn:li:member:7"]).stdout.contains(#""reason":"opted_out""#))

            server.process.terminate()
            server.process.waitUntilExit()
            #expect(server.process.terminationReason == .exit, "SIGTERM ends the server gracefully")
            server = try await startServer(cli)
            base = server.baseURL
            let (_, after, _) = try await request("GET", base + "/api/v1/me/ai-training", headers: ["Authorization": "Bearer " + token])
            #expect(after.contains(#""reason":"opted_out""#))

            // A second server on the same port says what is wrong and what to do.
            let taken = try cli.run(["serve", "--port", String(server.port), "--insecure-cookies"],
                                    environment: ["CONSENTRY_JWT_SECRET": Self.secret])
            #expect(taken.status != 0 && taken.stderr.contains("127.0.0.1:\(server.port) is already in use")
                    && taken.stderr.contains("--port 0"), "\(taken.stderr)")
        }
    }

    /// Keeps redirects visible to the test.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
}
