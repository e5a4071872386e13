import Foundation

/// Reads a whole regular file straight into a byte array (one copy, from the kernel).
public enum FileBytes {
    /// A buffer reused from file to file by one thread: no allocation (and no fresh pages to
    /// fault in) per file once it has grown to the largest file.
    final class Buffer {
        private(set) var pointer: UnsafeMutableRawPointer
        private(set) var capacity: Int

        init(capacity: Int = 1 << 16) {
            self.capacity = capacity
            pointer = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { pointer.deallocate() }

        func reserve(_ size: Int) {
            guard size > capacity else { return }
            pointer.deallocate()
            capacity = max(size, capacity * 2)
            pointer = .allocate(byteCount: capacity, alignment: 16)
        }
    }

    /// Reads a regular file into `buffer`; the bytes stay valid until its next use. Also
    /// returns the file's status taken after the read (a write during the read changes its ctime).
    /// `recordedSize`: the size the index recorded for the file (32 bits, as git keeps it),
    /// when known; a file of another size is not read at all (it cannot be the staged one, and
    /// a huge file changed on disk costs nothing).
    static func read(_ path: String, into buffer: Buffer, recordedSize: UInt32? = nil) -> (bytes: UnsafeBufferPointer<UInt8>, after: stat)? {
        withRegularFile(path) { fd, size in
            if let recordedSize, UInt32(truncatingIfNeeded: size) != recordedSize { return nil }
            buffer.reserve(size)
            var after = stat()
            guard readFully(fd, into: buffer.pointer, size), fstat(fd, &after) == 0, Int(after.st_size) == size else { return nil }
            return (UnsafeBufferPointer(start: buffer.pointer.assumingMemoryBound(to: UInt8.self), count: size), after)
        }
    }

    /// The file's bytes, or nil if it cannot be opened or read.
    public static func read(_ path: String) -> [UInt8]? {
        readWithStatus(path)?.bytes
    }

    /// The file's bytes and its status taken after the read, or nil if it cannot be opened or
    /// read, or its size changed while it was read (or is not `recordedSize`, as above).
    static func readWithStatus(_ path: String, recordedSize: UInt32? = nil) -> (bytes: [UInt8], after: stat)? {
        withRegularFile(path) { fd, size in
            if let recordedSize, UInt32(truncatingIfNeeded: size) != recordedSize { return nil }
            var complete = false
            var after = stat()
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { out, count in
                complete = (size == 0 || readFully(fd, into: UnsafeMutableRawPointer(out.baseAddress!), size))
                    && fstat(fd, &after) == 0 && Int(after.st_size) == size
                count = complete ? size : 0
            }
            return complete ? (bytes, after) : nil
        }
    }

    /// Opens `path` if it is a regular file and passes its descriptor and size to `body`.
    private static func withRegularFile<T>(_ path: String, _ body: (Int32, Int) -> T?) -> T? {
        // Not blocked by a FIFO put where a file was: it opens without waiting for a writer,
        // and is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return body(fd, Int(info.st_size))
    }

    /// Reads exactly `size` bytes (retrying interrupted reads); false on a short read or error.
    private static func readFully(_ fd: Int32, into pointer: UnsafeMutableRawPointer, _ size: Int) -> Bool {
        var done = 0
        while done < size {
            let n = Foundation.read(fd, pointer + done, size - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
