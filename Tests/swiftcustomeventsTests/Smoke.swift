import Testing
import swiftcustomevents
@Test func lifecycleEventsAreEquatable() { #expect(LifecycleEvent.padAdded(sourceId: 1) != .padAdded(sourceId: 2)) }
