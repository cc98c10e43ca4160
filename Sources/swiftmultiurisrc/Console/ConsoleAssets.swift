/// The web console's files (Rest/Routes/ConsoleRoutes.swift serves them),
/// one Swift file each in this folder. Plain HTML, CSS and JavaScript
/// modules: no build step, no dependency, no URL outside the element.
enum ConsoleAssets {}
