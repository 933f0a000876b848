"""The versioned public API (/api/v1) and the staff API for results export, with their OpenAPI
document and documentation page."""
