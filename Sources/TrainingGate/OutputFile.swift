import ConsentFormats
import Crypto
import Foundation

/// An output written beside its final path and renamed over it only when complete and on disk
/// (write, fsync, rename, fsync the directory): readers see the old file or the new one, never
/// half of one. `-` writes to standard output instead. A path ending in `.gz` is compressed
/// (through gzip, without a name or time stamp, so equal content gives equal files).
///
/// Safe in a shared directory: the partial file has an unguessable name and is created with
/// `O_EXCL | O_NOFOLLOW`, mode 0600 (a planted file or symlink makes the write fail, never
/// redirects it), and gets ``mode`` (0640: the owner and their group) only when complete. An
/// existing pipe, socket or device at the path is refused (someone may be reading it; `-` and a
/// redirection say so explicitly), except `/dev/null`. The directory must be the operator's or
/// root's, and not writable by others unless sticky (as `/tmp` is), or someone else could swap
/// the file after it is written (``OutputDirectory``).
final class OutputFile {
    /// The mode of a finished output.
    static let mode: mode_t = 0o640
    let path: String
    private let temporary: String?
    /// The file being written.
    private let fd: Int32
    /// Where records are written: `fd`, or gzip's input when compressing.
    private let sink: Int32
    private var gzip: (process: Process, input: Pipe, errors: Pipe)?
    /// Bytes written (before compression).
    private(set) var bytes = 0
    /// Bytes of the file once committed (after compression).
    private(set) var storedBytes = 0
    /// The SHA-256 of the file as stored, once committed, when hashing.
    private(set) var sha256: String?
    private let hashing: Bool
    /// Writing to a device or pipe that existed before: no rename, closed when committed.
    private var special = false
    /// IOV_MAX on Linux.
    static let vectorLimit = 1024
    private var hasher: SHA256?
    private var finished = false

    init(path: String, hashing: Bool) throws {
        self.path = path
        self.hashing = hashing
        hasher = hashing ? SHA256() : nil
        if path == "-" {
            temporary = nil
            fd = STDOUT_FILENO
            sink = fd
            return
        }
        let url = URL(fileURLWithPath: path)
        var status = stat()
        if lstat(path, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                throw GateError.output(path, "is a directory")
            case S_IFREG, S_IFLNK:
                break  // replaced by the rename (a symlink itself, never what it points to)
            case _ where path != "/dev/null":
                throw GateError.output(path, """
                    is a pipe, socket or device, which Consentry does not write into (whoever opened it would receive the records); \
                    to mean it, write to standard output (--out -) and redirect it there
                    """)
            default:
                // /dev/null: written as it is, never replaced.
                let opened = open(path, O_WRONLY | O_CLOEXEC)
                guard opened >= 0 else { throw GateError.output(path, String(cString: strerror(errno))) }
                temporary = nil
                fd = opened
                sink = fd
                special = true
                return
            }
        }
        try OutputDirectory.check(url.deletingLastPathComponent().path, for: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        // Registered before it exists: an interruption the moment the file appears still finds
        // the signal handlers in place and the name to delete.
        PartialFiles.shared.add(temp)
        let opened = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            let reason = String(cString: strerror(errno))
            PartialFiles.shared.remove(temp)
            throw GateError.output(path, reason)
        }
        temporary = temp
        fd = opened
        guard path.hasSuffix(".gz") else {
            sink = fd
            return
        }
        // A compressed file is hashed as stored, once complete (see commit), not as written.
        hasher = nil
        // A gzip that dies must make writes fail with EPIPE, not kill this process.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Gzip.path)
        process.arguments = ["-c", "-n", "-6"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle(fileDescriptor: opened, closeOnDealloc: false)
        process.standardError = errors
        do {
            try process.run()
        } catch {
            close(opened)
            unlink(temp)
            throw GateError.output(path, "cannot start gzip to compress it: \(error)")
        }
        gzip = (process, input, errors)
        sink = input.fileHandleForWriting.fileDescriptor
    }

    deinit {
        if !finished { abandon() }
    }

    /// Writes these byte ranges of `base` in order, with as few system calls as it takes.
    func write(_ base: UnsafePointer<UInt8>, runs: [Int]) throws {
        var vectors: [iovec] = []
        vectors.reserveCapacity(min(runs.count / 2, OutputFile.vectorLimit))
        var index = 0
        while index < runs.count {
            vectors.removeAll(keepingCapacity: true)
            while index < runs.count, vectors.count < OutputFile.vectorLimit {
                let start = runs[index], end = runs[index + 1]
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + start), iov_len: end - start))
                if hasher != nil { hasher!.update(bufferPointer: UnsafeRawBufferPointer(start: base + start, count: end - start)) }
                index += 2
            }
            try writeAll(&vectors)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            try write(buffer.baseAddress!, runs: [0, buffer.count])
        }
    }

    private func writeAll(_ vectors: inout [iovec]) throws {
        var first = 0
        while first < vectors.count {
            let written = vectors[first...].withUnsafeBufferPointer { writev(sink, $0.baseAddress, Int32($0.count)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw GateError.output(path, String(cString: strerror(errno)))
            }
            bytes += written
            startWriteback()
            var remaining = written
            while first < vectors.count, remaining >= vectors[first].iov_len {
                remaining -= vectors[first].iov_len
                first += 1
            }
            if remaining > 0 {
                vectors[first].iov_base += remaining
                vectors[first].iov_len -= remaining
            }
        }
    }

    private var writebackFrom = 0
    static let writebackStep = 32 << 20
    /// Linux's sync_file_range(2), which Glibc's Swift module does not expose.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()

    /// Starts the kernel writing what is already written (without waiting), every 32 MiB, so the
    /// final fsync has little left to do and writing to disk overlaps with filtering.
    private func startWriteback() {
        guard temporary != nil, gzip == nil, bytes - writebackFrom >= Self.writebackStep else { return }
        _ = Self.syncFileRange?(fd, Int64(writebackFrom), Int64(bytes - writebackFrom), 2 /* SYNC_FILE_RANGE_WRITE */)
        writebackFrom = bytes
    }

    /// Makes the output durable and puts it in place.
    func commit() throws {
        finished = true
        guard let temporary else {
            sha256 = hasher.map { Digest.hex($0.finalize()) }
            storedBytes = bytes
            if special { close(fd) }
            return
        }
        defer { close(fd) }
        if let gzip {
            try? gzip.input.fileHandleForWriting.close()
            gzip.process.waitUntilExit()
            guard gzip.process.terminationStatus == 0 else {
                unlink(temporary)
                let message = String(decoding: gzip.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw GateError.output(path, "gzip failed: " + message.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        guard fsync(fd) == 0 else {
            unlink(temporary)
            throw GateError.output(path, "fsync failed: " + String(cString: strerror(errno)))
        }
        storedBytes = Int(lseek(fd, 0, SEEK_END))
        if let hasher {
            sha256 = Digest.hex(hasher.finalize())
        } else if hashing {
            sha256 = try FileDigest.sha256(of: temporary)
        }
        defer { PartialFiles.shared.remove(temporary) }
        guard fchmod(fd, Self.mode) == 0 else {
            unlink(temporary)
            throw GateError.output(path, "cannot set its mode: " + String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw GateError.output(path, String(cString: strerror(errno)))
        }
        syncDirectory(of: path)
    }

    /// Removes the partial output; the previous file at `path`, if any, is untouched.
    func abandon() {
        finished = true
        guard let temporary else {
            if special { close(fd) }
            return
        }
        if let gzip {
            try? gzip.input.fileHandleForWriting.close()
            gzip.process.waitUntilExit()
        }
        close(fd)
        unlink(temporary)
        PartialFiles.shared.remove(temporary)
    }
}

/// The partial outputs being written, removed if the process is interrupted (SIGINT, SIGTERM,
/// SIGHUP), so an interrupted run leaves nothing half-written behind. (SIGKILL can't be caught:
/// the next purge cleans up its own names; a filter's hidden `.OUT.partial-PID` may remain.)
public final class PartialFiles: @unchecked Sendable {
    public static let shared = PartialFiles()
    private let lock = NSLock()
    private var paths: Set<String> = []
    private var sources: [any DispatchSourceSignal] = []
    private var installed = false

    func add(_ path: String) {
        lock.withLock {
            paths.insert(path)
            if !installed { install() }
        }
    }

    func remove(_ path: String) {
        lock.withLock { _ = paths.remove(path) }
    }

    /// Catches the interrupting signals on a queue of their own; on one, deletes every partial
    /// file and exits with 128 + the signal's number, as the shell reports it.
    private func install() {
        installed = true
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "consentry.signals"))
            source.setEventHandler { [unowned self] in
                let pending = self.lock.withLock { self.paths }
                for path in pending { unlink(path) }
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Where gzip is on Debian (it is an essential package).
enum Gzip {
    static let path = FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") ? "/usr/bin/gzip" : "/bin/gzip"
}

/// SHA-256 of files as stored, read in 4 MiB chunks.
public enum FileDigest {
    public static func sha256(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GateError.input(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw GateError.input(path, String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return Digest.hex(hasher.finalize())
    }
}

/// fsyncs the directory holding `path`, so a rename in it survives a crash.
func syncDirectory(of path: String) {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let fd = open(directory, O_RDONLY | O_DIRECTORY)
    if fd >= 0 {
        fsync(fd)
        close(fd)
    }
}

/// Where outputs may be written: a directory that belongs to the operator (or root) and that
/// nobody else can change, unless it is sticky, where nobody can rename or delete another's
/// files. Anything else lets another user replace or read an output once it is written.
enum OutputDirectory {
    static func check(_ directory: String, for output: String) throws {
        var status = stat()
        guard stat(directory.isEmpty ? "." : directory, &status) == 0 else {
            throw GateError.output(output, "its directory \(directory) cannot be read: " + String(cString: strerror(errno)))
        }
        guard status.st_uid == geteuid() || status.st_uid == 0 else {
            throw GateError.output(output, """
                its directory \(directory) belongs to another user (uid \(status.st_uid)), who could read or replace it; \
                write into a directory of your own
                """)
        }
        let othersWrite = status.st_mode & (S_IWGRP | S_IWOTH) != 0
        guard !othersWrite || status.st_mode & S_ISVTX != 0 else {
            throw GateError.output(output, """
                its directory \(directory) is writable by other users and not sticky, so they could replace it; \
                write into a directory only you can change (chmod go-w, or chmod +t)
                """)
        }
    }
}
