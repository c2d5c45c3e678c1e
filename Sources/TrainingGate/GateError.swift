import ConsentCore
import Foundation

/// Why a gate command could not do its job. Every case names the file (and line) at fault.
public enum GateError: Error, Equatable, CustomStringConvertible {
    /// An input could not be read.
    case input(String, String)
    /// A line is not valid JSON or not an object, and `--strict` was given.
    case malformedLine(file: String, line: Int, detail: String)
    /// The output could not be written (nothing was left in its place).
    case output(String, String)
    /// A snapshot or exclusions file is corrupt, truncated or of an unknown version.
    case badSource(String, String)
    /// The arguments contradict each other or name something unusable.
    case usage(String)

    public var description: String {
        switch self {
        case .input(let path, let why): "\(path): cannot read: \(why)"
        case .malformedLine(let file, let line, let detail): "\(file):\(line): \(detail)"
        case .output(let path, let why): "\(path): cannot write: \(why)"
        case .badSource(let path, let why): "\(path): \(why)"
        case .usage(let why): why
        }
    }
}

/// The gate uses decisions in force, never predicted ones.
public enum GateTime {
    /// Refuses an as-of instant after now: a member may still opt out or object before then, so
    /// no decision about that instant is known yet.
    public static func requirePast(_ asOf: Date, now: Date = Date()) throws {
        guard asOf <= now else {
            throw GateError.usage("--as-of \(Timestamp.format(asOf)) is in the future: decisions are only known up to now (a member may still opt out or object before then)")
        }
    }
}
