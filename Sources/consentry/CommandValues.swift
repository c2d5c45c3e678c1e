import ArgumentParser
import ConsentCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An instant given on the command line: RFC 3339 or a date (00:00 UTC).
struct Instant: ExpressibleByArgument {
    var date: Date

    init?(argument: String) {
        guard let date = Timestamp.parse(argument) else { return nil }
        self.date = date
    }

    init(_ date: Date) { self.date = date }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension Choice: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}
extension ObjectionStatus: ExpressibleByArgument {}

/// Who the audit log says acted: the operating-system user running the tool.
var cliActor: String {
    if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return "cli:" + user }
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return "cli:" + String(cString: name) }
    return "cli:uid-\(getuid())"
}

/// Requires an active policy: without one nobody can be decided eligible.
func requireActivePolicy(_ store: any ConsentStore) async throws -> PolicyVersion {
    guard let version = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
    return version
}
