/// conv/srccrop, conv/destcrop, conv/flip-method, conv/interpolation-method
/// (POST): converter settings of one source, applied inside the bin
/// (StreamControl.applySourceSetting).
///
///     {"stream": {"stream_id": "0", "src_crop": "0:0:640:480"}}      left:top:width:height
///     {"stream": {"stream_id": "0", "dest_crop": "0:0:640:480"}}
///     {"stream": {"stream_id": "0", "flip_method": 2}}               0-7
///     {"stream": {"stream_id": "0", "interpolation_method": 1}}      0-6
enum ConverterRoutes {
    static let routes: [Route] = [
        Route(.post, "/conv/srccrop", operation: "SRC_CROP_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let crop = try parseCrop(fields, "src_crop")
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .sourceCrop(crop))
            return .success("SRC_CROP_UPDATE")
        },
        Route(.post, "/conv/destcrop", operation: "DEST_CROP_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let crop = try parseCrop(fields, "dest_crop")
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .destinationCrop(crop))
            return .success("DEST_CROP_UPDATE")
        },
        Route(.post, "/conv/flip-method", operation: "FLIP_METHOD_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let method = try fields.uint32("flip_method", in: 0...7)
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .flipMethod(method))
            return .success("FLIP_METHOD_UPDATE")
        },
        Route(.post, "/conv/interpolation-method", operation: "INTERPOLATION_METHOD_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let method = try fields.uint32("interpolation_method", in: 0...6)
            try ctx.control.applySourceSetting(sourceId: stream.sourceId, .interpolationMethod(method))
            return .success("INTERPOLATION_METHOD_UPDATE")
        },
    ]

    /// "left:top:width:height", four unsigned decimal numbers (spaces around
    /// them tolerated). Width and height may be 0, which the converter reads
    /// as "no crop".
    static func parseCrop(_ fields: FieldReader, _ key: String) throws(ControlError) -> CropRect {
        let text = try fields.string(key)
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            .map { restTrimmed($0) }
        let numbers = parts.compactMap { UInt32($0) }
        guard parts.count == 4, numbers.count == 4 else {
            throw .badRequest(field: fields.fieldName(key),
                              detail: "expected \"left:top:width:height\" with four non-negative integers, got \"\(text.prefix(64))\"")
        }
        return CropRect(left: numbers[0], top: numbers[1], width: numbers[2], height: numbers[3])
    }
}
