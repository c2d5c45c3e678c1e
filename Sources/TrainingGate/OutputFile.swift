import ConsentFormats
import Crypto
import Foundation

/// An output written beside its final path and renamed over it only when complete and on disk
/// (write, fsync, rename, fsync the directory): readers see the old file or the new one, never
/// half of one. `-` writes to standard output instead.
final class OutputFile {
    let path: String
    private let temporary: String?
    private let fd: Int32
    private(set) var bytes = 0
    /// IOV_MAX on Linux.
    static let vectorLimit = 1024
    private var hasher: SHA256?
    private var finished = false

    init(path: String, hashing: Bool) throws {
        self.path = path
        hasher = hashing ? SHA256() : nil
        if path == "-" {
            temporary = nil
            fd = STDOUT_FILENO
            return
        }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw GateError.output(path, "is a directory")
        }
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        let opened = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw GateError.output(path, String(cString: strerror(errno))) }
        temporary = temp
        fd = opened
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
            let written = vectors[first...].withUnsafeBufferPointer { writev(fd, $0.baseAddress, Int32($0.count)) }
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
        guard temporary != nil, bytes - writebackFrom >= Self.writebackStep else { return }
        _ = Self.syncFileRange?(fd, Int64(writebackFrom), Int64(bytes - writebackFrom), 2 /* SYNC_FILE_RANGE_WRITE */)
        writebackFrom = bytes
    }

    /// The SHA-256 of everything written, when hashing.
    var sha256: String? { hasher.map { Digest.hex($0.finalize()) } }

    /// Makes the output durable and puts it in place.
    func commit() throws {
        finished = true
        guard let temporary else { return }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            unlink(temporary)
            throw GateError.output(path, "fsync failed: " + String(cString: strerror(errno)))
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
        guard let temporary else { return }
        close(fd)
        unlink(temporary)
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
