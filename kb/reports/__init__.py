"""Reports: metrics computed from stored events, drawn as SVG charts on the server."""
