import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Reads rows in one read transaction on the database's thread (`produce` emits them) and
    /// hands them to `consume` on the caller's task, `batchSize` at a time: the caller's code
    /// never runs inside a database closure, and at most a few batches wait in memory. (Code
    /// generic over `Row` is not specialised here, where the driver is not known: a producer of
    /// a million rows emits arrays it makes itself, with a `batchSize` of 1.)
    func streamRead<Row: Sendable>(batchSize: Int = 1024, _ produce: @escaping @Sendable (Driver.Connection, (Row) throws -> Void) throws -> Void,
                                   consume: (Row) throws -> Void) async throws {
        let queue = ReadAheadBatches<[Row]>(depth: 4)
        let driver = driver
        let reading = Task {
            defer { queue.finish() }
            try await driver.read { db in
                var batch: [Row] = []
                batch.reserveCapacity(batchSize)
                try produce(db) { row in
                    batch.append(row)
                    if batch.count == batchSize {
                        guard queue.put(batch) else { throw CancellationError() }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { _ = queue.put(batch) }
            }
        }
        do {
            while let batch = await queue.next() {
                for row in batch { try consume(row) }
            }
        } catch {
            queue.cancel()
            _ = await reading.result
            throw error
        }
        try await reading.value
    }
}
