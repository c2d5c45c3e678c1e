#ifndef CONSENTRY_CSQLITESETUP_H
#define CONSENTRY_CSQLITESETUP_H

/// Sets SQLite's process-wide options; Swift cannot call `sqlite3_config`, which is variadic.
///
/// Must run before SQLite's first use in the process (the first connection opened): it returns
/// SQLITE_OK, or SQLITE_MISUSE when SQLite was initialized already and keeps its defaults.
///
/// - Multi-thread mode (`SQLITE_CONFIG_MULTITHREAD`): a connection takes no mutex of its own on
///   each call. GRDB already uses every connection from one thread at a time (the only mode it
///   supports), so the serialized default only locks and unlocks a mutex around every bind,
///   step and column read.
/// - No memory statistics (`SQLITE_CONFIG_MEMSTATUS` off): every allocation otherwise takes a
///   process-wide mutex to count itself.
int consentry_sqlite_setup(void);

/// Starts writing the dirty pages of the file open as `fd` to disk, without waiting for them
/// (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; elsewhere nothing). Returns 0, or -1
/// with errno set. It makes nothing durable: only a later fsync does.
int consentry_start_writeback(int fd);

#endif
