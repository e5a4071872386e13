import XCTest
@testable import LabcheckCore

/// The vectorised prefilter for suppression comments against the plain definition: `#labcheck:`
/// or `# labcheck:` anywhere in the bytes.
final class SuppressionMarkerTests: XCTestCase {
    private func reference(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        // Bytes are ASCII here, so decoding keeps every offset.
        return text.contains("#labcheck:") || text.contains("# labcheck:")
    }

    func testMarkerAtEveryOffsetAndInRandomText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("labcheck:# \n#lk:".utf8)
        for marker in ["#labcheck:", "# labcheck:", "#  labcheck:", "labcheck:", "#labcheck", "# labchek:", "#Labcheck:"] {
            for length in [0, 9, 10, 15, 16, 17, 24, 25, 26, 31, 32, 33, 40, 64] {
                for offset in 0...max(0, length) {
                    var bytes = [UInt8](repeating: 0x78, count: length)
                    let m = Array(marker.utf8)
                    guard offset + m.count <= length else { continue }
                    bytes.replaceSubrange(offset..<(offset + m.count), with: m)
                    let found = bytes.withUnsafeBufferPointer(SuppressionCheck.mentionsMarker)
                    XCTAssertEqual(found, reference(bytes), "\(marker) at \(offset) of \(length)")
                }
            }
        }
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...80, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x20 }
            XCTAssertEqual(bytes.withUnsafeBufferPointer(SuppressionCheck.mentionsMarker), reference(bytes), String(decoding: bytes, as: UTF8.self))
        }
    }
}
