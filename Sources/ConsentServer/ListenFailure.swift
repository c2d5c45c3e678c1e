import Foundation
import NIOCore

/// Why a server could not start listening, in words a person can act on (NIO's own says
/// `bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`).
public struct ListenFailure: Error, CustomStringConvertible {
    public let description: String

    /// Runs `body` (the server), turning a failure to listen on `host:port` into a sentence.
    public static func explaining(host: String, port: Int, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ListenFailure(description: "\(host):\(port) is already in use (another consentry, or another program): "
                                + "stop it, or choose another port with --port N (--port 0 takes any free one)")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw ListenFailure(description: "not allowed to listen on \(host):\(port) (ports below 1024 need privileges): "
                                + "choose another port with --port N")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw ListenFailure(description: "\(host) is not an address of this machine: choose one it has with --host")
        }
    }
}
