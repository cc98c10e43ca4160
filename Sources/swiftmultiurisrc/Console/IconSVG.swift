// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as icon.svg.
extension ConsoleAssets {
    /// GET /ui/icon.svg: the page's icon (a page without one makes the browser ask for /favicon.ico).
    static let iconSVG = ##"""
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5fff"/><rect x="3" y="4" width="4" height="3" fill="#fff"/><rect x="9" y="4" width="4" height="3" fill="#fff"/><rect x="3" y="9" width="4" height="3" fill="#fff"/><rect x="9" y="9" width="4" height="3" fill="#ffd400"/></svg>
"""##
}
