import Foundation

/// A run of whole lines of input, in input order: a slice of a mapped file or a buffer read
/// from a stream. `owner` keeps the bytes alive until the block is written.
struct Block: @unchecked Sendable {
    var base: UnsafePointer<UInt8>
    var count: Int
    var owner: AnyObject?
}

/// Hands out an input's blocks in order, each ending at a line end (or the input's end).
/// Called by one thread at a time.
protocol BlockSource: AnyObject {
    func next() throws -> Block?
}

/// Bytes owned by a block read from a stream.
final class BlockBuffer {
    let pointer: UnsafeMutablePointer<UInt8>
    init(capacity: Int) { pointer = .allocate(capacity: max(capacity, 1)) }
    deinit { pointer.deallocate() }
}

/// A regular file mapped into memory: blocks are slices of the mapping, never copied.
final class MappedSource: BlockSource {
    let mapping: FileMapping
    let blockSize: Int
    private var offset = 0

    init(_ mapping: FileMapping, blockSize: Int) {
        self.mapping = mapping
        self.blockSize = blockSize
    }

    func next() throws -> Block? {
        guard offset < mapping.count else { return nil }
        let base = mapping.bytes
        var end = min(offset + blockSize, mapping.count)
        if end < mapping.count {
            if let newline = memchr(base + end, 0x0A, mapping.count - end) {
                end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            } else {
                end = mapping.count
            }
        }
        defer { offset = end }
        return Block(base: base + offset, count: end - offset, owner: mapping)
    }
}

/// A read-only memory mapping of a whole file.
final class FileMapping {
    let bytes: UnsafePointer<UInt8>
    let count: Int
    private let address: UnsafeMutableRawPointer?

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GateError.input(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GateError.input(path, String(cString: strerror(errno))) }
        count = Int(info.st_size)
        if count == 0 {
            address = nil
            bytes = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw GateError.input(path, "cannot be mapped: " + String(cString: strerror(errno)))
        }
        madvise(mapped, count, MADV_SEQUENTIAL)
        address = mapped
        bytes = UnsafePointer(mapped.assumingMemoryBound(to: UInt8.self))
    }

    deinit {
        if let address { munmap(address, count) } else { UnsafeMutablePointer(mutating: bytes).deallocate() }
    }

    private var releasedTo = 0
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Lets go of the pages before `end` (they stay in the page cache, but leave this process's
    /// resident memory): a filter of any size keeps only the blocks in flight resident.
    func release(through end: UnsafePointer<UInt8>) {
        guard let address else { return }
        let upTo = (bytes.distance(to: end) / Self.pageSize) * Self.pageSize
        guard upTo > releasedTo else { return }
        madvise(address + releasedTo, upTo - releasedTo, MADV_DONTNEED)
        releasedTo = upTo
    }
}

/// A byte stream (standard input, a decompressor's output) cut into blocks of whole lines.
/// A line longer than a block grows the block until its end is read.
final class StreamSource: BlockSource {
    let fd: Int32
    let name: String
    let blockSize: Int
    private var carry: [UInt8] = []
    private var ended = false

    init(fd: Int32, name: String, blockSize: Int) {
        self.fd = fd
        self.name = name
        self.blockSize = blockSize
    }

    func next() throws -> Block? {
        var buffer = BlockBuffer(capacity: blockSize + carry.count)
        var capacity = blockSize + carry.count
        var filled = carry.count
        carry.withUnsafeBufferPointer { if let from = $0.baseAddress { buffer.pointer.update(from: from, count: $0.count) } }
        carry.removeAll(keepingCapacity: true)
        var searchedTo = 0
        while true {
            if !ended && filled < capacity {
                let got = read(fd, buffer.pointer + filled, capacity - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw GateError.input(name, String(cString: strerror(errno)))
                }
                if got == 0 { ended = true } else { filled += got }
                if !ended && filled < capacity { continue }
            }
            if ended {
                guard filled > 0 else { return nil }
                return Block(base: buffer.pointer, count: filled, owner: buffer)
            }
            // Full: cut after the last newline, carry the rest into the next block.
            if let last = lastNewline(buffer.pointer, from: searchedTo, to: filled) {
                carry.append(contentsOf: UnsafeBufferPointer(start: buffer.pointer + last + 1, count: filled - last - 1))
                return Block(base: buffer.pointer, count: last + 1, owner: buffer)
            }
            // One line longer than the block: grow and keep reading.
            searchedTo = filled
            let bigger = BlockBuffer(capacity: capacity * 2)
            bigger.pointer.update(from: buffer.pointer, count: filled)
            buffer = bigger
            capacity *= 2
        }
    }

    private func lastNewline(_ base: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var index = end - 1
        while index >= start {
            if base[index] == 0x0A { return index }
            index -= 1
        }
        return nil
    }
}

/// Runs `process` on a source's blocks with `workers` threads and hands the results to
/// `consume`, strictly in input order and one call at a time, with at most `ahead` blocks in
/// flight (bounded memory whatever the input size). `consume` returns false to stop early.
///
/// With two workers or more, `consume` runs on the workers, in turn: the worker that finishes
/// the block the output waits for consumes it, and every later block already done, then goes
/// back to scanning. A thread of its own for the writing was the run's critical path (on
/// tmpfs it was busy for the whole run while the two workers idled half of it). With one
/// worker the calling thread consumes, so that writing still overlaps the scan.
enum OrderedPipeline {
    static func run<Result>(source: any BlockSource, workers: Int, ahead: Int,
                            process: @escaping (Int, Block) -> Result,
                            consume: @escaping (Block, Result) throws -> Bool) throws {
        let state = PipelineState<Result>(consume)
        let sourceBox = UncheckedBox(source)
        let processBox = UncheckedBox(process)
        let workersConsume = workers > 1
        state.active = workers
        for worker in 0..<workers {
            let thread = Thread {
                let process = processBox.value
                state.condition.lock()
                while true {
                    while !state.stop && !state.exhausted && state.next - state.written >= ahead { state.condition.wait() }
                    if state.stop || state.exhausted { break }
                    let block: Block?
                    do {
                        block = try sourceBox.value.next()
                    } catch {
                        state.fail(error)
                        break
                    }
                    guard let block else {
                        state.exhausted = true
                        state.total = state.next
                        break
                    }
                    let index = state.next
                    state.next += 1
                    state.condition.unlock()
                    let result = process(worker, block)
                    state.condition.lock()
                    state.results[index] = (block, result)
                    if workersConsume { state.consumeReady() }
                    state.condition.broadcast()
                }
                state.active -= 1
                state.condition.broadcast()
                state.condition.unlock()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        defer {
            state.condition.lock()
            state.stop = true
            state.condition.broadcast()
            while state.active > 0 { state.condition.wait() }
            state.condition.unlock()
        }
        state.condition.lock()
        defer { state.condition.unlock() }
        while true {
            if !workersConsume { state.consumeReady() }
            if let failure = state.failure { throw failure }
            if state.stop || (state.exhausted && state.written == state.total && !state.consuming) { return }
            state.condition.wait()
        }
    }
}

private final class PipelineState<Result>: @unchecked Sendable {
    let condition = NSCondition()
    var next = 0
    var written = 0
    var total = 0
    var exhausted = false
    var stop = false
    var failure: (any Error)?
    var active = 0
    var results: [Int: (Block, Result)] = [:]
    /// A thread is in ``consume``: no other may start.
    var consuming = false
    let consume: (Block, Result) throws -> Bool

    init(_ consume: @escaping (Block, Result) throws -> Bool) { self.consume = consume }

    /// Called with `condition` locked, and returns with it locked: consumes, in order, every
    /// block done from the next one the output waits for, unless a thread is at it already.
    /// The lock is let go while a block is consumed.
    func consumeReady() {
        guard !consuming else { return }
        consuming = true
        defer { consuming = false }
        while !stop, let (block, result) = results.removeValue(forKey: written) {
            written += 1
            condition.broadcast()
            condition.unlock()
            let outcome = Swift.Result { try consume(block, result) }
            condition.lock()
            switch outcome {
            case .success(true): continue
            case .success(false): stop = true
            case .failure(let error): fail(error)
            }
        }
    }

    /// Called with `condition` locked: the first failure stops the run.
    func fail(_ error: any Error) {
        if failure == nil { failure = error }
        stop = true
    }
}

private final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
