import CGStreamer
import GstSwiftBridge

/// element/set-property and element/get-property: properties of named
/// elements of the pipeline the bin plays in, as gstd and PyTrickle offer.
///
/// Runs on the calling (civetweb) thread and holds none of the bin's locks
/// while it touches the element: a property setter may take the element's
/// own locks, which its streaming thread holds while it pushes. The order
/// of the checks decides what a client can learn: the allow list first (a
/// refused client does not learn whether an element exists), then the
/// element, the property, the state, the value.
extension MultiUriSrcBin {
    func setElementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        try checkAllowed(request)
        guard let text = request.value else { throw .badRequest(field: "value", detail: "missing") }
        let target = try findElement(request.element)
        defer { gst_object_unref(target) }
        let pspec = try propertySpec(target, request, writing: true)
        let type = pspec.pointee.value_type
        if let highest = mutableState(pspec) {
            let now = highestState(of: target)
            guard now.rawValue <= highest.rawValue else {
                throw .conflict("property: \(request.element).\(request.property) can change only up to \(stateName(highest)); the element is \(stateName(now))")
            }
        }
        var value = GValue()
        g_value_init(&value, type)
        defer { g_value_unset(&value) }
        let shown = text.count > 64 ? String(text.prefix(64)) + "..." : text
        guard gst_value_deserialize_with_pspec(&value, text, pspec) != 0 else {
            throw .badRequest(field: "value", detail: "\"\(shown)\" does not read as \(typeName(type)) (GStreamer's deserialization)")
        }
        // GObject would refuse an out-of-range value with a g_warning and
        // keep the old one: say so instead of answering success.
        guard g_param_value_validate(pspec, &value) == 0 else {
            throw .badRequest(field: "value", detail: "\"\(shown)\" is outside what \(request.property) takes (gst-inspect-1.0 shows its range)")
        }
        g_object_set_property(cast(target, to: GObject.self), pspec.pointee.name, &value)
        binLog.info(element.raw, "element \(request.element): \(request.property) set to \(shown)")
        return readBack(target, pspec, request)
    }

    func elementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        try checkAllowed(request)
        let target = try findElement(request.element)
        defer { gst_object_unref(target) }
        let pspec = try propertySpec(target, request, writing: false)
        return readBack(target, pspec, request)
    }

    private func checkAllowed(_ request: ElementPropertyRequest) throws(ControlError) {
        let allowList = settings.withLock { $0.propertyAllowList }
        guard allowList.allows(element: request.element, property: request.property) else {
            throw .forbidden(field: "property", detail: allowList.isEmpty
                ? "property-allow-list is empty: no element property may be used over REST"
                : "\(request.element).\(request.property) matches no pattern of property-allow-list")
        }
    }

    /// The element named `name` in the top-level pipeline the bin is in
    /// (searched recursively), the top-level element itself included. A
    /// new reference.
    private func findElement(_ name: String) throws(ControlError) -> UnsafeMutableRawPointer {
        guard var top = gst_object_ref(element.raw) else { throw .internalError("no reference to the bin") }
        // Bounded: parents form a chain that ends at the top-level element.
        for _ in 0..<1024 {
            guard let parent = gst_object_get_parent(cast(top, to: GstObject.self)) else { break }
            gst_object_unref(top)
            top = UnsafeMutableRawPointer(parent)
        }
        if objectName(top) == name { return top }
        defer { gst_object_unref(top) }
        guard g_type_check_instance_is_a(cast(top, to: GTypeInstance.self), gst_bin_get_type()) != 0,
              let found = gst_bin_get_by_name(cast(top, to: GstBin.self), name) else {
            throw .notFound("element: no element named \"\(name)\" in the pipeline")
        }
        return UnsafeMutableRawPointer(found)
    }

    private func propertySpec(_ target: UnsafeMutableRawPointer, _ request: ElementPropertyRequest,
                              writing: Bool) throws(ControlError) -> UnsafeMutablePointer<GParamSpec> {
        guard let pspec = gsb_object_find_property(target, request.property) else {
            throw .badRequest(field: "property", detail: "\(request.element) has no property \(request.property)")
        }
        let flags = pspec.pointee.flags.rawValue
        if writing {
            guard flags & G_PARAM_WRITABLE.rawValue != 0 else {
                throw .badRequest(field: "property", detail: "\(request.element).\(request.property) is not writable")
            }
            guard flags & G_PARAM_CONSTRUCT_ONLY.rawValue == 0 else {
                throw .badRequest(field: "property", detail: "\(request.element).\(request.property) is set only when the element is made")
            }
        } else {
            guard flags & G_PARAM_READABLE.rawValue != 0 else {
                throw .badRequest(field: "property", detail: "\(request.element).\(request.property) is not readable")
            }
        }
        // GStreamer reads a structure text into a new object of whatever
        // type it names: a client must not make objects, nor see them.
        guard gsb_type_is_reference(pspec.pointee.value_type) == 0 else {
            throw .badRequest(field: "property", detail: "\(request.element).\(request.property) holds \(typeName(pspec.pointee.value_type)), a reference, not a value")
        }
        return pspec
    }

    /// nil when the element does not say in which states the property may change.
    private func mutableState(_ pspec: UnsafeMutablePointer<GParamSpec>) -> GstState? {
        let state = gsb_param_spec_mutable_state(pspec)
        return state == GST_STATE_VOID_PENDING ? nil : state
    }

    /// The element's state, or the one it is going to when that is higher
    /// (asked without waiting).
    private func highestState(of target: UnsafeMutableRawPointer) -> GstState {
        var current = GST_STATE_NULL, pending = GST_STATE_VOID_PENDING
        gst_element_get_state(cast(target, to: GstElement.self), &current, &pending, 0)
        return pending != GST_STATE_VOID_PENDING && pending.rawValue > current.rawValue ? pending : current
    }

    private func readBack(_ target: UnsafeMutableRawPointer, _ pspec: UnsafeMutablePointer<GParamSpec>,
                          _ request: ElementPropertyRequest) -> ElementPropertyValue {
        let type = pspec.pointee.value_type
        var text: String?
        if pspec.pointee.flags.rawValue & G_PARAM_READABLE.rawValue != 0 {
            var value = GValue()
            g_value_init(&value, type)
            g_object_get_property(cast(target, to: GObject.self), pspec.pointee.name, &value)
            text = takeGString(gst_value_serialize(&value))
            g_value_unset(&value)
        }
        return ElementPropertyValue(element: request.element, property: request.property, value: text, type: typeName(type))
    }

    private func typeName(_ type: GType) -> String {
        g_type_name(type).map { String(cString: $0) } ?? "?"
    }

    private func stateName(_ state: GstState) -> String {
        String(cString: gst_element_state_get_name(state))
    }
}
