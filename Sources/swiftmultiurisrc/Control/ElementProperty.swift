/// element/set-property and element/get-property (ours): a property of an
/// element of the running pipeline, found by name, as text GStreamer's own
/// (de)serialization reads and writes.
struct ElementPropertyRequest: Sendable, Equatable {
    /// The element's name (`name=` in gst-launch).
    var element: String
    /// Canonical spelling ('-', not '_'): the allow list matches on it.
    var property: String
    /// For a set: the text handed to gst_value_deserialize (a JSON number or
    /// boolean arrives as its decimal or true/false text). nil for a get.
    var value: String?
}

/// A property as it reads back after the set (or the get).
struct ElementPropertyValue: Sendable, Equatable {
    var element: String
    var property: String
    /// gst_value_serialize of the value; nil when the property is not
    /// readable or its type has no text form.
    var value: String?
    /// The GType name of the value ("gdouble", "GstVideoOrientationMethod").
    var type: String
}

/// What GET info tells of the state file.
struct StateFileStatus: Sendable, Equatable {
    /// Sensors the file holds (those that play and those that do not).
    var sensors: Int
    /// Why the last write failed; nil once a write succeeded again.
    var lastWriteError: String?
}

extension StreamControl {
    func setElementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        throw .unavailable("this control has no pipeline elements")
    }
    func elementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        throw .unavailable("this control has no pipeline elements")
    }
    var stateFileStatus: StateFileStatus? { nil }
}
