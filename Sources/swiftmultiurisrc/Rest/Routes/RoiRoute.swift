import swiftcustomevents

/// roi/update (POST): new regions of interest for one stream, sent downstream
/// as ControlEvent.roiUpdate (DeepStream's nv-roi-update, for nvdspreprocess).
///
///     {"stream": {"stream_id": "0", "roi_count": 2,
///                 "roi": [{"roi_id": "0", "left": 100, "top": 300, "width": 400, "height": 400}, ...]}}
///
/// `roi_count` may be left out; when given it must equal the array length.
/// `roi_id` is a string or a non-negative integer, shorter than 128 bytes
/// (the C API's RoiDimension holds it in a 128-byte array). left, top, width
/// and height are non-negative integers (uint). An empty array clears the ROIs.
enum RoiRoute {
    static let routes: [Route] = [
        Route(.post, "/roi/update", operation: "ROI_UPDATE") { ctx throws(ControlError) in
            let fields = try ctx.controlFields()
            let stream = try ctx.resolveStream(fields)
            let rois = try parseRois(fields)
            try ctx.control.pushDownstream(.roiUpdate(streamId: String(stream.sourceId), rois: rois))
            return .success("ROI_UPDATE")
        },
    ]

    /// The longest roi_id the C event API can carry (RoiDimension.roi_id[128], NUL included).
    static let maxRoiIdBytes = 127

    static func parseRois(_ fields: FieldReader) throws(ControlError) -> [RoiRect] {
        let items = try fields.objects(inArray: "roi")
        if let count = try fields.optionalInteger("roi_count", in: 0...Int64(UInt32.max)), count != Int64(items.count) {
            throw .badRequest(field: fields.fieldName("roi_count"),
                              detail: "is \(count) but the roi array has \(items.count) entries")
        }
        var rois: [RoiRect] = []
        rois.reserveCapacity(items.count)
        for roi in items {
            let id = try roi.identifier("roi_id")
            guard id.utf8.count <= maxRoiIdBytes else {
                throw .badRequest(field: roi.fieldName("roi_id"), detail: "longer than \(maxRoiIdBytes) bytes")
            }
            rois.append(RoiRect(roiId: id,
                                left: try roi.uint32("left"), top: try roi.uint32("top"),
                                width: try roi.uint32("width"), height: try roi.uint32("height")))
        }
        return rois
    }
}
