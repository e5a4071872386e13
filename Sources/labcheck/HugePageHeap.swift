import Glibc

/// Backs the main heap with transparent huge pages where the kernel offers them on request
/// (`madvise` mode, the default of most distributions), as glibc's `glibc.malloc.hugetlb=1`
/// tunable would - which a program cannot set for itself, tunables being read when it is loaded.
///
/// A large lab file's tree (~5 bytes of heap per byte of TOML, in small objects) is built on
/// fresh memory, and a fresh 4 KiB page costs a fault and a clear: for an 8 MB lab file that
/// was a third of the parse. With 2 MiB pages the faults are 512 times fewer (side by side on
/// an 8 MB lab file, `check --all --no-cache`: ~79 -> ~61 ms with the tunable).
///
/// How: the heap's top pad is raised so that the next growth of the heap reserves `pad` bytes at
/// once, a growth is provoked with a few small blocks (freed again: the pad stays, since free
/// keeps the top pad), and the grown range is advised `MADV_HUGEPAGE`. The advice is advice:
/// any refusal (a kernel without huge pages, `never` mode, a heap that did not grow) leaves the
/// ordinary heap, and nothing else about the allocator changes. Only touched pages are resident,
/// so the pad costs address space, not memory.
enum HugePageHeap {
    /// glibc's `mallopt` and its `M_TOP_PAD` (malloc.h, which the Glibc module does not
    /// import), found by name in the loaded C library; 0 ("failed") where there is none.
    private static let topPad: Int32 = -2
    private static let mmapThreshold: Int32 = -3
    private static func mallopt(_ parameter: Int32, _ value: Int32) -> Int32 {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return 0 }
        // `mallopt` is `int mallopt(int, int)` in every glibc: the cast gives its C type.
        return unsafeBitCast(symbol, to: Mallopt.self)(parameter, value)
    }

    /// The bytes of heap advised, decided once at the first use (`main` uses it first, before
    /// any other thread starts); 0 when nothing was advised. `LABCHECK_NO_THP=1` leaves the
    /// heap as it is.
    static let advised: Int = getenv("LABCHECK_NO_THP") == nil ? prepare() : 0

    /// `-v`'s line about it.
    static var summary: String {
        advised > 0 ? "heap: \(advised >> 20) MiB advised for transparent huge pages (LABCHECK_NO_THP=1 leaves it)"
            : "heap: ordinary pages (\(getenv("LABCHECK_NO_THP") == nil ? "no huge pages were advised" : "LABCHECK_NO_THP is set"))"
    }

    /// Advises the calling thread's own malloc arena (a thread other than the main one gets
    /// one of its own) for huge pages over `bytes`, before the thread builds large arrays on
    /// fresh memory: page faults were about half of reading the kept import graph (~30 MB of
    /// arrays for 400,000 imports) on another thread, ~24 of ~46 ms (perf, 20 runs). Called by
    /// the threads that build large data: the kept graph's reader, and the one that parses the
    /// second piece of a large lab file (`LabFileReader.preparePieceThread`).
    ///
    /// How: blocks up to 32 MiB are then taken from the arenas rather than mapped one by one
    /// (`M_MMAP_THRESHOLD`; a mapped block is fresh 4 KiB pages each time), one block of
    /// `bytes` is taken from the thread's arena, its 2 MiB-aligned interior advised, and the
    /// block freed: it becomes the top of the arena, which the next blocks are cut from (an
    /// arena gives back its top only beyond the 64 MiB top pad `prepare` set). Nothing happens
    /// where the main heap was not advised, or when the block came from the main heap.
    /// Returns the bytes advised (0: none).
    @discardableResult
    static func adviseThisThreadsArena(bytes: Int = 30 << 20) -> Int {
        guard advised > 0, raisedMmapThreshold, let heapEnd = sbrk(0) else { return 0 }
        let page = 2 << 20
        guard let block = malloc(bytes) else { return 0 }
        defer { free(block) }
        let start = (Int(bitPattern: block) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: block) + bytes) & ~(page - 1)
        // A block at or below the main heap's end is the main heap's (already advised).
        guard Int(bitPattern: block) > Int(bitPattern: heapEnd), end - start >= page,
              let base = UnsafeMutableRawPointer(bitPattern: start), madvise(base, end - start, MADV_HUGEPAGE) == 0 else { return 0 }
        return end - start
    }

    /// Blocks below 32 MiB (glibc's largest threshold) come from the arenas; set once.
    private static let raisedMmapThreshold: Bool = mallopt(mmapThreshold, 32 << 20) == 1

    private static func prepare(pad: Int = 64 << 20) -> Int {
        let page = 2 << 20
        guard let before = sbrk(0), mallopt(topPad, Int32(pad)) == 1 else { return 0 }
        // Blocks below the allocator's mmap threshold (128 KiB) come from the heap's top; one
        // that does not fit in what is left of the top grows the heap by itself plus the pad.
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(8)
        while blocks.count < 8, sbrk(0) == before, let block = malloc(96 << 10) { blocks.append(block) }
        blocks.forEach { free($0) }
        guard let after = sbrk(0), after > before else { return 0 }
        // From the first 2 MiB boundary in the new range: the kernel maps a huge page only for an
        // aligned 2 MiB range inside the advised area.
        let start = (Int(bitPattern: before) + page - 1) & ~(page - 1)
        let end = Int(bitPattern: after)
        guard end - start >= page, let base = UnsafeMutableRawPointer(bitPattern: start),
              madvise(base, end - start, MADV_HUGEPAGE) == 0 else { return 0 }
        return end - start
    }
}
