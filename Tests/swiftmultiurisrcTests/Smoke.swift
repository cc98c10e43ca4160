import Testing
@testable import swiftmultiurisrc
@Test func smoke() { #expect(true) }
